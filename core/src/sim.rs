//! The world: it owns time, the one RNG, the event queue, the network, node health and clocks,
//! clients, the history and the checkers, and it performs the effects protocols ask for.
//!
//! A run is fully described by its scenario `(config, seed, timed commands)`; the same scenario
//! gives the same trace hash on every platform. The UI is only a clock source that calls
//! [`Sim::run_until`]; tests call it as fast as the CPU allows.

use crate::note::Note;
use crate::view::Family;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use crate::checkers::session::{RegisterModel, SessionChecker};
use crate::checkers::stale_read::StaleReadChecker;
use crate::checkers::{lost_write, Anomaly, AnomalyKind};
use crate::event::{Applied, Explanation, Inapplicable, MessageRef, SendFate, WorldEvent};
use crate::faults::FaultLog;
use crate::history::{Completion, History, Operation, Outcome};
use crate::metrics::Metrics;
use crate::net::{probability_ppm, Fate, Latency, Link, LinkConfig, Network};
use crate::note::Nodes;
use crate::protocol::{
    merge_versions, Admin, Behind, ClientId, Ctx, Effect, FailReason, Input, Key, KeyType, Message, NodeId, OpId,
    OpKind, Out, Protocol, ReadFrom, Reply, Request, Value, Version,
};
use crate::rng::SimRng;
use crate::scenario::{
    Arrivals, Command, KeyDistribution, MonotonicReads, ReadYourWrites, Scenario, ScenarioError, SessionConfig,
    TimedCommand, WorkloadConfig,
};
use crate::time::{from_ms, to_ms, Dur, Time, SEC};
use crate::trace::{Trace, TraceEntry};
use crate::view::{ClientView, Health, LinkView, MessageFate, MessageRecord, MessageView, NodeState, View};

/// Most anomalies listed in a [`View`] (all are kept in [`Sim::anomalies`]).
const VIEW_ANOMALIES: usize = 50;

#[derive(Clone)]
enum EventKind<P: Protocol> {
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: P::Msg,
        id: u64,
        sent: Time,
    },
    Timer {
        node: NodeId,
        id: u64,
    },
    Request {
        node: NodeId,
        req: Request,
    },
    Reply {
        op: OpId,
        reply: Reply,
    },
    ClientTimeout {
        op: OpId,
    },
    Command(Command),
    Workload {
        generation: u64,
    },
    LagSample,
    /// A busy node is free again: it takes the next input of its backlog.
    Ready {
        node: NodeId,
    },
}

#[derive(Clone)]
struct Event<P: Protocol> {
    time: Time,
    /// Scheduled commands run after every other event of their instant, exactly as a command
    /// applied interactively after `run_until(t)` does; so a recorded session replays exactly.
    late: bool,
    seq: u64,
    kind: EventKind<P>,
}

impl<P: Protocol> PartialEq for Event<P> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.late, self.seq) == (other.time, other.late, other.seq)
    }
}
impl<P: Protocol> Eq for Event<P> {}
impl<P: Protocol> PartialOrd for Event<P> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<P: Protocol> Ord for Event<P> {
    /// Reversed, so that the max-heap pops the earliest event (ties: lowest sequence number).
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.late, other.seq).cmp(&(self.time, self.late, self.seq))
    }
}

/// The world's side of a node: health, faults, clock, timers.
#[derive(Clone)]
struct Slot<P: Protocol> {
    health: Health,
    /// Latency and service-time multiplier, thousandths.
    slow: u64,
    service: Dur,
    skew: i64,
    /// Clock drift in parts per billion.
    drift_ppb: i64,
    busy_until: Time,
    timers: Vec<(u64, P::Timer)>,
    /// Inputs that arrived while paused, in arrival order.
    inbox: Vec<EventKind<P>>,
    /// Inputs waiting for the node to finish the one it is handling, in arrival order (one
    /// queue per node, so a backlog of k inputs costs k events, not k²).
    backlog: std::collections::VecDeque<EventKind<P>>,
    /// When the pending [`EventKind::Ready`] fires, if one is pending.
    ready_at: Option<Time>,
}

/// One node's uninterrupted time as leader in one term.
#[derive(Clone, Debug)]
struct LeaderSpan {
    node: NodeId,
    term: u64,
    start: Time,
    /// The latest write it acknowledged, with the time it had accepted it.
    last_ack: Option<(Time, OpId)>,
}

#[derive(Clone)]
struct Client {
    node: NodeId,
    timeout: Dur,
    pending: BTreeSet<OpId>,
    session: SessionConfig,
    /// Versions of the session's acknowledged writes, and of the replicas its reads saw.
    write_token: Version,
    read_token: Version,
    last_write_ack: Option<Time>,
    /// The replica a sticky session reads from.
    sticky: Option<NodeId>,
    /// The causal context of the last read of each key, sent with the next write of it.
    contexts: BTreeMap<u32, Version>,
    /// The newest fencing epoch this client has seen.
    epoch: u64,
}

#[derive(Clone)]
struct Workload {
    cfg: WorkloadConfig,
    generation: u64,
    turn: usize,
    clients: Vec<ClientId>,
    /// Cumulative integer weights for Zipf keys (empty: uniform).
    zipf: Vec<u64>,
    stop: Option<Time>,
    /// The element the workload added last to each set key (what it removes).
    last_added: BTreeMap<Key, Value>,
}

/// Where a client operation should go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// This node, whatever its role.
    Node(NodeId),
    /// Writes: the leader the client's node believes in; reads: as `ReadFrom` says.
    Auto(ReadFrom),
}

/// What a simulation holds that grows with the run (see [`Sim::footprint`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Operations retained in the history.
    pub ops: usize,
    /// Dropped operations kept because a node or a checker still refers to them.
    pub archived: usize,
    /// Value-to-writer and delete entries.
    pub writers: usize,
    /// Operations the checkers refer to.
    pub checker_refs: usize,
    pub anomalies: usize,
    /// Latency samples not yet folded.
    pub latencies: usize,
    /// Writes the nodes hold (log entries, versions, siblings).
    pub node_entries: usize,
    /// Register operations the linearizability monitor keeps (since each key's latest
    /// isolated read or write, and unknown writes no read has returned). What it found in
    /// dropped operations waits for the report, capped like the anomalies.
    pub linearizability: usize,
}

/// The simulated world running protocol `P`. Cloning it takes a checkpoint: the clone runs on
/// exactly as the original would.
#[derive(Clone)]
pub struct Sim<P: Protocol> {
    family: Family,
    /// The scenario without its commands: what a command applied live is checked against.
    rules: Box<Scenario>,
    seed: u64,
    now: Time,
    seq: u64,
    events: u64,
    rng: SimRng,
    queue: BinaryHeap<Event<P>>,
    nodes: Vec<P>,
    slots: Vec<Slot<P>>,
    net: Network,
    client_latency: Latency,
    clients: Vec<Client>,
    history: History,
    workload: Option<Workload>,
    trace: Trace,
    /// The most recent messages, oldest first (kept only when asked for).
    messages: std::collections::VecDeque<MessageRecord>,
    message_capacity: usize,
    /// The most recent notes on how conflicts were resolved (see [`NoteKind::is_resolution`]).
    resolutions: std::collections::VecDeque<TraceEntry>,
    metrics: Metrics,
    stale: StaleReadChecker,
    anomalies: Vec<Anomaly>,
    lost_reported: BTreeSet<OpId>,
    next_value: Value,
    next_msg: u64,
    lag_every: Dur,
    applied: Vec<TimedCommand>,
    out: Out<P::Msg, P::Timer>,
    /// Leadership spans (single-leader families only).
    spans: Vec<LeaderSpan>,
    open_span: Vec<Option<usize>>,
    /// Split-brain anomalies already reported, by pair of spans.
    split_pairs: std::collections::BTreeMap<(usize, usize), usize>,
    /// The failover episode still unfolding.
    open_failover: Option<usize>,
    /// When each operation's request reached a node (`None`: not yet, or never).
    accepted: Vec<Option<Time>>,
    sessions: SessionChecker,
    /// Linearizability of what compaction dropped, settled key by key.
    linearizability: crate::checkers::linearizability::monitor::LinearizabilityMonitor,
    /// The end-of-run linearizability check has run.
    linearizability_checked: bool,
    /// What the monitor found in dropped operations, reported with the end-of-run check (as
    /// the same violations are without compaction); beyond [`MAX_KEPT_ANOMALIES`], counted.
    linearizability_found: Vec<Anomaly>,
    linearizability_overflow: BTreeMap<AnomalyKind, usize>,
    /// Acknowledged writes compaction dropped while only down nodes held them.
    at_risk_dropped: BTreeSet<OpId>,
    /// Which write wrote each value.
    writer: BTreeMap<Value, OpId>,
    /// The deletes of each key.
    deletes: BTreeMap<Key, Vec<OpId>>,
    /// Reads already redirected to the leader once.
    redirected: BTreeSet<OpId>,
    /// The last time a command or a client write disturbed the cluster.
    last_disturbance: Time,
    /// The quorum the next invoked operation asks for (set by a command).
    next_quorum: Option<u32>,
    /// Operations invoked with a quorum other than the configured one.
    quorums: BTreeMap<OpId, u32>,
    /// Writes that conflict resolution discarded before they were acknowledged, with the write
    /// that beat them: (lost, by).
    superseded_unacked: Vec<(OpId, OpId)>,
    /// When each fault was in force.
    faults: FaultLog,
    /// Compaction settings (`None`: keep everything). See [`Sim::set_compaction`].
    compaction: Option<Compaction>,
    /// Anomalies compaction dropped from the front of `anomalies`, and their kinds.
    anomalies_dropped: usize,
    dropped_anomaly_counts: BTreeMap<AnomalyKind, usize>,
}

/// How a simulation compacts what it holds (see [`Sim::set_compaction`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compaction {
    /// What lies further in the past than this may be forgotten.
    pub horizon: Dur,
    /// Compaction runs once per this many invoked operations.
    pub every_ops: u64,
    /// At most about this many operations are retained, however high the rate: the horizon
    /// shortens when needed.
    pub max_ops: usize,
}

impl Default for Compaction {
    /// A minute of simulated time or 50,000 operations, whichever is shorter; every 2,048
    /// operations.
    fn default() -> Self {
        Compaction { horizon: 60 * SEC, every_ops: 2048, max_ops: 50_000 }
    }
}
/// With compaction on, the families compact their logs once per this many operations.
pub const LOG_COMPACT_EVERY_OPS: u64 = 64;
/// With compaction on, the most anomalies kept (older ones are counted, not kept).
pub const MAX_KEPT_ANOMALIES: usize = 2000;

/// How many different elements the workload adds to a set key.
pub const SET_ELEMENTS: u64 = 64;

impl<P: Protocol> Sim<P> {
    /// Builds the world for `scenario` around already-constructed protocol nodes and starts
    /// them. The scenario must have been validated (as [`Scenario::from_json`] does).
    pub fn new(family: Family, scenario: &Scenario, nodes: Vec<P>) -> Self {
        let n = nodes.len();
        assert_eq!(n, scenario.cluster.nodes, "one protocol node per cluster node");
        let cluster = &scenario.cluster;
        let mut net = Network::new(n, &cluster.network);
        for l in &cluster.links {
            let mut dirs = vec![(l.from, l.to)];
            if l.symmetric {
                dirs.push((l.to, l.from));
            }
            for (a, b) in dirs {
                let mut cfg: LinkConfig = cluster.network.clone();
                if let Some(lat) = &l.latency {
                    cfg.latency = lat.clone();
                }
                if let Some(p) = l.loss {
                    cfg.loss = p;
                }
                if let Some(p) = l.duplicate {
                    cfg.duplicate = p;
                }
                if let Some(f) = l.fifo {
                    cfg.fifo = f;
                }
                *net.link_mut(a, b) = Link::new(&cfg);
            }
        }
        let slots = (0..n)
            .map(|i| {
                let service = cluster
                    .node_overrides
                    .iter()
                    .rev()
                    .find(|o| o.node == i)
                    .and_then(|o| o.service_time_ms)
                    .unwrap_or(cluster.node.service_time_ms);
                Slot {
                    health: Health::Up,
                    slow: 1000,
                    service: from_ms(service),
                    skew: 0,
                    drift_ppb: 0,
                    busy_until: 0,
                    backlog: Default::default(),
                    ready_at: None,
                    timers: Vec::new(),
                    inbox: Vec::new(),
                }
            })
            .collect();
        let clients = scenario
            .clients()
            .iter()
            .map(|c| Client {
                node: c.node,
                timeout: from_ms(c.timeout_ms).max(1),
                pending: BTreeSet::new(),
                session: c.session.clone(),
                write_token: Vec::new(),
                read_token: Vec::new(),
                last_write_ack: None,
                sticky: None,
                contexts: BTreeMap::new(),
                epoch: 0,
            })
            .collect();
        let mut sim = Sim {
            family,
            rules: Box::new(Scenario { commands: Vec::new(), ..scenario.clone() }),
            seed: scenario.seed,
            now: 0,
            seq: 0,
            events: 0,
            rng: SimRng::new(scenario.seed),
            queue: BinaryHeap::new(),
            nodes,
            slots,
            net,
            client_latency: cluster.client_latency.clone(),
            clients,
            history: History::default(),
            workload: None,
            trace: Trace::new(0),
            messages: Default::default(),
            message_capacity: 0,
            resolutions: Default::default(),
            metrics: Metrics::default(),
            stale: StaleReadChecker::default(),
            anomalies: Vec::new(),
            lost_reported: BTreeSet::new(),
            next_value: 1,
            next_msg: 0,
            lag_every: from_ms(cluster.lag_sample_ms).max(1),
            applied: Vec::new(),
            out: Out::default(),
            spans: Vec::new(),
            open_span: vec![None; n],
            split_pairs: std::collections::BTreeMap::new(),
            open_failover: None,
            accepted: Vec::new(),
            sessions: SessionChecker::new(),
            linearizability: Default::default(),
            linearizability_checked: false,
            linearizability_found: Vec::new(),
            linearizability_overflow: BTreeMap::new(),
            at_risk_dropped: BTreeSet::new(),
            writer: BTreeMap::new(),
            deletes: BTreeMap::new(),
            redirected: BTreeSet::new(),
            last_disturbance: 0,
            next_quorum: None,
            quorums: BTreeMap::new(),
            superseded_unacked: Vec::new(),
            faults: FaultLog::default(),
            compaction: Some(Compaction::default()),
            anomalies_dropped: 0,
            dropped_anomaly_counts: BTreeMap::new(),
        };
        for tc in &scenario.commands {
            sim.push(from_ms(tc.at_ms), EventKind::Command(tc.command.clone()));
        }
        for node in 0..n {
            sim.step_node(node, Input::Start);
        }
        if let Some(w) = &scenario.workload {
            sim.start_workload(w.clone());
        }
        sim.push(0, EventKind::LagSample);
        sim
    }

    fn push(&mut self, time: Time, kind: EventKind<P>) {
        self.seq += 1;
        let late = matches!(kind, EventKind::Command(_));
        self.queue.push(Event { time, late, seq: self.seq, kind });
    }

    /// Current simulated time.
    pub fn now(&self) -> Time {
        self.now
    }
    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.events
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn family(&self) -> Family {
        self.family
    }
    pub fn history(&self) -> &History {
        &self.history
    }
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }
    pub fn nodes(&self) -> &[P] {
        &self.nodes
    }
    pub fn node(&self, id: NodeId) -> &P {
        &self.nodes[id]
    }
    pub fn health(&self, id: NodeId) -> Health {
        self.slots[id].health
    }
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// Hash of the whole trace so far (16 hex digits).
    pub fn trace_hash(&self) -> String {
        self.trace.hash_hex()
    }
    /// Keep the most recent `capacity` trace entries as text (0: none, the default).
    pub fn set_trace_capacity(&mut self, capacity: usize) {
        self.trace.set_capacity(capacity);
    }
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    /// The W (write) or R (read) an operation was invoked with, when a command chose one
    /// other than the configured quorum.
    pub fn op_quorum(&self, op: OpId) -> Option<u32> {
        self.quorums.get(&op).copied()
    }
    /// Every message on the wire (a duplicated one once per copy), by delivery time.
    fn on_the_wire(&self) -> Vec<MessageView> {
        let mut messages: Vec<MessageView> = self
            .queue
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Deliver { from, to, msg, id, sent } => Some(MessageView {
                    id: *id,
                    from: *from,
                    to: *to,
                    sent: *sent,
                    deliver: e.time,
                    label: msg.label(),
                    kind: msg.kind(),
                    op: msg.op(),
                }),
                _ => None,
            })
            .collect();
        messages.sort_by_key(|m| (m.deliver, m.id));
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
                    kind: m.kind,
                    op: m.op,
                })
                .collect();
            wire.sort_by_key(|m| (m.id, m.arrived));
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

    fn record_send(
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
        let (label, kind, op) = (msg.label(), msg.kind(), msg.op());
        self.messages.push_back(MessageRecord { id, from, to, sent: self.now, arrived, fate, label, kind, op });
    }

    /// Marks a recorded message as arrived (or dropped at its destination) now. Messages are
    /// recorded in id order, so the record is found by binary search; a duplicate delivery
    /// keeps the first.
    fn record_fate(&mut self, id: u64, fate: MessageFate) {
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
    /// Commands applied interactively with [`Sim::apply`], with their times.
    pub fn applied_commands(&self) -> &[TimedCommand] {
        &self.applied
    }
    /// Every leadership so far: (node, term, start time), in order of start.
    pub fn leader_spans(&self) -> Vec<(NodeId, u64, Time)> {
        self.spans.iter().map(|s| (s.node, s.term, s.start)).collect()
    }

    /// Time of the next pending event.
    pub fn next_event_time(&self) -> Option<Time> {
        self.queue.peek().map(|e| e.time)
    }

    /// Processes the next event. Returns false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let Some(ev) = self.queue.pop() else { return false };
        debug_assert!(ev.time >= self.now, "time never goes backwards");
        self.now = ev.time;
        self.events += 1;
        self.handle(ev.kind);
        true
    }

    /// Processes every event up to and including time `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: Time) {
        while self.queue.peek().is_some_and(|e| e.time <= t) {
            self.step();
        }
        self.now = self.now.max(t);
    }

    /// Applies a command now, and records it so the run can be exported and replayed. A
    /// command the scenario's validation would refuse (an unknown node or client, a promotion
    /// outside leader-follower, …) is refused the same way, and changes nothing.
    pub fn apply(&mut self, command: Command) -> Result<(), ScenarioError> {
        self.check_command(&command)?;
        self.applied.push(TimedCommand { at_ms: to_ms(self.now), command: command.clone() });
        self.run_command(command);
        Ok(())
    }

    /// Whether [`Sim::apply`] would take `command`, and if not, why.
    pub fn check_command(&self, command: &Command) -> Result<(), ScenarioError> {
        self.rules.validate_command("command", command)
    }

    /// The local clock of a node.
    pub fn clock(&self, node: NodeId) -> Time {
        let s = &self.slots[node];
        let drift = (self.now as i128 * s.drift_ppb as i128 / 1_000_000_000) as i64;
        (self.now as i64).saturating_add(s.skew).saturating_add(drift).max(0) as Time
    }

    fn handle(&mut self, kind: EventKind<P>) {
        match kind {
            EventKind::Deliver { .. } | EventKind::Timer { .. } | EventKind::Request { .. } => self.node_event(kind),
            EventKind::Reply { op, reply } => self.on_reply(op, reply),
            EventKind::ClientTimeout { op } => {
                if self.history.get(op).is_some_and(|o| o.completion.is_none()) {
                    self.complete(op, Outcome::Unknown, None);
                }
            }
            EventKind::Command(c) => self.run_command(c),
            EventKind::Ready { node } => self.on_ready(node),
            EventKind::Workload { generation } => self.on_workload(generation),
            EventKind::LagSample => {
                let up: Vec<bool> = self.slots.iter().map(|s| s.health != Health::Crashed).collect();
                let lags = P::replication_lag(&self.nodes, &up, self.now);
                self.metrics.record_lag(self.now, lags);
                self.push(self.now + self.lag_every, EventKind::LagSample);
            }
        }
    }

    /// An event addressed to a node: dropped if the node is down, queued if it is paused or
    /// busy, otherwise handed to the protocol.
    fn node_event(&mut self, kind: EventKind<P>) {
        let node = match &kind {
            EventKind::Deliver { to, .. } => *to,
            EventKind::Timer { node, .. } | EventKind::Request { node, .. } => *node,
            _ => unreachable!("node_event takes node events only"),
        };
        let now = self.now;
        let slot = &mut self.slots[node];
        match slot.health {
            Health::Crashed => {
                if let EventKind::Deliver { from, msg, id, .. } = &kind {
                    let msg = msg_ref(self.trace.wants_events(), *id, *from, node, msg);
                    self.record_fate(msg.id, MessageFate::DestinationDown);
                    self.trace.record(now, WorldEvent::DroppedAtDownNode { msg });
                }
                return;
            }
            Health::Paused => {
                slot.inbox.push(kind);
                return;
            }
            Health::Up => {}
        }
        if slot.busy_until > now || !slot.backlog.is_empty() {
            slot.backlog.push_back(kind);
            self.arm_ready(node);
            return;
        }
        self.handle_node_input(node, kind);
    }

    /// Makes sure a [`EventKind::Ready`] is pending for a node with a backlog.
    fn arm_ready(&mut self, node: NodeId) {
        let slot = &mut self.slots[node];
        if slot.ready_at.is_none() && !slot.backlog.is_empty() {
            let at = slot.busy_until.max(self.now);
            slot.ready_at = Some(at);
            self.push(at, EventKind::Ready { node });
        }
    }

    /// A busy node became free: it takes the next input of its backlog.
    fn on_ready(&mut self, node: NodeId) {
        let slot = &mut self.slots[node];
        slot.ready_at = None;
        if slot.health != Health::Up {
            // Paused: resuming arms it again. Down: the crash emptied the backlog.
            return;
        }
        if slot.busy_until <= self.now {
            if let Some(kind) = slot.backlog.pop_front() {
                self.handle_node_input(node, kind);
            }
        }
        self.arm_ready(node);
    }

    /// Hands an input to a running, idle node's protocol.
    fn handle_node_input(&mut self, node: NodeId, kind: EventKind<P>) {
        let now = self.now;
        let slot = &mut self.slots[node];
        let input = match kind {
            EventKind::Deliver { from, msg, id, .. } => {
                self.trace.record(
                    now,
                    WorldEvent::Delivered { msg: msg_ref(self.trace.wants_events(), id, from, node, &msg) },
                );
                self.record_fate(id, MessageFate::Delivered);
                Input::Message { from, msg }
            }
            EventKind::Timer { id, .. } => {
                let Some(pos) = slot.timers.iter().position(|(tid, _)| *tid == id) else { return };
                let (_, timer) = slot.timers.swap_remove(pos);
                self.trace.record(now, WorldEvent::TimerFired { node });
                self.trace.hash(&timer);
                Input::Timer(timer)
            }
            EventKind::Request { req, .. } => {
                self.trace.record(now, WorldEvent::RequestArrived { node, op: req.op });
                if let Some(a) =
                    req.op.checked_sub(self.history.first_id()).and_then(|i| self.accepted.get_mut(i as usize))
                {
                    a.get_or_insert(now);
                }
                Input::Request(req)
            }
            _ => unreachable!(),
        };
        self.step_node(node, input);
    }

    /// Runs one step of a node's protocol and performs its effects.
    fn step_node(&mut self, node: NodeId, input: Input<P::Msg, P::Timer>) {
        let ctx = Ctx { id: node, nodes: self.nodes.len(), now: self.now, clock: self.clock(node) };
        let mut out = std::mem::take(&mut self.out);
        self.nodes[node].step(&ctx, input, &mut out);
        let slot = &mut self.slots[node];
        slot.busy_until = self.now + slot.service * slot.slow / 1000;
        self.track_role(node);
        let mut discarded = false;
        for effect in out.effects.drain(..) {
            discarded |= matches!(effect, Effect::Note(Note::Discarded { .. }));
            self.perform(node, effect);
        }
        self.out = out;
        if discarded {
            // Data was just thrown away: find out at once whether acknowledged writes died.
            self.check_now();
        }
    }

    /// Opens and closes leadership spans as nodes gain and lose the leader role.
    fn track_role(&mut self, node: NodeId) {
        if !P::single_leader() {
            return;
        }
        let p = &self.nodes[node];
        let leading = self.slots[node].health != Health::Crashed && p.role() == crate::view::Role::Leader;
        let term = p.term();
        match self.open_span[node] {
            Some(i) if leading && self.spans[i].term == term => return,
            Some(i) => {
                self.open_span[node] = None;
                let term = self.spans[i].term;
                self.trace.record(self.now, WorldEvent::LeaderLost { node, term });
            }
            None if !leading => return,
            None => {}
        }
        if leading {
            self.trace.record(self.now, WorldEvent::LeaderElected { node, term });
            self.open_span[node] = Some(self.spans.len());
            self.spans.push(LeaderSpan { node, term, start: self.now, last_ack: None });
            if let Some(ep) = self.open_failover.map(|i| &mut self.metrics.failovers[i]) {
                if ep.elected.is_none() && (term > ep.term || node != ep.failed_leader) {
                    ep.elected = Some(self.now);
                    ep.new_leader = Some(node);
                }
            }
        }
    }

    /// A node acknowledged a write: feeds failover timing and split-brain detection. A write
    /// counts for split brain by the time its leader accepted it: a deposed leader that merely
    /// confirms a write it accepted (and replicated) before the new leader took over adds no
    /// divergent data.
    fn on_write_acked_by(&mut self, node: NodeId, op: OpId) {
        let Some(i) = self.open_span[node] else { return };
        let now = self.now;
        let accepted = op
            .checked_sub(self.history.first_id())
            .and_then(|i| self.accepted.get(i as usize).copied().flatten())
            .unwrap_or(now);
        self.spans[i].last_ack = Some((accepted, op));
        if let Some(k) = self.open_failover {
            let ep = &mut self.metrics.failovers[k];
            if ep.elected.is_some() && ep.new_leader == Some(node) && ep.first_write.is_none() {
                ep.first_write = Some(now);
                self.open_failover = None;
            }
        }
        for other in 0..self.nodes.len() {
            let Some(j) = self.open_span[other].filter(|_| other != node) else { continue };
            let since = self.spans[i].start.max(self.spans[j].start);
            let Some((t, their_op)) = self.spans[j].last_ack else { continue };
            if t < since || accepted < since {
                continue;
            }
            let key = (i.min(j), i.max(j));
            if let Some(&a) = self.split_pairs.get(&key) {
                self.metrics.split_brain_writes += 1;
                let ops = &mut self.anomalies[a].ops;
                if ops.len() < 100 {
                    ops.push(op);
                }
                continue;
            }
            self.metrics.split_brain_writes += 2;
            let (a, b) = (&self.spans[i], &self.spans[j]);
            let anomaly = Anomaly {
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
            };
            self.split_pairs.insert(key, self.anomalies.len());
            self.record_anomaly(anomaly);
        }
    }

    /// A fault hit `node`: if it was leading, a failover episode begins.
    fn maybe_leader_failure(&mut self, node: NodeId, cause: &str) {
        let Some(i) = self.open_span[node] else { return };
        if self.open_failover.is_some() {
            return;
        }
        let term = self.spans[i].term;
        self.open_failover = Some(self.metrics.failovers.len());
        self.metrics.failovers.push(crate::metrics::FailoverEpisode {
            failed_leader: node,
            term,
            cause: cause.to_string(),
            failure: self.now,
            ..Default::default()
        });
    }

    /// After a partition or cut: leaders that can no longer reach a majority have failed.
    fn leaders_cut_off(&mut self) {
        let n = self.nodes.len();
        for node in 0..n {
            if self.open_span[node].is_none() {
                continue;
            }
            let reach =
                (0..n).filter(|&j| j == node || (!self.net.link(node, j).cut && !self.net.link(j, node).cut)).count();
            if reach < n / 2 + 1 {
                self.maybe_leader_failure(node, "partition");
            }
        }
    }

    /// A node goes down: it crashed, or node `by` powered it off.
    fn crash_node(&mut self, node: NodeId, by: Option<NodeId>) {
        if self.slots[node].health == Health::Crashed {
            return;
        }
        self.faults.down(self.now, node, by);
        self.maybe_leader_failure(node, "crash");
        self.nodes[node].crash();
        let slot = &mut self.slots[node];
        slot.health = Health::Crashed;
        slot.timers.clear();
        slot.inbox.clear();
        slot.busy_until = self.now;
        // What it had not got to yet arrives at a dead node: messages are dropped as such.
        let backlog = std::mem::take(&mut slot.backlog);
        for kind in backlog {
            self.push(self.now, kind);
        }
        self.track_role(node);
        self.check_now();
        if self.trace.wants_events() {
            let risk = self.only_on_down_nodes();
            if !risk.is_empty() {
                let ops = risk.iter().take(5).map(|a| a.ops[0]).collect();
                self.trace.show(self.now, WorldEvent::AtRisk { node, count: risk.len(), ops });
            }
        }
    }

    fn perform(&mut self, node: NodeId, effect: Effect<P::Msg, P::Timer>) {
        let now = self.now;
        match effect {
            Effect::Send { to, msg } => {
                assert!(to < self.nodes.len() && to != node, "n{node} sent to invalid node {to}");
                self.next_msg += 1;
                let id = self.next_msg;
                let fate = self.net.route(node, to, now, self.slots[node].slow, &mut self.rng);
                let send_fate = match fate {
                    Fate::Deliver { .. } => SendFate::OnItsWay,
                    Fate::Cut => SendFate::Cut,
                    Fate::Lost => SendFate::Lost,
                };
                let sent = msg_ref(self.trace.wants_events(), id, node, to, &msg);
                self.trace.record(now, WorldEvent::Sent { msg: sent, fate: send_fate });
                self.trace.hash(&msg);
                if self.message_capacity > 0 {
                    let (arrived, f) = match fate {
                        Fate::Deliver { at, .. } => (Some(at), MessageFate::InFlight),
                        Fate::Cut => (None, MessageFate::Cut),
                        Fate::Lost => (None, MessageFate::Lost),
                    };
                    self.record_send(id, node, to, arrived, f, &msg);
                }
                if let Fate::Deliver { at, again_at } = fate {
                    if let Some(again) = again_at {
                        self.push(again, EventKind::Deliver { from: node, to, msg: msg.clone(), id, sent: now });
                    }
                    self.push(at, EventKind::Deliver { from: node, to, msg, id, sent: now });
                }
            }
            Effect::SetTimer { timer, min, max } => {
                let slot = &mut self.slots[node];
                slot.timers.retain(|(_, t)| *t != timer);
                self.seq += 1;
                let id = self.seq;
                slot.timers.push((id, timer));
                let delay = self.rng.between(min, max.max(min));
                self.push(now + delay, EventKind::Timer { node, id });
            }
            Effect::CancelTimer { timer } => {
                self.slots[node].timers.retain(|(_, t)| *t != timer);
            }
            Effect::Reply { op, reply } => {
                if matches!(reply, Reply::Ok { .. }) && self.history.get(op).is_some_and(|o| o.kind.is_write()) {
                    self.on_write_acked_by(node, op);
                }
                self.send_reply(node, op, reply)
            }
            Effect::Superseded { key, lost, by } => {
                self.trace.record(now, WorldEvent::Superseded { node, key, lost, by });
                if let (Some(&l), Some(&b)) = (self.writer.get(&lost), self.writer.get(&by)) {
                    let state = self.history.get(l).map(|o| (o.is_ok(), o.completion.is_none()));
                    match state {
                        Some((true, _)) => self.check_superseded(l, b, node),
                        Some((false, true)) if !self.superseded_unacked.contains(&(l, b)) => {
                            self.superseded_unacked.push((l, b))
                        }
                        _ => {}
                    }
                }
            }
            Effect::PowerOff { node: target } => {
                if target < self.nodes.len() && target != node {
                    self.trace.record(now, WorldEvent::PoweredOff { by: node, node: target });
                    self.crash_node(target, Some(node));
                }
            }
            Effect::Note(note) => {
                let kind = note.kind();
                if matches!(note, Note::Suspect { .. }) {
                    if let Some(ep) = self.open_failover.map(|i| &mut self.metrics.failovers[i]) {
                        if ep.detected.is_none() && node != ep.failed_leader {
                            ep.detected = Some(now);
                        }
                    }
                }
                *self.metrics.notes.entry(kind.as_str()).or_default() += 1;
                let event = WorldEvent::Note { node, note };
                if self.message_capacity > 0 && kind.is_resolution() {
                    if self.resolutions.len() >= self.message_capacity.min(100) {
                        self.resolutions.pop_front();
                    }
                    self.resolutions.push_back(TraceEntry { time: now, event: event.clone() });
                }
                self.trace.record(now, event);
            }
        }
    }

    fn send_reply(&mut self, node: NodeId, op: OpId, reply: Reply) {
        let Some(o) = self.history.get(op) else { return };
        let home = self.clients[o.client].node;
        let delay = self.path_delay(node, home);
        self.trace.record(self.now, WorldEvent::Replied { op, node, client_node: home, arrives: delay.is_some() });
        if let Some(d) = delay {
            self.push(self.now + d, EventKind::Reply { op, reply });
        }
    }

    /// Delay of a client message between a node and a client sitting next to node `home`:
    /// the client hop, plus the network path when the node is elsewhere (a connection of its
    /// own, not ordered with replication traffic). `None`: lost or cut.
    fn path_delay(&mut self, from: NodeId, to: NodeId) -> Option<Dur> {
        let hop = self.client_latency.sample(&mut self.rng);
        if from == to {
            return Some(hop);
        }
        self.net.client_path(from, to, self.slots[from].slow, &mut self.rng).map(|d| hop + d)
    }

    /// Where a client's read goes and which token it carries, by its session guarantees.
    fn session_read(&mut self, client: ClientId, target: Target) -> (Target, Version, Behind) {
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
    }

    /// How many anomalies compaction has dropped (the index of the first of [`Sim::anomalies`]).
    pub fn anomalies_dropped(&self) -> usize {
        self.anomalies_dropped
    }

    /// Sizes of what the simulator holds that grows with the run (for tests and the
    /// benchmark): retained and archived operations, checker and bookkeeping entries.
    pub fn footprint(&self) -> Footprint {
        let mut checker = BTreeSet::new();
        self.stale.referenced(&mut checker);
        self.sessions.referenced(&mut checker);
        Footprint {
            ops: self.history.retained(),
            archived: self.history.archive.len(),
            writers: self.writer.len() + self.deletes.values().map(Vec::len).sum::<usize>(),
            checker_refs: checker.len(),
            anomalies: self.anomalies.len(),
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
    fn compact(&mut self) {
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
            for a in self.only_on_down_nodes() {
                if a.ops[0] <= last {
                    self.at_risk_dropped.insert(a.ops[0]);
                }
            }
            let horizon = self.history.ops.get(n).map_or(self.now, |o| o.invoke);
            let found =
                self.linearizability.absorb(&self.history.ops[..n], horizon, &self.history, &linearizability_config());
            for mut a in found {
                a.time = a.time.min(self.now);
                self.linearizability_found.push(a);
            }
            if self.linearizability_found.len() > MAX_KEPT_ANOMALIES {
                let extra = self.linearizability_found.len() - MAX_KEPT_ANOMALIES / 2;
                for a in self.linearizability_found.drain(..extra) {
                    *self.linearizability_overflow.entry(a.kind).or_insert(0) += 1;
                }
            }
        }
        let n = self.history.compact_before(cutoff);
        let first = self.history.first_id();
        self.accepted.drain(..n.min(self.accepted.len()));
        self.quorums = self.quorums.split_off(&first);
        self.redirected = self.redirected.split_off(&first);
        P::compact_logs(&mut self.nodes, first);
        // A dropped write's value stays known while some node still holds it.
        let mut held: BTreeSet<Value> = BTreeSet::new();
        for node in &self.nodes {
            node.for_each_write(&mut |_, v| {
                held.insert(v);
            });
        }
        self.writer.retain(|v, op| *op >= first || held.contains(v));
        let kept: BTreeSet<OpId> = self.writer.values().copied().filter(|&op| op < first).collect();
        let keep = |op: OpId| op >= first || kept.contains(&op);
        for d in self.deletes.values_mut() {
            d.retain(|&op| keep(op));
        }
        self.deletes.retain(|_, d| !d.is_empty());
        // The earliest invocation a check can still start from: an outstanding operation's.
        let from = self
            .history
            .ops
            .iter()
            .filter(|o| o.completion.is_none())
            .map(|o| o.invoke)
            .min()
            .unwrap_or(self.now)
            .min(cutoff);
        self.stale.compact(from, &keep);
        self.sessions.compact(&keep);
        let mut needed = kept.clone();
        // (Writes at risk stay while some node holds them: `kept` has them then.)
        let at_risk: Vec<OpId> = self.at_risk_dropped.iter().copied().filter(|op| kept.contains(op)).collect();
        self.at_risk_dropped = at_risk.into_iter().collect();
        self.stale.referenced(&mut needed);
        self.sessions.referenced(&mut needed);
        self.history.prune_archive(|o| needed.contains(&o.id));
        let history = &self.history;
        self.lost_reported.retain(|&op| history.get(op).is_some());
        self.metrics.fold_latencies();
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
        let id = self.history.next_id();
        let op = Operation { id, client, node, kind: kind.clone(), invoke: self.now, completion: None };
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
                P::compact_logs(&mut self.nodes, self.history.first_id());
            }
        }
        self.clients[client].pending.insert(id);
        self.trace.record(self.now, WorldEvent::Invoked { op: id, client, node, kind: kind.clone() });
        let timeout = self.clients[client].timeout;
        self.push(self.now + timeout, EventKind::ClientTimeout { op: id });
        let quorum = self.next_quorum.take();
        if let Some(q) = quorum {
            self.quorums.insert(id, q);
        }
        if let Some(d) = self.path_delay(home, node) {
            let context = match kind {
                OpKind::Read { .. } => Vec::new(),
                _ => self.clients[client].contexts.remove(&kind.key()).unwrap_or_default(),
            };
            let req = Request { op: id, client, kind, require_leader, min_version, behind, context, quorum };
            self.push(self.now + d, EventKind::Request { node, req });
        }
        id
    }

    /// A value no write of this run has used.
    pub fn fresh_value(&mut self) -> Value {
        let v = self.next_value;
        self.next_value += 1;
        v
    }

    fn on_reply(&mut self, op: OpId, reply: Reply) {
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
            Reply::Ok { version, .. } if o.kind.is_write() => {
                merge_versions(&mut c.write_token, version);
                c.last_write_ack = Some(self.now);
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
    fn request_may_arrive(&self, op: OpId) -> bool {
        let accepted = op
            .checked_sub(self.history.first_id())
            .and_then(|i| self.accepted.get(i as usize))
            .is_none_or(|a| a.is_some());
        let carries = |kind: &EventKind<P>| matches!(kind, EventKind::Request { req, .. } if req.op == op);
        accepted
            || self.queue.iter().any(|e| carries(&e.kind))
            || self.slots.iter().any(|s| s.backlog.iter().chain(s.inbox.iter()).any(carries))
    }

    fn complete(&mut self, op: OpId, outcome: Outcome, why: Option<FailReason>) {
        let now = self.now;
        let Some(o) = self.history.get_mut(op) else { return };
        let latency = now - o.invoke;
        let is_write = o.kind.is_write();
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
        if self.history.get(op).is_some_and(|o| o.is_ok())
            && is_write
            && self.superseded_unacked.iter().any(|&(l, _)| l == op)
        {
            let pending: Vec<(OpId, OpId)> =
                self.superseded_unacked.iter().copied().filter(|&(l, _)| l == op).collect();
            self.superseded_unacked.retain(|&(l, _)| l != op);
            let node = self.history.get(op).map_or(0, |o| o.node);
            for (l, b) in pending {
                self.check_superseded(l, b, node);
            }
        }
        let Some(o) = self.history.get(op) else { return };
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
        for a in found {
            self.record_anomaly(a);
        }
    }

    /// Replicas that are up and hold data must agree once the cluster is quiet. Reports each
    /// key on which they differ (once per run).
    pub fn check_divergence(&mut self) {
        if self.anomalies.iter().any(|a| a.kind == AnomalyKind::Divergence) {
            return;
        }
        let up: Vec<NodeId> = (0..self.nodes.len())
            .filter(|&i| self.slots[i].health == Health::Up && self.nodes[i].holds_data())
            .collect();
        let data: Vec<BTreeMap<u32, Vec<Value>>> =
            // A key that holds nothing (a tombstone) is the same as a key never written.
            up.iter()
                .map(|&i| {
                    self.nodes[i].view().data.into_iter().filter(|k| !k.values.is_empty()).map(|k| (k.key, k.values)).collect()
                })
                .collect();
        let mut keys: BTreeSet<u32> = BTreeSet::new();
        for d in &data {
            keys.extend(d.keys());
        }
        let differing: Vec<u32> = keys
            .into_iter()
            .filter(|k| {
                let holders: Vec<usize> = (0..up.len()).filter(|&i| self.nodes[up[i]].replicates(*k)).collect();
                holders.iter().any(|&i| data[i].get(k) != holders.first().and_then(|&f| data[f].get(k)))
            })
            .collect();
        if differing.is_empty() {
            return;
        }
        let shown: Vec<String> = differing.iter().take(5).map(|k| format!("k{k}")).collect();
        let a = Anomaly {
            kind: AnomalyKind::Divergence,
            time: self.now,
            ops: vec![],
            nodes: up.clone(),
            explanation: format!(
                "after the cluster went quiet, replicas still disagree on {} keys ({}{})",
                differing.len(),
                shown.join(", "),
                if differing.len() > 5 { ", …" } else { "" }
            ),
        };
        self.record_anomaly(a);
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
            *self.dropped_anomaly_counts.entry(kind).or_insert(0) += n;
            self.anomalies_dropped += n;
        }
        let mut found = std::mem::take(&mut self.linearizability_found);
        found.extend(self.linearizability.finish(&self.history, &config));
        found.sort_by_key(|a| (a.time, a.ops.first().copied()));
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

    /// Write `lost` was discarded for `by`: if `by` had certainly taken effect (acknowledged,
    /// or returned by a read, whatever its outcome) before `lost` even began, a later write
    /// silently lost to an earlier one.
    fn check_superseded(&mut self, lost: OpId, by: OpId, node: NodeId) {
        let (Some(l), Some(b)) = (self.history.get(lost), self.history.get(by)) else { return };
        let Some(by_ack) = b.written().and_then(|v| self.stale.effect_bound(v, &self.history)) else { return };
        if by_ack >= l.invoke || l.ok_time().is_none() || self.lost_reported.contains(&lost) {
            return;
        }
        self.lost_reported.insert(lost);
        let a = Anomaly {
            kind: AnomalyKind::LostWrite,
            time: self.now,
            ops: vec![lost, by],
            nodes: vec![node, l.node],
            explanation: format!(
                "write op{lost} (k{} = v{}) was acknowledged, but n{node} discarded it for op{by} (v{}), which was {} at {:.3} ms, before op{lost} began at {:.3} ms: last write wins by timestamp, and a clock made the later write look older",
                l.key(),
                l.written().unwrap_or_default(),
                b.written().unwrap_or_default(),
                if b.ok_time() == Some(by_ack) { "acknowledged" } else { "never acknowledged but already read" },
                to_ms(by_ack),
                to_ms(l.invoke)
            ),
        };
        self.record_anomaly(a);
    }

    fn record_anomaly(&mut self, a: Anomaly) {
        let event = WorldEvent::Anomaly {
            kind: a.kind,
            ops: a.ops.clone(),
            nodes: Nodes(a.nodes.clone()),
            explanation: Explanation(if self.trace.wants_events() { a.explanation.clone() } else { String::new() }),
        };
        self.trace.record(a.time, event);
        self.anomalies.push(a);
        if self.compaction.is_some() && self.anomalies.len() > MAX_KEPT_ANOMALIES {
            let extra = self.anomalies.len() - MAX_KEPT_ANOMALIES / 2;
            for a in self.anomalies.drain(..extra) {
                *self.dropped_anomaly_counts.entry(a.kind).or_insert(0) += 1;
            }
            self.anomalies_dropped += extra;
            self.split_pairs.retain(|_, i| *i >= extra);
            for i in self.split_pairs.values_mut() {
                *i -= extra;
            }
        }
    }

    /// Runs the checkers that look at the whole state rather than one operation (lost
    /// acknowledged writes), adding what they find. Safe to call repeatedly.
    pub fn check_now(&mut self) {
        let held = lost_write::held_by(&self.nodes);
        for a in lost_write::check(&self.history, &held, self.now, P::keeps_history()) {
            if self.lost_reported.insert(a.ops[0]) {
                self.record_anomaly(a);
            }
        }
    }

    /// Acknowledged writes that only down nodes hold: lost to every client unless one of those
    /// nodes comes back. (Writes no node holds at all are [`Sim::check_now`]'s.)
    fn only_on_down_nodes(&self) -> Vec<Anomaly> {
        if self.slots.iter().all(|s| s.health != Health::Crashed) {
            return Vec::new();
        }
        let held = lost_write::held_by(&self.nodes);
        let live: Vec<_> = held
            .iter()
            .zip(&self.slots)
            .map(|(h, s)| if s.health == Health::Crashed { Default::default() } else { h.clone() })
            .collect();
        let mut out = Vec::new();
        // Dropped writes that only down nodes held when they were dropped too (compaction keeps
        // them for this), so that what is reported never depends on compaction.
        let archived = self.at_risk_dropped.iter().filter_map(|&id| self.history.archive.get(&id));
        let ops = self.history.ops.iter().chain(archived);
        for mut a in lost_write::check_ops(&self.history, ops, &live, self.now, P::keeps_history()) {
            if self.lost_reported.contains(&a.ops[0]) {
                continue;
            }
            let Some(o) = self.history.get(a.ops[0]) else { continue };
            let holders = lost_write::holders(&held, o.key(), o.written().unwrap_or_default());
            if holders.is_empty() {
                continue;
            }
            let names: Vec<String> = holders.iter().map(|n| format!("n{n}")).collect();
            a.nodes = holders;
            a.explanation = format!(
                "write op{} (k{} = v{}) was acknowledged, but only {} held it, which is down: no client can read it",
                o.id,
                o.key(),
                o.written().unwrap_or_default(),
                names.join(" and ")
            );
            out.push(a);
        }
        out
    }

    /// End of the run: an acknowledged write that only nodes still down hold (powered off by
    /// STONITH, or crashed and never restarted) is lost to every client.
    pub fn check_at_end(&mut self) {
        for a in self.only_on_down_nodes() {
            if self.lost_reported.insert(a.ops[0]) {
                self.record_anomaly(a);
            }
        }
    }

    fn run_command(&mut self, command: Command) {
        let now = self.now;
        if !matches!(command, Command::Read { .. }) {
            self.last_disturbance = now;
        }
        self.trace.record(now, WorldEvent::Command(Applied(Box::new(command.clone()))));
        match command {
            Command::Crash { node } => self.crash_node(node, None),
            Command::Restart { node } => {
                if self.slots[node].health == Health::Crashed {
                    self.faults.restarted(now, node);
                    self.slots[node].health = Health::Up;
                    self.step_node(node, Input::Start);
                } else {
                    let why = if self.slots[node].health == Health::Paused {
                        Inapplicable::Paused
                    } else {
                        Inapplicable::Running
                    };
                    self.no_effect(node, "restart", why);
                }
            }
            Command::Pause { node } => {
                if self.slots[node].health == Health::Up {
                    self.maybe_leader_failure(node, "pause");
                    self.faults.paused(now, node);
                    self.slots[node].health = Health::Paused;
                } else {
                    let why = if self.slots[node].health == Health::Paused {
                        Inapplicable::AlreadyPaused
                    } else {
                        Inapplicable::Down
                    };
                    self.no_effect(node, "pause", why);
                }
            }
            Command::Resume { node } => {
                if self.slots[node].health != Health::Paused {
                    self.no_effect(node, "resume", Inapplicable::NotPaused);
                } else {
                    self.faults.resumed(now, node);
                    self.slots[node].health = Health::Up;
                    let inbox = std::mem::take(&mut self.slots[node].inbox);
                    for kind in inbox {
                        self.push(now, kind);
                    }
                    self.arm_ready(node);
                }
            }
            Command::Slow { node, factor } => {
                self.slots[node].slow = ((factor * 1000.0 + 0.5) as u64).max(1);
                self.faults.slowed(now, node, self.slots[node].slow);
            }
            Command::Clock { node, skew_ms, drift_ppm } => {
                let slot = &mut self.slots[node];
                slot.skew = (skew_ms * 1000.0).round() as i64;
                slot.drift_ppb = (drift_ppm * 1000.0).round() as i64;
                let (skew, drift) = (slot.skew, slot.drift_ppb);
                self.faults.clock(now, node, skew, drift);
            }
            Command::Partition { groups } => {
                let before = self.net.cut_links().len();
                self.net.partition(&groups);
                if self.net.cut_links().len() > before {
                    // (A partition that cuts nothing new is no fault.)
                    self.faults.partitioned(now, &groups);
                }
                self.leaders_cut_off();
            }
            Command::Cut { from, to, both } => {
                self.net.link_mut(from, to).cut = true;
                if both {
                    self.net.link_mut(to, from).cut = true;
                }
                self.faults.cut(now, from, to, both);
                self.leaders_cut_off();
            }
            Command::Heal {} => {
                self.net.heal();
                self.faults.healed(now);
            }
            Command::Uncut { from, to, both } => {
                self.net.link_mut(from, to).cut = false;
                if both {
                    self.net.link_mut(to, from).cut = false;
                }
                self.faults.uncut(now, from, to, both);
            }
            Command::Link { from, to, both, latency, loss, duplicate } => {
                if let Some(p) = loss {
                    self.faults.loss(now, from, to, probability_ppm(p));
                }
                let mut dirs = vec![(from, to)];
                if both {
                    dirs.push((to, from));
                }
                for (a, b) in dirs {
                    let link = self.net.link_mut(a, b);
                    if let Some(l) = &latency {
                        link.latency = l.clone();
                    }
                    if let Some(p) = loss {
                        link.loss_ppm = probability_ppm(p);
                    }
                    if let Some(p) = duplicate {
                        link.duplicate_ppm = probability_ppm(p);
                    }
                }
            }
            Command::Write { client, key, value, node, quorum } => {
                let value = value.unwrap_or_else(|| self.fresh_value());
                let target = node.map(Target::Node).unwrap_or(Target::Auto(ReadFrom::Leader));
                self.next_quorum = quorum;
                self.invoke(client, OpKind::Write { key, value }, target);
            }
            Command::Read { client, key, from, node, quorum } => {
                let target = node.map(Target::Node).unwrap_or(Target::Auto(from));
                self.next_quorum = quorum;
                self.invoke(client, OpKind::Read { key }, target);
            }
            Command::Delete { client, key, node, quorum } => {
                let value = self.fresh_value();
                let target = node.map(Target::Node).unwrap_or(Target::Auto(ReadFrom::Leader));
                self.next_quorum = quorum;
                self.invoke(client, OpKind::Delete { key, value }, target);
            }
            Command::Increment { client, key, by, node } => {
                let target = node.map(Target::Node).unwrap_or(Target::Auto(ReadFrom::Leader));
                self.invoke(client, OpKind::Increment { key, by }, target);
            }
            Command::Add { client, key, element, node } => {
                let element = element.unwrap_or_else(|| self.fresh_value());
                let target = node.map(Target::Node).unwrap_or(Target::Auto(ReadFrom::Leader));
                self.invoke(client, OpKind::Add { key, element }, target);
            }
            Command::Remove { client, key, element, node } => {
                let target = node.map(Target::Node).unwrap_or(Target::Auto(ReadFrom::Leader));
                self.invoke(client, OpKind::Remove { key, element }, target);
            }
            Command::Workload(cfg) => self.start_workload(cfg),
            Command::StopWorkload {} => self.workload = None,
            Command::Session { client, session } => self.clients[client].session = session,
            Command::Promote { node } => self.admin(node, Admin::Promote),
            Command::Demote { node } => self.admin(node, Admin::Demote),
        }
    }

    fn admin(&mut self, node: NodeId, action: Admin) {
        if self.slots[node].health == Health::Up {
            self.step_node(node, Input::Admin(action));
        } else {
            let what = match action {
                Admin::Promote => "promote",
                Admin::Demote => "demote",
            };
            self.no_effect(node, what, Inapplicable::NotRunning);
        }
    }

    /// A command that changed nothing says why.
    fn no_effect(&mut self, node: NodeId, command: &'static str, because: Inapplicable) {
        self.trace.record(self.now, WorldEvent::NoEffect { node, command, because });
    }

    fn start_workload(&mut self, cfg: WorkloadConfig) {
        let generation = self.workload.as_ref().map_or(0, |w| w.generation + 1);
        let clients = cfg.clients.clone().unwrap_or_else(|| (0..self.clients.len()).collect());
        let zipf = match cfg.key_distribution {
            KeyDistribution::Uniform => Vec::new(),
            KeyDistribution::Zipf { exponent } => {
                let mut acc = 0u64;
                (0..cfg.keys)
                    .map(|i| {
                        acc += (1e9 / libm::pow(i as f64 + 1.0, exponent)) as u64 + 1;
                        acc
                    })
                    .collect()
            }
        };
        let stop = cfg.stop_ms.map(from_ms);
        self.workload = Some(Workload { cfg, generation, turn: 0, clients, zipf, stop, last_added: BTreeMap::new() });
        let gap = self.workload_gap();
        self.push(self.now + gap, EventKind::Workload { generation });
    }

    fn workload_gap(&mut self) -> Dur {
        let Some(w) = &self.workload else { return SEC };
        let mean = SEC as f64 / w.cfg.rate_per_s;
        let gap = match w.cfg.arrivals {
            Arrivals::Uniform => mean,
            Arrivals::Poisson => -mean * libm::log(1.0 - self.rng.unit()),
        };
        (gap as Dur).max(1)
    }

    fn on_workload(&mut self, generation: u64) {
        let Some(w) = &mut self.workload else { return };
        if w.generation != generation {
            return;
        }
        if w.stop.is_some_and(|s| self.now >= s) {
            self.workload = None;
            return;
        }
        let client = w.clients[w.turn % w.clients.len()];
        w.turn += 1;
        let read_ppm = probability_ppm(w.cfg.read_fraction);
        let read_from = w.cfg.read_from;
        let keys = w.cfg.keys as u64;
        let key = if w.zipf.is_empty() {
            self.rng.below(keys)
        } else {
            let total = *w.zipf.last().unwrap_or(&1);
            let pick = self.rng.below(total);
            w.zipf.partition_point(|&c| c <= pick) as u64
        } as u32;
        let delete_ppm = probability_ppm(w.cfg.delete_fraction);
        let is_read = self.rng.chance_ppm(read_ppm);
        let leader = Target::Auto(ReadFrom::Leader);
        if is_read {
            self.invoke(client, OpKind::Read { key }, Target::Auto(read_from));
        } else {
            // Each key gets the update its data type takes: counters are incremented, sets
            // gain an element (or, one time in four, lose the one added last), registers are
            // written (or deleted, as often as `delete_fraction` says). A set's elements come
            // from a fixed range (1 to SET_ELEMENTS) (a cart, a list of tags), so it stays
            // that small however long the run, and adds race with removes of the same element.
            match self.nodes[0].key_type(key) {
                KeyType::Counter => {
                    self.invoke(client, OpKind::Increment { key, by: 1 }, leader);
                }
                KeyType::Set => {
                    let last = self.workload.as_ref().and_then(|w| w.last_added.get(&key).copied());
                    match last {
                        Some(element) if self.rng.below(4) == 0 => {
                            self.invoke(client, OpKind::Remove { key, element }, leader);
                        }
                        _ => {
                            let element = 1 + self.rng.below(SET_ELEMENTS);
                            if let Some(w) = &mut self.workload {
                                w.last_added.insert(key, element);
                            }
                            self.invoke(client, OpKind::Add { key, element }, leader);
                        }
                    }
                }
                KeyType::Register => {
                    let value = self.fresh_value();
                    if delete_ppm > 0 && self.rng.chance_ppm(delete_ppm) {
                        self.invoke(client, OpKind::Delete { key, value }, leader);
                    } else {
                        self.invoke(client, OpKind::Write { key, value }, leader);
                    }
                }
            }
        }
        let gap = self.workload_gap();
        self.push(self.now + gap, EventKind::Workload { generation });
    }

    /// A render-ready picture of the whole world.
    pub fn view(&self) -> View {
        let up: Vec<bool> = self.slots.iter().map(|s| s.health != Health::Crashed).collect();
        let lags = P::replication_lag(&self.nodes, &up, self.now);
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
        let start = self.anomalies.len().saturating_sub(VIEW_ANOMALIES);
        View {
            now: self.now,
            family: self.family,
            nodes,
            links,
            messages,
            clients,
            anomalies: self.anomalies[start..].to_vec(),
            ops_total: self.history.len(),
            faults: self.faults.spans().to_vec(),
            groups: self.net.groups(),
            workload: self.workload.is_some(),
            next_event: self.next_event_time(),
        }
    }

    /// Counts of anomalies by kind.
    pub fn anomaly_counts(&self) -> std::collections::BTreeMap<AnomalyKind, usize> {
        let mut m: std::collections::BTreeMap<AnomalyKind, usize> = self.dropped_anomaly_counts.clone();
        for a in &self.anomalies {
            *m.entry(a.kind).or_insert(0) += 1;
        }
        m
    }
}

/// The budget of the simulator's own linearizability checks (a key too hard to decide within
/// it is not reported).
fn linearizability_config() -> crate::checkers::linearizability::CheckConfig {
    crate::checkers::linearizability::CheckConfig {
        step_budget: 200_000,
        window_trial_budget: 20_000,
        window_budget: 200_000,
        ..Default::default()
    }
}

/// How an event refers to a message (its label only when the log is kept).
fn msg_ref<M: Message>(wants_label: bool, id: u64, from: NodeId, to: NodeId, msg: &M) -> MessageRef {
    MessageRef {
        id,
        from,
        to,
        kind: msg.kind(),
        op: msg.op(),
        label: if wants_label { msg.label() } else { String::new() },
    }
}
