//! The playground's state: one reducer owns the running simulation.
//!
//! [`Playground`] is plain Rust (tested natively): it holds the scenario, the [`Simulation`] and
//! the playback settings, and [`Playground::update`] applies one [`Action`]. After every change
//! it takes a [`Snapshot`] — the only thing components draw. In the browser, [`SimState`] wraps
//! it as a Yew reducer: the simulation is not `Clone`, so the reducer shares it behind a
//! `RefCell` and hands out a fresh snapshot for every change that matters.
//!
//! The animation loop sends [`Action::Tick`] with the wall-clock time since the previous frame;
//! the playground advances simulated time by that much times the speed. Nothing here reads a
//! clock, so a test can drive it frame by frame.

use std::rc::Rc;

use replicalab_core::presets::{Preset, PRESETS};
use replicalab_core::protocol::NodeId;
use replicalab_core::time::{from_ms, Time};
use replicalab_core::view::Health;
use replicalab_core::{Command, Scenario, Simulation, View};

use crate::format::{default_speed_step, speed, MAX_SPEED_STEP, MIN_SPEED_STEP};

/// Trace entries kept as text: enough for an event log, small enough that memory stays bounded.
pub const TRACE_CAPACITY: usize = 200;
/// Longest wall-clock gap one frame may advance by (a stalled tab must not jump ahead).
pub const MAX_FRAME_MS: f64 = 100.0;

/// Everything the UI can ask of the playground.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Load a preset (by index into [`PRESETS`]) from its start.
    SelectPreset(usize),
    TogglePlay,
    Play,
    Pause,
    /// Set the speed slider step (see [`crate::format::speed`]).
    SetSpeed(i32),
    /// Pause and process exactly one event.
    Step,
    /// Start the current scenario again.
    Reset,
    /// One animation frame: `wall_ms` of wall-clock time passed since the previous one.
    Tick {
        wall_ms: f64,
    },
    /// Crash a running node, restart a crashed one, resume a paused one.
    ToggleNode(NodeId),
    /// The page was hidden (another tab, minimised window) or shown again.
    SetHidden(bool),
}

/// Playback settings and position, small and `Copy` for the controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Playback {
    /// Index into [`PRESETS`].
    pub preset: usize,
    pub playing: bool,
    /// The page is hidden: playback is suspended until it is shown again.
    pub hidden: bool,
    pub speed_step: i32,
    /// The scenario's duration was reached (playback paused there once).
    pub at_end: bool,
    /// The scenario's duration.
    pub duration: Time,
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
    /// Anomalies found since the start (the view lists only the most recent).
    pub anomalies_total: usize,
    pub preset_name: &'static str,
    pub description: String,
    /// Something the user should know (a preset that failed to load, an ignored request).
    pub notice: Option<String>,
}

/// The running playground: scenario, simulation, playback.
pub struct Playground {
    scenario: Scenario,
    sim: Simulation,
    playback: Playback,
    /// Fraction of a microsecond not yet advanced (slow speeds advance less than 1 µs a frame).
    carry_us: f64,
    notice: Option<String>,
    snapshot: Rc<Snapshot>,
}

impl Playground {
    /// Loads preset `index`, paused at time 0 with the preset's default speed.
    pub fn new(index: usize) -> Result<Playground, String> {
        let (preset, scenario) = load(index)?;
        let sim = start(&scenario);
        let playback = Playback {
            preset: index,
            playing: false,
            hidden: false,
            speed_step: default_speed_step(&scenario.cluster.network.latency),
            at_end: false,
            duration: from_ms(scenario.duration_ms),
        };
        let snapshot = Rc::new(take_snapshot(&sim, preset, &scenario, None));
        Ok(Playground { scenario, sim, playback, carry_us: 0.0, notice: None, snapshot })
    }

    /// The preset named `name`, or the first one that loads.
    pub fn new_named(name: Option<&str>) -> Playground {
        let wanted = name.and_then(|n| PRESETS.iter().position(|p| p.name == n));
        let mut first_error = None;
        for index in wanted.into_iter().chain(0..PRESETS.len()) {
            match Playground::new(index) {
                Ok(mut pg) => {
                    if let (Some(n), None) = (name, wanted) {
                        pg.set_notice(Some(format!(
                            "There is no preset named “{n}”; showing {}.",
                            PRESETS[index].name
                        )));
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
        // Every built-in preset is checked by the core's tests; reaching this is a broken build.
        panic!("no built-in preset loads: {}", first_error.unwrap_or_default())
    }

    pub fn playback(&self) -> Playback {
        self.playback
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

    /// Applies an action. Returns whether anything visible changed (the UI redraws only then).
    pub fn update(&mut self, action: Action) -> bool {
        let world_changed = match action {
            Action::SelectPreset(index) => match load(index) {
                Ok((_, scenario)) => {
                    self.playback.preset = index;
                    self.playback.speed_step = default_speed_step(&scenario.cluster.network.latency);
                    self.scenario = scenario;
                    self.notice = None;
                    self.restart();
                    true
                }
                Err(e) => {
                    self.notice = Some(e);
                    true
                }
            },
            Action::Reset => {
                self.restart();
                true
            }
            Action::TogglePlay => return self.set_playing(!self.playback.playing),
            Action::Play => return self.set_playing(true),
            Action::Pause => return self.set_playing(false),
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
                self.sim.step();
                true
            }
            Action::Tick { wall_ms } => {
                if !self.playback.running() {
                    return false;
                }
                self.advance(wall_ms)
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
                self.sim.apply(command);
                true
            }
        };
        if world_changed {
            self.refresh();
        }
        true
    }

    fn set_playing(&mut self, playing: bool) -> bool {
        let changed = playing != self.playback.playing;
        self.playback.playing = playing;
        if playing {
            self.carry_us = 0.0;
        }
        changed
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
        self.sim.run_until(target);
        self.refresh();
        true
    }

    fn restart(&mut self) {
        self.sim = start(&self.scenario);
        self.playback.at_end = false;
        self.playback.duration = from_ms(self.scenario.duration_ms);
        self.carry_us = 0.0;
        self.refresh();
    }

    fn set_notice(&mut self, notice: Option<String>) {
        self.notice = notice;
        self.refresh();
    }

    fn refresh(&mut self) {
        let preset = &PRESETS[self.playback.preset];
        self.snapshot = Rc::new(take_snapshot(&self.sim, preset, &self.scenario, self.notice.clone()));
    }
}

fn load(index: usize) -> Result<(&'static Preset, Scenario), String> {
    let preset = PRESETS.get(index).ok_or_else(|| format!("there is no preset number {index}"))?;
    let scenario = preset.scenario().map_err(|e| format!("the preset {} does not load: {e}", preset.name))?;
    Ok((preset, scenario))
}

fn start(scenario: &Scenario) -> Simulation {
    let mut sim = Simulation::new(scenario);
    sim.set_trace_capacity(TRACE_CAPACITY);
    sim
}

fn take_snapshot(sim: &Simulation, preset: &'static Preset, scenario: &Scenario, notice: Option<String>) -> Snapshot {
    let m = sim.metrics();
    Snapshot {
        view: sim.view(),
        events: sim.events(),
        trace_hash: sim.trace_hash(),
        ops_ok: m.ok,
        ops_failed: m.failed,
        ops_unknown: m.unknown,
        anomalies_total: sim.anomalies().len(),
        preset_name: preset.name,
        description: scenario.description.clone(),
        notice,
    }
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
        pub fn new(preset: Option<&str>) -> SimState {
            let pg = Playground::new_named(preset);
            SimState { snapshot: pg.snapshot(), playback: pg.playback(), playground: Rc::new(RefCell::new(pg)) }
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
            let mut pg = self.playground.borrow_mut();
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use replicalab_core::time::MS;
    use replicalab_core::view::Role;

    use super::*;

    fn playground(name: &str) -> Playground {
        Playground::new(PRESETS.iter().position(|p| p.name == name).unwrap()).unwrap()
    }

    fn play_frames(pg: &mut Playground, frames: usize, wall_ms: f64) {
        for _ in 0..frames {
            pg.update(Action::Tick { wall_ms });
        }
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
            // Leader-follower clusters start with exactly one leader; other families differ.
            if s.view.family == "leader_follower" {
                let leaders = s.view.nodes.iter().filter(|n| n.protocol.role == Role::Leader).count();
                assert_eq!(leaders, 1, "preset {}", preset.name);
            }
        }
        assert!(Playground::new(PRESETS.len()).is_err());
    }

    #[test]
    fn unknown_names_fall_back_to_the_first_preset_with_a_notice() {
        let pg = Playground::new_named(Some("no-such-preset"));
        assert_eq!(pg.playback().preset, 0);
        assert!(pg.snapshot().notice.as_deref().unwrap().contains("no-such-preset"));
        let pg = Playground::new_named(Some("lf-sync"));
        assert_eq!(pg.snapshot().preset_name, "lf-sync");
        assert_eq!(pg.snapshot().notice, None);
        assert_eq!(Playground::new_named(None).playback().preset, 0);
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
        // A long stall advances by at most MAX_FRAME_MS.
        pg.update(Action::Tick { wall_ms: 60_000.0 });
        assert_eq!(pg.snapshot().view.now, 260 * MS);
        // Nonsense frame times are ignored.
        pg.update(Action::Tick { wall_ms: f64::NAN });
        pg.update(Action::Tick { wall_ms: -5.0 });
        assert_eq!(pg.snapshot().view.now, 260 * MS);
    }

    #[test]
    fn slow_speeds_accumulate_fractions_of_a_microsecond() {
        let mut pg = playground("lf-async");
        pg.update(Action::SetSpeed(MIN_SPEED_STEP)); // 0.001×: 0.5 µs per 0.5 ms frame
        pg.update(Action::Play);
        play_frames(&mut pg, 1000, 0.5);
        let now = pg.snapshot().view.now;
        assert!((499..=500).contains(&now), "{now}");
    }

    #[test]
    fn playback_pauses_once_at_the_scenario_end_and_can_go_on() {
        let mut pg = playground("lf-async");
        pg.update(Action::SetSpeed(MAX_SPEED_STEP)); // 10×: 1 s of simulated time per 100 ms frame
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
        assert!(pg.playback().running());
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
        pg.update(Action::Play);
        play_frames(&mut pg, 5, 16.0);
        assert!(pg.update(Action::ToggleNode(1)));
        assert_eq!(pg.snapshot().view.nodes[1].health, Health::Crashed);
        play_frames(&mut pg, 5, 16.0);
        pg.update(Action::ToggleNode(1));
        assert_eq!(pg.snapshot().view.nodes[1].health, Health::Up);
        assert!(!pg.update(Action::ToggleNode(99)), "unknown nodes are ignored");
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
        // The UI drives the simulation in many small steps; determinism must not depend on that.
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
}
