//! The time views: the client-operation timeline (one lane per client, ok / failed / unknown
//! colours), the space-time (Lamport) diagram of recent messages, and the event log. They are
//! linked: selecting an operation highlights its bar, its messages and its log lines, and
//! seeks to it; selecting a message (here or on the graph) highlights it on the graph, here and
//! in the log, and seeks to its send; clicking a log line seeks to its instant.

use replicalab_core::time::Time;
use replicalab_core::view::Family;
use yew::prelude::*;

use crate::derive::{quorum_of, OpStatus};
use crate::format::format_time;
use crate::state::{Action, Selection, Shared};
use replicalab_core::faults::FaultSpan;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub snapshot: Shared,
    pub on_action: Callback<Action>,
}

const W: f64 = 600.0;
const LANE: f64 = 14.0;
const MAX_LANES: usize = 12;
const MAX_COLUMNS: usize = 12;

/// Maps `[t0, t1]` onto `[x0, x1]`.
fn scale(t: Time, t0: Time, t1: Time, x0: f64, x1: f64) -> f64 {
    let span = t1.saturating_sub(t0).max(1) as f64;
    x0 + (t.clamp(t0, t1) - t0) as f64 / span * (x1 - x0)
}

fn fault_rects(faults: &[FaultSpan], t0: Time, t1: Time, x0: f64, x1: f64, height: f64, vertical: bool) -> Html {
    faults
        .iter()
        .filter(|f| f.end.is_none_or(|e| e >= t0) && f.start <= t1)
        .map(|f| {
            let a = scale(f.start, t0, t1, x0, x1);
            let b = scale(f.end.unwrap_or(t1), t0, t1, x0, x1);
            let class = format!("fault fault-{}", f.kind.name());
            if vertical {
                html! { <rect class={class} x="0" y={a.to_string()} width={height.to_string()} height={(b - a).max(1.0).to_string()}><title>{f.label()}</title></rect> }
            } else {
                html! { <rect class={class} x={a.to_string()} y="0" width={(b - a).max(1.0).to_string()} height={height.to_string()}><title>{f.label()}</title></rect> }
            }
        })
        .collect()
}

#[function_component]
pub fn OpTimeline(props: &TimelineProps) -> Html {
    let s = &props.snapshot;
    let now = s.panels.now;
    let ops = &s.panels.ops;
    let t0 = ops.first().map_or(now, |o| o.invoke).min(now);
    let t1 = now.max(t0 + 1);
    let lanes = s.clients.clamp(1, MAX_LANES);
    let height = lanes as f64 * LANE + 16.0;
    let anomaly_ops: Vec<u64> = match s.selection {
        Selection::Anomaly(i) => {
            s.panels.anomalies.iter().find(|(j, _)| *j == i).map(|(_, a)| a.ops.clone()).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let selected = match s.selection {
        Selection::Op(id) => Some(id),
        _ => None,
    };
    let bars = ops.iter().map(|o| {
        let x = scale(o.invoke, t0, t1, 0.0, W);
        let x2 = scale(o.end.unwrap_or(now), t0, t1, 0.0, W);
        let y = (o.client % MAX_LANES) as f64 * LANE + 2.0;
        let id = o.id;
        let cb = props.on_action.clone();
        let onclick = Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::Op(id))));
        let hot = selected == Some(id) || anomaly_ops.contains(&id);
        html! {
            <rect key={id} class={classes!("op", format!("op-{}", o.status.name()), o.write.then_some("op-write"), hot.then_some("hot"))}
                data-op={id.to_string()} data-status={o.status.name()}
                x={x.to_string()} y={y.to_string()} width={(x2 - x).max(2.5).to_string()} height={(LANE - 4.0).to_string()} {onclick}>
                <title>{format!("op{id} client {} at n{}: {}", o.client, o.node, o.text)}</title>
            </rect>
        }
    });
    let detail = selected.and_then(|id| ops.iter().find(|o| o.id == id)).map(|o| {
        let quorum = (s.view.family == Family::Leaderless).then(|| quorum_of(o));
        html! {
            <p class="op-detail" data-testid="op-detail">
                <strong>{format!("op{} ", o.id)}</strong>
                {format!("client {} via n{} · {} · invoked {}{}", o.client, o.node, o.text, format_time(o.invoke),
                    o.end.map(|e| format!(", done {}", format_time(e))).unwrap_or_default())}
                if let Some(q) = quorum {
                    <span class="quorum" data-testid="quorum">
                        {format!(" · coordinator n{} asked {} · answered {} · quorum {}",
                            q.coordinator.unwrap_or(o.node),
                            list(&q.asked), list(&q.answered),
                            match o.status { OpStatus::Ok => "met", OpStatus::Pending => "pending", _ => "not met" })}
                    </span>
                }
            </p>
        }
    });
    html! {
        <section class="op-timeline" aria-label="Client operations">
            <h2>{"Client operations"}
                <span class="legend-inline">
                    <span class="ok">{"■ ok"}</span><span class="failed">{"■ failed"}</span>
                    <span class="unknown">{"■ unknown"}</span><span class="pending">{"■ pending"}</span>
                </span>
            </h2>
            <svg class="timeline" viewBox={format!("0 0 {W} {height}")} preserveAspectRatio="none" data-testid="op-timeline"
                role="img" aria-label={format!("{} recent operations from {} to {}", ops.len(), format_time(t0), format_time(t1))}>
                { fault_rects(&s.view.faults, t0, t1, 0.0, W, height, false) }
                { for bars }
            </svg>
            <p class="axis"><span>{format_time(t0)}</span><span>{format_time(t1)}</span></p>
            { for detail }
        </section>
    }
}

fn list(nodes: &[usize]) -> String {
    if nodes.is_empty() {
        "none".into()
    } else {
        nodes.iter().map(|n| format!("n{n}")).collect::<Vec<_>>().join(" ")
    }
}

#[function_component]
pub fn SpaceTime(props: &TimelineProps) -> Html {
    let s = &props.snapshot;
    let now = s.panels.now;
    let n = s.view.nodes.len().min(MAX_COLUMNS);
    let all: Vec<_> = s.panels.flights.iter().filter(|f| f.from < n && f.to < n).collect();
    // A window around the playhead, a dozen typical trips tall, so messages stay apart.
    let trips: Vec<(Time, Option<Time>)> = all.iter().map(|f| (f.sent, f.arrived)).collect();
    let (t0, t1) = crate::geometry::spacetime_window(&trips, now);
    let flights: Vec<_> = all.into_iter().filter(|f| f.arrived.unwrap_or(f.sent).max(f.sent) >= t0).collect();
    let height = 260.0;
    let col = |i: usize| if n <= 1 { W / 2.0 } else { 30.0 + i as f64 * (W - 60.0) / (n - 1) as f64 };
    let y = |t: Time| scale(t, t0, t1, 14.0, height - 4.0);
    let selected = match s.selection {
        Selection::Op(id) => Some(id),
        _ => None,
    };
    let columns = (0..n).map(|i| {
        let x = col(i);
        html! {
            <g key={i}>
                <line class="lifeline" x1={x.to_string()} y1="12" x2={x.to_string()} y2={height.to_string()} />
                <text class="col-label" x={x.to_string()} y="10">{format!("n{i}")}</text>
                <text class="col-label lane-foot" x={x.to_string()} y={(height + 10.0).to_string()}>{format!("n{i}")}</text>
            </g>
        }
    });
    let lines = flights.iter().map(|f| {
        let (x1, y1) = (col(f.from), y(f.sent));
        let end = f.arrived.map(|a| a.min(now));
        let (x2, y2) = match (end, f.arrived) {
            (Some(e), Some(a)) => {
                // In flight: draw as far as it has come.
                let frac = if a > f.sent { e.saturating_sub(f.sent) as f64 / (a - f.sent) as f64 } else { 1.0 };
                (x1 + (col(f.to) - x1) * frac, y(e))
            }
            _ => (x1 + (col(f.to) - x1) * 0.3, y1 + 8.0),
        };
        let chosen = s.selection == Selection::Message(f.id);
        let hot = chosen || selected.is_some_and(|op| f.op == Some(op));
        let cb = props.on_action.clone();
        let id = f.id;
        // Selecting a message highlights it on the graph and in the log, and seeks to its send.
        let onclick = Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::Message(id))));
        html! {
            <g key={f.id.to_string()} data-msg={f.id.to_string()} class={classes!("flight", f.in_flight.then_some("in-flight"), f.dropped.then_some("dropped"), hot.then_some("hot"), chosen.then_some("chosen"))} {onclick}>
                <line class={crate::format::message_class(f.class)} x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()} y2={y2.to_string()} />
                if f.dropped {
                    <text class="drop-mark" x={x2.to_string()} y={(y2 + 3.0).to_string()}>{"×"}</text>
                }
                <title>{format!("n{} → n{} {} · sent {}{}", f.from, f.to, f.label, format_time(f.sent),
                    match (f.dropped, f.arrived) { (true, _) => " · lost".to_string(), (false, Some(a)) => format!(" · arrives {}", format_time(a)), _ => String::new() })}</title>
            </g>
        }
    });
    let marks = s.panels.anomalies.iter().filter(|(_, a)| a.time >= t0 && a.time <= t1).map(|(i, a)| {
        let yy = y(a.time);
        html! { <line key={*i} class={classes!("anomaly-mark", (s.selection == Selection::Anomaly(*i)).then_some("hot"))} x1="0" x2={W.to_string()} y1={yy.to_string()} y2={yy.to_string()}><title>{a.kind.name()}</title></line> }
    });
    html! {
        <section class="spacetime" aria-label="Space-time diagram">
            <h2>{"Messages over time"}</h2>
            <p class="axis"><span>{format_time(t0)}</span><span>{"time flows down · the playhead at the bottom"}</span><span>{format_time(t1)}</span></p>
            <svg class="spacetime-svg" viewBox={format!("0 0 {W} {}", height + 14.0)} data-testid="spacetime"
                role="img" aria-label={format!("Space-time diagram: {} messages between {} and {}", flights.len(), format_time(t0), format_time(t1))}>
                { fault_rects(&s.view.faults, t0, t1, 14.0, height - 4.0, W, true) }
                { for columns }
                { for marks }
                { for lines }
            </svg>
            if let Some(f) = flights.iter().find(|f| s.selection == Selection::Message(f.id)) {
                <p class="op-detail" data-testid="message-detail">
                    <strong>{format!("message {} ", f.id)}</strong>
                    {format!("n{} → n{} {} · sent {} · {}", f.from, f.to, f.label, format_time(f.sent),
                        match (f.dropped, f.in_flight, f.arrived) {
                            (true, _, Some(a)) => format!("lost at {}: its destination was down", format_time(a)),
                            (true, _, None) => "dropped at the sender: the link was cut or lost it".to_string(),
                            (false, true, Some(a)) => format!("in flight, due {}", format_time(a)),
                            (false, _, Some(a)) => format!("arrived {} ({})", format_time(a), crate::format::format_duration(a - f.sent)),
                            (false, _, None) => String::new(),
                        })}
                </p>
            }
            if s.view.nodes.len() > MAX_COLUMNS {
                <p class="hint">{format!("Showing the first {MAX_COLUMNS} nodes.")}</p>
            }
        </section>
    }
}

#[function_component]
pub fn EventLog(props: &TimelineProps) -> Html {
    let s = &props.snapshot;
    let (op, node) = match s.selection {
        Selection::Op(id) => (Some(id), None),
        Selection::Node(n) => (None, Some(n)),
        _ => (None, None),
    };
    // A selected message: its send and its arrival (or drop) lines.
    let message = match s.selection {
        Selection::Message(id) => s.panels.flights.iter().find(|f| f.id == id),
        _ => None,
    };
    let is_message_line = |e: &replicalab_core::trace::TraceEntry| {
        message.is_some_and(|f| e.event.message().is_some_and(|m| m.id == f.id))
    };
    let rows = s.panels.log.iter().rev().take(80).enumerate().map(|(k, e)| {
        let hot = op.is_some_and(|op| e.event.ops().contains(&op)) || (node.is_some() && e.node() == node) || is_message_line(e);
        let kind = e.kind().name();
        let cb = props.on_action.clone();
        let t = e.time;
        let onclick = Callback::from(move |_: MouseEvent| cb.emit(Action::Seek(t)));
        html! {
            <li key={k} class={classes!(format!("ev-{kind}"), hot.then_some("hot"))} data-kind={kind}>
                <button type="button" class="link-button when" title="Go to this instant" {onclick}>{format_time(e.time)}</button>
                <span class="ev-kind">{kind}</span>
                <span class="ev-text">{e.to_string()}</span>
            </li>
        }
    });
    html! {
        <section class="event-log" aria-label="Event log">
            <h2>{"Event log"}</h2>
            <ol class="log" data-testid="event-log">{ for rows }</ol>
        </section>
    }
}
