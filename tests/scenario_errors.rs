//! Bad scenario files get an error that names the field and the problem, and never a panic.

use replicalab_core::presets::PRESETS;
use replicalab_core::rng::SimRng;
use replicalab_core::Scenario;

fn base() -> serde_json::Value {
    serde_json::from_str(PRESETS.iter().find(|p| p.name == "lf-sync").unwrap().json).unwrap()
}

fn error_of(v: &serde_json::Value) -> String {
    Scenario::from_json(&v.to_string()).expect_err("should be refused").to_string()
}

/// What a case calls itself, how it spoils a valid scenario, and what the error must say.
type Case = (&'static str, Box<dyn Fn(&mut serde_json::Value)>, Vec<&'static str>);

#[test]
fn each_mistake_is_named() {
    let cases: Vec<Case> = vec![
        (
            "unknown node in a command",
            Box::new(|v| v["commands"][0]["crash"]["node"] = 7.into()),
            vec!["commands[0].crash.node", "unknown node 7"],
        ),
        ("unknown field", Box::new(|v| v["cluster"]["nodez"] = 3.into()), vec!["cluster", "nodez"]),
        ("wrong type", Box::new(|v| v["cluster"]["nodes"] = "three".into()), vec!["cluster.nodes", "invalid type"]),
        ("newer version", Box::new(|v| v["version"] = 99.into()), vec!["version", "newer"]),
        ("wrong format", Box::new(|v| v["format"] = "other".into()), vec!["format"]),
        ("no nodes", Box::new(|v| v["cluster"]["nodes"] = 0.into()), vec!["cluster.nodes"]),
        (
            "k above the followers",
            Box::new(|v| v["protocol"]["leader_follower"]["ack"] = serde_json::json!({"semi_sync": {"k": 5}})),
            vec!["protocol.leader_follower.ack.semi_sync.k", "between 1 and the number of followers (2)"],
        ),
        (
            "unknown command",
            Box::new(|v| v["commands"][0] = serde_json::json!({"at_ms": 1, "explode": {}})),
            vec!["commands[0]", "explode"],
        ),
        (
            "command without a time",
            Box::new(|v| v["commands"][0] = serde_json::json!({"heal": {}})),
            vec!["commands[0]", "at_ms"],
        ),
        ("negative time", Box::new(|v| v["commands"][0]["at_ms"] = (-5).into()), vec!["commands[0].at_ms"]),
        (
            "overlapping key spaces",
            Box::new(|v| {
                v["protocol"] = serde_json::json!({"multi_leader": {"key_spaces": [
                    {"from": 0, "to": 4, "conflicts": "counter"},
                    {"from": 3, "to": 6, "conflicts": "set"}
                ]}})
            }),
            vec!["protocol.multi_leader.key_spaces[1]", "overlap key_spaces[0]"],
        ),
        (
            "unknown conflict resolution",
            Box::new(|v| {
                v["protocol"] = serde_json::json!({"multi_leader": {"key_spaces": [
                    {"from": 0, "to": 4, "conflicts": "average"}
                ]}})
            }),
            vec!["protocol.multi_leader.key_spaces[0].conflicts", "average"],
        ),
        (
            "a multi-leader resolution in a leaderless cluster",
            Box::new(|v| v["protocol"] = serde_json::json!({"leaderless": {"resolution": "last_arrival"}})),
            vec![
                "protocol.leaderless.resolution",
                "\"last_arrival\" is a multi-leader resolution",
                "\"lww\" or \"siblings\"",
            ],
        ),
        (
            "an unknown resolution in a leaderless cluster",
            Box::new(|v| v["protocol"] = serde_json::json!({"leaderless": {"resolution": "average"}})),
            vec!["protocol.leaderless.resolution", "average"],
        ),
        (
            "negative grace period",
            Box::new(|v| v["protocol"] = serde_json::json!({"leaderless": {"tombstone_grace_ms": -1}})),
            vec!["protocol.leaderless.tombstone_grace_ms"],
        ),
        (
            "remove without an element",
            Box::new(|v| v["commands"][0] = serde_json::json!({"at_ms": 1, "remove": {"client": 0, "key": 1}})),
            vec!["commands[0]", "element"],
        ),
        ("bad probability", Box::new(|v| v["cluster"]["network"]["loss"] = 1.5.into()), vec!["cluster.network.loss"]),
        (
            "inverted latency bounds",
            Box::new(|v| {
                v["cluster"]["links"][0]["latency"] = serde_json::json!({"uniform": {"min_ms": 9, "max_ms": 1}})
            }),
            vec!["cluster.links[0].latency", "max_ms"],
        ),
        (
            "unknown client",
            Box::new(|v| v["commands"][0] = serde_json::json!({"at_ms": 1, "write": {"client": 9, "key": 1}})),
            vec!["commands[0].write.client", "unknown client 9"],
        ),
        (
            "two protocols",
            Box::new(|v| v["protocol"]["leaderless"] = serde_json::json!({})),
            vec!["protocol", "exactly one protocol", "found 2", "leader_follower", "leaderless"],
        ),
        (
            "a cut of a node's link to itself",
            Box::new(|v| v["commands"][0] = serde_json::json!({"at_ms": 1, "cut": {"from": 1, "to": 1}})),
            vec!["commands[0].cut.to", "no link to itself"],
        ),
        (
            "promote in a leaderless cluster",
            Box::new(|v| {
                v["protocol"] = serde_json::json!({"leaderless": {}});
                v["commands"][0] = serde_json::json!({"at_ms": 1, "promote": {"node": 1}});
            }),
            vec!["commands[0].promote", "only a leader-follower cluster"],
        ),
        (
            "no rate",
            Box::new(|v| v["workload"]["rate_per_s"] = 0.into()),
            vec!["workload.rate_per_s", "more than 0", "got 0"],
        ),
        (
            "node in two groups",
            Box::new(|v| v["commands"][0] = serde_json::json!({"at_ms": 1, "partition": {"groups": [[0, 1], [1, 2]]}})),
            vec!["groups[1][0]", "two groups"],
        ),
    ];
    for (name, mutate, expect) in cases {
        let mut v = base();
        mutate(&mut v);
        let e = error_of(&v);
        for want in expect {
            assert!(e.contains(want), "{name}: error {e:?} should mention {want:?}");
        }
    }
}

#[test]
fn an_unknown_command_is_called_a_command_and_the_names_are_listed() {
    let mut v = base();
    v["commands"][0] = serde_json::json!({"at_ms": 1, "explode": {"node": 1}});
    let e = error_of(&v);
    assert!(e.starts_with("at `commands[0]`: unknown command `explode`, expected one of `crash`"), "{e}");
    assert!(!e.contains(".:"), "no empty path in the message: {e}");
}

#[test]
fn a_byte_order_mark_is_not_an_error() {
    let text = PRESETS.iter().find(|p| p.name == "lf-sync").unwrap().json;
    let with_bom = format!("\u{feff}{text}");
    assert_eq!(Scenario::from_json(&with_bom).unwrap(), Scenario::from_json(text).unwrap());
}

#[test]
fn malformed_json_names_the_line() {
    let e = Scenario::from_json("{\n  \"format\": \"replicalab-scenario\",\n  \"version\": 1,\n  oops\n}").unwrap_err();
    assert!(e.to_string().contains("line 4"), "{e}");
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let big = " ".repeat(replicalab_core::scenario::MAX_SCENARIO_BYTES + 1);
    assert!(Scenario::from_json(&big).unwrap_err().to_string().contains("limit"));
}

/// Truncations and random byte edits of every preset: each is accepted or refused, never a
/// panic. (A proper fuzzing campaign of the link decoder belongs to the sharing work.)
#[test]
fn mutated_scenarios_never_panic() {
    let mut rng = SimRng::new(2024);
    for p in PRESETS {
        let bytes = p.json.as_bytes();
        for cut in (0..bytes.len()).step_by(7) {
            let _ = Scenario::from_json(&String::from_utf8_lossy(&bytes[..cut]));
        }
        for _ in 0..2_000 {
            let mut b = bytes.to_vec();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len() as u64) as usize;
                b[i] = b"0123456789-.,:{}[]\"aez \n"[rng.below(24) as usize];
            }
            if let Ok(s) = Scenario::from_json(&String::from_utf8_lossy(&b)) {
                // Whatever is accepted must also run.
                let mut sim = replicalab_core::Simulation::new(&s);
                sim.run_until(50_000);
            }
        }
    }
}

/// Commands that find nothing to do leave a note in the trace saying why.
#[test]
fn commands_that_do_nothing_say_why() {
    use replicalab_core::{Command, Simulation};
    let s = Scenario::from_json(PRESETS.iter().find(|p| p.name == "lf-async").unwrap().json).unwrap();
    let mut sim = Simulation::new(&s);
    sim.set_trace_capacity(10_000);
    sim.run_until(500_000);
    // (Demoting a running follower is the protocol's to ignore: no note.)
    for c in [Command::Restart { node: 1 }, Command::Resume { node: 2 }, Command::Demote { node: 2 }] {
        sim.apply(c).unwrap();
    }
    sim.apply(Command::Crash { node: 2 }).unwrap();
    sim.apply(Command::Pause { node: 2 }).unwrap();
    sim.apply(Command::Promote { node: 2 }).unwrap();
    let notes: Vec<String> = sim
        .trace()
        .recent()
        .filter(|e| matches!(e.event, replicalab_core::event::WorldEvent::NoEffect { .. }))
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        notes,
        vec![
            "restart n1 does nothing: it is running, not crashed",
            "resume n2 does nothing: it is not paused",
            "pause n2 does nothing: it is down",
            "promote n2 does nothing: it is not running",
        ],
        "{notes:?}"
    );
}

/// Always: a command applied to a running simulation is taken or refused exactly as scenario
/// validation would take or refuse it in a scenario file (same message, its path `command`
/// instead of `commands[0]`), a refused one changes nothing, and nothing panics: 600 random
/// commands with node and client ids up to twice the cluster's size.
#[test]
fn a_command_applied_live_is_checked_as_scenario_validation_checks_it() {
    use replicalab_core::scenario::TimedCommand;
    use replicalab_core::{Command, Simulation};
    for preset in ["lf-async", "ll-strict-quorum", "ml-siblings"] {
        let s = Scenario::from_json(PRESETS.iter().find(|p| p.name == preset).unwrap().json).unwrap();
        let n = s.cluster.nodes as u64;
        let mut rng = SimRng::new(11);
        let mut sim = Simulation::new(&s);
        let (mut taken, mut refused) = (0, 0);
        for i in 0..200 {
            let node = rng.below(2 * n) as usize;
            let other = rng.below(2 * n) as usize;
            let client = rng.below(2 * n) as usize;
            let command = match rng.below(9) {
                0 => Command::Crash { node },
                1 => Command::Restart { node },
                2 => Command::Pause { node },
                3 => Command::Resume { node },
                4 => Command::Promote { node },
                5 => Command::Cut { from: node, to: other, both: rng.below(2) == 0 },
                6 => Command::Write { client, key: 1, value: None, node: Some(node), quorum: None },
                7 => Command::Slow { node, factor: rng.below(3000) as f64 / 2.0 },
                _ => Command::Heal {},
            };
            let mut probe = s.clone();
            probe.commands = vec![TimedCommand { at_ms: 0.0, command: command.clone() }];
            let want = probe.validate().map_err(|e| e.to_string().replacen("commands[0]", "command", 1));
            let before = sim.trace_hash();
            let got = sim.apply(command.clone()).map_err(|e| e.to_string());
            assert_eq!(got, want, "{preset}, command {i}: {command:?}");
            if got.is_err() {
                refused += 1;
                assert_eq!(sim.trace_hash(), before, "{preset}: a refused command changed the run");
            } else {
                taken += 1;
            }
            let t = sim.now() + 20_000;
            sim.run_until(t);
        }
        assert!(taken > 20 && refused > 20, "{preset}: {taken} taken, {refused} refused: both must be exercised");
    }
}
