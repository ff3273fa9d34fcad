//! One benchmark run, the same natively and in WebAssembly: a preset with its workload kept
//! running (its scheduled faults still happen) for a given simulated time, every checker on,
//! then the report (which runs the end-of-run checks). The WebAssembly build exports it as
//! plain functions of numbers (no JavaScript glue), so Node can load it as is.
//!
//! [`pbs_digest`] does the same for the PBS estimator: a digest of its estimates for every
//! latency profile, which must be the same natively and in WebAssembly for the same seed.

use std::sync::atomic::{AtomicU64, Ordering};

use replicalab_core::pbs::{self, Profile, WarsConfig};
use replicalab_core::presets::PRESETS;
use replicalab_core::time::from_ms;
use replicalab_core::{Command, Simulation};

/// The outcome of one run: simulated events and the trace hash.
pub struct Run {
    pub events: u64,
    pub hash: u64,
}

/// Runs preset number `index` (in `PRESETS` order) with `seed` for `until_ms` simulated
/// milliseconds. `None` if there is no such preset.
pub fn run(index: usize, seed: u64, until_ms: u64) -> Option<Run> {
    let mut s = PRESETS.get(index)?.scenario().ok()?;
    s.seed = seed;
    if let Some(w) = s.workload.as_mut() {
        w.stop_ms = None;
    }
    s.commands.retain(|c| !matches!(c.command, Command::StopWorkload { .. }));
    let mut sim = Simulation::new(&s);
    sim.run_until(from_ms(until_ms as f64));
    let report = sim.report(&s.name);
    let hash = u64::from_str_radix(&report.trace_hash, 16).ok()?;
    Some(Run { events: sim.events(), hash })
}

/// The index of the preset called `name`.
pub fn index_of(name: &str) -> Option<usize> {
    PRESETS.iter().position(|p| p.name == name)
}

static LAST_HASH: AtomicU64 = AtomicU64::new(0);

/// WebAssembly export: the number of presets.
#[no_mangle]
pub extern "C" fn bench_presets() -> u32 {
    PRESETS.len() as u32
}

/// WebAssembly export: the length of preset `index`'s name (0 if none); its bytes come from
/// [`bench_name_byte`].
#[no_mangle]
pub extern "C" fn bench_name_len(index: u32) -> u32 {
    PRESETS.get(index as usize).map_or(0, |p| p.name.len() as u32)
}

/// WebAssembly export: byte `i` of preset `index`'s name.
#[no_mangle]
pub extern "C" fn bench_name_byte(index: u32, i: u32) -> u32 {
    PRESETS.get(index as usize).and_then(|p| p.name.as_bytes().get(i as usize)).map_or(0, |&b| b as u32)
}

/// WebAssembly export: [`run`]; returns the events (0 if there is no such preset) and keeps
/// the trace hash for [`bench_last_hash`].
#[no_mangle]
pub extern "C" fn bench_run(index: u32, seed: u64, until_ms: u64) -> u64 {
    match run(index as usize, seed, until_ms) {
        Some(r) => {
            LAST_HASH.store(r.hash, Ordering::Relaxed);
            r.events
        }
        None => 0,
    }
}

/// WebAssembly export: the trace hash of the last [`bench_run`].
#[no_mangle]
pub extern "C" fn bench_last_hash() -> u64 {
    LAST_HASH.load(Ordering::Relaxed)
}

/// A digest of the PBS estimates, `trials` trials from `seed`, for every latency profile at
/// N = 3, R = W = 1 and at N = 5, R = 2, W = 1: every count, and the bits of every reported
/// quantile, minimum and maximum. Runs the sequential path, the one the browser has.
pub fn pbs_digest(seed: u64, trials: u64) -> u64 {
    let profiles = [
        Profile::LnkdSsd,
        Profile::LnkdDisk,
        Profile::Ymmr,
        Profile::YmmrPrintedAlpha,
        Profile::Wan,
        Profile::Exponential { w_lambda: 0.1, ars_lambda: 1.0 },
    ];
    let mut digest = 0u64;
    let mut mix = |v: u64| digest = (digest ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    for profile in profiles {
        for (n, r, w) in [(3, 1, 1), (5, 2, 1)] {
            let cfg = WarsConfig::new(n, r, w, profile).expect("valid configuration");
            let est = pbs::estimate(cfg, &[0.0, 1.0, 5.0, 100.0], trials.max(1), seed).expect("valid times");
            est.points.iter().for_each(|p| mix(p.consistent));
            for h in [&est.write_latency, &est.read_latency, &est.window] {
                mix(h.min().to_bits());
                mix(h.max().to_bits());
                for p in [0.5, 0.9, 0.99, 0.999] {
                    mix(h.quantile(p).unwrap_or(0.0).to_bits());
                }
            }
        }
    }
    digest
}

/// WebAssembly export: [`pbs_digest`].
#[no_mangle]
pub extern "C" fn bench_pbs_digest(seed: u64, trials: u64) -> u64 {
    pbs_digest(seed, trials)
}
