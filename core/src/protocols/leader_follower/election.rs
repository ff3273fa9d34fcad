//! Leadership: terms, failure detection, elections (and naive self-promotion), stepping
//! down, and a returning leader probing for newer terms before it leads again.

use super::*;

impl LeaderFollowerNode {
    /// The term a node assigns itself without an election (an operator's promotion, a leader
    /// returning from a crash): the smallest one above every term it knows that belongs to it
    /// (terms are dealt out round-robin by node id), so two nodes that do this at the same time
    /// can never pick the same term. Elections need no such rule: a majority's votes make
    /// their terms unique.
    pub(super) fn own_term_above(&self, known: u64) -> u64 {
        let n = self.n.max(1) as u64;
        let id = self.id as u64 % n;
        let t = known + 1;
        t + (id + n - t % n) % n
    }

    /// A leader back from a crash under manual failover asks every peer for its term before it
    /// leads again (an operator may have promoted someone meanwhile).
    pub(super) fn probe(&mut self, out: &mut Out<Msg, Timer>) {
        let me = self.id;
        for p in self.data_nodes().filter(|&p| p != me).collect::<Vec<_>>() {
            out.send(p, Msg::Probe);
        }
        let every = self.cfg.heartbeat().max(1);
        out.set_timer(Timer::Probe, every * 4, every * 4);
    }

    pub(super) fn on_probe_resp(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        term: u64,
        leader: Option<NodeId>,
    ) {
        let majority = self.majority();
        let Some(answers) = self.volatile.rejoining.as_mut() else { return };
        answers.insert(from, term);
        if term > self.durable.term {
            // Someone newer leads: follow it (its appends will bring this log in line).
            self.observe_term(term);
            self.volatile.rejoining = None;
            out.cancel_timer(Timer::Probe);
            out.note(Note::Rejoin { node: self.id, term });
            self.set_leader(leader.filter(|&l| l != self.id));
            self.arm_detector(out);
            return;
        }
        if answers.len() + 1 >= majority {
            let known = answers.values().copied().max().unwrap_or(0).max(self.durable.term);
            self.volatile.rejoining = None;
            out.cancel_timer(Timer::Probe);
            // A new term of its own, so that its new entries can never be mistaken for ones
            // it lost in the crash.
            self.durable.term = self.own_term_above(known);
            self.durable.voted_for = None;
            self.become_leader(ctx, out);
        }
    }

    pub(super) fn eligible(&self, node: NodeId) -> bool {
        self.cfg.coordinator() != Some(node)
            && !self.cfg.is_arbiter(node)
            && self.cfg.candidates.as_ref().is_none_or(|c| c.contains(&node))
    }

    pub(super) fn last_term(&self) -> u64 {
        self.term_at(self.last())
    }

    /// (Re)arms the failure detector of a follower or candidate.
    pub(super) fn arm_detector(&self, out: &mut Out<Msg, Timer>) {
        let (lo, hi) = match &self.cfg.failover {
            Failover::Manual => return,
            Failover::Election { timeout_ms: [lo, hi] } | Failover::Naive { timeout_ms: [lo, hi] } => (*lo, *hi),
            Failover::Coordinator { ttl_ms, .. } => (*ttl_ms, *ttl_ms),
            // The monitor watches the leader; followers do not.
            Failover::Monitor { .. } => return,
        };
        if self.is_coordinator() || self.is_arbiter() {
            return;
        }
        out.set_timer(Timer::ElectionTimeout, from_ms(lo).max(1), from_ms(hi).max(1));
    }

    pub(super) fn priority(&self) -> Vec<NodeId> {
        match &self.cfg.ack {
            AckPolicy::SemiSync(SemiSync { priority: Some(p), .. }) => {
                p.iter().copied().filter(|&x| x != self.id).collect()
            }
            _ => (0..self.n).filter(|&x| x != self.id).collect(),
        }
    }

    pub(super) fn become_leader(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let previous = self.durable.last_leader.filter(|&l| l != self.id);
        self.apply_all();
        if self.cfg.visibility == Visibility::Commit {
            // A new leader serves everything it has, as a promoted replica that has applied its
            // relay log, or a source whose crash recovery commits what its binlog holds, does:
            // only its own new writes wait for their commit. (Rebuilt here because the log may
            // have changed while this node followed.)
            self.volatile.committed_kv = self.volatile.kv.clone();
            self.volatile.committed_len = self.last();
        }
        self.volatile.role = Role::Leader;
        self.set_leader(Some(self.id));
        self.durable.leader_since = ctx.clock;
        self.volatile.votes.clear();
        self.volatile.suspected = false;
        if self.cfg.failover != Failover::Manual {
            out.cancel_timer(Timer::ElectionTimeout);
        }
        let next = self.last() + 1;
        let me = self.id;
        self.volatile.progress = self
            .data_nodes()
            .filter(|&p| p != me)
            .map(|node| Progress { node, matched: 0, next, last_heard: None, last_sent: None, retry_after: 0 })
            .collect();
        self.volatile.pending.clear();
        self.volatile.timeout_armed = false;
        self.volatile.fallback = false;
        self.volatile.refusing_writes = false;
        self.volatile.arbiters_heard.clear();
        self.volatile.confirmed.clear();
        self.volatile.sync_asked = None;
        self.volatile.sync_recorded = None;
        self.volatile.cluster_down = false;
        out.note(Note::Leader { node: self.id, term: self.durable.term });
        if let (true, Some(old)) = (self.cfg.fencing.stonith, previous) {
            out.note(Note::Stonith { node: self.id, target: old });
            out.power_off(old);
        }
        if self.cfg.uses_lock() {
            out.set_timer(Timer::Lock, self.ttl() / 3, self.ttl() / 3);
        }
        for i in 0..self.volatile.progress.len() {
            self.send_append(ctx, out, i);
        }
        self.ping_arbiters(out);
        self.maybe_update_sync(ctx, out);
        out.set_timer(Timer::Heartbeat, self.cfg.heartbeat(), self.cfg.heartbeat());
        self.maybe_commit(ctx, out);
    }

    pub(super) fn become_follower(&mut self, leader: Option<NodeId>, out: &mut Out<Msg, Timer>) {
        if self.volatile.role == Role::Leader {
            out.note(Note::StepDown { node: self.id, term: self.durable.term, unacked: self.volatile.pending.len() });
            out.cancel_timer(Timer::Heartbeat);
            out.cancel_timer(Timer::Lock);
            if self.volatile.timeout_armed {
                out.cancel_timer(Timer::SemiSyncTimeout(*self.volatile.pending.keys().next().unwrap_or(&0)));
            }
        }
        let was_follower = self.volatile.role == Role::Follower;
        self.fail_confirming(out);
        self.volatile.role = Role::Follower;
        self.set_leader(leader);
        self.volatile.progress.clear();
        self.volatile.pending.clear();
        self.volatile.votes.clear();
        self.volatile.timeout_armed = false;
        self.volatile.fallback = false;
        self.volatile.refusing_writes = false;
        self.volatile.cluster_down = false;
        if !was_follower {
            self.arm_detector(out);
        }
    }

    /// A newer term was seen: adopt it (votes are per term).
    pub(super) fn observe_term(&mut self, term: u64) {
        if term > self.durable.term {
            self.durable.term = term;
            self.durable.voted_for = None;
        }
    }

    pub(super) fn on_election_timeout(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        if self.volatile.role == Role::Leader || self.is_coordinator() {
            return;
        }
        if !self.volatile.suspected {
            self.volatile.suspected = true;
            out.note(Note::Suspect { node: self.id, leader: self.durable.leader });
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
                    self.durable.term += 1;
                    out.note(Note::NaivePromotion { node: self.id, term: self.durable.term });
                    self.become_leader(ctx, out);
                } else {
                    self.arm_detector(out);
                }
            }
            Failover::Monitor { .. } => {}
            Failover::Coordinator { node, .. } => {
                if eligible {
                    self.durable.lock_asked = ctx.clock;
                    out.send(node, Msg::LockRequest { term: self.durable.term, last_index: self.last() });
                }
                out.set_timer(Timer::Lock, self.ttl() / 3, self.ttl() / 3);
            }
        }
    }

    pub(super) fn become_candidate(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        self.durable.term += 1;
        self.volatile.role = Role::Candidate;
        self.set_leader(None);
        self.durable.voted_for = Some(self.id);
        self.volatile.votes = vec![self.id];
        out.note(Note::Election { node: self.id, term: self.durable.term });
        if self.volatile.votes.len() >= self.majority() {
            self.become_leader(ctx, out);
            return;
        }
        let me = self.id;
        let peers: Vec<NodeId> = self.voters().filter(|&p| p != me).collect();
        for p in peers {
            out.send(
                p,
                Msg::RequestVote { term: self.durable.term, last_index: self.last(), last_term: self.last_term() },
            );
        }
        self.arm_detector(out);
    }

    pub(super) fn on_request_vote(
        &mut self,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        term: u64,
        last_index: u64,
        last_term: u64,
    ) {
        if term > self.durable.term {
            self.observe_term(term);
            if self.volatile.role != Role::Follower {
                self.become_follower(None, out);
            }
        }
        let mine = if self.is_arbiter() { self.volatile.known_position } else { (self.last_term(), self.last()) };
        let up_to_date = (last_term, last_index) >= mine;
        let grant = term == self.durable.term
            && self.durable.voted_for.is_none_or(|v| v == from)
            && up_to_date
            && !self.is_coordinator()
            && self.volatile.role != Role::Leader;
        if grant {
            self.durable.voted_for = Some(from);
            self.arm_detector(out);
        }
        out.send(from, Msg::Vote { term: self.durable.term, granted: grant });
    }

    pub(super) fn on_vote(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, from: NodeId, term: u64, granted: bool) {
        if term > self.durable.term {
            self.observe_term(term);
            self.become_follower(None, out);
            return;
        }
        if self.volatile.role == Role::Candidate
            && term == self.durable.term
            && granted
            && !self.volatile.votes.contains(&from)
        {
            self.volatile.votes.push(from);
            if self.volatile.votes.len() >= self.majority() {
                out.note(Note::Elected { node: self.id, term: self.durable.term, votes: self.volatile.votes.len() });
                self.become_leader(ctx, out);
            }
        }
    }
}
