//! The simulator in WebAssembly, in a real browser, produces exactly the traces it produces
//! natively. Every preset runs to 3000 ms and its trace hash is compared with the hash the
//! native CLI computed (`replicalab hashes --until 3000`), which reaches this test at compile
//! time through the `REPLICALAB_NATIVE_HASHES` environment variable. `scripts/test.sh` sets it;
//! without it the test fails rather than pass without comparing anything.
//!
//! Run: `REPLICALAB_NATIVE_HASHES="$(replicalab hashes --until 3000)" \
//!       CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p replicalab-web`

#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use replicalab_core::presets::PRESETS;
use replicalab_core::time::{from_ms, MS};
use replicalab_core::Simulation;
use replicalab_web::state::{Action, Playground};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Simulated time every preset runs for; must match `--until` of the native command.
const UNTIL_MS: f64 = 3000.0;

fn native_hashes() -> BTreeMap<String, String> {
    let Some(text) = option_env!("REPLICALAB_NATIVE_HASHES") else {
        panic!(
            "REPLICALAB_NATIVE_HASHES is not set, so there is nothing to compare with. Build the CLI and run \
             `REPLICALAB_NATIVE_HASHES=\"$(target/debug/replicalab hashes --until 3000)\" cargo test --target \
             wasm32-unknown-unknown -p replicalab-web` (scripts/test.sh does this)"
        )
    };
    let hashes: BTreeMap<String, String> = serde_json::from_str(text).unwrap_or_else(|e| {
        panic!("REPLICALAB_NATIVE_HASHES is not a JSON object of preset name to hash ({e}): {text}")
    });
    assert!(!hashes.is_empty(), "REPLICALAB_NATIVE_HASHES holds no hashes: {text}");
    hashes
}

#[wasm_bindgen_test]
fn every_preset_hashes_the_same_in_the_browser_as_natively() {
    let native = native_hashes();
    let mut problems = Vec::new();
    for preset in PRESETS {
        let scenario = preset.scenario().unwrap_or_else(|e| panic!("preset {}: {e}", preset.name));
        let mut sim = Simulation::new(&scenario);
        sim.run_until(from_ms(UNTIL_MS));
        let wasm = sim.trace_hash();
        match native.get(preset.name) {
            Some(n) if *n == wasm => {}
            Some(n) => problems.push(format!("{}: native {n}, wasm {wasm}", preset.name)),
            None => {
                problems.push(format!("{}: no native hash (were the hashes computed by an older build?)", preset.name))
            }
        }
    }
    for name in native.keys() {
        if !PRESETS.iter().any(|p| p.name == name) {
            problems.push(format!("{name}: hashed natively but not a preset of this build"));
        }
    }
    assert!(problems.is_empty(), "trace hashes differ between native and WebAssembly:\n{}", problems.join("\n"));
}

#[wasm_bindgen_test]
fn playing_frame_by_frame_in_the_browser_gives_the_native_hash() {
    // The playground advances in many small, uneven frames; the trace must not notice.
    let native = native_hashes();
    for (index, preset) in PRESETS.iter().enumerate() {
        let mut pg = Playground::new(index).unwrap();
        pg.update(Action::SetSpeed(0)); // 1×: one wall millisecond is one simulated millisecond
        pg.update(Action::Play);
        let frames: [f64; 5] = [16.0, 17.0, 0.5, 33.0, 16.7];
        let mut i = 0;
        while pg.snapshot().view.now < 3000 * MS {
            let left = (3000 * MS - pg.snapshot().view.now) as f64 / 1000.0;
            pg.update(Action::Tick { wall_ms: frames[i % frames.len()].min(left) });
            if !pg.playback().playing {
                pg.update(Action::Play); // a preset shorter than 3 s pauses at its end
            }
            i += 1;
        }
        assert_eq!(pg.snapshot().view.now, 3000 * MS);
        assert_eq!(
            Some(&pg.snapshot().trace_hash),
            native.get(preset.name),
            "{}: the playground's frame-by-frame run differs from the native run",
            preset.name
        );
    }
}

/// The forms read numbers by the browser's own conversion (the page carries no decimal parser
/// of its own): what a number field can hold reads as it means, and text that is not a finite
/// number is none, so the field's previous value stays.
#[wasm_bindgen_test]
fn typed_numbers_read_by_the_browser() {
    use replicalab_web::components::forms::number;
    for (text, want) in [("0", 0.0), (".5", 0.5), ("007", 7.0), (" 12.25 ", 12.25), ("-3", -3.0), ("1e3", 1000.0)] {
        assert_eq!(number(text), Some(want), "{text:?}");
    }
    for text in ["", "  ", "abc", "4ms", "1,5", "Infinity", "NaN", "1e999"] {
        assert_eq!(number(text), None, "{text:?}");
    }
    // Every value a page writes into a field reads back exactly.
    let mut x: u64 = 1;
    for _ in 0..5_000 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let v = f64::from_bits(x >> 2) * if x & 1 == 1 { -1.0 } else { 1.0 };
        if v.is_finite() {
            assert_eq!(number(&v.to_string()), Some(v), "{v}");
        }
    }
}
