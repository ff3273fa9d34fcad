//! Pure projections of a running simulation into what the panels draw: recent operations, the
//! event log, messages for the space-time diagram, fault intervals, the lag series, a latency
//! histogram and the partition groups. Every list is capped, so a snapshot costs the same
//! however long the run has been going. Tested natively.

use replicalab_core::history::{Operation, Outcome};
use replicalab_core::protocol::{NodeId, OpId};
use replicalab_core::scenario::Command;
use replicalab_core::time::{from_ms, Time};
use replicalab_core::trace::TraceEntry;
use replicalab_core::view::{LinkView, View};
use replicalab_core::Simulation;

/// Operations kept in a snapshot (the newest).
pub const MAX_OPS: usize = 160;
/// Event-log lines kept in a snapshot (the newest).
pub const MAX_EVENTS: usize = 150;
/// Messages kept for the space-time diagram (the newest).
pub const MAX_FLIGHTS: usize = 220;
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
                Outcome::Unknown => (OpStatus::Unknown, Some(c.time), format!("{what}: no answer (unknown)")),
            },
        };
        OpRow { id: op.id, client: op.client, node: op.node, write, key, invoke: op.invoke, end, status, text }
    }
}

/// The newest [`MAX_OPS`] operations, oldest first.
pub fn recent_ops(sim: &Simulation) -> Vec<OpRow> {
    let ops = &sim.history().ops;
    ops[ops.len().saturating_sub(MAX_OPS)..].iter().map(OpRow::of).collect()
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
    pub from: NodeId,
    pub to: NodeId,
    pub sent: Time,
    /// When it arrived (or will, for messages still in flight); `None`: lost, never arrives.
    pub arrived: Option<Time>,
    /// Dropped at the destination (it was down) or on the way.
    pub dropped: bool,
    pub in_flight: bool,
    pub label: String,
}

/// Parses "n3 → n1 append #4 …" into (3, 1, "append #4 …").
pub fn parse_hop(text: &str) -> Option<(NodeId, NodeId, &str)> {
    let rest = text.strip_prefix('n')?;
    let (from, rest) = rest.split_once(" → n")?;
    let (to, label) = rest.split_once(' ').unwrap_or((rest, ""));
    Some((from.parse().ok()?, to.parse().ok()?, label))
}

/// Messages of the recent past (from the trace window) and those in flight (from the view),
/// oldest first. A delivery is paired with the earliest unmatched send of the same link and
/// label (links are FIFO), so a message is drawn from where it left to where it arrived.
pub fn flights(entries: &[TraceEntry], view: &View) -> Vec<Flight> {
    let mut out: Vec<Flight> = Vec::new();
    // Index of sends still waiting for their delivery, by (from, to, label).
    let mut open: Vec<usize> = Vec::new();
    for e in entries {
        let Some((from, to, label)) = parse_hop(&e.text) else { continue };
        match e.kind.as_str() {
            "send" => {
                out.push(Flight {
                    from,
                    to,
                    sent: e.time,
                    arrived: None,
                    dropped: false,
                    in_flight: false,
                    label: label.to_string(),
                });
                open.push(out.len() - 1);
            }
            "drop" if label.ends_with(" dropped: link cut") || label.ends_with(" lost in the network") => {
                let label = label.trim_end_matches(" dropped: link cut").trim_end_matches(" lost in the network");
                out.push(Flight {
                    from,
                    to,
                    sent: e.time,
                    arrived: None,
                    dropped: true,
                    in_flight: false,
                    label: label.to_string(),
                });
            }
            "deliver" | "drop" => {
                let (label, dropped) = match label.find(" lost: ") {
                    Some(i) => (&label[..i], true),
                    None => (label, false),
                };
                let hit = open.iter().position(|&i| {
                    let f = &out[i];
                    f.from == from && f.to == to && f.label == label && f.arrived.is_none()
                });
                if let Some(pos) = hit {
                    let i = open.remove(pos);
                    out[i].arrived = Some(e.time);
                    out[i].dropped = dropped;
                }
            }
            _ => {}
        }
    }
    // Sends still open are in flight (or their delivery fell outside the window): take their
    // delivery time from the view when it lists them.
    let mut messages: Vec<_> = view.messages.iter().collect();
    for &i in &open {
        let f = &mut out[i];
        if let Some(pos) = messages.iter().position(|m| m.from == f.from && m.to == f.to && m.label == f.label) {
            let m = messages.remove(pos);
            f.arrived = Some(m.deliver);
            f.in_flight = true;
        }
    }
    // In flight but sent before the window started.
    for m in messages {
        out.push(Flight {
            from: m.from,
            to: m.to,
            sent: m.sent,
            arrived: Some(m.deliver),
            dropped: false,
            in_flight: true,
            label: m.label.clone(),
        });
    }
    out.sort_by_key(|f| f.sent);
    let skip = out.len().saturating_sub(MAX_FLIGHTS);
    out.drain(..skip);
    out
}

/// Whether a label or log line mentions operation `op` as a whole word (`op12`, not `op123`).
pub fn mentions_op(text: &str, op: OpId) -> bool {
    let needle = format!("op{op}");
    text.match_indices(&needle).any(|(i, _)| {
        let after = text[i + needle.len()..].chars().next();
        let before = text[..i].chars().next_back();
        !after.is_some_and(|c| c.is_ascii_digit()) && !before.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// What the replicas did for one operation, from the messages that mention it: which nodes
/// were asked, which answered (acknowledged a write or returned a value) back to the
/// coordinator. For leaderless quorums.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuorumView {
    pub coordinator: Option<NodeId>,
    pub asked: Vec<NodeId>,
    pub answered: Vec<NodeId>,
}

pub fn quorum_of(op: &OpRow, flights: &[Flight]) -> QuorumView {
    let mut q = QuorumView { coordinator: Some(op.node), ..Default::default() };
    for f in flights.iter().filter(|f| mentions_op(&f.label, op.id)) {
        let word = f.label.split(' ').next().unwrap_or("");
        match word {
            "put" | "get" if !q.asked.contains(&f.to) => q.asked.push(f.to),
            "ack" | "value" if f.arrived.is_some() && !f.dropped && !f.in_flight && !q.answered.contains(&f.from) => {
                q.answered.push(f.from)
            }
            "forward" => q.coordinator = Some(f.to),
            _ => {}
        }
    }
    q.asked.sort_unstable();
    q.answered.sort_unstable();
    q
}

/// What a fault interval is about, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    Crash,
    Pause,
    Network,
    Slow,
    Clock,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Crash => "crash",
            FaultKind::Pause => "pause",
            FaultKind::Network => "network",
            FaultKind::Slow => "slow",
            FaultKind::Clock => "clock",
        }
    }
}

/// An interval during which a fault was in force; `end: None` means still in force.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpan {
    pub kind: FaultKind,
    pub start: Time,
    pub end: Option<Time>,
    pub label: String,
}

/// Fault intervals from the commands applied so far (`(time, command)`, in time order).
pub fn fault_spans<'a>(commands: impl IntoIterator<Item = (Time, &'a Command)>) -> Vec<FaultSpan> {
    let mut spans: Vec<FaultSpan> = Vec::new();
    let close = |spans: &mut Vec<FaultSpan>, t: Time, pred: &dyn Fn(&FaultSpan) -> bool| {
        for s in spans.iter_mut().filter(|s| s.end.is_none() && pred(s)) {
            s.end = Some(t);
        }
    };
    for (t, c) in commands {
        let open = |kind, label: String| FaultSpan { kind, start: t, end: None, label };
        match c {
            Command::Crash { node }
                if !spans
                    .iter()
                    .any(|s| s.end.is_none() && s.kind == FaultKind::Crash && s.label == node_crashed(*node)) =>
            {
                spans.push(open(FaultKind::Crash, node_crashed(*node)));
            }
            Command::Restart { node } => close(&mut spans, t, &|s| s.label == node_crashed(*node)),
            Command::Pause { node } => spans.push(open(FaultKind::Pause, format!("n{node} paused"))),
            Command::Resume { node } => close(&mut spans, t, &|s| s.label == format!("n{node} paused")),
            Command::Partition { groups } => {
                close(&mut spans, t, &|s| s.kind == FaultKind::Network && s.label.starts_with("partition"));
                let text = groups
                    .iter()
                    .map(|g| g.iter().map(|n| format!("n{n}")).collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join(" | ");
                spans.push(open(FaultKind::Network, format!("partition {text}")));
            }
            Command::Cut { from, to, both } => {
                let arrow = if *both { "↔" } else { "→" };
                spans.push(open(FaultKind::Network, format!("cut n{from} {arrow} n{to}")));
            }
            Command::Heal {} => close(&mut spans, t, &|s| s.kind == FaultKind::Network && !s.label.starts_with("loss")),
            Command::Link { from, to, loss: Some(p), .. } => {
                let label = format!("loss n{from}–n{to}");
                close(&mut spans, t, &|s| s.label.starts_with(&label));
                if *p > 0.0 {
                    spans.push(open(FaultKind::Network, format!("{label} {:.0}%", p * 100.0)));
                }
            }
            Command::Slow { node, factor } => {
                close(&mut spans, t, &|s| s.kind == FaultKind::Slow && s.label.starts_with(&format!("n{node} ")));
                if (*factor - 1.0).abs() > 1e-9 {
                    spans.push(open(FaultKind::Slow, format!("n{node} slowed ×{factor}")));
                }
            }
            Command::Clock { node, skew_ms, drift_ppm } => {
                close(&mut spans, t, &|s| s.kind == FaultKind::Clock && s.label.starts_with(&format!("n{node} ")));
                if *skew_ms != 0.0 || *drift_ppm != 0.0 {
                    spans.push(open(FaultKind::Clock, format!("n{node} clock {skew_ms:+} ms")));
                }
            }
            _ => {}
        }
    }
    spans
}

fn node_crashed(node: NodeId) -> String {
    format!("n{node} crashed")
}

/// Scenario commands (`at_ms`) with their times, for [`fault_spans`].
pub fn timed(commands: &[replicalab_core::TimedCommand], until: Time) -> Vec<(Time, &Command)> {
    let mut v: Vec<(Time, &Command)> =
        commands.iter().map(|tc| (from_ms(tc.at_ms), &tc.command)).filter(|(t, _)| *t <= until).collect();
    v.sort_by_key(|(t, _)| *t);
    v
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
    for op in &ops[ops.len().saturating_sub(HISTOGRAM_OPS)..] {
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

/// Partition groups: nodes that can reach each other both ways over uncut links. One group
/// when nothing is cut.
pub fn partition_groups(n: usize, links: &[LinkView]) -> Vec<Vec<NodeId>> {
    let cut = |a: NodeId, b: NodeId| {
        links.iter().any(|l| l.cut && ((l.from == a && l.to == b) || (l.from == b && l.to == a)))
    };
    let mut group = vec![usize::MAX; n];
    let mut groups: Vec<Vec<NodeId>> = Vec::new();
    for start in 0..n {
        if group[start] != usize::MAX {
            continue;
        }
        let g = groups.len();
        let mut members = vec![start];
        group[start] = g;
        let mut i = 0;
        while i < members.len() {
            let a = members[i];
            for (b, slot) in group.iter_mut().enumerate() {
                if *slot == usize::MAX && !cut(a, b) {
                    *slot = g;
                    members.push(b);
                }
            }
            i += 1;
        }
        members.sort_unstable();
        groups.push(members);
    }
    groups
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use replicalab_core::presets;
    use replicalab_core::time::MS;
    use replicalab_core::view::MessageView;

    use super::*;

    fn entry(time: Time, kind: &str, text: &str) -> TraceEntry {
        TraceEntry { time, node: None, kind: kind.into(), text: text.into() }
    }

    fn empty_view() -> View {
        View {
            now: 0,
            family: "leader_follower".into(),
            nodes: vec![],
            links: vec![],
            messages: vec![],
            clients: vec![],
            anomalies: vec![],
            ops_total: 0,
        }
    }

    #[test]
    fn hops_parse_from_trace_text() {
        assert_eq!(parse_hop("n3 → n1 append #4"), Some((3, 1, "append #4")));
        assert_eq!(parse_hop("n0 → n12 ack"), Some((0, 12, "ack")));
        assert_eq!(parse_hop("n0 → n1"), Some((0, 1, "")));
        assert_eq!(parse_hop("client 1 op3: write"), None);
        assert_eq!(parse_hop("nx → n1 a"), None);
    }

    #[test]
    fn deliveries_pair_with_sends_in_fifo_order() {
        let entries = vec![
            entry(10, "send", "n0 → n1 hb"),
            entry(20, "send", "n0 → n1 hb"),
            entry(25, "drop", "n0 → n2 hb dropped: link cut"),
            entry(30, "deliver", "n0 → n1 hb"),
            entry(40, "drop", "n0 → n1 hb lost: n1 is down"),
            entry(50, "send", "n1 → n0 ack"),
        ];
        let mut view = empty_view();
        view.messages.push(MessageView { id: 7, from: 1, to: 0, sent: 50, deliver: 90, label: "ack".into() });
        view.messages.push(MessageView { id: 3, from: 2, to: 0, sent: 5, deliver: 95, label: "old".into() });
        let f = flights(&entries, &view);
        assert_eq!(f.len(), 5);
        assert_eq!((f[0].sent, f[0].arrived, f[0].label.as_str()), (5, Some(95), "old"));
        assert!(f[0].in_flight);
        assert_eq!((f[1].sent, f[1].arrived, f[1].dropped), (10, Some(30), false));
        assert_eq!((f[2].sent, f[2].arrived, f[2].dropped), (20, Some(40), true));
        assert_eq!((f[3].to, f[3].arrived, f[3].dropped, f[3].label.as_str()), (2, None, true, "hb"));
        assert_eq!((f[4].sent, f[4].arrived, f[4].in_flight), (50, Some(90), true));
    }

    #[test]
    fn operations_are_found_by_whole_word() {
        assert!(mentions_op("put k3 op12", 12));
        assert!(mentions_op("op12 write ok", 12));
        assert!(!mentions_op("put k3 op123", 12));
        assert!(!mentions_op("loop12", 12));
        assert!(mentions_op("ack op7, then op12.", 12));
    }

    #[test]
    fn quorums_are_read_from_the_messages_of_an_operation() {
        let f = |from, to, label: &str, arrived| Flight {
            from,
            to,
            sent: 0,
            arrived,
            dropped: false,
            in_flight: false,
            label: label.into(),
        };
        let op = OpRow {
            id: 4,
            client: 0,
            node: 0,
            write: true,
            key: 1,
            invoke: 0,
            end: Some(9),
            status: OpStatus::Ok,
            text: String::new(),
        };
        let flights = vec![
            f(0, 1, "put k1 op4", Some(3)),
            f(0, 2, "put k1 op4", Some(3)),
            f(0, 1, "put k1 op40", Some(3)),
            f(1, 0, "ack op4", Some(6)),
            f(2, 0, "ack op4", None),
        ];
        let q = quorum_of(&op, &flights);
        assert_eq!(q, QuorumView { coordinator: Some(0), asked: vec![1, 2], answered: vec![1] });
    }

    #[test]
    fn fault_spans_open_and_close_with_commands() {
        let cmds = [
            (100, Command::Crash { node: 1 }),
            (150, Command::Partition { groups: vec![vec![0], vec![1, 2]] }),
            (200, Command::Restart { node: 1 }),
            (250, Command::Slow { node: 2, factor: 5.0 }),
            (300, Command::Heal {}),
            (350, Command::Slow { node: 2, factor: 1.0 }),
            (400, Command::Pause { node: 0 }),
        ];
        let spans = fault_spans(cmds.iter().map(|(t, c)| (*t, c)));
        assert_eq!(spans.len(), 4);
        assert_eq!((spans[0].kind, spans[0].start, spans[0].end), (FaultKind::Crash, 100, Some(200)));
        assert_eq!(spans[1].label, "partition n0 | n1 n2");
        assert_eq!(spans[1].end, Some(300));
        assert_eq!((spans[2].kind, spans[2].end), (FaultKind::Slow, Some(350)));
        assert_eq!((spans[3].kind, spans[3].end), (FaultKind::Pause, None));
    }

    #[test]
    fn partition_groups_follow_two_way_cuts() {
        let cut = |from, to| LinkView { from, to, cut: true, loss_ppm: 0 };
        assert_eq!(partition_groups(3, &[]), vec![vec![0, 1, 2]]);
        // n0 cut off both ways from n1 and n2.
        let links = [cut(0, 1), cut(1, 0), cut(0, 2), cut(2, 0)];
        assert_eq!(partition_groups(3, &links), vec![vec![0], vec![1, 2]]);
        // A one-way cut still splits the pair (they cannot talk both ways).
        assert_eq!(partition_groups(2, &[cut(0, 1)]), vec![vec![0], vec![1]]);
        // Connected through a third node: one group.
        assert_eq!(partition_groups(3, &[cut(0, 1), cut(1, 0)]), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn projections_of_a_real_run_are_bounded() {
        let scenario = presets::find("ll-partial-quorum").unwrap().scenario().unwrap();
        let mut sim = Simulation::new(&scenario);
        sim.set_trace_capacity(600);
        sim.run_until(3_000 * MS);
        let ops = recent_ops(&sim);
        assert_eq!(ops.len(), MAX_OPS.min(sim.history().len()));
        assert!(ops.windows(2).all(|w| w[0].id < w[1].id));
        assert!(ops.iter().any(|o| o.status == OpStatus::Ok));
        let events = recent_events(&sim);
        assert!(!events.is_empty() && events.len() <= MAX_EVENTS);
        let f = flights(&sim.trace().recent().cloned().collect::<Vec<_>>(), &sim.view());
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
