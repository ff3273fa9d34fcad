//! Guided lessons: one for each lesson of the seed article, each a sequence of steps.
//!
//! A step names a preset, adds the scripted actions of the step (timed commands), says how far
//! to play (`until_ms`, default the scenario's duration), explains what to watch (`text`) and
//! invites the reader to act freely (`try`). It also states what the run must show
//! (`expect`): an anomaly that appears, one that does not, a protocol event, or the share of
//! writes that succeeded. Tests run every step and check its expectations, so a lesson can
//! never silently stop showing what it says. The lessons are data (`core/lessons/lessons.json`:
//! compiled in with the `bundled-lessons` feature; the playground fetches the file and reads it
//! with [`parse`]); the web app renders them and deep-links every step as `#lesson=ID&step=N`.

use serde::{Deserialize, Serialize};

use crate::presets;
use crate::report::Report;
use crate::scenario::{Scenario, TimedCommand};
use crate::time::from_ms;
use crate::Simulation;

/// Every lesson, in reading order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lessons {
    pub lessons: Vec<Lesson>,
}

/// One lesson of the seed article.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Stable identifier used in links.
    pub id: String,
    pub title: String,
    /// The section of the seed article it follows.
    pub chapter: String,
    pub steps: Vec<Step>,
}

/// One step: a scenario, scripted actions, an explanation and what the run shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    pub preset: String,
    /// Scripted actions, added to the preset's own commands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<TimedCommand>,
    /// Where the step's playback stops (default: the scenario's duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<f64>,
    pub text: String,
    /// A "now you try" prompt: what the reader can do freely at this point.
    #[serde(default, rename = "try", skip_serializing_if = "Option::is_none")]
    pub try_it: Option<String>,
    #[serde(default)]
    pub expect: Vec<Expect>,
}

/// Something the step's run must show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    /// At least one anomaly of this kind (snake_case, as in reports).
    Anomaly(String),
    /// No anomaly of this kind.
    NoAnomaly(String),
    /// The protocol noted this event at least once.
    Note(String),
    /// At least this share of the writes (and deletes, increments…) succeeded.
    WritesOkAtLeast(f64),
    /// At most this share of the writes succeeded (the cost of consistency).
    WritesOkAtMost(f64),
}

/// The built-in lessons.
#[cfg(feature = "bundled-lessons")]
pub fn lessons() -> Lessons {
    parse(include_str!("../lessons/lessons.json")).expect("the built-in lessons parse (tested)")
}

/// The lessons of a lessons file (as the playground fetches it): every step must name a preset.
pub fn parse(json: &str) -> Result<Lessons, String> {
    let lessons: Lessons = serde_json::from_str(json).map_err(|e| format!("the lessons' file does not load: {e}"))?;
    for lesson in &lessons.lessons {
        for step in &lesson.steps {
            if presets::index_of(&step.preset).is_none() {
                return Err(format!("the lessons' file names a preset that does not exist: `{}`", step.preset));
            }
        }
    }
    Ok(lessons)
}

impl Step {
    /// The step's scenario: the preset with the step's commands added (the preset compiled in:
    /// see [`Step::scenario_from`] for one fetched).
    pub fn scenario(&self) -> Result<Scenario, String> {
        let p = presets::find(&self.preset).ok_or_else(|| format!("no preset named `{}`", self.preset))?;
        self.scenario_from(p.scenario().map_err(|e| format!("preset {}: {e}", self.preset))?)
    }

    /// The step's scenario made from its preset's scenario, `preset`.
    pub fn scenario_from(&self, preset: Scenario) -> Result<Scenario, String> {
        let mut s = preset;
        s.commands.extend(self.commands.iter().cloned());
        crate::sort::sort_by(&mut s.commands, |a, b| a.at_ms.total_cmp(&b.at_ms));
        if let Some(until) = self.until_ms {
            s.duration_ms = until;
        }
        s.validate().map_err(|e| format!("step `{}`: {e}", self.title))?;
        Ok(s)
    }

    /// Runs the step to its end and reports.
    pub fn run(&self) -> Result<Report, String> {
        let s = self.scenario()?;
        let mut sim = Simulation::new(&s);
        sim.run_until(from_ms(s.duration_ms));
        Ok(sim.report(&s.name))
    }

    /// The expectations a report does not meet, each said in a sentence.
    pub fn unmet(&self, r: &Report) -> Vec<String> {
        let count = |k: &str| r.anomaly_counts.get(k).copied().unwrap_or(0);
        let writes: Vec<_> = r.history.iter().filter(|o| o.f != "read").collect();
        let ok = writes.iter().filter(|o| o.outcome == "ok").count() as f64 / writes.len().max(1) as f64;
        self.expect
            .iter()
            .filter_map(|e| match e {
                Expect::Anomaly(k) if count(k) == 0 => Some(format!("expected a `{k}` anomaly, found none")),
                Expect::NoAnomaly(k) if count(k) > 0 => Some(format!("expected no `{k}`, found {}", count(k))),
                Expect::Note(k) if r.metrics.notes.get(k).copied().unwrap_or(0) == 0 => {
                    Some(format!("expected the event `{k}`, it never happened"))
                }
                Expect::WritesOkAtLeast(x) if ok < *x => {
                    Some(format!("expected ≥ {x} of writes to succeed, got {ok:.3}"))
                }
                Expect::WritesOkAtMost(x) if ok > *x => {
                    Some(format!("expected ≤ {x} of writes to succeed, got {ok:.3}"))
                }
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lessons_file_must_parse_and_name_presets() {
        let text = include_str!("../lessons/lessons.json");
        assert_eq!(parse(text).unwrap(), lessons());
        assert!(parse("<!doctype html>").unwrap_err().starts_with("the lessons' file does not load: "));
        let first = &lessons().lessons[0].steps[0].preset;
        let wrong = text.replacen(&format!("\"{first}\""), "\"no-such-preset\"", 1);
        assert!(parse(&wrong).unwrap_err().contains("`no-such-preset`"));
    }

    #[test]
    fn the_lessons_parse_and_every_step_names_a_preset_and_says_something() {
        let l = lessons();
        assert_eq!(l.lessons.len(), 11, "one lesson for each lesson of the seed article");
        let mut ids = std::collections::BTreeSet::new();
        for lesson in &l.lessons {
            assert!(ids.insert(lesson.id.clone()), "duplicate lesson id {}", lesson.id);
            assert!(!lesson.steps.is_empty());
            for step in &lesson.steps {
                step.scenario().unwrap_or_else(|e| panic!("{}: {e}", lesson.id));
                assert!(step.text.len() > 40, "{}: `{}` explains too little", lesson.id, step.title);
                assert!(!step.expect.is_empty(), "{}: `{}` checks nothing", lesson.id, step.title);
            }
        }
    }
}
