//! Merge key spaces: keys whose concurrent updates are merged by a CRDT instead of being
//! picked between (last write wins) or handed to the application (siblings).
//!
//! Counters and registers replicate their state: an update carries the key's whole CRDT state
//! at the origin right after the client's operation (one entry per node, or per concurrent
//! value), and a replica merges it into its own. The merge is the least upper bound of the two
//! states, so replicas converge whatever order, path or number of times states arrive in (see
//! [`crate::crdt`] for the laws and their tests). A set grows with every distinct element, so
//! its updates carry a delta instead (the add with its dot, or the dots a remove observed),
//! which each replication stream delivers in order per origin, as the delta needs. What the user
//! sees: two datacenters increment a counter during a partition and, after the heal, both
//! increments count; an element added in one datacenter while another removed it stays (the
//! add wins, because the remove could not have observed it).

use crate::crdt::{MvRegister, Orswot, OrswotDelta, PnCounter, VClock};
use crate::protocol::{version_to_dots, Key, NodeId, OpKind, Value, Version};

use super::revisions::RevTree;
use crate::conflict::ConflictResolution;

/// The CRDT state of one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Crdt {
    Counter(PnCounter<NodeId>),
    Set(Orswot<NodeId, Value>),
    Register(MvRegister<NodeId, Value>),
    /// A document's revision tree (the `revision_tree` resolution, [`super::revisions`]).
    Revisions(RevTree),
}

impl Crdt {
    /// The empty state of a key resolved by `conflicts`, if that is a merge.
    pub fn empty(conflicts: ConflictResolution) -> Option<Crdt> {
        match conflicts {
            ConflictResolution::Counter => Some(Crdt::Counter(PnCounter::new())),
            ConflictResolution::Set => Some(Crdt::Set(Orswot::new())),
            ConflictResolution::MvRegister => Some(Crdt::Register(MvRegister::new())),
            ConflictResolution::RevisionTree => Some(Crdt::Revisions(RevTree::default())),
            ConflictResolution::Lww | ConflictResolution::Siblings | ConflictResolution::LastArrival => None,
        }
    }

    /// Applies a client's operation at replica `actor` and returns what to ship to the other
    /// replicas. `context` is what the client read of the key (for the register). Refuses an
    /// operation the data type does not take, changing nothing.
    pub fn apply(&mut self, actor: NodeId, kind: &OpKind, context: &Version) -> Result<CrdtUpdate, String> {
        match (self, kind) {
            (Crdt::Counter(c), OpKind::Increment { by, .. }) => {
                if *by >= 0 {
                    c.increment(actor, by.unsigned_abs());
                } else {
                    c.decrement(actor, by.unsigned_abs());
                }
                Ok(CrdtUpdate::State(Crdt::Counter(c.clone())))
            }
            (Crdt::Set(s), OpKind::Add { element, .. }) => Ok(CrdtUpdate::Set(s.add_delta(actor, *element))),
            (Crdt::Set(s), OpKind::Remove { element, .. }) => Ok(CrdtUpdate::Set(s.remove_delta(element))),
            (Crdt::Register(r), OpKind::Write { value, .. }) => {
                let mut seen = VClock::new();
                for (node, counter) in version_to_dots(context) {
                    seen.witness(node, counter);
                }
                r.set(actor, *value, &seen);
                Ok(CrdtUpdate::State(Crdt::Register(r.clone())))
            }
            (crdt, kind) => Err(format!("k{} is {}: it does not take `{}`", kind.key(), crdt.what(), kind.describe())),
        }
    }

    /// Merges another replica's state of the same key into this one.
    pub fn merge(&mut self, other: &Crdt) {
        match (self, other) {
            (Crdt::Counter(a), Crdt::Counter(b)) => a.merge(b),
            (Crdt::Set(a), Crdt::Set(b)) => a.merge(b),
            (Crdt::Register(a), Crdt::Register(b)) => a.merge(b),
            (Crdt::Revisions(a), Crdt::Revisions(b)) => a.merge(b),
            // Every replica derives a key's type from the same configuration.
            (a, b) => unreachable!("merging {} with {}", a.what(), b.what()),
        }
    }

    /// Takes in another replica's update of the same key.
    pub fn join(&mut self, update: &CrdtUpdate) {
        match (self, update) {
            (mine, CrdtUpdate::State(theirs)) => mine.merge(theirs),
            (Crdt::Set(s), CrdtUpdate::Set(delta)) => s.apply_delta(delta),
            (a, _) => unreachable!("a set's delta for {}", a.what()),
        }
    }

    /// What a merge note says about the key after `kind`: the whole (small) value of a counter
    /// or register, and for a set its size and whether the element is in it.
    pub fn brief(&self, kind: &OpKind) -> String {
        match (self, kind) {
            (Crdt::Set(s), OpKind::Add { element, .. } | OpKind::Remove { element, .. }) => {
                let state = if s.contains(element) { "in the set" } else { "not in the set" };
                format!("v{element} {state} ({} elements)", s.len())
            }
            (c, _) => format!("{:?}", c.read()),
        }
    }

    /// What a read returns: the count (as one value, two's complement), the elements, or the
    /// register's concurrent values.
    pub fn read(&self) -> Vec<Value> {
        match self {
            Crdt::Counter(c) => vec![c.value() as Value],
            Crdt::Set(s) => s.value(),
            Crdt::Register(r) => r.values(),
            Crdt::Revisions(t) => t.read(),
        }
    }

    /// The causal context a read returns (what a write to a register must carry to replace
    /// the values it read).
    pub fn context(&self, n: usize) -> Version {
        let clock = match self {
            Crdt::Counter(_) => return Vec::new(),
            // The winning revision (`_rev`), which the client's next edit names.
            Crdt::Revisions(t) => return t.winner().map(|w| w.context()).unwrap_or_default(),
            Crdt::Set(s) => s.context(),
            Crdt::Register(r) => r.context(),
        };
        (0..n).map(|i| clock.get(&i)).collect()
    }

    /// Values to list as held writes (registers' and revision trees' leaves: counters and sets
    /// hold no writes).
    pub fn written(&self) -> Vec<Value> {
        match self {
            Crdt::Register(r) => r.values(),
            Crdt::Revisions(t) => t.held(),
            _ => Vec::new(),
        }
    }

    /// The state for the inspector: "= 5 (n0 +3, n1 +2)", "{v4, v9}".
    pub fn describe(&self) -> String {
        match self {
            Crdt::Counter(c) => {
                let parts: Vec<String> = c
                    .increments()
                    .entries()
                    .map(|(a, n)| format!("n{a} +{n}"))
                    .chain(c.decrements().entries().map(|(a, n)| format!("n{a} −{n}")))
                    .collect();
                format!("counter = {} ({})", c.value(), parts.join(", "))
            }
            Crdt::Set(s) => {
                let es: Vec<String> = s.iter().map(|e| format!("v{e}")).collect();
                format!("set {{{}}}", es.join(", "))
            }
            Crdt::Register(r) => {
                let vv: Vec<String> = r.context().entries().map(|(a, c)| format!("n{a}:{c}")).collect();
                format!("mv-register [{}]", vv.join(" "))
            }
            Crdt::Revisions(t) => t.describe(),
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Crdt::Counter(_) => "a counter",
            Crdt::Set(_) => "a set",
            Crdt::Register(_) => "a multi-value register",
            Crdt::Revisions(_) => "a document with revisions",
        }
    }
}

/// What an update of a merge key carries to the other replicas.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CrdtUpdate {
    /// Counters and registers: the key's whole state at the origin after the operation.
    State(Crdt),
    /// Sets: the operation as a delta.
    Set(OrswotDelta<NodeId, Value>),
}

/// Why an operation cannot go to a key that is not a merge key space.
pub fn refuse_on_register(key: Key, kind: &OpKind) -> String {
    format!("k{key} is a register: `{}` needs a counter or set key space", kind.describe())
}
