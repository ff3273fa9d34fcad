//! The event queue: a binary heap of small entries (time, order, slot) over a slab that holds
//! the events themselves, so that sifting moves 24 bytes instead of a whole event.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::Time;

#[derive(Clone, Copy, PartialEq, Eq)]
struct Entry {
    time: Time,
    /// `late` in the top bit, then the sequence number: ties at one instant run in order of
    /// scheduling, late ones after all others.
    order: u64,
    slot: u32,
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Entry {
    /// (time, order) as one number: one comparison without branches when sifting.
    fn key(&self) -> u128 {
        (self.time as u128) << 64 | self.order as u128
    }
}

impl Ord for Entry {
    /// Reversed, so that the max-heap pops the earliest entry.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

const LATE: u64 = 1 << 63;

/// Events ordered by (time, late, sequence number).
#[derive(Clone)]
pub(super) struct EventQueue<K> {
    heap: BinaryHeap<Entry>,
    slab: Vec<Option<(Time, K)>>,
    free: Vec<u32>,
}

impl<K> Default for EventQueue<K> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::new(), slab: Vec::new(), free: Vec::new() }
    }
}

impl<K> EventQueue<K> {
    /// Schedules `kind` at `time`; `seq` must grow with every push.
    pub(super) fn push(&mut self, time: Time, late: bool, seq: u64, kind: K) {
        debug_assert!(seq < LATE);
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some((time, kind));
                s
            }
            None => {
                self.slab.push(Some((time, kind)));
                (self.slab.len() - 1) as u32
            }
        };
        let order = if late { LATE | seq } else { seq };
        self.heap.push(Entry { time, order, slot });
    }

    /// The earliest event and its time.
    pub(super) fn pop(&mut self) -> Option<(Time, K)> {
        let e = self.heap.pop()?;
        let event = self.slab[e.slot as usize].take().expect("a queued slot holds its event");
        self.free.push(e.slot);
        Some(event)
    }

    /// The time of the earliest event.
    pub(super) fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|e| e.time)
    }

    /// Every pending event with its time, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Time, &K)> {
        self.slab.iter().flatten().map(|(t, k)| (*t, k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_late_then_sequence() {
        let mut q = EventQueue::default();
        q.push(5, false, 1, "a");
        q.push(3, true, 2, "late at 3");
        q.push(3, false, 3, "b");
        q.push(3, false, 4, "c");
        assert_eq!(q.pop(), Some((3, "b")));
        q.push(3, false, 5, "d");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, [(3, "c"), (3, "d"), (3, "late at 3"), (5, "a")]);
        assert!(q.peek_time().is_none());
        assert_eq!(q.iter().count(), 0);
    }
}
