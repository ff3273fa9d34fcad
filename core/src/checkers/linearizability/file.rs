//! Checking a history written by another tool, from its text to a report: the one path the
//! command line (`replicalab check`) and the playground's history import share.
//!
//! The text is read in its format (given, or recognised: [`formats::detect`]), skipping what
//! is not part of the history; the object it is about is given or recognised from the
//! operations' names; the operations are converted for that model ([`super::jepsen`]) and
//! checked. The report lists every client operation of the history (so a viewer can draw them
//! all) and points into that list.

use serde::Serialize;

use super::jepsen::{self, Converted, NilReads, RegisterReading};
use super::kv::KvAppend;
use super::multi_register::MultiRegister;
use super::mutex::Mutex;
use super::register::{RegValue, Register};
use super::{check, CheckConfig, Model, PartitionOutcome, Verdict};
use crate::formats::{self, Event, EventType, Format, FormatError, PairedOp};

/// The object a history is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// A compare-and-set register (also a plain read/write register).
    CasRegister,
    /// A key-value map with get, put and append, checked per key.
    Kv,
    /// Registers updated by transactions.
    MultiRegister,
    Mutex,
}

impl ModelKind {
    pub const ALL: [ModelKind; 4] = [ModelKind::CasRegister, ModelKind::Kv, ModelKind::MultiRegister, ModelKind::Mutex];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::CasRegister => "cas-register",
            ModelKind::Kv => "kv",
            ModelKind::MultiRegister => "multi-register",
            ModelKind::Mutex => "mutex",
        }
    }

    pub fn from_name(name: &str) -> Option<ModelKind> {
        ModelKind::ALL.into_iter().find(|m| m.name() == name)
    }

    /// What people call it.
    pub fn title(self) -> &'static str {
        match self {
            ModelKind::CasRegister => "compare-and-set register",
            ModelKind::Kv => "key-value store with append",
            ModelKind::MultiRegister => "registers with transactions",
            ModelKind::Mutex => "mutex",
        }
    }

    /// The model whose operations these are: the first operation name that belongs to one.
    pub fn recognise(format: Format, paired: &[PairedOp]) -> ModelKind {
        if format == Format::PorcupineKv {
            return ModelKind::Kv;
        }
        for p in paired {
            match p.f.as_str() {
                "read" | "write" | "cas" => return ModelKind::CasRegister,
                "get" | "put" | "append" => return ModelKind::Kv,
                "txn" => return ModelKind::MultiRegister,
                "acquire" | "release" => return ModelKind::Mutex,
                _ => {}
            }
        }
        ModelKind::CasRegister
    }

    /// The register value before the first write, unless given: nil for a compare-and-set
    /// register (an absent key), 0 for transactions (Knossos's convention).
    fn default_initial(self) -> RegValue {
        match self {
            ModelKind::MultiRegister => Some(0),
            _ => None,
        }
    }
}

/// What to check and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileCheck {
    /// `None`: recognise it from the text.
    pub format: Option<Format>,
    /// `None`: recognise it from the operations.
    pub model: Option<ModelKind>,
    /// Registers' value before their first write; `None`: the model's default.
    pub initial: Option<RegValue>,
    /// Read `nil` read results as unknown (Knossos's convention) rather than "empty".
    pub nil_reads_unknown: bool,
    pub config: CheckConfig,
}

impl Default for FileCheck {
    fn default() -> Self {
        FileCheck { format: None, model: None, initial: None, nil_reads_unknown: false, config: CheckConfig::verdict() }
    }
}

/// Where an event is: its 1-based line and its 0-based position among the events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Place {
    pub line: usize,
    pub index: usize,
}

/// A proof that the history is not linearizable, pointing into [`FileReport::ops`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ViolationRecord {
    /// The key, for key-value histories.
    pub key: Option<String>,
    pub failing_op: usize,
    /// Operations that cannot be ordered even if every other operation's outcome were
    /// unknown, in invocation order.
    pub window: Vec<usize>,
    pub window_minimal: bool,
    /// The window cannot be ordered from the object's initial state (rather than from any).
    pub window_from_start: bool,
    /// No shorter prefix of the history fails: the failing operation is the first that could
    /// not be linearized.
    pub shortest_prefix: bool,
}

/// Everything a check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileReport {
    pub format: Format,
    pub model: ModelKind,
    /// The registers' initial value (`Some(None)`: nil), for register models.
    pub initial: Option<Option<i64>>,
    pub verdict: Verdict,
    /// Lines skipped as not part of the history, and the first of them.
    pub foreign_lines: usize,
    pub first_foreign_line: Option<usize>,
    /// Events of the nemesis and other named processes, skipped.
    pub nemesis_events: usize,
    /// The events as read.
    pub event_list: Vec<Event>,
    /// Every client operation, in invocation order (see [`FileReport::op`]).
    pub ops: Vec<PairedOp>,
    /// By operation: what the checker made of it, for the operations a violation names.
    pub descriptions: std::collections::BTreeMap<usize, String>,
    /// Operations given to the checker.
    pub checked: usize,
    pub partitions: usize,
    /// Partitions not searched because another had already decided the verdict.
    pub not_checked: usize,
    pub steps: u64,
    pub violations: Vec<ViolationRecord>,
    /// Keys whose search ran out of budget.
    pub undecided: Vec<Option<String>>,
}

/// Why a history could not be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileError {
    /// The text does not look like any history format.
    UnknownFormat,
    /// The text is not a well-formed history, or its operations do not fit the model.
    Format(FormatError),
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::UnknownFormat => f.write_str(
                "this does not look like a history: expected Jepsen log lines (`INFO  jepsen.util - 3 :invoke :read nil`) \
                 or EDN event maps (`{:process 0, :type :invoke, :f :read, :value nil}`)",
            ),
            FileError::Format(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for FileError {}

impl From<FormatError> for FileError {
    fn from(e: FormatError) -> Self {
        FileError::Format(e)
    }
}

/// Reads and checks a history.
pub fn check_text(text: &str, how: &FileCheck) -> Result<FileReport, FileError> {
    let format = match how.format {
        Some(f) => f,
        None => formats::detect(text).ok_or(FileError::UnknownFormat)?,
    };
    let parsed = formats::read(format, text)?;
    let events = &parsed.events;
    let paired = formats::pair(events)?;
    let model = how.model.unwrap_or_else(|| ModelKind::recognise(format, &paired));
    let initial = how.initial.unwrap_or(model.default_initial());
    let input = Input { paired: &paired };
    let config = &how.config;
    let found = match model {
        ModelKind::CasRegister => {
            let reading = RegisterReading {
                nil_reads: if how.nil_reads_unknown { NilReads::Unknown } else { NilReads::Value },
                ..if format == Format::PorcupineEtcd {
                    RegisterReading::PORCUPINE_ETCD
                } else {
                    RegisterReading::JEPSEN
                }
            };
            let ops = jepsen::register_ops(events, &paired, reading)?;
            input.check(&mut Register::new(initial), &ops, |_| None, config)
        }
        ModelKind::Kv => {
            let mut m = KvAppend::new();
            let ops = jepsen::kv_ops(events, &paired, &mut m)?;
            input.check(&mut m, &ops, |op| Some(op.key.clone()), config)
        }
        ModelKind::MultiRegister => {
            let mut m = MultiRegister::new(initial);
            let ops = jepsen::multi_register_ops(events, &paired, &mut m)?;
            input.check(&mut m, &ops, |_| None, config)
        }
        ModelKind::Mutex => {
            let ops = jepsen::mutex_ops(events, &paired)?;
            input.check(&mut Mutex, &ops, |_| None, config)
        }
    };
    Ok(FileReport {
        format,
        model,
        initial: matches!(model, ModelKind::CasRegister | ModelKind::MultiRegister).then_some(initial),
        verdict: found.verdict,
        event_list: parsed.events,
        foreign_lines: parsed.foreign_lines,
        first_foreign_line: parsed.first_foreign_line,
        nemesis_events: parsed.nemesis_events,
        ops: paired,
        descriptions: found.descriptions,
        checked: found.checked,
        partitions: found.partitions,
        not_checked: found.not_checked,
        steps: found.steps,
        violations: found.violations,
        undecided: found.undecided,
    })
}

/// One client operation as the file has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpView<'a> {
    pub process: i64,
    pub f: &'a str,
    /// The key, for key-value histories.
    pub key: Option<String>,
    /// How it ended: ok, fail, or info (also when it never completed).
    pub outcome: EventType,
    pub invoke: Place,
    pub complete: Option<Place>,
    /// The invocation's and the completion's events.
    pub invoked: &'a Event,
    pub completed: Option<&'a Event>,
    /// What the checker made of it, if a violation names it.
    pub description: Option<&'a str>,
}

impl FileReport {
    /// Operation `i` of [`FileReport::ops`].
    pub fn op(&self, i: usize) -> OpView<'_> {
        let p = &self.ops[i];
        let inv = &self.event_list[p.invoke];
        let done = p.completion.map(|c| &self.event_list[c]);
        OpView {
            process: p.process,
            f: &p.f,
            key: inv.key.as_ref().map(key_text),
            outcome: p.outcome(&self.event_list),
            invoke: Place { line: inv.line, index: inv.index },
            complete: done.map(|d| Place { line: d.line, index: d.index }),
            invoked: inv,
            completed: done,
            description: self.descriptions.get(&i).map(String::as_str),
        }
    }
}

fn key_text(v: &crate::formats::edn::Value) -> String {
    match v {
        crate::formats::edn::Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

struct Input<'a> {
    paired: &'a [PairedOp],
}

struct Found {
    verdict: Verdict,
    checked: usize,
    partitions: usize,
    not_checked: usize,
    steps: u64,
    violations: Vec<ViolationRecord>,
    undecided: Vec<Option<String>>,
    /// By paired operation: what the model made of it.
    descriptions: std::collections::BTreeMap<usize, String>,
}

impl Input<'_> {
    fn check<M: Model>(
        &self,
        model: &mut M,
        ops: &Converted<M::Op>,
        key: impl Fn(&M::Op) -> Option<String>,
        config: &CheckConfig,
    ) -> Found {
        let report = check(model, &ops.ops, &key, config);
        let violations = report
            .violations()
            .map(|(k, v)| {
                let mut window: Vec<usize> = v.window.iter().map(|&i| ops.source[i]).collect();
                crate::sort::sort_by_key(&mut window, |&p| self.paired[p].invoke);
                ViolationRecord {
                    key: k.clone(),
                    failing_op: ops.source[v.failing_op],
                    window,
                    window_minimal: v.window_minimal,
                    window_from_start: v.from_start,
                    shortest_prefix: v.shortest_prefix,
                }
            })
            .collect();
        let undecided = report
            .partitions
            .iter()
            .filter(|p| p.outcome == PartitionOutcome::BudgetExceeded)
            .map(|p| p.key.clone())
            .collect();
        // What the checker made of the operations a violation names (all of them would cost
        // a string per operation of a long history).
        let mut descriptions = std::collections::BTreeMap::new();
        for (_, v) in report.violations() {
            for &i in v.window.iter().chain([&v.failing_op]) {
                descriptions.insert(ops.source[i], model.describe(&ops.ops[i].op));
            }
        }
        Found {
            verdict: report.verdict,
            checked: ops.ops.len(),
            partitions: report.partitions.len(),
            not_checked: report.partitions.iter().filter(|p| p.outcome == PartitionOutcome::NotChecked).count(),
            steps: report.steps(),
            violations,
            undecided,
            descriptions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEIN: &str = "lein test jepsen.etcd-test
INFO  jepsen.os.debian - :n1 setting up debian
INFO  jepsen.core - Worker 0 starting
INFO  jepsen.util - 0\t:invoke\t:write\t1
INFO  jepsen.util - :nemesis\t:info\t:start\tnil
INFO  jepsen.util - 1\t:invoke\t:read\tnil
INFO  jepsen.util - 0\t:ok\t:write\t1
INFO  jepsen.util - :nemesis\t:info\t:start\t\"Cut off {:n1 #{:n3 :n2}}\"
INFO  jepsen.util - 1\t:ok\t:read\t2
INFO  jepsen.core - Worker 0 done

Ran 1 tests containing 1 assertions.
1 failures, 0 errors.
";

    #[test]
    fn a_raw_test_run_is_read_with_its_noise_counted() {
        let r = check_text(LEIN, &FileCheck::default()).unwrap();
        assert_eq!((r.format, r.model), (Format::PorcupineEtcd, ModelKind::CasRegister));
        assert_eq!(r.ops.len(), 2);
        assert_eq!((r.foreign_lines, r.first_foreign_line, r.nemesis_events), (6, Some(1), 2));
        assert_eq!(r.verdict, Verdict::NotLinearizable, "nobody wrote 2");
        let v = &r.violations[0];
        assert_eq!((v.failing_op, v.window.clone(), v.window_from_start), (1, vec![1], true));
        assert_eq!(r.op(1).description, Some("read -> 2"));
    }

    #[test]
    fn unknown_text_and_bad_lines_are_errors_that_say_where() {
        assert_eq!(check_text("hello\nworld\n", &FileCheck::default()), Err(FileError::UnknownFormat));
        let bad = "INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t[1\n";
        let Err(FileError::Format(e)) = check_text(bad, &FileCheck::default()) else { panic!() };
        assert_eq!(e.line, 2, "{e}");
        let edn = "noise\n{:process 0, :type :invoke, :f :get, :key \"a\", :value nil}\n{:process 0, :type :ok, :f :get, :key \"a\", :value \"\"}\n";
        let r = check_text(edn, &FileCheck::default()).unwrap();
        assert_eq!(
            (r.format, r.model, r.verdict, r.foreign_lines),
            (Format::PorcupineKv, ModelKind::Kv, Verdict::Linearizable, 1)
        );
        assert_eq!(r.op(0).key.as_deref(), Some("a"));
    }
}
