//! An external failover monitor (`failover: monitor`): Redis Sentinel, MySQL's orchestrator.
//! The monitor holds no data. Once per heartbeat it asks every data node for its role and
//! where its log ends; when the leader has not answered for `down_after_ms`, it promotes the
//! reachable data node with the most advanced log (Sentinel picks the replica with the
//! largest replication offset; orchestrator the most up-to-date replica) in the next term and
//! tells the others to follow it. It does not fence the old leader: once it hears from it
//! again (as a leader of an older term, or following someone else), it tells it to follow.

use super::*;

/// What the monitor knows of one data node from its last answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Seen {
    at: Time,
    term: u64,
    leading: bool,
    leader: Option<NodeId>,
    last_index: u64,
    last_term: u64,
}

/// The monitor's picture of the cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct MonitorState {
    /// The leader it put in place (or the configured one), and its term.
    leader: Option<NodeId>,
    term: u64,
    /// Since when it watches the leader (its clock): the start, or its last failover.
    since: Time,
    seen: BTreeMap<NodeId, Seen>,
}

impl LeaderFollowerNode {
    fn down_after(&self) -> Dur {
        match self.cfg.failover {
            Failover::Monitor { down_after_ms, .. } => from_ms(down_after_ms).max(1),
            _ => Dur::MAX,
        }
    }

    /// The monitor starts watching the configured leader.
    pub(super) fn start_monitor(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let term = self.durable.term;
        self.volatile.monitor =
            MonitorState { leader: self.durable.leader, term, since: ctx.clock, seen: BTreeMap::new() };
        self.on_monitor_timer(ctx, out);
    }

    /// The monitor's round: ask everyone, then fail over if the leader has been silent too long.
    pub(super) fn on_monitor_timer(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let nodes: Vec<NodeId> = self.data_nodes().collect();
        for n in nodes {
            out.send(n, Msg::MonitorPing);
        }
        let hb = self.cfg.heartbeat();
        out.set_timer(Timer::Monitor, hb, hb);
        self.maybe_fail_over(ctx, out);
    }

    fn maybe_fail_over(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>) {
        let m = &self.volatile.monitor;
        let Some(leader) = m.leader else { return };
        let heard = m.seen.get(&leader).map_or(m.since, |s| s.at.max(m.since));
        if ctx.clock.saturating_sub(heard) < self.down_after() {
            return;
        }
        // Reachable: answered within the last three rounds.
        let window = 3 * self.cfg.heartbeat();
        let best = m
            .seen
            .iter()
            .filter(|&(&n, s)| n != leader && self.eligible(n) && ctx.clock.saturating_sub(s.at) <= window)
            .max_by_key(|&(&n, s)| (s.last_term, s.last_index, std::cmp::Reverse(n)))
            .map(|(&n, s)| (n, s.last_index));
        let Some((to, position)) = best else { return };
        let known = m.seen.values().map(|s| s.term).max().unwrap_or(0);
        let term = m.term.max(known) + 1;
        out.note(Note::MonitorFailover { monitor: self.id, from: leader, to, position, term });
        self.volatile.monitor.leader = Some(to);
        self.volatile.monitor.term = term;
        self.volatile.monitor.since = ctx.clock;
        self.durable.term = term;
        self.set_leader(Some(to));
        out.send(to, Msg::MonitorPromote { term });
        let others: Vec<NodeId> = self.data_nodes().filter(|&n| n != to).collect();
        for n in others {
            out.send(n, Msg::MonitorFollow { leader: to, term });
        }
    }

    /// A data node answers the monitor.
    pub(super) fn on_monitor_ping(&mut self, out: &mut Out<Msg, Timer>, from: NodeId) {
        if self.is_coordinator() {
            return;
        }
        let leading = self.volatile.role == Role::Leader;
        out.send(
            from,
            Msg::MonitorPong {
                term: self.durable.term,
                leading,
                leader: if leading { Some(self.id) } else { self.durable.leader },
                last_index: self.last(),
                last_term: self.last_term(),
            },
        );
    }

    /// The monitor hears from a data node; a node out of line with the leader it put in place
    /// is told again (a promotion that was lost, an old leader back from a partition).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_monitor_pong(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        term: u64,
        leading: bool,
        leader: Option<NodeId>,
        (last_index, last_term): (u64, u64),
    ) {
        if !self.is_coordinator() || self.cfg.uses_lock() {
            return;
        }
        let m = &mut self.volatile.monitor;
        m.seen.insert(from, Seen { at: ctx.clock, term, leading, leader, last_index, last_term });
        let Some(chosen) = m.leader else { return };
        let mterm = m.term;
        if from == chosen {
            if !leading && mterm > 1 {
                out.send(from, Msg::MonitorPromote { term: mterm });
            }
        } else if (leading || leader != Some(chosen)) && mterm > 1 {
            out.send(from, Msg::MonitorFollow { leader: chosen, term: mterm.max(term) });
        }
    }

    /// A data node is promoted by the monitor.
    pub(super) fn on_monitor_promote(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, from: NodeId, term: u64) {
        if self.is_coordinator() || self.cfg.coordinator() != Some(from) {
            return;
        }
        if self.volatile.role == Role::Leader || term < self.durable.term {
            return;
        }
        self.volatile.rejoining = None;
        self.durable.term = term;
        self.durable.voted_for = None;
        out.note(Note::Promoted { node: self.id, term, by: Promotion::Monitor });
        self.become_leader(ctx, out);
    }

    /// A data node is told by the monitor to follow `leader`.
    pub(super) fn on_monitor_follow(&mut self, out: &mut Out<Msg, Timer>, from: NodeId, leader: NodeId, term: u64) {
        if self.is_coordinator() || self.cfg.coordinator() != Some(from) || leader == self.id {
            return;
        }
        if term < self.durable.term {
            return;
        }
        self.follow(leader, term, out);
    }
}
