//! The event queue: a heap of 16-byte keys over a slab that holds the events themselves, so
//! that sifting moves and compares one 128-bit number instead of a whole event.
//!
//! A key is `time (64 bits) | late (1) | order (31) | slot (32)`: events run by time, then
//! scheduled commands after everything else at their instant, then in the order they were
//! scheduled; the slot only says where the event is. Orders are handed out by the queue; when
//! they run out (after 2^31 pushes), the pending keys are renumbered in their current order,
//! which changes no order between them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::time::Time;

const LATE: u128 = 1 << 63;
const ORDER_SHIFT: u32 = 32;

/// Events ordered by (time, late, order of scheduling).
#[derive(Clone)]
pub(super) struct EventQueue<K> {
    heap: BinaryHeap<Reverse<u128>>,
    slab: Vec<Option<(Time, K)>>,
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
        EventQueue { heap: BinaryHeap::new(), slab: Vec::new(), free: Vec::new(), next: 0, orders }
    }

    /// Schedules `kind` at `time`, after everything already scheduled at that instant (with the
    /// same `late`).
    pub(super) fn push(&mut self, time: Time, late: bool, kind: K) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some((time, kind));
                s
            }
            None => {
                self.slab.push(Some((time, kind)));
                u32::try_from(self.slab.len() - 1).expect("fewer than 2^32 pending events")
            }
        };
        if self.next == self.orders {
            self.renumber();
        }
        let order = u128::from(self.next) << ORDER_SHIFT;
        self.next += 1;
        let late = if late { LATE } else { 0 };
        self.heap.push(Reverse(u128::from(time) << 64 | late | order | u128::from(slot)));
    }

    /// Gives the pending keys the orders 0, 1, … in their current order.
    fn renumber(&mut self) {
        let mut keys: Vec<u128> = std::mem::take(&mut self.heap).into_iter().map(|Reverse(k)| k).collect();
        keys.sort_unstable();
        let keep = !(((1u128 << 31) - 1) << ORDER_SHIFT);
        self.heap = keys.iter().zip(0u128..).map(|(&k, i)| Reverse(k & keep | i << ORDER_SHIFT)).collect();
        self.next = keys.len() as u64;
        assert!(self.next < self.orders, "fewer pending events than orders");
    }

    /// The earliest event and its time.
    pub(super) fn pop(&mut self) -> Option<(Time, K)> {
        let Reverse(key) = self.heap.pop()?;
        let slot = key as u32;
        let event = self.slab[slot as usize].take().expect("a queued slot holds its event");
        self.free.push(slot);
        Some(event)
    }

    /// The time of the earliest event.
    pub(super) fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|Reverse(k)| (k >> 64) as Time)
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

    /// Renumbering when orders run out changes no order: random pushes and pops with very few
    /// orders pop exactly what a queue with plenty of them pops.
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
                    few.push(t, late, i);
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
