//! `stale_read`: a read returned a value although a newer write had been acknowledged before
//! the read began.
//!
//! "Newer" is real-time order, independent of any protocol: a write `w` makes the read of value
//! `v` stale when `w` was acknowledged before the read was invoked and `w` was invoked after the
//! write of `v` had been acknowledged. Then no correct (linearizable) order can place the read
//! after `w` and `v` after `w`. A delete is a write of "nothing": a read of nothing observed the
//! latest delete of the key, and is stale when a write was invoked after that delete had been
//! acknowledged (or, with no delete at all, as soon as any write to the key was acknowledged
//! before the read began). A read that returns a deleted value after the delete was
//! acknowledged is stale too: the deleted data came back. A value whose write is not yet acknowledged (or never was)
//! is never stale the first time it is read: it may legitimately be the newest.
//!
//! Writes whose outcome is unknown (or not yet known) may take effect at any moment after they
//! were invoked, but once a read has returned one, it took effect before that read completed:
//! the first completed read of such a value bounds its write the way an acknowledgement would.
//! So a value whose write never succeeded may be read as the newest once; a read of it that
//! begins after a newer write was acknowledged, following that first read, is stale.
//!
//! The checker is incremental: acknowledged writes arrive in completion order, so per key it
//! keeps them sorted by acknowledgement time with a running maximum of invocation times, and
//! answers each read with one binary search.

use litemap::LiteMap;
use std::collections::BTreeMap;

use super::{Anomaly, AnomalyKind};
use crate::history::{History, Operation};
use crate::protocol::{Key, OpId, Value};
use crate::time::{to_ms, Time};

#[derive(Clone, Debug, Default)]
struct KeyWrites {
    /// (ack time, the latest invoke time among writes acked so far, that write's op id)
    acked: Vec<(Time, Time, OpId)>,
}

/// Incremental stale-read checker.
#[derive(Clone, Debug, Default)]
pub struct StaleReadChecker {
    keys: BTreeMap<Key, KeyWrites>,
    /// Which write wrote each value (and which delete wrote each tombstone).
    writer: LiteMap<Value, OpId>,
    /// The deletes of each key.
    deletes: BTreeMap<Key, Vec<OpId>>,
    /// When a read first returned each value whose write was not acknowledged at the time.
    observed: LiteMap<Value, Time>,
    /// Buffers reused by every read (nothing in them outlives one call): the effect bounds of
    /// the values read, and the writes the read observed.
    bounds: Vec<Option<Time>>,
    sources: Vec<Option<OpId>>,
}

impl StaleReadChecker {
    /// Records a write invocation (so that reads can name the write they observed).
    pub fn on_write_invoked(&mut self, op: &Operation) {
        if let Some(v) = op.written() {
            self.writer.insert(v, op.id);
        }
        if op.is_delete() {
            self.deletes.entry(op.key()).or_default().push(op.id);
        }
    }

    /// Records a write acknowledgement. Must be called in completion-time order.
    pub fn on_write_acked(&mut self, op: &Operation) {
        let Some(ack) = op.ok_time() else { return };
        let kw = self.keys.entry(op.key()).or_default();
        let (best_invoke, best_op) = match kw.acked.last() {
            Some(&(_, inv, id)) if inv >= op.invoke => (inv, id),
            _ => (op.invoke, op.id),
        };
        kw.acked.push((ack, best_invoke, best_op));
    }

    /// Compaction: forgets what no read invoked at or after `from` can need. Per key, writes
    /// acknowledged before `from` collapse into the newest of them (each entry carries the
    /// running maximum, so that one answers for all); values and deletes not `kept` go.
    pub fn compact(&mut self, from: Time, kept: &dyn Fn(OpId) -> bool) {
        for kw in self.keys.values_mut() {
            let n = kw.acked.partition_point(|&(ack, _, _)| ack < from);
            if n > 1 {
                kw.acked.drain(..n - 1);
            }
        }
        self.writer.retain(|_, op| kept(*op));
        let writer = &self.writer;
        self.observed.retain(|v, _| writer.contains_key(v));
        for d in self.deletes.values_mut() {
            d.retain(|op| kept(*op));
        }
        self.deletes.retain(|_, d| !d.is_empty());
    }

    /// The operations this checker may still look up in the history.
    pub fn referenced(&self, out: &mut Vec<OpId>) {
        for kw in self.keys.values() {
            out.extend(kw.acked.iter().map(|&(_, _, op)| op));
        }
        out.extend(self.writer.values().copied());
        out.extend(self.deletes.values().flatten().copied());
    }

    /// When the write of `value` certainly took effect by: its acknowledgement, or the first
    /// completed read that returned it, whichever came first.
    pub fn effect_bound(&self, value: Value, history: &History) -> Option<Time> {
        let ack = self.writer.get(&value).and_then(|&id| history.get(id)).and_then(|w| w.ok_time());
        match (ack, self.observed.get(&value).copied()) {
            (Some(a), Some(o)) => Some(a.min(o)),
            (a, o) => a.or(o),
        }
    }

    /// Checks an acknowledged read against the writes acknowledged before it began.
    pub fn on_read_done(&mut self, read: &Operation, history: &History) -> Option<Anomaly> {
        let mut bounds = std::mem::take(&mut self.bounds);
        let mut sources = std::mem::take(&mut self.sources);
        bounds.clear();
        sources.clear();
        let found = self.judge_read(read, history, &mut bounds, &mut sources);
        self.bounds = bounds;
        self.sources = sources;
        found
    }

    /// [`StaleReadChecker::on_read_done`] with its buffers.
    fn judge_read(
        &mut self,
        read: &Operation,
        history: &History,
        bounds: &mut Vec<Option<Time>>,
        sources: &mut Vec<Option<OpId>>,
    ) -> Option<Anomaly> {
        let values = read.read_values()?;
        let done = read.completion.as_ref().map_or(read.invoke, |c| c.time);
        // Bound first, then remember this read as the first observation of the values it
        // returned (so that it does not bound itself).
        bounds.extend(values.iter().map(|&v| self.effect_bound(v, history)));
        for &v in values {
            if self.writer.contains_key(&v) {
                self.observed.entry(v).or_insert(done);
            }
        }
        let kw = self.keys.get(&read.key())?;
        // Writes acknowledged strictly before the read was invoked.
        let n = kw.acked.partition_point(|&(ack, _, _)| ack < read.invoke);
        if n == 0 {
            return None;
        }
        let (_, newest_invoke, newest_op) = kw.acked[n - 1];
        // The latest acknowledgement among the values returned (None: one of them is not
        // acknowledged, so it may be the newest write of all).
        let mut seen_ack: Option<Time> = Some(0);
        // The writes the read observed: those of its values, or for a read of nothing the
        // deletes of the key (the newest of them may be the one it saw).
        if values.is_empty() {
            sources.extend(self.deletes.get(&read.key()).into_iter().flatten().map(|&id| Some(id)));
        } else {
            sources.extend(values.iter().map(|v| self.writer.get(v).copied()));
        }
        let mut best: Option<Time> = None;
        for (i, id) in sources.iter().enumerate() {
            let ack =
                id.and_then(|id| if values.is_empty() { history.get(id).and_then(|w| w.ok_time()) } else { bounds[i] });
            if values.is_empty() {
                // Any one delete explains a read of nothing: the latest acknowledged one counts,
                // and one not yet acknowledged may be the newest write of all.
                best = match (best, ack) {
                    (_, None) => return None,
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (None, b) => b,
                };
            } else {
                seen_ack = match (seen_ack, ack) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
        }
        let seen_ack = seen_ack?;
        let stale = if values.is_empty() { best.is_none_or(|b| newest_invoke > b) } else { newest_invoke > seen_ack };
        if !stale {
            return None;
        }
        let missed = history.get(newest_op)?;
        let what = if values.is_empty() {
            "nothing".to_string()
        } else {
            values.iter().map(|v| format!("v{v}")).collect::<Vec<_>>().join(", ")
        };
        let mut ops = vec![read.id, newest_op];
        ops.extend(sources.iter().flatten());
        // What the read missed: a write, or a delete whose data came back.
        let (missed_what, coda) = if missed.is_delete() {
            (
                format!("delete op{} of k{}", missed.id, read.key()),
                if values.is_empty() { "" } else { ": deleted data came back" },
            )
        } else {
            (format!("write op{} (v{})", missed.id, missed.written().unwrap_or_default()), "")
        };
        // A value whose write was never acknowledged is stale only because it had been read
        // before: say so.
        let earlier = values.iter().zip(bounds.iter()).find_map(|(&v, b)| {
            let acked = self.writer.get(&v).and_then(|&id| history.get(id)).and_then(|w| w.ok_time());
            match (acked, b) {
                (None, Some(t)) => Some(format!(
                    "; v{v} was never acknowledged, but a read had already returned it at {:.3} ms, so it was older",
                    to_ms(*t)
                )),
                _ => None,
            }
        });
        let coda = format!("{coda}{}", earlier.unwrap_or_default());
        Some(Anomaly {
            kind: AnomalyKind::StaleRead,
            time: read.completion.as_ref().map(|c| c.time).unwrap_or(read.invoke),
            ops,
            nodes: vec![read.node],
            explanation: format!(
                "read op{} of k{} at n{} returned {what}, but {missed_what} was acknowledged at {:.3} ms, before the read began at {:.3} ms{coda}",
                read.id,
                read.key(),
                read.node,
                to_ms(missed.ok_time().unwrap_or_default()),
                to_ms(read.invoke),
            ),
        })
    }
}

/// Runs the stale-read checker over a whole history.
pub fn check(history: &History) -> Vec<Anomaly> {
    let mut checker = StaleReadChecker::default();
    // Events in time order: invocations, then completions (ties: acks before reads' checks).
    let mut events: Vec<(Time, u8, OpId)> = Vec::new();
    for op in history.ops.iter().filter(|o| o.kind.is_register()) {
        events.push((op.invoke, 0, op.id));
        if let Some(c) = &op.completion {
            events.push((c.time, if op.kind.is_write() { 1 } else { 2 }, op.id));
        }
    }
    crate::sort::sort(&mut events);
    let mut out = Vec::new();
    for (_, what, id) in events {
        let Some(op) = history.get(id) else { continue };
        match what {
            0 => checker.on_write_invoked(op),
            1 => checker.on_write_acked(op),
            _ => out.extend(checker.on_read_done(op, history)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Completion, Outcome};
    use crate::protocol::OpKind;

    fn op(id: u64, kind: OpKind, invoke: Time, done: Time, outcome: Outcome) -> Operation {
        Operation {
            id,
            client: 0,
            node: 1,
            kind,
            invoke,
            completion: Some(Completion { time: done, outcome, why: None, undelivered: false }),
            quorum: None,
        }
    }
    fn w(id: u64, v: Value, inv: Time, done: Time) -> Operation {
        op(id, OpKind::Write { key: 1, value: v }, inv, done, Outcome::Ok { values: vec![] })
    }
    fn r(id: u64, vals: Vec<Value>, inv: Time, done: Time) -> Operation {
        op(id, OpKind::Read { key: 1 }, inv, done, Outcome::Ok { values: vals })
    }

    #[test]
    fn table() {
        // (history, expected stale read ids)
        let cases: Vec<(Vec<Operation>, Vec<OpId>)> = vec![
            // Read after the ack sees the write: fine.
            (vec![w(0, 10, 0, 5), r(1, vec![10], 6, 8)], vec![]),
            // Read after the ack sees nothing: stale.
            (vec![w(0, 10, 0, 5), r(1, vec![], 6, 8)], vec![1]),
            // Read concurrent with the write may see nothing.
            (vec![w(0, 10, 0, 5), r(1, vec![], 4, 8)], vec![]),
            // Two sequential writes; a later read sees the first: stale.
            (vec![w(0, 10, 0, 5), w(1, 11, 6, 9), r(2, vec![10], 10, 12)], vec![2]),
            // Two concurrent writes; either may be last.
            (vec![w(0, 10, 0, 5), w(1, 11, 1, 9), r(2, vec![10], 10, 12)], vec![]),
            // Read sees a value whose write never got acknowledged: not stale.
            (
                vec![
                    w(0, 10, 0, 5),
                    op(1, OpKind::Write { key: 1, value: 11 }, 1, 3, Outcome::Unknown),
                    r(2, vec![11], 10, 12),
                ],
                vec![],
            ),
        ];
        for (i, (ops, expected)) in cases.into_iter().enumerate() {
            let h = History { ops: ops.into(), ..Default::default() };
            let got: Vec<OpId> = check(&h).iter().map(|a| a.ops[0]).collect();
            assert_eq!(got, expected, "case {i}");
        }
    }

    #[test]
    fn a_value_whose_write_never_succeeded_may_be_read_as_newest_once() {
        let unknown = |id, v, inv, done| op(id, OpKind::Write { key: 1, value: v }, inv, done, Outcome::Unknown);
        let failed = |id, v, inv, done| {
            op(
                id,
                OpKind::Write { key: 1, value: v },
                inv,
                done,
                Outcome::Fail { reason: crate::protocol::FailReason::Unavailable { why: "quorum".into() } },
            )
        };
        let cases: Vec<(Vec<Operation>, Vec<OpId>)> = vec![
            // The unknown write u (v9) lands; w (v10) is acknowledged; a read returns v9: u may
            // have taken effect after w, so that first read is fine. Then w2 (v11) is
            // acknowledged and another read returns v9 again: stale (v9 was older than w2).
            (
                vec![
                    unknown(0, 9, 0, 50),
                    w(1, 10, 10, 15),
                    r(2, vec![9], 20, 22),
                    w(3, 11, 30, 35),
                    r(4, vec![9], 40, 42),
                ],
                vec![4],
            ),
            // The same with a write reported failed that a replica applied anyway.
            (
                vec![
                    failed(0, 9, 0, 50),
                    w(1, 10, 10, 15),
                    r(2, vec![9], 20, 22),
                    w(3, 11, 30, 35),
                    r(4, vec![9], 40, 42),
                ],
                vec![4],
            ),
            // Without a newer acknowledged write between the reads, reading it again is fine.
            (vec![unknown(0, 9, 0, 50), w(1, 10, 10, 15), r(2, vec![9], 20, 22), r(3, vec![9], 40, 42)], vec![]),
            // A write invoked before the first read completed may be older than the value.
            (vec![unknown(0, 9, 0, 50), r(1, vec![9], 20, 30), w(2, 11, 25, 35), r(3, vec![9], 40, 42)], vec![]),
        ];
        for (i, (ops, expected)) in cases.into_iter().enumerate() {
            let h = History { ops: ops.into(), ..Default::default() };
            let got: Vec<OpId> = check(&h).iter().map(|a| a.ops[0]).collect();
            assert_eq!(got, expected, "case {i}");
        }
    }

    /// The definition, by brute force: a read of `v` is stale when some write acknowledged
    /// before the read began was invoked after `v`'s write certainly took effect (its
    /// acknowledgement, or the completion of any read that returned `v`).
    fn brute(h: &History) -> Vec<OpId> {
        let mut out = Vec::new();
        for r in h.ops.iter().filter(|o| matches!(o.kind, OpKind::Read { .. })) {
            let Some(vals) = r.read_values() else { continue };
            let bound = |v: Value| {
                let ack = h.ops.iter().find(|o| o.written() == Some(v)).and_then(|o| o.ok_time());
                let seen = h.ops.iter().filter(|o| o.read_values().is_some_and(|x| x.contains(&v)));
                seen.filter_map(|o| o.completion.as_ref().map(|c| c.time)).chain(ack).min()
            };
            let Some(&v) = vals.first() else { continue };
            let e = bound(v).expect("the read itself bounds it");
            if h.ops.iter().any(|w| w.written().is_some() && w.ok_time().is_some_and(|a| a < r.invoke) && w.invoke > e)
            {
                out.push(r.id);
            }
        }
        crate::sort::sort(&mut out);
        out
    }

    #[test]
    fn agrees_with_the_definition_on_random_histories() {
        for seed in 0..3_000u64 {
            let mut rng = crate::rng::SimRng::new(seed);
            let mut ops = Vec::new();
            let mut written: Vec<Value> = Vec::new();
            // Invocations in id order, so a read returns only values whose write began first.
            let mut inv = 0;
            for id in 0..rng.below(10) + 2 {
                inv += rng.below(12);
                let done = inv + 1 + rng.below(30);
                let outcome_of = |x: u64| match x {
                    0 => Outcome::Unknown,
                    1 => Outcome::Fail { reason: crate::protocol::FailReason::Unavailable { why: "no".into() } },
                    _ => Outcome::Ok { values: vec![] },
                };
                if written.is_empty() || rng.below(2) == 0 {
                    let v = 100 + id;
                    written.push(v);
                    ops.push(op(id, OpKind::Write { key: 1, value: v }, inv, done, outcome_of(rng.below(4))));
                } else {
                    let v = written[rng.below(written.len() as u64) as usize];
                    ops.push(r(id, vec![v], inv, done));
                }
            }
            let h = History { ops: ops.into(), ..Default::default() };
            let mut got: Vec<OpId> = check(&h).iter().map(|a| a.ops[0]).collect();
            crate::sort::sort(&mut got);
            assert_eq!(got, brute(&h), "seed {seed}: {:#?}", h.ops);
        }
    }

    fn d(id: u64, tomb: Value, inv: Time, done: Time) -> Operation {
        op(id, OpKind::Delete { key: 1, value: tomb }, inv, done, Outcome::Ok { values: vec![] })
    }

    #[test]
    fn deletes() {
        let cases: Vec<(Vec<Operation>, Vec<OpId>)> = vec![
            // Write, delete, then a read of nothing: it saw the delete.
            (vec![w(0, 10, 0, 5), d(1, 11, 6, 9), r(2, vec![], 10, 12)], vec![]),
            // Write, delete, then a read of the deleted value: deleted data came back.
            (vec![w(0, 10, 0, 5), d(1, 11, 6, 9), r(2, vec![10], 10, 12)], vec![2]),
            // Delete, then a write, then a read of nothing: stale.
            (vec![d(0, 10, 0, 5), w(1, 11, 6, 9), r(2, vec![], 10, 12)], vec![2]),
            // A delete still outstanding may be the newest: a read of nothing is fine.
            (
                vec![
                    w(0, 10, 0, 5),
                    op(1, OpKind::Delete { key: 1, value: 11 }, 6, 20, Outcome::Unknown),
                    r(2, vec![], 10, 12),
                ],
                vec![],
            ),
            // A delete concurrent with the read: either answer is fine.
            (vec![w(0, 10, 0, 5), d(1, 11, 6, 11), r(2, vec![10], 10, 12)], vec![]),
        ];
        for (i, (ops, expected)) in cases.into_iter().enumerate() {
            let h = History { ops: ops.into(), ..Default::default() };
            let got: Vec<OpId> = check(&h).iter().map(|a| a.ops[0]).collect();
            assert_eq!(got, expected, "case {i}");
        }
    }
}
