//! The status panel: simulated time, client operations and messages in flight; the telemetry
//! (events processed, trace hash, session, frame times) in a details panel below.

use yew::prelude::*;

use crate::format::format_time;
use crate::state::Shared;
use crate::stats::Summary;

#[derive(Properties, PartialEq)]
pub struct StatusProps {
    pub snapshot: Shared,
    /// Recent frame times (interval between frames), when playing.
    pub frames: Option<Summary>,
}

#[function_component]
pub fn Status(props: &StatusProps) -> Html {
    let s = &props.snapshot;
    let v = &s.view;
    let frames =
        props.frames.map(|f| format!("{:.1} ms mean · {:.1} ms p99", f.mean, f.p99)).unwrap_or_else(|| "—".to_string());
    html! {
        <section class="status" aria-label="Run status">
            <h2>{"Run"}</h2>
            <dl class="stats">
                <div><dt>{"Simulated time"}</dt>
                    <dd data-testid="sim-time" data-us={v.now.to_string()}>{format_time(v.now)}</dd></div>
                <div><dt>{"Operations"}</dt>
                    <dd data-testid="ops">
                        <span class="ok" data-testid="ops-ok">{format!("{} ok", s.ops_ok)}</span>{" · "}
                        <span class="failed" data-testid="ops-failed">{format!("{} failed", s.ops_failed)}</span>{" · "}
                        <span class="unknown" data-testid="ops-unknown">{format!("{} unknown", s.ops_unknown)}</span>
                    </dd></div>
                <div><dt>{"In flight"}</dt>
                    <dd data-testid="in-flight">{format!("{} messages", v.messages.len())}</dd></div>
            </dl>
            <details class="telemetry" data-testid="telemetry">
                <summary>{"Telemetry"}</summary>
                <dl class="stats">
                    <div><dt>{"Events processed"}</dt>
                        <dd data-testid="events">{s.events}</dd></div>
                    <div><dt>{"Trace hash"}</dt>
                        <dd><code data-testid="trace-hash" title="Identical runs have identical hashes, natively and in the browser">{&s.trace_hash}</code></dd></div>
                    <div><dt>{"Session"}</dt>
                        <dd data-testid="session">{format!("{} commands · {} forks · {} checkpoints", s.session_commands, s.forks, s.checkpoints)}</dd></div>
                    <div><dt>{"Frames"}</dt>
                        <dd data-testid="frame-times">{frames}</dd></div>
                </dl>
            </details>
        </section>
    }
}

/// The caption under the graph: the newest `count` lines of narration, newest first, each a
/// button that seeks to its instant.
pub fn caption(lines: &[crate::narration::Line], count: usize, on_action: &Callback<crate::state::Action>) -> Html {
    let items = lines.iter().rev().take(count).map(|l| {
        let at = l.time;
        let onclick = on_action.reform(move |_: MouseEvent| crate::state::Action::RunTo(at));
        html! {
            <li key={l.id} data-importance={(l.importance as u8).to_string()}>
                <button type="button" class="caption-line" title="Go to this moment" {onclick}>
                    <span class="caption-time">{format_time(l.time)}</span>{" "}{&l.text}
                </button>
            </li>
        }
    });
    html! { <ol class="caption" data-testid="narration" aria-label="What just happened">{ for items }</ol> }
}
