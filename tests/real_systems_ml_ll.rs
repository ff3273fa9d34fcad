//! Presets of real multi-leader and leaderless systems: each reproduces the behaviour its
//! sources document (`../shared/reference/seed-systems.md`), over several seeds.

use std::collections::{BTreeMap, BTreeSet};

use replicalab_core::history::Outcome;
use replicalab_core::protocol::{FailReason, Key, Protocol};
use replicalab_core::protocols::multi_leader::Rev;
use replicalab_core::report::OpReport;
use replicalab_core::scenario::{Command, ProtocolConfig, Scenario, TimedCommand};
use replicalab_core::time::from_ms;
use replicalab_core::{Report, Simulation};
use replicalab_tests::{anomaly_count as count, note_count as note, preset, repro, run_report};

/// Seeds per property.
const SEEDS: u64 = 8;

fn at(at_ms: f64, command: Command) -> TimedCommand {
    TimedCommand { at_ms, command }
}

fn write(client: usize, key: Key, node: usize) -> Command {
    Command::Write { client, key, value: None, node: Some(node), quorum: None }
}

fn read(client: usize, key: Key, node: usize) -> Command {
    Command::Read { client, key, from: Default::default(), node: Some(node), quorum: None }
}

fn reads(r: &Report) -> impl Iterator<Item = &OpReport> + '_ {
    r.history.iter().filter(|o| o.f == "read" && o.outcome == "ok")
}

/// Runs a scenario to its end and returns the simulation.
fn run_sim(s: &Scenario) -> Simulation {
    let mut sim = Simulation::new(s);
    sim.run_until(from_ms(s.duration_ms));
    sim
}

// ---------------------------------------------------------------------------------------------
// couchdb-conflicts: revision trees.

/// A plain read returns the winning revision only, never the conflicting ones beside it.
#[test]
fn couchdb_a_plain_read_returns_one_revision() {
    for seed in 0..SEEDS {
        let s = preset("couchdb-conflicts", seed);
        let r = run_report(&s);
        assert!(reads(&r).count() > 20, "seed {seed}: too few reads");
        for o in reads(&r) {
            let n = o.values.as_ref().map_or(0, |v| v.len());
            assert!(n <= 1, "seed {seed}: a plain read returned {n} values: {o:?}; {}", repro(&s));
        }
        assert!(note(&r, "conflict") > 0, "seed {seed}: the partition made concurrent edits: {:?}", r.metrics.notes);
    }
}

/// One client editing a document at one server, each edit after the previous one was
/// acknowledged, builds one branch: no conflict, one leaf revision with the whole history.
#[test]
fn couchdb_sequential_edits_at_one_server_never_conflict() {
    for seed in 0..SEEDS {
        let mut s = preset("couchdb-conflicts", seed);
        s.workload = None;
        s.commands = (0..6).map(|i| at(500.0 + 100.0 * i as f64, write(0, 0, 0))).collect();
        s.commands.push(at(1_500.0, read(1, 0, 1)));
        let mut sim = run_sim(&s);
        let r = sim.report("couchdb");
        let writes: Vec<_> = r.history.iter().filter(|o| o.f == "write").collect();
        assert_eq!(writes.len(), 6);
        assert!(writes.iter().all(|o| o.outcome == "ok"), "seed {seed}: {writes:?}; {}", repro(&s));
        assert_eq!(note(&r, "conflict"), 0, "seed {seed}: {:?}", r.metrics.notes);
        let Simulation::MultiLeader(ml) = &sim else { unreachable!() };
        for (i, n) in ml.nodes().iter().enumerate() {
            let tree = n.revisions(0).expect("k0 was written");
            assert_eq!(tree.leaves().len(), 1, "seed {seed} n{i}: {}", tree.describe());
            assert_eq!(tree.winner().map(|w| w.gen), Some(6), "seed {seed} n{i}: {}", tree.describe());
        }
        let last = writes.last().unwrap().value;
        let read = r.history.iter().find(|o| o.f == "read").unwrap();
        assert_eq!(read.values, Some(vec![last.unwrap()]), "seed {seed}: the other server reads the last edit");
    }
}

/// A write that does not name the current revision is refused (409 Conflict), and is
/// definitely not applied: no replica ever holds it.
#[test]
fn couchdb_an_edit_of_an_old_revision_is_refused_and_never_applied() {
    for seed in 0..SEEDS {
        let mut s = preset("couchdb-conflicts", seed);
        s.workload = None;
        // Client 0 creates k0 at n0; client 1, which never read it, writes k0 at n0 too.
        s.commands = vec![at(500.0, write(0, 0, 0)), at(700.0, write(1, 0, 0)), at(800.0, write(0, 0, 0))];
        let sim = run_sim(&s);
        let Simulation::MultiLeader(ml) = &sim else { unreachable!() };
        let ops = &ml.history().ops;
        assert!(ops[0].is_ok() && ops[2].is_ok(), "seed {seed}: {ops:?}");
        let refused = &ops[1];
        let Some(c) = &refused.completion else { panic!("seed {seed}: never completed") };
        assert!(
            matches!(&c.outcome, Outcome::Fail { reason: FailReason::Conflict { key: 0 } }),
            "seed {seed}: {:?}",
            c.outcome
        );
        let value = refused.written().unwrap();
        for n in ml.nodes() {
            assert!(!n.revisions(0).unwrap().held().contains(&value), "seed {seed}: the refused write is held");
        }
    }
}

/// After concurrent edits on both servers and replication, both servers hold the same
/// revisions and pick the same winner — the leaf with the longest history, then the highest
/// id — and the losing leaves stay listed as conflicts on both, none lost.
#[test]
fn couchdb_every_server_picks_the_same_winner_and_keeps_the_losers_as_conflicts() {
    let mut with_conflicts = 0;
    for seed in 0..SEEDS {
        let s = preset("couchdb-conflicts", seed);
        let mut sim = run_sim(&s);
        let Simulation::MultiLeader(ml) = &sim else { unreachable!() };
        let (a, b) = (&ml.nodes()[0], &ml.nodes()[1]);
        for key in 0..3 {
            let (Some(ta), Some(tb)) = (a.revisions(key), b.revisions(key)) else { continue };
            assert_eq!(ta, tb, "seed {seed} k{key}: both servers hold the same revisions");
            let leaves: Vec<Rev> = ta.leaves();
            // The rule, worked out here from the leaves (this preset deletes nothing): the
            // highest generation, then the highest id.
            let expected = leaves.iter().copied().max_by_key(|r| (r.gen, r.id));
            assert_eq!(ta.winner(), expected, "seed {seed} k{key}: {}", ta.describe());
            assert_eq!(a.read(key).0, vec![ta.winner().unwrap().id], "seed {seed} k{key}: n0 reads the winner");
            assert_eq!(b.read(key).0, a.read(key).0, "seed {seed} k{key}: both servers read the same winner");
            assert_eq!(ta.conflicts().len() + 1, leaves.len(), "seed {seed} k{key}: every other leaf is a conflict");
            let view = |sim: &Simulation, node: usize| {
                sim.view().nodes[node]
                    .protocol
                    .data
                    .iter()
                    .find(|k| k.key == key)
                    .map(|k| k.conflicts.clone())
                    .unwrap_or_default()
            };
            let listed: Vec<u64> = ta.conflicts().iter().map(|r| r.id).collect();
            assert_eq!(view(&sim, 0), listed, "seed {seed} k{key}: the view lists the conflicts");
            assert_eq!(view(&sim, 1), listed, "seed {seed} k{key}");
            if !listed.is_empty() {
                with_conflicts += 1;
            }
        }
        let r = sim.report("couchdb-conflicts");
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}: the losers are kept; {}", repro(&s));
        assert_eq!(count(&r, "divergence"), 0, "seed {seed}");
    }
    assert!(with_conflicts >= SEEDS as usize, "the partition left conflicts on only {with_conflicts} documents");
}

// ---------------------------------------------------------------------------------------------
// cassandra-quorum: hinted handoff and drivers that route around a down node.

/// What each node holds of each key (the values it would return).
fn held(sim: &Simulation) -> Vec<BTreeMap<Key, BTreeSet<u64>>> {
    let Simulation::Leaderless(ll) = sim else { unreachable!("a leaderless preset") };
    ll.nodes()
        .iter()
        .map(|n| {
            let mut m: BTreeMap<Key, BTreeSet<u64>> = BTreeMap::new();
            n.for_each_write(&mut |k, v| {
                m.entry(k).or_default().insert(v);
            });
            m
        })
        .collect()
}

/// The coordinators keep hints for n1 while it is down and replay them when it returns: with
/// read repair off and no anti-entropy, hints alone bring it up to date with the other
/// replicas of every key it holds.
#[test]
fn cassandra_quorum_replays_hints_to_the_returning_replica() {
    for seed in 0..SEEDS {
        let mut s = preset("cassandra-quorum", seed);
        let ProtocolConfig::Leaderless(cfg) = &mut s.protocol else { unreachable!() };
        cfg.read_repair = false;
        cfg.anti_entropy_ms = None;
        // Writes stop before n1 returns at 4 s: whatever it misses, only hints can bring.
        s.workload.as_mut().unwrap().stop_ms = Some(3_900.0);
        let mut sim = run_sim(&s);
        let held = held(&sim);
        let Simulation::Leaderless(ll) = &sim else { unreachable!() };
        let mut keys = 0;
        for key in 0..5 {
            if !ll.nodes()[1].replicates(key) {
                continue;
            }
            keys += 1;
            for other in (0..5).filter(|&i| i != 1 && ll.nodes()[i].replicates(key)) {
                assert_eq!(
                    held[1].get(&key),
                    held[other].get(&key),
                    "seed {seed} k{key}: n1 and n{other} differ after the hints; {}",
                    repro(&s)
                );
            }
        }
        assert_eq!(keys, 3);
        let r = sim.report("cassandra-quorum");
        assert!(note(&r, "hinted_handoff") > 0, "seed {seed}: {:?}", r.metrics.notes);
        assert_eq!(note(&r, "read_repair"), 0);
    }
}

/// The driver of the client next to n1 marks n1 down after a request times out and sends the
/// client's requests to another node: only requests sent before that end unknown.
#[test]
fn cassandra_quorum_clients_route_around_a_down_coordinator() {
    for seed in 0..SEEDS {
        let s = preset("cassandra-quorum", seed);
        let r = run_report(&s);
        let client1: Vec<_> =
            r.history.iter().filter(|o| o.client == 1 && o.invoke_ms >= 2_000.0 && o.invoke_ms < 4_000.0).collect();
        assert!(client1.iter().filter(|o| o.invoke_ms >= 3_050.0).count() > 10, "seed {seed}: client 1 kept working");
        // Only requests sent to n1 before its driver could know end unknown.
        for o in client1.iter().filter(|o| o.outcome == "unknown") {
            assert!(o.invoke_ms < 3_050.0, "seed {seed}: {o:?}; {}", repro(&s));
        }
        // n1 crashes at 2 s; a client gives up after 1 s; from then on, the driver knows.
        for o in r.history.iter().filter(|o| o.invoke_ms >= 3_050.0 && o.invoke_ms < 4_000.0) {
            assert_eq!(o.outcome, "ok", "seed {seed}: {o:?}");
            assert_ne!(o.node, 1, "seed {seed}: sent to the down node: {o:?}");
        }
        assert_eq!(count(&r, "stale_read"), 0, "seed {seed}: W + R > RF");
    }
}

// ---------------------------------------------------------------------------------------------
// cassandra-zombie: repair is the operator's command, not a background process.

#[test]
fn cassandra_zombie_comes_back_only_when_the_operator_repairs() {
    for seed in 0..SEEDS {
        let s = preset("cassandra-zombie", seed);
        let ProtocolConfig::Leaderless(cfg) = &s.protocol else { unreachable!() };
        assert_eq!(cfg.anti_entropy_ms, None, "no background anti-entropy");
        let repair = s.commands.iter().find(|c| matches!(c.command, Command::Repair { .. })).expect("a repair");
        let mut sim = Simulation::new(&s);
        sim.run_until(from_ms(repair.at_ms - 1.0));
        let notes = |sim: &Simulation, kind: &str| {
            let Simulation::Leaderless(ll) = sim else { unreachable!() };
            ll.metrics().notes.get(kind).copied().unwrap_or(0)
        };
        // n2 has been back for a while, holding the deleted row: nothing repaired it yet.
        assert_eq!(notes(&sim, "anti_entropy"), 0, "seed {seed}: repair ran before the operator asked");
        assert_eq!(notes(&sim, "resurrected"), 0, "seed {seed}");
        assert!(notes(&sim, "tombstone_purged") > 0, "seed {seed}");
        sim.run_until(from_ms(repair.at_ms + 200.0));
        assert!(notes(&sim, "anti_entropy") > 0, "seed {seed}: the repair exchanged the differing rows");
        assert!(notes(&sim, "resurrected") > 0, "seed {seed}: the deleted row came back; {}", repro(&s));
    }
}

// ---------------------------------------------------------------------------------------------
// riak-allow-mult-false: the default bucket type keeps the write with the later timestamp.

/// With siblings not allowed, concurrent writes collapse to the one with the later timestamp:
/// a write through n1 (clock behind) made after a write through n0 is acknowledged, then
/// dropped everywhere, without an error; no read ever returns two values.
#[test]
fn riak_allow_mult_false_silently_drops_acknowledged_writes() {
    for seed in 0..SEEDS {
        let s = preset("riak-allow-mult-false", seed);
        let r = run_report(&s);
        assert!(count(&r, "lost_write") > 0, "seed {seed}: {:?}; {}", r.anomaly_counts, repro(&s));
        assert_eq!(r.metrics.ops_failed + r.metrics.ops_unknown, 0, "seed {seed}: no error at all; {}", repro(&s));
        for a in r.anomalies.iter().filter(|a| a.kind == "lost_write") {
            let w = &r.history[a.ops[0] as usize];
            assert_eq!((w.f.as_str(), w.outcome.as_str()), ("write", "ok"), "seed {seed}: {}", a.explanation);
            assert_eq!(w.node, 1, "seed {seed}: the lost write was timestamped by n1's slow clock: {}", a.explanation);
        }
        for o in reads(&r) {
            let n = o.values.as_ref().map_or(0, |v| v.len());
            assert!(n <= 1, "seed {seed}: siblings are not allowed, yet a read returned {n}: {o:?}; {}", repro(&s));
        }
    }
}

/// The drop comes from the timestamps: with the nodes' clocks in step, a write acknowledged
/// after another never loses to it.
#[test]
fn riak_allow_mult_false_loses_nothing_with_clocks_in_step() {
    for seed in 0..SEEDS {
        let mut s = preset("riak-allow-mult-false", seed);
        s.commands.retain(|c| !matches!(c.command, Command::Clock { .. }));
        let r = run_report(&s);
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}: {:?}; {}", r.anomaly_counts, repro(&s));
    }
}

// ---------------------------------------------------------------------------------------------
// dynamodb-global-tables-strong: multi-Region strong consistency (MRSC).

fn refused_by_conflict(o: &replicalab_core::history::Operation) -> bool {
    matches!(
        &o.completion,
        Some(c) if matches!(c.outcome, Outcome::Fail { reason: FailReason::ReplicatedWriteConflict { .. } })
    )
}

/// No acknowledged write is lost or silently discarded; concurrent writes to an item fail with
/// the typed conflict instead, and a refused write is never applied anywhere.
#[test]
fn dynamodb_strong_refuses_conflicting_writes_and_loses_none() {
    for seed in 0..SEEDS {
        let s = preset("dynamodb-global-tables-strong", seed);
        let r = run_report(&s);
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}: {:?}; {}", r.anomaly_counts, repro(&s));
        assert_eq!(note(&r, "lww_discard"), 0, "seed {seed}: {:?}; {}", r.metrics.notes, repro(&s));
        let sim = run_sim(&s);
        let Simulation::MultiLeader(ml) = &sim else { unreachable!() };
        let ops = &ml.history().ops;
        let refused: BTreeSet<_> = ops.iter().filter(|o| refused_by_conflict(o)).filter_map(|o| o.written()).collect();
        assert!(!refused.is_empty(), "seed {seed}: concurrent writes were refused; {}", repro(&s));
        assert!(ops.iter().any(|o| o.written().is_some() && o.is_ok()), "seed {seed}: some writes succeed");
        // Every failed write failed with the typed conflict: nothing else goes wrong here.
        for o in ops.iter().filter(|o| o.written().is_some() && o.completion.is_some() && !o.is_ok()) {
            assert!(refused_by_conflict(o), "seed {seed}: {o:?}; {}", repro(&s));
        }
        for o in reads(&r) {
            for v in o.values.iter().flatten() {
                assert!(!refused.contains(v), "seed {seed}: a read returned refused v{v}: {o:?}; {}", repro(&s));
            }
        }
        for (i, n) in ml.nodes().iter().enumerate() {
            for k in 0..10 {
                for v in n.read(k).0 {
                    assert!(!refused.contains(&v), "seed {seed} n{i}: holds refused v{v}; {}", repro(&s));
                }
            }
        }
    }
}

/// A write returns only after another Region has it: a reservation round trip, then a
/// shipment round trip, each at least twice the smallest one-way latency.
#[test]
fn dynamodb_strong_acknowledges_after_two_round_trips() {
    for seed in 0..SEEDS {
        let s = preset("dynamodb-global-tables-strong", seed);
        let r = run_report(&s);
        let min_ms = 60.0;
        let mut n = 0;
        for o in r.history.iter().filter(|o| o.f == "write" && o.outcome == "ok") {
            let took = o.complete_ms.unwrap() - o.invoke_ms;
            assert!(took >= 4.0 * min_ms, "seed {seed}: acknowledged after {took} ms: {o:?}; {}", repro(&s));
            n += 1;
        }
        assert!(n > 0, "seed {seed}: no write succeeded");
    }
}

/// Two Regions write one item at the same moment: exactly one write succeeds, the other fails
/// with the typed conflict, and every Region ends with the one that succeeded.
#[test]
fn dynamodb_strong_one_of_two_concurrent_writes_succeeds() {
    for seed in 0..SEEDS {
        let mut s = preset("dynamodb-global-tables-strong", seed);
        s.workload = None;
        s.commands = vec![at(500.0, write(0, 0, 0)), at(500.0, write(1, 0, 1))];
        let sim = run_sim(&s);
        let Simulation::MultiLeader(ml) = &sim else { unreachable!() };
        let ops = &ml.history().ops;
        assert_eq!(ops.len(), 2);
        let ok: Vec<_> = ops.iter().filter(|o| o.is_ok()).collect();
        assert_eq!(ok.len(), 1, "seed {seed}: {ops:?}; {}", repro(&s));
        assert_eq!(ops.iter().filter(|o| refused_by_conflict(o)).count(), 1, "seed {seed}: {ops:?}; {}", repro(&s));
        let won = ok[0].written().unwrap();
        for (i, n) in ml.nodes().iter().enumerate() {
            assert_eq!(n.read(0).0, vec![won], "seed {seed} n{i}; {}", repro(&s));
        }
    }
}

/// The default mode (MREC) keeps silently discarding concurrent writes, and refuses none.
#[test]
fn dynamodb_eventual_global_tables_keep_discarding_silently() {
    for seed in 0..SEEDS {
        let s = preset("dynamodb-global-tables", seed);
        let r = run_report(&s);
        assert!(note(&r, "lww_discard") > 0, "seed {seed}: {:?}; {}", r.metrics.notes, repro(&s));
        assert_eq!(r.metrics.ops_failed, 0, "seed {seed}; {}", repro(&s));
    }
}

// ---------------------------------------------------------------------------------------------
// cassandra-per-column-lww: a timestamp per column.

/// Writes of different columns of one row through different coordinators at the same moment
/// both survive on every replica; writes of one column keep one of the two.
#[test]
fn cassandra_per_column_lww_keeps_concurrent_writes_to_different_columns() {
    for seed in 0..SEEDS {
        for same_column in [false, true] {
            let mut s = preset("cassandra-per-column-lww", seed);
            s.workload = None;
            let other = if same_column { 0 } else { 1 };
            s.commands = vec![at(500.0, write(0, 0, 0)), at(500.0, write(1, other, 1))];
            let sim = run_sim(&s);
            let Simulation::Leaderless(ll) = &sim else { unreachable!() };
            let ops = &ll.history().ops;
            assert!(ops.iter().all(|o| o.is_ok()), "seed {seed}: {ops:?}; {}", repro(&s));
            let (a, b) = (ops[0].written().unwrap(), ops[1].written().unwrap());
            let nodes = ll.nodes();
            assert_eq!(nodes[0].preference(0), nodes[0].preference(1), "the columns of a row share its replicas");
            for (i, n) in nodes.iter().enumerate() {
                if same_column {
                    let held = n.read(0);
                    assert!(held == vec![a] || held == vec![b], "seed {seed} n{i}: {held:?}; {}", repro(&s));
                    assert_eq!(held, nodes[0].read(0), "seed {seed} n{i}: replicas agree; {}", repro(&s));
                } else {
                    assert_eq!((n.read(0), n.read(1)), (vec![a], vec![b]), "seed {seed} n{i}; {}", repro(&s));
                }
            }
        }
    }
}

/// Under the preset's concurrent workload no acknowledged write is lost and no error occurs.
#[test]
fn cassandra_per_column_lww_loses_nothing_with_clocks_in_step() {
    for seed in 0..SEEDS {
        let s = preset("cassandra-per-column-lww", seed);
        let r = run_report(&s);
        assert_eq!(count(&r, "lost_write"), 0, "seed {seed}: {:?}; {}", r.anomaly_counts, repro(&s));
        assert_eq!(r.metrics.ops_failed + r.metrics.ops_unknown, 0, "seed {seed}; {}", repro(&s));
    }
}
