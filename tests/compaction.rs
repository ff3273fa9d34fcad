//! Compaction keeps memory bounded on long runs, and changes nothing a run shows while its
//! horizon is longer than anything the run waits for (latencies, timeouts, faults).

use replicalab_core::presets;
use replicalab_core::protocols::leader_follower::LeaderFollowerNode;
use replicalab_core::sim::{Compaction, Footprint};
use replicalab_core::time::{from_ms, SEC};
use replicalab_core::Simulation;

fn run(name: &str, seed: u64, compaction: Option<Compaction>, until_ms: f64) -> Simulation {
    let mut scenario = presets::find(name).unwrap().scenario().unwrap();
    scenario.seed = seed;
    scenario.duration_ms = scenario.duration_ms.max(until_ms);
    if let Some(w) = scenario.workload.as_mut() {
        w.stop_ms = None;
    }
    let mut sim = Simulation::new(&scenario);
    sim.set_compaction(compaction);
    sim.run_until(from_ms(until_ms));
    sim
}

fn anomalies(s: &Simulation) -> Vec<String> {
    // (Kind, operations and time: the explanation follows from them.)
    s.anomalies().iter().map(|a| format!("{:?} {:?} {}", a.kind, a.ops, a.time)).collect()
}

fn compacted_log(sim: &Simulation) -> usize {
    match sim {
        Simulation::LeaderFollower(s) => {
            s.nodes().iter().map(|n: &LeaderFollowerNode| n.full_log().base()).max().unwrap_or(0)
        }
        _ => 0,
    }
}

/// Always: with a 10 s horizon (longer than any fault, stall or timeout in the presets) and
/// compaction every 64 operations, every preset on two seeds, run 30 s past its scripted
/// end with its workload going on, reaches the same trace hash with the same anomalies as
/// without compaction — while compaction drops most operations and log prefixes.
#[test]
fn compaction_with_a_long_horizon_changes_nothing() {
    let c = Compaction { horizon: 10 * SEC, every_ops: 64, ..Compaction::default() };
    let (mut dropped, mut total, mut logs) = (0u64, 0usize, 0usize);
    let (mut lf_runs, mut lf_same) = (0, 0);
    for p in presets::PRESETS {
        let until = p.scenario().unwrap().duration_ms + 30_000.0;
        for seed in 1..=2 {
            let plain = run(p.name, seed, None, until);
            let sim = run(p.name, seed, Some(c), until);
            let (a, b) = (anomalies(&sim), anomalies(&plain));
            let b = &b[sim.anomalies_dropped().min(b.len())..];
            let first = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
            assert!(
                a == b,
                "preset {} seed {seed}: compaction changed the anomalies ({} vs {}); first difference:\n{:?}\n{:?}",
                p.name,
                a.len(),
                b.len(),
                a.get(first),
                b.get(first)
            );
            // Leader-follower: a leader that resends to a follower it has not heard from starts at
            // the end of the compacted prefix rather than at the start of the log (the follower
            // holds that prefix), so the messages — and the trace hash — may differ while
            // everything the checkers see stays the same. The other families: the same trace.
            if matches!(sim, Simulation::LeaderFollower(_)) {
                lf_runs += 1;
                lf_same += usize::from(sim.trace_hash() == plain.trace_hash());
            } else {
                assert_eq!(
                    sim.trace_hash(),
                    plain.trace_hash(),
                    "preset {} seed {seed}: compaction changed the trace",
                    p.name
                );
            }
            assert_eq!(sim.history().len(), plain.history().len());
            dropped += sim.history().first_id();
            total += sim.history().len();
            logs += compacted_log(&sim);
        }
    }
    println!(
        "dropped {dropped} of {total} operations; {logs} log entries compacted; {lf_same} of {lf_runs} leader-follower runs with the same trace hash"
    );
    // Not vacuous: compaction did drop operations and log prefixes.
    assert!(dropped * 5 > total as u64, "only {dropped} of {total} operations dropped");
    assert!(logs > 1000, "only {logs} log entries compacted");
}

/// The run's report keeps counting what compaction dropped: operation totals, availability
/// and latency quantiles (to the folded resolution of three significant digits).
#[test]
fn reports_count_what_compaction_dropped() {
    for name in ["lf-async", "ll-partial-quorum", "ml-siblings"] {
        let mut plain = run(name, 7, None, 60_000.0);
        let mut sim =
            run(name, 7, Some(Compaction { horizon: 5 * SEC, every_ops: 256, ..Compaction::default() }), 60_000.0);
        assert!(sim.history().first_id() > 0, "{name}: nothing dropped");
        let (a, b) = (plain.report(name), sim.report(name));
        assert_eq!(a.metrics.ops_ok, b.metrics.ops_ok, "{name}");
        assert_eq!(a.metrics.ops_failed, b.metrics.ops_failed, "{name}");
        assert_eq!(a.metrics.write_latency_ms.count, b.metrics.write_latency_ms.count, "{name}");
        for (x, y) in [
            (a.metrics.write_latency_ms.p50, b.metrics.write_latency_ms.p50),
            (a.metrics.write_latency_ms.p99, b.metrics.write_latency_ms.p99),
            (a.metrics.read_latency_ms.p50, b.metrics.read_latency_ms.p50),
            (a.metrics.read_latency_ms.max, b.metrics.read_latency_ms.max),
        ] {
            assert!((x - y).abs() <= x.abs() * 0.001 + 0.001, "{name}: {x} vs {y}");
        }
    }
}

fn grows(early: Footprint, late: Footprint) -> Vec<&'static str> {
    let mut out = Vec::new();
    let check = |what: &'static str, a: usize, b: usize, out: &mut Vec<&'static str>| {
        // Bounded: the late figure may wobble with the workload, not grow with the run.
        if b > a + a / 2 + 200 {
            out.push(what);
        }
    };
    check("ops", early.ops, late.ops, &mut out);
    check("archived", early.archived, late.archived, &mut out);
    check("writers", early.writers, late.writers, &mut out);
    check("checker_refs", early.checker_refs, late.checker_refs, &mut out);
    check("node_entries", early.node_entries, late.node_entries, &mut out);
    check("linearizability", early.linearizability, late.linearizability, &mut out);
    out
}

/// Always: on long runs of every family (with faults early on), what the simulation holds
/// after 20 minutes is no more than after 5 (give or take the workload's wobble); without
/// compaction it grows with the run.
#[test]
fn memory_stays_bounded_on_long_runs() {
    let c = Compaction { horizon: 20 * SEC, every_ops: 2048, ..Compaction::default() };
    for name in [
        "lf-async",
        // (Their session checkers' references grew by about 5,000 a minute.)
        "lf-semi-sync-first",
        "postgres-sync-any",
        "lf-async-crash-unflushed",
        "failover-async-loss",
        "split-brain-naive",
        "redis-sentinel",
        "ml-siblings",
        "ml-partition-converge",
        "ll-partial-quorum",
        "ll-sloppy-hinted-handoff",
        "riak-siblings",
        // (The linearizability monitor kept the unknown writes of clients stuck on the
        // powered-off node, about 2,400 a minute.)
        "split-brain-stonith",
        "ml-crdt-merge",
        // (Followers under `visibility: commit` held every log entry: only a leader's reads
        // wait for the commit, so only its commit point holds compaction back.)
        "mysql-semisync",
    ] {
        let mut scenario = presets::find(name).unwrap().scenario().unwrap();
        scenario.duration_ms = 1_300_000.0;
        if let Some(w) = scenario.workload.as_mut() {
            w.stop_ms = None;
        }
        scenario.commands.retain(|c| !matches!(c.command, replicalab_core::Command::StopWorkload { .. }));
        let mut sim = Simulation::new(&scenario);
        sim.set_compaction(Some(c));
        sim.run_until(from_ms(300_000.0));
        let early = sim.footprint();
        sim.run_until(from_ms(1_200_000.0));
        let late = sim.footprint();
        let mut grown = grows(early, late);
        // Kept anomalies are capped; latency samples wait at most one round to be folded.
        if late.anomalies > replicalab_core::sim::MAX_KEPT_ANOMALIES {
            grown.push("anomalies");
        }
        if late.latencies as u64 > c.every_ops {
            grown.push("latencies");
        }
        println!("{name}: {} ops; at 5 min {early:?}; at 20 min {late:?}", sim.history().len());
        assert!(grown.is_empty(), "{name}: {grown:?} grew from {early:?} to {late:?}");
        assert!(sim.history().len() > 4 * early.ops, "{name}: the run was too short to show anything");
        // Without compaction the same run holds every operation.
        if name == "lf-async" {
            let mut plain = Simulation::new(&scenario);
            plain.set_compaction(None);
            plain.run_until(from_ms(1_200_000.0));
            assert_eq!(plain.footprint().ops, plain.history().len());
            assert!(plain.footprint().ops > 10 * late.ops, "{:?}", plain.footprint());
        }
    }
}

/// The default compaction (a minute) on a five-minute run of the default preset: the run is
/// the same — same trace hash, same anomalies — as without compaction.
#[test]
fn the_default_compaction_leaves_a_long_run_unchanged() {
    let a = run("lf-async", 1, None, 300_000.0);
    let b = run("lf-async", 1, Some(Compaction::default()), 300_000.0);
    assert!(b.history().first_id() > 40_000, "{} dropped", b.history().first_id());
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_eq!(anomalies(&a)[b.anomalies_dropped()..], anomalies(&b)[..]);
}

/// A follower that stays down does not hold the others' logs back for ever: once it is more
/// than `MAX_LOG_LAG` entries behind, the others compact past it, and when it comes back it
/// installs the leader's snapshot and catches up to the same data.
#[test]
fn a_follower_down_for_long_catches_up_from_a_snapshot() {
    use replicalab_core::protocols::leader_follower::MAX_LOG_LAG;
    use replicalab_core::Command;
    let scenario = presets::find("lf-async").unwrap().scenario().unwrap();
    let mut scenario = scenario;
    scenario.duration_ms = 3_600_000.0;
    let mut sim = Simulation::new(&scenario);
    sim.run_until(from_ms(1_000.0));
    sim.apply(Command::Crash { node: 2 }).unwrap();
    sim.run_until(from_ms(300_000.0));
    let early = sim.footprint();
    sim.run_until(from_ms(600_000.0));
    let late = sim.footprint();
    let Simulation::LeaderFollower(s) = &sim else { unreachable!() };
    let (lead, down) = (s.nodes()[0].full_log(), s.nodes()[2].full_log());
    assert!(
        lead.len() > down.len() + 2 * MAX_LOG_LAG,
        "the leader's log ({}) is far ahead of n2's ({})",
        lead.len(),
        down.len()
    );
    assert!(lead.base() > down.len(), "the live nodes compacted past n2's log");
    assert!(late.node_entries <= early.node_entries + early.node_entries / 2 + 200, "{early:?} → {late:?}");
    sim.apply(Command::Restart { node: 2 }).unwrap();
    sim.run_until(from_ms(630_000.0));
    sim.apply(Command::StopWorkload {}).unwrap();
    sim.run_until(from_ms(640_000.0));
    let Simulation::LeaderFollower(s) = &sim else { unreachable!() };
    let view = sim.view();
    assert_eq!(view.nodes[2].protocol.position, view.nodes[0].protocol.position, "n2 caught up");
    assert_eq!(view.nodes[2].protocol.data, view.nodes[0].protocol.data, "n2 holds the leader's data");
    assert!(s.nodes()[2].full_log().base() > 0, "n2 installed a snapshot");
    assert!(!sim.metrics().notes.contains_key("discarded"), "nothing was discarded");
    assert!(sim.anomalies().iter().all(|a| a.kind != replicalab_core::checkers::AnomalyKind::LostWrite));
}

/// Always: the verdicts of a run — every anomaly kind, with its count — are the same whether
/// compaction keeps everything or drops all but the last moments (half a second, and a tenth
/// of a second compacted every 8 operations), over 1,000 random fault schedules, the five
/// sweep families in turn (the linearizability check settles the dropped operations key by
/// key). Among what this found: a multi-leader update superseded at its origin but still in
/// the replication log for a partitioned peer, applied and read there later (its writer was
/// forgotten, so the stale read went unreported); a value read by an operation that returned
/// long after (a compare-and-set answering after a partition); a session's observation of a
/// write dropped from another session's log while a pending read still counted it.
#[test]
fn no_verdict_depends_on_compaction_under_random_faults() {
    use replicalab_core::explore;
    let tight = [
        Compaction { horizon: SEC / 2, every_ops: 32, ..Compaction::default() },
        Compaction { horizon: SEC / 10, every_ops: 8, ..Compaction::default() },
    ];
    let mut compacted = 0;
    let families = &explore::SweepFamily::ALL;
    for i in 0..1000u64 {
        let family = families[i as usize % families.len()];
        let base = explore::family(family, i);
        let s = explore::apply(&base, &explore::random_faults(i, base.cluster.nodes, 5));
        let report = |c: Option<Compaction>| {
            let mut sim = Simulation::new(&s);
            sim.set_compaction(c);
            sim.run_until(from_ms(s.duration_ms));
            let dropped = sim.history().dropped;
            (sim.report(&s.name).anomaly_counts, dropped)
        };
        let (plain, _) = report(None);
        for c in tight {
            let (counts, dropped) = report(Some(c));
            compacted += (dropped > 0) as u32;
            assert_eq!(
                counts,
                plain,
                "{family}, schedule {i}, horizon {} µs: {}",
                c.horizon,
                replicalab_tests::repro(&s)
            );
        }
    }
    assert!(compacted > 1500, "compaction dropped operations in only {compacted} of 2,000 runs");
}

/// Always: a node's backlog costs events in proportion to its length. With 48 nodes instead of
/// 5, `lf-async-lag`'s leader receives about ten times the acknowledgements, and the run takes
/// about ten times the events (it took 430 times when a busy node re-queued every waiting
/// input each time it was busy).
#[test]
fn a_busy_nodes_backlog_costs_events_in_proportion() {
    let events = |nodes: usize| {
        let mut s = presets::find("lf-async-lag").unwrap().scenario().unwrap();
        s.cluster.nodes = nodes;
        let mut sim = Simulation::new(&s);
        sim.run_until(from_ms(2_000.0));
        sim.events()
    };
    let (small, large) = (events(5), events(48));
    assert!(large < 30 * small, "5 nodes: {small} events; 48 nodes: {large}");
}
