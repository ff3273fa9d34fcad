//! # Conflict tracking: version vectors, dotted version vectors and CRDTs
//!
//! Multi-leader and leaderless replication accept writes at several replicas without
//! coordinating, so two writes to the same key can be *concurrent*: neither saw the other.
//! The types here let a replica tell concurrent writes from overwrites, keep or merge the
//! concurrent ones, and converge with every other replica whatever order states arrive in. All
//! are pure values (`BTreeMap`/`Vec` inside, so iteration order is deterministic), generic over
//! the actor id (the simulator uses node ids), and serialisable.
//!
//! ## Version vectors, and why dotted ones
//!
//! A version vector ([`VClock`]) maps each actor to the number of its events a history
//! contains. Comparing two vectors entry by entry says whether one history contains the other
//! or whether they are concurrent ([`Causality`]). Dynamo (2007) stores such a vector with every
//! object and returns all concurrent versions to the client, which merges them (the shopping
//! cart that resurrects deleted items); Riak before 2.0 did the same with its vclocks.
//!
//! The catch is *whose* events the vector counts. With one entry per client it is exact but
//! grows with the number of clients. With one entry per server (the replica that coordinates
//! the write) it stays small, but one vector then describes *all* the siblings stored under a
//! key, and the server can no longer say which of them a client's write had seen. Take v1
//! stored at server `a` (vector `{a:1}`); Peter reads v1; Mary overwrites blindly with v2; Peter
//! writes v3 with the context `{a:1}`. The server knows Peter's context is older than its own
//! `{a:2}`, but not which values it covered, so it must keep v1, v2 and v3: a false conflict.
//! Every further write with a stale context adds a sibling and none can be retired: Riak's
//! *sibling explosion*.
//!
//! A **dotted version vector** gives every stored value its own *dot*, the single event
//! `(server, counter)` that wrote it, beside the shared causal context. A write supersedes
//! exactly the values whose dots its context covers: v1's dot `(a,1)` is in `{a:1}`, v2's dot
//! `(a,2)` is not, so v3 replaces v1 and v2 stays as the one genuine sibling. The vectors stay
//! one entry per server, and siblings only ever represent truly concurrent writes.
//! [`DvvSet`] is the compact form Riak 2.0 adopted (`dvv_enabled`): one
//! `(id, counter, values)` entry per server, because the live dots of a server always form a
//! contiguous run ending at its counter. [`MvRegister`] is the same semantics stored one
//! `(dot, value)` pair per sibling.
//!
//! ## The merge laws
//!
//! A state-based CRDT ("conflict-free replicated data type") is a type whose states form a
//! join-semilattice: `merge` computes the least upper bound, so it is
//!
//! - **commutative**: `a ⊔ b = b ⊔ a` (the order replicas exchange states does not matter),
//! - **associative**: `(a ⊔ b) ⊔ c = a ⊔ (b ⊔ c)` (neither does the grouping, so gossip through
//!   intermediaries is fine),
//! - **idempotent**: `a ⊔ a = a` (a duplicated or re-sent state changes nothing),
//!
//! and every local update only moves a state up. Together these give *strong eventual
//! consistency*: replicas that have received the same updates, by any path, in any order, any
//! number of times, are in the same state. The property tests of every type here check the
//! three laws on states from random runs. [`DvvSet`] obeys them as long as every value has a dot
//! (see its docs for the anonymous-value caveat).
//!
//! ## The types, and who uses what
//!
//! - [`VClock`]: version vectors (Dynamo; Riak's `riak_dt_vclock`; Voldemort).
//! - [`DvvSet`]: dotted version vector sets, Riak 2.0's object clock.
//! - [`GCounter`], [`PnCounter`]: grow-only and up/down counters (Riak data types,
//!   `riak_dt_gcounter` / `riak_dt_pncounter`).
//! - [`Orswot`]: add-wins observed-remove set without tombstones (Riak sets, `riak_dt_orswot`).
//! - [`MvRegister`]: multi-value register, siblings resolved by a write with their context.
//!
//! Cassandra takes the other road: no vectors at all, every cell carries a timestamp and the
//! highest wins (last-writer-wins), so a concurrent write, or a later one from a node whose
//! clock runs behind, is silently discarded. [`DvvSet::lww`] resolves siblings that way on
//! purpose.
//!
//! ```
//! use replicalab_core::crdt::{Causality, Crdt, DvvSet, GCounter, MvRegister, VClock};
//!
//! // Mary and Peter write one key through server 0 (the sync_update example).
//! let a0 = DvvSet::new_value("v1").update(0usize); // Mary writes v1
//! let peter_read = a0.join(); // Peter reads v1: context [(0, 1)]
//! let a1 = DvvSet::new_value("v2").update_with(&a0, 0); // Mary writes v2 blindly
//! let a2 = DvvSet::new(peter_read, ["v3"]).update_with(&a1, 0); // Peter writes v3
//! assert_eq!(a2.values(), vec!["v3", "v2"]); // v1 replaced, v2 a genuine sibling
//! // A write with the context of both siblings resolves them.
//! let a3 = DvvSet::new(a2.join(), ["v4"]).update_with(&a2, 0);
//! assert_eq!(a3.values(), vec!["v4"]);
//!
//! // Two replicas write concurrently; each keeps the other's value after merging.
//! let (mut r1, mut r2) = (MvRegister::new(), MvRegister::new());
//! r1.set(1usize, "x", &VClock::new());
//! r2.set(2usize, "y", &VClock::new());
//! assert_eq!(r1.context().compare(&r2.context()), Causality::Concurrent);
//! r1.merge(&r2);
//! assert_eq!(r1.values(), vec!["x", "y"]);
//!
//! // Any CRDT merges through the trait; merging twice counts nothing twice.
//! let (mut g1, mut g2) = (GCounter::new(), GCounter::new());
//! g1.increment("n1", 2);
//! g2.increment("n2", 3);
//! Crdt::merge(&mut g1, &g2);
//! Crdt::merge(&mut g1, &g2);
//! assert_eq!(g1.value(), 5);
//! ```

pub mod dvvset;
pub mod gcounter;
pub mod mvregister;
pub mod orset;
pub mod pncounter;
pub mod vclock;

#[cfg(test)]
mod laws;
mod pairs;

pub use dvvset::{DvvSet, DvvSetError};
pub use gcounter::GCounter;
pub use mvregister::{MVRegister, MvRegister};
pub use orset::{OrSet, Orswot, OrswotDelta};
pub use pncounter::PnCounter;
pub use vclock::{Causality, VClock};

/// Another name for [`PnCounter`].
pub type PNCounter<A> = PnCounter<A>;

/// A state-based CRDT: `merge` is commutative, associative and idempotent.
pub trait Crdt {
    /// Merges `other` into `self` (the least upper bound of the two states).
    fn merge(&mut self, other: &Self);

    /// The merge of `self` and `other`, leaving both untouched.
    fn merged(&self, other: &Self) -> Self
    where
        Self: Clone,
    {
        let mut m = self.clone();
        m.merge(other);
        m
    }
}
