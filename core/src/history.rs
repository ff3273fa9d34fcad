//! The history of client operations: each one an invocation and, later, a completion (ok,
//! failed, or unknown when the client gave up waiting and cannot tell whether it took effect).

use serde::{Deserialize, Serialize};

use crate::protocol::{ClientId, Key, NodeId, OpId, OpKind, Value};
use crate::time::Time;

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// Acknowledged. For reads, the values returned (empty: nothing was written).
    Ok { values: Vec<Value> },
    /// Refused; it certainly did not take effect.
    Fail { reason: String },
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
}

/// When and how an operation completed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    pub time: Time,
    #[serde(flatten)]
    pub outcome: Outcome,
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
            Some(Completion { time, outcome: Outcome::Ok { .. } }) => Some(*time),
            _ => None,
        }
    }
    /// The value a write wrote, or the tombstone a delete wrote.
    pub fn written(&self) -> Option<Value> {
        match self.kind {
            OpKind::Write { value, .. } | OpKind::Delete { value, .. } => Some(value),
            _ => None,
        }
    }
    /// Whether this is a delete.
    pub fn is_delete(&self) -> bool {
        matches!(self.kind, OpKind::Delete { .. })
    }
    /// The values an acknowledged read returned.
    pub fn read_values(&self) -> Option<&[Value]> {
        match (&self.kind, &self.completion) {
            (OpKind::Read { .. }, Some(Completion { outcome: Outcome::Ok { values }, .. })) => Some(values),
            _ => None,
        }
    }
    /// Latency of a completed operation.
    pub fn latency(&self) -> Option<Time> {
        self.completion.as_ref().map(|c| c.time - self.invoke)
    }
}

/// All operations of a run, indexed by [`OpId`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub ops: Vec<Operation>,
}

impl History {
    pub fn get(&self, id: OpId) -> Option<&Operation> {
        self.ops.get(id as usize)
    }
    pub fn len(&self) -> usize {
        self.ops.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}
