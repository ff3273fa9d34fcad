//! Property-test kit for the CRDTs (compiled for tests only).
//!
//! A state-based CRDT is only correct if merge is a join: commutative, associative and
//! idempotent. Checking that on arbitrary values would be wrong (most arbitrary values are not
//! reachable: two replicas never mint the same dot for different values), so the states come
//! from runs of a small random system: replicas apply random operations and merge each other's
//! state in random order, and snapshots taken along the way join the final states in a pool.
//! Triples drawn from one pool are checked against the laws. Every case has its own seed; a
//! failure names the seed, and [`for_each_seed`] prints it even when the failure is a panic
//! inside the code under test.

use std::fmt::Debug;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use super::vclock::VClock;
use super::Crdt;
use crate::rng::SimRng;

/// Seeds per property.
pub(crate) const CASES: u64 = 3_000;

/// Triples checked per seed.
pub(crate) const TRIPLES: usize = 4;

/// Runs `f` for seeds `0..cases`, each with its own generator; on failure prints which property
/// and seed failed, then fails the test.
pub(crate) fn for_each_seed(name: &str, cases: u64, mut f: impl FnMut(u64, &mut SimRng)) {
    for seed in 0..cases {
        let mut rng = SimRng::new(seed);
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| f(seed, &mut rng))) {
            eprintln!("property `{name}` failed for seed {seed} (reproduce with SimRng::new({seed}))");
            resume_unwind(e);
        }
    }
}

/// Runs a random system of `replicas` replicas for `steps` steps and returns a pool of
/// states: snapshots taken along the way, then every replica's final state.
///
/// Each step picks a replica `r` and either applies `op(rng, r, &mut state_r, snapshots)` (the
/// snapshots let an operation use a context a client read earlier) or merges another replica's
/// current state into it.
pub(crate) fn random_system<T: Crdt + Clone + Default>(
    rng: &mut SimRng,
    replicas: usize,
    steps: usize,
    mut op: impl FnMut(&mut SimRng, usize, &mut T, &[T]),
) -> Vec<T> {
    let mut states = vec![T::default(); replicas];
    let mut pool: Vec<T> = vec![];
    for _ in 0..steps {
        let r = rng.below(replicas as u64) as usize;
        if rng.below(5) < 3 {
            op(rng, r, &mut states[r], &pool);
        } else {
            let s = rng.below(replicas as u64) as usize;
            let other = states[s].clone();
            states[r].merge(&other);
        }
        if rng.below(3) == 0 {
            pool.push(states[r].clone());
        }
    }
    pool.extend(states);
    pool
}

/// Checks the join laws on [`TRIPLES`] triples from each generated pool, for `cases` seeds.
pub(crate) fn check_laws<T: Crdt + Clone + Debug + PartialEq>(
    name: &str,
    cases: u64,
    mut generate: impl FnMut(&mut SimRng) -> Vec<T>,
) {
    for_each_seed(name, cases, |seed, rng| {
        let pool = generate(rng);
        for _ in 0..TRIPLES {
            let mut pick = || &pool[rng.below(pool.len() as u64) as usize];
            let (a, b, c) = (pick(), pick(), pick());
            assert_join_laws(name, seed, a, b, c);
        }
    });
}

/// Commutativity and idempotence only (for states where associativity does not hold).
pub(crate) fn check_commutative_idempotent<T: Crdt + Clone + Debug + PartialEq>(
    name: &str,
    cases: u64,
    mut generate: impl FnMut(&mut SimRng) -> Vec<T>,
) {
    for_each_seed(name, cases, |seed, rng| {
        let pool = generate(rng);
        for _ in 0..TRIPLES {
            let a = &pool[rng.below(pool.len() as u64) as usize];
            let b = &pool[rng.below(pool.len() as u64) as usize];
            let (ab, ba) = (a.merged(b), b.merged(a));
            assert!(
                ab == ba,
                "{name}, seed {seed}: merge is not commutative\n a = {a:?}\n b = {b:?}\n a+b = {ab:?}\n b+a = {ba:?}"
            );
            assert!(
                a.merged(a) == *a,
                "{name}, seed {seed}: merge is not idempotent\n a = {a:?}\n a+a = {:?}",
                a.merged(a)
            );
        }
    });
}

/// The three join laws, plus absorption (merging a part again changes nothing).
pub(crate) fn assert_join_laws<T: Crdt + Clone + Debug + PartialEq>(name: &str, seed: u64, a: &T, b: &T, c: &T) {
    let ab = a.merged(b);
    let ba = b.merged(a);
    assert!(
        ab == ba,
        "{name}, seed {seed}: merge is not commutative\n a = {a:?}\n b = {b:?}\n a+b = {ab:?}\n b+a = {ba:?}"
    );
    let ab_c = ab.merged(c);
    let a_bc = a.merged(&b.merged(c));
    assert!(
        ab_c == a_bc,
        "{name}, seed {seed}: merge is not associative\n a = {a:?}\n b = {b:?}\n c = {c:?}\n (a+b)+c = {ab_c:?}\n a+(b+c) = {a_bc:?}"
    );
    let aa = a.merged(a);
    assert!(aa == *a, "{name}, seed {seed}: merge is not idempotent\n a = {a:?}\n a+a = {aa:?}");
    let again = ab.merged(a);
    assert!(again == ab, "{name}, seed {seed}: merge does not absorb\n a = {a:?}\n b = {b:?}\n (a+b)+a = {again:?}");
}

/// A reference model of one replicated key written with causal contexts (what a dotted
/// version vector set or a multi-value register must compute).
///
/// Every write has a dot `(replica, k)` (the k-th write accepted by that replica) and the
/// context its client presented. A replica knows a set of writes; a known write is *live*
/// unless the context of some known write covers its dot. The causal context of a replica is
/// everything its known writes and their contexts cover.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyModel {
    /// (dot, client context) of every write; the value of write `i` is `i`.
    writes: Vec<((usize, u64), VClock<usize>)>,
    /// The writes each replica knows.
    known: Vec<std::collections::BTreeSet<usize>>,
    /// Writes accepted by each replica.
    minted: Vec<u64>,
}

impl KeyModel {
    pub(crate) fn new(replicas: usize) -> Self {
        KeyModel { writes: vec![], known: vec![Default::default(); replicas], minted: vec![0; replicas] }
    }

    /// A write at replica `r` with the given client context; returns its value.
    pub(crate) fn put(&mut self, r: usize, ctx: VClock<usize>) -> u32 {
        self.minted[r] += 1;
        let id = self.writes.len();
        self.writes.push(((r, self.minted[r]), ctx));
        self.known[r].insert(id);
        id as u32
    }

    /// Replica `r` learns everything `s` knows.
    pub(crate) fn sync(&mut self, r: usize, s: usize) {
        let from = self.known[s].clone();
        self.known[r].extend(from);
    }

    /// Replica `r`'s live values, sorted.
    pub(crate) fn live(&self, r: usize) -> Vec<u32> {
        let known = &self.known[r];
        known
            .iter()
            .filter(|&&w| {
                let (actor, k) = self.writes[w].0;
                !known.iter().any(|&o| self.writes[o].1.covers(&actor, k))
            })
            .map(|&w| w as u32)
            .collect()
    }

    /// Replica `r`'s causal context.
    pub(crate) fn context(&self, r: usize) -> VClock<usize> {
        let mut c = VClock::new();
        for &w in &self.known[r] {
            let ((actor, k), ctx) = &self.writes[w];
            c.witness(*actor, *k);
            c.merge(ctx);
        }
        c
    }
}
