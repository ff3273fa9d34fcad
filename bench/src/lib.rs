//! One benchmark run, the same natively and in WebAssembly: a preset with its workload kept
//! running (its scheduled faults still happen) for a given simulated time, every checker on,
//! then the report (which runs the end-of-run checks). The WebAssembly build exports it as
//! plain functions of numbers (no JavaScript glue), so Node can load it as is.

use std::sync::atomic::{AtomicU64, Ordering};

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
