//! Simulated events per second for 3, 5 and 9 nodes under a steady write workload.
//!
//! Run with `cargo bench -p replicalab-core --bench sim`. Criterion reports the throughput in
//! elements per second, where an element is one simulated event.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use replicalab_core::time::MS;
use replicalab_core::{Scenario, Simulation};

fn scenario(nodes: usize) -> Scenario {
    let json = format!(
        r#"{{
        "format": "replicalab-scenario", "version": 1, "name": "bench-{nodes}", "seed": 1,
        "cluster": {{ "nodes": {nodes}, "network": {{ "latency": {{ "uniform": {{ "min_ms": 1, "max_ms": 5 }} }} }} }},
        "protocol": {{ "leader_follower": {{ "ack": "majority" }} }},
        "workload": {{ "rate_per_s": 2000, "read_fraction": 0.0, "keys": 100 }}
    }}"#
    );
    Scenario::from_json(&json).expect("bench scenario is valid")
}

const SIMULATED_MS: u64 = 1_000;

fn events(s: &Scenario) -> u64 {
    let mut sim = Simulation::new(s);
    sim.run_until(SIMULATED_MS * MS);
    sim.events()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("steady_writes_2000_per_s");
    group.sample_size(20);
    for nodes in [3, 5, 9] {
        let s = scenario(nodes);
        group.throughput(Throughput::Elements(events(&s)));
        group.bench_with_input(BenchmarkId::new("nodes", nodes), &s, |b, s| {
            b.iter(|| {
                let mut sim = Simulation::new(s);
                sim.run_until(SIMULATED_MS * MS);
                sim.events()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
