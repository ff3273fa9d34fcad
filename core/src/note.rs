//! What a protocol says about what it just did, as data. The world counts notes by kind, reacts
//! to some (a discarded suffix makes it check for lost writes at once, a suspicion starts the
//! clock of a failover), and the playground lists conflict resolutions; each matches on the
//! variant. The text a person reads comes from `Display`, and nothing parses it back.

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::protocol::{Key, NodeId, OpId, Value};
use crate::time::{to_ms, Time};

/// One note, with the ids it is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Note {
    // Leader-follower: leadership.
    /// `node` leads `term`.
    Leader { node: NodeId, term: u64 },
    /// `node` asks for votes in `term`.
    Election { node: NodeId, term: u64 },
    /// `node` won `term` with `votes` votes.
    Elected { node: NodeId, term: u64, votes: usize },
    /// `node` promoted itself without asking anyone (naive failover).
    NaivePromotion { node: NodeId, term: u64 },
    /// `node` was promoted: by the operator, or by taking the coordinator's lock.
    Promoted { node: NodeId, term: u64, by: Promotion },
    /// `node` stopped hearing from its leader (`leader`, if it knew one).
    Suspect { node: NodeId, leader: Option<NodeId> },
    /// `node` stepped down from `term` with `unacked` writes not acknowledged.
    StepDown { node: NodeId, term: u64, unacked: usize },
    /// `node` saw a newer `term` from `from`.
    StepDownTerm { node: NodeId, term: u64, from: NodeId },
    /// `node` has not heard from a majority within its lease.
    LeaseExpired { node: NodeId },
    /// `node`, back from a crash, learned of `term` and follows.
    Rejoin { node: NodeId, term: u64 },
    /// `node` powers off `target`, the leader it replaces (STONITH).
    Stonith { node: NodeId, target: NodeId },
    /// The coordinator gave the leader lock to `to`.
    LockGranted { coordinator: NodeId, to: NodeId, epoch: u64 },
    /// `node` lost the leader lock: `holder` holds it, or (none) it could not renew in time.
    LockLost { node: NodeId, holder: Option<NodeId> },
    // Leader-follower: replication.
    /// `node` refused an append from `from` whose `term` is older than its own `current`.
    Fenced { node: NodeId, from: NodeId, term: u64, current: u64 },
    /// `node` threw away log entries (with the operations that wrote them).
    Discarded { node: NodeId, ops: Vec<OpId>, how: Discard },
    /// `node` gave up waiting for semi-synchronous acknowledgements after `timeout`.
    SemiSyncFallback { node: NodeId, timeout: Time },
    /// `node`'s followers caught up: semi-synchronous replication resumes.
    SemiSyncRestored { node: NodeId },
    // Multi-leader.
    /// `node` merged `origin`'s concurrent operation on `key` (what the key showed before and
    /// after, for people).
    Merge { node: NodeId, key: Key, origin: NodeId, operation: String, before: String, after: String },
    /// `node` dropped `dropped` (stamped `stamp` by `writer`) for `kept`, whose timestamp is later.
    LwwDiscard { node: NodeId, key: Key, dropped: Value, stamp: Time, writer: NodeId, kept: Value },
    /// `key` at `node` now has `values` concurrent values (siblings).
    Siblings { node: NodeId, key: Key, values: usize },
    /// `node` holds `origin`'s update of `key` until what it depends on arrives.
    CausalGap { node: NodeId, origin: NodeId, key: Key, op: OpId, missing: Vec<(NodeId, u64)> },
    // Leaderless.
    /// Operation `op` on `key` reached its quorum (`needed`) with the answers of `by`.
    Quorum { op: OpId, key: Key, read: bool, by: Nodes, needed: usize },
    /// `node` repairs `key` on `target` after a read.
    ReadRepair { node: NodeId, key: Key, target: NodeId },
    /// `intended` is silent: operation `op` writes `key` to `stand_in` with a hint.
    SloppyQuorum { op: OpId, key: Key, intended: NodeId, stand_in: NodeId },
    /// `node` received `key`, written while it was away, from `from`.
    HintedHandoff { node: NodeId, key: Key, from: NodeId, already_repaired: bool },
    /// Anti-entropy between `node` and `with` repaired `keys` keys.
    AntiEntropy { node: NodeId, with: NodeId, keys: usize },
    /// `node` purged the tombstone of `key` after the grace period.
    TombstonePurged { node: NodeId, key: Key },
    /// Deleted `values` of `key` came back at `node` after its tombstone was purged.
    Resurrected { node: NodeId, key: Key, values: Vec<Value> },
    // Added later, so appended: the trace hash covers each variant's position.
    // Leader-follower: refusing writes without enough recent followers.
    /// Leader `node` refuses writes: only `have` followers acknowledged within its lag limit,
    /// `need` are required (`min_replicas`). It keeps leading and serving reads.
    WritesRefused { node: NodeId, have: usize, need: usize },
    /// Leader `node` hears from enough followers again and accepts writes.
    WritesResumed { node: NodeId },
    /// Leader `node` acknowledged `op` when its own wait timed out (Redis `WAIT`), with
    /// `replicas` followers holding it of the `wanted`.
    WaitTimedOut { node: NodeId, op: OpId, replicas: usize, wanted: usize },
    /// `node`, rejoining as a follower, took out of its log the entries the new leader lacks
    /// and keeps them aside for reconciliation by hand (`rejoin: set_aside`): the writes of
    /// `ops` are in no replica's data, and not silently gone either.
    SetAside { node: NodeId, ops: Vec<OpId>, how: Discard },
    /// The monitor gave up on leader `from` and promotes `to` in `term`: of the data nodes it
    /// could reach, the one whose log was the most advanced, ending at `position`.
    MonitorFailover { monitor: NodeId, from: NodeId, to: NodeId, position: u64, term: u64 },
    // Multi-leader: revision trees.
    /// `key` at `node` has concurrent leaf revisions: a read returns `winner` (the same on
    /// every replica that has the same revisions), and `losers` stay as conflicts.
    Conflicts { node: NodeId, key: Key, winner: Value, losers: Vec<Value> },
    // Leader-follower: Patroni's synchronous mode and failover limits.
    /// The coordinator recorded `standby` as leader `node`'s synchronous standby (none: the
    /// leader acknowledges writes alone).
    SyncStandby { node: NodeId, standby: Option<NodeId> },
    /// The coordinator refused the leader lock to `candidate`.
    PromotionRefused { coordinator: NodeId, candidate: NodeId, why: Refusal },
    /// Leader `node` heard from only `heard` of the `need` voters it needs within its timeout:
    /// it refuses requests and keeps its role.
    ClusterDown { node: NodeId, heard: usize, need: usize },
    /// Leader `node` hears from a majority again and serves requests.
    ClusterUp { node: NodeId },
    // Leaderless: lightweight transactions (Paxos).
    /// Coordinator `node` lost the Paxos round of `op` on `key` to a higher ballot (held by
    /// `by`, the replica's promise, if a replica said so) and starts round `attempt` after a
    /// random pause.
    PaxosRetry { node: NodeId, op: OpId, key: Key, attempt: u32, by: Option<NodeId> },
    /// Coordinator `node`, preparing `op` on `key`, found `finished`'s proposal accepted but
    /// not committed, and completes it first (Paxos must: a majority may have chosen it).
    PaxosFinish { node: NodeId, op: OpId, key: Key, finished: OpId },
}

/// Why a coordinator refused to promote a follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// Synchronous mode: the candidate is not the recorded synchronous standby (nor the last
    /// leader), so it may miss acknowledged commits.
    NotSynchronous,
    /// The candidate is `behind` entries behind the leader's last reported position, more than
    /// the `max` allowed (`maximum_lag_on_failover`).
    Lagging { behind: u64, max: u64 },
}

/// A list of nodes that hashes the same on every platform: a derived `Hash` of a `Vec<usize>`
/// writes its elements as raw native-width words (8 bytes natively, 4 in WebAssembly), which
/// the stable trace hasher cannot widen; this writes each as a `u64`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nodes(pub Vec<NodeId>);

impl Hash for Nodes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.len() as u64);
        for &n in &self.0 {
            state.write_u64(n as u64);
        }
    }
}

/// How a promotion came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Promotion {
    Operator,
    Lock,
    /// By the failover monitor (Sentinel, orchestrator).
    Monitor,
}

/// Which entries a follower discarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Discard {
    /// From `index` on, which the leader of `term` does not have.
    Suffix { index: u64, term: u64 },
    /// After the leader's last entry `after`.
    Beyond { after: u64, term: u64 },
    /// Its whole log, replaced by `from`'s snapshot through `base`.
    Snapshot { from: NodeId, base: u64 },
}

/// The kind of a note: what reports count and the playground filters by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoteKind {
    Leader,
    Election,
    Elected,
    NaivePromotion,
    Promote,
    Suspect,
    StepDown,
    StepDownTerm,
    LeaseExpired,
    Rejoin,
    Stonith,
    LockGranted,
    LockLost,
    Fenced,
    Discarded,
    SemiSyncFallback,
    SemiSyncRestored,
    WritesRefused,
    WritesResumed,
    Merge,
    LwwDiscard,
    Conflict,
    CausalGap,
    Quorum,
    ReadRepair,
    SloppyQuorum,
    HintedHandoff,
    AntiEntropy,
    TombstonePurged,
    Resurrected,
    WaitTimedOut,
    SetAside,
    MonitorFailover,
    SyncStandby,
    PromotionRefused,
    ClusterDown,
    ClusterUp,
    PaxosRetry,
    PaxosFinish,
}

impl NoteKind {
    /// Every kind.
    pub const ALL: [NoteKind; 39] = [
        NoteKind::Leader,
        NoteKind::Election,
        NoteKind::Elected,
        NoteKind::NaivePromotion,
        NoteKind::Promote,
        NoteKind::Suspect,
        NoteKind::StepDown,
        NoteKind::StepDownTerm,
        NoteKind::LeaseExpired,
        NoteKind::Rejoin,
        NoteKind::Stonith,
        NoteKind::LockGranted,
        NoteKind::LockLost,
        NoteKind::Fenced,
        NoteKind::Discarded,
        NoteKind::SemiSyncFallback,
        NoteKind::SemiSyncRestored,
        NoteKind::WritesRefused,
        NoteKind::WritesResumed,
        NoteKind::Merge,
        NoteKind::LwwDiscard,
        NoteKind::Conflict,
        NoteKind::CausalGap,
        NoteKind::Quorum,
        NoteKind::ReadRepair,
        NoteKind::SloppyQuorum,
        NoteKind::HintedHandoff,
        NoteKind::AntiEntropy,
        NoteKind::TombstonePurged,
        NoteKind::Resurrected,
        NoteKind::WaitTimedOut,
        NoteKind::SetAside,
        NoteKind::MonitorFailover,
        NoteKind::SyncStandby,
        NoteKind::PromotionRefused,
        NoteKind::ClusterDown,
        NoteKind::ClusterUp,
        NoteKind::PaxosRetry,
        NoteKind::PaxosFinish,
    ];

    /// The kind with this snake_case name.
    pub fn from_name(name: &str) -> Option<NoteKind> {
        NoteKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The snake_case name reports and traces use.
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Leader => "leader",
            NoteKind::Election => "election",
            NoteKind::Elected => "elected",
            NoteKind::NaivePromotion => "naive_promotion",
            NoteKind::Promote => "promote",
            NoteKind::Suspect => "suspect",
            NoteKind::StepDown => "step_down",
            NoteKind::StepDownTerm => "step_down_term",
            NoteKind::LeaseExpired => "lease_expired",
            NoteKind::Rejoin => "rejoin",
            NoteKind::Stonith => "stonith",
            NoteKind::LockGranted => "lock_granted",
            NoteKind::LockLost => "lock_lost",
            NoteKind::Fenced => "fenced",
            NoteKind::Discarded => "discarded",
            NoteKind::SemiSyncFallback => "semi_sync_fallback",
            NoteKind::SemiSyncRestored => "semi_sync_restored",
            NoteKind::WritesRefused => "writes_refused",
            NoteKind::WritesResumed => "writes_resumed",
            NoteKind::Merge => "merge",
            NoteKind::LwwDiscard => "lww_discard",
            NoteKind::Conflict => "conflict",
            NoteKind::CausalGap => "causal_gap",
            NoteKind::Quorum => "quorum",
            NoteKind::ReadRepair => "read_repair",
            NoteKind::SloppyQuorum => "sloppy_quorum",
            NoteKind::HintedHandoff => "hinted_handoff",
            NoteKind::AntiEntropy => "anti_entropy",
            NoteKind::TombstonePurged => "tombstone_purged",
            NoteKind::Resurrected => "resurrected",
            NoteKind::WaitTimedOut => "wait_timed_out",
            NoteKind::SetAside => "set_aside",
            NoteKind::MonitorFailover => "monitor_failover",
            NoteKind::SyncStandby => "sync_standby",
            NoteKind::PromotionRefused => "promotion_refused",
            NoteKind::ClusterDown => "cluster_down",
            NoteKind::ClusterUp => "cluster_up",
            NoteKind::PaxosRetry => "paxos_retry",
            NoteKind::PaxosFinish => "paxos_finish",
        }
    }

    /// Notes that resolve a conflict or throw data away: the playground lists them.
    pub fn is_resolution(self) -> bool {
        matches!(
            self,
            NoteKind::Merge
                | NoteKind::LwwDiscard
                | NoteKind::Conflict
                | NoteKind::ReadRepair
                | NoteKind::Discarded
                | NoteKind::Resurrected
                | NoteKind::SetAside
        )
    }
}

impl fmt::Display for NoteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Note {
    /// The client operations the note is about.
    pub fn op_ids(&self) -> Vec<OpId> {
        match self {
            Note::Discarded { ops, .. } | Note::SetAside { ops, .. } => ops.clone(),
            Note::WaitTimedOut { op, .. } => vec![*op],
            Note::CausalGap { op, .. } | Note::Quorum { op, .. } | Note::SloppyQuorum { op, .. } => vec![*op],
            _ => Vec::new(),
        }
    }

    pub fn kind(&self) -> NoteKind {
        match self {
            Note::Leader { .. } => NoteKind::Leader,
            Note::Election { .. } => NoteKind::Election,
            Note::Elected { .. } => NoteKind::Elected,
            Note::NaivePromotion { .. } => NoteKind::NaivePromotion,
            Note::Promoted { .. } => NoteKind::Promote,
            Note::Suspect { .. } => NoteKind::Suspect,
            Note::StepDown { .. } => NoteKind::StepDown,
            Note::StepDownTerm { .. } => NoteKind::StepDownTerm,
            Note::LeaseExpired { .. } => NoteKind::LeaseExpired,
            Note::Rejoin { .. } => NoteKind::Rejoin,
            Note::Stonith { .. } => NoteKind::Stonith,
            Note::LockGranted { .. } => NoteKind::LockGranted,
            Note::LockLost { .. } => NoteKind::LockLost,
            Note::Fenced { .. } => NoteKind::Fenced,
            Note::Discarded { .. } => NoteKind::Discarded,
            Note::SemiSyncFallback { .. } => NoteKind::SemiSyncFallback,
            Note::SemiSyncRestored { .. } => NoteKind::SemiSyncRestored,
            Note::WritesRefused { .. } => NoteKind::WritesRefused,
            Note::WritesResumed { .. } => NoteKind::WritesResumed,
            Note::SyncStandby { .. } => NoteKind::SyncStandby,
            Note::PromotionRefused { .. } => NoteKind::PromotionRefused,
            Note::ClusterDown { .. } => NoteKind::ClusterDown,
            Note::ClusterUp { .. } => NoteKind::ClusterUp,
            Note::Merge { .. } => NoteKind::Merge,
            Note::LwwDiscard { .. } => NoteKind::LwwDiscard,
            Note::Siblings { .. } | Note::Conflicts { .. } => NoteKind::Conflict,
            Note::CausalGap { .. } => NoteKind::CausalGap,
            Note::Quorum { .. } => NoteKind::Quorum,
            Note::ReadRepair { .. } => NoteKind::ReadRepair,
            Note::SloppyQuorum { .. } => NoteKind::SloppyQuorum,
            Note::HintedHandoff { .. } => NoteKind::HintedHandoff,
            Note::AntiEntropy { .. } => NoteKind::AntiEntropy,
            Note::TombstonePurged { .. } => NoteKind::TombstonePurged,
            Note::Resurrected { .. } => NoteKind::Resurrected,
            Note::WaitTimedOut { .. } => NoteKind::WaitTimedOut,
            Note::SetAside { .. } => NoteKind::SetAside,
            Note::MonitorFailover { .. } => NoteKind::MonitorFailover,
            Note::PaxosRetry { .. } => NoteKind::PaxosRetry,
            Note::PaxosFinish { .. } => NoteKind::PaxosFinish,
        }
    }
}

fn ops(ops: &[OpId]) -> String {
    ops.iter().map(|op| format!("op{op}")).collect::<Vec<_>>().join(" ")
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Leader { node, term } => write!(f, "n{node} leads term {term}"),
            Note::Election { node, term } => write!(f, "n{node} asks for votes in term {term}"),
            Note::Elected { node, term, votes } => write!(f, "n{node} wins term {term} with {votes} votes"),
            Note::NaivePromotion { node, term } => {
                write!(f, "n{node} promotes itself to leader of term {term} without asking anyone")
            }
            Note::Promoted { node, term, by: Promotion::Operator } => {
                write!(f, "n{node} is promoted by the operator in term {term}")
            }
            Note::Promoted { node, term, by: Promotion::Lock } => {
                write!(f, "n{node} takes the leader lock and leads term {term}")
            }
            Note::Promoted { node, term, by: Promotion::Monitor } => {
                write!(f, "n{node} is promoted by the monitor and leads term {term}")
            }
            Note::Suspect { node, leader: Some(l) } => {
                write!(f, "n{node} has not heard from leader n{l}: suspects it failed")
            }
            Note::Suspect { node, leader: None } => write!(f, "n{node} has not heard from the leader: suspects it failed"),
            Note::StepDown { node, term, unacked } => {
                write!(f, "n{node} steps down in term {term}; {unacked} writes left unacknowledged")
            }
            Note::StepDownTerm { node, term, from } => {
                write!(f, "n{node} sees term {term} from n{from}: a newer leader exists")
            }
            Note::LeaseExpired { node } => {
                write!(f, "n{node} has not heard from a majority within its lease; stepping down")
            }
            Note::Rejoin { node, term } => {
                write!(f, "n{node} is back and learns of term {term}: it follows instead of leading")
            }
            Note::Stonith { node, target } => write!(f, "n{node} powers off n{target}, the leader it replaces"),
            Note::LockGranted { coordinator, to, epoch } => {
                write!(f, "coordinator n{coordinator} gives the leader lock to n{to} (epoch {epoch})")
            }
            Note::LockLost { node, holder: Some(h) } => write!(f, "n{node} learns n{h} holds the leader lock; demoting"),
            Note::LockLost { node, holder: None } => {
                write!(f, "n{node} could not renew the leader lock in time; demoting itself")
            }
            Note::Fenced { node, from, term, current } => {
                write!(f, "n{node} refuses an append from n{from}: term {term} is older than {current}")
            }
            Note::Discarded { node, ops: o, how: Discard::Suffix { index, term } } => write!(
                f,
                "n{node} discards {} entries from #{index} that the leader of term {term} does not have: {}",
                o.len(),
                ops(o)
            ),
            Note::Discarded { node, ops: o, how: Discard::Beyond { after, term } } => write!(
                f,
                "n{node} discards {} entries after #{after} that the leader of term {term} does not have: {}",
                o.len(),
                ops(o)
            ),
            Note::Discarded { node, ops: o, how: Discard::Snapshot { from, base } } => write!(
                f,
                "n{node} replaces its log by n{from}'s snapshot through #{base}, discarding {} entries: {}",
                o.len(),
                ops(o)
            ),
            Note::SemiSyncFallback { node, timeout } => write!(
                f,
                "n{node}: no acknowledgement from enough followers within {} ms; falling back to asynchronous replication",
                to_ms(*timeout)
            ),
            Note::SemiSyncRestored { node } => {
                write!(f, "n{node}: followers caught up; semi-synchronous replication resumes")
            }
            Note::WritesRefused { node, have, need } => write!(
                f,
                "n{node} refuses writes: {have} of the {need} replicas it needs acknowledged within the lag limit; it still leads and serves reads"
            ),
            Note::WritesResumed { node } => write!(f, "n{node} hears from enough replicas again and accepts writes"),
            Note::SyncStandby { node, standby: Some(s) } => {
                write!(f, "n{node}'s synchronous standby is n{s} (recorded with the coordinator)")
            }
            Note::SyncStandby { node, standby: None } => write!(
                f,
                "n{node} has no synchronous standby left and acknowledges writes alone; no follower may be promoted"
            ),
            Note::ClusterDown { node, heard, need } => write!(
                f,
                "n{node} heard from {heard} of the {need} voters it needs within its timeout: cluster down, it refuses requests"
            ),
            Note::ClusterUp { node } => write!(f, "n{node} hears from a majority again: cluster up"),
            Note::PromotionRefused { coordinator, candidate, why: Refusal::NotSynchronous } => write!(
                f,
                "coordinator n{coordinator} refuses the lock to n{candidate}: not the synchronous standby"
            ),
            Note::PromotionRefused { coordinator, candidate, why: Refusal::Lagging { behind, max } } => write!(
                f,
                "coordinator n{coordinator} refuses the lock to n{candidate}: {behind} entries behind the leader, more than {max}"
            ),
            Note::Merge { node, key, origin, operation, before, after } => {
                write!(f, "n{node}: k{key} merges n{origin}'s concurrent `{operation}`: {before} → {after}")
            }
            Note::LwwDiscard { node, key, dropped, stamp, writer, kept } => write!(
                f,
                "n{node} drops v{dropped} (k{key}, stamped {stamp} µs by n{writer}) for v{kept} with a later timestamp"
            ),
            Note::Siblings { node, key, values } => {
                write!(f, "n{node}: k{key} now has {values} concurrent values (siblings)")
            }
            Note::Conflicts { node, key, winner, losers } => {
                let vs: Vec<String> = losers.iter().map(|v| format!("v{v}")).collect();
                write!(
                    f,
                    "n{node}: k{key} has {} leaf revisions; reads return the winner v{winner}, and {} stay as conflicts",
                    losers.len() + 1,
                    vs.join(", ")
                )
            }
            Note::CausalGap { node, origin, key, op, missing } => {
                let missing: Vec<String> = missing.iter().map(|(o, d)| format!("n{o} #{d}")).collect();
                write!(
                    f,
                    "n{node} holds n{origin}'s update of k{key} (op{op}): its version vector says it depends on {} not yet here",
                    missing.join(", ")
                )
            }
            Note::Quorum { op, key, read, by, needed } => {
                let by: Vec<String> = by.0.iter().map(|n| format!("n{n}")).collect();
                if *read {
                    write!(f, "op{op}: read of k{key} answered by {} (R={needed})", by.join(", "))
                } else {
                    write!(f, "op{op}: write of k{key} acknowledged by {} (W={needed})", by.join(", "))
                }
            }
            Note::ReadRepair { node, key, target } => write!(f, "n{node}: read repair of k{key} on n{target}"),
            Note::SloppyQuorum { op, key, intended, stand_in } => {
                write!(f, "op{op}: n{intended} is silent; writing k{key} to n{stand_in} with a hint")
            }
            Note::HintedHandoff { node, key, from, already_repaired } => write!(
                f,
                "n{node} receives k{key}, written while it was away, from n{from}{}",
                if *already_repaired { " (already repaired)" } else { "" }
            ),
            Note::AntiEntropy { node, with, keys } => write!(f, "n{node}: anti-entropy with n{with} repaired {keys} keys"),
            Note::TombstonePurged { node, key } => {
                write!(f, "n{node}: the tombstone of k{key} is older than the grace period and is purged")
            }
            Note::WaitTimedOut { node, op, replicas, wanted } => write!(
                f,
                "n{node}: WAIT for op{op} timed out with {replicas} of {wanted} replicas; the write is acknowledged anyway"
            ),
            Note::SetAside { node, ops: o, how } => {
                let which = match how {
                    Discard::Suffix { index, term } => format!("from #{index} on (the leader of t{term} lacks them)"),
                    Discard::Beyond { after, term } => format!("after #{after} (the leader of t{term} ends there)"),
                    Discard::Snapshot { from, base } => format!("replaced by n{from}'s snapshot through #{base}"),
                };
                write!(f, "n{node} sets aside its entries {which} for reconciliation by hand: {}", ops(o))
            }
            Note::MonitorFailover { monitor, from, to, position, term } => write!(
                f,
                "monitor n{monitor}: leader n{from} is down; promoting n{to}, the most advanced replica it reaches (log at #{position}), in t{term}"
            ),
            Note::Resurrected { node, key, values } => {
                let vs: Vec<String> = values.iter().map(|v| format!("v{v}")).collect();
                write!(
                    f,
                    "n{node}: k{key} = {} is back: it was deleted, but the tombstone was purged after the grace period before every replica had seen it",
                    vs.join(", ")
                )
            }
            Note::PaxosRetry { node, op, key, attempt, by } => {
                let by = by.map(|b| format!(" (n{b} promised a higher one)")).unwrap_or_default();
                write!(f, "n{node}: op{op}'s Paxos round on k{key} lost to a higher ballot{by}; round {attempt} after a random pause")
            }
            Note::PaxosFinish { node, op, key, finished } => write!(
                f,
                "n{node}, preparing op{op}, found op{finished}'s proposal for k{key} accepted but not committed, and completes it first"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_name_and_is_found_by_it() {
        let mut names: Vec<&str> = NoteKind::ALL.iter().map(|k| k.as_str()).collect();
        for k in NoteKind::ALL {
            assert_eq!(NoteKind::from_name(k.as_str()), Some(k));
        }
        crate::sort::sort(&mut names);
        names.dedup();
        assert_eq!(names.len(), NoteKind::ALL.len(), "two kinds share a name");
        assert_eq!(NoteKind::from_name("no_such_note"), None);
    }

    #[test]
    fn a_note_reads_as_a_sentence_about_its_ids() {
        let n = Note::Discarded { node: 2, ops: vec![7, 9], how: Discard::Suffix { index: 4, term: 3 } };
        assert_eq!(n.kind(), NoteKind::Discarded);
        assert!(n.kind().is_resolution());
        assert_eq!(n.to_string(), "n2 discards 2 entries from #4 that the leader of term 3 does not have: op7 op9");
        let q = Note::Quorum { op: 5, key: 1, read: true, by: Nodes(vec![0, 2]), needed: 2 };
        assert_eq!(q.to_string(), "op5: read of k1 answered by n0, n2 (R=2)");
        assert!(!q.kind().is_resolution());
    }

    /// Notes enter the trace hash: they must hash the same natively and in WebAssembly, so
    /// node lists hash as 64-bit words, not as native-width ones.
    #[test]
    fn a_node_list_hashes_as_64_bit_words() {
        let mut a = crate::hash::StableHasher::default();
        Nodes(vec![1, 2]).hash(&mut a);
        let mut b = crate::hash::StableHasher::default();
        for w in [2u64, 1, 2] {
            b.write_u64(w);
        }
        assert_eq!(a.finish(), b.finish());
    }
}
