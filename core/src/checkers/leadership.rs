//! Leadership monitor (single-leader families): who led which term when, split brain (two
//! leaders acknowledging writes at once), and failover episodes (failure, detection, election,
//! first write), fed by the world's typed events.

use std::collections::BTreeMap;

use crate::checkers::{Anomaly, AnomalyKind, AnomalyLog};
use crate::event::WorldEvent;
use crate::metrics::{FailoverEpisode, Metrics};
use crate::net::Network;
use crate::note::Note;
use crate::protocol::{majority, NodeId, OpId};
use crate::time::{to_ms, Time};

/// One node's uninterrupted time as leader in one term.
#[derive(Clone, Debug)]
struct LeaderSpan {
    node: NodeId,
    term: u64,
    start: Time,
    /// The latest write it acknowledged, with the time it had accepted it.
    last_ack: Option<(Time, OpId)>,
}

/// See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct LeadershipMonitor {
    spans: Vec<LeaderSpan>,
    /// Each node's open span, while it leads.
    open: Vec<Option<usize>>,
    /// The split-brain anomaly reported for each pair of spans (its index in the log).
    split_pairs: BTreeMap<(usize, usize), usize>,
    /// The failover episode still unfolding (its index in the metrics).
    open_failover: Option<usize>,
}

impl LeadershipMonitor {
    pub fn new(nodes: usize) -> Self {
        LeadershipMonitor { open: vec![None; nodes], ..Default::default() }
    }

    /// Every leadership so far: (node, term, start time), in order of start.
    pub fn spans(&self) -> Vec<(NodeId, u64, Time)> {
        self.spans.iter().map(|s| (s.node, s.term, s.start)).collect()
    }

    /// The term `node` leads, while it leads.
    pub fn leading(&self, node: NodeId) -> Option<u64> {
        self.open[node].map(|i| self.spans[i].term)
    }

    /// Feeds one event. Returns the anomalies it reveals, which the caller records at once
    /// and in order (the first takes index `anomalies.next_index()`).
    pub fn on_event(
        &mut self,
        now: Time,
        event: &WorldEvent,
        metrics: &mut Metrics,
        anomalies: &mut AnomalyLog,
    ) -> Vec<Anomaly> {
        match *event {
            WorldEvent::LeaderElected { node, term } => {
                self.open[node] = Some(self.spans.len());
                self.spans.push(LeaderSpan { node, term, start: now, last_ack: None });
                if let Some(ep) = self.open_failover.map(|i| &mut metrics.failovers[i]) {
                    if ep.elected.is_none() && (term > ep.term || node != ep.failed_leader) {
                        ep.elected = Some(now);
                        ep.new_leader = Some(node);
                    }
                }
            }
            WorldEvent::LeaderLost { node, .. } => self.open[node] = None,
            WorldEvent::Note { node, note: Note::Suspect { .. } } => {
                if let Some(ep) = self.open_failover.map(|i| &mut metrics.failovers[i]) {
                    if ep.detected.is_none() && node != ep.failed_leader {
                        ep.detected = Some(now);
                    }
                }
            }
            WorldEvent::WriteAcked { node, op, accepted } => {
                return self.write_acked(now, node, op, accepted, metrics, anomalies)
            }
            _ => {}
        }
        Vec::new()
    }

    /// A leader acknowledged a write: feeds failover timing and split-brain detection. A
    /// write counts for split brain by the time its leader accepted it: a deposed leader that
    /// merely confirms a write it accepted (and replicated) before the new leader took over
    /// adds no divergent data.
    fn write_acked(
        &mut self,
        now: Time,
        node: NodeId,
        op: OpId,
        accepted: Time,
        metrics: &mut Metrics,
        anomalies: &mut AnomalyLog,
    ) -> Vec<Anomaly> {
        let mut found = Vec::new();
        let Some(i) = self.open[node] else { return found };
        self.spans[i].last_ack = Some((accepted, op));
        if let Some(k) = self.open_failover {
            let ep = &mut metrics.failovers[k];
            if ep.elected.is_some() && ep.new_leader == Some(node) && ep.first_write.is_none() {
                ep.first_write = Some(now);
                self.open_failover = None;
            }
        }
        for other in 0..self.open.len() {
            let Some(j) = self.open[other].filter(|_| other != node) else { continue };
            let since = self.spans[i].start.max(self.spans[j].start);
            let Some((t, their_op)) = self.spans[j].last_ack else { continue };
            if t < since || accepted < since {
                continue;
            }
            let key = (i.min(j), i.max(j));
            if let Some(&a) = self.split_pairs.get(&key) {
                metrics.split_brain_writes += 1;
                if let Some(a) = anomalies.get_mut(a).filter(|a| a.ops.len() < 100) {
                    a.ops.push(op);
                }
                continue;
            }
            metrics.split_brain_writes += 2;
            let (a, b) = (&self.spans[i], &self.spans[j]);
            self.split_pairs.insert(key, anomalies.next_index() + found.len());
            found.push(Anomaly {
                kind: AnomalyKind::SplitBrain,
                time: now,
                ops: vec![their_op, op],
                nodes: vec![b.node, a.node],
                explanation: format!(
                    "split brain: n{} (leader of term {}) and n{} (leader of term {}) both acknowledge writes since {:.3} ms; their data diverges",
                    b.node,
                    b.term,
                    a.node,
                    a.term,
                    to_ms(since)
                ),
            });
        }
        found
    }

    /// A fault hit `node` (`cause`: crash, pause, partition, power-off): if it was leading, a
    /// failover episode begins.
    pub fn leader_fault(&mut self, now: Time, node: NodeId, cause: &str, metrics: &mut Metrics) {
        let Some(i) = self.open[node] else { return };
        if self.open_failover.is_some() {
            return;
        }
        self.open_failover = Some(metrics.failovers.len());
        metrics.failovers.push(FailoverEpisode {
            failed_leader: node,
            term: self.spans[i].term,
            cause: cause.to_string(),
            failure: now,
            ..Default::default()
        });
    }

    /// After a partition or cut: leaders that can no longer reach a majority have failed.
    pub fn cut_off(&mut self, now: Time, net: &Network, metrics: &mut Metrics) {
        let n = self.open.len();
        for node in 0..n {
            if self.open[node].is_none() {
                continue;
            }
            let reach = (0..n).filter(|&j| j == node || (!net.link(node, j).cut && !net.link(j, node).cut)).count();
            if reach < majority(n) {
                self.leader_fault(now, node, "partition", metrics);
            }
        }
    }
}
