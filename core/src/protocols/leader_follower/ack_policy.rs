//! Where the leader's commit point stands under each acknowledgement policy.
//!
//! The commit point is the highest log position whose writes may be acknowledged to clients.
//! It is a pure function of the policy and what followers have confirmed, so it is tested as
//! a table.

use super::config::{AckPolicy, SemiSyncMode};
use crate::protocol::NodeId;

/// What the leader knows about one follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowerAck {
    pub node: NodeId,
    /// Highest position the follower confirmed.
    pub matched: u64,
    /// Heard from recently (counts for `FIRST k`, which skips disconnected standbys).
    pub connected: bool,
}

/// The commit point for `last` (the leader's own last position), given the followers' acks in
/// any order and, for `FIRST k`, the priority order.
pub fn commit_point(policy: &AckPolicy, last: u64, followers: &[FollowerAck], priority: &[NodeId]) -> u64 {
    let kth_highest = |k: usize| -> u64 {
        if k == 0 {
            return last;
        }
        let mut m: Vec<u64> = followers.iter().map(|f| f.matched).collect();
        crate::sort::sort_by(&mut m, |a, b| b.cmp(a));
        m.get(k - 1).copied().unwrap_or(0).min(last)
    };
    match policy {
        AckPolicy::Async => last,
        AckPolicy::Sync => followers.iter().map(|f| f.matched).min().unwrap_or(last).min(last),
        // (The implicit default is resolved against the set's members before this is asked;
        // unresolved, it is the majority it is without arbiters.)
        AckPolicy::Majority | AckPolicy::ImplicitDefault => {
            let cluster = followers.len() + 1;
            kth_highest(cluster / 2)
        }
        // (Writes that time out are acknowledged without being committed.)
        AckPolicy::Wait(w) => kth_highest(w.replicas),
        AckPolicy::SemiSync(s) => match s.mode {
            SemiSyncMode::Any => kth_highest(s.k),
            SemiSyncMode::First => {
                // The synchronous standbys are the first k connected ones in priority order; if
                // fewer than k are connected, the first k listed must answer.
                let find = |id: NodeId| followers.iter().find(|f| f.node == id);
                let mut set: Vec<&FollowerAck> =
                    priority.iter().filter_map(|&id| find(id)).filter(|f| f.connected).take(s.k).collect();
                if set.len() < s.k {
                    set = priority.iter().filter_map(|&id| find(id)).take(s.k).collect();
                }
                set.iter().map(|f| f.matched).min().unwrap_or(0).min(last)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::leader_follower::config::{SemiSync, Wait};

    fn f(node: NodeId, matched: u64, connected: bool) -> FollowerAck {
        FollowerAck { node, matched, connected }
    }

    fn semi(k: usize, mode: SemiSyncMode) -> AckPolicy {
        AckPolicy::SemiSync(SemiSync { k, mode, priority: None, timeout_ms: None })
    }

    #[test]
    fn table() {
        let acks = [f(1, 10, true), f(2, 7, true), f(3, 4, false), f(4, 9, true)];
        let prio = [3, 2, 1, 4];
        let cases: Vec<(&str, AckPolicy, u64)> = vec![
            ("async commits everything", AckPolicy::Async, 12),
            ("sync waits for the slowest", AckPolicy::Sync, 4),
            // Five nodes: a majority is the leader plus two followers.
            ("majority: second highest follower", AckPolicy::Majority, 9),
            ("any 1: the most advanced follower", semi(1, SemiSyncMode::Any), 10),
            ("any 3: third highest", semi(3, SemiSyncMode::Any), 7),
            // Node 3 is disconnected, so FIRST 2 uses nodes 2 and 1.
            ("first 2 skips the disconnected", semi(2, SemiSyncMode::First), 7),
            ("first 1 is node 2", semi(1, SemiSyncMode::First), 7),
            ("wait 2: second highest", AckPolicy::Wait(Wait { replicas: 2, timeout_ms: Some(1.0) }), 9),
        ];
        for (name, policy, want) in cases {
            assert_eq!(commit_point(&policy, 12, &acks, &prio), want, "{name}");
        }
    }

    #[test]
    fn first_k_waits_when_too_few_are_connected() {
        let acks = [f(1, 10, false), f(2, 7, false)];
        assert_eq!(commit_point(&semi(1, SemiSyncMode::First), 12, &acks, &[1, 2]), 10);
        assert_eq!(commit_point(&semi(2, SemiSyncMode::First), 12, &acks, &[1, 2]), 7);
    }

    #[test]
    fn a_single_node_commits_alone() {
        assert_eq!(commit_point(&AckPolicy::Sync, 5, &[], &[]), 5);
        assert_eq!(commit_point(&AckPolicy::Majority, 5, &[], &[]), 5);
    }
}
