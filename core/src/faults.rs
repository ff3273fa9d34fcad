//! Fault spans: the intervals during which each fault was in force, kept by the world from
//! what actually happened (a crash of a node already down opens nothing; a STONITH power-off
//! opens a span like a crash; a restart closes either). Views draw them; nothing re-derives
//! them from the command list.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::protocol::NodeId;
use crate::time::Time;

/// What a fault interval is about, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Crash,
    Pause,
    Network,
    Slow,
    Clock,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Crash => "crash",
            FaultKind::Pause => "pause",
            FaultKind::Network => "network",
            FaultKind::Slow => "slow",
            FaultKind::Clock => "clock",
        }
    }
}

/// One fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Down: crashed, or powered off by `by` (STONITH).
    Down {
        node: NodeId,
        by: Option<NodeId>,
    },
    Paused {
        node: NodeId,
    },
    /// The network split into these groups.
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    /// The link `from → to` is cut (and `to → from` too when `both`).
    Cut {
        from: NodeId,
        to: NodeId,
        both: bool,
    },
    /// The link between two nodes loses messages (parts per million).
    Loss {
        from: NodeId,
        to: NodeId,
        ppm: u32,
    },
    /// A node runs slower (thousandths: 2000 is twice as slow).
    Slow {
        node: NodeId,
        permille: u64,
    },
    /// A node's clock is off: skew in microseconds, drift in parts per billion.
    Clock {
        node: NodeId,
        skew_us: i64,
        drift_ppb: i64,
    },
}

impl Fault {
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Down { .. } => FaultKind::Crash,
            Fault::Paused { .. } => FaultKind::Pause,
            Fault::Partition { .. } | Fault::Cut { .. } | Fault::Loss { .. } => FaultKind::Network,
            Fault::Slow { .. } => FaultKind::Slow,
            Fault::Clock { .. } => FaultKind::Clock,
        }
    }

    /// The node the fault is at, for node faults.
    fn node(&self) -> Option<NodeId> {
        match self {
            Fault::Down { node, .. }
            | Fault::Paused { node }
            | Fault::Slow { node, .. }
            | Fault::Clock { node, .. } => Some(*node),
            _ => None,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Down { node, by: None } => write!(f, "n{node} crashed"),
            Fault::Down { node, by: Some(by) } => write!(f, "n{node} powered off by n{by}"),
            Fault::Paused { node } => write!(f, "n{node} paused"),
            Fault::Partition { groups } => {
                let text = groups
                    .iter()
                    .map(|g| g.iter().map(|n| format!("n{n}")).collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join(" | ");
                write!(f, "partition {text}")
            }
            Fault::Cut { from, to, both } => write!(f, "cut n{from} {} n{to}", if *both { "↔" } else { "→" }),
            Fault::Loss { from, to, ppm } => write!(f, "loss n{from}–n{to} {:.0}%", *ppm as f64 / 10_000.0),
            Fault::Slow { node, permille } => write!(f, "n{node} slowed ×{}", *permille as f64 / 1000.0),
            Fault::Clock { node, skew_us, drift_ppb } => {
                write!(f, "n{node} clock {:+} ms", *skew_us as f64 / 1000.0)?;
                if *drift_ppb != 0 {
                    write!(f, ", drift {:+} ppm", *drift_ppb as f64 / 1000.0)?;
                }
                Ok(())
            }
        }
    }
}

/// An interval during which a fault was in force; `end: None` means still in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpan {
    pub kind: FaultKind,
    pub fault: Fault,
    pub start: Time,
    pub end: Option<Time>,
}

impl FaultSpan {
    /// For people: what the fault was.
    pub fn label(&self) -> String {
        self.fault.to_string()
    }
}

/// Every fault span of a run, in the order they opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultLog {
    spans: Vec<FaultSpan>,
}

impl FaultLog {
    pub fn spans(&self) -> &[FaultSpan] {
        &self.spans
    }

    fn open(&mut self, t: Time, fault: Fault) {
        self.spans.push(FaultSpan { kind: fault.kind(), fault, start: t, end: None });
    }

    fn close(&mut self, t: Time, pred: impl Fn(&Fault) -> bool) {
        for s in self.spans.iter_mut().filter(|s| s.end.is_none() && pred(&s.fault)) {
            s.end = Some(t);
        }
    }

    /// A node went down (crashed, or powered off by `by`); a paused node is no longer paused.
    pub fn down(&mut self, t: Time, node: NodeId, by: Option<NodeId>) {
        self.resumed(t, node);
        self.open(t, Fault::Down { node, by });
    }
    /// A node that was down started again.
    pub fn restarted(&mut self, t: Time, node: NodeId) {
        self.close(t, |f| matches!(f, Fault::Down { node: n, .. } if *n == node));
    }
    pub fn paused(&mut self, t: Time, node: NodeId) {
        self.open(t, Fault::Paused { node });
    }
    pub fn resumed(&mut self, t: Time, node: NodeId) {
        self.close(t, |f| matches!(f, Fault::Paused { node: n } if *n == node));
    }
    /// The network was split into `groups` (a partition adds its cuts to those already in
    /// force: both stay open until healed).
    pub fn partitioned(&mut self, t: Time, groups: &[Vec<NodeId>]) {
        let groups = groups.iter().filter(|g| !g.is_empty()).cloned().collect();
        self.open(t, Fault::Partition { groups });
    }
    pub fn cut(&mut self, t: Time, from: NodeId, to: NodeId, both: bool) {
        self.open(t, Fault::Cut { from, to, both });
    }
    /// The link `from → to` (and back, when `both`) works again. A two-way cut restored one
    /// way only stays cut the other way.
    pub fn uncut(&mut self, t: Time, from: NodeId, to: NodeId, both: bool) {
        let two_way = |f: &Fault| matches!(f, Fault::Cut { from: a, to: b, both: true } if (*a, *b) == (from, to) || (*a, *b) == (to, from));
        let was_two_way = self.spans.iter().any(|s| s.end.is_none() && two_way(&s.fault));
        self.close(t, |f| {
            two_way(f) || matches!(f, Fault::Cut { from: a, to: b, both: false } if (*a, *b) == (from, to))
        });
        if both {
            self.close(t, |f| matches!(f, Fault::Cut { from: a, to: b, both: false } if (*a, *b) == (to, from)));
        } else if was_two_way {
            self.open(t, Fault::Cut { from: to, to: from, both: false });
        }
    }
    /// Every cut and partition is repaired (loss stays).
    pub fn healed(&mut self, t: Time) {
        self.close(t, |f| matches!(f, Fault::Partition { .. } | Fault::Cut { .. }));
    }
    /// The loss between two nodes is now `ppm` (0: none).
    pub fn loss(&mut self, t: Time, from: NodeId, to: NodeId, ppm: u32) {
        let pair = |a: NodeId, b: NodeId| (a, b) == (from, to) || (a, b) == (to, from);
        self.close(t, |f| matches!(f, Fault::Loss { from: a, to: b, .. } if pair(*a, *b)));
        if ppm > 0 {
            self.open(t, Fault::Loss { from, to, ppm });
        }
    }
    /// A node's speed is now `permille` (1000: normal).
    pub fn slowed(&mut self, t: Time, node: NodeId, permille: u64) {
        self.close(t, |f| f.kind() == FaultKind::Slow && f.node() == Some(node));
        if permille != 1000 {
            self.open(t, Fault::Slow { node, permille });
        }
    }
    /// A node's clock is now off by `skew_us`, drifting `drift_ppb` (both 0: correct).
    pub fn clock(&mut self, t: Time, node: NodeId, skew_us: i64, drift_ppb: i64) {
        self.close(t, |f| f.kind() == FaultKind::Clock && f.node() == Some(node));
        if skew_us != 0 || drift_ppb != 0 {
            self.open(t, Fault::Clock { node, skew_us, drift_ppb });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_open_and_close_as_faults_come_and_go() {
        let mut log = FaultLog::default();
        log.down(100, 1, None);
        log.partitioned(150, &[vec![0], vec![], vec![1, 2]]);
        log.restarted(200, 1);
        log.slowed(250, 2, 5000);
        log.healed(300);
        log.slowed(350, 2, 1000);
        log.paused(400, 0);
        let s = log.spans();
        assert_eq!(s.len(), 4);
        assert_eq!((s[0].kind, s[0].start, s[0].end), (FaultKind::Crash, 100, Some(200)));
        assert_eq!(s[1].label(), "partition n0 | n1 n2");
        assert_eq!(s[1].end, Some(300));
        assert_eq!((s[2].kind, s[2].end, s[2].label()), (FaultKind::Slow, Some(350), "n2 slowed ×5".to_string()));
        assert_eq!((s[3].kind, s[3].end), (FaultKind::Pause, None));
    }

    #[test]
    fn a_two_way_cut_restored_one_way_stays_cut_the_other() {
        let mut log = FaultLog::default();
        log.cut(10, 0, 1, true);
        log.uncut(20, 1, 0, false);
        let s = log.spans();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].end, Some(20));
        assert_eq!((s[1].fault.clone(), s[1].end), (Fault::Cut { from: 0, to: 1, both: false }, None));
        log.uncut(30, 0, 1, false);
        assert!(log.spans().iter().all(|s| s.end.is_some()));
        // Loss on a pair replaces the previous loss, in either direction; healing keeps it.
        log.loss(40, 0, 2, 100_000);
        log.healed(50);
        log.loss(60, 2, 0, 0);
        assert_eq!(log.spans()[2].end, Some(60));
        assert_eq!(log.spans()[2].label(), "loss n0–n2 10%");
    }
}
