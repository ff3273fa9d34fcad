//! Prints what a preset's simulation holds every ten simulated minutes (for finding growth).
//! `cargo run --release -p replicalab-core --example footprint -- PRESET [MINUTES]`
fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().expect("a preset name");
    let minutes: u64 = args.next().map_or(60, |m| m.parse().expect("minutes"));
    let mut s = replicalab_core::presets::find(&name).expect("a preset").scenario().expect("valid");
    s.duration_ms = (minutes * 60_000) as f64;
    if let Some(w) = s.workload.as_mut() {
        w.stop_ms = None;
    }
    let mut sim = replicalab_core::Simulation::new(&s);
    for m in (10..=minutes).step_by(10) {
        sim.run_until(replicalab_core::time::from_ms((m * 60_000) as f64));
        println!("{m} min: {:?}", sim.footprint());
    }
}
