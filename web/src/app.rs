//! The root component: owns the reducer, wires the hooks to it, lays out the page.
//!
//! Query parameters: `?preset=NAME` opens that preset; `?restore` reloads the last session
//! saved in this browser (the panic page links to it); `?bench` adds the benchmark panel;
//! `?selftest=panic` panics on purpose (the end-to-end test checks the panic page with it).

use replicalab_core::Scenario;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::actions::Actions;
use crate::components::bench::BenchPanel;
use crate::components::charts::Charts;
use crate::components::controls::{Controls, ScenarioPicker};
use crate::components::forms::{ClientPanel, SettingsForm};
use crate::components::graph::Graph;
use crate::components::inspector::{Anomalies, Conflicts, Inspector};
use crate::components::share::{Extras, LessonAt, ShareMenu};
use crate::components::status::Status;
use crate::components::timelines::{EventLog, OpTimeline, SpaceTime};
use crate::components::view_menu::ViewMenu;
use crate::components::welcome::Welcome;
use crate::hooks::{use_media_query, use_running_playground};
use crate::state::{Action, Playground, Shared};

/// While playing, the panels below the graph (timelines, charts, log, inspector, anomalies)
/// redraw at most this often; the graph and the status redraw every frame.
const SLOW_PANELS_MS: f64 = 250.0;
/// The slow panels, each with its own snapshot: actions, anomalies, inspector, client,
/// timeline, space-time, charts, conflicts, log.
const SLOW_PANELS: usize = 9;
const ANOMALIES: usize = 1;

/// Where the last session that rendered is kept, for the panic page's reload.
const LAST_GOOD: &str = "replicalab:last-good";
/// Set once the visitor has started a lesson, picked a story or hidden the first-visit entry.
const WELCOMED: &str = "replicalab:welcomed";

/// What the page's URL asks for.
#[derive(Clone, Debug, Default, PartialEq)]
struct Params {
    preset: Option<String>,
    restore: bool,
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
        restore: query.has("restore"),
        bench: query.has("bench"),
        panic: query.get("selftest").as_deref() == Some("panic"),
    }
}

fn storage() -> Option<web_sys::Storage> {
    gloo::utils::window().local_storage().ok().flatten()
}

fn initial(params: &Params) -> Playground {
    if params.restore {
        let saved = storage().and_then(|s| s.get_item(LAST_GOOD).ok().flatten());
        match saved.as_deref().map(Scenario::from_json) {
            Some(Ok(scenario)) => return Playground::with_scenario(scenario),
            Some(Err(e)) => {
                let mut pg = Playground::new_named(params.preset.as_deref());
                pg.set_notice(Some(format!("The saved session does not load ({e}); showing a preset instead.")));
                return pg;
            }
            None => {}
        }
    }
    let mut pg = Playground::new_named(params.preset.as_deref());
    if let Some(e) = crate::catalogue::lessons_error() {
        let lessons = format!("The lessons are not available: {e}.");
        let notice = pg.snapshot().notice.clone();
        pg.set_notice(Some(notice.map_or(lessons.clone(), |n| format!("{n} {lessons}"))));
    }
    pg
}

#[function_component]
pub fn App() -> Html {
    let params = use_memo((), |_| params());
    let (sim, on_action, frames) = use_running_playground(|| initial(&params));
    let reduced_motion = use_media_query("(prefers-reduced-motion: reduce)");
    let drawing = use_state(|| false);
    {
        // Save the session whenever it changes, so a crash can offer to reload it.
        let s = &sim.snapshot;
        let key = (s.session_commands, s.forks, s.preset_name.clone(), s.description.clone());
        let sim = sim.clone();
        use_effect_with(key, move |_| {
            if let Some(storage) = storage() {
                let _ = storage.set_item(LAST_GOOD, &sim.session_json());
            }
        });
    }
    if params.panic {
        panic!("deliberate panic requested by ?selftest=panic");
    }

    let frame_summary = if sim.playback.running() { frames.0.borrow().interval.summary() } else { None };
    let snapshot = Shared(sim.snapshot.clone());
    // The slow panels get a snapshot refreshed at most every SLOW_PANELS_MS while playing, at
    // once on any selection change and whenever playback stops. While playing, at most one of
    // them takes a new snapshot per frame (the stalest due), so their re-rendering is spread
    // over frames instead of landing on one frame every SLOW_PANELS_MS.
    let slow_cells = use_mut_ref(|| vec![(f64::NEG_INFINITY, snapshot.clone()); SLOW_PANELS]);
    let slow: Vec<Shared> = {
        let mut cells = slow_cells.borrow_mut();
        let now = gloo::utils::window().performance().map(|p| p.now()).unwrap_or(0.0);
        let forced = |c: &Shared| {
            !sim.playback.running()
                || c.selection != snapshot.selection
                || c.marks != snapshot.marks
                || c.session_commands != snapshot.session_commands
                || c.forks != snapshot.forks
        };
        if cells.iter().any(|(_, c)| forced(c)) {
            cells.iter_mut().for_each(|cell| *cell = (now, snapshot.clone()));
        } else {
            // A new anomaly shows in its list at once.
            if cells[ANOMALIES].1.anomalies_total != snapshot.anomalies_total {
                cells[ANOMALIES] = (now, snapshot.clone());
            }
            let due = (0..SLOW_PANELS)
                .filter(|&i| now - cells[i].0 >= SLOW_PANELS_MS)
                .min_by(|&a, &b| cells[a].0.total_cmp(&cells[b].0));
            if let Some(i) = due {
                cells[i] = (now, snapshot.clone());
            }
        }
        cells.iter().map(|c| c.1.clone()).collect()
    };
    let on_drawing = {
        let setter = drawing.setter();
        use_callback((), move |d: bool, _| setter.set(d))
    };
    // The screen-reader voice: the narration, at most one line every two seconds.
    let live = crate::hooks::use_live_narration(&snapshot.narration);
    let lesson = use_state(|| None::<(usize, usize)>);
    let lesson: UseStateHandle<LessonAt> = lesson;
    // The theme a link or the View menu chose.
    {
        let theme = snapshot.view_options.theme;
        use_effect_with(theme, move |&theme| {
            crate::share::browser::set_theme(crate::share::theme_name(theme));
        });
    }
    let options = snapshot.view_options.clone();
    let show = |name: &str| crate::share::shows(&options, name);
    let caption = crate::components::status::caption(&snapshot.narration, 3, &on_action);
    // The fragment holds the share link: the skip link moves the focus without touching it.
    let skip = Callback::from(|e: MouseEvent| {
        e.prevent_default();
        if let Some(stage) = gloo::utils::document().get_element_by_id("stage") {
            if let Ok(stage) = stage.dyn_into::<web_sys::HtmlElement>() {
                let _ = stage.focus();
                stage.scroll_into_view();
            }
        }
    });
    let open_panel = |id: &'static str| {
        Callback::from(move |_: MouseEvent| {
            if let Some(el) = gloo::utils::document().get_element_by_id(id) {
                let _ = el.set_attribute("open", "");
                el.scroll_into_view();
                if let Some(summary) = el.query_selector("summary").ok().flatten() {
                    if let Ok(summary) = summary.dyn_into::<web_sys::HtmlElement>() {
                        let _ = summary.focus();
                    }
                }
            }
        })
    };
    let first_lesson = use_memo((), |_| {
        crate::catalogue::lessons()
            .lessons
            .first()
            .map(|l| format!("#{}", crate::share::lesson_fragment(&l.id, 0)))
            .unwrap_or_default()
    });
    // The first-visit entry: until a lesson is started, a story picked or the entry hidden.
    let welcomed = use_state(|| storage().and_then(|s| s.get_item(WELCOMED).ok().flatten()).is_some());
    let on_welcomed = {
        let welcomed = welcomed.setter();
        Callback::from(move |_: ()| {
            if let Some(s) = storage() {
                let _ = s.set_item(WELCOMED, "1");
            }
            welcomed.set(true);
        })
    };
    let on_story = {
        let on_action = on_action.clone();
        let on_welcomed = on_welcomed.clone();
        Callback::from(move |index: usize| {
            on_welcomed.emit(());
            crate::catalogue::select(index, &on_action, vec![Action::Play]);
        })
    };
    html! {
        <div class="app">
            <a class="skip-link" href="#stage" onclick={skip}>{"Skip to the simulation"}</a>
            <header class="top">
                <h1>{"replicalab"}</h1>
                <p class="tagline">{"Break a replicated database and watch what its clients see."}</p>
                <nav class="top-menus" aria-label="Menus">
                    <button type="button" data-testid="open-lessons" onclick={open_panel("lessons")}>{"Lessons"}</button>
                    <button type="button" data-testid="open-compare" onclick={open_panel("compare")}>{"Compare"}</button>
                    <ShareMenu sim={(*sim).clone()} on_action={on_action.clone()} lesson={lesson.clone()} />
                    <ViewMenu options={snapshot.view_options.clone()} on_action={on_action.clone()} />
                </nav>
            </header>
            <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="live">{live.clone()}</div>
            if params.bench {
                <BenchPanel on_action={on_action.clone()} frames={frames.clone()} in_flight={snapshot.view.messages.len()} />
            }
            if let Some(notice) = &snapshot.notice {
                <p class="notice" role="status" data-testid="notice">{notice}</p>
            }
            <main class="layout">
                <section class="stage" id="stage" tabindex="-1" aria-label="Simulation">
                    <ScenarioPicker playback={sim.playback} name={AttrValue::from(snapshot.preset_name.clone())} on_action={on_action.clone()} />
                    <div class="hero">
                        if show("graph") {
                            <div class="hero-graph">
                                <Graph snapshot={snapshot.clone()} {reduced_motion} drawing={*drawing} on_action={on_action.clone()} />
                            </div>
                        }
                        <div class="hero-side">
                            if show("controls") {
                                <Controls playback={sim.playback} on_action={on_action.clone()} />
                            }
                            if lesson.is_none() && !*welcomed {
                                <Welcome lesson_href={AttrValue::from((*first_lesson).clone())} on_pick={on_story} on_done={on_welcomed} />
                            }
                        </div>
                    </div>
                    { caption }
                    if show("graph") {
                        <p class="legend">
                            <span><span class="swatch leader"></span>{"leader"}</span>
                            <span><span class="swatch follower"></span>{"follower"}</span>
                            <span><span class="swatch crashed"></span>{"crashed"}</span>
                            <span><span class="swatch cut"></span>{"cut link"}</span>
                            <span><span class="swatch lossy"></span>{"lossy link"}</span>
                        </p>
                    }
                    <p class="description" data-testid="description">{snapshot.description.clone()}</p>
                    if show("settings") {
                        <SettingsForm on_action={on_action.clone()} />
                    }
                    if show("actions") {
                        <Actions snapshot={slow[0].clone()} on_action={on_action.clone()} drawing={*drawing} {on_drawing} />
                    }
                </section>
                <aside class="panel">
                    if show("anomalies") {
                        <Anomalies snapshot={slow[ANOMALIES].clone()} on_action={on_action.clone()} />
                    }
                    if show("status") {
                        <Status snapshot={snapshot.clone()} frames={frame_summary} />
                    }
                    if show("inspector") {
                        <Inspector snapshot={slow[2].clone()} on_action={on_action.clone()} />
                    }
                    if show("client") {
                        <ClientPanel snapshot={slow[3].clone()} on_action={on_action.clone()} />
                    }
                </aside>
            </main>
            <Extras sim={(*sim).clone()} on_action={on_action.clone()} lesson={lesson.clone()} />
            <section class="views" aria-label="Timelines and charts">
                if show("timeline") {
                    <div class="card"><OpTimeline snapshot={slow[4].clone()} on_action={on_action.clone()} /></div>
                }
                if show("spacetime") {
                    <div class="card"><SpaceTime snapshot={slow[5].clone()} on_action={on_action.clone()} /></div>
                }
                if show("charts") {
                    <div class="card"><Charts snapshot={slow[6].clone()} /></div>
                }
                if show("conflicts") {
                    <div class="card"><Conflicts snapshot={slow[7].clone()} on_action={on_action.clone()} /></div>
                }
                if show("log") {
                    <div class="card wide"><EventLog snapshot={slow[8].clone()} on_action={on_action.clone()} /></div>
                }
            </section>
            <footer class="help">
                <p>
                    <kbd>{"Space"}</kbd>{" play / pause · "}<kbd>{"."}</kbd>{" one event · "}
                    <kbd>{"←"}</kbd>{" "}<kbd>{"→"}</kbd>{" back / forward 10 ms ("}<kbd>{"Shift"}</kbd>{" 100 ms) · "}
                    <kbd>{"Home"}</kbd>{" "}<kbd>{"End"}</kbd>{" start / end of the timeline · "}
                    <kbd>{"+"}</kbd>{" "}<kbd>{"-"}</kbd>{" speed · "}<kbd>{"R"}</kbd>{" reset · "}
                    <kbd>{"0"}</kbd>{"–"}<kbd>{"9"}</kbd>{" select that node (2: n2) · on a node: "}<kbd>{"Enter"}</kbd>{" actions, "}
                    <kbd>{"X"}</kbd>{" crash / restart, "}<kbd>{"M"}</kbd>{" mark · "}<kbd>{"P"}</kbd>{" partition the marked nodes off · "}
                    <kbd>{"H"}</kbd>{" heal · "}<kbd>{"W"}</kbd>{" workload · "}<kbd>{"Esc"}</kbd>{" clear the selection"}
                </p>
                <p>{"Acting while the playhead is in the past forks a new future: what came after is discarded."}</p>
            </footer>
        </div>
    }
}
