//! An external coordinator's leader lock (Patroni, Sentinel-like) and the leader lease:
//! who may lead, for how long, and when a leader must demote itself.

use super::*;

impl LeaderFollowerNode {
    pub(super) fn ttl(&self) -> Dur {
        match self.cfg.failover {
            Failover::Coordinator { ttl_ms, .. } => from_ms(ttl_ms).max(3),
            _ => 0,
        }
    }

    /// The coordinator answers a lock request.
    pub(super) fn on_lock_request(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        term: u64,
        last_index: u64,
    ) {
        let ttl = self.ttl();
        let eligible = self.eligible(from);
        let sync_mode = self.cfg.synchronous_mode.is_some();
        let max_lag = self.cfg.maximum_lag_on_failover;
        let me = self.id;
        let Some(lock) = self.durable.lock.as_mut() else { return };
        let expired = lock.holder.is_none() || ctx.clock >= lock.expires;
        if lock.holder == Some(from) && !expired {
            lock.expires = ctx.clock + ttl;
            lock.leader_last = lock.leader_last.max(last_index);
        } else if expired && eligible {
            // Patroni: only the last leader or the recorded synchronous standby may take part
            // in the race, and no member lagging more than `maximum_lag_on_failover`.
            let behind = lock.leader_last.saturating_sub(last_index);
            let refusal = if sync_mode && lock.holder != Some(from) && lock.sync != Some(from) {
                Some(Refusal::NotSynchronous)
            } else {
                max_lag.filter(|&max| behind > max).map(|max| Refusal::Lagging { behind, max })
            };
            if let Some(why) = refusal {
                out.note(Note::PromotionRefused { coordinator: me, candidate: from, why });
            } else {
                lock.epoch = lock.epoch.max(term) + 1;
                if lock.holder != Some(from) {
                    lock.sync = None;
                }
                lock.holder = Some(from);
                lock.expires = ctx.clock + ttl;
                lock.leader_last = last_index;
                out.note(Note::LockGranted { coordinator: me, to: from, epoch: lock.epoch });
            }
        }
        let holder = lock.holder;
        let reply = Msg::LockReply { granted: holder == Some(from), holder, epoch: lock.epoch };
        self.set_leader(holder);
        out.send(from, reply);
    }

    pub(super) fn on_lock_reply(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        granted: bool,
        holder: Option<NodeId>,
        epoch: u64,
    ) {
        if !granted {
            if self.volatile.role == Role::Leader && holder != Some(self.id) {
                out.note(Note::LockLost { node: self.id, holder: Some(holder.unwrap_or(self.id)) });
                self.become_follower(holder, out);
            }
            return;
        }
        if self.volatile.role == Role::Leader {
            self.durable.lock_until = self.durable.lock_asked + self.ttl();
        } else {
            self.durable.term = self.durable.term.max(epoch);
            self.durable.voted_for = None;
            self.durable.lock_until = self.durable.lock_asked + self.ttl();
            out.note(Note::Promoted { node: self.id, term: self.durable.term, by: Promotion::Lock });
            self.become_leader(ctx, out);
        }
    }

    /// Coordinator mode timer: a leader renews (and demotes itself if the lock ran out); a
    /// follower without a leader asks again.
    pub(super) fn on_lock_timer(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let Some(c) = self.cfg.coordinator() else { return };
        if self.volatile.role == Role::Leader {
            if ctx.clock >= self.durable.lock_until {
                out.note(Note::LockLost { node: self.id, holder: None });
                self.become_follower(None, out);
                return;
            }
        } else if !self.volatile.suspected || !self.eligible(self.id) {
            return;
        }
        self.durable.lock_asked = ctx.clock;
        out.send(c, Msg::LockRequest { term: self.durable.term, last_index: self.last() });
        out.set_timer(Timer::Lock, self.ttl() / 3, self.ttl() / 3);
    }

    /// With a lease: whether a majority has been heard from recently enough.
    pub(super) fn lease_holds(&self, ctx: &Ctx) -> bool {
        let Some(lease) = self.cfg.fencing.lease_ms.map(from_ms) else { return true };
        if ctx.clock.saturating_sub(self.durable.leader_since) < lease {
            return true;
        }
        let heard = self
            .volatile
            .progress
            .iter()
            .filter(|p| p.last_heard.is_some_and(|h| ctx.clock.saturating_sub(h) < lease))
            .count()
            + self.arbiters_heard_within(ctx, lease);
        heard + 1 >= self.majority()
    }
}
