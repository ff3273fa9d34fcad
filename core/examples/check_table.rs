//! CPU time of the linearizability checker on every shared history and on generated ones, as
//! a Markdown table (the per-file table of docs/performance.md):
//! `cargo run --release -p replicalab-core --example check_table [--tsv] [FILTER]`.
//!
//! Each file is read once; a measured run parses, pairs, converts and checks it, repeated
//! until at least 50 ms of CPU time were spent (at least once). CPU time is the thread's own
//! (Linux: /proc/thread-self/schedstat), so other jobs on the machine do not inflate it.

use replicalab_core::checkers::linearizability::{CheckConfig, Verdict};

#[path = "../benches/support/corpus.rs"]
mod corpus;

use corpus::Case;

fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn run(case: &Case, config: &CheckConfig) -> (usize, Verdict) {
    let r = case.check(config);
    (r.checked, r.verdict)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tsv = args.iter().any(|a| a == "--tsv");
    let filter = args.iter().find(|a| !a.starts_with("--")).cloned().unwrap_or_default();
    measure(&corpus::cases(&filter), tsv);
}

fn measure(cases: &[Case], tsv: bool) {
    let modes = [("verdict", CheckConfig::verdict()), ("all", CheckConfig::default())];
    if !tsv {
        println!("| history | operations | verdict | CPU, verdict only | CPU, every key (`--all`) |");
        println!("|---|---:|---|---:|---:|");
    }
    for case in cases {
        let mut cells = Vec::new();
        let mut seen = None;
        for (_, config) in &modes {
            let mut runs = 0u64;
            let start = cpu_ns();
            let (ops, verdict) = loop {
                let r = run(case, config);
                runs += 1;
                if cpu_ns() - start >= 50_000_000 {
                    break r;
                }
            };
            if let Some(v) = seen {
                assert_eq!(v, (ops, verdict), "{}: the two modes disagree", case.name);
            }
            seen = Some((ops, verdict));
            cells.push((cpu_ns() - start) as f64 / runs as f64);
        }
        let (ops, verdict) = seen.expect("measured");
        if tsv {
            println!("{}\t{ops}\t{}\t{:.0}\t{:.0}", case.name, verdict.name(), cells[0], cells[1]);
        } else {
            println!("| {} | {ops} | {} | {} | {} |", case.name, verdict.name(), human(cells[0]), human(cells[1]));
        }
    }
}

fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}
