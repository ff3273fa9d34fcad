//! Arbiters and read concerns (MongoDB).
//!
//! An **arbiter** votes in elections and holds no data: it never leads, never acknowledges a
//! write and serves no read. The leader pings the arbiters with its heartbeats, so a leader with
//! a lease counts the arbiters it hears from among the majority it needs, and an arbiter that
//! has seen a newer term answers with it, deposing the old leader. A ping carries the end of
//! the leader's log, and an arbiter votes only for a candidate whose log is at least as up to
//! date as the best it was told of (members learn each other's positions from heartbeats), so
//! a returning old leader cannot win an arbiter's vote with a log the new leader's writes are
//! missing from.
//!
//! A read's **read concern** says what it must be sure of:
//! - `local`: the node's own data (the default), which may hold writes a failover rolls back;
//! - `majority`: the leader answers from its majority commit point, the longest log prefix a
//!   majority of the voting members holds (arbiters count in the majority and never hold
//!   anything, so with MongoDB's "calculated majority" the data-bearing members must make it
//!   up). Nothing read this way is rolled back, but the majority point of a leader that is cut
//!   off stops moving, so its answers can be stale;
//! - `linearizable`: the leader starts a confirmation round and answers, from its majority
//!   commit point, once a majority of the voting members (the leader and data-bearing
//!   followers: an arbiter acknowledges no write, and MongoDB confirms with a majority-committed
//!   no-op write) has answered that round in its term. A cut-off old leader never gets there:
//!   the read waits until the leader steps down (it then fails, as MongoDB's does with a
//!   not-primary error) or until the client gives up (unknown outcome, harmless for a read).
//!
//! Both are served by the leader only; a follower refuses them as not the leader.

use super::*;

impl LeaderFollowerNode {
    /// A leader pings its arbiters (a heartbeat for members without a log).
    pub(super) fn ping_arbiters(&self, out: &mut Out<Msg, Timer>) {
        let (term, last_term, last_index) = (self.durable.term, self.last_term(), self.last());
        for &a in &self.cfg.arbiters {
            out.send(a, Msg::Ping { term, last_term, last_index });
        }
    }

    /// How many arbiters the leader heard from within `window` of now (its clock).
    pub(super) fn arbiters_heard_within(&self, ctx: &Ctx, window: Dur) -> usize {
        self.volatile.arbiters_heard.values().filter(|&&h| ctx.clock.saturating_sub(h) < window).count()
    }

    /// An arbiter hears from a leader: it follows a leader of its term or a newer one, and
    /// answers with its own term (a deposed leader learns of the newer term).
    pub(super) fn on_ping(&mut self, out: &mut Out<Msg, Timer>, from: NodeId, term: u64, position: (u64, u64)) {
        if !self.is_arbiter() {
            return;
        }
        if term >= self.durable.term {
            self.observe_term(term);
            self.set_leader(Some(from));
            self.volatile.known_position = self.volatile.known_position.max(position);
        }
        out.send(from, Msg::Pong { term: self.durable.term });
    }

    pub(super) fn on_pong(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, from: NodeId, term: u64) {
        if term > self.durable.term && self.cfg.fencing.terms {
            out.note(Note::StepDownTerm { node: self.id, term, from });
            self.observe_term(term);
            self.become_follower(None, out);
            return;
        }
        if self.volatile.role == Role::Leader && term == self.durable.term {
            self.volatile.arbiters_heard.insert(from, ctx.clock);
        }
    }

    /// The majority commit point: the longest prefix of the leader's log that a majority of
    /// the voting members holds (the leader included; arbiters hold nothing).
    pub(super) fn majority_point(&self) -> u64 {
        // Followers needed besides the leader.
        let need = self.majority() - 1;
        if need == 0 {
            return self.last();
        }
        let mut m: Vec<u64> = self.volatile.progress.iter().map(|p| p.matched).collect();
        crate::sort::sort_by(&mut m, |a, b| b.cmp(a));
        m.get(need - 1).copied().unwrap_or(0).min(self.last())
    }

    /// The value `key` held after the first `upto` entries of the log.
    pub(super) fn read_at(&self, key: Key, upto: u64) -> Option<Value> {
        let base = self.durable.log.base();
        let upto = (upto as usize).min(self.durable.log.len()).max(base);
        self.durable.log[base..upto]
            .iter()
            .rev()
            .find(|e| e.key == key)
            .map(|e| e.live())
            .unwrap_or_else(|| self.durable.log.base_kv().get(&key).and_then(|&(v, _)| v))
    }

    /// A read with a `majority` or `linearizable` read concern.
    pub(super) fn on_read_concern(
        &mut self,
        out: &mut Out<Msg, Timer>,
        op: OpId,
        key: Key,
        concern: ReadConcern,
        not_leader: FailReason,
    ) {
        if self.volatile.role != Role::Leader {
            out.fail(op, not_leader);
            return;
        }
        match concern {
            ReadConcern::Local | ReadConcern::Majority => {
                let point = self.majority_point();
                out.ok_fenced(op, self.read_at(key, point).into_iter().collect(), vec![point], self.epoch());
            }
            ReadConcern::Linearizable => {
                self.volatile.read_round += 1;
                let round = self.volatile.read_round;
                self.volatile.confirming.push((round, op, key));
                let term = self.durable.term;
                let me = self.id;
                for p in self.data_nodes().filter(|&p| p != me).collect::<Vec<_>>() {
                    out.send(p, Msg::Confirm { term, round });
                }
                self.maybe_serve_confirmed(out);
            }
        }
    }

    /// The heartbeat: a leader with reads still waiting for confirmation asks again (a lost
    /// message, a partition that healed).
    pub(super) fn maybe_reconfirm(&self, out: &mut Out<Msg, Timer>) {
        if self.volatile.confirming.is_empty() {
            return;
        }
        let (term, round, me) = (self.durable.term, self.volatile.read_round, self.id);
        for p in self.data_nodes().filter(|&p| p != me) {
            if self.volatile.confirmed.get(&p).is_none_or(|&r| r < round) {
                out.send(p, Msg::Confirm { term, round });
            }
        }
    }

    /// A follower confirms a leader of its term or a newer one (and follows it); a deposed
    /// leader gets the follower's newer term back.
    pub(super) fn on_confirm(&mut self, out: &mut Out<Msg, Timer>, from: NodeId, term: u64, round: u64) {
        if !self.holds_data() {
            return;
        }
        if term >= self.durable.term && self.volatile.role != Role::Leader {
            self.follow(from, term, out);
        }
        out.send(from, Msg::ConfirmResp { term: self.durable.term, round });
    }

    pub(super) fn on_confirm_resp(&mut self, out: &mut Out<Msg, Timer>, from: NodeId, term: u64, round: u64) {
        if term > self.durable.term && self.cfg.fencing.terms {
            out.note(Note::StepDownTerm { node: self.id, term, from });
            self.observe_term(term);
            self.become_follower(None, out);
            return;
        }
        if self.volatile.role != Role::Leader || term != self.durable.term {
            return;
        }
        let r = self.volatile.confirmed.entry(from).or_insert(0);
        *r = (*r).max(round);
        self.maybe_serve_confirmed(out);
    }

    /// Answers the linearizable reads whose round a majority confirmed.
    fn maybe_serve_confirmed(&mut self, out: &mut Out<Msg, Timer>) {
        if self.volatile.confirming.is_empty() {
            return;
        }
        let majority = self.majority();
        let confirmed: Vec<u64> = self.volatile.confirmed.values().copied().collect();
        let (ready, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.volatile.confirming)
            .into_iter()
            .partition(|&(round, _, _)| confirmed.iter().filter(|&&r| r >= round).count() + 1 >= majority);
        self.volatile.confirming = still;
        if ready.is_empty() {
            return;
        }
        let point = self.majority_point();
        let epoch = self.epoch();
        for (_, op, key) in ready {
            out.ok_fenced(op, self.read_at(key, point).into_iter().collect(), vec![point], epoch);
        }
    }

    /// A leader stepping down fails the linearizable reads it was confirming: it can no longer
    /// tell that they are current.
    pub(super) fn fail_confirming(&mut self, out: &mut Out<Msg, Timer>) {
        for (_, op, _) in std::mem::take(&mut self.volatile.confirming) {
            out.fail(op, FailReason::NotLeader { hint: None });
        }
    }
}
