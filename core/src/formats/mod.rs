//! Readers for histories written by other tools, so the checkers can be run on them and
//! validated against their published verdicts.
//!
//! Every reader is a pure function from text to [`Event`]s; nothing here touches a file. A
//! history is a sequence of events in the order they happened: a process *invokes* an
//! operation, and later the operation *completes* as `ok` (it took effect), `fail` (it did not)
//! or `info` (the process does not know: it may take effect at any time, or never). This is
//! Jepsen's vocabulary; [`pair`] matches each invocation with its completion.
//!
//! Formats:
//! - [`Format::PorcupineEtcd`]: Jepsen log lines as in Porcupine's etcd test data
//!   (`INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]`), read by [`porcupine::parse_etcd`].
//! - [`Format::PorcupineKv`]: one EDN map per line with a `:key`, as in Porcupine's key-value
//!   test data, read by [`porcupine::parse_kv`].
//! - [`Format::JepsenEdn`]: a Jepsen/Knossos EDN history (a vector, a list or a bare sequence of
//!   maps), read by [`parse_edn`].
//!
//! Errors are [`FormatError`]s naming the line (and, where known, the column) at fault.

use std::collections::BTreeMap;
use std::fmt;

pub mod edn;
pub mod generate;
pub mod porcupine;

use edn::Value;

/// A history file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    PorcupineEtcd,
    PorcupineKv,
    JepsenEdn,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::PorcupineEtcd, Format::PorcupineKv, Format::JepsenEdn];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::PorcupineEtcd => "porcupine-etcd",
            Format::PorcupineKv => "porcupine-kv",
            Format::JepsenEdn => "jepsen-edn",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Why a history cannot be read, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, when the fault is at a known character.
    pub column: Option<usize>,
    pub message: String,
}

impl FormatError {
    pub fn at(line: usize, column: usize, message: impl Into<String>) -> Self {
        FormatError { line, column: Some(column), message: message.into() }
    }
    pub fn line(line: usize, message: impl Into<String>) -> Self {
        FormatError { line, column: None, message: message.into() }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "line {}, column {}: {}", self.line, c, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for FormatError {}

/// Who performed an event: a client process number, or a named actor such as `:nemesis`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Process {
    Client(i64),
    Named(String),
}

impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Process::Client(p) => write!(f, "{p}"),
            Process::Named(n) => f.write_str(n),
        }
    }
}

/// What an event says about its operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    Invoke,
    /// Completed and took effect.
    Ok,
    /// Completed and certainly did not take effect.
    Fail,
    /// Outcome unknown: it may take effect at any time after its invocation, or never.
    Info,
}

impl EventType {
    pub fn name(self) -> &'static str {
        match self {
            EventType::Invoke => "invoke",
            EventType::Ok => "ok",
            EventType::Fail => "fail",
            EventType::Info => "info",
        }
    }

    fn from_keyword(k: &str) -> Option<EventType> {
        match k {
            "invoke" => Some(EventType::Invoke),
            "ok" => Some(EventType::Ok),
            "fail" => Some(EventType::Fail),
            "info" => Some(EventType::Info),
            _ => None,
        }
    }
}

/// One line (or map) of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// 0-based position among the history's events (Knossos's `:index`).
    pub index: usize,
    /// 1-based line where the event starts.
    pub line: usize,
    pub process: Process,
    pub kind: EventType,
    /// The operation's function, without the leading `:` (`read`, `cas`, `append`, …).
    pub f: String,
    /// The key, for histories of key-value stores.
    pub key: Option<Value>,
    pub value: Value,
}

/// A history as read: its events, and what was skipped on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub events: Vec<Event>,
    /// Lines that are not operations and were skipped: other loggers' lines, banners and
    /// summaries around the history in a test run's output.
    pub foreign_lines: usize,
    /// The first of them (1-based), to show what was skipped.
    pub first_foreign_line: Option<usize>,
    /// Events of named processes (the `:nemesis`): kept in `events` but not client operations,
    /// so [`pair`] leaves them out.
    pub nemesis_events: usize,
}

impl Parsed {
    fn skip(&mut self, line: usize) {
        self.foreign_lines += 1;
        self.first_foreign_line.get_or_insert(line);
    }
    fn push(&mut self, e: Event) {
        if matches!(e.process, Process::Named(_)) {
            self.nemesis_events += 1;
        }
        self.events.push(e);
    }
}

/// Reads a history in the given format.
pub fn parse(format: Format, text: &str) -> Result<Vec<Event>, FormatError> {
    read(format, text).map(|p| p.events)
}

/// Reads a history in the given format, skipping what is not part of it: lines of other
/// loggers and banners (a `lein test` run's whole output can be pasted), a byte-order mark.
/// A line that is an operation but malformed is an error naming it.
pub fn read(format: Format, text: &str) -> Result<Parsed, FormatError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        Format::PorcupineEtcd => porcupine::read_etcd(text),
        Format::PorcupineKv => porcupine::read_kv(text),
        Format::JepsenEdn => read_edn(text),
    }
}

/// The format a history's text is most likely in: Jepsen log lines, or EDN maps with or
/// without `:key`. `None` when nothing in it looks like a history.
pub fn detect(text: &str) -> Option<Format> {
    for line in text.lines().take(10_000) {
        let t = line.trim_start_matches(|c: char| c.is_whitespace() || c == '[' || c == '(' || c == '\u{feff}');
        if t.starts_with('{') && t.contains(":process") {
            return Some(if t.contains(":key") { Format::PorcupineKv } else { Format::JepsenEdn });
        }
        if porcupine::op_fields(line).is_some() {
            return Some(Format::PorcupineEtcd);
        }
    }
    None
}

/// Reads a Jepsen EDN history: one vector or list of event maps, or a bare sequence of them.
pub fn parse_edn(text: &str) -> Result<Vec<Event>, FormatError> {
    read_edn(text).map(|p| p.events)
}

fn read_edn(text: &str) -> Result<Parsed, FormatError> {
    let mut out = Parsed::default();
    let whole = edn::each_in_sequence(text, |value, line| {
        let index = out.events.len();
        out.push(event_from_map(&value, index, line)?);
        Ok(())
    });
    match whole {
        Ok(()) => Ok(out),
        Err(e) => edn_lines(text, e),
    }
}

/// Reads a history of one EDN event map per line among other text: lines that start with
/// `{` are events, the others are skipped. Used when the text as a whole is not EDN (a
/// history pasted with log lines around it); `whole` is why, returned when no line is an
/// event either.
pub(crate) fn edn_lines(text: &str, whole: FormatError) -> Result<Parsed, FormatError> {
    /// Most lines one event map may span (a nemesis's value is sometimes printed over several).
    const MAX_SPAN: usize = 64;
    let mut out = Parsed::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let (n, line) = (i + 1, lines[i]);
        i += 1;
        let t = line.trim();
        if t.is_empty() || t.starts_with(';') {
            continue;
        }
        let body = t.trim_start_matches(['[', '(']).trim_start();
        if !body.starts_with('{') {
            out.skip(n);
            continue;
        }
        // The map, with the lines that follow while its brackets are open.
        let offset = body.as_ptr() as usize - line.as_ptr() as usize;
        let mut form = line[offset..].to_string();
        while open_brackets(&form) > 0 && i < lines.len() && i + 1 - n < MAX_SPAN {
            form.push('\n');
            form.push_str(lines[i]);
            i += 1;
        }
        let form = form.trim_end().trim_end_matches([']', ')', ',']);
        let value = edn::parse(form).map_err(|e| {
            // Columns count from the line's start, not the map's.
            let before = line[..offset].chars().count();
            let column = e.column.map(|c| if e.line == 1 { c + before } else { c });
            FormatError { line: n + e.line - 1, column, message: e.message }
        })?;
        let index = out.events.len();
        out.push(event_from_map(&value, index, n)?);
    }
    if out.events.is_empty() {
        return Err(whole);
    }
    Ok(out)
}

/// How many brackets of `text` are still open at its end, outside strings and comments.
fn open_brackets(text: &str) -> i64 {
    let (mut depth, mut in_str, mut escaped, mut comment) = (0i64, false, false, false);
    for c in text.chars() {
        match (in_str, comment, c) {
            (_, true, '\n') => comment = false,
            (_, true, _) => {}
            (true, _, _) if escaped => escaped = false,
            (true, _, '\\') => escaped = true,
            (true, _, '"') => in_str = false,
            (true, _, _) => {}
            (false, _, '"') => in_str = true,
            (false, _, ';') => comment = true,
            (false, _, '{' | '[' | '(') => depth += 1,
            (false, _, '}' | ']' | ')') => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// Reads one event map (`{:process 1, :type :invoke, :f :read, :value nil}`).
pub fn event_from_map(value: &Value, index: usize, line: usize) -> Result<Event, FormatError> {
    if !matches!(value, Value::Map(_)) {
        return Err(FormatError::line(line, format!("expected an event map, found `{}`", short(value))));
    }
    let process = match value.get("process") {
        Some(Value::Int(p)) => Process::Client(*p),
        Some(Value::Keyword(k)) => Process::Named(format!(":{k}")),
        Some(Value::Str(s)) | Some(Value::Symbol(s)) => Process::Named(s.clone()),
        Some(other) => return Err(FormatError::line(line, format!("unsupported :process `{}`", short(other)))),
        None => return Err(FormatError::line(line, "event has no :process")),
    };
    let kind = match value.get("type") {
        Some(Value::Keyword(k)) => EventType::from_keyword(k)
            .ok_or_else(|| FormatError::line(line, format!(":type must be :invoke, :ok, :fail or :info, not :{k}")))?,
        Some(other) => return Err(FormatError::line(line, format!(":type must be a keyword, not `{}`", short(other)))),
        None => return Err(FormatError::line(line, "event has no :type")),
    };
    let f = match value.get("f") {
        Some(Value::Keyword(k)) | Some(Value::Symbol(k)) | Some(Value::Str(k)) => k.clone(),
        Some(other) => return Err(FormatError::line(line, format!(":f must be a keyword, not `{}`", short(other)))),
        None => return Err(FormatError::line(line, "event has no :f")),
    };
    Ok(Event {
        index,
        line,
        process,
        kind,
        f,
        key: value.get("key").cloned(),
        value: value.get("value").cloned().unwrap_or(Value::Nil),
    })
}

/// A value shortened for an error message.
pub(crate) fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// One client operation: an invocation and, if one was recorded, its completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairedOp {
    pub process: i64,
    pub f: String,
    /// Position of the invocation in the event list.
    pub invoke: usize,
    /// Position of the completion; `None` when the history ends first (outcome unknown).
    pub completion: Option<usize>,
}

impl PairedOp {
    /// How the operation ended: `Ok`, `Fail` or `Info` (`Info` also when it never completed).
    pub fn outcome(&self, events: &[Event]) -> EventType {
        self.completion.and_then(|c| events.get(c)).map(|e| e.kind).unwrap_or(EventType::Info)
    }
}

/// Pairs each client invocation with the next completion by the same process. Events of named
/// processes (the `:nemesis`) are not client operations and are skipped. A process has at most
/// one operation outstanding; anything else is an error naming the line.
pub fn pair(events: &[Event]) -> Result<Vec<PairedOp>, FormatError> {
    let mut ops: Vec<PairedOp> = Vec::new();
    let mut open: BTreeMap<i64, usize> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let Process::Client(p) = e.process else {
            continue;
        };
        if e.kind == EventType::Invoke {
            if let Some(&prev) = open.get(&p) {
                let first = &events[ops[prev].invoke];
                return Err(FormatError::line(
                    e.line,
                    format!(
                        "process {p} invokes :{} while its :{} invoked at line {} has not completed",
                        e.f, first.f, first.line
                    ),
                ));
            }
            open.insert(p, ops.len());
            ops.push(PairedOp { process: p, f: e.f.clone(), invoke: i, completion: None });
        } else {
            let Some(o) = open.remove(&p) else {
                return Err(FormatError::line(
                    e.line,
                    format!("process {p} completes :{} (:{}) without having invoked it", e.f, e.kind.name()),
                ));
            };
            if ops[o].f != e.f {
                let first = &events[ops[o].invoke];
                return Err(FormatError::line(
                    e.line,
                    format!("process {p} completes :{} but invoked :{} at line {}", e.f, first.f, first.line),
                ));
            }
            ops[o].completion = Some(i);
        }
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(Format::from_name("nope"), None);
    }

    #[test]
    fn pairs_invocations_with_completions() {
        let text = "[{:process 0, :type :invoke, :f :write, :value 1}
 {:process :nemesis, :type :info, :f :start}
 {:process 1, :type :invoke, :f :read, :value nil}
 {:process 0, :type :ok, :f :write, :value 1}
 {:process 1, :type :info, :f :read, :value nil}
 {:process 2, :type :invoke, :f :read}]";
        let events = parse_edn(text).unwrap();
        assert_eq!(events.len(), 6);
        assert_eq!(events[1].process, Process::Named(":nemesis".into()));
        assert_eq!(events[5].value, Value::Nil);
        let ops = pair(&events).unwrap();
        assert_eq!(
            ops,
            vec![
                PairedOp { process: 0, f: "write".into(), invoke: 0, completion: Some(3) },
                PairedOp { process: 1, f: "read".into(), invoke: 2, completion: Some(4) },
                PairedOp { process: 2, f: "read".into(), invoke: 5, completion: None },
            ]
        );
        assert_eq!(ops[0].outcome(&events), EventType::Ok);
        assert_eq!(ops[2].outcome(&events), EventType::Info);
    }

    #[test]
    fn malformed_histories_name_the_line() {
        let cases = [
            ("[{:process 0, :type :invoke, :f :read}\n{:process 0, :type :invoke, :f :read}]", 2, "has not completed"),
            ("{:process 0, :type :ok, :f :read}", 1, "without having invoked"),
            ("{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok, :f :write}", 2, "but invoked"),
            ("{:process 0, :type :done, :f :read}", 1, ":type must be"),
            ("{:type :ok, :f :read}", 1, "no :process"),
            ("{:process 0, :f :read}", 1, "no :type"),
            ("{:process 0, :type :ok}", 1, "no :f"),
            ("\n\n[1]", 3, "expected an event map"),
        ];
        for (text, line, what) in cases {
            let e = parse_edn(text).and_then(|ev| pair(&ev)).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.message.contains(what), "{text}: {e}");
        }
    }
}
