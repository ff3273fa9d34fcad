//! The choices behind a scenario's main settings, listed for forms and menus.
//!
//! Every type here implements [`Choice`]: it lists its values ([`Choice::ALL`]), gives each a
//! stable identifier ([`Choice::name`], the scenario format's own name wherever the choice is
//! one of the format's values, so it can serve as a `<select>` option's value) and the text
//! people read ([`Choice::label`]). A form keeps the typed value and turns a changed option
//! back into it with [`Choice::from_name`]; nothing downstream compares text.
//!
//! Where a setting carries numbers (semi-sync's `k`, a star's hub, failover timeouts) its
//! choice here is a fieldless kind with a method that builds the setting from those numbers.

use crate::conflict::ConflictResolution;
use crate::protocol::ReadFrom;
use crate::protocols::leader_follower::{AckPolicy, Failover, Fencing, SemiSync, SemiSyncMode};
use crate::protocols::multi_leader::Topology;
use crate::scenario::{MonotonicReads, ReadYourWrites, SessionConfig};
use crate::view::Family;

/// A setting with a fixed list of values.
pub trait Choice: Copy + Eq + Sized + 'static {
    /// Every value, in the order a menu offers them.
    const ALL: &'static [Self];

    /// The stable identifier: the scenario format's name (`"semi_sync"`, `"all_to_all"`).
    fn name(self) -> &'static str;

    /// The text people read (`"semi-sync (k followers)"`).
    fn label(self) -> &'static str;

    /// The value whose [`Choice::name`] this is.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl Choice for Family {
    const ALL: &'static [Self] = &[Family::LeaderFollower, Family::MultiLeader, Family::Leaderless];

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn label(self) -> &'static str {
        // The inherent method (the view already names families for people).
        Family::label(self)
    }
}

impl Choice for ReadFrom {
    const ALL: &'static [Self] = &[ReadFrom::Leader, ReadFrom::Local, ReadFrom::Any];

    fn name(self) -> &'static str {
        match self {
            ReadFrom::Leader => "leader",
            ReadFrom::Local => "local",
            ReadFrom::Any => "any",
        }
    }

    fn label(self) -> &'static str {
        match self {
            ReadFrom::Leader => "leader",
            ReadFrom::Local => "local replica",
            ReadFrom::Any => "any replica",
        }
    }
}

// Conflict resolution: one vocabulary for both families (the leaderless family takes
// `ConflictResolution::LEADERLESS`).

impl Choice for ConflictResolution {
    const ALL: &'static [Self] = &ConflictResolution::ALL;

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn label(self) -> &'static str {
        self.label()
    }
}

/// The kind of a leader-follower [`AckPolicy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AckChoice {
    Async,
    SemiSync,
    Majority,
    Sync,
}

impl AckChoice {
    /// The policy; `k` counts the followers a semi-synchronous write waits for.
    pub fn policy(self, k: usize) -> AckPolicy {
        match self {
            AckChoice::Async => AckPolicy::Async,
            AckChoice::SemiSync => {
                AckPolicy::SemiSync(SemiSync { k, mode: SemiSyncMode::Any, priority: None, timeout_ms: None })
            }
            AckChoice::Majority => AckPolicy::Majority,
            AckChoice::Sync => AckPolicy::Sync,
        }
    }
}

impl Choice for AckChoice {
    const ALL: &'static [Self] = &[AckChoice::Async, AckChoice::SemiSync, AckChoice::Majority, AckChoice::Sync];

    fn name(self) -> &'static str {
        match self {
            AckChoice::Async => "async",
            AckChoice::SemiSync => "semi_sync",
            AckChoice::Majority => "majority",
            AckChoice::Sync => "sync",
        }
    }

    fn label(self) -> &'static str {
        match self {
            AckChoice::Async => "async",
            AckChoice::SemiSync => "semi-sync (k followers)",
            AckChoice::Majority => "majority",
            AckChoice::Sync => "sync (all followers)",
        }
    }
}

/// The kind of a leader-follower [`Failover`] that needs no further settings (a coordinator
/// needs a node, so scenario files set it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailoverChoice {
    Manual,
    Election,
    Naive,
}

impl FailoverChoice {
    /// The policy, with the format's default timeouts.
    pub fn failover(self) -> Failover {
        match self {
            FailoverChoice::Manual => Failover::Manual,
            FailoverChoice::Election => Failover::election(),
            FailoverChoice::Naive => Failover::naive(),
        }
    }
}

impl Choice for FailoverChoice {
    const ALL: &'static [Self] = &[FailoverChoice::Manual, FailoverChoice::Election, FailoverChoice::Naive];

    fn name(self) -> &'static str {
        match self {
            FailoverChoice::Manual => "manual",
            FailoverChoice::Election => "election",
            FailoverChoice::Naive => "naive",
        }
    }

    fn label(self) -> &'static str {
        match self {
            FailoverChoice::Manual => "manual",
            FailoverChoice::Election => "majority election",
            FailoverChoice::Naive => "naive promotion",
        }
    }
}

/// One defence against two leaders, as a menu offers them ([`Fencing`] combines them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FencingChoice {
    /// Terms alone, which every leader-follower cluster has by default (named `none`: no
    /// defence beyond them).
    TermsOnly,
    /// Terms and a leader lease.
    Lease,
    /// Terms and STONITH.
    Stonith,
    /// Not even terms: followers obey whichever leader wrote last.
    Off,
}

impl FencingChoice {
    /// The fencing settings; `lease_ms` is the lease's length.
    pub fn fencing(self, lease_ms: f64) -> Fencing {
        let terms = Fencing::default();
        match self {
            FencingChoice::TermsOnly => terms,
            FencingChoice::Lease => Fencing { lease_ms: Some(lease_ms), ..terms },
            FencingChoice::Stonith => Fencing { stonith: true, ..terms },
            FencingChoice::Off => Fencing { terms: false, ..terms },
        }
    }
}

impl Choice for FencingChoice {
    const ALL: &'static [Self] =
        &[FencingChoice::TermsOnly, FencingChoice::Lease, FencingChoice::Stonith, FencingChoice::Off];

    fn name(self) -> &'static str {
        match self {
            FencingChoice::TermsOnly => "none",
            FencingChoice::Lease => "lease",
            FencingChoice::Stonith => "stonith",
            FencingChoice::Off => "off",
        }
    }

    fn label(self) -> &'static str {
        match self {
            FencingChoice::TermsOnly => "terms only",
            FencingChoice::Lease => "leader lease",
            FencingChoice::Stonith => "STONITH",
            FencingChoice::Off => "none at all",
        }
    }
}

/// The kind of a multi-leader [`Topology`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TopologyChoice {
    AllToAll,
    Ring,
    Star,
}

impl TopologyChoice {
    /// The topology; `hub` is the star's hub datacenter.
    pub fn topology(self, hub: usize) -> Topology {
        match self {
            TopologyChoice::AllToAll => Topology::AllToAll,
            TopologyChoice::Ring => Topology::Ring,
            TopologyChoice::Star => Topology::Star { hub },
        }
    }
}

impl Choice for TopologyChoice {
    const ALL: &'static [Self] = &[TopologyChoice::AllToAll, TopologyChoice::Ring, TopologyChoice::Star];

    fn name(self) -> &'static str {
        match self {
            TopologyChoice::AllToAll => "all_to_all",
            TopologyChoice::Ring => "ring",
            TopologyChoice::Star => "star",
        }
    }

    fn label(self) -> &'static str {
        match self {
            TopologyChoice::AllToAll => "all to all",
            TopologyChoice::Ring => "ring",
            TopologyChoice::Star => "star",
        }
    }
}

/// The shape of a link latency distribution ([`crate::net::Latency`]), as a menu offers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LatencyModel {
    Constant,
    Uniform,
    Exponential,
    Pareto,
    /// A uniform distribution except for a share of slow messages: a `mixture` of a uniform
    /// part and a constant one.
    Tail,
}

impl Choice for LatencyModel {
    const ALL: &'static [Self] = &[
        LatencyModel::Constant,
        LatencyModel::Uniform,
        LatencyModel::Exponential,
        LatencyModel::Pareto,
        LatencyModel::Tail,
    ];

    fn name(self) -> &'static str {
        match self {
            LatencyModel::Constant => "constant",
            LatencyModel::Uniform => "uniform",
            LatencyModel::Exponential => "exponential",
            LatencyModel::Pareto => "pareto",
            LatencyModel::Tail => "tail",
        }
    }

    fn label(self) -> &'static str {
        match self {
            LatencyModel::Constant => "constant",
            LatencyModel::Uniform => "uniform",
            LatencyModel::Exponential => "exponential",
            LatencyModel::Pareto => "Pareto (heavy tail)",
            LatencyModel::Tail => "uniform + slow tail",
        }
    }
}

/// One session guarantee, provided with tokens ([`SessionConfig`] combines them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionChoice {
    /// No guarantee (named `none`).
    NoGuarantee,
    ReadYourWrites,
    MonotonicReads,
    /// Consistent prefix / causal order.
    Causal,
}

impl SessionChoice {
    /// The session settings.
    pub fn session(self) -> SessionConfig {
        match self {
            SessionChoice::NoGuarantee => SessionConfig::default(),
            SessionChoice::ReadYourWrites => {
                SessionConfig { read_your_writes: Some(ReadYourWrites::Token), ..SessionConfig::default() }
            }
            SessionChoice::MonotonicReads => {
                SessionConfig { monotonic_reads: Some(MonotonicReads::Token), ..SessionConfig::default() }
            }
            SessionChoice::Causal => SessionConfig { causal: true, ..SessionConfig::default() },
        }
    }
}

impl Choice for SessionChoice {
    const ALL: &'static [Self] = &[
        SessionChoice::NoGuarantee,
        SessionChoice::ReadYourWrites,
        SessionChoice::MonotonicReads,
        SessionChoice::Causal,
    ];

    fn name(self) -> &'static str {
        match self {
            SessionChoice::NoGuarantee => "none",
            SessionChoice::ReadYourWrites => "ryw",
            SessionChoice::MonotonicReads => "monotonic",
            SessionChoice::Causal => "causal",
        }
    }

    fn label(self) -> &'static str {
        match self {
            SessionChoice::NoGuarantee => "none",
            SessionChoice::ReadYourWrites => "read your writes",
            SessionChoice::MonotonicReads => "monotonic reads",
            SessionChoice::Causal => "causal (consistent prefix)",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::fmt::Debug;

    use serde::Serialize;
    use serde_json::Value;

    use super::*;

    /// The name serde gives a value: a unit variant's string, or a data variant's only key.
    fn serde_name(value: impl Serialize) -> String {
        match serde_json::to_value(value).unwrap() {
            Value::String(s) => s,
            Value::Object(o) if o.len() == 1 => o.keys().next().unwrap().clone(),
            other => panic!("not an enum variant: {other}"),
        }
    }

    fn names_and_labels_are_distinct_and_name_their_value<T: Choice + Debug>() {
        let names: HashSet<_> = T::ALL.iter().map(|c| c.name()).collect();
        let labels: HashSet<_> = T::ALL.iter().map(|c| c.label()).collect();
        assert_eq!(names.len(), T::ALL.len(), "{:?}: names repeat", T::ALL);
        assert_eq!(labels.len(), T::ALL.len(), "{:?}: labels repeat", T::ALL);
        for &c in T::ALL {
            assert!(!c.label().is_empty(), "{c:?}");
            assert_eq!(T::from_name(c.name()), Some(c));
        }
        assert_eq!(T::from_name("paxos"), None);
        assert_eq!(T::from_name(""), None);
    }

    #[test]
    fn every_choice_has_one_name_and_one_label() {
        names_and_labels_are_distinct_and_name_their_value::<Family>();
        names_and_labels_are_distinct_and_name_their_value::<ReadFrom>();
        names_and_labels_are_distinct_and_name_their_value::<ConflictResolution>();
        names_and_labels_are_distinct_and_name_their_value::<AckChoice>();
        names_and_labels_are_distinct_and_name_their_value::<FailoverChoice>();
        names_and_labels_are_distinct_and_name_their_value::<FencingChoice>();
        names_and_labels_are_distinct_and_name_their_value::<TopologyChoice>();
        names_and_labels_are_distinct_and_name_their_value::<LatencyModel>();
        names_and_labels_are_distinct_and_name_their_value::<SessionChoice>();
    }

    #[test]
    fn names_are_the_scenario_formats_names() {
        for &c in Family::ALL {
            assert_eq!(serde_name(c), c.name());
        }
        for &c in ReadFrom::ALL {
            assert_eq!(serde_name(c), c.name());
        }
        for &c in <ConflictResolution as Choice>::ALL {
            assert_eq!(serde_name(c), c.name());
        }
        for &c in AckChoice::ALL {
            assert_eq!(serde_name(c.policy(1)), c.name());
        }
        for &c in FailoverChoice::ALL {
            assert_eq!(serde_name(c.failover()), c.name());
        }
        for &c in TopologyChoice::ALL {
            assert_eq!(serde_name(c.topology(0)), c.name());
        }
    }

    #[test]
    fn settings_built_from_choices_are_what_the_format_means() {
        // Whatever a choice builds reads back from the format unchanged, and the defaults it
        // fills in are the format's.
        assert_eq!(
            serde_json::from_str::<Failover>(r#"{"election": {}}"#).unwrap(),
            FailoverChoice::Election.failover()
        );
        assert_eq!(serde_json::from_str::<Failover>(r#"{"naive": {}}"#).unwrap(), FailoverChoice::Naive.failover());
        assert_eq!(AckChoice::SemiSync.policy(2), serde_json::from_str(r#"{"semi_sync": {"k": 2}}"#).unwrap());
        assert_eq!(TopologyChoice::Star.topology(1), serde_json::from_str(r#"{"star": {"hub": 1}}"#).unwrap());
        let fencing = |text: &str| serde_json::from_str::<Fencing>(text).unwrap();
        assert_eq!(FencingChoice::TermsOnly.fencing(200.0), fencing("{}"));
        assert_eq!(FencingChoice::Lease.fencing(200.0), fencing(r#"{"lease_ms": 200}"#));
        assert_eq!(FencingChoice::Stonith.fencing(200.0), fencing(r#"{"stonith": true}"#));
        assert_eq!(FencingChoice::Off.fencing(200.0), fencing(r#"{"terms": false}"#));
        let session = |text: &str| serde_json::from_str::<SessionConfig>(text).unwrap();
        assert!(SessionChoice::NoGuarantee.session().is_none());
        assert_eq!(SessionChoice::ReadYourWrites.session(), session(r#"{"read_your_writes": "token"}"#));
        assert_eq!(SessionChoice::MonotonicReads.session(), session(r#"{"monotonic_reads": "token"}"#));
        assert_eq!(SessionChoice::Causal.session(), session(r#"{"causal": true}"#));
    }
}
