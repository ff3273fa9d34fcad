//! Refusing writes without enough recent followers (Redis `min-replicas-to-write` with
//! `min-replicas-max-lag`): a leader that has heard from fewer than `count` followers within
//! `max_lag_ms` refuses each write with [`FailReason::NotEnoughReplicas`] (Redis answers
//! `NOREPLICAS`), so nothing is written. It keeps its role and serves reads, and accepts
//! writes again as soon as enough followers acknowledge. What a cut-off leader can still lose
//! is bounded by the lag limit: the writes it took before it noticed.
//!
//! A follower counts once the leader has heard from it in its current leadership, as Redis
//! counts only replicas that are online: a new leader refuses writes until its first
//! acknowledgement arrives.

use super::*;

impl LeaderFollowerNode {
    /// How many followers acknowledged within the lag limit, and how many are needed; `None`
    /// without `min_replicas`.
    fn good_replicas(&self, ctx: &Ctx) -> Option<(usize, usize)> {
        let m = self.cfg.min_replicas.as_ref()?;
        let lag = from_ms(m.max_lag_ms);
        let have = self
            .volatile
            .progress
            .iter()
            .filter(|p| p.last_heard.is_some_and(|h| ctx.clock.saturating_sub(h) <= lag))
            .count();
        Some((have, m.count))
    }

    /// A leader checks whether it may take writes; when that changes, it says so. Returns
    /// the refusal a write gets now, if any.
    pub(super) fn maybe_refuse_writes(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) -> Option<FailReason> {
        if self.volatile.role != Role::Leader {
            return None;
        }
        let (have, need) = self.good_replicas(ctx)?;
        let refuse = have < need;
        if refuse != self.volatile.refusing_writes {
            self.volatile.refusing_writes = refuse;
            out.note(if refuse {
                Note::WritesRefused { node: self.id, have, need }
            } else {
                Note::WritesResumed { node: self.id }
            });
        }
        refuse.then_some(FailReason::NotEnoughReplicas { have, need })
    }

    /// With `refuse_without_majority_ms` (Redis Cluster's node timeout): a leader that has not
    /// heard from a majority of the voters (itself, followers and arbiters) within the timeout
    /// refuses requests; when that changes, it says so. Returns the refusal a request gets now.
    pub(super) fn maybe_cluster_down(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) -> Option<FailReason> {
        let window = from_ms(self.cfg.refuse_without_majority_ms?);
        if self.volatile.role != Role::Leader {
            return None;
        }
        // A new leader counts everyone during its first window.
        let fresh = ctx.clock.saturating_sub(self.durable.leader_since) < window;
        let followers = self
            .volatile
            .progress
            .iter()
            .filter(|p| p.last_heard.is_some_and(|h| ctx.clock.saturating_sub(h) < window))
            .count();
        let heard = 1 + followers + self.arbiters_heard_within(ctx, window);
        let need = self.majority();
        let down = !fresh && heard < need;
        if down != self.volatile.cluster_down {
            self.volatile.cluster_down = down;
            out.note(if down {
                Note::ClusterDown { node: self.id, heard, need }
            } else {
                Note::ClusterUp { node: self.id }
            });
        }
        down.then_some(FailReason::ClusterDown { heard, need })
    }
}
