//! The replication log, with a compactable prefix.
//!
//! Positions are absolute and 0-based for indexing (`log[i]` is entry `i + 1`). Compaction
//! replaces a prefix that every node holds identically and durably by what reads need of it
//! (the last value of each key) and the term boundaries (so `term_at` answers for any
//! position); entries below [`Log::base`] cannot be read one by one any more.

use std::collections::BTreeMap;
use std::ops::{Index, Range, RangeFrom};

use super::Entry;
use crate::protocol::{Key, Value};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// How many entries the compacted prefix holds.
    base: usize,
    /// In the compacted prefix: (first position, term) each time the term changes.
    terms: Vec<(u64, u64)>,
    /// The compacted prefix as data: key → (value, position); no value after a delete.
    base_kv: BTreeMap<Key, (Option<Value>, u64)>,
    entries: Vec<Entry>,
}

impl Log {
    /// The log's length (compacted prefix included).
    pub fn len(&self) -> usize {
        self.base + self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// How many entries are compacted.
    pub fn base(&self) -> usize {
        self.base
    }
    pub fn push(&mut self, e: Entry) {
        self.entries.push(e);
    }
    /// The entries after the compacted prefix.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
    /// The compacted prefix as data.
    pub fn base_kv(&self) -> &BTreeMap<Key, (Option<Value>, u64)> {
        &self.base_kv
    }
    /// Term of the entry at 1-based `index` (0: before the log).
    pub fn term_at(&self, index: u64) -> u64 {
        if index == 0 {
            return 0;
        }
        if index as usize > self.base {
            return self.entries[index as usize - self.base - 1].term;
        }
        let i = self.terms.partition_point(|&(first, _)| first <= index);
        self.terms[i - 1].1
    }
    /// Removes and returns the entries from 0-based position `at` on. The compacted prefix
    /// stays: it was committed by every node that held it, so nothing may cut into it (a
    /// request to is clamped at its end).
    pub fn split_off(&mut self, at: usize) -> Vec<Entry> {
        self.entries.split_off(at.max(self.base) - self.base)
    }
    pub fn truncate(&mut self, len: usize) {
        self.entries.truncate(len.max(self.base) - self.base);
    }
    /// The term boundaries of the compacted prefix.
    pub fn terms(&self) -> &[(u64, u64)] {
        &self.terms
    }
    /// A log made of a compacted prefix only (an installed snapshot).
    pub fn from_snapshot(base: usize, terms: Vec<(u64, u64)>, base_kv: BTreeMap<Key, (Option<Value>, u64)>) -> Log {
        Log { base, terms, base_kv, entries: Vec::new() }
    }
    /// Compacts the first `upto` entries (no-op if they already are).
    pub fn compact(&mut self, upto: usize) {
        if upto <= self.base {
            return;
        }
        let n = upto - self.base;
        for (i, e) in self.entries.drain(..n).enumerate() {
            let pos = (self.base + i) as u64 + 1;
            if self.terms.last().is_none_or(|&(_, t)| t != e.term) {
                self.terms.push((pos, e.term));
            }
            self.base_kv.insert(e.key, (e.live(), pos));
        }
        self.base = upto;
    }
}

impl Index<usize> for Log {
    type Output = Entry;
    fn index(&self, i: usize) -> &Entry {
        assert!(i >= self.base, "entry {} is in the compacted log prefix", i + 1);
        &self.entries[i - self.base]
    }
}

impl Index<Range<usize>> for Log {
    type Output = [Entry];
    fn index(&self, r: Range<usize>) -> &[Entry] {
        assert!(r.start >= self.base, "entries from {} are in the compacted log prefix", r.start + 1);
        &self.entries[r.start - self.base..r.end - self.base]
    }
}

impl Index<RangeFrom<usize>> for Log {
    type Output = [Entry];
    fn index(&self, r: RangeFrom<usize>) -> &[Entry] {
        &self[r.start..self.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(term: u64, key: Key, value: Value) -> Entry {
        Entry { term, key, value, deleted: false, op: value, stamp: 0, appended_at: 0 }
    }

    #[test]
    fn compaction_keeps_positions_terms_and_data() {
        let mut log = Log::default();
        for (i, t) in [1, 1, 2, 2, 2, 3].into_iter().enumerate() {
            log.push(e(t, (i % 2) as Key, i as Value + 10));
        }
        let before: Vec<u64> = (0..=6).map(|i| log.term_at(i)).collect();
        log.compact(4);
        assert_eq!((log.len(), log.base(), log.entries().len()), (6, 4, 2));
        assert_eq!((0..=6).map(|i| log.term_at(i)).collect::<Vec<_>>(), before);
        assert_eq!(log[4].value, 14);
        assert_eq!(log[4..].len(), 2);
        // The prefix as data: the last value of each key, at its position.
        assert_eq!(log.base_kv().get(&0), Some(&(Some(12), 3)));
        assert_eq!(log.base_kv().get(&1), Some(&(Some(13), 4)));
        // Compacting less than is compacted does nothing; more continues.
        log.compact(2);
        assert_eq!(log.base(), 4);
        log.compact(5);
        assert_eq!((log.base(), log.term_at(5), log.term_at(6)), (5, 2, 3));
        assert_eq!(log.base_kv().get(&0), Some(&(Some(14), 5)));
        assert_eq!(log.split_off(5).len(), 1);
        assert_eq!(log.len(), 5);
    }

    #[test]
    fn the_compacted_prefix_cannot_be_truncated() {
        let mut log = Log::default();
        for i in 0..4 {
            log.push(e(1, 0, i));
        }
        log.compact(3);
        log.truncate(2);
        assert_eq!(log.len(), 3);
        assert!(log.split_off(1).is_empty());
        let snap = Log::from_snapshot(log.base(), log.terms().to_vec(), log.base_kv().clone());
        assert_eq!((snap.len(), snap.term_at(3), snap.base_kv().get(&0)), (3, 1, Some(&(Some(2), 3))));
    }
}
