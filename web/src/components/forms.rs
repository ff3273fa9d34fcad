//! The two forms: the settings form that builds a custom scenario (family and its main
//! settings, nodes, latency, workload, session guarantees), and the client panel that issues
//! one write or read (client, node, key, value, W/R, session guarantee) or toggles the workload.

use replicalab_core::choices::{
    AckChoice, Choice, FailoverChoice, FencingChoice, LatencyModel, SessionChoice, TopologyChoice,
};
use replicalab_core::conflict::ConflictResolution;
use replicalab_core::protocol::ReadFrom;
use replicalab_core::scenario::Command;
use replicalab_core::view::Family;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::custom::{Settings, MAX_NODES, MULTI_LEADER_CONFLICTS};
use crate::state::{Action, Shared};

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

fn input_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

/// A decimal number typed into a field, read by the browser's own conversion (JavaScript's
/// `Number()`, which accepts what a number field gives: `.5`, `007`, `1e3`), so that the page
/// carries no decimal parser of its own (Rust's is 14 KB with its table). Empty text, or
/// anything that is not a finite number, is none.
pub fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    // Unary plus on a string: JavaScript's ToNumber, which never throws for a string.
    let x = wasm_bindgen::JsValue::from_str(text).unchecked_into_f64();
    x.is_finite().then_some(x)
}

fn checked(e: &Event) -> bool {
    e.target_unchecked_into::<HtmlInputElement>().checked()
}

/// One `<option>` per choice: its name as the value, its label as the text.
fn options<T: Choice>(choices: &[T], current: Option<T>) -> Html {
    choices
        .iter()
        .map(|&c| html! { <option value={c.name()} selected={Some(c) == current}>{c.label()}</option> })
        .collect()
}

/// A `<select>`'s change handler that stores the chosen value in `state`. Its options are
/// the choices' names, so any other value changes nothing.
fn on_choice<S: Clone + 'static, T: Choice>(state: &UseStateHandle<S>, set: fn(&mut S, T)) -> Callback<Event> {
    let state = state.clone();
    Callback::from(move |e: Event| {
        if let Some(v) = T::from_name(&select_value(&e)) {
            let mut s = (*state).clone();
            set(&mut s, v);
            state.set(s);
        }
    })
}

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub on_action: Callback<Action>,
}

#[function_component]
pub fn SettingsForm(props: &SettingsProps) -> Html {
    let settings = use_state(Settings::default);
    let error = use_state(|| None::<String>);
    let details = use_node_ref();
    let edit = |f: fn(&mut Settings, String)| {
        let settings = settings.clone();
        Callback::from(move |e: Event| {
            let mut s = (*settings).clone();
            f(&mut s, input_value(&e));
            settings.set(s);
        })
    };
    let toggle = |f: fn(&mut Settings, bool)| {
        let settings = settings.clone();
        Callback::from(move |e: Event| {
            let mut s = (*settings).clone();
            f(&mut s, checked(&e));
            settings.set(s);
        })
    };
    let onsubmit = {
        let settings = settings.clone();
        let error = error.clone();
        let cb = props.on_action.clone();
        let details = details.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match settings.build() {
                Ok(scenario) => {
                    error.set(None);
                    // Fold the form away so the new cluster is in view.
                    if let Some(d) = details.cast::<web_sys::Element>() {
                        let _ = d.remove_attribute("open");
                    }
                    cb.emit(Action::LoadScenario(Box::new(scenario)));
                }
                Err(m) => error.set(Some(m)),
            }
        })
    };
    let s = &*settings;
    html! {
        <details class="settings" data-testid="settings" ref={details}>
            <summary>{"Build your own cluster"}</summary>
            <form onsubmit={onsubmit} class="form-grid">
                <label>{"Family"}
                    <select data-testid="set-family" onchange={on_choice(&settings, |s, v| s.family = v)}>
                        { options(Family::ALL, Some(s.family)) }
                    </select>
                </label>
                <label>{"Nodes"}
                    <input type="number" data-testid="set-nodes" min="1" max={MAX_NODES.to_string()} value={s.nodes.to_string()}
                        onchange={edit(|s, v| if let Ok(n) = v.trim().parse() { s.nodes = n })} />
                </label>
                <label>{"Latency model"}
                    <select data-testid="set-latency-model" onchange={on_choice(&settings, |s, v| s.latency_model = v)}>
                        { options(LatencyModel::ALL, Some(s.latency_model)) }
                    </select>
                </label>
                <label>{ match s.latency_model {
                        LatencyModel::Constant => "Latency ms",
                        LatencyModel::Pareto => "Latency scale ms (minimum)",
                        LatencyModel::Uniform | LatencyModel::Exponential | LatencyModel::Tail => "Latency min ms",
                    } }
                    <input type="number" step="any" min="0" data-testid="set-latency-min" value={s.latency_min_ms.to_string()}
                        onchange={edit(|s, v| if let Some(x) = number(&v) { s.latency_min_ms = x })} />
                </label>
                if matches!(s.latency_model, LatencyModel::Uniform | LatencyModel::Exponential | LatencyModel::Tail) {
                    <label>{ if s.latency_model == LatencyModel::Exponential { "Latency mean ms (min + mean)" } else { "Latency max ms" } }
                        <input type="number" step="any" min="0" data-testid="set-latency-max" value={s.latency_max_ms.to_string()}
                            onchange={edit(|s, v| if let Some(x) = number(&v) { s.latency_max_ms = x })} />
                    </label>
                }
                if s.latency_model == LatencyModel::Pareto {
                    <label>{"Pareto shape (smaller: heavier tail)"}
                        <input type="number" step="any" min="0" data-testid="set-pareto-shape" value={s.pareto_shape.to_string()}
                            onchange={edit(|s, v| if let Some(x) = number(&v) { s.pareto_shape = x })} />
                    </label>
                }
                if s.latency_model == LatencyModel::Tail {
                    <label>{"Slow tail % of messages"}
                        <input type="number" step="any" min="0" max="100" data-testid="set-tail-percent" value={s.tail_percent.to_string()}
                            onchange={edit(|s, v| if let Some(x) = number(&v) { s.tail_percent = x })} />
                    </label>
                    <label>{"Slow tail ms"}
                        <input type="number" step="any" min="0" data-testid="set-tail-ms" value={s.tail_ms.to_string()}
                            onchange={edit(|s, v| if let Some(x) = number(&v) { s.tail_ms = x })} />
                    </label>
                }
                <label>{"Loss %"}
                    <input type="number" step="any" min="0" max="100" value={s.loss_percent.to_string()}
                        onchange={edit(|s, v| if let Some(x) = number(&v) { s.loss_percent = x })} />
                </label>
                <label>{"Workload ops/s"}
                    <input type="number" step="any" min="0" data-testid="set-rate" value={s.rate_per_s.to_string()}
                        onchange={edit(|s, v| if let Some(x) = number(&v) { s.rate_per_s = x })} />
                </label>
                <label>{"Reads %"}
                    <input type="number" step="any" min="0" max="100" value={s.read_percent.to_string()}
                        onchange={edit(|s, v| if let Some(x) = number(&v) { s.read_percent = x })} />
                </label>
                <label>{"Reads from"}
                    <select onchange={on_choice(&settings, |s, v| s.read_from = v)}>
                        { options(ReadFrom::ALL, Some(s.read_from)) }
                    </select>
                </label>
                <label>{"Seed"}
                    <input type="number" min="0" value={s.seed.to_string()}
                        onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.seed = x })} />
                </label>
                <label>{"Session guarantee"}
                    <select data-testid="set-session" onchange={on_choice(&settings, |s, v| s.session = v)}>
                        { options(SessionChoice::ALL, Some(s.session)) }
                    </select>
                </label>
                if s.family == Family::LeaderFollower {
                    <label>{"Acknowledgements"}
                        <select data-testid="set-ack" onchange={on_choice(&settings, |s, v| s.ack = v)}>
                            { options(AckChoice::ALL, Some(s.ack)) }
                        </select>
                    </label>
                    if s.ack == AckChoice::SemiSync {
                        <label>{"k"}
                            <input type="number" min="1" value={s.k.to_string()} onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.k = x })} />
                        </label>
                    }
                    <label>{"Failover"}
                        <select data-testid="set-failover" onchange={on_choice(&settings, |s, v| s.failover = v)}>
                            { options(FailoverChoice::ALL, Some(s.failover)) }
                        </select>
                    </label>
                    <label>{"Fencing"}
                        <select data-testid="set-fencing" onchange={on_choice(&settings, |s, v| s.fencing = v)}>
                            { options(FencingChoice::ALL, Some(s.fencing)) }
                        </select>
                    </label>
                }
                if s.family == Family::MultiLeader {
                    <label>{"Topology"}
                        <select onchange={on_choice(&settings, |s, v| s.topology = v)}>
                            { options(TopologyChoice::ALL, Some(s.topology)) }
                        </select>
                    </label>
                    <label>{"Conflicts"}
                        <select onchange={on_choice(&settings, |s, v| s.conflicts = v)}>
                            { options(MULTI_LEADER_CONFLICTS, Some(s.conflicts)) }
                        </select>
                    </label>
                }
                if s.family == Family::Leaderless {
                    <label>{"N"}
                        <input type="number" min="1" data-testid="set-n" value={s.n.to_string()} onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.n = x })} />
                    </label>
                    <label>{"W"}
                        <input type="number" min="1" max={s.n.to_string()} data-testid="set-w" value={s.w.to_string()} onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.w = x })} />
                    </label>
                    <label>{"R"}
                        <input type="number" min="1" max={s.n.to_string()} data-testid="set-r" value={s.r.to_string()} onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.r = x })} />
                    </label>
                    <label>{"Conflicts"}
                        <select onchange={on_choice(&settings, |s, v: ConflictResolution| s.resolution = v)}>
                            { options(&ConflictResolution::LEADERLESS, Some(s.resolution)) }
                        </select>
                    </label>
                    <label class="check"><input type="checkbox" data-testid="set-repair" checked={s.read_repair} onchange={toggle(|s, v| s.read_repair = v)} />{"read repair"}</label>
                    <label class="check"><input type="checkbox" checked={s.sloppy_quorum} onchange={toggle(|s, v| s.sloppy_quorum = v)} />{"sloppy quorum"}</label>
                }
                <div class="form-actions">
                    <button type="submit" class="primary" data-testid="set-start">{"Start this cluster"}</button>
                    if let Some(e) = &*error {
                        <p class="form-error" role="alert" data-testid="set-error">{e}</p>
                    }
                </div>
            </form>
        </details>
    }
}

#[derive(Properties, PartialEq)]
pub struct ClientProps {
    pub snapshot: Shared,
    pub on_action: Callback<Action>,
}

/// What the client panel has chosen.
#[derive(Clone, PartialEq)]
struct ClientChoice {
    client: usize,
    /// `None`: let the client choose (its leader, or as "read from" says).
    node: Option<usize>,
    key: u32,
    value: Option<u64>,
    quorum: Option<u32>,
    read_from: ReadFrom,
    /// `None`: keep the client's configured guarantee.
    session: Option<SessionChoice>,
}

#[function_component]
pub fn ClientPanel(props: &ClientProps) -> Html {
    let choice = use_state(|| ClientChoice {
        client: 0,
        node: None,
        key: 1,
        value: None,
        quorum: None,
        read_from: ReadFrom::Leader,
        session: None,
    });
    let s = &props.snapshot;
    let n = s.view.nodes.len();
    let clients = s.clients.max(1);
    let leaderless = s.view.family == Family::Leaderless;
    // A per-operation quorum counts replicas of the key: 1 to N, not to the node count.
    let replicas = s.quorum.map_or(n, |(replicas, _, _)| replicas);
    let edit = |f: fn(&mut ClientChoice, String), select: bool| {
        let choice = choice.clone();
        Callback::from(move |e: Event| {
            let v = if select { select_value(&e) } else { input_value(&e) };
            let mut c = (*choice).clone();
            f(&mut c, v);
            choice.set(c);
        })
    };
    let issue = |write: bool| {
        let choice = choice.clone();
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| {
            let c = &*choice;
            let client = c.client.min(clients - 1);
            let node = c.node.filter(|&i| i < n);
            if let Some(guarantee) = c.session {
                cb.emit(Action::Do(Command::Session { client, session: guarantee.session() }));
            }
            let command = if write {
                Command::Write { client, key: c.key, value: c.value, node, quorum: c.quorum }
            } else {
                Command::Read { client, key: c.key, from: c.read_from, node, quorum: c.quorum }
            };
            cb.emit(Action::Do(command));
        })
    };
    let on_session = {
        let choice = choice.clone();
        Callback::from(move |e: Event| {
            let mut c = (*choice).clone();
            // "keep" names no guarantee: the client keeps the one it has.
            c.session = SessionChoice::from_name(&select_value(&e));
            choice.set(c);
        })
    };
    let workload = {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::ToggleWorkload))
    };
    let c = &*choice;
    html! {
        <section class="client" aria-label="Client">
            <h2>{"Client"}</h2>
            <div class="form-grid">
                <label>{"Client"}
                    <select data-testid="cl-client" onchange={edit(|c, v| c.client = v.parse().unwrap_or(0), true)}>
                        { for (0..clients.min(64)).map(|i| html! { <option value={i.to_string()} selected={i == c.client}>{format!("client {i}")}</option> }) }
                    </select>
                </label>
                <label>{"Node"}
                    <select data-testid="cl-node" onchange={edit(|c, v| c.node = v.parse().ok(), true)}>
                        <option value="auto" selected={c.node.is_none()}>{"its choice"}</option>
                        { for (0..n).map(|i| html! { <option value={i.to_string()} selected={c.node == Some(i)}>{format!("n{i}")}</option> }) }
                    </select>
                </label>
                <label>{"Key"}
                    <input type="number" min="0" max="1000" data-testid="cl-key" value={c.key.to_string()}
                        onchange={edit(|c, v| if let Ok(k) = v.trim().parse::<u32>() { c.key = k.min(1_000_000) }, false)} />
                </label>
                <label>{"Value"}
                    <input type="number" min="1" placeholder="unique" data-testid="cl-value" value={c.value.map(|v| v.to_string()).unwrap_or_default()}
                        onchange={edit(|c, v| c.value = v.trim().parse().ok(), false)} />
                </label>
                if leaderless {
                    <label>{"W / R"}
                        <select data-testid="cl-quorum" onchange={edit(|c, v| c.quorum = v.parse().ok(), true)}>
                            <option value="auto" selected={c.quorum.is_none()}>{"configured"}</option>
                            { for (1..=replicas.min(9) as u32).map(|q| html! { <option value={q.to_string()} selected={c.quorum == Some(q)}>{q}</option> }) }
                        </select>
                    </label>
                }
                <label>{"Read from"}
                    <select onchange={on_choice(&choice, |c, v| c.read_from = v)}>
                        { options(ReadFrom::ALL, Some(c.read_from)) }
                    </select>
                </label>
                <label>{"Session"}
                    <select data-testid="cl-session" onchange={on_session}>
                        <option value="keep" selected={c.session.is_none()}>{"as configured"}</option>
                        { options(SessionChoice::ALL, c.session) }
                    </select>
                </label>
            </div>
            <div class="button-row">
                <button type="button" data-testid="cl-write" onclick={issue(true)}>{"Write"}</button>
                <button type="button" data-testid="cl-read" onclick={issue(false)}>{"Read"}</button>
                <button type="button" data-testid="workload" aria-pressed={s.view.workload.to_string()} onclick={workload} title="Start or stop the workload (W)">
                    {if s.view.workload { "Stop workload" } else { "Start workload" }}
                </button>
            </div>
        </section>
    }
}
