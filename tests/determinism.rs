//! Same scenario ⇒ same trace hash; different seeds ⇒ different runs; an interactive session
//! replayed from its recorded commands ⇒ the same run.

use replicalab_core::presets::PRESETS;
use replicalab_core::protocols::leader_follower::AckPolicy;
use replicalab_core::time::MS;
use replicalab_core::{Command, Scenario, Simulation};
use replicalab_tests::{lf_scenario, random_faults};

fn hash_of(s: &Scenario, until_ms: u64) -> (String, u64) {
    let mut sim = Simulation::new(s);
    sim.run_until(until_ms * MS);
    (sim.trace_hash(), sim.events())
}

#[test]
fn every_preset_runs_identically_twice() {
    for p in PRESETS {
        let s = p.scenario().unwrap();
        let a = hash_of(&s, 3_000);
        let b = hash_of(&s, 3_000);
        assert_eq!(a, b, "preset {} is not deterministic", p.name);
        assert!(a.1 > 100, "preset {} did almost nothing ({} events)", p.name, a.1);
    }
}

#[test]
fn different_seeds_give_different_runs() {
    for p in PRESETS {
        let mut s = p.scenario().unwrap();
        let a = hash_of(&s, 2_000);
        s.seed += 1;
        let b = hash_of(&s, 2_000);
        assert_ne!(a.0, b.0, "preset {}: seeds {} and {} gave the same trace", p.name, s.seed - 1, s.seed);
    }
}

#[test]
fn faulty_runs_are_deterministic_too() {
    for seed in 0..20 {
        let mut s = lf_scenario(5, AckPolicy::Majority, seed, 300.0);
        s.commands = random_faults(seed, 5, 5_000.0, 500.0, 6);
        assert_eq!(hash_of(&s, 5_000), hash_of(&s, 5_000), "seed {seed}");
    }
}

#[test]
fn stepping_in_small_increments_changes_nothing() {
    let s = PRESETS[0].scenario().unwrap();
    let whole = hash_of(&s, 2_000);
    let mut sim = Simulation::new(&s);
    let mut t = 0;
    while t < 2_000 * MS {
        t += 16_667; // one 60 Hz frame at normal speed
        sim.run_until(t.min(2_000 * MS));
    }
    assert_eq!((sim.trace_hash(), sim.events()), whole);
}

#[test]
fn interactive_commands_replay_from_the_scenario_they_record() {
    let s = lf_scenario(3, AckPolicy::Sync, 7, 200.0);
    let mut live = Simulation::new(&s);
    live.run_until(500 * MS);
    live.apply(Command::Crash { node: 2 }).unwrap();
    live.run_until(900 * MS);
    live.apply(Command::Write { client: 0, key: 1, value: None, node: None, quorum: None }).unwrap();
    live.apply(Command::Restart { node: 2 }).unwrap();
    live.run_until(1_500 * MS);
    let Simulation::LeaderFollower(sim) = &live else { unreachable!("a leader-follower scenario") };
    let recorded = sim.applied_commands().to_vec();
    assert_eq!(recorded.len(), 3);
    let mut replay_scenario = s.clone();
    replay_scenario.commands = recorded;
    // The recorded scenario survives a JSON round trip.
    let replay_scenario = Scenario::from_json(&replay_scenario.to_json()).unwrap();
    let mut replay = Simulation::new(&replay_scenario);
    replay.run_until(1_500 * MS);
    assert_eq!(replay.trace_hash(), live.trace_hash());
}
