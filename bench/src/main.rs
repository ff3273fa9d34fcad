//! `replicalab-bench PRESET SEED UNTIL_MS`: one benchmark run natively; prints
//! `{"preset":…,"events":…,"hash":…}`. The caller measures its CPU time.
//! `replicalab-bench pbs SEED TRIALS`: prints `{"pbs_digest":…}` ([`replicalab_bench::pbs_digest`]).

/// The same allocator as the command line's (see the workspace's Cargo.toml).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, seed, trials] = args.as_slice() {
        if mode == "pbs" {
            let (Ok(seed), Ok(trials)) = (seed.parse(), trials.parse()) else {
                eprintln!("replicalab-bench: SEED and TRIALS must be whole numbers");
                std::process::exit(2);
            };
            println!("{{\"pbs_digest\":\"{:016x}\"}}", replicalab_bench::pbs_digest(seed, trials));
            return;
        }
    }
    let [preset, seed, until] = args.as_slice() else {
        eprintln!("usage: replicalab-bench PRESET SEED UNTIL_MS | replicalab-bench pbs SEED TRIALS");
        std::process::exit(2);
    };
    let Some(index) = replicalab_bench::index_of(preset) else {
        eprintln!("replicalab-bench: no preset named {preset:?}");
        std::process::exit(2);
    };
    let (Ok(seed), Ok(until)) = (seed.parse(), until.parse()) else {
        eprintln!("replicalab-bench: SEED and UNTIL_MS must be whole numbers");
        std::process::exit(2);
    };
    let run = replicalab_bench::run(index, seed, until).expect("the preset runs");
    println!("{{\"preset\":\"{preset}\",\"events\":{},\"hash\":\"{:016x}\"}}", run.events, run.hash);
}
