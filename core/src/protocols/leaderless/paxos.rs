//! Lightweight transactions: compare-and-set and serial reads by Paxos, as Cassandra runs them.
//!
//! Any node coordinates. A round takes a ballot (the coordinator's clock, above every ballot
//! it has seen, then its id) and goes through the key's `N` replicas, each phase waiting for a
//! majority of them (Cassandra's `SERIAL`):
//!
//! 1. **Prepare.** A replica promises the ballot unless it promised a higher one, and answers
//!    with the proposal it accepted last, the ballot of the last commit it applied and its
//!    data. A refusal by more than `N - majority` replicas loses the round: the coordinator
//!    pauses at random and starts again with a higher ballot (contention).
//! 2. **Finish what is in progress.** A proposal accepted after the last commit may have been
//!    chosen, so the coordinator proposes and commits it again under its own ballot, then
//!    starts over.
//! 3. **Read and compare.** The promises' data, merged, is the key's current value. A
//!    compare-and-set whose condition holds proposes its value, stamped with the ballot; one
//!    whose condition fails, and a serial read, propose nothing: an empty proposal accepted by
//!    a majority is what makes their answer linearizable (without it, an older proposal still
//!    accepted somewhere could be completed later, after they answered "not applied").
//! 4. **Propose, then commit.** Replicas accept unless they promised a higher ballot; once a
//!    majority accepted, the coordinator sends the commit, and answers when a majority applied
//!    it.
//!
//! Paxos state is durable (Cassandra's `system.paxos` table). A coordinator that gives up
//! after its own proposal went out answers *unknown*: a later round may still complete it.
//! Before that, nothing of the operation was written anywhere, so it fails.

use super::*;
use crate::protocol::majority;

/// A Paxos ballot: the coordinator's clock, then its id. Also the timestamp of the value it
/// commits, so that committed values win last-write-wins in ballot order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ballot {
    pub time: Time,
    pub node: u64,
}

/// What a round proposes for a key: the value of operation `op`, or nothing (`update: None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Proposal {
    pub ballot: Ballot,
    pub op: OpId,
    pub update: Option<Stamped>,
}

/// A replica's Paxos state for one key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Acceptor {
    promised: Ballot,
    accepted: Option<Proposal>,
    /// The most recent commit this replica applied.
    committed: Option<Proposal>,
}

/// What a round is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Prepare {
        promises: Vec<(Option<Proposal>, Option<Proposal>, State)>,
    },
    Propose {
        proposal: Proposal,
        result: Vec<Value>,
    },
    Commit {
        proposal: Proposal,
    },
    /// Between two rounds.
    Pause,
}

/// A compare-and-set or serial read this node coordinates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Round {
    key: Key,
    /// The condition and value of a compare-and-set; none for a serial read.
    cas: Option<(Option<Value>, Value)>,
    ballot: Ballot,
    phase: Phase,
    /// Replicas that agreed in this phase, and those that refused.
    yes: Vec<NodeId>,
    no: Vec<NodeId>,
    /// The highest ballot a refusal named, and who named it.
    higher: Option<(Ballot, NodeId)>,
    attempts: u32,
    /// This operation's own value was proposed: from then on it may be chosen.
    proposed: bool,
}

impl LeaderlessNode {
    /// Starts a compare-and-set (`cas`) or a serial read (`cas: None`) of `key`.
    pub(super) fn start_lwt(
        &mut self,
        ctx: &Ctx,
        out: &mut Out<Msg, Timer>,
        op: OpId,
        key: Key,
        cas: Option<(Option<Value>, Value)>,
    ) {
        if self.siblings() {
            out.fail(
                op,
                FailReason::Unavailable {
                    why: "lightweight transactions need last-write-wins keys (Cassandra); this cluster keeps siblings"
                        .into(),
                },
            );
            return;
        }
        let round = Round {
            key,
            cas,
            ballot: Ballot::default(),
            phase: Phase::Pause,
            yes: Vec::new(),
            no: Vec::new(),
            higher: None,
            attempts: 0,
            proposed: false,
        };
        self.rounds.insert(op, round);
        let timeout = LeaderlessConfig::ms(self.cfg.request_timeout_ms);
        out.set_timer(Timer::RequestTimeout(op), timeout, timeout);
        self.prepare(ctx, out, op);
    }

    /// A new ballot, above every ballot this node has seen, and a prepare round with it.
    pub(super) fn prepare(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, op: OpId) {
        let time = ctx.clock.max(self.last_ballot + 1);
        self.last_ballot = time;
        let ballot = Ballot { time, node: self.id as u64 };
        let Some(r) = self.rounds.get_mut(&op) else { return };
        r.ballot = ballot;
        r.attempts += 1;
        r.phase = Phase::Prepare { promises: Vec::new() };
        r.yes.clear();
        r.no.clear();
        r.higher = None;
        let key = r.key;
        self.broadcast(ctx, out, key, Msg::Prepare { op, key, ballot });
        self.report_round(out, op);
    }

    /// Sends `msg` to every replica of `key`; this node's own share is handled at once.
    fn broadcast(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, key: Key, msg: Msg) {
        for p in self.preference(key) {
            if p == self.id {
                if let Some(reply) = self.acceptor(out, key, msg.clone()) {
                    self.on_paxos_reply(ctx, out, self.id, reply);
                }
            } else {
                out.send(p, msg.clone());
            }
        }
    }

    /// A replica's side of a Paxos message: its answer.
    pub(super) fn acceptor(&mut self, out: &mut Out<Msg, Timer>, key: Key, msg: Msg) -> Option<Msg> {
        let a = self.paxos.entry(key).or_default();
        match msg {
            Msg::Prepare { op, ballot, .. } => {
                let ok = ballot > a.promised;
                if ok {
                    a.promised = ballot;
                }
                let (promised, accepted, committed) = (a.promised, a.accepted, a.committed);
                let state = self.data.get(&key).cloned().unwrap_or_default();
                Some(Msg::Promise {
                    op,
                    ballot,
                    ok,
                    promised,
                    data: Box::new(PromiseData { accepted, committed, state }),
                })
            }
            Msg::Propose { op, proposal, .. } => {
                let ok = proposal.ballot >= a.promised;
                if ok {
                    a.promised = proposal.ballot;
                    a.accepted = Some(proposal);
                }
                Some(Msg::Accepted { op, ballot: proposal.ballot, ok, promised: a.promised })
            }
            Msg::Commit { op, proposal, .. } => {
                if a.committed.is_none_or(|c| c.ballot < proposal.ballot) {
                    a.committed = Some(proposal);
                }
                if a.accepted.is_some_and(|p| p.ballot <= proposal.ballot) {
                    a.accepted = None;
                }
                if let Some(update) = proposal.update {
                    self.store(out, key, &DvvSet::new(Vec::<(NodeId, u64)>::new(), vec![update]));
                }
                Some(Msg::Committed { op, ballot: proposal.ballot })
            }
            _ => None,
        }
    }

    /// A replica's answer to this coordinator's round.
    pub(super) fn on_paxos_reply(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, from: NodeId, msg: Msg) {
        let (op, ballot, ok, promised) = match &msg {
            Msg::Promise { op, ballot, ok, promised, .. } | Msg::Accepted { op, ballot, ok, promised } => {
                (*op, *ballot, *ok, Some(*promised))
            }
            Msg::Committed { op, ballot } => (*op, *ballot, true, None),
            _ => return,
        };
        if let Some(p) = promised {
            self.last_ballot = self.last_ballot.max(p.time);
        }
        let n = self.cfg.replicas;
        let need = majority(n);
        let Some(r) = self.rounds.get_mut(&op) else { return };
        // An answer to an earlier round or phase of this operation changes nothing.
        let current = match (&r.phase, &msg) {
            (Phase::Prepare { .. }, Msg::Promise { .. }) => r.ballot == ballot,
            (Phase::Propose { proposal, .. }, Msg::Accepted { .. })
            | (Phase::Commit { proposal }, Msg::Committed { .. }) => proposal.ballot == ballot,
            _ => false,
        };
        if !current || r.yes.contains(&from) || r.no.contains(&from) {
            return;
        }
        if !ok {
            r.no.push(from);
            if let Some(p) = promised {
                if r.higher.is_none_or(|(b, _)| p > b) {
                    r.higher = Some((p, from));
                }
            }
            if r.no.len() > n - need {
                let own = matches!(r.phase, Phase::Propose { proposal, .. } if proposal.op == op && proposal.update.is_some());
                if own && !(r.yes.is_empty() && r.no.len() == n) {
                    // Some replica accepted this operation's value, or may yet: a later round
                    // may complete it, and this coordinator cannot tell. As Cassandra, give up
                    // with the outcome unknown rather than retry (a retry that then found the
                    // value gone could not say whether it had applied).
                    let (key, attempts) = (r.key, r.attempts);
                    self.rounds.remove(&op);
                    out.cancel_timer(Timer::RequestTimeout(op));
                    out.cancel_timer(Timer::PaxosRetry(op));
                    out.unknown(op, FailReason::Contention { key, attempts });
                } else {
                    self.lose_round(out, op);
                }
            }
            return;
        }
        r.yes.push(from);
        if let (Phase::Prepare { promises }, Msg::Promise { data, .. }) = (&mut r.phase, msg) {
            let PromiseData { accepted, committed, state } = *data;
            promises.push((accepted, committed, state));
        }
        self.report_round(out, op);
        let Some(r) = self.rounds.get(&op) else { return };
        if r.yes.len() < need {
            return;
        }
        match &r.phase {
            Phase::Prepare { .. } => self.on_promised(ctx, out, op),
            Phase::Propose { .. } => self.on_accepted(ctx, out, op),
            Phase::Commit { .. } => self.on_committed(ctx, out, op),
            Phase::Pause => {}
        }
    }

    /// The round lost to a higher ballot: pause at random, then prepare again.
    fn lose_round(&mut self, out: &mut Out<Msg, Timer>, op: OpId) {
        let Some(r) = self.rounds.get_mut(&op) else { return };
        r.phase = Phase::Pause;
        let (key, attempt, by) = (r.key, r.attempts + 1, r.higher.map(|(_, n)| n));
        out.note(Note::PaxosRetry { node: self.id, op, key, attempt, by });
        // Cassandra sleeps a random 0-100 ms before the next attempt.
        out.set_timer(Timer::PaxosRetry(op), LeaderlessConfig::ms(1.0), LeaderlessConfig::ms(100.0));
    }

    /// A majority promised: finish what is in progress, or read, compare and propose.
    fn on_promised(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, op: OpId) {
        let me = self.id;
        let Some(r) = self.rounds.get_mut(&op) else { return };
        let Phase::Prepare { promises } = &r.phase else { return };
        let latest = promises.iter().filter_map(|(_, c, _)| *c).max_by_key(|c| c.ballot);
        let committed = latest.map(|c| c.ballot).unwrap_or_default();
        let in_progress = promises.iter().filter_map(|(a, _, _)| *a).max_by_key(|p| p.ballot);
        let behind = promises.iter().any(|(_, c, _)| c.is_none_or(|c| c.ballot < committed));
        if let Some(latest) = latest.filter(|l| l.update.is_some() && behind) {
            // Some replica of the quorum missed the latest commit: commit it again until a
            // majority holds it (a commit that reached only one replica is not yet safe from
            // an empty proposal that would settle the key without it), then start over.
            r.phase = Phase::Commit { proposal: latest };
            r.yes.clear();
            r.no.clear();
            let key = r.key;
            self.broadcast(ctx, out, key, Msg::Commit { op, key, proposal: latest });
            self.report_round(out, op);
            return;
        }
        let (proposal, result) = match in_progress {
            Some(p) if p.ballot > committed && p.update.is_some() => {
                if p.op != op {
                    out.note(Note::PaxosFinish { node: me, op, key: r.key, finished: p.op });
                } else {
                    // This operation's own earlier proposal: completing it applies it.
                    r.proposed = true;
                }
                (Proposal { ballot: r.ballot, op: p.op, update: p.update }, Vec::new())
            }
            _ => {
                let states: Vec<State> = promises.iter().map(|(_, _, s)| s.clone()).collect();
                let (ballot, cas) = (r.ballot, r.cas);
                let current = self.values_of(&self.merge_all(&states));
                let applies = cas.is_some_and(|(expect, _)| match expect {
                    None => current.is_empty(),
                    Some(e) => current == [e],
                });
                let update = match cas {
                    Some((_, value)) if applies => Some(Stamped { time: ballot.time, node: me, value, deleted: false }),
                    _ => None,
                };
                let Some(r) = self.rounds.get_mut(&op) else { return };
                if update.is_some() {
                    r.proposed = true;
                }
                let result = match update {
                    Some(u) => vec![u.value],
                    None => current,
                };
                (Proposal { ballot, op, update }, result)
            }
        };
        let Some(r) = self.rounds.get_mut(&op) else { return };
        r.phase = Phase::Propose { proposal, result };
        r.yes.clear();
        r.no.clear();
        let key = r.key;
        self.broadcast(ctx, out, key, Msg::Propose { op, key, proposal });
        self.report_round(out, op);
    }

    /// A majority accepted: commit (an empty proposal needs no commit to answer).
    fn on_accepted(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, op: OpId) {
        let Some(r) = self.rounds.get_mut(&op) else { return };
        let Phase::Propose { proposal, result } = &r.phase else { return };
        let (proposal, result, key) = (*proposal, result.clone(), r.key);
        if proposal.update.is_none() {
            // Nothing to apply: the answer is what the key held. The commit still goes out so
            // that replicas forget older proposals.
            self.rounds.remove(&op);
            out.cancel_timer(Timer::RequestTimeout(op));
            out.cancel_timer(Timer::PaxosRetry(op));
            out.ok(op, result);
            self.broadcast(ctx, out, key, Msg::Commit { op, key, proposal });
            return;
        }
        r.phase = Phase::Commit { proposal };
        r.yes.clear();
        r.no.clear();
        self.broadcast(ctx, out, key, Msg::Commit { op, key, proposal });
        self.report_round(out, op);
    }

    /// A majority applied the commit: answer, or (after finishing another operation's
    /// proposal) start over.
    fn on_committed(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, op: OpId) {
        let Some(r) = self.rounds.get(&op) else { return };
        let Phase::Commit { proposal } = &r.phase else { return };
        if proposal.op != op {
            self.prepare(ctx, out, op);
            return;
        }
        let value = proposal.update.map(|u| u.value);
        self.rounds.remove(&op);
        out.cancel_timer(Timer::RequestTimeout(op));
        out.cancel_timer(Timer::PaxosRetry(op));
        out.ok(op, value.into_iter().collect());
    }

    /// The operation's time is up: unknown if its own value was proposed (a later round may
    /// complete it), failed otherwise.
    pub(super) fn lwt_timeout(&mut self, out: &mut Out<Msg, Timer>, op: OpId) -> bool {
        let Some(r) = self.rounds.remove(&op) else { return false };
        out.cancel_timer(Timer::PaxosRetry(op));
        let need = majority(self.cfg.replicas);
        let reason = if r.higher.is_some() || r.attempts > 1 {
            FailReason::Contention { key: r.key, attempts: r.attempts }
        } else {
            FailReason::QuorumNotReached { write: r.cas.is_some(), answered: r.yes.len(), needed: need }
        };
        if r.proposed {
            out.unknown(op, reason);
        } else {
            out.fail(op, reason);
        }
        true
    }

    /// Tells the world what the round needs, asked and heard in its current phase.
    fn report_round(&self, out: &mut Out<Msg, Timer>, op: OpId) {
        let Some(r) = self.rounds.get(&op) else { return };
        out.effects.push(Effect::Quorum {
            op,
            needed: majority(self.cfg.replicas) as u32,
            asked: self.preference(r.key).into_iter().collect(),
            answered: r.yes.iter().collect(),
        });
    }

    /// Values of proposals this replica accepted and no commit has settled yet: a later round
    /// may still complete them.
    pub(super) fn for_each_accepted(&self, f: &mut dyn FnMut(Key, Value)) {
        for (&key, a) in &self.paxos {
            if let Some(u) = a.accepted.and_then(|p| p.update) {
                f(key, u.value);
            }
        }
    }

    /// Keys with a proposal accepted and not yet committed here.
    pub(super) fn in_progress(&self) -> usize {
        self.paxos.values().filter(|a| a.accepted.is_some_and(|p| p.update.is_some())).count()
    }
}
