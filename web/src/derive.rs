//! Pure projections of a running simulation into what the panels draw: recent operations, the
//! event log, messages for the space-time diagram, fault intervals, the lag series, a latency
//! histogram and the partition groups. Every list is capped, so a snapshot costs the same
//! however long the run has been going. Tested natively.

use replicalab_core::history::{Operation, Outcome, QuorumRecord};
use replicalab_core::protocol::MessageClass;
use replicalab_core::protocol::{NodeId, OpId};
use replicalab_core::time::Time;
use replicalab_core::trace::TraceEntry;
use replicalab_core::view::{MessageFate, MessageRecord};
use replicalab_core::Simulation;

/// Operations kept in a snapshot (the newest).
pub const MAX_OPS: usize = 160;
/// Event-log lines kept in a snapshot (the newest).
pub const MAX_EVENTS: usize = 150;
/// Messages kept for the space-time diagram (the newest).
pub const MAX_FLIGHTS: usize = 220;
/// Conflict-resolution notes kept in a snapshot (the newest).
pub const MAX_RESOLUTIONS: usize = 12;
/// Points of the lag chart.
pub const MAX_LAG_POINTS: usize = 240;
/// Operations whose latencies feed the histogram (the newest).
pub const HISTOGRAM_OPS: usize = 2_000;
/// Upper bounds of the latency histogram's buckets, in milliseconds; a last bucket holds
/// everything slower.
pub const HISTOGRAM_BOUNDS_MS: [f64; 12] = [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0];

/// How an operation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpStatus {
    Pending,
    Ok,
    Failed,
    Unknown,
}

impl OpStatus {
    pub fn name(self) -> &'static str {
        match self {
            OpStatus::Pending => "pending",
            OpStatus::Ok => "ok",
            OpStatus::Failed => "failed",
            OpStatus::Unknown => "unknown",
        }
    }
}

/// One client operation, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct OpRow {
    pub id: OpId,
    pub client: usize,
    pub node: NodeId,
    pub write: bool,
    pub key: u32,
    pub invoke: Time,
    pub end: Option<Time>,
    pub status: OpStatus,
    /// "write k3 = v17", "read k3 → v12, v15", "read k3 failed: not leader".
    pub text: String,
    /// Quorum families: the W or R in force for it, who was asked and who answered.
    pub quorum: Option<QuorumRecord>,
}

impl OpRow {
    pub fn of(op: &Operation) -> OpRow {
        let write = op.kind.is_write();
        let key = op.key();
        let what = match op.written() {
            Some(v) => format!("write k{key} = v{v}"),
            None => format!("read k{key}"),
        };
        let (status, end, text) = match &op.completion {
            None => (OpStatus::Pending, None, format!("{what} …")),
            Some(c) => match &c.outcome {
                Outcome::Ok { values } if !write => {
                    let got = if values.is_empty() {
                        "nothing".to_string()
                    } else {
                        values.iter().map(|v| format!("v{v}")).collect::<Vec<_>>().join(", ")
                    };
                    (OpStatus::Ok, Some(c.time), format!("{what} → {got}"))
                }
                Outcome::Ok { .. } => (OpStatus::Ok, Some(c.time), format!("{what} ok")),
                Outcome::Fail { reason } => (OpStatus::Failed, Some(c.time), format!("{what} failed: {reason}")),
                Outcome::Unknown => match &c.why {
                    Some(why) => (OpStatus::Unknown, Some(c.time), format!("{what}: outcome unknown ({why})")),
                    None => (OpStatus::Unknown, Some(c.time), format!("{what}: no answer (unknown)")),
                },
            },
        };
        OpRow {
            id: op.id,
            client: op.client,
            node: op.node,
            write,
            key,
            invoke: op.invoke,
            end,
            status,
            text,
            quorum: op.quorum.clone(),
        }
    }
}

/// The newest [`MAX_OPS`] operations, oldest first.
pub fn recent_ops(sim: &Simulation) -> Vec<OpRow> {
    let ops = &sim.history().ops;
    ops.range(ops.len().saturating_sub(MAX_OPS)..).map(OpRow::of).collect()
}

/// The newest event-log lines, oldest first.
pub fn recent_events(sim: &Simulation) -> Vec<TraceEntry> {
    let trace = sim.trace();
    let total = trace.recent().count();
    trace.recent().skip(total.saturating_sub(MAX_EVENTS)).cloned().collect()
}

/// A message for the space-time diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Flight {
    /// The message's id (the same as the moving dot's on the graph).
    pub id: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub sent: Time,
    /// When it arrived (or is due, for messages still in flight); `None`: dropped at the
    /// sender (cut link or lost on the way).
    pub arrived: Option<Time>,
    /// Never delivered: cut, lost, or its destination was down.
    pub dropped: bool,
    pub in_flight: bool,
    pub label: String,
    /// What it carries (from the core, not the label).
    pub class: MessageClass,
    /// The client operation it serves (from the core, not the label).
    pub op: Option<OpId>,
}

/// Records kept by the simulation for the space-time diagram (see [`MAX_FLIGHTS`]).
pub const MESSAGE_RECORDS: usize = 1_000;

/// The newest recorded messages, oldest first: the `MAX_FLIGHTS` newest, plus (when `op` is
/// given) every older recorded message that mentions it, so a selected operation's messages
/// stay in the diagram.
pub fn flights<'a>(records: impl DoubleEndedIterator<Item = &'a MessageRecord>, op: Option<OpId>) -> Vec<Flight> {
    let mut out: Vec<Flight> = Vec::new();
    for (k, r) in records.rev().enumerate() {
        if k >= MAX_FLIGHTS && (op.is_none() || r.op != op) {
            continue;
        }
        out.push(Flight {
            id: r.id,
            from: r.from,
            to: r.to,
            sent: r.sent,
            arrived: r.arrived,
            dropped: !matches!(r.fate, MessageFate::InFlight | MessageFate::Delivered),
            in_flight: r.fate == MessageFate::InFlight,
            label: r.label.clone(),
            class: r.class,
            op: r.op,
        });
    }
    out.reverse();
    replicalab_core::sort::sort_by_key(&mut out, |f| (f.sent, f.id));
    out
}

/// What the replicas did for one operation, as its coordinator recorded it on the operation:
/// which nodes were asked, which answered (acknowledged a write or returned a value). For
/// leaderless quorums.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuorumView {
    pub coordinator: Option<NodeId>,
    pub asked: Vec<NodeId>,
    pub answered: Vec<NodeId>,
}

pub fn quorum_of(op: &OpRow) -> QuorumView {
    match &op.quorum {
        Some(q) => QuorumView {
            coordinator: Some(q.coordinator),
            asked: q.asked.iter().collect(),
            answered: q.answered.iter().collect(),
        },
        None => QuorumView { coordinator: Some(op.node), ..Default::default() },
    }
}

/// The replication lag chart: sample times and, per node, lag in milliseconds (`None` where
/// the node had no lag to report: a leader, a crashed node).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LagChart {
    pub times: Vec<Time>,
    pub series: Vec<Vec<Option<f64>>>,
    pub max_ms: f64,
}

/// Up to [`MAX_LAG_POINTS`] samples spread over the whole run, showing at most `max_nodes`.
pub fn lag_chart(sim: &Simulation, max_nodes: usize) -> LagChart {
    let samples = &sim.metrics().lag_series;
    if samples.is_empty() {
        return LagChart::default();
    }
    let stride = samples.len().div_ceil(MAX_LAG_POINTS).max(1);
    let picked: Vec<_> = samples.iter().step_by(stride).collect();
    let nodes = picked.iter().map(|s| s.lags.len()).max().unwrap_or(0).min(max_nodes);
    let mut chart =
        LagChart { times: picked.iter().map(|s| s.time).collect(), series: vec![Vec::new(); nodes], max_ms: 0.0 };
    for s in &picked {
        for (n, series) in chart.series.iter_mut().enumerate() {
            let v = s.lags.get(n).copied().flatten().map(|l| l.time as f64 / 1000.0);
            if let Some(v) = v {
                chart.max_ms = chart.max_ms.max(v);
            }
            series.push(v);
        }
    }
    chart
}

/// Counts of recent completed operations by latency bucket: `(writes, reads)` per bucket of
/// [`HISTOGRAM_BOUNDS_MS`] plus one for slower.
pub fn latency_histogram(sim: &Simulation) -> Vec<(u32, u32)> {
    let mut buckets = vec![(0u32, 0u32); HISTOGRAM_BOUNDS_MS.len() + 1];
    let ops = &sim.history().ops;
    for op in ops.range(ops.len().saturating_sub(HISTOGRAM_OPS)..) {
        if !op.is_ok() {
            continue;
        }
        let Some(lat) = op.latency() else { continue };
        let ms = lat as f64 / 1000.0;
        let i = HISTOGRAM_BOUNDS_MS.iter().position(|&b| ms <= b).unwrap_or(HISTOGRAM_BOUNDS_MS.len());
        if op.kind.is_write() {
            buckets[i].0 += 1;
        } else {
            buckets[i].1 += 1;
        }
    }
    buckets
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use replicalab_core::presets;
    use replicalab_core::protocol::MessageKind;
    use replicalab_core::time::MS;

    use super::*;

    #[test]
    fn flights_come_from_the_records_with_the_selected_operation_kept() {
        let rec = |id: u64, label: &str, fate: MessageFate, kind: MessageKind, op: Option<OpId>| MessageRecord {
            id,
            from: 0,
            to: 1,
            sent: id * 10,
            arrived: (fate != MessageFate::Cut).then_some(id * 10 + 5),
            fate,
            label: label.into(),
            class: MessageClass::Other,
            kind,
            op,
        };
        let other = MessageKind::Other;
        let mut records = vec![rec(1, "put k1 op4", MessageFate::Delivered, MessageKind::Ask, Some(4))];
        records.extend((2..MAX_FLIGHTS as u64 + 10).map(|i| rec(i, "hb", MessageFate::Delivered, other, None)));
        records.push(rec(500, "ack op9", MessageFate::Cut, MessageKind::Answer, Some(9)));
        records.push(rec(501, "hb", MessageFate::InFlight, other, None));
        let f = flights(records.iter(), None);
        assert_eq!(f.len(), MAX_FLIGHTS);
        assert_eq!(f.last().map(|f| (f.id, f.in_flight, f.dropped)), Some((501, true, false)));
        assert_eq!(f[f.len() - 2].arrived, None);
        assert!(f[f.len() - 2].dropped);
        // The selected operation's old message stays, first.
        let g = flights(records.iter(), Some(4));
        assert_eq!(g.len(), MAX_FLIGHTS + 1);
        assert_eq!((g[0].id, g[0].label.as_str()), (1, "put k1 op4"));
    }

    #[test]
    fn quorums_are_read_from_the_operation() {
        let mut op = OpRow {
            id: 4,
            client: 0,
            node: 0,
            write: true,
            key: 1,
            invoke: 0,
            end: Some(9),
            status: OpStatus::Ok,
            text: String::new(),
            quorum: None,
        };
        assert_eq!(quorum_of(&op), QuorumView { coordinator: Some(0), ..Default::default() });
        op.quorum = Some(QuorumRecord {
            coordinator: 2,
            needed: 2,
            asked: [0, 1, 2].iter().collect(),
            answered: [1, 2].iter().collect(),
        });
        assert_eq!(quorum_of(&op), QuorumView { coordinator: Some(2), asked: vec![0, 1, 2], answered: vec![1, 2] });
    }

    #[test]
    fn projections_of_a_real_run_are_bounded() {
        let scenario = presets::find("ll-partial-quorum").unwrap().scenario().unwrap();
        let mut sim = Simulation::new(&scenario);
        sim.set_trace_capacity(600);
        sim.set_message_capacity(MESSAGE_RECORDS);
        sim.run_until(3_000 * MS);
        let ops = recent_ops(&sim);
        assert_eq!(ops.len(), MAX_OPS.min(sim.history().len()));
        assert!(ops.windows(2).all(|w| w[0].id < w[1].id));
        assert!(ops.iter().any(|o| o.status == OpStatus::Ok));
        let events = recent_events(&sim);
        assert!(!events.is_empty() && events.len() <= MAX_EVENTS);
        let f = flights(sim.messages().iter(), None);
        assert!(!f.is_empty() && f.len() <= MAX_FLIGHTS);
        assert!(f.iter().all(|f| f.arrived.is_none_or(|a| a >= f.sent)));
        let chart = lag_chart(&sim, 9);
        assert!(chart.times.len() <= MAX_LAG_POINTS && !chart.times.is_empty());
        assert_eq!(chart.series.len(), 5);
        let hist = latency_histogram(&sim);
        assert_eq!(hist.len(), HISTOGRAM_BOUNDS_MS.len() + 1);
        assert!(hist.iter().map(|(w, r)| w + r).sum::<u32>() > 0);
    }
}
