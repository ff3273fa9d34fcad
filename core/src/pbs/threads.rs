//! A run's chunks on several threads, natively (WebAssembly in the browser has no threads; it
//! runs the same chunks in order with [`estimate`](super::estimate) or an
//! [`Estimator`](super::Estimator)).
//!
//! The driver lives in the core, beside the chunks it runs, so that every native caller (the
//! command line, the tests, the benchmarks) uses the one driver, and the tests can check in
//! process that the thread count never changes the estimate. The core is still told, never
//! asks: the caller says how many threads (the command line asks the OS for its cores).
//!
//! Each thread keeps one [`Tally`] and takes the next chunk not yet taken until none is left, so
//! a thread slowed by other work on the machine takes fewer chunks. Which thread ran a chunk
//! does not matter: a chunk's trials come from its own stream, and tallies merge exactly.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{chunk_trials, chunks, estimate, Estimate, PbsError, Tally, WarsConfig};

/// [`estimate`](super::estimate) on up to `threads` threads: the same estimate, bit for bit,
/// for any `threads` (0 counts as 1).
pub fn estimate_on_threads(
    cfg: WarsConfig,
    ts_ms: &[f64],
    trials: u64,
    seed: u64,
    threads: usize,
) -> Result<Estimate, PbsError> {
    if trials == 0 {
        return Err(PbsError::Trials);
    }
    let chunks = chunks(trials);
    let threads = (threads.max(1) as u64).min(chunks) as usize;
    if threads == 1 {
        return estimate(cfg, ts_ms, trials, seed);
    }
    let first = Tally::new(cfg, ts_ms)?;
    let next = AtomicU64::new(0);
    let work = |mut tally: Tally| loop {
        let chunk = next.fetch_add(1, Ordering::Relaxed);
        if chunk >= chunks {
            return tally;
        }
        tally.run_chunk(seed, chunk, chunk_trials(trials, chunk));
    };
    let work = &work;
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads)
            .map(|_| {
                let tally = first.clone();
                scope.spawn(move || work(tally))
            })
            .collect();
        let mut all = vec![work(first)];
        all.extend(others.into_iter().map(|h| h.join().expect("a PBS trial thread panicked")));
        all
    });
    let mut tallies = tallies.into_iter();
    let mut total = tallies.next().expect("at least one thread").into_estimate();
    for t in tallies {
        total.merge(t.estimate());
    }
    Ok(total)
}
