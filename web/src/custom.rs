//! The settings form's model: a handful of choices that build a complete [`Scenario`]. The
//! scenario goes through the core's own validation ([`Scenario::from_json`]), so whatever the
//! form allows, a bad combination (W larger than N, k larger than the followers) comes back as
//! the core's message naming the field, never as a panic. Tested natively.

use replicalab_core::Scenario;
use serde_json::{json, Value};

/// Most nodes the form offers (the core allows more, the screen does not).
pub const MAX_NODES: usize = 50;

/// Everything the settings form lets a user choose. Choices are the scenario format's own
/// names (`"async"`, `"majority"`, `"all_to_all"`, …).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// `leader_follower`, `multi_leader` or `leaderless`.
    pub family: String,
    pub nodes: usize,
    pub seed: u64,
    /// The link latency distribution: `constant` (min), `uniform` (min–max), `exponential`
    /// (min plus an exponential whose mean is max − min), `pareto` (scale min, shape
    /// `pareto_shape`: a heavy tail) or `tail` (uniform min–max, except `tail_percent` of
    /// messages take `tail_ms`).
    pub latency_model: String,
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
    /// `leader`, `local` or `any`.
    pub read_from: String,
    /// Leader-follower: `async`, `sync`, `majority` or `semi_sync`.
    pub ack: String,
    /// Semi-sync: followers that must acknowledge.
    pub k: usize,
    /// Leader-follower: `manual`, `election` or `naive`.
    pub failover: String,
    /// Leader-follower: `none` (terms only), `lease`, `stonith` or `off` (not even terms).
    pub fencing: String,
    /// Multi-leader: `all_to_all`, `ring` or `star`.
    pub topology: String,
    /// Multi-leader: `lww`, `siblings` or `last_arrival`; leaderless: `lww` or `siblings`.
    pub conflicts: String,
    /// Leaderless N, W, R.
    pub n: usize,
    pub w: usize,
    pub r: usize,
    pub read_repair: bool,
    pub sloppy_quorum: bool,
    /// Every client's session guarantee: `none`, `ryw` (read-your-writes token), `monotonic`
    /// (monotonic-reads token) or `causal`.
    pub session: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            family: "leader_follower".into(),
            nodes: 3,
            seed: 1,
            latency_model: "uniform".into(),
            latency_min_ms: 1.0,
            latency_max_ms: 10.0,
            pareto_shape: 2.0,
            tail_percent: 1.0,
            tail_ms: 200.0,
            loss_percent: 0.0,
            rate_per_s: 100.0,
            read_percent: 50.0,
            keys: 5,
            read_from: "leader".into(),
            ack: "async".into(),
            k: 1,
            failover: "election".into(),
            fencing: "none".into(),
            topology: "all_to_all".into(),
            conflicts: "lww".into(),
            n: 3,
            w: 2,
            r: 2,
            read_repair: true,
            sloppy_quorum: false,
            session: "none".into(),
        }
    }
}

impl Settings {
    /// The scenario these settings describe, validated by the core.
    pub fn build(&self) -> Result<Scenario, String> {
        let nodes = self.nodes.clamp(1, MAX_NODES);
        let protocol = match self.family.as_str() {
            "leader_follower" => self.leader_follower(nodes)?,
            "multi_leader" => {
                let topology = match self.topology.as_str() {
                    "star" => json!({ "star": { "hub": 0 } }),
                    t @ ("all_to_all" | "ring") => json!(t),
                    other => return Err(format!("unknown topology “{other}”")),
                };
                json!({ "multi_leader": { "topology": topology, "conflicts": self.conflicts } })
            }
            "leaderless" => {
                let resolution = if self.conflicts == "siblings" { "siblings" } else { "lww" };
                json!({ "leaderless": {
                    "replicas": self.n, "w": self.w, "r": self.r, "resolution": resolution,
                    "read_repair": self.read_repair, "sloppy_quorum": self.sloppy_quorum,
                } })
            }
            other => return Err(format!("unknown replication family “{other}”")),
        };
        let latency = self.latency()?;
        let mut scenario = json!({
            "format": "replicalab-scenario",
            "version": 1,
            "name": "custom",
            "description": self.describe(nodes),
            "seed": self.seed,
            "duration_ms": 10_000,
            "cluster": {
                "nodes": nodes,
                "network": {
                    "latency": latency,
                    "loss": (self.loss_percent / 100.0),
                },
            },
            "protocol": protocol,
        });
        if self.rate_per_s > 0.0 {
            scenario["workload"] = json!({
                "rate_per_s": self.rate_per_s,
                "read_fraction": self.read_percent / 100.0,
                "keys": self.keys.max(1),
                "read_from": self.read_from,
            });
        }
        if let Some(session) = self.session_json()? {
            let clients: Vec<Value> = (0..nodes).map(|node| json!({ "node": node, "session": session })).collect();
            scenario["clients"] = Value::Array(clients);
        }
        Scenario::from_json(&scenario.to_string()).map_err(|e| e.to_string())
    }

    /// The latency distribution in the scenario format (the core checks its numbers).
    pub fn latency(&self) -> Result<Value, String> {
        let (lo, hi) = (self.latency_min_ms.min(self.latency_max_ms), self.latency_min_ms.max(self.latency_max_ms));
        let uniform = json!({ "uniform": { "min_ms": lo, "max_ms": hi } });
        Ok(match self.latency_model.as_str() {
            "constant" => json!({ "constant": { "ms": self.latency_min_ms } }),
            "uniform" => uniform,
            "exponential" => json!({ "exponential": { "min_ms": lo, "mean_ms": hi - lo } }),
            "pareto" => json!({ "pareto": { "scale_ms": self.latency_min_ms, "shape": self.pareto_shape } }),
            "tail" => {
                if !(self.tail_percent > 0.0 && self.tail_percent < 100.0) {
                    return Err(format!(
                        "the slow tail must be between 0 and 100 % of messages, got {}",
                        self.tail_percent
                    ));
                }
                json!({ "mixture": { "parts": [
                    { "weight": 100.0 - self.tail_percent, "latency": uniform },
                    { "weight": self.tail_percent, "latency": { "constant": { "ms": self.tail_ms } } },
                ] } })
            }
            other => return Err(format!("unknown latency model “{other}”")),
        })
    }

    fn latency_words(&self) -> String {
        let (a, b) = (self.latency_min_ms, self.latency_max_ms);
        match self.latency_model.as_str() {
            "constant" => format!("{a} ms links"),
            "exponential" => format!("{a} ms + exponential (mean {}) links", b - a),
            "pareto" => format!("Pareto links (from {a} ms, shape {})", self.pareto_shape),
            "tail" => format!("{a}–{b} ms links, {}% at {} ms", self.tail_percent, self.tail_ms),
            _ => format!("{a}–{b} ms links"),
        }
    }

    fn leader_follower(&self, nodes: usize) -> Result<Value, String> {
        let ack = match self.ack.as_str() {
            "semi_sync" => json!({ "semi_sync": { "k": self.k } }),
            a @ ("async" | "sync" | "majority") => json!(a),
            other => return Err(format!("unknown acknowledgement policy “{other}”")),
        };
        let mut cfg = json!({ "leader": 0, "ack": ack });
        match self.failover.as_str() {
            "manual" => {}
            "election" => cfg["failover"] = json!({ "election": {} }),
            "naive" => {
                cfg["failover"] = json!({ "naive": {} });
                // One designated standby promotes itself, as in the textbook story.
                if nodes > 1 {
                    cfg["candidates"] = json!([1]);
                }
            }
            other => return Err(format!("unknown failover policy “{other}”")),
        }
        cfg["fencing"] = match self.fencing.as_str() {
            "none" => json!({}),
            "off" => json!({ "terms": false }),
            "lease" => json!({ "lease_ms": 200 }),
            "stonith" => json!({ "stonith": true }),
            other => return Err(format!("unknown fencing “{other}”")),
        };
        Ok(json!({ "leader_follower": cfg }))
    }

    fn session_json(&self) -> Result<Option<Value>, String> {
        Ok(match self.session.as_str() {
            "none" => None,
            "ryw" => Some(json!({ "read_your_writes": "token" })),
            "monotonic" => Some(json!({ "monotonic_reads": "token" })),
            "causal" => Some(json!({ "causal": true })),
            other => return Err(format!("unknown session guarantee “{other}”")),
        })
    }

    fn describe(&self, nodes: usize) -> String {
        let family = match self.family.as_str() {
            "leader_follower" => {
                format!("Leader-follower, {} acknowledgements, {} failover", self.ack.replace('_', "-"), self.failover)
            }
            "multi_leader" => format!(
                "Multi-leader, {} topology, {}",
                self.topology.replace('_', "-"),
                self.conflicts.replace('_', " ")
            ),
            _ => format!("Leaderless, N={} W={} R={}", self.n, self.w, self.r),
        };
        format!("Custom: {family}; {nodes} nodes, {}, {} ops/s.", self.latency_words(), self.rate_per_s)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use replicalab_core::scenario::ProtocolConfig;

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
        for family in ["leader_follower", "multi_leader", "leaderless"] {
            for (ack, failover, fencing) in [
                ("async", "manual", "none"),
                ("sync", "election", "lease"),
                ("majority", "naive", "stonith"),
                ("semi_sync", "naive", "off"),
            ] {
                for topology in ["all_to_all", "ring", "star"] {
                    for conflicts in ["lww", "siblings"] {
                        for session in ["none", "ryw", "monotonic", "causal"] {
                            let s = Settings {
                                family: family.into(),
                                nodes: 5,
                                ack: ack.into(),
                                failover: failover.into(),
                                fencing: fencing.into(),
                                topology: topology.into(),
                                conflicts: conflicts.into(),
                                session: session.into(),
                                ..Settings::default()
                            };
                            let built = s.build();
                            assert!(built.is_ok(), "{s:?}: {built:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bad_combinations_come_back_as_the_cores_messages() {
        let s = Settings { family: "leaderless".into(), n: 3, w: 4, ..Settings::default() };
        let e = s.build().unwrap_err();
        assert!(e.contains("protocol.leaderless.w"), "{e}");
        let s = Settings { ack: "semi_sync".into(), k: 5, ..Settings::default() };
        assert!(s.build().is_err());
        let s = Settings { family: "paxos".into(), ..Settings::default() };
        assert!(s.build().unwrap_err().contains("paxos"));
        let s = Settings { loss_percent: 150.0, ..Settings::default() };
        assert!(s.build().is_err());
    }

    #[test]
    fn every_latency_model_builds_the_distribution_it_names() {
        use replicalab_core::net::Latency;
        let base = Settings { latency_min_ms: 2.0, latency_max_ms: 12.0, ..Settings::default() };
        let built = |model: &str| {
            let s = Settings { latency_model: model.into(), ..base.clone() }.build().unwrap();
            s.cluster.network.latency.clone()
        };
        assert_eq!(built("constant"), Latency::Constant { ms: 2.0 });
        assert_eq!(built("uniform"), Latency::Uniform { min_ms: 2.0, max_ms: 12.0 });
        assert_eq!(built("exponential"), Latency::Exponential { mean_ms: 10.0, min_ms: 2.0 });
        assert_eq!(built("pareto"), Latency::Pareto { scale_ms: 2.0, shape: 2.0 });
        let Latency::Mixture { parts } = built("tail") else { panic!("a mixture") };
        assert_eq!(parts.iter().map(|p| p.weight).collect::<Vec<_>>(), vec![99.0, 1.0]);
        assert_eq!(parts[1].latency, Latency::Constant { ms: 200.0 });
        // Bad numbers come back as messages, not panics.
        let e = Settings { latency_model: "pareto".into(), pareto_shape: 0.0, ..base.clone() }.build().unwrap_err();
        assert!(e.contains("shape"), "{e}");
        let e = Settings { latency_model: "tail".into(), tail_percent: 100.0, ..base.clone() }.build().unwrap_err();
        assert!(e.contains("tail"), "{e}");
        assert!(Settings { latency_model: "gamma".into(), ..base }.build().unwrap_err().contains("gamma"));
    }

    #[test]
    fn node_counts_are_clamped_and_workloads_optional() {
        let s = Settings { nodes: 500, rate_per_s: 0.0, ..Settings::default() }.build().unwrap();
        assert_eq!(s.cluster.nodes, MAX_NODES);
        assert!(s.workload.is_none());
        let s = Settings { nodes: 0, ..Settings::default() }.build().unwrap();
        assert_eq!(s.cluster.nodes, 1);
    }
}
