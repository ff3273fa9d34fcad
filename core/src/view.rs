//! Render-ready, protocol-agnostic pictures of a running simulation. The web app draws only
//! these; nothing here refers to a particular replication family.

use serde::{Deserialize, Serialize};

use crate::checkers::Anomaly;
use crate::protocol::{Key, NodeId, OpId, Value};
use crate::time::{Dur, Time};

/// Whether a node is running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    #[default]
    Up,
    Crashed,
    Paused,
}

/// The part a node plays in its protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Leader,
    #[default]
    Follower,
    Candidate,
    /// A peer in a family without leaders.
    Replica,
}

/// How far a node is behind its leader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lag {
    /// Log positions missing.
    pub positions: u64,
    /// How long ago the oldest missing entry was written on the leader (0 when caught up).
    pub time: Dur,
}

/// One entry of a replication log, for the inspector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntryView {
    pub index: u64,
    pub term: u64,
    pub key: Key,
    pub value: Value,
    pub committed: bool,
}

/// One key of a node's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    pub key: Key,
    /// More than one value: concurrent siblings.
    pub values: Vec<Value>,
    /// Protocol-specific version text (log index, version vector, timestamp).
    pub version: String,
    /// Values kept but not returned by a read: a revision tree's losing leaves (CouchDB's
    /// `_conflicts`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Value>,
}

/// What a protocol says about one node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    pub role: Role,
    /// Term or epoch (0 where the family has none).
    pub term: u64,
    /// Number of writes this node holds in its log (its replication position).
    pub position: u64,
    /// Highest position known committed.
    pub commit: u64,
    /// One line for the node graph ("log 12 · commit 11").
    pub summary: String,
    /// The newest log entries (at most a handful).
    pub log_tail: Vec<LogEntryView>,
    pub data: Vec<KeyView>,
    /// Protocol-specific status flags ("semi-sync fallen back to async").
    pub flags: Vec<String>,
}

/// The world's picture of one node: health and faults plus the protocol's [`NodeView`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeState {
    pub id: NodeId,
    pub health: Health,
    /// Latency and service-time multiplier, in thousandths (1000 = normal speed).
    pub slow_permille: u64,
    /// Current clock offset from true time, in microseconds (negative: behind).
    pub clock_offset: i64,
    pub lag: Option<Lag>,
    pub protocol: NodeView,
}

/// A directed link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub from: NodeId,
    pub to: NodeId,
    pub cut: bool,
    pub loss_ppm: u32,
}

/// A message on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub sent: Time,
    pub deliver: Time,
    pub label: String,
    /// What it carries (see [`crate::protocol::Message`]).
    #[serde(default)]
    pub class: crate::protocol::MessageClass,
    /// What it does for a client operation, and which (see [`crate::protocol::Message`]).
    #[serde(default)]
    pub kind: crate::protocol::MessageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<crate::protocol::OpId>,
}

/// What became of a message the simulation recorded (see [`MessageRecord`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageFate {
    /// On the wire (or waiting in a paused node's inbox).
    InFlight,
    Delivered,
    /// Dropped at the sender: the link was cut.
    Cut,
    /// Lost on the way (the link's loss rate).
    Lost,
    /// Arrived at a node that was down.
    DestinationDown,
}

/// One message from send to fate, for space-time diagrams: structured, so a view never has to
/// pair sends with deliveries by their text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// The same id the message has in [`MessageView`] while in flight.
    pub id: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub sent: Time,
    /// When it arrived or was dropped at the destination; while in flight, when it was due
    /// (a busy or paused destination takes it later).
    /// `None` for a message dropped at the sender.
    pub arrived: Option<Time>,
    pub fate: MessageFate,
    pub label: String,
    /// What it carries.
    #[serde(default)]
    pub class: crate::protocol::MessageClass,
    /// What it does for a client operation, and which.
    #[serde(default)]
    pub kind: crate::protocol::MessageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<crate::protocol::OpId>,
}

/// A client and what it has outstanding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientView {
    pub id: usize,
    pub node: NodeId,
    pub pending: Vec<OpId>,
}

/// The replication family a simulation runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    LeaderFollower,
    MultiLeader,
    Leaderless,
}

impl Family {
    /// The snake_case name scenario files and reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::LeaderFollower => "leader_follower",
            Family::MultiLeader => "multi_leader",
            Family::Leaderless => "leaderless",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Family::LeaderFollower => "leader-follower",
            Family::MultiLeader => "multi-leader",
            Family::Leaderless => "leaderless",
        }
    }
}

/// Everything the UI needs to draw one frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub now: Time,
    pub family: Family,
    pub nodes: Vec<NodeState>,
    /// Only links that differ from healthy (cut or lossy) are listed.
    pub links: Vec<LinkView>,
    pub messages: Vec<MessageView>,
    pub clients: Vec<ClientView>,
    /// Anomalies found so far, newest last (the most recent ones only).
    pub anomalies: Vec<Anomaly>,
    pub ops_total: usize,
    /// Every fault so far, with when it was in force.
    pub faults: Vec<crate::faults::FaultSpan>,
    /// Which nodes can talk to each other both ways (one group when nothing is cut).
    pub groups: Vec<Vec<NodeId>>,
    /// Whether a workload is generating operations.
    pub workload: bool,
    /// When the next event is due (none: nothing left to happen).
    pub next_event: Option<Time>,
}
