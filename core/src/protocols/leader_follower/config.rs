//! Settings of the leader-follower family.

use serde::{Deserialize, Serialize};

use crate::protocol::NodeId;
use crate::time::{from_ms, Dur};

/// When the leader acknowledges a write to its client.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AckPolicy {
    /// As soon as the leader has it (PostgreSQL `synchronous_commit = local`, MySQL default).
    #[default]
    Async,
    /// When every follower has it (a write is as slow as the slowest follower and stalls
    /// while any follower is down).
    Sync,
    /// When a majority of the cluster (leader included) has it (MongoDB `w: "majority"`).
    Majority,
    /// When `k` followers have it.
    SemiSync(SemiSync),
}

/// Which followers count for semi-synchronous acknowledgement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SemiSyncMode {
    /// Any `k` followers (PostgreSQL `ANY k (...)`, MySQL semi-sync).
    #[default]
    Any,
    /// The first `k` connected followers in priority order (PostgreSQL `FIRST k (...)`).
    First,
}

/// Semi-synchronous replication settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SemiSync {
    pub k: usize,
    #[serde(default)]
    pub mode: SemiSyncMode,
    /// Followers in priority order (default: all followers by id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Vec<NodeId>>,
    /// After waiting this long for acknowledgements, fall back to asynchronous replication
    /// and acknowledge (MySQL `rpl_semi_sync_source_timeout`, 10 s by default there). Without
    /// it, writes wait forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<f64>,
}

/// Settings of the leader-follower family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaderFollowerConfig {
    /// The initial leader.
    #[serde(default)]
    pub leader: NodeId,
    #[serde(default)]
    pub ack: AckPolicy,
    /// Interval of the leader's heartbeats (which also retransmit what a follower misses).
    #[serde(default = "default_heartbeat")]
    pub heartbeat_ms: f64,
    /// Most log entries in one replication message.
    #[serde(default = "default_batch")]
    pub batch: usize,
}

fn default_heartbeat() -> f64 {
    50.0
}

fn default_batch() -> usize {
    64
}

impl Default for LeaderFollowerConfig {
    fn default() -> Self {
        LeaderFollowerConfig { leader: 0, ack: AckPolicy::Async, heartbeat_ms: default_heartbeat(), batch: default_batch() }
    }
}

impl LeaderFollowerConfig {
    /// Checks the settings for a cluster of `n` nodes; errors name the field.
    pub fn validate(&self, n: usize) -> Result<(), (String, String)> {
        let err = |f: &str, m: String| Err((f.to_string(), m));
        if self.leader >= n {
            return err("leader", format!("unknown node {}; the cluster has nodes 0 to {}", self.leader, n - 1));
        }
        if !(self.heartbeat_ms.is_finite() && self.heartbeat_ms >= 0.1 && self.heartbeat_ms <= 600_000.0) {
            return err("heartbeat_ms", format!("must be between 0.1 and 600000, got {}", self.heartbeat_ms));
        }
        if self.batch == 0 || self.batch > 100_000 {
            return err("batch", format!("must be between 1 and 100000, got {}", self.batch));
        }
        if let AckPolicy::SemiSync(s) = &self.ack {
            let followers = n - 1;
            if s.k == 0 || s.k > followers {
                return err(
                    "ack.semi_sync.k",
                    format!("must be between 1 and the number of followers ({followers}), got {}", s.k),
                );
            }
            if let Some(p) = &s.priority {
                for (i, &f) in p.iter().enumerate() {
                    if f >= n {
                        return err(&format!("ack.semi_sync.priority[{i}]"), format!("unknown node {f}"));
                    }
                    if p[..i].contains(&f) {
                        return err(&format!("ack.semi_sync.priority[{i}]"), format!("node {f} is listed twice"));
                    }
                }
                if p.len() < s.k {
                    return err("ack.semi_sync.priority", format!("lists {} nodes, fewer than k = {}", p.len(), s.k));
                }
            }
            if let Some(t) = s.timeout_ms {
                if !(t.is_finite() && t >= 0.001 && t <= 3_600_000.0) {
                    return err("ack.semi_sync.timeout_ms", format!("must be between 0.001 and 3600000, got {t}"));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn heartbeat(&self) -> Dur {
        from_ms(self.heartbeat_ms).max(1)
    }
}
