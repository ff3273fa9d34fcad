//! # Dotted version vector sets (compact DVV)
//!
//! A [`DvvSet`] is the value of one replicated key together with its causal history, as
//! designed by Almeida, Baquero, Gonçalves, Preguiça and Fonte ("Scalable and Accurate
//! Causality Tracking for Eventually Consistent Stores", DAIS 2014) and shipped by Riak 2.0 as
//! the object clock. It holds every *sibling* (value not yet overwritten) and says exactly which
//! writes each one has seen, with one entry per replica id, however many clients write.
//!
//! **Representation.** For each id `I` (a replica that accepts writes) there is one entry
//! `(I, N, [v_0, v_1, …])`: the history contains the events `(I,1) … (I,N)`, and the value at
//! 0-based position `i` was written by event `(I, N-i)` (its *dot*), newest first. Only the
//! newest events of an id can still have a value, because contexts are version vectors: a
//! client that saw `(I,5)` saw `(I,1..=4)` too. So the live dots of an id are always the
//! contiguous run `(N-len, N]`, and a counter plus a list stores them exactly. Besides the
//! entries there are *anonymous* values without a dot: the new value a client sends with the
//! context it read ([`DvvSet::new`]), or the result of resolving siblings
//! ([`DvvSet::reconcile`]).
//!
//! **A write.** The client sends `new(context, [v])`. The server merges that context into its
//! own state with the value set aside ([`DvvSet::sync`]): every local value whose dot the context
//! covers is dropped (the client saw it and overwrites it), every other value stays as a
//! sibling. Then it records a new event of its own id and files `v` under it
//! ([`DvvSet::update_with`]). Two clients that read the same version and write through the same
//! server therefore produce two siblings, and a write that read both siblings replaces both.
//!
//! **Synchronisation.** [`DvvSet::sync`] merges two replicas' states: per id it keeps the
//! larger counter and the values that neither side has overwritten. If one side's events run
//! to `N1` with `L1` values and the other's to `N2 <= N1` with `L2`, a dot is dead as soon as
//! one side that knows it has dropped it, so the merged values are those of the first side
//! above `max(N1 - L1, N2 - L2)`. Anonymous values survive only from a side whose history is not
//! strictly older than the other's ([`DvvSet::less`]).
//!
//! **Laws.** On states whose values all have dots (what servers store when writes go through
//! `update_with` and replicas exchange with `sync`), `sync` is a join: commutative,
//! associative and idempotent. Anonymous values break associativity: `({a:1},[p])`,
//! `({b:1},[q])` and `({a:1,b:1},[])` synced left to right keep `p` and `q`, right to left
//! drop both, because "not older" is not transitive. Keep anonymous values at the edges (the
//! client's new value) or resolve siblings with [`DvvSet::lww`], which keeps the winner's dot
//! when it has one.
//!
//! **Differences from the Erlang reference (`dvvset.erl`).** Anonymous values are a set
//! (sorted, no duplicates), so [`DvvSet::values`] lists them sorted before the entries' values.
//! [`DvvSet::less`] compares counters id by id (a zero-counter entry counts as missing).
//! [`DvvSet::last`] on a set without values returns `None` and [`DvvSet::lww`] returns it
//! unchanged, where Erlang crashes. [`DvvSet::update`] on a client clock without exactly one
//! anonymous value is API misuse: `try_update` reports it as [`DvvSetError`], `update` panics.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::vclock::VClock;
use super::Crdt;

/// The events of one id: `(id, counter, values newest first)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Entry<V> {
    counter: u64,
    /// The value at position `i` has dot `(id, counter - i)`. Never longer than `counter`.
    values: Vec<V>,
}

impl<V> Entry<V> {
    /// The highest event of this id whose value is gone (or was never here).
    fn floor(&self) -> u64 {
        self.counter - self.values.len() as u64
    }
}

/// A compact dotted version vector set: the siblings of one key and their causal history.
///
/// Serialised as `{"entries": [[id, counter, [values newest first]], …], "anon": [values]}`,
/// the layout of the Erlang reference.
///
/// Both parts are sorted vectors rather than B-trees: a key has a handful of writers and
/// siblings, and a B-tree node costs a 368-byte allocation even for one value (allocation was
/// a quarter of a leaderless run's time). Equality and hashing are those of the sorted
/// sequences, as they were of the B-trees.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DvvSet<A, V> {
    /// Sorted by id, one entry per id.
    entries: Vec<(A, Entry<V>)>,
    /// Sorted, no duplicates.
    anon: Vec<V>,
}

impl<A, V> Default for DvvSet<A, V> {
    /// No history and no values (the identity of [`DvvSet::sync`]).
    fn default() -> Self {
        DvvSet { entries: Vec::new(), anon: Vec::new() }
    }
}

/// Sorts `values` and drops repeats: a set as a sorted vector.
fn sorted_set<V: Ord>(mut values: Vec<V>) -> Vec<V> {
    crate::sort::sort(&mut values);
    values.dedup();
    values
}

/// Merges two lists sorted by `cmp` into one: each element once, `both` making the one for an
/// element in both lists.
fn merge_sorted<T: Clone>(
    a: &[T],
    b: &[T],
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
    both: impl Fn(&T, &T) -> T,
) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match cmp(&a[i], &b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i].clone());
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j].clone());
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(both(&a[i], &b[j]));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// A malformed clock, or a call the caller should not have made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DvvSetError {
    /// Entry number `position` lists more values than its counter has events.
    TooManyValues { position: usize, counter: u64, values: usize },
    /// Entry number `position` repeats an earlier entry's id.
    DuplicateId { position: usize },
    /// `update` needs a client clock holding exactly one anonymous value (built by `new` or
    /// `new_value` with one value).
    NotOneAnonymousValue { found: usize },
}

impl fmt::Display for DvvSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DvvSetError::TooManyValues { position, counter, values } => {
                write!(f, "entry {position} has {values} values but only {counter} events")
            }
            DvvSetError::DuplicateId { position } => write!(f, "entry {position} repeats the id of an earlier entry"),
            DvvSetError::NotOneAnonymousValue { found } => write!(
                f,
                "update needs a client clock with exactly one anonymous value (from DvvSet::new), found {found}"
            ),
        }
    }
}

impl std::error::Error for DvvSetError {}

impl<A: Ord + Clone, V: Ord + Clone> DvvSet<A, V> {
    /// A client clock: the causal history of the version vector `vv` (normally the `join` of
    /// what the client read) and the new `values`, anonymous. A repeated id keeps its highest
    /// counter.
    pub fn new(vv: impl IntoIterator<Item = (A, u64)>, values: impl IntoIterator<Item = V>) -> Self {
        let mut set = DvvSet { entries: Vec::new(), anon: sorted_set(values.into_iter().collect()) };
        for (id, n) in vv {
            let e = set.entry_or_empty(id);
            e.counter = e.counter.max(n);
        }
        set
    }

    /// The entry of `id`, added without history if missing.
    fn entry_or_empty(&mut self, id: A) -> &mut Entry<V> {
        let i = match self.entries.binary_search_by(|(x, _)| x.cmp(&id)) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (id, Entry { counter: 0, values: vec![] }));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// The entry of `id`, if any.
    fn get(&self, id: &A) -> Option<&Entry<V>> {
        self.entries.binary_search_by(|(x, _)| x.cmp(id)).ok().map(|i| &self.entries[i].1)
    }

    /// A client clock without history holding one value: `new([], [v])`.
    pub fn new_value(v: V) -> Self {
        Self::new([], [v])
    }

    /// Builds a clock from its parts, as the vector files and the serialised form write it:
    /// `(id, counter, values newest first)` per entry, then the anonymous values.
    pub fn from_parts(
        entries: impl IntoIterator<Item = (A, u64, Vec<V>)>,
        anon: impl IntoIterator<Item = V>,
    ) -> Result<Self, DvvSetError> {
        let mut set: Self = DvvSet { entries: Vec::new(), anon: sorted_set(anon.into_iter().collect()) };
        for (position, (id, counter, values)) in entries.into_iter().enumerate() {
            if values.len() as u64 > counter {
                return Err(DvvSetError::TooManyValues { position, counter, values: values.len() });
            }
            match set.entries.binary_search_by(|(x, _)| x.cmp(&id)) {
                Ok(_) => return Err(DvvSetError::DuplicateId { position }),
                Err(i) => set.entries.insert(i, (id, Entry { counter, values })),
            }
        }
        Ok(set)
    }

    /// The entries `(id, counter, values newest first)`, sorted by id.
    pub fn entries(&self) -> impl Iterator<Item = (&A, u64, &[V])> + '_ {
        self.entries.iter().map(|(id, e)| (id, e.counter, e.values.as_slice()))
    }

    /// The anonymous values, sorted.
    pub fn anonymous(&self) -> impl Iterator<Item = &V> + '_ {
        self.anon.iter()
    }

    /// Records a new event of `actor` carrying `value` (Erlang's `event/3`): its entry's counter
    /// grows by one and `value` goes to the head of its list. Anonymous values are kept.
    ///
    /// # Panics
    /// If the counter would overflow `u64`.
    pub fn event(&self, actor: A, value: V) -> Self {
        let mut next = self.clone();
        next.event_in_place(actor, value);
        next
    }

    fn event_in_place(&mut self, actor: A, value: V) {
        let e = self.entry_or_empty(actor);
        e.counter = e.counter.checked_add(1).expect("DvvSet counter overflow");
        e.values.insert(0, value);
    }

    fn the_anonymous_value(&self) -> Result<&V, DvvSetError> {
        match self.anon.len() {
            1 => Ok(&self.anon[0]),
            found => Err(DvvSetError::NotOneAnonymousValue { found }),
        }
    }

    /// Files the client clock's single anonymous value under a new event of `actor`, without
    /// consulting any server state (Erlang's `update/2`).
    pub fn try_update(&self, actor: A) -> Result<Self, DvvSetError> {
        let v = self.the_anonymous_value()?.clone();
        let mut next = DvvSet { entries: self.entries.clone(), anon: Vec::new() };
        next.event_in_place(actor, v);
        Ok(next)
    }

    /// [`DvvSet::try_update`], for a client clock known to hold one value.
    ///
    /// # Panics
    /// If `self` does not hold exactly one anonymous value.
    pub fn update(&self, actor: A) -> Self {
        self.try_update(actor).unwrap_or_else(|e| panic!("DvvSet::update: {e}"))
    }

    /// A server accepts the client clock `self` (context + one new value): the context is
    /// synced into the `server` state, dropping every value it covers, and the new value is
    /// filed under a new event of `actor` (Erlang's `update/3`). The result is causally newer
    /// than both arguments.
    pub fn try_update_with(&self, server: &Self, actor: A) -> Result<Self, DvvSetError> {
        let v = self.the_anonymous_value()?.clone();
        let context = DvvSet { entries: self.entries.clone(), anon: Vec::new() };
        let mut next = context.sync(server);
        next.event_in_place(actor, v);
        Ok(next)
    }

    /// [`DvvSet::try_update_with`], for a client clock known to hold one value. Called as
    /// `DvvSet::update_with(&client, &server, actor)` or `client.update_with(&server, actor)`.
    ///
    /// # Panics
    /// If `self` does not hold exactly one anonymous value.
    pub fn update_with(&self, server: &Self, actor: A) -> Self {
        self.try_update_with(server, actor).unwrap_or_else(|e| panic!("DvvSet::update_with: {e}"))
    }

    /// Merges two states: the union of the histories, keeping the values neither side has
    /// overwritten.
    pub fn sync(&self, other: &Self) -> Self {
        let anon = if self.less(other) {
            other.anon.clone()
        } else if other.less(self) {
            self.anon.clone()
        } else {
            merge_sorted(&self.anon, &other.anon, V::cmp, |v, _| v.clone())
        };
        let entries = merge_sorted(
            &self.entries,
            &other.entries,
            |(a, _), (b, _)| a.cmp(b),
            |(id, ours), (_, theirs)| (id.clone(), merge_entry(ours, theirs)),
        );
        DvvSet { entries, anon }
    }

    /// `*self = self.sync(other)`, in place: the entries and values `self` already holds keep
    /// their buffers (a replica applying an update allocates nothing when the key's ids are
    /// already there).
    pub fn sync_from(&mut self, other: &Self) {
        // As `sync`: the anonymous values of the side that is ahead, else the union (ours when
        // theirs are none).
        if self.less(other) {
            self.anon.clone_from(&other.anon);
        } else if !other.less(self) {
            if self.anon.is_empty() {
                self.anon.clone_from(&other.anon);
            } else if !other.anon.is_empty() {
                self.anon = merge_sorted(&self.anon, &other.anon, V::cmp, |v, _| v.clone());
            }
        }
        let mut i = 0;
        for (id, theirs) in &other.entries {
            while i < self.entries.len() && self.entries[i].0 < *id {
                i += 1;
            }
            if i < self.entries.len() && self.entries[i].0 == *id {
                merge_entry_into(&mut self.entries[i].1, theirs);
            } else {
                self.entries.insert(i, (id.clone(), theirs.clone()));
            }
            i += 1;
        }
    }

    /// Syncs any number of states (Erlang's `sync/1`); none gives the empty state.
    pub fn sync_all<'a>(clocks: impl IntoIterator<Item = &'a Self>) -> Self
    where
        A: 'a,
        V: 'a,
    {
        clocks.into_iter().fold(Self::default(), |acc, c| acc.sync(c))
    }

    /// The causal history as a version vector `(id, counter)`, sorted by id: the context a
    /// client gets with a read and sends back with its next write.
    pub fn join(&self) -> Vec<(A, u64)> {
        self.entries.iter().map(|(id, e)| (id.clone(), e.counter)).collect()
    }

    /// Whether `self` and `other` have the same causal history: `self.join() == other.join()`,
    /// without building either.
    pub fn same_history(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self.entries.iter().zip(&other.entries).all(|((i1, e1), (i2, e2))| i1 == i2 && e1.counter == e2.counter)
    }

    /// The causal history as a [`VClock`] (zero counters dropped).
    pub fn context(&self) -> VClock<A> {
        self.join().into_iter().collect()
    }

    /// The ids with an entry, sorted.
    pub fn ids(&self) -> Vec<A> {
        self.entries.iter().map(|(id, _)| id.clone()).collect()
    }

    /// Every value: the anonymous ones (sorted), then each entry's, by id, newest first.
    pub fn values(&self) -> Vec<V> {
        self.iter_values().cloned().collect()
    }

    /// [`DvvSet::values`] without collecting them.
    pub fn iter_values(&self) -> impl Iterator<Item = &V> + Clone + '_ {
        self.anon.iter().chain(self.entries.iter().flat_map(|(_, e)| e.values.iter()))
    }

    /// Whether any id has an entry (a causal history); a state built from values alone has
    /// none.
    pub fn has_history(&self) -> bool {
        !self.entries.is_empty()
    }

    /// The number of values, anonymous ones included.
    pub fn size(&self) -> usize {
        self.anon.len() + self.entries.iter().map(|(_, e)| e.values.len()).sum::<usize>()
    }

    /// The causal history of `self` is strictly contained in that of `other`: every value of
    /// `self` is outdated by `other`. Values are ignored.
    pub fn less(&self, other: &Self) -> bool {
        let counter = |c: &Self, id: &A| c.get(id).map_or(0, |e| e.counter);
        self.entries.iter().all(|(id, e)| e.counter <= counter(other, id))
            && other.entries.iter().any(|(id, e)| e.counter > counter(self, id))
    }

    /// Same ids, same counters and the same number of values per entry; anonymous values and
    /// the values themselves are ignored (Erlang's `equal/2`; `==` compares everything).
    pub fn equal(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|((i1, e1), (i2, e2))| i1 == i2 && e1.counter == e2.counter && e1.values.len() == e2.values.len())
    }

    /// The same history with `f` applied to every value.
    pub fn map<W: Ord + Clone>(&self, mut f: impl FnMut(&V) -> W) -> DvvSet<A, W> {
        DvvSet {
            entries: self
                .entries
                .iter()
                .map(|(id, e)| {
                    (id.clone(), Entry { counter: e.counter, values: e.values.iter().map(&mut f).collect() })
                })
                .collect(),
            anon: sorted_set(self.anon.iter().map(f).collect()),
        }
    }

    /// Resolves the siblings into one value: the same history, and `f(values)` as the only
    /// (anonymous) value.
    pub fn reconcile(&self, f: impl FnOnce(Vec<V>) -> V) -> Self {
        Self::new(self.join(), [f(self.values())])
    }

    /// The candidates for [`DvvSet::last`]: the newest value of each entry (by id), then the
    /// anonymous values; `le(a, b)` says `a` is older than or as old as `b`, and ties go to the
    /// later candidate.
    fn find_last(&self, mut le: impl FnMut(&V, &V) -> bool) -> Option<(Option<&A>, &V)> {
        let heads = self.entries.iter().filter_map(|(id, e)| e.values.first().map(|v| (Some(id), v)));
        let anon = self.anon.iter().map(|v| (None, v));
        heads.chain(anon).reduce(|best, next| if le(best.1, next.1) { next } else { best })
    }

    /// The newest value by `le` ("less than or equal"), among the newest value of each entry
    /// and the anonymous values; `None` when there are no values.
    pub fn last(&self, le: impl FnMut(&V, &V) -> bool) -> Option<&V> {
        self.find_last(le).map(|(_, v)| v)
    }

    /// Keeps only the newest value by `le`, in its place: if it has a dot, every other entry is
    /// emptied and the anonymous values cleared; if it is anonymous, the result is
    /// `new(join, [winner])`. Unchanged when there are no values.
    pub fn lww(&self, le: impl FnMut(&V, &V) -> bool) -> Self {
        match self.find_last(le) {
            None => self.clone(),
            Some((None, v)) => Self::new(self.join(), [v.clone()]),
            Some((Some(winner), v)) => DvvSet {
                entries: self
                    .entries
                    .iter()
                    .map(|(id, e)| {
                        let values = if id == winner { vec![v.clone()] } else { vec![] };
                        (id.clone(), Entry { counter: e.counter, values })
                    })
                    .collect(),
                anon: Vec::new(),
            },
        }
    }
}

/// Merges one id's entries from two states (Erlang's `merge/5`).
fn merge_entry<V: Clone>(e1: &Entry<V>, e2: &Entry<V>) -> Entry<V> {
    let (hi, lo) = if e1.counter >= e2.counter { (e1, e2) } else { (e2, e1) };
    if hi.floor() >= lo.floor() {
        hi.clone()
    } else {
        // Dots at or below lo's floor were dropped there: keep hi's values above it.
        let keep = (hi.counter - lo.floor()) as usize;
        Entry { counter: hi.counter, values: hi.values[..keep].to_vec() }
    }
}

/// `*ours = merge_entry(ours, theirs)`, reusing `ours`' values buffer.
fn merge_entry_into<V: Clone>(ours: &mut Entry<V>, theirs: &Entry<V>) {
    let (floor, their_floor) = (ours.floor(), theirs.floor());
    if ours.counter >= theirs.counter {
        if floor < their_floor {
            ours.values.truncate((ours.counter - their_floor) as usize);
        }
    } else if their_floor >= floor {
        ours.counter = theirs.counter;
        ours.values.clone_from(&theirs.values);
    } else {
        let keep = (theirs.counter - floor) as usize;
        ours.counter = theirs.counter;
        ours.values.clear();
        ours.values.extend_from_slice(&theirs.values[..keep]);
    }
}

/// `sync` as a merge. A join on states without anonymous values (see the module docs).
impl<A: Ord + Clone, V: Ord + Clone> Crdt for DvvSet<A, V> {
    fn merge(&mut self, other: &Self) {
        self.sync_from(other);
    }
}

impl<A: Serialize, V: Serialize> Serialize for DvvSet<A, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Repr<'a, A, V> {
            entries: Vec<(&'a A, u64, &'a [V])>,
            anon: &'a [V],
        }
        Repr {
            entries: self.entries.iter().map(|(id, e)| (id, e.counter, e.values.as_slice())).collect(),
            anon: &self.anon,
        }
        .serialize(s)
    }
}

impl<'de, A: Deserialize<'de> + Ord + Clone, V: Deserialize<'de> + Ord + Clone> Deserialize<'de> for DvvSet<A, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Repr<A, V> {
            entries: Vec<(A, u64, Vec<V>)>,
            #[serde(default = "Vec::new")]
            anon: Vec<V>,
        }
        let r = Repr::<A, V>::deserialize(d)?;
        DvvSet::from_parts(r.entries, r.anon).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::laws::{self, KeyModel};
    use crate::rng::SimRng;

    type D = DvvSet<&'static str, &'static str>;

    fn lit(entries: &[(&'static str, u64, &[&'static str])], anon: &[&'static str]) -> D {
        DvvSet::from_parts(entries.iter().map(|&(i, n, l)| (i, n, l.to_vec())), anon.iter().copied()).unwrap()
    }

    /// Mary writes v1, Peter reads it, Mary writes v2 blindly, Peter writes v3 with the context
    /// of v1: v3 replaces v1 only, v2 stays as a sibling. A per-server version vector could not
    /// tell which of v1 and v2 Peter saw and would keep all three.
    #[test]
    fn mary_and_peter_no_false_conflict() {
        let a0 = DvvSet::new_value("v1").update("a");
        let vv1 = a0.join();
        let a1 = DvvSet::new_value("v2").update_with(&a0, "a");
        let a2 = DvvSet::new(vv1, ["v3"]).update_with(&a1, "a");
        assert_eq!(a2, lit(&[("a", 3, &["v3", "v2"])], &[]));
        // The method and the associated-function spelling are the same call.
        assert_eq!(DvvSet::update_with(&DvvSet::new(a0.join(), ["v3"]), &a1, "a"), a2);
    }

    #[test]
    fn concurrent_writes_are_siblings_and_a_merged_context_collapses_them() {
        let x = DvvSet::new_value("x").update_with(&D::default(), "n1");
        let y = DvvSet::new_value("y").update_with(&D::default(), "n2");
        let both = x.sync(&y);
        assert_eq!(both.values(), vec!["x", "y"]);
        assert!(!x.less(&y) && !y.less(&x));
        let resolved = DvvSet::new(both.join(), ["z"]).update_with(&both, "n1");
        assert_eq!(resolved.values(), vec!["z"]);
        // An old replica that still holds y learns that z replaced it.
        assert_eq!(y.sync(&resolved).values(), vec!["z"]);
    }

    #[test]
    fn sync_keeps_the_values_neither_side_dropped() {
        let w = lit(&[("a", 1, &[])], &[]);
        let z = lit(&[("a", 2, &["v2", "v1"])], &[]);
        assert_eq!(w.sync(&z), lit(&[("a", 2, &["v2"])], &[]));
        assert_eq!(z.sync(&w), w.sync(&z));
    }

    #[test]
    fn update_needs_exactly_one_anonymous_value() {
        let none = D::new([("a", 1)], []);
        assert_eq!(none.try_update("a"), Err(DvvSetError::NotOneAnonymousValue { found: 0 }));
        let two = D::new([], ["p", "q"]);
        assert_eq!(two.try_update_with(&D::default(), "a"), Err(DvvSetError::NotOneAnonymousValue { found: 2 }));
        let msg = std::panic::catch_unwind(|| two.update("a")).unwrap_err();
        assert!(msg.downcast_ref::<String>().unwrap().contains("exactly one anonymous value"));
    }

    #[test]
    fn malformed_clocks_are_refused() {
        assert_eq!(
            D::from_parts([("a", 1, vec!["x", "y"])], []),
            Err(DvvSetError::TooManyValues { position: 0, counter: 1, values: 2 })
        );
        assert_eq!(
            D::from_parts([("a", 1, vec![]), ("a", 2, vec![])], []),
            Err(DvvSetError::DuplicateId { position: 1 })
        );
        let err =
            serde_json::from_str::<DvvSet<String, String>>(r#"{"entries":[["a",0,["x"]]],"anon":[]}"#).unwrap_err();
        assert!(err.to_string().contains("1 values but only 0 events"), "{err}");
        assert!(serde_json::from_str::<DvvSet<String, String>>(r#"{"entries":[],"anon":[],"x":1}"#).is_err());
    }

    #[test]
    fn json_layout_is_the_reference_layout() {
        let c = lit(&[("a", 4, &["v5", "v0"]), ("b", 0, &[]), ("c", 1, &["v3"])], &["v6", "v1"]);
        let s = serde_json::to_string(&c).unwrap();
        assert_eq!(s, r#"{"entries":[["a",4,["v5","v0"]],["b",0,[]],["c",1,["v3"]]],"anon":["v1","v6"]}"#);
        assert_eq!(serde_json::from_str::<DvvSet<String, String>>(&s).unwrap().size(), 5);
    }

    #[test]
    fn lww_with_a_strict_order_keeps_the_only_value() {
        // From the reference's sync_test: lww(F, A4) == sync([A4, lww(F, A4)]) with F = (>).
        let a = DvvSet::new_value("v1").update("a");
        let a1 = DvvSet::new(a.join(), ["v2"]).update("a");
        let a4 = DvvSet::new(a1.join(), ["v3"]).update("c");
        let l = a4.lww(|x, y| x > y);
        assert_eq!(l, a4.sync(&l));
        assert_eq!(D::default().lww(|x, y| x <= y), D::default());
        assert_eq!(D::default().last(|x, y| x <= y), None);
    }

    #[test]
    fn map_keeps_the_history() {
        let b = DvvSet::from_parts([("a", 4, vec![5, 0]), ("b", 0, vec![]), ("c", 1, vec![2])], [20, 10]).unwrap();
        let want = DvvSet::from_parts([("a", 4, vec![10, 0]), ("b", 0, vec![]), ("c", 1, vec![4])], [40, 20]).unwrap();
        assert_eq!(b.map(|x| x * 2), want);
    }

    /// The documented limit: with anonymous values, sync is not associative.
    #[test]
    fn anonymous_values_break_associativity() {
        let p = lit(&[("a", 1, &[])], &["p"]);
        let q = lit(&[("b", 1, &[])], &["q"]);
        let r = lit(&[("a", 1, &[]), ("b", 1, &[])], &[]);
        assert_eq!(p.sync(&q).sync(&r).values(), vec!["p", "q"]);
        assert_eq!(p.sync(&q.sync(&r)).values(), Vec::<&str>::new());
    }

    /// Server states from a random run: writes through `update_with` with a context some
    /// client read earlier (or none), replicas exchanging with `sync`, and sometimes a
    /// last-writer-wins resolution that keeps the winner's dot.
    fn random_server_states(rng: &mut SimRng, resolve: bool) -> Vec<DvvSet<u8, u32>> {
        let mut next_value = 0u32;
        laws::random_system(rng, 4, 24, |rng, r, state: &mut DvvSet<u8, u32>, seen| {
            let context = match rng.below(3) {
                0 => vec![],
                1 => state.join(),
                _ if seen.is_empty() => vec![],
                _ => seen[rng.below(seen.len() as u64) as usize].join(),
            };
            next_value += 1;
            *state = DvvSet::new(context, [next_value]).update_with(state, r as u8);
            if rng.below(6) == 0 {
                match rng.below(2) {
                    0 => *state = state.lww(|a, b| a <= b),
                    _ if resolve => *state = state.reconcile(|vs| vs.into_iter().max().unwrap_or(0)),
                    _ => {}
                }
            }
        })
    }

    #[test]
    fn sync_laws_on_server_states() {
        laws::check_laws("DvvSet sync", laws::CASES, |rng| random_server_states(rng, false));
    }

    #[test]
    fn sync_commutes_and_is_idempotent_with_anonymous_values() {
        laws::check_commutative_idempotent("DvvSet sync (anonymous values)", laws::CASES, |rng| {
            random_server_states(rng, true)
        });
    }

    /// Syncing in place gives exactly what `sync` gives, over random pairs of server states
    /// (with and without anonymous values).
    #[test]
    fn sync_from_is_sync() {
        laws::for_each_seed("DvvSet sync_from", laws::CASES, |seed, rng| {
            let states = random_server_states(rng, seed % 2 == 0);
            for a in &states {
                for b in &states {
                    let mut got = a.clone();
                    got.sync_from(b);
                    assert_eq!(got, a.sync(b), "seed {seed}: {a:?} synced from {b:?}");
                }
            }
        });
    }

    /// Against the reference model: after every step, each replica's values are exactly the
    /// writes it knows that no known context covers, and its join is the model's context.
    #[test]
    fn values_match_the_causal_model() {
        laws::for_each_seed("DvvSet vs model", laws::CASES, |seed, rng| {
            let n = 3;
            let mut model = KeyModel::new(n);
            let mut states = vec![DvvSet::<usize, u32>::default(); n];
            let mut reads: Vec<Vec<(usize, u64)>> = vec![vec![]];
            for step in 0..30 {
                let r = rng.below(n as u64) as usize;
                match rng.below(4) {
                    0 => reads.push(states[r].join()),
                    1 => {
                        let s = rng.below(n as u64) as usize;
                        states[r] = states[r].sync(&states[s]);
                        model.sync(r, s);
                    }
                    _ => {
                        let ctx = reads[rng.below(reads.len() as u64) as usize].clone();
                        let v = model.put(r, ctx.iter().cloned().collect());
                        states[r] = DvvSet::new(ctx, [v]).update_with(&states[r], r);
                    }
                }
                let mut got = states[r].values();
                crate::sort::sort(&mut got);
                assert_eq!(got, model.live(r), "seed {seed}, step {step}, replica {r}: {:?}", states[r]);
                assert_eq!(states[r].context(), model.context(r), "seed {seed}, step {step}: context");
            }
        });
    }
}
