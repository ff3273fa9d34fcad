//! Multi-leader replication: writes stay available everywhere, replicas converge after heal,
//! conflicts are resolved as configured, and the ordering problem shows without version vectors.

use replicalab_core::conflict::ConflictResolution;
use replicalab_core::presets;
use replicalab_core::protocols::multi_leader::{MultiLeaderConfig, Topology};
use replicalab_core::scenario::{ProtocolConfig, Scenario};
use replicalab_core::time::{from_ms, MS};
use replicalab_core::Simulation;
use replicalab_tests::{anomaly_count as count, lf_scenario, random_faults, repro, run_report as run};

const SEEDS: u64 = 30;

fn ml(n: usize, cfg: MultiLeaderConfig, seed: u64) -> Scenario {
    let mut s = lf_scenario(n, Default::default(), seed, 150.0);
    s.protocol = ProtocolConfig::MultiLeader(cfg);
    s.workload.as_mut().unwrap().read_from = replicalab_core::protocol::ReadFrom::Local;
    s
}

#[test]
fn after_faults_heal_every_replica_converges() {
    let topologies = [Topology::AllToAll, Topology::Ring, Topology::Star { hub: 1 }];
    for topology in topologies {
        for conflicts in [ConflictResolution::Lww, ConflictResolution::Siblings] {
            for seed in 0..SEEDS {
                let cfg = MultiLeaderConfig { topology: topology.clone(), conflicts, ..Default::default() };
                let mut s = ml(4, cfg, seed);
                s.duration_ms = 6_000.0;
                s.workload.as_mut().unwrap().stop_ms = Some(3_500.0);
                s.commands = random_faults(seed, 4, 6_000.0, 2_500.0, 5);
                let r = run(&s);
                assert_eq!(count(&r, "divergence"), 0, "{topology:?} {conflicts:?}: {:?}; {}", r.anomalies, repro(&s));
                let Simulation::MultiLeader(mut sim) = Simulation::new(&s) else { unreachable!() };
                sim.run_until(from_ms(s.duration_ms));
                assert!(sim.quiet_for() >= 1_000 * MS, "the divergence check ran");
            }
        }
    }
}

#[test]
fn every_datacenter_keeps_accepting_writes_during_a_partition() {
    for seed in 0..5 {
        let mut s = presets::find("ml-partition-converge").unwrap().scenario().unwrap();
        s.seed = seed;
        let r = run(&s);
        let writes: Vec<_> = r.history.iter().filter(|o| o.f == "write").collect();
        assert!(writes.len() > 100);
        assert!(writes.iter().all(|o| o.outcome == "ok"), "seed {seed}: a write failed");
        assert_eq!(count(&r, "divergence"), 0, "seed {seed}: {:?}", r.anomalies);
    }
}

#[test]
fn last_write_wins_with_a_skewed_clock_loses_acknowledged_writes() {
    for seed in 0..5 {
        let mut s = presets::find("ml-lww-clock-skew").unwrap().scenario().unwrap();
        s.seed = seed;
        let r = run(&s);
        assert!(count(&r, "lost_write") > 0, "seed {seed}: {:?}", r.anomaly_counts);
        assert!(r.metrics.notes.get("lww_discard").copied().unwrap_or(0) > 0);
        // The same run with siblings keeps every write.
        let ProtocolConfig::MultiLeader(cfg) = &mut s.protocol else { unreachable!() };
        cfg.conflicts = ConflictResolution::Siblings;
        let r = run(&s);
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}: siblings lose nothing");
    }
}

#[test]
fn siblings_appear_and_are_resolved_by_writes_with_context() {
    let s = presets::find("ml-siblings").unwrap().scenario().unwrap();
    let r = run(&s);
    assert!(r.metrics.notes.get("conflict").copied().unwrap_or(0) > 0);
    let reads_with_siblings = r.history.iter().filter(|o| o.values.as_ref().is_some_and(|v| v.len() > 1)).count();
    assert!(reads_with_siblings > 0, "reads return concurrent values");
    let Simulation::MultiLeader(mut sim) = Simulation::new(&s) else { unreachable!() };
    sim.run_until(from_ms(s.duration_ms));
    let max_siblings =
        sim.view().nodes.iter().flat_map(|n| n.protocol.data.iter().map(|k| k.values.len())).max().unwrap_or(0);
    assert!(max_siblings <= 4, "writes with context keep siblings from piling up: {max_siblings}");
}

#[test]
fn the_ordering_problem_diverges_without_version_vectors_and_not_with_them() {
    let r = run(&presets::find("ml-ordering-last-arrival").unwrap().scenario().unwrap());
    assert_eq!(count(&r, "divergence"), 1, "{:?}", r.anomalies);
    let r = run(&presets::find("ml-ordering-version-vectors").unwrap().scenario().unwrap());
    assert_eq!(count(&r, "divergence"), 0, "{:?}", r.anomalies);
    assert!(
        r.metrics.notes.get("causal_gap").copied().unwrap_or(0) > 0,
        "version vectors detect the overtaking update"
    );
}

#[test]
fn a_broken_ring_stops_the_flow_until_the_node_returns() {
    let s = presets::find("ml-ring-break").unwrap().scenario().unwrap();
    let Simulation::MultiLeader(mut sim) = Simulation::new(&s) else { unreachable!() };
    sim.run_until(3_900 * MS);
    let from_n0: std::collections::BTreeSet<u64> = sim
        .history()
        .ops
        .iter()
        .filter(|o| o.client == 0 && o.kind.is_write() && o.invoke > 2_100 * MS)
        .filter_map(|o| o.written())
        .collect();
    assert!(from_n0.len() > 20, "n0 keeps accepting writes");
    let at_n2: Vec<u64> = sim.view().nodes[2].protocol.data.iter().flat_map(|k| k.values.clone()).collect();
    assert!(at_n2.iter().all(|v| !from_n0.contains(v)), "while n1 is down none of n0's writes reach n2: {at_n2:?}");
    sim.run_until(6_000 * MS);
    let view = sim.view();
    let data: Vec<Vec<Vec<u64>>> =
        view.nodes.iter().map(|n| n.protocol.data.iter().map(|k| k.values.clone()).collect()).collect();
    assert!(data.windows(2).all(|w| w[0] == w[1]), "converged after n1 returns: {data:?}");
}

/// Keys 0-1 are counters, 2-3 sets, the rest last-write-wins registers.
fn merging(topology: Topology) -> MultiLeaderConfig {
    use replicalab_core::protocols::multi_leader::KeySpace;
    MultiLeaderConfig {
        topology,
        key_spaces: vec![
            KeySpace { from: 0, to: 1, conflicts: ConflictResolution::Counter },
            KeySpace { from: 2, to: 3, conflicts: ConflictResolution::Set },
        ],
        ..Default::default()
    }
}

#[test]
fn merged_counters_keep_every_increment_through_faults_and_replicas_converge() {
    use replicalab_core::history::Outcome;
    use replicalab_core::protocol::{counter_value, OpKind};
    for topology in [Topology::AllToAll, Topology::Ring] {
        for seed in 0..SEEDS {
            let mut s = ml(4, merging(topology.clone()), seed);
            s.duration_ms = 6_000.0;
            s.workload.as_mut().unwrap().stop_ms = Some(3_500.0);
            s.commands = random_faults(seed, 4, 6_000.0, 2_500.0, 5);
            let mut sim = Simulation::new(&s);
            sim.run_until(from_ms(s.duration_ms));
            let report = sim.report("test");
            assert_eq!(count(&report, "divergence"), 0, "{topology:?}: {:?}; {}", report.anomalies, repro(&s));
            for a in report.anomalies.iter().filter(|a| a.kind == "lost_write") {
                // Skewed clocks make last write wins lose register writes; merged keys lose nothing.
                assert!(report.history[a.ops[0] as usize].key >= 4, "{topology:?}: {}; {}", a.explanation, repro(&s));
            }
            let Simulation::MultiLeader(sim) = &sim else { unreachable!() };
            for key in 0..2 {
                // Acknowledged increments certainly count; those whose outcome is unknown may.
                let (mut acked, mut maybe) = (0i64, 0i64);
                for o in &sim.history().ops {
                    if let OpKind::Increment { key: k, by } = o.kind {
                        match o.completion.as_ref().map(|c| &c.outcome) {
                            Some(Outcome::Ok { .. }) if k == key => acked += by,
                            Some(Outcome::Unknown) | None if k == key => maybe += by,
                            _ => {}
                        }
                    }
                }
                assert!(acked > 0, "{topology:?} seed {seed}: the workload incremented k{key}");
                for (i, n) in sim.nodes().iter().enumerate() {
                    let v = counter_value(&n.read(key).0);
                    assert!(
                        (acked..=acked + maybe).contains(&v),
                        "{topology:?}: n{i} counts {v} for k{key}, acknowledged {acked} (+{maybe} unknown); {}",
                        repro(&s)
                    );
                }
            }
        }
    }
}

#[test]
fn one_cluster_mixes_key_spaces_a_skewed_clock_loses_register_writes_but_no_increment() {
    use replicalab_core::scenario::{Command, TimedCommand};
    let mut lost_somewhere = false;
    for seed in 0..5 {
        let mut s = presets::find("ml-crdt-merge").unwrap().scenario().unwrap();
        s.seed = seed;
        s.commands
            .push(TimedCommand { at_ms: 0.0, command: Command::Clock { node: 2, skew_ms: -400.0, drift_ppm: 0.0 } });
        let r = run(&s);
        assert_eq!(count(&r, "divergence"), 0, "seed {seed}: {:?}", r.anomalies);
        for a in r.anomalies.iter().filter(|a| a.kind == "lost_write") {
            let key = r.history[a.ops[0] as usize].key;
            assert_eq!(key, 5, "seed {seed}: only the last-write-wins key loses writes: {}", a.explanation);
            lost_somewhere = true;
        }
        assert!(r.metrics.notes.get("merge").copied().unwrap_or(0) > 0, "seed {seed}: concurrent updates merged");
    }
    assert!(lost_somewhere, "last write wins with a clock 400 ms behind lost no write in 5 seeds");
}

#[test]
fn the_crdt_preset_counts_every_increment_made_during_the_partition() {
    use replicalab_core::protocol::counter_value;
    let s = presets::find("ml-crdt-merge").unwrap().scenario().unwrap();
    let Simulation::MultiLeader(mut sim) = Simulation::new(&s) else { unreachable!() };
    sim.run_until(from_ms(s.duration_ms));
    let acked: i64 = sim
        .history()
        .ops
        .iter()
        .filter(|o| o.is_ok())
        .filter_map(|o| match o.kind {
            replicalab_core::protocol::OpKind::Increment { key: 0, by } => Some(by),
            _ => None,
        })
        .sum();
    let during =
        sim.history().ops.iter().filter(|o| o.key() == 0 && o.kind.is_write() && o.invoke > 2_000 * MS).count();
    assert!(during > 5, "increments happened during the partition");
    for n in sim.nodes() {
        assert_eq!(counter_value(&n.read(0).0), acked, "every acknowledged increment counts on every replica");
    }
}

/// Duplication is not amplification: with most messages on one link delivered twice (or
/// every message on every link), a multi-leader cluster does at most a few times the work of
/// the same run without duplicates, in every topology and resolution. (A duplicated old
/// acknowledgement used to rewind the sender's stream and resend it, and the resends'
/// duplicates did it again: tens of millions of events in half a simulated second.)
#[test]
fn duplicated_messages_never_start_a_resend_storm() {
    use replicalab_core::scenario::{Command, TimedCommand};
    for topology in [Topology::AllToAll, Topology::Ring, Topology::Star { hub: 1 }] {
        for conflicts in [ConflictResolution::Lww, ConflictResolution::Siblings] {
            for seed in 0..6 {
                let cfg = MultiLeaderConfig { topology: topology.clone(), conflicts, ..Default::default() };
                let mut s = ml(3, cfg, seed);
                s.duration_ms = 1_500.0;
                let events = |s: &Scenario| {
                    let mut sim = Simulation::new(s);
                    sim.run_until(from_ms(s.duration_ms));
                    sim.events()
                };
                let clean = events(&s);
                let (from, to, both) = if seed % 2 == 0 { (1, 0, false) } else { (0, 2, true) };
                let p = if seed < 3 { 0.8 } else { 0.95 };
                s.commands = vec![TimedCommand {
                    at_ms: 0.0,
                    command: Command::Link { from, to, both, latency: None, loss: None, duplicate: Some(p) },
                }];
                let noisy = events(&s);
                assert!(
                    noisy <= 10 * clean,
                    "{topology:?} {conflicts:?} seed {seed}: {noisy} events with duplicates, {clean} without; {}",
                    repro(&s)
                );
            }
        }
    }
}

/// A one-way cut, then a crash of the node it cut off while it held updates waiting for their
/// causal dependencies, then the heal: the replicas still converge once it is quiet. (The held
/// updates used to vanish in the crash while the stream position that covered them survived,
/// so nobody sent them again.)
#[test]
fn updates_held_for_their_dependencies_survive_a_crash() {
    use replicalab_core::scenario::{Command, TimedCommand};
    let mut diverged = Vec::new();
    for seed in 0..40 {
        let cfg = MultiLeaderConfig {
            topology: Topology::AllToAll,
            conflicts: ConflictResolution::Lww,
            ..Default::default()
        };
        let mut s = ml(3, cfg, seed);
        s.duration_ms = 8_000.0;
        s.workload.as_mut().unwrap().stop_ms = Some(5_500.0);
        let at = |ms: f64, command: Command| TimedCommand { at_ms: ms + (seed % 7) as f64 * 37.0, command };
        s.commands = vec![
            at(2_126.0, Command::Cut { from: 1, to: 0, both: false }),
            at(3_218.0, Command::Crash { node: 0 }),
            at(4_262.0, Command::Restart { node: 0 }),
            at(5_376.0, Command::Uncut { from: 1, to: 0, both: false }),
        ];
        let r = run(&s);
        if count(&r, "divergence") > 0 {
            diverged.push((seed, repro(&s)));
        }
    }
    assert!(diverged.is_empty(), "{} of 40 seeds diverge; the first: {}", diverged.len(), diverged[0].1);
}
