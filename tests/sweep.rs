//! Seed sweeps with random faults (crashes, pauses, partitions, lossy and duplicating links,
//! slow nodes, skewed clocks). Each failure prints the seed and the scenario that reproduces it.

use std::panic::{catch_unwind, AssertUnwindSafe};

use replicalab_core::checkers::AnomalyKind;
use replicalab_core::protocols::leader_follower::{AckPolicy, LeaderFollowerNode, SemiSync, SemiSyncMode};
use replicalab_core::scenario::{Fsync, Scenario};
use replicalab_core::time::MS;
use replicalab_core::view::Role;
use replicalab_core::{Sim, Simulation};
use replicalab_tests::{lf_scenario, random_faults, repro, with_fsync};

const SEEDS: u64 = 100;
const DURATION_MS: f64 = 4_000.0;
const QUIET_MS: f64 = 1_000.0;

fn faulty(n: usize, ack: AckPolicy, seed: u64) -> Scenario {
    let mut s = lf_scenario(n, ack, seed, 250.0);
    s.duration_ms = DURATION_MS;
    s.workload.as_mut().unwrap().stop_ms = Some(DURATION_MS - QUIET_MS);
    s.commands = random_faults(seed, n, DURATION_MS, QUIET_MS, 8);
    s
}

/// Runs the scenario to its end, turning a panic into a failure that names the seed.
fn run(s: &Scenario) -> Sim<LeaderFollowerNode> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let Simulation::LeaderFollower(mut sim) = Simulation::new(s) else {
            unreachable!("a leader-follower scenario")
        };
        sim.run_until((DURATION_MS as u64) * MS);
        sim.check_now();
        sim
    }));
    match result {
        Ok(sim) => sim,
        Err(_) => panic!("the simulator panicked; {}", repro(s)),
    }
}

fn policies() -> Vec<(&'static str, AckPolicy)> {
    vec![
        ("sync", AckPolicy::Sync),
        ("majority", AckPolicy::Majority),
        (
            "semi-sync first 2",
            AckPolicy::SemiSync(SemiSync { k: 2, mode: SemiSyncMode::First, priority: None, timeout_ms: None }),
        ),
    ]
}

#[test]
fn acknowledged_writes_are_never_lost_without_a_failover() {
    for (name, policy) in policies() {
        for seed in 0..SEEDS {
            let s = faulty(5, policy.clone(), seed);
            let sim = run(&s);
            let lost: Vec<_> = sim.anomalies().iter().filter(|a| a.kind == AnomalyKind::LostWrite).collect();
            assert!(lost.is_empty(), "{name}: lost {:?}; {}", lost, repro(&s));
            assert!(sim.metrics().ok > 100, "{name} seed {seed}: only {} ops succeeded", sim.metrics().ok);
        }
    }
}

#[test]
fn after_the_faults_heal_every_follower_catches_up() {
    for (name, policy) in policies().into_iter().chain([("async", AckPolicy::Async)]) {
        for seed in 0..SEEDS {
            let s = faulty(4, policy.clone(), seed);
            let sim = run(&s);
            let leaders: Vec<usize> = (0..4).filter(|&i| sim.node(i).role() == Role::Leader).collect();
            assert_eq!(leaders, vec![0], "{name}: leaders {leaders:?}; {}", repro(&s));
            let lead: Vec<(u64, u64)> = sim.node(0).log().iter().map(|e| (e.term, e.op)).collect();
            for i in 1..4 {
                let log: Vec<(u64, u64)> = sim.node(i).log().iter().map(|e| (e.term, e.op)).collect();
                assert!(
                    log == lead,
                    "{name}: n{i} has {} entries, the leader {}; {}",
                    log.len(),
                    lead.len(),
                    repro(&s)
                );
            }
        }
    }
}

#[test]
fn async_with_unflushed_crashes_sometimes_loses_acknowledged_writes() {
    let mut found = None;
    for seed in 0..SEEDS {
        let s = with_fsync(faulty(3, AckPolicy::Async, seed), Fsync::Every { ms: 300.0 });
        let sim = run(&s);
        if sim.anomalies().iter().any(|a| a.kind == AnomalyKind::LostWrite) {
            found = Some(seed);
            break;
        }
    }
    assert!(found.is_some(), "no seed in 0..{SEEDS} lost a write with async replication and lazy fsync");
}
