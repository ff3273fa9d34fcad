//! The network: directed links with a latency distribution, loss, duplication and a cut state.
//!
//! A partition is a set of cut links; a one-way partition cuts one direction only. Links are
//! FIFO by default (as a TCP connection is): a message is never delivered before one sent
//! earlier on the same link.

use serde::{Deserialize, Serialize};

use crate::rng::SimRng;
use crate::time::{from_ms, Dur, Time};

/// A latency distribution, in milliseconds. The world samples it; protocols never see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    /// Always the same.
    Constant { ms: f64 },
    /// Uniform between the two bounds.
    Uniform { min_ms: f64, max_ms: f64 },
    /// `min_ms` plus an exponential with the given mean (the PBS fits use this shape).
    Exponential {
        mean_ms: f64,
        #[serde(default)]
        min_ms: f64,
    },
    /// Pareto with scale `scale_ms` (the minimum) and shape `shape` (heavier tail when small).
    Pareto { scale_ms: f64, shape: f64 },
    /// A weighted mixture: a part is chosen with probability proportional to its weight.
    Mixture { parts: Vec<WeightedLatency> },
}

/// One part of a [`Latency::Mixture`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedLatency {
    pub weight: f64,
    pub latency: Latency,
}

/// Longest latency a single sample may take (one hour); keeps arithmetic far from overflow.
const MAX_SAMPLE: Dur = 3_600_000_000;

impl Latency {
    /// A constant latency.
    pub fn constant(ms: f64) -> Self {
        Latency::Constant { ms }
    }

    /// Checks the parameters; the error names the problem (the caller adds the path).
    pub fn validate(&self) -> Result<(), String> {
        let ok = |v: f64, name: &str| -> Result<(), String> {
            if v.is_finite() && (0.0..=3_600_000.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be a number of milliseconds between 0 and 3600000, got {v}"))
            }
        };
        match self {
            Latency::Constant { ms } => ok(*ms, "ms"),
            Latency::Uniform { min_ms, max_ms } => {
                ok(*min_ms, "min_ms")?;
                ok(*max_ms, "max_ms")?;
                if max_ms < min_ms {
                    return Err(format!("max_ms ({max_ms}) is below min_ms ({min_ms})"));
                }
                Ok(())
            }
            Latency::Exponential { mean_ms, min_ms } => {
                ok(*mean_ms, "mean_ms")?;
                ok(*min_ms, "min_ms")
            }
            Latency::Pareto { scale_ms, shape } => {
                ok(*scale_ms, "scale_ms")?;
                if !(shape.is_finite() && *shape > 0.0) {
                    return Err(format!("shape must be a positive number, got {shape}"));
                }
                Ok(())
            }
            Latency::Mixture { parts } => {
                if parts.is_empty() {
                    return Err("a mixture needs at least one part".into());
                }
                for (i, p) in parts.iter().enumerate() {
                    if !(p.weight.is_finite() && p.weight > 0.0) {
                        return Err(format!("parts[{i}].weight must be positive, got {}", p.weight));
                    }
                    p.latency.validate().map_err(|e| format!("parts[{i}].latency: {e}"))?;
                }
                Ok(())
            }
        }
    }

    /// Draws one latency in microseconds.
    pub fn sample(&self, rng: &mut SimRng) -> Dur {
        let us = match self {
            Latency::Constant { ms } => from_ms(*ms),
            Latency::Uniform { min_ms, max_ms } => rng.between(from_ms(*min_ms), from_ms(*max_ms)),
            Latency::Exponential { mean_ms, min_ms } => {
                let u = rng.unit();
                from_ms(*min_ms + -mean_ms * libm::log(1.0 - u))
            }
            Latency::Pareto { scale_ms, shape } => {
                let u = rng.unit();
                from_ms(scale_ms / libm::pow(1.0 - u, 1.0 / shape))
            }
            Latency::Mixture { parts } => {
                // Integer weights (parts per million of the total) keep the choice exact.
                let total: f64 = parts.iter().map(|p| p.weight).sum();
                let weights: Vec<u64> = parts.iter().map(|p| ((p.weight / total) * 1e6) as u64 + 1).collect();
                let mut pick = rng.below(weights.iter().sum());
                let mut chosen = &parts[parts.len() - 1].latency;
                for (w, p) in weights.iter().zip(parts) {
                    if pick < *w {
                        chosen = &p.latency;
                        break;
                    }
                    pick -= w;
                }
                chosen.sample(rng)
            }
        };
        us.min(MAX_SAMPLE)
    }
}

/// Configuration of one directed link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    #[serde(default = "default_latency")]
    pub latency: Latency,
    /// Probability in `[0, 1]` that a message is lost.
    #[serde(default)]
    pub loss: f64,
    /// Probability in `[0, 1]` that a message is delivered twice.
    #[serde(default)]
    pub duplicate: f64,
    /// Deliver in sending order (a TCP-like stream). Default true.
    #[serde(default = "yes")]
    pub fifo: bool,
}

fn yes() -> bool {
    true
}

fn default_latency() -> Latency {
    Latency::Constant { ms: 1.0 }
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig { latency: default_latency(), loss: 0.0, duplicate: 0.0, fifo: true }
    }
}

/// A probability in `[0, 1]` as parts per million.
pub fn probability_ppm(p: f64) -> u32 {
    (p.clamp(0.0, 1.0) * 1e6 + 0.5) as u32
}

/// Checks a probability field.
pub fn validate_probability(p: f64, name: &str) -> Result<(), String> {
    if p.is_finite() && (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(format!("{name} must be a probability between 0 and 1, got {p}"))
    }
}

/// The live state of one directed link.
#[derive(Clone, Debug)]
pub struct Link {
    pub latency: Latency,
    pub loss_ppm: u32,
    pub duplicate_ppm: u32,
    pub fifo: bool,
    /// Cut links deliver nothing.
    pub cut: bool,
    /// Latest delivery time scheduled on this link (for FIFO order).
    pub last_delivery: Time,
}

impl Link {
    pub fn new(cfg: &LinkConfig) -> Self {
        Link {
            latency: cfg.latency.clone(),
            loss_ppm: probability_ppm(cfg.loss),
            duplicate_ppm: probability_ppm(cfg.duplicate),
            fifo: cfg.fifo,
            cut: false,
            last_delivery: 0,
        }
    }
}

/// What the network decided for one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Delivered at the given time (and, if duplicated, a second time).
    Deliver { at: Time, again_at: Option<Time> },
    /// Dropped because the link is cut.
    Cut,
    /// Dropped by random loss.
    Lost,
}

/// All directed links of a cluster, `n × n` (the diagonal is unused).
#[derive(Clone, Debug)]
pub struct Network {
    n: usize,
    links: Vec<Link>,
}

impl Network {
    pub fn new(n: usize, default: &LinkConfig) -> Self {
        Network { n, links: (0..n * n).map(|_| Link::new(default)).collect() }
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn link(&self, from: usize, to: usize) -> &Link {
        &self.links[from * self.n + to]
    }

    pub fn link_mut(&mut self, from: usize, to: usize) -> &mut Link {
        &mut self.links[from * self.n + to]
    }

    /// Decides the fate of a message sent now on `from → to`; `slow` multiplies the latency.
    pub fn route(&mut self, from: usize, to: usize, now: Time, slow: u64, rng: &mut SimRng) -> Fate {
        let link = &mut self.links[from * self.n + to];
        if link.cut {
            return Fate::Cut;
        }
        if rng.chance_ppm(link.loss_ppm) {
            return Fate::Lost;
        }
        let mut at = now + link.latency.sample(rng) * slow / 1000;
        if link.fifo {
            at = at.max(link.last_delivery);
        }
        link.last_delivery = link.last_delivery.max(at);
        let again_at = if rng.chance_ppm(link.duplicate_ppm) {
            let again = now + link.latency.sample(rng) * slow / 1000;
            let again = if link.fifo { again.max(link.last_delivery) } else { again };
            link.last_delivery = link.last_delivery.max(again);
            Some(again)
        } else {
            None
        };
        Fate::Deliver { at, again_at }
    }

    /// Delay of a client's request or reply crossing `from → to` on its own connection: the
    /// link's latency (times `slow`), loss and cut state apply, but not the FIFO order of the
    /// replication stream. `None`: lost or cut.
    pub fn client_path(&mut self, from: usize, to: usize, slow: u64, rng: &mut SimRng) -> Option<Dur> {
        let link = &self.links[from * self.n + to];
        if link.cut || rng.chance_ppm(link.loss_ppm) {
            return None;
        }
        Some(link.latency.sample(rng) * slow / 1000)
    }

    /// Cuts every link between nodes of different groups (both directions). Nodes not named in
    /// any group form one more group together.
    pub fn partition(&mut self, groups: &[Vec<usize>]) {
        let mut group_of = vec![usize::MAX; self.n];
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                group_of[m] = g;
            }
        }
        for a in 0..self.n {
            for b in 0..self.n {
                if a != b && group_of[a] != group_of[b] {
                    self.link_mut(a, b).cut = true;
                }
            }
        }
    }

    /// The groups of nodes that can talk to each other both ways, directly or through others
    /// (one group when nothing is cut); each sorted, in order of their lowest node.
    pub fn groups(&self) -> Vec<Vec<usize>> {
        let apart = |a: usize, b: usize| self.link(a, b).cut || self.link(b, a).cut;
        let mut group = vec![usize::MAX; self.n];
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for start in 0..self.n {
            if group[start] != usize::MAX {
                continue;
            }
            let g = groups.len();
            let mut members = vec![start];
            group[start] = g;
            let mut i = 0;
            while i < members.len() {
                let a = members[i];
                for (b, slot) in group.iter_mut().enumerate() {
                    if *slot == usize::MAX && a != b && !apart(a, b) {
                        *slot = g;
                        members.push(b);
                    }
                }
                i += 1;
            }
            crate::sort::sort(&mut members);
            groups.push(members);
        }
        groups
    }

    /// Restores every cut link.
    pub fn heal(&mut self) {
        for l in &mut self.links {
            l.cut = false;
        }
    }

    /// Pairs `(from, to)` of cut links, in order.
    pub fn cut_links(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for a in 0..self.n {
            for b in 0..self.n {
                if a != b && self.link(a, b).cut {
                    out.push((a, b));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean(l: &Latency, n: usize) -> f64 {
        let mut rng = SimRng::new(9);
        (0..n).map(|_| l.sample(&mut rng) as f64).sum::<f64>() / n as f64 / 1000.0
    }

    #[test]
    fn groups_follow_two_way_cuts() {
        let net = |n: usize, cuts: &[(usize, usize)]| {
            let mut net = Network::new(n, &LinkConfig::default());
            for &(a, b) in cuts {
                net.link_mut(a, b).cut = true;
            }
            net.groups()
        };
        assert_eq!(net(3, &[]), vec![vec![0, 1, 2]]);
        // n0 cut off both ways from n1 and n2.
        assert_eq!(net(3, &[(0, 1), (1, 0), (0, 2), (2, 0)]), vec![vec![0], vec![1, 2]]);
        // A one-way cut still splits the pair (they cannot talk both ways).
        assert_eq!(net(2, &[(0, 1)]), vec![vec![0], vec![1]]);
        // Connected through a third node: one group.
        assert_eq!(net(3, &[(0, 1), (1, 0)]), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn distributions_have_the_expected_means() {
        assert_eq!(mean(&Latency::constant(2.5), 10), 2.5);
        let u = mean(&Latency::Uniform { min_ms: 1.0, max_ms: 3.0 }, 20_000);
        assert!((u - 2.0).abs() < 0.05, "{u}");
        let e = mean(&Latency::Exponential { mean_ms: 4.0, min_ms: 1.0 }, 50_000);
        assert!((e - 5.0).abs() < 0.1, "{e}");
        // Pareto mean = scale * shape / (shape - 1) for shape > 1.
        let p = mean(&Latency::Pareto { scale_ms: 1.0, shape: 3.0 }, 100_000);
        assert!((p - 1.5).abs() < 0.05, "{p}");
        let m = mean(
            &Latency::Mixture {
                parts: vec![
                    WeightedLatency { weight: 3.0, latency: Latency::constant(1.0) },
                    WeightedLatency { weight: 1.0, latency: Latency::constant(5.0) },
                ],
            },
            40_000,
        );
        assert!((m - 2.0).abs() < 0.05, "{m}");
    }

    #[test]
    fn fifo_links_never_reorder() {
        let cfg = LinkConfig { latency: Latency::Uniform { min_ms: 0.0, max_ms: 10.0 }, ..Default::default() };
        let mut net = Network::new(2, &cfg);
        let mut rng = SimRng::new(5);
        let mut last = 0;
        for t in 0..1000 {
            if let Fate::Deliver { at, .. } = net.route(0, 1, t * 10, 1000, &mut rng) {
                assert!(at >= last);
                last = at;
            }
        }
    }

    #[test]
    fn partition_cuts_only_across_groups() {
        let mut net = Network::new(5, &LinkConfig::default());
        net.partition(&[vec![0, 1], vec![2, 3]]);
        assert!(!net.link(0, 1).cut && !net.link(3, 2).cut);
        assert!(net.link(0, 2).cut && net.link(2, 0).cut);
        // Node 4 is in no group: it is cut off from both.
        assert!(net.link(4, 0).cut && net.link(2, 4).cut);
        net.heal();
        assert!(net.cut_links().is_empty());
    }

    #[test]
    fn validation_names_the_problem() {
        let e = Latency::Uniform { min_ms: 5.0, max_ms: 1.0 }.validate().unwrap_err();
        assert!(e.contains("max_ms"), "{e}");
        let e = Latency::Constant { ms: f64::NAN }.validate().unwrap_err();
        assert!(e.contains("ms"), "{e}");
    }
}
