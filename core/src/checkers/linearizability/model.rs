//! What the checker needs to know about an object: a sequential specification.

use std::hash::Hash;

/// A sequential specification: the object's initial state and what each operation, with the
/// outcome that was observed, does to a state.
///
/// States must be small and cheap to copy, because the search stores one per visited
/// configuration; objects with big states (strings, maps) intern them and hand out ids.
/// `&mut self` is there for that interning, and must not change the specification.
pub trait Model {
    /// One operation together with its observed outcome (a read carries the value it returned).
    type Op;
    type State: Copy + Eq + Hash;

    /// The state before any operation.
    fn init(&mut self) -> Self::State;

    /// The state after `op` in `state`, or `None` when `op` could not have happened there with
    /// the outcome it had (a read of a value the object does not hold).
    fn step(&mut self, state: Self::State, op: &Self::Op) -> Option<Self::State>;

    /// True when `op` never changes the state: whenever `step` returns `Some`, it returns the
    /// state it was given. Reads are; the search linearizes such operations as soon as they
    /// are legal, without branching.
    fn is_read_only(&self, op: &Self::Op) -> bool;

    /// A short human description of the operation and its outcome, for reports.
    fn describe(&self, op: &Self::Op) -> String;

    /// True when `op` only moves the state forward, in the order that
    /// [`Model::unreachable`] reasons about (an append extends a string). Default: false.
    fn is_monotone(&self, op: &Self::Op) -> bool {
        let _ = op;
        false
    }

    /// True when the read-only `op` is illegal in every state that monotone operations can
    /// reach from `state` (a get of `"ab"` when the string is already `"ac"`). The search then
    /// abandons a configuration as soon as such a read is pending and nothing else can reset
    /// the state before the read must return. Default: false (cannot tell).
    fn unreachable(&mut self, state: Self::State, op: &Self::Op) -> bool {
        let _ = (state, op);
        false
    }

    /// The state after `op` whatever the state before, for an operation that is neither
    /// read-only nor monotone (a put). `None` when it depends on the state before (the
    /// default). Lets [`Model::unreachable`] also reason from pending puts.
    fn reset_state(&mut self, op: &Self::Op) -> Option<Self::State> {
        let _ = op;
        None
    }

    /// States that stand for *any* state, as far as `ops` can tell: if the operations can be
    /// linearized from some state, they can be from one of these. Lets a violation be pinned
    /// to a window in the middle of a history, whatever came before it. `None` (the default)
    /// when the model cannot say; windows then always start at the beginning.
    fn any_state(&mut self, ops: &[&Self::Op]) -> Option<Vec<Self::State>> {
        let _ = ops;
        None
    }

    /// Operations with unknown outcomes (`unknown[i]`) that can be taken never to have
    /// happened without losing any linearization: their effect is never observed, so removing
    /// one from a linearization leaves every other operation legal. (In a register: a write of
    /// a value no read returns and no compare-and-set expects.) Leaving them out is what makes
    /// histories with timeouts tractable: an unknown outcome otherwise stays a candidate until
    /// the end of the history. Default: none.
    fn unobserved(&mut self, ops: &[&Self::Op], unknown: &[bool]) -> Vec<bool> {
        let _ = unknown;
        vec![false; ops.len()]
    }

    /// True when the model's own tables (interned states) have reached their memory limit:
    /// the search then stops as if out of budget, so a hard history ends undecided instead of
    /// growing memory. Default: never.
    fn saturated(&self) -> bool {
        false
    }

    /// A mark of the states interned so far ([`Model::release`]).
    fn mark(&self) -> usize {
        0
    }

    /// Forgets the states interned since `mark`: no configuration refers to them any more
    /// (a search has ended), so successive searches do not pile up interned states.
    fn release(&mut self, mark: usize) {
        let _ = mark;
    }

    /// Completed operations (`!unknown[i]`) that are illegal in every state that any sequence
    /// of `ops`, from the initial state, can produce: a read of a value nothing ever writes.
    /// Each alone proves the history not linearizable, found in linear time before any search.
    /// Default: none found.
    fn impossible(&mut self, ops: &[&Self::Op], unknown: &[bool]) -> Vec<usize> {
        let _ = (ops, unknown);
        Vec::new()
    }
}

/// An operation of a concurrent history: when it was called, when it returned, and what it was.
///
/// Times are any integers that order the events: simulated microseconds, or positions in a
/// history file. An operation returning at the same time as another is called counts as
/// concurrent with it. A return before the call is read as a return at the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedOp<O> {
    pub call: u64,
    /// `None`: the outcome is unknown (a timeout, a crash). The operation may then take effect
    /// at any time after its call, or never; `op` describes it as if it took effect.
    pub ret: Option<u64>,
    pub op: O,
}

impl<O> TimedOp<O> {
    /// An operation that completed.
    pub fn done(call: u64, ret: u64, op: O) -> Self {
        TimedOp { call, ret: Some(ret), op }
    }
    /// An operation whose outcome is unknown.
    pub fn unknown(call: u64, op: O) -> Self {
        TimedOp { call, ret: None, op }
    }
}
