//! The trace: everything that happened, with times, as typed [`WorldEvent`]s. Every event
//! feeds a running hash (the trace hash that proves two runs identical); the most recent
//! shown events are also kept for the event log, up to a fixed capacity, so memory stays
//! bounded. Keeping them never changes the hash.

use std::collections::VecDeque;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::event::{EventKind, WorldEvent};
use crate::hash::StableHasher;
use crate::protocol::NodeId;
use crate::time::Time;

/// One line of the event log: an event and when it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEntry {
    pub time: Time,
    pub event: WorldEvent,
}

impl TraceEntry {
    pub fn kind(&self) -> EventKind {
        self.event.kind()
    }
    pub fn node(&self) -> Option<NodeId> {
        self.event.node()
    }
}

impl fmt::Display for TraceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.event.fmt(f)
    }
}

/// Written as `{time, node, kind, text}` (the command line's `--trace` output).
impl Serialize for TraceEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("TraceEntry", 4)?;
        s.serialize_field("time", &self.time)?;
        s.serialize_field("node", &self.node())?;
        s.serialize_field("kind", self.kind().name())?;
        s.serialize_field("text", &self.event.to_string())?;
        s.end()
    }
}

/// Running hash plus a bounded window of recent events.
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

    /// Records an event: it feeds the hash, and the log keeps it when it is shown and the log
    /// is kept.
    pub fn record(&mut self, time: Time, event: WorldEvent) {
        (time, &event).hash(&mut self.hasher);
        if self.capacity > 0 && event.shown() {
            self.keep(TraceEntry { time, event });
        }
    }

    /// Feeds data that goes with the last recorded event into the hash (a message's or a
    /// timer's contents, which only its protocol knows how to hash).
    pub fn hash<H: Hash>(&mut self, data: H) {
        data.hash(&mut self.hasher);
    }

    /// Keeps an event in the log without hashing it: only for what is worked out just
    /// because the log is kept (see [`Trace::wants_events`]).
    pub fn show(&mut self, time: Time, event: WorldEvent) {
        if self.capacity > 0 {
            self.keep(TraceEntry { time, event });
        }
    }

    /// Whether events are being kept (build display-only parts, such as message labels, only
    /// then).
    pub fn wants_events(&self) -> bool {
        self.capacity > 0
    }

    fn keep(&mut self, entry: TraceEntry) {
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
