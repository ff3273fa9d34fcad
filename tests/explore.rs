//! The fault explorer: the short sweep (about a hundred random fault schedules per family, the
//! long one is `scripts/explore.sh`), and the shrinker's promise: a shrunk schedule still
//! breaks the property, and no single fault can be dropped from it.

use replicalab_core::explore::{self, Fault, Property, SweepFamily};
use replicalab_core::protocols::leader_follower::{AckPolicy, Failover, LeaderFollowerConfig};
use replicalab_core::scenario::ProtocolConfig;
use replicalab_tests::repro;

const SCHEDULES: u64 = 100;

#[test]
fn short_sweep_every_family_keeps_its_properties_under_random_faults() {
    for family in SweepFamily::ALL {
        let mut checked = std::collections::BTreeMap::new();
        for i in 0..SCHEDULES {
            let seed = 5_000 + i;
            let base = explore::family(family, seed);
            let faults = explore::random_faults(seed, base.cluster.nodes, 6);
            let c = explore::check(&base, &faults, None);
            if let Some(v) = c.violation {
                panic!(
                    "{family}, schedule seed {seed}: {} broken: {}; {}",
                    v.property.name(),
                    v.explanation,
                    repro(&explore::apply(&base, &faults))
                );
            }
            for p in c.properties {
                *checked.entry(p).or_insert(0) += 1;
            }
        }
        // Each family is held to more than the panic and event bounds.
        let strong = [Property::NoLostWrite, Property::OneLeader, Property::NoStaleRead, Property::Converges];
        assert!(strong.iter().any(|p| checked.get(p).copied().unwrap_or(0) > SCHEDULES / 2), "{family}: {checked:?}");
    }
}

/// Asynchronous replication with elections promises no durability: asked for `no_lost_write`
/// the explorer finds schedules that break it, and shrinks each to one where every remaining
/// fault is needed.
#[test]
fn a_shrunk_schedule_still_fails_and_every_fault_in_it_is_needed() {
    let mut shrunk_some = 0;
    for seed in 0..60u64 {
        let mut base = explore::family(explore::SweepFamily::LfMajority, seed);
        base.protocol = ProtocolConfig::LeaderFollower(LeaderFollowerConfig {
            ack: AckPolicy::Async,
            failover: Failover::Election { timeout_ms: [150.0, 300.0] },
            ..Default::default()
        });
        let faults = explore::random_faults(seed, base.cluster.nodes, 6);
        let Some(v) = explore::check(&base, &faults, Some(Property::NoLostWrite)).violation else { continue };
        assert_eq!(v.property, Property::NoLostWrite);
        let shrunk = explore::shrink(&base, &faults, v.property, 400);
        let fails = |f: &[Fault]| {
            explore::check(&base, f, Some(Property::NoLostWrite))
                .violation
                .is_some_and(|v| v.property == Property::NoLostWrite)
        };
        assert!(fails(&shrunk), "seed {seed}: the shrunk schedule passes; {}", repro(&explore::apply(&base, &shrunk)));
        assert!(shrunk.len() <= faults.len());
        for i in 0..shrunk.len() {
            let mut fewer = shrunk.clone();
            fewer.remove(i);
            assert!(!fails(&fewer), "seed {seed}: fault {i} of the shrunk schedule is not needed: {shrunk:?}");
        }
        shrunk_some += 1;
        if shrunk_some == 3 {
            break;
        }
    }
    assert!(shrunk_some > 0, "async failover never lost a write in 60 schedules");
}
