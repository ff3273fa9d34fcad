//! Leader-follower presets of real systems, each against what its documentation says
//! (`../shared/reference/seed-systems.md`): Redis WAIT and Sentinel, GitHub's October 2018
//! failover, PostgreSQL's synchronous standbys, MySQL semi-sync sessions. Each property is
//! checked over several seeds and prints the seed and scenario when it fails.

use std::collections::BTreeMap;

use replicalab_core::event::WorldEvent;
use replicalab_core::history::{Operation, Outcome};
use replicalab_core::note::Note;
use replicalab_core::protocol::{NodeId, OpKind, Protocol};
use replicalab_core::protocols::leader_follower::LeaderFollowerNode;
use replicalab_core::scenario::Scenario;
use replicalab_core::time::{from_ms, to_ms, Time};
use replicalab_core::view::Health;
use replicalab_core::view::Role;
use replicalab_core::{Sim, Simulation};
use replicalab_tests::{preset, repro};

const SEEDS: u64 = 6;

/// A leader-follower simulation of `s` that keeps its whole trace.
fn lf_sim(s: &Scenario) -> Sim<LeaderFollowerNode> {
    let Simulation::LeaderFollower(mut sim) = Simulation::new(s) else { unreachable!("a leader-follower preset") };
    sim.set_trace_capacity(10_000_000);
    sim
}

/// Every note of the run so far, with its time.
fn notes(sim: &Sim<LeaderFollowerNode>) -> Vec<(Time, Note)> {
    sim.trace()
        .recent()
        .filter_map(|e| match &e.event {
            WorldEvent::Note { note, .. } => Some((e.time, note.clone())),
            _ => None,
        })
        .collect()
}

fn is_write(o: &Operation) -> bool {
    matches!(o.kind, OpKind::Write { .. })
}

fn invoked_in(o: &Operation, from_ms_: f64, to_ms_: f64) -> bool {
    (from_ms_..to_ms_).contains(&to_ms(o.invoke))
}

fn latency_ms(o: &Operation) -> Option<f64> {
    o.completion.as_ref().map(|c| to_ms(c.time - o.invoke))
}

fn is_ok(o: &Operation) -> bool {
    matches!(o.completion.as_ref().map(|c| &c.outcome), Some(Outcome::Ok { .. }))
}

// --- Redis WAIT and Sentinel -------------------------------------------------------------

/// `WAIT 2 1000` after every write (redis.io, WAIT): once only one replica still receives
/// the stream, each call blocks for its own full second and returns; a write issued after an
/// earlier WAIT timed out waits again. (Semi-sync with a fallback would release the writes of
/// the first second together and acknowledge every later one at once.)
#[test]
fn redis_wait_blocks_each_write_for_its_own_timeout() {
    for seed in 0..SEEDS {
        let s = preset("redis-wait", seed);
        let mut sim = lf_sim(&s);
        sim.run_until(from_ms(s.duration_ms));
        // n3 is cut off at 2 s; the master dies at 5 s, so writes invoked before 3.95 s
        // have had their second.
        let waited: Vec<&Operation> =
            sim.history().ops.iter().filter(|o| is_write(o) && invoked_in(o, 2_010.0, 3_950.0)).collect();
        assert!(waited.len() > 40, "seed {seed}: {} writes", waited.len());
        for o in &waited {
            let l = latency_ms(o).unwrap();
            assert!(is_ok(o), "seed {seed}: WAIT is not an error: {o:?}; {}", repro(&s));
            assert!(
                (995.0..=1_010.0).contains(&l),
                "seed {seed}: op{} waited {l} ms, not its own 1 s; {}",
                o.id,
                repro(&s)
            );
        }
        // Some were issued after the first WAIT timed out, and still waited their own second.
        assert!(waited.iter().any(|o| to_ms(o.invoke) > 3_100.0), "seed {seed}");
        let timed_out: Vec<_> = notes(&sim)
            .into_iter()
            .filter_map(|(_, n)| match n {
                Note::WaitTimedOut { op, replicas, wanted, .. } => Some((op, replicas, wanted)),
                _ => None,
            })
            .collect();
        for o in &waited {
            assert!(
                timed_out.iter().any(|&(op, replicas, wanted)| op == o.id && replicas == 1 && wanted == 2),
                "seed {seed}: op{} returned with 1 of 2 replicas",
                o.id
            );
        }
        let fallback = notes(&sim).iter().filter(|(_, n)| matches!(n, Note::SemiSyncFallback { .. })).count();
        assert_eq!(fallback, 0, "seed {seed}: no switch to asynchronous mode");
    }
}

/// Sentinel promotes the replica with the largest replication offset among those it reaches
/// (redis.io, Sentinel, "Replica selection and priority"), not a scripted one: after the master
/// and n1 die together, n3 (cut off later than n2) has the larger offset. The writes WAIT
/// acknowledged with only n1's copy are lost when n1 resynchronises from n3.
#[test]
fn sentinel_promotes_the_reachable_replica_with_the_largest_offset() {
    for seed in 0..SEEDS {
        let s = preset("redis-wait", seed);
        let mut sim = lf_sim(&s);
        // Just after the master and n1 die, no replica receives anything any more.
        sim.run_until(from_ms(5_001.0));
        let up: Vec<NodeId> = (1..4).filter(|&i| sim.health(i) == Health::Up).collect();
        let offsets: BTreeMap<NodeId, usize> = up.iter().map(|&i| (i, sim.node(i).full_log().len())).collect();
        sim.run_until(from_ms(s.duration_ms));
        let failovers: Vec<(Time, NodeId, u64)> = notes(&sim)
            .into_iter()
            .filter_map(|(t, n)| match n {
                Note::MonitorFailover { to, position, .. } => Some((t, to, position)),
                _ => None,
            })
            .collect();
        assert_eq!(failovers.len(), 1, "seed {seed}: one failover by Sentinel; {}", repro(&s));
        let (at, to, position) = failovers[0];
        assert!(to_ms(at) > 5_400.0, "seed {seed}: after down-after-milliseconds");
        let best = offsets.iter().max_by_key(|&(&n, &len)| (len, std::cmp::Reverse(n))).map(|(&n, _)| n);
        assert_eq!(Some(to), best, "seed {seed}: offsets {offsets:?}; {}", repro(&s));
        assert_eq!(position, offsets[&to] as u64, "seed {seed}");
        assert!(offsets[&2] < offsets[&3], "seed {seed}: n2 is further behind: {offsets:?}");
        assert_eq!(sim.node(to).role(), Role::Leader, "seed {seed}");
        // What WAIT acknowledged with one replica died with n1's resynchronisation.
        sim.check_now();
        let lost: Vec<_> =
            sim.anomalies().iter().filter(|a| a.kind == replicalab_core::checkers::AnomalyKind::LostWrite).collect();
        assert!(!lost.is_empty(), "seed {seed}: {}", repro(&s));
        for a in lost {
            let o = sim.history().get(a.ops[0]).unwrap();
            assert!(to_ms(o.invoke) >= 2_000.0, "seed {seed}: {}", a.explanation);
        }
    }
}

// --- GitHub, 21 October 2018 -------------------------------------------------------------

/// Orchestrator's Raft quorum (West and cloud-East voters) promoted the West replica, not the
/// replica itself; the East writes the West never received were captured and reconciled by
/// hand (GitHub's post-incident analysis): set aside when the old primary rejoins, each named
/// in a note, none discarded and none a lost write.
#[test]
fn github_2018_the_orchestrator_quorum_promotes_and_the_east_writes_are_set_aside() {
    for seed in 0..SEEDS {
        let s = preset("github-2018", seed);
        let mut sim = lf_sim(&s);
        sim.run_until(from_ms(s.duration_ms));
        let all = notes(&sim);
        let failovers: Vec<_> = all.iter().filter(|(_, n)| matches!(n, Note::MonitorFailover { .. })).collect();
        assert_eq!(failovers.len(), 1, "seed {seed}: {failovers:?}; {}", repro(&s));
        assert!(matches!(failovers[0].1, Note::MonitorFailover { from: 0, to: 3, .. }), "seed {seed}: {failovers:?}");
        assert!(
            !all.iter().any(|(_, n)| matches!(n, Note::NaivePromotion { .. })),
            "seed {seed}: nobody promotes itself"
        );
        assert!(
            !all.iter().any(|(_, n)| matches!(n, Note::Discarded { .. })),
            "seed {seed}: nothing is silently discarded"
        );
        let set_aside: std::collections::BTreeSet<u64> = all
            .iter()
            .filter_map(|(_, n)| match n {
                Note::SetAside { node, ops, .. } if *node == 0 || *node == 1 => Some(ops.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        let mut west = std::collections::BTreeSet::new();
        sim.node(3).for_each_write(&mut |_, v| {
            west.insert(v);
        });
        // East writes the old primary acknowledged during the partition that the West lacks.
        let east: Vec<&Operation> = sim
            .history()
            .ops
            .iter()
            .filter(|o| is_write(o) && o.node == 0 && is_ok(o) && invoked_in(o, 2_000.0, 4_500.0))
            .filter(|o| !west.contains(&o.written().unwrap()))
            .collect();
        assert!(!east.is_empty(), "seed {seed}: the East primary acknowledged writes the West never received");
        for o in &east {
            assert!(set_aside.contains(&o.id), "seed {seed}: op{} is not set aside; {}", o.id, repro(&s));
        }
        sim.check_now();
        let lost =
            sim.anomalies().iter().filter(|a| a.kind == replicalab_core::checkers::AnomalyKind::LostWrite).count();
        assert_eq!(lost, 0, "seed {seed}: set-aside writes are not lost");
        assert_eq!(sim.node(3).role(), Role::Leader, "seed {seed}");
    }
}

// --- PostgreSQL --------------------------------------------------------------------------

/// `FIRST 1 (s1, s2)`: when s1's host dies silently the primary notices only after
/// `wal_sender_timeout` (1 s in the preset); until then commits wait, then s2 takes over.
#[test]
fn postgres_first_k_waits_for_wal_sender_timeout_before_the_next_standby_takes_over() {
    for seed in 0..SEEDS {
        let s = preset("postgres-sync-first", seed);
        let mut sim = lf_sim(&s);
        sim.run_until(from_ms(s.duration_ms));
        let stalled: Vec<&Operation> =
            sim.history().ops.iter().filter(|o| is_write(o) && invoked_in(o, 2_005.0, 2_900.0)).collect();
        assert!(stalled.len() > 20, "seed {seed}");
        for o in &stalled {
            let done = o.completion.as_ref().map(|c| to_ms(c.time)).unwrap();
            assert!(is_ok(o) && done >= 2_950.0, "seed {seed}: op{} committed at {done} ms; {}", o.id, repro(&s));
        }
        let after: Vec<&Operation> =
            sim.history().ops.iter().filter(|o| is_write(o) && invoked_in(o, 3_200.0, 3_900.0)).collect();
        assert!(!after.is_empty());
        for o in &after {
            assert!(is_ok(o) && latency_ms(o).unwrap() < 50.0, "seed {seed}: s2 is synchronous now: {o:?}");
        }
    }
}

/// The primary crashes while commits wait for the synchronous standby; after the restart they
/// are visible on the primary though no standby has them ("Planning for High Availability":
/// waiting transactions are marked fully committed once the primary recovers).
#[test]
fn postgres_primary_restarted_with_commits_waiting_shows_them_unreplicated() {
    for seed in 0..SEEDS {
        let s = preset("postgres-sync-crash-waiting", seed);
        let mut sim = lf_sim(&s);
        // Before the standby is reachable again.
        sim.run_until(from_ms(3_990.0));
        let mut standby = std::collections::BTreeSet::new();
        sim.node(1).for_each_write(&mut |_, v| {
            standby.insert(v);
        });
        let writer: BTreeMap<u64, &Operation> =
            sim.history().ops.iter().filter(|o| is_write(o)).map(|o| (o.written().unwrap(), o)).collect();
        let mut seen = 0;
        for o in sim.history().ops.iter().filter(|o| !is_write(o) && o.node == 0 && invoked_in(o, 3_000.0, 3_990.0)) {
            let Some(Outcome::Ok { values }) = o.completion.as_ref().map(|c| &c.outcome) else { continue };
            for v in values {
                let w = writer[v];
                if !is_ok(w) && to_ms(w.invoke) >= 2_000.0 {
                    assert!(!standby.contains(v), "seed {seed}: the standby was cut off from 2 s");
                    seen += 1;
                }
            }
        }
        assert!(seen > 0, "seed {seed}: no read after the restart saw a waiting commit; {}", repro(&s));
        // Waiting commits' clients never got an acknowledgement.
        for o in sim.history().ops.iter().filter(|o| is_write(o) && invoked_in(o, 2_010.0, 2_500.0)) {
            assert!(!is_ok(o), "seed {seed}: {o:?}");
        }
    }
}

// --- MySQL -------------------------------------------------------------------------------

/// A MySQL session is synchronous: its client issues the next statement only when the
/// previous one returned, so during the 10 s semi-sync wait it issues nothing.
#[test]
fn mysql_semisync_sessions_issue_one_statement_at_a_time() {
    for seed in 0..SEEDS {
        let s = preset("mysql-semisync", seed);
        let mut sim = lf_sim(&s);
        sim.run_until(from_ms(s.duration_ms));
        let mut by_client: BTreeMap<usize, Vec<&Operation>> = BTreeMap::new();
        for o in &sim.history().ops {
            by_client.entry(o.client).or_default().push(o);
        }
        for ops in by_client.values() {
            for pair in ops.windows(2) {
                let done = pair[0].completion.as_ref().map(|c| c.time);
                assert!(
                    done.is_some_and(|d| d <= pair[1].invoke),
                    "seed {seed}: op{} was issued while op{} was outstanding; {}",
                    pair[1].id,
                    pair[0].id,
                    repro(&s)
                );
            }
        }
        assert!(
            sim.history().ops.iter().any(|o| is_write(o) && latency_ms(o).is_some_and(|l| l > 9_000.0)),
            "seed {seed}: a commit waited for the semi-sync timeout"
        );
    }
}
