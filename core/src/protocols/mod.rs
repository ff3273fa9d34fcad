//! Replication families. Each module implements [`crate::protocol::Protocol`] for one family and
//! opens with prose: what it guarantees, which anomalies it allows, which real systems it
//! resembles.

pub mod any;
pub mod leader_follower;
pub mod leaderless;
pub mod multi_leader;

pub use crate::conflict::Stamped;
