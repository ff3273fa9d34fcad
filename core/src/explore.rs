//! The fault explorer: random fault schedules over a scenario's cluster, the properties that
//! must hold for its configuration, and shrinking of a schedule that breaks one.
//!
//! A schedule is a list of [`Fault`]s, each applied at one moment and undone at a later one
//! (crash/restart, pause/resume, a partition, a one-way cut, a lossy and duplicating link, a
//! slow node, a skewed and drifting clock), followed by a heal of everything and a quiet
//! period with no faults and no writes. [`properties`] says what must hold for a
//! configuration under a schedule; [`check`] runs one schedule and finds the first property
//! broken; [`shrink`] removes faults and shortens them while the same property stays broken.
//! Everything here is deterministic: the same base scenario, seed and schedule give the same
//! verdict on every machine.

use serde::{Deserialize, Serialize};

use crate::checkers::AnomalyKind;
use crate::conflict::ConflictResolution;
use crate::protocol::NodeId;
use crate::protocol::ReadConcern;
use crate::protocols::leader_follower::{AckPolicy, Failover, LeaderFollowerConfig};
use crate::protocols::leaderless::LeaderlessConfig;
use crate::protocols::multi_leader::{MultiLeaderConfig, Topology};
use crate::rng::SimRng;
use crate::scenario::{
    ClientConfig, Command, Fsync, ProtocolConfig, Scenario, SessionConfig, TimedCommand, WorkloadConfig,
};
use crate::simulation::Simulation;
use crate::time::from_ms;

/// When faults may start, and how long the run goes on after they are healed.
pub const FAULTS_FROM_MS: f64 = 200.0;
/// Faults end (everything is healed) this long into the run...
pub const HEAL_AT_MS: f64 = 2_500.0;
/// ...and the run ends after a quiet period.
pub const DURATION_MS: f64 = 4_000.0;
/// A run may take at most this many times the events of the same run without faults.
pub const EVENT_FACTOR: u64 = 10;

/// Something that must hold for a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    /// The simulator never panics.
    NoPanic,
    /// No run takes more than [`EVENT_FACTOR`] times the events of the same run without faults.
    BoundedEvents,
    /// No acknowledged write is lost.
    NoLostWrite,
    /// No two leaders accept writes at the same time.
    OneLeader,
    /// No read misses a write acknowledged before it began.
    NoStaleRead,
    /// After the faults heal and the cluster goes quiet, every replica agrees.
    Converges,
    /// Every key's history is linearizable.
    Linearizable,
}

impl Property {
    pub const ALL: [Property; 7] = [
        Property::NoPanic,
        Property::BoundedEvents,
        Property::NoLostWrite,
        Property::OneLeader,
        Property::NoStaleRead,
        Property::Converges,
        Property::Linearizable,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Property::NoPanic => "no_panic",
            Property::BoundedEvents => "bounded_events",
            Property::NoLostWrite => "no_lost_write",
            Property::OneLeader => "one_leader",
            Property::NoStaleRead => "no_stale_read",
            Property::Converges => "converges",
            Property::Linearizable => "linearizable",
        }
    }

    pub fn from_name(name: &str) -> Option<Property> {
        Property::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The anomaly that breaks this property, if an anomaly does.
    fn anomaly(self) -> Option<AnomalyKind> {
        match self {
            Property::NoLostWrite => Some(AnomalyKind::LostWrite),
            Property::OneLeader => Some(AnomalyKind::SplitBrain),
            Property::NoStaleRead => Some(AnomalyKind::StaleRead),
            Property::Converges => Some(AnomalyKind::Divergence),
            Property::Linearizable => Some(AnomalyKind::NotLinearizable),
            Property::NoPanic | Property::BoundedEvents => None,
        }
    }
}

/// One fault, applied at `at_ms` and undone at `until_ms`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub at_ms: f64,
    pub until_ms: f64,
    pub kind: FaultKind,
}

/// What a fault does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Crash {
        node: NodeId,
    },
    Pause {
        node: NodeId,
    },
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    /// One-way: messages from `from` to `to` are dropped.
    Cut {
        from: NodeId,
        to: NodeId,
    },
    /// Both ways between two nodes: loss and duplication.
    Flaky {
        from: NodeId,
        to: NodeId,
        loss: f64,
        duplicate: f64,
    },
    Slow {
        node: NodeId,
        factor: f64,
    },
    Clock {
        node: NodeId,
        skew_ms: f64,
        drift_ppm: f64,
    },
}

impl FaultKind {
    fn commands(&self) -> (Command, Command) {
        match self.clone() {
            FaultKind::Crash { node } => (Command::Crash { node }, Command::Restart { node }),
            FaultKind::Pause { node } => (Command::Pause { node }, Command::Resume { node }),
            FaultKind::Partition { groups } => (Command::Partition { groups }, Command::Heal {}),
            FaultKind::Cut { from, to } => {
                (Command::Cut { from, to, both: false }, Command::Uncut { from, to, both: false })
            }
            FaultKind::Flaky { from, to, loss, duplicate } => (
                Command::Link { from, to, both: true, latency: None, loss: Some(loss), duplicate: Some(duplicate) },
                Command::Link { from, to, both: true, latency: None, loss: Some(0.0), duplicate: Some(0.0) },
            ),
            FaultKind::Slow { node, factor } => (Command::Slow { node, factor }, Command::Slow { node, factor: 1.0 }),
            FaultKind::Clock { node, skew_ms, drift_ppm } => {
                (Command::Clock { node, skew_ms, drift_ppm }, Command::Clock { node, skew_ms: 0.0, drift_ppm: 0.0 })
            }
        }
    }
}

/// Random faults for a cluster of `n` nodes (between one and `max` of them).
pub fn random_faults(seed: u64, n: usize, max: usize) -> Vec<Fault> {
    let mut rng = SimRng::new(seed ^ 0xfa17_5eed);
    let count = 1 + rng.below(max.max(1) as u64) as usize;
    let span = (HEAL_AT_MS - FAULTS_FROM_MS) as u64;
    let mut faults = Vec::with_capacity(count);
    for _ in 0..count {
        let at_ms = FAULTS_FROM_MS + rng.below(span) as f64;
        let until_ms = at_ms + ((HEAL_AT_MS - at_ms) * rng.unit()).max(1.0).round();
        let node = rng.below(n as u64) as usize;
        let other = if n > 1 { (node + 1 + rng.below(n as u64 - 1) as usize) % n } else { node };
        let kind = match rng.below(7) {
            0 => FaultKind::Crash { node },
            1 => FaultKind::Pause { node },
            2 => {
                let mut groups = vec![vec![], vec![]];
                for i in 0..n {
                    groups[rng.below(2) as usize].push(i);
                }
                FaultKind::Partition { groups }
            }
            3 => FaultKind::Cut { from: node, to: other },
            4 => FaultKind::Flaky {
                from: node,
                to: other,
                loss: (rng.below(50) as f64) / 100.0,
                duplicate: (rng.below(50) as f64) / 100.0,
            },
            5 => FaultKind::Slow { node, factor: 2.0 + rng.below(30) as f64 },
            _ => FaultKind::Clock {
                node,
                skew_ms: rng.below(4_000) as f64 - 2_000.0,
                drift_ppm: rng.below(1_000) as f64 - 500.0,
            },
        };
        if n > 1 || !matches!(kind, FaultKind::Cut { .. } | FaultKind::Flaky { .. }) {
            faults.push(Fault { at_ms, until_ms: until_ms.min(HEAL_AT_MS), kind });
        }
    }
    faults
}

/// The base scenario under a schedule: its faults, then a heal of everything at
/// [`HEAL_AT_MS`], the workload stopped there, and a quiet period to [`DURATION_MS`].
pub fn apply(base: &Scenario, faults: &[Fault]) -> Scenario {
    let mut s = base.clone();
    let n = s.cluster.nodes;
    s.duration_ms = DURATION_MS;
    if let Some(w) = s.workload.as_mut() {
        w.stop_ms = Some(w.stop_ms.map_or(HEAL_AT_MS, |t| t.min(HEAL_AT_MS)));
    }
    s.commands.retain(|c| c.at_ms < FAULTS_FROM_MS);
    for f in faults {
        let (fault, undo) = f.kind.commands();
        s.commands.push(TimedCommand { at_ms: f.at_ms, command: fault });
        s.commands.push(TimedCommand { at_ms: f.until_ms, command: undo });
    }
    // Heal whatever overlapping faults left behind (each command here is a no-op unless it is
    // needed, and says so in the trace).
    let heal = |command| TimedCommand { at_ms: HEAL_AT_MS, command };
    let mut crashed = vec![false; n];
    let mut paused = vec![false; n];
    for f in faults {
        match f.kind {
            FaultKind::Crash { node } => crashed[node] = true,
            FaultKind::Pause { node } => paused[node] = true,
            _ => {}
        }
    }
    for node in 0..n {
        if crashed[node] {
            s.commands.push(heal(Command::Restart { node }));
        }
        if paused[node] {
            s.commands.push(heal(Command::Resume { node }));
        }
    }
    if faults.iter().any(|f| matches!(f.kind, FaultKind::Partition { .. } | FaultKind::Cut { .. })) {
        s.commands.push(heal(Command::Heal {}));
    }
    crate::sort::sort_by(&mut s.commands, |a, b| a.at_ms.total_cmp(&b.at_ms));
    s
}

/// Whether a schedule skews any clock.
fn skews_clocks(faults: &[Fault]) -> bool {
    faults.iter().any(|f| matches!(f.kind, FaultKind::Clock { .. }))
}

/// The properties that must hold for this configuration under this schedule. Last write wins
/// trusts clocks, so under a schedule that skews them the properties it would break are not
/// expected; nor is durability of what a node had not flushed.
pub fn properties(s: &Scenario, faults: &[Fault]) -> Vec<Property> {
    let mut out = vec![Property::NoPanic, Property::BoundedEvents];
    let durable = s.cluster.node.fsync == Fsync::Always && s.cluster.node_overrides.iter().all(|o| o.fsync.is_none());
    let clocks_ok = !skews_clocks(faults);
    match &s.protocol {
        ProtocolConfig::LeaderFollower(cfg) => {
            let safe_acks = matches!(cfg.ack, AckPolicy::Majority | AckPolicy::Sync);
            if matches!(cfg.failover, Failover::Election { .. }) && cfg.coordinator().is_none() {
                if safe_acks && durable {
                    out.extend([Property::NoLostWrite, Property::OneLeader]);
                }
                out.push(Property::Converges);
            }
        }
        ProtocolConfig::MultiLeader(cfg) => {
            let lww = cfg.conflicts == ConflictResolution::Lww
                || cfg.key_spaces.iter().any(|k| k.conflicts == ConflictResolution::Lww);
            let arrival = cfg.conflicts == ConflictResolution::LastArrival
                || cfg.key_spaces.iter().any(|k| k.conflicts == ConflictResolution::LastArrival);
            if durable && (clocks_ok || !lww) && !arrival {
                out.push(Property::NoLostWrite);
            }
            if !arrival {
                out.push(Property::Converges);
            }
        }
        ProtocolConfig::Leaderless(cfg) => {
            let strict = cfg.w + cfg.r > cfg.replicas && !cfg.sloppy_quorum && cfg.tombstone_grace_ms.is_none();
            let clocks_ok = clocks_ok || cfg.resolution == ConflictResolution::Siblings;
            if strict && durable && clocks_ok {
                out.extend([Property::NoLostWrite, Property::NoStaleRead]);
            }
            // Every update a lightweight transaction and every read serial: Paxos orders them
            // whatever the clocks say.
            let lwt = cfg.resolution == ConflictResolution::Lww
                && s.workload.as_ref().is_some_and(|w| w.cas_fraction >= 1.0 && w.delete_fraction == 0.0)
                && s.clients().iter().all(|c| c.session.read_concern == ReadConcern::Linearizable);
            if lwt && durable {
                for p in [Property::NoLostWrite, Property::NoStaleRead, Property::Linearizable] {
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
            if cfg.anti_entropy_ms.is_some() && cfg.tombstone_grace_ms.is_none() {
                out.push(Property::Converges);
            }
        }
    }
    out
}

/// A broken property, and what broke it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    pub property: Property,
    pub explanation: String,
}

/// What running one schedule found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checked {
    /// The properties that were checked.
    pub properties: Vec<Property>,
    pub events: u64,
    /// Events of the same run without faults.
    pub baseline_events: u64,
    pub violation: Option<Violation>,
}

/// Runs a scenario, stopping once it passes `limit` events; returns the simulation and
/// whether it stopped early.
fn run_bounded(s: &Scenario, limit: u64) -> (Simulation, bool) {
    let mut sim = Simulation::new(s);
    let end = from_ms(s.duration_ms);
    let chunk = from_ms(50.0);
    let mut t = 0;
    while t < end {
        t = (t + chunk).min(end);
        sim.run_until(t);
        if sim.events() > limit {
            return (sim, true);
        }
    }
    (sim, false)
}

/// Runs the base scenario under a schedule and checks the properties its configuration must
/// keep, or with `only` that one property (whether the configuration promises it or not: a
/// way to find how it breaks) besides no panic and bounded events.
pub fn check(base: &Scenario, faults: &[Fault], only: Option<Property>) -> Checked {
    let props = match only {
        Some(p) => {
            let mut v = vec![Property::NoPanic, Property::BoundedEvents];
            if !v.contains(&p) {
                v.push(p);
            }
            v
        }
        None => properties(&apply(base, faults), faults),
    };
    check_properties(base, faults, props)
}

/// Runs the base scenario under a schedule and checks the given properties. A panic is
/// caught and reported as a broken [`Property::NoPanic`].
pub fn check_properties(base: &Scenario, faults: &[Fault], props: Vec<Property>) -> Checked {
    let s = apply(base, faults);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut quiet = s.clone();
        quiet.commands.clear();
        let (calm, _) = run_bounded(&quiet, u64::MAX);
        let baseline = calm.events();
        let limit = baseline.max(1_000).saturating_mul(EVENT_FACTOR);
        let (mut sim, runaway) = run_bounded(&s, limit);
        if runaway {
            let v = Violation {
                property: Property::BoundedEvents,
                explanation: format!(
                    "{} events by {:.0} ms, over {EVENT_FACTOR} times the {baseline} of the whole run without faults",
                    sim.events(),
                    crate::time::to_ms(sim.now())
                ),
            };
            return (sim.events(), baseline, Some(v));
        }
        let report = sim.report(&s.name);
        let violation = props.iter().find_map(|&p| {
            let kind = p.anomaly()?;
            let a = report.anomalies.iter().find(|a| a.kind == kind.name())?;
            Some(Violation { property: p, explanation: a.explanation.clone() })
        });
        (sim.events(), baseline, violation)
    }));
    match result {
        Ok((events, baseline_events, violation)) => Checked { properties: props, events, baseline_events, violation },
        Err(payload) => {
            let what = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic".into());
            Checked {
                properties: props,
                events: 0,
                baseline_events: 0,
                violation: Some(Violation {
                    property: Property::NoPanic,
                    explanation: format!("the simulator panicked: {what}"),
                }),
            }
        }
    }
}

/// Shrinks a schedule that breaks `property`: drops faults, then shortens the ones left, as
/// long as the same property stays broken. At most `budget` runs.
pub fn shrink(base: &Scenario, faults: &[Fault], property: Property, budget: usize) -> Vec<Fault> {
    let mut best = faults.to_vec();
    let mut runs = 0;
    let fails = |candidate: &[Fault], runs: &mut usize| {
        *runs += 1;
        check_properties(base, candidate, vec![property]).violation.is_some_and(|v| v.property == property)
    };
    // Drop faults, one at a time, until none can go.
    let mut progress = true;
    while progress && runs < budget {
        progress = false;
        let mut i = 0;
        while i < best.len() && runs < budget {
            let mut candidate = best.clone();
            candidate.remove(i);
            if fails(&candidate, &mut runs) {
                best = candidate;
                progress = true;
            } else {
                i += 1;
            }
        }
    }
    // Shorten each fault: halve it while the property stays broken.
    for i in 0..best.len() {
        while runs < budget {
            let f = &best[i];
            let half = ((f.until_ms - f.at_ms) / 2.0).round();
            if half < 1.0 {
                break;
            }
            let mut candidate = best.clone();
            candidate[i].until_ms = f.at_ms + half;
            if fails(&candidate, &mut runs) {
                best = candidate;
            } else {
                break;
            }
        }
    }
    best
}

/// The built-in families the sweeps explore, each a base scenario per schedule seed (the
/// multi-leader family cycles through every conflict resolution and topology).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepFamily {
    /// Five nodes, majority acknowledgements, elections.
    LfMajority,
    /// Three nodes, synchronous replication, elections.
    LfSync,
    MultiLeader,
    /// Five nodes, N = 3 with W + R > N.
    LlStrict,
    /// Five nodes, N = 3, every update a lightweight transaction (Paxos compare-and-set) and
    /// every read serial, on three keys.
    LlLwt,
}

impl SweepFamily {
    pub const ALL: [SweepFamily; 5] = [
        SweepFamily::LfMajority,
        SweepFamily::LfSync,
        SweepFamily::MultiLeader,
        SweepFamily::LlStrict,
        SweepFamily::LlLwt,
    ];

    /// The name the command line takes.
    pub fn name(self) -> &'static str {
        match self {
            SweepFamily::LfMajority => "lf-majority",
            SweepFamily::LfSync => "lf-sync",
            SweepFamily::MultiLeader => "multi-leader",
            SweepFamily::LlStrict => "ll-strict",
            SweepFamily::LlLwt => "ll-lwt",
        }
    }

    pub fn from_name(name: &str) -> Option<SweepFamily> {
        SweepFamily::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl std::fmt::Display for SweepFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A family's base scenario for one schedule seed.
pub fn family(family: SweepFamily, seed: u64) -> Scenario {
    let mut s = base_scenario(seed);
    match family {
        SweepFamily::LfMajority | SweepFamily::LfSync => {
            let majority = family == SweepFamily::LfMajority;
            let ack = if majority { AckPolicy::Majority } else { AckPolicy::Sync };
            s.cluster.nodes = if majority { 5 } else { 3 };
            s.protocol = ProtocolConfig::LeaderFollower(LeaderFollowerConfig {
                ack,
                failover: Failover::Election { timeout_ms: [150.0, 300.0] },
                ..Default::default()
            });
        }
        SweepFamily::MultiLeader => {
            let conflicts = [
                ConflictResolution::Lww,
                ConflictResolution::Siblings,
                ConflictResolution::Counter,
                ConflictResolution::LastArrival,
            ];
            let topologies = [Topology::AllToAll, Topology::Ring, Topology::Star { hub: 0 }];
            let v = seed as usize % (conflicts.len() * topologies.len());
            s.protocol = ProtocolConfig::MultiLeader(MultiLeaderConfig {
                conflicts: conflicts[v % conflicts.len()],
                topology: topologies[v / conflicts.len()].clone(),
                ..Default::default()
            });
        }
        SweepFamily::LlStrict => {
            s.cluster.nodes = 5;
            let (w, r) = [(2, 2), (3, 1), (1, 3)][seed as usize % 3];
            let resolution = if seed % 2 == 0 { ConflictResolution::Lww } else { ConflictResolution::Siblings };
            s.protocol = ProtocolConfig::Leaderless(LeaderlessConfig {
                replicas: 3,
                w,
                r,
                resolution,
                anti_entropy_ms: Some(200.0),
                ..Default::default()
            });
            if let Some(w) = s.workload.as_mut() {
                w.read_fraction = 0.5;
            }
        }
        SweepFamily::LlLwt => {
            s.cluster.nodes = 5;
            s.protocol = ProtocolConfig::Leaderless(LeaderlessConfig {
                replicas: 3,
                request_timeout_ms: 1_000.0,
                ..Default::default()
            });
            s.clients = Some(
                s.clients()
                    .into_iter()
                    .map(|c| ClientConfig {
                        timeout_ms: 2_000.0,
                        session: SessionConfig { read_concern: ReadConcern::Linearizable, ..Default::default() },
                        ..c
                    })
                    .collect(),
            );
            if let Some(w) = s.workload.as_mut() {
                w.cas_fraction = 1.0;
                w.keys = 3;
            }
        }
    }
    s.name = format!("explore-{}", family.name());
    s
}

fn base_scenario(seed: u64) -> Scenario {
    let mut s = Scenario::from_json(
        r#"{"format":"replicalab-scenario","version":1,"name":"explore","seed":0,"duration_ms":4000,
            "cluster":{"nodes":3,"network":{"latency":{"uniform":{"min_ms":1,"max_ms":8}}}},
            "protocol":{"leader_follower":{}}}"#,
    )
    .expect("the explorer's base scenario is valid");
    s.seed = seed;
    s.description = "a base scenario of the fault explorer".into();
    s.workload = Some(WorkloadConfig {
        rate_per_s: 120.0,
        read_fraction: 0.3,
        delete_fraction: 0.0,
        cas_fraction: 0.0,
        keys: 5,
        key_distribution: Default::default(),
        arrivals: Default::default(),
        read_from: Default::default(),
        clients: None,
        stop_ms: None,
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_heals_everything_and_leaves_a_quiet_period() {
        for seed in 0..200 {
            let base = family(SweepFamily::ALL[seed as usize % SweepFamily::ALL.len()], seed);
            let faults = random_faults(seed, base.cluster.nodes, 6);
            assert!(!faults.is_empty());
            let s = apply(&base, &faults);
            s.validate().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert!(s.commands.iter().all(|c| c.at_ms <= HEAL_AT_MS), "seed {seed}");
            assert_eq!(s.workload.as_ref().unwrap().stop_ms, Some(HEAL_AT_MS));
        }
    }

    #[test]
    fn clock_faults_lift_the_properties_last_write_wins_cannot_keep() {
        let base = family(SweepFamily::LlStrict, 0);
        let clock = [Fault {
            at_ms: 300.0,
            until_ms: 900.0,
            kind: FaultKind::Clock { node: 0, skew_ms: 900.0, drift_ppm: 0.0 },
        }];
        let crash = [Fault { at_ms: 300.0, until_ms: 900.0, kind: FaultKind::Crash { node: 0 } }];
        assert!(properties(&base, &crash).contains(&Property::NoStaleRead));
        assert!(!properties(&base, &clock).contains(&Property::NoStaleRead));
        let siblings = family(SweepFamily::LlStrict, 1);
        assert!(properties(&siblings, &clock).contains(&Property::NoStaleRead));
    }
}
