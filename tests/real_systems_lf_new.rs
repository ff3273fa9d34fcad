//! Signature behaviours of leader-follower systems that the older presets did not show
//! (`../shared/reference/seed-systems.md` lists the documented behaviour and its sources),
//! each checked over several seeds.

use std::collections::BTreeSet;

use replicalab_core::checkers::AnomalyKind;
use replicalab_core::event::WorldEvent;
use replicalab_core::history::{Operation, Outcome};
use replicalab_core::note::Note;
use replicalab_core::protocol::{OpKind, Value};
use replicalab_core::protocols::leader_follower::LeaderFollowerNode;
use replicalab_core::scenario::{ProtocolConfig, Scenario};
use replicalab_core::time::{from_ms, to_ms};
use replicalab_core::{Sim, Simulation};
use replicalab_tests::{preset, repro, values_held};

const SEEDS: u64 = 6;

/// Runs a leader-follower scenario to its end and runs the end-of-run checks.
fn run_lf(s: &Scenario) -> Sim<LeaderFollowerNode> {
    let Simulation::LeaderFollower(mut sim) = Simulation::new(s) else { unreachable!("a leader-follower preset") };
    sim.run_until(from_ms(s.duration_ms));
    sim.check_now();
    sim
}

fn is_read(o: &Operation) -> bool {
    matches!(o.kind, OpKind::Read { .. })
}

fn written(o: &Operation) -> Option<Value> {
    match o.kind {
        OpKind::Write { value, .. } => Some(value),
        _ => None,
    }
}

fn ok_values(o: &Operation) -> Option<&Vec<Value>> {
    match o.completion.as_ref().map(|c| &c.outcome) {
        Some(Outcome::Ok { values }) => Some(values),
        _ => None,
    }
}

/// Operations of `client` invoked in `from..to` milliseconds.
fn client_ops(sim: &Sim<LeaderFollowerNode>, client: usize, from: f64, to: f64) -> Vec<&Operation> {
    sim.history().ops.iter().filter(|o| o.client == client && (from..to).contains(&to_ms(o.invoke))).collect()
}

fn anomalies_of(sim: &Sim<LeaderFollowerNode>, kind: AnomalyKind) -> Vec<&replicalab_core::checkers::Anomaly> {
    sim.anomalies().iter().filter(|a| a.kind == kind).collect()
}

// ---------------------------------------------------------------------------------------------
// MongoDB primary-secondary-arbiter (mongodb-psa): clients 0 (local), 1 (majority) and 2
// (linearizable) sit next to the primary n0, client 3 next to the secondary n1; n0 is cut off
// from 2 s to 5 s.

const PSA_CUT: f64 = 2_000.0;
const PSA_HEAL: f64 = 5_000.0;

/// With an arbiter, the implicit default write concern is w:1: writes the cut-off primary
/// acknowledged alone are rolled back after the heal, and each lost write is one of them.
#[test]
fn mongodb_psa_default_write_concern_rolls_back_acknowledged_writes() {
    for seed in 0..SEEDS {
        let s = preset("mongodb-psa", seed);
        let sim = run_lf(&s);
        let lost = anomalies_of(&sim, AnomalyKind::LostWrite);
        assert!(!lost.is_empty(), "seed {seed}: no acknowledged write was rolled back; {}", repro(&s));
        for a in lost {
            let w = sim.history().get(a.ops[0]).unwrap();
            assert!(w.node == 0 && to_ms(w.invoke) >= PSA_CUT - 10.0, "seed {seed}: {a:?}");
        }
    }
}

/// The rule itself: the same set with a data-bearing member in place of the arbiter has a
/// majority default, and the same partition loses nothing acknowledged.
#[test]
fn mongodb_without_the_arbiter_the_implicit_default_is_majority() {
    for seed in 0..SEEDS {
        let mut s = preset("mongodb-psa", seed);
        let ProtocolConfig::LeaderFollower(cfg) = &mut s.protocol else { unreachable!() };
        cfg.arbiters.clear();
        let sim = run_lf(&s);
        let lost = anomalies_of(&sim, AnomalyKind::LostWrite);
        assert!(lost.is_empty(), "seed {seed}: {lost:?}; {}", repro(&s));
        let acked = client_ops(&sim, 0, 0.0, PSA_CUT).into_iter().filter(|o| !is_read(o) && ok_values(o).is_some());
        assert!(acked.count() > 20, "seed {seed}: writes are acknowledged before the cut");
    }
}

/// Linearizable reads on the cut-off primary never answer (they fail or time out), though
/// they answer before the cut.
#[test]
fn mongodb_psa_linearizable_reads_never_answer_on_the_isolated_primary() {
    for seed in 0..SEEDS {
        let s = preset("mongodb-psa", seed);
        let sim = run_lf(&s);
        let before = client_ops(&sim, 2, 0.0, PSA_CUT - 50.0);
        assert!(before.iter().filter(|o| is_read(o) && ok_values(o).is_some()).count() > 10, "seed {seed}");
        let during: Vec<_> =
            client_ops(&sim, 2, PSA_CUT + 10.0, PSA_HEAL).into_iter().filter(|o| is_read(o) && o.node == 0).collect();
        assert!(during.len() > 10, "seed {seed}: {} linearizable reads at n0", during.len());
        for o in during {
            assert!(ok_values(o).is_none(), "seed {seed}: linearizable read answered on the cut-off n0: {o:?}");
        }
    }
}

/// Local reads at the cut-off primary return stale data (they miss writes the new primary
/// acknowledged) and data that is later rolled back; majority reads there never return data
/// that is rolled back.
#[test]
fn mongodb_psa_local_reads_are_stale_and_majority_reads_never_see_rolled_back_data() {
    for seed in 0..SEEDS {
        let s = preset("mongodb-psa", seed);
        let sim = run_lf(&s);
        let stale_local = anomalies_of(&sim, AnomalyKind::StaleRead)
            .into_iter()
            .filter(|a| {
                let r = sim.history().get(a.ops[0]).unwrap();
                r.client == 0 && r.node == 0 && (PSA_CUT..PSA_HEAL).contains(&to_ms(r.invoke))
            })
            .count();
        assert!(stale_local > 0, "seed {seed}: no local read at n0 was stale; {}", repro(&s));
        // Values written during the cut that no node holds at the end: rolled back.
        let held = values_held(&sim);
        let rolled_back: BTreeSet<Value> = sim
            .history()
            .ops
            .iter()
            .filter(|o| o.node == 0 && to_ms(o.invoke) >= PSA_CUT)
            .filter_map(written)
            .filter(|v| !held.contains(v))
            .collect();
        assert!(!rolled_back.is_empty(), "seed {seed}");
        let saw = |client: usize| {
            client_ops(&sim, client, 0.0, s.duration_ms)
                .into_iter()
                .filter(|o| is_read(o))
                .filter(|o| ok_values(o).is_some_and(|v| v.iter().any(|x| rolled_back.contains(x))))
                .count()
        };
        assert!(saw(0) > 0, "seed {seed}: local reads at n0 saw writes that were rolled back");
        let majority_reads =
            client_ops(&sim, 1, PSA_CUT, PSA_HEAL).into_iter().filter(|o| is_read(o) && ok_values(o).is_some()).count();
        assert!(majority_reads > 10, "seed {seed}: {majority_reads} majority reads answered");
        assert_eq!(saw(1), 0, "seed {seed}: a majority read returned rolled-back data; {}", repro(&s));
    }
}

// ---------------------------------------------------------------------------------------------
// Patroni synchronous mode (patroni-sync-mode, patroni-sync-strict): n0 leads, n1 and n2 are
// standbys, n3 the coordinator. n1 crashes at 1.5 s, n2 at 2.5 s, both return at 3.5 s; n0 is
// cut off at 4.5 s and the lock expires about a TTL (1 s) later.

/// Nodes the coordinator gave the lock to after `after` ms, and the standby the leader had
/// recorded last before then.
fn lock_grants(s: &Scenario, after: f64) -> (Sim<LeaderFollowerNode>, Vec<usize>, Option<usize>) {
    let Simulation::LeaderFollower(mut sim) = Simulation::new(s) else { unreachable!() };
    sim.set_trace_capacity(10_000_000);
    sim.run_until(from_ms(s.duration_ms));
    sim.check_now();
    let mut grants = Vec::new();
    let mut standby = None;
    for e in sim.trace().recent() {
        match &e.event {
            WorldEvent::Note { note: Note::LockGranted { to, .. }, .. } if to_ms(e.time) >= after => grants.push(*to),
            WorldEvent::Note { note: Note::SyncStandby { node: 0, standby: s }, .. } if to_ms(e.time) < after => {
                standby = *s
            }
            _ => {}
        }
    }
    (sim, grants, standby)
}

fn note_count(sim: &Sim<LeaderFollowerNode>, kind: &str) -> u64 {
    sim.metrics().notes.get(kind).copied().unwrap_or(0)
}

/// Only the recorded synchronous standby takes over (n1 in the default mode, which recorded
/// none while both standbys were down and then the first to return; n2 in strict mode, which
/// kept waiting for n2), and no acknowledged commit is lost, in both modes; the other standby
/// is refused when it asks first (over the seeds, it does).
#[test]
fn patroni_synchronous_mode_promotes_only_the_synchronous_standby() {
    let mut refused = 0;
    for name in ["patroni-sync-mode", "patroni-sync-strict"] {
        for seed in 0..SEEDS {
            let s = preset(name, seed);
            let (sim, grants, standby) = lock_grants(&s, 4_500.0);
            let standby = standby.expect("a synchronous standby was recorded before the cut");
            assert_eq!(grants, vec![standby], "{name} seed {seed}: the lock went to {grants:?}; {}", repro(&s));
            assert!(anomalies_of(&sim, AnomalyKind::LostWrite).is_empty(), "{name} seed {seed}: {}", repro(&s));
            assert!(anomalies_of(&sim, AnomalyKind::DirtyRead).is_empty(), "{name} seed {seed}");
            refused += note_count(&sim, "promotion_refused");
        }
    }
    assert!(refused > 0, "n2 never asked for the lock before n1 in {SEEDS} seeds");
}

/// With no standby left (2.5 s to 3.5 s), synchronous_mode acknowledges commits alone at
/// once; synchronous_mode_strict blocks them until a standby is back.
#[test]
fn patroni_without_a_standby_the_primary_goes_on_alone_unless_strict() {
    for seed in 0..SEEDS {
        let s = preset("patroni-sync-mode", seed);
        let sim = run_lf(&s);
        let alone: Vec<_> = client_ops(&sim, 0, 2_700.0, 3_400.0).into_iter().filter(|o| !is_read(o)).collect();
        assert!(alone.len() > 10, "seed {seed}");
        for o in &alone {
            let done = o.completion.as_ref().map(|c| to_ms(c.time) - to_ms(o.invoke));
            assert!(ok_values(o).is_some() && done < Some(100.0), "seed {seed}: {o:?}; {}", repro(&s));
        }
        let s = preset("patroni-sync-strict", seed);
        let sim = run_lf(&s);
        let blocked: Vec<_> = client_ops(&sim, 0, 2_700.0, 3_400.0).into_iter().filter(|o| !is_read(o)).collect();
        assert!(blocked.len() > 10, "seed {seed}");
        for o in &blocked {
            let done = o.completion.as_ref().map(|c| to_ms(c.time));
            let early_ok = ok_values(o).is_some() && done.is_some_and(|d| d < 3_500.0);
            assert!(!early_ok, "seed {seed}: strict mode acknowledged a commit with no standby: {o:?}");
        }
        // They are acknowledged once a standby is back (those the client still waits for).
        assert!(blocked.iter().any(|o| ok_values(o).is_some()), "seed {seed}");
    }
}

/// maximum_lag_on_failover: the replica cut off from the stream since 1.5 s is refused the
/// lock after the leader crashes at 3 s, so nothing is promoted and nothing acknowledged is
/// lost; without the limit the same replica is promoted and acknowledged commits are lost.
#[test]
fn patroni_maximum_lag_on_failover_keeps_a_lagging_replica_from_being_promoted() {
    for seed in 0..SEEDS {
        let s = preset("patroni-maximum-lag", seed);
        let (sim, grants, _) = lock_grants(&s, 3_000.0);
        assert!(!grants.contains(&1), "seed {seed}: the lagging n1 got the lock; {}", repro(&s));
        assert!(note_count(&sim, "promotion_refused") > 0, "seed {seed}");
        assert!(anomalies_of(&sim, AnomalyKind::LostWrite).is_empty(), "seed {seed}: {}", repro(&s));
        // No leader while n0 is down: no write invoked then succeeds.
        let down = sim.history().ops.iter().filter(|o| !is_read(o) && (3_100.0..4_900.0).contains(&to_ms(o.invoke)));
        assert!(down.clone().count() > 10 && down.clone().all(|o| ok_values(o).is_none()), "seed {seed}");

        let mut unlimited = s.clone();
        let ProtocolConfig::LeaderFollower(cfg) = &mut unlimited.protocol else { unreachable!() };
        cfg.maximum_lag_on_failover = None;
        let (sim, grants, _) = lock_grants(&unlimited, 3_000.0);
        assert_eq!(grants.first(), Some(&1), "seed {seed}: without the limit n1 is promoted");
        assert!(!anomalies_of(&sim, AnomalyKind::LostWrite).is_empty(), "seed {seed}: {}", repro(&unlimited));
    }
}

// ---------------------------------------------------------------------------------------------
// Redis Cluster (redis-cluster-partition): master n0 and client 0 are cut off at 2 s from the
// replica n1 and the other masters n2 and n3; cluster-node-timeout is 1.5 s; heal at 6 s.

/// The minority master accepts writes until the node timeout passes, refuses them afterwards
/// (CLUSTERDOWN), and the writes it accepted in that window are lost on heal; the majority
/// side promotes the replica, which takes writes.
#[test]
fn redis_cluster_minority_master_writes_until_the_node_timeout_and_loses_them() {
    use replicalab_core::protocol::FailReason;
    let (cut, timeout, heal) = (2_000.0, 1_500.0, 6_000.0);
    for seed in 0..SEEDS {
        let s = preset("redis-cluster-partition", seed);
        let sim = run_lf(&s);
        let at_n0 = |from: f64, to: f64| -> Vec<&Operation> {
            client_ops(&sim, 0, from, to).into_iter().filter(|o| !is_read(o) && o.node == 0).collect()
        };
        let early = at_n0(cut + 10.0, cut + timeout - 100.0);
        assert!(early.len() > 20 && early.iter().all(|o| ok_values(o).is_some()), "seed {seed}: {early:?}");
        let late = at_n0(cut + timeout + 200.0, heal);
        assert!(late.len() > 20, "seed {seed}");
        for o in &late {
            let refused = matches!(
                o.completion.as_ref().map(|c| &c.outcome),
                Some(Outcome::Fail { reason: FailReason::ClusterDown { .. } })
            );
            assert!(refused, "seed {seed}: n0 should answer CLUSTERDOWN: {o:?}; {}", repro(&s));
        }
        let lost = anomalies_of(&sim, AnomalyKind::LostWrite);
        assert!(!lost.is_empty(), "seed {seed}: {}", repro(&s));
        let early_ids: BTreeSet<u64> = early.iter().map(|o| o.id).collect();
        assert!(lost.iter().filter(|a| early_ids.contains(&a.ops[0])).count() * 2 > early.len(), "seed {seed}");
        for a in lost {
            let w = sim.history().get(a.ops[0]).unwrap();
            let t = to_ms(w.invoke);
            assert!(w.node == 0 && t >= cut - 10.0 && t < cut + timeout + 100.0, "seed {seed}: {a:?}");
        }
        // The replica took over on the majority side.
        let promoted = client_ops(&sim, 1, cut + timeout + 1_000.0, heal)
            .into_iter()
            .filter(|o| !is_read(o) && o.node == 1 && ok_values(o).is_some())
            .count();
        assert!(promoted > 20, "seed {seed}: {promoted} writes acknowledged by n1");
    }
}

// ---------------------------------------------------------------------------------------------
// MySQL Group Replication (mysql-group-replication): five members split 2|3 at 2 s with the
// primary n0 (and client 0) on the minority side; heal at 5 s.

/// The minority's transactions never commit (they block until the client gives up: unknown,
/// never ok and never a definite failure), the majority elects a primary and carries on, and
/// no acknowledged transaction is lost.
#[test]
fn mysql_group_replication_minority_blocks_and_majority_carries_on() {
    let (cut, heal) = (2_000.0, 5_000.0);
    for seed in 0..SEEDS {
        let s = preset("mysql-group-replication", seed);
        let sim = run_lf(&s);
        let minority: Vec<_> =
            sim.history().ops.iter().filter(|o| !is_read(o) && (o.node == 0 || o.node == 1)).collect();
        let blocked: Vec<_> = minority.iter().filter(|o| (cut + 10.0..heal).contains(&to_ms(o.invoke))).collect();
        assert!(blocked.len() > 20, "seed {seed}: {} writes on the minority", blocked.len());
        for o in &blocked {
            let unknown = matches!(o.completion.as_ref().map(|c| &c.outcome), Some(Outcome::Unknown));
            assert!(unknown, "seed {seed}: a minority write did not block: {o:?}; {}", repro(&s));
        }
        let majority = sim
            .history()
            .ops
            .iter()
            .filter(|o| !is_read(o) && o.node >= 2 && (cut..heal).contains(&to_ms(o.invoke)))
            .filter(|o| ok_values(o).is_some())
            .count();
        assert!(majority > 20, "seed {seed}: the majority committed {majority} writes");
        assert!(anomalies_of(&sim, AnomalyKind::LostWrite).is_empty(), "seed {seed}: {}", repro(&s));
        assert!(anomalies_of(&sim, AnomalyKind::SplitBrain).is_empty(), "seed {seed}");
    }
}
