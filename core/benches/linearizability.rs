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
//! measured. The list of cases is `support/corpus.rs`, shared with `core/examples/check_table.rs`
//! (the table of CPU time per file).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use replicalab_core::checkers::linearizability::CheckConfig;

#[path = "support/corpus.rs"]
mod corpus;

fn bench(c: &mut Criterion) {
    let modes = [("verdict", CheckConfig::verdict()), ("all", CheckConfig::default())];
    let mut group = c.benchmark_group("check");
    group.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for case in corpus::cases("") {
        for (mode, config) in &modes {
            group.bench_with_input(BenchmarkId::new(*mode, &case.name), &case, |b, case| {
                b.iter(|| black_box(case).check(config).verdict)
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
