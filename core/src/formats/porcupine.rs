//! The two history formats of Porcupine's test data.
//!
//! - etcd logs: Jepsen log lines `INFO  jepsen.util - <process> :<type> :<f> <value>`, the
//!   fields separated by tabs or spaces; the value is `nil`, an integer, `[from to]` or a keyword
//!   such as `:timed-out`. Blank lines are skipped.
//! - key-value logs: one EDN map per line,
//!   `{:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}`.

use super::edn;
use super::{event_from_map, Event, EventType, FormatError, Process};

/// Reads a Jepsen etcd log as published with Porcupine.
pub fn parse_etcd(text: &str) -> Result<Vec<Event>, FormatError> {
    const SHAPE: &str = "expected `INFO  jepsen.util - <process> :<type> :<f> <value>`";
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = Fields { line, rest: line };
        for expected in ["INFO", "jepsen.util", "-"] {
            match fields.next() {
                Some((tok, _)) if tok == expected => {}
                Some((tok, col)) => return Err(FormatError::at(n, col, format!("{SHAPE}, found `{tok}`"))),
                None => return Err(FormatError::line(n, SHAPE)),
            }
        }
        let Some((proc_tok, col)) = fields.next() else {
            return Err(FormatError::line(n, format!("{SHAPE}: the process is missing")));
        };
        let process = proc_tok
            .parse::<i64>()
            .map_err(|_| FormatError::at(n, col, format!("the process must be an integer, not `{proc_tok}`")))?;
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
                    col,
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
                col,
                format!("the operation must be a keyword such as :read, not `{f_tok}`"),
            ));
        };
        let value_col = line.len() - fields.rest.len();
        let value = edn::parse(fields.rest).map_err(|e| {
            let column = e.column.map(|c| if e.line == 1 { c + char_col(line, value_col) - 1 } else { c });
            FormatError { line: n, column, message: format!("in the value: {}", e.message) }
        })?;
        events.push(Event {
            index: events.len(),
            line: n,
            process: Process::Client(process),
            kind,
            f: f.to_string(),
            key: None,
            value,
        });
    }
    Ok(events)
}

/// Reads a key-value log as published with Porcupine: EDN event maps, each with a `:key`.
pub fn parse_kv(text: &str) -> Result<Vec<Event>, FormatError> {
    let forms = edn::parse_all(text)?;
    let mut events = Vec::with_capacity(forms.len());
    for (value, line) in forms {
        let event = event_from_map(&value, events.len(), line)?;
        if event.key.is_none() && matches!(event.process, Process::Client(_)) {
            return Err(FormatError::line(line, "a key-value event needs a :key"));
        }
        events.push(event);
    }
    Ok(events)
}

/// Whitespace-separated fields of a line, each with its 1-based column.
struct Fields<'a> {
    line: &'a str,
    rest: &'a str,
}

impl<'a> Fields<'a> {
    fn next(&mut self) -> Option<(&'a str, usize)> {
        let trimmed = self.rest.trim_start();
        if trimmed.is_empty() {
            self.rest = trimmed;
            return None;
        }
        let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let start = self.line.len() - trimmed.len();
        self.rest = &trimmed[end..];
        Some((&trimmed[..end], char_col(self.line, start)))
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
            ("WARN jepsen.util - 1 :invoke :read nil", 1, Some(1), "expected `INFO"),
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
