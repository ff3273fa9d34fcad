//! Settings of the multi-leader family.

use serde::{Deserialize, Serialize};

use crate::conflict::ConflictResolution;
use crate::protocol::{Key, NodeId};
use crate::time::{from_ms, Dur};

/// Which leaders send their updates to which.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Topology {
    /// Every leader sends its own writes straight to every other leader.
    #[default]
    AllToAll,
    /// Each leader forwards everything to the next datacenter's leader, around a circle.
    Ring,
    /// Spokes send their writes to the hub, which forwards everything to every spoke.
    Star { hub: usize },
}

/// When a multi-leader write returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    /// The leader applies the write, acknowledges it and replicates it in the background.
    #[default]
    Eventual,
    /// Multi-Region strong consistency (DynamoDB global tables, MRSC): the leader first
    /// reserves the key at a majority of the leaders (itself included); a leader that has the
    /// key reserved by another pending write refuses, and a write that cannot get a majority
    /// fails with `replicated_write_conflict` (nothing written). With the majority, the leader
    /// applies the write, ships it, and acknowledges it once another leader has it; then it
    /// releases its reservations. Last-write-wins register keys, all-to-all topology only.
    Strong,
}

/// A range of keys with its own conflict resolution (`from..=to`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpace {
    pub from: Key,
    pub to: Key,
    pub conflicts: ConflictResolution,
}

/// Settings of the multi-leader family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiLeaderConfig {
    /// Datacenter of each node (default: every node its own datacenter). The lowest-numbered
    /// node of each datacenter leads it; the others follow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacenters: Option<Vec<usize>>,
    #[serde(default)]
    pub topology: Topology,
    /// How conflicts are resolved on keys outside every key space.
    #[serde(default)]
    pub conflicts: ConflictResolution,
    /// Key ranges resolved differently (counters, sets, …); they may not overlap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_spaces: Vec<KeySpace>,
    /// Hold an update until every update it depends on (by its version vector) has arrived.
    /// Off: apply in arrival order, so an update can overtake the insert it modifies.
    #[serde(default = "yes")]
    pub causal_delivery: bool,
    #[serde(default = "default_heartbeat")]
    pub heartbeat_ms: f64,
    #[serde(default = "default_batch")]
    pub batch: usize,
    /// When a write returns: `eventual` (default) or `strong`.
    #[serde(default, skip_serializing_if = "is_eventual")]
    pub consistency: Consistency,
}

fn is_eventual(c: &Consistency) -> bool {
    *c == Consistency::Eventual
}

fn yes() -> bool {
    true
}

fn default_heartbeat() -> f64 {
    50.0
}

fn default_batch() -> usize {
    64
}

impl Default for MultiLeaderConfig {
    fn default() -> Self {
        MultiLeaderConfig {
            datacenters: None,
            topology: Topology::AllToAll,
            conflicts: ConflictResolution::Lww,
            key_spaces: Vec::new(),
            causal_delivery: true,
            heartbeat_ms: default_heartbeat(),
            batch: default_batch(),
            consistency: Consistency::Eventual,
        }
    }
}

impl MultiLeaderConfig {
    /// The datacenter of every node of an `n`-node cluster.
    pub fn dcs(&self, n: usize) -> Vec<usize> {
        self.datacenters.clone().unwrap_or_else(|| (0..n).collect())
    }

    /// The leader of every datacenter, in datacenter order.
    pub fn leaders(&self, n: usize) -> Vec<NodeId> {
        let dcs = self.dcs(n);
        let mut ids: Vec<usize> = dcs.clone();
        crate::sort::sort(&mut ids);
        ids.dedup();
        ids.iter().map(|&dc| (0..n).find(|&i| dcs[i] == dc).unwrap_or(0)).collect()
    }

    /// How conflicts on `key` are resolved.
    pub fn conflicts_of(&self, key: Key) -> ConflictResolution {
        self.key_spaces.iter().find(|s| (s.from..=s.to).contains(&key)).map_or(self.conflicts, |s| s.conflicts)
    }

    pub(crate) fn heartbeat(&self) -> Dur {
        from_ms(self.heartbeat_ms).max(1)
    }

    /// Checks the settings for a cluster of `n` nodes; errors name the field.
    pub fn validate(&self, n: usize) -> Result<(), (String, String)> {
        let err = |f: &str, m: String| Err((f.to_string(), m));
        if let Some(d) = &self.datacenters {
            if d.len() != n {
                return err("datacenters", format!("gives {} datacenters for {n} nodes; give one per node", d.len()));
            }
        }
        if let Topology::Star { hub } = self.topology {
            let dcs = self.leaders(n).len();
            if hub >= dcs {
                return err("topology.star.hub", format!("datacenter {hub} does not exist (there are {dcs})"));
            }
        }
        if !(self.heartbeat_ms.is_finite() && self.heartbeat_ms >= 0.1 && self.heartbeat_ms <= 600_000.0) {
            return err("heartbeat_ms", format!("must be between 0.1 and 600000, got {}", self.heartbeat_ms));
        }
        for (i, ks) in self.key_spaces.iter().enumerate() {
            if ks.from > ks.to {
                return err(
                    &format!("key_spaces[{i}]"),
                    format!("`from` ({}) must not be greater than `to` ({})", ks.from, ks.to),
                );
            }
            if let Some(j) = self.key_spaces[..i].iter().position(|o| o.from <= ks.to && ks.from <= o.to) {
                return err(
                    &format!("key_spaces[{i}]"),
                    format!("keys {}..={} overlap key_spaces[{j}]", ks.from, ks.to),
                );
            }
        }
        if self.key_spaces.len() > 1000 {
            return err("key_spaces", "at most 1000 key spaces".into());
        }
        if self.consistency == Consistency::Strong {
            if self.topology != Topology::AllToAll {
                return err("consistency", "strong consistency needs the all_to_all topology".into());
            }
            if self.conflicts != ConflictResolution::Lww || !self.key_spaces.is_empty() {
                return err("consistency", "strong consistency needs \"lww\" conflicts and no key spaces".into());
            }
        }
        if self.batch == 0 || self.batch > 100_000 {
            return err("batch", format!("must be between 1 and 100000, got {}", self.batch));
        }
        Ok(())
    }
}
