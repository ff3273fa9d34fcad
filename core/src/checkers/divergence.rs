//! Divergence: once the cluster is quiet, the replicas that are up and hold data must agree
//! on every key they replicate. A key that holds nothing (a tombstone) is the same as a key
//! never written.

use std::collections::{BTreeMap, BTreeSet};

use crate::checkers::{Anomaly, AnomalyKind};
use crate::protocol::{Key, NodeId, Protocol, Value};
use crate::time::Time;

/// The keys on which the nodes `up` disagree, as one anomaly (none when they all agree).
pub fn check<P: Protocol>(nodes: &[P], up: &[NodeId], now: Time) -> Option<Anomaly> {
    let data: Vec<BTreeMap<Key, Vec<Value>>> = up
        .iter()
        .map(|&i| {
            crate::sort::collect(
                nodes[i].view().data.into_iter().filter(|k| !k.values.is_empty()).map(|k| (k.key, k.values)),
            )
        })
        .collect();
    let keys: BTreeSet<Key> = crate::sort::collect(data.iter().flat_map(|d| d.keys().copied()));
    let differing: Vec<Key> = keys
        .into_iter()
        .filter(|k| {
            let holders: Vec<usize> = (0..up.len()).filter(|&i| nodes[up[i]].replicates(*k)).collect();
            holders.iter().any(|&i| data[i].get(k) != holders.first().and_then(|&f| data[f].get(k)))
        })
        .collect();
    if differing.is_empty() {
        return None;
    }
    let shown: Vec<String> = differing.iter().take(5).map(|k| format!("k{k}")).collect();
    Some(Anomaly {
        kind: AnomalyKind::Divergence,
        time: now,
        ops: vec![],
        nodes: up.to_vec(),
        explanation: format!(
            "after the cluster went quiet, replicas still disagree on {} keys ({}{})",
            differing.len(),
            shown.join(", "),
            if differing.len() > 5 { ", …" } else { "" }
        ),
    })
}
