//! The world's typed event stream: everything the simulator records, as data.
//!
//! Every [`WorldEvent`] carries ids (node, operation, message, term, key), never text; the
//! trace hash is computed from these events, the event log keeps the latest of them, and
//! text appears only where a person reads it, through `Display`. A view that needs to know
//! which operation or message a line is about asks [`WorldEvent::ops`] or
//! [`WorldEvent::message`] instead of reading the words.
//!
//! To add a kind of event: add a variant here (ids only; [`Nodes`] for a list of nodes, so
//! the hash is the same on every platform), give it a [`EventKind`], a sentence in
//! `Display`, and record it where the world learns of it (`Trace::record`).

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::checkers::AnomalyKind;
use crate::history::Outcome;
use crate::note::{Nodes, Note};
use crate::protocol::{ClientId, FailReason, Key, MessageKind, NodeId, OpId, OpKind, Value};
use crate::scenario::Command;
use crate::time::{to_ms, Dur, Time};

/// What the network did with a message when it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendFate {
    /// On its way (it may still reach a node that is down by then).
    OnItsWay,
    /// Dropped at once: the link is cut.
    Cut,
    /// Dropped: lost in the network.
    Lost,
}

/// A message as an event refers to it: its id, what it does, and for which operation. The
/// label is the protocol's own short description, for display only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRef {
    pub id: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub kind: MessageKind,
    pub op: Option<OpId>,
    /// For people: nothing decides anything by it (it is not part of the hash either; the
    /// message itself is hashed when it is sent).
    pub label: String,
}

impl Hash for MessageRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.id, self.from as u64, self.to as u64, self.kind, self.op).hash(state);
    }
}

/// A command the world applied, as it was written (hashed by name: what it changed is hashed
/// through the events it causes).
#[derive(Clone, Debug, PartialEq)]
pub struct Applied(pub Box<Command>);

impl Hash for Applied {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.name().hash(state);
    }
}

/// One thing that happened in the world.
#[derive(Clone, Debug, PartialEq, Hash)]
pub enum WorldEvent {
    /// A node sent a message.
    Sent { msg: MessageRef, fate: SendFate },
    /// A message reached its destination, which handles it.
    Delivered { msg: MessageRef },
    /// A message reached a node that is down: it is lost.
    DroppedAtDownNode { msg: MessageRef },
    /// A node's timer fired (not shown in the log).
    TimerFired { node: NodeId },
    /// A client's request reached a node (not shown in the log).
    RequestArrived { node: NodeId, op: OpId },
    /// A client invoked an operation, sent to `node`.
    Invoked { op: OpId, client: ClientId, node: NodeId, kind: OpKind },
    /// A node answered an operation; `arrives` is false when the answer is lost on the way to
    /// the client (only such answers are shown).
    Replied { op: OpId, node: NodeId, client_node: NodeId, arrives: bool },
    /// A replica behind the session sent the client to the leader instead (not shown).
    Redirected { op: OpId, to: NodeId },
    /// An operation completed at the client.
    Completed { op: OpId, node: NodeId, is_write: bool, outcome: Outcome, why: Option<FailReason>, latency: Dur },
    /// A command was applied (a fault, a repair, a client request, a setting).
    Command(Applied),
    /// A command that changed nothing: the node was not in a state it applies to.
    NoEffect { node: NodeId, command: &'static str, because: Inapplicable },
    /// A node powered another off (STONITH).
    PoweredOff { by: NodeId, node: NodeId },
    /// A leader acknowledged a write it had accepted at `accepted` (not shown: the reply is).
    WriteAcked { node: NodeId, op: OpId, accepted: Time },
    /// A node became the leader of a term (single-leader families).
    LeaderElected { node: NodeId, term: u64 },
    /// A node stopped being leader (crashed, stepped down or deposed).
    LeaderLost { node: NodeId, term: u64 },
    /// Conflict resolution discarded the write of value `lost` for the one of value `by`
    /// (not shown: the note that goes with it is).
    Superseded { node: NodeId, key: Key, lost: Value, by: Value },
    /// A protocol note (an election, a merge, a discarded log suffix, a read repair, …).
    Note { node: NodeId, note: Note },
    /// A checker found an anomaly; the explanation is for people.
    Anomaly { kind: AnomalyKind, ops: Vec<OpId>, nodes: Nodes, explanation: Explanation },
    /// Acknowledged writes now exist only on nodes that are down (shown, never hashed: it is
    /// worked out only when the log is kept).
    AtRisk { node: NodeId, count: usize, ops: Vec<OpId> },
}

/// Why a command found nothing to do at a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Inapplicable {
    /// A restart of a paused node (it needs a resume).
    Paused,
    /// A restart of a node that is running.
    Running,
    AlreadyPaused,
    /// A pause of a node that is down.
    Down,
    /// A resume of a node that is not paused.
    NotPaused,
    /// An operator action (promote, demote) at a node that is not running.
    NotRunning,
}

/// An anomaly's explanation: text for people, left out of the hash (the anomaly's kind,
/// operations and nodes are hashed).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Explanation(pub String);

impl Hash for Explanation {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

/// What sort of event a log line is (its style and filter in the event log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    Send,
    Deliver,
    Drop,
    Timer,
    Request,
    Invoke,
    Reply,
    Redirect,
    Complete,
    Command,
    NoEffect,
    PowerOff,
    Leader,
    Superseded,
    Note(crate::note::NoteKind),
    Anomaly(AnomalyKind),
    AtRisk,
}

impl EventKind {
    /// The snake_case name (a note's or an anomaly's own name for those).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Send => "send",
            EventKind::Deliver => "deliver",
            EventKind::Drop => "drop",
            EventKind::Timer => "timer",
            EventKind::Request => "request",
            EventKind::Invoke => "invoke",
            EventKind::Reply => "reply",
            EventKind::Redirect => "redirect",
            EventKind::Complete => "complete",
            EventKind::Command => "command",
            EventKind::NoEffect => "no_effect",
            EventKind::PowerOff => "power_off",
            EventKind::Leader => "leader_change",
            EventKind::Superseded => "superseded",
            EventKind::Note(k) => k.as_str(),
            EventKind::Anomaly(k) => k.name(),
            EventKind::AtRisk => "at_risk",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl WorldEvent {
    pub fn kind(&self) -> EventKind {
        match self {
            WorldEvent::Sent { fate: SendFate::OnItsWay, .. } => EventKind::Send,
            WorldEvent::Sent { .. } | WorldEvent::DroppedAtDownNode { .. } => EventKind::Drop,
            WorldEvent::Replied { arrives: false, .. } => EventKind::Drop,
            WorldEvent::Replied { .. } => EventKind::Reply,
            WorldEvent::Delivered { .. } => EventKind::Deliver,
            WorldEvent::TimerFired { .. } => EventKind::Timer,
            WorldEvent::RequestArrived { .. } => EventKind::Request,
            WorldEvent::Invoked { .. } => EventKind::Invoke,
            WorldEvent::Redirected { .. } => EventKind::Redirect,
            WorldEvent::Completed { .. } => EventKind::Complete,
            WorldEvent::Command(_) => EventKind::Command,
            WorldEvent::NoEffect { .. } => EventKind::NoEffect,
            WorldEvent::PoweredOff { .. } => EventKind::PowerOff,
            WorldEvent::LeaderElected { .. } | WorldEvent::LeaderLost { .. } => EventKind::Leader,
            WorldEvent::Superseded { .. } => EventKind::Superseded,
            WorldEvent::WriteAcked { .. } => EventKind::Reply,
            WorldEvent::Note { note, .. } => EventKind::Note(note.kind()),
            WorldEvent::Anomaly { kind, .. } => EventKind::Anomaly(*kind),
            WorldEvent::AtRisk { .. } => EventKind::AtRisk,
        }
    }

    /// Whether the event log shows this event (the hash covers every event but
    /// [`WorldEvent::AtRisk`], whichever are shown).
    pub fn shown(&self) -> bool {
        !matches!(
            self,
            WorldEvent::TimerFired { .. }
                | WorldEvent::RequestArrived { .. }
                | WorldEvent::Redirected { .. }
                | WorldEvent::Superseded { .. }
                | WorldEvent::WriteAcked { .. }
                | WorldEvent::Replied { arrives: true, .. }
        )
    }

    /// The node the event happened at, if one.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            WorldEvent::Sent { msg, .. } => Some(msg.from),
            WorldEvent::Delivered { msg } | WorldEvent::DroppedAtDownNode { msg } => Some(msg.to),
            WorldEvent::TimerFired { node }
            | WorldEvent::RequestArrived { node, .. }
            | WorldEvent::Invoked { node, .. }
            | WorldEvent::Replied { node, .. }
            | WorldEvent::Completed { node, .. }
            | WorldEvent::NoEffect { node, .. }
            | WorldEvent::PoweredOff { node, .. }
            | WorldEvent::LeaderElected { node, .. }
            | WorldEvent::LeaderLost { node, .. }
            | WorldEvent::Superseded { node, .. }
            | WorldEvent::WriteAcked { node, .. }
            | WorldEvent::Note { node, .. }
            | WorldEvent::AtRisk { node, .. } => Some(*node),
            WorldEvent::Redirected { to, .. } => Some(*to),
            WorldEvent::Anomaly { nodes, .. } => nodes.0.first().copied(),
            WorldEvent::Command(_) => None,
        }
    }

    /// The client operations the event is about.
    pub fn ops(&self) -> Vec<OpId> {
        match self {
            WorldEvent::Sent { msg, .. } | WorldEvent::Delivered { msg } | WorldEvent::DroppedAtDownNode { msg } => {
                msg.op.into_iter().collect()
            }
            WorldEvent::RequestArrived { op, .. }
            | WorldEvent::Invoked { op, .. }
            | WorldEvent::Replied { op, .. }
            | WorldEvent::Redirected { op, .. }
            | WorldEvent::WriteAcked { op, .. }
            | WorldEvent::Completed { op, .. } => vec![*op],
            WorldEvent::Note { note, .. } => note.op_ids(),
            WorldEvent::Anomaly { ops, .. } | WorldEvent::AtRisk { ops, .. } => ops.clone(),
            _ => Vec::new(),
        }
    }

    /// The message the event is about, if any.
    pub fn message(&self) -> Option<&MessageRef> {
        match self {
            WorldEvent::Sent { msg, .. } | WorldEvent::Delivered { msg } | WorldEvent::DroppedAtDownNode { msg } => {
                Some(msg)
            }
            _ => None,
        }
    }
}

fn op_list(ops: &[OpId]) -> String {
    ops.iter().map(|op| format!("op{op}")).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for WorldEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorldEvent::Sent { msg, fate } => {
                write!(f, "n{} → n{} {}", msg.from, msg.to, msg.label)?;
                match fate {
                    SendFate::OnItsWay => Ok(()),
                    SendFate::Cut => f.write_str(" dropped: link cut"),
                    SendFate::Lost => f.write_str(" lost in the network"),
                }
            }
            WorldEvent::Delivered { msg } => write!(f, "n{} → n{} {}", msg.from, msg.to, msg.label),
            WorldEvent::DroppedAtDownNode { msg } => {
                write!(f, "n{} → n{} {} lost: n{} is down", msg.from, msg.to, msg.label, msg.to)
            }
            WorldEvent::TimerFired { node } => write!(f, "a timer fires at n{node}"),
            WorldEvent::RequestArrived { node, op } => write!(f, "op{op}'s request reaches n{node}"),
            WorldEvent::Invoked { op, client, node, kind } => {
                write!(f, "client {client} op{op}: {} at n{node}", kind.describe())
            }
            WorldEvent::Replied { op, node, client_node, arrives: true } => {
                write!(f, "n{node} answers op{op} (client at n{client_node})")
            }
            WorldEvent::Replied { op, node, client_node, arrives: false } => {
                write!(f, "reply to op{op} lost on the way n{node} → client at n{client_node}")
            }
            WorldEvent::Redirected { op, to } => write!(f, "op{op} is sent to the leader n{to}"),
            WorldEvent::Completed { op, is_write, outcome, why, latency, .. } => {
                write!(f, "op{op} ")?;
                match outcome {
                    Outcome::Ok { values } if !is_write => {
                        write!(f, "ok [{}]", values.iter().map(|v| format!("v{v}")).collect::<Vec<_>>().join(", "))?
                    }
                    Outcome::Ok { .. } => f.write_str("ok")?,
                    Outcome::Fail { reason } => write!(f, "failed: {reason}")?,
                    Outcome::Unknown => match why {
                        Some(reason) => write!(f, "outcome unknown ({reason}): it may have taken effect")?,
                        None => f.write_str("timed out: outcome unknown")?,
                    },
                }
                write!(f, " after {:.3} ms", to_ms(*latency))
            }
            WorldEvent::Command(Applied(c)) => f.write_str(&serde_json::to_string(c).unwrap_or_default()),
            WorldEvent::NoEffect { node, command, because } => {
                let state = match because {
                    Inapplicable::Paused => "paused (resume it), not crashed",
                    Inapplicable::Running => "running, not crashed",
                    Inapplicable::AlreadyPaused => "already paused",
                    Inapplicable::Down => "down",
                    Inapplicable::NotPaused => "not paused",
                    Inapplicable::NotRunning => "not running",
                };
                write!(f, "{command} n{node} does nothing: it is {state}")
            }
            WorldEvent::PoweredOff { by, node } => write!(f, "n{by} powers off n{node} (STONITH)"),
            WorldEvent::WriteAcked { node, op, .. } => write!(f, "n{node} acknowledges op{op}"),
            WorldEvent::LeaderElected { node, term } => write!(f, "n{node} is leader of term {term}"),
            WorldEvent::LeaderLost { node, term } => write!(f, "n{node} is no longer leader (term {term})"),
            WorldEvent::Superseded { node, key, lost, by } => {
                write!(f, "n{node} discards v{lost} of k{key} for v{by}")
            }
            WorldEvent::Note { note, .. } => write!(f, "{note}"),
            WorldEvent::Anomaly { explanation, .. } => f.write_str(&explanation.0),
            WorldEvent::AtRisk { count, ops, .. } => write!(
                f,
                "{count} acknowledged writes ({}{}) now exist only on nodes that are down: lost unless they come back",
                op_list(ops),
                if *count > ops.len() { ", …" } else { "" }
            ),
        }
    }
}
