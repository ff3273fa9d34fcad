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
        mount::<app::App>();
    }
}

/// Mounts the embed player (`embed/`, the `replicalab-embed` binary) into the page's `<body>`.
#[cfg(target_arch = "wasm32")]
pub fn start_embed() {
    mount::<embed::EmbedApp>();
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
