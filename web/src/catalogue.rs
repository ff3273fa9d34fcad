//! The built-in scenarios as this page has them. The pages' WebAssembly carries only the first
//! preset's file (`replicalab_core::presets` without `bundled-presets`); the build copies every
//! file into `presets/` beside the playground, and the page fetches one the first time it is
//! needed (picking it, a lesson step built on it, a share link of it). A fetched file is checked
//! to be the preset it is named as and kept for the rest of the visit. The lessons' file is
//! fetched the same way, once, before the playground mounts (the page preloads it beside the
//! WebAssembly). Natively, and in the tests, every preset and the lessons are compiled in and
//! nothing is fetched.

use std::cell::RefCell;
use std::rc::Rc;

use replicalab_core::lessons::Lessons;
use replicalab_core::presets::{self, NAMES};
use replicalab_core::Scenario;

#[cfg(target_arch = "wasm32")]
use crate::state::Action;

thread_local! {
    /// The files fetched so far, by index into [`NAMES`].
    static FETCHED: RefCell<Vec<Option<Scenario>>> = RefCell::new(vec![None; NAMES.len()]);
    /// The lessons (compiled in, or fetched), or why the page has none.
    static LESSONS: RefCell<Option<Result<Rc<Lessons>, String>>> = const { RefCell::new(None) };
}

/// The lessons: compiled in (natively, in the tests), or as fetched by [`fetch_lessons`]; none
/// when the page could not fetch them ([`lessons_error`] says why).
pub fn lessons() -> Rc<Lessons> {
    LESSONS.with(|l| {
        l.borrow_mut()
            .get_or_insert_with(bundled_lessons)
            .as_ref()
            .map(Rc::clone)
            .unwrap_or_else(|_| Rc::new(Lessons { lessons: Vec::new() }))
    })
}

/// Why the page has no lessons, if it has none.
pub fn lessons_error() -> Option<String> {
    LESSONS.with(|l| l.borrow().as_ref().and_then(|r| r.as_ref().err().cloned()))
}

#[cfg(not(target_arch = "wasm32"))]
fn bundled_lessons() -> Result<Rc<Lessons>, String> {
    Ok(Rc::new(replicalab_core::lessons::lessons()))
}

/// In the pages, the lessons come from [`fetch_lessons`] only.
#[cfg(target_arch = "wasm32")]
fn bundled_lessons() -> Result<Rc<Lessons>, String> {
    Err("the lessons have not been fetched".into())
}

/// Every preset's name, in display order (indices into this are the playground's preset numbers).
pub fn names() -> &'static [&'static str] {
    NAMES
}

/// The preset numbered `index`'s name.
pub fn name(index: usize) -> Option<&'static str> {
    NAMES.get(index).copied()
}

/// The number of the preset named `name`.
pub fn index_of(name: &str) -> Option<usize> {
    presets::index_of(name)
}

/// The preset numbered `index`'s scenario, or why the page cannot give it: no such preset, its
/// file not fetched (yet), or its compiled-in file does not load (a broken build).
pub fn load(index: usize) -> Result<Scenario, String> {
    let name = name(index).ok_or_else(|| format!("there is no preset number {index}"))?;
    if let Some(p) = presets::find(name) {
        return p.scenario().map_err(|e| format!("the preset {name} does not load: {e}"));
    }
    FETCHED.with(|f| f.borrow()[index].clone()).ok_or_else(|| format!("the preset {name} has not been fetched"))
}

/// Whether the page has the preset (compiled in or fetched).
pub fn has(index: usize) -> bool {
    name(index).is_some_and(|n| presets::find(n).is_some())
        || FETCHED.with(|f| f.borrow().get(index).is_some_and(Option::is_some))
}

/// Keeps a fetched file of the preset numbered `index`, once it is shown to be that preset.
pub fn add(index: usize, json: &str) -> Result<(), String> {
    let name = name(index).ok_or_else(|| format!("there is no preset number {index}"))?;
    let scenario = presets::parse_fetched(name, json)?;
    FETCHED.with(|f| f.borrow_mut()[index] = Some(scenario));
    Ok(())
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    /// Where the presets' files are, relative to the page (the playground's `presets/`; the
    /// embed player, one directory down, sets `../presets/`).
    static BASE: RefCell<&'static str> = const { RefCell::new("presets/") };
}

/// Sets where the presets' files are, relative to the page.
#[cfg(target_arch = "wasm32")]
pub fn set_base(base: &'static str) {
    BASE.with(|b| *b.borrow_mut() = base);
}

/// Makes sure the page has the preset numbered `index`, fetching its file if needed; the error
/// says what went wrong (the network, the server's answer, or the file).
#[cfg(target_arch = "wasm32")]
pub async fn fetch(index: usize) -> Result<(), String> {
    if has(index) {
        return Ok(());
    }
    let name = name(index).ok_or_else(|| format!("there is no preset number {index}"))?;
    let url = format!("{}{name}.json", BASE.with(|b| *b.borrow()));
    let text = fetch_text(&url, &format!("the preset “{name}”")).await?;
    add(index, &text)
}

/// Fetches the lessons' file (`lessons.json` beside the playground) and keeps its lessons, or
/// why it could not be had.
#[cfg(target_arch = "wasm32")]
pub async fn fetch_lessons() {
    let result = fetch_text("lessons.json", "the lessons")
        .await
        .and_then(|text| replicalab_core::lessons::parse(&text))
        .map(Rc::new);
    LESSONS.with(|l| *l.borrow_mut() = Some(result));
}

/// The text at `url`, or why it could not be fetched (`what` names it in the message).
#[cfg(target_arch = "wasm32")]
async fn fetch_text(url: &str, what: &str) -> Result<String, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let failed = |why: &str| format!("{what} could not be fetched from {url}: {why}");
    let response = JsFuture::from(gloo::utils::window().fetch_with_str(url))
        .await
        .map_err(|_| failed("the network request failed"))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| failed("no response"))?;
    if !response.ok() {
        return Err(failed(&format!("the server answered {} {}", response.status(), response.status_text())));
    }
    let text = response.text().map_err(|_| failed("the body could not be read"))?;
    let text = JsFuture::from(text).await.map_err(|_| failed("the body could not be read"))?;
    Ok(text.as_string().unwrap_or_default())
}

/// Fetches every preset the page does not have yet, one after another; the first error stops.
#[cfg(target_arch = "wasm32")]
pub async fn fetch_all() -> Result<(), String> {
    for index in 0..NAMES.len() {
        fetch(index).await?;
    }
    Ok(())
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    /// Requests to load something made so far: a fetch that completes after a later request
    /// was made is not acted on (the last thing the user asked for wins).
    static REQUESTS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A new request (see `REQUESTS`): its number.
#[cfg(target_arch = "wasm32")]
fn new_request() -> u64 {
    REQUESTS.with(|r| {
        r.set(r.get() + 1);
        r.get()
    })
}

/// Whether no request was made after `request`.
#[cfg(target_arch = "wasm32")]
fn is_latest(request: u64) -> bool {
    REQUESTS.with(|r| r.get()) == request
}

/// Emits `actions` in order.
#[cfg(target_arch = "wasm32")]
pub fn emit_all(on_action: &yew::Callback<Action>, actions: Vec<Action>) {
    actions.into_iter().for_each(|a| on_action.emit(a));
}

/// Emits the actions `then` makes of the preset numbered `index`'s scenario, once the page has
/// it: at once if it does; otherwise a notice that it is loading, the fetch, then the actions,
/// or a notice saying why it could not be fetched (the scenario shown stays as it is).
#[cfg(target_arch = "wasm32")]
pub fn with_preset(
    index: usize,
    on_action: &yew::Callback<Action>,
    then: impl FnOnce(Scenario) -> Vec<Action> + 'static,
) {
    let request = new_request();
    let on_action = on_action.clone();
    let act = move |on_action: &yew::Callback<Action>| match load(index) {
        Ok(s) => emit_all(on_action, then(s)),
        Err(e) => on_action.emit(Action::Notice(Some(e))),
    };
    let Some(name) = name(index).filter(|_| !has(index)) else {
        act(&on_action);
        return;
    };
    on_action.emit(Action::Notice(Some(format!("Loading the preset “{name}”…"))));
    wasm_bindgen_futures::spawn_local(async move {
        let result = fetch(index).await;
        if !is_latest(request) {
            return;
        }
        match result {
            Ok(()) => act(&on_action),
            Err(e) => {
                on_action.emit(Action::Notice(Some(format!("Not loaded: {e}. The scenario shown is unchanged."))))
            }
        }
    });
}

/// Loads the preset numbered `index` from its start, then emits `after` (once the page has it).
#[cfg(target_arch = "wasm32")]
pub fn select(index: usize, on_action: &yew::Callback<Action>, after: Vec<Action>) {
    with_preset(index, on_action, move |_| std::iter::once(Action::SelectPreset(index)).chain(after).collect());
}

/// Opens a share link (or a scenario file), then emits `after`: when its scenario is named
/// after a preset the page has not fetched, the preset is fetched first, so that an unchanged
/// preset is recognised as that preset (a failed fetch only means it counts as a custom
/// scenario).
#[cfg(target_arch = "wasm32")]
pub fn open_share(share: &replicalab_core::link::Share, on_action: &yew::Callback<Action>, after: Vec<Action>) {
    let mut actions = crate::share::open_actions(share);
    actions.extend(after);
    let request = new_request();
    let Some(index) = index_of(&share.scenario.name).filter(|&i| !has(i)) else {
        emit_all(on_action, actions);
        return;
    };
    let on_action = on_action.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = fetch(index).await;
        if is_latest(request) {
            emit_all(&on_action, actions);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use replicalab_core::presets::PRESETS;

    #[test]
    fn the_tests_have_every_preset_compiled_in() {
        for (i, n) in names().iter().enumerate() {
            assert!(has(i) && presets::find(n).is_some(), "{n}");
            assert_eq!(load(i).unwrap().name, *n);
            assert_eq!(index_of(n), Some(i));
        }
        assert!(!has(names().len()) && load(names().len()).is_err());
    }

    #[test]
    fn the_tests_have_the_lessons_compiled_in() {
        assert_eq!(*lessons(), replicalab_core::lessons::lessons());
        assert_eq!(lessons_error(), None);
    }

    #[test]
    fn a_fetched_file_is_checked_before_it_is_kept() {
        let json = PRESETS[1].json;
        assert!(add(0, json).unwrap_err().contains(PRESETS[1].name));
        assert!(add(0, "Not Found").is_err());
        assert!(add(NAMES.len(), json).is_err());
        add(1, json).unwrap();
        assert_eq!(FETCHED.with(|f| f.borrow()[1].clone()).unwrap(), PRESETS[1].scenario().unwrap());
    }
}
