//! How each built-in scenario is told to a newcomer: a human title, the instant its point
//! arrives (the key moment) and a suggested playback speed, so that the key moment shows within
//! a few seconds of pressing Play. Pure data keyed by preset name (the scenario files stay as
//! they are); a preset without an entry is told with [`Story::fallback`].
//!
//! The key moments were measured by running each preset (`replicalab run`): the first instant
//! of its most telling anomaly (split brain, then lost writes, dirty reads, session anomalies,
//! stale reads), else shortly after its first scripted fault. The speeds bring the whole story
//! (up to the last of those moments) within about nine seconds, and the key moment within
//! seven.

use crate::time::{from_ms, Time};

/// How one preset is told.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Story {
    /// The preset's name (its identifier).
    pub preset: &'static str,
    /// A name for people.
    pub title: &'static str,
    /// When the scenario's point arrives, in simulated milliseconds.
    pub key_ms: u64,
    /// Suggested speed: simulated seconds per real second.
    pub speed: f64,
}

impl Story {
    /// The key moment as a simulated instant.
    pub fn key_moment(&self) -> Time {
        from_ms(self.key_ms as f64)
    }

    /// How a scenario without an entry is told: by its identifier, at real time.
    pub fn fallback(preset: &'static str) -> Story {
        Story { preset, title: preset, key_ms: 0, speed: 1.0 }
    }
}

/// Every built-in preset's story, in the presets' order.
pub const STORIES: &[Story] = &[
    Story { preset: "lf-async", title: "Async replication: followers lag behind", key_ms: 308, speed: 0.063 },
    Story { preset: "lf-async-lag", title: "Async replication under load: lag grows", key_ms: 2488, speed: 0.40 },
    Story {
        preset: "lf-sync",
        title: "Fully synchronous replication: as slow as the slowest",
        key_ms: 3300,
        speed: 0.63,
    },
    Story { preset: "lf-semi-sync", title: "Semi-sync replication falls back to async", key_ms: 3300, speed: 0.63 },
    Story {
        preset: "lf-semi-sync-first",
        title: "A synchronous standby dies, the next takes over",
        key_ms: 2300,
        speed: 0.40,
    },
    Story {
        preset: "lf-async-crash-unflushed",
        title: "A leader crashes before flushing to disk",
        key_ms: 2150,
        speed: 0.32,
    },
    Story { preset: "failover-async-loss", title: "Failover with async acks loses writes", key_ms: 2251, speed: 0.50 },
    Story {
        preset: "failover-majority-no-loss",
        title: "Failover with majority acks loses nothing",
        key_ms: 4111,
        speed: 0.63,
    },
    Story {
        preset: "failover-sync-crash",
        title: "Semi-sync failover after a leader crash",
        key_ms: 2300,
        speed: 0.50,
    },
    Story {
        preset: "split-brain-naive",
        title: "Split brain: two leaders after naive failover",
        key_ms: 2337,
        speed: 0.50,
    },
    Story {
        preset: "split-brain-stonith",
        title: "Split brain prevented by powering off the old leader",
        key_ms: 6000,
        speed: 1.0,
    },
    Story { preset: "split-brain-lease", title: "A leader lease shortens split brain", key_ms: 4626, speed: 0.79 },
    Story {
        preset: "paused-leader-fenced",
        title: "A paused leader wakes up and is fenced",
        key_ms: 2300,
        speed: 0.50,
    },
    Story { preset: "patroni-coordinator", title: "Patroni: failover by a leader lock", key_ms: 4635, speed: 0.79 },
    Story { preset: "patroni-sync-mode", title: "Patroni synchronous mode", key_ms: 1800, speed: 0.50 },
    Story { preset: "patroni-sync-strict", title: "Patroni strict synchronous mode", key_ms: 1800, speed: 0.50 },
    Story {
        preset: "patroni-maximum-lag",
        title: "Patroni refuses to fail over to a lagging replica",
        key_ms: 1800,
        speed: 0.63,
    },
    Story { preset: "github-2018", title: "GitHub's 2018 outage, scaled down", key_ms: 3034, speed: 0.63 },
    Story {
        preset: "ryw-comment-disappears",
        title: "The comment that disappears (read your writes)",
        key_ms: 2188,
        speed: 0.32,
    },
    Story {
        preset: "monotonic-time-backwards",
        title: "Time going backwards (monotonic reads)",
        key_ms: 519,
        speed: 0.10,
    },
    Story {
        preset: "causal-reply-before-message",
        title: "The reply seen before the message (causality)",
        key_ms: 1047,
        speed: 0.16,
    },
    Story {
        preset: "ml-lww-clock-skew",
        title: "Multi-leader: a skewed clock makes last-write-wins lose data",
        key_ms: 326,
        speed: 0.079,
    },
    Story {
        preset: "ml-siblings",
        title: "Multi-leader: concurrent writes kept as siblings",
        key_ms: 51,
        speed: 0.040,
    },
    Story {
        preset: "ml-partition-converge",
        title: "Multi-leader: a cut-off datacenter converges after the heal",
        key_ms: 71,
        speed: 0.50,
    },
    Story {
        preset: "ml-ordering-last-arrival",
        title: "Multi-leader: an update arrives before its insert",
        key_ms: 6000,
        speed: 1.0,
    },
    Story {
        preset: "ml-ordering-version-vectors",
        title: "Multi-leader: version vectors fix the ordering",
        key_ms: 800,
        speed: 0.20,
    },
    Story {
        preset: "ml-ring-break",
        title: "Multi-leader ring: one node dies, updates stop",
        key_ms: 616,
        speed: 0.50,
    },
    Story { preset: "ml-crdt-merge", title: "Multi-leader: CRDTs merge concurrent updates", key_ms: 367, speed: 0.50 },
    Story { preset: "ll-strict-quorum", title: "Leaderless strict quorum (W + R > N)", key_ms: 2300, speed: 0.50 },
    Story { preset: "ll-quorum-w3-r1", title: "Leaderless: write to all, read from one", key_ms: 4024, speed: 0.63 },
    Story { preset: "ll-quorum-w1-r3", title: "Leaderless: write to one, read from all", key_ms: 2300, speed: 0.50 },
    Story { preset: "ll-partial-quorum", title: "Leaderless partial quorum: stale reads", key_ms: 149, speed: 0.050 },
    Story { preset: "ll-sloppy-hinted-handoff", title: "Sloppy quorum with hinted handoff", key_ms: 1800, speed: 0.50 },
    Story { preset: "ll-anti-entropy", title: "Anti-entropy repairs a split cluster", key_ms: 653, speed: 0.40 },
    Story { preset: "ll-siblings", title: "Leaderless: concurrent writes kept as siblings", key_ms: 152, speed: 0.050 },
    Story {
        preset: "ll-cassandra-clock-skew",
        title: "Cassandra: a skewed clock loses writes",
        key_ms: 127,
        speed: 0.10,
    },
    Story {
        preset: "ll-tombstone-resurrection",
        title: "Deleted data comes back (tombstones)",
        key_ms: 5507,
        speed: 0.79,
    },
    Story {
        preset: "postgres-async",
        title: "PostgreSQL async replication: failover loses commits",
        key_ms: 5123,
        speed: 0.79,
    },
    Story { preset: "postgres-sync-first", title: "PostgreSQL FIRST 1 synchronous standby", key_ms: 2300, speed: 0.63 },
    Story {
        preset: "postgres-sync-crash-waiting",
        title: "PostgreSQL: a commit waits for a dead standby",
        key_ms: 2300,
        speed: 0.50,
    },
    Story { preset: "postgres-sync-any", title: "PostgreSQL ANY 2 synchronous standbys", key_ms: 2300, speed: 0.63 },
    Story {
        preset: "mysql-async",
        title: "MySQL async replication: failover loses commits",
        key_ms: 5222,
        speed: 0.79,
    },
    Story {
        preset: "mysql-semisync",
        title: "MySQL semi-sync: the timeout falls back to async",
        key_ms: 16002,
        speed: 2.5,
    },
    Story { preset: "aurora-quorum", title: "Amazon Aurora's six-copy storage quorum", key_ms: 2300, speed: 0.63 },
    Story { preset: "mongodb-w1", title: "MongoDB w:1: a partition rolls back writes", key_ms: 5037, speed: 0.79 },
    Story {
        preset: "mongodb-majority",
        title: "MongoDB w:majority: nothing acknowledged is lost",
        key_ms: 5030,
        speed: 0.79,
    },
    Story { preset: "mongodb-psa", title: "MongoDB with an arbiter", key_ms: 3134, speed: 0.63 },
    Story { preset: "redis-sentinel", title: "Redis Sentinel: failover loses writes", key_ms: 5146, speed: 1.0 },
    Story { preset: "redis-min-replicas", title: "Redis min-replicas-to-write", key_ms: 8026, speed: 1.3 },
    Story {
        preset: "dynamodb-eventual-reads",
        title: "DynamoDB eventually consistent reads",
        key_ms: 2251,
        speed: 0.40,
    },
    Story { preset: "dynamodb-global-tables", title: "DynamoDB global tables (eventual)", key_ms: 364, speed: 0.079 },
    Story {
        preset: "dynamodb-global-tables-strong",
        title: "DynamoDB global tables (strong)",
        key_ms: 3892,
        speed: 0.63,
    },
    Story { preset: "cassandra-quorum", title: "Cassandra QUORUM reads and writes", key_ms: 2300, speed: 0.50 },
    Story { preset: "cassandra-one", title: "Cassandra consistency level ONE", key_ms: 76, speed: 0.063 },
    Story { preset: "cassandra-zombie", title: "Cassandra zombie rows", key_ms: 5005, speed: 0.79 },
    Story {
        preset: "cassandra-per-column-lww",
        title: "Cassandra: last write wins per column",
        key_ms: 1666,
        speed: 0.25,
    },
    Story {
        preset: "cassandra-lwt",
        title: "Cassandra lightweight transactions (Paxos compare-and-set)",
        key_ms: 3000,
        speed: 0.5,
    },
    Story { preset: "riak-sloppy-quorum", title: "Riak sloppy quorum", key_ms: 1800, speed: 0.50 },
    Story { preset: "riak-siblings", title: "Riak siblings (allow_mult)", key_ms: 228, speed: 0.063 },
    Story { preset: "riak-allow-mult-false", title: "Riak without siblings loses writes", key_ms: 140, speed: 0.10 },
    Story { preset: "couchdb-conflicts", title: "CouchDB conflicts", key_ms: 1121, speed: 0.50 },
    Story { preset: "collaborative-editing", title: "Collaborative editing with CRDTs", key_ms: 1300, speed: 0.40 },
    Story { preset: "postgres-commit-off", title: "PostgreSQL synchronous_commit = off", key_ms: 2150, speed: 0.32 },
    Story { preset: "redis-wait", title: "Redis WAIT after every write", key_ms: 6512, speed: 1.0 },
    Story {
        preset: "redis-cluster-partition",
        title: "Redis Cluster: the minority side keeps writing",
        key_ms: 6054,
        speed: 1.0,
    },
    Story {
        preset: "mysql-semisync-after-commit",
        title: "MySQL semi-sync AFTER_COMMIT: phantom reads",
        key_ms: 3108,
        speed: 0.50,
    },
    Story { preset: "mysql-group-replication", title: "MySQL Group Replication", key_ms: 3104, speed: 0.63 },
    Story {
        preset: "postgres-remote-write",
        title: "PostgreSQL synchronous_commit = remote_write",
        key_ms: 3561,
        speed: 0.63,
    },
    Story { preset: "postgres-sync-on", title: "PostgreSQL synchronous_commit = on", key_ms: 3564, speed: 0.63 },
    Story {
        preset: "postgres-remote-apply",
        title: "PostgreSQL synchronous_commit = remote_apply",
        key_ms: 3115,
        speed: 0.50,
    },
];

/// The story of the preset named `name`, if it has one.
pub fn of(name: &str) -> Option<&'static Story> {
    STORIES.iter().find(|s| s.preset == name)
}

/// The stories a newcomer is offered first (next to "Start with lesson 1"): one for each kind of
/// thing that goes wrong — two leaders, acknowledged writes lost in a failover, stale reads
/// from a partial quorum, and a conflict resolved by a skewed clock.
pub const FIRST_STORIES: [&str; 4] =
    ["split-brain-naive", "failover-async-loss", "ll-partial-quorum", "ml-lww-clock-skew"];

/// The human title of a preset (its name when it has no story).
pub fn title(name: &str) -> &str {
    of(name).map_or(name, |s| s.title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PRESETS;

    #[test]
    fn every_preset_has_a_story_that_arrives_within_its_run_and_ten_seconds() {
        for p in PRESETS {
            let s = of(p.name).unwrap_or_else(|| panic!("preset {} has no story", p.name));
            let scenario = p.scenario().expect("presets load");
            assert!(s.key_ms as f64 <= scenario.duration_ms, "{}: key moment after the end", p.name);
            assert!(s.speed > 0.0 && s.speed <= 10.0, "{}: speed {}", p.name, s.speed);
            let real_s = s.key_ms as f64 / 1000.0 / s.speed;
            assert!(real_s <= 10.0, "{}: the key moment arrives after {real_s:.1} s", p.name);
            assert!(!s.title.is_empty() && s.title != p.name, "{}: no human title", p.name);
        }
        assert_eq!(STORIES.len(), PRESETS.len(), "a story for a preset that does not exist");
    }

    #[test]
    fn the_first_stories_are_presets_with_stories() {
        for name in FIRST_STORIES {
            assert!(PRESETS.iter().any(|p| p.name == name), "{name} is not a preset");
            assert!(of(name).is_some(), "{name} has no story");
        }
    }

    #[test]
    fn titles_fall_back_to_the_identifier() {
        assert_eq!(title("split-brain-naive"), "Split brain: two leaders after naive failover");
        assert_eq!(title("no-such-preset"), "no-such-preset");
    }
}
