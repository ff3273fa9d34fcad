//! The two history formats of Porcupine's test data, and Jepsen's logs in general.
//!
//! - etcd logs: Jepsen log lines `INFO  jepsen.util - <process> :<type> :<f> <value>`, the
//!   fields separated by tabs or spaces; the value is `nil`, an integer, `[from to]` or a keyword
//!   such as `:timed-out`. The same operation lines are read from a whole `lein test` run's
//!   output (timestamped lines, `jepsen.util:` with a colon, other loggers' lines and banners
//!   around them, which are skipped and counted) and from Jepsen's `history.txt`, where each
//!   line is just `<process> :<type> :<f> <value>`. Operations of named processes (the
//!   `:nemesis`) are kept as events of that process, which [`super::pair`] leaves out.
//! - key-value logs: one EDN map per line,
//!   `{:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}`.

use super::edn;
use super::{edn_lines, event_from_map, Event, EventType, FormatError, Parsed, Process};

const SHAPE: &str = "expected `INFO  jepsen.util - <process> :<type> :<f> <value>`";

/// Where the operation fields of a Jepsen log line begin (the process), if the line is one:
/// after a `jepsen.util` logger name (`-` or `:` after it), or at the start of a `history.txt`
/// line whose first field is a process and whose second is an event type.
pub(crate) fn op_fields(line: &str) -> Option<usize> {
    let mut f = Fields { line, rest: line };
    while let Some((tok, _)) = f.next() {
        if tok == "jepsen.util" || tok == "jepsen.util:" {
            let mut after = Fields { line, rest: f.rest };
            let start = line.len() - f.rest.len();
            return match after.next() {
                Some(("-", _)) | Some((":", _)) => Some(line.len() - after.rest.len()),
                Some(_) if tok.ends_with(':') => Some(start),
                _ => None,
            };
        }
    }
    let mut f = Fields { line, rest: line };
    let (p, _) = f.next()?;
    let (t, _) = f.next()?;
    let is_process = p.parse::<i64>().is_ok() || (p.starts_with(':') && p.len() > 1);
    (is_process && matches!(t, ":invoke" | ":ok" | ":fail" | ":info")).then_some(0)
}

/// Reads a Jepsen etcd log as published with Porcupine.
pub fn parse_etcd(text: &str) -> Result<Vec<Event>, FormatError> {
    read_etcd(text).map(|p| p.events)
}

/// Reads a Jepsen log: the operation lines, skipping (and counting) every other line. A line
/// that is an operation line by its shape (a logger `jepsen.util` followed by a process and an
/// event type) but is malformed further on is an error naming its line and column.
pub fn read_etcd(text: &str) -> Result<Parsed, FormatError> {
    let mut out = Parsed::default();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let Some(start) = op_fields(line) else {
            out.skip(n);
            continue;
        };
        let mut fields = Fields { line, rest: &line[start..] };
        let Some((proc_tok, col)) = fields.next() else {
            return Err(FormatError::line(n, format!("{SHAPE}: the process is missing")));
        };
        let next_is_type = || {
            let t = Fields { line, rest: fields.rest }.next().map(|(t, _)| t);
            matches!(t, Some(":invoke" | ":ok" | ":fail" | ":info"))
        };
        let process = match proc_tok.parse::<i64>() {
            Ok(p) => Process::Client(p),
            Err(_) if proc_tok.starts_with(':') && proc_tok.len() > 1 => Process::Named(proc_tok.to_string()),
            // A jepsen.util line that is not an operation ("Relative time begins now").
            Err(_) if !next_is_type() => {
                out.skip(n);
                continue;
            }
            Err(_) => {
                return Err(FormatError::at(
                    n,
                    char_col(line, col),
                    format!("the process must be an integer or a name such as :nemesis, not `{proc_tok}`"),
                ))
            }
        };
        let Some((type_tok, col)) = fields.next() else {
            return Err(FormatError::line(n, format!("{SHAPE}: the type is missing")));
        };
        let kind = match type_tok {
            ":invoke" => EventType::Invoke,
            ":ok" => EventType::Ok,
            ":fail" => EventType::Fail,
            ":info" => EventType::Info,
            _ => {
                return Err(FormatError::at(
                    n,
                    char_col(line, col),
                    format!("the type must be :invoke, :ok, :fail or :info, not `{type_tok}`"),
                ))
            }
        };
        let Some((f_tok, col)) = fields.next() else {
            return Err(FormatError::line(n, format!("{SHAPE}: the operation is missing")));
        };
        let Some(f) = f_tok.strip_prefix(':').filter(|f| !f.is_empty()) else {
            return Err(FormatError::at(
                n,
                char_col(line, col),
                format!("the operation must be a keyword such as :read, not `{f_tok}`"),
            ));
        };
        let value_col = line.len() - fields.rest.len();
        let value = if matches!(process, Process::Named(_)) {
            // A nemesis's value is free text ("fully connected", a map of nodes): not needed.
            edn::parse(fields.rest).unwrap_or(edn::Value::Nil)
        } else {
            edn::parse(fields.rest).map_err(|e| {
                let column = e.column.map(|c| if e.line == 1 { c + char_col(line, value_col) - 1 } else { c });
                FormatError { line: n, column, message: format!("in the value: {}", e.message) }
            })?
        };
        out.push(Event { index: out.events.len(), line: n, process, kind, f: f.to_string(), key: None, value });
    }
    Ok(out)
}

/// Reads a key-value log as published with Porcupine: EDN event maps, each with a `:key`.
pub fn parse_kv(text: &str) -> Result<Vec<Event>, FormatError> {
    read_kv(text).map(|p| p.events)
}

/// Reads a key-value log, one event at a time; lines that are not EDN maps are skipped when
/// the text as a whole is not EDN.
pub fn read_kv(text: &str) -> Result<Parsed, FormatError> {
    let mut out = Parsed::default();
    let whole = edn::each_top_level(text, |value, line| {
        let index = out.events.len();
        out.push(event_from_map(&value, index, line)?);
        Ok(())
    });
    let out = match whole {
        Ok(()) => out,
        Err(e) => edn_lines(text, e)?,
    };
    for e in &out.events {
        if e.key.is_none() && matches!(e.process, Process::Client(_)) {
            return Err(FormatError::line(e.line, "a key-value event needs a :key"));
        }
    }
    Ok(out)
}

/// Whitespace-separated fields of a line, each with its byte offset (see [`char_col`]).
struct Fields<'a> {
    line: &'a str,
    rest: &'a str,
}

impl<'a> Fields<'a> {
    fn next(&mut self) -> Option<(&'a str, usize)> {
        // ASCII whitespace separates fields (tabs or spaces in every Jepsen log).
        let bytes = self.rest.as_bytes();
        let i = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
        if i == bytes.len() {
            self.rest = &self.rest[i..];
            return None;
        }
        let j = bytes[i..].iter().position(|b| b.is_ascii_whitespace()).map_or(bytes.len(), |k| i + k);
        let start = self.line.len() - self.rest.len() + i;
        let tok = &self.rest[i..j];
        self.rest = &self.rest[j..];
        Some((tok, start))
    }
}

/// 1-based character column of a byte offset.
fn char_col(line: &str, byte: usize) -> usize {
    line.get(..byte).map(|s| s.chars().count()).unwrap_or(byte) + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::edn::Value;

    #[test]
    fn reads_tab_and_space_separated_lines() {
        let text = "INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]\n\nINFO  jepsen.util - 3   :fail   :cas    [1 4]\nINFO  jepsen.util - 12\t:info\t:write\t:timed-out\n";
        let ev = parse_etcd(text).unwrap();
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0].value, Value::Vector(vec![Value::Int(1), Value::Int(4)]));
        assert_eq!((ev[1].line, ev[1].index, ev[1].kind), (3, 1, EventType::Fail));
        assert_eq!(ev[2].value, Value::Keyword("timed-out".into()));
        assert_eq!(ev[2].process, Process::Client(12));
        assert_eq!(ev[2].f, "write");
    }

    #[test]
    fn etcd_errors_name_line_and_column() {
        let cases = [
            ("INFO  jepsen.util - x :invoke :read nil", 1, Some(21), "integer"),
            ("INFO  jepsen.util - 1 :begin :read nil", 1, Some(23), "type must be"),
            ("INFO  jepsen.util - 1 :invoke read nil", 1, Some(31), "keyword"),
            ("\nINFO  jepsen.util - 1 :invoke :read [1 2", 2, Some(37), "never closed"),
            ("INFO  jepsen.util - 1 :invoke", 1, None, "operation is missing"),
            ("INFO  jepsen.util - 1 :invoke :read", 1, Some(36), "end of the input"),
        ];
        for (text, line, col, what) in cases {
            let e = parse_etcd(text).unwrap_err();
            assert_eq!((e.line, e.column), (line, col), "{text}: {e}");
            assert!(e.message.contains(what), "{text}: {e}");
        }
    }

    #[test]
    fn kv_lines_need_a_key() {
        let ok = parse_kv("{:process 0, :type :invoke, :f :get, :key \"7\", :value nil}\n").unwrap();
        assert_eq!(ok[0].key, Some(Value::Str("7".into())));
        let e =
            parse_kv("{:process 0, :type :invoke, :f :get, :key \"7\", :value nil}\n{:process 0, :type :ok, :f :get}")
                .unwrap_err();
        assert_eq!(e.line, 2);
    }
}
