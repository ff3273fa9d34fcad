//! Sharing, lessons, the comparison and the history checker: the bar above the playground.
//!
//! [`Extras`] keeps the URL fragment in step with the session (a share link, or a lesson step
//! while a lesson is open and the reader has not acted), opens the fragment on start and when
//! it changes, and offers: copy link, copy embed code, export and import a scenario file, the
//! guided lessons, the measured comparison and the history checker (`#check` opens it).

use std::rc::Rc;

use gloo::events::EventListener;
use replicalab_core::lessons::Lessons;
use replicalab_core::link;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::checker::CheckerPanel;
use super::compare::ComparePanel;
use super::lessons::LessonsPanel;
use crate::share::{self, browser, EmbedParams, Fragment};
use crate::state::{Action, SimState};

#[derive(Properties, PartialEq)]
pub struct ExtrasProps {
    pub sim: SimState,
    pub on_action: Callback<Action>,
    /// The open lesson step (shared with the share menu: importing a file closes it).
    pub lesson: UseStateHandle<LessonAt>,
}

/// An open lesson: its index and the step's index.
pub type LessonAt = Option<(usize, usize)>;

/// Opens a lesson step: loads its scenario and plays it to the step's end.
pub fn open_step(all: &Lessons, at: (usize, usize), on_action: &Callback<Action>) {
    let Some(step) = all.lessons.get(at.0).and_then(|l| l.steps.get(at.1)) else {
        on_action.emit(Action::Notice(Some("There is no such lesson step.".into())));
        return;
    };
    let Some(index) = crate::catalogue::index_of(&step.preset) else {
        on_action
            .emit(Action::Notice(Some(format!("This lesson step does not load: no preset named `{}`", step.preset))));
        return;
    };
    let step = step.clone();
    crate::catalogue::with_preset(index, on_action, move |preset| match step.scenario_from(preset) {
        Ok(scenario) => vec![Action::LoadScenario(Box::new(scenario)), Action::Play],
        Err(e) => vec![Action::Notice(Some(format!("This lesson step does not load: {e}")))],
    });
}

/// Opens what a fragment holds. Returns the lesson step it names, if any (`#check` opens a
/// panel, not a session: the caller opens it).
pub fn open_fragment(hash: &str, all: &Lessons, on_action: &Callback<Action>) -> Option<(usize, usize)> {
    match Fragment::parse(hash) {
        Fragment::Empty | Fragment::Check => None,
        Fragment::Lesson { id, step } => {
            if let Some(e) = crate::catalogue::lessons_error() {
                on_action.emit(Action::Notice(Some(format!("The lesson “{id}” cannot open: {e}."))));
                return None;
            }
            let Some(l) = all.lessons.iter().position(|l| l.id == id) else {
                on_action.emit(Action::Notice(Some(format!(
                    "There is no lesson “{id}”; the lessons are: {}.",
                    all.lessons.iter().map(|l| l.id.as_str()).collect::<Vec<_>>().join(", ")
                ))));
                return None;
            };
            let step = step.min(all.lessons[l].steps.len().saturating_sub(1));
            open_step(all, (l, step), on_action);
            Some((l, step))
        }
        Fragment::Link(text) => {
            match link::decode(&text) {
                Ok(s) => {
                    crate::catalogue::open_share(&s, on_action, Vec::new());
                    browser::set_theme(share::theme_name(s.view.theme));
                }
                Err(e) => on_action.emit(Action::Notice(Some(share::link_notice(&e)))),
            }
            None
        }
    }
}

#[function_component]
pub fn Extras(props: &ExtrasProps) -> Html {
    let all = use_memo((), |_| (*crate::catalogue::lessons()).clone());
    let lesson = props.lesson.clone();
    let checker_open = use_state(|| false);
    let on_action = props.on_action.clone();

    // Open the fragment once on start, and again whenever the reader changes it.
    {
        let all = Rc::clone(&all);
        let lesson = lesson.clone();
        let on_action = on_action.clone();
        let checker_open = checker_open.setter();
        use_effect_with((), move |_| {
            let is_check = || Fragment::parse(&browser::hash()) == Fragment::Check;
            if is_check() {
                checker_open.set(true);
            }
            if let Some(at) = open_fragment(&browser::hash(), &all, &on_action) {
                lesson.set(Some(at));
            }
            let listener = EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                if is_check() {
                    checker_open.set(true);
                }
                let at = open_fragment(&browser::hash(), &all, &on_action);
                if at.is_some() {
                    lesson.set(at);
                }
            });
            move || drop(listener)
        });
    }

    // Keep the fragment in step with the session: on every command, fork, load, selection and
    // whenever playback stands still (pause, seek, step) — never on every frame.
    {
        let s = &props.sim.snapshot;
        let pb = props.sim.playback;
        let key = (
            s.session_commands,
            s.forks,
            s.preset_name.clone(),
            s.description.clone(),
            s.selection,
            (!pb.playing).then_some(pb.now),
            *lesson,
            s.view_options.clone(),
        );
        let sim = props.sim.clone();
        let all = Rc::clone(&all);
        let first = use_mut_ref(|| true);
        use_effect_with(key, move |key| {
            if std::mem::replace(&mut *first.borrow_mut(), false) {
                return;
            }
            let lesson_at = key.6;
            if let (Some((l, st)), 0) = (lesson_at, key.0) {
                if let Some(lesson) = all.lessons.get(l) {
                    browser::set_fragment(&share::lesson_fragment(&lesson.id, st));
                    return;
                }
            }
            if let Some(Ok(text)) = sim.with_playground(share::link_of) {
                browser::set_fragment(&text);
            }
        });
    }

    // Callbacks that live as long as the page, so the lessons and comparison panels do not
    // re-render on every frame; the comparison reads the session when it starts.
    let on_lesson = {
        let lesson = lesson.setter();
        let all = Rc::clone(&all);
        let on_action = on_action.clone();
        use_callback((), move |at: LessonAt, _| {
            lesson.set(at);
            if let Some(at) = at {
                open_step(&all, at, &on_action);
            }
        })
    };
    let latest = use_mut_ref(|| props.sim.clone());
    *latest.borrow_mut() = props.sim.clone();
    let current_scenario =
        use_callback((), move |_: (), _| latest.borrow().with_playground(|pg| pg.session_scenario()));
    html! {
        <section class="extras" aria-label="Lessons, comparison and history checker">
            <LessonsPanel lessons={Rc::clone(&all)} at={*lesson} on_pick={on_lesson}
                playing={props.sim.playback.playing} on_toggle_play={props.on_action.reform(|_: ()| Action::TogglePlay)} />
            <ComparePanel current={current_scenario} />
            <CheckerPanel open={*checker_open} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ShareMenuProps {
    pub sim: SimState,
    pub on_action: Callback<Action>,
    pub lesson: UseStateHandle<LessonAt>,
}

/// Sharing and export in one menu: copy a link, copy embed code, export and import a file.
#[function_component]
pub fn ShareMenu(props: &ShareMenuProps) -> Html {
    let shown_link = use_state(|| None::<(String, String)>);
    let on_action = props.on_action.clone();
    let lesson = props.lesson.clone();
    let copy_link = {
        let sim = props.sim.clone();
        let shown = shown_link.clone();
        Callback::from(move |_: MouseEvent| match sim.with_playground(share::link_of) {
            Some(Ok(text)) => {
                let url = format!("{}#{text}", browser::base_url());
                browser::set_fragment(&text);
                let shown = shown.clone();
                shown.set(Some(("link".into(), url.clone())));
                wasm_bindgen_futures::spawn_local(async move {
                    let ok = browser::copy(&url).await;
                    let label = if ok { "link-copied" } else { "link" };
                    shown.set(Some((label.into(), url)));
                });
            }
            Some(Err(e)) => shown.set(Some(("error".into(), e))),
            None => {}
        })
    };
    let copy_embed = {
        let sim = props.sim.clone();
        let shown = shown_link.clone();
        Callback::from(move |_: MouseEvent| {
            let Some((preset, link)) = sim.with_playground(|pg| {
                let preset = pg.playback().preset.and_then(crate::catalogue::name);
                // A preset from its start embeds by name; anything else by its link.
                let plain = preset.is_some() && pg.snapshot().session_commands == 0;
                (preset.filter(|_| plain), if plain { None } else { Some(share::link_of(pg)) })
            }) else {
                return;
            };
            let mut url = share::embed_url(&browser::base_url(), &EmbedParams::default().query(preset));
            match link {
                Some(Ok(text)) => url = format!("{url}#{text}"),
                Some(Err(e)) => {
                    shown.set(Some(("error".into(), e)));
                    return;
                }
                None => {}
            }
            let snippet = share::embed_snippet(&url, "replicalab: replication playground");
            let shown = shown.clone();
            shown.set(Some(("embed".into(), snippet.clone())));
            wasm_bindgen_futures::spawn_local(async move {
                let ok = browser::copy(&snippet).await;
                shown.set(Some((if ok { "embed-copied" } else { "embed" }.into(), snippet)));
            });
        })
    };
    let export = {
        let sim = props.sim.clone();
        let on_action = on_action.clone();
        Callback::from(move |_: MouseEvent| {
            let Some((name, json)) = sim.with_playground(|pg| {
                let s = pg.session_scenario();
                (share::file_name(&s), s.to_json())
            }) else {
                return;
            };
            if let Err(e) = browser::download(&name, &json, "application/json") {
                on_action.emit(Action::Notice(Some(format!("The file was not exported: {e}."))));
            }
        })
    };
    let import = {
        let on_action = on_action.clone();
        let lesson = lesson.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let on_action = on_action.clone();
            let lesson = lesson.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let name = file.name();
                let result = browser::read_text(file, share::MAX_FILE_BYTES)
                    .await
                    .and_then(|text| share::read_file(&name, &text));
                match result {
                    Ok(s) => {
                        lesson.set(None);
                        crate::catalogue::open_share(&s, &on_action, Vec::new());
                    }
                    Err(e) => on_action.emit(Action::Notice(Some(e))),
                }
            });
        })
    };
    let on_select_text = Callback::from(|e: FocusEvent| {
        if let Some(t) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
            t.select();
        }
    });

    html! {
        <details class="menu share-menu" data-testid="share-menu">
            <summary>{"Share"}</summary>
            <div class="share-menu-body">
                <button type="button" data-testid="copy-link" onclick={copy_link}
                    title="A link to exactly this: the scenario, your actions and the playhead">{"Copy link"}</button>
                <button type="button" data-testid="copy-embed" onclick={copy_embed}
                    title="An <iframe> snippet that embeds this scenario in a web page">{"Copy embed code"}</button>
                <button type="button" data-testid="export" onclick={export}
                    title="Download the session as a scenario file (replicalab run FILE.json)">{"Export JSON"}</button>
                <label class="file-button" title="Open a scenario file or a share file">
                    {"Import JSON"}
                    <input type="file" accept=".json,application/json" data-testid="import" onchange={import} />
                </label>
            </div>
            if let Some((kind, text)) = &*shown_link {
                <div class="share-output" data-testid="share-output" data-kind={kind.clone()}>
                    <p role="status">{match kind.as_str() {
                        "link-copied" => "Link copied to the clipboard:",
                        "embed-copied" => "Embed code copied to the clipboard:",
                        "embed" => "Select and copy the embed code:",
                        "error" => "No link:",
                        _ => "Select and copy the link:",
                    }}</p>
                    <textarea readonly=true rows="2" data-testid="share-text" value={text.clone()} onfocus={on_select_text} />
                </div>
            }
        </details>
    }
}
