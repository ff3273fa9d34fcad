//! Writes a generated history to stdout: `gen_history kv|kv-bad|cas|cas-bad CLIENTS OPS KEYS TIMEOUT_PPM SEED`.
use replicalab_core::formats::generate::{self, GenSpec};
fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let n = |i: usize| a[i].parse::<u64>().unwrap();
    let spec =
        GenSpec { clients: n(1) as u32, ops: n(2) as u32, keys: n(3) as u32, timeout_ppm: n(4) as u32, seed: n(5) };
    let text = match a[0].as_str() {
        "kv" => generate::kv_history(&spec),
        "kv-bad" => generate::kv_history_bad(&spec),
        "cas" => generate::cas_history(&spec, false),
        _ => generate::cas_history(&spec, true),
    };
    print!("{text}");
}
