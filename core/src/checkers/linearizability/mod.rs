//! `not_linearizable`: no order of the operations both respects real time and explains every
//! result by a single copy of the object.
//!
//! # What is checked
//!
//! A history is a set of operations, each with a call time, a return time and an observed
//! outcome. It is *linearizable* with respect to a sequential specification (a [`Model`]) when
//! every operation can be given a linearization point between its call and its return such
//! that executing the operations one by one in the order of their points, from the model's
//! initial state, produces exactly the observed outcomes. Operations with an *unknown outcome*
//! (a timeout, a crashed client: Jepsen's `:info`) may take effect at any point after their
//! call, or never. Failed operations never took effect and are left out before checking.
//!
//! Models: a compare-and-set [`register`] (also a plain read/write register), a key-value map
//! with put and append checked key by key ([`kv`]), registers updated by atomic transactions
//! ([`multi_register`]) and a [`mutex`]. [`jepsen`] reads each of them from Jepsen-style event
//! histories; [`history`] checks the simulator's own history, one register per key.
//!
//! # How
//!
//! Deciding linearizability is NP-complete. The checker is an exhaustive search, made fast by
//! the reductions below and bounded by a step budget.
//!
//! 1. **P-compositionality.** Linearizability is local: a history of a map is linearizable
//!    exactly when the history of each key is. [`check`] splits the history with a partition
//!    function and searches each part alone (Horn & Kroening, *Faster linearizability checking
//!    via P-compositionality*, 2015).
//! 2. **Wing & Gong's search.** Calls and returns form one list in time order. The candidates
//!    of a configuration are the operations called before the first return still in the list;
//!    one is linearized if the model allows it from the current state, lifted out of the list
//!    with its return, and the search goes on. No legal candidate left: backtrack. Candidates
//!    are tried earliest deadline first (the one that must return first), which finds
//!    linearizations of valid histories with little backtracking. An unknown-outcome operation
//!    has no return entry, so it stays a candidate until it is used or the end; the search
//!    succeeds once every operation that returned is linearized.
//! 3. **Lowe's cache, with dominance.** A configuration is the set of linearized operations and
//!    the model state. Two paths that reach the same configuration have the same future, so
//!    each is explored once (Lowe, *Testing for linearizability*, 2017; Porcupine's cache). A
//!    configuration that has used up more unknown-outcome operations than an explored one, with
//!    everything else equal, can do nothing the explored one could not, so it is skipped too.
//! 4. **Reads first.** If a candidate that never changes the state (a read, a refused
//!    compare-and-set) is legal now, it is linearized now without trying alternatives: moving
//!    it earlier in any linearization keeps that linearization valid, since it is already
//!    called, nothing still waiting returned before its call, and it changes nothing.
//! 5. **Out-of-reach reads.** Models with operations that only move the state forward (appends
//!    extend a string) say when a pending read can no longer become legal
//!    ([`Model::unreachable`]); unless an operation that resets the state (a put) could still
//!    come first, the configuration is abandoned at once instead of when the read returns.
//! 6. **Local violations.** When the exhaustive search does not decide quickly, the checker
//!    looks at short windows of the history on their own: the operations that end inside a
//!    window, starting in *any* state, with those running across its start given unknown
//!    outcomes. Such a window is more permissive than the full history at that point (see
//!    `window.rs`), so if it cannot be linearized, neither can the history. Stale reads in long
//!    histories of many clients are found this way in a few steps instead of after exploring
//!    every interleaving before them.
//!
//! 7. **Unobserved unknowns.** An operation with an unknown outcome whose effect no other
//!    operation observed (a write of a value nobody read) can be taken never to have happened
//!    ([`Model::unobserved`]); it is left out before searching. Otherwise every timed-out
//!    write stays a candidate to the end of the history.
//! 8. **Impossible values.** A completed read of a value that nothing could have produced
//!    ([`Model::impossible`]) is a violation by itself, found in linear time.
//!
//! **Two paths.** The report path (the default [`CheckConfig`]) checks every partition and
//! gives each violation its shortest failing prefix where it can, and a minimal window. The
//! verdict-only path ([`CheckConfig::verdict`], what `replicalab check` does unless `--all`)
//! checks the smallest partitions first and stops at the first that is not linearizable; in
//! each it tries impossible values, then a short search, then a quick local scan (narrow windows
//! everywhere first), then the usual steps. The verdict is the same on both paths.
//!
//! **Memory** is bounded whatever the history: the cache of explored configurations stops
//! recording past 32 MB (it only saves time), and a model that interns
//! states says when its tables are full ([`Model::saturated`]), which ends that search as if
//! out of budget.
//!
//! When no linearization exists, the exhaustive search also knows the *failing operation*: the
//! one whose return ends the shortest prefix of the history that cannot be linearized (the
//! furthest return any branch reached unlinearized; Knossos's `:op`). The window module then shrinks
//! the violation to a *window*: a stretch of the history, as late as possible, whose operations
//! cannot be ordered whatever the state before it (or, if the violation needs it, from the
//! initial state) and even if every other operation's outcome were unknown; and from which no
//! operation can be dropped.
//!
//! # Budget
//!
//! [`CheckConfig::step_budget`] caps the model steps of one partition's search. A search that
//! runs out reports [`PartitionOutcome::BudgetExceeded`] and the verdict becomes
//! [`Verdict::Unknown`] unless another partition proved a violation: the checker never hangs
//! and never guesses. Everything is deterministic: no clock, no randomness, and no iteration
//! over hash tables reaches a result.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod cache;
pub mod file;
pub mod history;
pub mod jepsen;
pub mod kv;
mod model;
pub mod monitor;
pub mod multi_register;
pub mod mutex;
pub mod register;
mod search;
mod window;

pub use history::{check_history, check_history_with};
pub use model::{Model, TimedOp};

use search::{search, Found, Item};

/// Limits of a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckConfig {
    /// Most model steps the exhaustive search of one partition may take before it gives up
    /// (the local scan and the shrinking of windows have budgets of their own).
    pub step_budget: u64,
    /// Shrink each violation to a minimal window (a few more searches of a prefix).
    pub minimize: bool,
    /// Most model steps one shrinking search may take.
    pub window_trial_budget: u64,
    /// Most model steps all shrinking searches of one violation may take together (also the
    /// limit of the local scan).
    pub window_budget: u64,
    /// Width, in operations, of the windows the local scan tries when the exhaustive search
    /// does not decide quickly; 0 turns the scan off.
    pub local_width: usize,
    /// The verdict-only path: stop at the first partition that is not linearizable (the
    /// others are reported [`PartitionOutcome::NotChecked`]), check the smallest partitions
    /// first, and look for a read of a value nothing could have written before any search.
    /// Off: every partition is checked and each violation gets its own window (report mode).
    #[serde(default)]
    pub stop_at_first: bool,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            step_budget: 10_000_000,
            minimize: true,
            window_trial_budget: 200_000,
            window_budget: 5_000_000,
            local_width: 32,
            stop_at_first: false,
        }
    }
}

impl CheckConfig {
    /// The verdict-only path ([`CheckConfig::stop_at_first`]), with the violation it finds
    /// still shrunk to a minimal window.
    pub fn verdict() -> Self {
        CheckConfig { stop_at_first: true, ..CheckConfig::default() }
    }
}

/// The overall answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Linearizable,
    NotLinearizable,
    /// No violation was found, but some partition ran out of budget before it was decided.
    Unknown,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable => "not_linearizable",
            Verdict::Unknown => "unknown",
        }
    }
}

/// A proof that a partition is not linearizable. Operations are indices into the slice given
/// to [`check`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The operation whose return ends the window: the history up to its return cannot be
    /// linearized.
    pub failing_op: usize,
    /// True when no shorter prefix fails: the search decided the partition exhaustively and
    /// `failing_op` is the first operation that could not be linearized (Knossos's `:op`).
    /// False when the violation was found by the local scan, without exploring everything
    /// before it: an earlier prefix may fail too.
    pub shortest_prefix: bool,
    /// Operations that cannot be ordered even if every other operation's outcome were unknown,
    /// in call order; the failing operation is one of them.
    pub window: Vec<usize>,
    /// True when relaxing any one operation of the window removes the violation. False when
    /// shrinking was switched off or ran out of budget: the window is then larger than needed,
    /// but still cannot be ordered.
    pub window_minimal: bool,
    /// True when the window cannot be ordered only from the object's initial state. False
    /// when it cannot be ordered whatever the state before its first operation.
    pub from_start: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionOutcome {
    Linearizable,
    NotLinearizable(Violation),
    BudgetExceeded,
    /// Not searched: another partition already proved the history not linearizable
    /// ([`CheckConfig::stop_at_first`]).
    NotChecked,
}

/// The result for one partition (one key, or the whole history).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionReport<K> {
    pub key: K,
    /// Operations in the partition.
    pub ops: usize,
    /// Model steps taken by its search (and by shrinking its violation).
    pub steps: u64,
    pub outcome: PartitionOutcome,
}

/// The result of a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report<K> {
    pub verdict: Verdict,
    /// In key order.
    pub partitions: Vec<PartitionReport<K>>,
}

impl<K> Report<K> {
    pub fn is_linearizable(&self) -> bool {
        self.verdict == Verdict::Linearizable
    }

    /// Every violation found, with its partition's key.
    pub fn violations(&self) -> impl Iterator<Item = (&K, &Violation)> {
        self.partitions.iter().filter_map(|p| match &p.outcome {
            PartitionOutcome::NotLinearizable(v) => Some((&p.key, v)),
            _ => None,
        })
    }

    /// Model steps taken over all partitions.
    pub fn steps(&self) -> u64 {
        self.partitions.iter().map(|p| p.steps).sum()
    }
}

/// Checks a history, one partition at a time. `partition` gives each operation's key; use a
/// constant when the object cannot be split (see [`check_whole`]).
pub fn check<M: Model, K: Ord + Clone>(
    model: &mut M,
    ops: &[TimedOp<M::Op>],
    partition: impl Fn(&M::Op) -> K,
    config: &CheckConfig,
) -> Report<K> {
    let mut parts: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        parts.entry(partition(&op.op)).or_default().push(i);
    }
    let parts: Vec<(K, Vec<usize>)> = parts.into_iter().collect();
    // Smallest first when one violation is enough: cheap keys decide most bad histories.
    let mut order: Vec<usize> = (0..parts.len()).collect();
    if config.stop_at_first {
        crate::sort::sort_by_key(&mut order, |&p| parts[p].1.len());
    }
    let mut outcomes: Vec<(PartitionOutcome, u64)> = vec![(PartitionOutcome::NotChecked, 0); parts.len()];
    for p in order {
        let members = &parts[p].1;
        let items: Vec<Item<'_, M::Op>> =
            members.iter().map(|&i| Item { call: ops[i].call, ret: ops[i].ret, op: &ops[i].op }).collect();
        let (outcome, steps) = check_partition(model, &items, config);
        let outcome = match outcome {
            PartitionOutcome::NotLinearizable(v) => PartitionOutcome::NotLinearizable(Violation {
                failing_op: members[v.failing_op],
                window: v.window.into_iter().map(|j| members[j]).collect(),
                ..v
            }),
            other => other,
        };
        let stop = config.stop_at_first && matches!(outcome, PartitionOutcome::NotLinearizable(_));
        outcomes[p] = (outcome, steps);
        if stop {
            break;
        }
    }
    let partitions: Vec<PartitionReport<K>> = parts
        .into_iter()
        .zip(outcomes)
        .map(|((key, members), (outcome, steps))| PartitionReport { key, ops: members.len(), steps, outcome })
        .collect();
    let verdict = if partitions.iter().any(|p| matches!(p.outcome, PartitionOutcome::NotLinearizable(_))) {
        Verdict::NotLinearizable
    } else if partitions.iter().any(|p| p.outcome == PartitionOutcome::BudgetExceeded) {
        Verdict::Unknown
    } else {
        Verdict::Linearizable
    };
    Report { verdict, partitions }
}

/// Model steps the exhaustive search gets before the local scan is tried.
const FIRST_PASS: u64 = 100_000;
/// Model steps for one window of the local scan.
const LOCAL_TRIAL: u64 = 10_000;

/// One partition. Unknown-outcome operations whose effect nobody observed are left out
/// ([`Model::unobserved`]); then, on the verdict-only path, a read of a value nothing could
/// have written decides at once ([`Model::impossible`]). Otherwise: a short exhaustive search;
/// if undecided, the impossible-value check (report mode), then a scan for a local violation;
/// if none, the exhaustive search with the whole budget. Operation indices are the
/// partition's.
fn check_partition<M: Model>(
    model: &mut M,
    items: &[Item<'_, M::Op>],
    config: &CheckConfig,
) -> (PartitionOutcome, u64) {
    let unknown: Vec<bool> = items.iter().map(|it| it.ret.is_none()).collect();
    let refs: Vec<&M::Op> = items.iter().map(|it| it.op).collect();
    let drop = model.unobserved(&refs, &unknown);
    let kept: Vec<usize> = (0..items.len()).filter(|&i| !drop[i]).collect();
    let (outcome, steps) = if kept.len() == items.len() {
        decide(model, items, config)
    } else {
        let fewer: Vec<Item<'_, M::Op>> = kept.iter().map(|&i| items[i]).collect();
        decide(model, &fewer, config)
    };
    let outcome = match outcome {
        PartitionOutcome::NotLinearizable(v) if kept.len() != items.len() => {
            PartitionOutcome::NotLinearizable(Violation {
                failing_op: kept[v.failing_op],
                window: v.window.into_iter().map(|j| kept[j]).collect(),
                ..v
            })
        }
        other => other,
    };
    (outcome, steps)
}

/// A completed operation that nothing could have made legal, the earliest to return, as a
/// violation on its own: from the initial state, whatever the other operations did.
fn impossible_op<M: Model>(model: &mut M, items: &[Item<'_, M::Op>]) -> Option<Violation> {
    let unknown: Vec<bool> = items.iter().map(|it| it.ret.is_none()).collect();
    let refs: Vec<&M::Op> = items.iter().map(|it| it.op).collect();
    let failing = model.impossible(&refs, &unknown).into_iter().min_by_key(|&i| (items[i].ret, items[i].call, i))?;
    Some(Violation {
        failing_op: failing,
        shortest_prefix: false,
        window: vec![failing],
        window_minimal: true,
        from_start: true,
    })
}

fn decide<M: Model>(model: &mut M, items: &[Item<'_, M::Op>], config: &CheckConfig) -> (PartitionOutcome, u64) {
    let mut steps = 0u64;
    // The verdict-only path's short search, when it was as long as a first pass: not repeated.
    let mut reuse = None;
    if config.stop_at_first {
        if let Some(v) = impossible_op(model, items) {
            return (PartitionOutcome::NotLinearizable(v), 0);
        }
        // A hard key reaches the local scan sooner: most violations in long histories are
        // local and found in a few hundred steps, where the exhaustive search could take its
        // whole first pass. The short search scales with the key (a valid history needs a few
        // steps per operation), and the quick scan's budget is small, so a hard valid key
        // loses little.
        let quick_budget = config.step_budget.min(quick_pass(items.len()));
        let quick = search(model, items, quick_budget);
        steps += quick.steps;
        if quick.found != Found::OutOfBudget {
            return finish(model, items, quick, steps, config);
        }
        if config.local_width > 0 {
            let (found, more) = local(model, items, config, QUICK_TRIAL, QUICK_SCAN.min(config.window_budget));
            steps += more;
            if let Some(v) = found {
                return (PartitionOutcome::NotLinearizable(v), steps);
            }
        }
        if quick_budget >= FIRST_PASS {
            reuse = Some(quick);
        }
    }
    let first = match reuse {
        Some(q) => q,
        None => {
            let f = search(model, items, config.step_budget.saturating_sub(steps).min(FIRST_PASS));
            steps += f.steps;
            f
        }
    };
    let mut searched = first;
    if first.found == Found::OutOfBudget {
        if !config.stop_at_first {
            if let Some(v) = impossible_op(model, items) {
                return (PartitionOutcome::NotLinearizable(v), steps);
            }
        }
        if config.local_width > 0 {
            let (found, more) = local(model, items, config, LOCAL_TRIAL, config.window_budget);
            steps += more;
            if let Some(v) = found {
                return (PartitionOutcome::NotLinearizable(v), steps);
            }
        }
        if config.step_budget > first.steps {
            searched = search(model, items, config.step_budget - first.steps);
            steps += searched.steps;
        }
    }
    finish(model, items, searched, steps, config)
}

/// Steps of the verdict-only path's short exhaustive search: 20 per operation, at least
/// 10,000 and at most a first pass.
fn quick_pass(ops: usize) -> u64 {
    (ops as u64).saturating_mul(20).clamp(10_000, FIRST_PASS)
}

/// Steps of the verdict-only path's quick local scan, in all and per window.
const QUICK_SCAN: u64 = 5_000;
const QUICK_TRIAL: u64 = 1_000;

/// The local scan ([`window::local_violation`]) with these budgets, and the shrinking of what
/// it finds: the violation, if any, and the steps taken.
fn local<M: Model>(
    model: &mut M,
    items: &[Item<'_, M::Op>],
    config: &CheckConfig,
    trial: u64,
    total: u64,
) -> (Option<Violation>, u64) {
    let (found, mut steps) = window::local_violation(model, items, config.local_width, trial, total);
    let Some((failing, start)) = found else { return (None, steps) };
    let v = violation(model, items, failing, Some(start), false, &mut steps, config);
    (Some(v), steps)
}

/// The violation that ends at `failing`'s return, with its window: shrunk when the
/// configuration says so, from `known_start` (an index in call order) when a window from there
/// is known to fail, otherwise from the whole prefix.
fn violation<M: Model>(
    model: &mut M,
    items: &[Item<'_, M::Op>],
    failing: usize,
    known_start: Option<usize>,
    shortest_prefix: bool,
    steps: &mut u64,
    config: &CheckConfig,
) -> Violation {
    let (window, window_minimal, from_start) = if config.minimize {
        let w = window::shrink(model, items, failing, known_start, config.window_trial_budget, config.window_budget);
        *steps += w.steps;
        (w.ops, w.minimal, w.from_start)
    } else {
        let start = known_start.unwrap_or(0);
        (window::unshrunk(items, failing, start), false, start == 0)
    };
    Violation { failing_op: failing, shortest_prefix, window, window_minimal, from_start }
}

/// The outcome of an exhaustive search, with a violation's exact failing operation and window.
fn finish<M: Model>(
    model: &mut M,
    items: &[Item<'_, M::Op>],
    searched: search::Searched,
    mut steps: u64,
    config: &CheckConfig,
) -> (PartitionOutcome, u64) {
    let outcome = match searched.found {
        Found::Linearizable => PartitionOutcome::Linearizable,
        Found::OutOfBudget => PartitionOutcome::BudgetExceeded,
        Found::Violation { failing } => {
            let failing = if searched.exact_failing {
                failing
            } else {
                let (exact, more) = window::first_failing(model, items, failing, config.step_budget);
                steps += more;
                exact
            };
            PartitionOutcome::NotLinearizable(violation(model, items, failing, None, true, &mut steps, config))
        }
    };
    (outcome, steps)
}

/// Checks a history as one object, without splitting it.
pub fn check_whole<M: Model>(model: &mut M, ops: &[TimedOp<M::Op>], config: &CheckConfig) -> Report<()> {
    check(model, ops, |_| (), config)
}

#[cfg(test)]
mod tests {
    use super::kv::{KvAppend, KvKind, KvOp};
    use super::register::{Register, RegisterOp};
    use super::*;

    #[test]
    fn keys_are_checked_separately_and_reported_in_order() {
        let mut m = KvAppend::new();
        let ops = vec![
            TimedOp::done(0, 1, m.op("b", KvKind::Append, "x")),
            TimedOp::done(2, 3, m.op("b", KvKind::Get, "y")),
            TimedOp::done(0, 1, m.op("a", KvKind::Put, "1")),
            TimedOp::done(2, 3, m.op("a", KvKind::Get, "1")),
        ];
        let report = check(&mut m, &ops, |op| op.key.clone(), &CheckConfig::default());
        assert_eq!(report.verdict, Verdict::NotLinearizable);
        let keys: Vec<&str> = report.partitions.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, vec!["a", "b"]);
        assert_eq!(report.partitions[0].outcome, PartitionOutcome::Linearizable);
        let v: Vec<_> = report.violations().collect();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, "b");
        assert_eq!(
            v[0].1,
            &Violation {
                failing_op: 1,
                shortest_prefix: true,
                window: vec![1],
                window_minimal: true,
                from_start: true
            }
        );
    }

    #[test]
    fn budget_exhaustion_is_unknown_not_a_guess() {
        let mut m = Register::new(Some(0));
        let mut ops: Vec<TimedOp<RegisterOp>> =
            (0..10).map(|i| TimedOp::done(10 + i, 100, RegisterOp::Write { value: Some(i as i64) })).collect();
        ops.push(TimedOp::done(200, 201, RegisterOp::Read { value: Some(42) }));
        // Somebody did write 42, before all the others: no impossible value to spot.
        ops.push(TimedOp::done(0, 1, RegisterOp::Write { value: Some(42) }));
        let tight = CheckConfig { step_budget: 5, local_width: 0, ..CheckConfig::default() };
        let report = check_whole(&mut m, &ops, &tight);
        assert_eq!(report.verdict, Verdict::Unknown);
        assert_eq!(report.partitions[0].outcome, PartitionOutcome::BudgetExceeded);
        // The local scan finds the violation without the exhaustive search.
        let local = CheckConfig { step_budget: 5, ..CheckConfig::default() };
        let report = check_whole(&mut m, &ops, &local);
        let (_, v) = report.violations().next().unwrap();
        assert_eq!((v.failing_op, v.shortest_prefix, v.window.clone()), (10, false, vec![9, 10]));
        let report = check_whole(&mut m, &ops, &CheckConfig::default());
        assert_eq!(report.verdict, Verdict::NotLinearizable);
        let (_, v) = report.violations().next().unwrap();
        // Whatever the register held: the write of 9 finished, and nobody wrote 42 after it.
        assert_eq!((v.failing_op, v.window.clone(), v.from_start), (10, vec![9, 10], false));
    }

    #[test]
    fn no_minimizing_reports_the_failing_op() {
        let mut m = Register::new(Some(0));
        let ops = vec![
            TimedOp::done(0, 100, RegisterOp::Write { value: Some(200) }),
            TimedOp::done(10, 30, RegisterOp::Read { value: Some(200) }),
            TimedOp::done(40, 90, RegisterOp::Read { value: Some(0) }),
        ];
        let config = CheckConfig { minimize: false, ..CheckConfig::default() };
        let report = check_whole(&mut m, &ops, &config);
        let (_, v) = report.violations().next().unwrap();
        assert_eq!(
            v,
            &Violation {
                failing_op: 2,
                shortest_prefix: true,
                window: vec![1, 2],
                window_minimal: false,
                from_start: true
            }
        );
        let report = check_whole(&mut m, &ops, &CheckConfig::default());
        let (_, v) = report.violations().next().unwrap();
        assert_eq!(
            v,
            &Violation {
                failing_op: 2,
                shortest_prefix: true,
                window: vec![1, 2],
                window_minimal: true,
                from_start: false
            }
        );
    }

    /// Checks what a reported window claims, by brute force: with every other operation of
    /// the failing prefix relaxed (and, unless the window starts at the beginning, from any
    /// state, forgetting what returned before it), the window cannot be linearized; relaxing
    /// any one more of its operations makes it linearizable.
    #[test]
    fn windows_are_violations_and_one_minimal_on_random_tiny_histories() {
        use super::search::{brute, entries, Item};
        let mut rng = crate::rng::SimRng::new(5);
        let mut checked = 0;
        for case in 0..4000 {
            let n = 2 + rng.below(7) as usize;
            let ops: Vec<TimedOp<RegisterOp>> = (0..n)
                .map(|_| {
                    let call = rng.below(20);
                    let ret = (rng.below(5) != 0).then(|| call + rng.below(8));
                    let v = Some(rng.below(3) as i64);
                    let op = match rng.below(5) {
                        0 | 1 => RegisterOp::Read { value: v },
                        2 | 3 => RegisterOp::Write { value: v },
                        _ => RegisterOp::Cas { from: v, to: Some(rng.below(3) as i64), swapped: true },
                    };
                    TimedOp { call, ret, op }
                })
                .collect();
            let mut m = Register::new(None);
            let report = check_whole(&mut m, &ops, &CheckConfig::default());
            let Some((_, v)) = report.violations().next() else { continue };
            checked += 1;
            assert!(v.window_minimal && v.shortest_prefix, "case {case}");
            assert!(v.window.contains(&v.failing_op), "case {case}");
            let items: Vec<Item<'_, RegisterOp>> =
                ops.iter().map(|o| Item { call: o.call, ret: o.ret, op: &o.op }).collect();
            let order = entries(&items);
            let pos = |i: usize, kind: u8| order.iter().position(|&(_, k, j)| k == kind && j as usize == i);
            let ro: Vec<bool> = ops.iter().map(|o| m.is_read_only(&o.op)).collect();
            let cut = pos(v.failing_op, 1).unwrap();
            let t = v.window.iter().map(|&i| pos(i, 0).unwrap()).min().unwrap();
            // The window's claim with the operations in `keep` left as they are.
            let claim = |keep: &[usize]| -> Vec<Item<'_, RegisterOp>> {
                (0..n)
                    .filter(|&i| pos(i, 0).unwrap() < cut)
                    .filter(|&i| v.from_start || pos(i, 1).is_none_or(|r| r >= t))
                    .filter_map(|i| {
                        let done = pos(i, 1).is_some_and(|r| r <= cut);
                        match (keep.contains(&i) && done, ro[i]) {
                            (true, _) => Some(items[i]),
                            (false, true) => None,
                            (false, false) => Some(Item { ret: None, ..items[i] }),
                        }
                    })
                    .collect()
            };
            let inits: Vec<Option<i64>> =
                if v.from_start { vec![None] } else { vec![None, Some(0), Some(1), Some(2), Some(3)] };
            let linearizable = |it: &[Item<'_, RegisterOp>], m: &mut Register| {
                inits.iter().any(|&s| brute(m, it, &mut vec![false; it.len()], s))
            };
            assert!(!linearizable(&claim(&v.window), &mut m), "case {case}: {ops:?} window {v:?}");
            for &w in &v.window {
                let fewer: Vec<usize> = v.window.iter().copied().filter(|&i| i != w).collect();
                if w != v.failing_op {
                    assert!(linearizable(&claim(&fewer), &mut m), "case {case}: {ops:?} window {v:?} without {w}");
                }
            }
        }
        assert!(checked > 500, "only {checked} violations");
    }

    /// The verdict-only path and report mode agree with a brute-force search on random tiny
    /// histories full of unknown outcomes, refused compare-and-sets and reads of values that
    /// nobody wrote: leaving out unobserved unknown writes, the impossible-value check and
    /// stopping at the first key never change a verdict.
    #[test]
    fn both_paths_agree_with_brute_force_on_random_tiny_histories() {
        use super::search::{brute, Item};
        let mut rng = crate::rng::SimRng::new(15);
        let (mut bad, mut cases) = (0, 0);
        let check_paths = |cases: &mut i32,
                           bad: &mut i32,
                           expected: bool,
                           report: Report<String>,
                           verdict: Report<String>,
                           what: &str| {
            *cases += 1;
            let want = if expected { Verdict::Linearizable } else { Verdict::NotLinearizable };
            *bad += (!expected) as i32;
            assert_eq!(report.verdict, want, "{what}: report mode");
            assert_eq!(verdict.verdict, want, "{what}: verdict only");
            if !expected {
                let checked = verdict.partitions.iter().filter(|p| p.outcome != PartitionOutcome::NotChecked).count();
                let violating = verdict.violations().count();
                assert_eq!(violating, 1, "{what}: stops at the first violation");
                assert!(checked >= 1);
            }
        };
        for case in 0..3000 {
            // Registers under several keys.
            let n = 2 + rng.below(7) as usize;
            let ops: Vec<TimedOp<(String, RegisterOp)>> = (0..n)
                .map(|_| {
                    let call = rng.below(20);
                    let ret = (rng.below(4) != 0).then(|| call + rng.below(8));
                    let v = Some(rng.below(4) as i64);
                    let op = match rng.below(6) {
                        0 | 1 => RegisterOp::Read { value: v },
                        2 | 3 => RegisterOp::Write { value: v },
                        4 => RegisterOp::Cas { from: v, to: Some(rng.below(4) as i64), swapped: true },
                        _ => RegisterOp::Cas { from: v, to: Some(rng.below(4) as i64), swapped: rng.below(2) == 0 },
                    };
                    TimedOp { call, ret, op: (format!("k{}", rng.below(2)), op) }
                })
                .collect();
            let mut expected = true;
            for key in ["k0", "k1"] {
                let part: Vec<&TimedOp<(String, RegisterOp)>> = ops.iter().filter(|o| o.op.0 == key).collect();
                let items: Vec<Item<'_, RegisterOp>> =
                    part.iter().map(|o| Item { call: o.call, ret: o.ret, op: &o.op.1 }).collect();
                let mut m = Register::new(None);
                expected &= brute(&mut m, &items, &mut vec![false; items.len()], None);
            }
            let plain: Vec<TimedOp<RegisterOp>> =
                ops.iter().map(|o| TimedOp { call: o.call, ret: o.ret, op: o.op.1 }).collect();
            let key = |i: usize| ops[i].op.0.clone();
            // Partition by key through the operation's position.
            let indexed: Vec<TimedOp<(usize, RegisterOp)>> =
                plain.iter().enumerate().map(|(i, o)| TimedOp { call: o.call, ret: o.ret, op: (i, o.op) }).collect();
            struct ByKey(Register);
            impl Model for ByKey {
                type Op = (usize, RegisterOp);
                type State = Option<i64>;
                fn init(&mut self) -> Option<i64> {
                    self.0.init()
                }
                fn step(&mut self, s: Option<i64>, op: &(usize, RegisterOp)) -> Option<Option<i64>> {
                    self.0.step(s, &op.1)
                }
                fn is_read_only(&self, op: &(usize, RegisterOp)) -> bool {
                    self.0.is_read_only(&op.1)
                }
                fn describe(&self, op: &(usize, RegisterOp)) -> String {
                    self.0.describe(&op.1)
                }
                fn any_state(&mut self, ops: &[&(usize, RegisterOp)]) -> Option<Vec<Option<i64>>> {
                    let inner: Vec<&RegisterOp> = ops.iter().map(|o| &o.1).collect();
                    self.0.any_state(&inner)
                }
                fn unobserved(&mut self, ops: &[&(usize, RegisterOp)], unknown: &[bool]) -> Vec<bool> {
                    let inner: Vec<&RegisterOp> = ops.iter().map(|o| &o.1).collect();
                    self.0.unobserved(&inner, unknown)
                }
                fn impossible(&mut self, ops: &[&(usize, RegisterOp)], unknown: &[bool]) -> Vec<usize> {
                    let inner: Vec<&RegisterOp> = ops.iter().map(|o| &o.1).collect();
                    self.0.impossible(&inner, unknown)
                }
            }
            let mut m = ByKey(Register::new(None));
            let report = check(&mut m, &indexed, |o| key(o.0), &CheckConfig::default());
            let verdict = check(&mut m, &indexed, |o| key(o.0), &CheckConfig::verdict());
            check_paths(&mut cases, &mut bad, expected, report, verdict, &format!("register case {case}: {ops:?}"));

            // Key-value with appends, puts and gets of plausible and implausible strings.
            let mut kv = KvAppend::new();
            let n = 2 + rng.below(6) as usize;
            let results = ["", "a", "ab", "ba", "p", "pa", "pab", "b", "z"];
            let ops: Vec<TimedOp<KvOp>> = (0..n)
                .map(|_| {
                    let call = rng.below(20);
                    let ret = (rng.below(4) != 0).then(|| call + rng.below(8));
                    let key = format!("k{}", rng.below(2));
                    let op = match rng.below(5) {
                        0 | 1 => kv.op(key, KvKind::Get, results[rng.below(results.len() as u64) as usize]),
                        2 => kv.op(key, KvKind::Append, "a"),
                        3 => kv.op(key, KvKind::Append, "b"),
                        _ => kv.op(key, KvKind::Put, "p"),
                    };
                    TimedOp { call, ret, op }
                })
                .collect();
            let mut expected = true;
            for key in ["k0", "k1"] {
                let items: Vec<Item<'_, KvOp>> = ops
                    .iter()
                    .filter(|o| o.op.key == key)
                    .map(|o| Item { call: o.call, ret: o.ret, op: &o.op })
                    .collect();
                let init = kv.init();
                expected &= brute(&mut kv, &items, &mut vec![false; items.len()], init);
            }
            let report = check(&mut kv, &ops, |o: &KvOp| o.key.clone(), &CheckConfig::default());
            let verdict = check(&mut kv, &ops, |o: &KvOp| o.key.clone(), &CheckConfig::verdict());
            let shown: Vec<String> =
                ops.iter().map(|o| format!("{:?} {}", (o.call, o.ret), kv.describe(&o.op))).collect();
            check_paths(&mut cases, &mut bad, expected, report, verdict, &format!("kv case {case}: {shown:?}"));
        }
        assert!(bad > cases / 10 && bad < cases * 9 / 10, "{bad} of {cases} not linearizable");
    }
}
