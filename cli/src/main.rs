//! `replicalab`: run scenarios and inspect presets from the command line.

/// Writes to standard output. A reader that stops reading (`replicalab presets | head -1`)
/// ends the program quietly with success, instead of the panic `println!` gives.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*) {
            $crate::output_failed(e);
        }
    }};
}

/// [`out!`] with a newline.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::output_failed(e);
        }
    }};
}

/// Standard output failed: a closed pipe ends the program with success (its reader has what
/// it wanted); anything else is an error.
fn output_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("replicalab: cannot write the output: {e}");
    std::process::exit(2);
}

mod check;
mod compare;
mod explore;
mod link;
mod staleness;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use replicalab_core::presets::{self, PRESETS};
use replicalab_core::scenario::MAX_DURATION_MS;
use replicalab_core::time::from_ms;
use replicalab_core::{Scenario, Simulation};

#[derive(Parser)]
#[command(name = "replicalab", version, about = "Deterministic replication simulator")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario and print a JSON report to stdout.
    Run {
        /// Scenario file (JSON).
        #[arg(required_unless_present = "preset", conflicts_with = "preset")]
        scenario: Option<PathBuf>,
        /// Run a built-in scenario instead of a file.
        #[arg(long)]
        preset: Option<String>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this simulated time in milliseconds (default: the scenario's duration).
        #[arg(long)]
        until: Option<f64>,
        /// Include the most recent N trace entries as text in the report.
        #[arg(long, value_name = "N")]
        trace: Option<usize>,
        /// Leave the history out of the report.
        #[arg(long)]
        no_history: bool,
        /// Keep every operation in memory (no compaction): the report then lists the whole
        /// history and the end-of-run checks see all of it, however long the run.
        #[arg(long)]
        keep_everything: bool,
        /// Keep the workload running to the end (ignore the scenario's end of workload): for
        /// measuring long runs of a preset with --until.
        #[arg(long)]
        keep_workload: bool,
    },
    /// List the built-in scenarios, or print one with --show.
    Presets {
        /// Print this preset's scenario file.
        #[arg(long, value_name = "NAME")]
        show: Option<String>,
    },
    /// Print the trace hash of every preset run to --until (JSON object: name to hash).
    Hashes {
        #[arg(long, default_value_t = 3000.0)]
        until: f64,
    },
    /// Predict stale reads under partial quorums with the PBS WARS model (JSON to stdout).
    Staleness(staleness::StalenessArgs),
    /// Check whether a history file (Porcupine or Jepsen format) is linearizable; prints JSON.
    Check(check::CheckArgs),
    /// Convert between scenario files and share links (`link encode FILE`, `link decode LINK`).
    Link(link::LinkArgs),
    /// Run one workload and fault schedule against sync, async, multi-leader and leaderless
    /// replication; print the seed article's comparison table with measured numbers.
    Compare(compare::CompareArgs),
    /// Run random fault schedules over a scenario (a family, a preset or a file), check the
    /// properties its configuration must keep, and shrink the first violation to a minimal
    /// schedule (JSON summary on stdout, progress on stderr; exit status 1 on a violation)
    Explore(explore::ExploreArgs),
}

/// See the workspace's Cargo.toml: allocation is a good part of the simulator's work.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Cmd::Explore(args) = cli.command {
        // Exit status 1: a property was broken (the summary says which and how).
        return match explore::run(args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(msg) => {
                eprintln!("replicalab: {msg}");
                ExitCode::from(2)
            }
        };
    }
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("replicalab: {msg}");
            ExitCode::from(2)
        }
    }
}

fn load(scenario: Option<PathBuf>, preset: Option<String>) -> Result<Scenario, String> {
    if let Some(name) = preset {
        let p = presets::find(&name).ok_or_else(|| {
            let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
            format!("no preset named {name:?}; the presets are: {}", names.join(", "))
        })?;
        return p.scenario().map_err(|e| format!("preset {name}: {e}"));
    }
    let path = scenario.ok_or("name a scenario file or --preset")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    Scenario::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `--until` is a simulated time like a scenario's `duration_ms`, with the same limit.
fn check_until(until: f64) -> Result<(), String> {
    if until.is_finite() && (0.0..=MAX_DURATION_MS).contains(&until) {
        Ok(())
    } else {
        Err(format!("--until must be between 0 and {MAX_DURATION_MS} milliseconds (24 hours), got {until}"))
    }
}

fn run(cmd: Cmd) -> Result<(), String> {
    match cmd {
        Cmd::Run { scenario, preset, seed, until, trace, no_history, keep_everything, keep_workload } => {
            let mut s = load(scenario, preset)?;
            if let Some(seed) = seed {
                s.seed = seed;
            }
            if keep_workload {
                if let Some(w) = s.workload.as_mut() {
                    w.stop_ms = None;
                }
                s.commands.retain(|c| !matches!(c.command, replicalab_core::Command::StopWorkload { .. }));
            }
            if let Some(u) = until {
                check_until(u)?;
            }
            let mut sim = Simulation::new(&s);
            if keep_everything {
                sim.set_compaction(None);
            }
            if let Some(n) = trace {
                sim.set_trace_capacity(n);
            }
            sim.run_until(from_ms(until.unwrap_or(s.duration_ms)));
            let mut report = sim.report(&s.name);
            if no_history {
                report.history.clear();
            }
            let mut value = serde_json::to_value(&report).map_err(|e| e.to_string())?;
            if trace.is_some() {
                let entries: Vec<_> = sim.trace().recent().cloned().collect();
                value["trace"] = serde_json::to_value(entries).map_err(|e| e.to_string())?;
            }
            outln!("{}", serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?);
            Ok(())
        }
        Cmd::Presets { show: Some(name) } => {
            let p = presets::find(&name).ok_or_else(|| format!("no preset named {name:?}"))?;
            out!("{}", p.json);
            Ok(())
        }
        Cmd::Presets { show: None } => {
            let width = PRESETS.iter().map(|p| p.name.len()).max().unwrap_or(0);
            for p in PRESETS {
                outln!("{:width$}  {}", p.name, p.description());
            }
            Ok(())
        }
        Cmd::Staleness(args) => staleness::run(args),
        Cmd::Check(args) => check::run(args),
        Cmd::Link(args) => link::run(args),
        Cmd::Compare(args) => compare::run(args),
        Cmd::Explore(args) => explore::run(args).map(|_| ()),
        Cmd::Hashes { until } => {
            check_until(until)?;
            let mut out = serde_json::Map::new();
            for p in PRESETS {
                let s = p.scenario().map_err(|e| format!("preset {}: {e}", p.name))?;
                let mut sim = Simulation::new(&s);
                sim.run_until(from_ms(until));
                out.insert(p.name.to_string(), sim.trace_hash().into());
            }
            outln!("{}", serde_json::Value::Object(out));
            Ok(())
        }
    }
}
