//! The "Check a history" panel: paste or open a history written by Jepsen, Knossos or
//! Porcupine, have the core check it ([`check_text`], the same path as `replicalab check`), and
//! see the verdict, what was read, and the operations on a timeline with the minimal
//! violating window emphasised.
//!
//! The panel holds its own state (the text, the options, the last check): it never touches the
//! simulation, so a bad file leaves the reader's scenario as it was. The check runs after a
//! frame has painted "Checking…"; a new check makes an older one's answer stale (a generation
//! number), so answers cannot arrive out of order. The timeline draws at most
//! [`checker::MAX_SPAN`] events at a time ([`checker::layout`]), so a history of 50 000
//! operations draws as fast as a short one.

use std::cell::RefCell;
use std::rc::Rc;

use replicalab_core::checkers::linearizability::file::{check_text, FileCheck, FileReport, ModelKind};
use replicalab_core::formats::Format;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::checker::{self, Layout, Outcome, Role, TimelineView, ViewAction};

#[derive(Properties, PartialEq)]
pub struct CheckerProps {
    /// Open the panel (a `#check` link asks for it).
    pub open: bool,
}

/// A finished check.
pub struct Checked {
    pub report: FileReport,
    pub how: FileCheck,
    /// "the pasted history" or the file's name.
    pub source: String,
    pub took_ms: f64,
    /// Bumped by every check: the timeline's key, so a new report starts from its own view.
    pub generation: u32,
}

/// Checks are told apart by their generation: comparing two reports of 50 000 operations
/// field by field on every render would cost more than drawing them.
impl PartialEq for Checked {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation
    }
}

#[derive(Clone, PartialEq)]
enum Run {
    Idle,
    Checking(String),
    Failed(String),
    Done(Rc<Checked>),
}

fn now_ms() -> f64 {
    gloo::utils::window().performance().map(|p| p.now()).unwrap_or(0.0)
}

fn size_text(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
    } else if bytes >= 1 << 10 {
        format!("{:.0} KB", bytes as f64 / (1 << 10) as f64)
    } else {
        format!("{bytes} bytes")
    }
}

/// Checks `text` after the next frame (so "Checking…" shows first), unless a newer check has
/// started by then.
fn check_later(
    text: Rc<str>,
    how: FileCheck,
    source: String,
    run: UseStateHandle<Run>,
    generation: (Rc<RefCell<u32>>, u32),
) {
    let frame = gloo::render::request_animation_frame(move |_| {
        gloo::timers::callback::Timeout::new(0, move || {
            let (current, mine) = generation;
            if *current.borrow() != mine {
                return;
            }
            let t0 = now_ms();
            let result = check_text(&text, &how);
            let took_ms = now_ms() - t0;
            match result {
                Ok(report) => run.set(Run::Done(Rc::new(Checked { report, how, source, took_ms, generation: mine }))),
                Err(e) => run.set(Run::Failed(format!("Could not check {source}: {e}. Your scenario is unchanged."))),
            }
        })
        .forget();
    });
    // Dropping the handle would cancel the frame; it runs once and is freed with the page.
    std::mem::forget(frame);
}

#[function_component]
pub fn CheckerPanel(props: &CheckerProps) -> Html {
    let run = use_state(|| Run::Idle);
    let text_ref = use_node_ref();
    let format_ref = use_node_ref();
    let model_ref = use_node_ref();
    let every_ref = use_node_ref();
    // A file too long to show in the text box: its name and text, checked while the box is empty.
    let loaded = use_state(|| None::<Rc<(String, Rc<str>)>>);
    let generation = use_mut_ref(|| 0u32);

    // Starts a check of `text` with the options as they are now.
    let start = {
        let run = run.clone();
        let (format_ref, model_ref, every_ref) = (format_ref.clone(), model_ref.clone(), every_ref.clone());
        let generation = generation.clone();
        Callback::from(move |(text, source): (Rc<str>, String)| {
            if text.len() > checker::MAX_HISTORY_BYTES {
                run.set(Run::Failed(format!(
                    "Did not check {source}: it is larger than {} MB. Your scenario is unchanged.",
                    checker::MAX_HISTORY_BYTES >> 20
                )));
                return;
            }
            let value = |r: &NodeRef| r.cast::<HtmlSelectElement>().map(|s| s.value()).unwrap_or_default();
            let every = every_ref.cast::<HtmlInputElement>().is_some_and(|i| i.checked());
            let how = checker::file_check(&value(&format_ref), &value(&model_ref), every);
            let mine = {
                let mut g = generation.borrow_mut();
                *g = g.wrapping_add(1);
                *g
            };
            run.set(Run::Checking(format!("{source} ({})", size_text(text.len()))));
            check_later(text, how, source, run.clone(), (generation.clone(), mine));
        })
    };
    let on_check = {
        let start = start.clone();
        let text_ref = text_ref.clone();
        let loaded = loaded.clone();
        let run = run.clone();
        Callback::from(move |_: MouseEvent| {
            let text = text_ref.cast::<HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default();
            if !text.trim().is_empty() {
                start.emit((Rc::from(text), "the pasted history".to_string()));
            } else if let Some(file) = &*loaded {
                start.emit((Rc::clone(&file.1), file.0.clone()));
            } else {
                run.set(Run::Failed("There is nothing to check: paste a history in the box or open a file.".into()));
            }
        })
    };
    let on_input = {
        let loaded = loaded.clone();
        Callback::from(move |_: InputEvent| {
            if loaded.is_some() {
                loaded.set(None);
            }
        })
    };
    let on_file = {
        let start = start.clone();
        let text_ref = text_ref.clone();
        let loaded = loaded.clone();
        let run = run.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let name = file.name();
            if file.size() > checker::MAX_HISTORY_BYTES as f64 {
                run.set(Run::Failed(format!(
                    "Did not check {name}: it is larger than {} MB. Your scenario is unchanged.",
                    checker::MAX_HISTORY_BYTES >> 20
                )));
                return;
            }
            let (start, text_ref, loaded, run) = (start.clone(), text_ref.clone(), loaded.clone(), run.clone());
            run.set(Run::Checking(format!("{name} (reading the file)")));
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
                let Some(text) = text else {
                    run.set(Run::Failed(format!("Could not read {name} as text. Your scenario is unchanged.")));
                    return;
                };
                let area = text_ref.cast::<HtmlTextAreaElement>();
                let text: Rc<str> = Rc::from(text);
                if text.len() <= checker::MAX_SHOWN_BYTES {
                    if let Some(a) = &area {
                        a.set_value(&text);
                    }
                    loaded.set(None);
                } else {
                    if let Some(a) = &area {
                        a.set_value("");
                    }
                    loaded.set(Some(Rc::new((name.clone(), Rc::clone(&text)))));
                }
                start.emit((text, name));
            });
        })
    };
    let checking = matches!(*run, Run::Checking(_));
    html! {
        <details class="checker card" data-testid="check-history" open={props.open}>
            <summary>{"Check a history"}</summary>
            <p class="muted">
                {"Is a recorded history linearizable? Paste or open a history written by Jepsen, Knossos or Porcupine (Jepsen log lines, or EDN event maps one per line): the checker of "}
                <code>{"replicalab check"}</code>
                {" reads it here in your browser and shows the operations that cannot be ordered. Your scenario is not touched."}
            </p>
            <div class="checker-form">
                <label class="checker-text" for="history-text">{"History"}
                    <textarea id="history-text" ref={text_ref} rows="8" spellcheck="false" autocomplete="off"
                        data-testid="history-text" oninput={on_input}
                        placeholder={"INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\n… or {:process 0, :type :invoke, :f :read, :value nil}"} />
                </label>
                if let Some(file) = &*loaded {
                    <p class="muted" data-testid="history-loaded">
                        {format!("{} ({}) is loaded; it is too long to show here. Paste in the box to check something else.", file.0, size_text(file.1.len()))}
                    </p>
                }
                <div class="checker-options">
                    <label class="file-button">{"Open a file…"}
                        <input type="file" data-testid="history-file" accept=".log,.edn,.txt,.json,text/plain" onchange={on_file} />
                    </label>
                    <label>{"Format "}
                        <select ref={format_ref} data-testid="history-format">
                            <option value="auto" selected=true>{"recognise it"}</option>
                            { for Format::ALL.iter().map(|f| html! { <option value={f.name()}>{f.name()}</option> }) }
                        </select>
                    </label>
                    <label>{"Model "}
                        <select ref={model_ref} data-testid="history-model">
                            <option value="auto" selected=true>{"recognise it"}</option>
                            { for ModelKind::ALL.iter().map(|m| html! { <option value={m.name()}>{m.name()}</option> }) }
                        </select>
                    </label>
                    <label class="check" title="Check every key and give each violation its own minimal window, instead of stopping at the first key that fails">
                        <input type="checkbox" ref={every_ref} data-testid="history-every-key" />{"every key"}
                    </label>
                    <button type="button" class="primary" data-testid="history-check" disabled={checking} onclick={on_check}>{"Check"}</button>
                </div>
            </div>
            <div class="checker-result" aria-live="polite">
                { match &*run {
                    Run::Idle => html! {},
                    Run::Checking(what) => html! { <p role="status" data-testid="history-status">{format!("Checking {what}…")}</p> },
                    Run::Failed(e) => html! { <p role="alert" class="error" data-testid="history-error">{e}</p> },
                    Run::Done(checked) => html! { <CheckResult key={checked.generation} checked={Rc::clone(checked)} /> },
                } }
            </div>
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct ResultProps {
    checked: Rc<Checked>,
}

/// The verdict, what was read, the violation's explanation, the timeline and the window's
/// operations as text.
#[function_component]
fn CheckResult(props: &ResultProps) -> Html {
    let checked = &props.checked;
    let report = &checked.report;
    let view = {
        let checked = Rc::clone(checked);
        use_reducer(move || ViewState(TimelineView::new(&checked.report), checked))
    };
    let on_view = {
        let view = view.clone();
        Callback::from(move |a: ViewAction| view.dispatch(a))
    };
    let v = &view.0;
    let summary = checker::read_summary(report, &checked.how);
    let focus = v.focus(report);
    let verdict = report.verdict;
    let partitions_note = (report.not_checked > 0).then(|| {
        format!(
            "Stopped at the first key that is not linearizable: {} of {} keys were not checked. Tick “every key” to check them all.",
            report.not_checked, report.partitions
        )
    });
    let undecided = (!report.undecided.is_empty()).then(|| {
        let keys: Vec<String> = report
            .undecided
            .iter()
            .map(|k| k.as_ref().map_or("the history".to_string(), |k| format!("key {k}")))
            .collect();
        format!(
            "The search ran out of budget on {}: no violation was found there, but none was ruled out.",
            keys.join(", ")
        )
    });
    let pick = (report.violations.len() > 1).then(|| {
        let on_view = on_view.clone();
        let onchange = Callback::from(move |e: Event| {
            if let Ok(i) = e.target_unchecked_into::<HtmlSelectElement>().value().parse::<usize>() {
                on_view.emit(ViewAction::Violation(i));
            }
        });
        html! {
            <label class="violation-pick">{"Violation "}
                <select data-testid="history-violation" {onchange}>
                    { for report.violations.iter().enumerate().map(|(i, x)| html! {
                        <option value={i.to_string()} selected={v.violation == Some(i)}>
                            {format!("{}{} operations", x.key.as_ref().map(|k| format!("key {k}: ")).unwrap_or_default(), x.window.len())}
                        </option>
                    }) }
                </select>
            </label>
        }
    });
    html! {
        <div class="check-result" data-testid="history-result">
            <p class={classes!("verdict", format!("verdict-{}", verdict.name()))} data-testid="history-verdict" data-verdict={verdict.name()}>
                {checker::verdict_text(verdict)}
            </p>
            <ul class="read-summary" data-testid="history-read">
                <li data-testid="history-ops">{&summary.operations}</li>
                <li data-testid="history-skipped">{&summary.skipped}</li>
                <li data-testid="history-nemesis">{&summary.nemesis}</li>
                <li class="muted">{format!("Read {} as {}; checked in {:.0} ms.", checked.source, summary.how, checked.took_ms)}</li>
            </ul>
            { for partitions_note.map(|t| html! { <p class="muted" data-testid="history-not-checked">{t}</p> }) }
            { for undecided.map(|t| html! { <p class="muted" data-testid="history-undecided">{t}</p> }) }
            { for pick }
            if let Some(x) = focus {
                <p data-testid="history-explain">
                    { violation_text(report, x) }
                </p>
            }
            if !report.ops.is_empty() {
                <HistoryTimeline checked={Rc::clone(checked)} view={v.clone()} on_view={on_view.clone()} />
            }
            if let Some(x) = focus {
                <h3>{"The window's operations"}</h3>
                <ol class="window-ops" data-testid="history-window">
                    { for window_ops(x).map(|i| {
                        let on_view = on_view.clone();
                        let onclick = Callback::from(move |_: MouseEvent| on_view.emit(ViewAction::Select(i)));
                        let op = report.op(i);
                        let failing = i == x.failing_op;
                        html! {
                            <li key={i} data-op={i.to_string()} class={classes!(failing.then_some("failing"), (v.selected == Some(i)).then_some("selected"))}>
                                <button type="button" class="link-button" title="Show it on the timeline" {onclick}>
                                    {format!("process {} · {} · {} · {}", op.process, checker::op_text(report, i), checker::op_lines(report, i),
                                        checker::outcome_text(op.outcome, op.completed.is_some()))}
                                </button>
                                if failing { <strong class="failing-note">{" cannot be linearized"}</strong> }
                            </li>
                        }
                    }) }
                </ol>
            }
        </div>
    }
}

/// The window's operations, the failing one included, in invocation order.
fn window_ops(v: &replicalab_core::checkers::linearizability::file::ViolationRecord) -> impl Iterator<Item = usize> {
    let mut all = v.window.clone();
    if !all.contains(&v.failing_op) {
        all.push(v.failing_op);
        replicalab_core::sort::sort(&mut all);
    }
    all.into_iter()
}

fn violation_text(
    report: &FileReport,
    v: &replicalab_core::checkers::linearizability::file::ViolationRecord,
) -> String {
    let n = window_ops(v).count();
    let these = match &v.key {
        Some(k) => format!("Key {k}: these"),
        None => "These".to_string(),
    };
    let from = if v.window_from_start { "from the initial state" } else { "from any starting state" };
    let minimal = if v.window_minimal {
        "leave any one out and the rest can be ordered"
    } else {
        "the shrinking ran out of budget, so it may not be minimal"
    };
    let op = report.op(v.failing_op);
    let first = if v.shortest_prefix {
        format!(
            " Process {}'s {} ({}) is the first operation that cannot be linearized.",
            op.process,
            checker::op_text(report, v.failing_op),
            checker::op_lines(report, v.failing_op)
        )
    } else {
        String::new()
    };
    format!("{these} {n} operations cannot be put in any order that respects real time {from} ({minimal}).{first}")
}

/// The timeline's reducer state: the view and the report it applies to.
struct ViewState(TimelineView, Rc<Checked>);

impl Reducible for ViewState {
    type Action = ViewAction;
    fn reduce(self: Rc<Self>, action: ViewAction) -> Rc<Self> {
        let next = self.0.apply(&self.1.report, action);
        if next == self.0 {
            self
        } else {
            Rc::new(ViewState(next, Rc::clone(&self.1)))
        }
    }
}

#[derive(Properties, PartialEq)]
struct TimelineProps {
    checked: Rc<Checked>,
    view: TimelineView,
    on_view: Callback<ViewAction>,
}

/// Width of the drawing in its own units (it stretches to the card's width).
const W: f64 = 1000.0;
/// Lane height in pixels (the labels beside the drawing have the same height).
const LANE: f64 = 20.0;
const BAR: f64 = 12.0;

#[function_component]
fn HistoryTimeline(props: &TimelineProps) -> Html {
    let report = &props.checked.report;
    let v = &props.view;
    let focus = v.focus(report);
    let r = v.range;
    let layout: Layout = checker::layout(report, r, focus);
    let total = report.event_list.len();
    let len = r.len().max(1) as f64;
    // Event k occupies [k, k + 1): an operation's bar runs from its invocation's middle to its
    // completion's middle.
    let x = |e: f64| ((e - r.start as f64) / len * W).clamp(-4.0, W + 4.0);
    let height = layout.lanes.len().max(1) as f64 * LANE;
    let top = |lane: usize| lane as f64 * LANE + (LANE - BAR) / 2.0;
    let stripes = (0..layout.lanes.len()).filter(|k| k % 2 == 1).map(|k| {
        html! { <rect class="lane-stripe" x="0" y={(k as f64 * LANE).to_string()} width={W.to_string()} height={LANE.to_string()} /> }
    });
    let span = focus.map(|f| {
        let s = checker::window_span(report, f);
        let (a, b) = (x(s.start as f64), x(s.end as f64));
        html! { <rect class="window-span" data-testid="history-window-span" x={a.to_string()} y="0" width={(b - a).max(2.0).to_string()} height={height.to_string()} /> }
    });
    let marks = layout.marks.iter().map(|m| {
        let mx = x(m.at as f64 + 0.5);
        html! {
            <line class="nemesis-mark" x1={mx.to_string()} x2={mx.to_string()} y1="0" y2={height.to_string()}>
                <title>{format!("line {}: {}", m.line, m.text)}</title>
            </line>
        }
    });
    let bars = layout.bars.iter().map(|b| {
        let i = b.op;
        let op = report.op(i);
        let y = top(b.lane);
        let x0 = x(b.invoke as f64 + 0.5);
        let solid_end = match (b.outcome, b.complete) {
            (_, Some(c)) => x(c as f64 + 0.5),
            // Never completed: a stub at the invocation, then the dashed tail.
            (_, None) => x0 + 3.0,
        };
        let tail = (b.outcome == Outcome::Unknown).then(|| {
            let end = x(total as f64);
            let mid = y + BAR / 2.0;
            html! { <line class="hop-tail" x1={solid_end.to_string()} x2={end.to_string()} y1={mid.to_string()} y2={mid.to_string()} /> }
        });
        let failing_mark = (b.role == Role::Failing).then(|| {
            html! { <line class="failing-mark" x1={solid_end.to_string()} x2={solid_end.to_string()} y1={(y - 3.0).to_string()} y2={(y + BAR + 3.0).to_string()} /> }
        });
        let on_view = props.on_view.clone();
        let onclick = Callback::from(move |_: MouseEvent| on_view.emit(ViewAction::Select(i)));
        let title = format!(
            "process {} · {} · {} · {}{}",
            op.process,
            checker::op_text(report, i),
            checker::op_lines(report, i),
            checker::outcome_text(op.outcome, op.completed.is_some()),
            match b.role {
                Role::Failing => " · cannot be linearized",
                Role::Window => " · in the window",
                _ => "",
            }
        );
        html! {
            <g key={i} class={classes!("hop", format!("hop-{}", b.outcome.name()), format!("role-{}", b.role.name()), (v.selected == Some(i)).then_some("selected"))}
                data-op={i.to_string()} data-role={b.role.name()} data-outcome={b.outcome.name()} {onclick}>
                <title>{title}</title>
                <rect x={x0.to_string()} y={y.to_string()} width={(solid_end - x0).max(1.5).to_string()} height={BAR.to_string()} />
                { for tail }
                { for failing_mark }
            </g>
        }
    });
    let button = |action: ViewAction, label: &'static str, testid: &'static str, title: &'static str| {
        let on_view = props.on_view.clone();
        let onclick = Callback::from(move |_: MouseEvent| on_view.emit(action));
        html! { <button type="button" data-testid={testid} {title} disabled={!v.can(report, action)} {onclick}>{label}</button> }
    };
    let line_of = |k: usize| report.event_list.get(k).map_or(0, |e| e.line);
    let caption = format!(
        "Events {}–{} of {} (lines {}–{})",
        r.start + 1,
        r.end,
        total,
        line_of(r.start),
        line_of(r.end.saturating_sub(1))
    );
    let in_window = layout.bars.iter().filter(|b| b.role >= Role::Window).count();
    let detail = v.selected.map(|i| {
        let op = report.op(i);
        let role = match focus {
            Some(f) if f.failing_op == i => " · the operation that cannot be linearized",
            Some(f) if f.window.contains(&i) => " · in the window",
            Some(_) => " · not in the window",
            None => "",
        };
        html! {
            <p class="op-detail" data-testid="history-op-detail">
                <strong>{format!("process {} · {}", op.process, checker::op_text(report, i))}</strong>
                {format!(" · invoked at line {} with {}", op.invoke.line, op.invoked.value)}
                {match (op.complete, op.completed) {
                    (Some(c), Some(e)) => format!(" · {} at line {} with {}", e.kind.name(), c.line, e.value),
                    _ => " · never completed".to_string(),
                }}
                {role}
            </p>
        }
    });
    html! {
        <section class="history-timeline" aria-label="Operation timeline">
            <h3>{"Operations by process"}
                <span class="legend-inline">
                    <span class="ok">{"■ ok"}</span><span class="failed">{"■ failed"}</span>
                    <span class="unknown">{"■╌ unknown (may take effect later)"}</span>
                    if focus.is_some() {
                        <span class="legend-window">{"▢ in the window"}</span><span class="legend-failing">{"▣ cannot be linearized"}</span>
                    }
                    if !layout.marks.is_empty() {
                        <span class="legend-nemesis">{"┆ nemesis"}</span>
                    }
                </span>
            </h3>
            <div class="button-row timeline-nav" role="group" aria-label="Move the timeline">
                { button(ViewAction::Earlier, "← Earlier", "history-earlier", "Show earlier events") }
                { button(ViewAction::Later, "Later →", "history-later", "Show later events") }
                { button(ViewAction::ZoomIn, "Zoom in", "history-zoom-in", "Show fewer events") }
                { button(ViewAction::ZoomOut, "Zoom out", "history-zoom-out", "Show more events") }
                if focus.is_some() {
                    { button(ViewAction::ShowWindow, "Show the window", "history-show-window", "Back to the operations that cannot be ordered") }
                }
                <output data-testid="history-range" data-start={r.start.to_string()} data-end={r.end.to_string()}>{caption.clone()}</output>
            </div>
            <div class="history-chart" style={format!("--lanes: {}", layout.lanes.len().max(1))}>
                <ol class="lane-labels" aria-hidden="true">
                    { for layout.lanes.iter().map(|p| html! { <li>{format!("process {p}")}</li> }) }
                </ol>
                <svg class="history-svg" viewBox={format!("0 0 {W} {height}")} preserveAspectRatio="none"
                    style={format!("height: {height}px")} data-testid="history-timeline" role="img"
                    aria-label={format!("{caption}: {} operations of {} processes drawn{}", layout.bars.len(), layout.lanes.len(),
                        if focus.is_some() { format!(", {in_window} of them in the window that cannot be ordered") } else { String::new() })}>
                    { for stripes }
                    { for span }
                    { for marks }
                    { for bars }
                </svg>
            </div>
            if layout.lanes_left_out > 0 || layout.open_before > 0 {
                <p class="hint" data-testid="history-left-out">
                    { [
                        (layout.lanes_left_out > 0).then(|| format!("{} more processes have operations here (zoom in to see them).", layout.lanes_left_out)),
                        (layout.open_before > 0).then(|| format!("{} operations of unknown outcome invoked earlier are still open.", layout.open_before)),
                    ].into_iter().flatten().collect::<Vec<_>>().join(" ") }
                </p>
            }
            { for detail }
        </section>
    }
}
