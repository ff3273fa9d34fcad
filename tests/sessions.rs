//! The seed article's three replication-lag problems: each preset shows its anomaly with the
//! session guarantee off, and none with any of the guarantee's implementations on.

use replicalab_core::presets;
use replicalab_core::protocol::Behind;
use replicalab_core::scenario::{MonotonicReads, ReadYourWrites, Scenario, SessionConfig};
use replicalab_tests::repro;

const SEEDS: u64 = 8;

fn scenario(name: &str, seed: u64, session: Option<SessionConfig>) -> Scenario {
    let mut s = presets::find(name).unwrap().scenario().unwrap();
    s.seed = seed;
    if let Some(session) = session {
        let mut clients = s.clients();
        for c in &mut clients {
            c.session = session.clone();
        }
        s.clients = Some(clients);
    }
    s
}

fn count(s: &Scenario, kind: &str) -> usize {
    replicalab_core::run(s, None).anomaly_counts.get(kind).copied().unwrap_or(0)
}

fn check(name: &str, kind: &str, fixes: Vec<(&str, SessionConfig)>) {
    let mut seen = 0;
    for seed in 0..SEEDS {
        seen += count(&scenario(name, seed, None), kind);
        for (fix, session) in &fixes {
            let s = scenario(name, seed, Some(session.clone()));
            let n = count(&s, kind);
            assert_eq!(n, 0, "{name} with {fix}: {n} {kind} anomalies; {}", repro(&s));
        }
    }
    assert!(seen > 0, "{name} never showed {kind} without the guarantee in {SEEDS} seeds");
}

#[test]
fn read_your_writes_fixes_the_disappearing_comment() {
    let token = |behind| SessionConfig { read_your_writes: Some(ReadYourWrites::Token), behind, ..Default::default() };
    check(
        "ryw-comment-disappears",
        "read_your_writes",
        vec![
            ("a token, waiting", token(Behind::Wait)),
            ("a token, redirecting", token(Behind::Redirect)),
            (
                "reading from the leader for a second after a write",
                SessionConfig {
                    read_your_writes: Some(ReadYourWrites::LeaderFor { ms: 1000.0 }),
                    ..Default::default()
                },
            ),
        ],
    );
}

#[test]
fn monotonic_reads_stop_time_going_backwards() {
    check(
        "monotonic-time-backwards",
        "monotonic_reads",
        vec![
            ("a sticky replica", SessionConfig { monotonic_reads: Some(MonotonicReads::Sticky), ..Default::default() }),
            ("a version token", SessionConfig { monotonic_reads: Some(MonotonicReads::Token), ..Default::default() }),
            (
                "a version token, redirecting",
                SessionConfig {
                    monotonic_reads: Some(MonotonicReads::Token),
                    behind: Behind::Redirect,
                    ..Default::default()
                },
            ),
        ],
    );
}

#[test]
fn causal_tokens_keep_replies_after_their_messages() {
    check(
        "causal-reply-before-message",
        "causal_order",
        vec![
            ("a causal token", SessionConfig { causal: true, ..Default::default() }),
            (
                "a causal token, redirecting",
                SessionConfig { causal: true, behind: Behind::Redirect, ..Default::default() },
            ),
        ],
    );
}

#[test]
fn guarantees_cost_latency_not_availability() {
    // Waiting for a lagging replica makes reads slower but not less available.
    let off = replicalab_core::run(&scenario("ryw-comment-disappears", 1, None), None);
    let on = replicalab_core::run(
        &scenario(
            "ryw-comment-disappears",
            1,
            Some(SessionConfig { read_your_writes: Some(ReadYourWrites::Token), ..Default::default() }),
        ),
        None,
    );
    assert_eq!(on.metrics.availability, 1.0);
    assert!(
        on.metrics.read_latency_ms.p99 > off.metrics.read_latency_ms.p99,
        "{:?} vs {:?}",
        on.metrics.read_latency_ms,
        off.metrics.read_latency_ms
    );
}

/// Multi-leader: a client next to a lagging follower writes through its datacenter's leader
/// and reads locally. Version-vector tokens give it read-your-writes and causal reads there too.
#[test]
fn version_vector_tokens_work_in_multi_leader_clusters() {
    use replicalab_core::protocols::multi_leader::MultiLeaderConfig;
    use replicalab_core::scenario::{ClientConfig, LinkOverride, ProtocolConfig};
    let scenario = |seed: u64, session: SessionConfig| {
        let mut s = scenario("ryw-comment-disappears", seed, None);
        s.protocol =
            ProtocolConfig::MultiLeader(MultiLeaderConfig { datacenters: Some(vec![0, 0, 1]), ..Default::default() });
        s.cluster.links = vec![LinkOverride {
            from: 0,
            to: 1,
            symmetric: false,
            latency: Some(replicalab_core::net::Latency::Uniform { min_ms: 5.0, max_ms: 80.0 }),
            loss: None,
            duplicate: None,
            fifo: None,
        }];
        s.clients = Some(vec![ClientConfig { timeout_ms: 1_000.0, session, ..ClientConfig::at(1) }]);
        let w = s.workload.as_mut().unwrap();
        w.read_from = replicalab_core::protocol::ReadFrom::Local;
        s
    };
    let mut seen = 0;
    for seed in 0..SEEDS {
        seen += count(&scenario(seed, SessionConfig::default()), "read_your_writes");
        for session in [
            SessionConfig { read_your_writes: Some(ReadYourWrites::Token), ..Default::default() },
            SessionConfig { causal: true, ..Default::default() },
            SessionConfig { causal: true, behind: Behind::Redirect, ..Default::default() },
        ] {
            let s = scenario(seed, session.clone());
            let r = replicalab_core::run(&s, None);
            for kind in ["read_your_writes", "monotonic_reads", "causal_order"] {
                assert_eq!(r.anomaly_counts.get(kind), None, "{session:?}: {kind}; {}", repro(&s));
            }
        }
    }
    assert!(seen > 0, "the lagging follower never showed the problem");
}
