//! The search's memory of configurations already explored: pairs of (set of linearized
//! operations, state), stored flat so that a lookup costs one hash probe and a few word
//! comparisons.
//!
//! Hashing here only decides where entries live; equality is always checked exactly, so a
//! hash collision costs time, never a wrong verdict. The hashers are deterministic (no random
//! keys), so runs repeat exactly.

use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A fast multiplicative hasher (the rustc "Fx" scheme) for small keys.
#[derive(Clone, Copy, Default)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;
pub(crate) type FxMap<K, V> = std::collections::HashMap<K, V, FxBuild>;

/// Hash of one value with [`FxHasher`], finished with a final mix so that low bits are usable
/// as a table index.
#[inline]
pub(crate) fn hash_one<T: Hash>(v: &T) -> u64 {
    let mut h = FxHasher::default();
    v.hash(&mut h);
    mix(h.finish())
}

/// The splitmix64 finalizer: a bijection on 64-bit words that spreads every input bit.
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const NIL: u32 = u32::MAX;

/// The explored configurations: the set of linearized operations and the state.
///
/// Operations come in two kinds. Those that must be linearized are tracked exactly: a
/// configuration's *key* is its set of them plus its state, looked up with one hash probe.
/// Those with an unknown outcome are tracked up to *dominance*: a configuration that has the
/// same key as an explored one but has used up more unknown-outcome operations can do
/// nothing the explored one could not, so it counts as explored. Each key keeps only its
/// minimal sets of used-up unknown-outcome operations.
pub(crate) struct Cache<S> {
    req_words: usize,
    opt_words: usize,
    /// Open-addressing table of key numbers + 1 (0: empty slot).
    slots: Vec<u32>,
    key_hash: Vec<u64>,
    key_state: Vec<S>,
    key_bits: Vec<u64>,
    /// First node of each key's list of unknown-outcome sets.
    key_head: Vec<u32>,
    node_next: Vec<u32>,
    node_bits: Vec<u64>,
    /// Nodes unlinked because a smaller set replaced them, for reuse.
    free: Vec<u32>,
    /// Bytes the entries take, and the most they may: once full, new configurations are
    /// still searched but no longer recorded (the cache only saves time, so a verdict never
    /// depends on it), which bounds the memory of a search by this, not by its length.
    bytes: usize,
    max_bytes: usize,
    /// The most keys and nodes `max_bytes` holds, for growing the tables within it.
    max_keys: usize,
    max_nodes: usize,
}

/// The most memory one search's cache may take (see [`Cache::insert`]).
pub(crate) const MAX_CACHE_BYTES: usize = 32 << 20;

/// Makes room for `more` elements in `v` without a vector's usual doubling overshooting
/// `limit` elements: near the limit it grows to the limit, not to twice its size.
fn reserve_within<T>(v: &mut Vec<T>, more: usize, limit: usize) {
    let need = v.len() + more;
    if need > v.capacity() {
        let target = (v.capacity() * 2).min(limit).max(need).max(16);
        v.reserve_exact(target - v.len());
    }
}

impl<S: Copy + Eq> Cache<S> {
    /// A cache for bitsets of `req_words` words (operations that must be linearized) and of
    /// `opt_words` words (unknown-outcome operations).
    pub(crate) fn new(req_words: usize, opt_words: usize) -> Self {
        Cache {
            req_words,
            opt_words,
            // Most searches (a live window of one key) record a few dozen configurations:
            // the table starts small and doubles as it fills.
            slots: vec![0; 64],
            key_hash: Vec::new(),
            key_state: Vec::new(),
            key_bits: Vec::new(),
            key_head: Vec::new(),
            node_next: Vec::new(),
            node_bits: Vec::new(),
            free: Vec::new(),
            bytes: 0,
            max_bytes: 0,
            max_keys: 0,
            max_nodes: 0,
        }
        .limited(MAX_CACHE_BYTES)
    }

    fn limited(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self.max_keys = max_bytes / self.key_bytes() + 1;
        self.max_nodes = max_bytes / self.node_bytes() + 1;
        self
    }

    /// The same, holding at most `max_bytes` of entries.
    #[cfg(test)]
    pub(crate) fn with_limit(req_words: usize, opt_words: usize, max_bytes: usize) -> Self {
        Cache::new(req_words, opt_words).limited(max_bytes)
    }

    fn key_bytes(&self) -> usize {
        // Hash, state, required bits, list head, and two table slots (the table is at most
        // half full).
        8 + std::mem::size_of::<S>() + 8 * self.req_words + 4 + 8
    }

    fn node_bytes(&self) -> usize {
        8 * self.opt_words + 4
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.node_next.len() - self.free.len()
    }

    /// Records a configuration. Returns false when it, or one that dominates it, was recorded
    /// before. `hash` must be a function of `req` and `state`. When the cache is full, a new
    /// configuration is reported as new without being recorded.
    pub(crate) fn insert(&mut self, hash: u64, req: &[u64], opt: &[u64], state: S) -> bool {
        debug_assert_eq!((req.len(), opt.len()), (self.req_words, self.opt_words));
        let mask = self.slots.len() - 1;
        let mut i = (hash as usize) & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            let k = (slot - 1) as usize;
            if self.key_hash[k] == hash
                && self.key_state[k] == state
                && self.key_bits[k * self.req_words..(k + 1) * self.req_words] == *req
            {
                return self.add_to_key(k, opt);
            }
            i = (i + 1) & mask;
        }
        if self.bytes + self.key_bytes() + self.node_bytes() > self.max_bytes {
            return true;
        }
        self.bytes += self.key_bytes() + self.node_bytes();
        let k = self.key_state.len();
        // More than u32::MAX entries cannot fit in memory anyway; the step budget stops the
        // search long before.
        self.slots[i] = (k as u32).wrapping_add(1);
        let keys = self.max_keys;
        reserve_within(&mut self.key_hash, 1, keys);
        reserve_within(&mut self.key_state, 1, keys);
        reserve_within(&mut self.key_head, 1, keys);
        reserve_within(&mut self.key_bits, req.len(), keys * self.req_words);
        self.key_hash.push(hash);
        self.key_state.push(state);
        self.key_bits.extend_from_slice(req);
        let node = if self.free.is_empty() {
            self.new_node(opt, NIL)
        } else {
            // Reusing a node: the bytes counted for a new one are not needed.
            self.bytes -= self.node_bytes();
            self.new_node(opt, NIL)
        };
        self.key_head.push(node);
        if self.key_state.len() * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    fn add_to_key(&mut self, k: usize, opt: &[u64]) -> bool {
        let w = self.opt_words;
        let subset = |a: &[u64], b: &[u64]| a.iter().zip(b).all(|(&x, &y)| x & !y == 0);
        let mut prev = NIL;
        let mut n = self.key_head[k];
        while n != NIL {
            let bits = &self.node_bits[n as usize * w..(n as usize + 1) * w];
            let next = self.node_next[n as usize];
            if subset(bits, opt) {
                return false;
            }
            if subset(opt, bits) {
                // The new set is smaller: the old one is dominated from now on.
                if prev == NIL {
                    self.key_head[k] = next;
                } else {
                    self.node_next[prev as usize] = next;
                }
                self.free.push(n);
            } else {
                prev = n;
            }
            n = next;
        }
        if self.free.is_empty() {
            if self.bytes + self.node_bytes() > self.max_bytes {
                return true;
            }
            self.bytes += self.node_bytes();
        }
        let head = self.key_head[k];
        self.key_head[k] = self.new_node(opt, head);
        true
    }

    fn new_node(&mut self, opt: &[u64], next: u32) -> u32 {
        let w = self.opt_words;
        if let Some(n) = self.free.pop() {
            self.node_bits[n as usize * w..(n as usize + 1) * w].copy_from_slice(opt);
            self.node_next[n as usize] = next;
            return n;
        }
        let nodes = self.max_nodes;
        reserve_within(&mut self.node_bits, opt.len(), nodes * self.opt_words);
        reserve_within(&mut self.node_next, 1, nodes);
        self.node_bits.extend_from_slice(opt);
        self.node_next.push(next);
        (self.node_next.len() - 1) as u32
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let mask = size - 1;
        let mut slots = vec![0u32; size];
        for (k, &h) in self.key_hash.iter().enumerate() {
            let mut i = (h as usize) & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = k as u32 + 1;
        }
        self.slots = slots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_semantics_survive_growth_and_collisions() {
        let mut c: Cache<u8> = Cache::new(2, 0);
        for i in 0..600u64 {
            // Deliberately colliding hashes: equality must still be exact.
            assert!(c.insert(i % 7, &[i, !i], &[], (i % 3) as u8));
        }
        for i in 0..600u64 {
            assert!(!c.insert(i % 7, &[i, !i], &[], (i % 3) as u8));
            assert!(c.insert(i % 7, &[i, !i], &[], 9));
        }
        assert_eq!(c.len(), 1200);
        assert_ne!(hash_one(&1u64), hash_one(&2u64));
    }

    #[test]
    fn a_full_cache_records_nothing_more_but_answers_new() {
        let mut c: Cache<u8> = Cache::with_limit(1, 0, 10 * (8 + 1 + 8 + 4 + 8 + 4));
        for i in 0..10u64 {
            assert!(c.insert(i, &[i], &[], 0));
        }
        assert_eq!(c.len(), 10);
        for i in 10..20u64 {
            assert!(c.insert(i, &[i], &[], 0), "not recorded, so new");
            assert!(c.insert(i, &[i], &[], 0), "and new again");
        }
        assert_eq!(c.len(), 10);
        assert!(!c.insert(3, &[3], &[], 0), "what was recorded is still known");
    }

    #[test]
    fn configurations_that_used_up_more_unknown_operations_are_dominated() {
        let mut c: Cache<u8> = Cache::new(1, 1);
        assert!(c.insert(7, &[1], &[0b00], 5));
        assert!(!c.insert(7, &[1], &[0b01], 5), "used up an unknown-outcome operation more: dominated");
        assert!(!c.insert(7, &[1], &[0b11], 5));
        assert!(c.insert(7, &[1], &[0b11], 6), "another state");
        assert!(c.insert(7, &[0], &[0b11], 5), "other required operations: not comparable");
        // The other way round: the new configuration has more options, so it is new, and it
        // replaces the old one.
        let mut c: Cache<u8> = Cache::new(1, 1);
        assert!(c.insert(7, &[1], &[0b11], 5));
        assert!(c.insert(7, &[1], &[0b10], 5));
        assert!(c.insert(7, &[1], &[0b01], 5));
        assert!(!c.insert(7, &[1], &[0b11], 5));
        assert!(c.insert(7, &[1], &[0b00], 5));
        assert_eq!(c.len(), 1, "the empty set dominates every other");
        assert!(!c.insert(7, &[1], &[0b01], 5));
    }
}
