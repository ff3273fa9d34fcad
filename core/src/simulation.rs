//! [`Simulation`]: a running scenario of any family behind one type, for the CLI and the web
//! app. Tests that need a family's internals use [`crate::Sim`] directly.

use crate::checkers::Anomaly;
use crate::history::History;
use crate::metrics::Metrics;
use crate::protocols::any::AnyNode;
use crate::protocols::leader_follower::LeaderFollowerNode;
use crate::protocols::leaderless::LeaderlessNode;
use crate::protocols::multi_leader::MultiLeaderNode;
use crate::report::Report;
use crate::scenario::{Command, Fsync, ProtocolConfig, Scenario, ScenarioError};
use crate::sim::Sim;
use crate::time::{from_ms, Time};
use crate::view::Family;
use crate::view::View;

/// A simulation of any replication family. Cloning it takes a checkpoint.
///
/// Natively each family has its own simulator (no dispatch on the hot path); in WebAssembly
/// there is one, over [`AnyNode`], so that the download carries one copy of the simulator
/// instead of three. Both run a scenario alike, to the same trace hash.
#[derive(Clone)]
pub enum Simulation {
    #[cfg(not(target_arch = "wasm32"))]
    LeaderFollower(Sim<LeaderFollowerNode>),
    #[cfg(not(target_arch = "wasm32"))]
    MultiLeader(Sim<MultiLeaderNode>),
    #[cfg(not(target_arch = "wasm32"))]
    Leaderless(Sim<LeaderlessNode>),
    /// Any family on the one simulator (what [`Simulation::new`] builds in WebAssembly, and
    /// [`Simulation::new_single`] everywhere).
    Any(Sim<AnyNode>),
}

macro_rules! each {
    ($self:expr, $sim:ident => $body:expr) => {
        match $self {
            #[cfg(not(target_arch = "wasm32"))]
            Simulation::LeaderFollower($sim) => $body,
            #[cfg(not(target_arch = "wasm32"))]
            Simulation::MultiLeader($sim) => $body,
            #[cfg(not(target_arch = "wasm32"))]
            Simulation::Leaderless($sim) => $body,
            Simulation::Any($sim) => $body,
        }
    };
}

/// When node `i` of `scenario` flushes its writes to disk (`None`: with every write).
fn fsync_of(scenario: &Scenario, i: usize) -> Option<u64> {
    let f = scenario
        .cluster
        .node_overrides
        .iter()
        .rev()
        .find(|o| o.node == i)
        .and_then(|o| o.fsync.clone())
        .unwrap_or_else(|| scenario.cluster.node.fsync.clone());
    match f {
        Fsync::Always => None,
        Fsync::Every { ms } => Some(from_ms(ms).max(1)),
    }
}

/// The nodes of a scenario, of its family's type.
enum FamilyNodes {
    LeaderFollower(Vec<LeaderFollowerNode>),
    MultiLeader(Vec<MultiLeaderNode>),
    Leaderless(Vec<LeaderlessNode>),
}

fn nodes_of(scenario: &Scenario) -> FamilyNodes {
    let n = scenario.cluster.nodes;
    match &scenario.protocol {
        ProtocolConfig::LeaderFollower(cfg) => FamilyNodes::LeaderFollower(
            (0..n).map(|i| LeaderFollowerNode::new(i, n, cfg.clone(), fsync_of(scenario, i))).collect(),
        ),
        ProtocolConfig::MultiLeader(cfg) => FamilyNodes::MultiLeader(
            (0..n).map(|i| MultiLeaderNode::new(i, n, cfg.clone()).with_fsync(fsync_of(scenario, i))).collect(),
        ),
        ProtocolConfig::Leaderless(cfg) => FamilyNodes::Leaderless(
            (0..n).map(|i| LeaderlessNode::new(i, n, cfg.clone()).with_fsync(fsync_of(scenario, i))).collect(),
        ),
    }
}

impl Simulation {
    /// Starts a simulation of a validated scenario: natively on its family's own simulator,
    /// in WebAssembly on the one simulator of every family.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(scenario: &Scenario) -> Simulation {
        match nodes_of(scenario) {
            FamilyNodes::LeaderFollower(nodes) => {
                Simulation::LeaderFollower(Sim::new(Family::LeaderFollower, scenario, nodes))
            }
            FamilyNodes::MultiLeader(nodes) => Simulation::MultiLeader(Sim::new(Family::MultiLeader, scenario, nodes)),
            FamilyNodes::Leaderless(nodes) => Simulation::Leaderless(Sim::new(Family::Leaderless, scenario, nodes)),
        }
    }

    /// Starts a simulation of a validated scenario: natively on its family's own simulator,
    /// in WebAssembly on the one simulator of every family.
    #[cfg(target_arch = "wasm32")]
    pub fn new(scenario: &Scenario) -> Simulation {
        Simulation::new_single(scenario)
    }

    /// Starts a simulation of a validated scenario on the one simulator of every family (what
    /// WebAssembly runs; natively, for tests and benchmarks).
    pub fn new_single(scenario: &Scenario) -> Simulation {
        fn any<N: Into<AnyNode>>(nodes: Vec<N>) -> Vec<AnyNode> {
            nodes.into_iter().map(Into::into).collect()
        }
        let (family, nodes) = match nodes_of(scenario) {
            FamilyNodes::LeaderFollower(nodes) => (Family::LeaderFollower, any(nodes)),
            FamilyNodes::MultiLeader(nodes) => (Family::MultiLeader, any(nodes)),
            FamilyNodes::Leaderless(nodes) => (Family::Leaderless, any(nodes)),
        };
        Simulation::Any(Sim::new(family, scenario, nodes))
    }

    /// Decodes, validates and starts a scenario.
    pub fn from_json(text: &str) -> Result<(Scenario, Simulation), ScenarioError> {
        let scenario = Scenario::from_json(text)?;
        let sim = Simulation::new(&scenario);
        Ok((scenario, sim))
    }

    pub fn family(&self) -> Family {
        each!(self, s => s.family())
    }
    pub fn now(&self) -> Time {
        each!(self, s => s.now())
    }
    pub fn events(&self) -> u64 {
        each!(self, s => s.events())
    }
    pub fn step(&mut self) -> bool {
        each!(self, s => s.step())
    }
    pub fn run_until(&mut self, t: Time) {
        each!(self, s => s.run_until(t))
    }
    /// Applies a command now (see [`Sim::apply`]): refused, changing nothing, when the
    /// scenario's validation would refuse it.
    pub fn apply(&mut self, command: Command) -> Result<(), ScenarioError> {
        each!(self, s => s.apply(command))
    }
    /// Whether [`Simulation::apply`] would take `command`, and if not, why.
    pub fn check_command(&self, command: &Command) -> Result<(), ScenarioError> {
        each!(self, s => s.check_command(command))
    }
    pub fn view(&self) -> View {
        each!(self, s => s.view())
    }
    /// Every (key, value) some node holds (down nodes' durable data included).
    pub fn held_writes(&self) -> std::collections::BTreeSet<(crate::protocol::Key, crate::protocol::Value)> {
        each!(self, s => crate::checkers::lost_write::held_by(s.nodes()).into_iter().flatten().collect())
    }
    /// When the next event is due (none: nothing left to happen).
    pub fn next_event_time(&self) -> Option<Time> {
        each!(self, s => s.next_event_time())
    }
    pub fn trace_hash(&self) -> String {
        each!(self, s => s.trace_hash())
    }
    pub fn history(&self) -> &History {
        each!(self, s => s.history())
    }
    pub fn anomalies(&self) -> &[Anomaly] {
        each!(self, s => s.anomalies())
    }
    pub fn metrics(&self) -> &Metrics {
        each!(self, s => s.metrics())
    }
    pub fn check_now(&mut self) {
        each!(self, s => s.check_now())
    }
    pub fn set_trace_capacity(&mut self, capacity: usize) {
        each!(self, s => s.set_trace_capacity(capacity))
    }
    pub fn trace(&self) -> &crate::trace::Trace {
        each!(self, s => s.trace())
    }
    /// Keeps a structured record of the last `capacity` messages (see [`Sim::set_message_capacity`]).
    pub fn set_message_capacity(&mut self, capacity: usize) {
        each!(self, s => s.set_message_capacity(capacity))
    }
    /// The latest notes on how conflicts were resolved (see [`Sim::resolutions`]).
    pub fn resolutions(&self) -> &std::collections::VecDeque<crate::trace::TraceEntry> {
        each!(self, s => s.resolutions())
    }
    /// Bounds memory on long runs (see [`Sim::set_compaction`]).
    pub fn set_compaction(&mut self, compaction: Option<crate::sim::Compaction>) {
        each!(self, s => s.set_compaction(compaction))
    }
    /// How many anomalies compaction has dropped from the front of [`Simulation::anomalies`].
    pub fn anomalies_dropped(&self) -> usize {
        each!(self, s => s.anomalies_dropped())
    }
    /// How many anomalies of each kind the run found (dropped ones included).
    pub fn anomaly_counts(&self) -> std::collections::BTreeMap<crate::checkers::AnomalyKind, usize> {
        each!(self, s => s.anomaly_counts())
    }
    /// What the simulation holds that grows with the run.
    pub fn footprint(&self) -> crate::sim::Footprint {
        each!(self, s => s.footprint())
    }
    pub fn messages(&self) -> &std::collections::VecDeque<crate::view::MessageRecord> {
        each!(self, s => s.messages())
    }

    /// Runs the end-of-run checkers and builds the report: lost writes, linearizability of the
    /// whole history, and divergence when the cluster has been quiet (no fault, no write) for
    /// at least a second.
    pub fn report(&mut self, scenario_name: &str) -> Report {
        self.check_now();
        each!(self, s => s.check_at_end());
        each!(self, s => s.check_linearizability());
        each!(self, s => if s.quiet_for() >= crate::time::SEC {
            s.check_divergence()
        });
        each!(self, s => Report::build(
            scenario_name,
            s.family().as_str(),
            s.seed(),
            s.trace_hash(),
            s.events(),
            s.now(),
            s.metrics(),
            s.anomalies(),
            &s.anomaly_counts(),
            s.history(),
        ))
    }
}

/// Runs a scenario to `until` (default: its duration) and reports.
pub fn run(scenario: &Scenario, until: Option<Time>) -> Report {
    let mut sim = Simulation::new(scenario);
    sim.run_until(until.unwrap_or_else(|| from_ms(scenario.duration_ms)));
    sim.report(&scenario.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PRESETS;
    use crate::time::SEC;

    /// The one simulator of every family (what WebAssembly runs) runs each preset exactly as
    /// the family's own simulator does: the same trace hash, events, anomalies and report, for
    /// the preset's seed and another, with a checkpoint taken halfway.
    #[test]
    fn the_single_simulator_runs_every_preset_as_the_family_simulators() {
        for preset in PRESETS {
            for seed in [None, Some(7)] {
                let mut scenario = preset.scenario().expect("presets parse");
                if let Some(seed) = seed {
                    scenario.seed = seed;
                }
                let mut own = Simulation::new(&scenario);
                let mut single = Simulation::new_single(&scenario);
                assert!(matches!(single, Simulation::Any(_)));
                assert!(!matches!(own, Simulation::Any(_)));
                own.run_until(4 * SEC);
                single.run_until(4 * SEC);
                let mut single = single.clone();
                own.run_until(8 * SEC);
                single.run_until(8 * SEC);
                let what = format!("{} (seed {:?})", preset.name, seed);
                assert_eq!(single.family(), own.family(), "{what}");
                assert_eq!(single.trace_hash(), own.trace_hash(), "{what}");
                assert_eq!(single.events(), own.events(), "{what}");
                assert_eq!(single.anomalies(), own.anomalies(), "{what}");
                let (a, b) = (single.report(&scenario.name), own.report(&scenario.name));
                assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap(), "{what}");
            }
        }
    }
}
