//! Stable sorting with one small body per element type.
//!
//! The standard library's sorts are fast and large: every call site with its own element type or
//! comparator gets its own copy of a few kilobytes of code, and the core has dozens of call
//! sites. In the WebAssembly builds, where every kilobyte is downloaded, [`sort_by`] and its
//! relatives use [`compact_sort_by`] instead: an insertion sort for short slices (no allocation)
//! and, for longer ones, a merge sort of indices that is compiled once for the whole program,
//! followed by a permutation of the slice. Natively they call the standard library's stable sort.
//!
//! Both are stable sorts, so for a comparator that is a total order they produce exactly the
//! same result: a run sorts alike natively and in the browser, and its trace hash is the same.

use std::cmp::Ordering;

/// Slices up to this long are insertion-sorted in place.
const INSERTION_MAX: usize = 20;

/// Sorts `v` in increasing order, keeping equal elements in their order.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp)
}

/// Sorts integers (operation ids, values): equal ones are identical, so any sort gives the
/// same result. The standard library's unstable sort, one body for every caller, is faster
/// than the merge sort of indices on compaction's long lists (2 to 3% of a WebAssembly run).
pub fn sort_ids(v: &mut [u64]) {
    v.sort_unstable();
}

/// Sorts `v` by the key `key` gives, keeping elements with equal keys in their order.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)))
}

/// Sorts `v` by `cmp`, keeping elements it calls equal in their order.
#[cfg(not(target_arch = "wasm32"))]
pub fn sort_by<T>(v: &mut [T], cmp: impl FnMut(&T, &T) -> Ordering) {
    v.sort_by(cmp);
}

/// Sorts `v` by `cmp`, keeping elements it calls equal in their order.
#[cfg(target_arch = "wasm32")]
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    compact_sort_by(v, &mut cmp);
}

/// `items.collect()` into an ordered collection (a B-tree map or set): natively the standard
/// library's way (sort, then build), in WebAssembly one insertion at a time, which builds the
/// same map (of equal keys the last value stays) without another copy of the sort.
#[cfg(not(target_arch = "wasm32"))]
pub fn collect<C: FromIterator<T>, T>(items: impl IntoIterator<Item = T>) -> C {
    items.into_iter().collect()
}

/// `items.collect()` into an ordered collection (see the native version).
#[cfg(target_arch = "wasm32")]
pub fn collect<C: Default + Extend<T>, T>(items: impl IntoIterator<Item = T>) -> C {
    let mut c = C::default();
    c.extend(items);
    c
}

/// The sort the WebAssembly builds use (see the module's documentation): stable, generic over
/// the element type only.
pub fn compact_sort_by<T>(v: &mut [T], cmp: &mut dyn FnMut(&T, &T) -> Ordering) {
    if v.len() <= INSERTION_MAX {
        return insertion_sort(v, cmp);
    }
    let mut order = sorted_indices(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    // Position i receives the element at order[i]: follow each cycle of the permutation.
    for i in 0..order.len() {
        let mut at = i;
        while order[at] != i {
            let from = order[at];
            v.swap(at, from);
            order[at] = at;
            at = from;
        }
        order[at] = at;
    }
}

/// A stable insertion sort, for short slices.
fn insertion_sort<T>(v: &mut [T], cmp: &mut dyn FnMut(&T, &T) -> Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && cmp(&v[j - 1], &v[j]) == Ordering::Greater {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The indices `0..n` in the order `cmp` puts them, ties in increasing order: a bottom-up merge
/// sort over runs first sorted by insertion.
fn sorted_indices(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut a: Vec<usize> = (0..n).collect();
    for run in a.chunks_mut(INSERTION_MAX) {
        insertion_sort(run, &mut |&x, &y| cmp(x, y));
    }
    let mut b = vec![0; n];
    let mut width = INSERTION_MAX;
    while width < n {
        for (start, out) in (0..n).step_by(2 * width).zip(b.chunks_mut(2 * width)) {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            for slot in out.iter_mut() {
                // Take from the right run only when its head is strictly smaller: stability.
                let right = j < end && (i >= mid || cmp(a[j], a[i]) == Ordering::Less);
                *slot = if right { a[j] } else { a[i] };
                if right {
                    j += 1;
                } else {
                    i += 1;
                }
            }
        }
        std::mem::swap(&mut a, &mut b);
        width *= 2;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::{RngCore, SeedableRng};

    /// Over many random slices of every length up to 300 (few distinct keys, so many ties), the
    /// compact sort gives exactly what the standard library's stable sort gives.
    #[test]
    fn compact_sort_is_the_standard_stable_sort() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for case in 0..3_000u32 {
            let len = (rng.next_u32() % 300) as usize;
            let keys = 1 + rng.next_u32() % 40;
            let v: Vec<(u32, usize)> = (0..len).map(|i| (rng.next_u32() % keys, i)).collect();
            let mut expected = v.clone();
            expected.sort_by_key(|p| p.0);
            let mut got = v.clone();
            compact_sort_by(&mut got, &mut |a, b| a.0.cmp(&b.0));
            assert_eq!(got, expected, "case {case}: length {len}, {keys} keys, input {v:?}");
        }
    }

    #[test]
    fn the_wrappers_sort_as_named() {
        let mut v = vec![5, 3, 9, 1, 3];
        sort(&mut v);
        assert_eq!(v, [1, 3, 3, 5, 9]);
        let mut w = vec![(2, 'a'), (1, 'b'), (2, 'c'), (0, 'd')];
        sort_by_key(&mut w, |p| std::cmp::Reverse(p.0));
        assert_eq!(w, [(2, 'a'), (2, 'c'), (1, 'b'), (0, 'd')]);
    }
}
