//! CPU time of the linearizability checker on every shared history and on generated ones, as
//! a Markdown table (the per-file table of docs/performance.md):
//! `cargo run --release -p replicalab-core --example check_table [--tsv] [FILTER]`.
//!
//! Each file is read once; a measured run parses, pairs, converts and checks it, repeated
//! until at least 50 ms of CPU time were spent (at least once). CPU time is the thread's own
//! (Linux: /proc/thread-self/schedstat), so other jobs on the machine do not inflate it.

use std::path::{Path, PathBuf};

use replicalab_core::checkers::linearizability::file::{self, FileCheck, ModelKind};
use replicalab_core::checkers::linearizability::{CheckConfig, Verdict};
use replicalab_core::formats::generate::{self, GenSpec};
use replicalab_core::formats::Format;

fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[derive(Clone, Copy)]
enum Kind {
    Etcd,
    Kv,
    Cas,
    Multi,
    Mutex,
}

struct Case {
    name: String,
    kind: Kind,
    text: String,
}

fn run(case: &Case, config: &CheckConfig) -> (usize, Verdict) {
    let (format, model) = match case.kind {
        Kind::Etcd => (Format::PorcupineEtcd, ModelKind::CasRegister),
        Kind::Kv => (Format::PorcupineKv, ModelKind::Kv),
        Kind::Cas => (Format::JepsenEdn, ModelKind::CasRegister),
        Kind::Multi => (Format::JepsenEdn, ModelKind::MultiRegister),
        Kind::Mutex => (Format::JepsenEdn, ModelKind::Mutex),
    };
    let how = FileCheck { format: Some(format), model: Some(model), config: config.clone(), ..FileCheck::default() };
    let r = file::check_text(&case.text, &how).expect("checkable");
    (r.checked, r.verdict)
}

fn files(dir: &Path, ext: &str, kind: Kind, prefix: &str, out: &mut Vec<Case>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> =
        rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == ext)).collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("readable file");
        if text.trim().is_empty() {
            continue;
        }
        let name = format!("{prefix}{}", p.file_name().unwrap().to_string_lossy());
        out.push(Case { name, kind, text });
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tsv = args.iter().any(|a| a == "--tsv");
    let filter = args.iter().find(|a| !a.starts_with("--")).cloned().unwrap_or_default();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    let mut cases = Vec::new();
    files(&data.join("porcupine/test_data/jepsen"), "log", Kind::Etcd, "", &mut cases);
    files(&data.join("porcupine/test_data/kv"), "txt", Kind::Kv, "", &mut cases);
    files(&data.join("knossos/data/cas-register/good"), "edn", Kind::Cas, "knossos good/", &mut cases);
    files(&data.join("knossos/data/cas-register/bad"), "edn", Kind::Cas, "knossos bad/", &mut cases);
    files(&data.join("knossos/data/multi-register/good"), "edn", Kind::Multi, "knossos good/", &mut cases);
    files(&data.join("knossos/data/mutex/bad"), "edn", Kind::Mutex, "knossos bad/", &mut cases);
    if !"generated".contains(filter.as_str()) && !filter.starts_with("generated") {
        return measure(&cases, &filter, tsv);
    }
    let kv = GenSpec { clients: 200, ops: 50_000, keys: 50, timeout_ppm: 10_000, seed: 1 };
    cases.push(Case {
        name: "generated kv 200 clients 50,000 ops".into(),
        kind: Kind::Kv,
        text: generate::kv_history(&kv),
    });
    cases.push(Case {
        name: "generated kv 200 clients 50,000 ops, one stale get".into(),
        kind: Kind::Kv,
        text: generate::kv_history_bad(&kv),
    });
    for (clients, ops, ppm, seed) in [(5, 1000, 10_000, 1), (10, 2000, 30_000, 2), (20, 5000, 50_000, 3)] {
        let spec = GenSpec { clients, ops, keys: 1, timeout_ppm: ppm, seed };
        cases.push(Case {
            name: format!("generated cas {clients} clients {ops} ops, {}% timeouts, impossible read", ppm / 10_000),
            kind: Kind::Cas,
            text: generate::cas_history(&spec, true),
        });
        cases.push(Case {
            name: format!("generated cas {clients} clients {ops} ops, {}% timeouts", ppm / 10_000),
            kind: Kind::Cas,
            text: generate::cas_history(&spec, false),
        });
    }
    measure(&cases, &filter, tsv);
}

fn measure(cases: &[Case], filter: &str, tsv: bool) {
    let modes = [("verdict", CheckConfig::verdict()), ("all", CheckConfig::default())];
    if !tsv {
        println!("| history | operations | verdict | CPU, verdict only | CPU, every key (`--all`) |");
        println!("|---|---:|---|---:|---:|");
    }
    for case in cases.iter().filter(|c| c.name.contains(filter)) {
        let mut cells = Vec::new();
        let mut seen = None;
        for (_, config) in &modes {
            let mut runs = 0u64;
            let start = cpu_ns();
            let (ops, verdict) = loop {
                let r = run(case, config);
                runs += 1;
                if cpu_ns() - start >= 50_000_000 {
                    break r;
                }
            };
            if let Some(v) = seen {
                assert_eq!(v, (ops, verdict), "{}: the two modes disagree", case.name);
            }
            seen = Some((ops, verdict));
            cells.push((cpu_ns() - start) as f64 / runs as f64);
        }
        let (ops, verdict) = seen.expect("measured");
        if tsv {
            println!("{}\t{ops}\t{}\t{:.0}\t{:.0}", case.name, verdict.name(), cells[0], cells[1]);
        } else {
            println!("| {} | {ops} | {} | {} | {} |", case.name, verdict.name(), human(cells[0]), human(cells[1]));
        }
    }
}

fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}
