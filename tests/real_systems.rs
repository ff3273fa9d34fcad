//! Presets of real systems: each reproduces the signature behaviour its sources document
//! (`../shared/reference/seed-systems.md` lists them), over several seeds.

use std::collections::BTreeSet;

use replicalab_core::checkers::AnomalyKind;
use replicalab_core::history::{Operation, Outcome};
use replicalab_core::presets;
use replicalab_core::protocol::{FailReason, Key, NodeId, OpKind, Value};
use replicalab_core::protocols::leader_follower::LeaderFollowerNode;
use replicalab_core::report::OpReport;
use replicalab_core::scenario::{Command, ProtocolConfig, Scenario, TimedCommand};
use replicalab_core::time::{from_ms, to_ms};
use replicalab_core::view::Role;
use replicalab_core::{Report, Sim, Simulation};
use replicalab_tests::{anomaly_count as count, note_count as note, preset, repro, run_report, values_held};

const SEEDS: u64 = 4;

/// Operations of kind `f` invoked in `from..to` milliseconds.
fn ops<'a>(r: &'a Report, f: &'a str, from: f64, to: f64) -> impl Iterator<Item = &'a OpReport> + 'a {
    r.history.iter().filter(move |o| o.f == f && o.invoke_ms >= from && o.invoke_ms < to)
}

fn ok_share(r: &Report, f: &str, from: f64, to: f64) -> f64 {
    ok_share_of(r, f, from, to, &[])
}

/// The share of operations that succeeded, leaving out clients whose own node is down.
fn ok_share_of(r: &Report, f: &str, from: f64, to: f64, down: &[usize]) -> f64 {
    let all: Vec<_> = ops(r, f, from, to).filter(|o| !down.contains(&o.client)).collect();
    assert!(!all.is_empty(), "no {f} between {from} and {to} ms");
    all.iter().filter(|o| o.outcome == "ok").count() as f64 / all.len() as f64
}

#[test]
fn every_real_system_preset_names_its_sources() {
    for p in presets::PRESETS {
        let s = p.scenario().unwrap();
        let real = ["postgres", "mysql", "aurora", "mongodb", "redis", "dynamodb", "cassandra", "riak", "couchdb"];
        if real.iter().any(|r| p.name.starts_with(r))
            || ["collaborative-editing", "patroni-coordinator", "github-2018"].contains(&p.name)
        {
            assert!(!s.sources.is_empty(), "{} states no source", p.name);
            assert!(s.sources.iter().all(|u| u.starts_with("https://")), "{}: {:?}", p.name, s.sources);
        }
    }
}

#[test]
fn asynchronous_failover_loses_commits_the_standby_never_received() {
    for name in ["postgres-async", "mysql-async"] {
        for seed in 0..SEEDS {
            let s = preset(name, seed);
            let r = run_report(&s);
            assert!(count(&r, "lost_write") > 0, "{name}: {:?}; {}", r.anomaly_counts, repro(&s));
            assert!(note(&r, "discarded") > 0, "{name} seed {seed}: the old primary discards its extra commits");
            // Every lost write was acknowledged while the stream was stalled, before the crash.
            for a in r.anomalies.iter().filter(|a| a.kind == "lost_write") {
                let w = &r.history[a.ops[0] as usize];
                assert!(w.invoke_ms >= 2_400.0 && w.invoke_ms < 3_000.0, "{name} seed {seed}: {}", a.explanation);
            }
            assert_eq!(count(&r, "split_brain"), 0, "{name} seed {seed}: the old primary was fenced");
        }
    }
}

#[test]
fn postgres_first_k_moves_to_the_next_standby_and_hangs_when_none_is_left() {
    for seed in 0..SEEDS {
        let r = run_report(&preset("postgres-sync-first", seed));
        assert_eq!(ok_share(&r, "write", 0.0, 2_000.0), 1.0, "seed {seed}");
        assert!(ok_share(&r, "write", 2_100.0, 3_900.0) > 0.99, "seed {seed}: s2 took over as the synchronous standby");
        // With both standbys down, commits wait: none is acknowledged before s1 returns.
        for o in ops(&r, "write", 4_100.0, 5_900.0) {
            assert!(o.complete_ms.is_none_or(|c| c >= 6_000.0) || o.outcome != "ok", "seed {seed}: {o:?}");
        }
        assert_eq!(count(&r, "lost_write"), 0);
    }
}

#[test]
fn postgres_any_k_survives_one_standby_down_and_stalls_with_two() {
    for seed in 0..SEEDS {
        let r = run_report(&preset("postgres-sync-any", seed));
        assert!(ok_share(&r, "write", 2_100.0, 3_900.0) > 0.99, "seed {seed}: one standby down does not stall");
        for o in ops(&r, "write", 4_100.0, 5_900.0) {
            assert!(o.complete_ms.is_none_or(|c| c >= 6_000.0) || o.outcome != "ok", "seed {seed}: {o:?}");
        }
    }
}

#[test]
fn mysql_semi_sync_waits_ten_seconds_then_falls_back_and_then_can_lose_commits() {
    for seed in 0..SEEDS {
        let s = preset("mysql-semisync", seed);
        let r = run_report(&s);
        assert_eq!(note(&r, "semi_sync_fallback"), 1, "seed {seed}");
        // The session's first commit after the replicas stop waits; it issues nothing meanwhile.
        let stalled: Vec<_> = ops(&r, "write", 2_000.0, 2_500.0).collect();
        assert!(!stalled.is_empty());
        for o in &stalled {
            let waited = o.complete_ms.unwrap() - o.invoke_ms;
            assert!(o.outcome == "ok" && waited > 9_000.0, "seed {seed}: {o:?} waited {waited} ms");
        }
        assert!(count(&r, "lost_write") > 0, "seed {seed}: commits acknowledged alone are lost; {}", repro(&s));
        for a in r.anomalies.iter().filter(|a| a.kind == "lost_write") {
            assert!(
                r.history[a.ops[0] as usize].invoke_ms >= 2_000.0,
                "only commits made without a replica: {}",
                a.explanation
            );
        }
    }
}

#[test]
fn aurora_keeps_writing_without_one_zone_and_stops_writes_without_a_zone_and_one_more() {
    for seed in 0..SEEDS {
        let r = run_report(&preset("aurora-quorum", seed));
        assert!(ok_share(&r, "write", 2_100.0, 3_900.0) > 0.99, "seed {seed}: 4 of 6 copies still reachable");
        assert!(ok_share(&r, "read", 2_100.0, 3_900.0) > 0.99, "seed {seed}");
        // A write waits for its quorum and its client gives up after 300 ms: those invoked in
        // the last 300 ms before the copies return at 6 s may still complete.
        assert!(ok_share(&r, "write", 4_100.0, 5_650.0) < 0.01, "seed {seed}: only 3 copies left, no write quorum");
        assert!(ok_share(&r, "read", 4_100.0, 5_900.0) > 0.99, "seed {seed}: 3 copies still make a read quorum");
        assert_eq!(count(&r, "stale_read"), 0, "seed {seed}: W + R > 6");
    }
}

/// Aurora's single writer makes a write visible only once 4 of the 6 copies have it: a write
/// that missed its quorum is never returned by a read (while the quorum is lost, no read
/// returns a write that was not acknowledged), and the history stays linearizable.
#[test]
fn aurora_readers_never_see_a_write_that_missed_its_quorum() {
    for seed in 0..SEEDS {
        let s = preset("aurora-quorum", seed);
        let r = run_report(&s);
        assert_eq!(count(&r, "not_linearizable"), 0, "seed {seed}: {:?}; {}", r.anomalies, repro(&s));
        let not_durable: BTreeSet<Value> = r
            .history
            .iter()
            .filter(|o| o.f == "write" && o.outcome != "ok" && o.invoke_ms < 6_000.0)
            .filter_map(|o| o.value)
            .collect();
        let missed = ops(&r, "write", 4_100.0, 5_650.0).filter(|o| o.outcome != "ok").count();
        assert!(missed > 0, "seed {seed}: writes fail while only 3 copies are up");
        for o in r.history.iter().filter(|o| o.f == "read" && o.complete_ms.is_some_and(|c| c < 6_000.0)) {
            for v in o.values.iter().flatten() {
                assert!(
                    !not_durable.contains(v),
                    "seed {seed}: read op{} returned v{v}, which missed its quorum",
                    o.id
                );
            }
        }
    }
}

#[test]
fn mongodb_rolls_back_w1_writes_and_never_majority_writes() {
    let mut lost = 0;
    for seed in 0..SEEDS {
        let s = preset("mongodb-w1", seed);
        let r = run_report(&s);
        lost += count(&r, "lost_write");
        assert!(note(&r, "elected") > 0, "seed {seed}: the majority side elects a primary");
        let s = preset("mongodb-majority", seed);
        let r = run_report(&s);
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}: {:?}; {}", r.anomalies, repro(&s));
        assert_eq!(count(&r, "split_brain"), 0, "seed {seed}");
    }
    assert!(lost > 0, "w:1 lost no acknowledged write in {SEEDS} seeds");
}

#[test]
fn redis_min_replicas_bounds_what_an_isolated_master_loses() {
    for seed in 0..SEEDS {
        let sentinel = run_report(&preset("redis-sentinel", seed));
        let bounded = run_report(&preset("redis-min-replicas", seed));
        let (a, b) = (count(&sentinel, "lost_write"), count(&bounded, "lost_write"));
        assert!(a > 0, "seed {seed}: the isolated master's writes are discarded at the heal");
        assert!(b < a / 2, "seed {seed}: min-replicas-to-write loses {b}, plain Sentinel {a}");
        // Writes the isolated master accepted more than 1.5 s into the partition: none.
        let late = bounded
            .anomalies
            .iter()
            .filter(|x| x.kind == "lost_write" && bounded.history[x.ops[0] as usize].invoke_ms > 3_500.0)
            .count();
        assert_eq!(late, 0, "seed {seed}: after the lag limit the master refuses writes");
        assert!(note(&bounded, "writes_refused") > 0);
    }
}

fn lf_sim(s: &Scenario) -> Sim<LeaderFollowerNode> {
    let Simulation::LeaderFollower(sim) = Simulation::new(s) else { unreachable!("a leader-follower preset") };
    sim
}

/// Operations of kind `f` that the client on `node` sent to its own node, invoked in
/// `from..to` milliseconds (clients elsewhere cannot reach it during a partition).
fn ops_at<'a>(sim: &'a Sim<LeaderFollowerNode>, node: NodeId, f: &'a str, from: f64, to: f64) -> Vec<&'a Operation> {
    let kind = |o: &Operation| match o.kind {
        OpKind::Read { .. } => "read",
        OpKind::Write { .. } => "write",
        _ => "other",
    };
    let at = |o: &Operation| (from..to).contains(&to_ms(o.invoke));
    sim.history().ops.iter().filter(|o| o.client == node && o.node == node && kind(o) == f && at(o)).collect()
}

fn outcome(o: &Operation) -> Option<&Outcome> {
    o.completion.as_ref().map(|c| &c.outcome)
}

/// `min-replicas-to-write 1`, `min-replicas-max-lag` 1 s (Redis docs, Replication: "Allow writes
/// only with N attached replicas"; the NOREPLICAS error): the cut-off master refuses writes with
/// that error once no replica has acknowledged for the lag limit, and nothing else changes. It
/// stays master, its reads succeed, and a refused write is written nowhere.
#[test]
fn redis_min_replicas_master_refuses_writes_but_keeps_its_role_and_serves_reads() {
    for seed in 0..SEEDS {
        let s = preset("redis-min-replicas", seed);
        let mut sim = lf_sim(&s);
        // The partition cuts n0 off from 2 s to 8 s: from 3.1 s on it has heard from no
        // replica for more than the 1 s lag limit.
        let mut t = 3_100.0;
        while t < 7_900.0 {
            sim.run_until(from_ms(t));
            let v = sim.view();
            assert_eq!(v.nodes[0].protocol.role, Role::Leader, "seed {seed} at {t} ms: n0 stays master; {}", repro(&s));
            t += 100.0;
        }
        sim.run_until(from_ms(s.duration_ms));
        sim.check_now();
        let reads = ops_at(&sim, 0, "read", 3_100.0, 7_900.0);
        assert!(reads.len() > 20, "seed {seed}: {} reads at n0", reads.len());
        for o in &reads {
            assert!(matches!(outcome(o), Some(Outcome::Ok { .. })), "seed {seed}: a read at n0 failed: {o:?}");
        }
        let writes = ops_at(&sim, 0, "write", 3_100.0, 7_900.0);
        assert!(writes.len() > 20, "seed {seed}: {} writes at n0", writes.len());
        let held = values_held(&sim);
        for o in &writes {
            let refused = matches!(
                outcome(o),
                Some(Outcome::Fail { reason: FailReason::NotEnoughReplicas { have: 0, need: 1 } })
            );
            assert!(refused, "seed {seed}: n0 should refuse the write for want of replicas: {o:?}");
            let OpKind::Write { value, .. } = o.kind else { unreachable!() };
            assert!(!held.contains(&value), "seed {seed}: refused write {o:?} is held somewhere");
        }
        // Writes it took before the lag limit ran out: acknowledged.
        assert!(ops_at(&sim, 0, "write", 2_000.0, 2_900.0)
            .iter()
            .any(|o| matches!(outcome(o), Some(Outcome::Ok { .. }))));
    }
}

/// The same master cut off from its replicas for less than the failover takes: it refuses
/// writes once the lag limit passes and takes them again as soon as a replica acknowledges,
/// without ever stepping down; nothing is lost.
#[test]
fn redis_min_replicas_master_accepts_writes_again_when_a_replica_is_back() {
    for seed in 0..SEEDS {
        let mut s = preset("redis-min-replicas", seed);
        // Healed at 4 s, before the replicas' failure detector (3 to 3.5 s) fires.
        s.commands.retain(|c| !matches!(c.command, Command::Heal {}));
        s.commands.push(TimedCommand { at_ms: 4_000.0, command: Command::Heal {} });
        let mut sim = lf_sim(&s);
        sim.run_until(from_ms(s.duration_ms));
        sim.check_now();
        let refused =
            |o: &&Operation| matches!(outcome(o), Some(Outcome::Fail { reason: FailReason::NotEnoughReplicas { .. } }));
        let during = ops_at(&sim, 0, "write", 3_100.0, 4_000.0);
        assert!(!during.is_empty() && during.iter().all(refused), "seed {seed}: {during:?}; {}", repro(&s));
        let after = ops_at(&sim, 0, "write", 4_100.0, 9_000.0);
        assert!(after.len() > 50, "seed {seed}: {} writes at n0 after the heal", after.len());
        for o in &after {
            assert!(matches!(outcome(o), Some(Outcome::Ok { .. })), "seed {seed}: {o:?}");
        }
        assert_eq!(sim.node(0).role(), Role::Leader, "seed {seed}: n0 never stepped down");
        assert_eq!(sim.node(0).term(), 1, "seed {seed}: no failover happened");
        assert!(sim.anomalies().iter().all(|a| a.kind != AnomalyKind::LostWrite), "seed {seed}: {:?}", sim.anomalies());
        assert!(sim.metrics().notes.get("writes_resumed").is_some_and(|&n| n > 0), "seed {seed}");
    }
}

/// In one run, client 0 reads with `ConsistentRead=true` (the leader) and the other clients
/// read eventually consistently (any replica): every seed shows stale reads, and none of them
/// is one of client 0's.
#[test]
fn dynamodb_eventually_consistent_reads_are_stale_and_strong_reads_beside_them_are_not() {
    for seed in 0..SEEDS {
        let s = preset("dynamodb-eventual-reads", seed);
        let r = run_report(&s);
        let strong: BTreeSet<u64> = r.history.iter().filter(|o| o.f == "read" && o.client == 0).map(|o| o.id).collect();
        assert!(strong.len() > 50, "seed {seed}: client 0 read {} times", strong.len());
        let eventual = r.history.iter().filter(|o| o.f == "read" && o.client != 0).count();
        assert!(eventual > 50, "seed {seed}: the other clients read {eventual} times");
        let stale: Vec<_> = r.anomalies.iter().filter(|a| a.kind == "stale_read").collect();
        assert!(!stale.is_empty(), "seed {seed}: eventually consistent reads were never stale; {}", repro(&s));
        for a in stale {
            assert!(
                a.ops.iter().all(|op| !strong.contains(op)),
                "seed {seed}: a strongly consistent read was stale: {a:?}"
            );
        }
    }
}

#[test]
fn dynamodb_global_tables_drop_concurrent_writes_silently_and_converge() {
    for seed in 0..SEEDS {
        let r = run_report(&preset("dynamodb-global-tables", seed));
        assert!(note(&r, "lww_discard") > 0, "seed {seed}: concurrent writes were resolved by timestamp");
        assert!(ops(&r, "write", 0.0, 5_000.0).all(|o| o.outcome == "ok"), "seed {seed}: no write got an error");
        assert_eq!(count(&r, "divergence"), 0, "seed {seed}: both Regions converge");
    }
}

#[test]
fn cassandra_quorum_reads_are_never_stale_and_one_is_sometimes() {
    let mut one_stale = 0;
    let mut one_lost = 0;
    for seed in 0..SEEDS {
        let s = preset("cassandra-quorum", seed);
        let r = run_report(&s);
        assert_eq!(count(&r, "stale_read"), 0, "seed {seed}: {:?}; {}", r.anomalies, repro(&s));
        let share = ok_share_of(&r, "write", 2_100.0, 3_900.0, &[1]);
        assert!(share > 0.99, "seed {seed}: one replica down, writes go on ({share})");
        let r = run_report(&preset("cassandra-one", seed));
        one_stale += count(&r, "stale_read");
        one_lost += count(&r, "lost_write");
    }
    assert!(one_stale > 0, "ONE/ONE never read stale data");
    assert!(one_lost > 0, "last write wins with a skewed clock never lost a write");
}

#[test]
fn cassandra_zombie_data_comes_back_after_the_grace_period() {
    for seed in 0..SEEDS {
        let r = run_report(&preset("cassandra-zombie", seed));
        assert!(note(&r, "tombstone_purged") > 0 && note(&r, "resurrected") > 0, "seed {seed}: {:?}", r.metrics.notes);
        assert!(
            r.anomalies.iter().any(|a| a.explanation.contains("deleted data came back")),
            "seed {seed}: {:?}",
            r.anomalies
        );
        let mut s = preset("cassandra-zombie", seed);
        let ProtocolConfig::Leaderless(cfg) = &mut s.protocol else { unreachable!() };
        cfg.tombstone_grace_ms = Some(864_000_000.0);
        let r = run_report(&s);
        assert_eq!(note(&r, "resurrected"), 0, "seed {seed}: the real 10-day grace period outlasts the outage");
    }
}

#[test]
fn riak_sloppy_quorum_keeps_writes_available_and_hands_data_off() {
    for seed in 0..SEEDS {
        let mut s = preset("riak-sloppy-quorum", seed);
        let r = run_report(&s);
        assert!(note(&r, "sloppy_quorum") > 0, "seed {seed}: {:?}", r.metrics.notes);
        let sloppy = ok_share_of(&r, "write", 1_600.0, 3_900.0, &[1]);
        let ProtocolConfig::Leaderless(cfg) = &mut s.protocol else { unreachable!() };
        cfg.sloppy_quorum = false;
        cfg.w = 3;
        let strict = ok_share_of(&run_report(&s), "write", 1_600.0, 3_900.0, &[1]);
        assert!(sloppy > 0.99 && sloppy > strict + 0.2, "seed {seed}: sloppy {sloppy}, strict W=3 {strict}");
    }
}

#[test]
fn riak_and_couchdb_keep_conflicting_versions_until_the_application_merges() {
    for seed in 0..SEEDS {
        let r = run_report(&preset("riak-siblings", seed));
        assert!(r.history.iter().any(|o| o.values.as_ref().is_some_and(|v| v.len() > 1)), "seed {seed}: siblings read");
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}");
        // CouchDB keeps the losing revisions as conflicts beside the winner a read returns
        // (tests/real_systems_ml_ll.rs checks the revision trees).
        let r = run_report(&preset("couchdb-conflicts", seed));
        assert!(note(&r, "conflict") > 0, "seed {seed}");
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}");
        assert_eq!(count(&r, "divergence"), 0, "seed {seed}");
    }
}

#[test]
fn collaborative_editing_keeps_every_edit_and_converges() {
    use replicalab_core::protocol::OpKind;
    use replicalab_core::Simulation;
    for seed in 0..SEEDS {
        let s = preset("collaborative-editing", seed);
        let mut sim = Simulation::new(&s);
        sim.run_until(replicalab_core::time::from_ms(s.duration_ms));
        let Simulation::MultiLeader(ml) = &sim else { unreachable!() };
        for key in 0..2u32 {
            // Elements added and never removed afterwards by anyone must be everywhere.
            let mut expected = std::collections::BTreeSet::new();
            for o in ml.history().ops.iter().filter(|o| o.is_ok() && o.key() == key) {
                match o.kind {
                    OpKind::Add { element, .. } => {
                        expected.insert(element);
                    }
                    OpKind::Remove { element, .. } => {
                        expected.remove(&element);
                    }
                    _ => {}
                }
            }
            for (i, n) in ml.nodes().iter().enumerate() {
                let got: std::collections::BTreeSet<u64> = n.read(key).0.into_iter().collect();
                assert!(expected.is_subset(&got), "seed {seed} n{i} k{key}: {expected:?} ⊄ {got:?}");
            }
            let first = ml.nodes()[0].read(key).0;
            assert!(ml.nodes().iter().all(|n| n.read(key).0 == first), "seed {seed}: replicas agree on k{key}");
        }
        let r = sim.report("collaborative-editing");
        assert_eq!(count(&r, "divergence"), 0);
        assert!(note(&r, "merge") > 0);
    }
}

#[test]
fn postgres_commit_off_loses_only_the_last_unflushed_commits_and_on_loses_none() {
    for seed in 0..SEEDS {
        let mut s = preset("postgres-commit-off", seed);
        let r = run_report(&s);
        assert!(count(&r, "lost_write") > 0, "seed {seed}: {:?}; {}", r.anomaly_counts, repro(&s));
        for a in r.anomalies.iter().filter(|a| a.kind == "lost_write") {
            // At most three flush intervals (600 ms here) before the crash at 2150 ms.
            let w = &r.history[a.ops[0] as usize];
            assert!(w.invoke_ms >= 2_150.0 - 600.0 - 50.0, "seed {seed}: {}", a.explanation);
        }
        s.cluster.node_overrides.clear();
        let r = run_report(&s);
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}: synchronous_commit = on loses nothing");
    }
}

/// synchronous_commit = off (PostgreSQL docs 30.4 Asynchronous Commit) with the walsender
/// shipping WAL only up to the primary's flush pointer (27.2.5 Streaming Replication,
/// walsender.c): the primary's crash takes the commits acknowledged since its last flush, and
/// no standby ever held one of them, in its log or its data.
#[test]
fn postgres_commit_off_standbys_never_hold_commits_the_primary_lost() {
    for seed in 0..SEEDS {
        let s = preset("postgres-commit-off", seed);
        let mut sim = lf_sim(&s);
        let end = from_ms(s.duration_ms);
        let keys = s.workload.as_ref().map_or(0, |w| w.keys) as Key;
        // Values the standbys ever held, and values the primary's crash took from it.
        let (mut held, mut lost) = (BTreeSet::new(), BTreeSet::new());
        let mut primary: Vec<Value> = Vec::new();
        let mut seen = [(0, None); 3];
        while sim.next_event_time().is_some_and(|t| t <= end) {
            sim.step();
            for (i, seen) in seen.iter_mut().enumerate() {
                let log = sim.node(i).log();
                let now = (log.len(), log.last().map(|e| e.op));
                if now == *seen {
                    continue;
                }
                *seen = now;
                let values: Vec<Value> = log.iter().map(|e| e.value).collect();
                if i == 0 {
                    if values.len() < primary.len() {
                        lost.extend(primary.iter().filter(|v| !values.contains(v)));
                    }
                    primary = values;
                } else {
                    held.extend(values);
                    held.extend((0..keys).filter_map(|k| sim.node(i).read(k)));
                }
            }
        }
        sim.check_now();
        assert!(!lost.is_empty(), "seed {seed}: the crash took unflushed commits from the primary; {}", repro(&s));
        let shipped: Vec<_> = lost.intersection(&held).collect();
        assert!(
            shipped.is_empty(),
            "seed {seed}: standbys held {} writes the primary lost: {shipped:?}",
            shipped.len()
        );
        // Acknowledged commits are still lost: exactly those the primary lost.
        let lost_acked: Vec<_> = sim.anomalies().iter().filter(|a| a.kind == AnomalyKind::LostWrite).collect();
        assert!(!lost_acked.is_empty(), "seed {seed}: synchronous_commit = off loses acknowledged commits");
        for a in lost_acked {
            let Some(OpKind::Write { value, .. }) = sim.history().get(a.ops[0]).map(|o| &o.kind) else { continue };
            assert!(lost.contains(value), "seed {seed}: {}", a.explanation);
        }
    }
}

#[test]
fn redis_wait_returns_after_its_timeout_and_what_it_acknowledged_can_be_lost() {
    for seed in 0..SEEDS {
        let s = preset("redis-wait", seed);
        let r = run_report(&s);
        let first = ops(&r, "write", 2_001.0, 2_100.0).next().expect("a write just after the cut");
        let waited = first.complete_ms.unwrap() - first.invoke_ms;
        assert!(first.outcome == "ok" && (900.0..1_100.0).contains(&waited), "seed {seed}: {first:?}");
        assert!(count(&r, "lost_write") > 0, "seed {seed}: {}", repro(&s));
        for a in r.anomalies.iter().filter(|a| a.kind == "lost_write") {
            assert!(r.history[a.ops[0] as usize].invoke_ms >= 2_000.0, "seed {seed}: {}", a.explanation);
        }
    }
}

/// Runs a scenario keeping the whole trace; returns the report and the operations the
/// `discarded` notes name (writes a node threw away when its log was matched to a new leader's).
fn run_with_discards(s: &Scenario) -> (Report, std::collections::BTreeSet<u64>) {
    let mut sim = replicalab_core::Simulation::new(s);
    sim.set_trace_capacity(10_000_000);
    sim.run_until(replicalab_core::time::from_ms(s.duration_ms));
    let discarded = sim
        .trace()
        .recent()
        .filter_map(|e| match &e.event {
            replicalab_core::event::WorldEvent::Note {
                note: replicalab_core::note::Note::Discarded { ops, .. },
                ..
            } => Some(ops.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    (sim.report(&s.name), discarded)
}

/// Reads served by `node` that returned a value one of the `writes` wrote.
fn reads_of<'a>(r: &'a Report, node: usize, writes: &std::collections::BTreeSet<u64>) -> Vec<&'a OpReport> {
    let values: std::collections::BTreeSet<u64> =
        writes.iter().filter_map(|&op| r.history.get(op as usize).and_then(|o| o.value)).collect();
    r.history
        .iter()
        .filter(|o| o.f == "read" && o.outcome == "ok" && o.node == node)
        .filter(|o| o.values.as_ref().is_some_and(|v| v.iter().any(|x| values.contains(x))))
        .collect()
}

fn set_lf(s: &mut Scenario, f: impl FnOnce(&mut replicalab_core::protocols::leader_follower::LeaderFollowerConfig)) {
    let ProtocolConfig::LeaderFollower(cfg) = &mut s.protocol else { unreachable!() };
    f(cfg);
}

#[test]
fn mysql_after_commit_lets_a_reader_see_a_commit_that_failover_then_discards_and_after_sync_does_not() {
    use replicalab_core::protocols::leader_follower::Visibility;
    for seed in 0..SEEDS {
        let mut s = preset("mysql-semisync-after-commit", seed);
        let (r, discarded) = run_with_discards(&s);
        assert!(!discarded.is_empty(), "seed {seed}: the old source discards its unacknowledged commits");
        for &op in &discarded {
            let w = &r.history[op as usize];
            assert!(w.outcome != "ok", "seed {seed}: semi-sync held, so op{op} was never acknowledged: {w:?}");
        }
        let seen = reads_of(&r, 0, &discarded);
        assert!(!seen.is_empty(), "seed {seed}: no read on the source saw a commit failover lost; {}", repro(&s));
        for o in &seen {
            assert!(o.invoke_ms >= 2_000.0 && o.invoke_ms < 2_500.0, "seed {seed}: read while commits waited: {o:?}");
        }
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}: no acknowledged commit is lost");
        // AFTER_SYNC, the same schedule: the waiting commits are invisible until acknowledged.
        set_lf(&mut s, |c| c.visibility = Visibility::Commit);
        let (r, discarded) = run_with_discards(&s);
        assert!(!discarded.is_empty(), "seed {seed}");
        let seen = reads_of(&r, 0, &discarded);
        assert!(seen.is_empty(), "seed {seed}: AFTER_SYNC showed a discarded commit: {seen:?}; {}", repro(&s));
        assert_eq!(count(&r, "monotonic_reads") + count(&r, "lost_write"), 0, "seed {seed}: {:?}", r.anomalies);
    }
}

#[test]
fn postgres_remote_write_loses_acknowledged_commits_when_the_standby_os_crashes_and_on_loses_none() {
    use replicalab_core::protocols::leader_follower::FollowerAckPoint;
    for seed in 0..SEEDS {
        let s = preset("postgres-remote-write", seed);
        let r = run_report(&s);
        assert!(count(&r, "lost_write") > 0, "seed {seed}: {:?}; {}", r.anomaly_counts, repro(&s));
        for a in r.anomalies.iter().filter(|a| a.kind == "lost_write") {
            // Acknowledged after the standby's last flush (every 100 ms) before its crash at 2080 ms.
            let w = &r.history[a.ops[0] as usize];
            assert!(w.invoke_ms >= 2_080.0 - 100.0 - 20.0 && w.invoke_ms < 2_080.0, "seed {seed}: {}", a.explanation);
        }
        // synchronous_commit = on: the same schedule, acknowledged after the standby's flush.
        let on = preset("postgres-sync-on", seed);
        assert_eq!((&on.cluster, &on.commands, &on.workload), (&s.cluster, &s.commands, &s.workload));
        let mut flush = s.clone();
        set_lf(&mut flush, |c| c.follower_ack = FollowerAckPoint::Flush);
        assert_eq!(flush.protocol, on.protocol, "postgres-sync-on differs from remote_write only in follower_ack");
        let r = run_report(&on);
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}: {:?}; {}", r.anomalies, repro(&on));
        assert!(note(&r, "discarded") > 0, "seed {seed}: the old primary still discards what was never acknowledged");
        let r = run_report(&preset("postgres-remote-apply", seed));
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}: remote_apply waits for the flush too");
    }
}

#[test]
fn postgres_on_can_miss_a_commit_on_the_standby_right_after_its_ack_and_remote_apply_never_does() {
    let apply_delay_ms = 200.0;
    for seed in 0..SEEDS {
        let s = preset("postgres-sync-on", seed);
        let r = run_report(&s);
        let stale: Vec<_> = r
            .anomalies
            .iter()
            .filter(|a| a.kind == "stale_read" && a.nodes == [1])
            .filter(|a| r.history[a.ops[0] as usize].invoke_ms < 2_000.0)
            .collect();
        assert!(!stale.is_empty(), "seed {seed}: no stale read on the standby; {}", repro(&s));
        for a in &stale {
            // The standby had the commit on disk (it acknowledged it) but had not replayed it.
            let (read, missed) = (&r.history[a.ops[0] as usize], &r.history[a.ops[1] as usize]);
            let since_ack = read.invoke_ms - missed.complete_ms.unwrap();
            assert!((0.0..apply_delay_ms).contains(&since_ack), "seed {seed}: {}", a.explanation);
        }
        assert!(count(&r, "read_your_writes") > 0, "seed {seed}: the writer misses its own commit on the standby");
        let s = preset("postgres-remote-apply", seed);
        let r = run_report(&s);
        assert!(ops(&r, "read", 0.0, 4_500.0).filter(|o| o.node == 1 && o.outcome == "ok").count() > 100);
        for kind in ["stale_read", "read_your_writes", "monotonic_reads"] {
            assert_eq!(count(&r, kind), 0, "seed {seed}: remote_apply {kind}: {:?}; {}", r.anomalies, repro(&s));
        }
    }
}
