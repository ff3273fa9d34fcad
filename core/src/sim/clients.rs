//! Clients: invoking operations (where each goes, with which session token), replies on their
//! way back, client-side fencing and redirects, and completing operations into the history.

use super::*;

impl<P: Protocol> Sim<P> {
    pub(super) fn send_reply(&mut self, node: NodeId, op: OpId, reply: Reply) {
        let Some((client, _)) = self.op_of(op) else { return };
        let home = self.clients[client].node;
        let delay = self.path_delay(node, home);
        self.trace.record(self.now, WorldEvent::Replied { op, node, client_node: home, arrives: delay.is_some() });
        if let Some(d) = delay {
            self.push(self.now + d, EventKind::Reply { op, reply });
        }
    }

    /// Delay of a client message between a node and a client sitting next to node `home`:
    /// the client hop, plus the network path when the node is elsewhere (a connection of its
    /// own, not ordered with replication traffic). `None`: lost or cut.
    pub(super) fn path_delay(&mut self, from: NodeId, to: NodeId) -> Option<Dur> {
        let hop = self.client_latency.sample(&mut self.rng);
        if from == to {
            return Some(hop);
        }
        self.net.client_path(from, to, self.slots[from].slow, &mut self.rng).map(|d| hop + d)
    }

    /// Where a client's read goes and which token it carries, by its session guarantees.
    pub(super) fn session_read(&mut self, client: ClientId, target: Target) -> (Target, Version, Behind) {
        let now = self.now;
        let n = self.nodes.len() as u64;
        let c = &mut self.clients[client];
        let s = &c.session;
        let mut target = target;
        if let (Some(ReadYourWrites::LeaderFor { ms }), Some(t), Target::Auto(_)) =
            (&s.read_your_writes, c.last_write_ack, target)
        {
            if now < t + from_ms(*ms) {
                target = Target::Auto(ReadFrom::Leader);
            }
        }
        if s.monotonic_reads == Some(MonotonicReads::Sticky) && target == Target::Auto(ReadFrom::Any) {
            let sticky = *c.sticky.get_or_insert_with(|| self.rng.below(n) as NodeId);
            target = Target::Node(sticky);
        }
        let mut token = Vec::new();
        if s.causal || s.read_your_writes == Some(ReadYourWrites::Token) {
            merge_versions(&mut token, &c.write_token);
        }
        if s.causal || s.monotonic_reads == Some(MonotonicReads::Token) {
            merge_versions(&mut token, &c.read_token);
        }
        (target, token, s.behind)
    }

    /// Issues a client operation now. Returns its id.
    pub fn invoke(&mut self, client: ClientId, kind: OpKind, target: Target) -> OpId {
        let home = self.clients[client].node;
        let n = self.nodes.len();
        let (target, min_version, behind) = match kind {
            OpKind::Read { .. } => self.session_read(client, target),
            _ => (target, Vec::new(), Behind::Wait),
        };
        let is_read = !kind.is_write();
        let (node, require_leader) = match target {
            Target::Node(node) => (node, false),
            Target::Auto(_) if !is_read => (self.nodes[home].leader_hint().filter(|&l| l < n).unwrap_or(home), false),
            Target::Auto(ReadFrom::Leader) => (self.nodes[home].leader_hint().filter(|&l| l < n).unwrap_or(home), true),
            Target::Auto(ReadFrom::Local) => (home, false),
            Target::Auto(ReadFrom::Any) => (self.rng.below(n as u64) as NodeId, false),
        };
        let node = match target {
            Target::Auto(_) => self.route_around(client, node),
            Target::Node(_) => node,
        };
        let id = self.history.next_id();
        let op = Operation { id, client, node, kind: kind.clone(), invoke: self.now, completion: None, quorum: None };
        if let Some(value) = op.written() {
            self.next_value = self.next_value.max(value + 1);
        }
        if let OpKind::Add { element, .. } | OpKind::Remove { element, .. } = kind {
            self.next_value = self.next_value.max(element + 1);
        }
        if kind.is_register() {
            self.stale.on_write_invoked(&op);
        }
        match kind {
            OpKind::Read { key } => self.sessions.on_read_invoked(client, id, key),
            OpKind::Write { value, .. } | OpKind::Delete { value, .. } => {
                self.writer.insert(value, id);
                if op.is_delete() {
                    self.deletes.entry(op.key()).or_default().push(id);
                }
                self.sessions.on_write_invoked(client, id);
                self.last_disturbance = self.now;
            }
            OpKind::Cas { key, value, .. } => {
                // A write if it applies, a read of what the key holds if not: the session
                // checker is ready for either.
                self.writer.insert(value, id);
                self.sessions.on_write_invoked(client, id);
                self.sessions.on_read_invoked(client, id, key);
                self.last_disturbance = self.now;
            }
            _ => self.last_disturbance = self.now,
        }
        self.history.push(op);
        self.accepted.push(None);
        if let Some(c) = self.compaction {
            let next = self.history.next_id();
            if next % c.every_ops.max(1) == 0 {
                self.compact();
            } else if next % LOG_COMPACT_EVERY_OPS == 0 {
                // Logs can grow fast (a merged key's update carries its whole state): the
                // families trim what every peer has acknowledged more often.
                self.compact_logs();
            }
        }
        self.clients[client].pending.insert(id);
        self.trace.record(self.now, WorldEvent::Invoked { op: id, client, node, kind: kind.clone() });
        let timeout = self.clients[client].timeout;
        self.push(self.now + timeout, EventKind::ClientTimeout { op: id });
        let quorum = self.next_quorum.take();
        if let Some(d) = self.path_delay(home, node) {
            let context = match kind {
                OpKind::Read { .. } => Vec::new(),
                _ => self.clients[client].contexts.remove(&kind.key()).unwrap_or_default(),
            };
            let read_concern = self.clients[client].session.read_concern;
            let req =
                Request { op: id, client, kind, require_leader, min_version, behind, context, quorum, read_concern };
            self.push(self.now + d, EventKind::Request { node, req });
        }
        id
    }

    /// Where a client's driver sends a request meant for `node`: there, unless it holds that
    /// node down; then the next node it does not.
    fn route_around(&self, client: ClientId, node: NodeId) -> NodeId {
        let c = &self.clients[client];
        let n = self.nodes.len();
        (0..n).map(|i| (node + i) % n).find(|x| !c.down.contains(x)).unwrap_or(node)
    }

    /// A client with a rerouting driver gave up on `op` without an answer: its driver holds the
    /// node down and tries to reconnect later.
    pub(super) fn maybe_mark_down(&mut self, op: OpId) {
        let Some(o) = self.history.get(op) else { return };
        let (client, node) = (o.client, o.node);
        let Some(every) = self.clients[client].reconnect else { return };
        if self.clients[client].down.insert(node) {
            self.push(self.now + every, EventKind::Reconnect { client, node });
        }
    }

    /// The driver's reconnection attempt: it succeeds when the node is up and the client can
    /// reach it; otherwise it tries again later.
    pub(super) fn on_reconnect(&mut self, client: ClientId, node: NodeId) {
        let home = self.clients[client].node;
        let reachable = home == node || !self.net.link(home, node).cut;
        if self.slots[node].health == Health::Up && reachable {
            self.clients[client].down.remove(&node);
        } else if let Some(every) = self.clients[client].reconnect {
            self.push(self.now + every, EventKind::Reconnect { client, node });
        }
    }

    /// A value no write of this run has used.
    pub fn fresh_value(&mut self) -> Value {
        let v = self.next_value;
        self.next_value += 1;
        v
    }

    pub(super) fn on_reply(&mut self, op: OpId, reply: Reply) {
        let Some(o) = self.history.get(op).filter(|o| o.completion.is_none()) else {
            // The client gave up already (or compaction dropped the operation long since); the
            // late answer changes nothing.
            return;
        };
        let c = &mut self.clients[o.client];
        let reply = match reply {
            Reply::Ok { epoch, .. } if epoch > 0 && epoch < c.epoch => {
                // Client-side fencing: this answer comes from a deposed leader. The deposed
                // leader applied the write (and may have replicated it before it was deposed),
                // so the client cannot call it refused: its outcome is unknown.
                Reply::Unknown(FailReason::Fenced { answered: epoch, seen: c.epoch })
            }
            Reply::Ok { epoch, values, version, context } => {
                c.epoch = c.epoch.max(epoch);
                Reply::Ok { epoch, values, version, context }
            }
            other => other,
        };
        match &reply {
            Reply::Ok { version, context, .. } if o.kind.is_write() => {
                merge_versions(&mut c.write_token, version);
                c.last_write_ack = Some(self.now);
                // A write that names what it created (a revision tree's new `_rev`): the
                // client's next write of the key edits it.
                if !context.is_empty() {
                    c.contexts.insert(o.key(), context.clone());
                }
            }
            Reply::Ok { version, context, .. } => {
                merge_versions(&mut c.read_token, version);
                c.contexts.insert(o.key(), context.clone());
            }
            Reply::Fail(FailReason::Behind { .. })
                if c.session.behind == Behind::Redirect && self.redirected.insert(op) =>
            {
                // The replica is behind the session: ask the leader instead.
                let (client, home, kind) = (o.client, c.node, o.kind.clone());
                let leader = self.nodes[home].leader_hint().filter(|&l| l < self.nodes.len()).unwrap_or(home);
                let (_, min_version, _) = self.session_read(client, Target::Node(leader));
                if let Some(o) = self.history.get_mut(op) {
                    o.node = leader;
                }
                self.trace.record(self.now, WorldEvent::Redirected { op, to: leader });
                if let Some(d) = self.path_delay(home, leader) {
                    let req = Request {
                        op,
                        client,
                        kind,
                        require_leader: true,
                        min_version,
                        behind: Behind::Wait,
                        context: Vec::new(),
                        quorum: None,
                        read_concern: self.clients[client].session.read_concern,
                    };
                    self.push(self.now + d, EventKind::Request { node: leader, req });
                }
                return;
            }
            Reply::Fail(_) | Reply::Unknown(_) => {}
        }
        let (outcome, why) = match reply {
            Reply::Ok { values, .. } => (Outcome::Ok { values }, None),
            Reply::Fail(reason) => (Outcome::Fail { reason }, None),
            Reply::Unknown(reason) => (Outcome::Unknown, Some(reason)),
        };
        self.complete(op, outcome, why);
    }

    /// Completes an operation. `why` says why an unknown outcome is unknown when a node gave up
    /// on it (none: the client's timeout expired).
    /// Whether a node was handed `op`'s request, or a copy of it is still on its way (in the
    /// event queue, a busy node's backlog or a paused node's inbox).
    pub(super) fn request_may_arrive(&self, op: OpId) -> bool {
        let accepted = op
            .checked_sub(self.history.first_id())
            .and_then(|i| self.accepted.get(i as usize))
            .is_none_or(|a| a.is_some());
        accepted || self.request_on_its_way(op)
    }

    /// Whether a copy of `op`'s request is still on its way to a node (in the event queue, a
    /// busy node's backlog or a paused node's inbox).
    fn request_on_its_way(&self, op: OpId) -> bool {
        let carries = |kind: &EventKind<P>| matches!(kind, EventKind::Request { req, .. } if req.op == op);
        self.queue.iter().any(|(_, kind)| carries(kind))
            || self.slots.iter().any(|s| s.backlog.iter().chain(s.inbox.iter()).any(carries))
    }

    /// Whether `op`'s outcome is settled as far as its effect goes: it completed, or no copy
    /// of its request and no answer to it is on its way (then no node can take it up or
    /// acknowledge it any more).
    pub(super) fn settled(&self, op: OpId) -> bool {
        self.history.get(op).is_some_and(|o| o.completion.is_some())
            || !(self.request_on_its_way(op)
                || self.queue.iter().any(|(_, kind)| matches!(kind, EventKind::Reply { op: o, .. } if *o == op)))
    }

    pub(super) fn complete(&mut self, op: OpId, outcome: Outcome, why: Option<FailReason>) {
        let now = self.now;
        let Some(o) = self.history.get_mut(op) else { return };
        let latency = now - o.invoke;
        // (A compare-and-set acknowledged as not applied was a read.)
        let is_write = match &outcome {
            Outcome::Ok { values } => o.kind.wrote(values),
            _ => o.kind.is_write(),
        };
        match &outcome {
            Outcome::Ok { .. } => {
                self.metrics.ok += 1;
                if is_write {
                    self.metrics.write_latencies.push(latency);
                } else {
                    self.metrics.read_latencies.push(latency);
                }
            }
            Outcome::Fail { .. } => self.metrics.failed += 1,
            Outcome::Unknown => self.metrics.unknown += 1,
        }
        let event =
            WorldEvent::Completed { op, node: o.node, is_write, outcome: outcome.clone(), why: why.clone(), latency };
        self.trace.record(now, event);
        let undelivered = matches!(outcome, Outcome::Unknown) && !self.request_may_arrive(op);
        let Some(o) = self.history.get_mut(op) else { return };
        o.completion = Some(Completion { time: now, outcome, why, undelivered });
        let client = o.client;
        self.clients[client].pending.remove(&op);
        if is_write {
            for a in self.lost.write_completed(op, &self.history, &self.stale, now) {
                self.record_anomaly(a);
            }
        }
        let Some(o) = self.history.get(op) else { return };
        if let Some(Completion { outcome: Outcome::Ok { values }, .. }) = &o.completion {
            // What the client now believes the key holds.
            let seen = match (&o.kind, &values[..]) {
                (OpKind::Write { value, .. }, _) => Some(Some(*value)),
                (OpKind::Delete { .. }, _) => Some(None),
                (OpKind::Cas { value, .. }, _) if values.contains(value) => Some(Some(*value)),
                (OpKind::Read { .. } | OpKind::Cas { .. }, []) => Some(None),
                (OpKind::Read { .. } | OpKind::Cas { .. }, [v]) => Some(Some(*v)),
                _ => None,
            };
            if let Some(seen) = seen {
                self.clients[o.client].seen.insert(o.key(), seen);
            }
        }
        let model = RegisterModel { history: &self.history, writer: &self.writer, deletes: &self.deletes };
        let mut found = Vec::new();
        // Counters and sets are not registers: the register checkers leave their keys alone.
        let register = o.kind.is_register() && self.nodes[0].key_type(o.key()) == KeyType::Register;
        if register && o.is_ok() {
            if is_write {
                self.stale.on_write_acked(o);
                self.sessions.on_write_acked(o.client, op, o.key(), &model);
            } else {
                found.extend(self.stale.on_read_done(o, &self.history));
                found.extend(self.sessions.on_read_ok(o.client, op, o.key(), o.node, now, &model));
            }
        } else if register && !is_write {
            self.sessions.on_read_failed(op);
        }
        if register && is_write && o.kind.is_cas() {
            // It wrote, or may have: not a read after all.
            self.sessions.on_read_failed(op);
        }
        if register && !is_write {
            self.lost.read_completed(o, &self.history, &self.writer, self.keeps_history);
        }
        for a in found {
            self.record_anomaly(a);
        }
        if is_write && self.lost.was_read_unacked(op) {
            // A write others read before its acknowledgement completed: if it failed or its
            // outcome is unknown, is its value gone (a dirty read)? If it was acknowledged,
            // is it lost?
            // Usually some node holds it, and then there is nothing to judge.
            let (key, value) = self.history.get(op).map(|o| (o.key(), o.written())).unwrap_or_default();
            let held_somewhere = value.is_some_and(|v| self.nodes.iter().any(|n| n.holds_write(key, v)));
            if !held_somewhere {
                let held = lost_write::held_of_key(&self.nodes, key);
                for a in self.lost.check_write(op, &self.history, &held, now, self.keeps_history) {
                    self.record_anomaly(a);
                }
            }
        }
    }
}
