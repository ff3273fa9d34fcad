//! The structured message record (what space-time diagrams draw) and restoring one cut link.
//! Properties over many seeds with random faults; a failure prints the seed and the scenario.

use replicalab_core::event::{EventKind, SendFate, WorldEvent};
use replicalab_core::protocols::leader_follower::AckPolicy;
use replicalab_core::scenario::{Command, Scenario, TimedCommand};
use replicalab_core::time::from_ms;
use replicalab_core::view::MessageFate;
use replicalab_core::Simulation;
use replicalab_tests::{lf_scenario, random_faults, repro};

const SEEDS: u64 = 30;

fn faulty(seed: u64) -> Scenario {
    let mut s = lf_scenario(3, AckPolicy::Majority, seed, 200.0);
    s.duration_ms = 3_000.0;
    s.commands = random_faults(seed, 3, 3_000.0, 500.0, 4);
    s
}

#[test]
fn every_recorded_message_matches_the_trace_and_the_wire() {
    for seed in 0..SEEDS {
        let s = faulty(seed);
        let mut sim = Simulation::new(&s);
        sim.set_message_capacity(1_000_000);
        sim.set_trace_capacity(10_000_000);
        let mut plain = Simulation::new(&s);
        for step in 1..=30u64 {
            let t = from_ms(step as f64 * 100.0);
            sim.run_until(t);
            plain.run_until(t);
            // Recording changes nothing the run does.
            assert_eq!(sim.trace_hash(), plain.trace_hash(), "{}", repro(&s));
            // Every message on the wire is recorded; one still in flight was due no later than
            // its copy on the wire (a busy node takes it later; a duplicated message has two
            // copies, and the first to arrive delivers it).
            let wire = sim.view().messages;
            for m in &wire {
                let r = sim
                    .messages()
                    .iter()
                    .find(|r| r.id == m.id)
                    .unwrap_or_else(|| panic!("message {} unrecorded; {}", m.id, repro(&s)));
                assert_eq!((r.from, r.to, r.sent), (m.from, m.to, m.sent), "{}", repro(&s));
                match r.fate {
                    MessageFate::InFlight => assert!(
                        wire.iter().any(|c| c.id == r.id && r.arrived.is_some_and(|a| c.deliver >= a)),
                        "{r:?}; {}",
                        repro(&s)
                    ),
                    MessageFate::Delivered => assert!(r.arrived.is_some_and(|a| a <= sim.view().now)),
                    other => panic!("message {} on the wire but recorded {other:?}; {}", m.id, repro(&s)),
                }
            }
        }
        let records = sim.messages();
        assert!(
            records.iter().zip(records.iter().skip(1)).all(|(a, b)| a.id < b.id),
            "records in id order; {}",
            repro(&s)
        );
        let count = |pick: &dyn Fn(&WorldEvent) -> bool| sim.trace().recent().filter(|e| pick(&e.event)).count();
        let fates = |f: MessageFate| records.iter().filter(|r| r.fate == f).count();
        // Each fate is counted once (a duplicated delivery keeps the first), so records never
        // exceed what the trace shows, and the trace's drops at the sender match exactly.
        let cut = count(&|e| matches!(e, WorldEvent::Sent { fate: SendFate::Cut, .. }));
        let lost = count(&|e| matches!(e, WorldEvent::Sent { fate: SendFate::Lost, .. }));
        assert_eq!(fates(MessageFate::Cut), cut, "{}", repro(&s));
        assert_eq!(fates(MessageFate::Lost), lost, "{}", repro(&s));
        assert!(
            fates(MessageFate::Delivered) <= count(&|e| matches!(e, WorldEvent::Delivered { .. })),
            "{}",
            repro(&s)
        );
        let at_down = count(&|e| matches!(e, WorldEvent::DroppedAtDownNode { .. }));
        assert!(fates(MessageFate::DestinationDown) <= at_down, "{}", repro(&s));
        for r in records {
            match r.fate {
                MessageFate::Cut | MessageFate::Lost => assert_eq!(r.arrived, None, "{}", repro(&s)),
                _ => assert!(r.arrived.is_some_and(|a| a >= r.sent), "{r:?}; {}", repro(&s)),
            }
        }
    }
}

#[test]
fn faults_sometimes_drop_messages_and_records_stay_bounded() {
    let mut dropped = 0;
    for seed in 0..SEEDS {
        let s = faulty(seed);
        let mut sim = Simulation::new(&s);
        sim.set_message_capacity(50);
        sim.run_until(from_ms(s.duration_ms));
        assert!(sim.messages().len() <= 50);
        let mut all = Simulation::new(&s);
        all.set_message_capacity(usize::MAX);
        all.run_until(from_ms(s.duration_ms));
        // The bounded record is the tail of the full one.
        let tail: Vec<_> = all.messages().iter().skip(all.messages().len().saturating_sub(50)).cloned().collect();
        assert_eq!(sim.messages().iter().cloned().collect::<Vec<_>>(), tail, "{}", repro(&s));
        dropped += all
            .messages()
            .iter()
            .filter(|r| r.fate != MessageFate::Delivered && r.fate != MessageFate::InFlight)
            .count();
    }
    assert!(dropped > 0, "random faults never dropped a message in {SEEDS} seeds");
}

#[test]
fn restoring_one_direction_of_a_cut_link_lets_only_that_direction_through() {
    for seed in 0..10 {
        let mut s = lf_scenario(3, AckPolicy::Async, seed, 100.0);
        s.duration_ms = 2_000.0;
        s.commands = vec![
            TimedCommand { at_ms: 500.0, command: Command::Cut { from: 0, to: 1, both: true } },
            TimedCommand { at_ms: 1_000.0, command: Command::Uncut { from: 0, to: 1, both: false } },
            TimedCommand { at_ms: 1_500.0, command: Command::Uncut { from: 1, to: 0, both: true } },
        ];
        let mut sim = Simulation::new(&s);
        sim.set_message_capacity(usize::MAX);
        let cut_links = |sim: &Simulation| -> Vec<(usize, usize)> {
            sim.view().links.iter().filter(|l| l.cut).map(|l| (l.from, l.to)).collect()
        };
        sim.run_until(from_ms(999.0));
        assert_eq!(cut_links(&sim), vec![(0, 1), (1, 0)], "{}", repro(&s));
        sim.run_until(from_ms(1_499.0));
        assert_eq!(cut_links(&sim), vec![(1, 0)], "{}", repro(&s));
        sim.run_until(from_ms(2_000.0));
        assert!(cut_links(&sim).is_empty(), "{}", repro(&s));
        let window = |from: usize, to: usize, a: f64, b: f64, fate: MessageFate| {
            sim.messages()
                .iter()
                .filter(|r| {
                    r.from == from && r.to == to && r.sent >= from_ms(a) && r.sent < from_ms(b) && r.fate == fate
                })
                .count()
        };
        // Between 1.0 and 1.5 s the leader's appends reach n1, n1's answers are cut.
        assert!(window(0, 1, 1_000.0, 1_499.0, MessageFate::Delivered) > 0, "{}", repro(&s));
        assert_eq!(window(0, 1, 1_000.0, 1_499.0, MessageFate::Cut), 0, "{}", repro(&s));
        assert!(window(1, 0, 1_000.0, 1_499.0, MessageFate::Cut) > 0, "{}", repro(&s));
        assert_eq!(window(1, 0, 1_500.0, 2_000.0, MessageFate::Cut), 0, "{}", repro(&s));
    }
}

#[test]
fn uncut_names_unknown_nodes() {
    let mut s = lf_scenario(3, AckPolicy::Async, 1, 10.0);
    s.commands = vec![TimedCommand { at_ms: 1.0, command: Command::Uncut { from: 0, to: 7, both: false } }];
    let err = Scenario::from_json(&s.to_json()).unwrap_err().to_string();
    assert!(err.contains("commands[0]") && err.contains("to") && err.contains('7'), "{err}");
}

#[test]
fn conflict_resolutions_are_kept_while_messages_are_recorded() {
    use replicalab_core::note::NoteKind;
    use replicalab_core::presets;
    for (name, kind) in [
        ("ml-lww-clock-skew", NoteKind::LwwDiscard),
        ("ml-siblings", NoteKind::Conflict),
        ("ml-crdt-merge", NoteKind::Merge),
    ] {
        let s = presets::find(name).unwrap().scenario().unwrap();
        let mut sim = Simulation::new(&s);
        sim.set_message_capacity(1_000);
        sim.run_until(from_ms(s.duration_ms));
        let notes = sim.resolutions();
        assert!(notes.iter().any(|e| e.kind() == EventKind::Note(kind)), "{name}: no {kind} among {notes:?}");
        assert!(
            notes.len() <= 100 && notes.iter().all(|e| matches!(e.kind(), EventKind::Note(k) if k.is_resolution()))
        );
        assert!(notes.iter().zip(notes.iter().skip(1)).all(|(a, b)| a.time <= b.time));
        // Without recording, nothing is kept.
        let mut plain = Simulation::new(&s);
        plain.run_until(from_ms(s.duration_ms));
        assert!(plain.resolutions().is_empty());
        assert_eq!(plain.trace_hash(), sim.trace_hash());
    }
}

/// Always: in the leaderless presets, each recorded message says what it does for which
/// operation as data, so views need not parse labels: a coordinator's put or get is an ask, a
/// replica's acknowledgement or value an answer, a forwarded request a forward, each naming the
/// operation its label names; everything else names none. Sometimes: all three kinds occur.
#[test]
fn messages_carry_their_kind_and_operation() {
    use replicalab_core::presets;
    use replicalab_core::protocol::MessageKind;
    let mut seen = std::collections::BTreeSet::new();
    for name in ["ll-strict-quorum", "ll-sloppy-hinted-handoff", "ll-siblings", "riak-siblings", "lf-async"] {
        let s = presets::find(name).unwrap().scenario().unwrap();
        let mut sim = Simulation::new(&s);
        sim.set_message_capacity(100_000);
        sim.run_until(from_ms(s.duration_ms.min(5_000.0)));
        for m in sim.messages() {
            let word = m.label.split(' ').next().unwrap_or("");
            let want = match word {
                "put" | "get" => MessageKind::Ask,
                "ack" | "value" if m.label.contains(" op") => MessageKind::Answer,
                "forward" => MessageKind::Forward,
                _ => MessageKind::Other,
            };
            assert_eq!(m.kind, want, "{name}: {:?}", m.label);
            let named = m.label.split(' ').find_map(|w| w.strip_prefix("op")).and_then(|n| n.parse::<u64>().ok());
            assert_eq!(m.op, if want == MessageKind::Other { None } else { named }, "{name}: {:?}", m.label);
            seen.insert(format!("{:?}", m.kind));
        }
    }
    assert!(["Ask", "Answer", "Forward", "Other"].iter().all(|k| seen.contains(*k)), "only {seen:?} occurred");
}

/// Always: every recorded message of every family says what it carries as data (views colour
/// it by that, never by its label): writes on their way are data, stored-data confirmations
/// acks, refusals nacks, empty appends or shipments heartbeats. Sometimes: all five occur.
#[test]
fn messages_carry_their_class() {
    use replicalab_core::presets;
    use replicalab_core::protocol::MessageClass;
    let mut seen = std::collections::BTreeSet::new();
    for name in ["lf-async", "split-brain-naive", "ml-siblings", "ll-sloppy-hinted-handoff", "ll-strict-quorum"] {
        let mut s = presets::find(name).unwrap().scenario().unwrap();
        s.commands.extend(random_faults(3, s.cluster.nodes, 5_000.0, 1_000.0, 4));
        let mut sim = Simulation::new(&s);
        sim.set_message_capacity(100_000);
        sim.run_until(from_ms(5_000.0));
        for m in sim.messages() {
            let word = m.label.split([' ', ',']).next().unwrap_or("");
            let want = match word {
                "heartbeat" | "ship" => MessageClass::Heartbeat,
                "nack" | "resend" => MessageClass::Nack,
                "ack" => MessageClass::Ack,
                "handoff" if m.label.starts_with("handoff ack") => MessageClass::Ack,
                "append" | "snapshot" | "put" | "read" | "handoff" | "anti-entropy" => MessageClass::Data,
                _ if m.label.ends_with(" updates") || m.label.contains(" from n") => MessageClass::Data,
                _ => MessageClass::Other,
            };
            assert_eq!(m.class, want, "{name}: {:?}", m.label);
            seen.insert(m.class.name());
        }
    }
    assert_eq!(seen.len(), 5, "only {seen:?} occurred");
}
