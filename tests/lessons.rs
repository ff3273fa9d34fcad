//! The seed article's lessons about synchronous, asynchronous and semi-synchronous replication,
//! each checked over several seeds.

use replicalab_core::checkers::AnomalyKind;
use replicalab_core::history::Outcome;
use replicalab_core::net::Latency;
use replicalab_core::protocol::{Protocol, ReadFrom};
use replicalab_core::protocols::leader_follower::{AckPolicy, LeaderFollowerNode, SemiSync, SemiSyncMode};
use replicalab_core::scenario::{ClientConfig, LinkOverride, Scenario, TimedCommand};
use replicalab_core::time::{from_ms, MS};
use replicalab_core::{Command, Sim, Simulation};
use replicalab_tests::{lf_scenario, random_faults, repro};

/// Three nodes; follower 2 is far away (20–30 ms each way); every client sits at the leader.
fn far_follower(ack: AckPolicy, seed: u64) -> Scenario {
    let mut s = lf_scenario(3, ack, seed, 100.0);
    s.clients = Some(vec![ClientConfig { timeout_ms: 1_000.0, ..ClientConfig::at(0) }]);
    s.cluster.links.push(LinkOverride {
        from: 0,
        to: 2,
        symmetric: true,
        latency: Some(Latency::Uniform { min_ms: 20.0, max_ms: 30.0 }),
        loss: None,
        duplicate: None,
        fifo: None,
    });
    s
}

#[test]
fn a_sync_write_is_as_slow_as_the_slowest_follower() {
    for seed in 0..5 {
        let sync = replicalab_core::run(&far_follower(AckPolicy::Sync, seed), Some(3_000 * MS));
        let asyn = replicalab_core::run(&far_follower(AckPolicy::Async, seed), Some(3_000 * MS));
        let (ws, wa) = (&sync.metrics.write_latency_ms, &asyn.metrics.write_latency_ms);
        assert!(ws.count > 50 && wa.count > 50, "seed {seed}: too few writes");
        // A round trip to the far follower is at least 40 ms.
        assert!(ws.p50 >= 40.0, "seed {seed}: sync p50 {} ms", ws.p50);
        // Async acknowledges before any replication happens: only the client hop remains.
        assert!(wa.p99 < 1.0, "seed {seed}: async p99 {} ms", wa.p99);
    }
}

#[test]
fn a_sync_write_stalls_while_a_follower_is_down() {
    for seed in 0..5 {
        let mut s = far_follower(AckPolicy::Sync, seed);
        s.commands = vec![
            TimedCommand { at_ms: 1_000.0, command: Command::Crash { node: 1 } },
            TimedCommand { at_ms: 2_500.0, command: Command::Restart { node: 1 } },
        ];
        let mut sim = Simulation::new(&s);
        sim.run_until(4_000 * MS);
        let (down, up) = (from_ms(1_000.0), from_ms(2_500.0));
        let mut stalled = 0;
        // Writes invoked in the last second may still be waiting for their timeout.
        for op in sim.history().ops.iter().filter(|o| o.kind.is_write() && o.invoke < 3_000 * MS) {
            let c = op.completion.as_ref().expect("every write completes within its timeout");
            if op.invoke > down && op.invoke < up {
                // Nothing written while the follower was down is acknowledged before it is back.
                if let Outcome::Ok { .. } = c.outcome {
                    assert!(c.time >= up, "seed {seed}: op{} acknowledged at {} while n1 was down", op.id, c.time);
                }
                stalled += 1;
            }
            if op.invoke > up + 200 * MS {
                assert!(matches!(c.outcome, Outcome::Ok { .. }), "seed {seed}: op{} after restart: {c:?}", op.id);
            }
        }
        assert!(stalled > 50, "seed {seed}: only {stalled} writes during the outage");
        let m = sim.metrics().summary();
        assert!(m.ops_unknown > 0, "seed {seed}: writes during the outage should time out");
    }
}

#[test]
fn async_lag_grows_under_load() {
    for seed in 0..3 {
        let mut s = lf_scenario(3, AckPolicy::Async, seed, 500.0);
        s.cluster.node_overrides = vec![
            serde_json::from_value(serde_json::json!({"node": 1, "service_time_ms": 3.0})).unwrap(),
            serde_json::from_value(serde_json::json!({"node": 2, "service_time_ms": 3.0})).unwrap(),
        ];
        if let replicalab_core::scenario::ProtocolConfig::LeaderFollower(cfg) = &mut s.protocol {
            cfg.batch = 1;
        }
        s.workload.as_mut().unwrap().read_fraction = 0.0;
        s.clients = Some(vec![ClientConfig { timeout_ms: 1_000.0, ..ClientConfig::at(0) }]);
        let report = replicalab_core::run(&s, Some(6_000 * MS));
        let lag_at = |t: f64| -> f64 {
            let p = report.lag_series.iter().min_by_key(|p| ((p.t_ms - t).abs() * 1000.0) as u64).unwrap();
            p.lag_ms.iter().flatten().cloned().fold(0.0, f64::max)
        };
        let (a, b, c) = (lag_at(1_000.0), lag_at(3_000.0), lag_at(6_000.0));
        assert!(a < b && b < c, "seed {seed}: lag should grow: {a} ms, {b} ms, {c} ms");
        assert!(c > 1_000.0, "seed {seed}: lag after 6 s only {c} ms");
        assert!(report.metrics.write_latency_ms.p99 < 1.0, "seed {seed}: async writes stay fast");
    }
}

/// Steps a leader-follower world event by event and calls `check` whenever a write is
/// acknowledged, with the nodes as they are at that instant.
fn on_every_ack(s: &Scenario, until_ms: u64, mut check: impl FnMut(&Sim<LeaderFollowerNode>, u64)) {
    let Simulation::LeaderFollower(mut sim) = Simulation::new(s) else { unreachable!("a leader-follower scenario") };
    let mut acked = std::collections::BTreeSet::new();
    while sim.next_event_time().is_some_and(|t| t <= until_ms * MS) {
        sim.step();
        let newly: Vec<u64> = sim
            .history()
            .ops
            .iter()
            .filter(|o| o.kind.is_write() && o.is_ok() && !acked.contains(&o.id))
            .map(|o| o.id)
            .collect();
        for id in newly {
            acked.insert(id);
            check(&sim, id);
        }
    }
}

fn followers_holding(sim: &Sim<LeaderFollowerNode>, op: u64) -> usize {
    let w = &sim.history().ops[op as usize];
    let (key, value) = (w.key(), w.written().unwrap());
    (1..sim.nodes().len())
        .filter(|&i| {
            let mut found = false;
            sim.node(i).for_each_write(&mut |k, v| found |= k == key && v == value);
            found
        })
        .count()
}

#[test]
fn semi_sync_always_keeps_an_up_to_date_follower() {
    for seed in 0..10 {
        let policy = AckPolicy::SemiSync(SemiSync { k: 1, mode: SemiSyncMode::Any, priority: None, timeout_ms: None });
        let mut s = lf_scenario(4, policy, seed, 200.0);
        s.clients = Some(vec![ClientConfig { timeout_ms: 1_000.0, ..ClientConfig::at(0) }]);
        s.commands = random_faults(seed, 4, 3_000.0, 300.0, 5)
            .into_iter()
            .filter(|c| !matches!(c.command, Command::Crash { node: 0 } | Command::Pause { node: 0 }))
            .collect();
        let mut checked = 0;
        on_every_ack(&s, 3_000, |sim, op| {
            assert!(followers_holding(sim, op) >= 1, "op{op} acknowledged with no follower holding it; {}", repro(&s));
            checked += 1;
        });
        assert!(checked > 100, "seed {seed}: only {checked} writes acknowledged");
    }
}

#[test]
fn async_sometimes_acknowledges_a_write_no_follower_has() {
    let mut seen = false;
    for seed in 0..5 {
        let mut s = lf_scenario(3, AckPolicy::Async, seed, 200.0);
        s.clients = Some(vec![ClientConfig { timeout_ms: 1_000.0, ..ClientConfig::at(0) }]);
        on_every_ack(&s, 1_000, |sim, op| seen |= followers_holding(sim, op) == 0);
        if seen {
            break;
        }
    }
    assert!(seen, "async replication should acknowledge before any follower has the write");
}

#[test]
fn semi_sync_timeout_falls_back_to_async_and_recovers() {
    let s = replicalab_core::presets::find("lf-semi-sync").unwrap().scenario().unwrap();
    for seed in 0..5 {
        let mut s = s.clone();
        s.seed = seed;
        let report = replicalab_core::run(&s, None);
        let notes = &report.metrics.notes;
        assert_eq!(notes.get("semi_sync_fallback"), Some(&1), "seed {seed}: {notes:?}");
        assert_eq!(notes.get("semi_sync_restored"), Some(&1), "seed {seed}: {notes:?}");
        // The timeout bounds how long a write waits: at most 500 ms plus a round trip.
        assert!(report.metrics.write_latency_ms.max < 600.0, "seed {seed}: {:?}", report.metrics.write_latency_ms);
        assert_eq!(report.metrics.availability, 1.0);
    }
}

#[test]
fn reads_from_followers_are_sometimes_stale_but_leader_reads_never() {
    let mut stale_from_any = 0;
    for seed in 0..5 {
        let mut s = lf_scenario(3, AckPolicy::Async, seed, 300.0);
        s.workload.as_mut().unwrap().read_fraction = 0.5;
        s.workload.as_mut().unwrap().read_from = ReadFrom::Leader;
        let r = replicalab_core::run(&s, Some(3_000 * MS));
        assert_eq!(r.anomaly_counts.get("stale_read"), None, "seed {seed}: leader reads are never stale");
        s.workload.as_mut().unwrap().read_from = ReadFrom::Any;
        let r = replicalab_core::run(&s, Some(3_000 * MS));
        stale_from_any += r.anomaly_counts.get("stale_read").copied().unwrap_or(0);
    }
    assert!(stale_from_any > 0, "reads from lagging followers should sometimes be stale");
}

#[test]
fn an_unflushed_leader_crash_loses_acknowledged_writes() {
    let s = replicalab_core::presets::find("lf-async-crash-unflushed").unwrap().scenario().unwrap();
    let report = replicalab_core::run(&s, None);
    let lost = report.anomalies.iter().filter(|a| a.kind == AnomalyKind::LostWrite.name()).count();
    assert!(lost > 0, "expected lost writes: {:?}", report.anomaly_counts);
    assert!(report.metrics.notes.contains_key("discarded"), "followers discard what the new term overwrites");
}
