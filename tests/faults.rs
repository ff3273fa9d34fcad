//! Fault spans come from what the world did, not from the command list: over random fault
//! scripts in every family, at every instant an open "down" span exists exactly for the nodes
//! that are down, an open "paused" span exactly for the paused ones, an open cut or partition
//! exactly when some link is cut, and the partition groups match the cut links. A STONITH
//! power-off opens a down span naming who powered the node off.

use replicalab_core::faults::{Fault, FaultKind};
use replicalab_core::presets;
use replicalab_core::scenario::Command;
use replicalab_core::time::from_ms;
use replicalab_core::view::Health;
use replicalab_core::Simulation;
use replicalab_tests::{random_faults, repro};

const SEEDS: u64 = 25;

#[test]
fn open_fault_spans_always_match_the_world() {
    for preset in ["lf-async", "ml-siblings", "ll-strict-quorum", "split-brain-stonith"] {
        for seed in 0..SEEDS {
            let mut s = presets::find(preset).unwrap().scenario().unwrap();
            s.seed = seed;
            s.duration_ms = 4_000.0;
            let n = s.cluster.nodes;
            s.commands.extend(random_faults(seed, n, 4_000.0, 500.0, 6));
            // Repeats that must change nothing: a second crash, a resume of a running node.
            s.commands.push(replicalab_core::TimedCommand { at_ms: 1_000.0, command: Command::Crash { node: 0 } });
            s.commands.push(replicalab_core::TimedCommand { at_ms: 1_001.0, command: Command::Crash { node: 0 } });
            s.commands.push(replicalab_core::TimedCommand { at_ms: 1_002.0, command: Command::Resume { node: 1 } });
            s.commands.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
            let mut sim = Simulation::new(&s);
            for step in 1..=80u64 {
                sim.run_until(from_ms(step as f64 * 50.0));
                let v = sim.view();
                let open: Vec<_> = v.faults.iter().filter(|f| f.end.is_none()).collect();
                for node in &v.nodes {
                    let down =
                        open.iter().filter(|f| matches!(f.fault, Fault::Down { node: d, .. } if d == node.id)).count();
                    let paused = open.iter().filter(|f| f.fault == Fault::Paused { node: node.id }).count();
                    assert_eq!(
                        down,
                        usize::from(node.health == Health::Crashed),
                        "{preset} n{} at {}; {}",
                        node.id,
                        v.now,
                        repro(&s)
                    );
                    assert_eq!(
                        paused,
                        usize::from(node.health == Health::Paused),
                        "{preset} n{} at {}; {}",
                        node.id,
                        v.now,
                        repro(&s)
                    );
                }
                let cut = v.links.iter().any(|l| l.cut);
                let split = open.iter().any(|f| matches!(f.fault, Fault::Partition { .. } | Fault::Cut { .. }));
                assert_eq!(cut, split, "{preset} at {}; {}", v.now, repro(&s));
                assert_eq!(v.groups.len() > 1, cut, "{preset} at {}; {}", v.now, repro(&s));
                assert!(v.groups.iter().flatten().count() == n, "every node in one group");
                // Spans never end before they start, and kinds agree with faults.
                assert!(v.faults.iter().all(|f| f.end.is_none_or(|e| e >= f.start) && f.kind == f.fault.kind()));
            }
        }
    }
}

#[test]
fn a_stonith_power_off_is_a_down_span_naming_who_did_it() {
    let s = presets::find("split-brain-stonith").unwrap().scenario().unwrap();
    let mut sim = Simulation::new(&s);
    sim.run_until(from_ms(s.duration_ms));
    let v = sim.view();
    let powered: Vec<_> = v.faults.iter().filter(|f| matches!(f.fault, Fault::Down { by: Some(_), .. })).collect();
    assert!(!powered.is_empty(), "{:?}", v.faults);
    assert!(powered.iter().all(|f| f.kind == FaultKind::Crash && f.label().contains("powered off by")));
}
