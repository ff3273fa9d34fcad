//! The playground's state: one reducer owns the running simulation and its timeline.
//!
//! [`Playground`] is plain Rust (tested natively). It holds the scenario, the live
//! [`Simulation`] at the playhead, the playback settings and the *session*: every action the
//! user took, recorded as a timed [`Command`] on top of the scenario, so the session is itself
//! a scenario ([`Playground::session_scenario`]) that replays to the same trace hash.
//!
//! The timeline: while the simulation runs, the playground keeps checkpoints (clones of the
//! simulation; at most [`MAX_CHECKPOINTS`], thinned to every other one and spaced twice as far
//! apart whenever there are too many, so memory stays bounded). Seeking to an instant restores
//! the nearest checkpoint before it and runs forward, re-applying the recorded commands on the
//! way. Acting while the playhead is in the past forks: the recorded future is discarded and
//! the new command starts a new one.
//!
//! After every change the playground takes a [`Snapshot`] — the only thing components draw.
//! In the browser, [`SimState`] wraps it as a Yew reducer. The animation loop sends
//! [`Action::Tick`] with the wall-clock time since the previous frame; nothing here reads a
//! clock, so a test can drive it frame by frame.

use std::rc::Rc;

use replicalab_core::checkers::Anomaly;
use replicalab_core::link::ViewOptions;
use replicalab_core::protocol::{NodeId, OpId};
use replicalab_core::scenario::WorkloadConfig;
use replicalab_core::time::{from_ms, to_ms, Time, MS};
use replicalab_core::trace::TraceEntry;
use replicalab_core::view::Health;
use replicalab_core::{Command, Scenario, Simulation, TimedCommand, View};

use crate::catalogue;
use crate::derive::{self, Flight, LagChart, OpRow};
use crate::format::{default_speed_step, format_time, speed, speed_step, MAX_SPEED_STEP, MIN_SPEED_STEP};
use crate::narration::{Importance, Line, Narrator};
use replicalab_core::story;

/// Trace entries kept as text: the event log and the space-time diagram read them.
pub const TRACE_CAPACITY: usize = 600;
/// Longest wall-clock gap one frame may advance by (a stalled tab must not jump ahead).
pub const MAX_FRAME_MS: f64 = 100.0;
/// Most checkpoints kept on the timeline.
pub const MAX_CHECKPOINTS: usize = 40;
/// Most operations all checkpoints together may hold; beyond it they are thinned out. The
/// core's compaction bounds what one simulation holds (a minute or 50,000 operations), so
/// this bounds the checkpoints, and memory stays bounded however long a session plays.
pub const CHECKPOINT_OPS_BUDGET: usize = 400_000;
/// Simulated time between checkpoints at the start (doubles each time they are thinned).
pub const CHECKPOINT_EVERY: Time = 250 * MS;
/// Anomalies kept in a snapshot (the newest).
pub const MAX_ANOMALIES: usize = 100;
/// Longest stretch of simulated time run without reading the events for the narration.
pub const NARRATION_STEP: Time = 25 * MS;
/// Lines of narration kept for the live region.
pub const MAX_NARRATION: usize = 6;
/// While playing, the panels' projections are rebuilt at most once per this much wall time
/// (the graph and the status are rebuilt every frame).
pub const PANELS_EVERY_MS: f64 = 200.0;

/// What the panels below the graph draw: rebuilt less often than the graph while playing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Panels {
    /// The simulated instant they show: the timelines draw up to it, not up to the graph's
    /// newer instant (at 10× the panels can be two simulated seconds behind the graph).
    pub now: Time,
    /// The newest anomalies with their index in the run.
    pub anomalies: Vec<(usize, Anomaly)>,
    /// How many of each kind the run found, the most important kind first.
    pub anomaly_counts: Vec<(replicalab_core::checkers::AnomalyKind, usize)>,
    pub ops: Vec<OpRow>,
    pub log: Vec<TraceEntry>,
    pub flights: Vec<Flight>,
    /// The newest notes on how conflicts were resolved, newest last.
    pub resolutions: Vec<TraceEntry>,
    pub lag: LagChart,
    pub histogram: Vec<(u32, u32)>,
}

impl Panels {
    fn of(sim: &Simulation, selection: Selection) -> Panels {
        let selected_op = match selection {
            Selection::Op(id) => Some(id),
            _ => None,
        };
        let anomalies = sim.anomalies();
        let start = anomalies.len().saturating_sub(MAX_ANOMALIES);
        // Indices count from the start of the run (compaction drops the oldest anomalies).
        let dropped = sim.anomalies_dropped();
        Panels {
            now: sim.now(),
            anomalies: anomalies[start..].iter().cloned().enumerate().map(|(i, a)| (dropped + start + i, a)).collect(),
            anomaly_counts: {
                let counts = sim.anomaly_counts();
                crate::narration::HEADLINE_ORDER
                    .iter()
                    .filter_map(|k| counts.get(k).map(|&n| (*k, n)))
                    .filter(|&(_, n)| n > 0)
                    .collect()
            },
            ops: derive::recent_ops(sim),
            log: derive::recent_events(sim),
            flights: derive::flights(sim.messages().iter(), selected_op),
            resolutions: {
                let all = sim.resolutions();
                all.iter().skip(all.len().saturating_sub(derive::MAX_RESOLUTIONS)).cloned().collect()
            },
            lag: derive::lag_chart(sim, 9),
            histogram: derive::latency_histogram(sim),
        }
    }
}

/// What is selected: it is highlighted in every view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Selection {
    #[default]
    None,
    Node(NodeId),
    /// The link between two nodes (both directions), lower id first.
    Link(NodeId, NodeId),
    Op(OpId),
    /// A message, by id (on the graph while in flight, in the space-time diagram after).
    Message(u64),
    /// Index into the run's anomalies.
    Anomaly(usize),
}

/// Everything the UI can ask of the playground.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Load a preset (by index into [`catalogue::names`], once the page has it) from its start.
    SelectPreset(usize),
    /// Load a scenario built in the settings form (or restored after a crash).
    LoadScenario(Box<Scenario>),
    TogglePlay,
    Play,
    Pause,
    /// Set the speed slider step (see [`crate::format::speed`]).
    SetSpeed(i32),
    /// Pause and process exactly one event.
    Step,
    /// Start the current scenario again, forgetting the session.
    Reset,
    /// One animation frame: `wall_ms` of wall-clock time passed since the previous one.
    Tick {
        wall_ms: f64,
    },
    /// Move the playhead to an instant (clamped to the timeline).
    Seek(Time),
    /// Move the playhead by a signed number of microseconds.
    SeekBy(i64),
    /// Apply a command now (recorded in the session; forks when the playhead is in the past).
    Do(Command),
    /// Crash a running node, restart a crashed one, resume a paused one.
    ToggleNode(NodeId),
    /// Start the workload (the scenario's, or a default one) or stop it.
    ToggleWorkload,
    Select(Selection),
    /// Mark or unmark a node for a partition drawn by keyboard.
    ToggleMark(NodeId),
    /// Cut the marked nodes off from the others.
    PartitionMarked,
    ClearMarks,
    /// The page was hidden (another tab, minimised window) or shown again.
    SetHidden(bool),
    /// Pause and move the playhead to an instant, running the simulation forward past the end
    /// of the timeline when needed (opening a share link at its playhead).
    RunTo(Time),
    /// Show a notice (or clear it) above the playground.
    Notice(Option<String>),
    /// Which panels show and the theme (the selected node is not taken from it).
    SetView(ViewOptions),
}

/// Playback settings and position, small and `Copy` for the controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Playback {
    /// Index into [`catalogue::names`]; `None` for a custom scenario.
    pub preset: Option<usize>,
    pub playing: bool,
    /// The page is hidden: playback is suspended until it is shown again.
    pub hidden: bool,
    pub speed_step: i32,
    /// The scenario's duration was reached (playback paused there once).
    pub at_end: bool,
    /// The scenario's duration.
    pub duration: Time,
    /// The playhead.
    pub now: Time,
    /// The furthest instant reached on this timeline (the end of the scrubber).
    pub head: Time,
    /// When the scenario's point arrives (presets and scenarios made from them).
    pub key_moment: Option<Time>,
}

impl Playback {
    /// Whether frames should advance the simulation.
    pub fn running(&self) -> bool {
        self.playing && !self.hidden
    }
}

/// A picture of the world after the last change: what the graph and the panels draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub view: View,
    pub events: u64,
    pub trace_hash: String,
    pub ops_ok: u64,
    pub ops_failed: u64,
    pub ops_unknown: u64,
    /// Anomalies found since the start.
    pub anomalies_total: usize,
    /// Operations, log, messages, charts (see [`PANELS_EVERY_MS`]).
    pub panels: Rc<Panels>,
    pub preset_name: String,
    pub description: String,
    /// Something the user should know (a preset that failed to load, an ignored request).
    pub notice: Option<String>,
    pub head: Time,
    pub checkpoints: usize,
    /// Commands recorded in the session, and how many of them are applied at the playhead.
    pub session_commands: usize,
    pub applied_commands: usize,
    /// Times the session forked (acted in the past).
    pub forks: u32,
    pub selection: Selection,
    pub marks: Vec<NodeId>,
    /// Recent narration, newest last.
    pub narration: Vec<Line>,
    /// How the family resolves conflicts, in words (for the conflicts panel).
    pub resolution: String,
    /// Leaderless families: the configured (N, W, R).
    pub quorum: Option<(usize, usize, usize)>,
    /// The panels shown and the theme.
    pub view_options: ViewOptions,
    pub clients: usize,
}

/// A shared snapshot that compares by identity: every change makes a new snapshot, so two
/// handles are equal exactly when they show the same picture (and comparing costs nothing).
#[derive(Clone, Debug)]
pub struct Shared(pub Rc<Snapshot>);

impl PartialEq for Shared {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for Shared {
    type Target = Snapshot;
    fn deref(&self) -> &Snapshot {
        &self.0
    }
}

/// A command the user applied, at a simulated instant.
#[derive(Clone, Debug, PartialEq)]
struct Recorded {
    at: Time,
    command: Command,
}

struct Checkpoint {
    time: Time,
    /// Recorded commands already applied in `sim`.
    applied: usize,
    sim: Simulation,
}

/// The running playground: scenario, simulation, timeline, playback.
pub struct Playground {
    scenario: Scenario,
    sim: Simulation,
    playback: Playback,
    session: Vec<Recorded>,
    applied: usize,
    checkpoints: Vec<Checkpoint>,
    checkpoint_every: Time,
    forks: u32,
    /// Fraction of a microsecond not yet advanced (slow speeds advance less than 1 µs a frame).
    carry_us: f64,
    notice: Option<String>,
    selection: Selection,
    marks: Vec<NodeId>,
    narrator: Narrator,
    /// Wall time ticked since the panels were last rebuilt.
    panels_wall: f64,
    /// The panels shown and the theme (a share link carries them).
    view_options: ViewOptions,
    snapshot: Rc<Snapshot>,
}

impl Playground {
    /// Loads preset `index`, paused at time 0 with the preset's default speed.
    pub fn new(index: usize) -> Result<Playground, String> {
        let scenario = catalogue::load(index)?;
        let mut pg = Playground::with_scenario(scenario);
        pg.playback.preset = Some(index);
        pg.refresh();
        Ok(pg)
    }

    /// A playground for any validated scenario.
    pub fn with_scenario(scenario: Scenario) -> Playground {
        let sim = start(&scenario);
        let playback = Playback {
            preset: None,
            playing: false,
            hidden: false,
            speed_step: story::of(&scenario.name)
                .map(|s| speed_step(s.speed))
                .unwrap_or_else(|| default_speed_step(&scenario.cluster.network.latency)),
            at_end: false,
            duration: from_ms(scenario.duration_ms),
            now: 0,
            head: 0,
            key_moment: story::of(&scenario.name).map(|s| s.key_moment()),
        };
        let checkpoints = vec![Checkpoint { time: 0, applied: 0, sim: sim.clone() }];
        let placeholder = Rc::new(take_snapshot_parts(&sim, &scenario, None, Selection::None));
        let mut pg = Playground {
            scenario,
            sim,
            playback,
            session: Vec::new(),
            applied: 0,
            checkpoints,
            checkpoint_every: CHECKPOINT_EVERY,
            forks: 0,
            carry_us: 0.0,
            notice: None,
            selection: Selection::None,
            marks: Vec::new(),
            narrator: Narrator::default(),
            panels_wall: 0.0,
            view_options: ViewOptions::default(),
            snapshot: placeholder,
        };
        pg.refresh();
        pg
    }

    /// The preset named `name`, or the first one that loads (the first preset is compiled in,
    /// so one always does; the page fetches a wanted preset before it calls this).
    pub fn new_named(name: Option<&str>) -> Playground {
        let wanted = name.and_then(catalogue::index_of);
        let mut first_error = None;
        for index in wanted.into_iter().chain(0..catalogue::names().len()).filter(|&i| catalogue::has(i)) {
            match Playground::new(index) {
                Ok(mut pg) => {
                    let showing = catalogue::name(index).unwrap_or_default();
                    match (name, wanted) {
                        (Some(n), None) => {
                            pg.set_notice(Some(format!("There is no preset named “{n}”; showing {showing}.")))
                        }
                        (Some(n), Some(w)) if w != index && !catalogue::has(w) => pg.set_notice(Some(format!(
                            "The preset “{n}” could not be fetched (is the network down?); showing {showing}."
                        ))),
                        _ => {}
                    }
                    if let Some(e) = first_error {
                        pg.set_notice(Some(e));
                    }
                    return pg;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        // The first preset is compiled in and checked by the core's tests; reaching this is a
        // broken build.
        panic!("no built-in preset loads: {}", first_error.unwrap_or_default())
    }

    pub fn playback(&self) -> Playback {
        self.playback
    }

    pub fn view_options(&self) -> &ViewOptions {
        &self.view_options
    }
    pub fn snapshot(&self) -> Rc<Snapshot> {
        Rc::clone(&self.snapshot)
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn simulation(&self) -> &Simulation {
        &self.sim
    }

    /// The session as a scenario: the scenario plus every recorded command up to the playhead
    /// (the future of the current timeline included). Running it gives the same trace.
    pub fn session_scenario(&self) -> Scenario {
        let mut s = self.scenario.clone();
        s.commands.extend(self.session.iter().map(|r| TimedCommand { at_ms: to_ms(r.at), command: r.command.clone() }));
        // Scenario commands at the same instant keep their order: the scenario's first (they
        // ran first), then the session's.
        replicalab_core::sort::sort_by(&mut s.commands, |a, b| a.at_ms.total_cmp(&b.at_ms));
        s
    }

    pub fn checkpoint_count(&self) -> usize {
        self.checkpoints.len()
    }

    /// Applies an action. Returns whether anything visible changed (the UI redraws only then).
    pub fn update(&mut self, action: Action) -> bool {
        match action {
            Action::SelectPreset(index) => match catalogue::load(index) {
                Ok(scenario) => {
                    self.replace(scenario);
                    self.playback.preset = Some(index);
                }
                Err(e) => self.notice = Some(e),
            },
            Action::LoadScenario(scenario) => {
                // A preset's scenario, unchanged (a share link of it), is that preset again.
                // (A preset the page has not fetched counts as custom.)
                let preset =
                    catalogue::index_of(&scenario.name).filter(|&i| catalogue::load(i).is_ok_and(|s| s == *scenario));
                self.replace(*scenario);
                self.playback.preset = preset;
            }
            Action::Reset => {
                let scenario = self.scenario.clone();
                let preset = self.playback.preset;
                let playing = self.playback.playing;
                let step = self.playback.speed_step;
                self.replace(scenario);
                self.playback.preset = preset;
                self.playback.playing = playing;
                self.playback.speed_step = step;
            }
            Action::TogglePlay | Action::Play | Action::Pause => {
                let playing = match action {
                    Action::TogglePlay => !self.playback.playing,
                    Action::Play => true,
                    _ => false,
                };
                let changed = self.set_playing(playing);
                // Stopping shows the panels as they are now, not as of the last rebuild.
                if !playing && self.panels_wall > 0.0 {
                    self.refresh();
                    return true;
                }
                return changed;
            }
            Action::SetSpeed(step) => {
                let step = step.clamp(MIN_SPEED_STEP, MAX_SPEED_STEP);
                let changed = step != self.playback.speed_step;
                self.playback.speed_step = step;
                return changed;
            }
            Action::SetHidden(hidden) => {
                let changed = hidden != self.playback.hidden;
                self.playback.hidden = hidden;
                return changed;
            }
            Action::Step => {
                self.playback.playing = false;
                self.step_one();
            }
            Action::Tick { wall_ms } => {
                if !self.playback.running() || !self.advance(wall_ms) {
                    return false;
                }
                if wall_ms.is_finite() && wall_ms > 0.0 {
                    self.panels_wall += wall_ms.min(MAX_FRAME_MS);
                }
                if self.playback.running() && self.panels_wall < PANELS_EVERY_MS {
                    self.refresh_fast();
                    return true;
                }
            }
            Action::Seek(t) => self.seek(t),
            Action::SeekBy(d) => {
                let now = self.sim.now();
                let t = if d < 0 { now.saturating_sub(d.unsigned_abs()) } else { now.saturating_add(d as u64) };
                self.seek(t);
            }
            Action::Do(command) => {
                if let Err(e) = self.check(&command) {
                    self.notice = Some(e);
                } else {
                    self.act(command);
                }
            }
            Action::ToggleNode(node) => {
                let Some(state) = self.snapshot.view.nodes.get(node) else {
                    return false;
                };
                let command = match state.health {
                    Health::Up => Command::Crash { node },
                    Health::Crashed => Command::Restart { node },
                    Health::Paused => Command::Resume { node },
                };
                self.act(command);
            }
            Action::ToggleWorkload => {
                let command = if self.snapshot.view.workload {
                    Command::StopWorkload {}
                } else {
                    // A default workload through the scenario format, so fields added to it
                    // later take their documented defaults.
                    let default: Option<WorkloadConfig> = serde_json::from_value(
                        serde_json::json!({ "rate_per_s": 50.0, "read_fraction": 0.5, "keys": 5 }),
                    )
                    .ok();
                    let Some(mut w) = self.scenario.workload.clone().or(default) else {
                        return false;
                    };
                    w.stop_ms = None;
                    Command::Workload(w)
                };
                self.act(command);
            }
            Action::Select(selection) => {
                let before = (self.selection, self.sim.now());
                self.selection = self.valid(selection);
                // Selecting an operation or an anomaly seeks to the moment it happened.
                match self.selection {
                    Selection::Op(id) => {
                        if let Some(op) = self.sim.history().get(id) {
                            let t = op.completion.as_ref().map_or(op.invoke, |c| c.time);
                            if t != self.sim.now() {
                                self.seek(t);
                            }
                        }
                    }
                    Selection::Anomaly(i) => {
                        if let Some(t) = anomaly(&self.sim, i).map(|a| a.time) {
                            if t != self.sim.now() {
                                self.seek(t);
                            }
                        }
                    }
                    // A message: the moment it was sent (if it is still recorded).
                    Selection::Message(id) => {
                        let sent = self.sim.messages().iter().find(|m| m.id == id).map(|m| m.sent);
                        if let Some(t) = sent.filter(|&t| t != self.sim.now()) {
                            self.seek(t);
                        }
                    }
                    _ => {}
                }
                if (self.selection, self.sim.now()) == before {
                    return false;
                }
            }
            Action::ToggleMark(node) => {
                if node >= self.scenario.cluster.nodes {
                    return false;
                }
                if let Some(i) = self.marks.iter().position(|&m| m == node) {
                    self.marks.remove(i);
                } else {
                    self.marks.push(node);
                    replicalab_core::sort::sort(&mut self.marks);
                }
            }
            Action::ClearMarks => {
                if self.marks.is_empty() {
                    return false;
                }
                self.marks.clear();
            }
            Action::RunTo(t) => {
                self.playback.playing = false;
                if t > self.playback.head {
                    let head = self.playback.head;
                    self.seek(head);
                    self.run_to(t);
                    self.playback.at_end = self.sim.now() >= self.playback.duration;
                } else {
                    self.seek(t);
                }
            }
            Action::Notice(notice) => self.notice = notice,
            Action::SetView(mut options) => {
                options.selected_node = None;
                options.speed_ms_per_s = None;
                if options == self.view_options {
                    return false;
                }
                self.view_options = options;
            }
            Action::PartitionMarked => {
                let n = self.scenario.cluster.nodes;
                let rest: Vec<NodeId> = (0..n).filter(|i| !self.marks.contains(i)).collect();
                if self.marks.is_empty() || rest.is_empty() {
                    self.notice = Some("Mark some nodes (but not all) to cut them off from the rest.".into());
                } else {
                    let groups = vec![self.marks.clone(), rest];
                    self.marks.clear();
                    self.act(Command::Partition { groups });
                }
            }
        }
        self.refresh();
        true
    }

    /// A selection that still refers to something (a node of this cluster, an anomaly found).
    fn valid(&self, s: Selection) -> Selection {
        let n = self.scenario.cluster.nodes;
        match s {
            Selection::Node(i) if i < n => s,
            Selection::Link(a, b) if a < n && b < n && a != b => Selection::Link(a.min(b), a.max(b)),
            Selection::Op(id) if self.sim.history().get(id).is_some() => s,
            Selection::Anomaly(i) if anomaly(&self.sim, i).is_some() => s,
            Selection::Message(id) if self.sim.messages().back().is_some_and(|m| m.id >= id) => s,
            _ => Selection::None,
        }
    }

    /// Commands from the UI are checked by the core, as scenario validation checks them.
    fn check(&self, command: &Command) -> Result<(), String> {
        self.sim.check_command(command).map_err(|e| format!("That action was not applied: {e}"))
    }

    fn replace(&mut self, scenario: Scenario) {
        let hidden = self.playback.hidden;
        let playing = self.playback.playing;
        let view_options = std::mem::take(&mut self.view_options);
        let narrator = self.narrator.fresh();
        *self = Playground::with_scenario(scenario);
        self.narrator = narrator;
        self.playback.hidden = hidden;
        self.playback.playing = playing;
        self.view_options = view_options;
    }

    fn set_playing(&mut self, playing: bool) -> bool {
        let changed = playing != self.playback.playing;
        self.playback.playing = playing;
        if playing {
            self.carry_us = 0.0;
        }
        changed
    }

    /// Runs to `target`, applying recorded commands on the way, and takes checkpoints.
    fn run_to(&mut self, target: Time) {
        while let Some(r) = self.session.get(self.applied) {
            if r.at > target {
                break;
            }
            let (at, command) = (r.at, r.command.clone());
            self.run_narrated(at);
            // (Recorded commands were checked when they were made: none is refused.)
            let _ = self.sim.apply(command);
            self.applied += 1;
        }
        self.run_narrated(target);
        self.note_progress();
    }

    /// Runs the simulation to `target` in steps short enough that the narrator reads every
    /// event worth telling before the trace's window drops it (a long seek ahead included).
    fn run_narrated(&mut self, target: Time) {
        while self.sim.now() + NARRATION_STEP < target {
            let next = self.sim.now() + NARRATION_STEP;
            self.sim.run_until(next);
            self.narrator.catch_up(&self.sim);
        }
        self.sim.run_until(target);
    }

    fn note_progress(&mut self) {
        let now = self.sim.now();
        self.playback.head = self.playback.head.max(now);
        let last = self.checkpoints.last().map_or(0, |c| c.time);
        if now >= last + self.checkpoint_every {
            self.checkpoints.push(Checkpoint { time: now, applied: self.applied, sim: self.sim.clone() });
            let copied: usize = self.checkpoints.iter().map(|c| held_ops(&c.sim)).sum();
            if self.checkpoints.len() > MAX_CHECKPOINTS
                || (copied > CHECKPOINT_OPS_BUDGET && self.checkpoints.len() > 2)
            {
                // Keep the first (time 0) and every other one after it; space them further.
                let mut i = 0;
                self.checkpoints.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                self.checkpoint_every *= 2;
            }
        }
    }

    /// Processes one event, or the next recorded command when it comes first.
    fn step_one(&mut self) {
        let next_event = self.sim.next_event_time();
        if let Some(r) = self.session.get(self.applied) {
            if next_event.is_none_or(|e| r.at < e) {
                self.run_to(r.at);
                return;
            }
        }
        self.sim.step();
        self.note_progress();
    }

    /// Moves the playhead to `t` (at most the end of the timeline).
    fn seek(&mut self, t: Time) {
        let t = t.min(self.playback.head);
        let now = self.sim.now();
        if t >= now && t - now <= self.checkpoint_every {
            self.run_to(t);
        } else {
            let cp = self
                .checkpoints
                .iter()
                .rev()
                .find(|c| c.time <= t && c.applied <= self.session.len())
                .unwrap_or(&self.checkpoints[0]);
            self.narrator.catch_up(&self.sim);
            self.narrator.rewound(now.min(t), t);
            self.sim = cp.sim.clone();
            self.applied = cp.applied;
            self.run_to(t);
        }
        self.playback.at_end = self.sim.now() >= self.playback.duration;
        self.carry_us = 0.0;
    }

    /// Applies a user command at the playhead and records it; forks when the playhead is in
    /// the past of the timeline.
    fn act(&mut self, command: Command) {
        let now = self.sim.now();
        // A single step can leave events of this instant pending; a recorded command replays
        // after all of them, so it must run after them now as well.
        self.sim.run_until(now);
        if self.applied < self.session.len() || self.playback.head > now {
            self.session.truncate(self.applied);
            let applied = self.applied;
            self.checkpoints.retain(|c| c.time <= now && c.applied <= applied);
            self.playback.head = now;
            self.forks += 1;
            self.narrator.settle(&self.sim);
            self.narrator.say(now, Importance::Fault, format!("Forked a new future at {}.", format_time(now)));
        }
        self.narrator.settle(&self.sim);
        self.session.push(Recorded { at: now, command: command.clone() });
        // (`act` is called with a command `check` accepted: the core takes it.)
        let _ = self.sim.apply(command);
        self.applied += 1;
        self.playback.at_end = false;
    }

    /// Advances simulated time by `wall_ms × speed`, pausing once at the scenario's end.
    fn advance(&mut self, wall_ms: f64) -> bool {
        let wall_ms = if wall_ms.is_finite() { wall_ms.clamp(0.0, MAX_FRAME_MS) } else { 0.0 };
        let total = wall_ms * 1000.0 * speed(self.playback.speed_step) + self.carry_us;
        let whole = total.floor();
        self.carry_us = total - whole;
        if whole < 1.0 {
            return false;
        }
        let now = self.sim.now();
        let mut target = now.saturating_add(whole as u64);
        let end = self.playback.duration;
        if !self.playback.at_end && now < end && target >= end {
            target = end;
            self.playback.at_end = true;
            self.playback.playing = false;
        }
        self.run_to(target);
        true
    }

    /// Shows a notice above the playground.
    pub fn set_notice(&mut self, notice: Option<String>) {
        self.notice = notice;
        self.refresh();
    }

    /// A new snapshot with every panel rebuilt.
    fn refresh(&mut self) {
        self.panels_wall = 0.0;
        self.rebuild(None);
    }

    /// A new snapshot that keeps the previous panels (while playing).
    fn refresh_fast(&mut self) {
        let panels = Rc::clone(&self.snapshot.panels);
        self.rebuild(Some(panels));
    }

    fn rebuild(&mut self, panels: Option<Rc<Panels>>) {
        self.playback.now = self.sim.now();
        let mut s = take_snapshot_parts(&self.sim, &self.scenario, panels, self.selection);
        self.narrator.catch_up(&self.sim);
        s.preset_name = match self.playback.preset {
            Some(i) => catalogue::name(i).unwrap_or_default().to_string(),
            None => self.scenario.name.clone(),
        };
        s.notice = self.notice.clone();
        s.head = self.playback.head;
        s.checkpoints = self.checkpoints.len();
        s.session_commands = self.session.len();
        s.applied_commands = self.applied;
        s.forks = self.forks;
        self.selection = self.valid(self.selection);
        s.selection = self.selection;
        s.marks = self.marks.clone();
        s.narration = self.narrator.recent(MAX_NARRATION);
        s.view_options = self.view_options.clone();
        self.snapshot = Rc::new(s);
    }
}

/// The picture of one simulation, without the timeline's parts (filled in by the caller);
/// `panels` reuses the previous panels' projections instead of rebuilding them.
fn take_snapshot_parts(
    sim: &Simulation,
    scenario: &Scenario,
    panels: Option<Rc<Panels>>,
    selection: Selection,
) -> Snapshot {
    let m = sim.metrics();
    let view = sim.view();
    let panels = panels.unwrap_or_else(|| Rc::new(Panels::of(sim, selection)));
    Snapshot {
        events: sim.events(),
        trace_hash: sim.trace_hash(),
        ops_ok: m.ok,
        ops_failed: m.failed,
        ops_unknown: m.unknown,
        anomalies_total: anomalies_total(sim),
        panels,
        preset_name: scenario.name.clone(),
        description: scenario.description.clone(),
        notice: None,
        head: 0,
        checkpoints: 0,
        session_commands: 0,
        applied_commands: 0,
        forks: 0,
        selection: Selection::None,
        marks: Vec::new(),
        narration: Vec::new(),
        resolution: resolution(scenario),
        view_options: ViewOptions::default(),
        quorum: match &scenario.protocol {
            replicalab_core::scenario::ProtocolConfig::Leaderless(cfg) => Some((cfg.replicas, cfg.w, cfg.r)),
            _ => None,
        },
        clients: scenario.clients().len(),
        view,
    }
}

fn resolution(scenario: &Scenario) -> String {
    use replicalab_core::scenario::ProtocolConfig;
    match &scenario.protocol {
        ProtocolConfig::LeaderFollower(_) => {
            "One leader orders every write, so replicas never hold concurrent versions; a deposed leader's unreplicated writes are discarded when it rejoins.".into()
        }
        ProtocolConfig::MultiLeader(cfg) => format!(
            "Each datacenter's leader accepts writes; concurrent writes to one key are resolved by {}.",
            cfg.conflicts.label()
        ),
        ProtocolConfig::Leaderless(cfg) => format!(
            "Replicas accept writes independently; concurrent versions are resolved by {}.",
            cfg.resolution.label()
        ),
    }
}

fn start(scenario: &Scenario) -> Simulation {
    let mut sim = Simulation::new(scenario);
    // (Compaction is on from the start: see `Compaction::default`.)
    sim.set_trace_capacity(TRACE_CAPACITY);
    sim.set_message_capacity(derive::MESSAGE_RECORDS);
    sim
}

/// The Yew reducer around [`Playground`].
#[cfg(target_arch = "wasm32")]
pub use reducer::SimState;

#[cfg(target_arch = "wasm32")]
mod reducer {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::{Action, Playback, Playground, Snapshot};

    /// The playground as a Yew reducer. Cloning shares the simulation; the snapshot and the
    /// playback settings are what components compare and draw.
    #[derive(Clone)]
    pub struct SimState {
        playground: Rc<RefCell<Playground>>,
        pub snapshot: Rc<Snapshot>,
        pub playback: Playback,
    }

    impl SimState {
        pub fn new(pg: Playground) -> SimState {
            SimState { snapshot: pg.snapshot(), playback: pg.playback(), playground: Rc::new(RefCell::new(pg)) }
        }

        /// The session as scenario JSON (saved so a crash can offer to reload it).
        pub fn session_json(&self) -> String {
            self.playground.borrow().session_scenario().to_json()
        }

        /// Reads the playground (the session, the simulation) without changing it; `None` while
        /// an action is being applied.
        pub fn with_playground<R>(&self, f: impl FnOnce(&Playground) -> R) -> Option<R> {
            self.playground.try_borrow().ok().map(|pg| f(&pg))
        }
    }

    impl PartialEq for SimState {
        fn eq(&self, other: &Self) -> bool {
            Rc::ptr_eq(&self.snapshot, &other.snapshot) && self.playback == other.playback
        }
    }

    impl yew::Reducible for SimState {
        type Action = Action;

        fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
            let Ok(mut pg) = self.playground.try_borrow_mut() else {
                return self;
            };
            if !pg.update(action) {
                drop(pg);
                return self;
            }
            let next =
                SimState { playground: Rc::clone(&self.playground), snapshot: pg.snapshot(), playback: pg.playback() };
            drop(pg);
            Rc::new(next)
        }
    }
}

/// Anomaly `i` of the run (counted from its start), unless compaction dropped it.
pub fn anomaly(sim: &Simulation, i: usize) -> Option<&replicalab_core::checkers::Anomaly> {
    sim.anomalies().get(i.checked_sub(sim.anomalies_dropped())?)
}

/// Every anomaly the run has found, dropped ones included.
pub fn anomalies_total(sim: &Simulation) -> usize {
    sim.anomalies_dropped() + sim.anomalies().len()
}

/// Operations a simulation holds (retained and archived).
fn held_ops(sim: &Simulation) -> usize {
    sim.history().retained() + sim.history().archive.len()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use replicalab_core::checkers::AnomalyKind;
    use replicalab_core::choices::{FailoverChoice, FencingChoice};
    use replicalab_core::presets::PRESETS;
    use replicalab_core::time::MS;
    use replicalab_core::view::{Family, MessageFate, Role};

    use super::*;
    use crate::custom::Settings;

    fn playground(name: &str) -> Playground {
        Playground::new(PRESETS.iter().position(|p| p.name == name).unwrap()).unwrap()
    }

    fn play_frames(pg: &mut Playground, frames: usize, wall_ms: f64) {
        for _ in 0..frames {
            pg.update(Action::Tick { wall_ms });
        }
    }

    /// Plays at 1× until simulated time reaches `t`.
    fn play_to(pg: &mut Playground, t: Time) {
        pg.update(Action::SetSpeed(0));
        pg.update(Action::Play);
        while pg.snapshot().view.now < t {
            let left = (t - pg.snapshot().view.now) as f64 / 1000.0;
            pg.update(Action::Tick { wall_ms: left.min(16.0) });
        }
        pg.update(Action::Pause);
    }

    fn leaders(pg: &Playground) -> Vec<NodeId> {
        pg.snapshot()
            .view
            .nodes
            .iter()
            .filter(|n| n.protocol.role == Role::Leader && n.health == Health::Up)
            .map(|n| n.id)
            .collect()
    }

    #[test]
    fn every_preset_loads_paused_at_zero() {
        for (i, preset) in PRESETS.iter().enumerate() {
            let pg = Playground::new(i).unwrap();
            let s = pg.snapshot();
            assert_eq!(s.view.now, 0);
            assert!(!pg.playback().playing);
            assert_eq!(s.preset_name, preset.name);
            assert!(!s.description.is_empty());
            assert!(!s.view.nodes.is_empty());
            if s.view.family == Family::LeaderFollower {
                assert_eq!(leaders(&pg).len(), 1, "preset {}", preset.name);
            }
        }
        assert!(Playground::new(PRESETS.len()).is_err());
    }

    #[test]
    fn unknown_names_fall_back_to_the_first_preset_with_a_notice() {
        let pg = Playground::new_named(Some("no-such-preset"));
        assert_eq!(pg.playback().preset, Some(0));
        assert!(pg.snapshot().notice.as_deref().unwrap().contains("no-such-preset"));
        let pg = Playground::new_named(Some("lf-sync"));
        assert_eq!(pg.snapshot().preset_name, "lf-sync");
        assert_eq!(pg.snapshot().notice, None);
        assert_eq!(Playground::new_named(None).playback().preset, Some(0));
    }

    #[test]
    fn frames_advance_time_by_wall_time_times_speed() {
        let mut pg = playground("lf-async");
        pg.update(Action::SetSpeed(0)); // 1×
        assert!(!pg.update(Action::Tick { wall_ms: 16.0 }), "paused: frames do nothing");
        assert_eq!(pg.snapshot().view.now, 0);
        assert!(pg.update(Action::Play));
        play_frames(&mut pg, 10, 16.0);
        assert_eq!(pg.snapshot().view.now, 160 * MS);
        assert!(pg.snapshot().events > 0);
        pg.update(Action::Tick { wall_ms: 60_000.0 });
        assert_eq!(pg.snapshot().view.now, 260 * MS);
        pg.update(Action::Tick { wall_ms: f64::NAN });
        pg.update(Action::Tick { wall_ms: -5.0 });
        assert_eq!(pg.snapshot().view.now, 260 * MS);
    }

    #[test]
    fn slow_speeds_accumulate_fractions_of_a_microsecond() {
        let mut pg = playground("lf-async");
        pg.update(Action::SetSpeed(MIN_SPEED_STEP));
        pg.update(Action::Play);
        play_frames(&mut pg, 1000, 0.5);
        let now = pg.snapshot().view.now;
        assert!((499..=500).contains(&now), "{now}");
    }

    #[test]
    fn playback_pauses_once_at_the_scenario_end_and_can_go_on() {
        let mut pg = playground("lf-async");
        pg.update(Action::SetSpeed(MAX_SPEED_STEP));
        pg.update(Action::Play);
        let duration = pg.playback().duration;
        play_frames(&mut pg, 1000, 100.0);
        assert_eq!(pg.snapshot().view.now, duration);
        assert!(pg.playback().at_end && !pg.playback().playing);
        pg.update(Action::Play);
        play_frames(&mut pg, 2, 100.0);
        assert_eq!(pg.snapshot().view.now, duration + 2 * 1_000 * MS);
        assert!(pg.playback().playing);
        pg.update(Action::Reset);
        assert_eq!(pg.snapshot().view.now, 0);
        assert!(!pg.playback().at_end);
    }

    #[test]
    fn hidden_pages_do_not_advance() {
        let mut pg = playground("lf-async");
        pg.update(Action::Play);
        assert!(pg.update(Action::SetHidden(true)));
        assert!(!pg.update(Action::SetHidden(true)));
        assert!(!pg.playback().running());
        assert!(!pg.update(Action::Tick { wall_ms: 16.0 }));
        assert_eq!(pg.snapshot().view.now, 0);
        pg.update(Action::SetHidden(false));
        assert!(pg.update(Action::Tick { wall_ms: 16.0 }));
        assert!(pg.snapshot().view.now > 0);
    }

    #[test]
    fn step_pauses_and_processes_one_event() {
        let mut pg = playground("lf-async");
        pg.update(Action::Play);
        let before = pg.snapshot().events;
        pg.update(Action::Step);
        assert!(!pg.playback().playing);
        assert_eq!(pg.snapshot().events, before + 1);
    }

    #[test]
    fn toggling_a_node_crashes_and_restarts_it() {
        let mut pg = playground("lf-async");
        play_to(&mut pg, 80 * MS);
        assert!(pg.update(Action::ToggleNode(1)));
        assert_eq!(pg.snapshot().view.nodes[1].health, Health::Crashed);
        play_to(&mut pg, 160 * MS);
        pg.update(Action::ToggleNode(1));
        assert_eq!(pg.snapshot().view.nodes[1].health, Health::Up);
        assert!(!pg.update(Action::ToggleNode(99)), "unknown nodes are ignored");
        assert_eq!(pg.snapshot().session_commands, 2);
    }

    #[test]
    fn selecting_a_preset_starts_it_from_zero_and_keeps_playing() {
        let mut pg = playground("lf-async");
        pg.update(Action::Play);
        play_frames(&mut pg, 5, 16.0);
        let sync = PRESETS.iter().position(|p| p.name == "lf-sync").unwrap();
        pg.update(Action::SelectPreset(sync));
        assert_eq!(pg.snapshot().preset_name, "lf-sync");
        assert_eq!(pg.snapshot().view.now, 0);
        assert!(pg.playback().playing);
        pg.update(Action::SelectPreset(9_999));
        assert_eq!(pg.snapshot().preset_name, "lf-sync");
        assert!(pg.snapshot().notice.is_some());
    }

    #[test]
    fn the_speed_is_clamped_and_only_real_changes_redraw() {
        let mut pg = playground("lf-async");
        pg.update(Action::SetSpeed(1_000));
        assert_eq!(pg.playback().speed_step, MAX_SPEED_STEP);
        assert!(!pg.update(Action::SetSpeed(MAX_SPEED_STEP)));
        pg.update(Action::SetSpeed(-1_000));
        assert_eq!(pg.playback().speed_step, MIN_SPEED_STEP);
        assert!(!pg.update(Action::Pause));
    }

    #[test]
    fn playing_frame_by_frame_gives_the_same_trace_as_one_run() {
        let mut pg = playground("lf-semi-sync");
        pg.update(Action::SetSpeed(0));
        pg.update(Action::Play);
        play_frames(&mut pg, 100, 10.0);
        let scenario = pg.scenario().clone();
        let mut once = Simulation::new(&scenario);
        once.run_until(1_000 * MS);
        assert_eq!(pg.snapshot().view.now, 1_000 * MS);
        assert_eq!(pg.snapshot().trace_hash, once.trace_hash());
    }

    /// A session with actions of every kind, some after single steps.
    fn busy_session() -> Playground {
        let mut pg = playground("failover-majority-no-loss");
        play_to(&mut pg, 300 * MS);
        pg.update(Action::Do(Command::Crash { node: 0 }));
        for _ in 0..7 {
            pg.update(Action::Step);
        }
        pg.update(Action::Do(Command::Slow { node: 2, factor: 3.0 }));
        pg.update(Action::Do(Command::Cut { from: 1, to: 2, both: false }));
        play_to(&mut pg, 900 * MS);
        pg.update(Action::Do(Command::Restart { node: 0 }));
        pg.update(Action::Do(Command::Write { client: 1, key: 3, value: None, node: None, quorum: None }));
        pg.update(Action::Do(Command::Heal {}));
        play_to(&mut pg, 1_500 * MS);
        pg
    }

    #[test]
    fn a_crash_after_a_fork_is_told_once_and_seeking_back_forgets_the_future() {
        let mut pg = busy_session();
        pg.update(Action::Seek(600 * MS));
        assert!(
            !pg.snapshot().narration.iter().any(|l| l.time > 600 * MS),
            "lines after the playhead are gone: {:?}",
            pg.snapshot().narration
        );
        pg.update(Action::Do(Command::Crash { node: 2 }));
        play_to(&mut pg, 700 * MS);
        let texts: Vec<String> = pg.snapshot().narration.iter().map(|l| l.text.clone()).collect();
        assert_eq!(texts.iter().filter(|t| t.contains("n2 crashed")).count(), 1, "{texts:#?}");
        assert_eq!(texts.iter().filter(|t| t.starts_with("Forked")).count(), 1, "{texts:#?}");
    }

    #[test]
    fn the_session_is_a_scenario_that_replays_to_the_same_trace() {
        let pg = busy_session();
        let session = pg.session_scenario();
        assert_eq!(session.commands.len(), pg.scenario().commands.len() + 6);
        // It is a valid scenario file and round-trips through JSON.
        let again = Scenario::from_json(&session.to_json()).unwrap();
        let mut replay = Simulation::new(&again);
        replay.run_until(1_500 * MS);
        assert_eq!(replay.trace_hash(), pg.snapshot().trace_hash);
    }

    #[test]
    fn the_crashed_leader_is_replaced_by_an_election() {
        let mut pg = playground("failover-majority-no-loss");
        play_to(&mut pg, 500 * MS);
        assert_eq!(leaders(&pg), vec![0]);
        pg.update(Action::Do(Command::Crash { node: 0 }));
        play_to(&mut pg, 1_500 * MS);
        let l = leaders(&pg);
        assert_eq!(l.len(), 1);
        assert_ne!(l[0], 0);
        let narration: Vec<_> = pg.snapshot().narration.iter().map(|l| l.text.clone()).collect();
        assert!(narration.iter().any(|t| t.contains("became leader")), "{narration:?}");
    }

    #[test]
    fn seeking_back_and_forth_reproduces_the_same_instants() {
        let mut pg = busy_session();
        let end = pg.snapshot();
        assert_eq!(pg.playback().head, 1_500 * MS);
        assert!(pg.checkpoint_count() > 2);
        // Record the picture at some instants by seeking, then revisit them in another order.
        let mut seen = Vec::new();
        for t in [1_200, 100, 700, 301, 0, 950] {
            pg.update(Action::Seek(t * MS));
            let s = pg.snapshot();
            assert_eq!(s.view.now, t * MS);
            seen.push((t, s.trace_hash.clone(), s.view.clone()));
        }
        for (t, hash, view) in seen.iter().rev() {
            pg.update(Action::Seek(t * MS));
            assert_eq!(&pg.snapshot().trace_hash, hash, "at {t} ms");
            assert_eq!(&pg.snapshot().view, view, "at {t} ms");
        }
        // Back at the end: the same as before, recorded commands re-applied on the way.
        pg.update(Action::Seek(u64::MAX));
        assert_eq!(pg.snapshot().trace_hash, end.trace_hash);
        assert_eq!(pg.snapshot().applied_commands, 6);
        // Seeking by steps.
        pg.update(Action::SeekBy(-100_000));
        assert_eq!(pg.snapshot().view.now, 1_400 * MS);
        pg.update(Action::SeekBy(-10_000_000_000));
        assert_eq!(pg.snapshot().view.now, 0);
        assert_eq!(pg.snapshot().applied_commands, 0);
        // Playing on from the past replays the recorded future exactly.
        play_to(&mut pg, 1_500 * MS);
        assert_eq!(pg.snapshot().trace_hash, end.trace_hash);
        assert_eq!(pg.snapshot().forks, 0);
    }

    #[test]
    fn acting_in_the_past_forks_a_new_future() {
        let mut pg = busy_session();
        pg.update(Action::Seek(600 * MS));
        assert_eq!(pg.snapshot().applied_commands, 3);
        pg.update(Action::Do(Command::Pause { node: 1 }));
        let s = pg.snapshot();
        assert_eq!(s.forks, 1);
        assert_eq!(s.session_commands, 4, "the future's three commands are gone, the new one recorded");
        assert_eq!(pg.playback().head, 600 * MS);
        assert!(s.narration.iter().any(|l| l.text.starts_with("Forked")));
        // The forked session is still a scenario that replays exactly.
        play_to(&mut pg, 1_000 * MS);
        let mut replay = Simulation::new(&pg.session_scenario());
        replay.run_until(1_000 * MS);
        assert_eq!(replay.trace_hash(), pg.snapshot().trace_hash);
        // And seeking inside the new timeline still works.
        pg.update(Action::Seek(800 * MS));
        pg.update(Action::Seek(1_000 * MS));
        assert_eq!(replay.trace_hash(), pg.snapshot().trace_hash);
    }

    #[test]
    fn a_long_session_plays_on_and_what_it_holds_stays_bounded() {
        let mut s = replicalab_core::presets::find("lf-async").unwrap().scenario().unwrap();
        s.workload.as_mut().unwrap().rate_per_s = 20_000.0;
        s.duration_ms = 3_600_000.0;
        let mut pg = Playground::with_scenario(s);
        pg.update(Action::SetSpeed(MAX_SPEED_STEP));
        pg.update(Action::Play);
        let limit = replicalab_core::sim::Compaction::default().max_ops;
        let mut most = 0;
        while pg.simulation().history().len() < 250_000 {
            pg.update(Action::Tick { wall_ms: 100.0 });
            assert!(pg.playback().playing, "playback stopped at {} operations", pg.simulation().history().len());
            most = most.max(held_ops(pg.simulation()));
        }
        // What one simulation holds: the compaction limit plus one round of operations.
        assert!(most <= limit + 4_096, "held {most} operations");
        let held: usize = pg.checkpoints.iter().map(|c| held_ops(&c.sim)).sum();
        assert!(held <= CHECKPOINT_OPS_BUDGET + limit + 4_096, "checkpoints hold {held} operations");
        assert!(pg.snapshot().notice.is_none());
        // Scrubbing back still works, to the same state as before.
        let now = pg.snapshot().view.now;
        let hash = pg.snapshot().trace_hash.clone();
        pg.update(Action::Seek(1_000 * MS));
        assert_eq!(pg.snapshot().view.now, 1_000 * MS);
        pg.update(Action::Seek(now));
        assert_eq!(pg.snapshot().trace_hash, hash);
    }

    #[test]
    fn the_panels_draw_up_to_their_own_instant_however_fast_the_play() {
        // At 10× with 16 ms frames the panels are rebuilt every 200 ms of wall time, two
        // simulated seconds apart: drawn up to the graph's instant, the space-time window
        // would hold none of their messages.
        let mut pg = playground("lf-async");
        pg.update(Action::SetSpeed(MAX_SPEED_STEP));
        pg.update(Action::Play);
        for frame in 0..200 {
            pg.update(Action::Tick { wall_ms: 16.0 });
            let s = pg.snapshot();
            let p = &s.panels;
            assert!(p.now <= s.view.now);
            if frame < 20 || p.flights.is_empty() {
                continue;
            }
            assert!(
                p.flights.iter().all(|f| f.sent <= p.now),
                "frame {frame}: a message from after the panels' instant"
            );
            let trips: Vec<(Time, Option<Time>)> = p.flights.iter().map(|f| (f.sent, f.arrived)).collect();
            let (t0, t1) = crate::geometry::spacetime_window(&trips, p.now);
            assert!(
                p.flights.iter().any(|f| f.arrived.unwrap_or(f.sent).max(f.sent) >= t0),
                "frame {frame}: no message in the window {t0}..{t1} (graph at {}, panels at {})",
                s.view.now,
                p.now
            );
        }
    }

    #[test]
    fn checkpoints_stay_bounded_on_long_runs() {
        let mut pg = playground("lf-async");
        pg.update(Action::SetSpeed(MAX_SPEED_STEP));
        pg.update(Action::Play);
        for _ in 0..800 {
            pg.update(Action::Tick { wall_ms: 100.0 });
            pg.update(Action::Play);
        }
        assert!(pg.snapshot().view.now >= 60_000 * MS);
        assert!(pg.checkpoint_count() <= MAX_CHECKPOINTS);
        // As the history grows, the copy budget leaves fewer checkpoints, never fewer than a few.
        let copied: usize = pg.checkpoints.iter().map(|c| held_ops(&c.sim)).sum();
        assert!(copied <= CHECKPOINT_OPS_BUDGET + held_ops(pg.simulation()), "{copied}");
        assert!(pg.checkpoint_count() > 2, "{} checkpoints", pg.checkpoint_count());
        let s = pg.snapshot();
        let p = &s.panels;
        assert!(p.ops.len() <= derive::MAX_OPS && p.log.len() <= derive::MAX_EVENTS);
        assert!(p.flights.len() <= derive::MAX_FLIGHTS && p.lag.times.len() <= derive::MAX_LAG_POINTS);
        // A seek to the middle replays at most one checkpoint interval.
        pg.update(Action::Seek(30_000 * MS));
        assert_eq!(pg.snapshot().view.now, 30_000 * MS);
    }

    #[test]
    fn a_partition_drawn_by_marks_splits_the_cluster_and_split_brain_follows_without_fencing() {
        let run = |fencing: FencingChoice| {
            let settings = Settings { failover: FailoverChoice::Naive, fencing, ..Settings::default() };
            let mut pg = Playground::with_scenario(settings.build().unwrap());
            play_to(&mut pg, 500 * MS);
            pg.update(Action::ToggleMark(0));
            pg.update(Action::PartitionMarked);
            assert_eq!(pg.snapshot().view.groups, vec![vec![0], vec![1, 2]]);
            assert!(pg.snapshot().marks.is_empty());
            play_to(&mut pg, 2_500 * MS);
            pg.snapshot().panels.anomalies.iter().filter(|(_, a)| a.kind == AnomalyKind::SplitBrain).count()
        };
        assert!(run(FencingChoice::TermsOnly) > 0, "naive failover without fencing: split brain");
        assert_eq!(run(FencingChoice::Lease), 0, "a leader lease fences the old leader");
    }

    #[test]
    fn weaker_quorums_let_stale_reads_through() {
        let run = |w: usize, r: usize| {
            let settings = Settings {
                family: Family::Leaderless,
                nodes: 5,
                n: 3,
                w,
                r,
                read_repair: false,
                latency_max_ms: 30.0,
                rate_per_s: 150.0,
                ..Settings::default()
            };
            let mut pg = Playground::with_scenario(settings.build().unwrap());
            play_to(&mut pg, 3_000 * MS);
            pg.snapshot().panels.anomalies.iter().filter(|(_, a)| a.kind == AnomalyKind::StaleRead).count()
        };
        assert_eq!(run(2, 2), 0);
        assert!(run(1, 1) > 0);
    }

    #[test]
    fn selections_are_validated_and_seek_to_what_they_name() {
        let mut pg = playground("ll-partial-quorum");
        play_to(&mut pg, 2_000 * MS);
        assert!(pg.update(Action::Select(Selection::Node(2))));
        assert_eq!(pg.snapshot().selection, Selection::Node(2));
        pg.update(Action::Select(Selection::Node(99)));
        assert_eq!(pg.snapshot().selection, Selection::None);
        pg.update(Action::Select(Selection::Link(3, 1)));
        assert_eq!(pg.snapshot().selection, Selection::Link(1, 3));
        let (i, a) = pg.snapshot().panels.anomalies.first().cloned().expect("a stale read by 2 s");
        pg.update(Action::Select(Selection::Anomaly(i)));
        assert_eq!(pg.snapshot().view.now, a.time);
        assert_eq!(pg.snapshot().selection, Selection::Anomaly(i));
        let op = a.ops[0];
        pg.update(Action::Select(Selection::Op(op)));
        assert_eq!(pg.snapshot().selection, Selection::Op(op));
        pg.update(Action::Select(Selection::Op(1_000_000)));
        assert_eq!(pg.snapshot().selection, Selection::None);
        // A message seeks to its send, where it is on the wire and in the diagram.
        let m = pg.simulation().messages().iter().rev().nth(20).cloned().expect("recorded messages");
        pg.update(Action::Select(Selection::Message(m.id)));
        let s = pg.snapshot();
        assert_eq!((s.selection, s.view.now), (Selection::Message(m.id), m.sent));
        assert!(s.panels.flights.iter().any(|f| f.id == m.id && f.sent == m.sent));
        if !matches!(m.fate, MessageFate::Cut | MessageFate::Lost) {
            assert!(s.view.messages.iter().any(|w| w.id == m.id), "{m:?} on the wire at its send");
        }
        pg.update(Action::Select(Selection::Message(u64::MAX)));
        assert_eq!(pg.snapshot().selection, Selection::None);
    }

    #[test]
    fn bad_commands_are_refused_with_a_notice_never_a_panic() {
        let mut pg = playground("lf-async");
        pg.update(Action::Do(Command::Crash { node: 42 }));
        assert!(pg.snapshot().notice.as_deref().unwrap().contains("not applied"));
        pg.update(Action::Do(Command::Slow { node: 0, factor: f64::NAN }));
        pg.update(Action::Do(Command::Write { client: 77, key: 1, value: None, node: None, quorum: None }));
        pg.update(Action::Do(Command::Partition { groups: vec![vec![0, 0]] }));
        assert_eq!(pg.snapshot().session_commands, 0);
        // Marks: none, all, unknown nodes.
        pg.update(Action::PartitionMarked);
        for n in 0..3 {
            pg.update(Action::ToggleMark(n));
        }
        assert!(!pg.update(Action::ToggleMark(7)));
        pg.update(Action::PartitionMarked);
        assert_eq!(pg.snapshot().session_commands, 0);
        assert!(pg.update(Action::ClearMarks));
        assert!(!pg.update(Action::ClearMarks));
    }

    #[test]
    fn the_workload_toggles_and_fault_spans_follow_commands() {
        let mut pg = playground("lf-async");
        assert!(pg.snapshot().view.workload);
        play_to(&mut pg, 200 * MS);
        pg.update(Action::ToggleWorkload);
        assert!(!pg.snapshot().view.workload);
        let ops = pg.simulation().history().len();
        play_to(&mut pg, 600 * MS);
        assert!(pg.simulation().history().len() <= ops + 2);
        pg.update(Action::ToggleWorkload);
        assert!(pg.snapshot().view.workload);
        pg.update(Action::Do(Command::Crash { node: 2 }));
        let s = pg.snapshot();
        assert_eq!(s.view.faults.len(), 1);
        assert_eq!(s.view.faults[0].start, 600 * MS);
        assert_eq!(s.view.faults[0].end, None);
    }
}
