//! Failover: the dangers the seed article names happen on demand, and each mitigation works.
//! Properties are checked over many seeds with random crashes, pauses and partitions; a
//! failure prints the seed and the scenario.

use std::panic::{catch_unwind, AssertUnwindSafe};

use replicalab_core::checkers::AnomalyKind;
use replicalab_core::presets;
use replicalab_core::protocol::Protocol;
use replicalab_core::protocols::leader_follower::{AckPolicy, Failover, Fencing, LeaderFollowerNode};
use replicalab_core::scenario::{ProtocolConfig, Scenario};
use replicalab_core::time::{from_ms, MS};
use replicalab_core::view::Role;
use replicalab_core::{Report, Sim, Simulation};
use replicalab_tests::{lf_scenario, random_faults, repro};

const SEEDS: u64 = 60;

fn with_failover(mut s: Scenario, failover: Failover, fencing: Fencing) -> Scenario {
    let ProtocolConfig::LeaderFollower(cfg) = &mut s.protocol else { unreachable!("a leader-follower scenario") };
    cfg.failover = failover;
    cfg.fencing = fencing;
    s
}

fn election() -> Failover {
    Failover::Election { timeout_ms: [150.0, 300.0] }
}

/// A cluster under random faults, including the leader's, that ends healed and quiet.
fn faulty(n: usize, ack: AckPolicy, failover: Failover, fencing: Fencing, seed: u64) -> Scenario {
    let mut s = with_failover(lf_scenario(n, ack, seed, 200.0), failover, fencing);
    s.duration_ms = 5_000.0;
    s.workload.as_mut().unwrap().stop_ms = Some(3_500.0);
    s.commands = random_faults(seed, n, 5_000.0, 1_500.0, 6);
    s
}

fn run(s: &Scenario) -> Sim<LeaderFollowerNode> {
    catch_unwind(AssertUnwindSafe(|| {
        let Simulation::LeaderFollower(mut sim) = Simulation::new(s) else {
            unreachable!("a leader-follower scenario")
        };
        sim.run_until(from_ms(s.duration_ms));
        sim.check_now();
        sim
    }))
    .unwrap_or_else(|_| panic!("the simulator panicked; {}", repro(s)))
}

fn count(sim: &Sim<LeaderFollowerNode>, kind: AnomalyKind) -> usize {
    sim.anomalies().iter().filter(|a| a.kind == kind).count()
}

#[test]
fn majority_elections_with_safe_acks_never_lose_writes_or_share_a_term() {
    for ack in [AckPolicy::Majority, AckPolicy::Sync] {
        for seed in 0..SEEDS {
            let s = faulty(5, ack.clone(), election(), Fencing::default(), seed);
            let sim = run(&s);
            assert_eq!(count(&sim, AnomalyKind::LostWrite), 0, "{ack:?}: {:?}; {}", sim.anomalies(), repro(&s));
            assert_eq!(count(&sim, AnomalyKind::SplitBrain), 0, "{ack:?}: {:?}; {}", sim.anomalies(), repro(&s));
            let spans = sim.leader_spans();
            for (i, a) in spans.iter().enumerate() {
                for b in &spans[i + 1..] {
                    assert!(
                        a.1 != b.1 || a.0 == b.0,
                        "{ack:?}: n{} and n{} both led term {}; {}",
                        a.0,
                        b.0,
                        a.1,
                        repro(&s)
                    );
                }
            }
        }
    }
}

#[test]
fn after_healing_one_leader_remains_and_every_log_converges() {
    for seed in 0..SEEDS {
        let s = faulty(5, AckPolicy::Majority, election(), Fencing::default(), seed);
        let sim = run(&s);
        let leaders: Vec<usize> = (0..5).filter(|&i| sim.node(i).role() == Role::Leader).collect();
        assert_eq!(leaders.len(), 1, "leaders {leaders:?}; {}", repro(&s));
        let lead: Vec<(u64, u64)> = sim.node(leaders[0]).log().iter().map(|e| (e.term, e.op)).collect();
        for i in 0..5 {
            let log: Vec<(u64, u64)> = sim.node(i).log().iter().map(|e| (e.term, e.op)).collect();
            assert!(
                log == lead,
                "n{i} has {} entries, leader n{} has {}; {}",
                log.len(),
                leaders[0],
                lead.len(),
                repro(&s)
            );
        }
    }
}

#[test]
fn async_failover_sometimes_loses_acknowledged_writes() {
    let lost = (0..SEEDS).find(|&seed| {
        let s = faulty(3, AckPolicy::Async, election(), Fencing::default(), seed);
        count(&run(&s), AnomalyKind::LostWrite) > 0
    });
    assert!(lost.is_some(), "async replication with elections never lost a write in {SEEDS} seeds");
}

#[test]
fn naive_failover_under_partitions_sometimes_splits_the_brain() {
    let naive = Failover::Naive { timeout_ms: [300.0, 400.0] };
    let split = (0..SEEDS).find(|&seed| {
        let s = faulty(3, AckPolicy::Async, naive.clone(), Fencing::default(), seed);
        count(&run(&s), AnomalyKind::SplitBrain) > 0
    });
    assert!(split.is_some(), "naive failover never produced split brain in {SEEDS} seeds");
}

#[test]
fn random_faults_never_panic_in_any_failover_mode() {
    let modes = [
        Failover::Manual,
        election(),
        Failover::Naive { timeout_ms: [100.0, 500.0] },
        Failover::Coordinator { node: 4, ttl_ms: 500.0 },
    ];
    for mode in modes {
        for seed in 0..20 {
            for fencing in
                [Fencing::default(), Fencing { terms: false, lease_ms: Some(100.0), stonith: true, clients: true }]
            {
                let mut s = faulty(5, AckPolicy::Async, mode.clone(), fencing, seed);
                if matches!(mode, Failover::Coordinator { .. }) {
                    s.clients = Some(s.clients().into_iter().take(4).collect());
                }
                run(&s);
            }
        }
    }
}

fn preset(name: &str, seed: u64) -> Report {
    let mut s = presets::find(name).unwrap().scenario().unwrap();
    s.seed = seed;
    replicalab_core::run(&s, None)
}

#[test]
fn presets_show_their_signature_behaviour() {
    for seed in 1..6 {
        let lost = |r: &Report| r.metrics.lost_writes;
        let split = |r: &Report| r.anomaly_counts.get("split_brain").copied().unwrap_or(0);

        let r = preset("failover-async-loss", seed);
        assert!(lost(&r) > 0, "seed {seed}: async failover loses acknowledged writes");
        assert_eq!(r.metrics.notes.get("discarded"), Some(&1), "seed {seed}: the old leader rolls back once");

        for name in ["failover-majority-no-loss", "failover-sync-crash", "paused-leader-fenced"] {
            let r = preset(name, seed);
            assert_eq!(lost(&r), 0, "seed {seed}: {name} loses nothing");
            assert_eq!(split(&r), 0, "seed {seed}: {name} never has two leaders acknowledging");
            let f = &r.metrics.failovers[0];
            assert!(f.new_leader.is_some() && f.new_leader != Some(0), "seed {seed}: {name}: {f:?}");
        }

        let r = preset("split-brain-naive", seed);
        assert_eq!(split(&r), 1, "seed {seed}: naive failover splits the brain");
        assert!(r.metrics.split_brain_writes > 10);
        assert!(lost(&r) > 0, "seed {seed}: the losing side's writes are discarded on heal");

        for name in ["split-brain-stonith", "split-brain-lease"] {
            let r = preset(name, seed);
            assert_eq!(split(&r), 0, "seed {seed}: {name} prevents split brain: {:?}", r.anomalies);
        }
        assert_eq!(preset("split-brain-stonith", seed).metrics.notes.get("stonith"), Some(&1));
        assert!(preset("split-brain-lease", seed).metrics.notes.contains_key("lease_expired"));

        let r = preset("paused-leader-fenced", seed);
        assert!(r.metrics.notes.get("fenced").copied().unwrap_or(0) > 0, "seed {seed}: the woken leader is refused");

        let r = preset("patroni-coordinator", seed);
        assert!(
            r.metrics.notes.contains_key("lock_lost") && r.metrics.notes.contains_key("lock_granted"),
            "seed {seed}: {:?}",
            r.metrics.notes
        );
        assert_eq!(split(&r), 0, "seed {seed}: the lock prevents two leaders");
    }
}

#[test]
fn failover_metrics_measure_detection_election_and_unavailability() {
    for seed in 1..6 {
        let r = preset("failover-majority-no-loss", seed);
        let f = &r.metrics.failovers[0];
        assert_eq!((f.failed_leader, f.cause.as_str(), f.failure_ms), (0, "partition", 2000.0));
        let detect = f.time_to_detect_ms.unwrap();
        let elect = f.time_to_elect_ms.unwrap();
        let down = f.unavailability_ms.unwrap();
        // Election timeouts are 150-300 ms, and the last heartbeat came at most 50 ms before.
        assert!((100.0..=300.0).contains(&detect), "seed {seed}: detect {detect}");
        assert!(elect < 100.0, "seed {seed}: elect {elect}");
        assert!(down >= detect + elect, "seed {seed}: {f:?}");

        let r = preset("patroni-coordinator", seed);
        let f = &r.metrics.failovers[0];
        // Followers suspect after one TTL; the lock frees one TTL after the last renewal.
        assert!(f.time_to_detect_ms.unwrap() >= 900.0, "seed {seed}: {f:?}");
    }
}

#[test]
fn github_2018_leaves_neither_side_with_all_writes() {
    for seed in 1..4 {
        let mut s = presets::find("github-2018").unwrap().scenario().unwrap();
        s.seed = seed;
        let Simulation::LeaderFollower(mut sim) = Simulation::new(&s) else {
            unreachable!("a leader-follower scenario")
        };
        // Just before the heal: compare the East primary with the promoted West replica.
        sim.run_until(4_499 * MS);
        let holds = |i: usize| {
            let mut set = std::collections::BTreeSet::new();
            sim.node(i).for_each_write(&mut |k, v| {
                set.insert((k, v));
            });
            set
        };
        let (east, west) = (holds(0), holds(3));
        let acked: Vec<(u32, u64)> = sim
            .history()
            .ops
            .iter()
            .filter(|o| o.is_ok() && o.kind.is_write())
            .map(|o| (o.key(), o.written().unwrap()))
            .collect();
        assert!(acked.iter().any(|w| east.contains(w) && !west.contains(w)), "seed {seed}: East has writes West lacks");
        assert!(acked.iter().any(|w| west.contains(w) && !east.contains(w)), "seed {seed}: West has writes East lacks");
        assert_eq!(sim.node(3).role(), Role::Leader);
        assert_eq!(sim.node(0).role(), Role::Leader, "the East primary is never fenced during the partition");
        sim.run_until(8_000 * MS);
        sim.check_now();
        assert_eq!(count(&sim, AnomalyKind::SplitBrain), 1);
        // The East writes West lacks are set aside for reconciliation by hand, not lost.
        assert_eq!(count(&sim, AnomalyKind::LostWrite), 0);
        // East clients now write across the country.
        let east_late: Vec<f64> = sim
            .history()
            .ops
            .iter()
            .filter(|o| o.client == 0 && o.kind.is_write() && o.invoke > 5_000 * MS && o.is_ok())
            .map(|o| o.latency().unwrap() as f64 / 1000.0)
            .collect();
        assert!(!east_late.is_empty() && east_late.iter().all(|&l| l > 50.0), "seed {seed}: {east_late:?}");
    }
}

#[test]
fn clients_that_check_fencing_tokens_refuse_a_deposed_leaders_acknowledgement() {
    use replicalab_core::scenario::{ClientConfig, TimedCommand};
    let scenario = |clients_fence: bool| {
        let mut s = with_failover(
            lf_scenario(3, AckPolicy::Async, 1, 0.0),
            election(),
            Fencing { clients: clients_fence, ..Fencing::default() },
        );
        s.workload = None;
        s.clients = Some(vec![ClientConfig { timeout_ms: 5_000.0, ..ClientConfig::at(1) }]);
        let write = |at_ms: f64| TimedCommand {
            at_ms,
            command: replicalab_core::Command::Write { client: 0, key: 1, value: None, node: None, quorum: None },
        };
        s.commands = vec![
            TimedCommand { at_ms: 1_000.0, command: replicalab_core::Command::Pause { node: 0 } },
            // Sent to n0, which n1 still believes leads: it waits in the stalled process.
            write(1_001.0),
            // After the election: goes to the new leader, which answers in term 2.
            write(1_800.0),
            TimedCommand { at_ms: 3_000.0, command: replicalab_core::Command::Resume { node: 0 } },
        ];
        s.duration_ms = 5_000.0;
        s
    };
    let off = replicalab_core::run(&scenario(false), None);
    assert_eq!(off.history[0].outcome, "ok", "the woken leader acknowledges the queued write");
    assert_eq!(off.metrics.lost_writes, 1, "…and then rolls it back: {:?}", off.anomalies);
    let on = replicalab_core::run(&scenario(true), None);
    assert_eq!(on.history[1].outcome, "ok");
    // The deposed leader applied the write before the client refused its answer: the client
    // cannot call it refused, only unknown.
    assert_eq!(on.history[0].outcome, "unknown", "{:?}", on.history[0]);
    assert!(on.history[0].reason.as_deref().unwrap_or("").contains("fenced"));
    assert_eq!(on.metrics.lost_writes, 0, "nothing acknowledged is lost");
}

/// Manual failover: crash the leader, promote a follower, restart the old leader, at random
/// times. The returning leader must learn the promoted node's newer term before it leads: no
/// two nodes ever lead the same term, the promoted leader stays leader, its acknowledged writes
/// are never discarded, and every log converges.
#[test]
fn a_leader_back_after_a_manual_failover_follows_the_promoted_node() {
    use replicalab_core::rng::SimRng;
    use replicalab_core::scenario::TimedCommand;
    use replicalab_core::Command;
    for seed in 0..SEEDS {
        let mut rng = SimRng::new(seed);
        let n = if seed % 2 == 0 { 3 } else { 5 };
        let mut s = with_failover(lf_scenario(n, AckPolicy::Async, seed, 200.0), Failover::Manual, Fencing::default());
        s.duration_ms = 5_000.0;
        s.workload.as_mut().unwrap().stop_ms = Some(4_000.0);
        let crash = 300.0 + rng.below(1_000) as f64;
        let promote = crash + 20.0 + rng.below(500) as f64;
        let restart = promote + 1.0 + rng.below(1_000) as f64;
        let p = 1 + rng.below(n as u64 - 1) as usize;
        s.commands = vec![
            TimedCommand { at_ms: crash, command: Command::Crash { node: 0 } },
            TimedCommand { at_ms: promote, command: Command::Promote { node: p } },
            TimedCommand { at_ms: restart, command: Command::Restart { node: 0 } },
        ];
        let sim = run(&s);
        let spans = sim.leader_spans();
        for (i, a) in spans.iter().enumerate() {
            for b in &spans[i + 1..] {
                assert!(a.1 != b.1 || a.0 == b.0, "n{} and n{} both led term {}; {}", a.0, b.0, a.1, repro(&s));
            }
        }
        let leaders: Vec<usize> = (0..n).filter(|&i| sim.node(i).role() == Role::Leader).collect();
        assert_eq!(leaders, vec![p], "the promoted n{p} must lead at the end; {}", repro(&s));
        let lost: Vec<_> = sim
            .anomalies()
            .iter()
            .filter(|a| a.kind == AnomalyKind::LostWrite)
            .filter(|a| sim.history().get(a.ops[0]).and_then(|o| o.ok_time()).is_some_and(|t| t > from_ms(promote)))
            .collect();
        assert!(lost.is_empty(), "writes the promoted leader acknowledged were lost: {lost:?}; {}", repro(&s));
        let late_ok = sim
            .history()
            .ops
            .iter()
            .filter(|o| o.invoke > from_ms(restart + 500.0) && o.kind.is_write() && o.is_ok())
            .count();
        assert!(late_ok > 50, "only {late_ok} writes succeeded after the old leader came back; {}", repro(&s));
        let lead: Vec<(u64, u64)> = sim.node(p).log().iter().map(|e| (e.term, e.op)).collect();
        for i in 0..n {
            let log: Vec<(u64, u64)> = sim.node(i).log().iter().map(|e| (e.term, e.op)).collect();
            assert!(log == lead, "n{i} has {} entries, the leader {}; {}", log.len(), lead.len(), repro(&s));
        }
    }
}
