//! # Leaderless replication
//!
//! No node leads. Every key lives on `N` replicas (its preference list); a client's request is
//! coordinated by the node it reaches (with siblings: by the key's first replica, to which
//! other nodes forward it), which sends it to all `N` and answers once `W` have
//! acknowledged a write or `R` have answered a read. This is Dynamo, Cassandra, Riak and
//! Voldemort.
//!
//! **The quorum lesson.** When `W + R > N` every read quorum overlaps every write quorum, so a
//! read sees the latest acknowledged write; with `W + R ≤ N` a read can miss it (stale reads).
//! Sloppy quorums trade that overlap for availability: when a replica does not answer, the
//! write goes to the next node on the ring with a hint naming the intended replica (hinted
//! handoff), and reads, which only ask the real replicas, can miss it.
//!
//! **Repair.** A coordinator that sees old data in a read's responses writes the merged state
//! back (read repair). In the background, replicas compare a two-level Merkle tree (bucket
//! hashes of their shared keys) and exchange the keys of buckets that differ (anti-entropy).
//!
//! **Conflicts** are tracked per key with dotted version vector sets, with the coordinating
//! replica as the actor. Resolved ([`ConflictResolution`]) by last write wins on the
//! coordinator's clock ([`last_write_wins`], the rule multi-leader replicas use too;
//! Cassandra), or kept as siblings that a client's next write with its read context replaces
//! (Riak).

mod config;
mod paxos;

use crate::note::Note;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

pub use config::LeaderlessConfig;
pub use paxos::{Ballot, Proposal};

use crate::conflict::{last_write_wins, ConflictResolution};
use crate::crdt::DvvSet;
use crate::hash::StableHasher;
use crate::protocol::{
    Admin, Ctx, FailReason, Input, Key, Message, MessageKind, NodeId, OpId, OpKind, Out, Protocol, Request, Value,
};
use crate::protocol::{Effect, MessageClass};
use crate::time::Time;
use crate::view::{KeyView, NodeView, Role};

pub use super::Stamped;
/// The state of one key.
pub type State = DvvSet<NodeId, Stamped>;

const BUCKETS: u32 = 16;

/// Messages between replicas.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// A request arrived at a node that does not replicate its key.
    Forward {
        req: Box<Request>,
    },
    /// Store this state; `hint` names the intended replica when sent to a stand-in.
    Put {
        op: OpId,
        key: Key,
        /// Shared with the coordinator's other puts of the same write (one copy per write, not
        /// per replica).
        state: Rc<State>,
        hint: Option<NodeId>,
    },
    PutAck {
        op: OpId,
    },
    Get {
        op: OpId,
        key: Key,
    },
    GetResp {
        op: OpId,
        state: State,
    },
    /// Read repair: the merged state a read found.
    Repair {
        key: Key,
        state: State,
    },
    /// Hinted handoff to the intended replica.
    Handoff {
        key: Key,
        state: State,
    },
    HandoffAck {
        key: Key,
    },
    /// Anti-entropy: hashes of the buckets of keys both nodes replicate.
    Digest {
        buckets: Vec<u64>,
    },
    /// Anti-entropy: the states of the differing buckets (`reply`: send yours back).
    Exchange {
        states: Vec<(Key, State)>,
        buckets: Vec<u32>,
        reply: bool,
    },
    /// Paxos (lightweight transactions), phase 1: promise not to accept lower ballots.
    Prepare {
        op: OpId,
        key: Key,
        ballot: Ballot,
    },
    /// The answer to a prepare: promised (`ok`) or not, the replica's highest promise, the
    /// proposal it accepted last, its most recent commit and its data for the key.
    Promise {
        op: OpId,
        ballot: Ballot,
        ok: bool,
        promised: Ballot,
        /// Boxed, so that every message is not as large as this rare one.
        data: Box<PromiseData>,
    },
    /// Phase 2: accept this proposal.
    Propose {
        op: OpId,
        key: Key,
        proposal: Proposal,
    },
    Accepted {
        op: OpId,
        ballot: Ballot,
        ok: bool,
        promised: Ballot,
    },
    /// Phase 3: the proposal is chosen; apply it.
    Commit {
        op: OpId,
        key: Key,
        proposal: Proposal,
    },
    Committed {
        op: OpId,
        ballot: Ballot,
    },
}

/// The bulk of a [`Msg::Promise`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PromiseData {
    pub accepted: Option<Proposal>,
    pub committed: Option<Proposal>,
    pub state: State,
}

impl Message for Msg {
    fn class(&self) -> MessageClass {
        match self {
            Msg::Put { .. }
            | Msg::Repair { .. }
            | Msg::Handoff { .. }
            | Msg::Exchange { .. }
            | Msg::Propose { .. }
            | Msg::Commit { .. } => MessageClass::Data,
            Msg::PutAck { .. } | Msg::HandoffAck { .. } | Msg::Accepted { .. } | Msg::Committed { .. } => {
                MessageClass::Ack
            }
            _ => MessageClass::Other,
        }
    }

    fn label(&self) -> String {
        match self {
            Msg::Forward { req } => format!("forward op{}", req.op),
            Msg::Put { op, key, hint: None, .. } => format!("put k{key} op{op}"),
            Msg::Put { op, key, hint: Some(h), .. } => format!("put k{key} op{op} (hint n{h})"),
            Msg::PutAck { op } => format!("ack op{op}"),
            Msg::Get { op, key } => format!("get k{key} op{op}"),
            Msg::GetResp { op, .. } => format!("value op{op}"),
            Msg::Repair { key, .. } => format!("read repair k{key}"),
            Msg::Handoff { key, .. } => format!("handoff k{key}"),
            Msg::HandoffAck { key } => format!("handoff ack k{key}"),
            Msg::Digest { .. } => "merkle digest".into(),
            Msg::Exchange { states, .. } => format!("anti-entropy {} keys", states.len()),
            Msg::Prepare { op, key, .. } => format!("prepare k{key} op{op}"),
            Msg::Promise { op, ok: true, .. } => format!("promise op{op}"),
            Msg::Promise { op, ok: false, .. } => format!("refuse op{op}"),
            Msg::Propose { op, key, proposal: Proposal { update: Some(u), .. } } => {
                format!("propose k{key} = v{} op{op}", u.value)
            }
            Msg::Propose { op, key, .. } => format!("propose k{key} unchanged op{op}"),
            Msg::Accepted { op, ok: true, .. } => format!("accept op{op}"),
            Msg::Accepted { op, ok: false, .. } => format!("reject op{op}"),
            Msg::Commit { op, key, .. } => format!("commit k{key} op{op}"),
            Msg::Committed { op, .. } => format!("committed op{op}"),
        }
    }

    fn kind(&self) -> MessageKind {
        match self {
            Msg::Forward { .. } => MessageKind::Forward,
            Msg::Put { .. } | Msg::Get { .. } | Msg::Prepare { .. } | Msg::Propose { .. } | Msg::Commit { .. } => {
                MessageKind::Ask
            }
            Msg::PutAck { .. }
            | Msg::GetResp { .. }
            | Msg::Promise { .. }
            | Msg::Accepted { .. }
            | Msg::Committed { .. } => MessageKind::Answer,
            _ => MessageKind::Other,
        }
    }

    fn op(&self) -> Option<OpId> {
        match self {
            Msg::Forward { req } => Some(req.op),
            Msg::Put { op, .. }
            | Msg::Get { op, .. }
            | Msg::PutAck { op }
            | Msg::GetResp { op, .. }
            | Msg::Prepare { op, .. }
            | Msg::Promise { op, .. }
            | Msg::Propose { op, .. }
            | Msg::Accepted { op, .. }
            | Msg::Commit { op, .. }
            | Msg::Committed { op, .. } => Some(*op),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    RequestTimeout(OpId),
    Sloppy(OpId),
    Handoff,
    AntiEntropy,
    /// Compaction: purge tombstones past the grace period.
    Compact,
    /// Periodic fsync: what was written so far becomes durable.
    Flush,
    /// A lightweight transaction's next Paxos round, after a lost one.
    PaxosRetry(OpId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Pending {
    Write { state: Rc<State> },
    Read { responses: Vec<(NodeId, State)> },
}

/// A request this node coordinates.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Coord {
    key: Key,
    needed: usize,
    pending: Pending,
    /// Nodes that acknowledged (writes) or answered (reads).
    answered: Vec<NodeId>,
    /// Nodes the request went to.
    sent: Vec<NodeId>,
    replied: bool,
}

/// One node of the leaderless family.
#[derive(Clone, Debug)]
pub struct LeaderlessNode {
    id: NodeId,
    n: usize,
    cfg: LeaderlessConfig,
    // Durable state.
    data: BTreeMap<Key, State>,
    /// Writes held for another replica: (intended, key) → state.
    hints: BTreeMap<(NodeId, Key), State>,
    /// Keys whose tombstone this replica purged, with the tombstone's time (to recognise the
    /// deleted data if it comes back).
    purged: BTreeMap<Key, Time>,
    /// Periodic fsync (none: every write is durable at once).
    fsync_every: Option<Time>,
    /// Since the last flush: what each changed key and hint was before (none: absent), which
    /// a crash restores.
    undo: BTreeMap<Key, Option<State>>,
    undo_hints: BTreeMap<(NodeId, Key), Option<State>>,
    // Volatile state.
    coordinating: BTreeMap<OpId, Coord>,
    /// Replicas a write of this coordinator found silent, since when (by its clock); cleared by
    /// any message from them (the hint window's failure detector).
    silent_since: BTreeMap<NodeId, Time>,
    ae_turn: usize,
    /// Paxos state per key (durable, like Cassandra's `system.paxos`).
    paxos: BTreeMap<Key, paxos::Acceptor>,
    /// The highest ballot time this node has used or seen (durable with it).
    last_ballot: Time,
    /// Lightweight transactions this node coordinates (volatile).
    rounds: BTreeMap<OpId, paxos::Round>,
}

/// The same causal history and the same values (as multisets), wherever the values sit.
/// Last write wins over two states of `key`: the winner (none when both are empty), with what
/// it discards reported.
fn lww_winner(out: &mut Out<Msg, Timer>, key: Key, a: &State, b: &State) -> Option<Stamped> {
    let merged = last_write_wins(a.iter_values().chain(b.iter_values()).copied())?;
    for v in &merged.discarded {
        out.superseded(key, v.value, merged.winner.value);
    }
    Some(merged.winner)
}

/// The state that holds the winner of last write wins alone.
fn winner_state(winner: Option<Stamped>) -> State {
    winner.map_or_else(State::default, DvvSet::new_value)
}

fn same(a: &State, b: &State) -> bool {
    if a == b {
        return true;
    }
    if !a.same_history(b) || a.size() != b.size() {
        return false;
    }
    if a.size() <= 16 {
        // A handful of siblings: count each value on both sides, without allocating.
        let count = |s: &State, v: &Stamped| s.iter_values().filter(|w| *w == v).count();
        return a.iter_values().all(|v| count(a, v) == count(b, v));
    }
    let mut va = a.values();
    let mut vb = b.values();
    crate::sort::sort(&mut va);
    crate::sort::sort(&mut vb);
    va == vb
}

impl LeaderlessNode {
    pub fn new(id: NodeId, n: usize, cfg: LeaderlessConfig) -> Self {
        LeaderlessNode {
            id,
            n,
            cfg,
            data: BTreeMap::new(),
            hints: BTreeMap::new(),
            purged: BTreeMap::new(),
            fsync_every: None,
            undo: BTreeMap::new(),
            undo_hints: BTreeMap::new(),
            coordinating: BTreeMap::new(),
            silent_since: BTreeMap::new(),
            ae_turn: 0,
            paxos: BTreeMap::new(),
            last_ballot: 0,
            rounds: BTreeMap::new(),
        }
    }

    /// Flushes writes to stable storage every `every` (none: before acting on them). Data and
    /// hints written since the last flush are lost in a crash, acknowledged or not, as with
    /// Cassandra's periodic commit log sync.
    pub fn with_fsync(mut self, every: Option<Time>) -> Self {
        self.fsync_every = every;
        self
    }

    /// Records what `key` held before a change, once per flush interval.
    fn remember(&mut self, key: Key) {
        if self.fsync_every.is_some() && !self.undo.contains_key(&key) {
            self.undo.insert(key, self.data.get(&key).cloned());
        }
    }

    fn remember_hint(&mut self, hint: (NodeId, Key)) {
        if self.fsync_every.is_some() && !self.undo_hints.contains_key(&hint) {
            self.undo_hints.insert(hint, self.hints.get(&hint).cloned());
        }
    }

    /// The replicas of `key`, in preference order.
    pub fn preference(&self, key: Key) -> Vec<NodeId> {
        let row = self.cfg.row(key);
        (0..self.cfg.replicas).map(|i| (row + i) % self.n).collect()
    }

    /// Stand-ins for `key` under a sloppy quorum, in ring order.
    fn fallbacks(&self, key: Key) -> Vec<NodeId> {
        let row = self.cfg.row(key);
        (self.cfg.replicas..self.n).map(|i| (row + i) % self.n).collect()
    }

    fn replicates(&self, node: NodeId, key: Key) -> bool {
        (node + self.n - self.cfg.row(key) % self.n) % self.n < self.cfg.replicas
    }

    /// Merges two states of a key. Last write wins keeps only the value with the highest
    /// timestamp (no context: pure timestamp order, as Cassandra), reporting what it discards.
    /// The pairwise merge that `store` and `merge_all` do in their own ways, and are tested
    /// against.
    #[cfg(test)]
    fn merge(&self, out: &mut Out<Msg, Timer>, key: Key, a: &State, b: &State) -> State {
        if self.siblings() {
            return a.sync(b);
        }
        winner_state(lww_winner(out, key, a, b))
    }

    /// Whether concurrent values are kept as siblings; otherwise last write wins (the only two
    /// resolutions the configuration admits).
    fn siblings(&self) -> bool {
        self.cfg.resolution == ConflictResolution::Siblings
    }

    /// What a state holds: the winning value under last write wins, every sibling otherwise;
    /// tombstones included.
    fn held(&self, state: &State) -> Vec<Stamped> {
        if self.siblings() {
            state.values()
        } else {
            state.iter_values().max().copied().into_iter().collect()
        }
    }

    /// Values a read returns from a state (tombstones read as nothing).
    fn values_of(&self, state: &State) -> Vec<Value> {
        let mut v: Vec<Value> = self.held(state).into_iter().filter(|s| !s.deleted).map(|s| s.value).collect();
        crate::sort::sort(&mut v);
        v.dedup();
        v
    }

    /// The newest tombstone of a key that holds nothing but tombstones.
    fn tombstone(&self, state: &State) -> Option<Time> {
        let held = self.held(state);
        if held.is_empty() || held.iter().any(|s| !s.deleted) {
            return None;
        }
        held.iter().map(|s| s.time).max()
    }

    /// What a read of `key` on this replica alone returns.
    pub fn read(&self, key: Key) -> Vec<Value> {
        self.data.get(&key).map(|s| self.values_of(s)).unwrap_or_default()
    }

    fn store(&mut self, out: &mut Out<Msg, Timer>, key: Key, incoming: &State) -> bool {
        let empty = State::default();
        let current = self.data.get(&key).unwrap_or(&empty);
        let merged = if self.siblings() {
            current.sync(incoming)
        } else {
            let winner = lww_winner(out, key, current, incoming);
            // This replica already holds the winner alone: the merged state would be its own.
            if !current.has_history() && current.size() == 1 && current.iter_values().next() == winner.as_ref() {
                return false;
            }
            winner_state(winner)
        };
        let changed = !same(&merged, current);
        if changed {
            self.maybe_note_resurrection(out, key, &merged);
        }
        if changed {
            self.remember(key);
        }
        self.data.insert(key, merged);
        changed
    }

    /// Data older than a tombstone this replica purged has come back from a replica that never
    /// saw the delete: the zombie data of Cassandra's `gc_grace_seconds`.
    fn maybe_note_resurrection(&mut self, out: &mut Out<Msg, Timer>, key: Key, merged: &State) {
        let Some(&purged_at) = self.purged.get(&key) else { return };
        let back: Vec<Stamped> = self.held(merged).into_iter().filter(|s| !s.deleted && s.time <= purged_at).collect();
        if back.is_empty() {
            return;
        }
        self.purged.remove(&key);
        out.note(Note::Resurrected { node: self.id, key, values: back.iter().map(|s| s.value).collect() });
    }

    /// Drops tombstones older than the grace period (compaction).
    fn purge_tombstones(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let Some(grace) = self.cfg.tombstone_grace_ms.map(LeaderlessConfig::ms) else { return };
        let expired: Vec<(Key, Time)> = self
            .data
            .iter()
            .filter_map(|(&k, st)| self.tombstone(st).map(|t| (k, t)))
            .filter(|&(_, t)| ctx.clock.saturating_sub(t) >= grace)
            .collect();
        for (key, t) in expired {
            self.remember(key);
            self.data.remove(&key);
            self.purged.insert(key, t);
            out.note(Note::TombstonePurged { node: self.id, key });
        }
    }

    fn coordinate(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, req: Request) {
        let key = req.kind.key();
        let prefs = self.preference(key);
        // Any node coordinates a last-write-wins request, storing nothing itself when it is not
        // a replica (Cassandra); with siblings the coordinator must be a replica, whose dots
        // version the write, so the request is forwarded to the key's first replica (Riak).
        let replica = prefs.contains(&self.id);
        if !replica && self.siblings() {
            out.send(prefs[0], Msg::Forward { req: Box::new(req) });
            return;
        }
        match req.kind {
            OpKind::Cas { key, expect, value } => return self.start_lwt(ctx, out, req.op, key, Some((expect, value))),
            OpKind::Read { key } if req.read_concern == crate::protocol::ReadConcern::Linearizable => {
                return self.start_lwt(ctx, out, req.op, key, None)
            }
            _ => {}
        }
        let me = self.id;
        let others = || prefs.iter().copied().filter(move |&p| p != me);
        let (needed, pending) = match req.kind {
            OpKind::Increment { .. } | OpKind::Add { .. } | OpKind::Remove { .. } => {
                out.fail(
                    req.op,
                    FailReason::Unavailable {
                        why: format!(
                            "k{key} is a register here; counters and sets are merge key spaces of the multi-leader family"
                        ),
                    },
                );
                return;
            }
            OpKind::Write { value, .. } | OpKind::Delete { value, .. } => {
                let deleted = matches!(req.kind, OpKind::Delete { .. });
                let stamped = Stamped { time: ctx.clock, node: self.id, value, deleted };
                let state = Rc::new(if self.siblings() {
                    let empty = State::default();
                    let current = self.data.get(&key).unwrap_or(&empty);
                    DvvSet::new(crate::protocol::version_to_dots(&req.context), vec![stamped])
                        .update_with(current, self.id)
                } else {
                    DvvSet::new_value(stamped)
                });
                if replica {
                    self.store(out, key, &state);
                }
                for p in others() {
                    out.send(p, Msg::Put { op: req.op, key, state: Rc::clone(&state), hint: None });
                }
                (self.cfg.w, Pending::Write { state })
            }
            OpKind::Cas { .. } => return,
            OpKind::Read { .. } => {
                for p in others() {
                    out.send(p, Msg::Get { op: req.op, key });
                }
                let local = self.data.get(&key).cloned().unwrap_or_default();
                let responses = if replica { vec![(self.id, local)] } else { vec![] };
                (self.cfg.r, Pending::Read { responses })
            }
        };
        // The one place a per-operation quorum is clamped: 1 to N.
        let needed = req.quorum.map_or(needed, |q| (q as usize).clamp(1, self.cfg.replicas));
        let answered = if replica { vec![self.id] } else { vec![] };
        out.set_timer(
            Timer::RequestTimeout(req.op),
            LeaderlessConfig::ms(self.cfg.request_timeout_ms),
            LeaderlessConfig::ms(self.cfg.request_timeout_ms),
        );
        if self.cfg.sloppy_quorum && req.kind.is_write() {
            let after = LeaderlessConfig::ms(self.cfg.sloppy_after_ms);
            out.set_timer(Timer::Sloppy(req.op), after, after);
        }
        self.coordinating.insert(req.op, Coord { key, needed, pending, answered, sent: prefs, replied: false });
        self.report_quorum(out, req.op);
        self.maybe_answer(out, req.op);
    }

    /// Tells the world what this coordinator needs, asked and heard for `op`.
    fn report_quorum(&self, out: &mut Out<Msg, Timer>, op: OpId) {
        let Some(c) = self.coordinating.get(&op) else { return };
        out.effects.push(Effect::Quorum {
            op,
            needed: c.needed as u32,
            asked: c.sent.iter().collect(),
            answered: c.answered.iter().collect(),
        });
    }

    fn maybe_answer(&mut self, out: &mut Out<Msg, Timer>, op: OpId) {
        let n = self.n;
        let Some(c) = self.coordinating.get(&op) else { return };
        if c.replied || c.answered.len() < c.needed {
            return;
        }
        let by = crate::note::Nodes(c.answered.clone());
        match &c.pending {
            Pending::Write { .. } => {
                out.note(Note::Quorum { op, key: c.key, read: false, by, needed: c.needed });
                out.ok_at(op, vec![], vec![]);
            }
            Pending::Read { responses } => {
                let merged = self.merge_all(responses.iter().map(|(_, s)| s));
                out.note(Note::Quorum { op, key: c.key, read: true, by, needed: c.needed });
                let context = crate::protocol::dots_to_version(&merged.join(), n);
                out.ok_read(op, self.values_of(&merged), context.clone(), context);
            }
        }
        if let Some(c) = self.coordinating.get_mut(&op) {
            c.replied = true;
        }
        self.maybe_finish(out, op);
    }

    /// Once every replica has answered a read, repair the ones that were behind.
    fn maybe_finish(&mut self, out: &mut Out<Msg, Timer>, op: OpId) {
        let Some(c) = self.coordinating.get(&op) else { return };
        if !c.replied || c.answered.len() < c.sent.len() {
            return;
        }
        let c = self.coordinating.remove(&op).expect("present");
        out.cancel_timer(Timer::RequestTimeout(op));
        out.cancel_timer(Timer::Sloppy(op));
        self.repair(out, c);
    }

    fn repair(&mut self, out: &mut Out<Msg, Timer>, c: Coord) {
        let Pending::Read { responses } = c.pending else { return };
        if !self.cfg.read_repair || responses.len() < 2 {
            return;
        }
        let merged = self.merge_all(responses.iter().map(|(_, s)| s));
        for (node, state) in &responses {
            if same(state, &merged) {
                continue;
            }
            out.note(Note::ReadRepair { node: self.id, key: c.key, target: *node });
            if *node == self.id {
                self.store(out, c.key, &merged);
            } else {
                out.send(*node, Msg::Repair { key: c.key, state: merged.clone() });
            }
        }
    }

    /// Hinted handoff: the coordinator stopped waiting for a write's replicas; it keeps a hint
    /// for each that has not acknowledged (unless that replica has been silent for longer than
    /// the hint window) and replays the hints until they are acknowledged.
    fn store_hints(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, c: &Coord) {
        let Pending::Write { state } = &c.pending else { return };
        if !self.cfg.hinted_handoff {
            return;
        }
        let window = self.cfg.max_hint_window_ms.map(LeaderlessConfig::ms);
        let mut stored = false;
        let me = self.id;
        let missing: Vec<NodeId> = c.sent.iter().copied().filter(|p| !c.answered.contains(p) && *p != me).collect();
        for p in missing {
            let since = *self.silent_since.entry(p).or_insert(ctx.clock);
            if window.is_some_and(|w| ctx.clock.saturating_sub(since) > w) {
                continue;
            }
            self.remember_hint((p, c.key));
            let held = self.hints.entry((p, c.key)).or_default();
            held.sync_from(state);
            stored = true;
        }
        if stored {
            out.set_timer(Timer::Handoff, LeaderlessConfig::ms(200.0), LeaderlessConfig::ms(200.0));
        }
    }

    fn on_timeout(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, op: OpId) {
        let Some(c) = self.coordinating.remove(&op) else { return };
        self.store_hints(ctx, out, &c);
        if !c.replied {
            let write = matches!(c.pending, Pending::Write { .. });
            let reason = FailReason::QuorumNotReached { write, answered: c.answered.len(), needed: c.needed };
            if write {
                // The write went out to every replica (and the coordinator may hold it): some
                // may have applied it, and later reads may return it.
                out.unknown(op, reason);
            } else {
                out.fail(op, reason);
            }
        } else {
            self.repair(out, c);
        }
    }

    fn on_sloppy(&mut self, out: &mut Out<Msg, Timer>, op: OpId) {
        let fallbacks = self.fallbacks(self.coordinating.get(&op).map_or(0, |c| c.key));
        let Some(c) = self.coordinating.get_mut(&op) else { return };
        let Pending::Write { state } = &c.pending else { return };
        let missing: Vec<NodeId> = c.sent.iter().copied().filter(|s| !c.answered.contains(s)).collect();
        let me = self.id;
        let spare: Vec<NodeId> = fallbacks.into_iter().filter(|f| !c.sent.contains(f) && *f != me).collect();
        let mut spare = spare.into_iter();
        for intended in missing {
            let Some(stand_in) = spare.next() else { break };
            c.sent.push(stand_in);
            out.note(Note::SloppyQuorum { op, key: c.key, intended, stand_in });
            out.send(stand_in, Msg::Put { op, key: c.key, state: Rc::clone(state), hint: Some(intended) });
        }
        self.report_quorum(out, op);
    }

    /// Merges the states of a read's responses (without reporting: the replicas did that).
    /// The same as folding [`LeaderlessNode::merge`] over them from the empty state, without
    /// the intermediate states: with siblings each is synced in; under last write wins the
    /// greatest value of all wins.
    fn merge_all<'a>(&self, states: impl IntoIterator<Item = &'a State>) -> State {
        if self.siblings() {
            let mut merged = State::default();
            for s in states {
                merged.sync_from(s);
            }
            return merged;
        }
        winner_state(states.into_iter().flat_map(|s| s.iter_values()).max().copied())
    }

    fn bucket_hashes(&self, peer: NodeId) -> Vec<u64> {
        let mut hashers: Vec<StableHasher> = (0..BUCKETS).map(|_| StableHasher::default()).collect();
        for (&key, state) in &self.data {
            if self.replicates(peer, key) {
                let mut values = state.values();
                crate::sort::sort(&mut values);
                (key, state.join(), values).hash(&mut hashers[(key % BUCKETS) as usize]);
            }
        }
        hashers.iter().map(|h| h.finish()).collect()
    }

    fn states_in(&self, peer: NodeId, buckets: &[u32]) -> Vec<(Key, State)> {
        self.data
            .iter()
            .filter(|(&k, _)| self.replicates(peer, k) && buckets.contains(&(k % BUCKETS)))
            .map(|(&k, s)| (k, s.clone()))
            .collect()
    }

    fn on_exchange(
        &mut self,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        states: Vec<(Key, State)>,
        buckets: Vec<u32>,
        reply: bool,
    ) {
        let mut changed = 0;
        for (key, state) in &states {
            if self.store(out, *key, state) {
                changed += 1;
            }
        }
        if changed > 0 {
            out.note(Note::AntiEntropy { node: self.id, with: from, keys: changed });
        }
        if reply {
            out.send(from, Msg::Exchange { states: self.states_in(from, &buckets), buckets, reply: false });
        }
    }
}

impl Protocol for LeaderlessNode {
    type Msg = Msg;
    type Timer = Timer;

    fn step(&mut self, ctx: &Ctx, input: Input<Msg, Timer>, out: &mut Out<Msg, Timer>) {
        if let Input::Message { from, .. } = &input {
            // Any message shows the sender is back: the hint window starts again.
            self.silent_since.remove(from);
        }
        match input {
            Input::Start => {
                if let Some(grace) = self.cfg.tombstone_grace_ms {
                    let every = LeaderlessConfig::ms(grace / 4.0);
                    out.set_timer(Timer::Compact, every, every);
                }
                if let Some(ms) = self.cfg.anti_entropy_ms {
                    let every = LeaderlessConfig::ms(ms);
                    out.set_timer(Timer::AntiEntropy, every / 2, every);
                }
                if !self.hints.is_empty() {
                    out.set_timer(Timer::Handoff, LeaderlessConfig::ms(200.0), LeaderlessConfig::ms(200.0));
                }
                if let Some(every) = self.fsync_every {
                    out.set_timer(Timer::Flush, every, every);
                }
            }
            Input::Timer(Timer::Flush) => {
                self.undo.clear();
                self.undo_hints.clear();
                if let Some(every) = self.fsync_every {
                    out.set_timer(Timer::Flush, every, every);
                }
            }
            Input::Request(req) => self.coordinate(ctx, out, req),
            Input::Message { from, msg } => match msg {
                Msg::Forward { req } => self.coordinate(ctx, out, *req),
                Msg::Put { op, key, state, hint } => {
                    match hint.filter(|&h| h != self.id) {
                        Some(intended) => {
                            self.remember_hint((intended, key));
                            let held = self.hints.entry((intended, key)).or_default();
                            held.sync_from(&state);
                            out.set_timer(Timer::Handoff, LeaderlessConfig::ms(200.0), LeaderlessConfig::ms(200.0));
                        }
                        None => {
                            self.store(out, key, &state);
                        }
                    }
                    out.send(from, Msg::PutAck { op });
                }
                Msg::PutAck { op } => {
                    if let Some(c) = self.coordinating.get_mut(&op) {
                        if !c.answered.contains(&from) {
                            c.answered.push(from);
                        }
                    }
                    self.report_quorum(out, op);
                    self.maybe_answer(out, op);
                    self.maybe_finish_write(out, op);
                }
                Msg::Get { op, key } => {
                    let state = self.data.get(&key).cloned().unwrap_or_default();
                    out.send(from, Msg::GetResp { op, state });
                }
                Msg::GetResp { op, state } => {
                    if let Some(c) = self.coordinating.get_mut(&op) {
                        if let Pending::Read { responses } = &mut c.pending {
                            if !c.answered.contains(&from) {
                                c.answered.push(from);
                                responses.push((from, state));
                            }
                        }
                    }
                    self.report_quorum(out, op);
                    self.maybe_answer(out, op);
                    self.maybe_finish(out, op);
                }
                Msg::Repair { key, state } => {
                    self.store(out, key, &state);
                }
                Msg::Handoff { key, state } => {
                    let already_repaired = !self.store(out, key, &state);
                    out.note(Note::HintedHandoff { node: self.id, key, from, already_repaired });
                    out.send(from, Msg::HandoffAck { key });
                }
                Msg::HandoffAck { key } => {
                    self.remember_hint((from, key));
                    self.hints.remove(&(from, key));
                }
                Msg::Digest { buckets } => {
                    let mine = self.bucket_hashes(from);
                    let differ: Vec<u32> =
                        (0..BUCKETS).filter(|&b| buckets.get(b as usize) != mine.get(b as usize)).collect();
                    if !differ.is_empty() {
                        out.send(
                            from,
                            Msg::Exchange { states: self.states_in(from, &differ), buckets: differ, reply: true },
                        );
                    }
                }
                Msg::Exchange { states, buckets, reply } => self.on_exchange(out, from, states, buckets, reply),
                Msg::Prepare { key, .. } | Msg::Propose { key, .. } | Msg::Commit { key, .. } => {
                    if let Some(reply) = self.acceptor(out, key, msg) {
                        out.send(from, reply);
                    }
                }
                Msg::Promise { .. } | Msg::Accepted { .. } | Msg::Committed { .. } => {
                    self.on_paxos_reply(ctx, out, from, msg)
                }
            },
            Input::Timer(Timer::RequestTimeout(op)) => {
                if !self.lwt_timeout(out, op) {
                    self.on_timeout(ctx, out, op)
                }
            }
            Input::Timer(Timer::PaxosRetry(op)) => self.prepare(ctx, out, op),
            Input::Timer(Timer::Sloppy(op)) => self.on_sloppy(out, op),
            Input::Timer(Timer::Handoff) => {
                for ((intended, key), state) in &self.hints {
                    out.send(*intended, Msg::Handoff { key: *key, state: state.clone() });
                }
                if !self.hints.is_empty() {
                    out.set_timer(Timer::Handoff, LeaderlessConfig::ms(200.0), LeaderlessConfig::ms(200.0));
                }
            }
            Input::Timer(Timer::Compact) => {
                self.purge_tombstones(ctx, out);
                if let Some(grace) = self.cfg.tombstone_grace_ms {
                    let every = LeaderlessConfig::ms(grace / 4.0);
                    out.set_timer(Timer::Compact, every, every);
                }
            }
            Input::Timer(Timer::AntiEntropy) => {
                if self.n > 1 {
                    let peer = (self.id + 1 + self.ae_turn % (self.n - 1)) % self.n;
                    self.ae_turn += 1;
                    out.send(peer, Msg::Digest { buckets: self.bucket_hashes(peer) });
                }
                if let Some(ms) = self.cfg.anti_entropy_ms {
                    let every = LeaderlessConfig::ms(ms);
                    out.set_timer(Timer::AntiEntropy, every / 2, every);
                }
            }
            Input::Admin(Admin::Repair) => {
                // An operator's repair (`nodetool repair`): one Merkle comparison with every
                // other node, which exchange what differs.
                for peer in (0..self.n).filter(|&p| p != self.id) {
                    out.send(peer, Msg::Digest { buckets: self.bucket_hashes(peer) });
                }
            }
            Input::Admin(_) => {}
        }
    }

    fn crash(&mut self) {
        self.coordinating.clear();
        self.rounds.clear();
        self.silent_since.clear();
        // What was written since the last flush is gone.
        for (key, before) in std::mem::take(&mut self.undo) {
            match before {
                Some(state) => self.data.insert(key, state),
                None => self.data.remove(&key),
            };
        }
        for (hint, before) in std::mem::take(&mut self.undo_hints) {
            match before {
                Some(state) => self.hints.insert(hint, state),
                None => self.hints.remove(&hint),
            };
        }
    }

    fn view(&self) -> NodeView {
        let mut flags = Vec::new();
        if !self.hints.is_empty() {
            flags.push(format!("{} hinted writes held for others", self.hints.len()));
        }
        if !self.coordinating.is_empty() || !self.rounds.is_empty() {
            flags.push(format!("coordinating {} requests", self.coordinating.len() + self.rounds.len()));
        }
        let in_progress = self.in_progress();
        if in_progress > 0 {
            flags.push(format!("{in_progress} Paxos proposals accepted, not yet committed"));
        }
        NodeView {
            role: Role::Replica,
            term: 0,
            position: self.data.len() as u64,
            commit: self.data.len() as u64,
            summary: format!("{} keys · {} hints", self.data.len(), self.hints.len()),
            log_tail: Vec::new(),
            data: self
                .data
                .iter()
                .map(|(&key, s)| {
                    let vv: Vec<String> = s.join().iter().map(|(i, c)| format!("n{i}:{c}")).collect();
                    let tomb = if self.tombstone(s).is_some() { " tombstone" } else { "" };
                    KeyView {
                        key,
                        values: self.values_of(s),
                        version: format!("[{}]{tomb}", vv.join(" ")),
                        conflicts: Vec::new(),
                    }
                })
                .collect(),
            flags,
        }
    }

    fn for_each_write(&self, f: &mut dyn FnMut(Key, Value)) {
        for (&key, s) in &self.data {
            for v in self.held(s) {
                f(key, v.value);
            }
        }
        for ((_, key), s) in &self.hints {
            for v in self.held(s) {
                f(*key, v.value);
            }
        }
        self.for_each_accepted(f);
    }

    fn keeps_history(&self) -> bool {
        false
    }

    fn replicates(&self, key: Key) -> bool {
        LeaderlessNode::replicates(self, self.id, key)
    }
}

impl LeaderlessNode {
    /// A write is finished once every node it was sent to has acknowledged.
    fn maybe_finish_write(&mut self, out: &mut Out<Msg, Timer>, op: OpId) {
        let Some(c) = self.coordinating.get(&op) else { return };
        if c.replied && matches!(c.pending, Pending::Write { .. }) && c.answered.len() >= c.sent.len() {
            self.coordinating.remove(&op);
            out.cancel_timer(Timer::RequestTimeout(op));
            out.cancel_timer(Timer::Sloppy(op));
        }
    }
}

#[cfg(test)]
mod tests;
