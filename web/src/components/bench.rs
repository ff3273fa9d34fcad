//! The benchmark panel (`?bench`): first runs every preset headless for a fixed simulated time
//! and reports simulated events per second, then plays clusters of 5, 9 and 50 nodes at 1× and
//! reports frame times.
//! The results appear as JSON in `#bench-results` (with `data-done="true"` when complete).

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::callback::{Interval, Timeout};
use yew::prelude::*;

use crate::bench::{
    frame_scenario, results_json, throughput, FrameRun, Throughput, BENCH_FRAMES, BENCH_SIM_MS, FRAME_SIZES,
};
use crate::catalogue;
use crate::hooks::FrameStatsHandle;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct BenchProps {
    pub on_action: Callback<Action>,
    pub frames: FrameStatsHandle,
    /// Messages in flight now (the panel records the most seen per size).
    pub in_flight: usize,
}

#[derive(Clone, PartialEq)]
enum Phase {
    Starting,
    Frames(Rc<Vec<Throughput>>, usize),
    Done(Rc<Vec<Throughput>>, Rc<Vec<FrameRun>>, AttrValue),
    Failed(AttrValue),
}

#[function_component]
pub fn BenchPanel(props: &BenchProps) -> Html {
    let phase = use_state(|| Phase::Starting);
    let in_flight = use_mut_ref(|| 0usize);
    {
        let mut max = in_flight.borrow_mut();
        *max = (*max).max(props.in_flight);
    }
    {
        let phase = phase.clone();
        let on_action = props.on_action.clone();
        let frames = props.frames.clone();
        let in_flight = in_flight.clone();
        use_effect_with((), move |_| {
            let poll: Rc<RefCell<Option<Interval>>> = Rc::default();
            let poll_in = Rc::clone(&poll);
            // Every preset's file first (the page has only the first one), then let the page
            // paint, so the panel shows before the main thread is busy.
            let alive = Rc::new(std::cell::Cell::new(true));
            let failed = phase.clone();
            let mounted = Rc::clone(&alive);
            let run = move || {
                if !mounted.get() {
                    return;
                }
                let mut clock = || gloo::utils::window().performance().map(|p| p.now()).unwrap_or(0.0);
                // Warm up: the first run pays for the browser's optimising compilation.
                let _ = throughput(0, BENCH_SIM_MS, &mut clock);
                let runs: Result<Vec<Throughput>, String> =
                    (0..catalogue::names().len()).map(|i| throughput(i, BENCH_SIM_MS, &mut clock)).collect();
                let runs = match runs {
                    Ok(r) => Rc::new(r),
                    Err(e) => {
                        phase.set(Phase::Failed(e.into()));
                        return;
                    }
                };
                let load = {
                    let on_action = on_action.clone();
                    let frames = frames.clone();
                    let in_flight = in_flight.clone();
                    move |size: usize| -> Result<(), String> {
                        let scenario = frame_scenario(FRAME_SIZES[size])?;
                        on_action.emit(Action::LoadScenario(Box::new(scenario)));
                        on_action.emit(Action::SetSpeed(0));
                        frames.0.borrow_mut().clear();
                        *in_flight.borrow_mut() = 0;
                        on_action.emit(Action::Play);
                        Ok(())
                    }
                };
                if let Err(e) = load(0) {
                    phase.set(Phase::Failed(e.into()));
                    return;
                }
                phase.set(Phase::Frames(Rc::clone(&runs), 0));
                let done: Rc<RefCell<Vec<FrameRun>>> = Rc::default();
                let poll_slot = Rc::clone(&poll_in);
                let interval = Interval::new(250, move || {
                    let stats = frames.0.borrow();
                    if stats.interval.total() < BENCH_FRAMES {
                        return;
                    }
                    let size = done.borrow().len();
                    let run = FrameRun {
                        nodes: FRAME_SIZES[size],
                        interval: stats.interval.summary(),
                        work: stats.work.summary(),
                        max_in_flight: *in_flight.borrow(),
                    };
                    drop(stats);
                    done.borrow_mut().push(run);
                    if size + 1 < FRAME_SIZES.len() {
                        if let Err(e) = load(size + 1) {
                            phase.set(Phase::Failed(e.into()));
                            poll_slot.borrow_mut().take();
                        } else {
                            phase.set(Phase::Frames(Rc::clone(&runs), size + 1));
                        }
                        return;
                    }
                    on_action.emit(Action::Pause);
                    let all = Rc::new(done.borrow().clone());
                    let json = results_json(&runs, &all);
                    phase.set(Phase::Done(Rc::clone(&runs), all, json.into()));
                    // Stop polling (dropping the interval from inside its own callback is fine).
                    poll_slot.borrow_mut().take();
                });
                *poll_in.borrow_mut() = Some(interval);
            };
            wasm_bindgen_futures::spawn_local(async move {
                match catalogue::fetch_all().await {
                    // (`run` does nothing once the panel is gone.)
                    Ok(()) => {
                        Timeout::new(100, run).forget();
                    }
                    Err(e) => failed.set(Phase::Failed(e.into())),
                }
            });
            move || {
                alive.set(false);
                poll.borrow_mut().take();
            }
        });
    }

    let table = |runs: &[Throughput]| {
        html! {
            <table class="bench-table">
                <thead><tr><th>{"preset"}</th><th>{"events"}</th><th>{"wall ms"}</th><th>{"events/s"}</th><th>{"× real time"}</th></tr></thead>
                <tbody>
                    { for runs.iter().map(|t| html! {
                        <tr>
                            <td>{t.preset}</td>
                            <td>{t.events}</td>
                            <td>{format!("{:.1}", t.wall_ms)}</td>
                            <td>{format!("{:.0}", t.events_per_s)}</td>
                            <td>{format!("{:.0}", t.speedup)}</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        }
    };
    let body = match &*phase {
        Phase::Starting => {
            html! { <p role="status">{format!("Running every preset for {} s of simulated time…", BENCH_SIM_MS / 1000.0)}</p> }
        }
        Phase::Frames(runs, size) => html! {
            <>
                { table(runs) }
                <p role="status">{format!("Measuring {BENCH_FRAMES} frames at {} nodes, 1×…", FRAME_SIZES[*size])}</p>
            </>
        },
        Phase::Done(runs, frames, json) => html! {
            <>
                { table(runs) }
                <table class="bench-table">
                    <thead><tr><th>{"nodes"}</th><th>{"frame mean ms"}</th><th>{"frame p99 ms"}</th><th>{"work mean ms"}</th><th>{"work p99 ms"}</th><th>{"max in flight"}</th></tr></thead>
                    <tbody>
                        { for frames.iter().map(|f| html! {
                            <tr>
                                <td>{f.nodes}</td>
                                <td>{f.interval.map(|s| format!("{:.1}", s.mean)).unwrap_or_default()}</td>
                                <td>{f.interval.map(|s| format!("{:.1}", s.p99)).unwrap_or_default()}</td>
                                <td>{f.work.map(|s| format!("{:.1}", s.mean)).unwrap_or_default()}</td>
                                <td>{f.work.map(|s| format!("{:.1}", s.p99)).unwrap_or_default()}</td>
                                <td>{f.max_in_flight}</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <details>
                    <summary>{"Results as JSON"}</summary>
                    <pre id="bench-results" data-testid="bench-results" data-done="true">{json.clone()}</pre>
                </details>
            </>
        },
        Phase::Failed(e) => {
            html! { <p role="alert" id="bench-results" data-done="true" data-error="true">{e.clone()}</p> }
        }
    };
    html! {
        <section class="bench" aria-label="Benchmark">
            <h2>{"Benchmark"}</h2>
            { body }
        </section>
    }
}
