//! Reading each model's operations from a Jepsen-style history ([`crate::formats`]).
//!
//! Times are positions in the event list, so real-time order is the file's order. Outcomes:
//! `ok` operations took effect and must be linearized; `fail` operations did not and are left
//! out; `info` operations, and invocations that never complete, have an unknown outcome. A
//! read, or a transaction that only reads, with an unknown outcome constrains nothing and is
//! left out too.
//!
//! Two conventions differ between tools and are chosen by the caller ([`RegisterReading`]):
//! Porcupine reads an etcd `:fail :cas` as "the compare failed", an observation that the
//! register did not hold `from`; Jepsen reads any `:fail` as "did not happen". And Knossos
//! reads a `nil` read as "unknown", where etcd and Porcupine read it as "the key is absent".

use super::kv::{KvAppend, KvKind, KvOp};
use super::multi_register::{Micro, MultiRegister, Txn};
use super::mutex::MutexOp;
use super::register::{RegValue, RegisterOp};
use super::TimedOp;
use crate::formats::edn::Value;
use crate::formats::{short, Event, EventType, FormatError, PairedOp};

/// Operations for the checker, and where each came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converted<O> {
    pub ops: Vec<TimedOp<O>>,
    /// For each operation, its index in the paired operations it was read from.
    pub source: Vec<usize>,
}

impl<O> Default for Converted<O> {
    fn default() -> Self {
        Converted { ops: Vec::new(), source: Vec::new() }
    }
}

impl<O> Converted<O> {
    fn push(&mut self, source: usize, p: &PairedOp, outcome: Outcome, op: O) {
        let call = p.invoke as u64;
        let ret = match (outcome, p.completion) {
            (Outcome::Done, Some(c)) => Some(c as u64),
            _ => None,
        };
        self.ops.push(TimedOp { call, ret, op });
        self.source.push(source);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Done,
    Unknown,
}

/// What a failed compare-and-set means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailedCas {
    /// It did not happen (Jepsen, Knossos).
    DidNotHappen,
    /// The compare failed: the register did not hold `from` (Porcupine's etcd model).
    CompareFailed,
}

/// What a read of `nil` means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NilReads {
    /// The register was empty (etcd, Porcupine).
    Value,
    /// The read's result is unknown (Knossos's own convention).
    Unknown,
}

/// How to read register operations from a history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegisterReading {
    pub failed_cas: FailedCas,
    pub nil_reads: NilReads,
}

impl RegisterReading {
    /// Jepsen and Knossos histories.
    pub const JEPSEN: RegisterReading =
        RegisterReading { failed_cas: FailedCas::DidNotHappen, nil_reads: NilReads::Value };
    /// Porcupine's etcd logs.
    pub const PORCUPINE_ETCD: RegisterReading =
        RegisterReading { failed_cas: FailedCas::CompareFailed, nil_reads: NilReads::Value };
}

fn no_such_op(model: &str, e: &Event, known: &str) -> FormatError {
    FormatError::line(e.line, format!("the {model} model has no operation :{} (it has {known})", e.f))
}

fn reg_value(v: &Value, e: &Event) -> Result<RegValue, FormatError> {
    match v {
        Value::Nil => Ok(None),
        Value::Int(i) => Ok(Some(*i)),
        other => Err(FormatError::line(
            e.line,
            format!("a register value is an integer or nil, not `{}` (:{} :{})", short(other), e.kind.name(), e.f),
        )),
    }
}

/// The event that says what happened: the completion for `ok` (it carries read results).
fn result_event<'a>(events: &'a [Event], p: &PairedOp) -> &'a Event {
    p.completion.and_then(|c| events.get(c)).unwrap_or(&events[p.invoke])
}

/// Register operations (`:read`, `:write`, `:cas [from to]`).
pub fn register_ops(
    events: &[Event],
    paired: &[PairedOp],
    reading: RegisterReading,
) -> Result<Converted<RegisterOp>, FormatError> {
    let mut out = Converted::default();
    for (k, p) in paired.iter().enumerate() {
        let inv = &events[p.invoke];
        let outcome = p.outcome(events);
        match p.f.as_str() {
            "read" => {
                if outcome != EventType::Ok {
                    continue;
                }
                let done = result_event(events, p);
                let value = reg_value(&done.value, done)?;
                if value.is_none() && reading.nil_reads == NilReads::Unknown {
                    continue;
                }
                out.push(k, p, Outcome::Done, RegisterOp::Read { value });
            }
            "write" => {
                let value = reg_value(&inv.value, inv)?;
                match outcome {
                    EventType::Ok => out.push(k, p, Outcome::Done, RegisterOp::Write { value }),
                    EventType::Info | EventType::Invoke => {
                        out.push(k, p, Outcome::Unknown, RegisterOp::Write { value })
                    }
                    EventType::Fail => {}
                }
            }
            "cas" => {
                let pair = inv.value.as_seq().filter(|s| s.len() == 2);
                let Some([from, to]) = pair else {
                    return Err(FormatError::line(
                        inv.line,
                        format!(":cas needs a value [from to], not `{}`", short(&inv.value)),
                    ));
                };
                let (from, to) = (reg_value(from, inv)?, reg_value(to, inv)?);
                match (outcome, reading.failed_cas) {
                    (EventType::Ok, _) => out.push(k, p, Outcome::Done, RegisterOp::Cas { from, to, swapped: true }),
                    (EventType::Info | EventType::Invoke, _) => {
                        out.push(k, p, Outcome::Unknown, RegisterOp::Cas { from, to, swapped: true })
                    }
                    (EventType::Fail, FailedCas::CompareFailed) => {
                        out.push(k, p, Outcome::Done, RegisterOp::Cas { from, to, swapped: false })
                    }
                    (EventType::Fail, FailedCas::DidNotHappen) => {}
                }
            }
            _ => return Err(no_such_op("cas-register", inv, ":read, :write and :cas")),
        }
    }
    Ok(out)
}

fn kv_text(v: &Value, what: &str, e: &Event) -> Result<String, FormatError> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        Value::Keyword(k) => Ok(format!(":{k}")),
        Value::Nil if what == "value" => Ok(String::new()),
        other => Err(FormatError::line(e.line, format!("a {what} is a string, not `{}`", short(other)))),
    }
}

/// Key-value operations (`:get`, `:put`, `:append`, each with a `:key`), interned in `model`.
pub fn kv_ops(events: &[Event], paired: &[PairedOp], model: &mut KvAppend) -> Result<Converted<KvOp>, FormatError> {
    let mut out = Converted::default();
    for (k, p) in paired.iter().enumerate() {
        let inv = &events[p.invoke];
        let kind = match p.f.as_str() {
            "get" => KvKind::Get,
            "put" => KvKind::Put,
            "append" => KvKind::Append,
            _ => return Err(no_such_op("kv", inv, ":get, :put and :append")),
        };
        let Some(key) = &inv.key else {
            return Err(FormatError::line(inv.line, "a key-value operation needs a :key"));
        };
        let key = kv_text(key, "key", inv)?;
        let outcome = p.outcome(events);
        match (kind, outcome) {
            (_, EventType::Fail) => {}
            (KvKind::Get, EventType::Ok) => {
                let done = result_event(events, p);
                let value = kv_text(&done.value, "value", done)?;
                out.push(k, p, Outcome::Done, model.op(key, kind, &value));
            }
            (KvKind::Get, _) => {}
            (_, EventType::Ok) => {
                let value = kv_text(&inv.value, "value", inv)?;
                out.push(k, p, Outcome::Done, model.op(key, kind, &value));
            }
            (_, _) => {
                let value = kv_text(&inv.value, "value", inv)?;
                out.push(k, p, Outcome::Unknown, model.op(key, kind, &value));
            }
        }
    }
    Ok(out)
}

fn micro_ops(v: &Value, e: &Event, model: &mut MultiRegister, with_reads: bool) -> Result<Vec<Micro>, FormatError> {
    let bad = || {
        FormatError::line(e.line, format!("a :txn value is a list of [:read k v] and [:write k v], not `{}`", short(v)))
    };
    let items = v.as_seq().ok_or_else(bad)?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some([f, reg, value]) = item.as_seq() else {
            return Err(bad());
        };
        let name = match reg {
            Value::Keyword(k) => format!(":{k}"),
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            _ => return Err(bad()),
        };
        let value = reg_value(value, e)?;
        match f.as_keyword() {
            Some("read" | "r") => {
                // A nil read result is unknown (Knossos); an unknown transaction's reads are too.
                if with_reads && value.is_some() {
                    let reg = model.register(&name);
                    out.push(Micro::Read { reg, value });
                }
            }
            Some("write" | "w") => {
                let reg = model.register(&name);
                out.push(Micro::Write { reg, value });
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// Transactions over named registers (`:txn [[:read :x 1] [:write :y 2]]`). Registers are
/// named in `model` as they are met.
pub fn multi_register_ops(
    events: &[Event],
    paired: &[PairedOp],
    model: &mut MultiRegister,
) -> Result<Converted<Txn>, FormatError> {
    let mut out = Converted::default();
    for (k, p) in paired.iter().enumerate() {
        let inv = &events[p.invoke];
        if p.f != "txn" {
            return Err(no_such_op("multi-register", inv, ":txn"));
        }
        match p.outcome(events) {
            EventType::Fail => {}
            EventType::Ok => {
                let done = result_event(events, p);
                let micro = micro_ops(&done.value, done, model, true)?;
                if !micro.is_empty() {
                    out.push(k, p, Outcome::Done, Txn { micro });
                }
            }
            _ => {
                let micro = micro_ops(&inv.value, inv, model, false)?;
                if !micro.is_empty() {
                    out.push(k, p, Outcome::Unknown, Txn { micro });
                }
            }
        }
    }
    Ok(out)
}

/// Mutex operations (`:acquire`, `:release`).
pub fn mutex_ops(events: &[Event], paired: &[PairedOp]) -> Result<Converted<MutexOp>, FormatError> {
    let mut out = Converted::default();
    for (k, p) in paired.iter().enumerate() {
        let inv = &events[p.invoke];
        let op = match p.f.as_str() {
            "acquire" => MutexOp::Acquire,
            "release" => MutexOp::Release,
            _ => return Err(no_such_op("mutex", inv, ":acquire and :release")),
        };
        match p.outcome(events) {
            EventType::Fail => {}
            EventType::Ok => out.push(k, p, Outcome::Done, op),
            _ => out.push(k, p, Outcome::Unknown, op),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{pair, parse_edn};

    fn read(text: &str) -> (Vec<Event>, Vec<PairedOp>) {
        let events = parse_edn(text).unwrap();
        let paired = pair(&events).unwrap();
        (events, paired)
    }

    #[test]
    fn register_outcomes_and_conventions() {
        let (ev, p) = read(
            "[{:process 0 :type :invoke :f :write :value 1}
              {:process 1 :type :invoke :f :cas :value [1 2]}
              {:process 0 :type :ok :f :write :value 1}
              {:process 1 :type :fail :f :cas :value [1 2]}
              {:process 2 :type :invoke :f :read :value nil}
              {:process 2 :type :ok :f :read :value nil}
              {:process 3 :type :invoke :f :cas :value [2 3]}
              {:process 3 :type :info :f :cas :value [2 3]}
              {:process 4 :type :invoke :f :read :value nil}]",
        );
        let c = register_ops(&ev, &p, RegisterReading::JEPSEN).unwrap();
        assert_eq!(
            c.ops,
            vec![
                TimedOp::done(0, 2, RegisterOp::Write { value: Some(1) }),
                TimedOp::done(4, 5, RegisterOp::Read { value: None }),
                TimedOp::unknown(6, RegisterOp::Cas { from: Some(2), to: Some(3), swapped: true }),
            ]
        );
        assert_eq!(c.source, vec![0, 2, 3]);
        let c = register_ops(&ev, &p, RegisterReading::PORCUPINE_ETCD).unwrap();
        assert_eq!(c.ops[1], TimedOp::done(1, 3, RegisterOp::Cas { from: Some(1), to: Some(2), swapped: false }));
        let knossos = RegisterReading { nil_reads: NilReads::Unknown, ..RegisterReading::JEPSEN };
        assert_eq!(register_ops(&ev, &p, knossos).unwrap().ops.len(), 2);
    }

    #[test]
    fn wrong_operations_name_the_line() {
        let (ev, p) = read("{:process 0 :type :invoke :f :cas :value 3}");
        assert!(register_ops(&ev, &p, RegisterReading::JEPSEN).unwrap_err().message.contains("[from to]"));
        let (ev, p) = read("\n{:process 0 :type :invoke :f :acquire}");
        let e = register_ops(&ev, &p, RegisterReading::JEPSEN).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("no operation :acquire"), "{e}");
        assert!(mutex_ops(&ev, &p).is_ok());
        let (ev, p) = read("{:process 0 :type :invoke :f :write :value \"x\"}");
        assert!(register_ops(&ev, &p, RegisterReading::JEPSEN).unwrap_err().message.contains("integer or nil"));
        let (ev, p) = read("{:process 0 :type :invoke :f :txn :value [[:cas :x 1]]}");
        assert!(multi_register_ops(&ev, &p, &mut MultiRegister::new(Some(0))).is_err());
    }

    #[test]
    fn transactions_take_reads_from_the_completion() {
        let (ev, p) = read(
            "[{:process 0 :type :invoke :f :txn :value [[:read :x nil] [:write :y 2]]}
              {:process 0 :type :ok :f :txn :value [[:read :x 0] [:write :y 2]]}
              {:process 1 :type :invoke :f :txn :value [[:read :x nil]]}
              {:process 1 :type :info :f :txn :value [[:read :x nil]]}
              {:process 2 :type :invoke :f :txn :value [[:read :y nil] [:write :x 5]]}]",
        );
        let mut m = MultiRegister::new(Some(0));
        let c = multi_register_ops(&ev, &p, &mut m).unwrap();
        let (x, y) = (m.register(":x"), m.register(":y"));
        assert_eq!(
            c.ops,
            vec![
                TimedOp::done(
                    0,
                    1,
                    Txn {
                        micro: vec![Micro::Read { reg: x, value: Some(0) }, Micro::Write { reg: y, value: Some(2) }]
                    }
                ),
                TimedOp::unknown(4, Txn { micro: vec![Micro::Write { reg: x, value: Some(5) }] }),
            ]
        );
    }

    #[test]
    fn kv_gets_take_their_value_from_the_completion() {
        let (ev, p) = read(
            "{:process 0, :type :invoke, :f :append, :key \"7\", :value \"x 0 1 y\"}
             {:process 0, :type :ok, :f :append, :key \"7\", :value \"x 0 1 y\"}
             {:process 0, :type :invoke, :f :get, :key \"7\", :value nil}
             {:process 0, :type :ok, :f :get, :key \"7\", :value \"x 0 1 y\"}",
        );
        let mut m = KvAppend::new();
        let c = kv_ops(&ev, &p, &mut m).unwrap();
        assert_eq!(c.ops.len(), 2);
        assert_eq!(c.ops[1].op.kind, KvKind::Get);
        assert_eq!(m.value(c.ops[1].op.value), "x 0 1 y");
        assert_eq!(c.ops[1].op.key, "7");
    }
}
