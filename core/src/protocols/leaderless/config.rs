//! Settings of the leaderless family.

use serde::{Deserialize, Serialize};

use crate::conflict::ConflictResolution;
use crate::protocol::Key;
use crate::time::{from_ms, Dur};

/// Settings of the leaderless family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaderlessConfig {
    /// Replicas per key (N). Key `k`'s replicas are nodes `k mod n`, `k+1 mod n`, …
    #[serde(default = "three")]
    pub replicas: usize,
    /// Acknowledgements a write waits for (W), unless the request says otherwise.
    #[serde(default = "two")]
    pub w: usize,
    /// Responses a read waits for (R), unless the request says otherwise.
    #[serde(default = "two")]
    pub r: usize,
    /// How concurrent writes to a key are resolved: last write wins by the coordinator's clock
    /// (Cassandra) or siblings (Riak, Dynamo); the other resolutions are multi-leader's.
    #[serde(default)]
    pub resolution: ConflictResolution,
    /// Repair replicas that answered a read with old data.
    #[serde(default = "yes")]
    pub read_repair: bool,
    /// Compare replicas in the background every this many milliseconds (a two-level Merkle
    /// tree of key hashes) and exchange what differs. Off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anti_entropy_ms: Option<f64>,
    /// Sloppy quorum: when a replica has not acknowledged within `sloppy_after_ms`, write to
    /// the next node on the ring instead, with a hint naming the intended replica; that node
    /// hands the write off when the replica is back.
    #[serde(default)]
    pub sloppy_quorum: bool,
    #[serde(default = "default_sloppy_after")]
    pub sloppy_after_ms: f64,
    /// Replicas purge a tombstone (what a delete writes) once it is this old by their clock,
    /// like Cassandra's `gc_grace_seconds`. A replica that missed the delete and comes back
    /// after that resurrects the deleted data. Absent: tombstones are kept forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tombstone_grace_ms: Option<f64>,
    /// The coordinator gives up on a request after this long.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: f64,
    /// Hinted handoff at the coordinator (Cassandra's `hinted_handoff_enabled`): a replica that
    /// has not acknowledged a write when the coordinator stops waiting for it
    /// (`request_timeout_ms`) gets a hint the coordinator keeps, and replays until the replica
    /// acknowledges it. Hints never count toward W. (`sloppy_quorum` is the other kind: a
    /// stand-in node takes the write and its hint.)
    #[serde(default)]
    pub hinted_handoff: bool,
    /// Cassandra's `max_hint_window`: a coordinator stores no new hint for a replica that has
    /// been silent (no message from it) for this long. Absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_hint_window_ms: Option<f64>,
    /// Cells per row (Cassandra's per-column timestamps): keys `r*columns ..= r*columns +
    /// columns - 1` are the cells of row `r` and share the row's replicas (nodes `r mod n`,
    /// `r+1 mod n`, …); each cell keeps its own timestamp, so last write wins per cell and
    /// concurrent writes to different columns of a row both survive. 1: every key is its own row.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub columns: usize,
}

fn one() -> usize {
    1
}

fn is_one(v: &usize) -> bool {
    *v == 1
}

fn three() -> usize {
    3
}

fn two() -> usize {
    2
}

fn yes() -> bool {
    true
}

fn default_sloppy_after() -> f64 {
    50.0
}

fn default_request_timeout() -> f64 {
    500.0
}

impl Default for LeaderlessConfig {
    fn default() -> Self {
        LeaderlessConfig {
            replicas: 3,
            w: 2,
            r: 2,
            resolution: ConflictResolution::Lww,
            read_repair: true,
            anti_entropy_ms: None,
            sloppy_quorum: false,
            sloppy_after_ms: default_sloppy_after(),
            tombstone_grace_ms: None,
            request_timeout_ms: default_request_timeout(),
            hinted_handoff: false,
            max_hint_window_ms: None,
            columns: 1,
        }
    }
}

impl LeaderlessConfig {
    /// Checks the settings for a cluster of `n` nodes; errors name the field.
    pub fn validate(&self, n: usize) -> Result<(), (String, String)> {
        let err = |f: &str, m: String| Err((f.to_string(), m));
        if self.replicas == 0 || self.replicas > n {
            return err(
                "replicas",
                format!("N must be between 1 and the number of nodes ({n}), got {}", self.replicas),
            );
        }
        if self.w == 0 || self.w > self.replicas {
            return err("w", format!("W must be between 1 and N ({}), got {}", self.replicas, self.w));
        }
        if self.r == 0 || self.r > self.replicas {
            return err("r", format!("R must be between 1 and N ({}), got {}", self.replicas, self.r));
        }
        if !ConflictResolution::LEADERLESS.contains(&self.resolution) {
            return err(
                "resolution",
                format!(
                    "{:?} is a multi-leader resolution; a leaderless cluster resolves conflicts by \"lww\" or \"siblings\"",
                    self.resolution.as_str()
                ),
            );
        }
        for (name, v) in [
            ("sloppy_after_ms", self.sloppy_after_ms),
            ("request_timeout_ms", self.request_timeout_ms),
            ("anti_entropy_ms", self.anti_entropy_ms.unwrap_or(1.0)),
            ("tombstone_grace_ms", self.tombstone_grace_ms.unwrap_or(1.0)),
        ] {
            if !(v.is_finite() && (0.1..=3_600_000.0).contains(&v)) {
                return err(name, format!("must be between 0.1 and 3600000, got {v}"));
            }
        }
        if let Some(w) = self.max_hint_window_ms {
            if !(w.is_finite() && (0.1..=864_000_000.0).contains(&w)) {
                return err("max_hint_window_ms", format!("must be between 0.1 and 864000000, got {w}"));
            }
        }
        if self.columns == 0 || self.columns > 1000 {
            return err("columns", format!("must be between 1 and 1000, got {}", self.columns));
        }
        Ok(())
    }

    /// The row a key (a cell) belongs to: what its replicas are placed by.
    pub fn row(&self, key: Key) -> usize {
        key as usize / self.columns.max(1)
    }

    pub(crate) fn ms(v: f64) -> Dur {
        from_ms(v).max(1)
    }
}
