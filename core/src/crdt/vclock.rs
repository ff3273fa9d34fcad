//! # Version vectors (vector clocks)
//!
//! A version vector summarises a causal history: for every actor (a replica, in the simulator a
//! node id) it counts how many events of that actor the history contains. Actors that are
//! missing count as zero, and this module never stores a zero, so two clocks that summarise the
//! same history are equal as values.
//!
//! Histories are compared entry by entry. `a` *descends* from `b` when `a[x] >= b[x]` for every
//! actor `x`: `a` has seen everything `b` has (every clock descends from the empty clock and from
//! itself). `a` *dominates* `b` when it descends from `b` and is not equal to it. When neither
//! descends from the other the histories are *concurrent*: each contains an event the other has
//! not seen, which for a replicated key means two writes that did not know about each other.
//! [`VClock::compare`] names the four outcomes with [`Causality`].
//!
//! Merging takes the pointwise maximum, the smallest history that contains both: it is
//! commutative, associative and idempotent, so a clock is itself a state-based CRDT.
//!
//! A clock can also be read as a set of *dots*, one `(actor, counter)` pair per entry, each the
//! latest event of its actor. [`VClock::subtract_dots`] keeps the dots another clock has not
//! seen; the observed-remove set uses it to tell "added elsewhere and not yet seen here" (keep)
//! from "seen here and removed since" (drop).
//!
//! The semantics follow basho's `riak_dt_vclock` (descends, dominates, merge, subtract_dots);
//! Dynamo and Riak before 2.0 attached such clocks to every stored object.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Crdt;

/// How two causal histories relate. `Before` means `self` happened before `other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Causality {
    /// The same history.
    Equal,
    /// `self` is strictly contained in `other`: `other` has seen all of it and more.
    Before,
    /// `self` strictly contains `other`.
    After,
    /// Each has seen an event the other has not.
    Concurrent,
}

/// A version vector: actor → number of that actor's events seen (missing = 0).
///
/// Serialised as a map from actor to counter, for example `{"a": 2, "b": 1}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "BTreeMap<A, u64>", into = "BTreeMap<A, u64>")]
#[serde(bound(serialize = "A: Ord + Clone + Serialize", deserialize = "A: Ord + Deserialize<'de>"))]
pub struct VClock<A> {
    /// Never holds a zero counter.
    counters: BTreeMap<A, u64>,
}

impl<A> Default for VClock<A> {
    fn default() -> Self {
        VClock { counters: BTreeMap::new() }
    }
}

impl<A: Ord + Clone> VClock<A> {
    /// The empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many events of `actor` this history contains.
    pub fn get(&self, actor: &A) -> u64 {
        self.counters.get(actor).copied().unwrap_or(0)
    }

    /// Records a new event of `actor` and returns its counter (the new event's dot is
    /// `(actor, returned value)`).
    ///
    /// # Panics
    /// If the counter would overflow `u64` (2^64 events of one actor).
    pub fn increment(&mut self, actor: A) -> u64 {
        let c = self.counters.entry(actor).or_insert(0);
        *c = c.checked_add(1).expect("VClock counter overflow");
        *c
    }

    /// Raises `actor`'s counter to at least `counter`: the history now contains the dot
    /// `(actor, counter)` and every earlier event of that actor.
    pub fn witness(&mut self, actor: A, counter: u64) {
        if counter > 0 {
            let c = self.counters.entry(actor).or_insert(0);
            *c = (*c).max(counter);
        }
    }

    /// Whether the dot `(actor, counter)` is part of this history.
    pub fn covers(&self, actor: &A, counter: u64) -> bool {
        self.get(actor) >= counter
    }

    /// Pointwise maximum: the smallest history containing both.
    pub fn merge(&mut self, other: &Self) {
        for (a, &n) in &other.counters {
            self.witness(a.clone(), n);
        }
    }

    /// Every event of `other` is in `self` (`self[x] >= other[x]` for all `x`).
    pub fn descends(&self, other: &Self) -> bool {
        other.counters.iter().all(|(a, &n)| self.get(a) >= n)
    }

    /// `self` descends from `other` and is a different history.
    pub fn dominates(&self, other: &Self) -> bool {
        self.descends(other) && !other.descends(self)
    }

    /// How `self` relates to `other`.
    pub fn compare(&self, other: &Self) -> Causality {
        match (self.descends(other), other.descends(self)) {
            (true, true) => Causality::Equal,
            (true, false) => Causality::After,
            (false, true) => Causality::Before,
            (false, false) => Causality::Concurrent,
        }
    }

    /// Neither history contains the other.
    pub fn concurrent(&self, other: &Self) -> bool {
        self.compare(other) == Causality::Concurrent
    }

    /// Reads `self` as a list of dots and keeps those `clock` has not seen: `(a, n)` stays when
    /// `clock[a] < n`. (`riak_dt_vclock:subtract_dots/2`.)
    pub fn subtract_dots(&self, clock: &Self) -> Self {
        VClock {
            counters: crate::sort::collect(
                self.counters.iter().filter(|&(a, &n)| clock.get(a) < n).map(|(a, &n)| (a.clone(), n)),
            ),
        }
    }

    /// The non-zero entries, sorted by actor.
    pub fn entries(&self) -> impl Iterator<Item = (&A, u64)> + '_ {
        self.counters.iter().map(|(a, &n)| (a, n))
    }

    /// The actors with a non-zero counter, sorted.
    pub fn actors(&self) -> impl Iterator<Item = &A> + '_ {
        self.counters.keys()
    }

    /// The entries as `(actor, counter)` pairs, sorted by actor.
    pub fn to_vec(&self) -> Vec<(A, u64)> {
        self.entries().map(|(a, n)| (a.clone(), n)).collect()
    }

    /// Number of actors with a non-zero counter.
    pub fn len(&self) -> usize {
        self.counters.len()
    }

    /// The empty history.
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
    }
}

/// Builds a clock from `(actor, counter)` pairs; a repeated actor keeps its highest counter
/// and zero counters are dropped.
impl<A: Ord + Clone> FromIterator<(A, u64)> for VClock<A> {
    fn from_iter<I: IntoIterator<Item = (A, u64)>>(iter: I) -> Self {
        let mut c = VClock::new();
        for (a, n) in iter {
            c.witness(a, n);
        }
        c
    }
}

impl<A: Ord> From<BTreeMap<A, u64>> for VClock<A> {
    fn from(mut counters: BTreeMap<A, u64>) -> Self {
        counters.retain(|_, n| *n > 0);
        VClock { counters }
    }
}

impl<A> From<VClock<A>> for BTreeMap<A, u64> {
    fn from(c: VClock<A>) -> Self {
        c.counters
    }
}

impl<A: Ord + Clone> Crdt for VClock<A> {
    fn merge(&mut self, other: &Self) {
        VClock::merge(self, other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::laws;
    use crate::rng::SimRng;
    use std::collections::BTreeSet;

    fn vc(pairs: &[(&'static str, u64)]) -> VClock<&'static str> {
        pairs.iter().copied().collect()
    }

    /// Version-vector comparison as a table: (a, b, how a relates to b).
    #[test]
    fn compare_table() {
        use Causality::*;
        type Clock = &'static [(&'static str, u64)];
        type Row = (Clock, Clock, Causality);
        #[rustfmt::skip]
        let table: &[Row] = &[
            (&[],                   &[],                   Equal),
            (&[("a", 1)],           &[],                   After),
            (&[],                   &[("a", 1)],           Before),
            (&[("a", 1)],           &[("a", 1)],           Equal),
            (&[("a", 2)],           &[("a", 1)],           After),
            (&[("a", 1)],           &[("a", 2)],           Before),
            (&[("a", 1)],           &[("b", 1)],           Concurrent),
            (&[("a", 2), ("b", 1)], &[("a", 1), ("b", 2)], Concurrent),
            (&[("a", 2), ("b", 2)], &[("a", 1), ("b", 2)], After),
            (&[("a", 1), ("b", 2)], &[("a", 1), ("b", 2), ("c", 1)], Before),
            (&[("a", 0)],           &[],                   Equal),
            (&[("a", 3), ("c", 1)], &[("a", 3), ("b", 1)], Concurrent),
        ];
        for (i, &(a, b, want)) in table.iter().enumerate() {
            let (a, b) = (vc(a), vc(b));
            assert_eq!(a.compare(&b), want, "row {i}: {a:?} vs {b:?}");
            let mirrored = match want {
                Before => After,
                After => Before,
                w => w,
            };
            assert_eq!(b.compare(&a), mirrored, "row {i} mirrored");
            assert_eq!(a.descends(&b), matches!(want, Equal | After), "row {i} descends");
            assert_eq!(a.dominates(&b), want == After, "row {i} dominates");
            assert_eq!(a.concurrent(&b), want == Concurrent, "row {i} concurrent");
        }
    }

    #[test]
    fn zero_counters_are_not_stored() {
        let a = vc(&[("a", 0), ("b", 2)]);
        assert_eq!(a, vc(&[("b", 2)]));
        assert_eq!(a.len(), 1);
        let json: VClock<String> = serde_json::from_str(r#"{"a":0,"b":2}"#).unwrap();
        assert_eq!(json.to_vec(), vec![("b".to_string(), 2)]);
        assert_eq!(serde_json::to_string(&json).unwrap(), r#"{"b":2}"#);
    }

    #[test]
    fn increment_returns_the_new_dot() {
        let mut c = VClock::new();
        assert_eq!(c.increment("a"), 1);
        assert_eq!(c.increment("a"), 2);
        assert_eq!(c.increment("b"), 1);
        assert!(c.covers(&"a", 2) && !c.covers(&"a", 3) && c.covers(&"z", 0));
    }

    #[test]
    fn subtract_dots_doc_example() {
        let dots = vc(&[("a", 3), ("b", 2), ("d", 14), ("g", 22)]);
        let clock = vc(&[("a", 4), ("b", 1), ("c", 1), ("d", 14), ("e", 5), ("f", 2)]);
        assert_eq!(dots.subtract_dots(&clock), vc(&[("b", 2), ("g", 22)]));
    }

    #[test]
    fn usize_actors_round_trip_through_json() {
        let c: VClock<usize> = [(0, 3), (2, 1)].into_iter().collect();
        let s = serde_json::to_string(&c).unwrap();
        assert_eq!(s, r#"{"0":3,"2":1}"#);
        assert_eq!(serde_json::from_str::<VClock<usize>>(&s).unwrap(), c);
    }

    /// Random clocks from one run of a small system: nodes record events and merge each
    /// other's clocks in random order.
    fn random_clocks(rng: &mut SimRng) -> Vec<VClock<u8>> {
        laws::random_system(rng, 4, 24, |rng, r, state: &mut VClock<u8>, _| {
            state.increment(r as u8);
            if rng.below(4) == 0 {
                state.increment(r as u8);
            }
        })
    }

    #[test]
    fn merge_laws() {
        laws::check_laws("VClock", laws::CASES, random_clocks);
    }

    /// The clock agrees with the causal histories it summarises: compare() is set inclusion
    /// of the sets of events, and merge is their union.
    #[test]
    fn compare_matches_history_inclusion() {
        laws::for_each_seed("VClock history model", laws::CASES, |seed, rng| {
            let n = 4;
            let mut clocks = vec![VClock::<usize>::new(); n];
            let mut histories = vec![BTreeSet::<(usize, u64)>::new(); n];
            let mut snapshots = vec![];
            for _ in 0..20 {
                let r = rng.below(n as u64) as usize;
                if rng.below(2) == 0 {
                    let k = clocks[r].increment(r);
                    histories[r].insert((r, k));
                } else {
                    let s = rng.below(n as u64) as usize;
                    let (c, h) = (clocks[s].clone(), histories[s].clone());
                    clocks[r].merge(&c);
                    histories[r].extend(h);
                }
                snapshots.push((clocks[r].clone(), histories[r].clone()));
            }
            for (ca, ha) in &snapshots {
                for (cb, hb) in &snapshots {
                    let want = match (ha.is_superset(hb), hb.is_superset(ha)) {
                        (true, true) => Causality::Equal,
                        (true, false) => Causality::After,
                        (false, true) => Causality::Before,
                        (false, false) => Causality::Concurrent,
                    };
                    assert_eq!(ca.compare(cb), want, "seed {seed}: {ca:?} vs {cb:?}");
                }
            }
        });
    }
}
