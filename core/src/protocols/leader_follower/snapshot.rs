//! Snapshots: a follower behind the compacted prefix of the leader's log gets the data
//! instead (InstallSnapshot, a fresh base backup).

use super::*;

impl LeaderFollowerNode {
    pub(super) fn send_snapshot(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, i: usize) {
        let base = self.durable.log.base() as u64;
        let p = &mut self.volatile.progress[i];
        p.next = base + 1;
        p.last_sent = Some(ctx.clock);
        let to = p.node;
        let data = self.durable.log.base_kv().iter().map(|(&k, &(v, pos))| (k, v, pos)).collect();
        out.send(
            to,
            Msg::Snapshot {
                term: self.durable.term,
                base,
                terms: self.durable.log.terms().to_vec(),
                data,
                commit: self.volatile.commit,
            },
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
        if self.is_coordinator() || (term < self.durable.term && self.cfg.fencing.terms) {
            return;
        }
        self.follow(from, term, out);
        let snapshot =
            Log::from_snapshot(base as usize, terms, data.into_iter().map(|(k, v, pos)| (k, (v, pos))).collect());
        if self.last() < base || self.term_at(base) != snapshot.term_at(base) {
            // Entries that end on the snapshot's term at their position are the snapshot's own
            // (log matching); otherwise they diverge and go.
            let own = self.durable.log.entries().len();
            let matches = self.last() <= base && self.term_at(self.last()) == snapshot.term_at(self.last());
            if own > 0 && !matches {
                let own = self.durable.log.entries().to_vec();
                self.drop_entries(out, own, Discard::Snapshot { from, base });
            }
            self.durable.log = snapshot;
            self.durable.flushed_len = base as usize;
            self.volatile.applied = base;
            self.volatile.apply_queue.clear();
            self.rebuild_kv();
            self.volatile.committed_kv = self.volatile.kv.clone();
            self.volatile.committed_len = base;
            self.clamp_to_log();
            self.serve_waiting(out);
        }
        self.volatile.commit = self.volatile.commit.max(commit.min(base));
        self.volatile.leader_match = self.volatile.leader_match.max(base);
        let index = self.ack_index(base);
        self.volatile.acked = self.volatile.acked.max(index);
        out.send(from, Msg::AppendResp { term: self.durable.term, success: true, index });
    }
}
