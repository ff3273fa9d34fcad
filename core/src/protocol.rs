//! The contract between a replication protocol and the simulated world.
//!
//! A protocol node is a pure step function. The world hands it the time and one [`Input`]; the
//! node pushes [`Effect`]s into an [`Out`] buffer and returns. It never sends, sleeps, reads a
//! clock or draws a random number itself: timers are declared with a duration *range* and the
//! world samples it. A handler test is therefore "given this state and this input, exactly these
//! effects".

use crate::note::Note;
use std::fmt::Debug;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::scenario::MAX_NODES;
use crate::time::{Dur, Time};
use crate::view::{Lag, NodeView, Role};

/// Index of a node in the cluster, `0..n`.
pub type NodeId = usize;
/// A set of nodes in one word (a cluster has at most [`MAX_NODES`] nodes), so that recording
/// who was asked and who answered allocates nothing. Iterates in increasing order; in JSON it
/// is the sorted list of ids.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct NodeSet(u64);

const _: () = assert!(MAX_NODES <= u64::BITS as usize, "a node set is one 64-bit word");

impl NodeSet {
    /// Adds `node`; false if it was there already. Panics on a node beyond the cluster limit.
    pub fn insert(&mut self, node: NodeId) -> bool {
        assert!(node < MAX_NODES, "node {node} is beyond the {MAX_NODES}-node limit");
        let had = self.contains(node);
        self.0 |= 1 << node;
        !had
    }
    pub fn contains(&self, node: NodeId) -> bool {
        node < MAX_NODES && self.0 >> node & 1 == 1
    }
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    /// The nodes in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = NodeId> {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let i = rest.trailing_zeros() as NodeId;
                rest &= rest - 1;
                i
            })
        })
    }
}

impl FromIterator<NodeId> for NodeSet {
    fn from_iter<I: IntoIterator<Item = NodeId>>(nodes: I) -> Self {
        let mut set = NodeSet::default();
        for n in nodes {
            set.insert(n);
        }
        set
    }
}

impl<'a> FromIterator<&'a NodeId> for NodeSet {
    fn from_iter<I: IntoIterator<Item = &'a NodeId>>(nodes: I) -> Self {
        nodes.into_iter().copied().collect()
    }
}

impl Debug for NodeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for NodeSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for NodeSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let ids = Vec::<NodeId>::deserialize(d)?;
        if let Some(bad) = ids.iter().find(|&&n| n >= MAX_NODES) {
            return Err(serde::de::Error::custom(format!("node {bad} is beyond the {MAX_NODES}-node limit")));
        }
        Ok(ids.into_iter().collect())
    }
}

/// Index of a client.
pub type ClientId = usize;
/// Identifier of a client operation (its index in the history).
pub type OpId = u64;
/// A key of the replicated key-value store.
pub type Key = u32;
/// A stored value. The world gives every write a value unique in the run, so that a read names
/// exactly the write it observed.
pub type Value = u64;

/// What the world tells a node about the moment of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ctx {
    /// This node.
    pub id: NodeId,
    /// Number of nodes in the cluster.
    pub nodes: usize,
    /// True simulated time. Protocols may use it only for bookkeeping that feeds metrics
    /// (for example the moment an entry was appended); decisions must use `clock`.
    pub now: Time,
    /// The node's own wall clock: true time plus its skew and drift. Timestamps a node assigns
    /// (last-write-wins, leases) come from here.
    pub clock: Time,
}

/// A client operation.
///
/// `Read`, `Write` and `Delete` treat a key as a register. `Increment`, `Add` and `Remove` are
/// updates of merged data types (a counter, an observed-remove set), accepted only on keys that a
/// family resolves by merging (see [`KeyType`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Read {
        key: Key,
    },
    Write {
        key: Key,
        value: Value,
    },
    /// Deletes the key by writing a tombstone. `value` names the tombstone, unique in the run
    /// like a written value, so that checkers can tell which delete a replica holds.
    Delete {
        key: Key,
        value: Value,
    },
    /// Adds `by` (negative: subtracts) to a counter.
    Increment {
        key: Key,
        by: i64,
    },
    /// Adds `element` to a set.
    Add {
        key: Key,
        element: Value,
    },
    /// Removes `element` from a set (the additions this replica has observed).
    Remove {
        key: Key,
        element: Value,
    },
    /// Compare-and-set (Cassandra's lightweight transaction, `UPDATE … IF v = expect`; with
    /// `expect: None`, `INSERT … IF NOT EXISTS`): writes `value` only if the key holds exactly
    /// `expect` (none: nothing) at that instant. `value` is unique in the run like a written
    /// value. An acknowledged compare-and-set returns `[value]` when it applied, and otherwise
    /// the values the key held (which cannot contain `value`): see
    /// [`crate::history::Operation::cas_applied`].
    Cas {
        key: Key,
        expect: Option<Value>,
        value: Value,
    },
}

impl OpKind {
    pub fn key(&self) -> Key {
        match self {
            OpKind::Read { key }
            | OpKind::Write { key, .. }
            | OpKind::Delete { key, .. }
            | OpKind::Increment { key, .. }
            | OpKind::Add { key, .. }
            | OpKind::Remove { key, .. }
            | OpKind::Cas { key, .. } => *key,
        }
    }
    /// Whether the operation changes data (everything but a read).
    pub fn is_write(&self) -> bool {
        !matches!(self, OpKind::Read { .. })
    }
    /// Whether the operation treats its key as a register (read, write, delete,
    /// compare-and-set), which is what the register checkers (stale reads, sessions, lost
    /// writes, linearizability) understand.
    pub fn is_register(&self) -> bool {
        matches!(self, OpKind::Read { .. } | OpKind::Write { .. } | OpKind::Delete { .. } | OpKind::Cas { .. })
    }
    /// Whether this is a compare-and-set.
    pub fn is_cas(&self) -> bool {
        matches!(self, OpKind::Cas { .. })
    }
    /// Whether an acknowledged operation of this kind that returned `values` changed data:
    /// every update, except a compare-and-set that did not apply (it returns what the key
    /// held, never its own value).
    pub fn wrote(&self, values: &[Value]) -> bool {
        match self {
            OpKind::Cas { value, .. } => values.contains(value),
            kind => kind.is_write(),
        }
    }
    /// The data type the operation needs its key to be.
    pub fn needs(&self) -> Option<KeyType> {
        match self {
            OpKind::Increment { .. } => Some(KeyType::Counter),
            OpKind::Add { .. } | OpKind::Remove { .. } => Some(KeyType::Set),
            OpKind::Write { .. } | OpKind::Delete { .. } | OpKind::Cas { .. } => Some(KeyType::Register),
            OpKind::Read { .. } => None,
        }
    }
    /// A short description ("write k1 = v5", "increment k2 by 3").
    pub fn describe(&self) -> String {
        match self {
            OpKind::Read { key } => format!("read k{key}"),
            OpKind::Write { key, value } => format!("write k{key} = v{value}"),
            OpKind::Delete { key, .. } => format!("delete k{key}"),
            OpKind::Increment { key, by } => format!("increment k{key} by {by}"),
            OpKind::Add { key, element } => format!("add v{element} to k{key}"),
            OpKind::Remove { key, element } => format!("remove v{element} from k{key}"),
            OpKind::Cas { key, expect: Some(e), value } => format!("set k{key} = v{value} if it holds v{e}"),
            OpKind::Cas { key, expect: None, value } => format!("set k{key} = v{value} if it holds nothing"),
        }
    }
}

/// What kind of data a key holds, which decides the operations it accepts and what a read
/// returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    /// A register: written, deleted, read (a read returns the value, or the siblings).
    #[default]
    Register,
    /// A counter: incremented; a read returns its value as one [`Value`] holding the `i64`
    /// count in two's complement (see [`counter_value`]).
    Counter,
    /// A set: elements added and removed; a read returns the elements, sorted.
    Set,
}

/// The count a read of a counter key returned.
pub fn counter_value(values: &[Value]) -> i64 {
    values.first().map_or(0, |&v| v as i64)
}

/// The smallest majority of `n` voters: more than half.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

/// Where a read should be served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadFrom {
    /// The node the client believes leads (the default).
    #[default]
    Leader,
    /// The client's own node (its nearby replica).
    Local,
    /// A replica chosen at random by the client.
    Any,
}

/// What a read must be sure of before it answers (MongoDB's read concern; leader-follower
/// only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadConcern {
    /// The node's own data, which may include writes a failover later rolls back (the
    /// default).
    #[default]
    Local,
    /// Data a majority of the voting members acknowledged: the leader answers from its
    /// majority commit point. Never rolled back, but a cut-off old leader's majority point is
    /// old, so the answer can be stale.
    Majority,
    /// The leader first confirms with a majority that it still leads (MongoDB's
    /// `linearizable`): a cut-off old leader cannot, so the read waits until the leader steps
    /// down (then fails) or the client gives up.
    Linearizable,
}

impl ReadConcern {
    pub fn is_local(&self) -> bool {
        *self == ReadConcern::Local
    }
}

/// A version a replica reports with a reply, and a session token: one counter per entry (a
/// log position for leader-follower; one entry per origin for version vectors). Missing
/// entries count as zero.
pub type Version = Vec<u64>;

/// Whether version `a` includes everything version `b` does.
pub fn dominates(a: &[u64], b: &[u64]) -> bool {
    b.iter().enumerate().all(|(i, &x)| a.get(i).copied().unwrap_or(0) >= x)
}

/// The entry-wise maximum of two versions.
pub fn merge_versions(a: &mut Version, b: &[u64]) {
    if a.len() < b.len() {
        a.resize(b.len(), 0);
    }
    for (x, &y) in a.iter_mut().zip(b) {
        *x = (*x).max(y);
    }
}

/// A version as the (node, counter) dots of a version vector, zero entries left out.
pub fn version_to_dots(v: &[u64]) -> Vec<(NodeId, u64)> {
    v.iter().enumerate().filter(|(_, &c)| c > 0).map(|(i, &c)| (i, c)).collect()
}

/// Dots of a version vector as a version of `n` entries.
pub fn dots_to_version(dots: &[(NodeId, u64)], n: usize) -> Version {
    let mut v = vec![0; n];
    for &(i, c) in dots {
        if i < n {
            v[i] = c;
        }
    }
    v
}

/// What a replica does with a read whose session token it has not reached yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behind {
    /// Hold the read until the replica catches up.
    #[default]
    Wait,
    /// Refuse it; the client retries at the leader.
    Redirect,
}

/// A client request as it arrives at a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub op: OpId,
    pub client: ClientId,
    pub kind: OpKind,
    /// The client insists on the leader (a follower must refuse rather than answer).
    pub require_leader: bool,
    /// The session token: serve the read only from data at least this new.
    pub min_version: Version,
    pub behind: Behind,
    /// For a write: the causal context the client read the key with (empty: a blind write).
    /// A write with a context replaces the concurrent values (siblings) it saw.
    pub context: Version,
    /// Leaderless families: W for this write or R for this read (default: the configured one).
    pub quorum: Option<u32>,
    /// Leader-follower reads: the read concern.
    pub read_concern: ReadConcern,
}

impl std::hash::Hash for Request {
    /// As a derived `Hash` would, except that the default read concern adds nothing: requests
    /// travel inside messages, whose hashes are part of the trace hash.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.op.hash(state);
        self.client.hash(state);
        self.kind.hash(state);
        self.require_leader.hash(state);
        self.min_version.hash(state);
        self.behind.hash(state);
        self.context.hash(state);
        self.quorum.hash(state);
        if !self.read_concern.is_local() {
            self.read_concern.hash(state);
        }
    }
}

impl Request {
    /// A request with no session requirements.
    pub fn plain(op: OpId, client: ClientId, kind: OpKind) -> Self {
        Request {
            op,
            client,
            kind,
            require_leader: false,
            min_version: Vec::new(),
            behind: Behind::Wait,
            context: Vec::new(),
            quorum: None,
            read_concern: ReadConcern::Local,
        }
    }
}

/// Why a node refused a request. Refusals are data, not errors.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// This node does not lead; `hint` is the leader it believes in.
    NotLeader { hint: Option<NodeId> },
    /// The node cannot serve the request for the stated reason.
    Unavailable { why: String },
    /// The replica has not caught up with the session's token.
    Behind { have: Version, need: Version },
    /// A quorum coordinator gave up: `answered` of the `needed` replicas answered in time.
    QuorumNotReached { write: bool, answered: usize, needed: usize },
    /// The client refused an acknowledgement from a deposed leader: it came in term `answered`,
    /// and the client had already seen term `seen`.
    Fenced { answered: u64, seen: u64 },
    /// The leader refuses writes: only `have` followers acknowledged within its lag limit, and
    /// it needs `need` (Redis `NOREPLICAS` under `min-replicas-to-write`). Nothing was written.
    NotEnoughReplicas { have: usize, need: usize },
    /// The update does not name the key's current revision, so it was refused and nothing was
    /// written (CouchDB's 409 Conflict: read the document again and edit what it returns).
    Conflict { key: Key },
    /// The leader has not heard from a majority of the voters recently (`heard` of `need`)
    /// and refuses requests (Redis Cluster's `CLUSTERDOWN`). Nothing was written.
    ClusterDown { heard: usize, need: usize },
    /// Multi-leader strong consistency (DynamoDB global tables in MRSC mode): another
    /// Region's write to the key was in progress, so this write was refused and nothing was
    /// written (`ReplicatedWriteConflictException`; the client may retry).
    ReplicatedWriteConflict { key: Key },
    /// A compare-and-set (or serial read) kept losing its Paxos ballot to other coordinators of
    /// the same key until it gave up (`attempts` prepare rounds); it proposed nothing, so
    /// nothing was written (Cassandra's contention on a lightweight transaction).
    Contention { key: Key, attempts: u32 },
}

impl std::fmt::Display for FailReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FailReason::NotLeader { hint: Some(h) } => write!(f, "not leader (leader is n{h})"),
            FailReason::NotLeader { hint: None } => write!(f, "not leader"),
            FailReason::Unavailable { why } => write!(f, "unavailable: {why}"),
            FailReason::Behind { have, need } => write!(f, "replica behind the session (has {have:?}, needs {need:?})"),
            FailReason::QuorumNotReached { write, answered, needed } => {
                let q = if *write { "W" } else { "R" };
                write!(f, "unavailable: quorum not reached: {answered} of {q}={needed} replicas answered")
            }
            FailReason::Fenced { answered, seen } => {
                write!(f, "fenced: answered in term {answered}, but the client has already seen term {seen}")
            }
            FailReason::ClusterDown { heard, need } => write!(
                f,
                "refused: cluster down (heard from {heard} of the {need} voters needed within the node timeout)"
            ),
            FailReason::NotEnoughReplicas { have, need } => write!(
                f,
                "refused: not enough good replicas to write ({have} acknowledged within the lag limit, {need} needed)"
            ),
            FailReason::Conflict { key } => {
                write!(f, "conflict: the update of k{key} does not name its current revision; nothing was written")
            }
            FailReason::ReplicatedWriteConflict { key } => {
                write!(f, "replicated write conflict: another Region is writing k{key}; nothing was written")
            }
            FailReason::Contention { key, attempts } => write!(
                f,
                "contention: {attempts} Paxos rounds on k{key} lost to other coordinators; nothing was proposed"
            ),
        }
    }
}

/// A node's answer to a request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    /// Done. For a read, the values found (empty: the key was never written; more than one:
    /// concurrent siblings). For a write, empty. `version` is what the session token learns:
    /// the write's position, or how up to date the replica that answered the read was.
    ///
    /// `epoch` is the fencing token of the node that answered (a leader's term) when the
    /// family fences clients, 0 otherwise: a client that has seen a newer epoch refuses an
    /// acknowledgement carrying an older one.
    ///
    /// `context` is the causal context of the values a read returned (the key's version
    /// vector), which the client sends with its next write of the key; empty where the family
    /// has none.
    Ok { values: Vec<Value>, version: Version, epoch: u64, context: Version },
    /// Refused before anything changed anywhere: the operation certainly did not take effect.
    Fail(FailReason),
    /// Given up after some replica may already have applied it (a write that missed its
    /// quorum after the coordinator sent it out): it may or may not take effect. The client
    /// records the outcome as unknown, as Jepsen's `:info`.
    Unknown(FailReason),
}

/// An operator action aimed at one node's protocol (not a fault: faults belong to the world).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Admin {
    /// Make this node the leader (manual failover).
    Promote,
    /// Make this node step down to follower.
    Demote,
    /// Repair this node's data with its peers once (Cassandra's `nodetool repair`).
    Repair,
}

/// One input to a node's step function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input<M, T> {
    /// The node (re)starts: at the beginning of the run and after a crash. Volatile state was
    /// reset by [`Protocol::crash`]; rebuild it from durable state here.
    Start,
    /// A message from a peer.
    Message { from: NodeId, msg: M },
    /// A timer the node set earlier fired.
    Timer(T),
    /// A client request.
    Request(Request),
    /// An operator action.
    Admin(Admin),
}

impl<M, T> Input<M, T> {
    /// The same input with its message or timer converted.
    pub fn map<M2, T2>(self, msg: impl FnOnce(M) -> M2, timer: impl FnOnce(T) -> T2) -> Input<M2, T2> {
        match self {
            Input::Start => Input::Start,
            Input::Message { from, msg: m } => Input::Message { from, msg: msg(m) },
            Input::Timer(t) => Input::Timer(timer(t)),
            Input::Request(r) => Input::Request(r),
            Input::Admin(a) => Input::Admin(a),
        }
    }
}

/// Something a node wants done. The world performs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect<M, T> {
    Send {
        to: NodeId,
        msg: M,
    },
    /// Fire `timer` after a duration drawn uniformly from `min..=max`. Setting a timer equal to
    /// one already pending re-arms it.
    SetTimer {
        timer: T,
        min: Dur,
        max: Dur,
    },
    CancelTimer {
        timer: T,
    },
    Reply {
        op: OpId,
        reply: Reply,
    },
    /// A notable event for the trace and the event log.
    Note(Note),
    /// STONITH: power off another node through an out-of-band channel (it always works).
    PowerOff {
        node: NodeId,
    },
    /// A coordinator's picture of an operation's quorum: the answers it needs (the W or R in
    /// force for this operation, clamped once, by the protocol), the replicas it asked and
    /// those that answered so far. The world records it on the operation.
    Quorum {
        op: OpId,
        needed: u32,
        asked: NodeSet,
        answered: NodeSet,
    },
    /// Conflict resolution threw away the write of `lost` in favour of the write of `by`
    /// (last write wins). The world decides whether that lost an acknowledged write.
    Superseded {
        key: Key,
        lost: Value,
        by: Value,
    },
}

impl<M, T> Effect<M, T> {
    /// The same effect with its message or timer converted.
    pub fn map<M2, T2>(self, msg: impl FnOnce(M) -> M2, timer: impl FnOnce(T) -> T2) -> Effect<M2, T2> {
        match self {
            Effect::Send { to, msg: m } => Effect::Send { to, msg: msg(m) },
            Effect::SetTimer { timer: t, min, max } => Effect::SetTimer { timer: timer(t), min, max },
            Effect::CancelTimer { timer: t } => Effect::CancelTimer { timer: timer(t) },
            Effect::Reply { op, reply } => Effect::Reply { op, reply },
            Effect::Note(note) => Effect::Note(note),
            Effect::PowerOff { node } => Effect::PowerOff { node },
            Effect::Quorum { op, needed, asked, answered } => Effect::Quorum { op, needed, asked, answered },
            Effect::Superseded { key, lost, by } => Effect::Superseded { key, lost, by },
        }
    }
}

/// The output buffer a step function writes into.
#[derive(Clone, Debug)]
pub struct Out<M, T> {
    pub effects: Vec<Effect<M, T>>,
}

impl<M, T> Default for Out<M, T> {
    fn default() -> Self {
        Out { effects: Vec::new() }
    }
}

impl<M, T> Out<M, T> {
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.effects.push(Effect::Send { to, msg });
    }
    pub fn set_timer(&mut self, timer: T, min: Dur, max: Dur) {
        self.effects.push(Effect::SetTimer { timer, min, max });
    }
    pub fn cancel_timer(&mut self, timer: T) {
        self.effects.push(Effect::CancelTimer { timer });
    }
    pub fn reply(&mut self, op: OpId, reply: Reply) {
        self.effects.push(Effect::Reply { op, reply });
    }
    pub fn ok(&mut self, op: OpId, values: Vec<Value>) {
        self.reply(op, Reply::Ok { values, version: Vec::new(), epoch: 0, context: Vec::new() });
    }
    pub fn ok_at(&mut self, op: OpId, values: Vec<Value>, version: Version) {
        self.reply(op, Reply::Ok { values, version, epoch: 0, context: Vec::new() });
    }
    /// A read's answer with the causal context of the values returned.
    pub fn ok_read(&mut self, op: OpId, values: Vec<Value>, version: Version, context: Version) {
        self.reply(op, Reply::Ok { values, version, epoch: 0, context });
    }
    /// A write's acknowledgement with the context the client's next write of the key carries
    /// (the revision it created).
    pub fn ok_write(&mut self, op: OpId, version: Version, context: Version) {
        self.reply(op, Reply::Ok { values: Vec::new(), version, epoch: 0, context });
    }
    /// An acknowledgement carrying a fencing epoch.
    pub fn ok_fenced(&mut self, op: OpId, values: Vec<Value>, version: Version, epoch: u64) {
        self.reply(op, Reply::Ok { values, version, epoch, context: Vec::new() });
    }
    pub fn fail(&mut self, op: OpId, reason: FailReason) {
        self.reply(op, Reply::Fail(reason));
    }
    /// Gives up on an operation that some replica may already have applied.
    pub fn unknown(&mut self, op: OpId, reason: FailReason) {
        self.reply(op, Reply::Unknown(reason));
    }
    pub fn superseded(&mut self, key: Key, lost: Value, by: Value) {
        self.effects.push(Effect::Superseded { key, lost, by });
    }
    pub fn power_off(&mut self, node: NodeId) {
        self.effects.push(Effect::PowerOff { node });
    }
    pub fn note(&mut self, note: Note) {
        self.effects.push(Effect::Note(note));
    }
    pub fn clear(&mut self) {
        self.effects.clear();
    }
}

/// A protocol message: hashable (it enters the trace hash) and able to describe itself.
pub trait Message: Clone + Debug + Hash {
    /// A short label for the node graph ("append 12..14", "ack 14").
    fn label(&self) -> String;
    /// What the message carries, for its colour in views.
    fn class(&self) -> MessageClass {
        MessageClass::Other
    }
    /// What the message does for a client operation, if anything.
    fn kind(&self) -> MessageKind {
        MessageKind::Other
    }
    /// The client operation the message serves, if any.
    fn op(&self) -> Option<OpId> {
        None
    }
}

/// What a message carries, in terms every family shares (views colour messages by it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageClass {
    /// Writes on their way to a replica (log entries, a snapshot, shipped updates, a put, a
    /// repair, a handoff, an anti-entropy exchange).
    Data,
    /// An acknowledgement that data was stored.
    Ack,
    /// A refusal or a request to resend.
    Nack,
    /// Liveness only: an empty append or shipment.
    Heartbeat,
    /// Anything else (elections, locks, probes, reads, forwards).
    #[default]
    Other,
}

impl MessageClass {
    pub fn name(self) -> &'static str {
        match self {
            MessageClass::Data => "data",
            MessageClass::Ack => "ack",
            MessageClass::Nack => "nack",
            MessageClass::Heartbeat => "heartbeat",
            MessageClass::Other => "other",
        }
    }
}

/// What a message does for a client operation, in terms every view understands (so views
/// read it instead of parsing labels).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A coordinator asks a replica to store or return data for the operation.
    Ask,
    /// A replica answers a coordinator's ask.
    Answer,
    /// The request is handed to another node, which coordinates it.
    Forward,
    /// Anything else (replication streams, heartbeats, elections, repair, anti-entropy).
    #[default]
    Other,
}

/// A replication protocol: the state machine of one node.
///
/// The same trait serves every family (leader-follower, multi-leader, leaderless); the world
/// knows nothing about any of them.
pub trait Protocol: Sized + Clone {
    type Msg: Message;
    type Timer: Clone + Debug + PartialEq + Hash;

    /// Handles one input, pushing effects into `out`.
    fn step(&mut self, ctx: &Ctx, input: Input<Self::Msg, Self::Timer>, out: &mut Out<Self::Msg, Self::Timer>);

    /// The node crashed: drop volatile state and keep only what is durable. The world then
    /// drops its pending timers, and delivers [`Input::Start`] on restart.
    fn crash(&mut self);

    /// A render-ready picture of this node.
    fn view(&self) -> NodeView;

    /// The leader this node believes in, which is where its clients send writes.
    fn leader_hint(&self) -> Option<NodeId> {
        None
    }

    /// The node's role now (cheap: the world asks after every step to track leadership).
    fn role(&self) -> Role {
        Role::Replica
    }

    /// The node's term or epoch (0 where the family has none).
    fn term(&self) -> u64 {
        0
    }

    /// Whether at most one node should lead at a time (split brain is then an anomaly). The
    /// same for every node of a family: the world asks the first node once.
    fn single_leader(&self) -> bool {
        false
    }

    /// Whether `for_each_write` lists every write ever applied (a log), rather than only the
    /// current values. Then a write missing from every node is lost; otherwise it is lost only
    /// when what replaced it was certainly older. Asked like [`Protocol::single_leader`].
    fn keeps_history(&self) -> bool {
        true
    }

    /// Whether this node is meant to hold `key` (in leaderless families only `N` nodes do).
    fn replicates(&self, _key: Key) -> bool {
        true
    }

    /// What kind of data `key` holds in this family's configuration.
    fn key_type(&self, _key: Key) -> KeyType {
        KeyType::Register
    }

    /// Whether this node stores replicated data (a coordinator does not).
    fn holds_data(&self) -> bool {
        true
    }

    /// Calls `f` for every write this node still holds, applied or only logged, even if since
    /// overwritten. The lost-write checker uses it to decide what survived.
    fn for_each_write(&self, f: &mut dyn FnMut(Key, Value));

    /// Calls `f` for every write this node may still pass on to a peer that has not had it,
    /// which [`Protocol::for_each_write`] need not list because the node itself no longer holds
    /// it (multi-leader: a superseded update still in the replication log for a peer, or one
    /// waiting for its dependencies). Such a write may yet be applied elsewhere and read there,
    /// so compaction keeps what names it (it may hear a write several times).
    fn for_each_write_in_transit(&self, _f: &mut dyn FnMut(Key, Value)) {}

    /// Whether [`Protocol::for_each_write`] lists this write. A family whose node can find it
    /// without listing everything says so faster.
    fn holds_write(&self, key: Key, value: Value) -> bool {
        let mut found = false;
        self.for_each_write(&mut |k, v| found |= (k, v) == (key, value));
        found
    }

    /// Compaction (see [`crate::sim::Sim::set_compaction`]): the family may forget what every
    /// node holds alike and no longer needs one by one, written by operations before
    /// `before_op`. Leader-follower compacts the common log prefix; the others keep only
    /// current data and have nothing to compact. `dropped` hears every write that a node may
    /// have stopped listing in [`Protocol::for_each_write`] (it may hear more: writes some
    /// node still lists, or one write several times), so that a caller need not compare
    /// everything the nodes hold before and after.
    fn compact_logs(_nodes: &mut [Self], _before_op: OpId, _dropped: &mut dyn FnMut(Key, Value))
    where
        Self: Sized,
    {
    }

    /// Replication lag of every node, computed with the world's omniscience (`up[i]` tells
    /// whether node `i` is running), written into `lags` (emptied first; a buffer the caller
    /// reuses). `None` where lag has no meaning (the leader, or a family without one).
    fn replication_lag(nodes: &[Self], up: &[bool], now: Time, lags: &mut Vec<Option<Lag>>) {
        let _ = (up, now);
        lags.clear();
        lags.resize(nodes.len(), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    /// A node set behaves as a sorted set of ids would, over random inserts, and reads back
    /// from its JSON (a sorted list) unchanged; ids beyond the cluster limit are refused.
    #[test]
    fn a_node_set_is_a_sorted_set_of_ids() {
        for seed in 0..500 {
            let mut rng = SimRng::new(seed);
            let mut set = NodeSet::default();
            let mut model = std::collections::BTreeSet::new();
            for _ in 0..rng.below(80) {
                let n = rng.below(64) as NodeId;
                assert_eq!(set.insert(n), model.insert(n), "seed {seed}");
            }
            assert_eq!(set.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>(), "seed {seed}");
            assert_eq!((set.len(), set.is_empty()), (model.len(), model.is_empty()));
            assert!((0..70).all(|n| set.contains(n) == model.contains(&n)));
            let json = serde_json::to_string(&set).unwrap();
            assert_eq!(json, serde_json::to_string(&model).unwrap());
            assert_eq!(serde_json::from_str::<NodeSet>(&json).unwrap(), set);
        }
        assert!(serde_json::from_str::<NodeSet>("[3, 64]").unwrap_err().to_string().contains("64-node limit"));
    }
}
