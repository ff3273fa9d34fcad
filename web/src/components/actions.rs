//! The actions bar under the graph: what can be done to the selected node (crash, restart,
//! pause, slow down, skew its clock, promote, demote, mark for a partition, isolate) or the
//! selected link (cut one or both directions, add loss), plus the keyboard partition (marked
//! nodes against the rest) and heal. Every button becomes one recorded command.

use replicalab_core::protocol::NodeId;
use replicalab_core::scenario::Command;
use replicalab_core::view::Family;
use replicalab_core::view::Health;
use yew::prelude::*;

use super::graph::{health_name, role_name};
use crate::state::{Action, Selection, Shared, Snapshot};

#[derive(Properties, PartialEq)]
pub struct ActionsProps {
    pub snapshot: Shared,
    pub on_action: Callback<Action>,
    pub drawing: bool,
    pub on_drawing: Callback<bool>,
}

fn button(label: &str, testid: &str, title: &str, cb: &Callback<Action>, action: Action) -> Html {
    let cb = cb.clone();
    html! {
        <button type="button" data-testid={testid.to_string()} title={title.to_string()}
            onclick={Callback::from(move |_: MouseEvent| cb.emit(action.clone()))}>{label}</button>
    }
}

#[function_component]
pub fn Actions(props: &ActionsProps) -> Html {
    let s = &props.snapshot;
    let cb = &props.on_action;
    let n = s.view.nodes.len();
    let body = match s.selection {
        Selection::Node(id) if id < n => node_actions(s, id, cb),
        Selection::Link(a, b) if a < n && b < n => link_actions(s, a, b, cb),
        _ => html! {
            <p class="hint">{"Select a node or a link for its actions (click, or Tab to a node and press Enter). Drag across the graph to draw a partition."}</p>
        },
    };
    let marks = (!s.marks.is_empty()).then(|| {
        let names = s.marks.iter().map(|m| format!("n{m}")).collect::<Vec<_>>().join(" ");
        html! {
            <div class="marks" data-testid="marks">
                <span>{format!("Marked: {names}")}</span>
                { button("Partition them off", "partition-marked", "Cut the marked nodes off from the rest (P)", cb, Action::PartitionMarked) }
                { button("Clear marks", "clear-marks", "Unmark every node", cb, Action::ClearMarks) }
            </div>
        }
    });
    let cut = s.view.links.iter().any(|l| l.cut);
    let on_drawing = {
        let cb = props.on_drawing.clone();
        let drawing = props.drawing;
        Callback::from(move |_: MouseEvent| cb.emit(!drawing))
    };
    html! {
        <section class="actions" aria-label="Actions">
            { body }
            { for marks }
            <div class="button-row">
                <button type="button" data-testid="draw" aria-pressed={props.drawing.to_string()} onclick={on_drawing}
                    title="On touch screens: drag across the graph to draw a partition">{"✂ Draw a partition"}</button>
                <button type="button" data-testid="heal" disabled={!cut} title="Restore every cut link (H)"
                    onclick={{ let cb = cb.clone(); Callback::from(move |_: MouseEvent| cb.emit(Action::Do(Command::Heal {}))) }}>
                    {"Heal all"}
                </button>
                if s.view.groups.len() > 1 {
                    <span class="groups" data-testid="groups">
                        {"Partition: "}
                        { for s.view.groups.iter().enumerate().map(|(g, members)| html! {
                            <span class={format!("group-chip group-{}", g % 4)}>
                                { members.iter().map(|m| format!("n{m}")).collect::<Vec<_>>().join(" ") }
                            </span>
                        }) }
                    </span>
                }
            </div>
        </section>
    }
}

fn node_actions(s: &Snapshot, id: NodeId, cb: &Callback<Action>) -> Html {
    let node = &s.view.nodes[id];
    let n = s.view.nodes.len();
    let p = &node.protocol;
    let mut buttons = Vec::new();
    match node.health {
        Health::Up => {
            buttons.push(button(
                "Crash",
                "act-crash",
                "Crash: volatile state is lost (X)",
                cb,
                Action::Do(Command::Crash { node: id }),
            ));
            buttons.push(button(
                "Pause",
                "act-pause",
                "Pause the process (a long GC pause)",
                cb,
                Action::Do(Command::Pause { node: id }),
            ));
        }
        Health::Crashed => buttons.push(button(
            "Restart",
            "act-restart",
            "Restart from durable state (X)",
            cb,
            Action::Do(Command::Restart { node: id }),
        )),
        Health::Paused => buttons.push(button(
            "Resume",
            "act-resume",
            "Resume: it handles what queued meanwhile",
            cb,
            Action::Do(Command::Resume { node: id }),
        )),
    }
    if node.slow_permille == 1000 {
        buttons.push(button(
            "Slow ×5",
            "act-slow",
            "Multiply its latency and processing time by 5",
            cb,
            Action::Do(Command::Slow { node: id, factor: 5.0 }),
        ));
    } else {
        buttons.push(button(
            "Normal speed",
            "act-fast",
            "Back to normal speed",
            cb,
            Action::Do(Command::Slow { node: id, factor: 1.0 }),
        ));
    }
    if node.clock_offset == 0 {
        buttons.push(button(
            "Clock −300 ms",
            "act-clock",
            "Set its clock 300 ms behind",
            cb,
            Action::Do(Command::Clock { node: id, skew_ms: -300.0, drift_ppm: 0.0 }),
        ));
    } else {
        buttons.push(button(
            "Fix clock",
            "act-clock-reset",
            "Set its clock right",
            cb,
            Action::Do(Command::Clock { node: id, skew_ms: 0.0, drift_ppm: 0.0 }),
        ));
    }
    if s.view.family == Family::LeaderFollower {
        buttons.push(button(
            "Promote",
            "act-promote",
            "Operator action: make it leader",
            cb,
            Action::Do(Command::Promote { node: id }),
        ));
        buttons.push(button(
            "Demote",
            "act-demote",
            "Operator action: make it step down",
            cb,
            Action::Do(Command::Demote { node: id }),
        ));
    }
    if n > 1 {
        let rest: Vec<NodeId> = (0..n).filter(|&i| i != id).collect();
        buttons.push(button(
            "Isolate",
            "act-isolate",
            "Partition it away from every other node",
            cb,
            Action::Do(Command::Partition { groups: vec![vec![id], rest] }),
        ));
        let marked = s.marks.contains(&id);
        buttons.push(button(
            if marked { "Unmark" } else { "Mark" },
            "act-mark",
            "Mark for a partition drawn by keyboard (M)",
            cb,
            Action::ToggleMark(id),
        ));
    }
    html! {
        <div class="selected-actions" data-testid="node-actions" data-node={id.to_string()}>
            <h2>{format!("n{id} · {} · {} · term {}", role_name(p.role), health_name(node.health), p.term)}</h2>
            <div class="button-row">{ for buttons }</div>
            <NodeTuning key={id} node={id} on_action={cb.clone()} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct TuningProps {
    node: NodeId,
    on_action: Callback<Action>,
}

/// Slowing a node and skewing its clock by amounts the user types (the core checks them:
/// a factor of 0.001–1000, a skew within the longest scenario).
#[function_component]
fn NodeTuning(props: &TuningProps) -> Html {
    let factor = use_state(|| "5".to_string());
    let skew = use_state(|| "-300".to_string());
    let drift = use_state(|| "0".to_string());
    let node = props.node;
    let text = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |e: InputEvent| h.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let number = |v: &str| super::forms::number(v).unwrap_or(f64::NAN);
    let slow = {
        let cb = props.on_action.clone();
        let factor = number(&factor);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            cb.emit(Action::Do(Command::Slow { node, factor }));
        })
    };
    let clock = {
        let cb = props.on_action.clone();
        let (skew_ms, drift_ppm) = (number(&skew), number(&drift));
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            cb.emit(Action::Do(Command::Clock { node, skew_ms, drift_ppm }));
        })
    };
    html! {
        <div class="tuning">
            <form class="inline-form" onsubmit={slow} data-testid="tune-slow">
                <label>{"Slow by ×"}
                    <input type="number" step="any" value={(*factor).clone()} oninput={text(&factor)}
                        data-testid="tune-factor" aria-label={format!("Slow-down factor for n{node}")} /></label>
                <button type="submit">{"Apply"}</button>
            </form>
            <form class="inline-form" onsubmit={clock} data-testid="tune-clock">
                <label>{"Clock skew ms"}
                    <input type="number" step="any" value={(*skew).clone()} oninput={text(&skew)}
                        data-testid="tune-skew" aria-label={format!("Clock offset of n{node} in milliseconds")} /></label>
                <label>{"drift ppm"}
                    <input type="number" step="any" value={(*drift).clone()} oninput={text(&drift)}
                        data-testid="tune-drift" aria-label={format!("Clock drift of n{node} in parts per million")} /></label>
                <button type="submit">{"Set clock"}</button>
            </form>
        </div>
    }
}

fn link_actions(s: &Snapshot, a: NodeId, b: NodeId, cb: &Callback<Action>) -> Html {
    let state = |from: NodeId, to: NodeId| s.view.links.iter().find(|l| l.from == from && l.to == to);
    let describe = |from: NodeId, to: NodeId| match state(from, to) {
        Some(l) if l.cut => "cut".to_string(),
        Some(l) if l.loss_ppm > 0 => format!("{:.0}% loss", l.loss_ppm as f64 / 10_000.0),
        _ => "healthy".to_string(),
    };
    let cut = |from: NodeId, to: NodeId| state(from, to).is_some_and(|l| l.cut);
    let toggle = |from: NodeId, to: NodeId, id: &str| {
        if cut(from, to) {
            button(
                &format!("Restore n{from} → n{to}"),
                id,
                "Restore this direction",
                cb,
                Action::Do(Command::Uncut { from, to, both: false }),
            )
        } else {
            button(
                &format!("Cut n{from} → n{to}"),
                id,
                "Cut one direction only",
                cb,
                Action::Do(Command::Cut { from, to, both: false }),
            )
        }
    };
    let both = if cut(a, b) && cut(b, a) {
        button(
            "Restore both ways",
            "cut-both",
            "Restore both directions",
            cb,
            Action::Do(Command::Uncut { from: a, to: b, both: true }),
        )
    } else {
        button(
            "Cut both ways",
            "cut-both",
            "Cut both directions",
            cb,
            Action::Do(Command::Cut { from: a, to: b, both: true }),
        )
    };
    let loss = |p: f64| {
        Action::Do(Command::Link { from: a, to: b, both: true, latency: None, loss: Some(p), duplicate: None })
    };
    html! {
        <div class="selected-actions" data-testid="link-actions" data-link={format!("{a}-{b}")}>
            <h2>{format!("Link n{a} – n{b} · n{a} → n{b} {} · n{b} → n{a} {}", describe(a, b), describe(b, a))}</h2>
            <div class="button-row">
                { toggle(a, b, "cut-ab") }
                { toggle(b, a, "cut-ba") }
                { both }
                { button("10% loss", "loss-10", "Lose one message in ten, both ways", cb, loss(0.1)) }
                { button("50% loss", "loss-50", "Lose half the messages, both ways", cb, loss(0.5)) }
                { button("No loss", "loss-0", "Stop losing messages", cb, loss(0.0)) }
            </div>
            <p class="hint">{"A cut direction's button restores it; Heal all (H) restores every cut link."}</p>
        </div>
    }
}
