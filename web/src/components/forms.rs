//! The two forms: the settings form that builds a custom scenario (family and its main
//! settings, nodes, latency, workload, session guarantees), and the client panel that issues
//! one write or read (client, node, key, value, W/R, session guarantee) or toggles the workload.

use replicalab_core::protocol::ReadFrom;
use replicalab_core::scenario::{Command, MonotonicReads, ReadYourWrites, SessionConfig};
use replicalab_core::view::Family;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::custom::{Settings, MAX_NODES};
use crate::state::{Action, Shared};

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

fn input_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

fn checked(e: &Event) -> bool {
    e.target_unchecked_into::<HtmlInputElement>().checked()
}

fn options(choices: &[(&str, &str)], current: &str) -> Html {
    choices
        .iter()
        .map(
            |(value, label)| html! { <option value={value.to_string()} selected={*value == current}>{*label}</option> },
        )
        .collect()
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
    let edit = |f: fn(&mut Settings, String), select: bool| {
        let settings = settings.clone();
        Callback::from(move |e: Event| {
            let v = if select { select_value(&e) } else { input_value(&e) };
            let mut s = (*settings).clone();
            f(&mut s, v);
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
                    <select data-testid="set-family" onchange={edit(|s, v| s.family = v, true)}>
                        { options(&[("leader_follower", "leader-follower"), ("multi_leader", "multi-leader"), ("leaderless", "leaderless")], &s.family) }
                    </select>
                </label>
                <label>{"Nodes"}
                    <input type="number" data-testid="set-nodes" min="1" max={MAX_NODES.to_string()} value={s.nodes.to_string()}
                        onchange={edit(|s, v| if let Ok(n) = v.trim().parse() { s.nodes = n }, false)} />
                </label>
                <label>{"Latency model"}
                    <select data-testid="set-latency-model" onchange={edit(|s, v| s.latency_model = v, true)}>
                        { options(&[("constant", "constant"), ("uniform", "uniform"), ("exponential", "exponential"),
                            ("pareto", "Pareto (heavy tail)"), ("tail", "uniform + slow tail")], &s.latency_model) }
                    </select>
                </label>
                <label>{ match s.latency_model.as_str() {
                        "constant" => "Latency ms",
                        "pareto" => "Latency scale ms (minimum)",
                        _ => "Latency min ms",
                    } }
                    <input type="number" step="any" min="0" data-testid="set-latency-min" value={s.latency_min_ms.to_string()}
                        onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.latency_min_ms = x }, false)} />
                </label>
                if matches!(s.latency_model.as_str(), "uniform" | "exponential" | "tail") {
                    <label>{ if s.latency_model == "exponential" { "Latency mean ms (min + mean)" } else { "Latency max ms" } }
                        <input type="number" step="any" min="0" data-testid="set-latency-max" value={s.latency_max_ms.to_string()}
                            onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.latency_max_ms = x }, false)} />
                    </label>
                }
                if s.latency_model == "pareto" {
                    <label>{"Pareto shape (smaller: heavier tail)"}
                        <input type="number" step="any" min="0" data-testid="set-pareto-shape" value={s.pareto_shape.to_string()}
                            onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.pareto_shape = x }, false)} />
                    </label>
                }
                if s.latency_model == "tail" {
                    <label>{"Slow tail % of messages"}
                        <input type="number" step="any" min="0" max="100" data-testid="set-tail-percent" value={s.tail_percent.to_string()}
                            onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.tail_percent = x }, false)} />
                    </label>
                    <label>{"Slow tail ms"}
                        <input type="number" step="any" min="0" data-testid="set-tail-ms" value={s.tail_ms.to_string()}
                            onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.tail_ms = x }, false)} />
                    </label>
                }
                <label>{"Loss %"}
                    <input type="number" step="any" min="0" max="100" value={s.loss_percent.to_string()}
                        onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.loss_percent = x }, false)} />
                </label>
                <label>{"Workload ops/s"}
                    <input type="number" step="any" min="0" data-testid="set-rate" value={s.rate_per_s.to_string()}
                        onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.rate_per_s = x }, false)} />
                </label>
                <label>{"Reads %"}
                    <input type="number" step="any" min="0" max="100" value={s.read_percent.to_string()}
                        onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.read_percent = x }, false)} />
                </label>
                <label>{"Reads from"}
                    <select onchange={edit(|s, v| s.read_from = v, true)}>
                        { options(&[("leader", "leader"), ("local", "local replica"), ("any", "any replica")], &s.read_from) }
                    </select>
                </label>
                <label>{"Seed"}
                    <input type="number" min="0" value={s.seed.to_string()}
                        onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.seed = x }, false)} />
                </label>
                <label>{"Session guarantee"}
                    <select data-testid="set-session" onchange={edit(|s, v| s.session = v, true)}>
                        { options(&[("none", "none"), ("ryw", "read your writes"), ("monotonic", "monotonic reads"), ("causal", "causal (consistent prefix)")], &s.session) }
                    </select>
                </label>
                if s.family == "leader_follower" {
                    <label>{"Acknowledgements"}
                        <select data-testid="set-ack" onchange={edit(|s, v| s.ack = v, true)}>
                            { options(&[("async", "async"), ("semi_sync", "semi-sync (k)"), ("majority", "majority"), ("sync", "sync (all)")], &s.ack) }
                        </select>
                    </label>
                    if s.ack == "semi_sync" {
                        <label>{"k"}
                            <input type="number" min="1" value={s.k.to_string()} onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.k = x }, false)} />
                        </label>
                    }
                    <label>{"Failover"}
                        <select data-testid="set-failover" onchange={edit(|s, v| s.failover = v, true)}>
                            { options(&[("manual", "manual"), ("election", "majority election"), ("naive", "naive promotion")], &s.failover) }
                        </select>
                    </label>
                    <label>{"Fencing"}
                        <select data-testid="set-fencing" onchange={edit(|s, v| s.fencing = v, true)}>
                            { options(&[("none", "terms only"), ("lease", "leader lease"), ("stonith", "STONITH"), ("off", "none at all")], &s.fencing) }
                        </select>
                    </label>
                }
                if s.family == "multi_leader" {
                    <label>{"Topology"}
                        <select onchange={edit(|s, v| s.topology = v, true)}>
                            { options(&[("all_to_all", "all to all"), ("ring", "ring"), ("star", "star")], &s.topology) }
                        </select>
                    </label>
                    <label>{"Conflicts"}
                        <select onchange={edit(|s, v| s.conflicts = v, true)}>
                            { options(&[("lww", "last write wins"), ("siblings", "siblings"), ("last_arrival", "last arrival")], &s.conflicts) }
                        </select>
                    </label>
                }
                if s.family == "leaderless" {
                    <label>{"N"}
                        <input type="number" min="1" data-testid="set-n" value={s.n.to_string()} onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.n = x }, false)} />
                    </label>
                    <label>{"W"}
                        <input type="number" min="1" max={s.n.to_string()} data-testid="set-w" value={s.w.to_string()} onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.w = x }, false)} />
                    </label>
                    <label>{"R"}
                        <input type="number" min="1" max={s.n.to_string()} data-testid="set-r" value={s.r.to_string()} onchange={edit(|s, v| if let Ok(x) = v.trim().parse() { s.r = x }, false)} />
                    </label>
                    <label>{"Conflicts"}
                        <select onchange={edit(|s, v| s.conflicts = v, true)}>
                            { options(&[("lww", "last write wins"), ("siblings", "siblings")], &s.conflicts) }
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
    read_from: String,
    session: String,
}

fn session(choice: &str) -> SessionConfig {
    match choice {
        "ryw" => SessionConfig { read_your_writes: Some(ReadYourWrites::Token), ..Default::default() },
        "monotonic" => SessionConfig { monotonic_reads: Some(MonotonicReads::Token), ..Default::default() },
        "causal" => SessionConfig { causal: true, ..Default::default() },
        _ => SessionConfig::default(),
    }
}

#[function_component]
pub fn ClientPanel(props: &ClientProps) -> Html {
    let choice = use_state(|| ClientChoice {
        client: 0,
        node: None,
        key: 1,
        value: None,
        quorum: None,
        read_from: "leader".into(),
        session: "keep".into(),
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
            if c.session != "keep" {
                cb.emit(Action::Do(Command::Session { client, session: session(&c.session) }));
            }
            let command = if write {
                Command::Write { client, key: c.key, value: c.value, node, quorum: c.quorum }
            } else {
                let from = match c.read_from.as_str() {
                    "local" => ReadFrom::Local,
                    "any" => ReadFrom::Any,
                    _ => ReadFrom::Leader,
                };
                Command::Read { client, key: c.key, from, node, quorum: c.quorum }
            };
            cb.emit(Action::Do(command));
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
                    <select onchange={edit(|c, v| c.read_from = v, true)}>
                        { options(&[("leader", "leader"), ("local", "local replica"), ("any", "any replica")], &c.read_from) }
                    </select>
                </label>
                <label>{"Session"}
                    <select data-testid="cl-session" onchange={edit(|c, v| c.session = v, true)}>
                        { options(&[("keep", "as configured"), ("none", "none"), ("ryw", "read your writes"), ("monotonic", "monotonic reads"), ("causal", "causal")], &c.session) }
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
