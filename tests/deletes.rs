//! Deletes: a tombstone makes reads return nothing in every family; strict quorums never read a
//! deleted value back; and a replica that missed a delete resurrects the data once the other
//! replicas have purged their tombstones after the grace period (Cassandra's zombie rows).

use replicalab_core::presets;
use replicalab_core::protocols::leaderless::LeaderlessConfig;
use replicalab_core::scenario::{Command, ProtocolConfig, Scenario, TimedCommand};
use replicalab_core::Report;
use replicalab_tests::{anomaly_count as count, lf_scenario, random_faults, repro, run_report as run};

const SEEDS: u64 = 30;

fn resurrection(grace_ms: Option<f64>) -> Report {
    let mut s = presets::find("ll-tombstone-resurrection").unwrap().scenario().unwrap();
    let ProtocolConfig::Leaderless(cfg) = &mut s.protocol else { unreachable!() };
    cfg.tombstone_grace_ms = grace_ms;
    run(&s)
}

#[test]
fn a_replica_that_missed_the_delete_resurrects_data_after_the_grace_period() {
    let r = resurrection(Some(1_000.0));
    assert!(r.metrics.notes.get("tombstone_purged").copied().unwrap_or(0) >= 2, "{:?}", r.metrics.notes);
    assert!(r.metrics.notes.get("resurrected").copied().unwrap_or(0) > 0, "{:?}", r.metrics.notes);
    let zombie: Vec<_> = r
        .anomalies
        .iter()
        .filter(|a| a.kind == "stale_read" && a.explanation.contains("deleted data came back"))
        .collect();
    assert!(!zombie.is_empty(), "a read after the return sees the deleted value: {:?}", r.anomalies);
    let read = &r.history[zombie[0].ops[0] as usize];
    assert!(read.invoke_ms >= 4_000.0 && read.values.as_ref().is_some_and(|v| !v.is_empty()));
    // The read right after the delete, before n2 returned, saw nothing.
    let early = r.history.iter().find(|o| o.f == "read" && o.invoke_ms < 4_000.0).unwrap();
    assert_eq!(early.values.as_deref(), Some(&[][..]));
}

#[test]
fn a_grace_period_longer_than_the_outage_keeps_the_delete() {
    for grace in [Some(10_000.0), None] {
        let r = resurrection(grace);
        assert_eq!(r.metrics.notes.get("resurrected"), None, "grace {grace:?}");
        assert_eq!(count(&r, "stale_read"), 0, "grace {grace:?}: {:?}", r.anomalies);
        let last = r.history.iter().rev().find(|o| o.f == "read").unwrap();
        assert_eq!(last.values.as_deref(), Some(&[][..]), "grace {grace:?}: the key stays deleted");
    }
}

fn with_deletes(mut s: Scenario) -> Scenario {
    let w = s.workload.as_mut().unwrap();
    w.delete_fraction = 0.3;
    w.read_fraction = 0.5;
    s
}

#[test]
fn strict_quorums_never_read_a_deleted_value_or_miss_a_delete() {
    for seed in 0..SEEDS {
        let mut s = with_deletes(lf_scenario(5, Default::default(), seed, 200.0));
        s.protocol = ProtocolConfig::Leaderless(LeaderlessConfig { replicas: 3, w: 2, r: 2, ..Default::default() });
        s.commands = random_faults(seed, 5, 5_000.0, 1_000.0, 6)
            .into_iter()
            .filter(|c| !matches!(c.command, Command::Clock { .. }))
            .collect();
        let r = run(&s);
        let deletes = r.history.iter().filter(|o| o.f == "delete" && o.outcome == "ok").count();
        assert!(deletes > 50, "seed {seed}: only {deletes} deletes succeeded");
        let empty_reads = r.history.iter().filter(|o| o.values.as_ref().is_some_and(|v| v.is_empty())).count();
        assert!(empty_reads > 0, "seed {seed}: reads see deleted keys as empty");
        assert_eq!(count(&r, "stale_read"), 0, "seed {seed}: {:?}; {}", r.anomalies, repro(&s));
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}: {:?}; {}", r.anomalies, repro(&s));
    }
}

#[test]
fn partial_quorums_sometimes_read_a_deleted_value() {
    let found = (0..SEEDS).any(|seed| {
        let mut s = with_deletes(lf_scenario(5, Default::default(), seed, 300.0));
        s.protocol = ProtocolConfig::Leaderless(LeaderlessConfig {
            replicas: 3,
            w: 1,
            r: 1,
            read_repair: false,
            ..Default::default()
        });
        run(&s).anomalies.iter().any(|a| a.explanation.contains("deleted data came back"))
    });
    assert!(found, "W=1, R=1 never read a deleted value back in {SEEDS} seeds");
}

#[test]
fn deletes_converge_with_anti_entropy_after_faults() {
    for seed in 0..SEEDS {
        let mut s = with_deletes(lf_scenario(4, Default::default(), seed, 200.0));
        s.protocol = ProtocolConfig::Leaderless(LeaderlessConfig {
            replicas: 3,
            w: 1,
            r: 1,
            anti_entropy_ms: Some(100.0),
            ..Default::default()
        });
        s.duration_ms = 6_000.0;
        s.workload.as_mut().unwrap().stop_ms = Some(3_500.0);
        s.commands = random_faults(seed, 4, 6_000.0, 2_500.0, 5);
        let r = run(&s);
        assert_eq!(count(&r, "divergence"), 0, "seed {seed}: {:?}; {}", r.anomalies, repro(&s));
    }
}

#[test]
fn a_delete_through_the_leader_reads_as_nothing_and_keeps_sync_replication_safe() {
    use replicalab_core::protocols::leader_follower::AckPolicy;
    for seed in 0..10 {
        let mut s = with_deletes(lf_scenario(3, AckPolicy::Sync, seed, 200.0));
        s.commands = vec![
            TimedCommand {
                at_ms: 100.0,
                command: Command::Write { client: 0, key: 9, value: None, node: None, quorum: None },
            },
            TimedCommand { at_ms: 200.0, command: Command::Delete { client: 1, key: 9, node: None, quorum: None } },
            TimedCommand {
                at_ms: 300.0,
                command: Command::Read {
                    client: 2,
                    key: 9,
                    from: replicalab_core::protocol::ReadFrom::Any,
                    node: None,
                    quorum: None,
                },
            },
        ];
        let r = run(&s);
        let read = r.history.iter().find(|o| o.f == "read" && o.key == 9).unwrap();
        assert_eq!(read.values.as_deref(), Some(&[][..]), "seed {seed}: the deleted key reads as nothing");
        for kind in ["stale_read", "lost_write", "read_your_writes", "not_linearizable"] {
            assert_eq!(count(&r, kind), 0, "seed {seed}: {kind}: {:?}", r.anomalies);
        }
    }
}

#[test]
fn the_register_families_refuse_counter_and_set_updates_with_a_reason() {
    for protocol in [
        ProtocolConfig::LeaderFollower(Default::default()),
        ProtocolConfig::Leaderless(Default::default()),
        ProtocolConfig::MultiLeader(Default::default()),
    ] {
        let mut s = lf_scenario(3, Default::default(), 1, 1.0);
        s.workload = None;
        s.protocol = protocol;
        s.commands = vec![
            TimedCommand { at_ms: 100.0, command: Command::Increment { client: 0, key: 1, by: 1, node: None } },
            TimedCommand { at_ms: 100.0, command: Command::Add { client: 0, key: 1, element: None, node: None } },
        ];
        let r = run(&s);
        assert_eq!(r.history.len(), 2);
        for o in &r.history {
            assert_eq!(o.outcome, "fail", "{}: {o:?}", r.family);
            assert!(o.reason.as_ref().is_some_and(|w| w.contains("register")), "{}: {o:?}", r.family);
        }
    }
}

#[test]
fn no_family_panics_with_every_kind_of_operation_under_faults() {
    use replicalab_core::conflict::ConflictResolution;
    use replicalab_core::protocols::multi_leader::{KeySpace, MultiLeaderConfig};
    use replicalab_core::rng::SimRng;
    for seed in 0..20 {
        let families = [
            ProtocolConfig::LeaderFollower(Default::default()),
            ProtocolConfig::MultiLeader(MultiLeaderConfig {
                key_spaces: vec![
                    KeySpace { from: 0, to: 1, conflicts: ConflictResolution::Counter },
                    KeySpace { from: 2, to: 3, conflicts: ConflictResolution::Set },
                    KeySpace { from: 4, to: 4, conflicts: ConflictResolution::MvRegister },
                ],
                ..Default::default()
            }),
            ProtocolConfig::Leaderless(LeaderlessConfig {
                tombstone_grace_ms: Some(300.0),
                anti_entropy_ms: Some(100.0),
                sloppy_quorum: true,
                ..Default::default()
            }),
        ];
        for protocol in families {
            let mut s = with_deletes(lf_scenario(4, Default::default(), seed, 200.0));
            s.protocol = protocol;
            s.workload.as_mut().unwrap().keys = 7;
            s.commands = random_faults(seed, 4, 5_000.0, 1_000.0, 6);
            // Every kind of operation on every kind of key, at random.
            let mut rng = SimRng::new(seed);
            for i in 0..60 {
                let (client, key) = (rng.below(4) as usize, rng.below(7) as u32);
                let command = match rng.below(4) {
                    0 => Command::Increment { client, key, by: rng.below(5) as i64 - 2, node: None },
                    1 => Command::Add { client, key, element: None, node: None },
                    2 => Command::Remove { client, key, element: rng.below(100), node: None },
                    _ => Command::Delete { client, key, node: None, quorum: None },
                };
                s.commands.push(TimedCommand { at_ms: i as f64 * 70.0, command });
            }
            let r = run(&s);
            assert!(
                r.metrics.ops_ok > 100,
                "{}: seed {seed}: only {} operations succeeded",
                r.family,
                r.metrics.ops_ok
            );
        }
    }
}
