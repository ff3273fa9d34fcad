//! Entry point of the embed player's WebAssembly build (`scripts/build-embed.sh` builds this
//! binary into `dist/embed/`).

#[cfg(target_arch = "wasm32")]
fn main() {
    replicalab_web::start_embed();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("replicalab-embed runs in a browser: build it with scripts/build-embed.sh");
    std::process::exit(2);
}
