//! Windows: short stretches of a history that cannot be linearized on their own.
//!
//! A window ends at the return of an operation `f` and starts at some call `t` before `f`'s
//! call. Inside it: the operations called before `f`'s return, except those that returned
//! before `t` (forgotten); operations running across `t`, or still running at `f`'s return,
//! get an unknown outcome (reads among them are forgotten: their results say nothing about
//! the state inside the window); and the object starts in *any* state
//! ([`Model::any_state`]) - or, for the window that starts at the beginning of the history,
//! in its initial state.
//!
//! **Why a failing window proves a violation.** Take a linearization of the history up to
//! `f`'s return and each operation's linearization point. Let the window's object start in
//! the state reached by the points before `t`. The operations with points after `t` are
//! exactly what the window needs: those that must complete in it are called after `t`, those
//! across `t` may be left out since their outcome is unknown there. So the window is at least
//! as permissive as the history, and the later `t`, the more permissive (that is what lets a
//! binary search find the latest start).
//!
//! **Local scan.** [`local_violation`] tries, for each operation in return order, windows of
//! 2, 4, 8, … calls, each with a small budget: a violation found there needs no exhaustive
//! search of everything before it.
//!
//! **Shrinking.** Given a failing operation (from the exhaustive search: the end of the
//! shortest failing prefix; or from the local scan), [`shrink`] gallops back from `f` to the
//! latest start whose window still fails, then *relaxes* the window's operations one at a
//! time, earliest return first: a relaxed operation gets an unknown outcome (a relaxed read is
//! forgotten). Relaxing only ever adds linearizations, so if the window still fails the
//! operation is not needed and stays relaxed; otherwise it stays in.
//!
//! The result is 1-minimal: the window's operations cannot be ordered, whatever the state
//! before them (unless the window starts at the beginning) and even if every other operation's
//! outcome were unknown; and relaxing any one of them removes the violation. When a search
//! runs out of budget, the operation in question is kept and the window is reported as not
//! minimal.

use super::model::Model;
use super::search::{entries, search_from, Found, Item};

pub(crate) struct Window {
    /// Indices into the searched items, in call order.
    pub ops: Vec<usize>,
    pub minimal: bool,
    /// True when the violation needs the model's initial state: the window starts at the
    /// beginning of the history.
    pub from_start: bool,
    pub steps: u64,
}

/// The history's calls and returns in time order.
struct Timeline {
    call_pos: Vec<usize>,
    ret_pos: Vec<usize>,
    /// Operations in call order.
    by_call: Vec<usize>,
}

impl Timeline {
    fn new<O>(items: &[Item<'_, O>]) -> Self {
        let order = entries(items);
        let mut call_pos = vec![usize::MAX; items.len()];
        let mut ret_pos = vec![usize::MAX; items.len()];
        let mut by_call = Vec::with_capacity(items.len());
        for (k, &(_, kind, i)) in order.iter().enumerate() {
            if kind == 0 {
                call_pos[i as usize] = k;
                by_call.push(i as usize);
            } else {
                ret_pos[i as usize] = k;
            }
        }
        Timeline { call_pos, ret_pos, by_call }
    }

    /// The window that ends at `failing`'s return and starts at the call of `by_call[start]`
    /// (0: the beginning of the history), with the operations in `relaxed` relaxed. Operations
    /// running across the start, or still running at the end, have unknown outcomes; reads
    /// among them are left out, and so are the operations that returned before the start.
    fn window<'a, O>(
        &self,
        items: &[Item<'a, O>],
        read_only: &[bool],
        failing: usize,
        start: usize,
        relaxed: &[usize],
    ) -> Vec<Item<'a, O>> {
        let cut = self.ret_pos[failing];
        let t = self.call_pos[self.by_call[start]];
        self.by_call
            .iter()
            .take_while(|&&i| self.call_pos[i] < cut)
            .filter_map(|&i| {
                let across = self.call_pos[i] < t;
                if across && self.ret_pos[i] < t {
                    return None;
                }
                let relax = across || self.ret_pos[i] > cut || relaxed.contains(&i);
                match (relax && i != failing, read_only[i]) {
                    (true, true) => None,
                    (true, false) => Some(Item { ret: None, ..items[i] }),
                    (false, _) => Some(items[i]),
                }
            })
            .collect()
    }
}

/// The operations that complete inside the window from call `start` (an index in call order)
/// to `failing`'s return, unshrunk.
pub(crate) fn unshrunk<O>(items: &[Item<'_, O>], failing: usize, start: usize) -> Vec<usize> {
    let tl = Timeline::new(items);
    let cut = tl.ret_pos[failing];
    let t = tl.by_call.get(start).map_or(0, |&i| tl.call_pos[i]);
    tl.by_call.iter().copied().filter(|&i| tl.call_pos[i] >= t && tl.ret_pos[i] <= cut).collect()
}

/// Shrinks the violation that ends at `failing`'s return. `known_start`: a start (an index in
/// call order) from which the window is already known to fail; `None` when only the whole
/// prefix is known to.
pub(crate) fn shrink<M: Model>(
    model: &mut M,
    items: &[Item<'_, M::Op>],
    failing: usize,
    known_start: Option<usize>,
    trial_budget: u64,
    total_budget: u64,
) -> Window {
    let tl = Timeline::new(items);
    let Some(&cut) = tl.ret_pos.get(failing).filter(|&&p| p != usize::MAX) else {
        return Window { ops: vec![failing], minimal: false, from_start: true, steps: 0 };
    };
    let read_only: Vec<bool> = items.iter().map(|it| model.is_read_only(it.op)).collect();
    let mut trials = Trials { model, trial_budget, total_budget, steps: 0 };
    let last = tl.by_call.iter().position(|&i| i == failing).unwrap_or(0);
    let completed = |i: usize, t: usize| tl.call_pos[i] >= t && tl.ret_pos[i] <= cut;

    let lo = match known_start {
        Some(k) => k.min(last),
        None => {
            if trials.fails(&tl.window(items, &read_only, failing, 0, &[]), true) != Some(true) {
                // Cannot happen for a true failing operation; report everything, unshrunk.
                let ops = tl.by_call.iter().copied().filter(|&i| completed(i, 0)).collect();
                return Window { ops, minimal: false, from_start: true, steps: trials.steps };
            }
            0
        }
    };
    // The latest start that keeps the violation, up to the failing operation's call. Later
    // starts give smaller windows, which are cheaper to search: gallop back from the failing
    // operation, then bisect.
    let mut hi = last;
    let mut w = 1;
    let mut lo = lo;
    while hi > lo {
        let s = last.saturating_sub(w).max(lo);
        if s == lo {
            break;
        }
        if trials.fails(&tl.window(items, &read_only, failing, s, &[]), false) == Some(true) {
            lo = s;
            break;
        }
        hi = s - 1;
        w *= 2;
    }
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if trials.fails(&tl.window(items, &read_only, failing, mid, &[]), false) == Some(true) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let start = lo;
    let t = tl.call_pos[tl.by_call[start]];

    // Relax what is not needed, earliest return first.
    let mut candidates: Vec<usize> = tl.by_call.iter().copied().filter(|&i| completed(i, t) && i != failing).collect();
    crate::sort::sort_by_key(&mut candidates, |&i| tl.ret_pos[i]);
    let mut relaxed: Vec<usize> = Vec::new();
    let mut minimal = true;
    for c in candidates {
        relaxed.push(c);
        match trials.fails(&tl.window(items, &read_only, failing, start, &relaxed), start == 0) {
            Some(true) => {}
            Some(false) => {
                relaxed.pop();
            }
            None => {
                relaxed.pop();
                minimal = false;
            }
        }
    }
    let ops: Vec<usize> =
        tl.by_call.iter().copied().filter(|&i| completed(i, t) && !relaxed.contains(&i) || i == failing).collect();
    Window { ops, minimal, from_start: start == 0, steps: trials.steps }
}

/// Looks for a violation confined to a short stretch of the history: windows that end at an
/// operation's return and start 2 calls earlier, for every operation in return order; then 4,
/// 8, … up to `width` calls earlier, from any state ([`Model::any_state`]). A window that cannot be linearized proves
/// that the whole history cannot (see the module documentation), without exploring everything
/// before it. Each window search gets a small budget; a window that exhausts it ends the
/// widening for that operation. Returns the failing operation and the window's start (an
/// index in call order), and the steps taken.
pub(crate) fn local_violation<M: Model>(
    model: &mut M,
    items: &[Item<'_, M::Op>],
    width: usize,
    trial_budget: u64,
    total_budget: u64,
) -> (Option<(usize, usize)>, u64) {
    let tl = Timeline::new(items);
    let read_only: Vec<bool> = items.iter().map(|it| model.is_read_only(it.op)).collect();
    let mut trials = Trials { model, trial_budget, total_budget, steps: 0 };
    let mut rank = vec![0usize; items.len()];
    for (k, &i) in tl.by_call.iter().enumerate() {
        rank[i] = k;
    }
    let mut by_ret: Vec<usize> = (0..items.len()).filter(|&i| tl.ret_pos[i] != usize::MAX).collect();
    crate::sort::sort_by_key(&mut by_ret, |&i| tl.ret_pos[i]);
    // Narrow windows for every operation first, then wider ones: a violation confined to a
    // few operations is found without paying for wide windows everywhere before it.
    let mut open = vec![true; by_ret.len()];
    let mut w = 2;
    loop {
        for (k, &f) in by_ret.iter().enumerate() {
            if !open[k] {
                continue;
            }
            if trials.steps >= trials.total_budget {
                return (None, trials.steps);
            }
            let start = rank[f].saturating_sub(w);
            match trials.fails(&tl.window(items, &read_only, f, start, &[]), start == 0) {
                Some(true) => return (Some((f, start)), trials.steps),
                Some(false) if start > 0 && w < width => {}
                _ => open[k] = false,
            }
        }
        if w >= width || !open.iter().any(|&o| o) {
            return (None, trials.steps);
        }
        w *= 2;
    }
}

/// The exact failing operation, when the search only gave a lower bound `lower` (see
/// [`super::search::Searched::exact_failing`]): the operation whose return ends the shortest
/// prefix that cannot be linearized, found by binary search over prefixes. Prefixes ending
/// before `lower`'s return are known to be linearizable, the whole history is known not to
/// be. A prefix search that runs out of budget counts as linearizable, which can only move
/// the answer later, to a prefix that was seen to fail. Returns the operation and the steps.
pub(crate) fn first_failing<M: Model>(
    model: &mut M,
    items: &[Item<'_, M::Op>],
    lower: usize,
    budget: u64,
) -> (usize, u64) {
    let tl = Timeline::new(items);
    let read_only: Vec<bool> = items.iter().map(|it| model.is_read_only(it.op)).collect();
    let mut by_ret: Vec<usize> = (0..items.len()).filter(|&i| tl.ret_pos[i] != usize::MAX).collect();
    crate::sort::sort_by_key(&mut by_ret, |&i| tl.ret_pos[i]);
    let Some(mut lo) = by_ret.iter().position(|&i| i == lower) else { return (lower, 0) };
    let mut hi = by_ret.len() - 1;
    let mut steps = 0u64;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let prefix = tl.window(items, &read_only, by_ret[mid], 0, &[]);
        let init = model.init();
        let s = search_from(model, &prefix, &[init], budget.saturating_sub(steps));
        steps += s.steps;
        if matches!(s.found, Found::Violation { .. }) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    (by_ret[hi], steps)
}

struct Trials<'m, M: Model> {
    model: &'m mut M,
    trial_budget: u64,
    total_budget: u64,
    steps: u64,
}

impl<M: Model> Trials<'_, M> {
    /// Whether `items` cannot be linearized, from the initial state or from any state:
    /// `Some(true)` no, `Some(false)` yes, `None` out of budget or undecidable here.
    fn fails(&mut self, items: &[Item<'_, M::Op>], from_initial: bool) -> Option<bool> {
        let inits = if from_initial {
            vec![self.model.init()]
        } else {
            let ops: Vec<&M::Op> = items.iter().map(|it| it.op).collect();
            self.model.any_state(&ops)?
        };
        if self.steps >= self.total_budget {
            return None;
        }
        let budget = self.trial_budget.min(self.total_budget - self.steps);
        let s = search_from(self.model, items, &inits, budget);
        self.steps += s.steps;
        match s.found {
            Found::Violation { .. } => Some(true),
            Found::Linearizable => Some(false),
            Found::OutOfBudget => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::register::{Register, RegisterOp};
    use super::super::search::search;
    use super::*;

    fn w(v: i64) -> RegisterOp {
        RegisterOp::Write { value: Some(v) }
    }
    fn r(v: i64) -> RegisterOp {
        RegisterOp::Read { value: Some(v) }
    }
    fn items(ops: &[(u64, Option<u64>, RegisterOp)]) -> Vec<Item<'_, RegisterOp>> {
        ops.iter().map(|(c, r, op)| Item { call: *c, ret: *r, op }).collect()
    }

    #[test]
    fn keeps_only_what_cannot_be_ordered() {
        // Knossos's bad-analysis history, register starting at 0.
        let ops = [
            (0, Some(1), w(2)),   // 0
            (3, Some(4), w(4)),   // 1
            (5, Some(6), r(4)),   // 2
            (7, Some(8), w(0)),   // 3
            (9, Some(11), r(0)),  // 4
            (10, None, w(1)),     // 5: crashed
            (12, Some(15), r(3)), // 6
            (13, Some(14), r(2)), // 7
        ];
        let it = items(&ops);
        let mut m = Register::new(Some(0));
        assert_eq!(search(&mut m, &it, 10_000).found, Found::Violation { failing: 7 });
        let win = shrink(&mut m, &it, 7, None, 10_000, 100_000);
        // Whatever the register held before: a read saw 0, then a later read saw 2, and only
        // a write of 1 might have happened in between.
        assert_eq!(win.ops, vec![4, 7]);
        assert!(win.minimal && !win.from_start);
    }

    #[test]
    fn a_read_of_a_value_never_written_needs_the_initial_state() {
        let ops = [(0, Some(1), w(1)), (2, Some(3), r(1)), (4, Some(9), w(2)), (5, Some(6), r(7)), (7, Some(8), r(2))];
        let it = items(&ops);
        let mut m = Register::new(None);
        assert_eq!(search(&mut m, &it, 10_000).found, Found::Violation { failing: 3 });
        let win = shrink(&mut m, &it, 3, None, 10_000, 100_000);
        // A read saw 1, then a later read saw 7: whatever came before, nobody wrote 7 since.
        assert_eq!(win.ops, vec![1, 3]);
        assert!(win.minimal && !win.from_start);
        // Without budget the window is everything completed in the prefix, not minimal.
        let win = shrink(&mut m, &it, 3, None, 10_000, 0);
        assert_eq!(win.ops, vec![0, 1, 3]);
        assert!(!win.minimal);
        // Alone, it needs the initial state: the register could have held 7 before.
        let alone = [(5, Some(6), r(7))];
        let it = items(&alone);
        let win = shrink(&mut m, &it, 0, None, 10_000, 100_000);
        assert_eq!(win.ops, vec![0]);
        assert!(win.minimal && win.from_start);
    }
}
