//! Entry point of the playground's WebAssembly build (Trunk builds this binary).

#[cfg(target_arch = "wasm32")]
fn main() {
    replicalab_web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("replicalab-web runs in a browser: build it with `trunk build` or run scripts/serve.sh");
    std::process::exit(2);
}
