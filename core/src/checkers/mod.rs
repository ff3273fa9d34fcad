//! Checkers: pure functions, or incremental state machines, over the history and the nodes'
//! data. Each property lives in its own module and returns typed [`Anomaly`] values that name
//! the operations and nodes involved, so every view can highlight them.

use serde::{Deserialize, Serialize};

use crate::protocol::{NodeId, OpId};
use crate::time::Time;

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
