//! One WARS Monte Carlo trial: a write to `N` replicas, then a read `t` after it commits.

use crate::rng::SimRng;

use super::profiles::Latencies;
use super::{PbsError, Profile};

/// Largest replica count accepted.
pub const MAX_REPLICAS: usize = 1000;

/// A validated quorum configuration: `N` replicas, reads wait for `R`, writes for `W`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarsConfig {
    n: usize,
    r: usize,
    w: usize,
    profile: Profile,
}

impl WarsConfig {
    /// Checks `1 <= N <= MAX_REPLICAS` and `R, W` in `1..=N`.
    pub fn new(n: i64, r: i64, w: i64, profile: Profile) -> Result<Self, PbsError> {
        if n < 1 || n > MAX_REPLICAS as i64 {
            return Err(PbsError::Replicas(n));
        }
        if r < 1 || r > n {
            return Err(PbsError::ReadQuorum { r, n });
        }
        if w < 1 || w > n {
            return Err(PbsError::WriteQuorum { w, n });
        }
        Ok(WarsConfig { n: n as usize, r: r as usize, w: w as usize, profile })
    }

    pub fn n(&self) -> usize {
        self.n
    }

    pub fn r(&self) -> usize {
        self.r
    }

    pub fn w(&self) -> usize {
        self.w
    }

    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Strict quorums (`R + W > N`) always overlap: every read is consistent.
    pub fn is_strict(&self) -> bool {
        self.r + self.w > self.n
    }
}

/// One of the first `R` replicas to answer the read: its write delay `W[i]` and read request
/// delay `R[i]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Responder {
    pub w_ms: f64,
    pub r_ms: f64,
}

/// The outcome of one trial. Times are in milliseconds from the start of the operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trial<'a> {
    /// `w_t`: when the coordinator holds `W` acknowledgements.
    pub write_ms: f64,
    /// When the coordinator holds `R` read responses (the read's latency).
    pub read_ms: f64,
    /// The first `R` replicas to answer the read.
    pub responders: &'a [Responder],
}

impl Trial<'_> {
    /// Whether a read started `t_ms` after the write committed returns the write: some early
    /// responder got the read request no sooner than the write, `w_t + t + R[i] >= W[i]`.
    #[inline]
    pub fn consistent_at(&self, t_ms: f64) -> bool {
        let start = self.write_ms + t_ms;
        self.responders.iter().any(|x| start + x.r_ms >= x.w_ms)
    }

    /// The staleness window: the smallest `t >= 0` at which the read is consistent,
    /// `max(0, min_i (W[i] - R[i]) - w_t)` over the early responders (up to rounding).
    pub fn window_ms(&self) -> f64 {
        let earliest = self.responders.iter().map(|x| x.w_ms - x.r_ms).fold(f64::INFINITY, f64::min);
        (earliest - self.write_ms).max(0.0)
    }
}

/// Draws WARS trials for one configuration. Owns its scratch space, so a trial allocates nothing.
#[derive(Clone, Debug)]
pub struct Wars {
    cfg: WarsConfig,
    lat: Latencies,
    /// `W[i]`, `R[i]` per replica.
    w: Vec<f64>,
    r: Vec<f64>,
    /// `W[i] + A[i]`, selected in place.
    write_rtt: Vec<f64>,
    /// `(R[i] + S[i], i)`, selected in place.
    read_rtt: Vec<(f64, u32)>,
    responders: Vec<Responder>,
}

impl Wars {
    pub fn new(cfg: WarsConfig) -> Self {
        let n = cfg.n;
        Wars {
            lat: cfg.profile.latencies(),
            cfg,
            w: vec![0.0; n],
            r: vec![0.0; n],
            write_rtt: vec![0.0; n],
            read_rtt: vec![(0.0, 0); n],
            responders: Vec::with_capacity(cfg.r),
        }
    }

    pub fn config(&self) -> &WarsConfig {
        &self.cfg
    }

    /// Runs one trial. Random draws, in order: for `wan`, the write's local replica then the
    /// read's (each uniform in `0..N`); then for each replica `i` in `0..N`: `W[i]`, `A[i]`,
    /// `R[i]`, `S[i]`.
    pub fn trial(&mut self, rng: &mut SimRng) -> Trial<'_> {
        let n = self.cfg.n;
        let (remote, write_local, read_local) = match self.lat.remote_one_way_ms {
            Some(d) => (d, rng.below(n as u64) as usize, rng.below(n as u64) as usize),
            None => (0.0, usize::MAX, usize::MAX),
        };
        for i in 0..n {
            let mut w = self.lat.w.sample(rng);
            let mut a = self.lat.a.sample(rng);
            let mut r = self.lat.r.sample(rng);
            let mut s = self.lat.s.sample(rng);
            if write_local != usize::MAX {
                if i != write_local {
                    w += remote;
                    a += remote;
                }
                if i != read_local {
                    r += remote;
                    s += remote;
                }
            }
            self.w[i] = w;
            self.r[i] = r;
            self.write_rtt[i] = w + a;
            self.read_rtt[i] = (r + s, i as u32);
        }

        // w_t: the W-th smallest W[i] + A[i].
        let (_, &mut write_ms, _) = self.write_rtt.select_nth_unstable_by(self.cfg.w - 1, f64::total_cmp);

        // The first R responders by R[i] + S[i] (ties by replica index); the read completes with
        // the R-th.
        let (first, &mut (read_ms, last), _) =
            self.read_rtt.select_nth_unstable_by(self.cfg.r - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.responders.clear();
        for &(_, i) in first.iter() {
            self.responders.push(Responder { w_ms: self.w[i as usize], r_ms: self.r[i as usize] });
        }
        self.responders.push(Responder { w_ms: self.w[last as usize], r_ms: self.r[last as usize] });

        Trial { write_ms, read_ms, responders: &self.responders }
    }
}
