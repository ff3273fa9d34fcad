//! Compaction: forgetting what lies beyond the horizon without changing any verdict.

use super::*;

impl<P: Protocol> Sim<P> {
    /// Lets the families trim their logs of what every peer has (and compaction dropped from
    /// the history). A value a read saw before its write was acknowledged that a log gives up
    /// this way is safe on every node: the dirty-read check stops watching it, exactly as it
    /// would never report it without compaction.
    pub(super) fn compact_logs(&mut self) {
        let first = self.history.first_id();
        // What the nodes may have stopped holding; only a value the dirty-read watch follows
        // matters, and only if no node holds it any more.
        let dropped = &mut self.dropped;
        dropped.clear();
        P::compact_logs(&mut self.nodes, first, &mut |k, v| dropped.push((k, v)));
        if self.dropped.is_empty() {
            return;
        }
        let mut watched = self.lost.watched_before(first, &self.history);
        if watched.is_empty() {
            return;
        }
        crate::sort::sort(&mut watched);
        let mut gone: Vec<(Key, Value)> =
            self.dropped.iter().copied().filter(|kv| watched.binary_search(kv).is_ok()).collect();
        if gone.is_empty() {
            return;
        }
        crate::sort::sort_by_key(&mut gone, |&(_, v)| v);
        gone.dedup();
        let still_held = held_by_some(&self.nodes, &gone, |&(_, v)| v);
        self.lost.trimmed(gone.iter().zip(&still_held).filter(|(_, &held)| !held).map(|(&(_, v), _)| v));
    }

    /// Turns compaction on or off (it is on, with [`Compaction::default`], from the start, so
    /// that the command line, the browser and the tests run a scenario alike). With it, every
    /// `every_ops` operations the simulator
    /// forgets what lies more than `horizon` in the past and cannot
    /// matter any more: completed operations (a write stays archived while a node still holds
    /// its value or a checker still refers to it), checker state about them, latency samples
    /// (folded into a bounded distribution), and anomalies beyond the newest
    /// [`MAX_KEPT_ANOMALIES`] (counted). Memory then stays bounded on a run of any length.
    ///
    /// The price: a check that would relate a new operation to one older than the horizon
    /// (a causal dependency that old, a write lost long after it was acknowledged, a stale
    /// read of a value whose writer was dropped because no node held it) no longer sees it.
    /// With a horizon far above the run's latencies, timeouts and fault durations the trace
    /// is the same with and without compaction (`tests/compaction.rs`).
    pub fn set_compaction(&mut self, compaction: Option<Compaction>) {
        self.compaction = compaction;
        self.anomalies.set_cap(compaction.map(|_| MAX_KEPT_ANOMALIES));
    }

    /// How many anomalies compaction has dropped (the index of the first of [`Sim::anomalies`]).
    pub fn anomalies_dropped(&self) -> usize {
        self.anomalies.dropped()
    }

    /// Sizes of what the simulator holds that grows with the run (for tests and the
    /// benchmark): retained and archived operations, checker and bookkeeping entries.
    pub fn footprint(&self) -> Footprint {
        let mut checker = Vec::new();
        self.stale.referenced(&mut checker);
        self.sessions.referenced(&mut checker);
        crate::sort::sort_ids(&mut checker);
        checker.dedup();
        Footprint {
            ops: self.history.retained(),
            archived: self.history.archive.len(),
            writers: self.writer.len() + self.deletes.values().map(Vec::len).sum::<usize>(),
            checker_refs: checker.len(),
            anomalies: self.anomalies.kept().len(),
            linearizability: self.linearizability.kept(),
            latencies: self.metrics.write_latencies.len() + self.metrics.read_latencies.len(),
            node_entries: self
                .nodes
                .iter()
                .map(|n| {
                    let mut c = 0;
                    n.for_each_write(&mut |_, _| c += 1);
                    c
                })
                .sum(),
        }
    }

    /// Forgets what lies more than the compaction horizon in the past (see
    /// [`Sim::set_compaction`]).
    pub(super) fn compact(&mut self) {
        let Some(c) = self.compaction else { return };
        let mut cutoff = self.now.saturating_sub(c.horizon);
        let retained = self.history.retained();
        if retained > c.max_ops {
            cutoff = cutoff.max(self.history.ops[retained - c.max_ops].invoke);
        }
        // What is about to be dropped goes to the linearizability monitor first, so that
        // compaction never changes its verdict.
        let n = self.history.compactable_before(cutoff);
        if n > 0 {
            let last = self.history.ops[n - 1].id;
            let risk = self.only_on_down_nodes();
            self.lost.before_dropping(&risk, last);
            let horizon = self.history.ops.get(n).map_or(self.now, |o| o.invoke);
            let found = self.linearizability.absorb(
                self.history.ops.range(..n),
                horizon,
                &self.history,
                &super::checks::linearizability_config(),
            );
            for mut a in found {
                a.clamp_time(self.now);
                self.linearizability_found.push(a);
            }
            if self.linearizability_found.len() > MAX_KEPT_ANOMALIES {
                let extra = self.linearizability_found.len() - MAX_KEPT_ANOMALIES / 2;
                for a in self.linearizability_found.drain(..extra) {
                    *self.linearizability_overflow.entry(a.kind()).or_insert(0) += 1;
                }
            }
        }
        // Who asked what, for the answers that may still come.
        let n = self.history.compactable_before(cutoff);
        let accepted = self.accepted.iter().copied().chain(std::iter::repeat(None));
        self.late.extend(self.history.ops.range(..n).zip(accepted).map(|(o, a)| (o.client, o.kind.clone(), a)));
        let excess = self.late.len().saturating_sub(LATE_OPS);
        self.late.drain(..excess);
        let n = self.history.compact_before(cutoff);
        let first = self.history.first_id();
        self.accepted.drain(..n.min(self.accepted.len()));
        self.redirected = self.redirected.split_off(&first);
        self.compact_logs();
        // A dropped write's value stays known while some node still holds it or may still pass
        // it on (a read may yet return it): only the values of dropped writes are looked up (in
        // value order, as the map keeps them).
        let old: Vec<(Value, OpId)> =
            self.writer.iter().filter(|(_, &op)| op < first).map(|(&v, &op)| (v, op)).collect();
        let held = held_by_some(&self.nodes, &old, |&(v, _)| v);
        // The earliest invocation a check can still start from: an outstanding operation's.
        let outstanding = self.history.ops.iter().filter(|o| o.completion.is_none()).map(|o| o.invoke).min();
        let mut kept: Vec<OpId> = Vec::new();
        // Values whose writer is forgotten, in value order (removed in one sweep).
        let mut gone: Vec<Value> = Vec::new();
        for (&(v, op), &held) in old.iter().zip(&held) {
            // A value no node holds keeps its writer while an operation begun before it was
            // first found so is in progress (that one may have read it).
            let awaited = !held && outstanding.is_some_and(|t| t <= *self.unheld_since.entry(v).or_insert(self.now));
            if held || awaited {
                kept.push(op);
            } else {
                gone.push(v);
            }
            if !awaited {
                self.unheld_since.remove(&v);
            }
        }
        if !gone.is_empty() {
            self.writer.retain(|v, _| gone.binary_search(v).is_err());
        }
        crate::sort::sort_ids(&mut kept);
        kept.dedup();
        let keep = |op: OpId| op >= first || kept.binary_search(&op).is_ok();
        for d in self.deletes.values_mut() {
            d.retain(|&op| keep(op));
        }
        self.deletes.retain(|_, d| !d.is_empty());
        let from = outstanding.unwrap_or(self.now).min(cutoff);
        self.stale.compact(from, &keep);
        self.sessions.compact(&keep);
        self.lost.compact(&self.history, &kept);
        // Only the archive (operations before `first`) is pruned by what is referenced.
        let mut needed = kept;
        self.stale.referenced(&mut needed);
        self.sessions.referenced(&mut needed);
        self.lost.referenced(&mut needed);
        needed.retain(|&op| op < first);
        crate::sort::sort_ids(&mut needed);
        needed.dedup();
        self.history.prune_archive(|o| needed.binary_search(&o.id).is_ok());
        self.metrics.fold_latencies();
    }
}

/// Which of `writes` (sorted by value; a value names one write in a run) some node still
/// holds or may still pass on to a peer ([`Protocol::for_each_write_in_transit`]): a read may
/// yet return those. Nothing is listed when there are none to look for.
fn held_by_some<P: Protocol, T>(nodes: &[P], writes: &[T], value: impl Fn(&T) -> Value) -> Vec<bool> {
    let mut held = vec![false; writes.len()];
    let (Some(oldest), Some(newest)) = (writes.first().map(&value), writes.last().map(&value)) else {
        return held;
    };
    let mut mark = |_: Key, v: Value| {
        // Most writes the nodes hold are newer than any looked for: one comparison rules them out.
        if (oldest..=newest).contains(&v) {
            if let Ok(i) = writes.binary_search_by_key(&v, &value) {
                held[i] = true;
            }
        }
    };
    for node in nodes {
        node.for_each_write(&mut mark);
        node.for_each_write_in_transit(&mut mark);
    }
    held
}
