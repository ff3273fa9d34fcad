//! Durability: every family models the same fsync settings. With periodic fsync a crash loses
//! what was written since the last flush, acknowledged or not; with fsync always it loses
//! nothing.

use replicalab_core::protocols::leader_follower::AckPolicy;
use replicalab_core::protocols::leaderless::LeaderlessConfig;
use replicalab_core::protocols::multi_leader::MultiLeaderConfig;
use replicalab_core::scenario::{Fsync, ProtocolConfig, Scenario, TimedCommand};
use replicalab_core::Command;
use replicalab_tests::{lf_scenario, repro, run_report, with_fsync};

fn families(seed: u64) -> Vec<(&'static str, Scenario)> {
    let base = lf_scenario(3, AckPolicy::Sync, seed, 0.0);
    let mut ml = base.clone();
    ml.protocol = ProtocolConfig::MultiLeader(MultiLeaderConfig::default());
    let mut ll = base.clone();
    ll.protocol = ProtocolConfig::Leaderless(LeaderlessConfig { replicas: 3, w: 3, r: 1, ..Default::default() });
    vec![("leader-follower", base), ("multi-leader", ml), ("leaderless", ll)]
}

/// Writes before and after a flush, then every node crashes before the next flush and comes
/// back: the write made before the flush survives, the one after it is lost (and reported) —
/// in every family, at random moments within the flush intervals.
#[test]
fn every_family_loses_exactly_what_was_written_since_the_last_flush() {
    for seed in 0..30u64 {
        let mut rng = replicalab_core::rng::SimRng::new(seed);
        let every = 300.0 + rng.below(200) as f64;
        // A flush at `every`, the next at 2 × `every`.
        let before = 20.0 + rng.below((every - 120.0) as u64) as f64;
        let after = every + 20.0 + rng.below(50) as f64;
        let crash = after + 40.0 + rng.below((every - 120.0) as u64) as f64;
        for (name, s) in families(seed) {
            for fsync in [Fsync::Every { ms: every }, Fsync::Always] {
                let mut s = with_fsync(s.clone(), fsync.clone());
                s.workload = None;
                s.duration_ms = crash + 1_000.0;
                let write = |at_ms: f64, value: u64| TimedCommand {
                    at_ms,
                    command: Command::Write { client: 0, key: 1, value: Some(value), node: Some(0), quorum: None },
                };
                s.commands = vec![write(before, 101), write(after, 102)];
                for node in 0..3 {
                    s.commands.push(TimedCommand { at_ms: crash, command: Command::Crash { node } });
                    s.commands.push(TimedCommand { at_ms: crash + 100.0, command: Command::Restart { node } });
                }
                let r = run_report(&s);
                let op_of = |v: u64| r.history.iter().find(|o| o.value == Some(v)).map(|o| (o.id, o.outcome.clone()));
                let (first, ok1) = op_of(101).unwrap();
                let (second, ok2) = op_of(102).unwrap();
                assert_eq!((ok1.as_str(), ok2.as_str()), ("ok", "ok"), "{name}: {:?}; {}", r.history, repro(&s));
                let lost: Vec<u64> = r.anomalies.iter().filter(|a| a.kind == "lost_write").map(|a| a.ops[0]).collect();
                let expected = if fsync == Fsync::Always { vec![] } else { vec![second] };
                assert_eq!(
                    lost,
                    expected,
                    "{name} with {fsync:?}: op{first} was flushed, op{second} was not; {}",
                    repro(&s)
                );
            }
        }
    }
}

/// Writes acknowledged by a node cut off from the others exist only on its disk. If that node
/// never comes back (crashed for good), they are lost to every client and reported so; if it
/// comes back, nothing is lost. In every family, over many seeds and numbers of writes.
#[test]
fn writes_that_exist_only_on_a_dead_disk_are_lost() {
    for seed in 0..20u64 {
        let mut rng = replicalab_core::rng::SimRng::new(seed);
        let writes = 1 + rng.below(5);
        let mut families = families(seed);
        let ProtocolConfig::LeaderFollower(cfg) = &mut families[0].1.protocol else { unreachable!() };
        cfg.ack = AckPolicy::Async;
        let ProtocolConfig::Leaderless(cfg) = &mut families[2].1.protocol else { unreachable!() };
        cfg.w = 1;
        for (name, s) in families {
            for comes_back in [false, true] {
                let mut s = s.clone();
                s.workload = None;
                s.duration_ms = 3_000.0;
                let at = |at_ms: f64, command: Command| TimedCommand { at_ms, command };
                s.commands = vec![
                    at(100.0, Command::Cut { from: 0, to: 1, both: false }),
                    at(100.0, Command::Cut { from: 0, to: 2, both: false }),
                ];
                for i in 0..writes {
                    let write =
                        Command::Write { client: 0, key: i as u32, value: Some(100 + i), node: Some(0), quorum: None };
                    s.commands.push(at(200.0 + 10.0 * i as f64, write));
                }
                s.commands.push(at(500.0 + rng.below(100) as f64, Command::Crash { node: 0 }));
                if comes_back {
                    s.commands.push(at(1_000.0, Command::Restart { node: 0 }));
                    s.commands.push(at(1_000.0, Command::Heal {}));
                }
                let r = run_report(&s);
                let acked: Vec<u64> =
                    r.history.iter().filter(|o| o.f == "write" && o.outcome == "ok").map(|o| o.id).collect();
                assert_eq!(acked.len() as u64, writes, "{name}: {:?}; {}", r.history, repro(&s));
                let mut lost: Vec<u64> =
                    r.anomalies.iter().filter(|a| a.kind == "lost_write").map(|a| a.ops[0]).collect();
                lost.sort();
                let expected = if comes_back { vec![] } else { acked.clone() };
                assert_eq!(lost, expected, "{name}, n0 comes back: {comes_back}; {:?}; {}", r.anomalies, repro(&s));
            }
        }
    }
}
