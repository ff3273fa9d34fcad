//! Replication: the leader appends and ships entries, waits for the acknowledgements its
//! policy needs (async, semi-sync with its timeout and fallback, sync) and commits; followers
//! append (discarding what a newer term overwrote), persist, apply and acknowledge.

use super::*;

impl LeaderFollowerNode {
    pub(super) fn persist(&mut self) {
        if self.fsync_every.is_none() {
            self.durable.flushed_len = self.durable.log.len();
        }
    }

    /// The length of the log prefix this leader may ship: all of it, or with `ship: flush`
    /// only what is durable here.
    pub(super) fn shippable(&self) -> u64 {
        match self.cfg.ship {
            ShipPoint::Append => self.last(),
            ShipPoint::Flush => (self.durable.flushed_len as u64).min(self.last()),
        }
    }

    /// The flush timer: what was written so far is durable now. A leader that ships only
    /// durable entries sends the newly flushed ones to the followers it had sent everything
    /// shippable (the others catch up on their acknowledgements).
    pub(super) fn on_flush(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let before = self.shippable();
        self.durable.flushed_len = self.durable.log.len();
        if let Some(every) = self.fsync_every {
            out.set_timer(Timer::Flush, every, every);
        }
        if self.volatile.role == Role::Leader && self.shippable() > before {
            for i in 0..self.volatile.progress.len() {
                if self.volatile.progress[i].next == before + 1 {
                    self.send_append(ctx, out, i);
                }
            }
        }
        self.maybe_ack(out);
    }

    /// Rebuilds the applied data from the applied prefix of the log (after a truncation or a
    /// restart).
    pub(super) fn rebuild_kv(&mut self) {
        self.volatile.kv = self.durable.log.base_kv().clone();
        let applied = self.applied_len() as usize;
        let base = self.durable.log.base();
        for (i, e) in self.durable.log[base..applied.max(base)].iter().enumerate() {
            self.volatile.kv.insert(e.key, (e.live(), (base + i) as u64 + 1));
        }
    }

    /// Applies everything received at once (a restart replays the whole log; a promoted
    /// follower finishes applying before it serves).
    pub(super) fn apply_all(&mut self) {
        self.volatile.apply_queue.clear();
        if self.cfg.apply_delay() > 0 && self.volatile.applied < self.last() {
            self.volatile.applied = self.last();
            self.rebuild_kv();
        }
    }

    /// With an apply delay: entries up to the end of the log become due `delay` from now.
    pub(super) fn queue_apply(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let delay = self.cfg.apply_delay();
        let queued = self.volatile.apply_queue.back().map_or(self.volatile.applied, |&(len, _)| len);
        if delay == 0 || self.last() <= queued {
            return;
        }
        self.volatile.apply_queue.push_back((self.last(), ctx.clock + delay));
        if !self.volatile.apply_armed {
            self.volatile.apply_armed = true;
            out.set_timer(Timer::Apply, delay, delay);
        }
    }

    /// The apply timer: applies the entries that are due, in log order.
    pub(super) fn on_apply_timer(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        self.volatile.apply_armed = false;
        while let Some(&(len, due)) = self.volatile.apply_queue.front() {
            if due > ctx.clock {
                break;
            }
            self.volatile.apply_queue.pop_front();
            let len = len.min(self.last());
            for i in self.volatile.applied..len {
                let e = &self.durable.log[i as usize];
                self.volatile.kv.insert(e.key, (e.live(), i + 1));
            }
            self.volatile.applied = self.volatile.applied.max(len);
        }
        if let Some(&(_, due)) = self.volatile.apply_queue.front() {
            let left = due.saturating_sub(ctx.clock).max(1);
            self.volatile.apply_armed = true;
            out.set_timer(Timer::Apply, left, left);
        }
        self.serve_waiting(out);
        self.maybe_ack(out);
    }

    /// After a truncation: what was applied, queued or matched cannot reach past the log.
    pub(super) fn clamp_to_log(&mut self) {
        let last = self.last();
        self.volatile.applied = self.volatile.applied.min(last);
        for q in self.volatile.apply_queue.iter_mut() {
            q.0 = q.0.min(last);
        }
        self.volatile.leader_match = self.volatile.leader_match.min(last);
        self.volatile.acked = self.volatile.acked.min(last);
    }

    /// The highest position this follower may acknowledge, given that its log matches the
    /// leader's through `matched`.
    pub(super) fn ack_index(&self, matched: u64) -> u64 {
        let durable = self.durable.flushed_len as u64;
        match self.cfg.follower_ack {
            FollowerAckPoint::Write => matched,
            FollowerAckPoint::Flush => matched.min(durable),
            FollowerAckPoint::Apply => matched.min(durable).min(self.applied_len()),
        }
    }

    /// A follower that acknowledges after a flush or an apply: tells the leader once more of
    /// what it has received became durable or visible.
    pub(super) fn maybe_ack(&mut self, out: &mut Out<Msg, Timer>) {
        if self.cfg.follower_ack == FollowerAckPoint::Write || self.volatile.role != Role::Follower {
            return;
        }
        let Some(leader) = self.durable.leader.filter(|&l| l != self.id) else { return };
        let index = self.ack_index(self.volatile.leader_match);
        if index > self.volatile.acked {
            self.volatile.acked = index;
            out.send(leader, Msg::AppendResp { term: self.durable.term, success: true, index });
        }
    }

    /// With `visibility: commit`: brings the leader's visible data up to the commit index (a
    /// leader's log only grows, so this only ever adds entries).
    pub(super) fn advance_committed(&mut self) {
        if self.cfg.visibility != Visibility::Commit {
            return;
        }
        let upto = self.volatile.commit.min(self.last());
        for i in self.volatile.committed_len..upto {
            let e = &self.durable.log[i as usize];
            self.volatile.committed_kv.insert(e.key, (e.live(), i + 1));
        }
        self.volatile.committed_len = self.volatile.committed_len.max(upto);
    }

    pub(super) fn send_append(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, i: usize) {
        let shippable = self.shippable() as usize;
        let p = &mut self.volatile.progress[i];
        // Every node holds the compacted prefix: resend from its end at the earliest, but end
        // the batch where it would have ended from the follower's own position, so that what
        // a follower receives when does not depend on how much was compacted.
        let wanted = p.next as usize;
        p.next = p.next.max(self.durable.log.base() as u64 + 1);
        let prev_index = p.next - 1;
        let end = (wanted.saturating_sub(1) + self.cfg.batch)
            .min(shippable)
            .max(prev_index as usize)
            .min(self.durable.log.len());
        let entries = self.durable.log[prev_index as usize..end].to_vec();
        p.next += entries.len() as u64;
        p.last_sent = Some(ctx.clock);
        let to = p.node;
        let msg = Msg::Append {
            term: self.durable.term,
            prev_index,
            prev_term: self.durable.log.term_at(prev_index),
            entries,
            commit: self.volatile.commit,
            last: self.durable.log.len() as u64,
        };
        out.send(to, msg);
    }

    pub(super) fn on_write(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        op: OpId,
        key: Key,
        value: Value,
        deleted: bool,
    ) {
        let e = Entry { term: self.durable.term, key, value, deleted, op, stamp: ctx.clock, appended_at: ctx.now };
        let live = e.live();
        self.durable.log.push(e);
        self.persist();
        let index = self.last();
        self.volatile.kv.insert(key, (live, index));
        // A leader applies what it writes at once.
        self.volatile.applied = index;
        // (Pipelined to the followers that have everything before it, once it may be shipped.)
        let ship = index <= self.shippable();
        for i in 0..self.volatile.progress.len() {
            if ship && self.volatile.progress[i].next == index {
                self.send_append(ctx, out, i);
            }
        }
        self.volatile.pending.insert(index, Pending { op, since: ctx.clock });
        self.serve_waiting(out);
        self.maybe_arm_timeout(ctx, out);
        self.maybe_commit(ctx, out);
    }

    /// How long a write waits for acknowledgements before the leader gives up: semi-sync's
    /// timeout (then it falls back to async) or `wait`'s (then that write is acknowledged).
    pub(super) fn semi_sync_timeout(&self) -> Option<Dur> {
        match &self.cfg.ack {
            AckPolicy::SemiSync(SemiSync { timeout_ms: Some(t), .. })
            | AckPolicy::Wait(Wait { timeout_ms: Some(t), .. }) => Some(from_ms(*t).max(1)),
            _ => None,
        }
    }

    pub(super) fn maybe_arm_timeout(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let Some(timeout) = self.semi_sync_timeout() else { return };
        if self.volatile.timeout_armed || self.volatile.fallback {
            return;
        }
        if let Some((&index, p)) = self.volatile.pending.iter().next() {
            let left = (p.since + timeout).saturating_sub(ctx.clock).max(1);
            out.set_timer(Timer::SemiSyncTimeout(index), left, left);
            self.volatile.timeout_armed = true;
        }
    }

    pub(super) fn follower_acks(&self, ctx: &Ctx) -> Vec<FollowerAck> {
        let window = self.cfg.sender_timeout();
        self.volatile
            .progress
            .iter()
            .map(|p| FollowerAck {
                node: p.node,
                matched: p.matched,
                connected: p.last_heard.is_some_and(|h| ctx.clock.saturating_sub(h) <= window),
            })
            .collect()
    }

    pub(super) fn maybe_commit(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        if self.volatile.role != Role::Leader {
            return;
        }
        let by_policy = if self.cfg.synchronous_mode.is_some() {
            self.sync_commit_point()
        } else {
            // (Asynchronous replication commits at once: no need to gather the followers'
            // acknowledgements, two allocations on every acknowledgement received.)
            match self.ack_policy() {
                AckPolicy::Async => self.last(),
                policy => {
                    let priority = if matches!(policy, AckPolicy::SemiSync(_)) { self.priority() } else { Vec::new() };
                    commit_point(&policy, self.last(), &self.follower_acks(ctx), &priority)
                }
            }
        };
        if self.volatile.fallback && by_policy == self.last() {
            self.volatile.fallback = false;
            out.note(Note::SemiSyncRestored { node: self.id });
        }
        let point = if self.volatile.fallback { self.last() } else { by_policy };
        if point > self.volatile.commit {
            self.volatile.commit = point;
        }
        if self.cfg.visibility == Visibility::Commit {
            self.advance_committed();
            self.serve_waiting(out);
        }
        while let Some(entry) = self.volatile.pending.first_entry() {
            if *entry.key() > self.volatile.commit {
                break;
            }
            // An armed timeout that watched this write re-arms for the next one when it fires.
            let (index, p) = entry.remove_entry();
            out.ok_fenced(p.op, vec![], vec![index], self.epoch());
        }
    }

    pub(super) fn on_semi_sync_timeout(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, index: u64) {
        self.volatile.timeout_armed = false;
        if self.volatile.role != Role::Leader || self.volatile.fallback {
            return;
        }
        let Some(timeout) = self.semi_sync_timeout() else { return };
        if let AckPolicy::Wait(w) = &self.cfg.ack {
            let wanted = w.replicas;
            self.on_wait_timeout(ctx, out, timeout, wanted);
            return;
        }
        match self.volatile.pending.iter().next() {
            Some((&oldest, p)) if oldest <= index || ctx.clock >= p.since + timeout => {
                self.volatile.fallback = true;
                out.note(Note::SemiSyncFallback { node: self.id, timeout });
                self.maybe_commit(ctx, out);
            }
            Some(_) => self.maybe_arm_timeout(ctx, out),
            None => {}
        }
    }

    /// Entries taken out of the log because the current leader lacks them: thrown away (a
    /// `discarded` note), or with `rejoin: set_aside` kept aside for reconciliation by hand (a
    /// `set_aside` note; they count as held, not lost).
    pub(super) fn drop_entries(&mut self, out: &mut Out<Msg, Timer>, entries: Vec<Entry>, how: Discard) {
        let ops = entries.iter().map(|d| d.op).collect();
        match self.cfg.rejoin {
            Rejoin::Discard => out.note(Note::Discarded { node: self.id, ops, how }),
            Rejoin::SetAside => {
                self.durable.set_aside.extend(entries);
                out.note(Note::SetAside { node: self.id, ops, how });
            }
        }
    }

    /// A message from leader `from` of `term`: follow it (adopting its term) and hear from it.
    pub(super) fn follow(&mut self, from: NodeId, term: u64, out: &mut Out<Msg, Timer>) {
        if term > self.durable.term || self.volatile.role != Role::Follower || self.durable.leader != Some(from) {
            if self.cfg.fencing.terms {
                self.observe_term(term);
            } else {
                self.durable.term = term;
            }
            self.become_follower(Some(from), out);
            // What matched the previous leader's log says nothing about this one's.
            self.volatile.leader_match = 0;
            self.volatile.acked = 0;
        }
        self.volatile.suspected = false;
        self.arm_detector(out);
    }

    pub(super) fn on_append(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        (term, prev_index, prev_term, entries, commit, leader_last): (u64, u64, u64, Vec<Entry>, u64, u64),
    ) {
        if !self.holds_data() {
            return;
        }
        if term < self.durable.term && self.cfg.fencing.terms {
            // Fencing by term: a deposed leader is refused.
            out.note(Note::Fenced { node: self.id, from, term, current: self.durable.term });
            out.send(from, Msg::AppendResp { term: self.durable.term, success: false, index: self.last() });
            return;
        }
        self.follow(from, term, out);
        if prev_index > self.last() {
            out.send(from, Msg::AppendResp { term: self.durable.term, success: false, index: self.last() });
            return;
        }
        if self.term_at(prev_index) != prev_term {
            // Skip back over the whole conflicting term in one round trip.
            let t = self.term_at(prev_index);
            let mut i = prev_index - 1;
            while i > 0 && self.term_at(i) == t {
                i -= 1;
            }
            out.send(from, Msg::AppendResp { term: self.durable.term, success: false, index: i });
            return;
        }
        let mut truncated = false;
        let matched = prev_index + entries.len() as u64;
        for (j, e) in entries.into_iter().enumerate() {
            let idx = prev_index + 1 + j as u64;
            if (idx as usize) <= self.durable.log.base() {
                // Inside the compacted prefix: committed here, never rewritten.
                continue;
            }
            if idx <= self.last() {
                if self.term_at(idx) == e.term {
                    continue;
                }
                let discarded = self.durable.log.split_off(idx as usize - 1);
                self.durable.flushed_len = self.durable.flushed_len.min(self.durable.log.len());
                self.clamp_to_log();
                truncated = true;
                self.drop_entries(out, discarded, Discard::Suffix { index: idx, term });
            }
            if self.cfg.apply_delay() == 0 {
                self.volatile.kv.insert(e.key, (e.live(), idx));
            }
            self.durable.log.push(e);
        }
        // Entries beyond the end of the leader's log that an older term wrote can never be
        // committed: discard them now (MongoDB's rollback, pg_rewind) rather than serve them.
        if matched == leader_last && self.last() > leader_last {
            // (The compacted prefix is every node's, so never stale.)
            let from = (leader_last as usize).max(self.durable.log.base());
            let stale = self.durable.log[from..].iter().all(|e| e.term < term);
            if stale {
                let discarded = self.durable.log.split_off(from);
                self.durable.flushed_len = self.durable.flushed_len.min(self.durable.log.len());
                self.clamp_to_log();
                truncated = true;
                self.drop_entries(out, discarded, Discard::Beyond { after: leader_last, term });
            }
        }
        if truncated {
            self.rebuild_kv();
        }
        self.persist();
        self.queue_apply(ctx, out);
        self.serve_waiting(out);
        self.volatile.commit = self.volatile.commit.max(commit.min(matched));
        self.volatile.leader_match = self.volatile.leader_match.max(matched);
        let index = self.ack_index(matched);
        self.volatile.acked = self.volatile.acked.max(index);
        out.send(from, Msg::AppendResp { term: self.durable.term, success: true, index });
    }

    pub(super) fn on_append_resp(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        term: u64,
        success: bool,
        index: u64,
    ) {
        if term > self.durable.term && self.cfg.fencing.terms {
            out.note(Note::StepDownTerm { node: self.id, term, from });
            self.observe_term(term);
            self.become_follower(None, out);
            return;
        }
        if self.volatile.role != Role::Leader || (term < self.durable.term && self.cfg.fencing.terms) {
            return;
        }
        let Some(i) = self.volatile.progress.iter().position(|p| p.node == from) else { return };
        let last = self.last();
        let shippable = self.shippable();
        let hb = self.cfg.heartbeat();
        let p = &mut self.volatile.progress[i];
        p.last_heard = Some(ctx.clock);
        if success {
            p.matched = p.matched.max(index.min(last));
            if p.next <= p.matched {
                p.next = p.matched + 1;
            }
            let drained = p.next - 1 == p.matched;
            let behind = p.next <= shippable;
            self.maybe_commit(ctx, out);
            self.maybe_refuse_writes(ctx, out);
            if drained && behind {
                self.send_append(ctx, out, i);
            }
        } else if ctx.clock >= p.retry_after && index + 1 < p.next {
            p.next = index + 1;
            p.matched = p.matched.min(index);
            p.retry_after = ctx.clock + hb;
            if (index as usize) < self.durable.log.base() {
                // The follower's log ends inside what this leader has compacted.
                self.send_snapshot(ctx, out, i);
            } else {
                self.send_append(ctx, out, i);
            }
        }
    }

    pub(super) fn on_heartbeat(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        if self.volatile.role != Role::Leader {
            return;
        }
        if !self.lease_holds(ctx) {
            out.note(Note::LeaseExpired { node: self.id });
            self.become_follower(None, out);
            return;
        }
        let hb = self.cfg.heartbeat();
        for i in 0..self.volatile.progress.len() {
            let p = &mut self.volatile.progress[i];
            // (A send stamped in the future means the clock was set back: resend rather than
            // wait for the clock to catch up.)
            let quiet = p.last_sent.is_none_or(|s| s > ctx.clock || ctx.clock - s >= hb);
            if quiet {
                // Retransmit from the last confirmed position (or just say we are alive).
                p.next = p.matched + 1;
                self.send_append(ctx, out, i);
            }
        }
        self.ping_arbiters(out);
        self.maybe_reconfirm(out);
        self.maybe_update_sync(ctx, out);
        out.set_timer(Timer::Heartbeat, hb, hb);
        self.maybe_commit(ctx, out);
        self.maybe_refuse_writes(ctx, out);
        self.maybe_cluster_down(ctx, out);
    }
}
