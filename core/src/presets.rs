//! Built-in scenarios. Each is a scenario file under `core/presets/`, shipped inside the binary.

use crate::scenario::{Scenario, ScenarioError};

/// A built-in scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    /// The scenario file text.
    pub json: &'static str,
}

impl Preset {
    pub fn scenario(&self) -> Result<Scenario, ScenarioError> {
        Scenario::from_json(self.json)
    }
    /// The scenario's one-line description.
    pub fn description(&self) -> String {
        self.scenario().map(|s| s.description).unwrap_or_default()
    }
}

macro_rules! presets {
    ($($name:literal),* $(,)?) => {
        /// Every built-in scenario, in display order.
        pub const PRESETS: &[Preset] = &[
            $(Preset { name: $name, json: include_str!(concat!("../presets/", $name, ".json")) },)*
        ];
    };
}

presets![
    "lf-async",
    "lf-async-lag",
    "lf-sync",
    "lf-semi-sync",
    "lf-semi-sync-first",
    "lf-async-crash-unflushed",
    "failover-async-loss",
    "failover-majority-no-loss",
    "failover-sync-crash",
    "split-brain-naive",
    "split-brain-stonith",
    "split-brain-lease",
    "paused-leader-fenced",
    "patroni-coordinator",
    "patroni-sync-mode",
    "patroni-sync-strict",
    "patroni-maximum-lag",
    "github-2018",
    "ryw-comment-disappears",
    "monotonic-time-backwards",
    "causal-reply-before-message",
    "ml-lww-clock-skew",
    "ml-siblings",
    "ml-partition-converge",
    "ml-ordering-last-arrival",
    "ml-ordering-version-vectors",
    "ml-ring-break",
    "ml-crdt-merge",
    "ll-strict-quorum",
    "ll-quorum-w3-r1",
    "ll-quorum-w1-r3",
    "ll-partial-quorum",
    "ll-sloppy-hinted-handoff",
    "ll-anti-entropy",
    "ll-siblings",
    "ll-cassandra-clock-skew",
    "ll-tombstone-resurrection",
    "postgres-async",
    "postgres-sync-first",
    "postgres-sync-crash-waiting",
    "postgres-sync-any",
    "mysql-async",
    "mysql-semisync",
    "aurora-quorum",
    "mongodb-w1",
    "mongodb-majority",
    "mongodb-psa",
    "redis-sentinel",
    "redis-min-replicas",
    "dynamodb-eventual-reads",
    "dynamodb-global-tables",
    "dynamodb-global-tables-strong",
    "cassandra-quorum",
    "cassandra-one",
    "cassandra-zombie",
    "cassandra-per-column-lww",
    "cassandra-lwt",
    "riak-sloppy-quorum",
    "riak-siblings",
    "riak-allow-mult-false",
    "couchdb-conflicts",
    "collaborative-editing",
    "postgres-commit-off",
    "redis-wait",
    "redis-cluster-partition",
    "mysql-semisync-after-commit",
    "mysql-group-replication",
    "postgres-remote-write",
    "postgres-sync-on",
    "postgres-remote-apply",
];

/// The preset of that name.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_and_is_named_after_its_file() {
        for p in PRESETS {
            let s = p.scenario().unwrap_or_else(|e| panic!("preset {}: {e}", p.name));
            assert_eq!(s.name, p.name);
            assert!(!s.description.is_empty(), "preset {} has no description", p.name);
        }
    }
}
