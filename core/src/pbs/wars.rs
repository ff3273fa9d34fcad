//! One WARS Monte Carlo trial: a write to `N` replicas, then a read `t` after it commits.

use crate::rng::SimRng;

use super::profiles::Latencies;
use super::{PbsError, Profile};

/// Largest replica count accepted.
pub const MAX_REPLICAS: usize = 1000;

/// Up to this many replicas, a trial orders its round trips by counting ranks without
/// branches (`N²` comparisons; random data makes a branching sort mispredict about once per
/// comparison); beyond, by selection.
const RANK_UP_TO: usize = 8;

/// `order[k]` = the index of the `k`-th smallest of `xs`, ties by index (`xs.len() <=`
/// [`RANK_UP_TO`]; samples are finite and `>= 0`, so `<` orders them as `total_cmp` does).
#[inline]
fn order_by_rank(xs: &[f64], order: &mut [u32; RANK_UP_TO]) {
    for (i, &x) in xs.iter().enumerate() {
        // Those before `i` go first when equal; those after only when smaller.
        let before = xs[..i].iter().filter(|&&y| y <= x).count();
        let after = xs[i + 1..].iter().filter(|&&y| y < x).count();
        order[before + after] = i as u32;
    }
}

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
    /// `W[i]`, `A[i]`, `R[i]`, `S[i]` per replica.
    w: Vec<f64>,
    a: Vec<f64>,
    r: Vec<f64>,
    s: Vec<f64>,
    /// `W[i] + A[i]` and `(R[i] + S[i], i)`, selected in place (more than [`RANK_UP_TO`]
    /// replicas).
    write_rtt: Vec<f64>,
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
            a: vec![0.0; n],
            r: vec![0.0; n],
            s: vec![0.0; n],
            write_rtt: vec![0.0; n],
            read_rtt: vec![(0.0, 0); n],
            responders: Vec::with_capacity(cfg.r),
        }
    }

    pub fn config(&self) -> &WarsConfig {
        &self.cfg
    }

    /// Runs one trial. Random draws, in order: for `wan`, the write's local replica then the
    /// read's (each uniform in `0..N`); then `W[i]` for each replica `i` in `0..N`, then
    /// `A[i]`, `R[i]` and `S[i]` likewise.
    pub fn trial(&mut self, rng: &mut SimRng) -> Trial<'_> {
        let n = self.cfg.n;
        let local = self.lat.remote_one_way_ms.map(|d| (d, rng.below(n as u64) as usize, rng.below(n as u64) as usize));
        self.lat.w.fill(rng, &mut self.w);
        self.lat.a.fill(rng, &mut self.a);
        self.lat.r.fill(rng, &mut self.r);
        self.lat.s.fill(rng, &mut self.s);
        if let Some((remote, write_local, read_local)) = local {
            for i in (0..n).filter(|&i| i != write_local) {
                self.w[i] += remote;
                self.a[i] += remote;
            }
            for i in (0..n).filter(|&i| i != read_local) {
                self.r[i] += remote;
                self.s[i] += remote;
            }
        }
        // w_t: the W-th smallest W[i] + A[i]. The first R responders by R[i] + S[i] (ties by
        // replica index); the read completes with the R-th.
        let (w, r) = (self.cfg.w, self.cfg.r);
        self.responders.clear();
        let (write_ms, read_ms) = if n <= RANK_UP_TO {
            let mut write_rtt = [0.0; RANK_UP_TO];
            let mut read_rtt = [0.0; RANK_UP_TO];
            for i in 0..n {
                write_rtt[i] = self.w[i] + self.a[i];
                read_rtt[i] = self.r[i] + self.s[i];
            }
            let mut order = [0u32; RANK_UP_TO];
            order_by_rank(&write_rtt[..n], &mut order);
            let write_ms = write_rtt[order[w - 1] as usize];
            order_by_rank(&read_rtt[..n], &mut order);
            for &i in &order[..r] {
                self.responders.push(Responder { w_ms: self.w[i as usize], r_ms: self.r[i as usize] });
            }
            (write_ms, read_rtt[order[r - 1] as usize])
        } else {
            for i in 0..n {
                self.write_rtt[i] = self.w[i] + self.a[i];
                self.read_rtt[i] = (self.r[i] + self.s[i], i as u32);
            }
            let by_time_then_index = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
            let (_, &mut write_ms, _) = self.write_rtt.select_nth_unstable_by(w - 1, f64::total_cmp);
            let (_, &mut (read_ms, _), _) = self.read_rtt.select_nth_unstable_by(r - 1, by_time_then_index);
            for &(_, i) in &self.read_rtt[..r] {
                self.responders.push(Responder { w_ms: self.w[i as usize], r_ms: self.r[i as usize] });
            }
            (write_ms, read_ms)
        };

        Trial { write_ms, read_ms, responders: &self.responders }
    }
}
