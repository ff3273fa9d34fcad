//! The history checker's model: what the "Check a history" panel asks the core and how it
//! draws the answer, in plain Rust (tested natively).
//!
//! The core reads and checks the file ([`check_text`]); this module only turns the panel's
//! choices into a [`FileCheck`] ([`file_check`]), the report into words ([`verdict_text`],
//! [`read_summary`], [`op_text`]) and into an operation timeline: one lane per process, one bar
//! per operation from its invocation to its completion, x being the event's position in the
//! file (a history file is written in real-time order).
//!
//! A history may hold 50 000 operations, so the timeline never draws all of them: it shows a
//! [`Range`] of at most [`MAX_SPAN`] events, at first around the violation's minimal window,
//! and [`layout`] lays out only the operations in that range (and at most [`MAX_LANES`]
//! lanes). [`TimelineView`] is the timeline's state (range, chosen violation, selected
//! operation) and [`TimelineView::apply`] its reducer: pan, zoom, show the window, select.
//!
//! [`check_text`]: replicalab_core::checkers::linearizability::file::check_text

use std::collections::{BTreeMap, BTreeSet};

use replicalab_core::checkers::linearizability::file::{FileCheck, FileReport, ModelKind, ViolationRecord};
use replicalab_core::checkers::linearizability::{CheckConfig, Verdict};
use replicalab_core::formats::{EventType, Format, Process};

/// Most events the timeline shows at once (about half as many operations).
pub const MAX_SPAN: usize = 2_000;
/// Fewest events the timeline zooms in to.
pub const MIN_SPAN: usize = 12;
/// Most lanes (processes) drawn at once; the processes of the window's operations come first.
pub const MAX_LANES: usize = 40;
/// Largest history the panel reads, in bytes.
pub const MAX_HISTORY_BYTES: usize = 64 << 20;
/// Largest file whose text is put in the panel's text box (a longer one is checked as it is).
pub const MAX_SHOWN_BYTES: usize = 512 << 10;

/// The panel's choices as the core's check: `format` and `model` are the names the command
/// line uses, or `auto` (recognise it from the text); `every_key` checks every key and gives
/// each violation its own minimal window (report mode) instead of stopping at the first.
pub fn file_check(format: &str, model: &str, every_key: bool) -> FileCheck {
    FileCheck {
        format: Format::from_name(format),
        model: ModelKind::from_name(model),
        config: if every_key { CheckConfig::default() } else { CheckConfig::verdict() },
        ..FileCheck::default()
    }
}

/// The verdict in plain words.
pub fn verdict_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Linearizable => "Linearizable",
        Verdict::NotLinearizable => "Not linearizable",
        Verdict::Unknown => "Undecided: the search ran out of budget",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What was read: operations and processes, skipped lines, nemesis events.
pub struct ReadSummary {
    /// "12 operations by 3 processes".
    pub operations: String,
    /// "6 lines skipped that were not operations (the first is line 1)".
    pub skipped: String,
    /// "2 nemesis events".
    pub nemesis: String,
    /// "porcupine-etcd, as a compare-and-set register starting at nil".
    pub how: String,
}

/// Describes what a check read.
pub fn read_summary(report: &FileReport, how: &FileCheck) -> ReadSummary {
    let processes: BTreeSet<i64> = report.ops.iter().map(|o| o.process).collect();
    let skipped = match report.first_foreign_line {
        Some(l) if report.foreign_lines > 0 => format!(
            "{} skipped that {} (the first is line {l})",
            plural(report.foreign_lines, "line", "lines"),
            if report.foreign_lines == 1 { "was not an operation" } else { "were not operations" }
        ),
        _ => "no lines skipped".to_string(),
    };
    let recognised = |given: bool| if given { "" } else { " (recognised)" };
    let initial = match report.initial {
        Some(Some(v)) => format!(" starting at {v}"),
        Some(None) => " starting at nil".to_string(),
        None => String::new(),
    };
    ReadSummary {
        operations: format!(
            "{} by {}",
            plural(report.ops.len(), "operation", "operations"),
            plural(processes.len(), "process", "processes")
        ),
        skipped,
        nemesis: plural(report.nemesis_events, "nemesis event", "nemesis events"),
        how: format!(
            "{}{}, as a {}{}{}",
            report.format.name(),
            recognised(how.format.is_some()),
            report.model.title(),
            recognised(how.model.is_some()),
            initial
        ),
    }
}

/// What operation `i` did, in words: the checker's description when a violation names it,
/// otherwise its function with the value it wrote or read.
pub fn op_text(report: &FileReport, i: usize) -> String {
    let op = report.op(i);
    if let Some(d) = op.description {
        return d.to_string();
    }
    let value = match (op.outcome, op.completed) {
        (EventType::Ok, Some(done)) => &done.value,
        _ => &op.invoked.value,
    };
    let key = op.key.map(|k| format!(" {k}")).unwrap_or_default();
    format!("{}{key} {value}", op.f)
}

/// The lines an operation spans: "line 7" or "lines 7–9".
pub fn op_lines(report: &FileReport, i: usize) -> String {
    let op = report.op(i);
    match op.complete {
        Some(c) if c.line != op.invoke.line => format!("lines {}–{}", op.invoke.line, c.line),
        _ => format!("line {}", op.invoke.line),
    }
}

/// How an operation ended, in words.
pub fn outcome_text(outcome: EventType, completed: bool) -> &'static str {
    match (outcome, completed) {
        (EventType::Ok, _) => "ok",
        (EventType::Fail, _) => "failed",
        (_, true) => "unknown (info)",
        (_, false) => "unknown (never completed)",
    }
}

/// A half-open range of event positions, `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: usize,
    pub end: usize,
}

impl Range {
    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }

    /// `len` events from `start`, moved back inside `0..total` (and at most `total` long).
    fn fit(start: usize, len: usize, total: usize) -> Range {
        let len = len.min(total).max(1.min(total));
        let start = start.min(total - len);
        Range { start, end: start + len }
    }

    /// `len` events centred on `at`.
    fn centred(at: usize, len: usize, total: usize) -> Range {
        Range::fit(at.saturating_sub(len / 2), len, total)
    }

    fn centre(self) -> usize {
        self.start + self.len() / 2
    }
}

/// The events from the first invocation of a violation's window to its last completion (or
/// invocation, for operations that never completed).
pub fn window_span(report: &FileReport, v: &ViolationRecord) -> Range {
    let ends = v.window.iter().chain([&v.failing_op]).filter(|&&i| i < report.ops.len()).map(|&i| {
        let o = &report.ops[i];
        (o.invoke, o.completion.unwrap_or(o.invoke) + 1)
    });
    let start = ends.clone().map(|e| e.0).min().unwrap_or(0);
    let end = ends.map(|e| e.1).max().unwrap_or(1);
    Range { start, end }
}

/// Events in the history (client operations and the nemesis's events), at least 1.
fn total(report: &FileReport) -> usize {
    report.event_list.len().max(1)
}

/// The range that shows a violation's window with a margin either side; a window longer than
/// [`MAX_SPAN`] is shown around its failing operation.
pub fn window_range(report: &FileReport, v: &ViolationRecord) -> Range {
    let total = total(report);
    let span = window_span(report, v);
    let pad = (span.len() / 4).max(4);
    let len = span.len() + 2 * pad;
    if len <= MAX_SPAN {
        Range::fit(span.start.saturating_sub(pad), len.max(MIN_SPAN), total)
    } else {
        let at = report.ops.get(v.failing_op).map_or(span.start, |o| o.completion.unwrap_or(o.invoke));
        Range::centred(at, MAX_SPAN, total)
    }
}

/// How an operation ended, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Fail,
    /// `:info`, or never completed: it may take effect at any time after its invocation.
    Unknown,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Fail => "fail",
            Outcome::Unknown => "unknown",
        }
    }
}

/// An operation's part in the violation shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Not in the window, while a violation is shown.
    Dimmed,
    /// No violation is shown.
    Plain,
    /// In the minimal window.
    Window,
    /// The operation that could not be linearized.
    Failing,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Dimmed => "dimmed",
            Role::Plain => "plain",
            Role::Window => "window",
            Role::Failing => "failing",
        }
    }
}

/// One operation's bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    /// Index into [`FileReport::ops`].
    pub op: usize,
    pub lane: usize,
    /// Event positions of the invocation and of the completion (for an unknown outcome, the
    /// `:info` event, if any: the bar goes on, dashed, to the end of the history).
    pub invoke: usize,
    pub complete: Option<usize>,
    pub outcome: Outcome,
    pub role: Role,
}

/// A nemesis event in view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub at: usize,
    pub line: usize,
    pub text: String,
}

/// What the timeline draws for a range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// The lanes' processes, top to bottom.
    pub lanes: Vec<i64>,
    /// Bars in drawing order: dimmed first, the failing operation last (on top).
    pub bars: Vec<Bar>,
    /// Nemesis events in the range.
    pub marks: Vec<Mark>,
    /// Processes with operations in the range that have no lane ([`MAX_LANES`]).
    pub lanes_left_out: usize,
    /// Operations with an unknown outcome invoked before the range and still open in it: not
    /// drawn (they would each take a lane), only counted.
    pub open_before: usize,
}

/// Lays out the operations that show in `range`, with the roles `focus` (a violation) gives
/// them. Costs one pass over the operations invoked before the range's end.
pub fn layout(report: &FileReport, range: Range, focus: Option<&ViolationRecord>) -> Layout {
    let events = &report.event_list;
    let window: BTreeSet<usize> = focus.map(|v| v.window.iter().copied().collect()).unwrap_or_default();
    let failing = focus.map(|v| v.failing_op);
    let role = |i: usize| match focus {
        None => Role::Plain,
        Some(_) if failing == Some(i) => Role::Failing,
        Some(_) if window.contains(&i) => Role::Window,
        Some(_) => Role::Dimmed,
    };
    let upto = report.ops.partition_point(|o| o.invoke < range.end);
    let mut bars = Vec::new();
    let mut open_before = 0;
    for (i, o) in report.ops[..upto].iter().enumerate() {
        let outcome = match o.outcome(events) {
            EventType::Ok => Outcome::Ok,
            EventType::Fail => Outcome::Fail,
            _ => Outcome::Unknown,
        };
        // The solid part of the bar ends at the completion (an operation that never completed
        // has none); an unknown outcome's dashed tail goes on to the end of the history.
        let last = o.completion.unwrap_or(o.invoke);
        let role = role(i);
        if last < range.start {
            match (outcome, role) {
                // A window operation is always drawn, its dashed tail crossing the range.
                (Outcome::Unknown, Role::Window | Role::Failing) => {}
                (Outcome::Unknown, _) => {
                    open_before += 1;
                    continue;
                }
                _ => continue,
            }
        }
        bars.push(Bar { op: i, lane: 0, invoke: o.invoke, complete: o.completion, outcome, role });
    }
    // Lanes: every process with a bar, those of the window first when there are too many.
    let mut processes: BTreeMap<i64, Role> = BTreeMap::new();
    for b in &bars {
        let r = processes.entry(report.ops[b.op].process).or_insert(b.role);
        *r = (*r).max(b.role);
    }
    let mut lanes: Vec<i64> = processes.keys().copied().collect();
    let mut lanes_left_out = 0;
    if lanes.len() > MAX_LANES {
        let mut ranked: Vec<(std::cmp::Reverse<Role>, i64)> =
            processes.iter().map(|(&p, &r)| (std::cmp::Reverse(r.max(Role::Plain)), p)).collect();
        replicalab_core::sort::sort(&mut ranked);
        lanes_left_out = lanes.len() - MAX_LANES;
        lanes = ranked.into_iter().take(MAX_LANES).map(|(_, p)| p).collect();
        replicalab_core::sort::sort(&mut lanes);
    }
    let lane_of: BTreeMap<i64, usize> = lanes.iter().enumerate().map(|(k, &p)| (p, k)).collect();
    bars.retain_mut(|b| match lane_of.get(&report.ops[b.op].process) {
        Some(&k) => {
            b.lane = k;
            true
        }
        None => false,
    });
    replicalab_core::sort::sort_by_key(&mut bars, |b| (b.role, b.op));
    let marks = events[range.start.min(events.len())..range.end.min(events.len())]
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.process, Process::Named(_)))
        .map(|(k, e)| Mark {
            at: range.start + k,
            line: e.line,
            text: format!("{} {} {} {}", e.process, e.kind.name(), e.f, e.value),
        })
        .collect();
    Layout { lanes, bars, marks, lanes_left_out, open_before }
}

/// The timeline's state: which violation it shows, the range in view, the selected operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineView {
    /// Index into [`FileReport::violations`].
    pub violation: Option<usize>,
    pub range: Range,
    pub selected: Option<usize>,
}

/// What the reader does to the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewAction {
    /// Half a range back / forward.
    Earlier,
    Later,
    ZoomIn,
    ZoomOut,
    /// Back to the violation's window.
    ShowWindow,
    /// Select an operation, bringing it into view.
    Select(usize),
    /// Show violation `i` (a history checked in report mode may have one per key).
    Violation(usize),
}

impl TimelineView {
    /// The first violation's window, or the start of the history.
    pub fn new(report: &FileReport) -> TimelineView {
        match report.violations.first() {
            Some(v) => TimelineView { violation: Some(0), range: window_range(report, v), selected: None },
            None => TimelineView { violation: None, range: Range::fit(0, MAX_SPAN, total(report)), selected: None },
        }
    }

    pub fn focus<'a>(&self, report: &'a FileReport) -> Option<&'a ViolationRecord> {
        self.violation.and_then(|i| report.violations.get(i))
    }

    /// Whether the range can move back, forward, in, out.
    pub fn can(&self, report: &FileReport, action: ViewAction) -> bool {
        let total = total(report);
        match action {
            ViewAction::Earlier => self.range.start > 0,
            ViewAction::Later => self.range.end < total,
            ViewAction::ZoomIn => self.range.len() > MIN_SPAN.min(total),
            ViewAction::ZoomOut => self.range.len() < MAX_SPAN.min(total),
            ViewAction::ShowWindow => self.focus(report).is_some(),
            ViewAction::Select(i) => i < report.ops.len(),
            ViewAction::Violation(i) => i < report.violations.len(),
        }
    }

    /// The view after `action`.
    pub fn apply(&self, report: &FileReport, action: ViewAction) -> TimelineView {
        let total = total(report);
        let r = self.range;
        let mut next = self.clone();
        match action {
            ViewAction::Earlier => {
                next.range = Range::fit(r.start.saturating_sub((r.len() / 2).max(1)), r.len(), total)
            }
            ViewAction::Later => next.range = Range::fit(r.start + (r.len() / 2).max(1), r.len(), total),
            ViewAction::ZoomIn => next.range = Range::centred(r.centre(), (r.len() / 2).max(MIN_SPAN), total),
            ViewAction::ZoomOut => next.range = Range::centred(r.centre(), (r.len() * 2).min(MAX_SPAN), total),
            ViewAction::ShowWindow => {
                if let Some(v) = self.focus(report) {
                    next.range = window_range(report, v);
                }
            }
            ViewAction::Select(i) => {
                if let Some(o) = report.ops.get(i) {
                    next.selected = Some(i);
                    let end = o.completion.unwrap_or(o.invoke);
                    if end < r.start || o.invoke >= r.end {
                        next.range = Range::centred(o.invoke + (end - o.invoke) / 2, r.len(), total);
                    }
                }
            }
            ViewAction::Violation(i) => {
                if let Some(v) = report.violations.get(i) {
                    next = TimelineView { violation: Some(i), range: window_range(report, v), selected: None };
                }
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use replicalab_core::checkers::linearizability::file::check_text;
    use replicalab_core::formats::generate::{cas_history, GenSpec};

    use super::*;

    /// A test run's output: a banner, a nemesis, and a stale read: process 2 reads 1 after the
    /// write of 2 completed and after process 3 read 2. Process 4's write never completes.
    const STALE: &str = "lein test jepsen.etcd-test
INFO  jepsen.core - Worker 0 starting
INFO  jepsen.util - 0\t:invoke\t:write\t1
INFO  jepsen.util - 0\t:ok\t:write\t1
INFO  jepsen.util - :nemesis\t:info\t:start\tnil
INFO  jepsen.util - 1\t:invoke\t:write\t2
INFO  jepsen.util - 3\t:invoke\t:read\tnil
INFO  jepsen.util - 1\t:ok\t:write\t2
INFO  jepsen.util - 3\t:ok\t:read\t2
INFO  jepsen.util - 2\t:invoke\t:read\tnil
INFO  jepsen.util - 2\t:ok\t:read\t1
INFO  jepsen.util - 4\t:invoke\t:write\t3
INFO  jepsen.util - :nemesis\t:info\t:stop\tnil
Ran 1 tests containing 1 assertions.
";

    fn check(text: &str) -> FileReport {
        check_text(text, &FileCheck::default()).unwrap()
    }

    #[test]
    fn the_panel_choices_become_the_cores_check() {
        let auto = file_check("auto", "auto", false);
        assert_eq!(auto, FileCheck::default());
        let every = file_check("jepsen-edn", "mutex", true);
        assert_eq!((every.format, every.model), (Some(Format::JepsenEdn), Some(ModelKind::Mutex)));
        assert_eq!(every.config, CheckConfig::default());
        for f in Format::ALL {
            assert_eq!(file_check(f.name(), "auto", false).format, Some(f));
        }
        for m in ModelKind::ALL {
            assert_eq!(file_check("auto", m.name(), false).model, Some(m));
        }
    }

    #[test]
    fn a_stale_read_is_drawn_with_its_window_emphasised() {
        let r = check(STALE);
        assert_eq!(verdict_text(r.verdict), "Not linearizable");
        let summary = read_summary(&r, &FileCheck::default());
        assert_eq!(summary.operations, "5 operations by 5 processes");
        assert_eq!(summary.skipped, "3 lines skipped that were not operations (the first is line 1)");
        assert_eq!(summary.nemesis, "2 nemesis events");
        assert_eq!(
            summary.how,
            "porcupine-etcd (recognised), as a compare-and-set register (recognised) starting at nil"
        );

        let view = TimelineView::new(&r);
        let v = view.focus(&r).unwrap();
        assert_eq!(r.op(v.failing_op).process, 2);
        let l = layout(&r, view.range, Some(v));
        assert_eq!(l.lanes, vec![0, 1, 2, 3, 4], "one lane per process, in order");
        assert_eq!(l.marks.len(), 2);
        assert_eq!(l.marks[0].line, 5);
        let role = |p: i64| l.bars.iter().find(|b| r.ops[b.op].process == p).unwrap().role;
        assert_eq!(role(2), Role::Failing);
        assert_eq!(role(3), Role::Window, "the read of 2 that completed before the read of 1 began");
        assert_eq!((role(0), role(1), role(4)), (Role::Dimmed, Role::Dimmed, Role::Dimmed));
        assert_eq!(l.bars.last().unwrap().role, Role::Failing, "drawn on top");
        let never = l.bars.iter().find(|b| r.ops[b.op].process == 4).unwrap();
        assert_eq!((never.outcome, never.complete), (Outcome::Unknown, None));
        // The window's operations listed as text.
        assert_eq!(op_text(&r, v.failing_op), "read -> 1");
        assert_eq!(op_lines(&r, v.failing_op), "lines 10–11");
        assert_eq!(op_text(&r, 4), "write 3");
        assert_eq!(op_lines(&r, 4), "line 12");
        assert_eq!(outcome_text(r.op(4).outcome, false), "unknown (never completed)");
    }

    #[test]
    fn a_linearizable_history_shows_its_start_without_roles() {
        let text = "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n\
                    {:process 1, :type :invoke, :f :read, :value nil}\n{:process 1, :type :ok, :f :read, :value 1}\n";
        let r = check(text);
        assert_eq!(verdict_text(r.verdict), "Linearizable");
        let view = TimelineView::new(&r);
        assert_eq!((view.violation, view.range), (None, Range { start: 0, end: 4 }));
        let l = layout(&r, view.range, view.focus(&r));
        assert!(l.bars.iter().all(|b| b.role == Role::Plain));
        assert_eq!(l.bars.len(), 2);
        assert!(!view.can(&r, ViewAction::Earlier) && !view.can(&r, ViewAction::Later));
        assert!(!view.can(&r, ViewAction::ZoomOut), "the whole history is in view");
    }

    #[test]
    fn ranges_stay_inside_the_history_and_within_the_limits() {
        for total in [1, 5, 12, 13, 100, 5_000] {
            for start in [0, 3, total / 2, total] {
                for len in [1, MIN_SPAN, 64, MAX_SPAN, 10 * MAX_SPAN] {
                    let r = Range::fit(start, len, total);
                    assert!(r.end <= total && !r.is_empty() && r.len() <= len.max(1), "{total} {start} {len}: {r:?}");
                }
            }
        }
        assert_eq!(Range::centred(10, 4, 100), Range { start: 8, end: 12 });
        assert_eq!(Range::centred(99, 10, 100), Range { start: 90, end: 100 });
    }

    #[test]
    fn a_long_history_draws_a_bounded_range_around_its_window() {
        let spec = GenSpec { clients: 8, ops: 50_000, keys: 1, timeout_ppm: 20_000, seed: 3 };
        let r = check(&cas_history(&spec, true));
        assert_eq!(r.verdict, Verdict::NotLinearizable);
        assert_eq!(r.ops.len(), 50_000);
        let view = TimelineView::new(&r);
        let v = view.focus(&r).unwrap();
        assert!(view.range.len() <= MAX_SPAN);
        let failing = &r.ops[v.failing_op];
        assert!(
            view.range.start <= failing.invoke && failing.invoke < view.range.end,
            "the failing operation is in view"
        );
        let l = layout(&r, view.range, Some(v));
        assert!(l.bars.len() <= MAX_SPAN, "{} bars", l.bars.len());
        assert!(l.lanes.len() <= MAX_LANES);
        assert!(l.bars.iter().any(|b| b.role == Role::Failing));
        // Panning and zooming keep the range inside the history and within the limits.
        let mut view = view;
        for a in [ViewAction::ZoomOut, ViewAction::ZoomOut, ViewAction::Later, ViewAction::ZoomIn, ViewAction::Earlier]
        {
            view = view.apply(&r, a);
            assert!(view.range.len() <= MAX_SPAN && view.range.end <= r.event_list.len(), "{a:?}: {:?}", view.range);
        }
        let mut steps = 0;
        while view.can(&r, ViewAction::Earlier) && steps < 100_000 {
            view = view.apply(&r, ViewAction::Earlier);
            steps += 1;
        }
        assert_eq!(view.range.start, 0, "after {steps} steps back");
        // Selecting an operation out of view brings it into view; showing the window goes back.
        let back = view.apply(&r, ViewAction::Select(v.failing_op));
        assert!(back.range.start <= failing.invoke && failing.invoke < back.range.end);
        assert_eq!(back.selected, Some(v.failing_op));
        assert_eq!(view.apply(&r, ViewAction::ShowWindow).range, window_range(&r, v));
    }

    #[test]
    fn unknown_outcomes_invoked_before_the_range_are_counted_not_drawn() {
        let mut text =
            String::from("INFO  jepsen.util - 9\t:invoke\t:write\t7\nINFO  jepsen.util - 9\t:info\t:write\t7\n");
        for k in 0..40 {
            text += &format!("INFO  jepsen.util - 0\t:invoke\t:write\t{k}\nINFO  jepsen.util - 0\t:ok\t:write\t{k}\n");
        }
        let r = check(&text);
        assert_eq!(read_summary(&r, &FileCheck::default()).skipped, "no lines skipped");
        let l = layout(&r, Range { start: 20, end: 40 }, None);
        assert_eq!((l.open_before, l.lanes.clone()), (1, vec![0]));
        let l = layout(&r, Range { start: 0, end: 10 }, None);
        assert_eq!((l.open_before, l.lanes.clone()), (0, vec![0, 9]));
    }

    #[test]
    fn too_many_processes_keep_the_windows_lanes() {
        // 60 processes, each writing once, then a read of a value nobody wrote by process 59.
        let mut text = String::new();
        for p in 0..59 {
            text += &format!("INFO  jepsen.util - {p}\t:invoke\t:write\t{p}\n");
        }
        for p in 0..59 {
            text += &format!("INFO  jepsen.util - {p}\t:ok\t:write\t{p}\n");
        }
        text += "INFO  jepsen.util - 59\t:invoke\t:read\tnil\nINFO  jepsen.util - 59\t:ok\t:read\t100\n";
        let r = check(&text);
        let view = TimelineView::new(&r);
        let l = layout(&r, Range { start: 0, end: r.event_list.len() }, view.focus(&r));
        assert_eq!((l.lanes.len(), l.lanes_left_out), (MAX_LANES, 60 - MAX_LANES));
        assert!(l.lanes.contains(&59), "the failing read's lane is kept");
        assert!(l.bars.iter().any(|b| b.role == Role::Failing));
    }
}
