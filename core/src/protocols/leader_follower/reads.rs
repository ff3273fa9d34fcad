//! Client requests and what reads see: committed or applied data, reads waiting for a
//! session's position, and where a write is refused or redirected (a leader without enough
//! recent followers refuses writes: `min_replicas.rs`).

use super::*;

impl LeaderFollowerNode {
    /// Answers the reads that were waiting for the log to reach their token.
    pub(super) fn serve_waiting(&mut self, out: &mut Out<Msg, Timer>) {
        if self.volatile.waiting.is_empty() {
            return;
        }
        let visible = self.visible_len();
        let (ready, still): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.volatile.waiting).into_iter().partition(|&(need, _, _)| need <= visible);
        self.volatile.waiting = still;
        let epoch = self.epoch();
        for (_, op, key) in ready {
            out.ok_fenced(op, self.read(key).into_iter().collect(), vec![visible], epoch);
        }
    }

    /// Whether reads on this node see only committed entries (a leader with `visibility:
    /// commit`).
    pub(super) fn reads_committed(&self) -> bool {
        self.volatile.role == Role::Leader && self.cfg.visibility == Visibility::Commit
    }

    /// The data reads on this node see.
    pub(super) fn visible(&self) -> &BTreeMap<Key, (Option<Value>, u64)> {
        if self.reads_committed() {
            &self.volatile.committed_kv
        } else {
            &self.volatile.kv
        }
    }

    /// The length of the log prefix reads on this node see (the version they report).
    pub fn visible_len(&self) -> u64 {
        if self.reads_committed() {
            self.volatile.committed_len.min(self.last())
        } else {
            self.applied_len()
        }
    }

    pub(super) fn on_request(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, req: Request) {
        let not_leader = FailReason::NotLeader { hint: self.durable.leader.filter(|&l| l != self.id) };
        if self.is_coordinator() {
            out.fail(req.op, FailReason::Unavailable { why: "the coordinator holds no data".into() });
            return;
        }
        if self.is_arbiter() {
            out.fail(req.op, FailReason::Unavailable { why: "an arbiter holds no data".into() });
            return;
        }
        if let Some(refusal) = self.maybe_cluster_down(ctx, out) {
            out.fail(req.op, refusal);
            return;
        }
        match req.kind {
            OpKind::Read { key } => {
                let need = req.min_version.first().copied().unwrap_or(0);
                let visible = self.visible_len();
                if req.require_leader && self.volatile.role != Role::Leader {
                    out.fail(req.op, not_leader);
                } else if !req.read_concern.is_local() {
                    self.on_read_concern(out, req.op, key, req.read_concern, not_leader);
                } else if need > visible {
                    match req.behind {
                        Behind::Wait => self.volatile.waiting.push((need, req.op, key)),
                        Behind::Redirect => {
                            out.fail(req.op, FailReason::Behind { have: vec![visible], need: vec![need] })
                        }
                    }
                } else {
                    out.ok_fenced(req.op, self.read(key).into_iter().collect(), vec![visible], self.epoch());
                }
            }
            OpKind::Increment { .. } | OpKind::Add { .. } | OpKind::Remove { .. } => out.fail(
                req.op,
                FailReason::Unavailable {
                    why: format!(
                        "k{} is a register: a single leader orders every write, so there is nothing to merge",
                        req.kind.key()
                    ),
                },
            ),
            OpKind::Cas { key, .. } => out.fail(
                req.op,
                FailReason::Unavailable {
                    why: format!("compare-and-set of k{key} is modelled for the leaderless family only (Paxos)"),
                },
            ),
            OpKind::Write { key, value } | OpKind::Delete { key, value } => {
                let deleted = matches!(req.kind, OpKind::Delete { .. });
                if self.volatile.role == Role::Leader && !self.lease_holds(ctx) {
                    out.note(Note::LeaseExpired { node: self.id });
                    self.become_follower(None, out);
                    out.fail(req.op, FailReason::NotLeader { hint: None });
                } else if self.volatile.role == Role::Leader {
                    match self.maybe_refuse_writes(ctx, out) {
                        Some(refusal) => out.fail(req.op, refusal),
                        None => self.on_write(ctx, out, req.op, key, value, deleted),
                    }
                } else {
                    out.fail(req.op, not_leader);
                }
            }
        }
    }
}
