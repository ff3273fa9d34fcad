//! `replicalab check`: is a history file, written by another tool, linearizable?
//!
//! Prints one JSON object on stdout. Exit status: 0 with a verdict (linearizable or not), 2
//! when the file cannot be read or does not fit the model (the message names the line), 3
//! when some key ran out of step budget and no violation was found.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use replicalab_core::checkers::linearizability::jepsen::{self, Converted, NilReads, RegisterReading};
use replicalab_core::checkers::linearizability::kv::KvAppend;
use replicalab_core::checkers::linearizability::multi_register::MultiRegister;
use replicalab_core::checkers::linearizability::mutex::Mutex;
use replicalab_core::checkers::linearizability::register::{RegValue, Register};
use replicalab_core::checkers::linearizability::{check, CheckConfig, Model, PartitionOutcome, Report, Verdict};
use replicalab_core::formats::{self, Event, Format, PairedOp};
use serde_json::{json, Value as Json};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// History format: porcupine-etcd, porcupine-kv or jepsen-edn.
    #[arg(long, value_name = "FORMAT")]
    format: String,
    /// The object the history is about: cas-register (default for porcupine-etcd and
    /// jepsen-edn), kv (key-value with append, checked per key; default for porcupine-kv),
    /// multi-register or mutex.
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
    /// The history file.
    file: PathBuf,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ModelKind {
    CasRegister,
    Kv,
    MultiRegister,
    Mutex,
}

impl ModelKind {
    const ALL: [ModelKind; 4] = [ModelKind::CasRegister, ModelKind::Kv, ModelKind::MultiRegister, ModelKind::Mutex];

    fn name(self) -> &'static str {
        match self {
            ModelKind::CasRegister => "cas-register",
            ModelKind::Kv => "kv",
            ModelKind::MultiRegister => "multi-register",
            ModelKind::Mutex => "mutex",
        }
    }

    fn default_for(format: Format) -> ModelKind {
        match format {
            Format::PorcupineKv => ModelKind::Kv,
            Format::PorcupineEtcd | Format::JepsenEdn => ModelKind::CasRegister,
        }
    }
}

pub fn run(args: CheckArgs) -> Result<(), String> {
    let format = Format::from_name(&args.format).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        format!("unknown --format {:?}; the formats are: {}", args.format, names.join(", "))
    })?;
    let model = match &args.model {
        None => ModelKind::default_for(format),
        Some(name) => ModelKind::ALL.into_iter().find(|m| m.name() == name).ok_or_else(|| {
            let names: Vec<&str> = ModelKind::ALL.iter().map(|m| m.name()).collect();
            format!("unknown --model {name:?}; the models are: {}", names.join(", "))
        })?,
    };
    let initial = match args.initial.as_deref() {
        None => None,
        Some("nil") => Some(None),
        Some(s) => Some(Some(s.parse::<i64>().map_err(|_| format!("--initial must be an integer or nil, not {s:?}"))?)),
    };
    let mut config = CheckConfig::default();
    if let Some(b) = args.budget {
        config.step_budget = b;
    }
    let path = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file).map_err(|e| format!("{path}: cannot read: {e}"))?;
    let at = |e: formats::FormatError| format!("{path}: {e}");
    let events = formats::parse(format, &text).map_err(at)?;
    let paired = formats::pair(&events).map_err(at)?;

    let h = Input { events: &events, paired: &paired };
    let (verdict, mut out) = match model {
        ModelKind::CasRegister => {
            let reading = RegisterReading {
                nil_reads: if args.nil_reads_unknown { NilReads::Unknown } else { NilReads::Value },
                ..if format == Format::PorcupineEtcd {
                    RegisterReading::PORCUPINE_ETCD
                } else {
                    RegisterReading::JEPSEN
                }
            };
            let ops = jepsen::register_ops(&events, &paired, reading).map_err(at)?;
            let mut m = Register::new(initial.unwrap_or(None));
            h.report(&mut m, &ops, |_| (), |_| Json::Null, &config)
        }
        ModelKind::Kv => {
            let mut m = KvAppend::new();
            let ops = jepsen::kv_ops(&events, &paired, &mut m).map_err(at)?;
            h.report(&mut m, &ops, |op| op.key.clone(), |k| Json::from(k.as_str()), &config)
        }
        ModelKind::MultiRegister => {
            let mut m = MultiRegister::new(initial.unwrap_or(Some(0)));
            let ops = jepsen::multi_register_ops(&events, &paired, &mut m).map_err(at)?;
            h.report(&mut m, &ops, |_| (), |_| Json::Null, &config)
        }
        ModelKind::Mutex => {
            let ops = jepsen::mutex_ops(&events, &paired).map_err(at)?;
            h.report(&mut Mutex, &ops, |_| (), |_| Json::Null, &config)
        }
    };
    let head = json!({
        "file": path,
        "format": format.name(),
        "model": model.name(),
        "initial": initial_json(model, initial),
        "linearizable": match verdict {
            Verdict::Linearizable => Json::Bool(true),
            Verdict::NotLinearizable => Json::Bool(false),
            Verdict::Unknown => Json::Null,
        },
        "verdict": verdict.name(),
    });
    if let (Json::Object(mut all), Json::Object(rest)) = (head, out.take()) {
        all.extend(rest);
        out = Json::Object(all);
    }
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").and_then(|_| stdout.flush()).map_err(|e| format!("cannot write the report: {e}"))?;
    if verdict == Verdict::Unknown {
        eprintln!("replicalab: {path}: undecided: the search ran out of its step budget (raise --budget)");
        std::process::exit(3);
    }
    Ok(())
}

fn initial_json(model: ModelKind, initial: Option<RegValue>) -> Json {
    let v = match model {
        ModelKind::CasRegister => initial.unwrap_or(None),
        ModelKind::MultiRegister => initial.unwrap_or(Some(0)),
        ModelKind::Kv => return Json::from(""),
        ModelKind::Mutex => return Json::from("free"),
    };
    v.map_or(Json::Null, Json::from)
}

struct Input<'a> {
    events: &'a [Event],
    paired: &'a [PairedOp],
}

impl Input<'_> {
    fn report<M: Model, K: Ord + Clone>(
        &self,
        model: &mut M,
        ops: &Converted<M::Op>,
        key: impl Fn(&M::Op) -> K,
        key_json: impl Fn(&K) -> Json,
        config: &CheckConfig,
    ) -> (Verdict, Json) {
        let report: Report<K> = check(model, &ops.ops, key, config);
        let op_json = |i: usize| -> Json {
            let p = &self.paired[ops.source[i]];
            let inv = &self.events[p.invoke];
            let done = p.completion.map(|c| &self.events[c]);
            json!({
                "process": p.process,
                "f": p.f,
                "description": model.describe(&ops.ops[i].op),
                "outcome": p.outcome(self.events).name(),
                "value": inv.value.to_string(),
                "result": done.map(|d| d.value.to_string()),
                "invoke": { "line": inv.line, "index": inv.index },
                "complete": done.map(|d| json!({ "line": d.line, "index": d.index })),
            })
        };
        let violations: Vec<Json> = report
            .violations()
            .map(|(k, v)| {
                json!({
                    "key": key_json(k),
                    "failing_op": op_json(v.failing_op),
                    "window": v.window.iter().map(|&i| op_json(i)).collect::<Vec<_>>(),
                    "window_minimal": v.window_minimal,
                    "window_from_start": v.from_start,
                    "shortest_prefix": v.shortest_prefix,
                })
            })
            .collect();
        let undecided: Vec<Json> = report
            .partitions
            .iter()
            .filter(|p| p.outcome == PartitionOutcome::BudgetExceeded)
            .map(|p| key_json(&p.key))
            .collect();
        let out = json!({
            "operations": ops.ops.len(),
            "partitions": report.partitions.len(),
            "steps": report.steps(),
            "violations": violations,
            "undecided": undecided,
        });
        (report.verdict, out)
    }
}
