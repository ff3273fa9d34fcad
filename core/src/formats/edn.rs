//! A small reader for EDN, the data notation Jepsen and Knossos write histories in.
//!
//! It reads the subset those histories use: maps, vectors, lists, sets, keywords, symbols,
//! strings, integers, `nil`, `true` and `false`, `;` comments and commas (which are whitespace).
//! Tagged literals (`#inst "…"`, `#jepsen.history.Op{…}`) are read as the form they tag, and
//! `#_` discards the next form. Floating-point numbers, ratios, big numbers and characters are
//! refused with an error that names the line and column.
//!
//! The reader never panics: nesting deeper than [`MAX_DEPTH`] is an error rather than a stack
//! overflow.

use std::fmt;

use super::FormatError;

/// Deepest nesting of collections the reader accepts.
pub const MAX_DEPTH: usize = 256;

/// An EDN value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Str(String),
    /// A keyword, without its leading `:`.
    Keyword(String),
    Symbol(String),
    Vector(Vec<Value>),
    List(Vec<Value>),
    Set(Vec<Value>),
    /// Entries in the order written.
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// The value stored under the keyword `:key`, if this is a map that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => {
                entries.iter().find(|(k, _)| matches!(k, Value::Keyword(name) if name == key)).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// The elements of a vector or a list.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::Vector(items) | Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_keyword(&self) -> Option<&str> {
        match self {
            Value::Keyword(k) => Some(k),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn seq(f: &mut fmt::Formatter<'_>, open: &str, items: &[Value], close: &str) -> fmt::Result {
            f.write_str(open)?;
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{v}")?;
            }
            f.write_str(close)
        }
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Keyword(k) => write!(f, ":{k}"),
            Value::Symbol(s) => f.write_str(s),
            Value::Vector(items) => seq(f, "[", items, "]"),
            Value::List(items) => seq(f, "(", items, ")"),
            Value::Set(items) => seq(f, "#{", items, "}"),
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Reads exactly one value from `text` (surrounding whitespace and comments allowed).
pub fn parse(text: &str) -> Result<Value, FormatError> {
    let mut r = Reader::new(text);
    r.skip_blank();
    if r.at_end() {
        return Err(r.error("expected a value, found the end of the input"));
    }
    let v = r.read()?;
    r.skip_blank();
    if !r.at_end() {
        return Err(r.error("expected the end of the input after the value"));
    }
    Ok(v)
}

/// Reads every top-level value of `text`, each with the 1-based line it starts on.
pub fn parse_all(text: &str) -> Result<Vec<(Value, usize)>, FormatError> {
    let mut out = Vec::new();
    each_top_level(text, |v, line| {
        out.push((v, line));
        Ok(())
    })?;
    Ok(out)
}

/// Hands every top-level value of `text` to `f` as soon as it is read, with the 1-based line
/// it starts on, so that a long history never exists as one tree.
pub fn each_top_level(
    text: &str,
    mut f: impl FnMut(Value, usize) -> Result<(), FormatError>,
) -> Result<(), FormatError> {
    let mut r = Reader::new(text);
    loop {
        r.skip_blank();
        if r.at_end() {
            return Ok(());
        }
        let line = r.line;
        f(r.read()?, line)?;
    }
}

/// Reads a history: either one top-level vector or list of values, or a bare sequence of
/// values. Each value comes with the 1-based line it starts on.
pub fn parse_sequence(text: &str) -> Result<Vec<(Value, usize)>, FormatError> {
    let mut out = Vec::new();
    each_in_sequence(text, |v, line| {
        out.push((v, line));
        Ok(())
    })?;
    Ok(out)
}

/// As [`parse_sequence`], handing each value to `f` as soon as it is read.
pub fn each_in_sequence(
    text: &str,
    mut f: impl FnMut(Value, usize) -> Result<(), FormatError>,
) -> Result<(), FormatError> {
    let mut r = Reader::new(text);
    r.skip_blank();
    let close = match r.peek() {
        Some(b'[') => b']',
        Some(b'(') => b')',
        _ => return each_top_level(text, f),
    };
    let (open_line, open_col) = (r.line, r.col);
    r.bump();
    loop {
        r.skip_blank();
        match r.peek() {
            None => return Err(FormatError::at(open_line, open_col, "this history's opening bracket is never closed")),
            Some(c) if c == close => {
                r.bump();
                break;
            }
            Some(b']' | b')' | b'}') => return Err(r.error("unmatched closing bracket")),
            Some(_) => {
                let line = r.line;
                f(r.read_at(1)?, line)?;
            }
        }
    }
    r.skip_blank();
    if !r.at_end() {
        return Err(r.error("expected the end of the input after the history"));
    }
    Ok(())
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    col: usize,
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b',' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'"' | b';')
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Reader { text, bytes: text.as_bytes(), pos: 0, line: 1, col: 1 }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) {
        if let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
                self.col = 1;
            } else if b & 0xC0 != 0x80 {
                // Count characters, not the continuation bytes of UTF-8 sequences.
                self.col += 1;
            }
        }
    }

    fn error(&self, message: impl Into<String>) -> FormatError {
        FormatError::at(self.line, self.col, message)
    }

    /// Skips whitespace, commas and comments.
    fn skip_blank(&mut self) {
        while let Some(b) = self.peek() {
            if b.is_ascii_whitespace() || b == b',' {
                self.bump();
            } else if b == b';' {
                while let Some(c) = self.peek() {
                    if c == b'\n' {
                        break;
                    }
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    fn read(&mut self) -> Result<Value, FormatError> {
        self.read_at(0)
    }

    fn read_at(&mut self, depth: usize) -> Result<Value, FormatError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("collections nested deeper than {MAX_DEPTH} levels")));
        }
        self.skip_blank();
        let Some(b) = self.peek() else {
            return Err(self.error("expected a value, found the end of the input"));
        };
        match b {
            b'(' => self.read_seq(b')', depth).map(Value::List),
            b'[' => self.read_seq(b']', depth).map(Value::Vector),
            b'{' => self.read_map(depth),
            b')' | b']' | b'}' => Err(self.error(format!("unexpected `{}`", b as char))),
            b'"' => self.read_string(),
            b'#' => self.read_dispatch(depth),
            b'\\' => Err(self.error("character literals are not supported")),
            b':' => {
                let (line, col) = (self.line, self.col);
                self.bump();
                let name = self.token();
                if name.is_empty() || name.starts_with(':') {
                    return Err(FormatError::at(line, col, format!("malformed keyword `:{name}`")));
                }
                Ok(Value::Keyword(name.to_string()))
            }
            _ => self.read_atom(),
        }
    }

    /// The run of non-delimiter characters starting here.
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_delimiter(b) {
                break;
            }
            self.bump();
        }
        &self.text[start..self.pos]
    }

    fn read_seq(&mut self, close: u8, depth: usize) -> Result<Vec<Value>, FormatError> {
        let (line, col) = (self.line, self.col);
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            match self.peek() {
                None => {
                    return Err(FormatError::at(line, col, format!("`{}` is never closed", opening(close))));
                }
                Some(c) if c == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(c @ (b')' | b']' | b'}')) => {
                    return Err(self.error(format!(
                        "`{}` closes the `{}` opened at line {line}, column {col}",
                        c as char,
                        opening(close)
                    )));
                }
                Some(_) => items.push(self.read_at(depth + 1)?),
            }
        }
    }

    fn read_map(&mut self, depth: usize) -> Result<Value, FormatError> {
        let (line, col) = (self.line, self.col);
        let items = self.read_seq(b'}', depth)?;
        if items.len() % 2 != 0 {
            return Err(FormatError::at(line, col, "a map needs an even number of forms (key value pairs)"));
        }
        let mut entries = Vec::with_capacity(items.len() / 2);
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            entries.push((k, v));
        }
        Ok(Value::Map(entries))
    }

    fn read_dispatch(&mut self, depth: usize) -> Result<Value, FormatError> {
        let (line, col) = (self.line, self.col);
        self.bump();
        match self.peek() {
            Some(b'{') => self.read_seq(b'}', depth).map(Value::Set),
            Some(b'_') => {
                self.bump();
                self.read_at(depth + 1)?;
                self.skip_blank();
                match self.peek() {
                    None | Some(b')' | b']' | b'}') => {
                        Err(FormatError::at(line, col, "`#_` discards a form but nothing follows it"))
                    }
                    Some(_) => self.read_at(depth + 1),
                }
            }
            Some(b) if b.is_ascii_alphabetic() => {
                // A tagged literal: keep the tagged form, forget the tag.
                self.token();
                self.read_at(depth + 1)
            }
            _ => Err(FormatError::at(line, col, "unsupported `#` form")),
        }
    }

    fn read_string(&mut self) -> Result<Value, FormatError> {
        let (line, col) = (self.line, self.col);
        self.bump();
        let mut out = String::new();
        let mut run_start = self.pos;
        loop {
            let Some(b) = self.peek() else {
                return Err(FormatError::at(line, col, "string is never closed"));
            };
            match b {
                b'"' => {
                    out.push_str(&self.text[run_start..self.pos]);
                    self.bump();
                    return Ok(Value::Str(out));
                }
                b'\\' => {
                    out.push_str(&self.text[run_start..self.pos]);
                    let (el, ec) = (self.line, self.col);
                    self.bump();
                    let Some(e) = self.peek() else {
                        return Err(FormatError::at(line, col, "string is never closed"));
                    };
                    self.bump();
                    match e {
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'u' => {
                            let start = self.pos;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(h) if h.is_ascii_hexdigit() => self.bump(),
                                    _ => return Err(FormatError::at(el, ec, "`\\u` needs four hex digits")),
                                }
                            }
                            let code = u32::from_str_radix(&self.text[start..self.pos], 16).unwrap_or(0xFFFD);
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                        }
                        _ => return Err(FormatError::at(el, ec, "unknown escape in string")),
                    }
                    run_start = self.pos;
                }
                _ => self.bump(),
            }
        }
    }

    fn read_atom(&mut self) -> Result<Value, FormatError> {
        let (line, col) = (self.line, self.col);
        let tok = self.token();
        if tok.is_empty() {
            // Only a lone delimiter we do not otherwise handle can get here.
            self.bump();
            return Err(FormatError::at(line, col, "unexpected character"));
        }
        let bytes = tok.as_bytes();
        let numeric = bytes[0].is_ascii_digit()
            || (bytes.len() > 1 && matches!(bytes[0], b'+' | b'-') && bytes[1].is_ascii_digit());
        if numeric {
            let digits = tok.strip_suffix('N').unwrap_or(tok);
            return digits.parse::<i64>().map(Value::Int).map_err(|_| {
                let what = if digits.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+') {
                    "integer does not fit in 64 bits"
                } else {
                    "only integers are supported as numbers"
                };
                FormatError::at(line, col, format!("{what}: `{tok}`"))
            });
        }
        Ok(match tok {
            "nil" => Value::Nil,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Symbol(tok.to_string()),
        })
    }
}

fn opening(close: u8) -> &'static str {
    match close {
        b')' => "(",
        b']' => "[",
        _ => "{",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(s: &str) -> Value {
        Value::Keyword(s.to_string())
    }

    #[test]
    fn reads_the_history_subset() {
        let v = parse(r#"{:process 3, :type :ok, :f :cas, :value [1 -2], :error nil, :s "a\"b\u0041"}"#).unwrap();
        assert_eq!(v.get("process"), Some(&Value::Int(3)));
        assert_eq!(v.get("type"), Some(&kw("ok")));
        assert_eq!(v.get("value"), Some(&Value::Vector(vec![Value::Int(1), Value::Int(-2)])));
        assert_eq!(v.get("error"), Some(&Value::Nil));
        assert_eq!(v.get("s"), Some(&Value::Str("a\"bA".into())));
        assert_eq!(v.get("missing"), None);
        assert_eq!(parse("(true false sym #{1} #_ 5 6)").unwrap().to_string(), "(true false sym #{1} 6)");
        assert_eq!(parse("#inst \"2020\"").unwrap(), Value::Str("2020".into()));
        assert_eq!(parse("; comment\n 42N ; more").unwrap(), Value::Int(42));
    }

    #[test]
    fn sequences_keep_lines() {
        let seq = parse_sequence("; head\n[{:a 1}\n {:a 2}, {:a\n 3}]\n").unwrap();
        assert_eq!(seq.iter().map(|(_, l)| *l).collect::<Vec<_>>(), vec![2, 3, 3]);
        let bare = parse_sequence("{:a 1}\n\n{:a 2}\n").unwrap();
        assert_eq!(bare.iter().map(|(_, l)| *l).collect::<Vec<_>>(), vec![1, 3]);
        assert!(parse_sequence("").unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_place() {
        let cases = [
            ("{:a 1", 1, 1, "never closed"),
            ("[1 2}", 1, 5, "closes"),
            ("{:a}", 1, 1, "even number"),
            ("\n  1.5", 2, 3, "only integers"),
            ("99999999999999999999", 1, 1, "64 bits"),
            ("\"abc", 1, 1, "never closed"),
            ("\"a\\qb\"", 1, 3, "unknown escape"),
            ("\\a", 1, 1, "character"),
            (": x", 1, 1, "keyword"),
            ("1 2", 1, 3, "end of the input"),
            ("", 1, 1, "found the end"),
            ("#?x", 1, 1, "unsupported"),
        ];
        for (text, line, col, what) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!((e.line, e.column), (line, Some(col)), "{text:?}: {e}");
            assert!(e.message.contains(what), "{text:?}: {e}");
        }
        let deep = "[".repeat(MAX_DEPTH + 10);
        assert!(parse(&deep).unwrap_err().message.contains("nested deeper"));
        let discards = "(".to_string() + &"#_ 1 ".repeat(100_000) + "2)";
        assert!(parse(&discards).unwrap_err().message.contains("nested deeper"));
        assert!(parse_sequence("[{:a 1}").unwrap_err().message.contains("never closed"));
        assert!(parse_sequence("[{:a 1}] x").unwrap_err().message.contains("end of the input"));
    }
}
