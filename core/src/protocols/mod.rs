//! Replication families. Each module implements [`crate::protocol::Protocol`] for one family and
//! opens with prose: what it guarantees, which anomalies it allows, which real systems it
//! resembles.

pub mod leader_follower;
pub mod leaderless;
pub mod multi_leader;

use crate::protocol::{NodeId, Value};
use crate::time::Time;

/// A value with the writing node's timestamp and identity (the last-write-wins order). A delete
/// stores a tombstone: a stamped value marked deleted, which wins and loses like any write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamped {
    pub time: Time,
    pub node: NodeId,
    /// The value written, or the tombstone's id for a delete.
    pub value: Value,
    pub deleted: bool,
}
