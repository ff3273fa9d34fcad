//! Live narration: what just mattered, in plain words, as it happens.
//!
//! [`Narrator`] reads the core's typed world events (commands, leadership changes, protocol
//! notes, anomalies) as the simulation produces them and turns the few that tell the story
//! into [`Line`]s: "n0 can no longer reach n1 and n2", "n1 stopped hearing the leader and
//! promoted itself: n0 and n1 both believe they lead", "n0 rejoined and threw away 105 writes".
//! Each line keeps the instant it happened (the caption seeks there) and an importance, which
//! the screen-reader [`Announcer`] uses to say the most important first, at most once every
//! [`ANNOUNCE_EVERY_MS`]. Nothing here reads prose: every line is built from event fields.

use std::collections::VecDeque;

use replicalab_core::checkers::AnomalyKind;
use replicalab_core::event::WorldEvent;
use replicalab_core::note::Note;
use replicalab_core::protocol::NodeId;
use replicalab_core::time::Time;
use replicalab_core::trace::TraceEntry;
use replicalab_core::{Command, Simulation};

/// Lines kept (the caption shows the newest few).
pub const MAX_LINES: usize = 40;
/// Shortest wall-clock gap between two screen-reader announcements.
pub const ANNOUNCE_EVERY_MS: f64 = 2000.0;
/// Announcements waiting for their turn (the least important beyond it are dropped).
pub const MAX_PENDING: usize = 3;

/// How much a line matters: the screen reader says the most important first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Importance {
    /// Routine: a stale read, a leader stepping down.
    Low = 1,
    /// A fault or a repair: a crash, a partition, a heal.
    Fault = 2,
    /// A change of leadership.
    Leadership = 3,
    /// Acknowledged data lost or thrown away.
    DataLoss = 4,
    /// Two leaders at once.
    SplitBrain = 5,
}

/// One line of narration.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// A running number (never reused within a playground).
    pub id: u64,
    /// When it happened (the caption seeks there).
    pub time: Time,
    pub importance: Importance,
    pub text: String,
    /// Lines of one kind of anomaly in a row are counted on one line.
    repeat: Option<Repeat>,
}

/// A line that counts anomalies of one kind: how many at each instant, so that a rewind can
/// take back exactly those after the playhead.
#[derive(Clone, Debug, PartialEq)]
struct Repeat {
    kind: AnomalyKind,
    /// (instant, anomalies then), oldest first; at most [`MAX_REPEAT_INSTANTS`].
    at: Vec<(Time, usize)>,
}

impl Repeat {
    fn count(&self) -> usize {
        self.at.iter().map(|(_, n)| n).sum()
    }
}

/// Instants one counting line remembers; past them, the next anomaly starts a new line (so a
/// line's memory is bounded and its count always exact).
const MAX_REPEAT_INSTANTS: usize = 1024;

/// Turns the world's events into lines, keeping the newest [`MAX_LINES`].
#[derive(Clone, Debug, Default)]
pub struct Narrator {
    lines: VecDeque<Line>,
    next_id: u64,
    /// Trace entries already read (the trace's running count).
    seen: u64,
    /// After the simulation was replaced by an earlier copy: read only events after this.
    after: Option<Time>,
}

impl Narrator {
    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &Line> {
        self.lines.iter()
    }

    /// A narrator for a new simulation that goes on numbering lines where this one stopped.
    pub fn fresh(&self) -> Narrator {
        Narrator { next_id: self.next_id, ..Narrator::default() }
    }

    /// The newest `n` lines, newest last.
    pub fn recent(&self, n: usize) -> Vec<Line> {
        self.lines.iter().skip(self.lines.len().saturating_sub(n)).cloned().collect()
    }

    /// The simulation was restored from an earlier copy (a seek) that will run on from `now`:
    /// forget the lines after the playhead `to`, and read only events after `now` next.
    pub fn rewound(&mut self, now: Time, to: Time) {
        while self.lines.back().is_some_and(|l| l.time > to) {
            self.lines.pop_back();
        }
        // The newest line may have counted anomalies after `to` too: take those back.
        if let Some(last) = self.lines.back_mut() {
            if let Some(r) = last.repeat.as_mut() {
                r.at.retain(|&(t, _)| t <= to);
                last.text = anomaly_line(r.kind, r.count());
            }
        }
        self.after = Some(now);
    }

    /// Reads what is left to read, then takes everything recorded after this as new, even at
    /// the instant a rewound copy was restored to (a command applied there).
    pub fn settle(&mut self, sim: &Simulation) {
        self.catch_up(sim);
        self.after = None;
        self.seen = sim.trace().recorded();
    }

    /// Adds a line of the playground's own (a fork of the timeline).
    pub fn say(&mut self, time: Time, importance: Importance, text: String) {
        self.push(time, importance, text, None);
    }

    /// Reads the events the simulation recorded since the last call.
    pub fn catch_up(&mut self, sim: &Simulation) {
        let trace = sim.trace();
        let recorded = trace.recorded();
        if recorded == self.seen && self.after.is_none() {
            return;
        }
        let len = trace.recent().count() as u64;
        let first_index = recorded - len;
        let fresh: Vec<&TraceEntry> = match self.after {
            Some(after) => {
                // Until the copy passes the instant it was restored to, its events were told.
                if sim.now() > after {
                    self.after = None;
                }
                trace.recent().filter(|e| e.time > after).collect()
            }
            None if recorded >= self.seen => {
                trace.recent().skip(self.seen.saturating_sub(first_index) as usize).collect()
            }
            None => Vec::new(),
        };
        self.seen = recorded;
        if fresh.is_empty() {
            return;
        }
        // Finding the leaders costs a view: only when leadership changed.
        let leaders: Vec<NodeId> = if fresh.iter().any(|e| matches!(e.event, WorldEvent::LeaderElected { .. })) {
            sim.view()
                .nodes
                .iter()
                .filter(|n| {
                    n.protocol.role == replicalab_core::view::Role::Leader
                        && n.health == replicalab_core::view::Health::Up
                })
                .map(|n| n.id)
                .collect()
        } else {
            Vec::new()
        };
        self.read(&fresh, &leaders);
    }

    /// Narrates a batch of events (those of one frame). `leaders` are the running nodes that
    /// believe they lead after the batch.
    pub fn read(&mut self, batch: &[&TraceEntry], leaders: &[NodeId]) {
        let mut i = 0;
        while i < batch.len() {
            // Events of one instant are read together (a promotion and its cause, a discarded
            // suffix and the lost writes it makes).
            let t = batch[i].time;
            let j = batch[i..].iter().position(|e| e.time != t).map_or(batch.len(), |k| i + k);
            self.read_instant(t, &batch[i..j], leaders);
            i = j;
        }
    }

    fn read_instant(&mut self, t: Time, events: &[&TraceEntry], leaders: &[NodeId]) {
        let notes: Vec<(NodeId, &Note)> = events
            .iter()
            .filter_map(|e| match &e.event {
                WorldEvent::Note { node, note } => Some((*node, note)),
                _ => None,
            })
            .collect();
        let lost = events
            .iter()
            .filter(|e| matches!(e.event, WorldEvent::Anomaly { kind: AnomalyKind::LostWrite, .. }))
            .count();
        let mut lost_told = false;
        let mut kinds_told: Vec<AnomalyKind> = Vec::new();
        for e in events {
            match &e.event {
                WorldEvent::Command(applied) => {
                    if let Some((importance, text)) = command_line(&applied.0) {
                        self.push(t, importance, text, None);
                    }
                }
                WorldEvent::PoweredOff { by, node } => {
                    self.push(t, Importance::Leadership, format!("n{by} powered n{node} off before taking over (STONITH)."), None)
                }
                WorldEvent::LeaderElected { node, term } => {
                    let how = notes.iter().find_map(|(n, note)| match note {
                        Note::NaivePromotion { .. } if n == node => {
                            Some(format!("n{node} stopped hearing the leader and promoted itself without asking anyone"))
                        }
                        Note::Elected { votes, .. } if n == node => {
                            Some(format!("n{node} won the election for term {term} with {votes} votes and became leader"))
                        }
                        Note::Promoted { .. } if n == node => Some(format!("n{node} was promoted to leader")),
                        _ => None,
                    });
                    let how = how.unwrap_or_else(|| format!("n{node} became leader (term {term})"));
                    // Two nodes may believe they lead without both acknowledging writes (a cut-off
                    // leader that needs a majority): "split brain" is said by its anomaly.
                    if leaders.len() >= 2 {
                        self.push(
                            t,
                            Importance::Leadership,
                            format!("{how}: {} both believe they lead now.", names(leaders)),
                            None,
                        );
                    } else {
                        self.push(t, Importance::Leadership, format!("{how}."), None);
                    }
                }
                WorldEvent::LeaderLost { node, .. } => {
                    self.push(t, Importance::Low, format!("n{node} is no longer leader."), None)
                }
                WorldEvent::Note { node, note } => match note {
                    Note::Discarded { ops, .. } => {
                        lost_told = true;
                        let text = if lost > 0 {
                            format!(
                                "n{node} rejoined and threw away {} writes; {lost} of them had been acknowledged to clients (lost writes).",
                                ops.len()
                            )
                        } else {
                            format!("n{node} rejoined and threw away {} writes the new leader does not have.", ops.len())
                        };
                        self.push(t, Importance::DataLoss, text, None);
                    }
                    Note::LeaseExpired { .. } => self.push(
                        t,
                        Importance::Leadership,
                        format!("n{node} has not heard from a majority: its lease expired and it stops taking writes."),
                        None,
                    ),
                    Note::Fenced { from, term, current, .. } => self.push(
                        t,
                        Importance::Leadership,
                        format!("n{node} refused n{from}'s writes: term {term} is older than its term {current} (fenced)."),
                        None,
                    ),
                    Note::SemiSyncFallback { .. } => self.push(
                        t,
                        Importance::Fault,
                        format!("n{node} gave up waiting for a follower's acknowledgement: it falls back to asynchronous replication."),
                        None,
                    ),
                    Note::Resurrected { key, .. } => self.push(
                        t,
                        Importance::DataLoss,
                        format!("Deleted data of k{key} came back at n{node} (its tombstone was purged)."),
                        None,
                    ),
                    // Only an operation's first lost round is told: under contention the
                    // retries would crowd out everything else.
                    Note::PaxosRetry { op, key, attempt: 2, by, .. } => self.push(
                        t,
                        Importance::Low,
                        format!(
                            "Contention on k{key}: n{node}'s lightweight transaction op{op} lost its Paxos round to a higher ballot{}; it pauses and tries again.",
                            by.map(|b| format!(" (n{b} had promised another coordinator)")).unwrap_or_default()
                        ),
                        None,
                    ),
                    Note::PaxosFinish { op, key, finished, .. } => self.push(
                        t,
                        Importance::Low,
                        format!(
                            "n{node}, preparing op{op} on k{key}, found op{finished} accepted but not committed: it commits op{finished} first, since a majority may have chosen it."
                        ),
                        None,
                    ),
                    _ => {}
                },
                WorldEvent::Anomaly { kind, nodes, .. } => {
                    if kinds_told.contains(kind) {
                        continue;
                    }
                    kinds_told.push(*kind);
                    let count = events.iter().filter(|e| matches!(&e.event, WorldEvent::Anomaly { kind: k, .. } if k == kind)).count();
                    match kind {
                        AnomalyKind::SplitBrain => {
                            let who = nodes.0.iter().map(|n| format!("n{n}")).collect::<Vec<_>>().join(" and ");
                            self.push(
                                t,
                                Importance::SplitBrain,
                                format!("Split brain: {who} both act as leader and acknowledge writes; their data diverges."),
                                None,
                            );
                        }
                        AnomalyKind::LostWrite if lost_told => {}
                        AnomalyKind::LostWrite => self.push(
                            t,
                            Importance::DataLoss,
                            format!("{} lost: no node holds {} any more.", plural(count, "acknowledged write"), if count == 1 { "it" } else { "them" }),
                            None,
                        ),
                        AnomalyKind::NotLinearizable => {}
                        other => self.count_anomaly(t, *other, count),
                    }
                }
                _ => {}
            }
        }
    }

    /// Anomalies that recur (stale reads): one line counts them while nothing else happens.
    fn count_anomaly(&mut self, t: Time, kind: AnomalyKind, count: usize) {
        if let Some(last) = self.lines.back_mut() {
            if let Some(r) = last.repeat.as_mut().filter(|r| r.kind == kind) {
                let full = r.at.len() >= MAX_REPEAT_INSTANTS;
                match r.at.last_mut() {
                    Some((at, n)) if *at == t => *n += count,
                    _ if !full => r.at.push((t, count)),
                    _ => return self.start_count(t, kind, count),
                }
                last.text = anomaly_line(kind, r.count());
                return;
            }
        }
        self.start_count(t, kind, count)
    }

    fn start_count(&mut self, t: Time, kind: AnomalyKind, count: usize) {
        let importance = match kind {
            AnomalyKind::DirtyRead | AnomalyKind::Divergence => Importance::DataLoss,
            _ => Importance::Low,
        };
        self.push(t, importance, anomaly_line(kind, count), Some(Repeat { kind, at: vec![(t, count)] }));
    }

    fn push(&mut self, time: Time, importance: Importance, text: String, repeat: Option<Repeat>) {
        self.next_id += 1;
        self.lines.push_back(Line { id: self.next_id, time, importance, text, repeat });
        while self.lines.len() > MAX_LINES {
            self.lines.pop_front();
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn anomaly_line(kind: AnomalyKind, n: usize) -> String {
    let (one, many, why) = match kind {
        AnomalyKind::StaleRead => ("stale read", "stale reads", "a read missed a write acknowledged before it began"),
        AnomalyKind::ReadYourWrites => {
            ("read-your-writes violation", "read-your-writes violations", "a client did not see its own write")
        }
        AnomalyKind::MonotonicReads => {
            ("monotonic-reads violation", "monotonic-reads violations", "a client saw time go backwards")
        }
        AnomalyKind::CausalOrder => {
            ("causality violation", "causality violations", "an effect was seen before its cause")
        }
        AnomalyKind::Divergence => ("divergence", "divergences", "replicas still disagree after the faults healed"),
        AnomalyKind::DirtyRead => ("dirty read", "dirty reads", "a read saw data that was later rolled back"),
        AnomalyKind::NotLinearizable => {
            ("non-linearizable key", "non-linearizable keys", "no order explains the results")
        }
        AnomalyKind::SplitBrain => ("split brain", "split brains", "two leaders acknowledged writes"),
        AnomalyKind::LostWrite => ("lost write", "lost writes", "an acknowledged write disappeared"),
    };
    if n == 1 {
        format!("A {one}: {why}.")
    } else {
        format!("{n} {many} so far: {why}.")
    }
}

fn names(nodes: &[NodeId]) -> String {
    let named: Vec<String> = nodes.iter().map(|n| format!("n{n}")).collect();
    match named.len() {
        0 => String::new(),
        1 => named[0].clone(),
        k => format!("{} and {}", named[..k - 1].join(", "), named[k - 1]),
    }
}

/// A command in plain words, with its importance; `None` for those not worth a line.
pub fn command_line(command: &Command) -> Option<(Importance, String)> {
    let f = Importance::Fault;
    Some(match command {
        Command::Partition { groups } if groups.len() == 2 && (groups[0].len() == 1 || groups[1].len() == 1) => {
            let (alone, rest) = if groups[0].len() == 1 { (&groups[0], &groups[1]) } else { (&groups[1], &groups[0]) };
            (f, format!("Network partition: n{} can no longer reach {}.", alone[0], names(rest)))
        }
        Command::Partition { groups } => (
            f,
            format!(
                "Network partition: the cluster splits into {}.",
                groups.iter().map(|g| format!("{{{}}}", names(g))).collect::<Vec<_>>().join(" and ")
            ),
        ),
        Command::Crash { node } => (f, format!("n{node} crashed.")),
        Command::Restart { node } => (f, format!("n{node} restarted.")),
        Command::Pause { node } => (f, format!("n{node} froze (a long pause): it still believes what it believed.")),
        Command::Resume { node } => (f, format!("n{node} woke up.")),
        Command::Heal {} => (f, "The network healed: every node can reach every other again.".into()),
        Command::Cut { from, to, both: true } => (f, format!("The link between n{from} and n{to} is cut.")),
        Command::Cut { from, to, .. } => (f, format!("n{from} can no longer send to n{to}.")),
        Command::Uncut { from, to, .. } => (f, format!("The link from n{from} to n{to} works again.")),
        Command::Clock { node, skew_ms, .. } => (f, format!("n{node}'s clock is now {skew_ms:+} ms off.")),
        Command::Slow { node, factor } => (f, format!("n{node} runs {factor} times slower.")),
        Command::Promote { node } => (Importance::Leadership, format!("The operator promotes n{node}.")),
        Command::Demote { node } => (Importance::Leadership, format!("The operator demotes n{node}.")),
        _ => return None,
    })
}

/// The anomaly kinds in the order the anomaly panel headlines them: the concept that matters
/// most first.
pub const HEADLINE_ORDER: [AnomalyKind; 9] = [
    AnomalyKind::SplitBrain,
    AnomalyKind::LostWrite,
    AnomalyKind::DirtyRead,
    AnomalyKind::Divergence,
    AnomalyKind::ReadYourWrites,
    AnomalyKind::MonotonicReads,
    AnomalyKind::CausalOrder,
    AnomalyKind::StaleRead,
    AnomalyKind::NotLinearizable,
];

/// A headline for `count` anomalies of one kind: the concept, with the count, then what it
/// means.
pub fn headline(kind: AnomalyKind, count: usize) -> (String, &'static str) {
    let title = match kind {
        AnomalyKind::SplitBrain if count == 1 => "Split brain".to_string(),
        AnomalyKind::SplitBrain => format!("Split brain ({count} times)"),
        AnomalyKind::LostWrite => format!("{} lost", plural(count, "acknowledged write")),
        AnomalyKind::DirtyRead => plural(count, "dirty read"),
        AnomalyKind::Divergence => plural(count, "diverged replica set"),
        AnomalyKind::ReadYourWrites => format!("{} of read-your-writes", plural(count, "violation")),
        AnomalyKind::MonotonicReads => format!("{} of monotonic reads", plural(count, "violation")),
        AnomalyKind::CausalOrder => format!("{} of causal order", plural(count, "violation")),
        AnomalyKind::StaleRead => plural(count, "stale read"),
        AnomalyKind::NotLinearizable => plural(count, "key") + " not linearizable",
    };
    let why = match kind {
        AnomalyKind::SplitBrain => "two nodes acted as leader at once and both acknowledged writes",
        AnomalyKind::LostWrite => "clients were told these writes succeeded, and no node holds them any more",
        AnomalyKind::DirtyRead => "reads returned data that was later rolled back",
        AnomalyKind::Divergence => "replicas still disagree after the faults healed",
        AnomalyKind::ReadYourWrites => "a client did not see its own acknowledged write",
        AnomalyKind::MonotonicReads => "a client saw older data after newer data",
        AnomalyKind::CausalOrder => "a client saw an effect before its cause",
        AnomalyKind::StaleRead => "reads missed writes acknowledged before they began",
        AnomalyKind::NotLinearizable => "no single order of the operations explains what clients saw",
    };
    (title, why)
}

/// The screen-reader voice: says at most one line every [`ANNOUNCE_EVERY_MS`], the most
/// important waiting first.
#[derive(Clone, Debug, Default)]
pub struct Announcer {
    pending: Vec<(Importance, u64, String)>,
    offered: u64,
    last: Option<f64>,
    current: String,
}

impl Announcer {
    /// Queues the lines not offered before.
    pub fn offer<'a>(&mut self, lines: impl IntoIterator<Item = &'a Line>) {
        for l in lines {
            if l.id > self.offered {
                self.offered = l.id;
                self.pending.push((l.importance, l.id, l.text.clone()));
            }
        }
        // Most important first, then newest.
        replicalab_core::sort::sort_by_key(&mut self.pending, |p| std::cmp::Reverse((p.0, p.1)));
        self.pending.truncate(MAX_PENDING);
    }

    /// At wall-clock `now_ms`: the text to announce now, if it is time for one.
    pub fn poll(&mut self, now_ms: f64) -> Option<&str> {
        if self.pending.is_empty() || self.last.is_some_and(|t| now_ms - t < ANNOUNCE_EVERY_MS) {
            return None;
        }
        let (_, _, text) = self.pending.remove(0);
        self.last = Some(now_ms);
        self.current = text;
        Some(&self.current)
    }

    pub fn current(&self) -> &str {
        &self.current
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use replicalab_core::presets::find;
    use replicalab_core::time::MS;

    fn story_of(name: &str, until_ms: u64, frame_ms: u64) -> Vec<Line> {
        let scenario = find(name).unwrap().scenario().unwrap();
        let mut sim = Simulation::new(&scenario);
        sim.set_trace_capacity(600);
        let mut n = Narrator::default();
        let mut t = 0;
        while t < until_ms * MS {
            t += frame_ms * MS;
            sim.run_until(t);
            n.catch_up(&sim);
        }
        n.lines().cloned().collect()
    }

    #[test]
    fn split_brain_is_told_partition_second_leader_and_discarded_writes() {
        let lines = story_of("split-brain-naive", 5000, 20);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        let find =
            |s: &str| lines.iter().find(|l| l.text.contains(s)).unwrap_or_else(|| panic!("no {s:?} in {texts:#?}"));
        let partition = find("n0 can no longer reach n1 and n2");
        assert_eq!(partition.time, 2000 * MS);
        let second = find("promoted itself");
        assert!(second.text.contains("n0 and n1 both believe they lead"), "{}", second.text);
        assert_eq!(second.importance, Importance::Leadership);
        let split = find("Split brain:");
        assert_eq!(split.importance, Importance::SplitBrain);
        assert!(second.time <= split.time);
        let discarded = find("threw away 105 writes");
        assert!(discarded.text.contains("105 of them had been acknowledged"), "{}", discarded.text);
        assert!(partition.time < second.time && second.time < discarded.time);
        // Stale reads are counted on one line, not one line each.
        assert!(lines.iter().filter(|l| l.text.contains("stale read")).count() < 6, "{texts:#?}");
    }

    #[test]
    fn paxos_contention_is_told_once_per_operation() {
        let lines = story_of("cassandra-lwt", 10_000, 20);
        let contention: Vec<&Line> = lines.iter().filter(|l| l.text.starts_with("Contention on k")).collect();
        assert!(!contention.is_empty(), "{:#?}", lines.iter().map(|l| &l.text).collect::<Vec<_>>());
        let ops: Vec<&str> =
            contention.iter().filter_map(|l| l.text.split_whitespace().find(|w| w.starts_with("op"))).collect();
        let mut unique = ops.clone();
        replicalab_core::sort::sort(&mut unique);
        unique.dedup();
        assert_eq!(unique.len(), ops.len(), "an operation's contention told twice: {ops:?}");
    }

    #[test]
    fn the_story_is_the_same_whatever_the_frame_length() {
        let a: Vec<String> = story_of("split-brain-naive", 5000, 16)
            .into_iter()
            .filter(|l| l.importance > Importance::Low)
            .map(|l| l.text)
            .collect();
        let b: Vec<String> = story_of("split-brain-naive", 5000, 100)
            .into_iter()
            .filter(|l| l.importance > Importance::Low)
            .map(|l| l.text)
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn a_rewind_forgets_the_future_and_reads_on_from_the_copy() {
        let scenario = find("split-brain-naive").unwrap().scenario().unwrap();
        let mut sim = Simulation::new(&scenario);
        sim.set_trace_capacity(600);
        let mut n = Narrator::default();
        let copy = sim.clone();
        sim.run_until(2500 * MS);
        n.catch_up(&sim);
        let before = n.lines().count();
        assert!(n.lines().any(|l| l.text.contains("partition")));
        // Back to 0 (the copy), then forward to 1 s: nothing is told twice, the partition is gone.
        let mut sim = copy;
        n.rewound(0, 1000 * MS);
        sim.run_until(1000 * MS);
        n.catch_up(&sim);
        assert!(!n.lines().any(|l| l.text.contains("partition")));
        assert!(n.lines().count() < before);
        sim.run_until(2100 * MS);
        n.catch_up(&sim);
        assert_eq!(n.lines().filter(|l| l.text.contains("partition")).count(), 1);
    }

    /// Always: a seek changes how much of the story is kept, never what it says. Over six
    /// presets × 8 random schedules of plays and seeks (back to a checkpoint, then forward to
    /// the playhead, as the playground does), the narration at the end is a suffix of what a
    /// straight run to the same instant tells, counts of repeated anomalies included (a line
    /// counting stale reads used to keep the reads after the playhead it was rewound to).
    #[test]
    fn a_seek_never_changes_what_is_told() {
        use replicalab_core::rng::SimRng;
        const FRAME: Time = 20 * MS;
        const CHECKPOINT_EVERY: Time = 500 * MS;
        let said = |n: &Narrator| n.lines().map(|l| (l.time, l.importance, l.text.clone())).collect::<Vec<_>>();
        let presets = [
            "split-brain-naive",
            "lf-async",
            "ml-siblings",
            "ryw-comment-disappears",
            "failover-async-loss",
            "ll-partial-quorum",
        ];
        let mut stale_counts_rewound = 0;
        for (i, name) in presets.iter().enumerate() {
            let scenario = find(name).unwrap_or_else(|| panic!("no preset {name}")).scenario().unwrap();
            for seed in 0..8u64 {
                let mut rng = SimRng::new(1000 * i as u64 + seed);
                let mut sim = Simulation::new(&scenario);
                sim.set_trace_capacity(600);
                let mut checkpoints = vec![sim.clone()];
                let mut n = Narrator::default();
                let mut script = Vec::new();
                let forward = |sim: &mut Simulation, n: &mut Narrator, to: Time, cps: &mut Vec<Simulation>| {
                    while sim.now() < to {
                        sim.run_until(sim.now() + FRAME);
                        n.catch_up(sim);
                        if sim.now() % CHECKPOINT_EVERY == 0 && sim.now() > cps.last().map_or(0, |c| c.now()) {
                            cps.push(sim.clone());
                        }
                    }
                };
                for _ in 0..10 {
                    let now = sim.now();
                    if now > 0 && rng.below(2) == 0 {
                        // Seek back to a frame boundary at or before the playhead.
                        let t = rng.below(now / FRAME + 1) * FRAME;
                        script.push(format!("seek {t}"));
                        let before = n.lines().last().and_then(|l| l.repeat.clone());
                        n.catch_up(&sim);
                        n.rewound(now.min(t), t);
                        stale_counts_rewound += (before != n.lines().last().and_then(|l| l.repeat.clone())) as usize;
                        sim = checkpoints.iter().rev().find(|c| c.now() <= t).unwrap().clone();
                        forward(&mut sim, &mut n, t, &mut Vec::new());
                    } else {
                        let to = now + (1 + rng.below(75)) * FRAME;
                        script.push(format!("play to {to}"));
                        forward(&mut sim, &mut n, to, &mut checkpoints);
                    }
                }
                let mut straight = Simulation::new(&scenario);
                straight.set_trace_capacity(600);
                let mut m = Narrator::default();
                forward(&mut straight, &mut m, sim.now(), &mut Vec::new());
                let (got, want) = (said(&n), said(&m));
                assert!(
                    want.ends_with(&got),
                    "{name}, seed {seed}, {script:?}: after the seeks\n{got:#?}\nstraight\n{want:#?}"
                );
            }
        }
        assert!(stale_counts_rewound > 5, "only {stale_counts_rewound} seeks took back counted anomalies");
    }

    #[test]
    fn headlines_lead_with_the_concept_and_the_count() {
        assert_eq!(headline(AnomalyKind::SplitBrain, 1).0, "Split brain");
        assert_eq!(headline(AnomalyKind::LostWrite, 105).0, "105 acknowledged writes lost");
        assert_eq!(headline(AnomalyKind::LostWrite, 1).0, "1 acknowledged write lost");
        assert_eq!(headline(AnomalyKind::StaleRead, 32).0, "32 stale reads");
        assert_eq!(headline(AnomalyKind::NotLinearizable, 1).0, "1 key not linearizable");
        assert_eq!(HEADLINE_ORDER[0], AnomalyKind::SplitBrain);
        assert_eq!(HEADLINE_ORDER.len(), 9, "every kind has a place");
    }

    #[test]
    fn announcements_come_at_most_every_two_seconds_most_important_first() {
        let line = |id, importance, text: &str| Line { id, time: 0, importance, text: text.into(), repeat: None };
        let mut a = Announcer::default();
        a.offer(&[line(1, Importance::Fault, "cut")]);
        assert_eq!(a.poll(0.0), Some("cut"));
        a.offer(&[
            line(2, Importance::Low, "stale"),
            line(3, Importance::SplitBrain, "two leaders"),
            line(4, Importance::Leadership, "elected"),
        ]);
        assert_eq!(a.poll(500.0), None, "too soon");
        assert_eq!(a.poll(1999.0), None, "too soon");
        assert_eq!(a.poll(2000.0), Some("two leaders"));
        assert_eq!(a.poll(3000.0), None);
        assert_eq!(a.poll(4000.0), Some("elected"));
        assert_eq!(a.poll(6000.0), Some("stale"));
        assert_eq!(a.poll(9000.0), None, "nothing left");
        // Lines already offered are not queued again.
        a.offer(&[line(4, Importance::Leadership, "elected")]);
        assert_eq!(a.poll(12000.0), None);
        assert_eq!(a.current(), "stale");
    }
}
