//! The linearizability checker against histories with published verdicts: Porcupine's etcd and
//! key-value logs, Knossos's Jepsen histories, and small cases re-typed from both projects'
//! tests (all in `../shared/data/`, see its README). Then properties over random histories:
//! whatever a sequential execution produced is linearizable, and a read of a value nobody
//! wrote never is.
//!
//! The external data is optional: without `../shared/data` those tests print why and pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use replicalab_core::checkers::linearizability::file::{self as history_file, FileCheck};
use replicalab_core::checkers::linearizability::jepsen::{self, NilReads, RegisterReading};
use replicalab_core::checkers::linearizability::kv::{KvAppend, KvKind, KvOp};
use replicalab_core::checkers::linearizability::multi_register::MultiRegister;
use replicalab_core::checkers::linearizability::mutex::Mutex;
use replicalab_core::checkers::linearizability::register::{RegValue, Register, RegisterOp};
use replicalab_core::checkers::linearizability::{
    check, check_whole, CheckConfig, Model, Report, TimedOp, Verdict, Violation,
};
use replicalab_core::formats::edn::Value;
use replicalab_core::formats::generate::{self, GenSpec};
use replicalab_core::formats::{self, Event, EventType, Format, PairedOp, Process};
use replicalab_core::rng::SimRng;
use serde_json::Value as Json;

/// `../shared/data` next to the project root, or `None` (with a note) when it is absent.
fn data() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent");
    let dir = root.join("../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is absent", dir.display());
        None
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Rows of a tab-separated file with a header, as maps from column name to value.
fn tsv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = read(path);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| header.iter().zip(l.split('\t')).map(|(h, v)| (h.to_string(), v.to_string())).collect())
        .collect()
}

/// A parsed history, ready for any model.
struct History {
    events: Vec<Event>,
    paired: Vec<PairedOp>,
}

fn history(path: &Path, format: Format) -> History {
    let text = read(path);
    let events = formats::parse(format, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let paired = formats::pair(&events).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    History { events, paired }
}

/// Which model a data file is about, by its path (see the data README).
enum ModelKind {
    CasRegister { initial: RegValue, reading: RegisterReading },
    Kv,
    MultiRegister,
    Mutex,
}

/// The verdict, with each violation's failing operation as its completion event.
struct Outcome {
    verdict: Verdict,
    failing: Vec<(String, Event)>,
    steps: u64,
}

fn run(h: &History, model: &ModelKind) -> Outcome {
    fn finish<M: Model, K: Ord + Clone + std::fmt::Debug>(
        h: &History,
        m: &mut M,
        ops: jepsen::Converted<M::Op>,
        key: impl Fn(&M::Op) -> K,
    ) -> Outcome {
        let report: Report<K> = check(m, &ops.ops, &key, &CheckConfig::default());
        // The verdict-only path (the command line's default) gives the same verdict, with at
        // most one violation, one of those the report mode found.
        let quick: Report<K> = check(m, &ops.ops, &key, &CheckConfig::verdict());
        assert_eq!(quick.verdict, report.verdict, "verdict-only path");
        assert!(quick.violations().count() <= 1);
        for (k, v) in quick.violations() {
            assert!(v.window.contains(&v.failing_op), "{k:?}: verdict-only window: {v:?}");
        }
        for (k, v) in report.violations() {
            assert!(v.window.contains(&v.failing_op), "{k:?}: the window holds the failing operation: {v:?}");
            assert!(v.window_minimal, "{k:?}: the window was shrunk to a minimal one: {v:?}");
        }
        let failing = report
            .violations()
            .map(|(k, v)| {
                let p = &h.paired[ops.source[v.failing_op]];
                (format!("{k:?}"), h.events[p.completion.expect("failing operations returned")].clone())
            })
            .collect();
        Outcome { verdict: report.verdict, failing, steps: report.steps() }
    }
    let (e, p) = (&h.events, &h.paired);
    match model {
        ModelKind::CasRegister { initial, reading } => {
            let ops = jepsen::register_ops(e, p, *reading).expect("register operations");
            finish(h, &mut Register::new(*initial), ops, |_| ())
        }
        ModelKind::Kv => {
            let mut m = KvAppend::new();
            let ops = jepsen::kv_ops(e, p, &mut m).expect("key-value operations");
            finish(h, &mut m, ops, |op: &KvOp| op.key.clone())
        }
        ModelKind::MultiRegister => {
            let mut m = MultiRegister::new(Some(0));
            let ops = jepsen::multi_register_ops(e, p, &mut m).expect("transactions");
            finish(h, &mut m, ops, |_| ())
        }
        ModelKind::Mutex => {
            let ops = jepsen::mutex_ops(e, p).expect("mutex operations");
            finish(h, &mut Mutex, ops, |_| ())
        }
    }
}

fn expect_verdict(file: &str, linearizable: bool, got: &Outcome) {
    let want = if linearizable { Verdict::Linearizable } else { Verdict::NotLinearizable };
    assert_eq!(got.verdict, want, "{file}: expected {want:?}, got {:?} after {} steps", got.verdict, got.steps);
}

#[test]
fn porcupine_etcd_logs_match_the_published_verdicts() {
    let Some(data) = data() else { return };
    let dir = data.join("porcupine");
    // The README lists the linearizable logs; the table gives every verdict. They must agree.
    let readme = read(&data.join("README.md"));
    let listed: Vec<String> = readme
        .lines()
        .skip_while(|l| !l.contains("Linearizable: 002"))
        .take(2)
        .flat_map(|l| l.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_ascii_digit())))
        .filter(|w| w.len() == 3)
        .map(|n| format!("test_data/jepsen/etcd_{n}.log"))
        .collect();
    assert_eq!(listed.len(), 23, "the README lists 23 linearizable etcd logs");
    let started = Instant::now();
    let (mut matched, mut total, mut empty) = (0, 0, 0);
    for row in tsv(&dir.join("expected_verdicts.tsv")) {
        let file = &row["file"];
        if !file.starts_with("test_data/jepsen/") {
            continue;
        }
        let h = history(&dir.join(file), Format::PorcupineEtcd);
        let model = ModelKind::CasRegister { initial: None, reading: RegisterReading::PORCUPINE_ETCD };
        let got = run(&h, &model);
        match row["expected_linearizable"].as_str() {
            "true" | "false" => {
                let expected = row["expected_linearizable"] == "true";
                assert_eq!(expected, listed.contains(file), "{file}: the README and the table disagree");
                expect_verdict(file, expected, &got);
                matched += 1;
                total += 1;
            }
            // etcd_095.log is empty: no verdict was published; an empty history is linearizable.
            _ => {
                assert!(h.events.is_empty(), "{file}: only the empty log lacks a verdict");
                assert_eq!(got.verdict, Verdict::Linearizable, "{file}");
                empty += 1;
            }
        }
    }
    println!("etcd: {matched}/{total} verdicts matched (+{empty} empty log) in {:?}", started.elapsed());
    assert_eq!((matched, total, empty), (102, 102, 1));
}

#[test]
fn porcupine_kv_logs_match_the_published_verdicts() {
    let Some(data) = data() else { return };
    let dir = data.join("porcupine");
    let started = Instant::now();
    let mut matched = 0;
    for row in tsv(&dir.join("expected_verdicts.tsv")) {
        let file = &row["file"];
        if !file.starts_with("test_data/kv/") {
            continue;
        }
        let h = history(&dir.join(file), Format::PorcupineKv);
        let got = run(&h, &ModelKind::Kv);
        expect_verdict(file, row["expected_linearizable"] == "true", &got);
        if file.ends_with("c01-bad.txt") {
            // The README: line 60 reads key 7 without the client's own append of line 56.
            let keys: Vec<&str> = got.failing.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, vec!["\"7\""], "{file}");
            assert_eq!(got.failing[0].1.line, 60, "{file}");
        }
        matched += 1;
    }
    println!("kv: {matched}/6 verdicts matched in {:?}", started.elapsed());
    assert_eq!(matched, 6);
}

#[test]
fn knossos_histories_match_the_expected_verdicts() {
    let Some(data) = data() else { return };
    let dir = data.join("knossos");
    let started = Instant::now();
    let (mut matched, mut absent) = (0, 0);
    for row in tsv(&dir.join("expected_verdicts.tsv")) {
        let file = &row["file"];
        let path = dir.join(file);
        if !path.is_file() {
            println!("{file}: not in the data set ({})", row.get("bytes").map_or("", |s| s.as_str()));
            absent += 1;
            continue;
        }
        let expected = row["expected_valid"].starts_with("true");
        let h = history(&path, Format::JepsenEdn);
        if file.contains("/cas-register/") {
            // Both conventions of the README give every expected verdict: nil is a value and
            // the register starts as nil; or Knossos's own, nil reads unknown and starting at 0.
            let nil = ModelKind::CasRegister { initial: None, reading: RegisterReading::JEPSEN };
            expect_verdict(file, expected, &run(&h, &nil));
            let knossos = ModelKind::CasRegister {
                initial: Some(0),
                reading: RegisterReading { nil_reads: NilReads::Unknown, ..RegisterReading::JEPSEN },
            };
            expect_verdict(&format!("{file} (Knossos's nil)"), expected, &run(&h, &knossos));
        } else if file.contains("/multi-register/") {
            expect_verdict(file, expected, &run(&h, &ModelKind::MultiRegister));
        } else if file.contains("/mutex/") {
            expect_verdict(file, expected, &run(&h, &ModelKind::Mutex));
        } else {
            panic!("{file}: no model for this folder");
        }
        matched += 1;
    }
    println!("knossos: {matched}/{matched} verdicts matched ({absent} listed file absent) in {:?}", started.elapsed());
    assert_eq!(matched, 122);
}

/// Register operations from `[client, op, arg, output, call, return]` rows (Porcupine's form;
/// a null return is an unknown outcome).
fn porcupine_ops(rows: &[Json]) -> Vec<TimedOp<RegisterOp>> {
    rows.iter()
        .map(|r| {
            let op = match r[1].as_str() {
                Some("put") => RegisterOp::Write { value: r[2].as_i64() },
                Some("get") => RegisterOp::Read { value: r[3].as_i64() },
                other => panic!("unknown operation {other:?}"),
            };
            TimedOp { call: r[4].as_u64().unwrap(), ret: r[5].as_u64(), op }
        })
        .collect()
}

/// Register operations from Porcupine's event form: `call c0 put(100) id0`, `return id2 -> 0`.
fn porcupine_events(lines: &[Json]) -> Vec<TimedOp<RegisterOp>> {
    let mut calls: BTreeMap<String, (u64, Option<i64>)> = BTreeMap::new();
    let mut ops = Vec::new();
    for (t, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line.as_str().unwrap().split_whitespace().collect();
        match words[..] {
            ["call", _, what, id] => {
                let put = what.strip_prefix("put(").and_then(|v| v.strip_suffix(')')).map(|v| v.parse().unwrap());
                calls.insert(id.to_string(), (t as u64, put));
            }
            ["return", id, "->", out] => {
                ops.push(TimedOp::done(calls[id].0, t as u64, RegisterOp::Read { value: Some(out.parse().unwrap()) }))
            }
            ["return", id] => {
                let (call, put) = calls[id];
                ops.push(TimedOp::done(call, t as u64, RegisterOp::Write { value: put }));
            }
            _ => panic!("unreadable event {line}"),
        }
    }
    ops
}

/// A Knossos history `[process, type, f, value]` as events.
fn knossos_events(rows: &[Json]) -> Vec<Event> {
    rows.iter()
        .enumerate()
        .map(|(index, r)| {
            let kind = match r[1].as_str().unwrap() {
                "invoke" => EventType::Invoke,
                "ok" => EventType::Ok,
                "fail" => EventType::Fail,
                _ => EventType::Info,
            };
            let value = r[3].as_i64().map_or(Value::Nil, Value::Int);
            Event {
                index,
                line: index + 1,
                process: Process::Client(r[0].as_i64().unwrap()),
                kind,
                f: r[2].as_str().unwrap().to_string(),
                key: None,
                value,
            }
        })
        .collect()
}

fn first_violation(report: &Report<()>) -> Option<&Violation> {
    report.violations().next().map(|(_, v)| v)
}

#[test]
fn small_vectors_give_their_verdicts_and_failing_operations() {
    let Some(data) = data() else { return };
    let path = data.join("vectors/small_linearizability_vectors.json");
    let vectors: Json = serde_json::from_str(&read(&path)).expect("valid JSON");
    let mut checked = 0;
    // Porcupine's register: starts at 0.
    for case in vectors["cases_porcupine"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let ops = match (case.get("ops"), case.get("events")) {
            (Some(rows), _) => porcupine_ops(rows.as_array().unwrap()),
            (_, Some(lines)) => porcupine_events(lines.as_array().unwrap()),
            _ => panic!("{name}: no operations"),
        };
        let report = check_whole(&mut Register::new(Some(0)), &ops, &CheckConfig::default());
        assert_eq!(report.is_linearizable(), case["linearizable"].as_bool().unwrap(), "{name}");
        checked += 1;
    }
    // Knossos's cas-register, by hand and from data files.
    for case in vectors["cases_knossos"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let valid = case["valid"].as_bool().unwrap();
        if let Some(rows) = case.get("history") {
            let events = knossos_events(rows.as_array().unwrap());
            let paired = formats::pair(&events).unwrap();
            let ops = jepsen::register_ops(&events, &paired, RegisterReading::JEPSEN).unwrap();
            let report = check_whole(&mut Register::new(case["init"].as_i64()), &ops.ops, &CheckConfig::default());
            assert_eq!(report.is_linearizable(), valid, "{name}");
            if let Some(index) = case.get("failing_op_index").and_then(|i| i.as_u64()) {
                let v = first_violation(&report).expect("a violation");
                let p = &paired[ops.source[v.failing_op]];
                assert_eq!(p.completion, Some(index as usize), "{name}");
            }
        } else {
            let file = case["file"].as_str().unwrap();
            let h = history(&data.join(file), Format::JepsenEdn);
            let outcome = if file.contains("multi-register") {
                run(&h, &ModelKind::MultiRegister)
            } else {
                // Knossos ran these with its own convention: from 0, nil reads unknown.
                let model = if name.contains("(init 0)") {
                    let reading = RegisterReading { nil_reads: NilReads::Unknown, ..RegisterReading::JEPSEN };
                    ModelKind::CasRegister { initial: Some(0), reading }
                } else {
                    ModelKind::CasRegister { initial: None, reading: RegisterReading::JEPSEN }
                };
                run(&h, &model)
            };
            assert_eq!(outcome.verdict == Verdict::Linearizable, valid, "{name}");
            if let Some(f) = case.get("failing_op") {
                let (_, event) = &outcome.failing[0];
                assert_eq!(event.index as u64, f["index"].as_u64().unwrap(), "{name}: {event:?}");
                assert_eq!(event.process, Process::Client(f["process"].as_i64().unwrap()), "{name}");
                assert_eq!(event.kind.name(), f["type"].as_str().unwrap(), "{name}");
                assert_eq!(event.f, f["f"].as_str().unwrap(), "{name}");
                assert_eq!(event.value, Value::Int(f["value"].as_i64().unwrap()), "{name}");
            }
        }
        checked += 1;
    }
    println!("small vectors: {checked} cases checked");
    assert!(checked >= 17, "{checked}");
}

/// A random sequential execution of a register, as concurrent operations: each one's interval
/// contains its instant in the execution. Some writes have an unknown outcome (they did take
/// effect), and some writes that never took effect are thrown in with an unknown outcome.
fn sequential_register_history(rng: &mut SimRng, n: usize) -> Vec<TimedOp<RegisterOp>> {
    let mut state: RegValue = None;
    let mut ops = Vec::new();
    for i in 0..n as u64 {
        let at = 10 * i + 5;
        let spread = 5 * rng.below(4) + 1;
        let call = at - rng.below(spread).min(at);
        let ret = at + rng.below(30);
        let v = Some(rng.below(4) as i64);
        let op = match rng.below(4) {
            0 | 1 => RegisterOp::Read { value: state },
            2 => {
                state = v;
                RegisterOp::Write { value: v }
            }
            _ => {
                let swapped = state == v;
                let to = Some(rng.below(4) as i64);
                if swapped {
                    state = to;
                }
                RegisterOp::Cas { from: v, to, swapped }
            }
        };
        let unknown = matches!(op, RegisterOp::Write { .. }) && rng.below(5) == 0;
        ops.push(TimedOp { call, ret: (!unknown).then_some(ret), op });
        if rng.below(8) == 0 {
            ops.push(TimedOp::unknown(call, RegisterOp::Write { value: Some(100 + i as i64) }));
        }
    }
    ops
}

#[test]
fn histories_of_sequential_executions_are_linearizable() {
    let mut rng = SimRng::new(2024);
    for case in 0..300 {
        let n = 1 + rng.below(40) as usize;
        let ops = sequential_register_history(&mut rng, n);
        let report = check_whole(&mut Register::new(None), &ops, &CheckConfig::default());
        assert_eq!(report.verdict, Verdict::Linearizable, "seed 2024, case {case}: {ops:?}");
    }
    // The same for key-value maps, many keys at once.
    for case in 0..100 {
        let mut m = KvAppend::new();
        let mut strings: BTreeMap<u64, String> = BTreeMap::new();
        let mut ops = Vec::new();
        for i in 0..rng.below(60) {
            let key = rng.below(3);
            let at = 10 * i + 5;
            let (call, ret) = (at - rng.below(6), at + rng.below(40));
            let s = strings.entry(key).or_default();
            let op = match rng.below(4) {
                0 | 1 => m.op(key.to_string(), KvKind::Get, s),
                2 => {
                    let piece = format!("x {i} y");
                    s.push_str(&piece);
                    m.op(key.to_string(), KvKind::Append, &piece)
                }
                _ => {
                    *s = format!("p {i}");
                    m.op(key.to_string(), KvKind::Put, s)
                }
            };
            ops.push(TimedOp::done(call, ret, op));
        }
        let report = check(&mut m, &ops, |op: &KvOp| op.key.clone(), &CheckConfig::default());
        assert_eq!(report.verdict, Verdict::Linearizable, "seed 2024, kv case {case}");
    }
}

#[test]
fn a_read_of_a_value_nobody_wrote_is_never_linearizable() {
    let mut rng = SimRng::new(77);
    for case in 0..300 {
        let n = 1 + rng.below(40) as usize;
        let mut ops = sequential_register_history(&mut rng, n);
        let call = rng.below(10 * n as u64 + 10);
        let bad = ops.len();
        ops.push(TimedOp::done(call, call + rng.below(20), RegisterOp::Read { value: Some(-1) }));
        let report = check_whole(&mut Register::new(None), &ops, &CheckConfig::default());
        assert_eq!(report.verdict, Verdict::NotLinearizable, "seed 77, case {case}: {ops:?}");
        let v = first_violation(&report).unwrap();
        // Every prefix that ends before the bad read returns is linearizable.
        assert_eq!(v.failing_op, bad, "seed 77, case {case}: {v:?}");
        assert!(v.shortest_prefix && v.window.contains(&bad), "seed 77, case {case}: {v:?}");
    }
}

#[test]
fn the_checker_is_deterministic() {
    let mut rng = SimRng::new(9);
    let mut ops = sequential_register_history(&mut rng, 60);
    ops.push(TimedOp::done(300, 310, RegisterOp::Read { value: Some(-1) }));
    let a = check_whole(&mut Register::new(None), &ops, &CheckConfig::default());
    let b = check_whole(&mut Register::new(None), &ops, &CheckConfig::default());
    assert_eq!(a, b);
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
}

/// A history as `lein test` prints it: banners and other loggers' lines around the operations,
/// nemesis operations among them; `timestamps`: Jepsen's newer layout, a timestamp before the
/// level and `jepsen.util:` after the thread.
fn raw_run(log: &str, timestamps: bool) -> (String, usize, usize) {
    let mut out = String::from("lein test jepsen.etcd-test\n\nINFO  jepsen.os.debian - :n1 setting up debian\n");
    let (mut foreign, mut nemesis) = (2, 0);
    for (i, line) in log.lines().enumerate() {
        if timestamps {
            let ops = line.split_once(" - ").map_or(line, |(_, rest)| rest);
            out.push_str(&format!(
                "2016-04-03 12:{:02}:{:02},{:03}{{GMT}}\tINFO\t[jepsen worker {}] jepsen.util: {ops}\n",
                i / 60 % 60,
                i % 60,
                i % 1000,
                i % 5
            ));
        } else {
            out.push_str(line);
            out.push('\n');
        }
        if i % 37 == 11 {
            out.push_str("INFO  jepsen.util - :nemesis\t:info\t:start\t\"Cut off {:n5 #{:n2 :n1 :n4}}\"\n");
            out.push_str("INFO  jepsen.util - :nemesis\t:info\t:start\t[:isolated {:n1 #{:n2}}]\n");
            out.push_str("WARN  jepsen.core - Process 3 crashed\n");
            nemesis += 2;
            foreign += 1;
        }
    }
    out.push_str(
        "INFO  jepsen.core - Run complete, writing\n\nRan 1 tests containing 1 assertions.\n0 failures, 0 errors.\n",
    );
    foreign += 3;
    (out, foreign, nemesis)
}

#[test]
fn raw_test_runs_give_the_published_verdicts() {
    let Some(data) = data() else { return };
    let dir = data.join("porcupine");
    let mut checked = 0;
    for row in tsv(&dir.join("expected_verdicts.tsv")) {
        let file = &row["file"];
        if !file.starts_with("test_data/jepsen/") || !matches!(row["expected_linearizable"].as_str(), "true" | "false")
        {
            continue;
        }
        let expected =
            if row["expected_linearizable"] == "true" { Verdict::Linearizable } else { Verdict::NotLinearizable };
        let log = read(&dir.join(file));
        for timestamps in [false, true] {
            let (raw, foreign, nemesis) = raw_run(&log, timestamps);
            let r = history_file::check_text(&raw, &FileCheck::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(r.format, Format::PorcupineEtcd, "{file}: recognised");
            assert_eq!(r.verdict, expected, "{file} (timestamps: {timestamps})");
            assert_eq!((r.foreign_lines, r.nemesis_events), (foreign, nemesis), "{file}: skipped and counted");
            assert_eq!(r.first_foreign_line, Some(1));
        }
        checked += 1;
    }
    assert_eq!(checked, 102);
}

#[test]
fn edn_histories_among_other_lines_give_their_verdicts() {
    let Some(data) = data() else { return };
    let dir = data.join("knossos/data/cas-register");
    for (sub, expected) in [("bad", Verdict::NotLinearizable), ("good", Verdict::Linearizable)] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(sub)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for path in files.iter().take(12) {
            let text = read(path);
            // One event per line in these files; a vector's brackets may sit on the first and
            // last lines. Log lines around and between them are skipped.
            let mut noisy = String::from("INFO  jepsen.store - Wrote history\n");
            // After a map's last line, about every 50 lines.
            let mut due = 3;
            for (i, line) in text.lines().enumerate() {
                noisy.push_str(line);
                noisy.push('\n');
                if i >= due && line.trim_end().ends_with('}') {
                    noisy.push_str("2016-04-03 12:00:00 WARN jepsen.core - something else\n");
                    due = i + 50;
                }
            }
            let r = history_file::check_text(&noisy, &FileCheck::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let clean = history_file::check_text(&text, &FileCheck::default()).unwrap();
            assert_eq!(clean.foreign_lines, 0, "{}", path.display());
            assert!(r.foreign_lines >= 1, "{}", path.display());
            assert_eq!((r.verdict, r.ops.len()), (clean.verdict, clean.ops.len()), "{}", path.display());
            assert_eq!(r.verdict, expected, "{}", path.display());
        }
    }
}

/// Compare-and-set register histories of 5-20 processes and 1,000-5,000 operations, 1-5% of
/// the writes timing out, with one read of a value nobody writes: not linearizable, decided
/// by both paths (the exhaustive search alone runs out of budget on most of them).
#[test]
fn generated_histories_with_timeouts_and_an_impossible_read_are_decided() {
    let mut rng = SimRng::new(31);
    for case in 0..12 {
        let spec = GenSpec {
            clients: 5 + rng.below(16) as u32,
            ops: 1000 + rng.below(4001) as u32,
            keys: 1,
            timeout_ppm: 10_000 + rng.below(40_001) as u32,
            seed: rng.next_u64(),
        };
        let bad = generate::cas_history(&spec, true);
        for config in [CheckConfig::verdict(), CheckConfig::default()] {
            let how = FileCheck { config: config.clone(), ..FileCheck::default() };
            let r = history_file::check_text(&bad, &how).unwrap();
            assert_eq!(
                r.verdict,
                Verdict::NotLinearizable,
                "case {case}: {spec:?}, stop_at_first {}",
                config.stop_at_first
            );
            let v = &r.violations[0];
            let read = r.op(v.failing_op);
            assert_eq!(read.f, "read", "case {case}: the impossible read is named");
            assert!(read.completed.unwrap().value.as_int().unwrap() >= 1_000_000, "case {case}");
        }
        if case < 4 {
            let good = generate::cas_history(&spec, false);
            let r = history_file::check_text(&good, &FileCheck::default()).unwrap();
            assert_eq!(r.verdict, Verdict::Linearizable, "case {case}: {spec:?} without the impossible read");
        }
    }
}

/// Key-value histories of 200 clients and 50,000 operations over 50 keys, 1% of the writes
/// timing out: linearizable as generated, and not once one get is made stale.
#[test]
fn generated_key_value_histories_of_two_hundred_clients_are_decided() {
    for seed in [1, 2] {
        let spec = GenSpec { clients: 200, ops: 50_000, keys: 50, timeout_ppm: 10_000, seed };
        let good = history_file::check_text(&generate::kv_history(&spec), &FileCheck::default()).unwrap();
        assert_eq!((good.verdict, good.ops.len()), (Verdict::Linearizable, 50_000), "seed {seed}");
        let bad = history_file::check_text(&generate::kv_history_bad(&spec), &FileCheck::default()).unwrap();
        assert_eq!(bad.verdict, Verdict::NotLinearizable, "seed {seed}");
        let v = &bad.violations[0];
        assert_eq!(bad.op(v.failing_op).f, "get", "seed {seed}: the stale get fails");
    }
    // Smaller ones over many seeds, with every key checked: the stale get is always found.
    for seed in 0..40 {
        let spec = GenSpec { clients: 20, ops: 2_000, keys: 5, timeout_ppm: 30_000, seed };
        let all = FileCheck { config: CheckConfig::default(), ..FileCheck::default() };
        let good = history_file::check_text(&generate::kv_history(&spec), &all).unwrap();
        assert_eq!(good.verdict, Verdict::Linearizable, "seed {seed}");
        let bad = history_file::check_text(&generate::kv_history_bad(&spec), &all).unwrap();
        assert_eq!((bad.verdict, bad.violations.len()), (Verdict::NotLinearizable, 1), "seed {seed}");
    }
}

/// Mutated histories (byte edits with the characters histories are made of, truncations,
/// lines dropped or repeated) in every format: each is checked or refused with an error that
/// names a line of the text, never a panic.
#[test]
fn mutated_histories_are_checked_or_refused_never_a_panic() {
    let mut seeds: Vec<String> = Vec::new();
    if let Some(data) = data() {
        for rel in [
            "porcupine/test_data/jepsen/etcd_000.log",
            "porcupine/test_data/jepsen/etcd_100.log",
            "porcupine/test_data/kv/c01-bad.txt",
            "knossos/data/cas-register/bad/rethink-fail-smaller.edn",
            "knossos/data/multi-register/good/multi-register.edn",
            "knossos/data/mutex/bad/etcd.edn",
        ] {
            seeds.push(read(&data.join(rel)));
        }
        seeds.push(raw_run(&read(&data.join("porcupine/test_data/jepsen/etcd_002.log")), true).0);
    }
    let spec = GenSpec { clients: 4, ops: 60, keys: 2, timeout_ppm: 100_000, seed: 5 };
    seeds.push(generate::kv_history_bad(&spec));
    seeds.push(generate::cas_history(&spec, true));
    let how = FileCheck {
        config: CheckConfig { step_budget: 20_000, window_budget: 20_000, ..CheckConfig::verdict() },
        ..FileCheck::default()
    };
    let alphabet = b"0123456789-:{}[]()\"\\ \t\n;,#abfikntopqvxyz:info:ok:fail:invoke";
    let mut rng = SimRng::new(4242);
    let (mut checked, mut refused) = (0, 0);
    for (s, text) in seeds.iter().enumerate() {
        for round in 0..300 {
            let mut b = text.as_bytes().to_vec();
            match rng.below(4) {
                0 => b.truncate(rng.below(b.len() as u64 + 1) as usize),
                1 => {
                    let lines: Vec<&str> = text.lines().collect();
                    let i = rng.below(lines.len().max(1) as u64) as usize;
                    let mut out: Vec<&str> = lines.clone();
                    if rng.below(2) == 0 && i < out.len() {
                        out.remove(i);
                    } else if i < lines.len() {
                        out.insert(i, lines[i]);
                    }
                    b = out.join("\n").into_bytes();
                }
                _ => {
                    for _ in 0..1 + rng.below(6) {
                        if b.is_empty() {
                            break;
                        }
                        let i = rng.below(b.len() as u64) as usize;
                        b[i] = alphabet[rng.below(alphabet.len() as u64) as usize];
                    }
                }
            }
            let t = String::from_utf8_lossy(&b);
            let lines = t.lines().count();
            match history_file::check_text(&t, &how) {
                Ok(r) => {
                    checked += 1;
                    for v in &r.violations {
                        assert!(
                            v.window.contains(&v.failing_op) && v.failing_op < r.ops.len(),
                            "seed {s} round {round}"
                        );
                    }
                }
                Err(history_file::FileError::Format(e)) => {
                    refused += 1;
                    assert!(
                        e.line >= 1 && e.line <= lines + 1,
                        "seed {s} round {round}: line {} of {lines}: {e}",
                        e.line
                    );
                    assert!(!e.message.is_empty());
                }
                Err(history_file::FileError::UnknownFormat) => refused += 1,
            }
        }
    }
    // Both paths are exercised: at least 2% of the mutations each (with the external data 7
    // texts, without it 2; the generated histories' mutations are mostly refused).
    let total = checked + refused;
    assert!(checked * 50 > total && refused * 50 > total, "{checked} checked, {refused} refused");
}
