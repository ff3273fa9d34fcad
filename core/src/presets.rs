//! Built-in scenarios. Each is a scenario file under `core/presets/`. With the
//! `bundled-presets` feature (the default) every file is compiled into the library; without it
//! (the browser builds, whose download it would enlarge by about 19 KB gzipped) only the first
//! is, and the page fetches the others' files, which the build copies beside it, when it needs
//! one. [`NAMES`] lists them all either way.

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
    ($first:literal, $($name:literal),* $(,)?) => {
        /// The name of every built-in scenario, in display order.
        pub const NAMES: &[&str] = &[$first, $($name),*];

        /// The first preset, always compiled in (the one a page shows before it has fetched
        /// anything).
        const FIRST: Preset = Preset { name: $first, json: include_str!(concat!("../presets/", $first, ".json")) };

        /// The built-in scenarios compiled in, in display order: every one.
        #[cfg(feature = "bundled-presets")]
        pub const PRESETS: &[Preset] = &[
            FIRST,
            $(Preset { name: $name, json: include_str!(concat!("../presets/", $name, ".json")) },)*
        ];

        /// The built-in scenarios compiled in: without `bundled-presets`, only the first.
        #[cfg(not(feature = "bundled-presets"))]
        pub const PRESETS: &[Preset] = &[FIRST];
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

/// The preset of that name, if it is compiled in.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// Where `name` is in [`NAMES`].
pub fn index_of(name: &str) -> Option<usize> {
    NAMES.iter().position(|&n| n == name)
}

/// A preset's file as fetched (without `bundled-presets`): the scenario, checked to be the preset
/// it is said to be, so a wrong or damaged file is refused with the reason rather than shown
/// under the preset's name.
pub fn parse_fetched(name: &str, json: &str) -> Result<Scenario, String> {
    if index_of(name).is_none() {
        return Err(format!("there is no preset named “{name}”"));
    }
    let scenario =
        Scenario::from_json(json).map_err(|e| format!("the file of the preset “{name}” does not load: {e}"))?;
    if scenario.name != name {
        return Err(format!("the file of the preset “{name}” holds the scenario “{}”", scenario.name));
    }
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_are_the_bundled_presets_in_order() {
        let bundled: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        assert_eq!(bundled, NAMES);
        for (i, name) in NAMES.iter().enumerate() {
            assert_eq!(index_of(name), Some(i));
        }
        assert_eq!(index_of("no-such-preset"), None);
    }

    #[test]
    fn a_fetched_file_must_be_the_preset_it_is_named_as() {
        for p in PRESETS {
            assert_eq!(parse_fetched(p.name, p.json).unwrap(), p.scenario().unwrap());
        }
        let (a, b) = (&PRESETS[0], &PRESETS[1]);
        let wrong = parse_fetched(a.name, b.json).unwrap_err();
        assert!(wrong.contains(b.name) && wrong.contains(a.name), "{wrong}");
        let damaged = parse_fetched(a.name, &a.json[..a.json.len() / 2]).unwrap_err();
        assert!(damaged.starts_with(&format!("the file of the preset “{}” does not load: ", a.name)), "{damaged}");
        assert!(parse_fetched("no-such-preset", a.json).unwrap_err().contains("no preset named"));
        // An HTML error page served in place of the file is refused too.
        assert!(parse_fetched(a.name, "<!doctype html><title>404</title>").is_err());
    }

    #[test]
    fn every_preset_parses_and_is_named_after_its_file() {
        for p in PRESETS {
            let s = p.scenario().unwrap_or_else(|e| panic!("preset {}: {e}", p.name));
            assert_eq!(s.name, p.name);
            assert!(!s.description.is_empty(), "preset {} has no description", p.name);
        }
    }
}
