//! # Observed-remove set without tombstones (ORSWOT)
//!
//! A replicated set must decide, when one replica has an element and another does not,
//! whether the element was added on one side or removed on the other. Classic OR-sets keep a
//! tombstone for every removed add forever. The ORSWOT (Bieniusa et al., "An Optimized
//! Conflict-free Replicated Set", 2012; Riak's `riak_dt_orswot`) keeps instead one version
//! vector for the whole set and, per element, the *dots* of the adds that put it there:
//!
//! - **add** `e` at actor `x`: the set clock records a new event of `x`, and `(x, clock[x])`
//!   becomes `e`'s only dot (it replaces the dots this replica had seen for `e`);
//! - **remove** `e`: drop `e` and its dots, nothing else. The set clock still covers those dots,
//!   and that is the whole tombstone;
//! - **merge**: an element's dot survives if both sides have it, or if one side has it and the
//!   other side's clock has not seen it (the add has not reached the other side yet). A dot one
//!   side has and the other side's clock covers was removed there, so it goes. An element
//!   with no surviving dot is absent.
//!
//! Concurrent add and remove of the same element: the remove only drops the dots it observed,
//! the add's new dot survives, so **the add wins**. Merge is commutative, associative and
//! idempotent.
//!
//! **Removes with a context.** A client that read the set at one replica and removes an element
//! at another sends the context it read ([`Orswot::context`]); [`Orswot::remove_with_context`]
//! drops exactly the dots of that element the context covers. If the replica has not yet seen
//! everything in the context, the remove is also *deferred* (kept with its context and applied
//! again after every merge) until the replica's clock covers the context, so an add the client
//! saw that arrives later is still removed. This is `riak_dt_orswot`'s deferred operations.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::vclock::VClock;
use super::Crdt;

/// An add-wins observed-remove set of elements `E`, edited by actors `A`.
///
/// Serialised as `{"clock": {…}, "entries": [[element, {actor: counter}], …], "deferred":
/// [[[[actor, counter], …], [element, …]], …]}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(bound(
    serialize = "A: Ord + Clone + Serialize, E: Serialize",
    deserialize = "A: Ord + Clone + Deserialize<'de>, E: Ord + Deserialize<'de>"
))]
pub struct Orswot<A, E> {
    /// Every add this replica has seen.
    clock: VClock<A>,
    /// Element → the dots of the adds that keep it in the set (never empty; at most one per
    /// actor).
    #[serde(with = "super::pairs")]
    entries: BTreeMap<E, VClock<A>>,
    /// Removes waiting for the clock to cover their context, by context.
    #[serde(with = "super::pairs")]
    deferred: BTreeMap<Vec<(A, u64)>, BTreeSet<E>>,
}

/// One operation on an [`Orswot`], as a replica ships it instead of its whole state (a
/// delta: its size does not grow with the set).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OrswotDelta<A, E> {
    /// `actor` added `elem` with dot `(actor, counter)`, replacing the element's dots it held.
    Add { elem: E, actor: A, counter: u64, replaced: VClock<A> },
    /// `elem` was removed where it held the dots `observed`.
    Remove { elem: E, observed: VClock<A> },
}

/// Another name for [`Orswot`].
pub type OrSet<A, E> = Orswot<A, E>;

impl<A, E> Default for Orswot<A, E> {
    fn default() -> Self {
        Orswot { clock: VClock::default(), entries: BTreeMap::new(), deferred: BTreeMap::new() }
    }
}

impl<A: Ord + Clone, E: Ord + Clone> Orswot<A, E> {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// `actor` adds `elem` (again, if present: its dot is renewed).
    pub fn add(&mut self, actor: A, elem: E) {
        let n = self.clock.increment(actor.clone());
        self.entries.insert(elem, [(actor, n)].into_iter().collect());
    }

    /// `actor` adds every element, in order.
    pub fn add_all(&mut self, actor: A, elems: impl IntoIterator<Item = E>) {
        for e in elems {
            self.add(actor.clone(), e);
        }
    }

    /// Removes `elem` as this replica observes it (the adds it has seen). Returns whether it was
    /// present; removing an absent element changes nothing (Riak refuses it with a
    /// precondition error).
    pub fn remove(&mut self, elem: &E) -> bool {
        self.entries.remove(elem).is_some()
    }

    /// Removes the adds of `elem` that `context` has seen, here and, if this replica has not
    /// seen all of `context` yet, also when they arrive later.
    pub fn remove_with_context(&mut self, elem: &E, context: &VClock<A>) {
        if !self.clock.descends(context) {
            self.deferred.entry(context.to_vec()).or_default().insert(elem.clone());
        }
        if let Some(dots) = self.entries.get_mut(elem) {
            let rest = dots.subtract_dots(context);
            if rest.is_empty() {
                self.entries.remove(elem);
            } else {
                *dots = rest;
            }
        }
    }

    /// Whether `elem` is in the set.
    pub fn contains(&self, elem: &E) -> bool {
        self.entries.contains_key(elem)
    }

    /// The elements, sorted.
    pub fn value(&self) -> Vec<E> {
        self.entries.keys().cloned().collect()
    }

    /// The elements, sorted, without copying.
    pub fn iter(&self) -> impl Iterator<Item = &E> + '_ {
        self.entries.keys()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No elements.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The set clock: every add this replica has seen. A client sends it back with a remove
    /// (riak_dt's `precondition_context`).
    pub fn context(&self) -> VClock<A> {
        self.clock.clone()
    }

    /// The dots keeping `elem` in the set.
    pub fn dots(&self, elem: &E) -> Option<&VClock<A>> {
        self.entries.get(elem)
    }

    /// Number of removes waiting for adds this replica has not seen.
    pub fn deferred_removes(&self) -> usize {
        self.deferred.values().map(BTreeSet::len).sum()
    }

    /// `actor` adds `elem`, and returns the add as a delta to ship instead of the whole set.
    pub fn add_delta(&mut self, actor: A, elem: E) -> OrswotDelta<A, E> {
        let replaced = self.entries.get(&elem).cloned().unwrap_or_default();
        self.add(actor.clone(), elem.clone());
        OrswotDelta::Add { counter: self.clock.get(&actor), actor, elem, replaced }
    }

    /// Removes `elem` as this replica observes it, and returns the remove as a delta (its
    /// observed dots: empty when the element was absent, which changes nothing anywhere).
    pub fn remove_delta(&mut self, elem: &E) -> OrswotDelta<A, E> {
        let observed = self.entries.remove(elem).unwrap_or_default();
        OrswotDelta::Remove { elem: elem.clone(), observed }
    }

    /// Applies another replica's delta. Each actor's adds must arrive in the order they were
    /// made (every replication stream delivers one origin's updates in order); deltas of
    /// different actors may come in any order, and again. A dot already covered by the clock
    /// was seen (and possibly removed since), so it is not added back; the dots an add replaced
    /// and a remove observed are removed now and, if they have not arrived yet, when they do
    /// (as a deferred remove).
    pub fn apply_delta(&mut self, delta: &OrswotDelta<A, E>) {
        match delta {
            OrswotDelta::Add { elem, actor, counter, replaced } => {
                if self.clock.covers(actor, *counter) {
                    return;
                }
                self.clock.witness(actor.clone(), *counter);
                self.entries.entry(elem.clone()).or_default().witness(actor.clone(), *counter);
                if !replaced.is_empty() {
                    self.remove_with_context(elem, replaced);
                }
            }
            OrswotDelta::Remove { elem, observed } => {
                if !observed.is_empty() {
                    self.remove_with_context(elem, observed);
                }
            }
        }
        self.retry_deferred();
    }

    /// Applies the deferred removes again, keeping those whose context is still not covered.
    fn retry_deferred(&mut self) {
        if self.deferred.is_empty() {
            return;
        }
        for (ctx, elems) in std::mem::take(&mut self.deferred) {
            let ctx: VClock<A> = ctx.into_iter().collect();
            for e in &elems {
                self.remove_with_context(e, &ctx);
            }
        }
    }

    /// Merges another replica's state (see the module docs), then retries deferred removes.
    pub fn merge(&mut self, other: &Self) {
        let mut entries = BTreeMap::new();
        for (elem, ours) in &self.entries {
            let kept = match other.entries.get(elem) {
                None => ours.subtract_dots(&other.clock),
                Some(theirs) => {
                    let mut kept = VClock::new();
                    for (a, n) in ours.entries() {
                        if theirs.get(a) == n || !other.clock.covers(a, n) {
                            kept.witness(a.clone(), n);
                        }
                    }
                    for (a, n) in theirs.entries() {
                        if ours.get(a) == n || !self.clock.covers(a, n) {
                            kept.witness(a.clone(), n);
                        }
                    }
                    kept
                }
            };
            if !kept.is_empty() {
                entries.insert(elem.clone(), kept);
            }
        }
        for (elem, theirs) in &other.entries {
            if !self.entries.contains_key(elem) {
                let kept = theirs.subtract_dots(&self.clock);
                if !kept.is_empty() {
                    entries.insert(elem.clone(), kept);
                }
            }
        }
        self.entries = entries;
        self.clock.merge(&other.clock);
        for (ctx, elems) in &other.deferred {
            self.deferred.entry(ctx.clone()).or_default().extend(elems.iter().cloned());
        }
        self.retry_deferred();
    }
}

impl<A: Ord + Clone, E: Ord + Clone> Crdt for Orswot<A, E> {
    fn merge(&mut self, other: &Self) {
        Orswot::merge(self, other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::laws;
    use crate::rng::SimRng;

    fn merged<A: Ord + Clone, E: Ord + Clone>(a: &Orswot<A, E>, b: &Orswot<A, E>) -> Orswot<A, E> {
        let mut m = a.clone();
        m.merge(b);
        m
    }

    #[test]
    fn concurrent_add_and_remove_the_add_wins() {
        let mut a = Orswot::new();
        a.add("a", "x");
        let mut b = a.clone();
        assert!(b.remove(&"x"));
        a.add("a", "x");
        assert_eq!(merged(&a, &b).value(), vec!["x"]);
        assert_eq!(merged(&b, &a).value(), vec!["x"]);
    }

    #[test]
    fn a_remove_reaches_replicas_that_only_had_the_add() {
        let mut a = Orswot::new();
        a.add("a", "x");
        a.add("a", "y");
        let b = a.clone();
        a.remove(&"x");
        assert_eq!(merged(&b, &a).value(), vec!["y"]);
        assert!(!a.remove(&"x"), "already gone");
    }

    #[test]
    fn a_remove_with_context_waits_for_the_add_it_saw() {
        // The client read x at replica a, then asks replica b (which has not seen the add yet)
        // to remove it.
        let mut a = Orswot::new();
        a.add("a", "x");
        let ctx = a.context();
        let mut b: Orswot<&str, &str> = Orswot::new();
        b.remove_with_context(&"x", &ctx);
        assert_eq!(b.deferred_removes(), 1);
        b.merge(&a);
        assert!(!b.contains(&"x"));
        assert_eq!(b.deferred_removes(), 0, "the clock now covers the context");
        // And a, merging b, learns the remove.
        a.merge(&b);
        assert!(a.is_empty());
    }

    #[test]
    fn json_round_trip() {
        let mut s = Orswot::<usize, (u8, u8)>::new();
        s.add(0, (1, 2));
        s.add(1, (3, 4));
        let mut ctx = VClock::new();
        ctx.witness(2, 1);
        s.remove_with_context(&(1, 2), &ctx);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Orswot<usize, (u8, u8)>>(&json).unwrap(), s);
    }

    const ELEMS: u64 = 4;

    fn random_sets(rng: &mut SimRng) -> Vec<Orswot<u8, u8>> {
        laws::random_system(rng, 4, 24, |rng, r, s: &mut Orswot<u8, u8>, seen| {
            let e = rng.below(ELEMS) as u8;
            match rng.below(5) {
                0 | 1 => s.add(r as u8, e),
                2 | 3 => {
                    s.remove(&e);
                }
                _ => {
                    let ctx = if seen.is_empty() {
                        s.context()
                    } else {
                        seen[rng.below(seen.len() as u64) as usize].context()
                    };
                    s.remove_with_context(&e, &ctx)
                }
            }
        })
    }

    #[test]
    fn merge_laws() {
        laws::check_laws("Orswot", laws::CASES, random_sets);
    }

    /// Deltas delivered in order per origin (any interleaving of origins, with repeats) against
    /// the observed-remove model: each add mints a tag and retires the element's tags its
    /// replica knows; each remove retires them; a replica receiving a delta learns that tag and
    /// those retirements. A replica never holds an element the model says it cannot; after
    /// everything is delivered, each holds exactly the model's set and all are identical.
    #[test]
    fn deltas_in_order_per_origin_match_the_observed_remove_model() {
        #[derive(Clone, Default)]
        struct Known {
            adds: BTreeSet<usize>,
            retired: BTreeSet<usize>,
        }
        laws::for_each_seed("Orswot deltas vs model", laws::CASES, |seed, rng| {
            let n = 3;
            let mut sets = vec![Orswot::<usize, u8>::new(); n];
            let mut known = vec![Known::default(); n];
            // Tag -> element.
            let mut tags: Vec<u8> = vec![];
            // Per origin: (delta, the tag it minted, the tags it retired).
            type Entry = (OrswotDelta<usize, u8>, Option<usize>, Vec<usize>);
            let mut logs: Vec<Vec<Entry>> = vec![vec![]; n];
            let mut next = vec![vec![0usize; n]; n];
            let mut script = vec![];
            let present = |k: &Known, tags: &[u8], e: u8| -> Vec<usize> {
                k.adds.iter().copied().filter(|&t| tags[t] == e && !k.retired.contains(&t)).collect()
            };
            let deliver = |r: usize, entry: &Entry, sets: &mut [Orswot<usize, u8>], known: &mut [Known]| {
                sets[r].apply_delta(&entry.0);
                known[r].adds.extend(entry.1);
                known[r].retired.extend(entry.2.iter().copied());
            };
            for step in 0..40 {
                let r = rng.below(n as u64) as usize;
                let e = rng.below(ELEMS) as u8;
                match rng.below(6) {
                    0 | 1 => {
                        script.push(format!("n{r} add {e}"));
                        let old = present(&known[r], &tags, e);
                        known[r].retired.extend(old.iter().copied());
                        known[r].adds.insert(tags.len());
                        logs[r].push((sets[r].add_delta(r, e), Some(tags.len()), old));
                        tags.push(e);
                    }
                    2 => {
                        script.push(format!("n{r} remove {e}"));
                        let old = present(&known[r], &tags, e);
                        known[r].retired.extend(old.iter().copied());
                        logs[r].push((sets[r].remove_delta(&e), None, old));
                    }
                    3 => {
                        let o = rng.below(n as u64) as usize;
                        if o != r && next[r][o] > 0 {
                            let i = rng.below(next[r][o] as u64) as usize;
                            script.push(format!("n{r} gets n{o}#{i} again"));
                            deliver(r, &logs[o][i], &mut sets, &mut known);
                        }
                    }
                    _ => {
                        let o = rng.below(n as u64) as usize;
                        if o != r && next[r][o] < logs[o].len() {
                            let i = next[r][o];
                            script.push(format!("n{r} gets n{o}#{i}"));
                            deliver(r, &logs[o][i], &mut sets, &mut known);
                            next[r][o] += 1;
                        }
                    }
                }
                // Along the way a replica may already drop a dot whose removal it has not
                // received: a remove that observed a later add of the same origin implies it
                // (that origin's stream delivered the removal first). Never the other way.
                let model: Vec<u8> = (0..ELEMS as u8).filter(|&e| !present(&known[r], &tags, e).is_empty()).collect();
                let value = sets[r].value();
                assert!(
                    value.iter().all(|e| model.contains(e)),
                    "seed {seed}, step {step}, replica {r} holds {value:?}, model {model:?}, script {script:?}"
                );
            }
            for r in 0..n {
                for o in 0..n {
                    while o != r && next[r][o] < logs[o].len() {
                        deliver(r, &logs[o][next[r][o]], &mut sets, &mut known);
                        next[r][o] += 1;
                    }
                }
            }
            for r in 0..n {
                let want: Vec<u8> = (0..ELEMS as u8).filter(|&e| !present(&known[r], &tags, e).is_empty()).collect();
                assert_eq!(sets[r].value(), want, "seed {seed}, replica {r} at the end, script {script:?}");
                assert_eq!(sets[r].entries, sets[0].entries, "seed {seed}, replica {r}, script {script:?}");
                assert_eq!(sets[r].clock, sets[0].clock, "seed {seed}, replica {r}, script {script:?}");
                assert_eq!(sets[r].deferred_removes(), 0, "seed {seed}: every context is covered in the end");
            }
        });
    }

    /// Against a model with explicit tags: every add makes a unique tag; a remove (and a
    /// re-add) retires the tags of the element its replica holds; a remove with context
    /// retires every tag of the element whose dot the context covers, wherever and whenever it
    /// is known. An element is present where one of its known tags is not retired.
    #[test]
    fn value_matches_the_observed_remove_model() {
        #[derive(Clone, Default)]
        struct Known {
            adds: BTreeSet<usize>,
            retired: BTreeSet<usize>,
            ctx_removes: BTreeSet<(u8, Vec<(usize, u64)>)>,
        }
        laws::for_each_seed("Orswot vs model", laws::CASES, |seed, rng| {
            let n = 3;
            let mut sets = vec![Orswot::<usize, u8>::new(); n];
            let mut known = vec![Known::default(); n];
            let mut tags: Vec<(u8, (usize, u64))> = vec![];
            let mut minted = vec![0u64; n];
            let mut reads: Vec<VClock<usize>> = vec![VClock::new()];
            let present = |k: &Known, tags: &Vec<(u8, (usize, u64))>, e: u8| -> Vec<usize> {
                k.adds
                    .iter()
                    .copied()
                    .filter(|&t| tags[t].0 == e && !k.retired.contains(&t))
                    .filter(|&t| {
                        let (a, c) = tags[t].1;
                        !k.ctx_removes.iter().any(|(ce, ctx)| *ce == e && ctx.iter().any(|&(x, m)| x == a && m >= c))
                    })
                    .collect()
            };
            for step in 0..30 {
                let r = rng.below(n as u64) as usize;
                let e = rng.below(ELEMS) as u8;
                match rng.below(6) {
                    0 | 1 => {
                        let old = present(&known[r], &tags, e);
                        known[r].retired.extend(old);
                        minted[r] += 1;
                        known[r].adds.insert(tags.len());
                        tags.push((e, (r, minted[r])));
                        sets[r].add(r, e);
                    }
                    2 => {
                        let old = present(&known[r], &tags, e);
                        assert_eq!(sets[r].remove(&e), !old.is_empty(), "seed {seed}, step {step}: remove result");
                        known[r].retired.extend(old);
                    }
                    3 => {
                        let ctx = reads[rng.below(reads.len() as u64) as usize].clone();
                        known[r].ctx_removes.insert((e, ctx.to_vec()));
                        sets[r].remove_with_context(&e, &ctx);
                    }
                    4 => reads.push(sets[r].context()),
                    _ => {
                        let s = rng.below(n as u64) as usize;
                        let (other, k) = (sets[s].clone(), known[s].clone());
                        sets[r].merge(&other);
                        known[r].adds.extend(k.adds);
                        known[r].retired.extend(k.retired);
                        known[r].ctx_removes.extend(k.ctx_removes);
                    }
                }
                let want: Vec<u8> = (0..ELEMS as u8).filter(|&e| !present(&known[r], &tags, e).is_empty()).collect();
                assert_eq!(sets[r].value(), want, "seed {seed}, step {step}, replica {r}: {:?}", sets[r]);
            }
        });
    }
}
