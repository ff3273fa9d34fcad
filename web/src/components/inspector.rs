//! The inspector (the selected node's state: log tail or key-value data with versions and
//! siblings), the conflicts view (keys whose replicas disagree or hold siblings, side by side)
//! and the anomaly list (each with its explanation, linked to its operations).

use replicalab_core::protocol::Key;
use yew::prelude::*;

use super::graph::{health_name, role_name};
use crate::format::{format_duration, format_time};
use crate::state::{Action, Selection, Shared};

#[derive(Properties, PartialEq)]
pub struct PanelProps {
    pub snapshot: Shared,
    pub on_action: Callback<Action>,
}

#[function_component]
pub fn Inspector(props: &PanelProps) -> Html {
    let s = &props.snapshot;
    let Selection::Node(id) = s.selection else {
        return html! {
            <section class="inspector" aria-label="Inspector">
                <h2>{"Inspector"}</h2>
                <p class="none">{"Select a node to see its log or its data."}</p>
            </section>
        };
    };
    let Some(node) = s.view.nodes.get(id) else { return html! {} };
    let p = &node.protocol;
    let lag = node
        .lag
        .map(|l| format!("{} positions, {}", l.positions, format_duration(l.time)))
        .unwrap_or_else(|| "—".into());
    html! {
        <section class="inspector" aria-label="Inspector" data-testid="inspector" data-node={id.to_string()}>
            <h2>{format!("Inspector: n{id}")}</h2>
            <dl class="stats">
                <div><dt>{"Role"}</dt><dd>{role_name(p.role)}</dd></div>
                <div><dt>{"Health"}</dt><dd>{health_name(node.health)}</dd></div>
                <div><dt>{"Term"}</dt><dd>{p.term}</dd></div>
                <div><dt>{"Log / commit"}</dt><dd>{format!("{} / {}", p.position, p.commit)}</dd></div>
                <div><dt>{"Lag"}</dt><dd>{lag}</dd></div>
                <div><dt>{"Speed"}</dt><dd>{format!("×{}", node.slow_permille as f64 / 1000.0)}</dd></div>
                <div><dt>{"Clock offset"}</dt><dd>{format!("{:+.3} ms", node.clock_offset as f64 / 1000.0)}</dd></div>
            </dl>
            if !p.flags.is_empty() {
                <ul class="flags">{ for p.flags.iter().map(|f| html! { <li>{f}</li> }) }</ul>
            }
            if !p.log_tail.is_empty() {
                <h3>{"Log (newest)"}</h3>
                <table class="data" data-testid="log-tail">
                    <thead><tr><th>{"#"}</th><th>{"term"}</th><th>{"key"}</th><th>{"value"}</th><th>{"committed"}</th></tr></thead>
                    <tbody>
                        { for p.log_tail.iter().rev().map(|e| html! {
                            <tr class={classes!((!e.committed).then_some("uncommitted"))}>
                                <td>{e.index}</td><td>{e.term}</td><td>{format!("k{}", e.key)}</td><td>{format!("v{}", e.value)}</td>
                                <td>{if e.committed { "yes" } else { "no" }}</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            <h3>{"Data"}</h3>
            if p.data.is_empty() {
                <p class="none">{"No data yet."}</p>
            } else {
                <table class="data" data-testid="kv">
                    <thead><tr><th>{"key"}</th><th>{"value(s)"}</th><th>{"version"}</th></tr></thead>
                    <tbody>
                        { for p.data.iter().take(20).map(|k| html! {
                            <tr class={classes!((k.values.len() > 1).then_some("siblings"))}>
                                <td>{format!("k{}", k.key)}</td>
                                <td>{ k.values.iter().map(|v| format!("v{v}")).collect::<Vec<_>>().join(" ‖ ") }
                                    if k.values.len() > 1 { <span class="badge">{" siblings"}</span> }</td>
                                <td><code>{&k.version}</code></td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}

/// Keys on which replicas disagree, or that hold siblings.
#[function_component]
pub fn Conflicts(props: &PanelProps) -> Html {
    let s = &props.snapshot;
    let nodes = &s.view.nodes;
    let mut keys: Vec<Key> = nodes.iter().flat_map(|n| n.protocol.data.iter().map(|k| k.key)).collect();
    replicalab_core::sort::sort(&mut keys);
    keys.dedup();
    let conflicted: Vec<Key> = keys
        .into_iter()
        .filter(|key| {
            let versions: Vec<_> =
                nodes.iter().map(|n| n.protocol.data.iter().find(|k| k.key == *key).map(|k| &k.values)).collect();
            versions.iter().any(|v| v.is_some_and(|v| v.len() > 1)) || versions.windows(2).any(|w| w[0] != w[1])
        })
        .take(6)
        .collect();
    html! {
        <section class="conflicts" aria-label="Conflicts" data-testid="conflicts">
            <h2>{"Conflicts and divergence "}<span class="count">{conflicted.len()}</span></h2>
            <p class="hint">{&s.resolution}</p>
            if !s.panels.resolutions.is_empty() {
                <h3>{"How they were resolved"}</h3>
                <ol class="resolutions" data-testid="resolutions">
                    { for s.panels.resolutions.iter().rev().map(|e| {
                        let cb = props.on_action.clone();
                        let t = e.time;
                        html! {
                            <li data-kind={e.kind().name()}>
                                <button type="button" class="link-button when" title="Go to this instant"
                                    onclick={Callback::from(move |_: MouseEvent| cb.emit(Action::Seek(t)))}>{format_time(e.time)}</button>
                                <span class="ev-kind">{resolution_word(e.kind())}</span>
                                <span class="ev-text">{e.to_string()}</span>
                            </li>
                        }
                    }) }
                </ol>
            }
            if conflicted.is_empty() {
                <p class="none">{"Every replica agrees on every key it holds."}</p>
            } else {
                <div class="scroll">
                <table class="data">
                    <thead><tr><th>{"key"}</th>{ for nodes.iter().take(9).map(|n| html! { <th>{format!("n{}", n.id)}</th> }) }</tr></thead>
                    <tbody>
                        { for conflicted.iter().map(|key| html! {
                            <tr>
                                <td>{format!("k{key}")}</td>
                                { for nodes.iter().take(9).map(|n| {
                                    let k = n.protocol.data.iter().find(|k| k.key == *key);
                                    html! {
                                        <td class={classes!(k.is_some_and(|k| k.values.len() > 1).then_some("siblings"))}>
                                            { match k {
                                                None => "—".to_string(),
                                                Some(k) if k.values.is_empty() => "no value (deleted)".to_string(),
                                                Some(k) if k.values.len() > 1 => format!("{} versions: {}", k.values.len(),
                                                    k.values.iter().map(|v| format!("v{v}")).collect::<Vec<_>>().join(" ‖ ")),
                                                Some(k) => format!("v{}", k.values[0]),
                                            } }
                                            if let Some(k) = k.filter(|k| !k.version.is_empty() && k.version != "[]") {
                                                <br /><code class="version" title="The version (vector) this replica holds">{format!("version {}", k.version)}</code>
                                            }
                                        </td>
                                    }
                                }) }
                            </tr>
                        }) }
                    </tbody>
                </table>
                </div>
            }
        </section>
    }
}

/// What a resolution note did, in a word or two.
fn resolution_word(kind: replicalab_core::event::EventKind) -> &'static str {
    use replicalab_core::event::EventKind::Note;
    use replicalab_core::note::NoteKind;
    match kind {
        Note(NoteKind::Merge) => "merged",
        Note(NoteKind::LwwDiscard) => "last write wins",
        Note(NoteKind::Conflict) => "siblings kept",
        Note(NoteKind::ReadRepair) => "read repair",
        Note(NoteKind::Discarded) => "log suffix discarded",
        Note(NoteKind::Resurrected) => "delete undone",
        _ => "resolved",
    }
}

#[function_component]
pub fn Anomalies(props: &PanelProps) -> Html {
    let s = &props.snapshot;
    let cb = &props.on_action;
    html! {
        <section class="anomaly-list" aria-label="Anomalies">
            <h2>{"Anomalies "}<span class="count" data-testid="anomaly-count">{s.anomalies_total}</span></h2>
            if !s.panels.anomaly_counts.is_empty() {
                <ul class="headlines" data-testid="anomaly-headlines">
                    { for s.panels.anomaly_counts.iter().map(|&(kind, n)| {
                        let (title, why) = crate::narration::headline(kind, n);
                        let latest = s.panels.anomalies.iter().rev().find(|(_, a)| a.kind == kind).map(|(i, _)| *i);
                        let select = latest.map(|i| { let cb = cb.clone(); Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::Anomaly(i)))) });
                        html! {
                            <li data-kind={kind.name()} data-count={n.to_string()}>
                                if let Some(onclick) = select {
                                    <button type="button" class="link-button headline" {onclick} title="Go to the latest one">{title}</button>
                                } else {
                                    <strong class="headline">{title}</strong>
                                }
                                <span class="why">{format!(": {why}.")}</span>
                            </li>
                        }
                    }) }
                </ul>
            }
            if s.panels.anomalies.is_empty() {
                <p class="none" data-testid="anomalies-none">{"None so far."}</p>
            } else {
                <ol class="anomalies" data-testid="anomalies">
                    { for s.panels.anomalies.iter().rev().take(40).map(|(i, a)| {
                        let i = *i;
                        let selected = s.selection == Selection::Anomaly(i);
                        let select = { let cb = cb.clone(); Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::Anomaly(i)))) };
                        html! {
                            <li key={i} data-kind={a.kind.name()} class={classes!(selected.then_some("selected"))}>
                                <button type="button" class="link-button kind" aria-pressed={selected.to_string()} onclick={select}
                                    data-testid="anomaly" title="Highlight it everywhere and go to the moment it happened">
                                    {a.kind.name().replace('_', " ")}
                                </button>
                                <span class="when">{format!(" at {}", format_time(a.time))}</span>
                                if !a.nodes.is_empty() {
                                    <span class="when">{format!(" · {}", a.nodes.iter().map(|n| format!("n{n}")).collect::<Vec<_>>().join(" "))}</span>
                                }
                                <p>{&a.explanation}</p>
                                if !a.ops.is_empty() {
                                    <p class="op-links">{"Operations: "}
                                        { for a.ops.iter().take(8).map(|&op| {
                                            let cb = cb.clone();
                                            html! { <button type="button" class="link-button" data-op={op.to_string()}
                                                onclick={Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Selection::Op(op))))}>{format!("op{op}")}</button> }
                                        }) }
                                    </p>
                                }
                            </li>
                        }
                    }) }
                </ol>
                if s.anomalies_total > s.panels.anomalies.len() {
                    <p class="none">{format!("Showing the latest {} of {}.", s.panels.anomalies.len(), s.anomalies_total)}</p>
                }
            }
        </section>
    }
}
