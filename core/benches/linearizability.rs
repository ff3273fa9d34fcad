//! The linearizability checker on Porcupine's test data: the 102 etcd histories (compare-and-set
//! register) and the 50-client key-value histories.
//!
//! Run with `cargo bench -p replicalab-core --bench linearizability`. It reads
//! `../shared/data/porcupine/` next to the project root and measures nothing (with a note)
//! when that is absent. Files are read and parsed before timing; a measured iteration turns
//! the parsed events into operations and checks them with the default configuration, which
//! includes shrinking each violation to a minimal window. The `verdict only` variants switch
//! shrinking off, which is what Porcupine's own benchmarks measure.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use replicalab_core::checkers::linearizability::jepsen::{self, RegisterReading};
use replicalab_core::checkers::linearizability::kv::{KvAppend, KvOp};
use replicalab_core::checkers::linearizability::register::Register;
use replicalab_core::checkers::linearizability::{check, check_whole, CheckConfig, Verdict};
use replicalab_core::formats::{self, Event, Format, PairedOp};

struct Parsed {
    name: String,
    events: Vec<Event>,
    paired: Vec<PairedOp>,
}

fn porcupine() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/porcupine/test_data");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("linearizability bench: {} is absent, nothing to measure", dir.display());
        None
    }
}

fn parse(path: &Path, format: Format) -> Parsed {
    let text = std::fs::read_to_string(path).expect("readable history");
    let events = formats::parse(format, &text).expect("well-formed history");
    let paired = formats::pair(&events).expect("paired history");
    Parsed { name: path.file_stem().unwrap().to_string_lossy().into_owned(), events, paired }
}

fn etcd(p: &Parsed, config: &CheckConfig) -> Verdict {
    let ops = jepsen::register_ops(&p.events, &p.paired, RegisterReading::PORCUPINE_ETCD).expect("register ops");
    check_whole(&mut Register::new(None), &ops.ops, config).verdict
}

fn kv(p: &Parsed, config: &CheckConfig) -> Verdict {
    let mut m = KvAppend::new();
    let ops = jepsen::kv_ops(&p.events, &p.paired, &mut m).expect("kv ops");
    check(&mut m, &ops.ops, |op: &KvOp| op.key.clone(), config).verdict
}

fn bench(c: &mut Criterion) {
    let Some(dir) = porcupine() else { return };
    let full = CheckConfig::default();
    let verdict_only = CheckConfig { minimize: false, ..CheckConfig::default() };

    let mut logs: Vec<Parsed> = std::fs::read_dir(dir.join("jepsen"))
        .expect("jepsen/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| parse(&p, Format::PorcupineEtcd))
        .filter(|p| !p.events.is_empty())
        .collect();
    logs.sort_by(|a, b| a.name.cmp(&b.name));

    let mut group = c.benchmark_group("etcd");
    group.throughput(Throughput::Elements(logs.len() as u64));
    group.bench_function("all 102 histories", |b| {
        b.iter(|| logs.iter().map(|p| etcd(black_box(p), &full)).filter(|v| *v == Verdict::Linearizable).count())
    });
    group.bench_function("all 102 histories, verdict only", |b| {
        b.iter(|| {
            logs.iter().map(|p| etcd(black_box(p), &verdict_only)).filter(|v| *v == Verdict::Linearizable).count()
        })
    });
    group.finish();

    // The histories Porcupine takes longest on (002 and 007), the one we take longest on
    // (099), and a typical violation (000).
    let mut group = c.benchmark_group("etcd history");
    for name in ["etcd_000", "etcd_002", "etcd_007", "etcd_099"] {
        let Some(p) = logs.iter().find(|p| p.name == name) else { continue };
        group.bench_with_input(BenchmarkId::new("full", name), p, |b, p| b.iter(|| etcd(black_box(p), &full)));
        group.bench_with_input(BenchmarkId::new("verdict only", name), p, |b, p| {
            b.iter(|| etcd(black_box(p), &verdict_only))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("kv");
    group.sample_size(20);
    for name in ["c50-ok", "c50-bad"] {
        let p = parse(&dir.join("kv").join(format!("{name}.txt")), Format::PorcupineKv);
        group.bench_with_input(BenchmarkId::new("full", name), &p, |b, p| b.iter(|| kv(black_box(p), &full)));
        group.bench_with_input(BenchmarkId::new("verdict only", name), &p, |b, p| {
            b.iter(|| kv(black_box(p), &verdict_only))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
