//! Merge key spaces: keys whose concurrent updates are merged by a CRDT instead of being
//! picked between (last write wins) or handed to the application (siblings).
//!
//! Replication is state-based: an update carries the whole CRDT state of its key at the origin
//! right after the client's operation, and a replica merges it into its own. The merge is the
//! least upper bound of the two states, so replicas converge whatever order, path or number of
//! times states arrive in (see [`crate::crdt`] for the laws and their tests). What the user
//! sees: two datacenters increment a counter during a partition and, after the heal, both
//! increments count; an element added in one datacenter while another removed it stays (the
//! add wins, because the remove could not have observed it).

use crate::crdt::{MvRegister, Orswot, PnCounter, VClock};
use crate::protocol::{version_to_dots, Key, NodeId, OpKind, Value, Version};

use super::Conflicts;

/// The CRDT state of one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Crdt {
    Counter(PnCounter<NodeId>),
    Set(Orswot<NodeId, Value>),
    Register(MvRegister<NodeId, Value>),
}

impl Crdt {
    /// The empty state of a key resolved by `conflicts`, if that is a merge.
    pub fn empty(conflicts: Conflicts) -> Option<Crdt> {
        match conflicts {
            Conflicts::Counter => Some(Crdt::Counter(PnCounter::new())),
            Conflicts::Set => Some(Crdt::Set(Orswot::new())),
            Conflicts::MvRegister => Some(Crdt::Register(MvRegister::new())),
            Conflicts::Lww | Conflicts::Siblings | Conflicts::LastArrival => None,
        }
    }

    /// Applies a client's operation at replica `actor`. `context` is what the client read of
    /// the key (for the register). Refuses an operation the data type does not take.
    pub fn apply(&mut self, actor: NodeId, kind: &OpKind, context: &Version) -> Result<(), String> {
        match (self, kind) {
            (Crdt::Counter(c), OpKind::Increment { by, .. }) => {
                if *by >= 0 {
                    c.increment(actor, by.unsigned_abs());
                } else {
                    c.decrement(actor, by.unsigned_abs());
                }
                Ok(())
            }
            (Crdt::Set(s), OpKind::Add { element, .. }) => {
                s.add(actor, *element);
                Ok(())
            }
            (Crdt::Set(s), OpKind::Remove { element, .. }) => {
                s.remove(element);
                Ok(())
            }
            (Crdt::Register(r), OpKind::Write { value, .. }) => {
                let mut seen = VClock::new();
                for (node, counter) in version_to_dots(context) {
                    seen.witness(node, counter);
                }
                r.set(actor, *value, &seen);
                Ok(())
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
            // Every replica derives a key's type from the same configuration.
            (a, b) => unreachable!("merging {} with {}", a.what(), b.what()),
        }
    }

    /// What a read returns: the count (as one value, two's complement), the elements, or the
    /// register's concurrent values.
    pub fn read(&self) -> Vec<Value> {
        match self {
            Crdt::Counter(c) => vec![c.value() as Value],
            Crdt::Set(s) => s.value(),
            Crdt::Register(r) => r.values(),
        }
    }

    /// The causal context a read returns (what a write to a register must carry to replace
    /// the values it read).
    pub fn context(&self, n: usize) -> Version {
        let clock = match self {
            Crdt::Counter(_) => return Vec::new(),
            Crdt::Set(s) => s.context(),
            Crdt::Register(r) => r.context(),
        };
        (0..n).map(|i| clock.get(&i)).collect()
    }

    /// Values to list as held writes (only the register's: counters and sets hold no writes).
    pub fn written(&self) -> Vec<Value> {
        match self {
            Crdt::Register(r) => r.values(),
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
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Crdt::Counter(_) => "a counter",
            Crdt::Set(_) => "a set",
            Crdt::Register(_) => "a multi-value register",
        }
    }
}

/// Why an operation cannot go to a key that is not a merge key space.
pub fn refuse_on_register(key: Key, kind: &OpKind) -> String {
    format!("k{key} is a register: `{}` needs a counter or set key space", kind.describe())
}
