//! The measured comparison shows the seed article's table as properties over several seeds:
//! sync loses nothing acknowledged but writes slower than async; async sometimes loses
//! acknowledged writes when the leader fails; multi-leader keeps accepting writes through a
//! partition; strict leaderless quorums never read stale; and the whole comparison is
//! deterministic. Every failure prints the seed and the contender's scenario.

use replicalab_core::compare::{self, CompareOptions, Comparison, Contender};
use replicalab_core::scenario::{Command, Scenario, TimedCommand};
use replicalab_tests::repro;

/// Seeds every property runs over (short enough for a few seconds in the dev profile).
const SEEDS: [u64; 4] = [1, 2, 3, 4];

/// The default scenario's partition window, in milliseconds.
const PARTITION: (f64, f64) = (5_000.0, 6_500.0);

fn base(seed: u64) -> Scenario {
    let mut s = compare::default_scenario();
    s.seed = seed;
    s
}

fn compare_one(seed: u64, contenders: &[Contender]) -> Comparison {
    let options = CompareOptions { contenders: contenders.to_vec(), seeds: vec![seed], until_ms: None };
    compare::compare(&base(seed), &options).unwrap_or_else(|e| panic!("seed {seed}: compare failed: {e}"))
}

/// The scenario a contender ran with a seed, for failure messages.
fn repro_of(seed: u64, c: Contender) -> String {
    let (s, _, _) = compare::contender_scenario(&base(seed), c);
    repro(&s)
}

#[test]
fn the_default_scenario_exercises_crash_and_partition() {
    let s = compare::default_scenario();
    assert_eq!(s.cluster.nodes, 5);
    let names: Vec<&str> = s.commands.iter().map(|c| c.command.name()).collect();
    for expected in ["crash", "restart", "partition", "heal"] {
        assert!(names.contains(&expected), "the default scenario has no {expected}: {names:?}");
    }
    let partition = s.commands.iter().find(|c| c.command.name() == "partition").unwrap();
    assert_eq!(partition.at_ms, PARTITION.0);
}

#[test]
fn sync_loses_no_acknowledged_write_and_writes_slower_than_async() {
    for seed in SEEDS {
        let c = compare_one(seed, &[Contender::Sync, Contender::Async]);
        let (sync, asynch) = (c.row(Contender::Sync).unwrap(), c.row(Contender::Async).unwrap());
        assert_eq!(sync.lost_writes, 0, "sync lost acknowledged writes; {}", repro_of(seed, Contender::Sync));
        assert_eq!(sync.anomalies.lost_writes, 0, "seed {seed}");
        assert!(sync.write_latency_ms.count > 0 && asynch.write_latency_ms.count > 0, "seed {seed}: no writes");
        assert!(
            sync.write_latency_ms.p50 > asynch.write_latency_ms.p50,
            "seed {seed}: sync write p50 {} ms is not above async's {} ms",
            sync.write_latency_ms.p50,
            asynch.write_latency_ms.p50
        );
    }
}

#[test]
fn async_sometimes_loses_acknowledged_writes_when_the_leader_fails() {
    let mut losing = Vec::new();
    for seed in SEEDS {
        let c = compare_one(seed, &[Contender::Async]);
        let row = c.row(Contender::Async).unwrap();
        assert_eq!(row.lost_writes, row.anomalies.lost_writes, "seed {seed}");
        if row.lost_writes > 0 {
            losing.push(seed);
        }
    }
    assert!(
        !losing.is_empty(),
        "async lost no acknowledged write in any of the seeds {SEEDS:?}; the first: {}",
        repro_of(SEEDS[0], Contender::Async)
    );
}

/// Writes invoked during the partition window that were acknowledged.
fn writes_acked_during_partition(seed: u64, c: Contender) -> usize {
    let (s, _, _) = compare::contender_scenario(&base(seed), c);
    let report = replicalab_tests::run_report(&s);
    report
        .history
        .iter()
        .filter(|op| op.f == "write" && op.outcome == "ok")
        .filter(|op| op.invoke_ms >= PARTITION.0 && op.invoke_ms < PARTITION.1)
        .count()
}

#[test]
fn multi_leader_keeps_accepting_writes_during_the_partition() {
    for seed in SEEDS {
        let c = compare_one(seed, &[Contender::Sync, Contender::Multi]);
        let (sync, multi) = (c.row(Contender::Sync).unwrap(), c.row(Contender::Multi).unwrap());
        assert!(
            multi.ok_share > sync.ok_share,
            "seed {seed}: multi-leader ok share {:.3} is not above sync's {:.3}; {}",
            multi.ok_share,
            sync.ok_share,
            repro_of(seed, Contender::Multi)
        );
        assert_eq!(multi.ops_failed, 0, "seed {seed}: multi-leader refused operations");
        let (m, s) = (
            writes_acked_during_partition(seed, Contender::Multi),
            writes_acked_during_partition(seed, Contender::Sync),
        );
        assert!(
            m > 0,
            "seed {seed}: multi-leader acknowledged no write during the partition; {}",
            repro_of(seed, Contender::Multi)
        );
        assert!(m > s, "seed {seed}: multi-leader acknowledged {m} writes during the partition, sync {s}");
    }
}

#[test]
fn leaderless_with_strict_quorums_has_no_stale_reads() {
    for seed in SEEDS {
        let c = compare_one(seed, &[Contender::Leaderless]);
        let row = c.row(Contender::Leaderless).unwrap();
        assert!(row.settings.contains("W=2, R=2"), "seed {seed}: {}", row.settings);
        assert!(row.read_latency_ms.count > 0, "seed {seed}: no read succeeded");
        assert_eq!(
            row.anomalies.stale_reads,
            0,
            "strict quorums read stale; {}",
            repro_of(seed, Contender::Leaderless)
        );
    }
}

#[test]
fn the_comparison_is_deterministic_and_aggregates_its_seeds() {
    let options = CompareOptions { seeds: vec![1, 2], ..Default::default() };
    let a = compare::compare(&base(1), &options).unwrap();
    let b = compare::compare(&base(1), &options).unwrap();
    assert_eq!(a, b, "two comparisons of the same input differ");
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    assert_eq!(a.rows.iter().map(|r| r.contender).collect::<Vec<_>>(), Contender::ALL.to_vec());
    assert_eq!(a.seeds, vec![1, 2]);
    assert!(a.aggregation.contains("sums"), "{}", a.aggregation);
    for row in &a.rows {
        assert_eq!(row.runs.iter().map(|r| r.seed).collect::<Vec<_>>(), vec![1, 2], "{}", row.contender);
        assert_eq!(row.ops_ok, row.runs.iter().map(|r| r.ops_ok).sum::<u64>(), "{}", row.contender);
        assert_eq!(row.lost_writes, row.runs.iter().map(|r| r.lost_writes).sum::<usize>(), "{}", row.contender);
        assert_eq!(row.anomalies.total, row.runs.iter().map(|r| r.anomalies).sum::<usize>(), "{}", row.contender);
        // Each seed's run is the contender scenario run on its own: same trace hash.
        for run in &row.runs {
            let (mut s, _, _) = compare::contender_scenario(&base(1), row.contender);
            s.seed = run.seed;
            let report = replicalab_tests::run_report(&s);
            assert_eq!(report.trace_hash, run.trace_hash, "{} seed {}", row.contender, run.seed);
        }
    }
    // The contenders really differ, and different seeds really differ.
    let hashes: Vec<&str> = a.rows.iter().map(|r| r.runs[0].trace_hash.as_str()).collect();
    assert!(hashes.windows(2).all(|w| w[0] != w[1]), "{hashes:?}");
    assert!(a.rows.iter().all(|r| r.runs[0].trace_hash != r.runs[1].trace_hash));
}

#[test]
fn commands_a_family_cannot_run_are_dropped_not_errors() {
    let mut s = base(1);
    s.duration_ms = 1_500.0;
    s.commands = vec![
        TimedCommand { at_ms: 300.0, command: Command::Promote { node: 2 } },
        TimedCommand { at_ms: 400.0, command: Command::Increment { client: 0, key: 1, by: 1, node: None } },
        TimedCommand { at_ms: 500.0, command: Command::Slow { node: 1, factor: 5.0 } },
        TimedCommand { at_ms: 600.0, command: Command::Clock { node: 2, skew_ms: 50.0, drift_ppm: 0.0 } },
        TimedCommand { at_ms: 700.0, command: Command::Cut { from: 0, to: 1, both: true } },
        TimedCommand { at_ms: 800.0, command: Command::Heal {} },
        TimedCommand { at_ms: 900.0, command: Command::Demote { node: 2 } },
    ];
    let c = compare::compare(&s, &CompareOptions::default()).unwrap();
    for row in &c.rows {
        let expected: Vec<&str> = match row.contender {
            Contender::Sync | Contender::Async => vec!["400 increment"],
            _ => vec!["300 promote", "400 increment", "900 demote"],
        };
        assert_eq!(row.dropped_commands, expected, "{}", row.contender);
        assert!(row.ops_ok > 0, "{}: nothing succeeded", row.contender);
    }
}

#[test]
fn any_family_can_be_the_base() {
    for preset in ["ml-partition-converge", "ll-strict-quorum", "lf-sync", "patroni-coordinator"] {
        let mut s = replicalab_core::presets::find(preset).unwrap().scenario().unwrap();
        s.duration_ms = s.duration_ms.min(2_000.0);
        let c = compare::compare(&s, &CompareOptions::default()).unwrap_or_else(|e| panic!("{preset}: {e}"));
        assert_eq!(c.rows.len(), 4, "{preset}");
        assert!(c.rows.iter().all(|r| r.ops_ok > 0), "{preset}: a contender did nothing");
        if preset == "ml-partition-converge" {
            let multi = c.row(Contender::Multi).unwrap();
            assert!(multi.settings.starts_with("3 datacenters"), "{preset}: {}", multi.settings);
        }
    }
}
