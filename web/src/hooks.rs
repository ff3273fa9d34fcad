//! Hooks: everything in the app that has a lifetime — the animation loop, the page-visibility
//! and keyboard listeners, media queries. Each registers in an effect and unregisters in the
//! effect's cleanup.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::render::{request_animation_frame, AnimationFrame};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, KeyboardEvent, MediaQueryList};
use yew::prelude::*;

use crate::narration::{Announcer, Line};
use crate::state::{Action, Playground, SimState};
use crate::stats::Samples;

/// Timings of recent animation frames, in milliseconds.
#[derive(Default)]
pub struct FrameStats {
    /// Time between consecutive frames.
    pub interval: Samples,
    /// Time spent per frame advancing the simulation and re-rendering.
    pub work: Samples,
}

impl FrameStats {
    pub fn clear(&mut self) {
        self.interval.clear();
        self.work.clear();
    }
}

/// Shared frame statistics; equal only to itself, so passing it as a prop never re-renders.
#[derive(Clone, Default)]
pub struct FrameStatsHandle(pub Rc<RefCell<FrameStats>>);

impl PartialEq for FrameStatsHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

fn now_ms() -> f64 {
    gloo::utils::window().performance().map(|p| p.now()).unwrap_or(0.0)
}

/// While `active`, calls `on_frame` once per animation frame with the wall-clock milliseconds
/// since the previous frame (0 for the first), and records frame timings.
#[hook]
pub fn use_animation_frames(active: bool, on_frame: Callback<f64>, stats: FrameStatsHandle) {
    use_effect_with(active, move |&active| {
        let pending: Rc<RefCell<Option<AnimationFrame>>> = Rc::default();
        if active {
            schedule_frame(Rc::clone(&pending), None, on_frame, stats);
        }
        // Dropping the pending frame cancels it.
        move || drop(pending.borrow_mut().take())
    });
}

fn schedule_frame(
    pending: Rc<RefCell<Option<AnimationFrame>>>,
    last: Option<f64>,
    on_frame: Callback<f64>,
    stats: FrameStatsHandle,
) {
    let slot = Rc::clone(&pending);
    let frame = request_animation_frame(move |timestamp| {
        let started = now_ms();
        let dt = last.map_or(0.0, |l| (timestamp - l).max(0.0));
        if last.is_some() {
            stats.0.borrow_mut().interval.push(dt);
        }
        on_frame.emit(dt);
        // Yew renders in a microtask queued by the dispatch above; this one runs after it.
        let work = stats.clone();
        wasm_bindgen_futures::spawn_local(async move {
            work.0.borrow_mut().work.push(now_ms() - started);
        });
        schedule_frame(slot, Some(timestamp), on_frame, stats);
    });
    *pending.borrow_mut() = Some(frame);
}

/// Reports whether the page is hidden, now and whenever that changes.
#[hook]
pub fn use_page_hidden(on_change: Callback<bool>) {
    use_effect_with((), move |_| {
        let document = gloo::utils::document();
        on_change.emit(document.hidden());
        let doc = document.clone();
        let listener = EventListener::new(&document, "visibilitychange", move |_| on_change.emit(doc.hidden()));
        move || drop(listener)
    });
}

/// Keyboard shortcuts for the whole page: Space plays or pauses, `.` steps, `r` resets, arrows
/// and Home / End move the playhead, `+` / `-` change speed, digits select a node, `h` heals,
/// `p` partitions the marked nodes off, `w` toggles the workload, Escape clears the selection.
/// They stay out of the way of form controls and of elements that handled the key themselves.
#[hook]
pub fn use_shortcuts(on_action: Callback<Action>, speed_step: i32) {
    use_effect_with(speed_step, move |&speed_step| {
        let document = gloo::utils::document();
        let options = EventListenerOptions::enable_prevent_default();
        let listener = EventListener::new_with_options(&document, "keydown", options, move |event| {
            let Some(e) = event.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            if e.default_prevented() || e.ctrl_key() || e.meta_key() || e.alt_key() {
                return;
            }
            let tag = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlElement>().ok())
                .map(|el| {
                    let tag = el.tag_name().to_ascii_uppercase();
                    match el.dyn_ref::<HtmlInputElement>() {
                        Some(input) if input.type_() == "range" => "RANGE".to_string(),
                        _ => tag,
                    }
                })
                .unwrap_or_default();
            if matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA") {
                return;
            }
            let key = e.key();
            // A focused slider moves itself with these keys.
            if tag == "RANGE"
                && matches!(
                    key.as_str(),
                    "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" | "Home" | "End" | "PageUp" | "PageDown"
                )
            {
                return;
            }
            let step = if e.shift_key() { 100_000 } else { 10_000 };
            let action = match key.as_str() {
                // A focused button already answers Space with its own click.
                " " if tag == "BUTTON" => return,
                " " if !e.repeat() => Action::TogglePlay,
                "." => Action::Step,
                "r" | "R" if !e.repeat() => Action::Reset,
                "ArrowLeft" | "," => Action::SeekBy(-step),
                "ArrowRight" => Action::SeekBy(step),
                "Home" => Action::Seek(0),
                "End" => Action::Seek(u64::MAX),
                "+" | "=" => Action::SetSpeed(speed_step + 1),
                "-" | "_" => Action::SetSpeed(speed_step - 1),
                "h" | "H" if !e.repeat() => Action::Do(replicalab_core::Command::Heal {}),
                "p" | "P" if !e.repeat() => Action::PartitionMarked,
                "w" | "W" if !e.repeat() => Action::ToggleWorkload,
                "Escape" => Action::Select(crate::state::Selection::None),
                // A digit selects the node of that name: 2 selects n2.
                d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() => {
                    let node = (d.as_bytes()[0] - b'0') as usize;
                    // The node is an SVG element: `focus` exists on it as on HTML elements.
                    if let Some(el) =
                        gloo::utils::document().query_selector(&format!("[data-node=\"{node}\"]")).ok().flatten()
                    {
                        let _ = el.unchecked_into::<HtmlElement>().focus();
                    }
                    Action::Select(crate::state::Selection::Node(node))
                }
                _ => return,
            };
            e.prevent_default();
            on_action.emit(action);
        });
        move || drop(listener)
    });
}

/// Whether a CSS media query matches, kept up to date.
#[hook]
pub fn use_media_query(query: &'static str) -> bool {
    let matches = use_state(|| media_query(query).is_some_and(|m| m.matches()));
    {
        let matches = matches.clone();
        use_effect_with(query, move |query| {
            let listener = media_query(query).map(|list| {
                let l = list.clone();
                EventListener::new(&list, "change", move |_| matches.set(l.matches()))
            });
            move || drop(listener)
        });
    }
    *matches
}

fn media_query(query: &str) -> Option<MediaQueryList> {
    gloo::utils::window().match_media(query).ok().flatten()
}

/// The screen-reader voice: what the page's polite live region says now. The narration's new
/// lines are queued and said at most one every two seconds, the most important first (polled
/// by a timer, so a waiting line is said even while paused).
#[hook]
pub fn use_live_narration(narration: &[Line]) -> AttrValue {
    let announcer = use_mut_ref(Announcer::default);
    announcer.borrow_mut().offer(narration.iter());
    let live = use_state(|| AttrValue::Static(""));
    {
        let announcer = announcer.clone();
        let live = live.setter();
        use_effect_with((), move |_| {
            let tick = gloo::timers::callback::Interval::new(250, move || {
                if let Some(text) = announcer.borrow_mut().poll(now_ms()) {
                    live.set(AttrValue::from(text.to_string()));
                }
            });
            move || drop(tick)
        });
    }
    (*live).clone()
}

/// A running playground: the reducer (started from `init`), one action callback for the page's
/// lifetime, and the frame loop, page visibility and keyboard shortcuts wired to it. A callback
/// compares by identity, so a new one each frame would re-render every component that takes it.
#[hook]
pub fn use_running_playground<F>(init: F) -> (UseReducerHandle<SimState>, Callback<Action>, FrameStatsHandle)
where
    F: FnOnce() -> Playground,
{
    let sim = use_reducer(|| SimState::new(init()));
    let frames = FrameStatsHandle(use_mut_ref(Default::default));
    let on_action: Callback<Action> = {
        let dispatch = sim.dispatcher();
        (*use_memo((), move |_| Callback::from(move |a: Action| dispatch.dispatch(a)))).clone()
    };
    use_animation_frames(sim.playback.running(), on_action.reform(|wall_ms| Action::Tick { wall_ms }), frames.clone());
    use_page_hidden(on_action.reform(Action::SetHidden));
    use_shortcuts(on_action.clone(), sim.playback.speed_step);
    (sim, on_action, frames)
}
