//! WARS Monte Carlo trials per second for each latency profile (N = 3, R = W = 1, four `t`).
//!
//! Run with `cargo bench -p replicalab-core --bench pbs`. Criterion reports the throughput in
//! elements per second, where an element is one trial (one write and one read, with their
//! latencies and staleness window recorded and consistency evaluated at each `t`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use replicalab_core::pbs::{Estimator, Profile, WarsConfig};

const TRIALS: u64 = 100_000;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("pbs_trials_n3_r1_w1");
    group.sample_size(20);
    group.throughput(Throughput::Elements(TRIALS));
    for profile in [
        Profile::LnkdSsd,
        Profile::LnkdDisk,
        Profile::Ymmr,
        Profile::Wan,
        Profile::Exponential { w_lambda: 0.1, ars_lambda: 1.0 },
    ] {
        let cfg = WarsConfig::new(3, 1, 1, profile).expect("valid configuration");
        group.bench_with_input(BenchmarkId::from_parameter(profile), &cfg, |b, cfg| {
            b.iter(|| {
                let mut e = Estimator::new(*cfg, &[0.0, 1.0, 5.0, 10.0], 1).expect("valid times");
                e.step(TRIALS);
                e.estimate().points[0].consistent
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("pbs_trials_lnkd_disk");
    group.sample_size(20);
    group.throughput(Throughput::Elements(TRIALS));
    for (n, r, w) in [(3, 2, 2), (5, 1, 1), (10, 3, 3)] {
        let cfg = WarsConfig::new(n, r, w, Profile::LnkdDisk).expect("valid configuration");
        group.bench_with_input(BenchmarkId::from_parameter(format!("n{n}_r{r}_w{w}")), &cfg, |b, cfg| {
            b.iter(|| {
                let mut e = Estimator::new(*cfg, &[0.0, 1.0, 5.0, 10.0], 1).expect("valid times");
                e.step(TRIALS);
                e.estimate().points[0].consistent
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
