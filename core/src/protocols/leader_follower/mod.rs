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
//! flush vanish in a crash. A crash keeps the node's durable state (term, vote, the flushed
//! log, what it knew of leaders and of the coordinator's lock) and resets everything else —
//! role, commit index, applied data, the leader's progress and pending writes — to what a
//! freshly started node has, in one assignment. What the leader ships is the [`ShipPoint`]:
//! every entry it appended (default), so a follower may hold entries that the leader's crash
//! takes from the leader, and discard them when the leader is back; or, as PostgreSQL's
//! walsender does (it reads WAL only up to the primary's flush pointer), only entries durable
//! on the leader, so no follower ever holds what the leader's crash loses and shipping waits
//! for the leader's flush.
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
//! [`MinReplicas`] bounds what a cut-off leader accepts without deposing it (Redis
//! `min-replicas-to-write`): while fewer than `count` followers have acknowledged within the
//! lag limit, the leader refuses writes with a typed reason, keeps leading and serves reads.
//!
//! **Where things are.** This file: the node's state, its messages and timers, and the
//! [`Protocol`] entry point that routes each input. `election.rs`: terms, failure detection,
//! elections, stepping down, a returning leader's probe. `replication.rs`: appending, shipping,
//! acknowledging, committing, applying. `snapshot.rs`: catching up a follower from a snapshot.
//! `coordinator.rs`: the coordinator's lock and the leader lease. `min_replicas.rs`: refusing
//! writes without enough recent followers, or every request without a majority (Redis
//! Cluster). `read_concern.rs`: arbiters and `majority` / `linearizable` reads (MongoDB).
//! `sync_mode.rs`: Patroni's synchronous mode. `reads.rs`: client requests and what reads see.
//! `ack_policy.rs`: the commit point each acknowledgement policy allows. `log.rs`: the
//! compactable log. `config.rs`: the settings.

mod ack_policy;
mod config;
mod coordinator;
mod election;
mod log;
mod min_replicas;
mod monitor;
mod read_concern;
mod reads;
mod replication;
mod snapshot;
mod sync_mode;
mod wait;
pub use log::Log;

use crate::note::{Discard, Note, Promotion, Refusal};
use std::borrow::{Borrow, BorrowMut};
use std::collections::{BTreeMap, VecDeque};

pub use ack_policy::{commit_point, FollowerAck};
pub use config::{
    AckPolicy, Failover, Fencing, FollowerAckPoint, LeaderFollowerConfig, MinReplicas, Rejoin, SemiSync, SemiSyncMode,
    ShipPoint, SynchronousMode, Visibility, Wait,
};

use crate::protocol::MessageClass;
use crate::protocol::{
    Admin, Behind, Ctx, FailReason, Input, Key, Message, NodeId, OpId, OpKind, Out, Protocol, ReadConcern, Request,
    Value,
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
    /// From the monitor: what is your role and how far is your log?
    MonitorPing,
    /// The answer: the node's term, whether it leads, the leader it follows, and where its log
    /// ends (its replication offset).
    MonitorPong {
        term: u64,
        leading: bool,
        leader: Option<NodeId>,
        last_index: u64,
        last_term: u64,
    },
    /// From the monitor: lead, in `term`.
    MonitorPromote {
        term: u64,
    },
    /// From the monitor: follow `leader`, which leads `term`.
    MonitorFollow {
        leader: NodeId,
        term: u64,
    },
    /// The leader's heartbeat to an arbiter (which holds no log), with the end of its log.
    Ping {
        term: u64,
        last_term: u64,
        last_index: u64,
    },
    /// An arbiter's answer, with its term.
    Pong {
        term: u64,
    },
    /// Synchronous mode: the leader asks the coordinator to record its synchronous standby
    /// (none: it acknowledges writes alone).
    SyncSet {
        sync: Option<NodeId>,
    },
    /// The coordinator recorded it.
    SyncRecorded {
        sync: Option<NodeId>,
    },
    /// A leader asks its followers to confirm it still leads before it answers linearizable
    /// reads waiting for confirmation `round`.
    Confirm {
        term: u64,
        round: u64,
    },
    /// A follower's answer: its term, and the round it confirms.
    ConfirmResp {
        term: u64,
        round: u64,
    },
}

impl Message for Msg {
    fn class(&self) -> MessageClass {
        match self {
            Msg::Append { entries, .. } if entries.is_empty() => MessageClass::Heartbeat,
            Msg::Append { .. } | Msg::Snapshot { .. } => MessageClass::Data,
            Msg::AppendResp { success: true, .. } => MessageClass::Ack,
            Msg::AppendResp { success: false, .. } => MessageClass::Nack,
            _ => MessageClass::Other,
        }
    }

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
            Msg::MonitorPing => "role? offset?".into(),
            Msg::MonitorPong { leading: true, last_index, term, .. } => format!("leader t{term}, #{last_index}"),
            Msg::MonitorPong { last_index, .. } => format!("replica, #{last_index}"),
            Msg::MonitorPromote { term } => format!("promote, t{term}"),
            Msg::MonitorFollow { leader, term } => format!("follow n{leader} t{term}"),
            Msg::LockReply { granted: true, epoch, .. } => format!("lock granted e{epoch}"),
            Msg::LockReply { holder, .. } => match holder {
                Some(h) => format!("lock held by n{h}"),
                None => "lock free".into(),
            },
            Msg::Ping { term, .. } => format!("ping t{term}"),
            Msg::Pong { term } => format!("pong t{term}"),
            Msg::SyncSet { sync: Some(s) } => format!("/sync = n{s}"),
            Msg::SyncSet { sync: None } => "/sync = none".into(),
            Msg::SyncRecorded { sync: Some(s) } => format!("/sync n{s} recorded"),
            Msg::SyncRecorded { sync: None } => "/sync none recorded".into(),
            Msg::Confirm { round, .. } => format!("still leader? #{round}"),
            Msg::ConfirmResp { round, term } => format!("confirm #{round} t{term}"),
        }
    }
}

/// Timers of a leader-follower node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    Heartbeat,
    Flush,
    /// The oldest write waiting for acknowledgements with a timeout (semi-sync, or each
    /// write's own under `wait`), at this position.
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
    /// The monitor's round: ask every data node, and fail over if the leader is silent.
    Monitor,
}

/// The coordinator's leader lock.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LeaderLock {
    holder: Option<NodeId>,
    epoch: u64,
    /// On the coordinator's clock.
    expires: Time,
    /// Synchronous mode: the holder's synchronous standby (Patroni's `/sync` key).
    sync: Option<NodeId>,
    /// The end of the holder's log, as it last reported with a renewal (Patroni's leader
    /// optime in the DCS).
    leader_last: u64,
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

/// One node of the leader-follower family: its identity and settings, what survives a crash
/// (`Durable`) and what a crash wipes (`Volatile`).
#[derive(Clone, Debug)]
pub struct LeaderFollowerNode {
    id: NodeId,
    n: usize,
    cfg: LeaderFollowerConfig,
    /// Flush interval; `None`: every append is durable at once.
    fsync_every: Option<Dur>,
    durable: Durable,
    volatile: Volatile,
}

/// What survives a crash: the term and vote, the log up to what was flushed (a crash cuts the
/// log back to `flushed_len`), the coordinator's lock, and what the node knew of leaders and
/// of its own leadership and lock requests.
#[derive(Clone, Debug)]
struct Durable {
    term: u64,
    voted_for: Option<NodeId>,
    /// The coordinator's lock (coordinator node only).
    lock: Option<LeaderLock>,
    /// The leader this node last knew of (so a restarted leader resumes leading).
    leader: Option<NodeId>,
    /// The log; only its first `flushed_len` entries are on stable storage.
    log: Log,
    /// Length of the log prefix that survives a crash.
    flushed_len: usize,
    /// The last leader this node knew of (kept through elections, for STONITH).
    last_leader: Option<NodeId>,
    /// When this node last became leader (its clock).
    leader_since: Time,
    /// Coordinator mode: the lock is ours until then (our clock), and when we last asked.
    lock_until: Time,
    lock_asked: Time,
    /// Entries taken out of the log on rejoining, kept for reconciliation by hand
    /// (`rejoin: set_aside`).
    set_aside: Vec<Entry>,
}

/// What a crash wipes: a restarted node starts from `Volatile::default()` (a follower that has
/// committed and applied nothing; [`Input::Start`] then replays its log).
#[derive(Clone, Debug, Default)]
struct Volatile {
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
    /// A leader with `min_replicas` refuses writes: too few followers acknowledged recently.
    refusing_writes: bool,
    votes: Vec<NodeId>,
    /// The failure detector has fired since the leader was last heard.
    suspected: bool,
    /// A leader back from a crash under manual failover: it leads again only once a majority
    /// has told it their terms (the answers so far), and follows a newer leader if one exists.
    rejoining: Option<BTreeMap<NodeId, u64>>,
    /// Reads waiting for this replica to reach their session token: (position, op, key).
    waiting: Vec<(u64, OpId, Key)>,
    /// The monitor's picture of the cluster (monitor node only).
    monitor: monitor::MonitorState,
    /// Arbiter: the most up-to-date log end a leader told it of, (term, index); it votes only
    /// for candidates at least as up to date.
    known_position: (u64, u64),
    /// Leader with arbiters: when it last heard from each (its clock).
    arbiters_heard: BTreeMap<NodeId, Time>,
    /// Leader: the last confirmation round it started for linearizable reads, the reads
    /// waiting for their round (round, op, key), and the highest round each follower confirmed.
    read_round: u64,
    confirming: Vec<(u64, OpId, Key)>,
    confirmed: BTreeMap<NodeId, u64>,
    /// Synchronous mode, leader: the standby it asked the coordinator to record (outer
    /// `None`: nothing asked yet) and the one the coordinator recorded, which is the one that
    /// counts.
    sync_asked: Option<Option<NodeId>>,
    sync_recorded: Option<Option<NodeId>>,
    /// A leader with `refuse_without_majority_ms` refuses requests: no majority heard.
    cluster_down: bool,
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
            durable: Durable {
                term: 1,
                voted_for: None,
                lock: None,
                leader,
                log: Log::default(),
                flushed_len: 0,
                last_leader: leader,
                leader_since: 0,
                lock_until: 0,
                lock_asked: 0,
                set_aside: Vec::new(),
            },
            volatile: Volatile::default(),
        }
    }

    /// The fencing token clients see (0 when clients do not check tokens).
    fn epoch(&self) -> u64 {
        if self.cfg.fencing.clients {
            self.durable.term
        } else {
            0
        }
    }

    /// Whether this node is the failover coordinator (it holds no data).
    pub fn is_coordinator(&self) -> bool {
        self.cfg.coordinator() == Some(self.id)
    }

    /// Whether this node is an arbiter (it votes and holds no data).
    pub fn is_arbiter(&self) -> bool {
        self.cfg.is_arbiter(self.id)
    }

    /// Nodes that hold data (everyone but the coordinator and the arbiters).
    fn data_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        let c = self.cfg.coordinator();
        (0..self.n).filter(move |&i| Some(i) != c && !self.cfg.is_arbiter(i))
    }

    /// Nodes that vote in elections: the data nodes and the arbiters.
    fn voters(&self) -> impl Iterator<Item = NodeId> + '_ {
        let c = self.cfg.coordinator();
        (0..self.n).filter(move |&i| Some(i) != c)
    }

    /// A majority of the voters.
    fn majority(&self) -> usize {
        crate::protocol::majority(self.voters().count())
    }

    /// The acknowledgement policy in force (MongoDB's implicit default resolved).
    fn ack_policy(&self) -> AckPolicy {
        self.cfg.ack.resolve(self.data_nodes().count(), self.cfg.arbiters.len())
    }

    fn set_leader(&mut self, leader: Option<NodeId>) {
        if leader.is_some_and(|l| l != self.id) {
            // Following someone: a returning leader has learned who leads now.
            self.volatile.rejoining = None;
        }
        self.durable.leader = leader;
        if leader.is_some() {
            self.durable.last_leader = leader;
        }
    }

    pub fn role(&self) -> Role {
        self.volatile.role
    }
    pub fn term(&self) -> u64 {
        self.durable.term
    }
    /// The log's entries after its compacted prefix (all of them unless the simulator
    /// compacted it: see [`Log`]).
    pub fn log(&self) -> &[Entry] {
        self.durable.log.entries()
    }
    /// The whole log, compacted prefix included.
    pub fn full_log(&self) -> &Log {
        &self.durable.log
    }

    /// Compacts the first `upto` entries of the log (the simulator does this only for a prefix
    /// every node holds identically, durably and applied).
    pub fn compact_log(&mut self, upto: usize) {
        self.durable.log.compact(upto);
    }
    pub fn commit_index(&self) -> u64 {
        self.volatile.commit
    }
    /// Semi-sync has fallen back to async acknowledgement.
    pub fn in_fallback(&self) -> bool {
        self.volatile.fallback
    }
    /// The value this node would return for a read of `key`.
    pub fn read(&self, key: Key) -> Option<Value> {
        self.visible().get(&key).and_then(|&(v, _)| v)
    }

    /// The length of the applied prefix: the whole log, unless followers apply with a delay.
    pub fn applied_len(&self) -> u64 {
        if self.cfg.apply_delay() == 0 {
            self.last()
        } else {
            self.volatile.applied.min(self.last())
        }
    }

    fn last(&self) -> u64 {
        self.durable.log.len() as u64
    }

    fn term_at(&self, index: u64) -> u64 {
        self.durable.log.term_at(index)
    }
}

impl Protocol for LeaderFollowerNode {
    type Msg = Msg;
    type Timer = Timer;

    fn step(&mut self, ctx: &Ctx, input: Input<Msg, Timer>, out: &mut Out<Msg, Timer>) {
        match input {
            Input::Start => {
                // A restarted node replays its whole log.
                self.volatile.applied = self.last();
                self.volatile.apply_queue.clear();
                self.rebuild_kv();
                self.volatile.role = Role::Follower;
                self.volatile.suspected = false;
                if self.is_coordinator() && !self.cfg.uses_lock() {
                    self.start_monitor(ctx, out);
                    return;
                }
                if self.is_arbiter() {
                    return;
                }
                if self.is_coordinator() {
                    if self.durable.lock.is_none() {
                        self.durable.lock = Some(LeaderLock {
                            holder: Some(self.cfg.leader),
                            epoch: 1,
                            expires: ctx.clock + self.ttl(),
                            sync: None,
                            leader_last: 0,
                        });
                    }
                    self.durable.leader = self.durable.lock.as_ref().and_then(|l| l.holder);
                    return;
                }
                if let Some(every) = self.fsync_every {
                    out.set_timer(Timer::Flush, every, every);
                }
                let initial = self.durable.log.is_empty() && self.durable.term == 1;
                if self.cfg.uses_lock() && self.durable.leader == Some(self.id) && initial {
                    // The first leader starts with the lock the coordinator gave it.
                    self.durable.lock_until = ctx.clock + self.ttl();
                }
                if self.durable.leader == Some(self.id) && self.cfg.failover != Failover::Manual && !initial {
                    // With automatic failover a restarted leader rejoins as a follower: someone
                    // else may lead by now, and leadership must be won again.
                    self.set_leader(None);
                }
                if self.durable.leader != Some(self.id) {
                    self.arm_detector(out);
                }
                if self.durable.leader == Some(self.id) {
                    if initial {
                        self.become_leader(ctx, out);
                    } else {
                        // A leader back from a crash first learns the cluster's term from a
                        // majority: an operator may have promoted another node meanwhile.
                        self.set_leader(None);
                        self.durable.last_leader = Some(self.id);
                        self.volatile.rejoining = Some(BTreeMap::new());
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
                Msg::LockRequest { term, last_index } => {
                    if self.is_coordinator() {
                        self.on_lock_request(ctx, out, from, term, last_index)
                    }
                }
                Msg::LockReply { granted, holder, epoch } => self.on_lock_reply(ctx, out, granted, holder, epoch),
                Msg::Probe => {
                    let leader = self.durable.leader.or((self.volatile.role == Role::Leader).then_some(self.id));
                    out.send(from, Msg::ProbeResp { term: self.durable.term, leader });
                }
                Msg::ProbeResp { term, leader } => self.on_probe_resp(ctx, out, from, term, leader),
                Msg::MonitorPing => self.on_monitor_ping(out, from),
                Msg::MonitorPong { term, leading, leader, last_index, last_term } => {
                    self.on_monitor_pong(ctx, out, from, term, leading, leader, (last_index, last_term))
                }
                Msg::MonitorPromote { term } => self.on_monitor_promote(ctx, out, from, term),
                Msg::MonitorFollow { leader, term } => self.on_monitor_follow(out, from, leader, term),
                Msg::Ping { term, last_term, last_index } => self.on_ping(out, from, term, (last_term, last_index)),
                Msg::Pong { term } => self.on_pong(ctx, out, from, term),
                Msg::SyncSet { sync } => self.on_sync_set(out, from, sync),
                Msg::SyncRecorded { sync } => self.on_sync_recorded(ctx, out, sync),
                Msg::Confirm { term, round } => self.on_confirm(out, from, term, round),
                Msg::ConfirmResp { term, round } => self.on_confirm_resp(out, from, term, round),
            },
            Input::Timer(Timer::Monitor) => self.on_monitor_timer(ctx, out),
            Input::Timer(Timer::ElectionTimeout) => self.on_election_timeout(ctx, out),
            Input::Timer(Timer::Lock) => self.on_lock_timer(ctx, out),
            Input::Timer(Timer::Heartbeat) => self.on_heartbeat(ctx, out),
            Input::Timer(Timer::Flush) => self.on_flush(ctx, out),
            Input::Timer(Timer::Apply) => self.on_apply_timer(ctx, out),
            Input::Timer(Timer::Probe) => {
                if self.volatile.rejoining.is_some() {
                    self.probe(out);
                }
            }
            Input::Timer(Timer::SemiSyncTimeout(index)) => self.on_semi_sync_timeout(ctx, out, index),
            Input::Request(req) => self.on_request(ctx, out, req),
            Input::Admin(Admin::Promote) => {
                if self.volatile.role != Role::Leader && !self.is_coordinator() {
                    self.volatile.rejoining = None;
                    self.durable.term = self.own_term_above(self.durable.term);
                    self.durable.voted_for = None;
                    out.note(Note::Promoted { node: self.id, term: self.durable.term, by: Promotion::Operator });
                    self.become_leader(ctx, out);
                }
            }
            Input::Admin(Admin::Demote) => {
                if self.volatile.role == Role::Leader {
                    self.become_follower(None, out);
                }
            }
            // Followers repair from the leader's log on their own.
            Input::Admin(Admin::Repair) => {}
        }
    }

    fn crash(&mut self) {
        self.durable.log.truncate(self.durable.flushed_len);
        self.volatile = Volatile::default();
    }

    fn view(&self) -> NodeView {
        let start = self.durable.log.len().saturating_sub(8).max(self.durable.log.base());
        let mut flags = Vec::new();
        if self.volatile.fallback {
            flags.push("semi-sync fell back to async".to_string());
        }
        if !self.durable.set_aside.is_empty() {
            flags.push(format!("{} writes set aside for reconciliation by hand", self.durable.set_aside.len()));
        }
        if self.volatile.cluster_down {
            flags.push("cluster down: no majority heard within the node timeout".to_string());
        }
        if self.volatile.refusing_writes {
            flags.push("refuses writes: too few replicas acknowledged recently".to_string());
        }
        if self.volatile.role == Role::Leader && !self.volatile.pending.is_empty() {
            flags.push(format!("{} writes waiting for acks", self.volatile.pending.len()));
        }
        if self.reads_committed() && self.volatile.committed_len < self.last() {
            flags.push(format!("reads see #{} (committed), not #{}", self.volatile.committed_len, self.last()));
        }
        if !self.reads_committed() && self.applied_len() < self.last() {
            flags.push(format!("applied through #{} of #{}", self.applied_len(), self.last()));
        }
        if let Some(lock) = &self.durable.lock {
            flags.push(match lock.holder {
                Some(h) => format!("coordinator: lock held by n{h}, epoch {}", lock.epoch),
                None => "coordinator: lock free".to_string(),
            });
        }
        let summary = if self.is_coordinator() {
            "coordinator".to_string()
        } else if self.is_arbiter() {
            "arbiter (votes, holds no data)".to_string()
        } else {
            format!("log {} · commit {}", self.last(), self.volatile.commit)
        };
        NodeView {
            role: self.volatile.role,
            term: self.durable.term,
            position: self.last(),
            commit: self.volatile.commit,
            summary,
            log_tail: self.durable.log[start..]
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let index = (start + i) as u64 + 1;
                    LogEntryView {
                        index,
                        term: e.term,
                        key: e.key,
                        value: e.value,
                        committed: index <= self.volatile.commit,
                    }
                })
                .collect(),
            data: self
                .visible()
                .iter()
                .map(|(&key, &(v, pos))| KeyView {
                    key,
                    values: v.into_iter().collect(),
                    version: format!("#{pos}"),
                    conflicts: Vec::new(),
                })
                .collect(),
            flags,
        }
    }

    fn leader_hint(&self) -> Option<NodeId> {
        self.durable.leader
    }

    fn role(&self) -> Role {
        self.volatile.role
    }

    fn term(&self) -> u64 {
        self.durable.term
    }

    fn single_leader(&self) -> bool {
        true
    }

    fn holds_data(&self) -> bool {
        !self.is_coordinator() && !self.is_arbiter()
    }

    fn for_each_write(&self, f: &mut dyn FnMut(Key, Value)) {
        for (&k, &(v, _)) in self.durable.log.base_kv() {
            if let Some(v) = v {
                f(k, v);
            }
        }
        for e in self.durable.log.entries().iter().chain(&self.durable.set_aside) {
            f(e.key, e.value);
        }
    }

    /// The newest entries first: the write asked about is usually recent.
    fn holds_write(&self, key: Key, value: Value) -> bool {
        let log = &self.durable.log;
        log.base_kv().get(&key).is_some_and(|&(v, _)| v == Some(value))
            || log.entries().iter().rev().chain(&self.durable.set_aside).any(|e| (e.key, e.value) == (key, value))
    }

    fn compact_logs(nodes: &mut [Self], before_op: OpId, dropped: &mut dyn FnMut(Key, Value)) {
        Self::compact_logs_of(nodes, before_op, dropped)
    }

    fn replication_lag(nodes: &[Self], up: &[bool], now: Time, lags: &mut Vec<Option<Lag>>) {
        Self::replication_lag_of(nodes, up, now, lags)
    }
}

/// The cluster-wide operations, over the nodes or over references to them (as
/// [`crate::protocols::any::AnyNode`] holds them).
impl LeaderFollowerNode {
    pub(crate) fn compact_logs_of<N: BorrowMut<Self>>(
        nodes: &mut [N],
        before_op: OpId,
        dropped: &mut dyn FnMut(Key, Value),
    ) {
        // What a node holds durably and has applied (and, a leader reading committed data, has
        // made visible: followers serve what they applied).
        let settled = |n: &Self| {
            let mut k = n.durable.flushed_len.min(n.applied_len() as usize).min(n.durable.log.len());
            if n.reads_committed() {
                k = k.min(n.volatile.committed_len as usize);
            }
            k
        };
        let all: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].borrow().holds_data()).collect();
        // A node more than MAX_LOG_LAG entries behind the furthest (down, paused or cut off for
        // long) does not hold the others back: it gets a snapshot when it is back.
        let furthest = all.iter().map(|&i| settled(nodes[i].borrow())).max().unwrap_or(0);
        let data: Vec<usize> =
            all.iter().copied().filter(|&i| settled(nodes[i].borrow()) + MAX_LOG_LAG >= furthest).collect();
        let Some(&first) = data.first() else { return };
        let mut upto = data.iter().map(|&i| settled(nodes[i].borrow())).min().unwrap_or(0);

        // …identically, and written by operations the history has already dropped.
        let base = nodes[first].borrow().durable.log.base();
        if data.iter().any(|&i| nodes[i].borrow().durable.log.base() != base) {
            return;
        }
        let mut k = base;
        while k < upto {
            let e = &nodes[first].borrow().durable.log[k];
            if e.op >= before_op || data.iter().any(|&i| nodes[i].borrow().durable.log[k] != *e) {
                break;
            }
            k += 1;
        }
        upto = k;
        for &i in &data {
            // What the node stops listing: the compacted entries, and the values they replace
            // in the compacted prefix's data (the last of each key stays listed).
            let log = &nodes[i].borrow().durable.log;
            for e in log.entries().iter().take(upto.saturating_sub(log.base())) {
                dropped(e.key, e.value);
                if let Some(&(Some(v), _)) = log.base_kv().get(&e.key) {
                    dropped(e.key, v);
                }
            }
            nodes[i].borrow_mut().compact_log(upto);
        }
    }

    pub(crate) fn replication_lag_of<N: Borrow<Self>>(
        nodes: &[N],
        up: &[bool],
        now: Time,
        lags: &mut Vec<Option<Lag>>,
    ) {
        lags.clear();
        let leader = (0..nodes.len())
            .filter(|&i| up[i] && nodes[i].borrow().volatile.role == Role::Leader)
            .max_by_key(|&i| (nodes[i].borrow().durable.term, std::cmp::Reverse(i)));
        let Some(l) = leader else {
            lags.resize(nodes.len(), None);
            return;
        };
        let lead = &nodes[l].borrow().durable.log;
        lags.extend(nodes.iter().map(Borrow::borrow).enumerate().map(|(i, node): (usize, &Self)| {
            if i == l || !up[i] || !node.holds_data() {
                return None;
            }
            // Logs that agree on the term at a position agree on everything before it, so
            // the common prefix is found by binary search.
            let max = node.durable.log.len().min(lead.len());
            // The compacted prefixes are common to every node.
            let (mut lo, mut hi) = (node.durable.log.base().max(lead.base()).min(max), max);
            let agrees_up_to = |k: usize| {
                let (mine, theirs) = (&node.durable.log[k - 1], &lead[k - 1]);
                mine.term == theirs.term && mine.op == theirs.op
            };
            // A follower that has caught up (the usual case) agrees at its last position.
            if lo < hi && agrees_up_to(hi) {
                lo = hi;
            }
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                if agrees_up_to(mid) {
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
        }));
    }
}

#[cfg(test)]
mod tests;
