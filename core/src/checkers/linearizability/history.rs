//! Checking the simulator's own history: every key is a register that starts absent, written
//! with values unique in the run and read by clients.
//!
//! Acknowledged operations must be linearized between their invocation and their completion;
//! refused ones never happened; writes with an unknown outcome (timed out, or still
//! outstanding) may take effect at any time after their invocation, or never. A read that
//! returned several values (siblings) cannot come from a single register and is an anomaly by
//! itself.

use super::register::{RegValue, Register, RegisterOp};
use super::{check, CheckConfig, Model, PartitionOutcome, TimedOp, Violation};
use crate::checkers::{Anomaly, AnomalyKind};
use crate::history::{Completion, History, Operation, Outcome};
use crate::protocol::{Key, OpId, OpKind, Value};
use crate::time::{to_ms, Time};

/// Finds the keys whose history is not linearizable, with the default [`CheckConfig`].
pub fn check_history(history: &History) -> Vec<Anomaly> {
    check_history_with(history, &CheckConfig::default())
}

/// Finds the keys whose history is not linearizable. A key whose search runs out of budget
/// yields no anomaly.
pub fn check_history_with(history: &History, config: &CheckConfig) -> Vec<Anomaly> {
    let mut out = Vec::new();
    // Each register operation is tagged with its key, which only partitions the history.
    let mut ops: Vec<TimedOp<(Key, RegisterOp)>> = Vec::new();
    let mut ids: Vec<OpId> = Vec::new();
    // Keys updated as counters or sets are not registers: leave them out.
    let merged: std::collections::BTreeSet<Key> =
        crate::sort::collect(history.ops.iter().filter(|o| !o.kind.is_register()).map(|o| o.key()));
    for op in &history.ops {
        let key = op.key();
        if merged.contains(&key) {
            continue;
        }
        match register_op(op) {
            Converted::Skip => {}
            Converted::Siblings(read) => out.push(read.anomaly()),
            Converted::Op(timed) => {
                ops.push(TimedOp { call: timed.call, ret: timed.ret, op: (key, timed.op) });
                ids.push(op.id);
            }
        }
    }
    let report = check(&mut PerKey(Register::new(None)), &ops, |(key, _)| *key, config);
    for p in &report.partitions {
        if let PartitionOutcome::NotLinearizable(v) = &p.outcome {
            out.push(anomaly(history, p.key, v, &ops, &ids, None));
        }
    }
    crate::sort::sort_by_key(&mut out, |a| (a.time, a.ops.first().copied()));
    out
}

/// One operation of the history as a register operation.
pub(crate) enum Converted {
    /// Not a register operation, a refused one, or a read without an answer.
    Skip,
    /// A read that returned several values: not linearizable by itself.
    Siblings(SiblingRead),
    Op(TimedOp<RegisterOp>),
}

/// Acknowledged operations are linearized between their invocation and completion; refused
/// ones never happened, nor did those whose request never reached a node; other writes with an
/// unknown outcome may take effect at any time after their invocation, or never.
pub(crate) fn register_op(op: &Operation) -> Converted {
    let call = op.invoke;
    let timed = match (&op.kind, &op.completion) {
        (OpKind::Read { .. }, Some(Completion { time, outcome: Outcome::Ok { values }, .. })) => match values[..] {
            [] => TimedOp::done(call, *time, RegisterOp::Read { value: None }),
            [v] => TimedOp::done(call, *time, RegisterOp::Read { value: Some(reg(v)) }),
            _ => return Converted::Siblings(SiblingRead::of(op, *time, values)),
        },
        (OpKind::Read { .. }, _) => return Converted::Skip,
        (OpKind::Write { value, .. }, Some(Completion { time, outcome: Outcome::Ok { .. }, .. })) => {
            TimedOp::done(call, *time, RegisterOp::Write { value: Some(reg(*value)) })
        }
        (OpKind::Write { .. } | OpKind::Delete { .. }, Some(Completion { outcome: Outcome::Fail { .. }, .. }))
        | (OpKind::Write { .. } | OpKind::Delete { .. }, Some(Completion { undelivered: true, .. })) => {
            return Converted::Skip
        }
        (OpKind::Write { value, .. }, _) => TimedOp::unknown(call, RegisterOp::Write { value: Some(reg(*value)) }),
        // A delete writes "nothing": later reads of nothing are explained by it.
        (OpKind::Delete { .. }, Some(Completion { time, outcome: Outcome::Ok { .. }, .. })) => {
            TimedOp::done(call, *time, RegisterOp::Write { value: None })
        }
        (OpKind::Delete { .. }, _) => TimedOp::unknown(call, RegisterOp::Write { value: None }),
        // A compare-and-set that applied swapped `expect` for its value; one that did not read
        // what the key held (which must then differ from `expect`).
        (OpKind::Cas { expect, value, .. }, Some(Completion { time, outcome: Outcome::Ok { values }, .. })) => {
            let (from, to) = (expect.map(reg), Some(reg(*value)));
            match values[..] {
                _ if values.contains(value) => TimedOp::done(call, *time, RegisterOp::Cas { from, to, swapped: true }),
                [] if from.is_none() => TimedOp::done(call, *time, RegisterOp::Cas { from, to, swapped: false }),
                [] => TimedOp::done(call, *time, RegisterOp::Read { value: None }),
                [v] if Some(reg(v)) == from => TimedOp::done(call, *time, RegisterOp::Cas { from, to, swapped: false }),
                [v] => TimedOp::done(call, *time, RegisterOp::Read { value: Some(reg(v)) }),
                _ => return Converted::Siblings(SiblingRead::of(op, *time, values)),
            }
        }
        (OpKind::Cas { .. }, Some(Completion { outcome: Outcome::Fail { .. }, .. }))
        | (OpKind::Cas { .. }, Some(Completion { undelivered: true, .. })) => return Converted::Skip,
        (OpKind::Cas { expect, value, .. }, _) => {
            TimedOp::unknown(call, RegisterOp::Cas { from: expect.map(reg), to: Some(reg(*value)), swapped: true })
        }
        _ => return Converted::Skip,
    };
    Converted::Op(timed)
}

/// A register whose operations carry their key (the key only partitions).
pub(crate) struct PerKey(pub(crate) Register);

impl Model for PerKey {
    type Op = (Key, RegisterOp);
    type State = RegValue;
    fn init(&mut self) -> RegValue {
        self.0.init()
    }
    fn step(&mut self, state: RegValue, op: &(Key, RegisterOp)) -> Option<RegValue> {
        self.0.step(state, &op.1)
    }
    fn is_read_only(&self, op: &(Key, RegisterOp)) -> bool {
        self.0.is_read_only(&op.1)
    }
    fn describe(&self, op: &(Key, RegisterOp)) -> String {
        self.0.describe(&op.1)
    }
    fn any_state(&mut self, ops: &[&(Key, RegisterOp)]) -> Option<Vec<RegValue>> {
        let ops: Vec<&RegisterOp> = ops.iter().map(|(_, op)| op).collect();
        self.0.any_state(&ops)
    }
}

/// Simulator values are unique `u64`s; the register holds `i64`s. The bit pattern is kept, so
/// distinct values stay distinct.
fn reg(v: Value) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

fn unreg(v: RegValue) -> String {
    match v {
        None => "nothing".to_string(),
        Some(i) => format!("v{}", u64::from_ne_bytes(i.to_ne_bytes())),
    }
}

fn describe(op: &Operation) -> String {
    match (&op.kind, op.read_values()) {
        (OpKind::Write { value, .. }, _) => format!("write op{} (v{value})", op.id),
        (OpKind::Read { .. }, Some([])) => format!("read op{} (nothing)", op.id),
        (OpKind::Read { .. }, Some(values)) => {
            let vs: Vec<String> = values.iter().map(|v| format!("v{v}")).collect();
            format!("read op{} ({})", op.id, vs.join(", "))
        }
        (OpKind::Read { .. }, None) => format!("read op{}", op.id),
        (OpKind::Delete { .. }, _) => format!("delete op{}", op.id),
        (kind, _) => format!("{} op{}", kind.describe(), op.id),
    }
}

/// A read that returned several values (siblings), as the anomaly it is, kept as data: a run
/// with siblings has one per read, most of them counted and never shown, so the explanation is
/// written only for those that are ([`SiblingRead::anomaly`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiblingRead {
    pub op: OpId,
    pub key: Key,
    pub node: crate::protocol::NodeId,
    pub time: Time,
    pub values: Vec<Value>,
}

impl SiblingRead {
    fn of(op: &Operation, time: Time, values: &[Value]) -> Self {
        SiblingRead { op: op.id, key: op.key(), node: op.node, time, values: values.to_vec() }
    }

    pub fn anomaly(&self) -> Anomaly {
        use std::fmt::Write;
        let mut explanation = String::with_capacity(96 + 8 * self.values.len());
        let _ = write!(
            explanation,
            "read op{} of k{} at n{} returned {} siblings (",
            self.op,
            self.key,
            self.node,
            self.values.len()
        );
        for (i, v) in self.values.iter().enumerate() {
            let _ = write!(explanation, "{}v{v}", if i == 0 { "" } else { ", " });
        }
        explanation.push_str("); a linearizable register holds one value");
        Anomaly {
            kind: AnomalyKind::NotLinearizable,
            time: self.time,
            ops: vec![self.op],
            nodes: vec![self.node],
            explanation,
        }
    }
}

/// The anomaly a violation found in `ops` (a key's register operations, `ids` theirs in the
/// history) stands for. `init` is what the key certainly held when they start (`None`: absent,
/// as at the start of a history; the live monitor checks pieces that start later).
pub(crate) fn anomaly(
    history: &History,
    key: Key,
    v: &Violation,
    ops: &[TimedOp<(Key, RegisterOp)>],
    ids: &[OpId],
    init: RegValue,
) -> Anomaly {
    let failing = history.get(ids[v.failing_op]);
    let time = ops[v.failing_op].ret.unwrap_or(ops[v.failing_op].call);
    // The failing operation first, then the rest of the window in call order.
    let mut window: Vec<OpId> = vec![ids[v.failing_op]];
    window.extend(v.window.iter().filter(|&&i| i != v.failing_op).map(|&i| ids[i]));
    let mut nodes: Vec<_> = window.iter().filter_map(|&id| history.get(id)).map(|o| o.node).collect();
    crate::sort::sort(&mut nodes);
    nodes.dedup();
    let others: Vec<String> = window[1..].iter().filter_map(|&id| history.get(id)).map(describe).collect();
    let what = match (failing, ops[v.failing_op].op.1) {
        (Some(f), RegisterOp::Read { value }) => {
            format!("read op{} at n{} returned {}", f.id, f.node, unreg(value))
        }
        (Some(f), op) => format!("op{} at n{} ({})", f.id, f.node, Register::default().describe(&op)),
        (None, op) => Register::default().describe(&op),
    };
    let at = format!("{:.3} ms", to_ms(time));
    let explanation = match (others.is_empty(), v.from_start, init) {
        (true, _, None) => format!("k{key} is not linearizable: {what} at {at}, which no write could have produced"),
        (true, _, held) => format!(
            "k{key} is not linearizable: {what} at {at}, although the key had certainly come to hold {} before it \
             began (a read or write of it overlapping nothing), and no write since could have produced it",
            unreg(held)
        ),
        (false, true, None) => format!(
            "k{key} is not linearizable: {what} at {at}; starting from an absent key, no order of it with {} respects real time",
            others.join(", ")
        ),
        (false, true, held) => format!(
            "k{key} is not linearizable: {what} at {at}; starting from {}, which the key certainly held before, no \
             order of it with {} respects real time",
            unreg(held),
            others.join(", ")
        ),
        (false, false, _) => format!(
            "k{key} is not linearizable: {what} at {at}; whatever the key held before, no order of it with {} respects real time",
            others.join(", ")
        ),
    };
    Anomaly { kind: AnomalyKind::NotLinearizable, time, ops: window, nodes, explanation }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Completion, Outcome};

    fn op(id: OpId, kind: OpKind, invoke: Time, done: Option<(Time, Outcome)>) -> Operation {
        Operation {
            id,
            client: 0,
            node: id as usize % 3,
            kind,
            invoke,
            completion: done.map(|(time, outcome)| Completion { time, outcome, why: None, undelivered: false }),
            quorum: None,
        }
    }
    fn w(id: OpId, key: Key, v: Value, inv: Time, done: Time) -> Operation {
        op(id, OpKind::Write { key, value: v }, inv, Some((done, Outcome::Ok { values: vec![] })))
    }
    fn r(id: OpId, key: Key, vals: Vec<Value>, inv: Time, done: Time) -> Operation {
        op(id, OpKind::Read { key }, inv, Some((done, Outcome::Ok { values: vals })))
    }

    #[test]
    fn stale_read_after_a_newer_read_is_named() {
        let h = History {
            ops: vec![
                w(0, 1, 10, 0, 5),
                w(1, 1, 11, 6, 30),
                r(2, 1, vec![11], 10, 12),
                r(3, 1, vec![10], 14, 16),
                // Another key, fine.
                w(4, 2, 20, 0, 5),
                r(5, 2, vec![20], 6, 7),
            ]
            .into(),
            ..Default::default()
        };
        let a = check_history(&h);
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a[0].kind, AnomalyKind::NotLinearizable);
        assert_eq!(a[0].kind.name(), "not_linearizable");
        assert_eq!(a[0].ops, vec![3, 2]);
        assert_eq!(a[0].time, 16);
        assert_eq!(a[0].nodes, vec![0, 2]);
        assert!(a[0].explanation.contains("read op3 at n0 returned v10"), "{}", a[0].explanation);
        assert!(
            a[0].explanation.contains("whatever the key held before, no order of it with read op2 (v11)"),
            "{}",
            a[0].explanation
        );
    }

    #[test]
    fn unknown_writes_may_land_late_and_failed_ones_never() {
        let timed_out = op(0, OpKind::Write { key: 1, value: 7 }, 0, Some((3, Outcome::Unknown)));
        let h = History {
            ops: vec![timed_out, r(1, 1, vec![], 4, 5), r(2, 1, vec![7], 6, 7)].into(),
            ..Default::default()
        };
        assert!(check_history(&h).is_empty());
        let refused = op(
            0,
            OpKind::Write { key: 1, value: 7 },
            0,
            Some((3, Outcome::Fail { reason: crate::protocol::FailReason::Unavailable { why: "no".into() } })),
        );
        let h = History { ops: vec![refused, r(1, 1, vec![7], 6, 7)].into(), ..Default::default() };
        let a = check_history(&h);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].ops, vec![1]);
        assert!(a[0].explanation.contains("which no write could have produced"), "{}", a[0].explanation);
        // Still outstanding: may take effect.
        let pending = op(0, OpKind::Write { key: 1, value: 7 }, 0, None);
        assert!(check_history(&History { ops: vec![pending, r(1, 1, vec![7], 6, 7)].into(), ..Default::default() })
            .is_empty());
    }

    #[test]
    fn the_explanation_says_what_the_key_held_when_the_ops_start() {
        let h = History { ops: vec![r(0, 1, vec![7], 0, 2), r(1, 1, vec![8], 1, 3)].into(), ..Default::default() };
        let ops: Vec<TimedOp<(Key, RegisterOp)>> = h
            .ops
            .iter()
            .map(|o| match register_op(o) {
                Converted::Op(t) => TimedOp { call: t.call, ret: t.ret, op: (1, t.op) },
                _ => unreachable!("plain reads"),
            })
            .collect();
        let violation = |window: Vec<usize>| Violation {
            failing_op: 0,
            shortest_prefix: true,
            window,
            window_minimal: true,
            from_start: true,
        };
        let said =
            |window: Vec<usize>, init: RegValue| anomaly(&h, 1, &violation(window), &ops, &[0, 1], init).explanation;
        let alone = said(vec![0], None);
        assert!(alone.ends_with("returned v7 at 0.002 ms, which no write could have produced"), "{alone}");
        let alone = said(vec![0], Some(5));
        assert!(
            alone.ends_with(
                "although the key had certainly come to hold v5 before it began (a read or write of it overlapping \
                 nothing), and no write since could have produced it"
            ),
            "{alone}"
        );
        let pair = said(vec![0, 1], None);
        assert!(pair.contains("; starting from an absent key, no order of it with read op1"), "{pair}");
        let pair = said(vec![0, 1], Some(5));
        assert!(
            pair.contains("; starting from v5, which the key certainly held before, no order of it with read op1"),
            "{pair}"
        );
    }

    #[test]
    fn siblings_are_not_a_register() {
        let h = History {
            ops: vec![w(0, 1, 10, 0, 5), w(1, 1, 11, 0, 5), r(2, 1, vec![10, 11], 6, 8)].into(),
            ..Default::default()
        };
        let a = check_history(&h);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].ops, vec![2]);
        assert!(a[0].explanation.contains("2 siblings"));
    }
}
