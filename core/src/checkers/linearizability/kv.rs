//! A key-value map with get, put and append, checked one key at a time.
//!
//! Every key starts as the empty string; `append` concatenates. Linearizability is local (a
//! history is linearizable exactly when its restriction to every key is), so the checker
//! splits the history by [`KvOp::key`] and checks each key alone: this is what makes
//! histories of many clients on a few keys tractable.
//!
//! A state is an interned string, kept as a chain of appended pieces: (previous state, piece).
//! Appending is then one table lookup whatever the string's length, and the search stores a
//! 4-byte id per configuration. Each state also carries its length and a polynomial hash, so a
//! get compares in constant time and only walks the chain, exactly, when length and hash
//! agree. Two chains that spell the same string (`"ab"` put at once, or `"a"` then `"b"`
//! appended) are distinct states: that can only cost the search some pruning, never change a
//! verdict.

use super::cache::{FxBuild, FxMap};
use super::model::Model;

/// A key-value operation. Values are interned by [`KvAppend::op`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KvOp {
    pub key: String,
    pub kind: KvKind,
    /// Interned value: what a get returned, or what a put or an append wrote.
    pub value: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvKind {
    Get,
    Put,
    Append,
}

/// The key-value specification for one key, with its string interner.
#[derive(Clone, Debug)]
pub struct KvAppend {
    values: Vec<Box<[u8]>>,
    value_ids: FxMap<Box<[u8]>, u32>,
    /// Per value: polynomial hash and `BASE^len`.
    value_hash: Vec<(u64, u64)>,
    /// Node 0 is the empty string.
    nodes: Vec<Node>,
    node_ids: FxMap<(u32, u32), u32>,
    /// Exact comparisons already made: (state, value) → equal.
    equal: FxMap<(u32, u32), bool>,
    /// Per value, the hashes of its prefixes (computed when first needed).
    prefix_hashes: Vec<Option<Box<[u64]>>>,
    /// Exact prefix tests already made: (state, value) → the state's string starts the value.
    starts: FxMap<(u32, u32), bool>,
}

#[derive(Clone, Copy, Debug)]
struct Node {
    parent: u32,
    piece: u32,
    len: u64,
    hash: u64,
}

const BASE: u64 = 0x100_0000_01b3;
/// Most exact comparisons each memo keeps: they only save time, so they are cleared when full
/// rather than grow with a long search.
const MAX_MEMO: usize = 1 << 18;
/// Most interned states (about 50 bytes each with their index): past it a search stops
/// undecided rather than take more memory ([`Model::saturated`]).
/// (A little under a power of two, so the table's last growth does not double it.)
const MAX_NODES: usize = (1 << 19) - 4096;
const EMPTY: u32 = 0;

impl Default for KvAppend {
    fn default() -> Self {
        KvAppend {
            values: Vec::new(),
            value_ids: FxMap::default(),
            value_hash: Vec::new(),
            nodes: vec![Node { parent: EMPTY, piece: 0, len: 0, hash: 0 }],
            node_ids: FxMap::default(),
            equal: FxMap::default(),
            prefix_hashes: Vec::new(),
            starts: FxMap::default(),
        }
    }
}

impl KvAppend {
    pub fn new() -> Self {
        KvAppend::default()
    }

    /// Builds an operation, interning its value.
    pub fn op(&mut self, key: impl Into<String>, kind: KvKind, value: &str) -> KvOp {
        KvOp { key: key.into(), kind, value: self.intern(value.as_bytes()) }
    }

    /// The text of an interned value.
    pub fn value(&self, id: u32) -> &str {
        self.values.get(id as usize).and_then(|v| std::str::from_utf8(v).ok()).unwrap_or("")
    }

    fn intern(&mut self, v: &[u8]) -> u32 {
        if let Some(&id) = self.value_ids.get(v) {
            return id;
        }
        let id = self.values.len() as u32;
        let (mut h, mut p) = (0u64, 1u64);
        for &b in v {
            h = h.wrapping_mul(BASE).wrapping_add(b as u64 + 1);
            p = p.wrapping_mul(BASE);
        }
        self.values.push(v.into());
        self.value_ids.insert(v.into(), id);
        self.value_hash.push((h, p));
        id
    }

    /// The state reached by appending value `v` to state `s`.
    fn node(&mut self, s: u32, v: u32) -> u32 {
        let vlen = self.values[v as usize].len() as u64;
        if vlen == 0 {
            return s;
        }
        if let Some(&n) = self.node_ids.get(&(s, v)) {
            return n;
        }
        let parent = self.nodes[s as usize];
        let (vh, vp) = self.value_hash[v as usize];
        let n = self.nodes.len() as u32;
        self.nodes.push(Node {
            parent: s,
            piece: v,
            len: parent.len + vlen,
            hash: parent.hash.wrapping_mul(vp).wrapping_add(vh),
        });
        self.node_ids.insert((s, v), n);
        n
    }

    /// Whether state `s`'s string is a prefix of value `v`: hashes first, then exactly.
    fn starts(&mut self, s: u32, v: u32) -> bool {
        let node = self.nodes[s as usize];
        let len = self.values[v as usize].len();
        if node.len > len as u64 {
            return false;
        }
        if self.prefix_hashes.len() <= v as usize {
            self.prefix_hashes.resize(v as usize + 1, None);
        }
        let hashes = self.prefix_hashes[v as usize].get_or_insert_with(|| {
            let mut h = 0u64;
            let mut out = Vec::with_capacity(len + 1);
            out.push(0);
            for &b in self.values[v as usize].iter() {
                h = h.wrapping_mul(BASE).wrapping_add(b as u64 + 1);
                out.push(h);
            }
            out.into_boxed_slice()
        });
        if hashes[node.len as usize] != node.hash {
            return false;
        }
        if let Some(&known) = self.starts.get(&(s, v)) {
            return known;
        }
        let known = self.spells_prefix(s, v, node.len as usize);
        if self.starts.len() >= MAX_MEMO {
            self.starts.clear();
        }
        self.starts.insert((s, v), known);
        known
    }

    /// Exact comparison of a state's string with a value, by walking the chain backwards.
    fn spells(&self, s: u32, v: u32) -> bool {
        self.spells_prefix(s, v, self.values[v as usize].len())
    }

    /// Exact comparison of a state's string with the first `len` bytes of a value.
    fn spells_prefix(&self, s: u32, v: u32, len: usize) -> bool {
        let Some(mut rest) = self.values[v as usize].get(..len) else { return false };
        let mut cur = s;
        while cur != EMPTY {
            let node = self.nodes[cur as usize];
            let piece: &[u8] = &self.values[node.piece as usize];
            match rest.strip_suffix(piece) {
                Some(r) => rest = r,
                None => return false,
            }
            cur = node.parent;
        }
        rest.is_empty()
    }
}

impl Model for KvAppend {
    type Op = KvOp;
    type State = u32;

    fn init(&mut self) -> u32 {
        EMPTY
    }

    fn step(&mut self, state: u32, op: &KvOp) -> Option<u32> {
        let v = op.value;
        if v as usize >= self.values.len() {
            // An operation built by another interner: no state can hold its value.
            return None;
        }
        match op.kind {
            KvKind::Put => Some(self.node(EMPTY, v)),
            KvKind::Append => Some(self.node(state, v)),
            KvKind::Get => {
                let node = self.nodes[state as usize];
                let (vh, _) = self.value_hash[v as usize];
                if node.len != self.values[v as usize].len() as u64 || node.hash != vh {
                    return None;
                }
                let equal = match self.equal.get(&(state, v)) {
                    Some(&e) => e,
                    None => {
                        let e = self.spells(state, v);
                        if self.equal.len() >= MAX_MEMO {
                            self.equal.clear();
                        }
                        self.equal.insert((state, v), e);
                        e
                    }
                };
                equal.then_some(state)
            }
        }
    }

    fn is_read_only(&self, op: &KvOp) -> bool {
        op.kind == KvKind::Get
    }

    fn saturated(&self) -> bool {
        self.nodes.len() >= MAX_NODES
    }

    fn mark(&self) -> usize {
        self.nodes.len()
    }

    fn release(&mut self, mark: usize) {
        if self.nodes.len() <= mark {
            return;
        }
        for n in &self.nodes[mark..] {
            self.node_ids.remove(&(n.parent, n.piece));
        }
        self.nodes.truncate(mark);
        // The memos may name forgotten states.
        self.equal.clear();
        self.starts.clear();
    }

    fn is_monotone(&self, op: &KvOp) -> bool {
        op.kind == KvKind::Append
    }

    /// Appends only extend the string: a get is out of reach once the string is not a prefix
    /// of the value it returned.
    fn unreachable(&mut self, state: u32, op: &KvOp) -> bool {
        op.kind == KvKind::Get && (op.value as usize) < self.values.len() && !self.starts(state, op.value)
    }

    fn reset_state(&mut self, op: &KvOp) -> Option<u32> {
        (op.kind == KvKind::Put && (op.value as usize) < self.values.len()).then(|| self.node(EMPTY, op.value))
    }

    /// From an arbitrary string `s`, the first get linearized before any put returns `s`
    /// followed by some of the appended values. So `s` is a prefix of a get's value whose rest
    /// splits into appended values; if no get comes before a put, `s` is never seen and any
    /// unmentioned string will do.
    fn any_state(&mut self, ops: &[&KvOp]) -> Option<Vec<u32>> {
        const MAX_STATES: usize = 256;
        let known = |v: u32| (v as usize) < self.values.len();
        let mut appends: Vec<u32> =
            ops.iter().filter(|o| o.kind == KvKind::Append && known(o.value)).map(|o| o.value).collect();
        crate::sort::sort(&mut appends);
        appends.dedup();
        let mut gets: Vec<u32> = ops.iter().filter(|o| o.kind == KvKind::Get).map(|o| o.value).collect();
        crate::sort::sort(&mut gets);
        gets.dedup();
        let mut prefixes: Vec<Box<[u8]>> = Vec::new();
        for g in gets {
            let x = self.values.get(g as usize)?.clone();
            // splits[j]: x[j..] is a concatenation of appended values.
            let mut splits = vec![false; x.len() + 1];
            splits[x.len()] = true;
            for j in (0..x.len()).rev() {
                splits[j] = appends.iter().any(|&a| {
                    let a: &[u8] = &self.values[a as usize];
                    !a.is_empty() && x[j..].starts_with(a) && splits[j + a.len()]
                });
            }
            for (j, _) in splits.iter().enumerate().filter(|(_, &ok)| ok) {
                prefixes.push(x[..j].into());
                if prefixes.len() > MAX_STATES {
                    return None;
                }
            }
        }
        // Valid UTF-8 never contains 0xFF, so no value read from a history starts with it.
        prefixes.push(Box::new([0xFF]));
        crate::sort::sort(&mut prefixes);
        prefixes.dedup();
        let mut states: Vec<u32> = prefixes
            .iter()
            .map(|p| {
                let v = self.intern(p);
                self.node(EMPTY, v)
            })
            .collect();
        states.dedup();
        Some(states)
    }

    /// An unknown put or append whose value appears in no get's result: if it took effect,
    /// nothing read the string before the next put replaced it, and appends and puts are
    /// legal in every state.
    fn unobserved(&mut self, ops: &[&KvOp], unknown: &[bool]) -> Vec<bool> {
        // Bounded work: the distinct results times the unknown writes' count.
        const MAX_WORK: usize = 200_000_000;
        let known = |v: u32| (v as usize) < self.values.len();
        let mut gets: Vec<u32> = ops
            .iter()
            .zip(unknown)
            .filter(|(o, &u)| !u && o.kind == KvKind::Get && known(o.value))
            .map(|(o, _)| o.value)
            .collect();
        crate::sort::sort(&mut gets);
        gets.dedup();
        let text: usize = gets.iter().map(|&g| self.values[g as usize].len()).sum();
        let candidates = ops.iter().zip(unknown).filter(|(o, &u)| u && o.kind != KvKind::Get).count();
        if candidates == 0 || text.saturating_mul(candidates) > MAX_WORK {
            return vec![false; ops.len()];
        }
        let mut seen: FxMap<u32, bool> = FxMap::default();
        ops.iter()
            .zip(unknown)
            .map(|(o, &u)| {
                if !u || o.kind == KvKind::Get || !known(o.value) || self.values[o.value as usize].is_empty() {
                    return false;
                }
                *seen.entry(o.value).or_insert_with(|| {
                    let piece = &self.values[o.value as usize];
                    !gets.iter().any(|&g| contains(&self.values[g as usize], piece))
                })
            })
            .collect()
    }

    /// A completed get whose result cannot be spelled: it is neither empty nor a put's value
    /// (or empty) followed by appended values, taking every put and append of the key.
    fn impossible(&mut self, ops: &[&KvOp], unknown: &[bool]) -> Vec<usize> {
        const MAX_LENGTHS: usize = 64;
        let known = |v: u32| (v as usize) < self.values.len();
        let mut puts: Vec<u32> =
            ops.iter().filter(|o| o.kind == KvKind::Put && known(o.value)).map(|o| o.value).collect();
        crate::sort::sort(&mut puts);
        puts.dedup();
        // Appended pieces by length.
        let mut pieces: std::collections::BTreeMap<usize, std::collections::HashSet<&[u8], FxBuild>> =
            Default::default();
        for o in ops.iter().filter(|o| o.kind == KvKind::Append && known(o.value)) {
            let v: &[u8] = &self.values[o.value as usize];
            if !v.is_empty() {
                pieces.entry(v.len()).or_default().insert(v);
            }
        }
        if pieces.len() > MAX_LENGTHS {
            return Vec::new();
        }
        let mut verdict: FxMap<u32, bool> = FxMap::default();
        let mut out = Vec::new();
        for (i, o) in ops.iter().enumerate() {
            if unknown[i] || o.kind != KvKind::Get || !known(o.value) {
                continue;
            }
            let bad = *verdict.entry(o.value).or_insert_with(|| {
                let x: &[u8] = &self.values[o.value as usize];
                // spelled[j]: x[..j] is a put's value (or empty) followed by appended pieces.
                let mut spelled = vec![false; x.len() + 1];
                spelled[0] = true;
                for &p in &puts {
                    let p: &[u8] = &self.values[p as usize];
                    if x.starts_with(p) {
                        spelled[p.len()] = true;
                    }
                }
                for j in 1..=x.len() {
                    if spelled[j] {
                        continue;
                    }
                    spelled[j] = pieces
                        .iter()
                        .take_while(|(&len, _)| len <= j)
                        .any(|(&len, set)| spelled[j - len] && set.contains(&x[j - len..j]));
                }
                !spelled[x.len()]
            });
            if bad {
                out.push(i);
            }
        }
        out
    }

    fn describe(&self, op: &KvOp) -> String {
        let v = self.value(op.value);
        match op.kind {
            KvKind::Get => format!("get {:?} -> {v:?}", op.key),
            KvKind::Put => format!("put {:?} {v:?}", op.key),
            KvKind::Append => format!("append {:?} {v:?}", op.key),
        }
    }
}

/// Whether `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_of_a_search_are_forgotten_and_bounded() {
        let mut m = KvAppend::new();
        let pieces: Vec<KvOp> = (0..64).map(|i| m.op("k", KvKind::Append, &format!("{i}."))).collect();
        let mark = m.mark();
        let mut s = m.init();
        for p in &pieces {
            s = m.step(s, p).unwrap();
        }
        assert_eq!(m.mark(), mark + 64);
        let probe = m.op("k", KvKind::Get, &(0..64).map(|i| format!("{i}.")).collect::<String>());
        assert_eq!(m.step(s, &probe), Some(s));
        m.release(mark);
        assert_eq!(m.mark(), mark, "the search's states are gone");
        // Interned again from scratch, the same string is still recognised.
        let mut s = m.init();
        for p in &pieces {
            s = m.step(s, p).unwrap();
        }
        assert_eq!(m.step(s, &probe), Some(s));
        // Past the limit, the model says so (and a search stops undecided).
        assert!(!m.saturated());
        let mut s = m.init();
        let mut i = 0;
        while !m.saturated() {
            s = m.step(s, &pieces[i % pieces.len()]).unwrap();
            i += 1;
        }
        assert!(m.saturated() && m.mark() >= MAX_NODES);
        m.release(mark);
        assert!(!m.saturated());
    }

    #[test]
    fn unobserved_appends_and_impossible_gets() {
        let mut m = KvAppend::new();
        let ops = [
            m.op("k", KvKind::Append, "a."),
            m.op("k", KvKind::Append, "b."),
            m.op("k", KvKind::Put, "p."),
            m.op("k", KvKind::Append, "c."),
            m.op("k", KvKind::Get, "p.a."),
            m.op("k", KvKind::Get, "a.c."),
            m.op("k", KvKind::Get, "p.z."),
            m.op("k", KvKind::Get, ""),
            m.op("k", KvKind::Get, "a.b"),
        ];
        let refs: Vec<&KvOp> = ops.iter().collect();
        let unknown = [true, true, true, false, false, false, false, false, false];
        // "b." is in no result (the last get's "a.b" holds "b" but not "b."); "p." and "a." are.
        assert_eq!(m.unobserved(&refs, &unknown), vec![false, true, false, false, false, false, false, false, false]);
        // The get of "p.z." cannot be spelled, nor "a.b"; "a.c." is two appends, "p.a." a put and an append.
        assert_eq!(m.impossible(&refs, &unknown), vec![6, 8]);
        let mut with_unknown_get = unknown;
        with_unknown_get[6] = true;
        assert_eq!(m.impossible(&refs, &with_unknown_get), vec![8]);
    }

    #[test]
    fn appends_and_gets_compare_exactly() {
        let mut m = KvAppend::new();
        let a = m.op("k", KvKind::Append, "ab");
        let b = m.op("k", KvKind::Append, "c");
        let put = m.op("k", KvKind::Put, "abc");
        let get = |m: &mut KvAppend, v: &str| m.op("k", KvKind::Get, v);
        let s0 = m.init();
        let g_empty = get(&mut m, "");
        assert_eq!(m.step(s0, &g_empty), Some(s0));
        let s1 = m.step(s0, &a).unwrap();
        let s2 = m.step(s1, &b).unwrap();
        let g_abc = get(&mut m, "abc");
        let g_ab = get(&mut m, "ab");
        let g_cab = get(&mut m, "cab");
        assert_eq!(m.step(s2, &g_abc), Some(s2));
        assert_eq!(m.step(s2, &g_ab), None);
        assert_eq!(m.step(s2, &g_cab), None);
        // Same string by another route: a distinct state, still spells "abc".
        let s3 = m.step(s1, &put).unwrap();
        assert_eq!(m.step(s3, &g_abc), Some(s3));
        // Interning: the same append from the same state lands on the same state.
        assert_eq!(m.step(s1, &b), Some(s2));
        // Appending the empty string changes nothing.
        let e = m.op("k", KvKind::Append, "");
        assert_eq!(m.step(s2, &e), Some(s2));
        assert!(m.is_read_only(&g_abc) && !m.is_read_only(&a));
        assert!(m.is_monotone(&a) && !m.is_monotone(&put) && !m.is_monotone(&g_abc));
        assert!(!m.unreachable(s1, &g_abc), "\"ab\" can still become \"abc\"");
        assert!(!m.unreachable(s2, &g_abc));
        assert!(m.unreachable(s2, &g_ab), "\"abc\" never shrinks back to \"ab\"");
        assert!(m.unreachable(s1, &g_cab));
        assert_eq!(m.reset_state(&put), Some(s3));
        assert_eq!(m.reset_state(&a), None);
        assert_eq!(m.describe(&a), "append \"k\" \"ab\"");
        // An op from another interner is never legal.
        let foreign = KvOp { key: "k".into(), kind: KvKind::Get, value: 999 };
        assert_eq!(m.step(s2, &foreign), None);
    }

    #[test]
    fn any_state_covers_prefixes_that_appends_can_complete() {
        let mut m = KvAppend::new();
        let get = m.op("k", KvKind::Get, "p.a.b.");
        let (a, b) = (m.op("k", KvKind::Append, "a."), m.op("k", KvKind::Append, "b."));
        let states = m.any_state(&[&get, &a, &b]).unwrap();
        let spelled: Vec<bool> = ["p.a.b.", "p.a.", "p.", "x"]
            .iter()
            .map(|text| {
                let probe = m.op("k", KvKind::Get, text);
                states.iter().any(|&s| m.step(s, &probe).is_some())
            })
            .collect();
        assert_eq!(spelled, vec![true, true, true, false]);
        assert_eq!(states.len(), 4, "three prefixes and one unmentioned string");
    }
}
