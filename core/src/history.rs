//! The history of client operations: each one an invocation and, later, a completion (ok,
//! failed, or unknown when the client gave up waiting and cannot tell whether it took effect).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::protocol::{ClientId, FailReason, Key, NodeId, NodeSet, OpId, OpKind, Value};
use crate::time::Time;

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// Acknowledged. For reads, the values returned (empty: nothing was written).
    Ok { values: Vec<Value> },
    /// Refused; it certainly did not take effect. Why, as the node said it.
    Fail { reason: FailReason },
    /// No answer before the client's timeout: it may or may not have taken effect.
    Unknown,
}

/// One client operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub id: OpId,
    pub client: ClientId,
    /// The node the request was sent to.
    pub node: NodeId,
    pub kind: OpKind,
    pub invoke: Time,
    /// `None` while the operation is still outstanding.
    pub completion: Option<Completion>,
    /// Quorum families: what its coordinator needed, asked and heard (see [`QuorumRecord`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum: Option<QuorumRecord>,
}

/// An operation's quorum as its coordinator saw it: the answers it needed (the W or R in
/// force for the operation), the replicas it asked (sloppy stand-ins included) and those that
/// answered, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuorumRecord {
    pub coordinator: NodeId,
    pub needed: u32,
    pub asked: NodeSet,
    pub answered: NodeSet,
}

/// When and how an operation completed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    pub time: Time,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// For people: why a node gave up on an operation whose outcome is therefore unknown
    /// (none when the client's own timeout expired, or for any other outcome).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<FailReason>,
    /// Unknown outcome only: the request never reached any node, and no copy of it was still on
    /// its way when the client gave up, so it cannot have taken effect. The world knows this;
    /// the client does not (to it the outcome stays unknown).
    #[serde(default, skip_serializing_if = "is_false")]
    pub undelivered: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Operation {
    pub fn key(&self) -> Key {
        self.kind.key()
    }
    pub fn is_ok(&self) -> bool {
        matches!(self.completion, Some(Completion { outcome: Outcome::Ok { .. }, .. }))
    }
    /// The completion time of an acknowledged operation.
    pub fn ok_time(&self) -> Option<Time> {
        match &self.completion {
            Some(Completion { time, outcome: Outcome::Ok { .. }, .. }) => Some(*time),
            _ => None,
        }
    }
    /// The value a write wrote, or the tombstone a delete wrote, or the value a
    /// compare-and-set wrote or may have written (none once it is known not to have applied).
    pub fn written(&self) -> Option<Value> {
        match self.kind {
            OpKind::Write { value, .. } | OpKind::Delete { value, .. } => Some(value),
            OpKind::Cas { value, .. } if self.cas_applied() != Some(false) => Some(value),
            _ => None,
        }
    }
    /// An acknowledged compare-and-set: whether it applied (it returns the value it wrote) or
    /// not (it returns what the key held). `None` for anything else.
    pub fn cas_applied(&self) -> Option<bool> {
        match (&self.kind, &self.completion) {
            (kind @ OpKind::Cas { .. }, Some(Completion { outcome: Outcome::Ok { values }, .. })) => {
                Some(kind.wrote(values))
            }
            _ => None,
        }
    }
    /// Whether the operation changed data, or may have: every update, and a compare-and-set
    /// unless it was acknowledged as not applied (then it was a read).
    pub fn acts_as_write(&self) -> bool {
        self.kind.is_write() && self.cas_applied() != Some(false)
    }
    /// Whether this is a delete.
    pub fn is_delete(&self) -> bool {
        matches!(self.kind, OpKind::Delete { .. })
    }
    /// The values an acknowledged read returned (a compare-and-set that did not apply read
    /// what the key held).
    pub fn read_values(&self) -> Option<&[Value]> {
        match (&self.kind, &self.completion) {
            (OpKind::Read { .. }, Some(Completion { outcome: Outcome::Ok { values }, .. })) => Some(values),
            (OpKind::Cas { .. }, Some(Completion { outcome: Outcome::Ok { values }, .. }))
                if self.cas_applied() == Some(false) =>
            {
                Some(values)
            }
            _ => None,
        }
    }
    /// Latency of a completed operation.
    pub fn latency(&self) -> Option<Time> {
        self.completion.as_ref().map(|c| c.time - self.invoke)
    }
}

/// The operations of a run, indexed by [`OpId`]. Compaction may drop a prefix of them (see
/// [`History::compact_before`]): then `ops` holds the operations from [`History::first_id`]
/// on, and [`History::dropped`] counts what went.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The retained operations, in id order: `ops[i].id == first_id() + i`. A ring, so that
    /// compaction drops the oldest without moving the rest.
    pub ops: VecDeque<Operation>,
    /// How many operations compaction has dropped (the id of the first retained one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: u64,
    /// What the dropped operations were, counted.
    #[serde(default, skip_serializing_if = "Dropped::is_empty")]
    pub dropped_counts: Dropped,
    /// Dropped operations that checkers may still need (a value some node still holds, a
    /// write a session has observed), by id; [`History::get`] finds them too.
    #[serde(default, skip_serializing_if = "litemap::LiteMap::is_empty")]
    pub archive: litemap::LiteMap<OpId, Operation>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Counts of the operations compaction dropped, by outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    pub ok: u64,
    pub failed: u64,
    pub unknown: u64,
    pub writes: u64,
}

impl Dropped {
    pub fn is_empty(&self) -> bool {
        self.ok + self.failed + self.unknown == 0
    }
}

impl History {
    /// An operation, unless compaction dropped it (and no checker needed it any more).
    pub fn get(&self, id: OpId) -> Option<&Operation> {
        match id.checked_sub(self.dropped) {
            Some(i) => self.ops.get(i as usize),
            None => self.archive.get(&id),
        }
    }
    /// A retained operation (archived ones are read-only).
    pub fn get_mut(&mut self, id: OpId) -> Option<&mut Operation> {
        self.ops.get_mut(id.checked_sub(self.dropped)? as usize)
    }
    /// The archived operations, then the retained ones, in id order.
    pub fn all(&self) -> impl Iterator<Item = &Operation> {
        self.archive.values().chain(self.ops.iter())
    }
    /// The id of the first retained operation (the number dropped).
    pub fn first_id(&self) -> OpId {
        self.dropped
    }
    /// The id the next operation gets.
    pub fn next_id(&self) -> OpId {
        self.dropped + self.ops.len() as OpId
    }
    /// Every operation of the run, dropped ones included.
    pub fn len(&self) -> usize {
        self.next_id() as usize
    }
    pub fn is_empty(&self) -> bool {
        self.next_id() == 0
    }
    /// How many operations are held in memory.
    pub fn retained(&self) -> usize {
        self.ops.len()
    }
    pub fn push(&mut self, op: Operation) {
        debug_assert_eq!(op.id, self.next_id());
        self.ops.push_back(op);
    }

    /// How many operations [`History::compact_before`] would drop.
    pub fn compactable_before(&self, cutoff: Time) -> usize {
        self.ops.iter().take_while(|o| o.completion.as_ref().is_some_and(|c| c.time < cutoff)).count()
    }

    /// Drops the longest prefix of operations that completed before `cutoff` (an outstanding
    /// operation stops it), counting them; the writes among them go to the archive until
    /// [`History::prune_archive`] finds them unneeded. Returns how many were dropped.
    pub fn compact_before(&mut self, cutoff: Time) -> usize {
        let n = self.compactable_before(cutoff);
        for o in self.ops.drain(..n) {
            match o.completion.as_ref().map(|c| &c.outcome) {
                Some(Outcome::Ok { .. }) => self.dropped_counts.ok += 1,
                Some(Outcome::Fail { .. }) => self.dropped_counts.failed += 1,
                _ => self.dropped_counts.unknown += 1,
            }
            if o.kind.is_write() {
                self.dropped_counts.writes += 1;
                self.archive.insert(o.id, o);
            }
        }
        self.dropped += n as u64;
        n
    }

    /// Keeps in the archive only the operations `needed` says a checker may still look up.
    pub fn prune_archive(&mut self, needed: impl Fn(&Operation) -> bool) {
        self.archive.retain(|_, o| needed(o));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(id: OpId, write: bool, done: Option<Time>) -> Operation {
        let kind = if write { OpKind::Write { key: 1, value: id + 100 } } else { OpKind::Read { key: 1 } };
        Operation {
            id,
            client: 0,
            node: 0,
            kind,
            invoke: id * 10,
            completion: done.map(|time| Completion {
                time,
                outcome: Outcome::Ok { values: vec![] },
                why: None,
                undelivered: false,
            }),
            quorum: None,
        }
    }

    #[test]
    fn compaction_drops_a_completed_prefix_and_keeps_ids() {
        let mut h = History::default();
        for (id, write, done) in [(0, true, Some(5)), (1, false, Some(15)), (2, true, None), (3, true, Some(35))] {
            h.push(op(id, write, done));
        }
        // Op 2 is outstanding: it stops the prefix even though op 3 is done.
        assert_eq!(h.compact_before(100), 2);
        assert_eq!((h.first_id(), h.next_id(), h.len(), h.retained()), (2, 4, 4, 2));
        assert_eq!(h.get(3).map(|o| o.id), Some(3));
        // The dropped write is archived (a checker may still need it), the read is not.
        assert_eq!(h.get(0).map(|o| o.id), Some(0));
        assert!(h.get(1).is_none());
        assert!(h.get_mut(0).is_none());
        assert_eq!((h.dropped_counts.ok, h.dropped_counts.writes), (2, 1));
        h.prune_archive(|_| false);
        assert!(h.get(0).is_none());
        assert_eq!(h.all().count(), 2);
    }
}
