//! The measured comparison: the seed article's table of the four approaches, filled with
//! numbers measured by `replicalab_core::compare` on one workload and fault schedule.
//!
//! The runs are one simulation per (approach, seed): the panel runs one per browser task,
//! after a frame has painted the progress, so the page stays responsive and shows how far it
//! is; then it shows the table and how long it took.

use std::cell::RefCell;
use std::rc::Rc;

use replicalab_core::compare::{self, CompareOptions, Comparer, Comparison, ComparisonRow};
use replicalab_core::Scenario;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    /// The current session as a scenario, read when a comparison starts.
    pub current: Callback<(), Option<Scenario>>,
}

#[derive(Clone, PartialEq)]
enum Run {
    Idle,
    Running { source: &'static str, done: usize, total: usize, next: String },
    Done { source: &'static str, took_ms: f64, comparison: Box<Comparison> },
    Failed(String),
}

/// Runs the comparison's next simulation after the next frame, then schedules the one after,
/// reporting progress through `run`; the last step builds the table.
fn step_later(comparer: Rc<RefCell<Option<Comparer>>>, run: UseStateHandle<Run>, source: &'static str, t0: f64) {
    let frame = gloo::render::request_animation_frame(move |_| {
        gloo::timers::callback::Timeout::new(0, move || {
            let mut slot = comparer.borrow_mut();
            let Some(c) = slot.as_mut() else { return };
            if c.step() {
                let (done, total) = c.progress();
                let next = c.next_run().map(|(who, seed)| format!("{}, seed {seed}", who.title())).unwrap_or_default();
                run.set(Run::Running { source, done, total, next });
                drop(slot);
                step_later(comparer, run, source, t0);
            } else if let Some(c) = slot.take() {
                let comparison = c.finish();
                run.set(Run::Done { source, took_ms: now_ms() - t0, comparison: Box::new(comparison) });
            }
        })
        .forget();
    });
    // Dropping the handle would cancel the frame; it runs once and is freed with the page.
    std::mem::forget(frame);
}

fn now_ms() -> f64 {
    gloo::utils::window().performance().map(|p| p.now()).unwrap_or(0.0)
}

fn consistency(r: &ComparisonRow) -> String {
    let a = &r.anomalies;
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = vec![
        count(r.lost_writes, "lost write", "lost writes"),
        count(a.stale_reads, "stale read", "stale reads"),
        count(a.session_violations, "session violation", "session violations"),
    ];
    if a.split_brain > 0 {
        parts.push(format!("{} split brain", a.split_brain));
    }
    if a.divergence > 0 {
        parts.push(format!("{} diverged", a.divergence));
    }
    if a.not_linearizable > 0 {
        parts.push(count(a.not_linearizable, "key not linearizable", "keys not linearizable"));
    }
    parts.join(", ")
}

/// Whether the run contradicts a claim of strong consistency.
fn contradicts_strong(r: &ComparisonRow) -> bool {
    let a = &r.anomalies;
    r.article.consistency == "Strong"
        && (r.lost_writes > 0 || a.stale_reads > 0 || a.split_brain > 0 || a.not_linearizable > 0)
}

#[function_component]
pub fn ComparePanel(props: &CompareProps) -> Html {
    let run = use_state(|| Run::Idle);
    let start = |source: &'static str| {
        let run = run.clone();
        let current = props.current.clone();
        Callback::from(move |_: MouseEvent| {
            if matches!(*run, Run::Running { .. }) {
                return;
            }
            let base = if source == "current" {
                match current.emit(()) {
                    Some(s) => s,
                    None => return,
                }
            } else {
                compare::default_scenario()
            };
            match Comparer::new(&base, &CompareOptions::default()) {
                Ok(c) => {
                    let (done, total) = c.progress();
                    let next =
                        c.next_run().map(|(who, seed)| format!("{}, seed {seed}", who.title())).unwrap_or_default();
                    run.set(Run::Running { source, done, total, next });
                    step_later(Rc::new(RefCell::new(Some(c))), run.clone(), source, now_ms());
                }
                Err(e) => run.set(Run::Failed(format!("The comparison could not run: {e}"))),
            }
        })
    };
    let running = matches!(*run, Run::Running { .. });
    html! {
        <details class="compare card" id="compare" data-testid="compare">
            <summary>{"Compare the four approaches"}</summary>
            <p class="muted">{"The same workload and fault schedule against single-leader sync, single-leader async, multi-leader and leaderless, side by side: the seed article's table, with measured numbers next to its words."}</p>
            <div class="button-row">
                <button type="button" class="primary" data-testid="compare-default" disabled={running} onclick={start("default")}
                    title="Five nodes, a steady workload, the leader crashing, then a partition">{"Run on the default scenario"}</button>
                <button type="button" data-testid="compare-current" disabled={running} onclick={start("current")}
                    title="Your scenario and actions; only the replication protocol changes">{"Run on the current scenario"}</button>
            </div>
            { match &*run {
                Run::Idle => html! {},
                Run::Running { source, done, total, next } => html! {
                    <div data-testid="compare-running">
                        <p role="status">{format!("Running the {source} scenario against four approaches: {done} of {total} runs done; now {next}…")}</p>
                        <progress max={total.to_string()} value={done.to_string()} aria-label="Comparison progress" />
                    </div>
                },
                Run::Failed(e) => html! { <p role="alert" class="error" data-testid="compare-error">{e}</p> },
                Run::Done { source, took_ms, comparison } => html! {
                    <>
                    <p role="status" data-testid="compare-status" data-took-ms={format!("{took_ms:.0}")}>
                        {format!("{} ({source} scenario), {} simulated ms per approach, seed{} {}; computed in {:.0} ms in your browser.",
                            comparison.scenario, comparison.until_ms,
                            if comparison.seeds.len() > 1 { "s" } else { "" },
                            comparison.seeds.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
                            took_ms)}
                    </p>
                    <div class="table-scroll">
                    <table class="compare-table" data-testid="compare-table">
                        <thead><tr>
                            <th scope="col">{"Strategy"}</th><th scope="col">{"Consistency"}</th>
                            <th scope="col">{"Availability"}</th><th scope="col">{"Write latency"}</th>
                            <th scope="col">{"Complexity"}</th>
                        </tr></thead>
                        <tbody>
                        { for comparison.rows.iter().map(|r| html! {
                            <tr data-contender={r.contender.key()}>
                                <th scope="row" title={r.settings.clone()}>{&r.title}</th>
                                <td><span class="word">{format!("claimed: {}", r.article.consistency)}</span>
                                    <span class="measured" data-testid="measured-consistency">{format!("measured: {}", consistency(r))}</span>
                                    if contradicts_strong(r) {
                                        <span class="measured contradicted" data-testid="contradicted">{"not strong in this run"}</span>
                                    }</td>
                                <td><span class="word">{&r.article.availability}</span>
                                    <span class="measured" data-testid="measured-availability" data-ok-share={format!("{:.4}", r.ok_share)}>
                                        {format!("{:.1}% ok ({} failed, {} unknown)", r.ok_share * 100.0, r.ops_failed, r.ops_unknown)}</span></td>
                                <td><span class="word">{&r.article.write_latency}</span>
                                    <span class="measured" data-testid="measured-latency" data-p50={format!("{:.3}", r.write_latency_ms.p50)}>
                                        {format!("p50 {:.1} ms · p99 {:.1} ms", r.write_latency_ms.p50, r.write_latency_ms.p99)}</span></td>
                                <td><span class="word">{&r.article.complexity}</span></td>
                            </tr>
                        }) }
                        </tbody>
                    </table>
                    </div>
                    { for comparison.rows.iter().filter(|r| !r.dropped_commands.is_empty()).map(|r| html! {
                        <p class="muted">{format!("{}: did not run {}.", r.title, r.dropped_commands.join(", "))}</p>
                    }) }
                    <p class="muted">{"Complexity is the article's word only: it is not something a simulation measures. "}{&comparison.aggregation}</p>
                    </>
                },
            } }
        </details>
    }
}
