//! The benchmark panel (`?bench`): first runs every preset headless for a fixed simulated time
//! and reports simulated events per second, then plays a preset at 1× and reports frame times.
//! The results appear as JSON in `#bench-results` (with `data-done="true"` when complete).

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::callback::{Interval, Timeout};
use replicalab_core::presets::PRESETS;
use yew::prelude::*;

use crate::bench::{results_json, throughput, Throughput, BENCH_FRAMES, BENCH_SIM_MS};
use crate::hooks::FrameStatsHandle;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct BenchProps {
    pub on_action: Callback<Action>,
    pub frames: FrameStatsHandle,
}

#[derive(Clone, PartialEq)]
enum Phase {
    Starting,
    Frames(Rc<Vec<Throughput>>),
    Done(Rc<Vec<Throughput>>, AttrValue),
    Failed(AttrValue),
}

#[function_component]
pub fn BenchPanel(props: &BenchProps) -> Html {
    let phase = use_state(|| Phase::Starting);
    {
        let phase = phase.clone();
        let on_action = props.on_action.clone();
        let frames = props.frames.clone();
        use_effect_with((), move |_| {
            let poll: Rc<RefCell<Option<Interval>>> = Rc::default();
            let poll_in = Rc::clone(&poll);
            // Let the page paint first, so the panel shows before the main thread is busy.
            let start = Timeout::new(100, move || {
                let mut clock = || gloo::utils::window().performance().map(|p| p.now()).unwrap_or(0.0);
                // Warm up: the first run pays for the browser's optimising compilation.
                let _ = throughput(&PRESETS[0], BENCH_SIM_MS, &mut clock);
                let runs: Result<Vec<Throughput>, String> =
                    PRESETS.iter().map(|p| throughput(p, BENCH_SIM_MS, &mut clock)).collect();
                let runs = match runs {
                    Ok(r) => Rc::new(r),
                    Err(e) => {
                        phase.set(Phase::Failed(e.into()));
                        return;
                    }
                };
                phase.set(Phase::Frames(Rc::clone(&runs)));
                let frames_preset = PRESETS[0].name;
                on_action.emit(Action::SelectPreset(0));
                on_action.emit(Action::SetSpeed(0));
                frames.0.borrow_mut().clear();
                on_action.emit(Action::Play);
                let poll_slot = Rc::clone(&poll_in);
                let interval = Interval::new(250, move || {
                    let stats = frames.0.borrow();
                    if stats.interval.total() < BENCH_FRAMES {
                        return;
                    }
                    let json = results_json(&runs, stats.interval.summary(), stats.work.summary(), frames_preset);
                    drop(stats);
                    on_action.emit(Action::Pause);
                    phase.set(Phase::Done(Rc::clone(&runs), json.into()));
                    // Stop polling (dropping the interval from inside its own callback is fine).
                    poll_slot.borrow_mut().take();
                });
                *poll_in.borrow_mut() = Some(interval);
            });
            move || {
                drop(start);
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
        Phase::Frames(runs) => html! {
            <>
                { table(runs) }
                <p role="status">{format!("Measuring {BENCH_FRAMES} frames of {} at 1×…", PRESETS[0].name)}</p>
            </>
        },
        Phase::Done(runs, json) => html! {
            <>
                { table(runs) }
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
