//! Settings of the multi-leader family.

use serde::{Deserialize, Serialize};

use crate::protocol::NodeId;
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

/// How concurrent writes to one key are resolved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conflicts {
    /// Last write wins by the writing node's clock (Cassandra, DynamoDB global tables): a
    /// write with an older timestamp is silently dropped, even when it happened later.
    #[default]
    Lww,
    /// Keep every concurrent value (dotted version vectors, as Riak does): reads return all
    /// siblings with their causal context; a write carrying the context replaces them.
    Siblings,
    /// No conflict detection at all: the update that arrives last wins. Replicas that see
    /// updates in different orders end up different.
    LastArrival,
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
    #[serde(default)]
    pub conflicts: Conflicts,
    /// Hold an update until every update it depends on (by its version vector) has arrived.
    /// Off: apply in arrival order, so an update can overtake the insert it modifies.
    #[serde(default = "yes")]
    pub causal_delivery: bool,
    #[serde(default = "default_heartbeat")]
    pub heartbeat_ms: f64,
    #[serde(default = "default_batch")]
    pub batch: usize,
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
            conflicts: Conflicts::Lww,
            causal_delivery: true,
            heartbeat_ms: default_heartbeat(),
            batch: default_batch(),
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
        ids.sort_unstable();
        ids.dedup();
        ids.iter().map(|&dc| (0..n).find(|&i| dcs[i] == dc).unwrap_or(0)).collect()
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
        if self.batch == 0 || self.batch > 100_000 {
            return err("batch", format!("must be between 1 and 100000, got {}", self.batch));
        }
        Ok(())
    }
}
