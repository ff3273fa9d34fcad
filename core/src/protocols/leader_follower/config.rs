//! Settings of the leader-follower family.

use serde::{Deserialize, Serialize};

use crate::protocol::NodeId;
use crate::time::{from_ms, Dur};

/// When the leader acknowledges a write to its client.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AckPolicy {
    /// As soon as the leader has it (PostgreSQL `synchronous_commit = local`, MySQL default).
    #[default]
    Async,
    /// When every follower has it (a write is as slow as the slowest follower and stalls
    /// while any follower is down).
    Sync,
    /// When a majority of the cluster (leader included) has it (MongoDB `w: "majority"`).
    Majority,
    /// When `k` followers have it.
    SemiSync(SemiSync),
    /// Each write on its own: when `replicas` followers have it or its own timeout has passed,
    /// whichever comes first (Redis `WAIT numreplicas timeout` after every write). A timeout
    /// is not an error: the write is acknowledged with the number of replicas it reached, and
    /// the next write waits again. Nothing switches to asynchronous replication.
    Wait(Wait),
    /// MongoDB's implicit default write concern (5.0 and later; "Implicit Default Write
    /// Concern" in the MongoDB manual's Default MongoDB Read Concerns/Write Concerns page):
    /// `majority`, unless the set has arbiters and its data-bearing voting members are not more
    /// than a majority of the voting members; then `w: 1` (async). A primary, a secondary and
    /// an arbiter (PSA) therefore acknowledge at once, and the default can lose writes.
    ImplicitDefault,
}

/// Redis `WAIT numreplicas timeout`, issued after every write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait {
    /// How many followers must hold the write (`numreplicas`).
    pub replicas: usize,
    /// How long each write waits at most, from when the leader appended it (`timeout`;
    /// without it, as with `WAIT n 0`, forever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<f64>,
}

impl AckPolicy {
    /// The policy in force in a set of `data` data-bearing voting members and `arbiters`
    /// arbiters: [`AckPolicy::ImplicitDefault`] resolved, every other policy as it is.
    pub fn resolve(&self, data: usize, arbiters: usize) -> AckPolicy {
        match self {
            AckPolicy::ImplicitDefault => {
                if arbiters > 0 && data <= crate::protocol::majority(data + arbiters) {
                    AckPolicy::Async
                } else {
                    AckPolicy::Majority
                }
            }
            other => other.clone(),
        }
    }
}

/// Which followers count for semi-synchronous acknowledgement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SemiSyncMode {
    /// Any `k` followers (PostgreSQL `ANY k (...)`, MySQL semi-sync).
    #[default]
    Any,
    /// The first `k` connected followers in priority order (PostgreSQL `FIRST k (...)`).
    First,
}

/// Semi-synchronous replication settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SemiSync {
    pub k: usize,
    #[serde(default)]
    pub mode: SemiSyncMode,
    /// Followers in priority order (default: all followers by id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Vec<NodeId>>,
    /// After waiting this long for acknowledgements, fall back to asynchronous replication
    /// and acknowledge (MySQL `rpl_semi_sync_source_timeout`, 10 s by default there). Without
    /// it, writes wait forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<f64>,
}

/// When a write becomes visible to reads on the leader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// As soon as the leader appends it, before any follower has acknowledged it: other clients
    /// can read a write that its own client is still waiting for, and that a failover may
    /// lose (MySQL semi-sync `AFTER_COMMIT`, MariaDB's default).
    #[default]
    Append,
    /// Once it is committed: the acknowledgement policy is satisfied (MySQL semi-sync
    /// `AFTER_SYNC`, MySQL's default). Nobody reads a write that could still be lost by a
    /// failover the policy protects against.
    Commit,
}

impl Visibility {
    fn is_default(&self) -> bool {
        *self == Visibility::default()
    }
}

/// When a follower acknowledges entries to the leader (what an acknowledged write guarantees
/// about the followers that count for the [`AckPolicy`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowerAckPoint {
    /// On receipt, before its node flushes them (PostgreSQL `synchronous_commit =
    /// remote_write`): with a periodic fsync, a follower whose node crashes loses entries it
    /// had acknowledged.
    #[default]
    Write,
    /// Once they are durable under the node's fsync setting (PostgreSQL `synchronous_commit =
    /// on`, MySQL semi-sync's relay log flush): with `fsync: every`, the acknowledgement waits
    /// for the next flush.
    Flush,
    /// Once they are durable and applied, that is visible to reads on that follower
    /// (PostgreSQL `synchronous_commit = remote_apply`): a client that reads there after its
    /// write was acknowledged sees it.
    Apply,
}

impl FollowerAckPoint {
    fn is_default(&self) -> bool {
        *self == FollowerAckPoint::default()
    }
}

/// Which entries the leader ships to its followers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipPoint {
    /// Every entry as soon as the leader appends it, flushed or not (MySQL's binlog dump
    /// thread with `sync_binlog = 0`, Redis): with a periodic fsync, a follower can hold
    /// entries that the leader's own crash then takes from the leader, and discard them when
    /// the leader is back.
    #[default]
    Append,
    /// Only entries durable on the leader under its node's fsync setting (PostgreSQL's
    /// walsender sends WAL up to the primary's flush pointer, so with `synchronous_commit =
    /// off` a commit acknowledged before its flush reaches no standby until it is flushed):
    /// no follower ever holds an entry the leader's crash loses. With `fsync: every`,
    /// shipping waits for the leader's next flush; with `fsync: always` this is the same as
    /// `append`.
    Flush,
}

impl ShipPoint {
    fn is_default(&self) -> bool {
        *self == ShipPoint::default()
    }
}

/// The leader refuses writes unless enough followers acknowledged recently (Redis
/// `min-replicas-to-write` and `min-replicas-max-lag`): a cut-off leader stops taking writes
/// that a failover would discard, but keeps its role and serves reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinReplicas {
    /// How many followers must have acknowledged within `max_lag_ms` (Redis
    /// `min-replicas-to-write`).
    pub count: usize,
    /// How recently, by the leader's clock (Redis `min-replicas-max-lag`, 10 s by default
    /// there).
    pub max_lag_ms: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// Settings of the leader-follower family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaderFollowerConfig {
    /// The initial leader.
    #[serde(default)]
    pub leader: NodeId,
    #[serde(default)]
    pub ack: AckPolicy,
    /// Interval of the leader's heartbeats (which also retransmit what a follower misses).
    #[serde(default = "default_heartbeat")]
    pub heartbeat_ms: f64,
    /// Most log entries in one replication message.
    #[serde(default = "default_batch")]
    pub batch: usize,
    /// How a new leader is chosen when the leader fails.
    #[serde(default)]
    pub failover: Failover,
    /// Nodes allowed to become leader by automatic failover (default: every data node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates: Option<Vec<NodeId>>,
    /// Defences against two leaders.
    #[serde(default)]
    pub fencing: Fencing,
    /// When the leader's reads see a write: on append (default) or once committed.
    #[serde(default, skip_serializing_if = "Visibility::is_default")]
    pub visibility: Visibility,
    /// When a follower acknowledges what it received: on receipt (default), once flushed, or
    /// once applied.
    #[serde(default, skip_serializing_if = "FollowerAckPoint::is_default")]
    pub follower_ack: FollowerAckPoint,
    /// Followers make received entries visible to their reads only this many milliseconds
    /// after receiving them (replay lag of a PostgreSQL standby; default 0: at once). A leader
    /// serves everything in its log (a promoted follower finishes applying first), and a
    /// restarted node applies its whole log at start.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub apply_delay_ms: f64,
    /// Which entries the leader ships: all it appended (default) or only those durable on it.
    #[serde(default, skip_serializing_if = "ShipPoint::is_default")]
    pub ship: ShipPoint,
    /// Refuse writes while fewer than this many followers acknowledged recently (default:
    /// never refuse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<MinReplicas>,
    /// What a node rejoining as a follower does with the entries the new leader lacks:
    /// discard them (default) or set them aside for reconciliation by hand.
    #[serde(default, skip_serializing_if = "Rejoin::is_default")]
    pub rejoin: Rejoin,
    /// How long the leader waits without hearing from a follower before it counts it as
    /// disconnected (PostgreSQL `wal_sender_timeout`, 60 s by default there): until then a
    /// `FIRST k` standby that died silently still counts as synchronous and commits wait for
    /// it. Default: three heartbeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_timeout_ms: Option<f64>,
    /// Arbiters: members that vote in elections and hold no data (MongoDB arbiters). They
    /// never lead, never acknowledge writes and serve no reads; the leader pings them with its
    /// heartbeats, so a leader that hears a majority of voters counts them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arbiters: Vec<NodeId>,
    /// Patroni's `synchronous_mode` (coordinator failover only): the leader keeps one
    /// synchronous standby, records it with the coordinator before it counts on it, and the
    /// coordinator gives the lock only to that standby or to the last leader (default: off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synchronous_mode: Option<SynchronousMode>,
    /// Patroni's `maximum_lag_on_failover`, in log entries (coordinator failover only): the
    /// coordinator refuses the lock to a follower more than this many entries behind the last
    /// position the leader reported with its lock renewals (default: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_lag_on_failover: Option<u64>,
    /// The leader refuses requests (reads and writes) while it has not heard from a majority
    /// of the voters, arbiters included, within this many milliseconds by its clock, and
    /// keeps its role (Redis Cluster: a master that cannot reach the majority of masters for
    /// `cluster-node-timeout` marks the cluster down and answers `CLUSTERDOWN`; default: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refuse_without_majority_ms: Option<f64>,
}

/// Patroni's synchronous mode.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynchronousMode {
    /// `synchronous_mode_strict`: with no standby left, the leader keeps waiting for one
    /// (writes block). Off: it records that it has no synchronous standby and acknowledges
    /// writes alone ("does not guarantee their replication"), and no follower may be promoted
    /// until a standby is synchronous again.
    #[serde(default)]
    pub strict: bool,
}

/// How a new leader is chosen.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Failover {
    /// Only an operator's `promote` command changes the leader.
    #[default]
    Manual,
    /// Raft-like election: a follower that hears no heartbeat within a random timeout from the
    /// range becomes a candidate for the next term; it needs votes from a majority, and a node
    /// votes only for a candidate whose log is at least as up to date as its own (MongoDB
    /// replica sets, Raft).
    Election {
        #[serde(default = "default_election_timeout")]
        timeout_ms: [f64; 2],
    },
    /// A follower that hears no heartbeat within the timeout promotes itself, asking nobody:
    /// simple, and exactly how split brain happens.
    Naive {
        #[serde(default = "default_naive_timeout")]
        timeout_ms: [f64; 2],
    },
    /// A leader lock with a time-to-live held by a coordinator node (Patroni with its DCS).
    /// The leader renews it every third of the TTL and demotes itself when it cannot; once it
    /// expires, the first eligible follower to ask takes it and is promoted.
    Coordinator {
        node: NodeId,
        #[serde(default = "default_ttl")]
        ttl_ms: f64,
    },
    /// An external monitor on `node`, which holds no data (Redis Sentinel, MySQL's
    /// orchestrator; the node stands for the monitors' own quorum, which authorizes a
    /// failover only on the side of a partition that holds a majority of them). It asks every
    /// data node for its role and log position once per heartbeat. When the leader has not
    /// answered for `down_after_ms`, it promotes the data node it can reach whose log is the
    /// most advanced (largest replication offset; among `candidates`; ties go to the lowest
    /// id) in the next term, and tells every other node to follow it. It does not fence the
    /// old leader: cut off, that one goes on serving the clients that reach it, and once the
    /// monitor reaches it again it is told to follow the new leader.
    Monitor {
        node: NodeId,
        #[serde(default = "default_down_after")]
        down_after_ms: f64,
    },
}

fn default_down_after() -> f64 {
    1_000.0
}

/// What a node rejoining as a follower does with the entries of its log that the new
/// leader lacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejoin {
    /// Throws them away (MongoDB's rollback into files nobody reads back, pg_rewind, a Redis
    /// replica's full resync): an acknowledged one is a lost write.
    #[default]
    Discard,
    /// Takes them out of its log and keeps them aside for reconciliation by hand (an
    /// operator who captured the old primary's binlog, as GitHub did in October 2018): they
    /// are in no replica's data, yet not lost, and each is named in a `set_aside` note.
    SetAside,
}

impl Rejoin {
    fn is_default(&self) -> bool {
        *self == Rejoin::default()
    }
}

fn default_election_timeout() -> [f64; 2] {
    [150.0, 300.0]
}

fn default_naive_timeout() -> [f64; 2] {
    [300.0, 400.0]
}

impl Failover {
    /// A Raft-like election with the default timeout range (what `{"election": {}}` means).
    pub fn election() -> Self {
        Failover::Election { timeout_ms: default_election_timeout() }
    }

    /// Naive self-promotion with the default timeout range (what `{"naive": {}}` means).
    pub fn naive() -> Self {
        Failover::Naive { timeout_ms: default_naive_timeout() }
    }
}

fn default_ttl() -> f64 {
    1_000.0
}

/// Defences against two nodes acting as leader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fencing {
    /// Fencing tokens: every message carries the leader's term; followers refuse appends from
    /// an older term and a leader that sees a newer term steps down. Off: followers obey
    /// whichever leader wrote last.
    #[serde(default = "yes")]
    pub terms: bool,
    /// Leader lease: a leader that has not heard from a majority within this many
    /// milliseconds (by its own clock) steps down and stops accepting writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_ms: Option<f64>,
    /// STONITH: a node promoted by failover powers off the leader it replaces.
    #[serde(default)]
    pub stonith: bool,
    /// Clients check fencing tokens too: every answer carries the leader's term, and a client
    /// that has seen a newer term refuses an acknowledgement from an older one (the write
    /// belongs to a deposed leader and will be rolled back).
    #[serde(default)]
    pub clients: bool,
}

fn yes() -> bool {
    true
}

impl Default for Fencing {
    fn default() -> Self {
        Fencing { terms: true, lease_ms: None, stonith: false, clients: false }
    }
}

fn default_heartbeat() -> f64 {
    50.0
}

fn default_batch() -> usize {
    64
}

impl Default for LeaderFollowerConfig {
    fn default() -> Self {
        LeaderFollowerConfig {
            leader: 0,
            ack: AckPolicy::Async,
            heartbeat_ms: default_heartbeat(),
            batch: default_batch(),
            failover: Failover::Manual,
            candidates: None,
            fencing: Fencing::default(),
            visibility: Visibility::Append,
            follower_ack: FollowerAckPoint::Write,
            apply_delay_ms: 0.0,
            ship: ShipPoint::Append,
            min_replicas: None,
            rejoin: Rejoin::Discard,
            sender_timeout_ms: None,
            arbiters: Vec::new(),
            synchronous_mode: None,
            maximum_lag_on_failover: None,
            refuse_without_majority_ms: None,
        }
    }
}

impl LeaderFollowerConfig {
    /// Checks the settings for a cluster of `n` nodes; errors name the field.
    pub fn validate(&self, n: usize) -> Result<(), (String, String)> {
        let err = |f: &str, m: String| Err((f.to_string(), m));
        // The node a coordinator or monitor failover runs on (it holds no data), and its time
        // setting in milliseconds.
        let data_free = |what: &str, node: NodeId, field: &str, ms: f64| -> Result<NodeId, (String, String)> {
            if node >= n {
                return Err((format!("failover.{what}.node"), format!("unknown node {node}")));
            }
            if node == self.leader {
                return Err((format!("failover.{what}.node"), format!("the {what} cannot also be the leader")));
            }
            if !(ms.is_finite() && (1.0..=3_600_000.0).contains(&ms)) {
                return Err((format!("failover.{what}.{field}"), format!("must be between 1 and 3600000, got {ms}")));
            }
            Ok(node)
        };
        if self.leader >= n {
            return err("leader", format!("unknown node {}; the cluster has nodes 0 to {}", self.leader, n - 1));
        }
        if !(self.heartbeat_ms.is_finite() && self.heartbeat_ms >= 0.1 && self.heartbeat_ms <= 600_000.0) {
            return err("heartbeat_ms", format!("must be between 0.1 and 600000, got {}", self.heartbeat_ms));
        }
        if self.batch == 0 || self.batch > 100_000 {
            return err("batch", format!("must be between 1 and 100000, got {}", self.batch));
        }
        let coordinator = match &self.failover {
            Failover::Coordinator { node, ttl_ms } => Some(data_free("coordinator", *node, "ttl_ms", *ttl_ms)?),
            Failover::Election { timeout_ms } | Failover::Naive { timeout_ms } => {
                let name = if matches!(self.failover, Failover::Election { .. }) { "election" } else { "naive" };
                let [lo, hi] = *timeout_ms;
                if !(lo.is_finite() && hi.is_finite() && lo >= 0.1 && hi >= lo && hi <= 3_600_000.0) {
                    return err(
                        &format!("failover.{name}.timeout_ms"),
                        format!("must be [min, max] with 0.1 <= min <= max, got [{lo}, {hi}]"),
                    );
                }
                None
            }
            Failover::Monitor { node, down_after_ms } => {
                Some(data_free("monitor", *node, "down_after_ms", *down_after_ms)?)
            }
            Failover::Manual => None,
        };
        if let Some(t) = self.sender_timeout_ms {
            if !((0.1..=3_600_000.0).contains(&t)) {
                return err("sender_timeout_ms", format!("must be between 0.1 and 3600000, got {t}"));
            }
        }
        if let Some(c) = &self.candidates {
            for (i, &x) in c.iter().enumerate() {
                if x >= n || Some(x) == coordinator {
                    return err(&format!("candidates[{i}]"), format!("node {x} cannot become leader"));
                }
            }
        }
        if let Some(l) = self.fencing.lease_ms {
            if !((0.1..=3_600_000.0).contains(&l)) {
                return err("fencing.lease_ms", format!("must be between 0.1 and 3600000, got {l}"));
            }
        }
        if !((0.0..=3_600_000.0).contains(&self.apply_delay_ms)) {
            return err("apply_delay_ms", format!("must be between 0 and 3600000, got {}", self.apply_delay_ms));
        }
        for (i, &a) in self.arbiters.iter().enumerate() {
            if a >= n || Some(a) == coordinator || a == self.leader || self.arbiters[..i].contains(&a) {
                return err(&format!("arbiters[{i}]"), format!("node {a} cannot be an arbiter"));
            }
            if self.candidates.as_ref().is_some_and(|c| c.contains(&a)) {
                return err(&format!("arbiters[{i}]"), format!("node {a} is also a candidate"));
            }
        }
        let followers = n.saturating_sub(1 + usize::from(coordinator.is_some()) + self.arbiters.len());
        if self.synchronous_mode.is_some() {
            if coordinator.is_none() {
                return err("synchronous_mode", "needs coordinator failover (Patroni keeps /sync in its DCS)".into());
            }
            if self.ack != AckPolicy::Async {
                return err("synchronous_mode", "decides when writes are acknowledged: leave ack at \"async\"".into());
            }
            if followers == 0 {
                return err("synchronous_mode", "needs at least one follower".into());
            }
        }
        if let Some(t) = self.refuse_without_majority_ms {
            if !((0.1..=3_600_000.0).contains(&t)) {
                return err("refuse_without_majority_ms", format!("must be between 0.1 and 3600000, got {t}"));
            }
        }
        if self.maximum_lag_on_failover.is_some() && coordinator.is_none() {
            return err("maximum_lag_on_failover", "needs coordinator failover".into());
        }
        if let Some(m) = &self.min_replicas {
            if m.count == 0 || m.count > followers {
                return err(
                    "min_replicas.count",
                    format!("must be between 1 and the number of followers ({followers}), got {}", m.count),
                );
            }
            if !((0.1..=3_600_000.0).contains(&m.max_lag_ms)) {
                return err(
                    "min_replicas.max_lag_ms",
                    format!("must be between 0.1 and 3600000, got {}", m.max_lag_ms),
                );
            }
        }
        if let AckPolicy::SemiSync(s) = &self.ack {
            if s.k == 0 || s.k > followers {
                return err(
                    "ack.semi_sync.k",
                    format!("must be between 1 and the number of followers ({followers}), got {}", s.k),
                );
            }
            if let Some(p) = &s.priority {
                for (i, &f) in p.iter().enumerate() {
                    if f >= n || Some(f) == coordinator || self.arbiters.contains(&f) {
                        return err(&format!("ack.semi_sync.priority[{i}]"), format!("unknown node {f}"));
                    }
                    if p[..i].contains(&f) {
                        return err(&format!("ack.semi_sync.priority[{i}]"), format!("node {f} is listed twice"));
                    }
                }
                if p.len() < s.k {
                    return err("ack.semi_sync.priority", format!("lists {} nodes, fewer than k = {}", p.len(), s.k));
                }
            }
            if let Some(t) = s.timeout_ms {
                if !((0.001..=3_600_000.0).contains(&t)) {
                    return err("ack.semi_sync.timeout_ms", format!("must be between 0.001 and 3600000, got {t}"));
                }
            }
        }
        if let AckPolicy::Wait(w) = &self.ack {
            if w.replicas == 0 || w.replicas > followers {
                return err(
                    "ack.wait.replicas",
                    format!("must be between 1 and the number of followers ({followers}), got {}", w.replicas),
                );
            }
            if let Some(t) = w.timeout_ms {
                if !((0.001..=3_600_000.0).contains(&t)) {
                    return err("ack.wait.timeout_ms", format!("must be between 0.001 and 3600000, got {t}"));
                }
            }
        }
        Ok(())
    }

    /// The followers' apply delay (0: entries are visible on receipt).
    pub(crate) fn apply_delay(&self) -> Dur {
        from_ms(self.apply_delay_ms)
    }

    pub(crate) fn heartbeat(&self) -> Dur {
        from_ms(self.heartbeat_ms).max(1)
    }

    /// Whether `node` is an arbiter (votes, holds no data).
    pub fn is_arbiter(&self, node: NodeId) -> bool {
        self.arbiters.contains(&node)
    }

    /// The node that holds no data because failover uses it (a coordinator or a monitor).
    pub fn coordinator(&self) -> Option<NodeId> {
        match self.failover {
            Failover::Coordinator { node, .. } | Failover::Monitor { node, .. } => Some(node),
            _ => None,
        }
    }

    /// Whether failover uses a coordinator's leader lock.
    pub(crate) fn uses_lock(&self) -> bool {
        matches!(self.failover, Failover::Coordinator { .. })
    }

    /// How long the leader waits without hearing from a follower before it counts it as
    /// disconnected.
    pub(crate) fn sender_timeout(&self) -> Dur {
        self.sender_timeout_ms.map_or(3 * self.heartbeat(), |t| from_ms(t).max(1))
    }
}
