//! Handler tests: given this state and this input, exactly these effects.

use super::*;
use crate::protocol::{Effect, Reply};

type E = Effect<Msg, Timer>;

fn ctx(id: NodeId, clock: Time) -> Ctx {
    Ctx { id, nodes: 4, now: clock, clock }
}

/// A node of a four-node cluster, N=3, W=R=2 (last write wins unless `cfg` says otherwise).
fn node_with(id: NodeId, cfg: LeaderlessConfig) -> LeaderlessNode {
    let mut n = LeaderlessNode::new(id, 4, cfg);
    n.step(&ctx(id, 0), Input::Start, &mut Out::default());
    n
}

fn node(id: NodeId) -> LeaderlessNode {
    node_with(id, LeaderlessConfig { replicas: 3, w: 2, r: 2, ..Default::default() })
}

fn step(n: &mut LeaderlessNode, clock: Time, input: Input<Msg, Timer>) -> Vec<E> {
    let mut out = Out::default();
    let id = n.id;
    n.step(&ctx(id, clock), input, &mut out);
    out.effects
}

fn request(op: OpId, kind: OpKind) -> Input<Msg, Timer> {
    Input::Request(Request::plain(op, 0, kind))
}

fn from(from: NodeId, msg: Msg) -> Input<Msg, Timer> {
    Input::Message { from, msg }
}

fn sends(effects: &[E]) -> Vec<(NodeId, Msg)> {
    effects
        .iter()
        .filter_map(|e| match e {
            E::Send { to, msg } => Some((*to, msg.clone())),
            _ => None,
        })
        .collect()
}

fn replies(effects: &[E]) -> Vec<(OpId, Reply)> {
    effects
        .iter()
        .filter_map(|e| match e {
            E::Reply { op, reply } => Some((*op, reply.clone())),
            _ => None,
        })
        .collect()
}

fn stamped(time: Time, node: NodeId, value: Value) -> State {
    DvvSet::new(Vec::<(NodeId, u64)>::new(), vec![Stamped { time, node, value, deleted: false }])
}

#[test]
fn a_replica_coordinates_a_write_stores_it_and_sends_it_to_the_other_replicas() {
    let mut n0 = node(0);
    let effects = step(&mut n0, 100, request(1, OpKind::Write { key: 0, value: 7 }));
    // Key 0's replicas are n0, n1, n2 (N=3 on a ring of four).
    let to: Vec<NodeId> = sends(&effects).iter().map(|(to, _)| *to).collect();
    assert_eq!(to, vec![1, 2]);
    assert!(sends(&effects).iter().all(|(_, m)| matches!(m, Msg::Put { op: 1, key: 0, hint: None, .. })));
    assert_eq!(n0.data.get(&0).map(|s| s.values().len()), Some(1), "the coordinator stored it");
    assert!(replies(&effects).is_empty(), "one acknowledgement of W=2 so far");
    assert!(effects.iter().any(|e| matches!(e, E::SetTimer { timer: Timer::RequestTimeout(1), .. })));
}

#[test]
fn the_write_is_acknowledged_once_w_replicas_answered_and_says_who() {
    let mut n0 = node(0);
    step(&mut n0, 100, request(1, OpKind::Write { key: 0, value: 7 }));
    let effects = step(&mut n0, 110, from(2, Msg::PutAck { op: 1 }));
    assert_eq!(
        effects.iter().find(|e| matches!(e, E::Note(_))),
        Some(&E::Note(Note::Quorum { op: 1, key: 0, read: false, by: crate::note::Nodes(vec![0, 2]), needed: 2 }))
    );
    assert_eq!(replies(&effects), vec![(1, Reply::Ok { values: vec![], version: vec![], epoch: 0, context: vec![] })]);
    // A late acknowledgement answers nothing again.
    let late = step(&mut n0, 120, from(1, Msg::PutAck { op: 1 }));
    assert!(replies(&late).is_empty(), "{late:?}");
}

#[test]
fn a_write_that_misses_its_quorum_is_unknown_not_failed() {
    let mut n0 = node_with(0, LeaderlessConfig { replicas: 3, w: 3, r: 1, ..Default::default() });
    step(&mut n0, 100, request(1, OpKind::Write { key: 0, value: 7 }));
    step(&mut n0, 110, from(1, Msg::PutAck { op: 1 }));
    let effects = step(&mut n0, 2_000, Input::Timer(Timer::RequestTimeout(1)));
    match &replies(&effects)[..] {
        [(1, Reply::Unknown(reason @ FailReason::QuorumNotReached { write: true, answered: 2, needed: 3 }))] => {
            assert_eq!(reason.to_string(), "unavailable: quorum not reached: 2 of W=3 replicas answered")
        }
        other => panic!("expected unknown, got {other:?}"),
    }
}

#[test]
fn a_read_that_misses_its_quorum_fails() {
    let mut n0 = node(0);
    step(&mut n0, 100, request(1, OpKind::Read { key: 0 }));
    let effects = step(&mut n0, 2_000, Input::Timer(Timer::RequestTimeout(1)));
    assert!(
        matches!(
            &replies(&effects)[..],
            [(1, Reply::Fail(FailReason::QuorumNotReached { write: false, answered: 1, needed: 2 }))]
        ),
        "{effects:?}"
    );
}

#[test]
fn a_replica_stores_a_put_and_acknowledges_it() {
    let mut n1 = node(1);
    let effects =
        step(&mut n1, 100, from(0, Msg::Put { op: 4, key: 0, state: Rc::new(stamped(90, 0, 7)), hint: None }));
    assert_eq!(sends(&effects), vec![(0, Msg::PutAck { op: 4 })]);
    assert_eq!(n1.data.get(&0).map(|s| s.values()), Some(stamped(90, 0, 7).values()));
}

#[test]
fn a_replica_answers_a_get_with_what_it_holds() {
    let mut n1 = node(1);
    step(&mut n1, 100, from(0, Msg::Put { op: 4, key: 0, state: Rc::new(stamped(90, 0, 7)), hint: None }));
    let effects = step(&mut n1, 200, from(2, Msg::Get { op: 5, key: 0 }));
    assert_eq!(sends(&effects), vec![(2, Msg::GetResp { op: 5, state: stamped(90, 0, 7) })]);
    // A key it never saw: the empty state.
    let effects = step(&mut n1, 210, from(2, Msg::Get { op: 6, key: 1 }));
    assert_eq!(sends(&effects), vec![(2, Msg::GetResp { op: 6, state: State::default() })]);
}

#[test]
fn last_write_wins_keeps_the_later_timestamp_whatever_the_arrival_order() {
    let mut n1 = node(1);
    step(&mut n1, 100, from(0, Msg::Put { op: 1, key: 0, state: Rc::new(stamped(500, 0, 8)), hint: None }));
    step(&mut n1, 110, from(2, Msg::Put { op: 2, key: 0, state: Rc::new(stamped(400, 2, 9)), hint: None }));
    let values: Vec<Value> = n1.data[&0].values().iter().map(|s| s.value).collect();
    assert_eq!(values, vec![8], "the older write arriving later does not replace the newer");
}

#[test]
fn a_read_merges_the_answers_and_repairs_the_replica_that_was_behind() {
    let mut n0 = node(0);
    step(&mut n0, 50, from(1, Msg::Put { op: 1, key: 0, state: Rc::new(stamped(40, 1, 5)), hint: None }));
    step(&mut n0, 100, request(2, OpKind::Read { key: 0 }));
    // n1 has a newer value; R=2 is met with n0's own answer and n1's.
    let effects = step(&mut n0, 110, from(1, Msg::GetResp { op: 2, state: stamped(90, 1, 6) }));
    assert!(matches!(&replies(&effects)[..], [(2, Reply::Ok { values, .. })] if values == &vec![6]), "{effects:?}");
    // Once n2 answers too (with nothing), the read repairs n0 (itself) and n2.
    let effects = step(&mut n0, 120, from(2, Msg::GetResp { op: 2, state: State::default() }));
    let repaired: Vec<NodeId> = effects
        .iter()
        .filter_map(|e| match e {
            E::Note(Note::ReadRepair { target, .. }) => Some(*target),
            _ => None,
        })
        .collect();
    assert_eq!(repaired, vec![0, 2]);
    assert_eq!(sends(&effects), vec![(2, Msg::Repair { key: 0, state: stamped(90, 1, 6) })]);
    assert_eq!(n0.data[&0].values().iter().map(|s| s.value).collect::<Vec<_>>(), vec![6]);
}

#[test]
fn without_read_repair_a_read_changes_nothing() {
    let mut n0 = node_with(0, LeaderlessConfig { replicas: 3, w: 2, r: 2, read_repair: false, ..Default::default() });
    step(&mut n0, 100, request(2, OpKind::Read { key: 0 }));
    step(&mut n0, 110, from(1, Msg::GetResp { op: 2, state: stamped(90, 1, 6) }));
    let effects = step(&mut n0, 120, from(2, Msg::GetResp { op: 2, state: State::default() }));
    assert!(sends(&effects).is_empty() && !effects.iter().any(|e| matches!(e, E::Note(_))), "{effects:?}");
    assert!(!n0.data.contains_key(&0));
}

#[test]
fn a_sloppy_quorum_writes_to_a_stand_in_with_a_hint_which_hands_it_off() {
    let cfg = LeaderlessConfig { replicas: 3, w: 2, r: 2, sloppy_quorum: true, ..Default::default() };
    let mut n0 = node_with(0, cfg.clone());
    step(&mut n0, 100, request(1, OpKind::Write { key: 0, value: 7 }));
    // n1 and n2 are silent: the next node on the ring, n3, stands in for them (one spare).
    let effects = step(&mut n0, 400, Input::Timer(Timer::Sloppy(1)));
    assert!(matches!(&sends(&effects)[..], [(3, Msg::Put { op: 1, key: 0, hint: Some(1), .. })]), "{effects:?}");
    assert!(effects.iter().any(|e| matches!(e, E::Note(Note::SloppyQuorum { op: 1, intended: 1, stand_in: 3, .. }))));
    // n3 holds it as a hint for n1, acknowledges, and later hands it off.
    let mut n3 = node_with(3, cfg);
    let state = match &sends(&effects)[0].1 {
        Msg::Put { state, .. } => state.clone(),
        _ => unreachable!(),
    };
    let effects = step(&mut n3, 410, from(0, Msg::Put { op: 1, key: 0, state: state.clone(), hint: Some(1) }));
    assert_eq!(sends(&effects), vec![(0, Msg::PutAck { op: 1 })]);
    assert!(!n3.data.contains_key(&0), "a stand-in keeps the write as a hint, not as its data");
    let effects = step(&mut n3, 700, Input::Timer(Timer::Handoff));
    assert!(sends(&effects).contains(&(1, Msg::Handoff { key: 0, state: (*state).clone() })), "{effects:?}");
}

#[test]
fn a_counter_operation_on_a_leaderless_key_is_refused() {
    let mut n0 = node(0);
    let effects = step(&mut n0, 100, request(1, OpKind::Increment { key: 0, by: 1 }));
    assert!(matches!(&replies(&effects)[..], [(1, Reply::Fail(FailReason::Unavailable { .. }))]), "{effects:?}");
    assert!(sends(&effects).is_empty());
}

#[test]
fn with_siblings_a_non_replica_forwards_the_request_to_the_first_replica() {
    let cfg =
        LeaderlessConfig { replicas: 3, w: 2, r: 2, resolution: ConflictResolution::Siblings, ..Default::default() };
    let mut n3 = node_with(3, cfg);
    // Key 0's replicas are n0, n1, n2: n3 is not one.
    let effects = step(&mut n3, 100, request(1, OpKind::Write { key: 0, value: 7 }));
    assert!(matches!(&sends(&effects)[..], [(0, Msg::Forward { req })] if req.op == 1), "{effects:?}");
}

/// Random states of one key as replicas build them: writes with a context some earlier state
/// gave (or none), and replicas merging each other's states, under either resolution.
fn random_states(rng: &mut crate::rng::SimRng, n: &LeaderlessNode) -> Vec<State> {
    let mut states = vec![State::default(); 1 + rng.below(4) as usize];
    let mut quiet = Out::default();
    for step in 0..rng.below(12) {
        let r = rng.below(states.len() as u64) as usize;
        let s = rng.below(states.len() as u64) as usize;
        let v = Stamped { time: rng.below(6), node: r, value: step, deleted: rng.below(5) == 0 };
        states[r] = match rng.below(3) {
            0 => n.merge(&mut quiet, 0, &states[r], &states[s]),
            _ if n.siblings() => DvvSet::new(states[s].join(), [v]).update_with(&states[r], r),
            _ => n.merge(&mut quiet, 0, &states[r], &DvvSet::new(Vec::<(NodeId, u64)>::new(), [v])),
        };
    }
    states
}

/// Merging a read's responses at once gives what folding the pairwise merge over them from
/// the empty state gives, under last write wins and with siblings.
#[test]
fn merging_all_responses_is_the_fold_of_pairwise_merges() {
    for resolution in [ConflictResolution::Lww, ConflictResolution::Siblings] {
        let n = node_with(0, LeaderlessConfig { replicas: 3, w: 2, r: 2, resolution, ..Default::default() });
        for seed in 0..3_000 {
            let mut rng = crate::rng::SimRng::new(seed);
            let states = random_states(&mut rng, &n);
            let mut quiet = Out::default();
            let folded = states.iter().fold(State::default(), |acc, s| n.merge(&mut quiet, 0, &acc, s));
            assert_eq!(n.merge_all(&states), folded, "{resolution:?}, seed {seed}: {states:?}");
        }
    }
}

/// Storing a state changes the replica, and reports, exactly as merging it in does (the
/// shortcut for a replica that already holds the winner included).
#[test]
fn storing_is_merging_in() {
    for resolution in [ConflictResolution::Lww, ConflictResolution::Siblings] {
        let cfg = LeaderlessConfig { replicas: 3, w: 2, r: 2, resolution, ..Default::default() };
        for seed in 0..3_000 {
            let mut rng = crate::rng::SimRng::new(seed);
            let mut n = node_with(0, cfg.clone());
            let states = random_states(&mut rng, &n);
            for (i, incoming) in states.iter().enumerate() {
                let before = n.data.get(&0).cloned().unwrap_or_default();
                let mut expected_out = Out::default();
                let merged = n.merge(&mut expected_out, 0, &before, incoming);
                let mut out = Out::default();
                let changed = n.store(&mut out, 0, incoming);
                assert_eq!(n.data[&0], merged, "{resolution:?}, seed {seed}, state {i}");
                assert_eq!(changed, !same(&merged, &before), "{resolution:?}, seed {seed}, state {i}");
                assert_eq!(out.effects, expected_out.effects, "{resolution:?}, seed {seed}, state {i}");
            }
        }
    }
}
