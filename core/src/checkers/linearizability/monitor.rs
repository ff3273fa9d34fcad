//! Linearizability of a run whose history is compacted: the verdict must not depend on what
//! compaction drops.
//!
//! The monitor takes the operations compaction drops (their register form: a few words each)
//! and, per key, settles what it can: at an *isolated read* `r` — a read that overlaps no
//! other operation with a known outcome — every operation before `r` precedes it in any
//! linearization and every operation after it follows, so the register held exactly `r`'s
//! value at `r`. The operations up to `r` are checked then (from the state the previous
//! settlement left), and the rest of the run is checked from `r`'s value. Writes with an
//! unknown outcome are the exception: they may still take effect after `r`, so those no read
//! up to `r` observed are carried over (one that was observed took effect before it; one that
//! was not could have taken effect unseen, or not yet — for a register the two are the same).
//!
//! So the check over the settled pieces and the final remainder decides exactly what one check
//! of the whole history would, while the operations kept per key are only those since its
//! latest isolated read (and its unobserved unknown writes). A key is reported at most once.

use std::collections::{BTreeMap, BTreeSet};

use super::history::{anomaly, register_op, Converted, PerKey};
use super::register::{RegValue, Register, RegisterOp};
use super::{check, CheckConfig, PartitionOutcome, TimedOp};
use crate::checkers::Anomaly;
use crate::history::{History, Operation};
use crate::protocol::{Key, OpId};
use crate::time::Time;

#[derive(Clone, Debug, Default)]
struct KeyOps {
    /// The register's state where the kept operations begin.
    init: RegValue,
    /// Operations not yet settled, in call order (ids alongside).
    ops: Vec<(OpId, TimedOp<RegisterOp>)>,
    /// Writes with an unknown outcome from settled pieces that no read has returned yet, by
    /// value: they may still take effect. One joins the piece whose read returns its value
    /// (it took effect there); until then it is left out of every check, which changes no
    /// verdict (a write whose value no read returns can always be left out).
    unknown: BTreeMap<RegValue, Vec<(OpId, TimedOp<RegisterOp>)>>,
}

/// Incremental linearizability checker for the simulator's registers (see the module doc).
#[derive(Clone, Debug, Default)]
pub struct LinearizabilityMonitor {
    keys: BTreeMap<Key, KeyOps>,
    /// Keys already found not linearizable (each is reported once).
    reported: BTreeSet<Key>,
    /// Keys updated as counters or sets: not registers.
    merged: BTreeSet<Key>,
}

impl LinearizabilityMonitor {
    /// Takes operations compaction is about to drop (all completed, in id order), and settles
    /// every key up to its latest isolated read that ends before `horizon` (the earliest call
    /// among the operations still kept). Returns what the settled pieces show.
    pub fn absorb(
        &mut self,
        dropped: &[Operation],
        horizon: Time,
        history: &History,
        config: &CheckConfig,
    ) -> Vec<Anomaly> {
        let mut out = Vec::new();
        for op in dropped {
            if !op.kind.is_register() {
                self.merged.insert(op.key());
                self.keys.remove(&op.key());
            }
        }
        let mut touched = BTreeSet::new();
        for op in dropped {
            let key = op.key();
            if self.merged.contains(&key) {
                continue;
            }
            match register_op(op) {
                Converted::Skip => {}
                Converted::Siblings(a) => out.push(a),
                // A key already reported is not checked again: nothing to keep.
                Converted::Op(_) if self.reported.contains(&key) => {}
                Converted::Op(t) => {
                    self.keys.entry(key).or_default().ops.push((op.id, t));
                    touched.insert(key);
                }
            }
        }
        for key in touched {
            if let Some(a) = self.settle(key, horizon, history, config) {
                out.push(a);
            }
        }
        out
    }

    /// Checks `key` piece by piece, up to each of its isolated reads that end before
    /// `horizon`, and keeps only what follows the last.
    fn settle(&mut self, key: Key, horizon: Time, history: &History, config: &CheckConfig) -> Option<Anomaly> {
        let k = self.keys.get_mut(&key)?;
        k.ops.sort_by_key(|(id, t)| (t.call, *id));
        let cuts = isolated_reads(&k.ops, horizon);
        if cuts.is_empty() {
            return None;
        }
        let ops = std::mem::take(&mut k.ops);
        let mut init = k.init;
        let mut unknown = std::mem::take(&mut k.unknown);
        let mut start = 0;
        let mut found = None;
        // (Isolation puts every cut after the previous piece's end.)
        for cut in cuts {
            let (_, r) = &ops[cut];
            let (RegisterOp::Read { value } | RegisterOp::Write { value }) = r.op else { continue };
            // Everything called before the cut returned: what precedes it, and the writes with
            // an unknown outcome called while it ran (a read may have observed one of them).
            let r_ret = r.ret.unwrap_or(r.call);
            let end = cut + ops[cut..].iter().take_while(|(_, t)| t.call <= r_ret).count();
            let piece = piece_of(&ops[start..end], &mut unknown);
            if found.is_none() && !self.reported.contains(&key) {
                found = check_key(key, init, &piece, history, config);
                if found.is_some() {
                    self.reported.insert(key);
                }
            }
            init = value;
            start = end;
        }
        if self.reported.contains(&key) {
            self.keys.remove(&key);
            return found;
        }
        let k = self.keys.get_mut(&key)?;
        k.init = init;
        k.unknown = unknown;
        k.ops = ops[start..].to_vec();
        found
    }

    /// The end of the run: checks every key's kept operations together with the history's
    /// retained ones, piece by piece as [`LinearizabilityMonitor::absorb`] would (so the
    /// verdict is the same whether compaction dropped anything or not).
    pub fn finish(&self, history: &History, config: &CheckConfig) -> Vec<Anomaly> {
        let mut m = self.clone();
        let mut out = m.absorb(&history.ops, Time::MAX, history, config);
        for (&key, k) in &mut m.keys {
            if m.merged.contains(&key) || m.reported.contains(&key) || k.ops.is_empty() {
                continue;
            }
            let piece = piece_of(&k.ops, &mut k.unknown);
            out.extend(check_key(key, k.init, &piece, history, config));
        }
        out.sort_by_key(|a| (a.time, a.ops.first().copied()));
        out
    }

    /// Operations kept (for measuring).
    pub fn kept(&self) -> usize {
        self.keys.values().map(|k| k.ops.len() + k.unknown.values().map(Vec::len).sum::<usize>()).sum()
    }
}

/// The reads and writes in `ops` (sorted by call) with a known outcome that end before
/// `horizon` and overlap no other operation with a known outcome, in call order: where the
/// register certainly held the value read or written.
fn isolated_reads(ops: &[(OpId, TimedOp<RegisterOp>)], horizon: Time) -> Vec<usize> {
    // Earliest call among the known-outcome operations after each position (sorted by call:
    // the first such one).
    let mut next_call_after = vec![u64::MAX; ops.len()];
    let mut next = u64::MAX;
    for i in (0..ops.len()).rev() {
        next_call_after[i] = next;
        if ops[i].1.ret.is_some() {
            next = ops[i].1.call;
        }
    }
    let mut out = Vec::new();
    let mut max_ret_before = 0;
    for (i, (_, t)) in ops.iter().enumerate() {
        if let (Some(ret), RegisterOp::Read { .. } | RegisterOp::Write { .. }) = (t.ret, t.op) {
            if ret < horizon && max_ret_before < t.call && next_call_after[i] > ret {
                out.push(i);
            }
        }
        if let Some(r) = t.ret {
            max_ret_before = max_ret_before.max(r);
        }
    }
    out
}

/// The operations of one piece to check: `ops`, without the unknown-outcome writes none of
/// its reads returned (they go to `unknown`, still able to take effect later), with those from
/// `unknown` that one of its reads returned.
fn piece_of(
    ops: &[(OpId, TimedOp<RegisterOp>)],
    unknown: &mut BTreeMap<RegValue, Vec<(OpId, TimedOp<RegisterOp>)>>,
) -> Vec<(OpId, TimedOp<RegisterOp>)> {
    let read: BTreeSet<RegValue> = ops
        .iter()
        .filter_map(|(_, t)| match t.op {
            RegisterOp::Read { value } => Some(value),
            _ => None,
        })
        .collect();
    let mut piece = Vec::with_capacity(ops.len());
    for v in &read {
        piece.extend(unknown.remove(v).unwrap_or_default());
    }
    for op in ops {
        match op.1.op {
            RegisterOp::Write { value } if op.1.ret.is_none() && !read.contains(&value) => {
                unknown.entry(value).or_default().push(op.clone());
            }
            _ => piece.push(op.clone()),
        }
    }
    piece.sort_by_key(|(id, t)| (t.call, *id));
    piece
}

fn check_key(
    key: Key,
    init: RegValue,
    ops: &[(OpId, TimedOp<RegisterOp>)],
    history: &History,
    config: &CheckConfig,
) -> Option<Anomaly> {
    let timed: Vec<TimedOp<(Key, RegisterOp)>> =
        ops.iter().map(|(_, t)| TimedOp { call: t.call, ret: t.ret, op: (key, t.op) }).collect();
    let ids: Vec<OpId> = ops.iter().map(|(id, _)| *id).collect();
    let report = check(&mut PerKey(Register::new(init)), &timed, |(k, _)| *k, config);
    report.partitions.iter().find_map(|p| match &p.outcome {
        PartitionOutcome::NotLinearizable(v) => {
            let mut a = anomaly(history, key, v, &timed, &ids);
            if let Some(i) = init {
                // The piece starts where the key certainly held a value, not at an absent key.
                let held = format!("v{}", u64::from_ne_bytes(i.to_ne_bytes()));
                a.explanation = a
                    .explanation
                    .replace("which no write could have produced", &format!("although the key had certainly come to hold {held} before it began (a read or write of it overlapping nothing), and no write since could have produced it"))
                    .replace("starting from an absent key", &format!("starting from {held}, which the key certainly held before"));
            }
            Some(a)
        }
        _ => None,
    })
}
