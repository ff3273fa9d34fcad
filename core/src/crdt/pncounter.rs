//! # Increment/decrement counter
//!
//! A grow-only counter cannot go down: lowering a slot would look, after a merge, like an
//! older state and be undone by the maximum. So a PN-counter keeps two grow-only counters,
//! one for increments (P) and one for decrements (N), and its value is `P - N`. Each half
//! merges slot-wise by maximum, which keeps all the join laws.
//!
//! This is `riak_dt_pncounter` (Riak's counter data type) and the PN-Counter of Shapiro et
//! al. (2011). The value is computed exactly and clamped to the range of `i64`.

use serde::{Deserialize, Serialize};

use super::gcounter::GCounter;
use super::Crdt;

/// A counter that goes up and down.
///
/// Serialised as `{"p": {actor: count}, "n": {actor: count}}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(bound(serialize = "A: Ord + Clone + Serialize", deserialize = "A: Ord + Deserialize<'de>"))]
pub struct PnCounter<A> {
    p: GCounter<A>,
    n: GCounter<A>,
}

impl<A> Default for PnCounter<A> {
    fn default() -> Self {
        PnCounter { p: GCounter::default(), n: GCounter::default() }
    }
}

impl<A: Ord + Clone> PnCounter<A> {
    /// Zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// `actor` adds `by`.
    pub fn increment(&mut self, actor: A, by: u64) {
        self.p.increment(actor, by);
    }

    /// `actor` subtracts `by`.
    pub fn decrement(&mut self, actor: A, by: u64) {
        self.n.increment(actor, by);
    }

    /// Increments minus decrements, clamped to `i64`.
    pub fn value(&self) -> i64 {
        let v = self.p.value() as i128 - self.n.value() as i128;
        v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// The increments half.
    pub fn increments(&self) -> &GCounter<A> {
        &self.p
    }

    /// The decrements half.
    pub fn decrements(&self) -> &GCounter<A> {
        &self.n
    }

    /// Merges each half slot-wise.
    pub fn merge(&mut self, other: &Self) {
        self.p.merge(&other.p);
        self.n.merge(&other.n);
    }
}

impl<A: Ord + Clone> Crdt for PnCounter<A> {
    fn merge(&mut self, other: &Self) {
        PnCounter::merge(self, other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::laws;
    use crate::rng::SimRng;

    #[test]
    fn goes_up_and_down_and_converges() {
        let mut a = PnCounter::new();
        let mut b = PnCounter::new();
        a.increment("a", 5);
        b.decrement("b", 7);
        b.increment("b", 1);
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert_eq!(ab.value(), -1);
        ab.merge(&a);
        assert_eq!(ab.value(), -1, "merging again counts nothing twice");
    }

    #[test]
    fn value_is_clamped() {
        let mut c = PnCounter::new();
        c.decrement(0, u64::MAX);
        assert_eq!(c.value(), i64::MIN);
        c.increment(0, u64::MAX);
        assert_eq!(c.value(), 0);
    }

    fn random_counters(rng: &mut SimRng) -> Vec<PnCounter<u8>> {
        laws::random_system(rng, 4, 24, |rng, r, c: &mut PnCounter<u8>, _| {
            let by = rng.between(1, 5);
            if rng.below(2) == 0 {
                c.increment(r as u8, by)
            } else {
                c.decrement(r as u8, by)
            }
        })
    }

    #[test]
    fn merge_laws() {
        laws::check_laws("PnCounter", laws::CASES, random_counters);
    }

    /// Once every replica has merged every other, all agree on the sum of all operations.
    #[test]
    fn replicas_converge_to_the_sum_of_all_operations() {
        laws::for_each_seed("PnCounter convergence", laws::CASES / 3, |seed, rng| {
            let n = 3;
            let mut states = vec![PnCounter::<usize>::new(); n];
            let mut total = 0i64;
            for _ in 0..20 {
                let r = rng.below(n as u64) as usize;
                let by = rng.between(1, 9);
                if rng.below(2) == 0 {
                    states[r].increment(r, by);
                    total += by as i64;
                } else {
                    states[r].decrement(r, by);
                    total -= by as i64;
                }
                if rng.below(3) == 0 {
                    let s = rng.below(n as u64) as usize;
                    let other = states[s].clone();
                    states[r].merge(&other);
                }
            }
            let mut all = PnCounter::new();
            for s in &states {
                all.merge(s);
            }
            assert_eq!(all.value(), total, "seed {seed}");
        });
    }
}
