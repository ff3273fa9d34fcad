//! Handler tests: given this state and this input, exactly these effects.

use super::*;
use crate::protocol::{Effect, Reply};

type E = Effect<Msg, Timer>;

fn ctx(id: NodeId, clock: Time) -> Ctx {
    Ctx { id, nodes: 3, now: clock, clock }
}

fn node(id: NodeId, conflicts: Conflicts, causal: bool) -> MultiLeaderNode {
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
    let mut a = node(0, Conflicts::Lww, true);
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
    let mut a = node(0, Conflicts::Lww, true);
    let mut b = node(1, Conflicts::Lww, true);
    let ua = shipped(&step(&mut a, 100, write(1, 5, 50)))[0].1.clone();
    let ub = shipped(&step(&mut b, 200, write(2, 5, 60)))[0].1.clone();
    // a hears of b's later write: b wins.
    let effects = deliver(&mut a, 300, 1, vec![ub]);
    assert!(!effects.iter().any(|e| matches!(e, E::Note { kind: "lww_discard", .. })));
    assert_eq!(a.read(5).0, vec![60]);
    // b hears of a's earlier write: it is dropped, and said so.
    let effects = deliver(&mut b, 300, 0, vec![ua]);
    assert!(effects.iter().any(|e| matches!(e, E::Note { kind: "lww_discard", .. })), "{effects:?}");
    assert_eq!(b.read(5).0, vec![60]);
}

#[test]
fn siblings_keep_concurrent_writes_and_a_write_with_context_collapses_them() {
    let mut a = node(0, Conflicts::Siblings, true);
    let mut b = node(1, Conflicts::Siblings, true);
    step(&mut a, 100, write(1, 5, 50));
    let ub = shipped(&step(&mut b, 100, write(2, 5, 60)))[0].1.clone();
    let effects = deliver(&mut a, 300, 1, vec![ub]);
    assert!(effects.iter().any(|e| matches!(e, E::Note { kind: "conflict", .. })), "{effects:?}");
    let (values, context) = a.read(5);
    assert_eq!(values, vec![50, 60]);
    step(&mut a, 400, write_with(3, 5, 70, context));
    assert_eq!(a.read(5).0, vec![70], "the write saw both siblings and replaces them");
}

#[test]
fn a_blind_write_does_not_replace_siblings_it_never_saw() {
    let mut a = node(0, Conflicts::Siblings, true);
    let mut b = node(1, Conflicts::Siblings, true);
    step(&mut a, 100, write(1, 5, 50));
    let ub = shipped(&step(&mut b, 100, write(2, 5, 60)))[0].1.clone();
    deliver(&mut a, 300, 1, vec![ub]);
    step(&mut a, 400, write(3, 5, 70));
    assert!(a.read(5).0.contains(&70));
    assert!(a.read(5).0.len() > 1, "a write without context adds a sibling");
}

#[test]
fn causal_delivery_holds_an_update_until_what_it_depends_on_arrives() {
    let mut a = node(0, Conflicts::Siblings, true);
    let mut b = node(1, Conflicts::Siblings, true);
    let mut c = node(2, Conflicts::Siblings, true);
    let insert = shipped(&step(&mut a, 100, write(1, 5, 50)))[0].1.clone();
    deliver(&mut b, 110, 0, vec![insert.clone()]);
    let context = b.read(5).1;
    let update = shipped(&step(&mut b, 120, write_with(2, 5, 60, context)))[0].1.clone();
    let effects = deliver(&mut c, 130, 1, vec![update]);
    assert!(effects.iter().any(|e| matches!(e, E::Note { kind: "causal_gap", .. })), "{effects:?}");
    assert_eq!(c.read(5).0, Vec::<Value>::new(), "held, not applied");
    deliver(&mut c, 300, 0, vec![insert]);
    assert_eq!(c.read(5).0, vec![60]);
}

#[test]
fn last_arrival_applies_out_of_order_updates_and_ends_wrong() {
    let mut a = node(0, Conflicts::LastArrival, false);
    let mut b = node(1, Conflicts::LastArrival, false);
    let mut c = node(2, Conflicts::LastArrival, false);
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
