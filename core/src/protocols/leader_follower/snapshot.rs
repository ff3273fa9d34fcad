//! Snapshots: a follower behind the compacted prefix of the leader's log gets the data
//! instead (InstallSnapshot, a fresh base backup).

use super::*;

impl LeaderFollowerNode {
    pub(super) fn send_snapshot(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, i: usize) {
        let base = self.log.base() as u64;
        let p = &mut self.progress[i];
        p.next = base + 1;
        p.last_sent = Some(ctx.clock);
        let to = p.node;
        let data = self.log.base_kv().iter().map(|(&k, &(v, pos))| (k, v, pos)).collect();
        out.send(
            to,
            Msg::Snapshot { term: self.term, base, terms: self.log.terms().to_vec(), data, commit: self.commit },
        );
    }

    /// A follower installs the leader's compacted prefix in place of its own log (which ends
    /// before it, or differs from it).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_snapshot(
        &mut self,
        out: &mut Out<Msg, Timer>,
        from: NodeId,
        term: u64,
        base: u64,
        terms: Vec<(u64, u64)>,
        data: Vec<(Key, Option<Value>, u64)>,
        commit: u64,
    ) {
        if self.is_coordinator() || (term < self.term && self.cfg.fencing.terms) {
            return;
        }
        self.follow(from, term, out);
        let snapshot =
            Log::from_snapshot(base as usize, terms, data.into_iter().map(|(k, v, pos)| (k, (v, pos))).collect());
        if self.last() < base || self.term_at(base) != snapshot.term_at(base) {
            // Entries that end on the snapshot's term at their position are the snapshot's own
            // (log matching); otherwise they diverge and go.
            let own = self.log.entries().len();
            let matches = self.last() <= base && self.term_at(self.last()) == snapshot.term_at(self.last());
            if own > 0 && !matches {
                let ops = self.log.entries().iter().map(|d| d.op).collect();
                out.note(Note::Discarded { node: self.id, ops, how: Discard::Snapshot { from, base } });
            }
            self.log = snapshot;
            self.durable_len = base as usize;
            self.applied = base;
            self.apply_queue.clear();
            self.rebuild_kv();
            self.committed_kv = self.kv.clone();
            self.committed_len = base;
            self.clamp_to_log();
            self.serve_waiting(out);
        }
        self.commit = self.commit.max(commit.min(base));
        self.leader_match = self.leader_match.max(base);
        let index = self.ack_index(base);
        self.acked = self.acked.max(index);
        out.send(from, Msg::AppendResp { term: self.term, success: true, index });
    }
}
