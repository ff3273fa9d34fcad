//! # Leader-follower replication
//!
//! One node, the leader, accepts every write and appends it to its replication log; it streams
//! the log to the followers, which append and apply entries in order. Reads go to the leader or
//! to any replica, at the client's choice. This is PostgreSQL streaming replication, MySQL
//! binlog replication, MongoDB replica sets and Redis replication.
//!
//! **What it guarantees depends on when the leader acknowledges** ([`AckPolicy`]):
//! - *async*: at once. Writes are fast, but followers lag (more under load) and an
//!   acknowledged write that has not reached a follower dies with the leader.
//! - *sync*: when every follower has it. Zero loss, but a write is as slow as the slowest
//!   follower and every write stalls while any follower is down.
//! - *semi-sync*: when `k` followers have it (any `k`, or the first `k` connected in priority
//!   order), so at least `k + 1` up-to-date copies exist; with a timeout the leader gives up
//!   waiting and falls back to async, as MySQL does, and says so.
//! - *majority*: when a majority of the cluster has it.
//!
//! **Anomalies it allows**: reads from followers are stale while they lag (read-your-writes and
//! monotonic-read violations follow); async acknowledgement can lose writes on failover; a
//! follower that acknowledges before it flushes can lose acknowledged writes with its machine;
//! a leader that shows writes before they are committed lets readers see writes that a failover
//! then erases.
//!
//! **Mechanics.** Every entry carries the term of the leader that wrote it. An append names the
//! position and term just before its entries; a follower whose log does not match refuses and
//! says where its log ends, and the leader backs up and resends from there (Raft's log matching).
//! A follower that finds a conflicting suffix discards it and records the discarded writes. The
//! leader pipelines new entries to followers that are caught up, catches others up in batches
//! after each acknowledgement, and its heartbeat retransmits whatever a follower missed (lost
//! messages, a partition, a restart). A leader that sees a higher term steps down, and a
//! follower refuses appends from a lower term: a deposed leader cannot overwrite anyone.
//!
//! Durability follows the node's fsync setting: with `every`, entries appended since the last
//! flush vanish in a crash.
//!
//! ## What an acknowledgement and a read mean
//!
//! Three settings place the moments of a write that real systems let you choose:
//! - **When a follower acknowledges** ([`FollowerAckPoint`]): on receipt (*write*, PostgreSQL
//!   `remote_write`), once its node has flushed the entries (*flush*, PostgreSQL `on`), or once
//!   they are flushed and applied (*apply*, PostgreSQL `remote_apply`). A follower that
//!   acknowledges later tells the leader again when its flush timer or apply timer moves its
//!   position. With *write* and a periodic fsync, a follower whose machine crashes loses
//!   entries it had acknowledged: an acknowledged write can die with the standby's OS.
//! - **When a follower applies** (`apply_delay_ms`): its reads see received entries only after
//!   this delay, in log order (a standby's replay lag). Until then a read there misses writes
//!   that were already acknowledged, unless the follower acknowledges on *apply*. The applied
//!   data is one map of the applied prefix; a discarded suffix is taken out of it by rebuilding
//!   the map from the prefix that survives.
//! - **When the leader's own reads see a write** ([`Visibility`]): at once (*append*, MySQL
//!   semi-sync `AFTER_COMMIT`: another client may read a write that its writer is still waiting
//!   for, and that a failover then discards) or once committed (*commit*, MySQL `AFTER_SYNC`).
//!   The committed data is a second map, advanced as the commit index moves, so no read scans
//!   the log. A node that becomes leader starts it from its whole log, as a promoted MySQL
//!   replica (which has applied its relay log) or a recovered source (whose crash recovery
//!   commits what the binlog holds) serves everything it has; only its own new writes wait.
//!
//! ## Failover
//!
//! Followers detect a dead leader by its missing heartbeats, so a slow or paused leader, or a
//! network blip, is mistaken for a dead one exactly as in real systems. What happens next is the
//! [`Failover`] setting:
//! - *manual*: nothing, until an operator promotes a node;
//! - *election*: Raft's rules. A suspicious follower becomes a candidate for the next term and
//!   asks for votes; each node votes once per term, only for a candidate whose log is at least
//!   as up to date as its own; a majority elects. Two leaders can exist only in different terms,
//!   and with majority (or sync) acknowledgement every acknowledged write survives: any majority
//!   that elects the next leader contains a node that has it.
//! - *naive*: the follower promotes itself. Under a partition both sides get a leader, both
//!   accept writes, and the data diverges: split brain.
//! - *coordinator*: a leader lock with a TTL on a coordinator node, as Patroni keeps in etcd.
//!   The leader demotes itself when it cannot renew; the first eligible follower to ask after
//!   expiry takes the lock and the next term.
//!
//! The old leader rejoins as a follower: log matching discards its unreplicated suffix (as
//! MongoDB's rollback and pg_rewind do), and each discarded write is noted, so an acknowledged
//! one becomes a `lost_write`. [`Fencing`] adds the defences: term checks (on by default), a
//! leader lease after which a leader that cannot reach a majority steps down, and STONITH.

mod ack_policy;
mod config;
mod log;
pub use log::Log;

use crate::note::{Discard, Note, Promotion};
use std::collections::{BTreeMap, VecDeque};

pub use ack_policy::{commit_point, FollowerAck};
pub use config::{
    AckPolicy, Failover, Fencing, FollowerAckPoint, LeaderFollowerConfig, SemiSync, SemiSyncMode, Visibility,
};

use crate::protocol::{
    Admin, Behind, Ctx, FailReason, Input, Key, Message, NodeId, OpId, OpKind, Out, Protocol, Request, Value,
};
use crate::time::{from_ms, Dur, Time};
use crate::view::{KeyView, Lag, LogEntryView, NodeView, Role};

impl Entry {
    /// The value the key holds after this entry.
    pub fn live(&self) -> Option<Value> {
        (!self.deleted).then_some(self.value)
    }
}

/// How far (in entries) a node's log may fall behind the furthest before compaction leaves it
/// behind; it then catches up from a snapshot.
pub const MAX_LOG_LAG: usize = 20_000;

/// One write in the replication log.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// Term of the leader that wrote it.
    pub term: u64,
    pub key: Key,
    /// The value written, or the tombstone a delete wrote.
    pub value: Value,
    /// A delete: after this entry the key holds nothing.
    pub deleted: bool,
    /// The client operation that wrote it.
    pub op: OpId,
    /// The leader's clock when it wrote the entry.
    pub stamp: Time,
    /// True time of the append on the leader (for lag metrics only).
    pub appended_at: Time,
}

/// Messages between leader and followers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// Entries after `prev_index` (empty: a heartbeat). `last` is the end of the leader's log.
    Append {
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
        commit: u64,
        last: u64,
    },
    /// `success`: the follower's log matches the leader's through `index`. Otherwise `index`
    /// is where the leader should resume (the follower's log matches at most that far).
    AppendResp {
        term: u64,
        success: bool,
        index: u64,
    },
    /// A candidate asks for a vote, stating how up to date its log is.
    RequestVote {
        term: u64,
        last_index: u64,
        last_term: u64,
    },
    Vote {
        term: u64,
        granted: bool,
    },
    /// The leader's compacted log prefix, to a follower whose log ends before it (Raft's
    /// InstallSnapshot, a fresh base backup): the prefix's length, term boundaries and data.
    Snapshot {
        term: u64,
        base: u64,
        terms: Vec<(u64, u64)>,
        data: Vec<(Key, Option<Value>, u64)>,
        commit: u64,
    },
    /// To the coordinator: take or renew the leader lock.
    LockRequest {
        term: u64,
        last_index: u64,
    },
    /// From the coordinator: who holds the lock, in which epoch (the leader's term).
    LockReply {
        granted: bool,
        holder: Option<NodeId>,
        epoch: u64,
    },
    /// A leader back from a crash (manual failover) asks what term the cluster is in before
    /// it leads again.
    Probe,
    /// The answer: the responder's term and the leader it follows.
    ProbeResp {
        term: u64,
        leader: Option<NodeId>,
    },
}

impl Message for Msg {
    fn label(&self) -> String {
        match self {
            Msg::Append { entries, prev_index, .. } if entries.is_empty() => format!("heartbeat @{prev_index}"),
            Msg::Append { entries, prev_index, .. } if entries.len() == 1 => format!("append #{}", prev_index + 1),
            Msg::Append { entries, prev_index, .. } => {
                format!("append #{}..{}", prev_index + 1, *prev_index + entries.len() as u64)
            }
            Msg::Snapshot { base, .. } => format!("snapshot #1..{base}"),
            Msg::AppendResp { success: true, index, .. } => format!("ack #{index}"),
            Msg::AppendResp { success: false, index, .. } => format!("nack, have #{index}"),
            Msg::RequestVote { term, .. } => format!("vote for me? t{term}"),
            Msg::Vote { granted: true, term } => format!("vote yes t{term}"),
            Msg::Vote { granted: false, term } => format!("vote no t{term}"),
            Msg::LockRequest { .. } => "lock?".into(),
            Msg::Probe => "which term?".into(),
            Msg::ProbeResp { term, leader: Some(l) } => format!("t{term}, n{l} leads"),
            Msg::ProbeResp { term, leader: None } => format!("t{term}, no leader"),
            Msg::LockReply { granted: true, epoch, .. } => format!("lock granted e{epoch}"),
            Msg::LockReply { holder, .. } => match holder {
                Some(h) => format!("lock held by n{h}"),
                None => "lock free".into(),
            },
        }
    }
}

/// Timers of a leader-follower node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    Heartbeat,
    Flush,
    /// The oldest write waiting for semi-sync acknowledgements, at this position.
    SemiSyncTimeout(u64),
    /// No word from the leader for too long: suspect it (election, naive promotion, or ask
    /// the coordinator for the lock).
    ElectionTimeout,
    /// Renew the leader lock (leader) or ask for it again (follower), coordinator mode.
    Lock,
    /// A follower with an apply delay: the oldest received entries are due to be applied.
    Apply,
    /// A returning leader has not heard from a majority yet: ask again.
    Probe,
}

/// The coordinator's leader lock.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LeaderLock {
    holder: Option<NodeId>,
    epoch: u64,
    /// On the coordinator's clock.
    expires: Time,
}

/// What the leader tracks about one follower.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Progress {
    node: NodeId,
    /// Highest position the follower confirmed.
    matched: u64,
    /// Next position to send.
    next: u64,
    last_heard: Option<Time>,
    last_sent: Option<Time>,
    /// Ignore refusals until then (one rewind per round trip).
    retry_after: Time,
}

/// A write waiting for acknowledgements.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pending {
    op: OpId,
    since: Time,
}

/// One node of the leader-follower family.
#[derive(Clone, Debug)]
pub struct LeaderFollowerNode {
    id: NodeId,
    n: usize,
    cfg: LeaderFollowerConfig,
    /// Flush interval; `None`: every append is durable at once.
    fsync_every: Option<Dur>,
    // Durable state.
    term: u64,
    voted_for: Option<NodeId>,
    /// The coordinator's lock (coordinator node only).
    lock: Option<LeaderLock>,
    /// The leader this node last knew of (durable, so a restarted leader resumes leading).
    leader: Option<NodeId>,
    log: Log,
    /// Length of the log prefix that survives a crash.
    durable_len: usize,
    // Volatile state.
    role: Role,
    commit: u64,
    /// Applied data: key → (value, position); no value after a delete. It holds the applied
    /// prefix of the log (all of it without an apply delay).
    kv: BTreeMap<Key, (Option<Value>, u64)>,
    /// With an apply delay: the length of the applied prefix of the log.
    applied: u64,
    /// With an apply delay: (log length, when it is due on this node's clock) for entries
    /// received and not yet applied, oldest first.
    apply_queue: VecDeque<(u64, Time)>,
    apply_armed: bool,
    /// Leader with `visibility: commit`: the data its reads see, and the length of the log
    /// prefix it holds (what the node had when it became leader, then each commit).
    committed_kv: BTreeMap<Key, (Option<Value>, u64)>,
    committed_len: u64,
    /// Follower: how far its log is known to match the current leader's, and the highest
    /// position it has acknowledged to that leader (for acknowledgements after a flush or an
    /// apply).
    leader_match: u64,
    acked: u64,
    progress: Vec<Progress>,
    pending: BTreeMap<u64, Pending>,
    timeout_armed: bool,
    /// Semi-sync has fallen back to async.
    fallback: bool,
    /// The last leader this node knew of (kept through elections, for STONITH).
    last_leader: Option<NodeId>,
    votes: Vec<NodeId>,
    /// The failure detector has fired since the leader was last heard.
    suspected: bool,
    /// A leader back from a crash under manual failover: it leads again only once a majority
    /// has told it their terms (the answers so far), and follows a newer leader if one exists.
    rejoining: Option<BTreeMap<NodeId, u64>>,
    /// When this node became leader (its clock).
    leader_since: Time,
    /// Coordinator mode: the lock is ours until then (our clock), and when we last asked.
    lock_until: Time,
    lock_asked: Time,
    /// Reads waiting for this replica to reach their session token: (position, op, key).
    waiting: Vec<(u64, OpId, Key)>,
}

impl LeaderFollowerNode {
    /// Node `id` of `n`, with the family settings and the node's flush interval.
    pub fn new(id: NodeId, n: usize, cfg: LeaderFollowerConfig, fsync_every: Option<Dur>) -> Self {
        let leader = Some(cfg.leader);
        LeaderFollowerNode {
            id,
            n,
            cfg,
            fsync_every,
            term: 1,
            voted_for: None,
            lock: None,
            leader,
            log: Log::default(),
            durable_len: 0,
            role: Role::Follower,
            commit: 0,
            kv: BTreeMap::new(),
            applied: 0,
            apply_queue: VecDeque::new(),
            apply_armed: false,
            committed_kv: BTreeMap::new(),
            committed_len: 0,
            leader_match: 0,
            acked: 0,
            progress: Vec::new(),
            pending: BTreeMap::new(),
            timeout_armed: false,
            fallback: false,
            last_leader: leader,
            votes: Vec::new(),
            suspected: false,
            rejoining: None,
            leader_since: 0,
            lock_until: 0,
            lock_asked: 0,
            waiting: Vec::new(),
        }
    }

    /// Answers the reads that were waiting for the log to reach their token.
    fn serve_waiting(&mut self, out: &mut Out<Msg, Timer>) {
        if self.waiting.is_empty() {
            return;
        }
        let visible = self.visible_len();
        let (ready, still): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.waiting).into_iter().partition(|&(need, _, _)| need <= visible);
        self.waiting = still;
        let epoch = self.epoch();
        for (_, op, key) in ready {
            out.ok_fenced(op, self.read(key).into_iter().collect(), vec![visible], epoch);
        }
    }

    /// The fencing token clients see (0 when clients do not check tokens).
    fn epoch(&self) -> u64 {
        if self.cfg.fencing.clients {
            self.term
        } else {
            0
        }
    }

    /// Whether this node is the failover coordinator (it holds no data).
    pub fn is_coordinator(&self) -> bool {
        self.cfg.coordinator() == Some(self.id)
    }

    /// Nodes that hold data (everyone but the coordinator).
    fn data_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        let c = self.cfg.coordinator();
        (0..self.n).filter(move |&i| Some(i) != c)
    }

    fn majority(&self) -> usize {
        self.data_nodes().count() / 2 + 1
    }

    /// The term a node assigns itself without an election (an operator's promotion, a leader
    /// returning from a crash): the smallest one above every term it knows that belongs to it
    /// (terms are dealt out round-robin by node id), so two nodes that do this at the same time
    /// can never pick the same term. Elections need no such rule: a majority's votes make
    /// their terms unique.
    fn own_term_above(&self, known: u64) -> u64 {
        let n = self.n.max(1) as u64;
        let id = self.id as u64 % n;
        let t = known + 1;
        t + (id + n - t % n) % n
    }

    /// A leader back from a crash under manual failover asks every peer for its term before it
    /// leads again (an operator may have promoted someone meanwhile).
    fn probe(&mut self, out: &mut Out<Msg, Timer>) {
        let me = self.id;
        for p in self.data_nodes().filter(|&p| p != me).collect::<Vec<_>>() {
            out.send(p, Msg::Probe);
        }
        let every = self.cfg.heartbeat().max(1);
        out.set_timer(Timer::Probe, every * 4, every * 4);
    }

    fn on_probe_resp(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, from: NodeId, term: u64, leader: Option<NodeId>) {
        let majority = self.majority();
        let Some(answers) = self.rejoining.as_mut() else { return };
        answers.insert(from, term);
        if term > self.term {
            // Someone newer leads: follow it (its appends will bring this log in line).
            self.observe_term(term);
            self.rejoining = None;
            out.cancel_timer(Timer::Probe);
            out.note(Note::Rejoin { node: self.id, term });
            self.set_leader(leader.filter(|&l| l != self.id));
            self.arm_detector(out);
            return;
        }
        if answers.len() + 1 >= majority {
            let known = answers.values().copied().max().unwrap_or(0).max(self.term);
            self.rejoining = None;
            out.cancel_timer(Timer::Probe);
            // A new term of its own, so that its new entries can never be mistaken for ones
            // it lost in the crash.
            self.term = self.own_term_above(known);
            self.voted_for = None;
            self.become_leader(ctx, out);
        }
    }

    fn eligible(&self, node: NodeId) -> bool {
        self.cfg.coordinator() != Some(node) && self.cfg.candidates.as_ref().is_none_or(|c| c.contains(&node))
    }

    fn last_term(&self) -> u64 {
        self.term_at(self.last())
    }

    /// (Re)arms the failure detector of a follower or candidate.
    fn arm_detector(&self, out: &mut Out<Msg, Timer>) {
        let (lo, hi) = match &self.cfg.failover {
            Failover::Manual => return,
            Failover::Election { timeout_ms: [lo, hi] } | Failover::Naive { timeout_ms: [lo, hi] } => (*lo, *hi),
            Failover::Coordinator { ttl_ms, .. } => (*ttl_ms, *ttl_ms),
        };
        if self.is_coordinator() {
            return;
        }
        out.set_timer(Timer::ElectionTimeout, from_ms(lo).max(1), from_ms(hi).max(1));
    }

    fn ttl(&self) -> Dur {
        match self.cfg.failover {
            Failover::Coordinator { ttl_ms, .. } => from_ms(ttl_ms).max(3),
            _ => 0,
        }
    }

    fn set_leader(&mut self, leader: Option<NodeId>) {
        if leader.is_some_and(|l| l != self.id) {
            // Following someone: a returning leader has learned who leads now.
            self.rejoining = None;
        }
        self.leader = leader;
        if leader.is_some() {
            self.last_leader = leader;
        }
    }

    pub fn role(&self) -> Role {
        self.role
    }
    pub fn term(&self) -> u64 {
        self.term
    }
    /// The log's entries after its compacted prefix (all of them unless the simulator
    /// compacted it: see [`Log`]).
    pub fn log(&self) -> &[Entry] {
        self.log.entries()
    }
    /// The whole log, compacted prefix included.
    pub fn full_log(&self) -> &Log {
        &self.log
    }

    /// Compacts the first `upto` entries of the log (the simulator does this only for a prefix
    /// every node holds identically, durably and applied).
    pub fn compact_log(&mut self, upto: usize) {
        self.log.compact(upto);
    }
    pub fn commit_index(&self) -> u64 {
        self.commit
    }
    /// Semi-sync has fallen back to async acknowledgement.
    pub fn in_fallback(&self) -> bool {
        self.fallback
    }
    /// The value this node would return for a read of `key`.
    pub fn read(&self, key: Key) -> Option<Value> {
        self.visible().get(&key).and_then(|&(v, _)| v)
    }

    /// Whether reads on this node see only committed entries (a leader with `visibility:
    /// commit`).
    fn reads_committed(&self) -> bool {
        self.role == Role::Leader && self.cfg.visibility == Visibility::Commit
    }

    /// The data reads on this node see.
    fn visible(&self) -> &BTreeMap<Key, (Option<Value>, u64)> {
        if self.reads_committed() {
            &self.committed_kv
        } else {
            &self.kv
        }
    }

    /// The length of the log prefix reads on this node see (the version they report).
    pub fn visible_len(&self) -> u64 {
        if self.reads_committed() {
            self.committed_len.min(self.last())
        } else {
            self.applied_len()
        }
    }

    /// The length of the applied prefix: the whole log, unless followers apply with a delay.
    pub fn applied_len(&self) -> u64 {
        if self.cfg.apply_delay() == 0 {
            self.last()
        } else {
            self.applied.min(self.last())
        }
    }

    fn last(&self) -> u64 {
        self.log.len() as u64
    }

    fn term_at(&self, index: u64) -> u64 {
        self.log.term_at(index)
    }

    fn persist(&mut self) {
        if self.fsync_every.is_none() {
            self.durable_len = self.log.len();
        }
    }

    /// Rebuilds the applied data from the applied prefix of the log (after a truncation or a
    /// restart).
    fn rebuild_kv(&mut self) {
        self.kv = self.log.base_kv().clone();
        let applied = self.applied_len() as usize;
        let base = self.log.base();
        for (i, e) in self.log[base..applied.max(base)].iter().enumerate() {
            self.kv.insert(e.key, (e.live(), (base + i) as u64 + 1));
        }
    }

    /// Applies everything received at once (a restart replays the whole log; a promoted
    /// follower finishes applying before it serves).
    fn apply_all(&mut self) {
        self.apply_queue.clear();
        if self.cfg.apply_delay() > 0 && self.applied < self.last() {
            self.applied = self.last();
            self.rebuild_kv();
        }
    }

    /// With an apply delay: entries up to the end of the log become due `delay` from now.
    fn queue_apply(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let delay = self.cfg.apply_delay();
        let queued = self.apply_queue.back().map_or(self.applied, |&(len, _)| len);
        if delay == 0 || self.last() <= queued {
            return;
        }
        self.apply_queue.push_back((self.last(), ctx.clock + delay));
        if !self.apply_armed {
            self.apply_armed = true;
            out.set_timer(Timer::Apply, delay, delay);
        }
    }

    /// The apply timer: applies the entries that are due, in log order.
    fn on_apply_timer(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        self.apply_armed = false;
        while let Some(&(len, due)) = self.apply_queue.front() {
            if due > ctx.clock {
                break;
            }
            self.apply_queue.pop_front();
            let len = len.min(self.last());
            for i in self.applied..len {
                let e = &self.log[i as usize];
                self.kv.insert(e.key, (e.live(), i + 1));
            }
            self.applied = self.applied.max(len);
        }
        if let Some(&(_, due)) = self.apply_queue.front() {
            let left = due.saturating_sub(ctx.clock).max(1);
            self.apply_armed = true;
            out.set_timer(Timer::Apply, left, left);
        }
        self.serve_waiting(out);
        self.maybe_ack(out);
    }

    /// After a truncation: what was applied, queued or matched cannot reach past the log.
    fn clamp_to_log(&mut self) {
        let last = self.last();
        self.applied = self.applied.min(last);
        for q in self.apply_queue.iter_mut() {
            q.0 = q.0.min(last);
        }
        self.leader_match = self.leader_match.min(last);
        self.acked = self.acked.min(last);
    }

    /// The highest position this follower may acknowledge, given that its log matches the
    /// leader's through `matched`.
    fn ack_index(&self, matched: u64) -> u64 {
        let durable = self.durable_len as u64;
        match self.cfg.follower_ack {
            FollowerAckPoint::Write => matched,
            FollowerAckPoint::Flush => matched.min(durable),
            FollowerAckPoint::Apply => matched.min(durable).min(self.applied_len()),
        }
    }

    /// A follower that acknowledges after a flush or an apply: tells the leader once more of
    /// what it has received became durable or visible.
    fn maybe_ack(&mut self, out: &mut Out<Msg, Timer>) {
        if self.cfg.follower_ack == FollowerAckPoint::Write || self.role != Role::Follower {
            return;
        }
        let Some(leader) = self.leader.filter(|&l| l != self.id) else { return };
        let index = self.ack_index(self.leader_match);
        if index > self.acked {
            self.acked = index;
            out.send(leader, Msg::AppendResp { term: self.term, success: true, index });
        }
    }

    /// With `visibility: commit`: brings the leader's visible data up to the commit index (a
    /// leader's log only grows, so this only ever adds entries).
    fn advance_committed(&mut self) {
        if self.cfg.visibility != Visibility::Commit {
            return;
        }
        let upto = self.commit.min(self.last());
        for i in self.committed_len..upto {
            let e = &self.log[i as usize];
            self.committed_kv.insert(e.key, (e.live(), i + 1));
        }
        self.committed_len = self.committed_len.max(upto);
    }

    fn priority(&self) -> Vec<NodeId> {
        match &self.cfg.ack {
            AckPolicy::SemiSync(SemiSync { priority: Some(p), .. }) => {
                p.iter().copied().filter(|&x| x != self.id).collect()
            }
            _ => (0..self.n).filter(|&x| x != self.id).collect(),
        }
    }

    fn become_leader(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let previous = self.last_leader.filter(|&l| l != self.id);
        self.apply_all();
        if self.cfg.visibility == Visibility::Commit {
            // A new leader serves everything it has, as a promoted replica that has applied its
            // relay log, or a source whose crash recovery commits what its binlog holds, does:
            // only its own new writes wait for their commit. (Rebuilt here because the log may
            // have changed while this node followed.)
            self.committed_kv = self.kv.clone();
            self.committed_len = self.last();
        }
        self.role = Role::Leader;
        self.set_leader(Some(self.id));
        self.leader_since = ctx.clock;
        self.votes.clear();
        self.suspected = false;
        if self.cfg.failover != Failover::Manual {
            out.cancel_timer(Timer::ElectionTimeout);
        }
        let next = self.last() + 1;
        let me = self.id;
        self.progress = self
            .data_nodes()
            .filter(|&p| p != me)
            .map(|node| Progress { node, matched: 0, next, last_heard: None, last_sent: None, retry_after: 0 })
            .collect();
        self.pending.clear();
        self.timeout_armed = false;
        self.fallback = false;
        out.note(Note::Leader { node: self.id, term: self.term });
        if let (true, Some(old)) = (self.cfg.fencing.stonith, previous) {
            out.note(Note::Stonith { node: self.id, target: old });
            out.power_off(old);
        }
        if self.cfg.coordinator().is_some() {
            out.set_timer(Timer::Lock, self.ttl() / 3, self.ttl() / 3);
        }
        for i in 0..self.progress.len() {
            self.send_append(ctx, out, i);
        }
        out.set_timer(Timer::Heartbeat, self.cfg.heartbeat(), self.cfg.heartbeat());
        self.maybe_commit(ctx, out);
    }

    fn become_follower(&mut self, leader: Option<NodeId>, out: &mut Out<Msg, Timer>) {
        if self.role == Role::Leader {
            out.note(Note::StepDown { node: self.id, term: self.term, unacked: self.pending.len() });
            out.cancel_timer(Timer::Heartbeat);
            out.cancel_timer(Timer::Lock);
            if self.timeout_armed {
                out.cancel_timer(Timer::SemiSyncTimeout(*self.pending.keys().next().unwrap_or(&0)));
            }
        }
        let was_follower = self.role == Role::Follower;
        self.role = Role::Follower;
        self.set_leader(leader);
        self.progress.clear();
        self.pending.clear();
        self.votes.clear();
        self.timeout_armed = false;
        self.fallback = false;
        if !was_follower {
            self.arm_detector(out);
        }
    }

    /// A newer term was seen: adopt it (votes are per term).
    fn observe_term(&mut self, term: u64) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
        }
    }

    fn on_election_timeout(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        if self.role == Role::Leader || self.is_coordinator() {
            return;
        }
        if !self.suspected {
            self.suspected = true;
            out.note(Note::Suspect { node: self.id, leader: self.leader });
        }
        let eligible = self.eligible(self.id);
        match self.cfg.failover {
            Failover::Manual => {}
            Failover::Election { .. } => {
                if eligible {
                    self.become_candidate(ctx, out);
                } else {
                    self.arm_detector(out);
                }
            }
            Failover::Naive { .. } => {
                if eligible {
                    self.term += 1;
                    out.note(Note::NaivePromotion { node: self.id, term: self.term });
                    self.become_leader(ctx, out);
                } else {
                    self.arm_detector(out);
                }
            }
            Failover::Coordinator { node, .. } => {
                if eligible {
                    self.lock_asked = ctx.clock;
                    out.send(node, Msg::LockRequest { term: self.term, last_index: self.last() });
                }
                out.set_timer(Timer::Lock, self.ttl() / 3, self.ttl() / 3);
            }
        }
    }

    fn become_candidate(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        self.term += 1;
        self.role = Role::Candidate;
        self.set_leader(None);
        self.voted_for = Some(self.id);
        self.votes = vec![self.id];
        out.note(Note::Election { node: self.id, term: self.term });
        if self.votes.len() >= self.majority() {
            self.become_leader(ctx, out);
            return;
        }
        let me = self.id;
        let peers: Vec<NodeId> = self.data_nodes().filter(|&p| p != me).collect();
        for p in peers {
            out.send(p, Msg::RequestVote { term: self.term, last_index: self.last(), last_term: self.last_term() });
        }
        self.arm_detector(out);
    }

    fn on_request_vote(&mut self, out: &mut Out<Msg, Timer>, from: NodeId, term: u64, last_index: u64, last_term: u64) {
        if term > self.term {
            self.observe_term(term);
            if self.role != Role::Follower {
                self.become_follower(None, out);
            }
        }
        let up_to_date = (last_term, last_index) >= (self.last_term(), self.last());
        let grant = term == self.term
            && self.voted_for.is_none_or(|v| v == from)
            && up_to_date
            && !self.is_coordinator()
            && self.role != Role::Leader;
        if grant {
            self.voted_for = Some(from);
            self.arm_detector(out);
        }
        out.send(from, Msg::Vote { term: self.term, granted: grant });
    }

    fn on_vote(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, from: NodeId, term: u64, granted: bool) {
        if term > self.term {
            self.observe_term(term);
            self.become_follower(None, out);
            return;
        }
        if self.role == Role::Candidate && term == self.term && granted && !self.votes.contains(&from) {
            self.votes.push(from);
            if self.votes.len() >= self.majority() {
                out.note(Note::Elected { node: self.id, term: self.term, votes: self.votes.len() });
                self.become_leader(ctx, out);
            }
        }
    }

    /// The coordinator answers a lock request.
    fn on_lock_request(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, from: NodeId, term: u64) {
        let ttl = self.ttl();
        let eligible = self.eligible(from);
        let Some(lock) = self.lock.as_mut() else { return };
        let expired = lock.holder.is_none() || ctx.clock >= lock.expires;
        if lock.holder == Some(from) && !expired {
            lock.expires = ctx.clock + ttl;
        } else if expired && eligible {
            lock.epoch = lock.epoch.max(term) + 1;
            lock.holder = Some(from);
            lock.expires = ctx.clock + ttl;
            out.note(Note::LockGranted { coordinator: self.id, to: from, epoch: lock.epoch });
        }
        let holder = lock.holder;
        let reply = Msg::LockReply { granted: holder == Some(from), holder, epoch: lock.epoch };
        self.set_leader(holder);
        out.send(from, reply);
    }

    fn on_lock_reply(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        granted: bool,
        holder: Option<NodeId>,
        epoch: u64,
    ) {
        if !granted {
            if self.role == Role::Leader && holder != Some(self.id) {
                out.note(Note::LockLost { node: self.id, holder: Some(holder.unwrap_or(self.id)) });
                self.become_follower(holder, out);
            }
            return;
        }
        if self.role == Role::Leader {
            self.lock_until = self.lock_asked + self.ttl();
        } else {
            self.term = self.term.max(epoch);
            self.voted_for = None;
            self.lock_until = self.lock_asked + self.ttl();
            out.note(Note::Promoted { node: self.id, term: self.term, by: Promotion::Lock });
            self.become_leader(ctx, out);
        }
    }

    /// Coordinator mode timer: a leader renews (and demotes itself if the lock ran out); a
    /// follower without a leader asks again.
    fn on_lock_timer(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let Some(c) = self.cfg.coordinator() else { return };
        if self.role == Role::Leader {
            if ctx.clock >= self.lock_until {
                out.note(Note::LockLost { node: self.id, holder: None });
                self.become_follower(None, out);
                return;
            }
        } else if !self.suspected || !self.eligible(self.id) {
            return;
        }
        self.lock_asked = ctx.clock;
        out.send(c, Msg::LockRequest { term: self.term, last_index: self.last() });
        out.set_timer(Timer::Lock, self.ttl() / 3, self.ttl() / 3);
    }

    /// With a lease: whether a majority has been heard from recently enough.
    fn lease_holds(&self, ctx: &Ctx) -> bool {
        let Some(lease) = self.cfg.fencing.lease_ms.map(from_ms) else { return true };
        if ctx.clock.saturating_sub(self.leader_since) < lease {
            return true;
        }
        let heard =
            self.progress.iter().filter(|p| p.last_heard.is_some_and(|h| ctx.clock.saturating_sub(h) < lease)).count();
        heard + 1 >= self.majority()
    }

    fn send_append(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, i: usize) {
        let p = &mut self.progress[i];
        // Every node holds the compacted prefix: resend from its end at the earliest, but end
        // the batch where it would have ended from the follower's own position, so that what
        // a follower receives when does not depend on how much was compacted.
        let wanted = p.next as usize;
        p.next = p.next.max(self.log.base() as u64 + 1);
        let prev_index = p.next - 1;
        let end = (wanted.saturating_sub(1) + self.cfg.batch).max(prev_index as usize).min(self.log.len());
        let entries = self.log[prev_index as usize..end].to_vec();
        p.next += entries.len() as u64;
        p.last_sent = Some(ctx.clock);
        let to = p.node;
        let msg = Msg::Append {
            term: self.term,
            prev_index,
            prev_term: self.log.term_at(prev_index),
            entries,
            commit: self.commit,
            last: self.log.len() as u64,
        };
        out.send(to, msg);
    }

    fn on_write(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, op: OpId, key: Key, value: Value, deleted: bool) {
        let e = Entry { term: self.term, key, value, deleted, op, stamp: ctx.clock, appended_at: ctx.now };
        let live = e.live();
        self.log.push(e);
        self.persist();
        let index = self.last();
        self.kv.insert(key, (live, index));
        // A leader applies what it writes at once.
        self.applied = index;
        for i in 0..self.progress.len() {
            if self.progress[i].next == index {
                self.send_append(ctx, out, i);
            }
        }
        self.pending.insert(index, Pending { op, since: ctx.clock });
        self.serve_waiting(out);
        self.maybe_arm_timeout(ctx, out);
        self.maybe_commit(ctx, out);
    }

    fn semi_sync_timeout(&self) -> Option<Dur> {
        match &self.cfg.ack {
            AckPolicy::SemiSync(SemiSync { timeout_ms: Some(t), .. }) => Some(from_ms(*t).max(1)),
            _ => None,
        }
    }

    fn maybe_arm_timeout(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let Some(timeout) = self.semi_sync_timeout() else { return };
        if self.timeout_armed || self.fallback {
            return;
        }
        if let Some((&index, p)) = self.pending.iter().next() {
            let left = (p.since + timeout).saturating_sub(ctx.clock).max(1);
            out.set_timer(Timer::SemiSyncTimeout(index), left, left);
            self.timeout_armed = true;
        }
    }

    fn follower_acks(&self, ctx: &Ctx) -> Vec<FollowerAck> {
        let window = 3 * self.cfg.heartbeat();
        self.progress
            .iter()
            .map(|p| FollowerAck {
                node: p.node,
                matched: p.matched,
                connected: p.last_heard.is_some_and(|h| ctx.clock.saturating_sub(h) <= window),
            })
            .collect()
    }

    fn maybe_commit(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        if self.role != Role::Leader {
            return;
        }
        let acks = self.follower_acks(ctx);
        let by_policy = commit_point(&self.cfg.ack, self.last(), &acks, &self.priority());
        if self.fallback && by_policy == self.last() {
            self.fallback = false;
            out.note(Note::SemiSyncRestored { node: self.id });
        }
        let point = if self.fallback { self.last() } else { by_policy };
        if point > self.commit {
            self.commit = point;
        }
        if self.cfg.visibility == Visibility::Commit {
            self.advance_committed();
            self.serve_waiting(out);
        }
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > self.commit {
                break;
            }
            // An armed timeout that watched this write re-arms for the next one when it fires.
            let (index, p) = entry.remove_entry();
            out.ok_fenced(p.op, vec![], vec![index], self.epoch());
        }
    }

    fn on_semi_sync_timeout(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, index: u64) {
        self.timeout_armed = false;
        if self.role != Role::Leader || self.fallback {
            return;
        }
        let Some(timeout) = self.semi_sync_timeout() else { return };
        match self.pending.iter().next() {
            Some((&oldest, p)) if oldest <= index || ctx.clock >= p.since + timeout => {
                self.fallback = true;
                out.note(Note::SemiSyncFallback { node: self.id, timeout });
                self.maybe_commit(ctx, out);
            }
            Some(_) => self.maybe_arm_timeout(ctx, out),
            None => {}
        }
    }

    /// A message from leader `from` of `term`: follow it (adopting its term) and hear from it.
    fn follow(&mut self, from: NodeId, term: u64, out: &mut Out<Msg, Timer>) {
        if term > self.term || self.role != Role::Follower || self.leader != Some(from) {
            if self.cfg.fencing.terms {
                self.observe_term(term);
            } else {
                self.term = term;
            }
            self.become_follower(Some(from), out);
            // What matched the previous leader's log says nothing about this one's.
            self.leader_match = 0;
            self.acked = 0;
        }
        self.suspected = false;
        self.arm_detector(out);
    }

    fn on_append(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        (term, prev_index, prev_term, entries, commit, leader_last): (u64, u64, u64, Vec<Entry>, u64, u64),
    ) {
        if self.is_coordinator() {
            return;
        }
        if term < self.term && self.cfg.fencing.terms {
            // Fencing by term: a deposed leader is refused.
            out.note(Note::Fenced { node: self.id, from, term, current: self.term });
            out.send(from, Msg::AppendResp { term: self.term, success: false, index: self.last() });
            return;
        }
        self.follow(from, term, out);
        if prev_index > self.last() {
            out.send(from, Msg::AppendResp { term: self.term, success: false, index: self.last() });
            return;
        }
        if self.term_at(prev_index) != prev_term {
            // Skip back over the whole conflicting term in one round trip.
            let t = self.term_at(prev_index);
            let mut i = prev_index - 1;
            while i > 0 && self.term_at(i) == t {
                i -= 1;
            }
            out.send(from, Msg::AppendResp { term: self.term, success: false, index: i });
            return;
        }
        let mut truncated = false;
        let matched = prev_index + entries.len() as u64;
        for (j, e) in entries.into_iter().enumerate() {
            let idx = prev_index + 1 + j as u64;
            if (idx as usize) <= self.log.base() {
                // Inside the compacted prefix: committed here, never rewritten.
                continue;
            }
            if idx <= self.last() {
                if self.term_at(idx) == e.term {
                    continue;
                }
                let discarded = self.log.split_off(idx as usize - 1);
                self.durable_len = self.durable_len.min(self.log.len());
                self.clamp_to_log();
                truncated = true;
                let ops = discarded.iter().map(|d| d.op).collect();
                out.note(Note::Discarded { node: self.id, ops, how: Discard::Suffix { index: idx, term } });
            }
            if self.cfg.apply_delay() == 0 {
                self.kv.insert(e.key, (e.live(), idx));
            }
            self.log.push(e);
        }
        // Entries beyond the end of the leader's log that an older term wrote can never be
        // committed: discard them now (MongoDB's rollback, pg_rewind) rather than serve them.
        if matched == leader_last && self.last() > leader_last {
            // (The compacted prefix is every node's, so never stale.)
            let from = (leader_last as usize).max(self.log.base());
            let stale = self.log[from..].iter().all(|e| e.term < term);
            if stale {
                let discarded = self.log.split_off(from);
                self.durable_len = self.durable_len.min(self.log.len());
                self.clamp_to_log();
                truncated = true;
                let ops = discarded.iter().map(|d| d.op).collect();
                out.note(Note::Discarded { node: self.id, ops, how: Discard::Beyond { after: leader_last, term } });
            }
        }
        if truncated {
            self.rebuild_kv();
        }
        self.persist();
        self.queue_apply(ctx, out);
        self.serve_waiting(out);
        self.commit = self.commit.max(commit.min(matched));
        self.leader_match = self.leader_match.max(matched);
        let index = self.ack_index(matched);
        self.acked = self.acked.max(index);
        out.send(from, Msg::AppendResp { term: self.term, success: true, index });
    }

    fn on_append_resp(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        term: u64,
        success: bool,
        index: u64,
    ) {
        if term > self.term && self.cfg.fencing.terms {
            out.note(Note::StepDownTerm { node: self.id, term, from });
            self.observe_term(term);
            self.become_follower(None, out);
            return;
        }
        if self.role != Role::Leader || (term < self.term && self.cfg.fencing.terms) {
            return;
        }
        let Some(i) = self.progress.iter().position(|p| p.node == from) else { return };
        let last = self.last();
        let hb = self.cfg.heartbeat();
        let p = &mut self.progress[i];
        p.last_heard = Some(ctx.clock);
        if success {
            p.matched = p.matched.max(index.min(last));
            if p.next <= p.matched {
                p.next = p.matched + 1;
            }
            let drained = p.next - 1 == p.matched;
            let behind = p.next <= last;
            self.maybe_commit(ctx, out);
            if drained && behind {
                self.send_append(ctx, out, i);
            }
        } else if ctx.clock >= p.retry_after && index + 1 < p.next {
            p.next = index + 1;
            p.matched = p.matched.min(index);
            p.retry_after = ctx.clock + hb;
            if (index as usize) < self.log.base() {
                // The follower's log ends inside what this leader has compacted.
                self.send_snapshot(ctx, out, i);
            } else {
                self.send_append(ctx, out, i);
            }
        }
    }

    fn send_snapshot(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, i: usize) {
        let base = self.log.base() as u64;
        let p = &mut self.progress[i];
        p.next = base + 1;
        p.last_sent = Some(ctx.clock);
        let to = p.node;
        let data = self.log.base_kv().iter().map(|(&k, &(v, pos))| (k, v, pos)).collect();
        out.send(
            to,
            Msg::Snapshot { term: self.term, base, terms: self.log.terms().to_vec(), data, commit: self.commit },
        );
    }

    /// A follower installs the leader's compacted prefix in place of its own log (which ends
    /// before it, or differs from it).
    #[allow(clippy::too_many_arguments)]
    fn on_snapshot(
        &mut self,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        term: u64,
        base: u64,
        terms: Vec<(u64, u64)>,
        data: Vec<(Key, Option<Value>, u64)>,
        commit: u64,
    ) {
        if self.is_coordinator() || (term < self.term && self.cfg.fencing.terms) {
            return;
        }
        self.follow(from, term, out);
        let snapshot =
            Log::from_snapshot(base as usize, terms, data.into_iter().map(|(k, v, pos)| (k, (v, pos))).collect());
        if self.last() < base || self.term_at(base) != snapshot.term_at(base) {
            // Entries that end on the snapshot's term at their position are the snapshot's own
            // (log matching); otherwise they diverge and go.
            let own = self.log.entries().len();
            let matches = self.last() <= base && self.term_at(self.last()) == snapshot.term_at(self.last());
            if own > 0 && !matches {
                let ops = self.log.entries().iter().map(|d| d.op).collect();
                out.note(Note::Discarded { node: self.id, ops, how: Discard::Snapshot { from, base } });
            }
            self.log = snapshot;
            self.durable_len = base as usize;
            self.applied = base;
            self.apply_queue.clear();
            self.rebuild_kv();
            self.committed_kv = self.kv.clone();
            self.committed_len = base;
            self.clamp_to_log();
            self.serve_waiting(out);
        }
        self.commit = self.commit.max(commit.min(base));
        self.leader_match = self.leader_match.max(base);
        let index = self.ack_index(base);
        self.acked = self.acked.max(index);
        out.send(from, Msg::AppendResp { term: self.term, success: true, index });
    }

    fn on_heartbeat(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        if self.role != Role::Leader {
            return;
        }
        if !self.lease_holds(ctx) {
            out.note(Note::LeaseExpired { node: self.id });
            self.become_follower(None, out);
            return;
        }
        let hb = self.cfg.heartbeat();
        for i in 0..self.progress.len() {
            let p = &mut self.progress[i];
            // (A send stamped in the future means the clock was set back: resend rather than
            // wait for the clock to catch up.)
            let quiet = p.last_sent.is_none_or(|s| s > ctx.clock || ctx.clock - s >= hb);
            if quiet {
                // Retransmit from the last confirmed position (or just say we are alive).
                p.next = p.matched + 1;
                self.send_append(ctx, out, i);
            }
        }
        out.set_timer(Timer::Heartbeat, hb, hb);
        self.maybe_commit(ctx, out);
    }

    fn on_request(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, req: Request) {
        let not_leader = FailReason::NotLeader { hint: self.leader.filter(|&l| l != self.id) };
        if self.is_coordinator() {
            out.fail(req.op, FailReason::Unavailable { why: "the coordinator holds no data".into() });
            return;
        }
        match req.kind {
            OpKind::Read { key } => {
                let need = req.min_version.first().copied().unwrap_or(0);
                let visible = self.visible_len();
                if req.require_leader && self.role != Role::Leader {
                    out.fail(req.op, not_leader);
                } else if need > visible {
                    match req.behind {
                        Behind::Wait => self.waiting.push((need, req.op, key)),
                        Behind::Redirect => {
                            out.fail(req.op, FailReason::Behind { have: vec![visible], need: vec![need] })
                        }
                    }
                } else {
                    out.ok_fenced(req.op, self.read(key).into_iter().collect(), vec![visible], self.epoch());
                }
            }
            OpKind::Increment { .. } | OpKind::Add { .. } | OpKind::Remove { .. } => out.fail(
                req.op,
                FailReason::Unavailable {
                    why: format!(
                        "k{} is a register: a single leader orders every write, so there is nothing to merge",
                        req.kind.key()
                    ),
                },
            ),
            OpKind::Write { key, value } | OpKind::Delete { key, value } => {
                let deleted = matches!(req.kind, OpKind::Delete { .. });
                if self.role == Role::Leader && !self.lease_holds(ctx) {
                    out.note(Note::LeaseExpired { node: self.id });
                    self.become_follower(None, out);
                    out.fail(req.op, FailReason::NotLeader { hint: None });
                } else if self.role == Role::Leader {
                    self.on_write(ctx, out, req.op, key, value, deleted);
                } else {
                    out.fail(req.op, not_leader);
                }
            }
        }
    }
}

impl Protocol for LeaderFollowerNode {
    type Msg = Msg;
    type Timer = Timer;

    fn step(&mut self, ctx: &Ctx, input: Input<Msg, Timer>, out: &mut Out<Msg, Timer>) {
        match input {
            Input::Start => {
                // A restarted node replays its whole log.
                self.applied = self.last();
                self.apply_queue.clear();
                self.rebuild_kv();
                self.role = Role::Follower;
                self.suspected = false;
                if self.is_coordinator() {
                    if self.lock.is_none() {
                        self.lock = Some(LeaderLock {
                            holder: Some(self.cfg.leader),
                            epoch: 1,
                            expires: ctx.clock + self.ttl(),
                        });
                    }
                    self.leader = self.lock.as_ref().and_then(|l| l.holder);
                    return;
                }
                if let Some(every) = self.fsync_every {
                    out.set_timer(Timer::Flush, every, every);
                }
                let initial = self.log.is_empty() && self.term == 1;
                if self.cfg.coordinator().is_some() && self.leader == Some(self.id) && initial {
                    // The first leader starts with the lock the coordinator gave it.
                    self.lock_until = ctx.clock + self.ttl();
                }
                if self.leader == Some(self.id) && self.cfg.failover != Failover::Manual && !initial {
                    // With automatic failover a restarted leader rejoins as a follower: someone
                    // else may lead by now, and leadership must be won again.
                    self.set_leader(None);
                }
                if self.leader != Some(self.id) {
                    self.arm_detector(out);
                }
                if self.leader == Some(self.id) {
                    if initial {
                        self.become_leader(ctx, out);
                    } else {
                        // A leader back from a crash first learns the cluster's term from a
                        // majority: an operator may have promoted another node meanwhile.
                        self.set_leader(None);
                        self.last_leader = Some(self.id);
                        self.rejoining = Some(BTreeMap::new());
                        self.probe(out);
                    }
                }
            }
            Input::Message { from, msg } => match msg {
                Msg::Append { term, prev_index, prev_term, entries, commit, last } => {
                    self.on_append(ctx, out, from, (term, prev_index, prev_term, entries, commit, last))
                }
                Msg::AppendResp { term, success, index } => self.on_append_resp(ctx, out, from, term, success, index),
                Msg::Snapshot { term, base, terms, data, commit } => {
                    self.on_snapshot(out, from, term, base, terms, data, commit)
                }
                Msg::RequestVote { term, last_index, last_term } => {
                    self.on_request_vote(out, from, term, last_index, last_term)
                }
                Msg::Vote { term, granted } => self.on_vote(ctx, out, from, term, granted),
                Msg::LockRequest { term, .. } => {
                    if self.is_coordinator() {
                        self.on_lock_request(ctx, out, from, term)
                    }
                }
                Msg::LockReply { granted, holder, epoch } => self.on_lock_reply(ctx, out, granted, holder, epoch),
                Msg::Probe => {
                    let leader = self.leader.or((self.role == Role::Leader).then_some(self.id));
                    out.send(from, Msg::ProbeResp { term: self.term, leader });
                }
                Msg::ProbeResp { term, leader } => self.on_probe_resp(ctx, out, from, term, leader),
            },
            Input::Timer(Timer::ElectionTimeout) => self.on_election_timeout(ctx, out),
            Input::Timer(Timer::Lock) => self.on_lock_timer(ctx, out),
            Input::Timer(Timer::Heartbeat) => self.on_heartbeat(ctx, out),
            Input::Timer(Timer::Flush) => {
                self.durable_len = self.log.len();
                if let Some(every) = self.fsync_every {
                    out.set_timer(Timer::Flush, every, every);
                }
                self.maybe_ack(out);
            }
            Input::Timer(Timer::Apply) => self.on_apply_timer(ctx, out),
            Input::Timer(Timer::Probe) => {
                if self.rejoining.is_some() {
                    self.probe(out);
                }
            }
            Input::Timer(Timer::SemiSyncTimeout(index)) => self.on_semi_sync_timeout(ctx, out, index),
            Input::Request(req) => self.on_request(ctx, out, req),
            Input::Admin(Admin::Promote) => {
                if self.role != Role::Leader && !self.is_coordinator() {
                    self.rejoining = None;
                    self.term = self.own_term_above(self.term);
                    self.voted_for = None;
                    out.note(Note::Promoted { node: self.id, term: self.term, by: Promotion::Operator });
                    self.become_leader(ctx, out);
                }
            }
            Input::Admin(Admin::Demote) => {
                if self.role == Role::Leader {
                    self.become_follower(None, out);
                }
            }
        }
    }

    fn crash(&mut self) {
        self.waiting.clear();
        self.rejoining = None;
        self.log.truncate(self.durable_len);
        self.role = Role::Follower;
        self.votes.clear();
        self.suspected = false;
        self.commit = 0;
        self.kv.clear();
        self.applied = 0;
        self.apply_queue.clear();
        self.apply_armed = false;
        self.committed_kv.clear();
        self.committed_len = 0;
        self.leader_match = 0;
        self.acked = 0;
        self.progress.clear();
        self.pending.clear();
        self.timeout_armed = false;
        self.fallback = false;
    }

    fn view(&self) -> NodeView {
        let start = self.log.len().saturating_sub(8).max(self.log.base());
        let mut flags = Vec::new();
        if self.fallback {
            flags.push("semi-sync fell back to async".to_string());
        }
        if self.role == Role::Leader && !self.pending.is_empty() {
            flags.push(format!("{} writes waiting for acks", self.pending.len()));
        }
        if self.reads_committed() && self.committed_len < self.last() {
            flags.push(format!("reads see #{} (committed), not #{}", self.committed_len, self.last()));
        }
        if !self.reads_committed() && self.applied_len() < self.last() {
            flags.push(format!("applied through #{} of #{}", self.applied_len(), self.last()));
        }
        if let Some(lock) = &self.lock {
            flags.push(match lock.holder {
                Some(h) => format!("coordinator: lock held by n{h}, epoch {}", lock.epoch),
                None => "coordinator: lock free".to_string(),
            });
        }
        let summary = if self.is_coordinator() {
            "coordinator".to_string()
        } else {
            format!("log {} · commit {}", self.last(), self.commit)
        };
        NodeView {
            role: self.role,
            term: self.term,
            position: self.last(),
            commit: self.commit,
            summary,
            log_tail: self.log[start..]
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let index = (start + i) as u64 + 1;
                    LogEntryView { index, term: e.term, key: e.key, value: e.value, committed: index <= self.commit }
                })
                .collect(),
            data: self
                .visible()
                .iter()
                .map(|(&key, &(v, pos))| KeyView { key, values: v.into_iter().collect(), version: format!("#{pos}") })
                .collect(),
            flags,
        }
    }

    fn leader_hint(&self) -> Option<NodeId> {
        self.leader
    }

    fn role(&self) -> Role {
        self.role
    }

    fn term(&self) -> u64 {
        self.term
    }

    fn single_leader() -> bool {
        true
    }

    fn holds_data(&self) -> bool {
        !self.is_coordinator()
    }

    fn for_each_write(&self, f: &mut dyn FnMut(Key, Value)) {
        for (&k, &(v, _)) in self.log.base_kv() {
            if let Some(v) = v {
                f(k, v);
            }
        }
        for e in self.log.entries() {
            f(e.key, e.value);
        }
    }

    fn compact_logs(nodes: &mut [Self], before_op: OpId) {
        // What a node holds durably and has applied (and, a leader reading committed data, has
        // made visible: followers serve what they applied).
        let settled = |n: &Self| {
            let mut k = n.durable_len.min(n.applied_len() as usize).min(n.log.len());
            if n.reads_committed() {
                k = k.min(n.committed_len as usize);
            }
            k
        };
        let all: Vec<usize> = (0..nodes.len()).filter(|&i| !nodes[i].is_coordinator()).collect();
        // A node more than MAX_LOG_LAG entries behind the furthest (down, paused or cut off for
        // long) does not hold the others back: it gets a snapshot when it is back.
        let furthest = all.iter().map(|&i| settled(&nodes[i])).max().unwrap_or(0);
        let data: Vec<usize> = all.iter().copied().filter(|&i| settled(&nodes[i]) + MAX_LOG_LAG >= furthest).collect();
        let Some(&first) = data.first() else { return };
        let mut upto = data.iter().map(|&i| settled(&nodes[i])).min().unwrap_or(0);

        // …identically, and written by operations the history has already dropped.
        let base = nodes[first].log.base();
        if data.iter().any(|&i| nodes[i].log.base() != base) {
            return;
        }
        let mut k = base;
        while k < upto {
            let e = &nodes[first].log[k];
            if e.op >= before_op || data.iter().any(|&i| nodes[i].log[k] != *e) {
                break;
            }
            k += 1;
        }
        upto = k;
        for &i in &data {
            nodes[i].compact_log(upto);
        }
    }

    fn replication_lag(nodes: &[Self], up: &[bool], now: Time) -> Vec<Option<Lag>> {
        let leader = (0..nodes.len())
            .filter(|&i| up[i] && nodes[i].role == Role::Leader)
            .max_by_key(|&i| (nodes[i].term, std::cmp::Reverse(i)));
        let Some(l) = leader else { return vec![None; nodes.len()] };
        let lead = &nodes[l].log;
        nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                if i == l || !up[i] || node.is_coordinator() {
                    return None;
                }
                // Logs that agree on the term at a position agree on everything before it, so
                // the common prefix is found by binary search.
                let max = node.log.len().min(lead.len());
                // The compacted prefixes are common to every node.
                let (mut lo, mut hi) = (node.log.base().max(lead.base()).min(max), max);
                while lo < hi {
                    let mid = (lo + hi).div_ceil(2);
                    if node.log[mid - 1].term == lead[mid - 1].term && node.log[mid - 1].op == lead[mid - 1].op {
                        lo = mid;
                    } else {
                        hi = mid - 1;
                    }
                }
                let positions = (lead.len() - lo) as u64;
                // (A follower behind the leader's compacted prefix: at least as old as the oldest
                // entry the leader still lists.)
                let oldest = match positions {
                    0 => None,
                    _ if lo >= lead.base() => Some(&lead[lo]),
                    _ => lead.entries().first(),
                };
                let time = oldest.map_or(0, |e| now.saturating_sub(e.appended_at));
                Some(Lag { positions, time })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
