//! The world: it owns time, the one RNG, the event queue, the network, node health and clocks,
//! clients, the history and the checkers, and it performs the effects protocols ask for.
//!
//! A run is fully described by its scenario `(config, seed, timed commands)`; the same scenario
//! gives the same trace hash on every platform. The UI is only a clock source that calls
//! [`Sim::run_until`]; tests call it as fast as the CPU allows.

use crate::note::Note;
use crate::view::Family;
use std::collections::{BTreeMap, BTreeSet};

use crate::checkers::leadership::LeadershipMonitor;
use crate::checkers::lost_write::LostWriteMonitor;
use crate::checkers::session::{RegisterModel, SessionChecker};
use crate::checkers::stale_read::StaleReadChecker;
use crate::checkers::{lost_write, Anomaly, AnomalyKind, AnomalyLog};
use crate::event::{Applied, Explanation, Inapplicable, MessageRef, SendFate, WorldEvent};
use crate::faults::FaultLog;
use crate::history::{Completion, History, Operation, Outcome, QuorumRecord};
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

/// How many dropped operations the simulator still knows the client and kind of (see
/// `Sim::late`).
const LATE_OPS: usize = 16_384;
use crate::trace::{Trace, TraceEntry};
use crate::view::{ClientView, Health, Lag, LinkView, MessageFate, MessageRecord, MessageView, NodeState, View};

mod checks;
mod clients;
mod commands;
mod compact;
mod queue;
mod view;
mod workload;

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
    /// A client's driver tries to connect again to a node it holds down.
    Reconnect {
        client: ClientId,
        node: NodeId,
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

#[derive(Clone)]
struct Client {
    node: NodeId,
    timeout: Dur,
    pending: BTreeSet<OpId>,
    session: SessionConfig,
    /// Where its workload reads go, if not where the workload says.
    read_from: Option<ReadFrom>,
    /// The workload issues nothing for it while an operation is outstanding.
    synchronous: bool,
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
    /// Its driver routes around nodes it found down: every how long it tries to reconnect.
    reconnect: Option<Dur>,
    /// Nodes its driver holds down.
    down: BTreeSet<NodeId>,
    /// What this client last saw each register key hold (none: nothing), from its own
    /// acknowledged operations: what its next compare-and-set of the key expects.
    seen: BTreeMap<Key, Option<Value>>,
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
    queue: queue::EventQueue<EventKind<P>>,
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
    anomalies: AnomalyLog,
    /// Lost acknowledged writes.
    lost: LostWriteMonitor,
    next_value: Value,
    next_msg: u64,
    lag_every: Dur,
    applied: Vec<TimedCommand>,
    out: Out<P::Msg, P::Timer>,
    /// Who leads, split brain and failovers (single-leader families only).
    leadership: LeadershipMonitor,
    /// When each operation's request reached a node (`None`: not yet, or never).
    accepted: Vec<Option<Time>>,
    /// The client and kind of the operations compaction dropped most recently (the first is
    /// op `history.first_id() - late.len()`): a node paused or cut off for longer than the
    /// horizon can still answer one, and its answer must travel, and count, as it would had
    /// nothing been dropped. At most [`LATE_OPS`].
    late: std::collections::VecDeque<(ClientId, OpKind, Option<Time>)>,
    sessions: SessionChecker,
    /// Linearizability of what compaction dropped, settled key by key.
    linearizability: crate::checkers::linearizability::monitor::LinearizabilityMonitor,
    /// The end-of-run linearizability check has run.
    linearizability_checked: bool,
    /// What the monitor found in dropped operations, reported with the end-of-run check (as
    /// the same violations are without compaction); beyond [`MAX_KEPT_ANOMALIES`], counted.
    linearizability_found: Vec<crate::checkers::linearizability::monitor::Found>,
    linearizability_overflow: BTreeMap<AnomalyKind, usize>,
    /// Which write wrote each value.
    writer: litemap::LiteMap<Value, OpId>,
    /// Compaction: when each value of a dropped write was first found held by no node. Its
    /// writer is forgotten only once every operation still in progress began after that (one
    /// begun before may have read the value and not returned yet).
    unheld_since: BTreeMap<Value, Time>,
    /// The deletes of each key.
    deletes: BTreeMap<Key, Vec<OpId>>,
    /// Reads already redirected to the leader once.
    redirected: BTreeSet<OpId>,
    /// The last time a command or a client write disturbed the cluster.
    last_disturbance: Time,
    /// The quorum the next invoked operation asks for (set by a command).
    next_quorum: Option<u32>,
    /// When each fault was in force.
    faults: FaultLog,
    /// Compaction settings (`None`: keep everything). See [`Sim::set_compaction`].
    compaction: Option<Compaction>,
    /// What the last log compaction may have dropped (a buffer kept between compactions).
    dropped: Vec<(Key, Value)>,
    /// Which nodes are up and their replication lag, at the last lag sample (buffers kept
    /// between samples).
    lag_buffers: (Vec<bool>, Vec<Option<Lag>>),
    /// What the family is (see [`Protocol::single_leader`] and [`Protocol::keeps_history`]).
    single_leader: bool,
    keeps_history: bool,
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
        let single_leader = nodes.first().is_some_and(P::single_leader);
        let keeps_history = nodes.first().is_none_or(P::keeps_history);
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
                read_from: c.read_from,
                synchronous: c.synchronous,
                write_token: Vec::new(),
                read_token: Vec::new(),
                last_write_ack: None,
                sticky: None,
                contexts: BTreeMap::new(),
                epoch: 0,
                reconnect: c.reroute.as_ref().map(|r| from_ms(r.reconnect_ms).max(1)),
                down: BTreeSet::new(),
                seen: BTreeMap::new(),
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
            queue: queue::EventQueue::default(),
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
            anomalies: {
                let mut log = AnomalyLog::default();
                log.set_cap(Some(MAX_KEPT_ANOMALIES));
                log
            },
            lost: LostWriteMonitor::default(),
            next_value: 1,
            next_msg: 0,
            lag_every: from_ms(cluster.lag_sample_ms).max(1),
            applied: Vec::new(),
            out: Out::default(),
            leadership: LeadershipMonitor::new(n),
            accepted: Vec::new(),
            late: std::collections::VecDeque::new(),
            sessions: SessionChecker::new(),
            linearizability: Default::default(),
            linearizability_checked: false,
            linearizability_found: Vec::new(),
            linearizability_overflow: BTreeMap::new(),
            writer: litemap::LiteMap::new(),
            unheld_since: BTreeMap::new(),
            deletes: BTreeMap::new(),
            redirected: BTreeSet::new(),
            last_disturbance: 0,
            next_quorum: None,
            faults: FaultLog::default(),
            compaction: Some(Compaction::default()),
            dropped: Vec::new(),
            lag_buffers: (Vec::new(), Vec::new()),
            single_leader,
            keeps_history,
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
        // Timer ids count pushes too (they enter the trace).
        self.seq += 1;
        // Scheduled commands run after every other event of their instant, exactly as a
        // command applied interactively after `run_until(t)` does; so a recorded session
        // replays exactly.
        let late = matches!(kind, EventKind::Command(_));
        if matches!(kind, EventKind::ClientTimeout { .. }) {
            // Always the client's timeout after now: mostly in time order.
            self.queue.push_in_order(time, late, kind);
        } else {
            self.queue.push(time, late, kind);
        }
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
        self.anomalies.kept()
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

    /// Commands applied interactively with [`Sim::apply`], with their times.
    pub fn applied_commands(&self) -> &[TimedCommand] {
        &self.applied
    }
    /// Every leadership so far: (node, term, start time), in order of start.
    pub fn leader_spans(&self) -> Vec<(NodeId, u64, Time)> {
        self.leadership.spans()
    }

    /// Time of the next pending event.
    pub fn next_event_time(&self) -> Option<Time> {
        self.queue.peek_time()
    }

    /// Processes the next event. Returns false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let Some((time, kind)) = self.queue.pop() else { return false };
        debug_assert!(time >= self.now, "time never goes backwards");
        self.now = time;
        self.events += 1;
        self.handle(kind);
        true
    }

    /// Processes every event up to and including time `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: Time) {
        while self.queue.peek_time().is_some_and(|time| time <= t) {
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
        // (Most clocks do not drift: no 128-bit division for them.)
        let drift = if s.drift_ppb == 0 { 0 } else { (self.now as i128 * s.drift_ppb as i128 / 1_000_000_000) as i64 };
        (self.now as i64).saturating_add(s.skew).saturating_add(drift).max(0) as Time
    }

    fn handle(&mut self, kind: EventKind<P>) {
        match kind {
            EventKind::Deliver { .. } | EventKind::Timer { .. } | EventKind::Request { .. } => self.node_event(kind),
            EventKind::Reply { op, reply } => self.on_reply(op, reply),
            EventKind::ClientTimeout { op } => {
                if self.history.get(op).is_some_and(|o| o.completion.is_none()) {
                    self.complete(op, Outcome::Unknown, None);
                    self.maybe_mark_down(op);
                }
            }
            EventKind::Reconnect { client, node } => self.on_reconnect(client, node),
            EventKind::Command(c) => self.run_command(c),
            EventKind::Ready { node } => self.on_ready(node),
            EventKind::Workload { generation } => self.on_workload(generation),
            EventKind::LagSample => {
                let (mut up, mut lags) = std::mem::take(&mut self.lag_buffers);
                up.clear();
                up.extend(self.slots.iter().map(|s| s.health != Health::Crashed));
                P::replication_lag(&self.nodes, &up, self.now, &mut lags);
                self.metrics.record_lag(self.now, &lags);
                self.lag_buffers = (up, lags);
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

    /// Tells the leadership monitor when a node gains or loses the leader role.
    fn track_role(&mut self, node: NodeId) {
        if !self.single_leader {
            return;
        }
        let p = &self.nodes[node];
        let leading = self.slots[node].health != Health::Crashed && p.role() == crate::view::Role::Leader;
        let term = p.term();
        match self.leadership.leading(node) {
            Some(t) if leading && t == term => return,
            Some(t) => self.emit(WorldEvent::LeaderLost { node, term: t }),
            None if !leading => return,
            None => {}
        }
        if leading {
            self.emit(WorldEvent::LeaderElected { node, term });
        }
    }

    /// Records an event and feeds it to the monitors that follow the event stream.
    fn emit(&mut self, event: WorldEvent) {
        let found = if self.single_leader {
            self.leadership.on_event(self.now, &event, &mut self.metrics, &mut self.anomalies)
        } else {
            Vec::new()
        };
        self.trace.record(self.now, event);
        for a in found {
            self.record_anomaly(a);
        }
    }

    /// The client and kind of an operation, retained or dropped not long ago.
    pub(super) fn op_of(&self, op: OpId) -> Option<(ClientId, &OpKind)> {
        if let Some(o) = self.history.get(op) {
            return Some((o.client, &o.kind));
        }
        self.late_op(op).map(|(client, kind, _)| (*client, kind))
    }

    /// What is kept of an operation compaction dropped not long ago.
    fn late_op(&self, op: OpId) -> Option<&(ClientId, OpKind, Option<Time>)> {
        let first_late = self.history.first_id().checked_sub(self.late.len() as OpId)?;
        self.late.get(op.checked_sub(first_late)? as usize)
    }

    /// When a write's request reached its node (now, if unknown).
    fn accepted_at(&self, op: OpId) -> Time {
        let first = self.history.first_id();
        let accepted = match op.checked_sub(first) {
            Some(i) => self.accepted.get(i as usize).copied().flatten(),
            None => self.late_op(op).and_then(|l| l.2),
        };
        accepted.unwrap_or(self.now)
    }

    /// A node goes down: it crashed, or node `by` powered it off.
    fn crash_node(&mut self, node: NodeId, by: Option<NodeId>) {
        if self.slots[node].health == Health::Crashed {
            return;
        }
        self.faults.down(self.now, node, by);
        let cause = if by.is_some() { "power-off" } else { "crash" };
        self.leadership.leader_fault(self.now, node, cause, &mut self.metrics);
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
                let wrote = |kind: &OpKind| matches!(&reply, Reply::Ok { values, .. } if kind.wrote(values));
                if self.op_of(op).is_some_and(|(_, kind)| wrote(kind)) {
                    let accepted = self.accepted_at(op);
                    self.emit(WorldEvent::WriteAcked { node, op, accepted });
                }
                self.send_reply(node, op, reply)
            }
            Effect::Quorum { op, needed, asked, answered } => {
                if let Some(o) = self.history.get_mut(op) {
                    o.quorum = Some(QuorumRecord { coordinator: node, needed, asked, answered });
                }
            }
            Effect::Superseded { key, lost, by } => {
                self.trace.record(now, WorldEvent::Superseded { node, key, lost, by });
                if let (Some(&l), Some(&b)) = (self.writer.get(&lost), self.writer.get(&by)) {
                    if let Some(a) = self.lost.superseded(l, b, node, &self.history, &self.stale, now) {
                        self.record_anomaly(a);
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
                *self.metrics.notes.entry(kind.as_str()).or_default() += 1;
                let event = WorldEvent::Note { node, note };
                if self.message_capacity > 0 && kind.is_resolution() {
                    if self.resolutions.len() >= self.message_capacity.min(100) {
                        self.resolutions.pop_front();
                    }
                    self.resolutions.push_back(TraceEntry { time: now, event: event.clone() });
                }
                self.emit(event);
            }
        }
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
