//! Conflict resolution: the one vocabulary every family uses for concurrent writes to a key, and
//! the one last-write-wins rule.
//!
//! Multi-leader and leaderless replicas both accept writes that no single node orders, so two
//! replicas can hold different versions of a key. How they settle is a [`ConflictResolution`]:
//! multi-leader key spaces may choose any of them; leaderless keys are last write wins or
//! siblings (its configuration refuses the rest). Leader-follower never needs one: the leader
//! orders every write.
//!
//! **Last write wins** is one rule wherever it is used: every write carries the writing node's
//! timestamp and identity ([`Stamped`]), and of two versions the one with the later timestamp
//! wins; equal timestamps are broken by the higher node id, then the higher value, then a
//! tombstone over a value, so every replica picks the same winner whatever order versions
//! arrive in. [`last_write_wins`] applies it to the versions a replica has to reconcile and
//! says which it keeps and which it discards. The order ignores causality: a write made later
//! by a node whose clock runs behind loses, silently (Cassandra, DynamoDB global tables).

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::protocol::{KeyType, NodeId, Value};
use crate::time::Time;

/// How concurrent writes to one key are resolved. The scenario format names them in snake case
/// (`"lww"`, `"siblings"`, `"last_arrival"`, `"counter"`, `"set"`, `"mv_register"`,
/// `"revision_tree"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictResolution {
    /// Last write wins by the writing node's clock ([`last_write_wins`]; Cassandra, DynamoDB
    /// global tables): a write with an older timestamp is silently dropped, even when it
    /// happened later.
    #[default]
    Lww,
    /// Keep every concurrent value (dotted version vectors, as Riak and Dynamo do): reads return
    /// all siblings with their causal context; a write carrying the context replaces them.
    Siblings,
    /// No conflict detection at all: the update that arrives last wins. Replicas that see
    /// updates in different orders end up different. Multi-leader only.
    LastArrival,
    /// Merge: the key is a counter (a PN-counter CRDT). Concurrent increments all count.
    /// Multi-leader only.
    Counter,
    /// Merge: the key is a set (an add-wins observed-remove set, ORSWOT). A remove takes out
    /// the additions it observed; a concurrent add survives it. Multi-leader only.
    Set,
    /// Merge: the key is a multi-value register CRDT. Concurrent writes are all kept, and a
    /// write carrying the context it read replaces what that context covers. Multi-leader only.
    MvRegister,
    /// Revision trees (CouchDB): an edit must name a current leaf revision of the key or is
    /// refused (409 Conflict), so each replica's edits form a branch; replication keeps every
    /// branch, every replica picks the same winner (the longest history, then the highest
    /// revision id), a read returns the winner only and the other leaves stay listed as
    /// conflicts. Multi-leader only.
    RevisionTree,
}

impl ConflictResolution {
    /// Every resolution, in the order the scenario format documents them.
    pub const ALL: [ConflictResolution; 7] = [
        ConflictResolution::Lww,
        ConflictResolution::Siblings,
        ConflictResolution::LastArrival,
        ConflictResolution::Counter,
        ConflictResolution::Set,
        ConflictResolution::MvRegister,
        ConflictResolution::RevisionTree,
    ];

    /// The resolutions of the leaderless family.
    pub const LEADERLESS: [ConflictResolution; 2] = [ConflictResolution::Lww, ConflictResolution::Siblings];

    /// The data type keys resolved this way hold.
    pub fn key_type(self) -> KeyType {
        match self {
            ConflictResolution::Counter => KeyType::Counter,
            ConflictResolution::Set => KeyType::Set,
            _ => KeyType::Register,
        }
    }

    /// Whether keys resolved this way are a CRDT whose concurrent updates are merged.
    pub fn is_merge(self) -> bool {
        matches!(self, ConflictResolution::Counter | ConflictResolution::Set | ConflictResolution::MvRegister)
    }

    /// The name the scenario format gives it (`"lww"`, `"last_arrival"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictResolution::Lww => "lww",
            ConflictResolution::Siblings => "siblings",
            ConflictResolution::LastArrival => "last_arrival",
            ConflictResolution::Counter => "counter",
            ConflictResolution::Set => "set",
            ConflictResolution::MvRegister => "mv_register",
            ConflictResolution::RevisionTree => "revision_tree",
        }
    }
}

/// For people: "last write wins", "siblings", "last arrival", "counter merge", …
impl fmt::Display for ConflictResolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl ConflictResolution {
    /// For people: "last write wins", "siblings", "last arrival", "counter merge", …
    pub fn label(self) -> &'static str {
        match self {
            ConflictResolution::Lww => "last write wins",
            ConflictResolution::Siblings => "siblings",
            ConflictResolution::LastArrival => "last arrival",
            ConflictResolution::Counter => "counter merge",
            ConflictResolution::Set => "set merge",
            ConflictResolution::MvRegister => "multi-value register merge",
            ConflictResolution::RevisionTree => "revision tree",
        }
    }
}

/// A value with the writing node's timestamp and identity. A delete stores a tombstone: a
/// stamped value marked deleted, which wins and loses like any write.
///
/// Its order is the last-write-wins order: the later timestamp is greater; equal timestamps
/// are ordered by node id, then value, then a tombstone above a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stamped {
    pub time: Time,
    pub node: NodeId,
    /// The value written, or the tombstone's id for a delete.
    pub value: Value,
    pub deleted: bool,
}

impl Ord for Stamped {
    fn cmp(&self, other: &Self) -> Ordering {
        self.time
            .cmp(&other.time)
            .then(self.node.cmp(&other.node))
            .then(self.value.cmp(&other.value))
            .then(self.deleted.cmp(&other.deleted))
    }
}

impl PartialOrd for Stamped {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What last write wins makes of the versions a replica reconciles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LwwMerge {
    /// The version kept.
    pub winner: Stamped,
    /// The other distinct versions, which it discards, oldest first.
    pub discarded: Vec<Stamped>,
}

/// Last write wins over `versions` (duplicates count once): the greatest in the [`Stamped`]
/// order wins. `None` when there are none.
///
/// Allocates only when something is discarded (replicas that agree, the common case, cost
/// nothing).
pub fn last_write_wins(versions: impl IntoIterator<Item = Stamped> + Clone) -> Option<LwwMerge> {
    // One pass finds the winner and whether every version is the same one (replicas that
    // agree): then nothing is discarded and there is no second pass.
    let mut all = versions.clone().into_iter();
    let first = all.next()?;
    let (mut winner, mut agree, mut n) = (first, true, 1);
    for v in all {
        agree &= v == first;
        winner = winner.max(v);
        n += 1;
    }
    if agree {
        return Some(LwwMerge { winner, discarded: Vec::new() });
    }
    let mut discarded = Vec::with_capacity(n - 1);
    discarded.extend(versions.into_iter().filter(|v| *v != winner));
    if discarded.len() > 1 {
        crate::sort::sort(&mut discarded);
        discarded.dedup();
    }
    Some(LwwMerge { winner, discarded })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(time: Time, node: NodeId, value: Value, deleted: bool) -> Stamped {
        Stamped { time, node, value, deleted }
    }

    #[test]
    fn the_later_timestamp_wins_and_ties_break_by_node_value_tombstone() {
        // (a, b, winner): the same winner in either order.
        let table = [
            (v(10, 0, 1, false), v(20, 0, 2, false), v(20, 0, 2, false)),
            (v(20, 0, 1, false), v(10, 2, 9, true), v(20, 0, 1, false)),
            (v(10, 1, 1, false), v(10, 2, 0, false), v(10, 2, 0, false)),
            (v(10, 1, 5, false), v(10, 1, 4, false), v(10, 1, 5, false)),
            (v(10, 1, 5, false), v(10, 1, 5, true), v(10, 1, 5, true)),
        ];
        for (a, b, winner) in table {
            for (x, y) in [(a, b), (b, a)] {
                let m = last_write_wins([x, y]).unwrap();
                assert_eq!(m.winner, winner, "{x:?} against {y:?}");
                let loser = if winner == a { b } else { a };
                assert_eq!(m.discarded, vec![loser]);
            }
        }
    }

    #[test]
    fn duplicates_count_once_and_the_discarded_come_oldest_first() {
        let (a, b, c) = (v(1, 0, 1, false), v(2, 0, 2, false), v(3, 0, 3, false));
        assert_eq!(last_write_wins([c, a, b, c, a]), Some(LwwMerge { winner: c, discarded: vec![a, b] }));
        assert_eq!(last_write_wins([a, a]), Some(LwwMerge { winner: a, discarded: vec![] }));
        assert_eq!(last_write_wins([]), None);
    }

    #[test]
    fn scenario_names_are_the_serde_names() {
        for r in ConflictResolution::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::Value::from(r.as_str()));
            assert_eq!(serde_json::from_value::<ConflictResolution>(r.as_str().into()).unwrap(), r);
        }
    }
}
