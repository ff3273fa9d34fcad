//! The three outcomes of an operation, as Jepsen has them: ok, fail (certainly not applied
//! anywhere) and unknown (may or may not have taken effect). Every family reports the right one,
//! and the checkers treat each correctly.

use replicalab_core::protocols::leaderless::LeaderlessConfig;
use replicalab_core::protocols::multi_leader::MultiLeaderConfig;
use replicalab_core::scenario::{ProtocolConfig, Scenario};
use replicalab_core::{presets, Report};
use replicalab_tests::{lf_scenario, random_faults, repro, run_report};

const SEEDS: u64 = 40;

/// Every value a read returned was written by a write whose outcome is not `fail`, and whose
/// request reached a node (an unknown write marked undelivered cannot have taken effect).
fn no_read_of_a_failed_write(r: &Report) -> Result<(), String> {
    let failed: std::collections::BTreeMap<u64, (u64, &str)> = r
        .history
        .iter()
        .filter(|o| o.f != "read" && (o.outcome == "fail" || o.undelivered))
        .filter_map(|o| o.value.map(|v| (v, (o.id, if o.undelivered { "undelivered" } else { "failed" }))))
        .collect();
    for o in &r.history {
        for v in o.values.iter().flatten() {
            if let Some((w, what)) = failed.get(v) {
                return Err(format!("read op{} returned v{v}, written by op{w}, which was reported {what}", o.id));
            }
        }
    }
    Ok(())
}

fn families(seed: u64) -> Vec<(&'static str, Scenario)> {
    let base = lf_scenario(5, Default::default(), seed, 200.0);
    let mut ml = base.clone();
    ml.protocol = ProtocolConfig::MultiLeader(MultiLeaderConfig::default());
    let mut out = vec![("leader-follower", base.clone()), ("multi-leader", ml)];
    for (w, r) in [(3, 1), (2, 2), (1, 1)] {
        let mut ll = base.clone();
        ll.protocol = ProtocolConfig::Leaderless(LeaderlessConfig { replicas: 3, w, r, ..Default::default() });
        ll.workload.as_mut().unwrap().read_fraction = 0.5;
        out.push(if w == 3 {
            ("leaderless W=3", ll)
        } else if w == 2 {
            ("leaderless W=2", ll)
        } else {
            ("leaderless W=1", ll)
        });
    }
    out
}

#[test]
fn a_failed_write_is_never_read_in_any_family() {
    let (mut unknown, mut undelivered) = (0, 0);
    for seed in 0..SEEDS {
        for (name, mut s) in families(seed) {
            s.commands = random_faults(seed, 5, 5_000.0, 1_000.0, 6);
            let r = run_report(&s);
            unknown += r.metrics.ops_unknown;
            undelivered += r.history.iter().filter(|o| o.undelivered).count();
            assert!(
                r.history.iter().all(|o| !o.undelivered || o.outcome == "unknown"),
                "{name}: only an unknown outcome can be undelivered; {}",
                repro(&s)
            );
            if let Err(e) = no_read_of_a_failed_write(&r) {
                panic!("{name}: {e}; {}", repro(&s));
            }
        }
    }
    assert!(unknown > 0, "no operation ended with an unknown outcome in {SEEDS} seeds: the property was not exercised");
    assert!(undelivered > 0, "no request was lost on the way in {SEEDS} seeds: undelivered was not exercised");
}

#[test]
fn presets_with_quorums_that_cannot_be_met_report_writes_unknown_not_failed() {
    for name in ["ll-quorum-w3-r1", "aurora-quorum"] {
        let s = presets::find(name).unwrap().scenario().unwrap();
        let r = run_report(&s);
        no_read_of_a_failed_write(&r).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(r.metrics.ops_unknown > 0, "{name}: no write ended unknown");
        // Before, writes that missed W were `fail` and taken as never applied, so reads of
        // them were named not linearizable. What is named now involves no failed write.
        let failed: Vec<u64> = r.history.iter().filter(|o| o.outcome == "fail").map(|o| o.id).collect();
        for a in r.anomalies.iter().filter(|a| a.kind == "not_linearizable") {
            assert!(a.ops.iter().all(|op| !failed.contains(op)), "{name}: {a:?}");
        }
    }
}

/// Leaderless, last write wins: n0's clock runs 5 s ahead. A write through n0 while n0 is cut
/// off misses its quorum (unknown) but lands on n0 with a timestamp from the future. Later
/// acknowledged writes lose to it. The first read of it may be explained (the unknown write may
/// have taken effect last); after that, a newer acknowledged write that no read ever sees is
/// lost, and a read that returns the old value again is stale.
#[test]
fn a_stale_read_hidden_behind_an_unknown_write_is_reported() {
    let json = r#"{
        "format": "replicalab-scenario", "version": 1, "name": "unknown-write", "seed": 3,
        "duration_ms": 4000,
        "cluster": { "nodes": 3, "network": { "latency": { "constant": { "ms": 2 } } } },
        "protocol": { "leaderless": { "replicas": 3, "w": 2, "r": 2, "read_repair": true } },
        "commands": [
            { "at_ms": 0, "clock": { "node": 0, "skew_ms": 5000 } },
            { "at_ms": 10, "cut": { "from": 0, "to": 1, "both": true } },
            { "at_ms": 10, "cut": { "from": 0, "to": 2, "both": true } },
            { "at_ms": 20, "write": { "client": 0, "key": 1, "value": 900, "node": 0 } },
            { "at_ms": 2000, "heal": {} },
            { "at_ms": 2100, "write": { "client": 1, "key": 1, "value": 901, "node": 1 } },
            { "at_ms": 2200, "read": { "client": 2, "key": 1, "node": 0 } },
            { "at_ms": 2300, "write": { "client": 1, "key": 1, "value": 902, "node": 1 } },
            { "at_ms": 2400, "read": { "client": 2, "key": 1, "node": 0 } }
        ]
    }"#;
    let s = Scenario::from_json(json).unwrap();
    let r = run_report(&s);
    let outcome = |v: u64| r.history.iter().find(|o| o.f == "write" && o.value == Some(v)).map(|o| o.outcome.as_str());
    assert_eq!(outcome(900), Some("unknown"), "{}", repro(&s));
    assert_eq!(outcome(902), Some("ok"), "{}", repro(&s));
    let reads: Vec<_> = r.history.iter().filter_map(|o| o.values.clone()).collect();
    assert_eq!(reads, vec![vec![900], vec![900]], "{}", repro(&s));
    let stale: Vec<_> = r.anomalies.iter().filter(|a| a.kind == "stale_read").collect();
    assert_eq!(stale.len(), 1, "{:?}; {}", r.anomalies, repro(&s));
    let lost: Vec<_> = r.anomalies.iter().filter(|a| a.kind == "lost_write").collect();
    assert!(
        lost.iter().any(|a| a.explanation.contains("v902")),
        "the acknowledged v902 is never visible: {:?}; {}",
        r.anomalies,
        repro(&s)
    );
}
