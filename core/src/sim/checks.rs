//! How the world runs its checkers: each found anomaly is recorded as an event; the checkers
//! themselves live in `crate::checkers`.

use super::*;

/// The budget of the simulator's own linearizability checks (a key too hard to decide within
/// it is not reported).
pub(super) fn linearizability_config() -> crate::checkers::linearizability::CheckConfig {
    crate::checkers::linearizability::CheckConfig {
        step_budget: 200_000,
        window_trial_budget: 20_000,
        window_budget: 200_000,
        ..Default::default()
    }
}

impl<P: Protocol> Sim<P> {
    /// Replicas that are up and hold data must agree once the cluster is quiet. Reports each
    /// key on which they differ (once per run).
    pub fn check_divergence(&mut self) {
        if self.anomalies.any(AnomalyKind::Divergence) {
            return;
        }
        let up: Vec<NodeId> = (0..self.nodes.len())
            .filter(|&i| self.slots[i].health == Health::Up && self.nodes[i].holds_data())
            .collect();
        if let Some(a) = crate::checkers::divergence::check(&self.nodes, &up, self.now) {
            self.record_anomaly(a);
        }
    }

    /// Checks the whole history for linearizability (each key a register), adding the keys
    /// that are not. Budgeted: a key too hard to decide within the budget is not reported.
    /// Runs once per run (the report calls it).
    pub fn check_linearizability(&mut self) {
        if self.linearizability_checked {
            return;
        }
        self.linearizability_checked = true;
        let config = linearizability_config();
        for (kind, n) in std::mem::take(&mut self.linearizability_overflow) {
            self.anomalies.count_dropped(std::iter::repeat_n(kind, n));
        }
        let mut found: Vec<Anomaly> =
            std::mem::take(&mut self.linearizability_found).into_iter().map(|f| f.into_anomaly()).collect();
        found.extend(self.linearizability.finish(&self.history, &config));
        crate::sort::sort_by_key(&mut found, |a| (a.time, a.ops.first().copied()));
        for mut a in found {
            a.time = a.time.min(self.now);
            self.record_anomaly(a);
        }
    }

    /// How long nothing has disturbed the cluster: no command, no client write, no cut link.
    pub fn quiet_for(&self) -> Dur {
        if !self.net.cut_links().is_empty() || self.slots.iter().any(|s| s.health == Health::Paused) {
            return 0;
        }
        self.now.saturating_sub(self.last_disturbance)
    }

    pub(super) fn record_anomaly(&mut self, a: Anomaly) {
        let event = WorldEvent::Anomaly {
            kind: a.kind,
            ops: a.ops.clone(),
            nodes: Nodes(a.nodes.clone()),
            explanation: Explanation(if self.trace.wants_events() { a.explanation.clone() } else { String::new() }),
        };
        self.trace.record(a.time, event);
        self.anomalies.push(a);
    }

    /// Runs the checkers that look at the whole state rather than one operation (lost
    /// acknowledged writes), adding what they find. Safe to call repeatedly.
    pub fn check_now(&mut self) {
        let held = lost_write::held_by(&self.nodes);
        let mut lost = std::mem::take(&mut self.lost);
        let found = lost.check_now(&self.history, &held, self.now, self.keeps_history, &|op| self.settled(op));
        self.lost = lost;
        for a in found {
            self.record_anomaly(a);
        }
    }

    /// Acknowledged writes that only down nodes hold, not yet reported: lost to every client
    /// unless one of those nodes comes back.
    pub(super) fn only_on_down_nodes(&self) -> Vec<Anomaly> {
        let down: Vec<bool> = self.slots.iter().map(|s| s.health == Health::Crashed).collect();
        if !down.contains(&true) {
            return Vec::new();
        }
        let held = lost_write::held_by(&self.nodes);
        self.lost.only_on_down_nodes(&self.history, &held, &down, self.now, self.keeps_history)
    }

    /// End of the run: an acknowledged write that only nodes still down hold (powered off by
    /// STONITH, or crashed and never restarted) is lost to every client.
    pub fn check_at_end(&mut self) {
        for a in self.only_on_down_nodes() {
            if self.lost.report(a.ops[0]) {
                self.record_anomaly(a);
            }
        }
    }
}
