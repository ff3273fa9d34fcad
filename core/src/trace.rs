//! The trace: everything that happened, with times. Every event feeds a running hash (the
//! trace hash that proves two runs identical); the most recent entries are also kept as text
//! for the event log, up to a fixed capacity, so memory stays bounded.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use crate::hash::StableHasher;
use crate::protocol::NodeId;
use crate::time::Time;

/// One line of the event log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    pub time: Time,
    pub node: Option<NodeId>,
    /// snake_case: `send`, `deliver`, `drop`, `timer`, `request`, `reply`, `invoke`, `complete`,
    /// `command`, or a protocol note kind such as `semi_sync_fallback`.
    pub kind: String,
    pub text: String,
}

/// Running hash plus a bounded window of recent entries.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    hasher: StableHasher,
    recent: VecDeque<TraceEntry>,
    capacity: usize,
    recorded: u64,
}

impl Trace {
    pub fn new(capacity: usize) -> Self {
        Trace { capacity, ..Default::default() }
    }

    /// Feeds a structured event into the hash.
    pub fn hash<H: Hash>(&mut self, event: H) {
        event.hash(&mut self.hasher);
    }

    /// Whether text entries are being kept (build them only then).
    pub fn wants_text(&self) -> bool {
        self.capacity > 0
    }

    /// Keeps a text entry (dropping the oldest beyond capacity).
    pub fn push(&mut self, entry: TraceEntry) {
        if self.capacity == 0 {
            return;
        }
        if self.recent.len() == self.capacity {
            self.recent.pop_front();
        }
        self.recent.push_back(entry);
        self.recorded += 1;
    }

    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        while self.recent.len() > capacity {
            self.recent.pop_front();
        }
    }

    /// The hash of everything so far, as 16 hex digits.
    pub fn hash_hex(&self) -> String {
        format!("{:016x}", self.hasher.finish())
    }

    pub fn recent(&self) -> impl Iterator<Item = &TraceEntry> {
        self.recent.iter()
    }

    /// Entries ever kept (including those since dropped from the window).
    pub fn recorded(&self) -> u64 {
        self.recorded
    }
}
