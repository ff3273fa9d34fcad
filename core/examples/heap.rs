//! Resident memory of a running simulation as its history grows (Linux: reads
//! /proc/self/status): `cargo run --release -p replicalab-core --example heap [preset] [ops]
//! [keep]` (`keep`: compaction off).

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let preset = args.get(1).map_or("lf-async", |s| s.as_str());
    let total: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let mut scenario = replicalab_core::presets::find(preset).expect("preset").scenario().expect("valid");
    scenario.duration_ms = 86_400_000.0;
    if let Some(w) = scenario.workload.as_mut() {
        w.stop_ms = None;
    }
    scenario.commands.retain(|c| !matches!(c.command, replicalab_core::Command::StopWorkload {}));
    let mut sim = replicalab_core::Simulation::new(&scenario);
    if args.get(3).is_some_and(|a| a == "keep") {
        sim.set_compaction(None);
    }
    let base = rss_kib();
    let mut t = 0;
    let mut next = total / 10;
    while sim.history().len() < total {
        t += replicalab_core::time::SEC;
        sim.run_until(t);
        if sim.history().len() >= next {
            let live = rss_kib().saturating_sub(base) * 1024;
            println!(
                "{preset}: {:>8} ops at {:>6.0} s: {:>11} bytes resident above start ({:.0} B/op), {} held",
                sim.history().len(),
                t as f64 / 1e6,
                live,
                live as f64 / sim.history().len() as f64,
                sim.history().retained() + sim.history().archive.len()
            );
            next += total / 10;
        }
    }
}
