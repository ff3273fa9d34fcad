//! The linearizability checker on every shared history (Porcupine's 102 etcd logs and six
//! key-value logs, Knossos's 122 EDN histories) and on generated ones: key-value histories of
//! 200 clients and 50,000 operations, compare-and-set histories with timeouts and an
//! impossible read.
//!
//! Run with `cargo bench -p replicalab-core --bench linearizability` (every file: about ten
//! minutes), or pass a filter: `cargo bench -p replicalab-core --bench linearizability --
//! c50`. A measured iteration does what `replicalab check FILE` does: read the text, pair the
//! events, convert them and check them (`file::check_text`), on the verdict-only path (the
//! command line's default: stop at the first violating key) and on the report path (`--all`:
//! every key, each violation shrunk to a minimal window). Shared files are read from
//! `../shared/data/` next to the project root; without it only the generated histories are
//! measured. For a table of CPU time per file, see `core/examples/check_table.rs`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use replicalab_core::checkers::linearizability::file::{self, FileCheck, ModelKind};
use replicalab_core::checkers::linearizability::CheckConfig;
use replicalab_core::formats::generate::{self, GenSpec};
use replicalab_core::formats::Format;

struct Case {
    name: String,
    format: Format,
    model: ModelKind,
    text: String,
}

fn files(dir: &Path, ext: &str, format: Format, model: ModelKind, prefix: &str, out: &mut Vec<Case>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> =
        rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == ext)).collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("readable history");
        if text.trim().is_empty() {
            continue;
        }
        let name = format!("{prefix}{}", p.file_stem().unwrap().to_string_lossy());
        out.push(Case { name, format, model, text });
    }
}

fn cases() -> Vec<Case> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    let mut out = Vec::new();
    if data.is_dir() {
        let p = data.join("porcupine/test_data");
        files(&p.join("jepsen"), "log", Format::PorcupineEtcd, ModelKind::CasRegister, "", &mut out);
        files(&p.join("kv"), "txt", Format::PorcupineKv, ModelKind::Kv, "", &mut out);
        let k = data.join("knossos/data");
        let (edn, reg) = (Format::JepsenEdn, ModelKind::CasRegister);
        files(&k.join("cas-register/good"), "edn", edn, reg, "knossos-good-", &mut out);
        files(&k.join("cas-register/bad"), "edn", edn, reg, "knossos-bad-", &mut out);
        files(&k.join("multi-register/good"), "edn", edn, ModelKind::MultiRegister, "knossos-good-", &mut out);
        files(&k.join("mutex/bad"), "edn", edn, ModelKind::Mutex, "knossos-bad-", &mut out);
    } else {
        eprintln!("linearizability bench: {} is absent; generated histories only", data.display());
    }
    let kv = GenSpec { clients: 200, ops: 50_000, keys: 50, timeout_ppm: 10_000, seed: 1 };
    let (f, m) = (Format::PorcupineKv, ModelKind::Kv);
    out.push(Case { name: "gen-kv-200c-50k".into(), format: f, model: m, text: generate::kv_history(&kv) });
    out.push(Case { name: "gen-kv-200c-50k-stale".into(), format: f, model: m, text: generate::kv_history_bad(&kv) });
    for (clients, ops, ppm) in [(5, 1000, 10_000), (20, 5000, 50_000)] {
        let spec = GenSpec { clients, ops, keys: 1, timeout_ppm: ppm, seed: 3 };
        let (f, m) = (Format::JepsenEdn, ModelKind::CasRegister);
        let name = format!("gen-cas-{clients}c-{ops}-impossible");
        out.push(Case { name, format: f, model: m, text: generate::cas_history(&spec, true) });
    }
    out
}

fn bench(c: &mut Criterion) {
    let modes = [("verdict", CheckConfig::verdict()), ("all", CheckConfig::default())];
    let mut group = c.benchmark_group("check");
    group.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for case in cases() {
        for (mode, config) in &modes {
            let how = FileCheck {
                format: Some(case.format),
                model: Some(case.model),
                config: config.clone(),
                ..FileCheck::default()
            };
            group.bench_with_input(BenchmarkId::new(*mode, &case.name), &case.text, |b, text| {
                b.iter(|| file::check_text(black_box(text), &how).expect("checkable").verdict)
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
