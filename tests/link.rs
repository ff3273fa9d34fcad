//! Share links as untrusted input: every preset and generated variations round-trip exactly; the
//! seed corpus in `tests/corpus/link/` decodes to the expected error classes; and a mutation
//! campaign of over a million hostile inputs — random text, truncations and character edits of
//! real links, damaged compressed data, and well-compressed but mutated JSON — never panics and
//! always explains a refusal.
//!
//! Inputs come from the core's portable RNG, so a failure reproduces everywhere; a panicking
//! input is printed in full.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use replicalab_core::link::{self, LinkError, Share, Theme, ViewOptions};
use replicalab_core::presets::PRESETS;
use replicalab_core::rng::SimRng;
use replicalab_core::Scenario;
use serde_json::{json, Value};

fn preset_shares() -> Vec<Share> {
    PRESETS.iter().map(|p| Share::new(p.scenario().unwrap())).collect()
}

/// A link of arbitrary JSON text, as a hand-made (or hostile) link would carry it.
fn wrap(json: &[u8], level: u8) -> String {
    format!("v1.{}", URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec_zlib(json, level)))
}

/// Any f64 in `0..max`, with all 53 bits of precision (what a UI's arithmetic produces).
fn any_ms(rng: &mut SimRng, max: f64) -> f64 {
    match rng.below(4) {
        0 => rng.below(max as u64) as f64,
        1 => rng.below(max as u64 * 1000) as f64 / 1000.0,
        _ => rng.unit() * max,
    }
}

fn random_view(rng: &mut SimRng, nodes: usize) -> ViewOptions {
    const PANELS: [&str; 6] = ["graph", "timeline", "space-time", "anomalies", "log", "inspector_2"];
    ViewOptions {
        panels: (0..rng.below(4)).map(|_| PANELS[rng.below(6) as usize].to_string()).collect(),
        selected_node: if rng.below(2) == 0 { None } else { Some(rng.below(nodes as u64) as usize) },
        theme: [Theme::Auto, Theme::Light, Theme::Dark][rng.below(3) as usize],
        speed_ms_per_s: if rng.below(2) == 0 { None } else { Some(1 + rng.below(10_000) as u32) },
    }
}

/// A preset with a random seed, duration and extra commands at arbitrary times, built through
/// JSON so it does not depend on the exact set of command variants.
fn variation(rng: &mut SimRng, base: &Share) -> Share {
    let mut v = serde_json::to_value(&base.scenario).unwrap();
    let nodes = base.scenario.cluster.nodes as u64;
    let clients = base.scenario.clients().len() as u64;
    v["seed"] = rng.next_u64().into();
    v["duration_ms"] = json!(any_ms(rng, 100_000.0));
    let commands = v["commands"].as_array_mut().unwrap();
    for _ in 0..rng.below(12) {
        let at = any_ms(rng, 60_000.0);
        let node = rng.below(nodes);
        let client = rng.below(clients);
        commands.push(match rng.below(8) {
            0 => json!({"at_ms": at, "crash": {"node": node}}),
            1 => json!({"at_ms": at, "restart": {"node": node}}),
            2 => json!({"at_ms": at, "pause": {"node": node}}),
            3 => json!({"at_ms": at, "slow": {"node": node, "factor": 1.0 + rng.unit() * 9.0}}),
            4 => json!({"at_ms": at, "clock": {"node": node, "skew_ms": rng.unit() * 500.0 - 250.0}}),
            5 => json!({"at_ms": at, "write": {"client": client, "key": rng.below(10)}}),
            6 => json!({"at_ms": at, "read": {"client": client, "key": rng.below(10)}}),
            _ => json!({"at_ms": at, "heal": {}}),
        });
    }
    let scenario =
        Scenario::from_json(&v.to_string()).unwrap_or_else(|e| panic!("variation of {}: {e}", base.scenario.name));
    Share { at_ms: any_ms(rng, 100_000.0), view: random_view(rng, nodes as usize), scenario }
}

#[test]
fn presets_and_variations_round_trip_exactly() {
    let mut rng = SimRng::new(7);
    let mut lengths = vec![];
    for base in preset_shares() {
        let text = link::encode(&base).unwrap();
        lengths.push(text.len());
        assert_eq!(link::decode(&text).as_ref(), Ok(&base), "{}", base.scenario.name);
        for _ in 0..40 {
            let s = variation(&mut rng, &base);
            let text = link::encode(&s).unwrap();
            let back = link::decode(&format!("https://replicalab.test/#{text}")).unwrap();
            assert_eq!(back, s, "{}", base.scenario.name);
            assert_eq!(back.at_ms.to_bits(), s.at_ms.to_bits(), "the playhead is exact to the bit");
            assert_eq!(link::encode(&back).unwrap(), text, "encoding is canonical");
        }
    }
    lengths.sort();
    eprintln!(
        "preset link lengths: min {} median {} max {}",
        lengths[0],
        lengths[lengths.len() / 2],
        lengths[lengths.len() - 1]
    );
    assert!(lengths.iter().all(|&l| l < 4096), "preset links stay short: {lengths:?}");
}

/// One corpus file: `expect: KIND` (a [`LinkError::kind`] or `ok`), optionally
/// `message: TEXT` (a part of the error message), then the link on the last line.
struct Case {
    file: String,
    expect: String,
    message: Option<String>,
    link: String,
}

fn corpus() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/link");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let file = p.file_name().unwrap().to_string_lossy().into_owned();
            let lines: Vec<&str> = text.lines().collect();
            let field = |name: &str| lines.iter().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_string());
            Case {
                expect: field("expect:").unwrap_or_else(|| panic!("{file} has an `expect:` line")),
                message: field("message:"),
                link: lines.last().unwrap().to_string(),
                file,
            }
        })
        .collect()
}

#[test]
fn the_corpus_decodes_to_the_expected_classes() {
    let cases = corpus();
    assert!(cases.len() >= 12, "the corpus has {} files", cases.len());
    for c in &cases {
        match link::decode(&c.link) {
            Ok(share) => {
                assert_eq!(c.expect, "ok", "{}: decoded", c.file);
                assert_eq!(link::decode(&link::encode(&share).unwrap()).unwrap(), share, "{}", c.file);
            }
            Err(e) => {
                assert_eq!(e.kind(), c.expect, "{}: {e}", c.file);
                if let Some(m) = &c.message {
                    assert!(e.to_string().contains(m.as_str()), "{}: {e:?} should mention {m:?}", c.file);
                }
            }
        }
    }
    let kinds: Vec<&str> = cases.iter().map(|c| c.expect.as_str()).collect();
    for kind in ["ok", "truncated", "corrupt", "bad_character", "newer_version", "too_large", "scenario", "invalid"] {
        assert!(kinds.contains(&kind), "the corpus has a {kind} case");
    }
}

/// The decoder on one input: never a panic; a refusal always has a message; whatever is
/// accepted encodes back to a link that decodes to the same share.
fn check(input: &str, stats: &mut Stats, source: &'static str) {
    let started = std::time::Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| link::decode(input)));
    match result {
        Err(_) => panic!("the decoder panicked on this input ({} bytes):\n{input}", input.len()),
        Ok(Ok(share)) => {
            stats.accepted += 1;
            let again =
                link::encode(&share).unwrap_or_else(|e| panic!("accepted but cannot re-encode ({e}):\n{input}"));
            assert_eq!(link::decode(&again).as_ref(), Ok(&share), "{input}");
        }
        Ok(Err(e)) => {
            let message = e.to_string();
            assert!(!message.trim().is_empty(), "{e:?} has no message; input:\n{input}");
            stats.count(&e);
        }
    }
    stats.inputs += 1;
    let entry = stats.by_source.entry(source).or_default();
    entry.0 += 1;
    entry.1 += started.elapsed();
}

#[derive(Default)]
struct Stats {
    inputs: u64,
    accepted: u64,
    by_kind: std::collections::BTreeMap<&'static str, u64>,
    /// Inputs and time spent decoding them, by how they were made.
    by_source: std::collections::BTreeMap<&'static str, (u64, std::time::Duration)>,
}

impl Stats {
    fn count(&mut self, e: &LinkError) {
        *self.by_kind.entry(e.kind()).or_default() += 1;
    }
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn random_char(rng: &mut SimRng) -> char {
    match rng.below(10) {
        0..=6 => ALPHABET[rng.below(64) as usize] as char,
        7 => ['.', '#', '=', '/', '+', ':', '?', '%', ' ', '\n', '\0'][rng.below(11) as usize],
        8 => char::from_u32(rng.below(0x80) as u32).unwrap(),
        _ => char::from_u32(0xA0 + rng.below(0x3000) as u32).unwrap_or('é'),
    }
}

/// 1 to 4 edits of a text: replace, insert or delete a character.
fn edit_text(rng: &mut SimRng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let i = rng.below(chars.len() as u64 + 1) as usize;
        match rng.below(4) {
            0 if i < chars.len() => {
                chars.remove(i);
            }
            1 => chars.insert(i, random_char(rng)),
            _ if i < chars.len() => chars[i] = random_char(rng),
            _ => chars.push(random_char(rng)),
        }
    }
    chars.into_iter().collect()
}

/// 1 to 4 byte edits of JSON text with characters that keep it JSON-like.
fn edit_json(rng: &mut SimRng, json: &[u8]) -> Vec<u8> {
    let mut b = json.to_vec();
    for _ in 0..1 + rng.below(4) {
        let i = rng.below(b.len() as u64) as usize;
        b[i] = b"0123456789-.,:{}[]\"aelnrstu \x7f\xff"[rng.below(30) as usize];
    }
    b
}

/// Replaces one value somewhere in the JSON tree with a hostile one.
fn edit_value(rng: &mut SimRng, v: &mut Value) {
    let hostile = |rng: &mut SimRng| -> Value {
        match rng.below(10) {
            0 => Value::Null,
            1 => json!(-1),
            2 => json!(99),
            3 => json!(1e300),
            4 => json!(u64::MAX),
            5 => json!("x"),
            6 => json!([]),
            7 => json!({}),
            8 => json!(0),
            _ => json!(rng.unit()),
        }
    };
    let mut node = v;
    loop {
        let descend = rng.below(3) != 0;
        let children = match node {
            Value::Object(m) if !m.is_empty() => m.len(),
            Value::Array(a) if !a.is_empty() => a.len(),
            _ => 0,
        };
        if children == 0 || !descend {
            *node = hostile(rng);
            return;
        }
        let i = rng.below(children as u64) as usize;
        node = match node {
            Value::Object(m) => m.values_mut().nth(i).unwrap(),
            Value::Array(a) => &mut a[i],
            _ => unreachable!(),
        };
    }
}

/// The campaign. Most inputs fail cheaply (at the prefix, the base64 or the checksum); one in
/// twelve is well-formed compressed JSON that reaches the scenario checks.
#[test]
fn the_decoder_survives_a_million_hostile_inputs() {
    const INPUTS: u64 = 1_000_000;
    let start = std::time::Instant::now();
    let mut rng = SimRng::new(0x11_4b);
    let mut stats = Stats::default();
    let mut seeds: Vec<Share> = preset_shares();
    for i in 0..seeds.len() {
        let v = variation(&mut rng, &seeds[i]);
        seeds.push(v);
    }
    let mut links: Vec<String> = seeds.iter().map(|s| link::encode(s).unwrap()).collect();
    links.extend(corpus().into_iter().map(|c| c.link));
    let jsons: Vec<String> = seeds.iter().map(|s| serde_json::to_string(s).unwrap()).collect();
    let values: Vec<Value> = jsons.iter().map(|j| serde_json::from_str(j).unwrap()).collect();
    let compressed: Vec<Vec<u8>> =
        jsons.iter().map(|j| miniz_oxide::deflate::compress_to_vec_zlib(j.as_bytes(), 9)).collect();

    while stats.inputs < INPUTS {
        let pick = rng.below(links.len() as u64) as usize;
        match rng.below(24) {
            // Random text, with and without a version prefix.
            0..=5 => {
                let max = if rng.below(8) == 0 { 3000 } else { 120 };
                let len = rng.below(max);
                let mut s: String = (0..len).map(|_| random_char(&mut rng)).collect();
                if rng.below(2) == 0 {
                    s.insert_str(0, ["v1.", "#v1.", "https://r.test/#v1.", "v2.", "v0."][rng.below(5) as usize]);
                }
                check(&s, &mut stats, "random text");
            }
            // A real link cut off anywhere.
            6..=8 => {
                let l = &links[pick];
                let cut = rng.below(l.len() as u64 + 1) as usize;
                let cut = (0..=cut).rev().find(|&i| l.is_char_boundary(i)).unwrap_or(0);
                check(&l[..cut], &mut stats, "truncated link");
            }
            // A real link with characters changed, inserted or deleted.
            9..=15 => check(&edit_text(&mut rng, &links[pick]), &mut stats, "edited link"),
            // Damaged compressed data behind valid base64.
            16..=21 => {
                let mut b = compressed[pick % compressed.len()].clone();
                match rng.below(3) {
                    0 => {
                        let cut = rng.below(b.len() as u64) as usize;
                        b.truncate(cut);
                    }
                    _ => {
                        for _ in 0..1 + rng.below(3) {
                            let i = rng.below(b.len() as u64) as usize;
                            b[i] ^= 1 << rng.below(8);
                        }
                    }
                }
                check(&format!("v1.{}", URL_SAFE_NO_PAD.encode(&b)), &mut stats, "damaged zlib");
            }
            // Mutated JSON, compressed correctly: reaches the JSON and scenario checks.
            22 => {
                check(&wrap(&edit_json(&mut rng, jsons[pick % jsons.len()].as_bytes()), 1), &mut stats, "edited JSON")
            }
            _ => {
                let mut v = values[pick % values.len()].clone();
                edit_value(&mut rng, &mut v);
                check(&wrap(v.to_string().as_bytes(), 1), &mut stats, "hostile JSON value");
            }
        }
    }
    eprintln!(
        "{} inputs in {:.1} s; accepted {}; refused by kind: {:?}",
        stats.inputs,
        start.elapsed().as_secs_f64(),
        stats.accepted,
        stats.by_kind
    );
    for (source, (n, t)) in &stats.by_source {
        eprintln!(
            "  {source}: {n} inputs, {:.1} s decoding, {:.1} µs each",
            t.as_secs_f64(),
            t.as_secs_f64() * 1e6 / *n as f64
        );
    }
    // The campaign reaches every stage of the decoder.
    for kind in ["not_a_link", "newer_version", "truncated", "bad_character", "corrupt", "json", "invalid", "scenario"]
    {
        assert!(stats.by_kind.get(kind).copied().unwrap_or(0) > 100, "few `{kind}` inputs: {:?}", stats.by_kind);
    }
    assert!(stats.accepted > 100, "some mutations are harmless and accepted: {}", stats.accepted);
}
