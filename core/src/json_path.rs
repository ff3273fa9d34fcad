//! Where in a JSON text a decoding error is: the path (`cluster.links[0].latency`) of the value
//! that was being read. serde_json reports an error's place as a line and a column; this module
//! reads the text up to that place and names the value there, the way scenario errors have
//! always named it. It replaces wrapping every deserializer to track the path as it goes, which
//! doubled the generated code of every scenario type (and the download of the WebAssembly build).
//!
//! ```
//! use replicalab_core::json_path;
//!
//! #[derive(serde::Deserialize, Debug)]
//! #[serde(deny_unknown_fields)]
//! struct Link { latency_ms: u32 }
//! #[derive(serde::Deserialize, Debug)]
//! struct Cluster { links: Vec<Link> }
//!
//! let err = json_path::from_str::<Cluster>(r#"{"links": [{"latency_ms": 3}, {"latency_ms": "x"}]}"#).unwrap_err();
//! assert_eq!(err.path, "links[1].latency_ms");
//! assert!(err.inner.to_string().starts_with("invalid type"));
//! ```

use serde::de::DeserializeOwned;

/// A decoding error and the path of the value it is about (`.` for the whole document).
#[derive(Debug)]
pub struct PathError {
    pub path: String,
    pub inner: serde_json::Error,
}

/// Decodes `text` as a `T`; on failure, says where.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, PathError> {
    serde_json::from_str(text).map_err(|inner| PathError { path: path_of(text, &inner), inner })
}

/// The path of the value an error of decoding `text` is about.
pub fn path_of(text: &str, error: &serde_json::Error) -> String {
    if error.line() == 0 {
        return ".".into();
    }
    // The line's start, then the column (serde_json counts the error's character as read).
    let start: usize = text.split_inclusive('\n').take(error.line() - 1).map(str::len).sum();
    let mut end = (start + error.column()).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    path_at(&text[..end])
}

/// One open container while reading.
enum Frame {
    /// An object: the key whose value is being read (once its colon has been read: an error
    /// about the key itself, such as an unknown field or variant, is the object's), and
    /// whether the next string is a key.
    Object { key: Option<String>, reading_key: bool, valued: bool },
    /// An array, with the index of the element being read once it has begun.
    Array { index: usize, started: bool },
}

/// The path of the value being read at the end of `prefix` (a prefix of a JSON text). A comma
/// at the very end is not read: serde_json places an error that a value's own decoder raised
/// after reading the whole value (a command checked as a whole) past the comma that follows it.
pub fn path_at(prefix: &str) -> String {
    let prefix = prefix.trim_end();
    let prefix = prefix.strip_suffix(',').unwrap_or(prefix);
    let mut stack: Vec<Frame> = Vec::new();
    let mut chars = prefix.chars();
    // The text of the string being read, when it is an object's key.
    let mut key: Option<String> = None;
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '"' => {
                    in_string = false;
                    if let (Some(k), Some(Frame::Object { key: slot, reading_key, .. })) =
                        (key.take(), stack.last_mut())
                    {
                        *slot = Some(k);
                        *reading_key = false;
                    }
                }
                '\\' => {
                    let escaped = chars.next();
                    if let (Some(k), Some(e)) = (key.as_mut(), escaped) {
                        k.push(match e {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    }
                }
                _ => {
                    if let Some(k) = key.as_mut() {
                        k.push(c);
                    }
                }
            }
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        // A value (or a key) begins: an array's element is counted from its first character.
        if let Some(Frame::Array { started, .. }) = stack.last_mut() {
            if c != ']' && c != ',' {
                *started = true;
            }
        }
        match c {
            '"' => {
                in_string = true;
                if let Some(Frame::Object { reading_key: true, .. }) = stack.last() {
                    key = Some(String::new());
                }
            }
            '{' => stack.push(Frame::Object { key: None, reading_key: true, valued: false }),
            ':' => {
                if let Some(Frame::Object { valued, .. }) = stack.last_mut() {
                    *valued = true;
                }
            }
            '[' => stack.push(Frame::Array { index: 0, started: false }),
            '}' | ']' => {
                stack.pop();
            }
            ',' => match stack.last_mut() {
                Some(Frame::Object { key, reading_key, valued }) => {
                    *key = None;
                    *reading_key = true;
                    *valued = false;
                }
                Some(Frame::Array { index, started }) => {
                    *index += 1;
                    *started = false;
                }
                None => {}
            },
            _ => {}
        }
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), valued: true, .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Array { index, started: true } => path.push_str(&format!("[{index}]")),
            _ => {}
        }
    }
    if path.is_empty() {
        ".".into()
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_objects_and_arrays() {
        assert_eq!(path_at(r#"{"a": {"b": 1"#), "a.b");
        assert_eq!(path_at(r#"{"a": [1, 2, {"c": "x""#), "a[2].c");
        assert_eq!(path_at(r#"{"a": [[0, 1], [1, 2"#), "a[1][1]");
        assert_eq!(path_at(r#"{"a": {"b": 1}"#), "a", "a closed object is the value of its key");
        assert_eq!(path_at(r#"{"a": {"b": 1}}"#), ".");
        assert_eq!(path_at(r#"{"a": 1, "#), "a", "just after a member: that member");
        assert_eq!(path_at(r#"{"a": 1, "b""#), ".", "a key without its value");
        assert_eq!(path_at(r#"{"a": [{"x": 1}, "#), "a[0]", "just after an element: that element");
        assert_eq!(path_at(r#"{"a": [ "#), "a", "an array before its first element");
        assert_eq!(path_at(r#"{"a\"b": {"c,d": [1"#), "a\"b.c,d[0]", "quotes and commas inside keys");
        assert_eq!(path_at(r#"{"a": "x,}]", "b": 2"#), "b", "brackets inside strings");
        assert_eq!(path_at(""), ".");
        assert_eq!(path_at(r#"{"a": {"b""#), "a", "a key without its value is the object's");
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
        tag: Option<Tag>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "snake_case")]
    enum Tag {
        One,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
        name: String,
    }

    fn path(text: &str) -> (String, String) {
        let e = from_str::<Outer>(text).unwrap_err();
        (e.path, e.inner.to_string())
    }

    #[test]
    fn errors_of_serde_json_are_placed() {
        let (p, e) = path(r#"{"items": [{"n": 1}, {"n": "x"}], "name": "a"}"#);
        assert_eq!(p, "items[1].n", "{e}");
        let (p, e) = path("{\n  \"items\": [\n    {\"n\": 1, \"tag\": \"two\"}\n  ],\n  \"name\": \"a\"\n}");
        assert_eq!(p, "items[0].tag", "{e}");
        assert!(e.contains("unknown variant"), "{e}");
        let (p, e) = path(r#"{"items": [{"n": 1, "m": 2}], "name": "a"}"#);
        assert_eq!(p, "items[0]", "{e}");
        assert!(e.contains("unknown field `m`"), "{e}");
        let (p, e) = path(r#"{"items": [{"tag": "one"}], "name": "a"}"#);
        assert_eq!(p, "items[0]", "{e}");
        assert!(e.contains("missing field `n`"), "{e}");
        let (p, e) = path(r#"{"items": []}"#);
        assert_eq!(p, ".", "{e}");
        let (p, e) = path("{\"items\": [], \"name\": \"é\", \"x\": 1}");
        assert!(p == "x" || p == ".", "{p}: {e}");
    }

    #[test]
    fn any_prefix_of_any_text_has_a_path() {
        // Never a panic, whatever the text and wherever the error is said to be.
        let texts = [r#"{"a": [1, {"b": "\u00e9\"}"}]}"#, "[[[", "}}]]", "\"\\", "{\"é\": [\"ü\","];
        for t in texts {
            for end in (0..=t.len()).filter(|&i| t.is_char_boundary(i)) {
                let _ = path_at(&t[..end]);
            }
        }
    }
}
