//! # Probabilistically Bounded Staleness (PBS)
//!
//! How stale are reads from a Dynamo-style store with partial quorums (`R + W <= N`)? PBS
//! (Bailis, Venkataraman, Franklin, Hellerstein and Stoica, *Probabilistically Bounded Staleness
//! for Practical Partial Quorums*, PVLDB 5(8), 2012) answers with a probability: the chance
//! that a read started `t` milliseconds after a write committed returns that write (or a newer
//! one). This module predicts it with the paper's **WARS** Monte Carlo model, and gives the
//! closed form for staleness in versions ([`k_staleness`]).
//!
//! ## The WARS model
//!
//! A coordinator sends a write to all `N` replicas and reports it committed when `W` have
//! acknowledged; a read, also sent to all `N`, returns the newest value among the first `R`
//! responses. Replicas keep applying the write after commit, but there is no read repair and no
//! anti-entropy. Four one-way delays per replica `i`, drawn independently:
//!
//! - `W[i]`: coordinator → replica, carrying the write;
//! - `A[i]`: replica → coordinator, the write's acknowledgement;
//! - `R[i]`: coordinator → replica, the read request;
//! - `S[i]`: replica → coordinator, the read response.
//!
//! One trial: the write commits at `w_t`, the `W`-th smallest `W[i] + A[i]` (times from the
//! start of the write). The read starts at `w_t + t`; the replicas answer in order of
//! `R[i] + S[i]`, and the first `R` make the read. The read is **consistent** iff at least one
//! of them got the read request no earlier than the write: `w_t + t + R[i] >= W[i]`. The write's
//! latency is `w_t`; the read's is the `R`-th smallest `R[i] + S[i]`.
//!
//! What follows from it: strict quorums (`R + W > N`) are always consistent, at every `t >= 0`
//! (some early responder is one of the `W` replicas that acknowledged, so `W[i] <= w_t`); a
//! long tail in `W` relative to `A`, `R` and `S` makes reads overtake writes; and because a
//! trial's consistency can only flip from stale to consistent as `t` grows, we evaluate every
//! requested `t` on the same trials, which makes the estimated curve non-decreasing in `t`.
//!
//! Each trial also yields its *staleness window*, the smallest `t` at which the read would have
//! been consistent; its quantiles answer the inverse question, "how long after commit until
//! 99.9% of reads are consistent?" (the paper's t-visibility).
//!
//! ## Latencies
//!
//! [`Profile`] names the paper's fits to production traces (LinkedIn on SSDs and on disks,
//! Yammer), its wide-area scenario and synthetic exponentials; [`dist`] samples them at full
//! `f64` precision with `libm`, so the same seed gives the same numbers on every platform.
//! See [`profiles`] for the parameters, YMMR's write alpha (we use 3.5, the value of the
//! authors' simulator, rather than the 3.35 printed in the paper's table, and say why) and the
//! WAN layout.
//!
//! ## Limits
//!
//! WARS models one write and one read with independent, identically distributed delays per
//! replica: no failures, no read repair or anti-entropy (so it overestimates staleness), no
//! concurrent writes, no correlated slowness.
//!
//! ```
//! use replicalab_core::pbs::{self, Profile, WarsConfig};
//!
//! let cfg = WarsConfig::new(3, 1, 1, Profile::LnkdSsd).unwrap();
//! let est = pbs::estimate(cfg, &[0.0, 5.0], 100_000, 1).unwrap();
//! let (now, later) = (est.points[0].p_consistent(), est.points[1].p_consistent());
//! assert!(now > 0.96 && now < 0.99 && later > 0.9999);
//! ```

use std::fmt;

pub mod dist;
pub mod histogram;
pub mod k_staleness;
pub mod profiles;
#[cfg(not(target_arch = "wasm32"))]
mod threads;
pub mod wars;
pub mod ziggurat;

#[cfg(test)]
mod tests;

pub use histogram::Histogram;
pub use profiles::{Latencies, Profile, PROFILE_NAMES};
pub use wars::{Trial, Wars, WarsConfig};

#[cfg(not(target_arch = "wasm32"))]
pub use threads::estimate_on_threads;

use crate::rng::SimRng;

/// What is wrong with a PBS request.
#[derive(Clone, Debug, PartialEq)]
pub enum PbsError {
    Replicas(i64),
    ReadQuorum { r: i64, n: i64 },
    WriteQuorum { w: i64, n: i64 },
    Time(f64),
    Trials,
    Versions,
    UnknownLatency(String),
    BadRate { profile: String, rate: String },
}

impl fmt::Display for PbsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PbsError::Replicas(n) => {
                write!(f, "N (replicas) must be between 1 and {}, got {n}", wars::MAX_REPLICAS)
            }
            PbsError::ReadQuorum { r, n } => {
                write!(f, "R (read quorum) must be between 1 and N = {n}, got {r}")
            }
            PbsError::WriteQuorum { w, n } => {
                write!(f, "W (write quorum) must be between 1 and N = {n}, got {w}")
            }
            PbsError::Time(t) => write!(f, "t must be a non-negative number of milliseconds, got {t}"),
            PbsError::Trials => f.write_str("the number of trials must be at least 1"),
            PbsError::Versions => f.write_str("k (versions) must be at least 1"),
            PbsError::UnknownLatency(name) => {
                write!(f, "unknown latency profile {name:?}; expected one of {PROFILE_NAMES}")
            }
            PbsError::BadRate { profile, rate } => write!(
                f,
                "latency profile {profile:?}: the exponential rate must be a positive number per \
                 millisecond (mean 1/rate ms), got {rate:?}"
            ),
        }
    }
}

impl std::error::Error for PbsError {}

/// The estimate at one `t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Milliseconds between the write's commit and the read's start.
    pub t_ms: f64,
    /// Trials whose read was consistent.
    pub consistent: u64,
    pub trials: u64,
}

impl Point {
    /// The estimated probability of a consistent read.
    pub fn p_consistent(&self) -> f64 {
        if self.trials == 0 {
            return 0.0;
        }
        self.consistent as f64 / self.trials as f64
    }

    /// Binomial standard error of [`Point::p_consistent`].
    pub fn std_error(&self) -> f64 {
        let p = self.p_consistent();
        if self.trials == 0 {
            return 0.0;
        }
        (p * (1.0 - p) / self.trials as f64).sqrt()
    }
}

/// Everything a run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub trials: u64,
    /// One per requested `t`, in the order requested.
    pub points: Vec<Point>,
    /// Write latency `w_t`.
    pub write_latency: Histogram,
    /// Read latency.
    pub read_latency: Histogram,
    /// Staleness windows: the `p`-quantile is the `t` at which a fraction `p` of reads is
    /// consistent.
    pub window: Histogram,
}

/// Trials per chunk. Chunk `i` of a run draws from its own random stream ([`chunk_rng`]), so
/// the chunks can run in any grouping, on any number of threads, and give the same estimate.
pub const CHUNK_TRIALS: u64 = 1 << 16;

/// The random stream of chunk `chunk` of a run seeded with `seed`: ChaCha8 stream `chunk`
/// of the seed (so chunk 0 is the seed's own stream).
pub fn chunk_rng(seed: u64, chunk: u64) -> SimRng {
    SimRng::with_stream(seed, chunk)
}

/// The number of chunks of a run of `trials` trials.
pub fn chunks(trials: u64) -> u64 {
    trials.div_ceil(CHUNK_TRIALS)
}

/// The trials of chunk `chunk` in a run of `trials` trials: [`CHUNK_TRIALS`], fewer in the
/// last chunk, 0 past it.
pub fn chunk_trials(trials: u64, chunk: u64) -> u64 {
    trials.saturating_sub(chunk.saturating_mul(CHUNK_TRIALS)).min(CHUNK_TRIALS)
}

impl Estimate {
    /// No trials yet at the times `ts_ms`.
    fn empty(ts_ms: &[f64]) -> Estimate {
        Estimate {
            trials: 0,
            points: ts_ms.iter().map(|&t_ms| Point { t_ms, consistent: 0, trials: 0 }).collect(),
            write_latency: Histogram::new(),
            read_latency: Histogram::new(),
            window: Histogram::new(),
        }
    }

    /// Adds another part of the same run (the same `t`s), as if its trials had run here. Every
    /// field is a count, a minimum or a maximum, so merging is exact and parts can be merged in
    /// any order and grouping.
    pub fn merge(&mut self, other: &Estimate) {
        debug_assert_eq!(self.points.len(), other.points.len());
        self.trials += other.trials;
        for (p, o) in self.points.iter_mut().zip(&other.points) {
            p.consistent += o.consistent;
            p.trials = self.trials;
        }
        self.write_latency.merge(&other.write_latency);
        self.read_latency.merge(&other.read_latency);
        self.window.merge(&other.window);
    }
}

/// The unit of work of a run: adds whole chunks, each from its own stream, to one estimate.
/// A run's estimate is the merge of its chunks' tallies whatever the grouping: one tally per
/// thread, each taking any chunks, merged at the end, equals [`estimate`].
#[derive(Clone, Debug)]
pub struct Tally {
    model: Wars,
    estimate: Estimate,
}

impl Tally {
    /// Checks every `t` (finite, `>= 0`).
    pub fn new(cfg: WarsConfig, ts_ms: &[f64]) -> Result<Self, PbsError> {
        if let Some(&bad) = ts_ms.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
            return Err(PbsError::Time(bad));
        }
        Ok(Tally { model: Wars::new(cfg), estimate: Estimate::empty(ts_ms) })
    }

    /// Runs the first `trials` trials of chunk `chunk` of the run seeded with `seed` (all of
    /// them for [`chunk_trials`]) and adds them.
    pub fn run_chunk(&mut self, seed: u64, chunk: u64, trials: u64) {
        debug_assert!(trials <= CHUNK_TRIALS);
        self.run(&mut chunk_rng(seed, chunk), trials);
    }

    /// Runs `trials` trials from `rng` and adds them.
    fn run(&mut self, rng: &mut SimRng, trials: u64) {
        let Tally { model, estimate } = self;
        for _ in 0..trials {
            let trial = model.trial(rng);
            estimate.write_latency.record(trial.write_ms);
            estimate.read_latency.record(trial.read_ms);
            estimate.window.record(trial.window_ms());
            for p in estimate.points.iter_mut() {
                p.consistent += trial.consistent_at(p.t_ms) as u64;
            }
        }
        estimate.trials += trials;
        for p in estimate.points.iter_mut() {
            p.trials = estimate.trials;
        }
    }

    pub fn estimate(&self) -> &Estimate {
        &self.estimate
    }

    pub fn into_estimate(self) -> Estimate {
        self.estimate
    }
}

/// A Monte Carlo run that can advance in steps of any size (a UI can spread it over frames);
/// the result depends only on the configuration, the times, the seed and the total number of
/// trials, and equals [`estimate`] for that total.
#[derive(Clone, Debug)]
pub struct Estimator {
    tally: Tally,
    seed: u64,
    /// The chunk being run, its stream, and how many of its trials have run.
    chunk: u64,
    rng: SimRng,
    in_chunk: u64,
}

impl Estimator {
    /// Checks every `t` (finite, `>= 0`).
    pub fn new(cfg: WarsConfig, ts_ms: &[f64], seed: u64) -> Result<Self, PbsError> {
        Ok(Estimator { tally: Tally::new(cfg, ts_ms)?, seed, chunk: 0, rng: chunk_rng(seed, 0), in_chunk: 0 })
    }

    /// Runs `trials` more trials.
    pub fn step(&mut self, mut trials: u64) {
        while trials > 0 {
            let take = trials.min(CHUNK_TRIALS - self.in_chunk);
            self.tally.run(&mut self.rng, take);
            trials -= take;
            self.in_chunk += take;
            if self.in_chunk == CHUNK_TRIALS {
                self.chunk += 1;
                self.in_chunk = 0;
                self.rng = chunk_rng(self.seed, self.chunk);
            }
        }
    }

    pub fn estimate(&self) -> &Estimate {
        self.tally.estimate()
    }

    pub fn into_estimate(self) -> Estimate {
        self.tally.into_estimate()
    }
}

/// Runs `trials` WARS trials from `seed` and evaluates consistency at each `t` (milliseconds).
pub fn estimate(cfg: WarsConfig, ts_ms: &[f64], trials: u64, seed: u64) -> Result<Estimate, PbsError> {
    if trials == 0 {
        return Err(PbsError::Trials);
    }
    let mut e = Estimator::new(cfg, ts_ms, seed)?;
    e.step(trials);
    Ok(e.into_estimate())
}
