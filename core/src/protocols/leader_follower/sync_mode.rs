//! Patroni's synchronous mode (`synchronous_mode`, `synchronous_mode_strict`).
//!
//! The leader keeps one synchronous standby: the follower it last chose while that one stays
//! connected, otherwise the first connected follower by id. Before it counts on a standby it
//! has the coordinator record it (Patroni's `/sync` key in the DCS), and a write is
//! acknowledged once the recorded standby has it. The coordinator gives the lock only to the
//! recorded standby or the last leader, so a failover never promotes a node that may miss an
//! acknowledged commit ("Patroni will not promote a standby unless it is certain that the
//! standby contains all transactions that may have returned a successful commit status").
//!
//! With no follower connected, the leader in the default mode records that it has no
//! synchronous standby and then acknowledges writes alone: it "will still accept writes, but
//! does not guarantee their replication", and no follower may be promoted until a standby is
//! synchronous again. In strict mode it keeps the standby it had and writes wait for it.
//! Writes wait, too, while a change of standby is being recorded.

use super::*;

impl LeaderFollowerNode {
    /// The standby the leader wants now (`None`: none, and the mode allows that).
    fn desired_sync(&self, ctx: &Ctx) -> Option<NodeId> {
        let window = 3 * self.cfg.heartbeat();
        let since = self.durable.leader_since;
        // A follower not heard from yet counts as connected during the first window.
        let connected = |p: &Progress| {
            p.last_heard.map_or(ctx.clock.saturating_sub(since) <= window, |h| ctx.clock.saturating_sub(h) <= window)
        };
        let current = self.volatile.sync_asked.flatten();
        if let Some(c) = current {
            if self.volatile.progress.iter().any(|p| p.node == c && connected(p)) {
                return Some(c);
            }
        }
        let first = self.volatile.progress.iter().filter(|p| connected(p)).map(|p| p.node).min();
        let strict = self.cfg.synchronous_mode.as_ref().is_some_and(|m| m.strict);
        match first {
            Some(f) => Some(f),
            None if strict => current.or_else(|| self.volatile.progress.iter().map(|p| p.node).min()),
            None => None,
        }
    }

    /// A leader in synchronous mode asks the coordinator to record the standby it wants (again
    /// on every heartbeat until the coordinator has recorded it).
    pub(super) fn maybe_update_sync(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        if self.cfg.synchronous_mode.is_none() || self.volatile.role != Role::Leader {
            return;
        }
        let Some(c) = self.cfg.coordinator() else { return };
        let want = self.desired_sync(ctx);
        if self.volatile.sync_asked != Some(want) || self.volatile.sync_recorded != Some(want) {
            self.volatile.sync_asked = Some(want);
            out.send(c, Msg::SyncSet { sync: want });
        }
    }

    /// The coordinator records the lock holder's synchronous standby.
    pub(super) fn on_sync_set(&mut self, out: &mut Out<Msg, Timer>, from: NodeId, sync: Option<NodeId>) {
        let Some(lock) = self.durable.lock.as_mut() else { return };
        if lock.holder != Some(from) {
            return;
        }
        lock.sync = sync;
        out.send(from, Msg::SyncRecorded { sync });
    }

    pub(super) fn on_sync_recorded(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, sync: Option<NodeId>) {
        if self.volatile.role != Role::Leader || self.volatile.sync_asked != Some(sync) {
            return;
        }
        if self.volatile.sync_recorded != Some(sync) {
            self.volatile.sync_recorded = Some(sync);
            out.note(Note::SyncStandby { node: self.id, standby: sync });
            self.maybe_commit(ctx, out);
        }
    }

    /// The commit point in synchronous mode: what the recorded standby has; everything with
    /// no standby recorded (the default mode); nothing new before a standby is recorded.
    pub(super) fn sync_commit_point(&self) -> u64 {
        match self.volatile.sync_recorded {
            Some(Some(s)) => {
                self.volatile.progress.iter().find(|p| p.node == s).map_or(0, |p| p.matched.min(self.last()))
            }
            Some(None) => self.last(),
            None => self.volatile.commit,
        }
    }
}
