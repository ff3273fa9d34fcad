//! # Multi-value register
//!
//! A register that never silently drops a concurrent write: every value carries the dot of the
//! write that produced it, and the register keeps the causal context (a version vector) of
//! everything it has seen. Reading returns all current values (the *siblings*) and the context;
//! a write names the context it read, and supersedes exactly the values whose dots that context
//! covers. Two clients that write without having seen each other's value both survive; a
//! client that read both and writes once replaces both. That is how a client resolves
//! siblings, and how Riak objects with `allow_mult` behave.
//!
//! Merge keeps a value if both sides have it, or if one side has it and the other side's
//! context has not seen its dot; a value one side has and the other side's context covers was
//! overwritten there. The contexts merge by pointwise maximum. It is the same rule as the
//! observed-remove set's, and the same semantics as a [`DvvSet`](super::DvvSet) holding only
//! dotted values, in a plain (non-compact) representation: one `(dot, value)` pair per sibling.
//! Merge is commutative, associative and idempotent.
//!
//! Contrast: with last-writer-wins (Cassandra, and DynamoDB global tables), the register keeps
//! one value and a concurrent write with an older timestamp disappears.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::vclock::VClock;
use super::Crdt;

/// A multi-value register: the siblings of one key with their dots, and the causal context.
///
/// Serialised as `{"clock": {actor: counter}, "values": [[[actor, counter], value], …]}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(bound(
    serialize = "A: Ord + Clone + Serialize, V: Serialize",
    deserialize = "A: Ord + Clone + Deserialize<'de>, V: Deserialize<'de>"
))]
pub struct MvRegister<A, V> {
    /// Every write this replica has seen or that a write here declared it saw.
    clock: VClock<A>,
    /// The siblings by dot; every dot is covered by `clock`.
    #[serde(with = "super::pairs")]
    values: BTreeMap<(A, u64), V>,
}

/// Another name for [`MvRegister`].
pub type MVRegister<A, V> = MvRegister<A, V>;

impl<A, V> Default for MvRegister<A, V> {
    fn default() -> Self {
        MvRegister { clock: VClock::default(), values: BTreeMap::new() }
    }
}

impl<A: Ord + Clone, V: Ord + Clone> MvRegister<A, V> {
    /// An empty register (no value, empty context).
    pub fn new() -> Self {
        Self::default()
    }

    /// `actor` writes `value` on behalf of a client that read `context`: every value whose dot
    /// `context` covers is superseded, the others stay as siblings. An empty context adds a
    /// sibling. Returns the new value's dot counter (its dot is `(actor, counter)`).
    ///
    /// # Panics
    /// If `actor`'s counter would overflow `u64`.
    pub fn set(&mut self, actor: A, value: V, context: &VClock<A>) -> u64 {
        self.values.retain(|(a, n), _| !context.covers(a, *n));
        self.clock.merge(context);
        let n = self.clock.increment(actor.clone());
        self.values.insert((actor, n), value);
        n
    }

    /// The current values (siblings), sorted, equal values once.
    pub fn values(&self) -> Vec<V> {
        let mut v: Vec<V> = self.values.values().cloned().collect();
        crate::sort::sort(&mut v);
        v.dedup();
        v
    }

    /// The siblings with their dots, sorted by dot.
    pub fn siblings(&self) -> impl Iterator<Item = (&A, u64, &V)> + '_ {
        self.values.iter().map(|((a, n), v)| (a, *n, v))
    }

    /// The causal context to send back with the next write.
    pub fn context(&self) -> VClock<A> {
        self.clock.clone()
    }

    /// Nothing has been written yet (a write always leaves its own value).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Merges another replica's register.
    pub fn merge(&mut self, other: &Self) {
        let theirs = &other.values;
        self.values.retain(|(a, n), _| theirs.contains_key(&(a.clone(), *n)) || !other.clock.covers(a, *n));
        for ((a, n), v) in theirs {
            if !self.values.contains_key(&(a.clone(), *n)) && !self.clock.covers(a, *n) {
                self.values.insert((a.clone(), *n), v.clone());
            }
        }
        self.clock.merge(&other.clock);
    }
}

impl<A: Ord + Clone, V: Ord + Clone> Crdt for MvRegister<A, V> {
    fn merge(&mut self, other: &Self) {
        MvRegister::merge(self, other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::laws::{self, KeyModel};
    use crate::crdt::DvvSet;
    use crate::rng::SimRng;

    #[test]
    fn concurrent_writes_keep_both_and_a_write_with_the_merged_context_resolves_them() {
        let mut a = MvRegister::new();
        let mut b = MvRegister::new();
        a.set("a", "x", &VClock::new());
        b.set("b", "y", &VClock::new());
        a.merge(&b);
        assert_eq!(a.values(), vec!["x", "y"]);
        // The client read both siblings and writes once with that context.
        let ctx = a.context();
        a.set("a", "z", &ctx);
        assert_eq!(a.values(), vec!["z"]);
        // b, still holding y, learns that z replaced it.
        b.merge(&a);
        assert_eq!(b.values(), vec!["z"]);
    }

    #[test]
    fn a_write_with_an_old_context_replaces_only_what_it_saw() {
        let mut r = MvRegister::new();
        r.set("a", "v1", &VClock::new());
        let read_v1 = r.context();
        r.set("a", "v2", &VClock::new());
        r.set("a", "v3", &read_v1);
        assert_eq!(r.values(), vec!["v2", "v3"]);
        assert_eq!(r.siblings().map(|(a, n, v)| (*a, n, *v)).collect::<Vec<_>>(), vec![("a", 2, "v2"), ("a", 3, "v3")]);
    }

    #[test]
    fn a_context_from_elsewhere_supersedes_values_that_arrive_later() {
        let mut a = MvRegister::new();
        a.set("a", "old", &VClock::new());
        let seen_at_a = a.context();
        let mut b = MvRegister::new();
        b.set("b", "new", &seen_at_a);
        b.merge(&a);
        assert_eq!(b.values(), vec!["new"]);
    }

    #[test]
    fn json_round_trip() {
        let mut r = MvRegister::<usize, String>::new();
        r.set(0, "x".into(), &VClock::new());
        r.set(1, "y".into(), &VClock::new());
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"clock":{"0":1,"1":1},"values":[[[0,1],"x"],[[1,1],"y"]]}"#);
        assert_eq!(serde_json::from_str::<MvRegister<usize, String>>(&json).unwrap(), r);
    }

    fn random_registers(rng: &mut SimRng) -> Vec<MvRegister<u8, u32>> {
        let mut next = 0;
        laws::random_system(rng, 4, 24, |rng, r, reg: &mut MvRegister<u8, u32>, seen| {
            let ctx = match rng.below(3) {
                0 => VClock::new(),
                1 => reg.context(),
                _ if seen.is_empty() => VClock::new(),
                _ => seen[rng.below(seen.len() as u64) as usize].context(),
            };
            next += 1;
            reg.set(r as u8, next, &ctx);
        })
    }

    #[test]
    fn merge_laws() {
        laws::check_laws("MvRegister", laws::CASES, random_registers);
    }

    /// Against the reference model, and against a DvvSet driven by the same operations.
    #[test]
    fn values_match_the_causal_model_and_the_dvvset() {
        laws::for_each_seed("MvRegister vs model", laws::CASES, |seed, rng| {
            let n = 3;
            let mut model = KeyModel::new(n);
            let mut regs = vec![MvRegister::<usize, u32>::new(); n];
            let mut dvvs = vec![DvvSet::<usize, u32>::default(); n];
            let mut reads = vec![VClock::new()];
            for step in 0..30 {
                let r = rng.below(n as u64) as usize;
                match rng.below(4) {
                    0 => reads.push(regs[r].context()),
                    1 => {
                        let s = rng.below(n as u64) as usize;
                        let other = regs[s].clone();
                        regs[r].merge(&other);
                        dvvs[r] = dvvs[r].sync(&dvvs[s]);
                        model.sync(r, s);
                    }
                    _ => {
                        let ctx = reads[rng.below(reads.len() as u64) as usize].clone();
                        let v = model.put(r, ctx.clone());
                        regs[r].set(r, v, &ctx);
                        dvvs[r] = DvvSet::new(ctx.to_vec(), [v]).update_with(&dvvs[r], r);
                    }
                }
                assert_eq!(regs[r].values(), model.live(r), "seed {seed}, step {step}, replica {r}: {:?}", regs[r]);
                assert_eq!(regs[r].context(), model.context(r), "seed {seed}, step {step}: context");
                let mut d = dvvs[r].values();
                crate::sort::sort(&mut d);
                assert_eq!(d, regs[r].values(), "seed {seed}, step {step}: DvvSet disagrees");
            }
        });
    }
}
