//! Checkers: pure functions, or incremental state machines, over the history and the nodes'
//! data. Each property lives in its own module and returns typed [`Anomaly`] values that name
//! the operations and nodes involved, so every view can highlight them.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::protocol::{NodeId, OpId};
use crate::time::Time;

pub mod divergence;
pub mod leadership;
pub mod linearizability;
pub mod lost_write;
pub mod session;
pub mod stale_read;

/// The kinds of anomaly replicalab names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// A read missed a write acknowledged before the read began.
    StaleRead,
    /// An acknowledged write is absent from the surviving data.
    LostWrite,
    /// Two nodes acted as leader at the same time and both acknowledged writes.
    SplitBrain,
    /// A session's read missed the session's own acknowledged write.
    ReadYourWrites,
    /// A session's read returned an older state than one it had already read.
    MonotonicReads,
    /// A session saw an effect before its cause (a reply before the message it answers).
    CausalOrder,
    /// Replicas still disagree after the faults healed and the cluster went quiet.
    Divergence,
    /// No order of the operations on a key respects real time and explains every result.
    NotLinearizable,
    /// A read returned a value whose write was never acknowledged and that no node holds any
    /// more: the read saw data that was later rolled back (Jepsen's aborted read).
    DirtyRead,
}

impl AnomalyKind {
    /// The snake_case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            AnomalyKind::StaleRead => "stale_read",
            AnomalyKind::LostWrite => "lost_write",
            AnomalyKind::SplitBrain => "split_brain",
            AnomalyKind::ReadYourWrites => "read_your_writes",
            AnomalyKind::MonotonicReads => "monotonic_reads",
            AnomalyKind::CausalOrder => "causal_order",
            AnomalyKind::Divergence => "divergence",
            AnomalyKind::NotLinearizable => "not_linearizable",
            AnomalyKind::DirtyRead => "dirty_read",
        }
    }
}

/// One anomaly: what went wrong, when, and who was involved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    /// When it became visible.
    pub time: Time,
    pub ops: Vec<OpId>,
    pub nodes: Vec<NodeId>,
    /// One sentence for people: what happened and why it is wrong.
    pub explanation: String,
}

/// Every anomaly found so far, in the order found. With a cap (compaction on), the oldest
/// beyond it are dropped and counted by kind, so memory stays bounded; an anomaly keeps its
/// index (counted from the start of the run) however many are dropped before it.
#[derive(Clone, Debug, Default)]
pub struct AnomalyLog {
    kept: Vec<Anomaly>,
    dropped: usize,
    dropped_counts: BTreeMap<AnomalyKind, usize>,
    cap: Option<usize>,
}

impl AnomalyLog {
    /// At most about `cap` anomalies are kept (`None`: all).
    pub fn set_cap(&mut self, cap: Option<usize>) {
        self.cap = cap;
    }

    /// The index the next anomaly pushed will have.
    pub fn next_index(&self) -> usize {
        self.dropped + self.kept.len()
    }

    /// Adds an anomaly; returns its index.
    pub fn push(&mut self, a: Anomaly) -> usize {
        let index = self.next_index();
        self.kept.push(a);
        if let Some(cap) = self.cap.filter(|&c| self.kept.len() > c) {
            let extra = self.kept.len() - cap / 2;
            let kinds: Vec<AnomalyKind> = self.kept.drain(..extra).map(|a| a.kind).collect();
            self.count_dropped(kinds);
        }
        index
    }

    /// The anomaly with this index, if it is still kept.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut Anomaly> {
        index.checked_sub(self.dropped).and_then(|i| self.kept.get_mut(i))
    }

    /// Counts anomalies found but never kept.
    pub fn count_dropped(&mut self, kinds: impl IntoIterator<Item = AnomalyKind>) {
        for kind in kinds {
            *self.dropped_counts.entry(kind).or_insert(0) += 1;
            self.dropped += 1;
        }
    }

    /// The anomalies kept, oldest first.
    pub fn kept(&self) -> &[Anomaly] {
        &self.kept
    }

    /// How many were dropped (the index of the first kept).
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Counts by kind, dropped ones included.
    pub fn counts(&self) -> BTreeMap<AnomalyKind, usize> {
        let mut m = self.dropped_counts.clone();
        for a in &self.kept {
            *m.entry(a.kind).or_insert(0) += 1;
        }
        m
    }

    /// Whether any anomaly of this kind was found (dropped ones included).
    pub fn any(&self, kind: AnomalyKind) -> bool {
        self.dropped_counts.contains_key(&kind) || self.kept.iter().any(|a| a.kind == kind)
    }
}

#[cfg(test)]
mod log_tests {
    use super::*;

    fn a(kind: AnomalyKind, op: OpId) -> Anomaly {
        Anomaly { kind, time: 0, ops: vec![op], nodes: vec![], explanation: String::new() }
    }

    #[test]
    fn indices_survive_dropping_and_counts_include_the_dropped() {
        let mut log = AnomalyLog::default();
        log.set_cap(Some(4));
        let first = log.push(a(AnomalyKind::SplitBrain, 0));
        for op in 1..10 {
            assert_eq!(log.push(a(AnomalyKind::StaleRead, op)), op as usize);
        }
        assert!(log.kept().len() <= 4 && log.get_mut(first).is_none());
        assert_eq!(log.get_mut(9).map(|x| x.ops[0]), Some(9));
        assert_eq!(log.counts()[&AnomalyKind::StaleRead], 9);
        assert!(log.any(AnomalyKind::SplitBrain));
        assert_eq!(log.dropped() + log.kept().len(), 10);
    }
}
