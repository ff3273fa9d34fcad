//! `replicalab explore`: random fault schedules over a scenario, the properties that must hold,
//! and the first violation shrunk to a minimal schedule with a scenario file and a link.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use clap::Args;
use replicalab_core::explore::{self, Checked, Fault, Property, SweepFamily};
use replicalab_core::link::{self, Share};
use replicalab_core::presets;
use replicalab_core::Scenario;
use serde_json::json;

#[derive(Args)]
pub struct ExploreArgs {
    /// What to explore: a built-in family (lf-majority, lf-sync, multi-leader, ll-strict, ll-lwt), a
    /// preset name, or a scenario file. Its cluster, protocol and workload are kept; its fault
    /// commands are replaced by the random schedules.
    scenario: String,
    /// How many random schedules to run.
    #[arg(long, default_value_t = 100)]
    schedules: u64,
    /// Schedule i uses seed S + i (for the scenario and for its faults).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Check only this property (besides no panic and bounded events): no_lost_write,
    /// one_leader, no_stale_read, converges.
    #[arg(long, value_name = "NAME")]
    property: Option<String>,
    /// At most this many faults in a schedule.
    #[arg(long, default_value_t = 6)]
    faults: usize,
    /// Worker threads (default: every core).
    #[arg(long)]
    jobs: Option<usize>,
    /// At most this many runs to shrink a violating schedule.
    #[arg(long, default_value_t = 300)]
    shrink_runs: usize,
    /// Write the shrunk counterexample's scenario file here.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the link as a full URL: BASE#<link>.
    #[arg(long, value_name = "URL")]
    base: Option<String>,
}

enum Base {
    Family(SweepFamily),
    Fixed(Box<Scenario>),
}

impl Base {
    fn at(&self, seed: u64) -> Scenario {
        match self {
            Base::Family(family) => explore::family(*family, seed),
            Base::Fixed(s) => {
                let mut s = Scenario::clone(s);
                s.seed = seed;
                s
            }
        }
    }
}

fn load_base(what: &str) -> Result<Base, String> {
    if let Some(family) = SweepFamily::from_name(what) {
        return Ok(Base::Family(family));
    }
    if let Some(p) = presets::find(what) {
        return p.scenario().map(|s| Base::Fixed(Box::new(s))).map_err(|e| format!("preset {what}: {e}"));
    }
    let path = PathBuf::from(what);
    if !path.exists() {
        let names: Vec<&str> = SweepFamily::ALL.iter().map(|f| f.name()).collect();
        return Err(format!("{what}: neither a family ({}), a preset nor a file", names.join(", ")));
    }
    super::load(Some(path), None).map(|s| Base::Fixed(Box::new(s)))
}

pub fn run(args: ExploreArgs) -> Result<bool, String> {
    let base = load_base(&args.scenario)?;
    let only = match &args.property {
        Some(name) => Some(Property::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Property::ALL.iter().map(|p| p.name()).collect();
            format!("no property named {name:?}; the properties are: {}", names.join(", "))
        })?),
        None => None,
    };
    if args.schedules == 0 {
        return Err("--schedules must be at least 1".into());
    }
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let schedule = |i: u64| {
        let seed = args.seed.wrapping_add(i);
        let s = base.at(seed);
        let faults = explore::random_faults(seed, s.cluster.nodes, args.faults);
        (s, faults)
    };

    // Workers take schedules in order; once one fails, schedules after it are skipped, and
    // the first failing schedule is the same whatever the number of workers.
    let next = AtomicU64::new(0);
    let first_fail = AtomicU64::new(u64::MAX);
    let done = AtomicU64::new(0);
    let results: Mutex<Vec<(u64, Checked)>> = Mutex::new(Vec::new());
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= args.schedules || i > first_fail.load(Ordering::SeqCst) {
                    break;
                }
                let (s, faults) = schedule(i);
                let checked = explore::check(&s, &faults, only);
                if checked.violation.is_some() {
                    first_fail.fetch_min(i, Ordering::SeqCst);
                }
                results.lock().expect("no worker panics").push((i, checked));
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                if n % 50 == 0 || n == args.schedules {
                    eprintln!(
                        "explore {}: {n}/{} schedules, {:.1} s",
                        args.scenario,
                        args.schedules,
                        started.elapsed().as_secs_f64()
                    );
                }
            });
        }
    });
    let mut results = results.into_inner().expect("no worker panics");
    results.sort_by_key(|(i, _)| *i);
    let fail = first_fail.load(Ordering::SeqCst);
    results.retain(|(i, _)| *i <= fail);

    let mut checked_counts: std::collections::BTreeMap<&str, u64> = Default::default();
    let mut max_ratio: f64 = 0.0;
    for (_, c) in &results {
        for p in &c.properties {
            *checked_counts.entry(p.name()).or_default() += 1;
        }
        if c.baseline_events > 0 {
            max_ratio = max_ratio.max(c.events as f64 / c.baseline_events as f64);
        }
    }
    let passed = results.iter().filter(|(_, c)| c.violation.is_none()).count();
    let mut summary = json!({
        "scenario": args.scenario,
        "schedules": args.schedules,
        "run": results.len(),
        "passed": passed,
        "checked": checked_counts,
        "max_event_ratio": (max_ratio * 100.0).round() / 100.0,
        "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        "violation": null,
    });
    let ok = fail == u64::MAX;
    if let Some((i, c)) = results.iter().find(|(i, _)| *i == fail) {
        let v = c.violation.clone().expect("the failing schedule");
        let (s, faults) = schedule(*i);
        eprintln!("explore: schedule {i} breaks {}: {}; shrinking…", v.property.name(), v.explanation);
        let shrunk = explore::shrink(&s, &faults, v.property, args.shrink_runs);
        let again = explore::check(&s, &shrunk, Some(v.property));
        let explanation = again.violation.map_or(v.explanation.clone(), |v| v.explanation);
        let scenario = counterexample(&s, &shrunk, *i, v.property);
        let share = Share::new(scenario.clone());
        let link = match &args.base {
            Some(b) => link::encode_url(b, &share),
            None => link::encode(&share),
        }
        .unwrap_or_else(|e| format!("(no link: {e})"));
        if let Some(path) = &args.out {
            std::fs::write(path, scenario.to_json()).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
            eprintln!("explore: counterexample written to {}", path.display());
        }
        summary["violation"] = json!({
            "schedule": i,
            "seed": s.seed,
            "property": v.property.name(),
            "explanation": explanation,
            "faults": faults.len(),
            "shrunk_faults": shrunk,
            "scenario": serde_json::from_str::<serde_json::Value>(&scenario.to_json()).map_err(|e| e.to_string())?,
            "link": link,
        });
    }
    outln!("{}", serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?);
    Ok(ok)
}

/// The shrunk schedule as a scenario file that says what it shows.
fn counterexample(base: &Scenario, faults: &[Fault], schedule: u64, property: Property) -> Scenario {
    let mut s = explore::apply(base, faults);
    s.name = format!("{}-counterexample", base.name);
    s.description = format!(
        "Found by `replicalab explore` (schedule {schedule}, seed {}): {} fault(s) that break {}.",
        base.seed,
        faults.len(),
        property.name()
    );
    s
}
