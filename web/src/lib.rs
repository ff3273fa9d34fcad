//! # replicalab-web
//!
//! The replicalab playground: a Yew app that runs the simulator core in WebAssembly and draws
//! what it does. The app is a projection of one reducer:
//!
//! - [`state`] owns the running simulation ([`state::Playground`]) and applies every
//!   [`state::Action`]; components draw its [`state::Snapshot`].
//! - `components/` are pure functions of their props (the node graph, the controls, the status
//!   panel, the benchmark page).
//! - `hooks` hold everything with a lifetime: the animation loop, page visibility, keyboard
//!   shortcuts, media queries.
//! - [`geometry`], [`format`] and [`stats`] are pure helpers, tested natively; [`checker`] is
//!   the model of the "Check a history" panel (the core checks, it lays out the timeline).
//!
//! The browser parts exist only when compiling for `wasm32`; natively the crate is the pure
//! model and its tests (`cargo test -p replicalab-web --lib`).

pub mod bench;
pub mod catalogue;
pub mod checker;
pub mod custom;
pub mod derive;
pub mod format;
pub mod geometry;
pub mod narration;
pub mod share;
pub mod state;
pub mod stats;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
mod embed;
#[cfg(target_arch = "wasm32")]
mod hooks;
#[cfg(target_arch = "wasm32")]
mod panic;

/// Mounts the playground into the page's `<body>` (or sends an old `?embed` link to the embed
/// player).
#[cfg(target_arch = "wasm32")]
pub fn start() {
    if !embed::redirect_old_link() {
        // The lessons' file first (index.html preloads it beside the WebAssembly, so this
        // rarely waits); the welcome's first link and `#lesson-…` links need it at once.
        wasm_bindgen_futures::spawn_local(async {
            catalogue::fetch_lessons().await;
            mount_with_preset::<app::App>();
        });
    }
}

/// Mounts the embed player (`embed/`, the `replicalab-embed` binary) into the page's `<body>`.
#[cfg(target_arch = "wasm32")]
pub fn start_embed() {
    catalogue::set_base("../presets/");
    mount_with_preset::<embed::EmbedApp>();
}

/// Mounts `C` once the page has the preset that `?preset=` names: when it is not compiled in,
/// its file is fetched first (the loading notice stays meanwhile); if that fails, the page
/// opens on the first preset and says so.
#[cfg(target_arch = "wasm32")]
fn mount_with_preset<C: yew::BaseComponent<Properties = ()>>() {
    let search = gloo::utils::window().location().search().unwrap_or_default();
    let wanted = web_sys::UrlSearchParams::new_with_str(&search)
        .ok()
        .and_then(|q| q.get("preset"))
        .and_then(|name| catalogue::index_of(&name))
        .filter(|&i| !catalogue::has(i));
    match wanted {
        Some(index) => wasm_bindgen_futures::spawn_local(async move {
            let _ = catalogue::fetch(index).await;
            mount::<C>();
        }),
        None => mount::<C>(),
    }
}

/// Installs the panic page, removes the loading notice and renders `C` into the `<body>`.
#[cfg(target_arch = "wasm32")]
fn mount<C: yew::BaseComponent<Properties = ()>>() {
    panic::install();
    if let Some(loading) = gloo::utils::document().get_element_by_id("loading") {
        loading.remove();
    }
    yew::Renderer::<C>::new().render();
}
