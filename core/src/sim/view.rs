//! What views read: the render-ready picture of the world, the messages on the wire and the
//! recorded ones, and the latest conflict resolutions.

use super::*;

impl<P: Protocol> Sim<P> {
    /// Every message on the wire (a duplicated one once per copy), by delivery time.
    pub(super) fn on_the_wire(&self) -> Vec<MessageView> {
        let mut messages: Vec<MessageView> = self
            .queue
            .iter()
            .filter_map(|(time, kind)| match kind {
                EventKind::Deliver { from, to, msg, id, sent } => Some(MessageView {
                    id: *id,
                    from: *from,
                    to: *to,
                    sent: *sent,
                    deliver: time,
                    label: msg.label(),
                    class: msg.class(),
                    kind: msg.kind(),
                    op: msg.op(),
                }),
                _ => None,
            })
            .collect();
        crate::sort::sort_by_key(&mut messages, |m| (m.deliver, m.id));
        messages
    }

    /// Keeps a record of the last `capacity` messages sent (0, the default, keeps none).
    pub fn set_message_capacity(&mut self, capacity: usize) {
        if self.message_capacity == 0 && capacity > 0 {
            // Messages already on the wire (those the nodes sent on start) are recorded too.
            let mut wire: Vec<MessageRecord> = self
                .on_the_wire()
                .into_iter()
                .map(|m| MessageRecord {
                    id: m.id,
                    from: m.from,
                    to: m.to,
                    sent: m.sent,
                    arrived: Some(m.deliver),
                    fate: MessageFate::InFlight,
                    label: m.label,
                    class: m.class,
                    kind: m.kind,
                    op: m.op,
                })
                .collect();
            crate::sort::sort_by_key(&mut wire, |m| (m.id, m.arrived));
            wire.dedup_by_key(|m| m.id);
            self.messages.extend(wire);
        }
        self.message_capacity = capacity;
        while self.messages.len() > capacity {
            self.messages.pop_front();
        }
    }

    /// The latest notes on how conflicts were resolved, oldest first: as many as messages are
    /// recorded, at most 100 (see [`Sim::set_message_capacity`]).
    pub fn resolutions(&self) -> &std::collections::VecDeque<TraceEntry> {
        &self.resolutions
    }

    /// The recorded messages, oldest first (see [`Sim::set_message_capacity`]).
    pub fn messages(&self) -> &std::collections::VecDeque<MessageRecord> {
        &self.messages
    }

    pub(super) fn record_send(
        &mut self,
        id: u64,
        from: NodeId,
        to: NodeId,
        arrived: Option<Time>,
        fate: MessageFate,
        msg: &P::Msg,
    ) {
        if self.message_capacity == 0 {
            return;
        }
        if self.messages.len() >= self.message_capacity {
            self.messages.pop_front();
        }
        let (label, class, kind, op) = (msg.label(), msg.class(), msg.kind(), msg.op());
        self.messages.push_back(MessageRecord { id, from, to, sent: self.now, arrived, fate, label, class, kind, op });
    }

    /// Marks a recorded message as arrived (or dropped at its destination) now. Messages are
    /// recorded in id order, so the record is found by binary search; a duplicate delivery
    /// keeps the first.
    pub(super) fn record_fate(&mut self, id: u64, fate: MessageFate) {
        if self.message_capacity == 0 {
            return;
        }
        if let Ok(i) = self.messages.binary_search_by_key(&id, |m| m.id) {
            let m = &mut self.messages[i];
            if m.fate == MessageFate::InFlight {
                m.fate = fate;
                m.arrived = Some(self.now);
            }
        }
    }

    /// A render-ready picture of the whole world.
    pub fn view(&self) -> View {
        let up: Vec<bool> = self.slots.iter().map(|s| s.health != Health::Crashed).collect();
        let mut lags = Vec::new();
        P::replication_lag(&self.nodes, &up, self.now, &mut lags);
        let nodes = self
            .nodes
            .iter()
            .enumerate()
            .map(|(id, p)| {
                let s = &self.slots[id];
                NodeState {
                    id,
                    health: s.health,
                    slow_permille: s.slow,
                    clock_offset: self.clock(id) as i64 - self.now as i64,
                    lag: lags[id],
                    protocol: p.view(),
                }
            })
            .collect();
        let n = self.nodes.len();
        let mut links = Vec::new();
        for a in 0..n {
            for b in 0..n {
                let l = self.net.link(a, b);
                if a != b && (l.cut || l.loss_ppm > 0) {
                    links.push(LinkView { from: a, to: b, cut: l.cut, loss_ppm: l.loss_ppm });
                }
            }
        }
        let messages = self.on_the_wire();
        let clients = self
            .clients
            .iter()
            .enumerate()
            .map(|(id, c)| ClientView { id, node: c.node, pending: c.pending.iter().copied().collect() })
            .collect();
        let kept = self.anomalies.kept();
        let start = kept.len().saturating_sub(VIEW_ANOMALIES);
        View {
            now: self.now,
            family: self.family,
            nodes,
            links,
            messages,
            clients,
            anomalies: kept[start..].to_vec(),
            ops_total: self.history.len(),
            faults: self.faults.spans().to_vec(),
            groups: self.net.groups(),
            workload: self.workload.is_some(),
            next_event: self.next_event_time(),
        }
    }

    /// Counts of anomalies by kind.
    pub fn anomaly_counts(&self) -> std::collections::BTreeMap<AnomalyKind, usize> {
        self.anomalies.counts()
    }
}
