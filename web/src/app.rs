//! The root component: owns the reducer, wires the hooks to it, lays out the page.
//!
//! Query parameters: `?preset=NAME` opens that preset; `?bench` adds the benchmark panel;
//! `?selftest=panic` panics on purpose (the end-to-end test checks the panic page with it).

use replicalab_core::protocol::NodeId;
use yew::prelude::*;

use crate::components::bench::BenchPanel;
use crate::components::controls::Controls;
use crate::components::graph::Graph;
use crate::components::status::Status;
use crate::hooks::{use_animation_frames, use_media_query, use_page_hidden, use_shortcuts, FrameStatsHandle};
use crate::state::{Action, SimState};

/// What the page's URL asks for.
#[derive(Clone, Debug, Default, PartialEq)]
struct Params {
    preset: Option<String>,
    bench: bool,
    panic: bool,
}

fn params() -> Params {
    let search = gloo::utils::window().location().search().unwrap_or_default();
    let Ok(query) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return Params::default();
    };
    Params {
        preset: query.get("preset"),
        bench: query.has("bench"),
        panic: query.get("selftest").as_deref() == Some("panic"),
    }
}

#[function_component]
pub fn App() -> Html {
    let params = use_memo((), |_| params());
    let sim = use_reducer(|| SimState::new(params.preset.as_deref()));
    let reduced_motion = use_media_query("(prefers-reduced-motion: reduce)");
    let frames = use_mut_ref(Default::default);
    let frames = FrameStatsHandle(frames);

    let dispatch = sim.dispatcher();
    let on_action = Callback::from(move |a: Action| dispatch.dispatch(a));
    let on_frame = on_action.reform(|wall_ms| Action::Tick { wall_ms });
    use_animation_frames(sim.playback.running(), on_frame, frames.clone());
    use_page_hidden(on_action.reform(Action::SetHidden));
    use_shortcuts(on_action.clone());
    if params.panic {
        panic!("deliberate panic requested by ?selftest=panic");
    }

    let on_toggle_node = on_action.reform(|node: NodeId| Action::ToggleNode(node));
    let frame_summary = if sim.playback.running() { frames.0.borrow().interval.summary() } else { None };
    let snapshot = sim.snapshot.clone();
    html! {
        <div class="app">
            <header class="top">
                <h1>{"replicalab"}</h1>
                <p class="tagline">{"Watch a replicated database at work: crash nodes, slow links, and see what clients observe."}</p>
            </header>
            if params.bench {
                <BenchPanel on_action={on_action.clone()} frames={frames.clone()} />
            }
            if let Some(notice) = &snapshot.notice {
                <p class="notice" role="status">{notice}</p>
            }
            <main class="layout">
                <section class="stage" aria-label="Simulation">
                    <Controls playback={sim.playback} description={AttrValue::from(snapshot.description.clone())} on_action={on_action.clone()} />
                    <Graph snapshot={snapshot.clone()} {reduced_motion} {on_toggle_node} />
                    <p class="legend">
                        <span><span class="swatch leader"></span>{"leader"}</span>
                        <span><span class="swatch follower"></span>{"follower"}</span>
                        <span><span class="swatch crashed"></span>{"crashed"}</span>
                        <span><span class="swatch cut"></span>{"cut link"}</span>
                    </p>
                </section>
                <aside class="panel">
                    <Status snapshot={snapshot} frames={frame_summary} />
                </aside>
            </main>
            <footer class="help">
                <p>
                    <kbd>{"Space"}</kbd>{" play / pause · "}<kbd>{"."}</kbd>{" step one event · "}
                    <kbd>{"R"}</kbd>{" reset · click a node (or focus it and press "}<kbd>{"Enter"}</kbd>{") to crash or restart it"}
                </p>
            </footer>
        </div>
    }
}
