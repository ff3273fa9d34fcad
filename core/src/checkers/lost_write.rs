//! `lost_write`: a write was acknowledged to its client, yet no node holds it any more.
//!
//! "Holds" counts a write that was logged or applied and later overwritten: overwriting is not
//! loss. What a crashed node kept durably counts as surviving; what it had only in memory does
//! not (the protocol's `crash` has already dropped it).

use std::collections::BTreeSet;

use super::{Anomaly, AnomalyKind};
use crate::history::History;
use crate::protocol::{Key, NodeId, Value};
use crate::time::{to_ms, Time};

/// Finds acknowledged writes that no node holds. `held` lists, per node, the writes it holds.
///
/// With `logs` (the nodes keep every write they applied), a write held by no node is lost.
/// Without (the nodes keep only current values), a write held by no node is lost only when
/// every value that replaced it was written by a write acknowledged before it began: the later
/// write lost to an older one, as last-write-wins does with a skewed clock. A replacing write
/// whose outcome is unknown (or failed, though a replica applied it) counts as older once a read
/// had returned it before this write began.
///
/// Deletes write tombstones, which count as values here (a tombstone replaced the write). A
/// write is not lost either when a delete of its key was invoked after it: the data may have
/// been deleted and its tombstone purged since. Deletes themselves and updates of counters and
/// sets are not checked.
pub fn check(history: &History, held: &[BTreeSet<(Key, Value)>], now: Time, logs: bool) -> Vec<Anomaly> {
    check_ops(history, history.ops.iter(), held, now, logs)
}

/// [`check`] over the given operations only (for example the archived ones too).
pub fn check_ops<'a>(
    history: &History,
    ops: impl Iterator<Item = &'a crate::history::Operation>,
    held: &[BTreeSet<(Key, Value)>],
    now: Time,
    logs: bool,
) -> Vec<Anomaly> {
    let mut out = Vec::new();
    let writer: std::collections::BTreeMap<Value, &crate::history::Operation> =
        history.all().filter_map(|o| o.written().map(|v| (v, o))).collect();
    // When a read first returned each value: its write had certainly taken effect by then,
    // acknowledged or not.
    let mut observed: std::collections::BTreeMap<Value, Time> = std::collections::BTreeMap::new();
    for op in history.all() {
        let (Some(values), Some(c)) = (op.read_values(), &op.completion) else { continue };
        for &v in values {
            let t = observed.entry(v).or_insert(c.time);
            *t = (*t).min(c.time);
        }
    }
    let mut last_delete: std::collections::BTreeMap<Key, Time> = std::collections::BTreeMap::new();
    for op in history.all().filter(|o| o.is_delete()) {
        let t = last_delete.entry(op.key()).or_default();
        *t = (*t).max(op.invoke);
    }
    // Only retained operations: compaction drops a write's details once it is settled, and an
    // archived write may be compacted into a log prefix that no longer lists it one by one.
    for op in ops {
        let (Some(value), Some(ack)) = (op.written(), op.ok_time()) else { continue };
        let key = op.key();
        if op.is_delete() || held.iter().any(|h| h.contains(&(key, value))) {
            continue;
        }
        if last_delete.get(&key).is_some_and(|&d| d >= op.invoke) {
            continue;
        }
        if !logs {
            let replaced_by_newer = held.iter().flat_map(|h| h.range((key, 0)..=(key, Value::MAX))).any(|&(_, v)| {
                // The replacing write took effect by its acknowledgement or its first read,
                // whichever came first; one that may have taken effect after this write
                // began may legitimately be newer.
                writer.get(&v).is_none_or(|w| {
                    let bound = match (w.ok_time(), observed.get(&v).copied()) {
                        (Some(a), Some(o)) => Some(a.min(o)),
                        (a, o) => a.or(o),
                    };
                    bound.is_none_or(|b| b >= op.invoke)
                })
            });
            if replaced_by_newer {
                continue;
            }
        }
        out.push(Anomaly {
            kind: AnomalyKind::LostWrite,
            time: now,
            ops: vec![op.id],
            nodes: vec![op.node],
            explanation: format!(
                "write op{} (k{key} = v{value}) was acknowledged by n{} at {:.3} ms but no node holds it any more",
                op.id,
                op.node,
                to_ms(ack)
            ),
        });
    }
    out
}

/// Collects what each node holds, in the form [`check`] takes.
pub fn held_by<P: crate::protocol::Protocol>(nodes: &[P]) -> Vec<BTreeSet<(Key, Value)>> {
    nodes
        .iter()
        .map(|n| {
            let mut set = BTreeSet::new();
            n.for_each_write(&mut |k, v| {
                set.insert((k, v));
            });
            set
        })
        .collect()
}

/// Which nodes hold a given write.
pub fn holders(held: &[BTreeSet<(Key, Value)>], key: Key, value: Value) -> Vec<NodeId> {
    held.iter().enumerate().filter(|(_, h)| h.contains(&(key, value))).map(|(i, _)| i).collect()
}
