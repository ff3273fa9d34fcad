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
                let lost: Vec<u64> =
                    r.anomalies.iter().filter(|a| a.kind == "lost_write").map(|a| a.ops[0]).collect();
                let expected = if fsync == Fsync::Always { vec![] } else { vec![second] };
                assert_eq!(lost, expected, "{name} with {fsync:?}: op{first} was flushed, op{second} was not; {}", repro(&s));
            }
        }
    }
}
