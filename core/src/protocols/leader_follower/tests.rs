//! Handler tests: given this state and this input, exactly these effects.

use super::*;
use crate::note::NoteKind;
use crate::protocol::{Effect, Reply};

type E = Effect<Msg, Timer>;

fn ctx(id: NodeId, now: Time) -> Ctx {
    Ctx { id, nodes: 3, now, clock: now }
}

fn node(id: NodeId, ack: AckPolicy) -> LeaderFollowerNode {
    let cfg = LeaderFollowerConfig { leader: 0, ack, heartbeat_ms: 50.0, batch: 64, ..Default::default() };
    LeaderFollowerNode::new(id, 3, cfg, None)
}

/// Starts a node and returns it with the effects of starting discarded.
fn started(id: NodeId, ack: AckPolicy) -> LeaderFollowerNode {
    let mut n = node(id, ack);
    let mut out = Out::default();
    n.step(&ctx(id, 0), Input::Start, &mut out);
    n
}

fn step(n: &mut LeaderFollowerNode, now: Time, input: Input<Msg, Timer>) -> Vec<E> {
    let mut out = Out::default();
    let id = n.id;
    n.step(&ctx(id, now), input, &mut out);
    out.effects
}

fn write(op: OpId, key: Key, value: Value) -> Input<Msg, Timer> {
    Input::Request(Request::plain(op, 0, OpKind::Write { key, value }))
}

fn entry(term: u64, key: Key, value: Value, op: OpId, at: Time) -> Entry {
    Entry { term, key, value, deleted: false, op, stamp: at, appended_at: at }
}

fn resp(success: bool, index: u64) -> Msg {
    Msg::AppendResp { term: 1, success, index }
}

#[test]
fn leader_starts_by_announcing_itself() {
    let mut n = node(0, AckPolicy::Async);
    let effects = step(&mut n, 0, Input::Start);
    let hb = Msg::Append { term: 1, prev_index: 0, prev_term: 0, entries: vec![], commit: 0, last: 0 };
    assert_eq!(
        effects,
        vec![
            E::Note(Note::Leader { node: 0, term: 1 }),
            E::Send { to: 1, msg: hb.clone() },
            E::Send { to: 2, msg: hb },
            E::SetTimer { timer: Timer::Heartbeat, min: 50_000, max: 50_000 },
        ]
    );
    assert_eq!(n.role(), Role::Leader);
}

#[test]
fn async_write_is_replicated_and_acknowledged_at_once() {
    let mut n = started(0, AckPolicy::Async);
    let effects = step(&mut n, 10, write(7, 3, 99));
    let append =
        Msg::Append { term: 1, prev_index: 0, prev_term: 0, entries: vec![entry(1, 3, 99, 7, 10)], commit: 0, last: 1 };
    assert_eq!(
        effects,
        vec![
            E::Send { to: 1, msg: append.clone() },
            E::Send { to: 2, msg: append },
            E::Reply { op: 7, reply: Reply::Ok { values: vec![], version: vec![1], epoch: 0, context: vec![] } },
        ]
    );
    assert_eq!(n.commit_index(), 1);
}

#[test]
fn sync_write_waits_for_every_follower() {
    let mut n = started(0, AckPolicy::Sync);
    let effects = step(&mut n, 10, write(7, 3, 99));
    assert!(effects.iter().all(|e| !matches!(e, E::Reply { .. })), "no ack before followers: {effects:?}");
    assert_eq!(step(&mut n, 20, Input::Message { from: 1, msg: resp(true, 1) }), vec![]);
    assert_eq!(
        step(&mut n, 30, Input::Message { from: 2, msg: resp(true, 1) }),
        vec![E::Reply { op: 7, reply: Reply::Ok { values: vec![], version: vec![1], epoch: 0, context: vec![] } }]
    );
}

#[test]
fn semi_sync_any_one_acknowledges_on_the_first_follower() {
    let policy = AckPolicy::SemiSync(SemiSync { k: 1, mode: SemiSyncMode::Any, priority: None, timeout_ms: None });
    let mut n = started(0, policy);
    step(&mut n, 10, write(7, 3, 99));
    assert_eq!(
        step(&mut n, 20, Input::Message { from: 2, msg: resp(true, 1) }),
        vec![E::Reply { op: 7, reply: Reply::Ok { values: vec![], version: vec![1], epoch: 0, context: vec![] } }]
    );
}

#[test]
fn semi_sync_timeout_falls_back_to_async_and_says_so() {
    let policy =
        AckPolicy::SemiSync(SemiSync { k: 1, mode: SemiSyncMode::Any, priority: None, timeout_ms: Some(100.0) });
    let mut n = started(0, policy);
    let effects = step(&mut n, 1_000, write(7, 3, 99));
    assert!(effects.contains(&E::SetTimer { timer: Timer::SemiSyncTimeout(1), min: 100_000, max: 100_000 }));
    let effects = step(&mut n, 101_000, Input::Timer(Timer::SemiSyncTimeout(1)));
    assert!(matches!(&effects[0], E::Note(n) if n.kind() == NoteKind::SemiSyncFallback), "{effects:?}");
    assert_eq!(
        effects[1],
        E::Reply { op: 7, reply: Reply::Ok { values: vec![], version: vec![1], epoch: 0, context: vec![] } }
    );
    assert!(n.in_fallback());
    // While fallen back, writes are acknowledged at once.
    let effects = step(&mut n, 102_000, write(8, 3, 100));
    assert!(effects.contains(&E::Reply {
        op: 8,
        reply: Reply::Ok { values: vec![], version: vec![2], epoch: 0, context: vec![] }
    }));
    // A follower that catches up restores semi-sync.
    let effects = step(&mut n, 103_000, Input::Message { from: 1, msg: resp(true, 2) });
    assert!(matches!(&effects[0], E::Note(n) if n.kind() == NoteKind::SemiSyncRestored), "{effects:?}");
    assert!(!n.in_fallback());
}

#[test]
fn follower_refuses_writes_and_names_the_leader() {
    let mut n = started(1, AckPolicy::Async);
    assert_eq!(
        step(&mut n, 5, write(3, 1, 1)),
        vec![E::Reply { op: 3, reply: Reply::Fail(FailReason::NotLeader { hint: Some(0) }) }]
    );
}

#[test]
fn follower_with_a_gap_says_where_its_log_ends() {
    let mut n = started(1, AckPolicy::Async);
    let msg =
        Msg::Append { term: 1, prev_index: 4, prev_term: 1, entries: vec![entry(1, 1, 1, 0, 0)], commit: 0, last: 5 };
    assert_eq!(step(&mut n, 5, Input::Message { from: 0, msg }), vec![E::Send { to: 0, msg: resp(false, 0) }]);
}

#[test]
fn follower_appends_applies_and_acknowledges() {
    let mut n = started(1, AckPolicy::Async);
    let msg = Msg::Append {
        term: 1,
        prev_index: 0,
        prev_term: 0,
        entries: vec![entry(1, 1, 10, 0, 0), entry(1, 1, 11, 1, 0)],
        commit: 1,
        last: 2,
    };
    assert_eq!(step(&mut n, 5, Input::Message { from: 0, msg }), vec![E::Send { to: 0, msg: resp(true, 2) }]);
    assert_eq!(n.read(1), Some(11));
    assert_eq!(n.commit_index(), 1);
}

#[test]
fn follower_discards_a_conflicting_suffix() {
    let mut n = started(1, AckPolicy::Async);
    let first = Msg::Append {
        term: 1,
        prev_index: 0,
        prev_term: 0,
        entries: vec![entry(1, 1, 10, 0, 0), entry(1, 1, 11, 1, 0)],
        commit: 0,
        last: 2,
    };
    step(&mut n, 5, Input::Message { from: 0, msg: first });
    // A new leader of term 2 (node 2) never had entry #2.
    let msg =
        Msg::Append { term: 2, prev_index: 1, prev_term: 1, entries: vec![entry(2, 1, 20, 5, 9)], commit: 0, last: 2 };
    let effects = step(&mut n, 9, Input::Message { from: 2, msg });
    assert!(matches!(&effects[0], E::Note(Note::Discarded { ops, .. }) if ops.contains(&1)), "{effects:?}");
    assert_eq!(effects[1], E::Send { to: 2, msg: Msg::AppendResp { term: 2, success: true, index: 2 } });
    assert_eq!(n.read(1), Some(20));
    assert_eq!(n.log().len(), 2);
}

#[test]
fn append_from_an_older_term_is_refused() {
    let mut n = started(1, AckPolicy::Async);
    let newer = Msg::Append { term: 3, prev_index: 0, prev_term: 0, entries: vec![], commit: 0, last: 0 };
    step(&mut n, 1, Input::Message { from: 2, msg: newer });
    let stale =
        Msg::Append { term: 1, prev_index: 0, prev_term: 0, entries: vec![entry(1, 1, 1, 0, 0)], commit: 0, last: 1 };
    assert_eq!(
        step(&mut n, 2, Input::Message { from: 0, msg: stale }),
        vec![
            E::Note(Note::Fenced { node: 1, from: 0, term: 1, current: 3 }),
            E::Send { to: 0, msg: Msg::AppendResp { term: 3, success: false, index: 0 } }
        ]
    );
    assert!(n.log().is_empty());
}

#[test]
fn leader_catches_up_a_follower_that_refused() {
    let mut n = started(0, AckPolicy::Async);
    for i in 0..3 {
        step(&mut n, 10 + i, write(i, 1, 100 + i));
    }
    // Follower 1 lost everything: it says its log ends at 0; the leader resends all three.
    let effects = step(&mut n, 20, Input::Message { from: 1, msg: resp(false, 0) });
    match &effects[..] {
        [E::Send { to: 1, msg: Msg::Append { prev_index: 0, entries, .. } }] => assert_eq!(entries.len(), 3),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn crash_keeps_only_flushed_entries() {
    let cfg = LeaderFollowerConfig::default();
    let mut n = LeaderFollowerNode::new(0, 3, cfg, Some(100_000));
    step(&mut n, 0, Input::Start);
    step(&mut n, 1, write(0, 1, 1));
    step(&mut n, 100_000, Input::Timer(Timer::Flush));
    step(&mut n, 100_001, write(1, 1, 2));
    n.crash();
    assert_eq!(n.log().len(), 1, "the unflushed write is gone");
    // A restarted leader first asks its peers which term the cluster is in...
    let effects = step(&mut n, 200_000, Input::Start);
    assert!(effects.iter().any(|e| matches!(e, E::Send { to: 1, msg: Msg::Probe })), "{effects:?}");
    assert_eq!(n.role(), Role::Follower, "it does not lead before a majority has answered");
    // ...and with a majority's answer and no newer term, leads a new term of its own (terms a
    // node assigns itself are dealt round-robin by id: 3 for n0 of three).
    step(&mut n, 200_010, Input::Message { from: 1, msg: Msg::ProbeResp { term: 1, leader: None } });
    assert_eq!((n.role(), n.term()), (Role::Leader, 3));
    assert_eq!(n.read(1), Some(1));
}

#[test]
fn a_restarted_leader_that_learns_of_a_newer_term_follows() {
    let mut n = LeaderFollowerNode::new(0, 3, LeaderFollowerConfig::default(), None);
    step(&mut n, 0, Input::Start);
    step(&mut n, 1, write(0, 1, 1));
    n.crash();
    step(&mut n, 100, Input::Start);
    step(&mut n, 110, Input::Message { from: 2, msg: Msg::ProbeResp { term: 4, leader: Some(1) } });
    assert_eq!((n.role(), n.term(), n.leader_hint()), (Role::Follower, 4, Some(1)));
    // A late answer changes nothing.
    step(&mut n, 120, Input::Message { from: 1, msg: Msg::ProbeResp { term: 1, leader: None } });
    assert_eq!((n.role(), n.term()), (Role::Follower, 4));
}

#[test]
fn follower_discards_an_old_suffix_beyond_the_new_leaders_log() {
    let mut n = started(1, AckPolicy::Async);
    let first = Msg::Append {
        term: 1,
        prev_index: 0,
        prev_term: 0,
        entries: vec![entry(1, 1, 10, 0, 0), entry(1, 1, 11, 1, 0), entry(1, 1, 12, 2, 0)],
        commit: 0,
        last: 3,
    };
    step(&mut n, 5, Input::Message { from: 0, msg: first });
    // The leader of term 2 has only the first entry.
    let hb = Msg::Append { term: 2, prev_index: 1, prev_term: 1, entries: vec![], commit: 1, last: 1 };
    let effects = step(&mut n, 9, Input::Message { from: 2, msg: hb });
    assert!(matches!(&effects[0], E::Note(Note::Discarded { ops, .. }) if ops.starts_with(&[1, 2])), "{effects:?}");
    assert_eq!(n.log().len(), 1);
    assert_eq!(n.read(1), Some(10));
}

#[test]
fn a_stale_heartbeat_never_discards_entries_of_its_own_term() {
    let mut n = started(1, AckPolicy::Async);
    let two = Msg::Append {
        term: 1,
        prev_index: 0,
        prev_term: 0,
        entries: vec![entry(1, 1, 10, 0, 0), entry(1, 1, 11, 1, 0)],
        commit: 0,
        last: 2,
    };
    step(&mut n, 5, Input::Message { from: 0, msg: two });
    // A heartbeat sent before entry #2 existed arrives late (a link without FIFO order).
    let old = Msg::Append { term: 1, prev_index: 1, prev_term: 1, entries: vec![], commit: 0, last: 1 };
    step(&mut n, 6, Input::Message { from: 0, msg: old });
    assert_eq!(n.log().len(), 2);
}

fn elector(id: NodeId) -> LeaderFollowerNode {
    let cfg =
        LeaderFollowerConfig { failover: Failover::Election { timeout_ms: [150.0, 300.0] }, ..Default::default() };
    let mut n = LeaderFollowerNode::new(id, 3, cfg, None);
    let mut out = Out::default();
    n.step(&ctx(id, 0), Input::Start, &mut out);
    n
}

#[test]
fn a_follower_arms_its_failure_detector_with_the_configured_range() {
    let mut n = node(1, AckPolicy::Async);
    n.cfg.failover = Failover::Election { timeout_ms: [150.0, 300.0] };
    assert_eq!(
        step(&mut n, 0, Input::Start),
        vec![E::SetTimer { timer: Timer::ElectionTimeout, min: 150_000, max: 300_000 }]
    );
}

#[test]
fn election_timeout_starts_a_candidacy() {
    let mut n = elector(1);
    let effects = step(&mut n, 300_000, Input::Timer(Timer::ElectionTimeout));
    let ask = Msg::RequestVote { term: 2, last_index: 0, last_term: 0 };
    assert_eq!(
        effects,
        vec![
            E::Note(Note::Suspect { node: 1, leader: Some(0) }),
            E::Note(Note::Election { node: 1, term: 2 }),
            E::Send { to: 0, msg: ask.clone() },
            E::Send { to: 2, msg: ask },
            E::SetTimer { timer: Timer::ElectionTimeout, min: 150_000, max: 300_000 },
        ]
    );
    assert_eq!(n.role(), Role::Candidate);
    // One vote from a peer makes a majority of three.
    let effects = step(&mut n, 301_000, Input::Message { from: 2, msg: Msg::Vote { term: 2, granted: true } });
    assert!(matches!(&effects[0], E::Note(n) if n.kind() == NoteKind::Elected), "{effects:?}");
    assert_eq!(n.role(), Role::Leader);
}

#[test]
fn votes_go_once_per_term_and_only_to_up_to_date_logs() {
    let mut n = elector(2);
    let behind =
        Msg::Append { term: 1, prev_index: 0, prev_term: 0, entries: vec![entry(1, 1, 10, 0, 0)], commit: 0, last: 1 };
    step(&mut n, 1, Input::Message { from: 0, msg: behind });
    let vote = |n: &mut LeaderFollowerNode, from, term, last_index, last_term| {
        step(n, 10, Input::Message { from, msg: Msg::RequestVote { term, last_index, last_term } })
            .into_iter()
            .find_map(|e| match e {
                E::Send { msg: Msg::Vote { granted, .. }, .. } => Some(granted),
                _ => None,
            })
            .unwrap()
    };
    assert!(!vote(&mut n, 1, 2, 0, 0), "a candidate missing an entry is refused");
    assert!(vote(&mut n, 1, 3, 1, 1), "an up-to-date candidate gets the vote");
    assert!(!vote(&mut n, 0, 3, 5, 1), "one vote per term");
    assert!(vote(&mut n, 1, 3, 1, 1), "asking again in the same term is answered the same");
}

#[test]
fn a_leader_that_sees_a_newer_term_steps_down() {
    let mut n = started(0, AckPolicy::Async);
    let effects =
        step(&mut n, 5, Input::Message { from: 1, msg: Msg::AppendResp { term: 4, success: false, index: 0 } });
    assert!(matches!(&effects[0], E::Note(n) if n.kind() == NoteKind::StepDownTerm), "{effects:?}");
    assert_eq!(n.role(), Role::Follower);
    assert_eq!(n.term(), 4);
}

#[test]
fn naive_promotion_asks_nobody() {
    let cfg = LeaderFollowerConfig { failover: Failover::Naive { timeout_ms: [300.0, 300.0] }, ..Default::default() };
    let mut n = LeaderFollowerNode::new(1, 3, cfg, None);
    step(&mut n, 0, Input::Start);
    let effects = step(&mut n, 300_000, Input::Timer(Timer::ElectionTimeout));
    assert!(matches!(&effects[1], E::Note(n) if n.kind() == NoteKind::NaivePromotion), "{effects:?}");
    assert_eq!((n.role(), n.term()), (Role::Leader, 2));
}

#[test]
fn stonith_powers_off_the_replaced_leader() {
    let cfg = LeaderFollowerConfig {
        failover: Failover::Naive { timeout_ms: [300.0, 300.0] },
        fencing: Fencing { stonith: true, ..Default::default() },
        ..Default::default()
    };
    let mut n = LeaderFollowerNode::new(1, 3, cfg, None);
    step(&mut n, 0, Input::Start);
    let effects = step(&mut n, 300_000, Input::Timer(Timer::ElectionTimeout));
    assert!(effects.contains(&E::PowerOff { node: 0 }), "{effects:?}");
}

#[test]
fn the_coordinator_grants_the_lock_only_after_it_expires() {
    let cfg =
        LeaderFollowerConfig { failover: Failover::Coordinator { node: 2, ttl_ms: 1000.0 }, ..Default::default() };
    let mut c = LeaderFollowerNode::new(2, 3, cfg, None);
    step(&mut c, 0, Input::Start);
    let ask = |c: &mut LeaderFollowerNode, now| {
        step(c, now, Input::Message { from: 1, msg: Msg::LockRequest { term: 1, last_index: 0 } })
            .into_iter()
            .find_map(|e| match e {
                E::Send { msg: Msg::LockReply { granted, epoch, .. }, .. } => Some((granted, epoch)),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(ask(&mut c, 500_000), (false, 1), "n0 still holds it");
    assert_eq!(ask(&mut c, 1_000_000), (true, 2), "expired: n1 takes it in a new epoch");
}

#[test]
fn a_read_behind_its_session_token_waits_or_redirects() {
    let mut n = started(1, AckPolicy::Async);
    let read = |behind| {
        let mut r = Request::plain(9, 0, OpKind::Read { key: 1 });
        r.min_version = vec![1];
        r.behind = behind;
        Input::Request(r)
    };
    assert_eq!(
        step(&mut n, 1, read(Behind::Redirect)),
        vec![E::Reply { op: 9, reply: Reply::Fail(FailReason::Behind { have: vec![0], need: vec![1] }) }]
    );
    assert_eq!(step(&mut n, 2, read(Behind::Wait)), vec![], "held until the replica catches up");
    let msg =
        Msg::Append { term: 1, prev_index: 0, prev_term: 0, entries: vec![entry(1, 1, 10, 0, 0)], commit: 0, last: 1 };
    let effects = step(&mut n, 3, Input::Message { from: 0, msg });
    assert!(
        effects.contains(&E::Reply {
            op: 9,
            reply: Reply::Ok { values: vec![10], version: vec![1], epoch: 0, context: vec![] }
        }),
        "{effects:?}"
    );
}

fn follower_with(cfg: LeaderFollowerConfig, fsync_every: Option<Dur>) -> LeaderFollowerNode {
    let mut n = LeaderFollowerNode::new(1, 3, cfg, fsync_every);
    step(&mut n, 0, Input::Start);
    n
}

fn two_entries() -> Msg {
    Msg::Append {
        term: 1,
        prev_index: 0,
        prev_term: 0,
        entries: vec![entry(1, 1, 10, 0, 0), entry(1, 1, 11, 1, 0)],
        commit: 0,
        last: 2,
    }
}

#[test]
fn a_write_acknowledging_follower_acknowledges_what_it_has_not_flushed() {
    let cfg = LeaderFollowerConfig { follower_ack: FollowerAckPoint::Write, ..Default::default() };
    let mut n = follower_with(cfg, Some(100_000));
    assert_eq!(
        step(&mut n, 5, Input::Message { from: 0, msg: two_entries() }),
        vec![E::Send { to: 0, msg: resp(true, 2) }]
    );
    n.crash();
    assert!(n.log().is_empty(), "the acknowledged entries were never flushed");
}

#[test]
fn a_flush_acknowledging_follower_waits_for_its_flush() {
    let cfg = LeaderFollowerConfig { follower_ack: FollowerAckPoint::Flush, ..Default::default() };
    let mut n = follower_with(cfg, Some(100_000));
    assert_eq!(
        step(&mut n, 5, Input::Message { from: 0, msg: two_entries() }),
        vec![E::Send { to: 0, msg: resp(true, 0) }],
        "received, not yet durable: nothing new to acknowledge"
    );
    assert_eq!(
        step(&mut n, 100_000, Input::Timer(Timer::Flush)),
        vec![E::SetTimer { timer: Timer::Flush, min: 100_000, max: 100_000 }, E::Send { to: 0, msg: resp(true, 2) },]
    );
    // The next flush has nothing new to report.
    assert_eq!(
        step(&mut n, 200_000, Input::Timer(Timer::Flush)),
        vec![E::SetTimer { timer: Timer::Flush, min: 100_000, max: 100_000 }]
    );
    // With fsync always, a flush acknowledgement is immediate.
    let cfg = LeaderFollowerConfig { follower_ack: FollowerAckPoint::Flush, ..Default::default() };
    let mut n = follower_with(cfg, None);
    assert_eq!(
        step(&mut n, 5, Input::Message { from: 0, msg: two_entries() }),
        vec![E::Send { to: 0, msg: resp(true, 2) }]
    );
}

#[test]
fn an_apply_delay_hides_entries_from_follower_reads_until_it_passes() {
    let cfg = LeaderFollowerConfig { apply_delay_ms: 100.0, ..Default::default() };
    let mut n = follower_with(cfg, None);
    let effects = step(&mut n, 5, Input::Message { from: 0, msg: two_entries() });
    assert_eq!(
        effects,
        vec![E::SetTimer { timer: Timer::Apply, min: 100_000, max: 100_000 }, E::Send { to: 0, msg: resp(true, 2) }],
        "acknowledged on receipt (follower_ack: write), applied later"
    );
    assert_eq!((n.read(1), n.applied_len(), n.visible_len()), (None, 0, 0));
    let read = Input::Request(Request::plain(9, 0, OpKind::Read { key: 1 }));
    assert_eq!(
        step(&mut n, 50_000, read.clone()),
        vec![E::Reply { op: 9, reply: Reply::Ok { values: vec![], version: vec![0], epoch: 0, context: vec![] } }]
    );
    assert_eq!(step(&mut n, 100_005, Input::Timer(Timer::Apply)), vec![]);
    assert_eq!((n.read(1), n.visible_len()), (Some(11), 2));
    assert_eq!(
        step(&mut n, 100_010, read),
        vec![E::Reply { op: 9, reply: Reply::Ok { values: vec![11], version: vec![2], epoch: 0, context: vec![] } }]
    );
}

#[test]
fn an_apply_acknowledging_follower_waits_until_the_entries_are_visible() {
    let cfg =
        LeaderFollowerConfig { apply_delay_ms: 100.0, follower_ack: FollowerAckPoint::Apply, ..Default::default() };
    let mut n = follower_with(cfg, None);
    let effects = step(&mut n, 5, Input::Message { from: 0, msg: two_entries() });
    assert_eq!(effects[1], E::Send { to: 0, msg: resp(true, 0) });
    // A second batch arrives later and is due later.
    let third =
        Msg::Append { term: 1, prev_index: 2, prev_term: 1, entries: vec![entry(1, 2, 30, 2, 0)], commit: 0, last: 3 };
    assert_eq!(
        step(&mut n, 40_000, Input::Message { from: 0, msg: third }),
        vec![E::Send { to: 0, msg: resp(true, 0) }]
    );
    assert_eq!(
        step(&mut n, 100_005, Input::Timer(Timer::Apply)),
        vec![
            E::SetTimer { timer: Timer::Apply, min: 40_000 - 5, max: 40_000 - 5 },
            E::Send { to: 0, msg: resp(true, 2) }
        ]
    );
    assert_eq!((n.read(1), n.read(2)), (Some(11), None));
    assert_eq!(step(&mut n, 140_000, Input::Timer(Timer::Apply)), vec![E::Send { to: 0, msg: resp(true, 3) }]);
    assert_eq!(n.read(2), Some(30));
}

#[test]
fn truncation_rebuilds_the_visible_data_from_the_applied_prefix() {
    let cfg = LeaderFollowerConfig { apply_delay_ms: 100.0, ..Default::default() };
    let mut n = follower_with(cfg, None);
    step(&mut n, 5, Input::Message { from: 0, msg: two_entries() });
    step(&mut n, 100_005, Input::Timer(Timer::Apply));
    assert_eq!(n.read(1), Some(11));
    let more = Msg::Append {
        term: 1,
        prev_index: 2,
        prev_term: 1,
        entries: vec![entry(1, 1, 12, 2, 0), entry(1, 2, 13, 3, 0)],
        commit: 0,
        last: 4,
    };
    step(&mut n, 200_000, Input::Message { from: 0, msg: more });
    // The leader of term 2 has only entry #1: #2 to #4 are discarded, one of them applied.
    let msg =
        Msg::Append { term: 2, prev_index: 1, prev_term: 1, entries: vec![entry(2, 2, 20, 5, 0)], commit: 0, last: 2 };
    let effects = step(&mut n, 250_000, Input::Message { from: 2, msg });
    assert!(matches!(&effects[0], E::Note(Note::Discarded { ops, .. }) if ops[..] == [1, 2, 3]), "{effects:?}");
    assert_eq!((n.read(1), n.read(2), n.visible_len()), (Some(10), None, 1), "applied prefix #1 only");
    // The discarded batch's due time must not apply the new entry early.
    step(&mut n, 300_000, Input::Timer(Timer::Apply));
    assert_eq!((n.read(2), n.visible_len()), (None, 1));
    step(&mut n, 350_000, Input::Timer(Timer::Apply));
    assert_eq!((n.read(1), n.read(2), n.visible_len()), (Some(10), Some(20), 2));
}

#[test]
fn a_promoted_follower_applies_everything_before_it_serves() {
    let cfg = LeaderFollowerConfig { apply_delay_ms: 100.0, ..Default::default() };
    let mut n = follower_with(cfg, None);
    step(&mut n, 5, Input::Message { from: 0, msg: two_entries() });
    assert_eq!(n.read(1), None);
    step(&mut n, 10, Input::Admin(Admin::Promote));
    assert_eq!((n.role(), n.read(1)), (Role::Leader, Some(11)));
}

#[test]
fn visibility_commit_hides_uncommitted_entries_from_leader_reads() {
    let policy = AckPolicy::SemiSync(SemiSync { k: 1, mode: SemiSyncMode::Any, priority: None, timeout_ms: None });
    let read = |op| Input::Request(Request::plain(op, 0, OpKind::Read { key: 3 }));
    let ok = |_op: OpId, values, version| Reply::Ok { values, version: vec![version], epoch: 0, context: vec![] };
    // AFTER_COMMIT (append): another session reads the write before it is acknowledged.
    let mut n = started(0, policy.clone());
    step(&mut n, 10, write(7, 3, 99));
    assert_eq!(step(&mut n, 11, read(8)), vec![E::Reply { op: 8, reply: ok(8, vec![99], 1) }]);
    // AFTER_SYNC (commit): only once a follower has it.
    let mut n = node(0, policy);
    n.cfg.visibility = Visibility::Commit;
    step(&mut n, 0, Input::Start);
    step(&mut n, 10, write(7, 3, 99));
    assert_eq!(step(&mut n, 11, read(8)), vec![E::Reply { op: 8, reply: ok(8, vec![], 0) }]);
    assert_eq!(
        step(&mut n, 20, Input::Message { from: 2, msg: resp(true, 1) }),
        vec![E::Reply { op: 7, reply: ok(7, vec![], 1) }]
    );
    assert_eq!(step(&mut n, 21, read(9)), vec![E::Reply { op: 9, reply: ok(9, vec![99], 1) }]);
}

#[test]
fn a_new_leader_with_visibility_commit_serves_its_log_and_hides_only_its_own_pending_writes() {
    let policy = AckPolicy::SemiSync(SemiSync { k: 1, mode: SemiSyncMode::Any, priority: None, timeout_ms: None });
    let mut n = node(1, policy);
    n.cfg.visibility = Visibility::Commit;
    step(&mut n, 0, Input::Start);
    // Entry #1 is known to be committed, #2 is not.
    let msg = Msg::Append {
        term: 1,
        prev_index: 0,
        prev_term: 0,
        entries: vec![entry(1, 1, 10, 0, 0), entry(1, 1, 11, 1, 0)],
        commit: 1,
        last: 2,
    };
    step(&mut n, 5, Input::Message { from: 0, msg });
    assert_eq!(n.read(1), Some(11), "a follower's reads are unchanged by the setting");
    // The leader of term 2 has only entry #1 and writes #2 itself: n1 discards its own #2.
    let msg =
        Msg::Append { term: 2, prev_index: 1, prev_term: 1, entries: vec![entry(2, 1, 20, 2, 6)], commit: 1, last: 2 };
    step(&mut n, 6, Input::Message { from: 2, msg });
    assert_eq!(n.read(1), Some(20));
    // Promoted, it serves what it has (the replica applied its relay log)...
    step(&mut n, 10, Input::Admin(Admin::Promote));
    assert_eq!((n.role(), n.read(1), n.visible_len()), (Role::Leader, Some(20), 2));
    // ...and its own new write only once a follower has it.
    step(&mut n, 11, write(7, 1, 30));
    assert_eq!((n.read(1), n.visible_len()), (Some(20), 2));
    let term = n.term();
    assert!(term > 2 && term % 3 == 1, "a term of n1's own above 2, got {term}");
    step(&mut n, 20, Input::Message { from: 2, msg: Msg::AppendResp { term, success: true, index: 3 } });
    assert_eq!((n.read(1), n.visible_len()), (Some(30), 3));
}

#[test]
fn the_new_settings_are_checked_and_parsed_by_name() {
    let bad = LeaderFollowerConfig { apply_delay_ms: -1.0, ..Default::default() };
    assert_eq!(bad.validate(3), Err(("apply_delay_ms".into(), "must be between 0 and 3600000, got -1".into())));
    let bad = LeaderFollowerConfig { apply_delay_ms: f64::NAN, ..Default::default() };
    assert_eq!(bad.validate(3).unwrap_err().0, "apply_delay_ms");
    let cfg: LeaderFollowerConfig =
        serde_json::from_str(r#"{"visibility": "commit", "follower_ack": "apply", "apply_delay_ms": 50}"#).unwrap();
    assert_eq!(
        (cfg.visibility, cfg.follower_ack, cfg.apply_delay_ms),
        (Visibility::Commit, FollowerAckPoint::Apply, 50.0)
    );
    let err = serde_json::from_str::<LeaderFollowerConfig>(r#"{"follower_ack": "fsync"}"#).unwrap_err().to_string();
    assert!(err.contains("unknown variant `fsync`, expected one of `write`, `flush`, `apply`"), "{err}");
    // The defaults are left out when written, so existing scenario files stay as they were.
    let text = serde_json::to_string(&LeaderFollowerConfig::default()).unwrap();
    assert!(!text.contains("visibility") && !text.contains("follower_ack") && !text.contains("apply_delay"), "{text}");
    assert!(!text.contains("ship") && !text.contains("min_replicas"), "{text}");
    let cfg: LeaderFollowerConfig =
        serde_json::from_str(r#"{"ship": "flush", "min_replicas": {"count": 1, "max_lag_ms": 10000}}"#).unwrap();
    assert_eq!((cfg.ship, cfg.min_replicas), (ShipPoint::Flush, Some(MinReplicas { count: 1, max_lag_ms: 10_000.0 })));
}

fn leader_with(cfg: LeaderFollowerConfig, fsync_every: Option<Dur>) -> LeaderFollowerNode {
    let mut n = LeaderFollowerNode::new(0, 3, cfg, fsync_every);
    step(&mut n, 0, Input::Start);
    n
}

fn ok_write(op: OpId, index: u64) -> E {
    E::Reply { op, reply: Reply::Ok { values: vec![], version: vec![index], epoch: 0, context: vec![] } }
}

#[test]
fn a_leader_shipping_on_flush_sends_a_write_only_once_it_is_durable() {
    let cfg = LeaderFollowerConfig { ship: ShipPoint::Flush, ..Default::default() };
    let mut n = leader_with(cfg, Some(100_000));
    // Acknowledged (async), applied, but not shipped: it is not on disk yet.
    assert_eq!(step(&mut n, 10, write(7, 3, 99)), vec![ok_write(7, 1)]);
    // A heartbeat in the meantime carries no entry.
    let effects = step(&mut n, 50_000, Input::Timer(Timer::Heartbeat));
    assert!(
        effects.iter().all(|e| !matches!(e, E::Send { msg: Msg::Append { entries, .. }, .. } if !entries.is_empty())),
        "{effects:?}"
    );
    // The flush makes it durable, and it goes out.
    let append =
        Msg::Append { term: 1, prev_index: 0, prev_term: 0, entries: vec![entry(1, 3, 99, 7, 10)], commit: 1, last: 1 };
    assert_eq!(
        step(&mut n, 100_000, Input::Timer(Timer::Flush)),
        vec![
            E::SetTimer { timer: Timer::Flush, min: 100_000, max: 100_000 },
            E::Send { to: 1, msg: append.clone() },
            E::Send { to: 2, msg: append },
        ]
    );
}

#[test]
fn a_leader_shipping_on_flush_with_fsync_always_ships_at_once() {
    let cfg = LeaderFollowerConfig { ship: ShipPoint::Flush, ..Default::default() };
    let mut n = leader_with(cfg, None);
    let append =
        Msg::Append { term: 1, prev_index: 0, prev_term: 0, entries: vec![entry(1, 3, 99, 7, 10)], commit: 0, last: 1 };
    assert_eq!(
        step(&mut n, 10, write(7, 3, 99)),
        vec![E::Send { to: 1, msg: append.clone() }, E::Send { to: 2, msg: append }, ok_write(7, 1)]
    );
}

#[test]
fn a_leader_without_enough_recent_replicas_refuses_writes_keeps_leading_and_serves_reads() {
    let min_replicas = Some(MinReplicas { count: 1, max_lag_ms: 1_000.0 });
    let mut n = leader_with(LeaderFollowerConfig { min_replicas, ..Default::default() }, None);
    step(&mut n, 10, Input::Message { from: 1, msg: resp(true, 0) });
    assert!(step(&mut n, 20, write(7, 3, 99)).contains(&ok_write(7, 1)));
    // Nothing heard for more than the lag limit: refused, nothing written.
    let refusal = FailReason::NotEnoughReplicas { have: 0, need: 1 };
    assert_eq!(
        step(&mut n, 1_000_011, write(8, 3, 100)),
        vec![
            E::Note(Note::WritesRefused { node: 0, have: 0, need: 1 }),
            E::Reply { op: 8, reply: Reply::Fail(refusal.clone()) },
        ]
    );
    assert_eq!(step(&mut n, 1_000_012, write(9, 3, 101)), vec![E::Reply { op: 9, reply: Reply::Fail(refusal) }]);
    assert_eq!((n.role(), n.log().len()), (Role::Leader, 1));
    assert_eq!(
        step(&mut n, 1_000_013, Input::Request(Request::plain(10, 0, OpKind::Read { key: 3 }))),
        vec![E::Reply { op: 10, reply: Reply::Ok { values: vec![99], version: vec![1], epoch: 0, context: vec![] } }]
    );
    // A replica acknowledges again: writes resume.
    assert_eq!(
        step(&mut n, 1_000_020, Input::Message { from: 2, msg: resp(true, 1) }),
        vec![E::Note(Note::WritesResumed { node: 0 })]
    );
    assert!(step(&mut n, 1_000_030, write(11, 3, 102)).contains(&ok_write(11, 2)));
}

#[test]
fn min_replicas_must_name_between_one_and_every_follower() {
    let bad = |count, max_lag_ms| LeaderFollowerConfig {
        min_replicas: Some(MinReplicas { count, max_lag_ms }),
        ..Default::default()
    };
    assert_eq!(bad(1, 1_000.0).validate(3), Ok(()));
    assert_eq!(bad(0, 1_000.0).validate(3).unwrap_err().0, "min_replicas.count");
    assert_eq!(bad(3, 1_000.0).validate(3).unwrap_err().0, "min_replicas.count");
    assert_eq!(bad(1, 0.0).validate(3).unwrap_err().0, "min_replicas.max_lag_ms");
}
