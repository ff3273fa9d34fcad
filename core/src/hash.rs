//! A stable hasher for trace hashes.
//!
//! `std`'s `Hasher` writes `usize` and `isize` (enum discriminants, slice lengths) in native
//! width, which differs between 64-bit hosts and 32-bit WebAssembly. This hasher widens them
//! to 64 bits and feeds every integer as one word, so a derived `Hash` gives the same
//! value on every platform — except for slices of `usize`, whose derived `Hash` writes the raw
//! native-width words in one go: hashed data must not hold a `Vec<usize>` (see
//! [`crate::note::Nodes`]).

use std::hash::Hasher;

const SEED: u64 = 0xcbf2_9ce4_8422_2325;
const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

/// A word-at-a-time hash with platform-independent integer encoding: every integer is fed as
/// one 64-bit word (widened, little-endian order for byte strings), each word mixed in with a
/// multiply and a shift. It is a fingerprint of a run, not a defence against crafted input.
#[derive(Clone, Debug)]
pub struct StableHasher(u64);

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher(SEED)
    }
}

impl StableHasher {
    #[inline]
    fn word(&mut self, w: u64) {
        let h = (self.0 ^ w).wrapping_mul(MUL);
        self.0 = h ^ (h >> 29);
    }
}

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        // A final avalanche, so that nearby inputs give unrelated hashes.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("eight bytes")));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        // The length of the tail keeps "ab" and "ab\0" apart.
        self.word(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
    }
    fn write_u8(&mut self, i: u8) {
        self.word(i as u64);
    }
    fn write_u16(&mut self, i: u16) {
        self.word(i as u64);
    }
    fn write_u32(&mut self, i: u32) {
        self.word(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }
    fn write_u128(&mut self, i: u128) {
        self.word(i as u64);
        self.word((i >> 64) as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.word(i as u64);
    }
    fn write_i8(&mut self, i: i8) {
        self.word(i as u64);
    }
    fn write_i16(&mut self, i: i16) {
        self.word(i as u64);
    }
    fn write_i32(&mut self, i: i32) {
        self.word(i as u64);
    }
    fn write_i64(&mut self, i: i64) {
        self.word(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.word(i as i64 as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    #[test]
    fn different_inputs_hash_differently() {
        let hash = |f: &dyn Fn(&mut StableHasher)| {
            let mut h = StableHasher::default();
            f(&mut h);
            h.finish()
        };
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..2000u64 {
            assert!(seen.insert(hash(&|h| i.hash(h))), "u64 {i}");
            assert!(seen.insert(hash(&|h| (i, 1u8).hash(h))), "pair {i}");
        }
        let mut seen = std::collections::BTreeSet::new();
        for s in ["", "a", "ab", "ab\0", "abcdefgh", "abcdefgh\0", "abcdefghi"] {
            assert!(seen.insert(hash(&|h| h.write(s.as_bytes()))), "bytes {s:?}");
        }
        // Order matters.
        assert_ne!(hash(&|h| (1u64, 2u64).hash(h)), hash(&|h| (2u64, 1u64).hash(h)));
    }

    #[test]
    fn usize_hashes_as_u64() {
        let mut a = StableHasher::default();
        7usize.hash(&mut a);
        let mut b = StableHasher::default();
        7u64.hash(&mut b);
        assert_eq!(a.finish(), b.finish());
    }
}
