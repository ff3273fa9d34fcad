//! `replicalab check`: is a history file, written by another tool, linearizable?
//!
//! Prints one JSON object on stdout. Exit status: 0 with a verdict (linearizable or not), 2
//! when the file cannot be read or does not fit the model (the message names the line), 3
//! when some key ran out of step budget and no violation was found.
//!
//! The reading and checking are the core's ([`file::check_text`]), shared with the
//! playground's history import.

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::Args;
use replicalab_core::checkers::linearizability::file::{self, FileCheck, FileReport, ModelKind};
use replicalab_core::checkers::linearizability::{CheckConfig, Verdict};
use replicalab_core::formats::Format;
use serde_json::{json, Value as Json};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// History format: porcupine-etcd (Jepsen log lines, also a whole `lein test` output),
    /// porcupine-kv or jepsen-edn. Default: recognised from the text.
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// The object the history is about: cas-register, kv (key-value with append, checked per
    /// key), multi-register or mutex. Default: recognised from the operations.
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
    /// Every register's value before its first write: an integer or nil. Default: nil for
    /// cas-register, 0 for multi-register.
    #[arg(long, value_name = "VALUE")]
    initial: Option<String>,
    /// Read `nil` read results as unknown (Knossos's convention) rather than "empty".
    #[arg(long)]
    nil_reads_unknown: bool,
    /// Most model steps the search of one key may take.
    #[arg(long, value_name = "STEPS")]
    budget: Option<u64>,
    /// Check every key and report each violation with its minimal window. Default: stop at
    /// the first key that is not linearizable (the verdict is the same).
    #[arg(long)]
    all: bool,
    /// The history file; `-` reads standard input.
    file: PathBuf,
}

pub fn run(args: CheckArgs) -> Result<(), String> {
    let format = match &args.format {
        None => None,
        Some(name) => Some(Format::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            format!("unknown --format {name:?}; the formats are: {}", names.join(", "))
        })?),
    };
    let model = match &args.model {
        None => None,
        Some(name) => Some(ModelKind::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = ModelKind::ALL.iter().map(|m| m.name()).collect();
            format!("unknown --model {name:?}; the models are: {}", names.join(", "))
        })?),
    };
    let initial = match args.initial.as_deref() {
        None => None,
        Some("nil") => Some(None),
        Some(s) => Some(Some(s.parse::<i64>().map_err(|_| format!("--initial must be an integer or nil, not {s:?}"))?)),
    };
    let mut config = if args.all { CheckConfig::default() } else { CheckConfig::verdict() };
    if let Some(b) = args.budget {
        config.step_budget = b;
    }
    let path = args.file.display().to_string();
    let text = if path == "-" {
        let mut t = String::new();
        std::io::stdin().read_to_string(&mut t).map_err(|e| format!("standard input: cannot read: {e}"))?;
        t
    } else {
        std::fs::read_to_string(&args.file).map_err(|e| format!("{path}: cannot read: {e}"))?
    };
    let how = FileCheck { format, model, initial, nil_reads_unknown: args.nil_reads_unknown, config };
    let report = file::check_text(&text, &how).map_err(|e| format!("{path}: {e}"))?;
    if report.foreign_lines > 0 || report.nemesis_events > 0 {
        eprintln!(
            "replicalab: {path}: skipped {} line(s) that are not operations{} and {} nemesis event(s)",
            report.foreign_lines,
            report.first_foreign_line.map(|l| format!(" (the first at line {l})")).unwrap_or_default(),
            report.nemesis_events
        );
    }
    let out = to_json(&path, &report, args.all);
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").and_then(|_| stdout.flush()).map_err(|e| format!("cannot write the report: {e}"))?;
    if report.verdict == Verdict::Unknown {
        eprintln!("replicalab: {path}: undecided: the search ran out of its step budget (raise --budget)");
        std::process::exit(3);
    }
    Ok(())
}

fn to_json(path: &str, r: &FileReport, all: bool) -> Json {
    let op_json = |i: usize| -> Json {
        let o = r.op(i);
        json!({
            "process": o.process,
            "f": o.f,
            "description": o.description,
            "outcome": o.outcome.name(),
            "value": o.invoked.value.to_string(),
            "result": o.completed.map(|d| d.value.to_string()),
            "invoke": { "line": o.invoke.line, "index": o.invoke.index },
            "complete": o.complete.map(|c| json!({ "line": c.line, "index": c.index })),
        })
    };
    let key_json = |k: &Option<String>| k.as_deref().map_or(Json::Null, Json::from);
    let initial = match r.model {
        ModelKind::Kv => Json::from(""),
        ModelKind::Mutex => Json::from("free"),
        _ => r.initial.flatten().map_or(Json::Null, Json::from),
    };
    json!({
        "file": path,
        "format": r.format.name(),
        "model": r.model.name(),
        "mode": if all { "all" } else { "verdict" },
        "initial": initial,
        "linearizable": match r.verdict {
            Verdict::Linearizable => Json::Bool(true),
            Verdict::NotLinearizable => Json::Bool(false),
            Verdict::Unknown => Json::Null,
        },
        "verdict": r.verdict.name(),
        "operations": r.checked,
        "partitions": r.partitions,
        "not_checked": r.not_checked,
        "steps": r.steps,
        "skipped": {
            "foreign_lines": r.foreign_lines,
            "first_foreign_line": r.first_foreign_line,
            "nemesis_events": r.nemesis_events,
        },
        "violations": r.violations.iter().map(|v| json!({
            "key": key_json(&v.key),
            "failing_op": op_json(v.failing_op),
            "window": v.window.iter().map(|&i| op_json(i)).collect::<Vec<_>>(),
            "window_minimal": v.window_minimal,
            "window_from_start": v.window_from_start,
            "shortest_prefix": v.shortest_prefix,
        })).collect::<Vec<_>>(),
        "undecided": r.undecided.iter().map(key_json).collect::<Vec<_>>(),
    })
}
