//! Benchmark mode (`?bench`): how fast the simulator runs in this browser's WebAssembly, and how
//! long the playground's frames take. The measuring is pure Rust over a clock passed in, so the
//! same code runs natively in tests; the page in [`crate::components::bench`] supplies
//! `performance.now()`.

use replicalab_core::time::from_ms;
use replicalab_core::Simulation;

use crate::stats::Summary;

/// Simulated time each preset runs for in the throughput measurement.
pub const BENCH_SIM_MS: f64 = 30_000.0;
/// Frames measured per cluster size while playing at 1×.
pub const BENCH_FRAMES: u64 = 150;
/// Cluster sizes whose frame times are measured.
pub const FRAME_SIZES: [usize; 3] = [5, 9, 50];

/// The scenario whose frames are measured at `nodes` nodes: asynchronous leader-follower with
/// 20–60 ms links and 300 operations a second, so hundreds of messages are in flight.
pub fn frame_scenario(nodes: usize) -> Result<replicalab_core::Scenario, String> {
    crate::custom::Settings {
        nodes,
        latency_min_ms: 20.0,
        latency_max_ms: 60.0,
        rate_per_s: 300.0,
        failover: replicalab_core::choices::FailoverChoice::Manual,
        ..crate::custom::Settings::default()
    }
    .build()
    .map(|mut s| {
        // Long enough that playback never reaches the end while frames are measured.
        s.duration_ms = 3_600_000.0;
        s
    })
}

/// Frame times measured at one cluster size.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameRun {
    pub nodes: usize,
    pub interval: Option<Summary>,
    pub work: Option<Summary>,
    pub max_in_flight: usize,
}

/// How fast one preset ran headless (no drawing).
#[derive(Clone, Debug, PartialEq)]
pub struct Throughput {
    pub preset: &'static str,
    pub sim_ms: f64,
    pub events: u64,
    pub wall_ms: f64,
    /// Simulated events processed per wall-clock second.
    pub events_per_s: f64,
    /// Simulated time per wall-clock time.
    pub speedup: f64,
}

/// Runs the preset numbered `index` headless for `sim_ms` of simulated time (the page must
/// have it: see [`crate::catalogue`]); `clock` returns wall time in ms.
pub fn throughput(index: usize, sim_ms: f64, clock: &mut dyn FnMut() -> f64) -> Result<Throughput, String> {
    let scenario = crate::catalogue::load(index)?;
    let start = clock();
    let mut sim = Simulation::new(&scenario);
    sim.run_until(from_ms(sim_ms));
    let wall_ms = (clock() - start).max(1e-3);
    let events = sim.events();
    Ok(Throughput {
        preset: crate::catalogue::name(index).unwrap_or_default(),
        sim_ms,
        events,
        wall_ms,
        events_per_s: events as f64 / (wall_ms / 1000.0),
        speedup: sim_ms / wall_ms,
    })
}

/// The benchmark's results as JSON (what the page shows and the end-to-end test reads).
pub fn results_json(runs: &[Throughput], frames: &[FrameRun]) -> String {
    let runs: Vec<serde_json::Value> = runs
        .iter()
        .map(|t| {
            serde_json::json!({
                "preset": t.preset,
                "sim_ms": t.sim_ms,
                "events": t.events,
                "wall_ms": round3(t.wall_ms),
                "events_per_s": t.events_per_s.round(),
                "speedup": round3(t.speedup),
            })
        })
        .collect();
    let summary = |s: Option<Summary>| match s {
        Some(s) => serde_json::json!({
            "count": s.count, "mean_ms": round3(s.mean), "p99_ms": round3(s.p99), "max_ms": round3(s.max)
        }),
        None => serde_json::Value::Null,
    };
    let frames: Vec<serde_json::Value> = frames
        .iter()
        .map(|f| {
            serde_json::json!({
                "nodes": f.nodes,
                "speed": "1x",
                "interval": summary(f.interval),
                "work": summary(f.work),
                "max_in_flight": f.max_in_flight,
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "throughput": runs, "frames": frames })).unwrap_or_default()
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use replicalab_core::presets::PRESETS;

    use super::*;
    use crate::stats::summarize;

    #[test]
    fn throughput_counts_events_against_the_given_clock() {
        let mut t = 0.0;
        let mut clock = || {
            t += 50.0;
            t
        };
        let r = throughput(0, 1_000.0, &mut clock).unwrap();
        assert_eq!(r.preset, PRESETS[0].name);
        assert_eq!(r.wall_ms, 50.0);
        assert!(r.events > 0);
        assert_eq!(r.events_per_s, r.events as f64 * 20.0);
        assert_eq!(r.speedup, 20.0);
    }

    #[test]
    fn results_are_json_with_every_run() {
        let mut t = 0.0;
        let mut clock = || {
            t += 10.0;
            t
        };
        let runs: Vec<_> = (0..PRESETS.len()).map(|i| throughput(i, 100.0, &mut clock).unwrap()).collect();
        let frames = [FrameRun { nodes: 5, interval: summarize([16.0, 17.0]), work: None, max_in_flight: 40 }];
        let text = results_json(&runs, &frames);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["throughput"].as_array().unwrap().len(), PRESETS.len());
        assert_eq!(v["frames"][0]["interval"]["count"], 2);
        assert_eq!(v["frames"][0]["nodes"], 5);
        assert!(v["frames"][0]["work"].is_null());
    }

    #[test]
    fn frame_scenarios_build_at_every_size() {
        for n in FRAME_SIZES {
            let s = frame_scenario(n).unwrap();
            assert_eq!(s.cluster.nodes, n);
            let mut sim = Simulation::new(&s);
            sim.run_until(2_000 * replicalab_core::time::MS);
            assert!(sim.view().messages.len() > n, "{n} nodes: {} in flight", sim.view().messages.len());
        }
    }
}
