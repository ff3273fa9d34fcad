//! Leaderless replication: the quorum condition, sloppy quorums with hinted handoff, repair,
//! and conflicts. Properties over many seeds with random crashes and partitions.

use replicalab_core::conflict::ConflictResolution;
use replicalab_core::presets;
use replicalab_core::protocols::leaderless::LeaderlessConfig;
use replicalab_core::scenario::{ProtocolConfig, Scenario, TimedCommand};
use replicalab_core::time::MS;
use replicalab_core::{Command, Report};
use replicalab_tests::{anomaly_count as count, lf_scenario, random_faults, repro, run_report as run};

const SEEDS: u64 = 30;

fn ll(n: usize, cfg: LeaderlessConfig, seed: u64) -> Scenario {
    let mut s = lf_scenario(n, Default::default(), seed, 200.0);
    s.protocol = ProtocolConfig::Leaderless(cfg);
    s.workload.as_mut().unwrap().read_fraction = 0.5;
    s
}

/// Random faults without clock changes (last write wins needs honest clocks for W + R > N to
/// mean "reads see the latest write").
fn faults_without_skew(seed: u64, n: usize) -> Vec<TimedCommand> {
    random_faults(seed, n, 5_000.0, 1_000.0, 6)
        .into_iter()
        .filter(|c| !matches!(c.command, Command::Clock { .. }))
        .collect()
}

#[test]
fn strict_quorums_never_read_stale_data() {
    for (w, r) in [(2, 2), (3, 1), (1, 3)] {
        for seed in 0..SEEDS {
            let cfg = LeaderlessConfig { replicas: 3, w, r, ..Default::default() };
            let mut s = ll(5, cfg, seed);
            s.commands = faults_without_skew(seed, 5);
            let rep = run(&s);
            assert_eq!(count(&rep, "stale_read"), 0, "W={w} R={r}: {:?}; {}", rep.anomalies, repro(&s));
            assert!(rep.metrics.ops_ok > 200, "W={w} R={r} seed {seed}: only {} ops succeeded", rep.metrics.ops_ok);
        }
    }
}

#[test]
fn partial_quorums_sometimes_read_stale_data() {
    let stale = (0..SEEDS).find(|&seed| {
        let mut s = presets::find("ll-partial-quorum").unwrap().scenario().unwrap();
        s.seed = seed;
        count(&run(&s), "stale_read") > 0
    });
    assert!(stale.is_some(), "W=1, R=1 never read stale data in {SEEDS} seeds");
}

#[test]
fn anti_entropy_makes_replicas_converge_after_faults() {
    for resolution in [ConflictResolution::Lww, ConflictResolution::Siblings] {
        for seed in 0..SEEDS {
            let cfg = LeaderlessConfig {
                replicas: 3,
                w: 1,
                r: 1,
                read_repair: false,
                anti_entropy_ms: Some(100.0),
                resolution,
                ..Default::default()
            };
            let mut s = ll(4, cfg, seed);
            s.duration_ms = 6_000.0;
            s.workload.as_mut().unwrap().stop_ms = Some(3_500.0);
            s.commands = random_faults(seed, 4, 6_000.0, 2_500.0, 5);
            let rep = run(&s);
            assert_eq!(count(&rep, "divergence"), 0, "{resolution:?}: {:?}; {}", rep.anomalies, repro(&s));
        }
    }
}

#[test]
fn without_repair_replicas_stay_different() {
    let mut s = presets::find("ll-anti-entropy").unwrap().scenario().unwrap();
    let ProtocolConfig::Leaderless(cfg) = &mut s.protocol else { unreachable!() };
    cfg.anti_entropy_ms = None;
    assert_eq!(count(&run(&s), "divergence"), 1, "nothing repairs what a partition left behind");
    let s = presets::find("ll-anti-entropy").unwrap().scenario().unwrap();
    let rep = run(&s);
    assert_eq!(count(&rep, "divergence"), 0, "{:?}", rep.anomalies);
    assert!(rep.metrics.notes.get("anti_entropy").copied().unwrap_or(0) > 0);
}

#[test]
fn sloppy_quorums_keep_writes_available_and_hand_them_off() {
    let s = presets::find("ll-sloppy-hinted-handoff").unwrap().scenario().unwrap();
    let sloppy = run(&s);
    let notes = &sloppy.metrics.notes;
    assert!(notes.get("sloppy_quorum").copied().unwrap_or(0) > 0, "{notes:?}");
    assert!(notes.get("hinted_handoff").copied().unwrap_or(0) > 0, "{notes:?}");
    let mut strict = s.clone();
    let ProtocolConfig::Leaderless(cfg) = &mut strict.protocol else { unreachable!() };
    cfg.sloppy_quorum = false;
    let strict = run(&strict);
    let writes_ok = |r: &Report| r.history.iter().filter(|o| o.f == "write" && o.outcome == "ok").count();
    assert!(writes_ok(&sloppy) > writes_ok(&strict), "sloppy {} vs strict {}", writes_ok(&sloppy), writes_ok(&strict));
    assert!(strict.metrics.ops_unknown > 0, "W=3 with a replica down cannot be met without a sloppy quorum");
}

#[test]
fn a_request_can_choose_its_own_quorum() {
    let mut s = ll(3, LeaderlessConfig { replicas: 3, w: 1, r: 1, ..Default::default() }, 1);
    s.workload = None;
    s.commands = vec![
        TimedCommand { at_ms: 100.0, command: Command::Crash { node: 2 } },
        TimedCommand {
            at_ms: 200.0,
            command: Command::Write { client: 0, key: 0, value: None, node: None, quorum: Some(3) },
        },
        TimedCommand {
            at_ms: 200.0,
            command: Command::Write { client: 0, key: 1, value: None, node: None, quorum: Some(2) },
        },
    ];
    let rep = replicalab_core::run(&s, Some(2_000 * MS));
    let outcomes: Vec<&str> = rep.history.iter().map(|o| o.outcome.as_str()).collect();
    // W=3 cannot be met, but the coordinator applied the write and sent it out: unknown.
    assert_eq!(outcomes, vec!["unknown", "ok"], "{:?}", rep.history);
    assert!(rep.history[0].reason.as_deref().unwrap_or("").contains("quorum not reached"));
}

#[test]
fn siblings_and_lww_with_skew() {
    let r = run(&presets::find("ll-siblings").unwrap().scenario().unwrap());
    assert!(
        r.history.iter().any(|o| o.values.as_ref().is_some_and(|v| v.len() > 1)),
        "concurrent writes become siblings"
    );
    assert_eq!(count(&r, "lost_write"), 0);
    let r = run(&presets::find("ll-cassandra-clock-skew").unwrap().scenario().unwrap());
    assert!(count(&r, "lost_write") > 0, "{:?}", r.anomaly_counts);
}

/// Always: every leaderless operation carries its coordinator's quorum as data: the W or R in
/// force (a per-operation quorum clamped once to 1..N, by the protocol), the replicas asked
/// and those that answered (answered ⊆ asked, sorted); an acknowledged write or an ok read
/// heard at least the quorum it needed. Sometimes: a sloppy stand-in is asked beyond the N
/// home replicas, and a per-operation quorum differs from the configured one.
#[test]
fn operations_carry_their_quorum() {
    let (mut stand_ins, mut chosen) = (0, 0);
    for seed in 0..20 {
        let cfg = LeaderlessConfig { sloppy_quorum: seed % 2 == 0, ..LeaderlessConfig::default() };
        let mut s = ll(5, cfg.clone(), seed);
        s.commands = faults_without_skew(seed, 5);
        for (i, q) in [0u32, 1, 2, 9].into_iter().enumerate() {
            let quorum = (q > 0).then_some(q);
            let at_ms = 500.0 + 100.0 * i as f64;
            s.commands.push(TimedCommand {
                at_ms,
                command: Command::Write { client: 0, key: 1, value: None, node: None, quorum },
            });
            s.commands.push(TimedCommand {
                at_ms,
                command: Command::Read { client: 1, key: 1, from: Default::default(), node: None, quorum },
            });
        }
        s.commands.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
        let mut sim = replicalab_core::Simulation::new(&s);
        sim.run_until(replicalab_core::time::from_ms(s.duration_ms));
        for o in &sim.history().ops {
            let Some(q) = &o.quorum else { continue };
            let configured = if o.kind.is_write() { cfg.w } else { cfg.r } as u32;
            assert!((1..=cfg.replicas as u32).contains(&q.needed), "op{} {q:?}; {}", o.id, repro(&s));
            assert!(q.answered.iter().all(|n| q.asked.contains(n)), "op{} {q:?}; {}", o.id, repro(&s));
            if o.is_ok() {
                assert!(q.answered.len() as u32 >= q.needed, "op{} ok with {q:?}; {}", o.id, repro(&s));
            }
            stand_ins += usize::from(q.asked.len() > cfg.replicas);
            chosen += usize::from(q.needed != configured);
        }
    }
    assert!(stand_ins > 0 && chosen > 0, "stand-ins {stand_ins}, chosen quorums {chosen}");
}
