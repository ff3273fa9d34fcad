//! Handler tests: given this state and this input, exactly these effects.

use super::*;
use crate::note::NoteKind;
use crate::protocol::{Effect, Reply};

type E = Effect<Msg, Timer>;

fn ctx(id: NodeId, clock: Time) -> Ctx {
    Ctx { id, nodes: 3, now: clock, clock }
}

fn node(id: NodeId, conflicts: ConflictResolution, causal: bool) -> MultiLeaderNode {
    let cfg = MultiLeaderConfig { conflicts, causal_delivery: causal, ..Default::default() };
    let mut n = MultiLeaderNode::new(id, 3, cfg);
    let mut out = Out::default();
    n.step(&ctx(id, 0), Input::Start, &mut out);
    n
}

fn step(n: &mut MultiLeaderNode, clock: Time, input: Input<Msg, Timer>) -> Vec<E> {
    let mut out = Out::default();
    let id = n.id;
    n.step(&ctx(id, clock), input, &mut out);
    out.effects
}

fn write(op: OpId, key: Key, value: Value) -> Input<Msg, Timer> {
    Input::Request(Request::plain(op, 0, OpKind::Write { key, value }))
}

fn write_with(op: OpId, key: Key, value: Value, context: Version) -> Input<Msg, Timer> {
    let mut r = Request::plain(op, 0, OpKind::Write { key, value });
    r.context = context;
    Input::Request(r)
}

/// The updates a node shipped.
fn shipped(effects: &[E]) -> Vec<(NodeId, Update)> {
    effects
        .iter()
        .flat_map(|e| match e {
            E::Send { to, msg: Msg::Ship { updates, .. } } => updates.iter().map(|u| (*to, u.clone())).collect(),
            _ => vec![],
        })
        .collect()
}

fn deliver(n: &mut MultiLeaderNode, clock: Time, from: NodeId, updates: Vec<Update>) -> Vec<E> {
    let start = n.received.get(&from).copied().unwrap_or(0);
    step(n, clock, Input::Message { from, msg: Msg::Ship { start, end: start + 1, updates } })
}

#[test]
fn a_leader_acknowledges_at_once_and_ships_to_every_leader() {
    let mut a = node(0, ConflictResolution::Lww, true);
    let effects = step(&mut a, 10, write(1, 5, 50));
    assert_eq!(
        effects.last(),
        Some(&E::Reply {
            op: 1,
            reply: Reply::Ok { values: vec![], version: vec![1, 0, 0], epoch: 0, context: vec![] }
        }),
        "acknowledged with the leader's version vector, its session token"
    );
    let to: Vec<NodeId> = shipped(&effects).iter().map(|(to, _)| *to).collect();
    assert_eq!(to, vec![1, 2]);
}

#[test]
fn last_write_wins_keeps_the_highest_timestamp_and_says_what_it_dropped() {
    let mut a = node(0, ConflictResolution::Lww, true);
    let mut b = node(1, ConflictResolution::Lww, true);
    let ua = shipped(&step(&mut a, 100, write(1, 5, 50)))[0].1.clone();
    let ub = shipped(&step(&mut b, 200, write(2, 5, 60)))[0].1.clone();
    // a hears of b's later write: b wins.
    let effects = deliver(&mut a, 300, 1, vec![ub]);
    assert!(!effects.iter().any(|e| matches!(e, E::Note(n) if n.kind() == NoteKind::LwwDiscard)));
    assert_eq!(a.read(5).0, vec![60]);
    // b hears of a's earlier write: it is dropped, and said so.
    let effects = deliver(&mut b, 300, 0, vec![ua]);
    assert!(effects.iter().any(|e| matches!(e, E::Note(n) if n.kind() == NoteKind::LwwDiscard)), "{effects:?}");
    assert_eq!(b.read(5).0, vec![60]);
}

#[test]
fn siblings_keep_concurrent_writes_and_a_write_with_context_collapses_them() {
    let mut a = node(0, ConflictResolution::Siblings, true);
    let mut b = node(1, ConflictResolution::Siblings, true);
    step(&mut a, 100, write(1, 5, 50));
    let ub = shipped(&step(&mut b, 100, write(2, 5, 60)))[0].1.clone();
    let effects = deliver(&mut a, 300, 1, vec![ub]);
    assert!(effects.iter().any(|e| matches!(e, E::Note(n) if n.kind() == NoteKind::Conflict)), "{effects:?}");
    let (values, context) = a.read(5);
    assert_eq!(values, vec![50, 60]);
    step(&mut a, 400, write_with(3, 5, 70, context));
    assert_eq!(a.read(5).0, vec![70], "the write saw both siblings and replaces them");
}

#[test]
fn a_blind_write_does_not_replace_siblings_it_never_saw() {
    let mut a = node(0, ConflictResolution::Siblings, true);
    let mut b = node(1, ConflictResolution::Siblings, true);
    step(&mut a, 100, write(1, 5, 50));
    let ub = shipped(&step(&mut b, 100, write(2, 5, 60)))[0].1.clone();
    deliver(&mut a, 300, 1, vec![ub]);
    step(&mut a, 400, write(3, 5, 70));
    assert!(a.read(5).0.contains(&70));
    assert!(a.read(5).0.len() > 1, "a write without context adds a sibling");
}

#[test]
fn causal_delivery_holds_an_update_until_what_it_depends_on_arrives() {
    let mut a = node(0, ConflictResolution::Siblings, true);
    let mut b = node(1, ConflictResolution::Siblings, true);
    let mut c = node(2, ConflictResolution::Siblings, true);
    let insert = shipped(&step(&mut a, 100, write(1, 5, 50)))[0].1.clone();
    deliver(&mut b, 110, 0, vec![insert.clone()]);
    let context = b.read(5).1;
    let update = shipped(&step(&mut b, 120, write_with(2, 5, 60, context)))[0].1.clone();
    let effects = deliver(&mut c, 130, 1, vec![update]);
    assert!(effects.iter().any(|e| matches!(e, E::Note(n) if n.kind() == NoteKind::CausalGap)), "{effects:?}");
    assert_eq!(c.read(5).0, Vec::<Value>::new(), "held, not applied");
    deliver(&mut c, 300, 0, vec![insert]);
    assert_eq!(c.read(5).0, vec![60]);
}

#[test]
fn last_arrival_applies_out_of_order_updates_and_ends_wrong() {
    let mut a = node(0, ConflictResolution::LastArrival, false);
    let mut b = node(1, ConflictResolution::LastArrival, false);
    let mut c = node(2, ConflictResolution::LastArrival, false);
    let insert = shipped(&step(&mut a, 100, write(1, 5, 50)))[0].1.clone();
    deliver(&mut b, 110, 0, vec![insert.clone()]);
    let update = shipped(&step(&mut b, 120, write(2, 5, 60)))[0].1.clone();
    deliver(&mut c, 130, 1, vec![update]);
    deliver(&mut c, 300, 0, vec![insert]);
    assert_eq!(b.read(5).0, vec![60]);
    assert_eq!(c.read(5).0, vec![50], "the insert overwrote the newer update");
}

#[test]
fn followers_refuse_writes_and_name_their_leader() {
    let cfg = MultiLeaderConfig { datacenters: Some(vec![0, 0, 1]), ..Default::default() };
    let mut f = MultiLeaderNode::new(1, 3, cfg);
    step(&mut f, 0, Input::Start);
    assert_eq!(
        step(&mut f, 1, write(1, 1, 1)),
        vec![E::Reply { op: 1, reply: Reply::Fail(FailReason::NotLeader { hint: Some(0) }) }]
    );
}

#[test]
fn topologies_choose_the_peers() {
    let peers = |topology: Topology, id| {
        let cfg = MultiLeaderConfig { topology, ..Default::default() };
        let mut n = MultiLeaderNode::new(id, 4, cfg);
        let mut out = Out::default();
        n.step(&Ctx { id, nodes: 4, now: 0, clock: 0 }, Input::Start, &mut out);
        n.peers.iter().map(|p| p.node).collect::<Vec<_>>()
    };
    assert_eq!(peers(Topology::AllToAll, 1), vec![0, 2, 3]);
    assert_eq!(peers(Topology::Ring, 3), vec![0]);
    assert_eq!(peers(Topology::Star { hub: 0 }, 0), vec![1, 2, 3]);
    assert_eq!(peers(Topology::Star { hub: 0 }, 2), vec![0]);
}

fn merge_node(id: NodeId) -> MultiLeaderNode {
    let cfg = MultiLeaderConfig {
        conflicts: ConflictResolution::Lww,
        key_spaces: vec![
            KeySpace { from: 0, to: 0, conflicts: ConflictResolution::Counter },
            KeySpace { from: 1, to: 1, conflicts: ConflictResolution::Set },
            KeySpace { from: 2, to: 2, conflicts: ConflictResolution::MvRegister },
        ],
        ..Default::default()
    };
    let mut n = MultiLeaderNode::new(id, 3, cfg);
    n.step(&ctx(id, 0), Input::Start, &mut Out::default());
    n
}

/// Steps a request and returns the update it produced (the newest entry of the log).
fn update(n: &mut MultiLeaderNode, clock: Time, input: Input<Msg, Timer>) -> Update {
    step(n, clock, input);
    n.log.last().expect("the request produced an update").clone()
}

fn op(op: OpId, kind: OpKind) -> Input<Msg, Timer> {
    Input::Request(Request::plain(op, 0, kind))
}

#[test]
fn concurrent_increments_of_a_counter_all_count() {
    let mut a = merge_node(0);
    let mut b = merge_node(1);
    let ua = update(&mut a, 100, op(1, OpKind::Increment { key: 0, by: 2 }));
    let ub = update(&mut b, 100, op(2, OpKind::Increment { key: 0, by: 5 }));
    let ub2 = update(&mut b, 110, op(3, OpKind::Increment { key: 0, by: -1 }));
    assert_eq!(a.read(0).0, vec![2]);
    let effects = deliver(&mut a, 200, 1, vec![ub.clone()]);
    assert!(
        effects.iter().any(|e| matches!(e, E::Note(n) if n.kind() == NoteKind::Merge)),
        "a concurrent update is merged, and said so: {effects:?}"
    );
    deliver(&mut a, 210, 1, vec![ub2.clone()]);
    deliver(&mut b, 200, 0, vec![ua]);
    assert_eq!(a.read(0).0, vec![6], "2 + 5 - 1");
    assert_eq!(b.read(0).0, vec![6], "both replicas agree");
    // A duplicate changes nothing (the merge is idempotent).
    deliver(&mut a, 300, 1, vec![ub]);
    assert_eq!(crate::protocol::counter_value(&a.read(0).0), 6);
}

#[test]
fn a_concurrent_add_survives_a_remove_of_the_same_element() {
    let mut a = merge_node(0);
    let mut b = merge_node(1);
    let add = update(&mut a, 100, op(1, OpKind::Add { key: 1, element: 7 }));
    deliver(&mut b, 150, 0, vec![add]);
    assert_eq!(b.read(1).0, vec![7]);
    // b removes the add it saw while a adds the element again.
    let remove = update(&mut b, 200, op(2, OpKind::Remove { key: 1, element: 7 }));
    let readd = update(&mut a, 200, op(3, OpKind::Add { key: 1, element: 7 }));
    let add9 = update(&mut a, 210, op(4, OpKind::Add { key: 1, element: 9 }));
    assert_eq!(b.read(1).0, Vec::<Value>::new());
    deliver(&mut a, 300, 1, vec![remove]);
    deliver(&mut b, 300, 0, vec![readd]);
    deliver(&mut b, 310, 0, vec![add9]);
    assert_eq!(a.read(1).0, vec![7, 9], "add wins over the concurrent remove");
    assert_eq!(b.read(1).0, vec![7, 9]);
}

/// A set's update carries the operation, not the set: what the thousandth add ships is as
/// small as the first, and a replica that receives every delta holds the same set.
#[test]
fn a_sets_update_does_not_grow_with_the_set() {
    let mut a = merge_node(0);
    let mut b = merge_node(1);
    let mut sizes = vec![];
    for i in 0..1_000u64 {
        let kind =
            if i % 10 == 9 { OpKind::Remove { key: 1, element: i - 5 } } else { OpKind::Add { key: 1, element: i } };
        let u = update(&mut a, 100 + i, op(i + 1, kind));
        sizes.push(format!("{:?}", u.crdt).len());
        deliver(&mut b, 200 + i, 0, vec![u]);
    }
    assert_eq!(a.read(1).0.len(), 800, "900 adds, then 100 removes of present elements");
    assert_eq!(a.read(1), b.read(1));
    let (first, last) = (sizes[0], sizes[998]);
    assert!(last <= first + 8, "the 999th add carries {last} bytes of state, the first {first}");
}

#[test]
fn a_multi_value_register_keeps_concurrent_writes_until_a_write_with_context() {
    let mut a = merge_node(0);
    let mut b = merge_node(1);
    let ua = update(&mut a, 100, op(1, OpKind::Write { key: 2, value: 50 }));
    let ub = update(&mut b, 100, op(2, OpKind::Write { key: 2, value: 60 }));
    deliver(&mut a, 200, 1, vec![ub]);
    deliver(&mut b, 200, 0, vec![ua]);
    assert_eq!(a.read(2).0, vec![50, 60]);
    let context = a.read(2).1;
    let resolve = update(&mut a, 300, write_with(3, 2, 70, context));
    deliver(&mut b, 400, 0, vec![resolve]);
    assert_eq!(a.read(2).0, vec![70]);
    assert_eq!(b.read(2).0, vec![70], "the write with context replaced both siblings everywhere");
}

#[test]
fn each_key_space_takes_only_its_own_operations() {
    let mut a = merge_node(0);
    let cases = [
        (OpKind::Write { key: 0, value: 5 }, "counter"),
        (OpKind::Add { key: 0, element: 5 }, "counter"),
        (OpKind::Increment { key: 1, by: 1 }, "set"),
        (OpKind::Delete { key: 1, value: 5 }, "cannot be deleted"),
        (OpKind::Increment { key: 7, by: 1 }, "register"),
        (OpKind::Add { key: 7, element: 1 }, "register"),
    ];
    for (i, (kind, word)) in cases.into_iter().enumerate() {
        let effects = step(&mut a, 100, op(i as OpId, kind.clone()));
        let Some(E::Reply { reply: Reply::Fail(FailReason::Unavailable { why }), .. }) = effects.last() else {
            panic!("{kind:?} was not refused: {effects:?}");
        };
        assert!(why.contains(word), "{kind:?}: {why}");
        assert!(shipped(&effects).is_empty(), "a refused operation ships nothing");
    }
    assert_eq!(a.key_type(0), KeyType::Counter);
    assert_eq!(a.key_type(1), KeyType::Set);
    assert_eq!(a.key_type(2), KeyType::Register);
    assert_eq!(a.key_type(9), KeyType::Register);
}

#[test]
fn a_delete_writes_a_tombstone_that_wins_by_timestamp() {
    let mut a = node(0, ConflictResolution::Lww, true);
    let mut b = node(1, ConflictResolution::Lww, true);
    let w = update(&mut a, 100, write(1, 5, 50));
    deliver(&mut b, 150, 0, vec![w]);
    let d = update(&mut b, 200, op(2, OpKind::Delete { key: 5, value: 51 }));
    assert_eq!(b.read(5).0, Vec::<Value>::new());
    deliver(&mut a, 250, 1, vec![d]);
    assert_eq!(a.read(5).0, Vec::<Value>::new(), "the later delete wins");
    let mut held = Vec::new();
    a.for_each_write(&mut |k, v| held.push((k, v)));
    assert_eq!(held, vec![(5, 51)], "the tombstone is held in place of the value");
}
