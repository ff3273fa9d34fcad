//! The settings form's model: a handful of typed choices that build a complete [`Scenario`]
//! from the core's own configuration types. The scenario goes through the core's validation
//! ([`Scenario::validate`]), so whatever the form allows, a bad combination (W larger than N, k
//! larger than the followers) comes back as the core's message naming the field, never as a
//! panic. Tested natively.

use replicalab_core::choices::{
    AckChoice, Choice, FailoverChoice, FencingChoice, LatencyModel, SessionChoice, TopologyChoice,
};
use replicalab_core::conflict::ConflictResolution;
use replicalab_core::net::{Latency, LinkConfig, WeightedLatency};
use replicalab_core::protocol::ReadFrom;
use replicalab_core::protocols::leader_follower::LeaderFollowerConfig;
use replicalab_core::protocols::leaderless::LeaderlessConfig;
use replicalab_core::protocols::multi_leader::MultiLeaderConfig;
use replicalab_core::scenario::{ClientConfig, ClusterConfig, ProtocolConfig, WorkloadConfig, FORMAT, VERSION};
use replicalab_core::view::Family;
use replicalab_core::Scenario;

/// Most nodes the form offers (the core allows more, the screen does not).
pub const MAX_NODES: usize = 50;

/// How concurrent writes are resolved in a multi-leader cluster built here: the register
/// resolutions. The merge types (counters, sets, multi-value registers) come with presets
/// such as `ml-crdt-merge`.
pub const MULTI_LEADER_CONFLICTS: &[ConflictResolution] =
    &[ConflictResolution::Lww, ConflictResolution::Siblings, ConflictResolution::LastArrival];

/// The length of the leader lease that [`FencingChoice::Lease`] sets.
pub const LEASE_MS: f64 = 200.0;

/// How long a custom scenario runs, in milliseconds.
const DURATION_MS: f64 = 10_000.0;

/// Everything the settings form lets a user choose, as the core's own types.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub family: Family,
    pub nodes: usize,
    pub seed: u64,
    /// The link latency distribution: constant (min), uniform (min–max), exponential (min
    /// plus an exponential whose mean is max − min), Pareto (scale min, shape `pareto_shape`:
    /// a heavy tail) or a slow tail (uniform min–max, except `tail_percent` of messages take
    /// `tail_ms`).
    pub latency_model: LatencyModel,
    pub latency_min_ms: f64,
    pub latency_max_ms: f64,
    pub pareto_shape: f64,
    pub tail_percent: f64,
    pub tail_ms: f64,
    /// Message loss on every link, in percent.
    pub loss_percent: f64,
    /// Operations per second (0: no workload).
    pub rate_per_s: f64,
    /// Percent of the workload that reads.
    pub read_percent: f64,
    pub keys: u32,
    pub read_from: ReadFrom,
    /// Leader-follower acknowledgements.
    pub ack: AckChoice,
    /// Semi-sync: followers that must acknowledge.
    pub k: usize,
    /// Leader-follower failover.
    pub failover: FailoverChoice,
    /// Leader-follower fencing.
    pub fencing: FencingChoice,
    /// Multi-leader topology (a star's hub is datacenter 0).
    pub topology: TopologyChoice,
    /// Multi-leader conflict resolution (one of [`MULTI_LEADER_CONFLICTS`]).
    pub conflicts: ConflictResolution,
    /// Leaderless conflict resolution.
    pub resolution: ConflictResolution,
    /// Leaderless N, W, R.
    pub n: usize,
    pub w: usize,
    pub r: usize,
    pub read_repair: bool,
    pub sloppy_quorum: bool,
    /// Every client's session guarantee.
    pub session: SessionChoice,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            family: Family::LeaderFollower,
            nodes: 3,
            seed: 1,
            latency_model: LatencyModel::Uniform,
            latency_min_ms: 1.0,
            latency_max_ms: 10.0,
            pareto_shape: 2.0,
            tail_percent: 1.0,
            tail_ms: 200.0,
            loss_percent: 0.0,
            rate_per_s: 100.0,
            read_percent: 50.0,
            keys: 5,
            read_from: ReadFrom::Leader,
            ack: AckChoice::Async,
            k: 1,
            failover: FailoverChoice::Election,
            fencing: FencingChoice::TermsOnly,
            topology: TopologyChoice::AllToAll,
            conflicts: ConflictResolution::Lww,
            resolution: ConflictResolution::Lww,
            n: 3,
            w: 2,
            r: 2,
            read_repair: true,
            sloppy_quorum: false,
            session: SessionChoice::NoGuarantee,
        }
    }
}

impl Settings {
    /// The scenario these settings describe, validated by the core.
    pub fn build(&self) -> Result<Scenario, String> {
        let nodes = self.nodes.clamp(1, MAX_NODES);
        let network = LinkConfig { latency: self.latency()?, loss: self.loss_percent / 100.0, ..LinkConfig::default() };
        let workload = (self.rate_per_s > 0.0).then(|| WorkloadConfig {
            rate_per_s: self.rate_per_s,
            read_fraction: self.read_percent / 100.0,
            delete_fraction: 0.0,
            cas_fraction: 0.0,
            keys: self.keys.max(1),
            key_distribution: Default::default(),
            arrivals: Default::default(),
            read_from: self.read_from,
            clients: None,
            stop_ms: None,
        });
        let mut scenario = Scenario {
            format: FORMAT.into(),
            version: VERSION,
            name: "custom".into(),
            description: self.describe(nodes),
            sources: Vec::new(),
            seed: self.seed,
            duration_ms: DURATION_MS,
            cluster: ClusterConfig { network, ..ClusterConfig::new(nodes) },
            protocol: self.protocol(nodes),
            clients: None,
            workload,
            commands: Vec::new(),
        };
        if self.session != SessionChoice::NoGuarantee {
            // The default clients (one per node), each asking for the guarantee.
            let session = self.session.session();
            let clients = scenario.clients().into_iter().map(|c| ClientConfig { session: session.clone(), ..c });
            scenario.clients = Some(clients.collect());
        }
        scenario.validate().map_err(|e| e.to_string())?;
        Ok(scenario)
    }

    fn protocol(&self, nodes: usize) -> ProtocolConfig {
        match self.family {
            Family::LeaderFollower => ProtocolConfig::LeaderFollower(LeaderFollowerConfig {
                leader: 0,
                ack: self.ack.policy(self.k),
                failover: self.failover.failover(),
                // One designated standby promotes itself, as in the textbook story.
                candidates: (self.failover == FailoverChoice::Naive && nodes > 1).then(|| vec![1]),
                fencing: self.fencing.fencing(LEASE_MS),
                ..LeaderFollowerConfig::default()
            }),
            Family::MultiLeader => ProtocolConfig::MultiLeader(MultiLeaderConfig {
                topology: self.topology.topology(0),
                conflicts: self.conflicts,
                ..MultiLeaderConfig::default()
            }),
            Family::Leaderless => ProtocolConfig::Leaderless(LeaderlessConfig {
                replicas: self.n,
                w: self.w,
                r: self.r,
                resolution: self.resolution,
                read_repair: self.read_repair,
                sloppy_quorum: self.sloppy_quorum,
                ..LeaderlessConfig::default()
            }),
        }
    }

    /// The latency distribution (the core checks its numbers).
    pub fn latency(&self) -> Result<Latency, String> {
        let (lo, hi) = (self.latency_min_ms.min(self.latency_max_ms), self.latency_min_ms.max(self.latency_max_ms));
        let uniform = Latency::Uniform { min_ms: lo, max_ms: hi };
        Ok(match self.latency_model {
            LatencyModel::Constant => Latency::Constant { ms: self.latency_min_ms },
            LatencyModel::Uniform => uniform,
            LatencyModel::Exponential => Latency::Exponential { min_ms: lo, mean_ms: hi - lo },
            LatencyModel::Pareto => Latency::Pareto { scale_ms: self.latency_min_ms, shape: self.pareto_shape },
            LatencyModel::Tail => {
                if !(self.tail_percent > 0.0 && self.tail_percent < 100.0) {
                    return Err(format!(
                        "the slow tail must be between 0 and 100 % of messages, got {}",
                        self.tail_percent
                    ));
                }
                Latency::Mixture {
                    parts: vec![
                        WeightedLatency { weight: 100.0 - self.tail_percent, latency: uniform },
                        WeightedLatency { weight: self.tail_percent, latency: Latency::Constant { ms: self.tail_ms } },
                    ],
                }
            }
        })
    }

    fn latency_words(&self) -> String {
        let (a, b) = (self.latency_min_ms, self.latency_max_ms);
        match self.latency_model {
            LatencyModel::Constant => format!("{a} ms links"),
            LatencyModel::Uniform => format!("{a}–{b} ms links"),
            LatencyModel::Exponential => format!("{a} ms + exponential (mean {}) links", b - a),
            LatencyModel::Pareto => format!("Pareto links (from {a} ms, shape {})", self.pareto_shape),
            LatencyModel::Tail => format!("{a}–{b} ms links, {}% at {} ms", self.tail_percent, self.tail_ms),
        }
    }

    fn describe(&self, nodes: usize) -> String {
        let details = match self.family {
            Family::LeaderFollower => {
                let k = if self.ack == AckChoice::SemiSync { format!(", k = {}", self.k) } else { String::new() };
                format!(
                    "acknowledgements: {}{k}; failover: {}; fencing: {}",
                    self.ack.label(),
                    self.failover.label(),
                    self.fencing.label()
                )
            }
            Family::MultiLeader => {
                format!("topology: {}; conflicts: {}", self.topology.label(), self.conflicts.label())
            }
            Family::Leaderless => {
                format!("N={} W={} R={}; conflicts: {}", self.n, self.w, self.r, self.resolution.label())
            }
        };
        format!(
            "Custom {} ({details}); {nodes} nodes, {}, {} ops/s.",
            self.family.label(),
            self.latency_words(),
            self.rate_per_s
        )
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_build_a_valid_scenario() {
        let s = Settings::default().build().unwrap();
        assert_eq!(s.cluster.nodes, 3);
        assert!(matches!(s.protocol, ProtocolConfig::LeaderFollower(_)));
        assert!(s.workload.is_some());
        assert!(s.commands.is_empty());
    }

    #[test]
    fn every_family_and_choice_builds() {
        let builds = |s: Settings| {
            let built = s.build();
            assert!(built.is_ok(), "{s:?}: {built:?}");
        };
        for &session in SessionChoice::ALL {
            let base = Settings { nodes: 5, session, ..Settings::default() };
            for &ack in AckChoice::ALL {
                for &failover in FailoverChoice::ALL {
                    for &fencing in FencingChoice::ALL {
                        builds(Settings { ack, failover, fencing, ..base.clone() });
                    }
                }
            }
            for &topology in TopologyChoice::ALL {
                for &conflicts in MULTI_LEADER_CONFLICTS {
                    builds(Settings { family: Family::MultiLeader, topology, conflicts, ..base.clone() });
                }
            }
            for &resolution in &ConflictResolution::LEADERLESS {
                builds(Settings { family: Family::Leaderless, resolution, ..base.clone() });
            }
            for &latency_model in LatencyModel::ALL {
                for &read_from in ReadFrom::ALL {
                    builds(Settings { latency_model, read_from, ..base.clone() });
                }
            }
        }
    }

    #[test]
    fn bad_combinations_come_back_as_the_cores_messages() {
        let s = Settings { family: Family::Leaderless, n: 3, w: 4, ..Settings::default() };
        let e = s.build().unwrap_err();
        assert!(e.contains("protocol.leaderless.w"), "{e}");
        let s = Settings { ack: AckChoice::SemiSync, k: 5, ..Settings::default() };
        let e = s.build().unwrap_err();
        assert!(e.contains("protocol.leader_follower.ack.semi_sync.k"), "{e}");
        let s = Settings { loss_percent: 150.0, ..Settings::default() };
        assert!(s.build().unwrap_err().contains("cluster.network.loss"));
        let s = Settings { read_percent: f64::NAN, ..Settings::default() };
        assert!(s.build().unwrap_err().contains("workload.read_fraction"));
    }

    #[test]
    fn every_latency_model_builds_the_distribution_it_names() {
        let base = Settings { latency_min_ms: 2.0, latency_max_ms: 12.0, ..Settings::default() };
        let built = |latency_model| {
            let s = Settings { latency_model, ..base.clone() }.build().unwrap();
            s.cluster.network.latency.clone()
        };
        assert_eq!(built(LatencyModel::Constant), Latency::Constant { ms: 2.0 });
        assert_eq!(built(LatencyModel::Uniform), Latency::Uniform { min_ms: 2.0, max_ms: 12.0 });
        assert_eq!(built(LatencyModel::Exponential), Latency::Exponential { mean_ms: 10.0, min_ms: 2.0 });
        assert_eq!(built(LatencyModel::Pareto), Latency::Pareto { scale_ms: 2.0, shape: 2.0 });
        let Latency::Mixture { parts } = built(LatencyModel::Tail) else { panic!("a mixture") };
        assert_eq!(parts.iter().map(|p| p.weight).collect::<Vec<_>>(), vec![99.0, 1.0]);
        assert_eq!(parts[1].latency, Latency::Constant { ms: 200.0 });
        // Bad numbers come back as messages, not panics.
        let e =
            Settings { latency_model: LatencyModel::Pareto, pareto_shape: 0.0, ..base.clone() }.build().unwrap_err();
        assert!(e.contains("shape"), "{e}");
        let e = Settings { latency_model: LatencyModel::Tail, tail_percent: 100.0, ..base }.build().unwrap_err();
        assert!(e.contains("tail"), "{e}");
    }

    #[test]
    fn node_counts_are_clamped_and_workloads_optional() {
        let s = Settings { nodes: 500, rate_per_s: 0.0, ..Settings::default() }.build().unwrap();
        assert_eq!(s.cluster.nodes, MAX_NODES);
        assert!(s.workload.is_none());
        let s = Settings { nodes: 0, ..Settings::default() }.build().unwrap();
        assert_eq!(s.cluster.nodes, 1);
    }

    // What every choice means in the scenario format's own words (docs/scenario-format.md),
    // with the other settings at their defaults: the table the typed build must agree with.

    fn ack_text(c: AckChoice) -> &'static str {
        match c {
            AckChoice::Async => r#""async""#,
            AckChoice::SemiSync => r#"{"semi_sync": {"k": 1}}"#,
            AckChoice::Majority => r#""majority""#,
            AckChoice::Sync => r#""sync""#,
        }
    }

    /// The failover fields of a three-node cluster.
    fn failover_text(c: FailoverChoice) -> &'static str {
        match c {
            FailoverChoice::Manual => "",
            FailoverChoice::Election => r#", "failover": {"election": {}}"#,
            FailoverChoice::Naive => r#", "failover": {"naive": {}}, "candidates": [1]"#,
        }
    }

    fn fencing_text(c: FencingChoice) -> &'static str {
        match c {
            FencingChoice::TermsOnly => "{}",
            FencingChoice::Lease => r#"{"lease_ms": 200}"#,
            FencingChoice::Stonith => r#"{"stonith": true}"#,
            FencingChoice::Off => r#"{"terms": false}"#,
        }
    }

    fn topology_text(c: TopologyChoice) -> &'static str {
        match c {
            TopologyChoice::AllToAll => r#""all_to_all""#,
            TopologyChoice::Ring => r#""ring""#,
            TopologyChoice::Star => r#"{"star": {"hub": 0}}"#,
        }
    }

    fn conflicts_text(c: ConflictResolution) -> &'static str {
        match c {
            ConflictResolution::Lww => r#""lww""#,
            ConflictResolution::Siblings => r#""siblings""#,
            ConflictResolution::LastArrival => r#""last_arrival""#,
            ConflictResolution::Counter => r#""counter""#,
            ConflictResolution::Set => r#""set""#,
            ConflictResolution::MvRegister => r#""mv_register""#,
            ConflictResolution::RevisionTree => r#""revision_tree""#,
        }
    }

    /// Latency 1–10 ms, Pareto shape 2, a 1 % tail at 200 ms.
    fn latency_text(c: LatencyModel) -> &'static str {
        match c {
            LatencyModel::Constant => r#"{"constant": {"ms": 1}}"#,
            LatencyModel::Uniform => r#"{"uniform": {"min_ms": 1, "max_ms": 10}}"#,
            LatencyModel::Exponential => r#"{"exponential": {"min_ms": 1, "mean_ms": 9}}"#,
            LatencyModel::Pareto => r#"{"pareto": {"scale_ms": 1, "shape": 2}}"#,
            LatencyModel::Tail => {
                r#"{"mixture": {"parts": [
                    {"weight": 99, "latency": {"uniform": {"min_ms": 1, "max_ms": 10}}},
                    {"weight": 1, "latency": {"constant": {"ms": 200}}}
                ]}}"#
            }
        }
    }

    fn read_from_text(c: ReadFrom) -> &'static str {
        match c {
            ReadFrom::Leader => r#""leader""#,
            ReadFrom::Local => r#""local""#,
            ReadFrom::Any => r#""any""#,
        }
    }

    fn session_text(c: SessionChoice) -> Option<&'static str> {
        match c {
            SessionChoice::NoGuarantee => None,
            SessionChoice::ReadYourWrites => Some(r#"{"read_your_writes": "token"}"#),
            SessionChoice::MonotonicReads => Some(r#"{"monotonic_reads": "token"}"#),
            SessionChoice::Causal => Some(r#"{"causal": true}"#),
        }
    }

    fn leader_follower_text(ack: AckChoice, failover: FailoverChoice, fencing: FencingChoice) -> String {
        format!(
            r#"{{"leader_follower": {{"leader": 0, "ack": {}{}, "fencing": {}}}}}"#,
            ack_text(ack),
            failover_text(failover),
            fencing_text(fencing)
        )
    }

    /// The default settings' scenario in the format, with these parts.
    fn scenario_text(protocol: &str, latency: &str, read_from: &str, session: Option<&str>) -> String {
        let clients = session.map_or(String::new(), |s| {
            let client = |node: usize| format!(r#"{{"node": {node}, "session": {s}}}"#);
            format!(r#", "clients": [{}, {}, {}]"#, client(0), client(1), client(2))
        });
        format!(
            r#"{{"format": "replicalab-scenario", "version": 1, "name": "custom", "seed": 1, "duration_ms": 10000,
                "cluster": {{"nodes": 3, "network": {{"latency": {latency}, "loss": 0}}}},
                "protocol": {protocol},
                "workload": {{"rate_per_s": 100, "read_fraction": 0.5, "keys": 5, "read_from": {read_from}}}
                {clients}}}"#
        )
    }

    #[test]
    fn every_choice_builds_exactly_what_the_scenario_format_says() {
        let d = Settings::default();
        let default_protocol = leader_follower_text(d.ack, d.failover, d.fencing);
        let mut cases: Vec<(Settings, String)> = Vec::new();
        let mut case = |s: Settings, protocol: &str| {
            let text = scenario_text(
                protocol,
                latency_text(s.latency_model),
                read_from_text(s.read_from),
                session_text(s.session),
            );
            cases.push((s, text));
        };
        for &ack in AckChoice::ALL {
            for &failover in FailoverChoice::ALL {
                for &fencing in FencingChoice::ALL {
                    case(
                        Settings { ack, failover, fencing, ..d.clone() },
                        &leader_follower_text(ack, failover, fencing),
                    );
                }
            }
        }
        for &topology in TopologyChoice::ALL {
            for &conflicts in MULTI_LEADER_CONFLICTS {
                let protocol = format!(
                    r#"{{"multi_leader": {{"topology": {}, "conflicts": {}}}}}"#,
                    topology_text(topology),
                    conflicts_text(conflicts)
                );
                case(Settings { family: Family::MultiLeader, topology, conflicts, ..d.clone() }, &protocol);
            }
        }
        for &resolution in &ConflictResolution::LEADERLESS {
            let protocol = format!(
                r#"{{"leaderless": {{"replicas": 3, "w": 2, "r": 2, "resolution": {},
                    "read_repair": true, "sloppy_quorum": false}}}}"#,
                conflicts_text(resolution)
            );
            case(Settings { family: Family::Leaderless, resolution, ..d.clone() }, &protocol);
        }
        for &latency_model in LatencyModel::ALL {
            case(Settings { latency_model, ..d.clone() }, &default_protocol);
        }
        for &read_from in ReadFrom::ALL {
            case(Settings { read_from, ..d.clone() }, &default_protocol);
        }
        for &session in SessionChoice::ALL {
            case(Settings { session, ..d.clone() }, &default_protocol);
        }
        // Every family is among the cases.
        for &family in Family::ALL {
            assert!(cases.iter().any(|(s, _)| s.family == family), "{family:?}");
        }
        for (settings, text) in cases {
            let built = settings.build().unwrap();
            let mut expected = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            expected.description.clone_from(&built.description);
            assert_eq!(built, expected, "{settings:?}");
            // And it survives the format unchanged (what a shared link carries).
            assert_eq!(Scenario::from_json(&built.to_json()).unwrap(), built, "{settings:?}");
        }
    }

    #[test]
    fn the_description_names_the_choices_in_words() {
        let s = Settings { ack: AckChoice::SemiSync, k: 2, ..Settings::default() }.build().unwrap();
        assert!(s.description.contains("semi-sync (k followers), k = 2"), "{}", s.description);
        let s =
            Settings { family: Family::MultiLeader, conflicts: ConflictResolution::LastArrival, ..Settings::default() };
        let d = s.build().unwrap().description;
        assert!(d.contains("multi-leader") && d.contains("last arrival"), "{d}");
    }
}
