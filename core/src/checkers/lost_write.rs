//! `lost_write`: a write was acknowledged to its client, yet no node holds it any more.
//!
//! "Holds" counts a write that was logged or applied and later overwritten: overwriting is not
//! loss. What a crashed node kept durably counts as surviving; what it had only in memory does
//! not (the protocol's `crash` has already dropped it).

use std::collections::{BTreeMap, BTreeSet};

use super::{Anomaly, AnomalyKind};
use crate::checkers::stale_read::StaleReadChecker;
use crate::history::{History, Operation};
use crate::protocol::{Key, NodeId, OpId, Value};
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
    ops: impl Iterator<Item = &'a Operation>,
    held: &[BTreeSet<(Key, Value)>],
    now: Time,
    logs: bool,
) -> Vec<Anomaly> {
    // Only retained operations: compaction drops a write's details once it is settled, and an
    // archived write may be compacted into a log prefix that no longer lists it one by one.
    // The candidates first (acknowledged writes no node holds): usually there are none, and
    // the indexes over the whole history below are built only when there are.
    let candidates: Vec<&Operation> = ops
        .filter(|op| {
            let (Some(value), Some(_)) = (op.written(), op.ok_time()) else { return false };
            !op.is_delete() && !held.iter().any(|h| h.contains(&(op.key(), value)))
        })
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let writer: BTreeMap<Value, &Operation> =
        crate::sort::collect(history.all().filter_map(|o| o.written().map(|v| (v, o))));
    // When a read first returned each value: its write had certainly taken effect by then,
    // acknowledged or not.
    let mut observed: BTreeMap<Value, Time> = BTreeMap::new();
    for op in history.all() {
        let (Some(values), Some(c)) = (op.read_values(), &op.completion) else { continue };
        for &v in values {
            let t = observed.entry(v).or_insert(c.time);
            *t = (*t).min(c.time);
        }
    }
    let mut last_delete: BTreeMap<Key, Time> = BTreeMap::new();
    for op in history.all().filter(|o| o.is_delete()) {
        let t = last_delete.entry(op.key()).or_default();
        *t = (*t).max(op.invoke);
    }
    for op in candidates {
        let (Some(value), Some(ack)) = (op.written(), op.ok_time()) else { continue };
        let key = op.key();
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
    held_where(nodes, |_| true)
}

/// What each node holds of the keys `keep` accepts.
fn held_where<P: crate::protocol::Protocol>(nodes: &[P], keep: impl Fn(Key) -> bool) -> Vec<BTreeSet<(Key, Value)>> {
    nodes
        .iter()
        .map(|n| {
            let mut set = BTreeSet::new();
            n.for_each_write(&mut |k, v| {
                if keep(k) {
                    set.insert((k, v));
                }
            });
            set
        })
        .collect()
}

/// What each node holds of one key, in the form [`check`] takes.
pub fn held_of_key<P: crate::protocol::Protocol>(nodes: &[P], key: Key) -> Vec<BTreeSet<(Key, Value)>> {
    held_where(nodes, |k| k == key)
}

/// Which nodes hold a given write.
pub fn holders(held: &[BTreeSet<(Key, Value)>], key: Key, value: Value) -> Vec<NodeId> {
    held.iter().enumerate().filter(|(_, h)| h.contains(&(key, value))).map(|(i, _)| i).collect()
}

/// The lost-write monitor: which lost writes were reported (each once), acknowledged writes
/// that compaction dropped while only down nodes held them (kept, so that what is reported
/// never depends on compaction), and writes that conflict resolution discarded before their
/// acknowledgement arrived (judged when it does).
#[derive(Clone, Debug, Default)]
pub struct LostWriteMonitor {
    reported: BTreeSet<OpId>,
    at_risk_dropped: BTreeSet<OpId>,
    /// (lost, by, the node that discarded it).
    superseded_unacked: Vec<(OpId, OpId, NodeId)>,
    /// Values that an ok read returned while their write was not acknowledged, with the write
    /// and the first such read (families whose nodes keep every write they applied only: there
    /// a value no node holds was thrown away, not overwritten).
    read_unacked: litemap::LiteMap<Value, (OpId, OpId, NodeId)>,
}

impl LostWriteMonitor {
    /// Marks a write reported; false if it already was.
    pub fn report(&mut self, op: OpId) -> bool {
        self.reported.insert(op)
    }

    /// Acknowledged writes no node holds any more, and reads of unacknowledged writes no node
    /// holds any more (dirty reads), not reported before (now they are).
    pub fn check_now(
        &mut self,
        history: &History,
        held: &[BTreeSet<(Key, Value)>],
        now: Time,
        logs: bool,
        settled: &dyn Fn(OpId) -> bool,
    ) -> Vec<Anomaly> {
        let mut found: Vec<Anomaly> =
            check(history, held, now, logs).into_iter().filter(|a| self.reported.insert(a.ops[0])).collect();
        found.extend(self.dirty_reads(None, history, held, now, settled));
        found
    }

    /// [`LostWriteMonitor::check_now`] for one write that just completed (`held`: what the
    /// nodes hold of its key, see [`held_of_key`]): acknowledged, it is lost if no node holds
    /// it; otherwise a read that returned it is dirty once no node holds it.
    pub fn check_write(
        &mut self,
        op: OpId,
        history: &History,
        held: &[BTreeSet<(Key, Value)>],
        now: Time,
        logs: bool,
    ) -> Vec<Anomaly> {
        let Some(o) = history.get(op) else { return Vec::new() };
        let mut found: Vec<Anomaly> = check_ops(history, std::iter::once(o), held, now, logs)
            .into_iter()
            .filter(|a| self.reported.insert(a.ops[0]))
            .collect();
        found.extend(self.dirty_reads(Some(op), history, held, now, &|_| true));
        found
    }

    /// A read completed (`logs`: the family's nodes keep every write they applied): if it
    /// returned a value whose write is not acknowledged, remember it until the write is
    /// acknowledged (then it is [`check`]'s) or its value is gone.
    pub fn read_completed(
        &mut self,
        read: &Operation,
        history: &History,
        writer: &litemap::LiteMap<Value, OpId>,
        logs: bool,
    ) {
        let (true, Some(values)) = (logs && read.is_ok(), read.read_values()) else { return };
        for v in values {
            let Some(&w) = writer.get(v) else { continue };
            if history.get(w).is_some_and(|o| !o.is_ok() && !o.is_delete()) {
                self.read_unacked.entry(*v).or_insert((w, read.id, read.node));
            }
        }
    }

    /// The (key, value) of watched writes older than `first` (those a log compaction may trim).
    pub fn watched_before(&self, first: OpId, history: &History) -> Vec<(Key, Value)> {
        self.read_unacked
            .iter()
            .filter(|(_, (w, _, _))| *w < first)
            .filter_map(|(&v, (w, _, _))| history.get(*w).map(|o| (o.key(), v)))
            .collect()
    }

    /// A log compaction trimmed these values (every peer had them): they are safe.
    pub fn trimmed(&mut self, values: impl IntoIterator<Item = Value>) {
        for v in values {
            self.read_unacked.remove(&v);
        }
    }

    /// The operations the dirty-read watch refers to (compaction keeps them archived).
    pub fn referenced(&self, out: &mut Vec<OpId>) {
        out.extend(self.read_unacked.values().map(|&(w, _, _)| w));
    }

    /// Whether a read returned the value of write `op` before it was acknowledged.
    pub fn was_read_unacked(&self, op: OpId) -> bool {
        self.read_unacked.values().any(|&(w, _, _)| w == op)
    }

    /// Reads of values whose write was not acknowledged and can no longer be (`settled`), and
    /// which no node holds any more.
    /// A write acknowledged meanwhile leaves the list (its loss is a lost write); one that
    /// compaction dropped too (its value settled long ago) leaves it unjudged.
    fn dirty_reads(
        &mut self,
        only: Option<OpId>,
        history: &History,
        held: &[BTreeSet<(Key, Value)>],
        now: Time,
        settled: &dyn Fn(OpId) -> bool,
    ) -> Vec<Anomaly> {
        self.read_unacked.retain(|_, (w, _, _)| history.get(*w).is_some_and(|o| !o.is_ok()));
        let mut found = Vec::new();
        for (&value, &(w, r, read_node)) in &self.read_unacked {
            if only.is_some_and(|o| o != w) {
                continue;
            }
            let Some(write) = history.get(w) else { continue };
            if !settled(w) {
                // Its request or its acknowledgement is still on its way: judged later.
                continue;
            }
            let key = write.key();
            if held.iter().any(|h| h.contains(&(key, value))) || !self.reported.insert(w) {
                continue;
            }
            let outcome = match write.completion.as_ref().map(|c| &c.outcome) {
                Some(crate::history::Outcome::Fail { .. }) => "refused",
                Some(_) => "never acknowledged",
                None => "not acknowledged (and can no longer be)",
            };
            found.push(Anomaly {
                kind: AnomalyKind::DirtyRead,
                time: now,
                ops: vec![r, w],
                nodes: vec![read_node, write.node],
                explanation: format!(
                    "read op{r} at n{read_node} returned v{value} of k{key}, written by op{w}, which was {outcome} and which no node holds any more: the read saw data that was later thrown away (a dirty read)"
                ),
            });
        }
        self.read_unacked.retain(|_, (w, _, _)| !self.reported.contains(w));
        found
    }

    /// Acknowledged writes that only the nodes marked `down` hold, not reported yet: lost to
    /// every client unless one of those nodes comes back. (Writes no node holds at all are
    /// [`LostWriteMonitor::check_now`]'s.)
    pub fn only_on_down_nodes(
        &self,
        history: &History,
        held: &[BTreeSet<(Key, Value)>],
        down: &[bool],
        now: Time,
        logs: bool,
    ) -> Vec<Anomaly> {
        let live: Vec<_> =
            held.iter().zip(down).map(|(h, &d)| if d { Default::default() } else { h.clone() }).collect();
        let archived = self.at_risk_dropped.iter().filter_map(|id| history.archive.get(id));
        let ops = history.ops.iter().chain(archived);
        let mut out = Vec::new();
        for mut a in check_ops(history, ops, &live, now, logs) {
            if self.reported.contains(&a.ops[0]) {
                continue;
            }
            let Some(o) = history.get(a.ops[0]) else { continue };
            let holders = holders(held, o.key(), o.written().unwrap_or_default());
            if holders.is_empty() {
                continue;
            }
            let names: Vec<String> = holders.iter().map(|n| format!("n{n}")).collect();
            a.nodes = holders;
            a.explanation = format!(
                "write op{} (k{} = v{}) was acknowledged, but only {} held it, which is down: no client can read it",
                o.id,
                o.key(),
                o.written().unwrap_or_default(),
                names.join(" and ")
            );
            out.push(a);
        }
        out
    }

    /// Compaction is about to drop operations up to `last`: the writes at risk among them
    /// (`risk`, from [`LostWriteMonitor::only_on_down_nodes`]) are kept.
    pub fn before_dropping(&mut self, risk: &[Anomaly], last: OpId) {
        self.at_risk_dropped.extend(risk.iter().map(|a| a.ops[0]).filter(|&op| op <= last));
    }

    /// After compaction: forgets what no longer matters (`kept`: dropped writes a node still
    /// holds, which stay archived; sorted).
    pub fn compact(&mut self, history: &History, kept: &[OpId]) {
        self.at_risk_dropped.retain(|op| kept.binary_search(op).is_ok());
        self.reported.retain(|&op| history.get(op).is_some());
    }

    /// Node `node` discarded write `lost` for write `by`. Reports it now if it was
    /// acknowledged, or remembers it until its outcome is known.
    pub fn superseded(
        &mut self,
        lost: OpId,
        by: OpId,
        node: NodeId,
        history: &History,
        stale: &StaleReadChecker,
        now: Time,
    ) -> Option<Anomaly> {
        let o = history.get(lost)?;
        if o.is_ok() {
            return self.judge_superseded(lost, by, node, history, stale, now);
        }
        if o.completion.is_none() && !self.superseded_unacked.iter().any(|&(l, b, _)| (l, b) == (lost, by)) {
            self.superseded_unacked.push((lost, by, node));
        }
        None
    }

    /// A write completed: the discards that waited for its outcome are judged.
    pub fn write_completed(
        &mut self,
        op: OpId,
        history: &History,
        stale: &StaleReadChecker,
        now: Time,
    ) -> Vec<Anomaly> {
        if !self.superseded_unacked.iter().any(|&(l, _, _)| l == op) {
            return Vec::new();
        }
        let pending: Vec<_> = self.superseded_unacked.iter().copied().filter(|&(l, _, _)| l == op).collect();
        self.superseded_unacked.retain(|&(l, _, _)| l != op);
        if !history.get(op).is_some_and(|o| o.is_ok()) {
            return Vec::new();
        }
        pending.into_iter().filter_map(|(l, b, node)| self.judge_superseded(l, b, node, history, stale, now)).collect()
    }

    /// Write `lost` was discarded for `by`: if `by` had certainly taken effect (acknowledged,
    /// or returned by a read, whatever its outcome) before `lost` even began, a later write
    /// silently lost to an earlier one.
    fn judge_superseded(
        &mut self,
        lost: OpId,
        by: OpId,
        node: NodeId,
        history: &History,
        stale: &StaleReadChecker,
        now: Time,
    ) -> Option<Anomaly> {
        let (l, b) = (history.get(lost)?, history.get(by)?);
        let by_ack = b.written().and_then(|v| stale.effect_bound(v, history))?;
        if by_ack >= l.invoke || l.ok_time().is_none() || self.reported.contains(&lost) {
            return None;
        }
        self.reported.insert(lost);
        Some(Anomaly {
            kind: AnomalyKind::LostWrite,
            time: now,
            ops: vec![lost, by],
            nodes: vec![node, l.node],
            explanation: format!(
                "write op{lost} (k{} = v{}) was acknowledged, but n{node} discarded it for op{by} (v{}), which was {} at {:.3} ms, before op{lost} began at {:.3} ms: last write wins by timestamp, and a clock made the later write look older",
                l.key(),
                l.written().unwrap_or_default(),
                b.written().unwrap_or_default(),
                if b.ok_time() == Some(by_ack) { "acknowledged" } else { "never acknowledged but already read" },
                to_ms(by_ack),
                to_ms(l.invoke)
            ),
        })
    }
}
