//! # Grow-only counter
//!
//! Each actor counts its own increments in its own slot; the counter's value is the sum of the
//! slots. Two replicas merge by taking each slot's maximum: a slot only ever grows and only its
//! owner writes it, so the larger number is the newer one, and an increment is never counted
//! twice however often states are exchanged (a replicated `x += 1` would double count a
//! duplicated message). Merge is commutative, associative and idempotent.
//!
//! This is `riak_dt_gcounter` (Riak's counters are built from it) and the G-Counter of Shapiro
//! et al., "A comprehensive study of Convergent and Commutative Replicated Data Types" (2011).
//! Slots and the value saturate at `u64::MAX` instead of wrapping.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Crdt;

/// A grow-only counter: actor → that actor's increments (zero slots are not stored).
///
/// Serialised as a map from actor to count.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "BTreeMap<A, u64>", into = "BTreeMap<A, u64>")]
#[serde(bound(serialize = "A: Ord + Clone + Serialize", deserialize = "A: Ord + Deserialize<'de>"))]
pub struct GCounter<A> {
    counts: BTreeMap<A, u64>,
}

impl<A> Default for GCounter<A> {
    fn default() -> Self {
        GCounter { counts: BTreeMap::new() }
    }
}

impl<A: Ord + Clone> GCounter<A> {
    /// Zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// `actor` adds `by` (saturating).
    pub fn increment(&mut self, actor: A, by: u64) {
        if by > 0 {
            let c = self.counts.entry(actor).or_insert(0);
            *c = c.saturating_add(by);
        }
    }

    /// The sum of every actor's increments (saturating).
    pub fn value(&self) -> u64 {
        self.counts.values().fold(0u64, |s, &c| s.saturating_add(c))
    }

    /// How much `actor` has added.
    pub fn get(&self, actor: &A) -> u64 {
        self.counts.get(actor).copied().unwrap_or(0)
    }

    /// Slot-wise maximum.
    pub fn merge(&mut self, other: &Self) {
        for (a, &n) in &other.counts {
            let c = self.counts.entry(a.clone()).or_insert(0);
            *c = (*c).max(n);
        }
    }

    /// The non-zero slots, sorted by actor.
    pub fn entries(&self) -> impl Iterator<Item = (&A, u64)> + '_ {
        self.counts.iter().map(|(a, &n)| (a, n))
    }
}

/// From `(actor, count)` slots; a repeated actor keeps its highest count.
impl<A: Ord + Clone> FromIterator<(A, u64)> for GCounter<A> {
    fn from_iter<I: IntoIterator<Item = (A, u64)>>(iter: I) -> Self {
        let mut counts = BTreeMap::new();
        for (a, n) in iter {
            if n > 0 {
                let c = counts.entry(a).or_insert(0);
                *c = n.max(*c);
            }
        }
        GCounter { counts }
    }
}

impl<A: Ord> From<BTreeMap<A, u64>> for GCounter<A> {
    fn from(mut counts: BTreeMap<A, u64>) -> Self {
        counts.retain(|_, n| *n > 0);
        GCounter { counts }
    }
}

impl<A> From<GCounter<A>> for BTreeMap<A, u64> {
    fn from(g: GCounter<A>) -> Self {
        g.counts
    }
}

impl<A: Ord + Clone> Crdt for GCounter<A> {
    fn merge(&mut self, other: &Self) {
        GCounter::merge(self, other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::laws;
    use crate::rng::SimRng;
    use std::collections::BTreeSet;

    #[test]
    fn usage() {
        let mut gc1 = GCounter::new();
        gc1.increment("a1", 2);
        let mut gc2 = GCounter::new();
        gc2.increment("a2", 1);
        let mut gc3 = gc1.clone();
        gc3.merge(&gc2);
        gc2.increment("a3", 3);
        gc3.increment("a4", 1);
        gc3.increment("a1", 1);
        gc3.merge(&gc2);
        assert_eq!(
            gc3.entries().map(|(a, n)| (*a, n)).collect::<Vec<_>>(),
            vec![("a1", 3), ("a2", 1), ("a3", 3), ("a4", 1)]
        );
        assert_eq!(gc3.value(), 8);
    }

    #[test]
    fn saturates_instead_of_wrapping() {
        let mut g = GCounter::new();
        g.increment(0, u64::MAX);
        g.increment(0, 1);
        g.increment(1, 5);
        assert_eq!(g.get(&0), u64::MAX);
        assert_eq!(g.value(), u64::MAX);
        g.increment(2, 0);
        assert_eq!(g.entries().count(), 2, "a zero increment stores nothing");
    }

    fn random_counters(rng: &mut SimRng) -> Vec<GCounter<u8>> {
        laws::random_system(rng, 4, 24, |rng, r, g: &mut GCounter<u8>, _| g.increment(r as u8, rng.between(1, 5)))
    }

    #[test]
    fn merge_laws() {
        laws::check_laws("GCounter", laws::CASES, random_counters);
    }

    /// The value is the sum of the increments the replica has heard of, each counted once.
    #[test]
    fn value_counts_each_known_increment_once() {
        laws::for_each_seed("GCounter vs model", laws::CASES, |seed, rng| {
            let n = 3;
            let mut states = vec![GCounter::<usize>::new(); n];
            let mut known = vec![BTreeSet::<(usize, u64)>::new(); n];
            let mut amounts = vec![];
            for _ in 0..25 {
                let r = rng.below(n as u64) as usize;
                if rng.below(2) == 0 {
                    let by = rng.between(1, 9);
                    states[r].increment(r, by);
                    known[r].insert((r, amounts.len() as u64));
                    amounts.push(by);
                } else {
                    let s = rng.below(n as u64) as usize;
                    let (g, k) = (states[s].clone(), known[s].clone());
                    states[r].merge(&g);
                    known[r].extend(k);
                }
                let want: u64 = known[r].iter().map(|&(_, i)| amounts[i as usize]).sum();
                assert_eq!(states[r].value(), want, "seed {seed}: {:?}", states[r]);
            }
        });
    }
}
