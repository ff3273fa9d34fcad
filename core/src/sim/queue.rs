//! The event queue: a heap of 16-byte keys over a slab that holds the events themselves, so
//! that sifting moves and compares one 128-bit number instead of a whole event.
//!
//! A key is `time (64 bits) | late (1) | order (31) | slot (32)`: events run by time, then
//! scheduled commands after everything else at their instant, then in the order they were
//! scheduled; the slot only says where the event is. Orders are handed out by the queue; when
//! they run out (after 2^31 pushes), the pending keys are renumbered in their current order,
//! which changes no order between them.
//!
//! Events that are mostly scheduled in time order (a client's timeout, always the same delay
//! after an invocation, and almost never fired) can go to a first-in-first-out lane beside
//! the heap instead: appended while their keys increase, taken from the front. The earlier of
//! the two fronts is the next event, so the order is exactly the heap's alone; the heap stays
//! small (at 200 operations a second with a one-second timeout, the timeouts were nine in ten
//! of its entries).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::time::Time;

const LATE: u128 = 1 << 63;
const ORDER_SHIFT: u32 = 32;
/// The order's bits in a key.
const ORDER_MASK: u128 = ((1 << 31) - 1) << ORDER_SHIFT;

/// Events ordered by (time, late, order of scheduling).
#[derive(Clone)]
pub(super) struct EventQueue<K> {
    heap: BinaryHeap<Reverse<u128>>,
    /// Keys in increasing order (see the module doc).
    lane: VecDeque<u128>,
    /// The events, by slot (their times are in their keys).
    slab: Vec<Option<K>>,
    free: Vec<u32>,
    /// The next order to hand out, below `orders`.
    next: u64,
    /// How many orders there are before renumbering (2^31; fewer in tests).
    orders: u64,
}

impl<K> Default for EventQueue<K> {
    fn default() -> Self {
        EventQueue::with_orders(1 << 31)
    }
}

impl<K> EventQueue<K> {
    fn with_orders(orders: u64) -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            lane: VecDeque::new(),
            slab: Vec::new(),
            free: Vec::new(),
            next: 0,
            orders,
        }
    }

    /// Schedules `kind` at `time`, after everything already scheduled at that instant (with the
    /// same `late`).
    pub(super) fn push(&mut self, time: Time, late: bool, kind: K) {
        let key = self.key(time, late, kind);
        self.heap.push(Reverse(key));
    }

    /// [`EventQueue::push`] for an event usually scheduled later than every other such event:
    /// it goes to the lane when it is (the order of events is the same either way).
    pub(super) fn push_in_order(&mut self, time: Time, late: bool, kind: K) {
        let key = self.key(time, late, kind);
        if self.lane.back().is_none_or(|&last| last < key) {
            self.lane.push_back(key);
        } else {
            self.heap.push(Reverse(key));
        }
    }

    /// Stores `kind` and hands out its key.
    fn key(&mut self, time: Time, late: bool, kind: K) -> u128 {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(kind);
                s
            }
            None => {
                self.slab.push(Some(kind));
                u32::try_from(self.slab.len() - 1).expect("fewer than 2^32 pending events")
            }
        };
        if self.next == self.orders {
            self.renumber();
        }
        let order = u128::from(self.next) << ORDER_SHIFT;
        self.next += 1;
        let late = if late { LATE } else { 0 };
        u128::from(time) << 64 | late | order | u128::from(slot)
    }

    /// Gives the pending keys the orders 0, 1, … in their current order.
    fn renumber(&mut self) {
        let mut keys: Vec<u128> = self.heap.iter().map(|&Reverse(k)| k).chain(self.lane.iter().copied()).collect();
        crate::sort::sort(&mut keys);
        // A key's new order is its rank among all pending keys (which are distinct).
        let renumbered = |k: u128| {
            let rank = keys.binary_search(&k).expect("a pending key") as u128;
            k & !ORDER_MASK | rank << ORDER_SHIFT
        };
        self.heap = self.heap.iter().map(|&Reverse(k)| Reverse(renumbered(k))).collect();
        self.lane = self.lane.iter().map(|&k| renumbered(k)).collect();
        self.next = keys.len() as u64;
        assert!(self.next < self.orders, "fewer pending events than orders");
    }

    /// The key of the earliest event, and whether it is the lane's.
    fn first(&self) -> Option<(u128, bool)> {
        match (self.heap.peek(), self.lane.front()) {
            (Some(&Reverse(h)), Some(&l)) => Some(if l < h { (l, true) } else { (h, false) }),
            (Some(&Reverse(h)), None) => Some((h, false)),
            (None, Some(&l)) => Some((l, true)),
            (None, None) => None,
        }
    }

    /// The earliest event and its time.
    pub(super) fn pop(&mut self) -> Option<(Time, K)> {
        let key = match self.first()? {
            (_, true) => self.lane.pop_front(),
            (_, false) => self.heap.pop().map(|Reverse(k)| k),
        }?;
        let slot = key as u32;
        let event = self.slab[slot as usize].take().expect("a queued slot holds its event");
        self.free.push(slot);
        Some(((key >> 64) as Time, event))
    }

    /// The time of the earliest event.
    pub(super) fn peek_time(&self) -> Option<Time> {
        self.first().map(|(k, _)| (k >> 64) as Time)
    }

    /// Every pending event with its time, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Time, &K)> {
        self.heap
            .iter()
            .map(|&Reverse(k)| k)
            .chain(self.lane.iter().copied())
            .map(|k| ((k >> 64) as Time, self.slab[k as u32 as usize].as_ref().expect("a queued slot holds its event")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_late_then_sequence() {
        let mut q = EventQueue::default();
        q.push(5, false, "a");
        q.push(3, true, "late at 3");
        q.push(3, false, "b");
        q.push(3, false, "c");
        assert_eq!(q.pop(), Some((3, "b")));
        q.push(3, false, "d");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, [(3, "c"), (3, "d"), (3, "late at 3"), (5, "a")]);
        assert!(q.peek_time().is_none());
        assert_eq!(q.iter().count(), 0);
    }

    /// Neither the lane nor renumbering when orders run out changes the order: random pushes
    /// (half of them offered to the lane) and pops with very few orders pop exactly what a
    /// plain heap with plenty of orders pops.
    #[test]
    fn renumbering_changes_no_order() {
        use crate::rng::SimRng;
        for seed in 0..200 {
            let mut rng = SimRng::new(seed);
            let mut few = EventQueue::with_orders(40);
            let mut many = EventQueue::default();
            let (mut now, mut pending) = (0, 0);
            for i in 0..2_000u32 {
                if rng.below(3) == 0 || pending == 30 {
                    pending -= usize::from(pending > 0);
                    let (a, b) = (few.pop(), many.pop());
                    assert_eq!(a, b, "seed {seed}, step {i}");
                    if let Some((t, _)) = a {
                        now = t;
                    }
                } else {
                    // Ties are common: few distinct times.
                    let (t, late) = (now + rng.below(3), rng.below(4) == 0);
                    if rng.below(2) == 0 {
                        few.push(t, late, i);
                    } else {
                        few.push_in_order(t, late, i);
                    }
                    many.push(t, late, i);
                    pending += 1;
                }
            }
            while let Some(e) = many.pop() {
                assert_eq!(few.pop(), Some(e), "seed {seed}");
            }
            assert_eq!(few.pop(), None);
        }
    }
}
