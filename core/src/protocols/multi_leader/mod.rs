//! # Multi-leader replication
//!
//! Every datacenter has its own leader, which accepts writes at once (no cross-datacenter
//! round trip) and ships them asynchronously to the other leaders; each leader also streams
//! everything it applies to the followers of its datacenter. Writes stay available in every
//! datacenter during a partition, and concurrent writes to the same key are inevitable. This is
//! MySQL/PostgreSQL multi-source setups, CouchDB, DynamoDB global tables, and the way offline
//! clients and collaborative editors replicate.
//!
//! **Topologies** ([`Topology`]): all-to-all (each leader sends its own writes to every other
//! leader), ring (each forwards everything to the next) and star (spokes send to a hub that
//! forwards to everyone). In ring and star a write travels through other leaders, so one dead
//! leader cuts the flow; in all-to-all, links of different speeds let an update overtake the
//! insert it modifies.
//!
//! **Causality.** Every update carries the version vector of everything its leader had applied
//! when it was written. With causal delivery on, a replica holds an update until everything it
//! depends on has arrived (and notes the `causal_gap` it detected); off, it applies in arrival
//! order.
//!
//! **Conflicts** ([`ConflictResolution`]), per key, tracked with dotted version vector sets:
//! - *last write wins* by the writing node's clock ([`last_write_wins`], the rule leaderless
//!   replicas use too): concurrent writes converge to the one with the highest timestamp — and
//!   with a skewed clock a write made later in real time silently loses (`lww_discard` notes;
//!   the checker reports the acknowledged write as lost);
//! - *siblings*: every concurrent value is kept; a read returns them all with their causal
//!   context, and a write carrying that context replaces exactly the siblings it saw (Riak);
//! - *last arrival*: no detection at all; replicas that receive updates in different orders
//!   diverge — the reason version vectors exist;
//! - *merge* ([`merge`]): the key is a CRDT — a counter, an observed-remove set or a
//!   multi-value register — and concurrent updates are merged, none lost.
//!
//! Each key space (a range of keys, [`KeySpace`]) can choose its own resolution, so one cluster
//! can hold last-write-wins profiles beside merged counters. A delete writes a tombstone that
//! resolves like any other write; multi-leader replicas keep tombstones forever.

mod config;
pub mod merge;
pub mod revisions;

use crate::note::Note;
use std::collections::BTreeMap;

pub use config::{Consistency, KeySpace, MultiLeaderConfig, Topology};
pub use merge::{Crdt, CrdtUpdate};
pub use revisions::{Refusal, Rev, RevTree};

use crate::conflict::{last_write_wins, ConflictResolution};
use crate::crdt::DvvSet;
use crate::protocol::MessageClass;
use crate::protocol::{
    dominates, Behind, Ctx, FailReason, Input, Key, KeyType, Message, NodeId, OpId, OpKind, Out, Protocol, Request,
    Value, Version,
};
use crate::time::Time;
use crate::view::{KeyView, NodeView, Role};

pub use super::Stamped;

/// One write, as it travels between replicas.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Update {
    /// The leader that accepted the write, and its sequence number there.
    pub origin: NodeId,
    pub seq: u64,
    pub key: Key,
    pub value: Stamped,
    /// What the client did.
    pub kind: OpKind,
    /// The key's state at the origin right after the write.
    pub state: DvvSet<NodeId, Stamped>,
    /// Merge key spaces: what the operation did to the key's CRDT (its state, or a set's delta).
    pub crdt: Option<CrdtUpdate>,
    /// What the origin had applied from every node when it accepted the write.
    pub deps: Vec<u64>,
    pub op: OpId,
}

/// Messages between replicas.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// The updates for the receiver found in the sender's log between positions `start` and
    /// `end` (a stream: the receiver takes it only if it has everything before `start`).
    Ship { start: u64, end: u64, updates: Vec<Update> },
    /// The receiver has everything up to `end`. `gap`: a stream message arrived that starts
    /// after `end`, so something before it was lost: resend from `end`. Only a gap rewinds
    /// the sender; a plain acknowledgement never does, so an old or duplicated one is harmless.
    ShipAck { end: u64, gap: bool },
    /// Strong consistency: the sender asks to reserve `key` for its pending write `op`.
    Reserve { key: Key, op: OpId },
    /// The answer to a [`Msg::Reserve`]: granted, or refused (the key is reserved by another
    /// pending write).
    Reserved { op: OpId, granted: bool },
    /// The write `op` is done (acknowledged or refused): drop its reservation of `key`.
    Release { key: Key, op: OpId },
}

impl Message for Msg {
    fn class(&self) -> MessageClass {
        match self {
            Msg::Ship { updates, .. } if updates.is_empty() => MessageClass::Heartbeat,
            Msg::Ship { .. } => MessageClass::Data,
            Msg::ShipAck { gap: false, .. } => MessageClass::Ack,
            Msg::ShipAck { gap: true, .. } => MessageClass::Nack,
            Msg::Reserved { granted: true, .. } => MessageClass::Ack,
            Msg::Reserved { granted: false, .. } => MessageClass::Nack,
            Msg::Reserve { .. } | Msg::Release { .. } => MessageClass::Other,
        }
    }

    fn label(&self) -> String {
        match self {
            Msg::Ship { updates, end, .. } if updates.is_empty() => format!("ship @{end}"),
            Msg::Ship { updates, .. } if updates.len() == 1 => {
                let u = &updates[0];
                match u.kind {
                    OpKind::Write { key, value } => format!("k{key} = v{value} from n{}", u.origin),
                    ref kind => format!("{} from n{}", kind.describe(), u.origin),
                }
            }
            Msg::Ship { updates, .. } => format!("{} updates", updates.len()),
            Msg::ShipAck { end, gap: false } => format!("ack @{end}"),
            Msg::ShipAck { end, gap: true } => format!("resend from @{end}"),
            Msg::Reserve { key, .. } => format!("reserve k{key}"),
            Msg::Reserved { granted: true, .. } => "reserved".into(),
            Msg::Reserved { granted: false, .. } => "conflict".into(),
            Msg::Release { key, .. } => format!("release k{key}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    Heartbeat,
    /// Periodic fsync: what was written so far becomes durable (and may be shipped).
    Flush,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Peer {
    node: NodeId,
    /// Next log index to examine for this peer.
    next: usize,
    /// The peer has everything it needs up to here.
    acked: usize,
    last_sent: Option<Time>,
    /// The position a gap report last rewound the stream to: a duplicate of that report is
    /// ignored (if the resend is lost too, the heartbeat resends).
    rewound_to: Option<usize>,
    /// Whether this node knows where the peer's stream stands. A node back from a crash does
    /// not: it asks (an empty message at the end of its log, which the peer answers with its
    /// position) and ships nothing to the peer until it hears. Resending from the start of its
    /// log instead would make what it sends depend on how much of the log compaction kept.
    known: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct KeyState {
    /// Siblings mode: the dotted version vector set.
    dvv: DvvSet<NodeId, Stamped>,
    /// Last-write-wins mode: the value with the highest timestamp; last-arrival mode: whatever
    /// came last.
    last: Option<Stamped>,
    /// Merge key spaces: the CRDT.
    crdt: Option<Crdt>,
    /// The latest update of this key applied from each origin (to tell concurrent updates).
    writers: BTreeMap<NodeId, u64>,
}

/// Strong consistency: a write waiting for its reservations, then for another leader to have it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pending {
    req: Request,
    key: Key,
    grants: usize,
    refusals: usize,
    /// Applied and shipped: the log position a peer must acknowledge.
    committed_at: Option<usize>,
}

/// One node of the multi-leader family.
#[derive(Clone, Debug)]
pub struct MultiLeaderNode {
    id: NodeId,
    n: usize,
    cfg: MultiLeaderConfig,
    dc_of: Vec<usize>,
    leaders: Vec<NodeId>,
    // Durable state.
    data: BTreeMap<Key, KeyState>,
    /// Highest sequence number applied from each origin.
    seen: Vec<u64>,
    /// Every update applied here, in order (what this node ships on), after the first
    /// `log_base` ones, which every peer has acknowledged and compaction dropped.
    log: Vec<Update>,
    log_base: usize,
    conflicts: u64,
    // Volatile state.
    peers: Vec<Peer>,
    /// Updates waiting for what they depend on.
    held: Vec<Update>,
    /// Reads waiting for this replica to reach their session token.
    waiting: Vec<(Version, OpId, Key)>,
    /// Per sender: the stream position received so far (durable, like the data it produced).
    received: BTreeMap<NodeId, u64>,
    /// Periodic fsync (none: every write is durable before the node acts on it).
    fsync_every: Option<Time>,
    /// With periodic fsync: the durable state as of the last flush, which a crash returns to.
    flushed: Flushed,
    /// Strong consistency: which pending write (its leader and operation) holds each key.
    reserved: BTreeMap<Key, (NodeId, OpId)>,
    /// Strong consistency: this leader's writes in progress.
    pending: Vec<Pending>,
}

/// What a node with periodic fsync had on stable storage at its last flush: the log's length
/// (only that much is shipped, so nothing a peer holds can vanish from its origin), the small
/// durable fields whole, and for the data, what each key changed since held before.
#[derive(Clone, Debug, Default)]
struct Flushed {
    log_len: usize,
    seen: Vec<u64>,
    received: BTreeMap<NodeId, u64>,
    held: Vec<Update>,
    conflicts: u64,
    undo: BTreeMap<Key, Option<KeyState>>,
}

impl MultiLeaderNode {
    pub fn new(id: NodeId, n: usize, cfg: MultiLeaderConfig) -> Self {
        let dc_of = cfg.dcs(n);
        let leaders = cfg.leaders(n);
        MultiLeaderNode {
            id,
            n,
            cfg,
            dc_of,
            leaders,
            data: BTreeMap::new(),
            seen: vec![0; n],
            log: Vec::new(),
            log_base: 0,
            conflicts: 0,
            peers: Vec::new(),
            held: Vec::new(),
            waiting: Vec::new(),
            received: BTreeMap::new(),
            fsync_every: None,
            flushed: Flushed { seen: vec![0; n], ..Flushed::default() },
            reserved: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// Flushes writes to stable storage every `every` (none: before acting on them). A crash
    /// loses what was written since the last flush, acknowledged or not; a node ships only
    /// what it has flushed (as a binlog that replicas read after it is synced).
    pub fn with_fsync(mut self, every: Option<Time>) -> Self {
        self.fsync_every = every;
        self
    }

    /// How far this node's stream may be shipped: everything, or what is durable.
    fn shippable(&self) -> usize {
        match self.fsync_every {
            Some(_) => self.flushed.log_len.min(self.log_len()),
            None => self.log_len(),
        }
    }

    fn flush(&mut self) {
        self.flushed = Flushed {
            log_len: self.log_len(),
            seen: self.seen.clone(),
            received: self.received.clone(),
            held: self.held.clone(),
            conflicts: self.conflicts,
            undo: BTreeMap::new(),
        };
    }

    /// Records what `key` held before a change, once per flush interval.
    fn remember(&mut self, key: Key) {
        if self.fsync_every.is_some() && !self.flushed.undo.contains_key(&key) {
            let before = self.data.get(&key).filter(|s| **s != KeyState::default()).cloned();
            self.flushed.undo.insert(key, before);
        }
    }

    pub fn is_leader(&self) -> bool {
        self.leaders.contains(&self.id)
    }

    fn my_leader(&self) -> NodeId {
        let dc = self.dc_of[self.id];
        self.leaders.iter().copied().find(|&l| self.dc_of[l] == dc).unwrap_or(self.id)
    }

    /// The values a read of `key` returns here, and their causal context.
    pub fn read(&self, key: Key) -> (Vec<Value>, Version) {
        let Some(s) = self.data.get(&key) else { return (vec![], vec![]) };
        if let Some(c) = &s.crdt {
            return (c.read(), c.context(self.n));
        }
        let mut values: Vec<Value> = self.held(s).into_iter().filter(|v| !v.deleted).map(|v| v.value).collect();
        crate::sort::sort(&mut values);
        values.dedup();
        (values, crate::protocol::dots_to_version(&s.dvv.join(), self.n))
    }

    /// The stamped values a register key holds, tombstones included.
    fn held(&self, s: &KeyState) -> Vec<Stamped> {
        match s.crdt {
            Some(_) => Vec::new(),
            None if s.last.is_some() => s.last.into_iter().collect(),
            None => s.dvv.values(),
        }
    }

    /// The revisions of a key resolved by revision trees (none for other keys, or before
    /// its first write).
    pub fn revisions(&self, key: Key) -> Option<&RevTree> {
        match self.data.get(&key)?.crdt.as_ref()? {
            Crdt::Revisions(t) => Some(t),
            _ => None,
        }
    }

    /// Number of conflicts this node has seen (siblings created or writes discarded).
    pub fn conflicts(&self) -> u64 {
        self.conflicts
    }

    /// Nodes this node ships updates to.
    fn peer_ids(&self) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = Vec::new();
        if !self.is_leader() {
            return out;
        }
        let my_dc = self.dc_of[self.id];
        out.extend((0..self.n).filter(|&i| i != self.id && self.dc_of[i] == my_dc));
        let k = self.leaders.len();
        let me = self.leaders.iter().position(|&l| l == self.id).unwrap_or(0);
        match self.cfg.topology {
            Topology::AllToAll => out.extend(self.leaders.iter().copied().filter(|&l| l != self.id)),
            Topology::Ring => {
                if k > 1 {
                    out.push(self.leaders[(me + 1) % k]);
                }
            }
            Topology::Star { hub } => {
                if me == hub {
                    out.extend(self.leaders.iter().copied().filter(|&l| l != self.id));
                } else if let Some(&h) = self.leaders.get(hub) {
                    out.push(h);
                }
            }
        }
        out
    }

    /// Whether update `u` in this node's log should go to `to`.
    fn forwards(&self, u: &Update, to: NodeId) -> bool {
        if self.dc_of[to] == self.dc_of[self.id] {
            return true;
        }
        let origin_dc = self.dc_of[u.origin];
        match self.cfg.topology {
            Topology::AllToAll => u.origin == self.id,
            Topology::Ring => self.dc_of[to] != origin_dc,
            Topology::Star { hub } => {
                if self.leaders.get(hub) == Some(&self.id) {
                    self.dc_of[to] != origin_dc
                } else {
                    u.origin == self.id
                }
            }
        }
    }

    fn ship(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, i: usize, force: bool) {
        if !self.peers[i].known {
            // Back from a crash: nothing until the peer says where it stands.
            return;
        }
        let mut updates = Vec::new();
        // Every peer has acknowledged the compacted prefix: start after it at the earliest.
        let start = self.peers[i].next.max(self.log_base);
        let mut idx = start;
        let to = self.peers[i].node;
        let end = self.shippable();
        while idx < end && updates.len() < self.cfg.batch {
            let u = &self.log[idx - self.log_base];
            if self.forwards(u, to) {
                updates.push(u.clone());
            }
            idx += 1;
        }
        let p = &mut self.peers[i];
        p.next = idx;
        if updates.is_empty() && !force {
            // Nothing for this peer in that stretch; the next message still covers it.
            p.next = start;
            return;
        }
        p.last_sent = Some(ctx.clock);
        out.send(to, Msg::Ship { start: start as u64, end: idx as u64, updates });
    }

    /// Asks a peer where its stream stands: an empty message at the end of the log, which it
    /// answers with its position.
    fn probe(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, i: usize) {
        let len = self.log_len() as u64;
        self.peers[i].last_sent = Some(ctx.clock);
        out.send(self.peers[i].node, Msg::Ship { start: len, end: len, updates: Vec::new() });
    }

    /// Sends the newest log entry to the peers whose stream is caught up.
    fn ship_new(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        for i in 0..self.peers.len() {
            let p = &self.peers[i];
            if p.known && p.next == p.acked && p.next < self.shippable() {
                self.ship(ctx, out, i, false);
            }
        }
    }

    /// The log's length, compacted prefix included.
    fn log_len(&self) -> usize {
        self.log_base + self.log.len()
    }

    /// Compaction: drops the log prefix every peer has acknowledged, written by operations
    /// before `before_op` (those the history has dropped). A restarted node asks its peers
    /// where they stand before it ships anything, so what it sends does not depend on how
    /// much of the log was kept.
    fn compact_log(&mut self, before_op: OpId) {
        // (A node that ships to nobody needs none of its log; a crashed one has forgotten
        // what its peers acknowledged, so it keeps everything until they say again.)
        if self.peers.is_empty() && !self.peer_ids().is_empty() {
            return;
        }
        let acked = self.peers.iter().map(|p| p.acked).min().unwrap_or(self.log_len());
        let n = self.log.iter().take(acked.saturating_sub(self.log_base)).take_while(|u| u.op < before_op).count();
        self.log.drain(..n);
        self.log_base += n;
    }

    /// Applies an update (remote, or `local`: the node's own, whose CRDT operation
    /// [`Self::on_request`] has already applied). Returns false when it was already applied.
    fn apply(&mut self, out: &mut Out<Msg, Timer>, u: Update, local: bool) -> bool {
        if u.seq <= self.seen[u.origin] {
            return false;
        }
        let conflicts = self.cfg.conflicts_of(u.key);
        self.remember(u.key);
        let state = self.data.entry(u.key).or_default();
        // Concurrent: this replica applied an update of the key that the origin had not seen.
        let concurrent =
            state.writers.iter().any(|(&o, &seq)| o != u.origin && seq > u.deps.get(o).copied().unwrap_or(0));
        state.writers.insert(u.origin, u.seq);
        match conflicts {
            ConflictResolution::Counter | ConflictResolution::Set | ConflictResolution::MvRegister => {
                let Some(incoming) = &u.crdt else { return false };
                if !local {
                    let fresh = state.crdt.is_none();
                    let mine = match &mut state.crdt {
                        Some(mine) => mine,
                        None => state.crdt.insert(Crdt::empty(conflicts).expect("a merge key space")),
                    };
                    let before = (concurrent && !fresh).then(|| mine.brief(&u.kind));
                    mine.join(incoming);
                    if let Some(before) = before {
                        out.note(Note::Merge {
                            node: self.id,
                            key: u.key,
                            origin: u.origin,
                            operation: u.kind.describe(),
                            before,
                            after: mine.brief(&u.kind),
                        });
                    }
                }
            }
            ConflictResolution::RevisionTree => {
                let Some(CrdtUpdate::State(incoming)) = &u.crdt else { return false };
                if !local {
                    let mine = state.crdt.get_or_insert_with(|| Crdt::empty(conflicts).expect("a revision tree"));
                    let before = match mine {
                        Crdt::Revisions(t) => t.conflicts(),
                        _ => Vec::new(),
                    };
                    mine.merge(incoming);
                    // Every replica with the same revisions picks the same winner: a new
                    // conflict is noted where it appears, with the winner every replica reads.
                    let after = match mine {
                        Crdt::Revisions(t) if t.conflicts().len() > before.len() => Some(t),
                        _ => None,
                    };
                    if let Some(t) = after {
                        let winner = t.winner().map_or(0, |w| w.id);
                        let losers = t.conflicts().iter().map(|r| r.id).collect();
                        self.conflicts += 1;
                        out.note(Note::Conflicts { node: self.id, key: u.key, winner, losers });
                    }
                }
            }
            ConflictResolution::LastArrival => state.last = Some(u.value),
            ConflictResolution::Lww => {
                // Pure timestamp order, as Cassandra and DynamoDB global tables do: it converges
                // whatever the delivery order, and ignores causality.
                let merged = last_write_wins(state.last.into_iter().chain([u.value])).expect("the arriving version");
                if merged.winner == u.value {
                    for old in merged.discarded {
                        out.superseded(u.key, old.value, u.value.value);
                    }
                    state.last = Some(u.value);
                } else {
                    self.conflicts += 1;
                    out.note(Note::LwwDiscard {
                        node: self.id,
                        key: u.key,
                        dropped: u.value.value,
                        stamp: u.value.time,
                        writer: u.value.node,
                        kept: merged.winner.value,
                    });
                    out.superseded(u.key, u.value.value, merged.winner.value);
                }
            }
            ConflictResolution::Siblings => {
                let before = state.dvv.size();
                state.dvv.sync_from(&u.state);
                let after = state.dvv.size();
                if after > 1 && after > before {
                    self.conflicts += 1;
                    out.note(Note::Siblings { node: self.id, key: u.key, values: after });
                }
            }
        }
        self.seen[u.origin] = u.seq;
        self.log.push(u);
        self.serve_waiting(out);
        true
    }

    /// Whether an arriving update may be applied now.
    fn ready(&self, u: &Update) -> bool {
        if u.seq != self.seen[u.origin] + 1 {
            return u.seq <= self.seen[u.origin];
        }
        !self.cfg.causal_delivery || u.deps.iter().enumerate().all(|(o, &d)| o == u.origin || d <= self.seen[o])
    }

    fn on_ship(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        start: u64,
        end: u64,
        updates: Vec<Update>,
    ) {
        let have = self.received.get(&from).copied().unwrap_or(0);
        if start > have {
            // A message before this one was lost: ask for the stream again from where we are.
            out.send(from, Msg::ShipAck { end: have, gap: true });
            return;
        }
        self.received.insert(from, have.max(end));
        for u in updates {
            if self.ready(&u) {
                if self.apply(out, u, false) {
                    self.ship_new(ctx, out);
                }
            } else if !self.held.iter().any(|h| h.origin == u.origin && h.seq == u.seq) {
                let missing: Vec<(NodeId, u64)> = u
                    .deps
                    .iter()
                    .enumerate()
                    .filter(|&(o, &d)| o != u.origin && d > self.seen[o])
                    .map(|(o, &d)| (o, d))
                    .collect();
                out.note(Note::CausalGap { node: self.id, origin: u.origin, key: u.key, op: u.op, missing });
                self.held.push(u);
            }
        }
        // Release whatever became ready.
        while let Some(i) = self.held.iter().position(|u| self.ready(u)) {
            let u = self.held.remove(i);
            if self.apply(out, u, false) {
                self.ship_new(ctx, out);
            }
        }
        out.send(from, Msg::ShipAck { end: have.max(end), gap: false });
    }

    /// Answers a read. The version it reports is everything this replica has applied (its
    /// version vector, the session token); the context is the key's own causal context, which
    /// the client's next write of the key carries.
    fn answer_read(&self, out: &mut Out<Msg, Timer>, op: OpId, key: Key) {
        let (values, context) = self.read(key);
        out.ok_read(op, values, self.seen.clone(), context);
    }

    /// Answers the reads that were waiting for this replica to reach their session token.
    fn serve_waiting(&mut self, out: &mut Out<Msg, Timer>) {
        if self.waiting.is_empty() {
            return;
        }
        let seen = self.seen.clone();
        let (ready, still): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.waiting).into_iter().partition(|(need, _, _)| dominates(&seen, need));
        self.waiting = still;
        for (_, op, key) in ready {
            self.answer_read(out, op, key);
        }
    }

    fn on_request(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, req: Request) {
        match req.kind {
            OpKind::Read { key } => {
                if dominates(&self.seen, &req.min_version) {
                    self.answer_read(out, req.op, key);
                } else {
                    match req.behind {
                        Behind::Wait => self.waiting.push((req.min_version, req.op, key)),
                        Behind::Redirect => {
                            out.fail(req.op, FailReason::Behind { have: self.seen.clone(), need: req.min_version })
                        }
                    }
                }
            }
            OpKind::Cas { key, .. } => out.fail(
                req.op,
                FailReason::Unavailable {
                    why: format!("compare-and-set of k{key} is modelled for the leaderless family only (Paxos)"),
                },
            ),
            OpKind::Write { key, .. } | OpKind::Delete { key, .. }
                if self.cfg.consistency == Consistency::Strong && self.is_leader() =>
            {
                self.reserve(ctx, out, req, key)
            }
            _ => self.write(ctx, out, req, true),
        }
    }

    /// Strong consistency: reserves `key` here and asks the other leaders to reserve it too.
    fn reserve(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, req: Request, key: Key) {
        if self.reserved.contains_key(&key) {
            out.fail(req.op, FailReason::ReplicatedWriteConflict { key });
            return;
        }
        self.reserved.insert(key, (self.id, req.op));
        for &l in &self.leaders {
            if l != self.id {
                out.send(l, Msg::Reserve { key, op: req.op });
            }
        }
        let op = req.op;
        self.pending.push(Pending { req, key, grants: 0, refusals: 0, committed_at: None });
        self.decide(ctx, out, op);
    }

    /// Strong consistency: commits a pending write once a majority of leaders reserved its key,
    /// or refuses it once that can no longer happen.
    fn decide(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, op: OpId) {
        let Some(i) = self.pending.iter().position(|p| p.req.op == op && p.committed_at.is_none()) else { return };
        let others = self.leaders.len() - 1;
        let majority = self.leaders.len() / 2 + 1;
        let p = &self.pending[i];
        if 1 + p.grants >= majority {
            let req = p.req.clone();
            self.write(ctx, out, req, false);
            let at = self.log_len();
            self.pending[i].committed_at = Some(at);
            if others == 0 {
                self.finish(out, op, None);
            }
        } else if 1 + others - p.refusals < majority {
            let key = p.key;
            self.finish(out, op, Some(FailReason::ReplicatedWriteConflict { key }));
        }
    }

    /// Strong consistency: answers a pending write (acknowledged, or refused with `fail`) and
    /// releases its reservations.
    fn finish(&mut self, out: &mut Out<Msg, Timer>, op: OpId, fail: Option<FailReason>) {
        let Some(i) = self.pending.iter().position(|p| p.req.op == op) else { return };
        let p = self.pending.remove(i);
        match fail {
            Some(reason) => out.fail(op, reason),
            None => out.ok_write(op, self.seen.clone(), Vec::new()),
        }
        if self.reserved.get(&p.key) == Some(&(self.id, op)) {
            self.reserved.remove(&p.key);
        }
        for &l in &self.leaders {
            if l != self.id {
                out.send(l, Msg::Release { key: p.key, op });
            }
        }
    }

    /// A write at this node: applied, shipped and (`ack`) acknowledged.
    fn write(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, req: Request, ack: bool) {
        match req.kind {
            OpKind::Read { .. } => {}
            kind => {
                let key = kind.key();
                if !self.is_leader() {
                    out.fail(req.op, FailReason::NotLeader { hint: Some(self.my_leader()) });
                    return;
                }
                let conflicts = self.cfg.conflicts_of(key);
                let refuse = |why: String| FailReason::Unavailable { why };
                let seq = self.seen[self.id] + 1;
                let (value, deleted) = match kind {
                    OpKind::Write { value, .. } => (value, false),
                    OpKind::Delete { value, .. } => (value, true),
                    OpKind::Add { element, .. } | OpKind::Remove { element, .. } => (element, false),
                    _ => (0, false),
                };
                let stamped = Stamped { time: ctx.clock, node: self.id, value, deleted };
                // The context the acknowledgement gives the client for its next write.
                let mut reply_context = Vec::new();
                let crdt = match Crdt::empty(conflicts) {
                    Some(empty) if conflicts == ConflictResolution::RevisionTree => {
                        if !matches!(kind, OpKind::Write { .. } | OpKind::Delete { .. }) {
                            out.fail(req.op, refuse(merge::refuse_on_register(key, &kind)));
                            return;
                        }
                        let current = match self.data.get(&key).and_then(|s| s.crdt.as_ref()) {
                            Some(Crdt::Revisions(t)) => t.edit(&req.context, value, deleted),
                            _ => RevTree::default().edit(&req.context, value, deleted),
                        };
                        let path = match current {
                            Ok(path) => path,
                            Err(Refusal::NotFound) => {
                                out.fail(req.op, refuse(format!("k{key} does not exist: nothing to delete")));
                                return;
                            }
                            Err(Refusal::RevisionMissing { .. } | Refusal::NotALeaf { .. }) => {
                                out.fail(req.op, FailReason::Conflict { key });
                                return;
                            }
                        };
                        reply_context = path.newest().map(|r| r.context()).unwrap_or_default();
                        let edit = Crdt::Revisions(path);
                        self.remember(key);
                        self.data.entry(key).or_default().crdt.get_or_insert(empty).merge(&edit);
                        Some(CrdtUpdate::State(edit))
                    }
                    Some(empty) => {
                        if deleted {
                            out.fail(req.op, refuse(format!("k{key} is a merged key: it cannot be deleted")));
                            return;
                        }
                        // Applied here, in place (a refused operation changes nothing).
                        self.remember(key);
                        let state = self.data.entry(key).or_default();
                        let fresh = state.crdt.is_none();
                        match state.crdt.get_or_insert(empty).apply(self.id, &kind, &req.context) {
                            Ok(update) => Some(update),
                            Err(why) => {
                                if fresh {
                                    state.crdt = None;
                                }
                                out.fail(req.op, refuse(why));
                                return;
                            }
                        }
                    }
                    None if conflicts.key_type() == KeyType::Register && kind.needs() != Some(KeyType::Register) => {
                        out.fail(req.op, refuse(merge::refuse_on_register(key, &kind)));
                        return;
                    }
                    None => None,
                };
                let written = DvvSet::new(crate::protocol::version_to_dots(&req.context), vec![stamped]);
                let new_state = written.update_with(&self.data.entry(key).or_default().dvv, self.id);
                let update = Update {
                    origin: self.id,
                    seq,
                    key,
                    value: stamped,
                    kind,
                    state: new_state,
                    crdt,
                    deps: self.seen.clone(),
                    op: req.op,
                };
                // Applying our own update resolves it exactly as a replica would.
                self.apply(out, update, true);
                self.ship_new(ctx, out);
                if ack {
                    out.ok_write(req.op, self.seen.clone(), reply_context);
                }
            }
        }
    }
}

impl Protocol for MultiLeaderNode {
    type Msg = Msg;
    type Timer = Timer;

    fn step(&mut self, ctx: &Ctx, input: Input<Msg, Timer>, out: &mut Out<Msg, Timer>) {
        match input {
            Input::Start => {
                // Back from a crash with a log: where each peer stands is not known.
                let restarted = self.log_len() > 0;
                let (base, len) = (self.log_base, self.log_len());
                self.peers = self
                    .peer_ids()
                    .into_iter()
                    .map(|node| Peer {
                        node,
                        next: if restarted { len } else { 0 },
                        acked: if restarted { base } else { 0 },
                        last_sent: None,
                        rewound_to: None,
                        known: !restarted,
                    })
                    .collect();
                if restarted {
                    for i in 0..self.peers.len() {
                        self.probe(ctx, out, i);
                    }
                }
                if let Some(every) = self.fsync_every {
                    out.set_timer(Timer::Flush, every, every);
                }
                if self.is_leader() {
                    out.set_timer(Timer::Heartbeat, self.cfg.heartbeat(), self.cfg.heartbeat());
                    for i in 0..self.peers.len() {
                        self.ship(ctx, out, i, false);
                    }
                }
            }
            Input::Message { from, msg } => match msg {
                Msg::Ship { start, end, updates } => self.on_ship(ctx, out, from, start, end, updates),
                Msg::ShipAck { end, gap } => {
                    if let Some(i) = self.peers.iter().position(|p| p.node == from) {
                        let end = (end as usize).min(self.log_len());
                        let p = &mut self.peers[i];
                        if !p.known {
                            // The answer to the question after a restart: ship from there.
                            p.known = true;
                            p.acked = end;
                            p.next = end;
                            p.rewound_to = None;
                        }
                        if end > p.acked {
                            p.rewound_to = None;
                        }
                        if gap && end < p.acked.max(p.next) && p.rewound_to != Some(end) {
                            // The peer is missing something we sent (lost on the way, or lost
                            // in its crash since it acknowledged it): resend from its
                            // position, once per position.
                            p.acked = end;
                            p.next = end;
                            p.rewound_to = Some(end);
                        } else {
                            p.acked = p.acked.max(end);
                            p.next = p.next.max(p.acked);
                        }
                        if p.next == p.acked && p.next < self.shippable() {
                            self.ship(ctx, out, i, false);
                        }
                        // Strong consistency: a write another leader now has is acknowledged.
                        let acked = self.peers[i].acked;
                        let done: Vec<OpId> = self
                            .pending
                            .iter()
                            .filter(|p| p.committed_at.is_some_and(|at| at <= acked))
                            .map(|p| p.req.op)
                            .collect();
                        for op in done {
                            self.finish(out, op, None);
                        }
                    }
                }
                Msg::Reserve { key, op } => {
                    let granted = match self.reserved.get(&key) {
                        Some(&holder) => holder == (from, op),
                        None => {
                            self.reserved.insert(key, (from, op));
                            true
                        }
                    };
                    out.send(from, Msg::Reserved { op, granted });
                }
                Msg::Reserved { op, granted } => {
                    if let Some(p) = self.pending.iter_mut().find(|p| p.req.op == op && p.committed_at.is_none()) {
                        if granted {
                            p.grants += 1;
                        } else {
                            p.refusals += 1;
                        }
                        self.decide(ctx, out, op);
                    }
                }
                Msg::Release { key, op } => {
                    if self.reserved.get(&key) == Some(&(from, op)) {
                        self.reserved.remove(&key);
                    }
                }
            },
            Input::Timer(Timer::Heartbeat) => {
                let hb = self.cfg.heartbeat();
                let len = self.shippable();
                for i in 0..self.peers.len() {
                    let p = &mut self.peers[i];
                    // (A send stamped in the future means the clock was set back: resend rather than
                    // wait for the clock to catch up.)
                    let quiet = p.last_sent.is_none_or(|s| s > ctx.clock || ctx.clock - s >= hb);
                    if quiet && !p.known {
                        self.probe(ctx, out, i);
                    } else if quiet && p.acked < len {
                        p.next = p.acked;
                        self.ship(ctx, out, i, true);
                    }
                }
                out.set_timer(Timer::Heartbeat, hb, hb);
            }
            Input::Timer(Timer::Flush) => {
                self.flush();
                if let Some(every) = self.fsync_every {
                    out.set_timer(Timer::Flush, every, every);
                }
                self.ship_new(ctx, out);
            }
            Input::Request(req) => self.on_request(ctx, out, req),
            Input::Admin(_) => {}
        }
    }

    fn crash(&mut self) {
        self.peers.clear();
        self.reserved.clear();
        self.pending.clear();
        if self.fsync_every.is_some() {
            // Back to what was on disk at the last flush. Nothing past it was shipped; what
            // peers sent since is asked for again (the received positions went back too).
            let f = std::mem::take(&mut self.flushed);
            for (key, before) in &f.undo {
                match before {
                    Some(state) => self.data.insert(*key, state.clone()),
                    None => self.data.remove(key),
                };
            }
            self.log.truncate(f.log_len.saturating_sub(self.log_base));
            self.seen = f.seen;
            self.received = f.received;
            self.held = f.held;
            self.conflicts = f.conflicts;
            self.flush();
        }
        // Updates held for causal delivery stay: `received` already counts them (it is
        // durable, like the data), so the senders will not send them again.
        self.waiting.clear();
    }

    fn view(&self) -> NodeView {
        let dc = self.dc_of[self.id];
        NodeView {
            role: if self.is_leader() { Role::Leader } else { Role::Follower },
            term: 0,
            position: self.log_len() as u64,
            commit: self.log_len() as u64,
            summary: format!("dc{dc} · {} updates · {} conflicts", self.log_len(), self.conflicts),
            log_tail: Vec::new(),
            data: self
                .data
                .keys()
                .map(|&key| {
                    let (values, version) = self.read(key);
                    let state = &self.data[&key];
                    let version = match &state.crdt {
                        Some(c) => c.describe(),
                        None => {
                            let vv: Vec<String> = version
                                .iter()
                                .enumerate()
                                .filter(|(_, &c)| c > 0)
                                .map(|(i, c)| format!("n{i}:{c}"))
                                .collect();
                            let tomb = if values.is_empty() { " tombstone" } else { "" };
                            format!("[{}]{tomb}", vv.join(" "))
                        }
                    };
                    let conflicts = match &state.crdt {
                        Some(Crdt::Revisions(t)) => t.conflicts().iter().map(|r| r.id).collect(),
                        _ => Vec::new(),
                    };
                    KeyView { key, values, version, conflicts }
                })
                .collect(),
            flags: if self.held.is_empty() {
                vec![]
            } else {
                vec![format!("{} updates held for causality", self.held.len())]
            },
        }
    }

    fn leader_hint(&self) -> Option<NodeId> {
        Some(self.my_leader())
    }

    fn role(&self) -> Role {
        if self.is_leader() {
            Role::Leader
        } else {
            Role::Follower
        }
    }

    fn for_each_write(&self, f: &mut dyn FnMut(Key, Value)) {
        for (&key, s) in &self.data {
            for v in self.held(s) {
                f(key, v.value);
            }
            for v in s.crdt.iter().flat_map(|c| c.written()) {
                f(key, v);
            }
        }
    }

    fn for_each_write_in_transit(&self, f: &mut dyn FnMut(Key, Value)) {
        // What some peer has not acknowledged (after a crash the node does not know where its
        // peers stand: the whole log), and the updates waiting for their dependencies.
        let from = if self.peers.is_empty() && !self.peer_ids().is_empty() {
            self.log_base
        } else {
            self.peers.iter().map(|p| p.acked).min().unwrap_or(self.log_len()).max(self.log_base)
        };
        for u in self.log[from - self.log_base..].iter().chain(&self.held) {
            f(u.key, u.value.value);
            if let Some(CrdtUpdate::State(c)) = &u.crdt {
                c.written().into_iter().for_each(|v| f(u.key, v));
            }
        }
    }

    fn key_type(&self, key: Key) -> KeyType {
        self.cfg.conflicts_of(key).key_type()
    }

    /// The log is not among what [`Protocol::for_each_write`] lists: nothing is dropped.
    fn compact_logs(nodes: &mut [Self], before_op: OpId, _dropped: &mut dyn FnMut(Key, Value)) {
        for n in nodes {
            n.compact_log(before_op);
        }
    }

    fn keeps_history(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests;
