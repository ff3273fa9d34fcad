//! The search for a linearization of one partition: Wing & Gong's backtracking over a list of
//! call and return entries, with Lowe's cache of explored configurations and the read-first
//! rule (see the module documentation of [`super`]).

use super::cache::{hash_one, mix, Cache};
use super::model::Model;

/// An operation as the search sees it (a view of a [`super::TimedOp`]).
#[derive(Debug)]
pub(crate) struct Item<'a, O> {
    pub call: u64,
    pub ret: Option<u64>,
    pub op: &'a O,
}

impl<O> Clone for Item<'_, O> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<O> Copy for Item<'_, O> {}

/// What the search concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    Linearizable,
    /// No linearization exists. `failing` is the operation whose return ends the shortest
    /// prefix of the history that cannot be linearized.
    Violation {
        failing: usize,
    },
    OutOfBudget,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Searched {
    pub found: Found,
    /// Model steps taken.
    pub steps: u64,
    /// False when configurations were abandoned early because a pending read had become
    /// unreachable ([`Model::unreachable`]): the verdict stands, but the failing operation of
    /// a violation is then only a lower bound (the shortest failing prefix ends there or later).
    pub exact_failing: bool,
}

const NIL: u32 = u32::MAX;

/// The call and return entries in time order, as (time, 0 for a call or 1 for a return, op).
/// At equal times calls come first, so operations that touch are concurrent.
pub(crate) fn entries<O>(items: &[Item<'_, O>]) -> Vec<(u64, u8, u32)> {
    let mut order = Vec::with_capacity(items.len() * 2);
    for (i, it) in items.iter().enumerate() {
        order.push((it.call, 0u8, i as u32));
        if let Some(r) = it.ret {
            order.push((r.max(it.call), 1u8, i as u32));
        }
    }
    crate::sort::sort(&mut order);
    order
}

struct Frame<S> {
    op: u32,
    prev: S,
    /// Linearized by the read-first rule: there was no alternative to try here.
    forced: bool,
}

enum Phase {
    /// A configuration reached for the first time.
    Enter,
    /// Try the candidates of the current configuration, after this operation (NIL: all).
    Scan(u32),
    Backtrack,
}

/// Searches for a linearization of `items` from the model's initial state, taking at most
/// `budget` model steps.
pub(crate) fn search<M: Model>(model: &mut M, items: &[Item<'_, M::Op>], budget: u64) -> Searched {
    let init = model.init();
    search_from(model, items, &[init], budget)
}

/// Searches for a linearization of `items` starting in any of the states `inits`, one after
/// the other. The cache is shared: a configuration explored from one start is not explored
/// again from the next. A violation means no start works; its failing operation is the
/// furthest over all starts.
pub(crate) fn search_from<M: Model>(
    model: &mut M,
    items: &[Item<'_, M::Op>],
    inits: &[M::State],
    budget: u64,
) -> Searched {
    let mark = model.mark();
    let searched = search_states(model, items, inits, budget);
    model.release(mark);
    searched
}

fn search_states<M: Model>(model: &mut M, items: &[Item<'_, M::Op>], inits: &[M::State], budget: u64) -> Searched {
    let n = items.len();
    if n >= (u32::MAX / 2) as usize {
        return Searched { found: Found::OutOfBudget, steps: 0, exact_failing: true };
    }
    let order = entries(items);
    let m = order.len();
    let head = m;

    // The doubly linked list of entries not yet linearized, with a sentinel head at index m.
    let mut next = vec![NIL; m + 1];
    let mut prev = vec![NIL; m + 1];
    for k in 0..m {
        next[k] = if k + 1 < m { (k + 1) as u32 } else { NIL };
        prev[k] = if k == 0 { head as u32 } else { (k - 1) as u32 };
    }
    next[head] = if m > 0 { 0 } else { NIL };
    let mut op_of = vec![0u32; m];
    let mut is_ret = vec![false; m];
    let mut call_entry = vec![NIL; n];
    let mut ret_entry = vec![NIL; n];
    for (k, &(_, kind, i)) in order.iter().enumerate() {
        op_of[k] = i;
        is_ret[k] = kind == 1;
        if kind == 1 {
            ret_entry[i as usize] = k as u32;
        } else {
            call_entry[i as usize] = k as u32;
        }
    }
    // An unknown-outcome operation that never changes the state is never worth linearizing;
    // it is left out of both passes below.
    let read_only: Vec<bool> = items.iter().map(|it| model.is_read_only(it.op)).collect();
    let forcible: Vec<bool> = items.iter().zip(&read_only).map(|(it, &ro)| ro && it.ret.is_some()).collect();
    // Operations that must be linearized and those with unknown outcomes get separate
    // bitsets: the cache matches the first exactly and the second up to dominance. Only the
    // first enters the hash, one XOR per step.
    let mut slot = vec![0u32; n];
    let (mut n_req, mut n_opt) = (0usize, 0usize);
    for (i, it) in items.iter().enumerate() {
        let counter = if it.ret.is_some() { &mut n_req } else { &mut n_opt };
        slot[i] = *counter as u32;
        *counter += 1;
    }
    let zobrist: Vec<u64> = (0..n)
        .map(|i| match items[i].ret {
            Some(_) => mix((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x2545_f491),
            None => 0,
        })
        .collect();
    let mut req_bits = vec![0u64; n_req.div_ceil(64)];
    let mut opt_bits = vec![0u64; n_opt.div_ceil(64)];
    let mut bits_hash = 0u64;
    if inits.is_empty() {
        return Searched { found: Found::Violation { failing: 0 }, steps: 0, exact_failing: true };
    }
    let mut state: M::State;
    let mut remaining = n_req;
    let mut cache: Cache<M::State> = Cache::new(req_bits.len(), opt_bits.len());
    // Operations that may set the state backwards (a put, a write), in call order, as a
    // linked list of those not yet linearized: a pending read that monotone operations can
    // no longer satisfy is hopeless unless one of them is called before the read returns.
    let prune = items.iter().any(|it| model.is_monotone(it.op));
    let resetting: Vec<bool> =
        items.iter().zip(&read_only).map(|(it, &ro)| prune && !ro && !model.is_monotone(it.op)).collect();
    let reset_head = n;
    let mut reset_next = vec![NIL; n + 1];
    let mut reset_prev = vec![NIL; n + 1];
    {
        let mut last = reset_head;
        for &(_, kind, i) in &order {
            if kind == 0 && resetting[i as usize] {
                reset_next[last] = i;
                reset_prev[i as usize] = last as u32;
                last = i as usize;
            }
        }
    }
    let mut exact_failing = true;
    let deadline = |op: usize| (if ret_entry[op] == NIL { u32::MAX } else { ret_entry[op] }, call_entry[op]);
    let mut candidates: Vec<((u32, u32), u32)> = Vec::new();
    let mut stack: Vec<Frame<M::State>> = Vec::new();
    let mut steps = 0u64;
    let mut frontier = 0u32;
    let mut failing = 0u32;

    macro_rules! unlink {
        ($x:expr) => {{
            let x = $x as usize;
            let (p, nx) = (prev[x], next[x]);
            next[p as usize] = nx;
            if nx != NIL {
                prev[nx as usize] = p;
            }
        }};
    }
    macro_rules! relink {
        ($x:expr) => {{
            let x = $x as usize;
            let (p, nx) = (prev[x], next[x]);
            next[p as usize] = x as u32;
            if nx != NIL {
                prev[nx as usize] = x as u32;
            }
        }};
    }
    // Marks or unmarks `op` as linearized.
    macro_rules! flip {
        ($op:expr) => {{
            let op: usize = $op;
            let k = slot[op] as usize;
            if ret_entry[op] != NIL {
                req_bits[k / 64] ^= 1u64 << (k % 64);
                bits_hash ^= zobrist[op];
            } else {
                opt_bits[k / 64] ^= 1u64 << (k % 64);
            }
        }};
    }
    // Linearizes `op` into `new_state` unless that configuration was explored already.
    macro_rules! try_linearize {
        ($op:expr, $new_state:expr, $forced:expr) => {{
            let op = $op as usize;
            let new_state = $new_state;
            flip!(op);
            if cache.insert(bits_hash ^ hash_one(&new_state), &req_bits, &opt_bits, new_state) {
                stack.push(Frame { op: op as u32, prev: state, forced: $forced });
                state = new_state;
                if resetting[op] {
                    let (p, nx) = (reset_prev[op], reset_next[op]);
                    reset_next[p as usize] = nx;
                    if nx != NIL {
                        reset_prev[nx as usize] = p;
                    }
                }
                unlink!(call_entry[op]);
                if ret_entry[op] != NIL {
                    unlink!(ret_entry[op]);
                    remaining -= 1;
                }
                true
            } else {
                flip!(op);
                false
            }
        }};
    }

    for &init in inits {
        if !cache.insert(hash_one(&init), &req_bits, &opt_bits, init) {
            continue;
        }
        state = init;
        let mut phase = Phase::Enter;
        'configs: loop {
            match phase {
                Phase::Enter => {
                    if remaining == 0 {
                        return Searched { found: Found::Linearizable, steps, exact_failing };
                    }
                    // Read-first: a legal read-only candidate can be linearized right away.
                    let mut e = next[head];
                    let mut decided = None;
                    while e != NIL && !is_ret[e as usize] {
                        let op = op_of[e as usize] as usize;
                        if forcible[op] {
                            steps += 1;
                            if steps > budget || model.saturated() {
                                return Searched { found: Found::OutOfBudget, steps, exact_failing };
                            }
                            match model.step(state, items[op].op) {
                                Some(s2) => {
                                    debug_assert!(s2 == state, "a read-only operation changed the state");
                                    if s2 == state {
                                        decided = Some(try_linearize!(op, s2, true));
                                        break;
                                    }
                                }
                                None if prune && model.unreachable(state, items[op].op) => {
                                    // Out of reach from here by monotone operations; and from
                                    // what each pending reset called before the read returns
                                    // would leave?
                                    let mut p = reset_next[reset_head];
                                    let mut hopeless = true;
                                    while p != NIL && call_entry[p as usize] < ret_entry[op] {
                                        let after = model.reset_state(items[p as usize].op);
                                        if !after.is_some_and(|t| model.unreachable(t, items[op].op)) {
                                            hopeless = false;
                                            break;
                                        }
                                        p = reset_next[p as usize];
                                    }
                                    if hopeless {
                                        exact_failing = false;
                                        decided = Some(false);
                                        break;
                                    }
                                }
                                None => {}
                            }
                        }
                        e = next[e as usize];
                    }
                    phase = match decided {
                        Some(true) => Phase::Enter,
                        // The configuration after the read was explored and failed, or a pending
                        // read is out of reach: this one fails too.
                        Some(false) => Phase::Backtrack,
                        None => {
                            if e != NIL && e >= frontier {
                                frontier = e;
                                failing = op_of[e as usize];
                            }
                            Phase::Scan(NIL)
                        }
                    };
                }
                Phase::Scan(after) => {
                    // Candidates by deadline: those that must return first go first. Optional
                    // operations (no deadline) come last.
                    candidates.clear();
                    let mut e = next[head];
                    while e != NIL && !is_ret[e as usize] {
                        let op = op_of[e as usize];
                        if !read_only[op as usize] {
                            candidates.push((deadline(op as usize), op));
                        }
                        e = next[e as usize];
                    }
                    crate::sort::sort(&mut candidates);
                    let from = if after == NIL {
                        0
                    } else {
                        candidates.partition_point(|&c| c <= (deadline(after as usize), after))
                    };
                    phase = Phase::Backtrack;
                    for &(_, op) in &candidates[from..] {
                        let op = op as usize;
                        steps += 1;
                        if steps > budget || model.saturated() {
                            return Searched { found: Found::OutOfBudget, steps, exact_failing };
                        }
                        if let Some(s2) = model.step(state, items[op].op) {
                            if try_linearize!(op, s2, false) {
                                phase = Phase::Enter;
                                break;
                            }
                        }
                    }
                }
                Phase::Backtrack => loop {
                    let Some(f) = stack.pop() else {
                        break 'configs;
                    };
                    let op = f.op as usize;
                    state = f.prev;
                    flip!(op);
                    if ret_entry[op] != NIL {
                        relink!(ret_entry[op]);
                        remaining += 1;
                    }
                    relink!(call_entry[op]);
                    if resetting[op] {
                        let (p, nx) = (reset_prev[op], reset_next[op]);
                        reset_next[p as usize] = op as u32;
                        if nx != NIL {
                            reset_prev[nx as usize] = op as u32;
                        }
                    }
                    if !f.forced {
                        phase = Phase::Scan(op as u32);
                        break;
                    }
                },
            }
        }
    }
    Searched { found: Found::Violation { failing: failing as usize }, steps, exact_failing }
}

#[cfg(test)]
/// Plain Wing & Gong without any pruning, for cross-checking on tiny histories.
pub(crate) fn brute<M: Model>(model: &mut M, items: &[Item<'_, M::Op>], done: &mut Vec<bool>, state: M::State) -> bool {
    if items.iter().zip(done.iter()).all(|(it, &d)| d || it.ret.is_none()) {
        return true;
    }
    // The earliest return among required operations not yet linearized.
    let deadline =
        items.iter().zip(done.iter()).filter(|(it, &d)| !d && it.ret.is_some()).map(|(it, _)| it.ret.unwrap()).min();
    for i in 0..items.len() {
        if done[i] || deadline.is_some_and(|dl| items[i].call > dl) {
            continue;
        }
        if let Some(s2) = model.step(state, items[i].op) {
            done[i] = true;
            let ok = brute(model, items, done, s2);
            done[i] = false;
            if ok {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::kv::{KvAppend, KvKind, KvOp};
    use super::super::register::{Register, RegisterOp};
    use super::*;

    fn items(ops: &[(u64, Option<u64>, RegisterOp)]) -> Vec<Item<'_, RegisterOp>> {
        ops.iter().map(|(c, r, op)| Item { call: *c, ret: *r, op }).collect()
    }
    fn w(v: i64) -> RegisterOp {
        RegisterOp::Write { value: Some(v) }
    }
    fn r(v: i64) -> RegisterOp {
        RegisterOp::Read { value: Some(v) }
    }

    #[test]
    fn finds_linearizations_and_violations() {
        let mut m = Register::new(Some(0));
        // Reads concurrent with a write may see either value.
        let ok = [(0, Some(100), w(100)), (25, Some(75), r(100)), (30, Some(60), r(0))];
        assert_eq!(search(&mut m, &items(&ok), 1000).found, Found::Linearizable);
        // A read that starts after another read saw the new value cannot see the old one.
        let bad = [(0, Some(100), w(200)), (10, Some(30), r(200)), (40, Some(90), r(0))];
        assert_eq!(search(&mut m, &items(&bad), 1000).found, Found::Violation { failing: 2 });
        // Unknown outcome: may take effect late, or never.
        let late = [(0, None, w(1)), (5, Some(6), r(0)), (7, Some(8), r(1))];
        assert_eq!(search(&mut m, &items(&late), 1000).found, Found::Linearizable);
        let never = [(0, None, w(1)), (5, Some(6), r(0))];
        assert_eq!(search(&mut m, &items(&never), 1000).found, Found::Linearizable);
        // ... but only after it was called.
        let early = [(5, Some(6), r(1)), (7, None, w(1))];
        assert_eq!(search(&mut m, &items(&early), 1000).found, Found::Violation { failing: 0 });
        // An empty history is linearizable.
        assert_eq!(search(&mut m, &items(&[]), 0).found, Found::Linearizable);
    }

    #[test]
    fn the_budget_is_respected() {
        let mut m = Register::new(Some(0));
        // Many concurrent writes and a final impossible read: exponential without the cache,
        // and still more than a handful of steps with it.
        let mut ops: Vec<(u64, Option<u64>, RegisterOp)> = (0..12).map(|i| (i, Some(100), w(i as i64))).collect();
        ops.push((200, Some(201), r(99)));
        let s = search(&mut m, &items(&ops), 50);
        assert_eq!(s.found, Found::OutOfBudget);
        assert!(s.steps <= 51);
        let s = search(&mut m, &items(&ops), u64::MAX);
        assert_eq!(s.found, Found::Violation { failing: 12 });
    }

    #[test]
    fn agrees_with_plain_wing_and_gong_on_random_tiny_histories() {
        let mut rng = crate::rng::SimRng::new(7);
        for case in 0..20000 {
            let n = 1 + rng.below(7) as usize;
            let ops: Vec<(u64, Option<u64>, RegisterOp)> = (0..n)
                .map(|_| {
                    let call = rng.below(20);
                    let ret = (rng.below(5) != 0).then(|| call + rng.below(10));
                    let v = rng.below(3) as i64;
                    let op = match rng.below(4) {
                        0 | 1 => r(v),
                        2 => w(v),
                        _ => {
                            RegisterOp::Cas { from: Some(v), to: Some(rng.below(3) as i64), swapped: rng.below(3) != 0 }
                        }
                    };
                    (call, ret, op)
                })
                .collect();
            let it = items(&ops);
            let mut m = Register::new(Some(0));
            let expected = brute(&mut m, &it, &mut vec![false; n], Some(0));
            let got = search(&mut m, &it, u64::MAX).found;
            assert_eq!(got == Found::Linearizable, expected, "case {case}: {ops:?} gave {got:?}");
            if let Found::Violation { failing } = got {
                // The failing operation's return ends the shortest prefix that is not
                // linearizable: cut there it fails, cut at the return before it passes.
                let order = entries(&it);
                let cut = order.iter().position(|&(_, k, i)| k == 1 && i as usize == failing).unwrap();
                let prefix = |end: usize| -> Vec<Item<'_, RegisterOp>> {
                    let pos = |i: usize, kind: u8| order.iter().position(|&(_, k, j)| k == kind && j as usize == i);
                    (0..n)
                        .filter(|&i| pos(i, 0).unwrap() < end)
                        .map(|i| Item {
                            ret: if pos(i, 1).is_some_and(|p| p <= end) { it[i].ret } else { None },
                            ..it[i]
                        })
                        .collect()
                };
                let bad = prefix(cut);
                assert!(!brute(&mut m, &bad, &mut vec![false; bad.len()], Some(0)), "case {case}: {ops:?}");
                if let Some(before) = order[..cut].iter().rposition(|&(_, k, _)| k == 1) {
                    let good = prefix(before);
                    assert!(brute(&mut m, &good, &mut vec![false; good.len()], Some(0)), "case {case}: {ops:?}");
                }
            }
        }
    }

    #[test]
    fn agrees_with_plain_wing_and_gong_on_random_tiny_kv_histories() {
        // Exercises the pruning of out-of-reach gets, with puts that can reset the string.
        let mut rng = crate::rng::SimRng::new(11);
        let pieces = ["a", "b", "ab", "c"];
        let mut decided = [0usize; 2];
        for case in 0..20000 {
            let mut m = KvAppend::new();
            let n = 1 + rng.below(7) as usize;
            let ops: Vec<(u64, Option<u64>, KvOp)> = (0..n)
                .map(|_| {
                    let call = rng.below(20);
                    let ret = (rng.below(6) != 0).then(|| call + rng.below(10));
                    let kind = match rng.below(5) {
                        0 | 1 => KvKind::Get,
                        2 | 3 => KvKind::Append,
                        _ => KvKind::Put,
                    };
                    let value: String = match kind {
                        KvKind::Get => (0..rng.below(3)).map(|_| pieces[rng.below(4) as usize]).collect(),
                        _ => pieces[rng.below(4) as usize].to_string(),
                    };
                    (call, ret, m.op("k", kind, &value))
                })
                .collect();
            let it: Vec<Item<'_, KvOp>> = ops.iter().map(|(c, r, op)| Item { call: *c, ret: *r, op }).collect();
            let init = m.init();
            let expected = brute(&mut m, &it, &mut vec![false; n], init);
            let got = search(&mut m, &it, u64::MAX).found;
            assert_eq!(got == Found::Linearizable, expected, "case {case}: {ops:?} gave {got:?}");
            decided[expected as usize] += 1;
        }
        assert!(decided[0] > 1000 && decided[1] > 1000, "both verdicts are exercised: {decided:?}");
    }
}
