//! The embed player (`embed/`): a compact, responsive player for an `<iframe>` in a blog post.
//! It is its own page and its own WebAssembly (`replicalab-embed`, built by
//! `scripts/build-embed.sh` into `dist/embed/`): graph, controls, status, anomalies, timeline and
//! log, with none of the playground's forms, comparison, lessons, history checker or staleness
//! model, so a reader's browser downloads a fraction of the playground. The playground's old
//! `?embed` links are sent here.
//!
//! Parameters (see `docs/embedding.md` and [`crate::share::EmbedParams`]): `preset=NAME` or a
//! share link in the fragment choose the scenario; `panels=graph,controls,status,anomalies,
//! timeline,log` the panels, in order; `autoplay` starts playing; `t=MS` starts at that instant;
//! `speed=X` plays X simulated seconds per second;
//! `theme=light|dark` forces a palette.
//!
//! The host page drives the player with `postMessage` (`{type: "play" | "pause"}`,
//! `{type: "seek", at_ms}`, `{type: "load", link | preset}`); the player posts to its parent
//! `{type: "ready"}`, `{type: "anomaly", kind, time_ms, nodes, explanation}` as anomalies occur,
//! `{type: "time", at_ms, playing}` at most four times a second, and `{type: "error", message}`
//! for a message it could not act on.

use std::rc::Rc;

use gloo::events::EventListener;
use replicalab_core::link;
use replicalab_core::time::{from_ms, to_ms};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::catalogue;
use crate::components::graph::Graph;
use crate::components::inspector::Anomalies;
use crate::components::status::Status;
use crate::components::timelines::{EventLog, OpTimeline};
use crate::format::format_time;
use crate::hooks::{use_live_narration, use_media_query, use_running_playground};
use crate::share::{self, browser, EmbedParams, Inbound, Panel};
use crate::state::{Action, Playground, Shared, SimState};

/// Most often a `time` event is posted while playing, in wall-clock milliseconds.
const TIME_EVENTS_EVERY_MS: f64 = 250.0;
/// Most anomaly events posted at once (a burst after a seek forward is summarised by the last).
const MAX_ANOMALY_EVENTS: usize = 20;

/// Sends a playground URL with `?embed` (links made before the embed player had its own page)
/// to the embed player with the same parameters and link; true if it did.
pub fn redirect_old_link() -> bool {
    let location = gloo::utils::window().location();
    let search = location.search().unwrap_or_default();
    let embed = web_sys::UrlSearchParams::new_with_str(&search).map(|q| q.has("embed")).unwrap_or(false);
    let hash = location.hash().unwrap_or_default();
    embed && location.replace(&format!("{}{search}{hash}", share::EMBED_PATH)).is_ok()
}

/// The page's root: the reducer, the frame loop and the player.
#[function_component]
pub fn EmbedApp() -> Html {
    let preset = use_memo((), |_| {
        let search = gloo::utils::window().location().search().unwrap_or_default();
        web_sys::UrlSearchParams::new_with_str(&search).ok().and_then(|q| q.get("preset"))
    });
    let (sim, on_action, _) = use_running_playground(|| Playground::new_named(preset.as_deref()));
    let reduced_motion = use_media_query("(prefers-reduced-motion: reduce)");
    let live = use_live_narration(&sim.snapshot.narration);
    html! { <EmbedPlayer sim={(*sim).clone()} {on_action} {reduced_motion} {live} /> }
}

fn params() -> (EmbedParams, Vec<String>) {
    let search = gloo::utils::window().location().search().unwrap_or_default();
    let pairs: Vec<(String, String)> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| js_sys::decode_uri_component(s).ok().and_then(|s| s.as_string()).unwrap_or_default();
            (decode(k), decode(v))
        })
        .collect();
    EmbedParams::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

fn now_ms() -> f64 {
    gloo::utils::window().performance().map(|p| p.now()).unwrap_or(0.0)
}

fn post_error(message: &str) {
    browser::post_to_parent(&serde_json::json!({ "type": "error", "message": message }).to_string());
}

/// Acts on one message from the host page.
fn handle(message: Inbound, on_action: &Callback<Action>) {
    match message {
        Inbound::Play => on_action.emit(Action::Play),
        Inbound::Pause => on_action.emit(Action::Pause),
        Inbound::Seek { at_ms } => {
            let (at, _) = share::playhead(at_ms);
            on_action.emit(Action::RunTo(at));
        }
        Inbound::LoadLink(text) => match link::decode(&text) {
            Ok(s) => catalogue::open_share(&s, on_action, Vec::new()),
            Err(e) => {
                let notice = share::link_notice(&e);
                post_error(&notice);
                on_action.emit(Action::Notice(Some(notice)));
            }
        },
        Inbound::LoadPreset(name) => match catalogue::index_of(&name) {
            Some(i) => catalogue::select(i, on_action, Vec::new()),
            None => post_error(&format!("there is no preset named {name:?}")),
        },
    }
}

#[derive(Properties, PartialEq)]
pub struct EmbedProps {
    pub sim: SimState,
    pub on_action: Callback<Action>,
    pub reduced_motion: bool,
    /// The narration's screen-reader announcement (rate-limited by the app).
    pub live: AttrValue,
}

#[function_component]
pub fn EmbedPlayer(props: &EmbedProps) -> Html {
    let setup = use_memo((), |_| params());
    let on_action = props.on_action.clone();

    // Start: the fragment's link, the start time, autoplay, the theme; then listen to the host.
    {
        let on_action = on_action.clone();
        let params = setup.0.clone();
        let ignored = setup.1.clone();
        use_effect_with((), move |_| {
            browser::set_theme(share::theme_name(params.theme));
            let mut after = Vec::new();
            if let Some(x) = params.speed {
                after.push(Action::SetSpeed(crate::format::speed_step(x)));
            }
            if let Some(t) = params.t_ms {
                after.push(Action::RunTo(share::playhead(t).0));
            }
            if params.autoplay {
                after.push(Action::Play);
            }
            if !ignored.is_empty() {
                after.push(Action::Notice(Some(format!("Ignored: {}.", ignored.join(", ")))));
            }
            let hash = browser::hash();
            let text = hash.trim_start_matches('#');
            match (!text.is_empty()).then(|| link::decode(text)) {
                Some(Ok(s)) => catalogue::open_share(&s, &on_action, after),
                Some(Err(e)) => {
                    on_action.emit(Action::Notice(Some(share::link_notice(&e))));
                    catalogue::emit_all(&on_action, after);
                }
                None => catalogue::emit_all(&on_action, after),
            }
            let listener = EventListener::new(&gloo::utils::window(), "message", move |e| {
                let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else { return };
                let Some(json) = js_sys::JSON::stringify(&e.data()).ok().and_then(|s| s.as_string()) else { return };
                match Inbound::parse(&json) {
                    Ok(Some(m)) => handle(m, &on_action),
                    Ok(None) => {}
                    Err(why) => post_error(&why),
                }
            });
            browser::post_to_parent(
                &serde_json::json!({ "type": "ready", "panels": params.panels.iter().map(|p| p.name()).collect::<Vec<_>>() })
                    .to_string(),
            );
            move || drop(listener)
        });
    }

    // Events out: anomalies as they occur, the time (throttled).
    {
        let s = &props.sim.snapshot;
        let pb = props.sim.playback;
        let posted = use_mut_ref(|| 0usize);
        let last_time = use_mut_ref(|| (f64::NEG_INFINITY, u64::MAX, false));
        let sim = props.sim.clone();
        let total = s.anomalies_total;
        let now = s.view.now;
        use_effect(move || {
            let before = *posted.borrow();
            if total < before {
                // The playhead went back (a seek, a reload): anomalies count again as they recur.
                *posted.borrow_mut() = total;
            } else if total > before {
                let fresh = sim
                    .with_playground(|pg| {
                        let all = pg.simulation().anomalies();
                        // Counted from the run's start; compaction may have dropped the oldest.
                        let dropped = pg.simulation().anomalies_dropped();
                        let from =
                            before.max(total.saturating_sub(MAX_ANOMALY_EVENTS)).saturating_sub(dropped).min(all.len());
                        all[from..].iter().map(share::anomaly_event).collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                fresh.iter().for_each(|e| browser::post_to_parent(e));
                *posted.borrow_mut() = total;
            }
            let wall = now_ms();
            let mut last: std::cell::RefMut<'_, (f64, u64, bool)> = last_time.borrow_mut();
            let changed = last.1 != now || last.2 != pb.playing;
            if changed && (!pb.playing || wall - last.0 >= TIME_EVENTS_EVERY_MS || last.2 != pb.playing) {
                *last = (wall, now, pb.playing);
                browser::post_to_parent(
                    &serde_json::json!({ "type": "time", "at_ms": to_ms(now), "playing": pb.playing }).to_string(),
                );
            }
        });
    }

    let snapshot = Shared(Rc::clone(&props.sim.snapshot));
    let pb = props.sim.playback;
    let toggle = on_action.reform(|_: MouseEvent| Action::TogglePlay);
    let on_scrub = on_action.reform(|e: InputEvent| {
        let input: web_sys::HtmlInputElement = e.target_unchecked_into();
        // The slider's own number: no decimal parsing in the player.
        let ms = input.value_as_number();
        Action::Seek(from_ms(if ms.is_finite() { ms } else { 0.0 }))
    });
    let open_full = {
        let s = &props.sim.snapshot;
        let key = (s.session_commands, s.forks, s.preset_name.clone(), (!pb.playing).then_some(pb.now));
        let sim = props.sim.clone();
        use_memo(key, move |_| {
            let base = share::playground_url(&browser::base_url());
            match sim.with_playground(share::link_of) {
                Some(Ok(text)) => format!("{base}#{text}"),
                _ => base,
            }
        })
    };
    let on_speed = on_action.reform(|e: InputEvent| {
        let input: web_sys::HtmlInputElement = e.target_unchecked_into();
        Action::SetSpeed(input.value().parse::<i32>().unwrap_or(0))
    });
    let pace = crate::format::format_pace(pb.speed_step);
    let caption = crate::components::status::caption(&props.sim.snapshot.narration, 2, &on_action);
    let panel = |p: Panel| -> Html {
        match p {
            Panel::Graph => html! {
                <>
                    <div class="embed-graph"><Graph snapshot={snapshot.clone()} reduced_motion={props.reduced_motion} drawing={false} on_action={on_action.clone()} /></div>
                    { caption.clone() }
                </>
            },
            Panel::Controls => html! {
                <div class="embed-controls button-row">
                    <button type="button" class="primary" data-testid="play" aria-pressed={pb.playing.to_string()} onclick={toggle.clone()}>
                        { if pb.playing { "Pause" } else { "Play" } }
                    </button>
                    <input type="range" data-testid="scrub" aria-label="Timeline" min="0" max={format!("{}", pb.head as f64 / 1000.0)}
                        step="1" value={format!("{}", pb.now as f64 / 1000.0)} disabled={pb.head == 0} oninput={on_scrub.clone()} />
                    <output data-testid="embed-time" data-us={pb.now.to_string()}>{format_time(pb.now)}</output>
                    <label class="embed-speed">{"Speed "}
                        <input type="range" data-testid="speed" min={crate::format::MIN_SPEED_STEP.to_string()} max={crate::format::MAX_SPEED_STEP.to_string()}
                            step="1" value={pb.speed_step.to_string()} aria-valuetext={pace.clone()} oninput={on_speed.clone()} />
                    </label>
                    <output class="embed-pace" data-testid="speed-value">{pace.clone()}</output>
                </div>
            },
            Panel::Status => html! { <Status snapshot={snapshot.clone()} frames={None::<crate::stats::Summary>} /> },
            Panel::Anomalies => html! { <Anomalies snapshot={snapshot.clone()} on_action={on_action.clone()} /> },
            Panel::Timeline => html! { <OpTimeline snapshot={snapshot.clone()} on_action={on_action.clone()} /> },
            Panel::Log => html! { <EventLog snapshot={snapshot.clone()} on_action={on_action.clone()} /> },
        }
    };
    html! {
        <main class="embed" data-testid="embed" data-scenario={snapshot.preset_name.clone()}>
            <header class="embed-top">
                <h1 class="embed-title">{replicalab_core::story::title(&snapshot.preset_name)}</h1>
                <span class="sr-only" data-testid="embed-now" data-us={snapshot.view.now.to_string()}>{format_time(snapshot.view.now)}</span>
                <a href={(*open_full).clone()} target="_blank" rel="noopener" data-testid="open-full">{"Open in replicalab ↗"}</a>
            </header>
            <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="live">{props.live.clone()}</div>
            if let Some(notice) = &snapshot.notice {
                <p class="notice" role="status" data-testid="notice">{notice}</p>
            }
            { for setup.0.panels.iter().map(|&p| panel(p)) }
        </main>
    }
}
