//! Share links, files, lesson deep links and the embed player's parameters and messages.
//!
//! Everything here is plain Rust over the core's [`link`] module, tested natively; the browser
//! side (the URL fragment, the clipboard, files, `postMessage`) is in [`browser`] and the
//! components that use it.
//!
//! - A session becomes a [`Share`] ([`share_of`]): the session scenario (the scenario plus every
//!   recorded command), the playhead and the selected node. Opening one ([`open_actions`]) is a
//!   list of reducer actions: load the scenario, run to the playhead, select the node.
//! - The URL fragment holds a share link (`#v1.…`), a lesson step (`#lesson=ID&step=N`, N
//!   counted from 1) or `#check` (the history checker's panel, open); [`Fragment::parse`]
//!   tells them apart.
//! - Files: [`read_file`] takes a scenario file (what `replicalab run` reads) or a share file
//!   (what `replicalab link decode --share` prints), untrusted, with a size limit.
//! - Embedding: [`EmbedParams`] are the `?embed` page's query parameters, [`Inbound`] the
//!   messages a host page may post to the player, [`embed_snippet`] the `<iframe>` code.

use replicalab_core::link::{self, LinkError, Share, Theme, ViewOptions};
use replicalab_core::time::{from_ms, to_ms, Time};
use replicalab_core::Scenario;

use crate::state::{Action, Playground, Selection};

/// Largest file [`read_file`] accepts, in bytes (scenario files hold at most 100 000 commands;
/// this is well above what such a file takes and well below what would strain the page).
pub const MAX_FILE_BYTES: usize = 8 << 20;
/// Furthest playhead a link or a message opens at, in simulated milliseconds: running further
/// would keep the page busy for a long time. A later playhead opens here, with a notice.
pub const MAX_OPEN_MS: f64 = 600_000.0;

/// The share of a playground: its session scenario at its playhead, with the selected node.
pub fn share_of(pg: &Playground) -> Share {
    let mut share = Share::new(pg.session_scenario());
    share.at_ms = to_ms(pg.playback().now);
    share.view = pg.view_options().clone();
    if let Selection::Node(n) = pg.snapshot().selection {
        share.view.selected_node = Some(n);
    }
    let ms_per_s = (crate::format::speed(pg.playback().speed_step) * 1000.0).round();
    share.view.speed_ms_per_s = Some(ms_per_s.clamp(1.0, link::MAX_SPEED_MS_PER_S as f64) as u32);
    share
}

/// The link of a playground's share (`v1.…`), or why there is none (a session too large for a
/// link: the message says so and suggests a file).
pub fn link_of(pg: &Playground) -> Result<String, String> {
    link::encode(&share_of(pg)).map_err(|e| format!("{e} (export it as a file instead)"))
}

/// The playhead of a share, limited to [`MAX_OPEN_MS`]; the notice says when it was limited.
pub fn playhead(at_ms: f64) -> (Time, Option<String>) {
    if at_ms > MAX_OPEN_MS {
        let note = format!(
            "The link's playhead is at {:.0} s; it opens at {:.0} s (press Play to go further).",
            at_ms / 1000.0,
            MAX_OPEN_MS / 1000.0
        );
        (from_ms(MAX_OPEN_MS), Some(note))
    } else {
        (from_ms(at_ms.max(0.0)), None)
    }
}

/// The actions that open a share: load its scenario, run to its playhead, select its node.
pub fn open_actions(share: &Share) -> Vec<Action> {
    let (at, note) = playhead(share.at_ms);
    let mut actions = vec![
        Action::LoadScenario(Box::new(share.scenario.clone())),
        Action::RunTo(at),
        Action::SetView(share.view.clone()),
    ];
    if let Some(ms_per_s) = share.view.speed_ms_per_s {
        actions.push(Action::SetSpeed(crate::format::speed_step(ms_per_s as f64 / 1000.0)));
    }
    if let Some(node) = share.view.selected_node {
        actions.push(Action::Select(Selection::Node(node)));
    }
    actions.push(Action::Notice(note));
    actions
}

/// What a URL fragment holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fragment {
    /// Nothing (or only `#`).
    Empty,
    /// A lesson step: the lesson's id and the step's index (from 0).
    Lesson { id: String, step: usize },
    /// `#check`: the "Check a history" panel, open.
    Check,
    /// Anything else: a share link to decode (decoding reports what is wrong with it).
    Link(String),
}

impl Fragment {
    /// Parses `location.hash` (with or without its `#`).
    pub fn parse(hash: &str) -> Fragment {
        let text = hash.trim().trim_start_matches('#');
        if text.is_empty() {
            return Fragment::Empty;
        }
        if text == CHECK_FRAGMENT {
            return Fragment::Check;
        }
        if text.starts_with("lesson=") {
            let mut id = String::new();
            let mut step = 0;
            for pair in text.split('&') {
                match pair.split_once('=') {
                    Some(("lesson", v)) => id = v.to_string(),
                    Some(("step", v)) => step = v.parse::<usize>().unwrap_or(1).saturating_sub(1),
                    _ => {}
                }
            }
            return Fragment::Lesson { id, step };
        }
        Fragment::Link(text.to_string())
    }
}

/// The fragment that opens the "Check a history" panel (without the `#`).
pub const CHECK_FRAGMENT: &str = "check";

/// The fragment of a lesson step (`lesson=ID&step=N`, N from 1), without the `#`.
pub fn lesson_fragment(id: &str, step: usize) -> String {
    format!("lesson={id}&step={}", step + 1)
}

/// What went wrong opening a link, for the notice: the core's message and what the page did.
pub fn link_notice(e: &LinkError) -> String {
    let mut text = e.to_string();
    if let Some(first) = text.get(..1) {
        text = first.to_ascii_uppercase() + &text[1..];
    }
    format!("{text}. The link was not opened; your current scenario is unchanged.")
}

/// Reads an imported file: a scenario file, or a share file (scenario, playhead and view).
/// Untrusted: any text gives a share or a message, never a panic.
pub fn read_file(name: &str, text: &str) -> Result<Share, String> {
    let refuse = |why: String| Err(format!("{name} was not imported: {why}. Your current scenario is unchanged."));
    if text.len() > MAX_FILE_BYTES {
        return refuse(format!("it is larger than {} MiB", MAX_FILE_BYTES >> 20));
    }
    if text.trim().is_empty() {
        return refuse("it is empty".into());
    }
    // A share file has a `scenario` object at its top; anything else is read as a scenario file,
    // whose own messages are the most useful for a hand-edited file.
    let is_share = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.as_object().map(|o| o.contains_key("scenario") && !o.contains_key("format")))
        .unwrap_or(false);
    if is_share {
        return Share::from_json(text).or_else(|e| refuse(e.to_string()));
    }
    match Scenario::from_json(text) {
        Ok(scenario) => Ok(Share::new(scenario)),
        Err(e) => refuse(format!("not a valid scenario file: {e}")),
    }
}

/// A file name for an exported scenario: its name, made safe for file systems.
pub fn file_name(scenario: &Scenario) -> String {
    let stem: String = scenario
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .take(60)
        .collect();
    let stem = stem.trim_matches('-');
    format!("{}.json", if stem.is_empty() { "scenario" } else { stem })
}

/// A panel of the embed player.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Graph,
    Controls,
    Status,
    Anomalies,
    Timeline,
    Log,
}

impl Panel {
    pub const ALL: [Panel; 6] =
        [Panel::Graph, Panel::Controls, Panel::Status, Panel::Anomalies, Panel::Timeline, Panel::Log];
    /// The embed player's panels when the parameters name none.
    pub const DEFAULT: [Panel; 3] = [Panel::Graph, Panel::Controls, Panel::Anomalies];

    pub fn name(self) -> &'static str {
        match self {
            Panel::Graph => "graph",
            Panel::Controls => "controls",
            Panel::Status => "status",
            Panel::Anomalies => "anomalies",
            Panel::Timeline => "timeline",
            Panel::Log => "log",
        }
    }

    pub fn parse(name: &str) -> Option<Panel> {
        Panel::ALL.into_iter().find(|p| p.name() == name.trim())
    }
}

/// A number in a query parameter (`t=1500`, `speed=0.5`), in JSON's grammar: the decimal parser
/// the scenario decoder already carries, instead of a second one (with its 10 KB table) in
/// every page for two parameters.
fn number(text: &str) -> Option<f64> {
    serde_json::from_str(text.trim()).ok()
}

/// The embed player's query parameters: `embed/?preset=NAME&panels=graph,anomalies&autoplay&t=MS&theme=dark`
/// (`embed`, which links made before the player had its own page carry, is accepted and ignored).
#[derive(Clone, Debug, PartialEq)]
pub struct EmbedParams {
    pub panels: Vec<Panel>,
    pub autoplay: bool,
    /// Where the playhead starts, in milliseconds (after the scenario or link is loaded).
    pub t_ms: Option<f64>,
    /// Playback speed, as a multiple of real time (`speed=1`: one simulated second a second).
    pub speed: Option<f64>,
    pub theme: Theme,
}

impl Default for EmbedParams {
    fn default() -> Self {
        EmbedParams { panels: Panel::DEFAULT.to_vec(), autoplay: false, t_ms: None, speed: None, theme: Theme::Auto }
    }
}

impl EmbedParams {
    /// Reads the parameters from `(name, value)` pairs; unknown names and values are ignored
    /// (listed in the second result, for a notice).
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> (EmbedParams, Vec<String>) {
        let mut p = EmbedParams::default();
        let mut ignored = Vec::new();
        for (name, value) in pairs {
            match name {
                "panels" => {
                    let mut panels = Vec::new();
                    for part in value.split(',').filter(|s| !s.trim().is_empty()) {
                        match Panel::parse(part) {
                            Some(panel) if !panels.contains(&panel) => panels.push(panel),
                            Some(_) => {}
                            None => ignored.push(format!("panel {part:?}")),
                        }
                    }
                    if !panels.is_empty() {
                        p.panels = panels;
                    }
                }
                "autoplay" => p.autoplay = !matches!(value, "0" | "false" | "no"),
                "t" => match number(value) {
                    Some(t) if t.is_finite() && t >= 0.0 => p.t_ms = Some(t),
                    _ => ignored.push(format!("t={value:?}")),
                },
                "speed" => match number(value) {
                    Some(x) if x.is_finite() && x > 0.0 => p.speed = Some(x),
                    _ => ignored.push(format!("speed={value:?}")),
                },
                "theme" => match value {
                    "dark" => p.theme = Theme::Dark,
                    "light" => p.theme = Theme::Light,
                    "auto" | "" => p.theme = Theme::Auto,
                    _ => ignored.push(format!("theme={value:?}")),
                },
                "embed" | "preset" => {}
                other => ignored.push(format!("parameter {other:?}")),
            }
        }
        (p, ignored)
    }

    /// The query string that gives these parameters (with `preset` when given): empty, or from
    /// `?`.
    pub fn query(&self, preset: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(name) = preset {
            parts.push(format!("preset={name}"));
        }
        if self.panels != Panel::DEFAULT {
            parts.push(format!("panels={}", self.panels.iter().map(|p| p.name()).collect::<Vec<_>>().join(",")));
        }
        if self.autoplay {
            parts.push("autoplay".into());
        }
        if let Some(t) = self.t_ms {
            parts.push(format!("t={t}"));
        }
        if let Some(x) = self.speed {
            parts.push(format!("speed={x}"));
        }
        match self.theme {
            Theme::Dark => parts.push("theme=dark".into()),
            Theme::Light => parts.push("theme=light".into()),
            Theme::Auto => {}
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// The full app's panels a share link can show or hide (`view.panels`), with their titles.
/// An empty list in a link shows them all; names the app does not know are ignored.
pub const APP_PANELS: [(&str, &str); 13] = [
    ("graph", "Graph"),
    ("controls", "Playback"),
    ("settings", "Build your own"),
    ("actions", "Actions"),
    ("status", "Status"),
    ("anomalies", "Anomalies"),
    ("inspector", "Inspector"),
    ("client", "Client"),
    ("timeline", "Client operations"),
    ("spacetime", "Messages over time"),
    ("charts", "Charts"),
    ("conflicts", "Conflicts"),
    ("log", "Event log"),
];

/// Whether the full app shows panel `name` under these options.
pub fn shows(options: &ViewOptions, name: &str) -> bool {
    options.panels.is_empty() || options.panels.iter().any(|p| p == name)
}

/// The options with panel `name` shown or hidden; showing every panel again gives the
/// default (an empty list), so a link stays short.
pub fn toggle_panel(options: &ViewOptions, name: &str, show: bool) -> ViewOptions {
    let mut shown: Vec<String> = APP_PANELS
        .iter()
        .map(|(n, _)| n.to_string())
        .filter(|n| if n == name { show } else { shows(options, n) })
        .collect();
    if shown.len() == APP_PANELS.len() {
        shown.clear();
    }
    ViewOptions { panels: shown, ..options.clone() }
}

/// The theme's name for the page's `data-theme` attribute (`None`: follow the system).
pub fn theme_name(theme: Theme) -> Option<&'static str> {
    match theme {
        Theme::Auto => None,
        Theme::Light => Some("light"),
        Theme::Dark => Some("dark"),
    }
}

/// The view options of the embed parameters, as a share link carries them.
pub fn view_of(params: &EmbedParams) -> ViewOptions {
    ViewOptions {
        panels: params.panels.iter().map(|p| p.name().to_string()).collect(),
        selected_node: None,
        theme: params.theme,
        speed_ms_per_s: None,
    }
}

/// Where the embed player lives, relative to the playground's page.
pub const EMBED_PATH: &str = "embed/";

/// The folder of a page's address (`https://h/a/index.html?x` → `https://h/a/`).
fn folder(page: &str) -> &str {
    let page = page.split(['?', '#']).next().unwrap_or_default();
    &page[..page.rfind('/').map_or(0, |i| i + 1)]
}

/// The embed player's address for the playground page at `page`, with `query` (empty or from `?`).
pub fn embed_url(page: &str, query: &str) -> String {
    format!("{}{EMBED_PATH}{query}", folder(page))
}

/// The playground's address, from the embed player's page at `page`.
pub fn playground_url(page: &str) -> String {
    let dir = folder(page);
    dir.strip_suffix(EMBED_PATH).unwrap_or(dir).to_string()
}

/// The `<iframe>` snippet that embeds `url` (the player's full URL).
pub fn embed_snippet(url: &str, title: &str) -> String {
    let escape = |s: &str| s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"480\" style=\"border:0;max-width:720px\" loading=\"lazy\"></iframe>",
        escape(url),
        escape(title)
    )
}

/// A message a host page posts to the embed player (`docs/embedding.md`).
#[derive(Clone, Debug, PartialEq)]
pub enum Inbound {
    Play,
    Pause,
    Seek {
        at_ms: f64,
    },
    /// Load a share link (`v1.…` or a URL with one).
    LoadLink(String),
    /// Load a preset by name.
    LoadPreset(String),
}

impl Inbound {
    /// Reads a message from its JSON (the host posts an object; the player stringifies it).
    /// Messages that are not for the player (no `type`, or another tool's) give `Ok(None)`.
    pub fn parse(json: &str) -> Result<Option<Inbound>, String> {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
            return Ok(None);
        };
        let Some(obj) = value.as_object() else {
            return Ok(None);
        };
        let Some(kind) = obj.get("type").and_then(|t| t.as_str()) else {
            return Ok(None);
        };
        match kind {
            "play" => Ok(Some(Inbound::Play)),
            "pause" => Ok(Some(Inbound::Pause)),
            "seek" => match obj.get("at_ms").and_then(|v| v.as_f64()) {
                Some(t) if t.is_finite() && t >= 0.0 => Ok(Some(Inbound::Seek { at_ms: t })),
                _ => Err("seek needs `at_ms`: a number of milliseconds, 0 or more".into()),
            },
            "load" => {
                if let Some(l) = obj.get("link").and_then(|v| v.as_str()) {
                    Ok(Some(Inbound::LoadLink(l.to_string())))
                } else if let Some(p) = obj.get("preset").and_then(|v| v.as_str()) {
                    Ok(Some(Inbound::LoadPreset(p.to_string())))
                } else {
                    Err("load needs `link` (a share link) or `preset` (a preset's name)".into())
                }
            }
            other => Err(format!("unknown message type {other:?}; the player understands play, pause, seek and load")),
        }
    }
}

/// An anomaly event for the host page, as JSON.
pub fn anomaly_event(a: &replicalab_core::checkers::Anomaly) -> String {
    serde_json::json!({
        "type": "anomaly",
        "kind": a.kind.name(),
        "time_ms": to_ms(a.time),
        "nodes": a.nodes,
        "explanation": a.explanation,
    })
    .to_string()
}

/// Browser glue: the URL, the clipboard, downloads, files.
#[cfg(target_arch = "wasm32")]
pub mod browser {
    use wasm_bindgen::{JsCast, JsValue};

    /// `location.hash` (with its `#`), or empty.
    pub fn hash() -> String {
        gloo::utils::window().location().hash().unwrap_or_default()
    }

    /// The page's URL without its fragment.
    pub fn base_url() -> String {
        let href = gloo::utils::window().location().href().unwrap_or_default();
        href.split('#').next().unwrap_or_default().to_string()
    }

    /// Replaces the fragment without a new history entry (and without a `hashchange` event).
    pub fn set_fragment(fragment: &str) {
        let window = gloo::utils::window();
        let Ok(history) = window.history() else { return };
        let url = format!("{}#{fragment}", base_url());
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }

    /// Writes text to the clipboard; resolves to whether it worked (it needs a secure context
    /// and, in some browsers, a permission).
    pub async fn copy(text: &str) -> bool {
        let Ok(navigator) = js_sys::Reflect::get(&gloo::utils::window(), &JsValue::from_str("navigator")) else {
            return false;
        };
        let Ok(clipboard) = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard")) else {
            return false;
        };
        if clipboard.is_undefined() || clipboard.is_null() {
            return false;
        }
        let Ok(write) = js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText")) else {
            return false;
        };
        let Ok(write) = write.dyn_into::<js_sys::Function>() else {
            return false;
        };
        let Ok(promise) = write.call1(&clipboard, &JsValue::from_str(text)) else {
            return false;
        };
        let Ok(promise) = promise.dyn_into::<js_sys::Promise>() else {
            return false;
        };
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }

    /// Offers `text` as a file download named `name`.
    pub fn download(name: &str, text: &str, mime: &str) -> Result<(), String> {
        let parts = js_sys::Array::of1(&JsValue::from_str(text));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
            .map_err(|_| "the browser refused to make the file".to_string())?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)
            .map_err(|_| "the browser refused to make the file".to_string())?;
        let document = gloo::utils::document();
        let a: web_sys::HtmlAnchorElement =
            document.create_element("a").map_err(|_| "no link element".to_string())?.unchecked_into();
        a.set_href(&url);
        a.set_download(name);
        a.set_attribute("data-testid", "download-link").ok();
        a.set_attribute("hidden", "").ok();
        let body = document.body().ok_or("no page body")?;
        body.append_child(&a).ok();
        a.click();
        a.remove();
        // Revoke later: the download reads the URL after this click's task.
        let revoke = url.clone();
        gloo::timers::callback::Timeout::new(10_000, move || {
            let _ = web_sys::Url::revoke_object_url(&revoke);
        })
        .forget();
        Ok(())
    }

    /// The text of a chosen file, refused before reading when it is larger than `max` bytes.
    pub async fn read_text(file: web_sys::File, max: usize) -> Result<String, String> {
        if file.size() > max as f64 {
            return Err(format!(
                "{} was not imported: it is larger than {} MiB. Your current scenario is unchanged.",
                file.name(),
                max >> 20
            ));
        }
        let text = wasm_bindgen_futures::JsFuture::from(file.text())
            .await
            .map_err(|_| format!("{} could not be read", file.name()))?;
        text.as_string().ok_or_else(|| format!("{} is not text", file.name()))
    }

    /// Forces the light or dark palette (`None`: follow the system) on the whole page.
    pub fn set_theme(theme: Option<&str>) {
        let Some(root) = gloo::utils::document().document_element() else { return };
        match theme {
            Some(t) => root.set_attribute("data-theme", t).ok(),
            None => root.remove_attribute("data-theme").ok(),
        };
    }

    /// Posts a JSON message to the embedding page (`window.parent`), if there is one.
    pub fn post_to_parent(json: &str) {
        let window = gloo::utils::window();
        let Ok(Some(parent)) = window.parent() else { return };
        if parent == window {
            return;
        }
        let Ok(value) = js_sys::JSON::parse(json) else { return };
        let _ = parent.post_message(&value, "*");
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use replicalab_core::presets::PRESETS;
    use replicalab_core::time::MS;
    use replicalab_core::Command;

    use super::*;

    fn playground(name: &str) -> Playground {
        Playground::new(PRESETS.iter().position(|p| p.name == name).unwrap()).unwrap()
    }

    fn play_to(pg: &mut Playground, t: Time) {
        pg.update(Action::SetSpeed(0));
        pg.update(Action::Play);
        while pg.snapshot().view.now < t {
            let left = (t - pg.snapshot().view.now) as f64 / 1000.0;
            pg.update(Action::Tick { wall_ms: left.min(16.0) });
        }
        pg.update(Action::Pause);
    }

    #[test]
    fn a_session_opened_from_its_link_shows_the_same_instant() {
        let mut pg = playground("failover-majority-no-loss");
        play_to(&mut pg, 400 * MS);
        pg.update(Action::Do(Command::Crash { node: 0 }));
        play_to(&mut pg, 900 * MS);
        pg.update(Action::Do(Command::Cut { from: 1, to: 2, both: true }));
        play_to(&mut pg, 1_300 * MS);
        pg.update(Action::Seek(1_100 * MS));
        pg.update(Action::Select(Selection::Node(2)));
        let link = link_of(&pg).unwrap();
        assert!(link.starts_with("v1."));

        let share = link::decode(&format!("https://x.test/#{link}")).unwrap();
        assert_eq!(share.at_ms, 1_100.0);
        let mut other = playground("lf-async");
        for a in open_actions(&share) {
            other.update(a);
        }
        let (a, b) = (pg.snapshot(), other.snapshot());
        assert_eq!(b.view.now, 1_100 * MS);
        assert_eq!(a.trace_hash, b.trace_hash);
        assert_eq!(a.view, b.view);
        assert_eq!(b.selection, Selection::Node(2));
        assert!(!other.playback().playing);
        // And the reopened page makes the same link again.
        assert_eq!(link_of(&other).unwrap(), link);
    }

    #[test]
    fn run_to_goes_past_the_timeline_and_back() {
        let mut pg = playground("lf-async");
        pg.update(Action::RunTo(700 * MS));
        assert_eq!(pg.snapshot().view.now, 700 * MS);
        assert_eq!(pg.playback().head, 700 * MS);
        pg.update(Action::RunTo(200 * MS));
        assert_eq!(pg.snapshot().view.now, 200 * MS);
        assert_eq!(pg.playback().head, 700 * MS);
        let (t, note) = playhead(86_400_000.0);
        assert_eq!(t, from_ms(MAX_OPEN_MS));
        assert!(note.is_some());
    }

    #[test]
    fn fragments_are_links_lesson_steps_or_the_checker() {
        assert_eq!(Fragment::parse(""), Fragment::Empty);
        assert_eq!(Fragment::parse("#"), Fragment::Empty);
        assert_eq!(Fragment::parse("#lesson=failover&step=2"), Fragment::Lesson { id: "failover".into(), step: 1 });
        assert_eq!(Fragment::parse("#lesson=x&step=zz"), Fragment::Lesson { id: "x".into(), step: 0 });
        assert_eq!(Fragment::parse("#v1.abc"), Fragment::Link("v1.abc".into()));
        assert_eq!(Fragment::parse("#check"), Fragment::Check);
        assert_eq!(Fragment::parse("#checked"), Fragment::Link("checked".into()));
        assert_eq!(
            Fragment::parse(&format!("#{}", lesson_fragment("cap", 0))),
            Fragment::Lesson { id: "cap".into(), step: 0 }
        );
    }

    #[test]
    fn bad_links_give_a_message_that_says_the_work_is_kept() {
        let pg = playground("lf-sync");
        let link = link_of(&pg).unwrap();
        for bad in [&link[..link.len() / 2], "v9.abc", "v1.a b", "hello"] {
            let e = link::decode(bad).unwrap_err();
            let n = link_notice(&e);
            assert!(n.contains("unchanged"), "{n}");
            assert!(n.chars().next().unwrap().is_uppercase(), "{n}");
        }
    }

    #[test]
    fn files_are_scenarios_or_shares_and_bad_ones_are_refused() {
        let pg = playground("lf-sync");
        let scenario = pg.session_scenario();
        assert_eq!(read_file("a.json", &scenario.to_json()).unwrap().scenario, scenario);
        let mut share = Share::new(scenario);
        share.at_ms = 250.0;
        assert_eq!(read_file("s.json", &share.to_json()).unwrap(), share);
        for bad in ["", "   ", "{", "[]", "{\"scenario\": 3}", "{\"format\": \"replicalab-scenario\", \"version\": 99}"]
        {
            let e = read_file("bad.json", bad).unwrap_err();
            assert!(e.starts_with("bad.json was not imported") && e.contains("unchanged"), "{e}");
        }
        let huge = " ".repeat(MAX_FILE_BYTES + 1);
        assert!(read_file("big.json", &huge).unwrap_err().contains("larger"));
        assert_eq!(file_name(&share.scenario), "lf-sync.json");
    }

    #[test]
    fn embed_parameters_parse_and_round_trip() {
        let (p, ignored) = EmbedParams::parse([
            ("embed", ""),
            ("preset", "lf-sync"),
            ("panels", "graph,anomalies,bogus,graph"),
            ("autoplay", ""),
            ("t", "1500"),
            ("speed", "0.5"),
            ("theme", "dark"),
            ("zzz", "1"),
        ]);
        assert_eq!(p.panels, vec![Panel::Graph, Panel::Anomalies]);
        assert!(p.autoplay);
        assert_eq!(p.t_ms, Some(1500.0));
        assert_eq!(p.theme, Theme::Dark);
        assert_eq!(ignored.len(), 2, "{ignored:?}");
        let q = p.query(Some("lf-sync"));
        assert_eq!(q, "?preset=lf-sync&panels=graph,anomalies&autoplay&t=1500&speed=0.5&theme=dark");
        assert_eq!(EmbedParams::parse(q[1..].split('&').map(|kv| kv.split_once('=').unwrap_or((kv, "")))).0, p);
        assert_eq!(EmbedParams::default().query(None), "");
        for page in ["https://x.test/lab/", "https://x.test/lab/index.html", "https://x.test/lab/?preset=a#link"] {
            let embed = embed_url(page, "?t=1");
            assert_eq!(embed, "https://x.test/lab/embed/?t=1");
            assert_eq!(playground_url(&embed), "https://x.test/lab/");
            assert_eq!(playground_url(&format!("{embed}#abc")), "https://x.test/lab/");
        }
        let (bad, ignored) = EmbedParams::parse([("t", "-1"), ("theme", "pink"), ("panels", ""), ("speed", "0")]);
        assert_eq!(bad, EmbedParams::default());
        assert_eq!(ignored.len(), 3);
        let s = embed_snippet("https://x.test/embed/?preset=a\"b&t=1", "t<");
        assert!(s.starts_with("<iframe src=\"https://x.test/embed/?preset=a&quot;b&amp;t=1\""), "{s}");
    }

    /// Any playhead and speed a page writes into a query reads back exactly, and the numbers a
    /// person might type read as they mean; what is not a finite number is ignored and listed.
    #[test]
    fn embed_numbers_round_trip_over_many_values() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..20_000 {
            // splitmix64: bit patterns of every magnitude, then everyday millisecond values.
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            let v = if i % 2 == 0 { f64::from_bits(z >> 1) } else { (z % 10_000_000) as f64 / 8.0 };
            if !v.is_finite() || v <= 0.0 {
                continue;
            }
            let p = EmbedParams { t_ms: Some(v), speed: Some(v), ..EmbedParams::default() };
            let q = p.query(None);
            let (back, ignored) =
                EmbedParams::parse(q[1..].split('&').map(|kv| kv.split_once('=').unwrap_or((kv, ""))));
            assert_eq!((back.t_ms, back.speed), (Some(v), Some(v)), "{q}");
            assert!(ignored.is_empty(), "{q}: {ignored:?}");
        }
        for (text, want) in [("0", 0.0), ("4200", 4200.0), (" 2.5 ", 2.5), ("1e3", 1000.0), ("-0", 0.0)] {
            assert_eq!(EmbedParams::parse([("t", text)]).0.t_ms, Some(want), "t={text}");
        }
        for text in ["", "abc", "-1", "inf", "NaN", "1e999", "0x10", "4s"] {
            let (p, ignored) = EmbedParams::parse([("t", text)]);
            assert_eq!((p.t_ms, ignored.len()), (None, 1), "t={text}");
        }
    }

    #[test]
    fn messages_from_the_host_page_are_checked() {
        assert_eq!(Inbound::parse(r#"{"type":"play"}"#), Ok(Some(Inbound::Play)));
        assert_eq!(Inbound::parse(r#"{"type":"seek","at_ms":2500}"#), Ok(Some(Inbound::Seek { at_ms: 2500.0 })));
        assert_eq!(
            Inbound::parse(r#"{"type":"load","preset":"lf-sync"}"#),
            Ok(Some(Inbound::LoadPreset("lf-sync".into())))
        );
        assert_eq!(Inbound::parse(r#"{"type":"load","link":"v1.x"}"#), Ok(Some(Inbound::LoadLink("v1.x".into()))));
        assert_eq!(Inbound::parse("not json"), Ok(None));
        assert_eq!(Inbound::parse("42"), Ok(None));
        assert_eq!(Inbound::parse(r#"{"other":"tool"}"#), Ok(None));
        assert!(Inbound::parse(r#"{"type":"seek","at_ms":-4}"#).is_err());
        assert!(Inbound::parse(r#"{"type":"seek"}"#).is_err());
        assert!(Inbound::parse(r#"{"type":"load"}"#).is_err());
        assert!(Inbound::parse(r#"{"type":"explode"}"#).is_err());
    }

    #[test]
    fn panels_toggle_and_showing_all_again_is_the_default() {
        let all = ViewOptions::default();
        assert!(APP_PANELS.iter().all(|(n, _)| shows(&all, n)));
        let no_log = toggle_panel(&all, "log", false);
        assert!(!shows(&no_log, "log") && shows(&no_log, "graph"));
        assert_eq!(no_log.panels.len(), APP_PANELS.len() - 1);
        assert_eq!(toggle_panel(&no_log, "log", true), all);
        // A link naming one panel shows only it (unknown names are ignored).
        let only = ViewOptions { panels: vec!["graph".into(), "future-panel".into()], ..all.clone() };
        assert!(shows(&only, "graph") && !shows(&only, "anomalies"));
    }

    #[test]
    fn the_view_options_travel_in_the_link() {
        let mut pg = Playground::new_named(Some("lf-async"));
        let view = ViewOptions {
            panels: vec!["graph".into(), "anomalies".into()],
            theme: Theme::Dark,
            selected_node: None,
            speed_ms_per_s: None,
        };
        pg.update(Action::SetView(view.clone()));
        let link = link_of(&pg).unwrap();
        let share = link::decode(&link).unwrap();
        assert_eq!((share.view.panels.clone(), share.view.theme), (view.panels.clone(), Theme::Dark));
        let mut other = Playground::new_named(None);
        for a in open_actions(&share) {
            other.update(a);
        }
        assert_eq!(other.snapshot().view_options, view);
    }
}
