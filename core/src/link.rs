//! Share links: the whole of what a person sees — the scenario, the playhead and the view
//! options — as one short, URL-safe text that fits in a URL fragment.
//!
//! A link is `v1.` followed by base64url (no padding) of the zlib-compressed JSON of a
//! [`Share`]: `{"scenario": {...}, "at_ms": 1234.5, "view": {...}}`. The scenario inside is a
//! scenario file exactly as `replicalab run` reads it (`docs/scenario-format.md`), so a link and
//! a file convert into each other without loss. The format, its versioning policy and its limits
//! are described in `docs/share-links.md`.
//!
//! Links are untrusted input. [`decode`] never panics and never allocates much beyond its
//! limits: it refuses a text longer than [`MAX_LINK_CHARS`] before decoding anything, inflates
//! with an output cap of [`MAX_INFLATED_BYTES`] (a zip bomb stops at the cap), and then checks
//! the JSON as strictly as a scenario file. Every refusal is a [`LinkError`] whose message says
//! what is wrong and where; [`LinkError::kind`] names its class for programs.
//!
//! ```
//! use replicalab_core::link::{self, Share};
//! use replicalab_core::presets;
//!
//! let scenario = presets::find("lf-sync").unwrap().scenario().unwrap();
//! let share = Share { at_ms: 2500.0, ..Share::new(scenario) };
//! let text = link::encode(&share).unwrap();
//! assert!(text.starts_with("v1."));
//! assert_eq!(link::decode(&format!("https://example.org/#{text}")).unwrap(), share);
//! assert_eq!(link::decode(&text[..text.len() - 5]).unwrap_err().kind(), "truncated");
//! ```

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, DecodeError, Engine as _};
use miniz_oxide::inflate::TINFLStatus;
use serde::{Deserialize, Serialize};

use crate::protocol::NodeId;
use crate::scenario::{Scenario, ScenarioError, MAX_DURATION_MS};

/// The newest link format version this build reads and writes (the `1` of `v1.`).
pub const LINK_VERSION: u32 = 1;
/// Longest link payload accepted, in characters (what follows the `#`, prefix included).
/// 64 KiB keeps links well inside what browsers, terminals and chat tools carry, and holds
/// scenarios with thousands of recorded commands; [`encode`] refuses to make a longer one.
pub const MAX_LINK_CHARS: usize = 64 * 1024;
/// Largest JSON a link may inflate to, in bytes. Inflation stops at this cap, so a small link
/// that would inflate to gigabytes costs at most this much memory.
pub const MAX_INFLATED_BYTES: usize = 1 << 20;
/// Fastest playback speed a link may ask for, in simulated milliseconds per real second.
pub const MAX_SPEED_MS_PER_S: u32 = 10_000;
/// Most panels a view may name, and the longest panel name.
pub const MAX_PANELS: usize = 32;
const MAX_PANEL_NAME: usize = 32;
/// zlib level used by [`encode`] (miniz's best ordinary level). Any level decodes.
const COMPRESSION_LEVEL: u8 = 9;

/// Base64url without padding. Trailing bits are allowed on decoding so that a link cut off at
/// any character is reported as truncated (by the inflater), not as a bad last character.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// What a link carries: the scenario, where the playhead stood and how the view was set up.
///
/// It serialises to the JSON a link carries; it is read back only through [`decode`] and
/// [`Share::from_json`], which check it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Share {
    /// The scenario, exactly as a scenario file holds it.
    pub scenario: Scenario,
    /// The playhead: the simulated time the sender was looking at, in milliseconds.
    pub at_ms: f64,
    /// How the sender's view was set up.
    #[serde(skip_serializing_if = "ViewOptions::is_default")]
    pub view: ViewOptions,
}

impl Share {
    /// A share of `scenario` at time 0 with the default view.
    pub fn new(scenario: Scenario) -> Share {
        Share { scenario, at_ms: 0.0, view: ViewOptions::default() }
    }

    /// Reads a share from its JSON (`replicalab link decode --share` prints it), checked as
    /// strictly as a link's payload.
    pub fn from_json(text: &str) -> Result<Share, LinkError> {
        if text.len() > MAX_INFLATED_BYTES {
            return Err(LinkError::TooLarge { max: MAX_INFLATED_BYTES });
        }
        parse_payload(text)
    }

    /// Pretty JSON, the form [`Share::from_json`] reads.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a share always serialises")
    }

    /// Checks what the scenario's own validation does not: the playhead and the view.
    pub fn validate(&self) -> Result<(), LinkError> {
        self.scenario.validate().map_err(LinkError::Scenario)?;
        self.validate_playhead_and_view()
    }

    fn validate_playhead_and_view(&self) -> Result<(), LinkError> {
        if !(self.at_ms.is_finite() && self.at_ms >= 0.0 && self.at_ms <= MAX_DURATION_MS) {
            return Err(LinkError::invalid(
                "at_ms",
                format!("the playhead must be a time between 0 and {MAX_DURATION_MS} ms, got {}", self.at_ms),
            ));
        }
        self.view.validate(self.scenario.cluster.nodes)
    }
}

/// View options: what the sender had on screen besides the simulation itself. Every field is
/// optional; an absent one takes its default, so older links keep opening.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ViewOptions {
    /// The panels shown, by name, in order (`"graph"`, `"timeline"`, …); empty: the app's default
    /// layout. Names are lowercase letters, digits, `-` and `_`; the app ignores names it does
    /// not know, so a link from a build with more panels still opens.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub panels: Vec<String>,
    /// The node selected in the inspector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_node: Option<NodeId>,
    #[serde(skip_serializing_if = "Theme::is_auto")]
    pub theme: Theme,
    /// The playback speed: simulated milliseconds per real second (1 to 10,000; 500 is half
    /// real time). Absent: the scenario's suggested speed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_ms_per_s: Option<u32>,
}

impl ViewOptions {
    pub fn is_default(&self) -> bool {
        self == &ViewOptions::default()
    }

    fn validate(&self, nodes: usize) -> Result<(), LinkError> {
        if self.panels.len() > MAX_PANELS {
            return Err(LinkError::invalid(
                "view.panels",
                format!("at most {MAX_PANELS} panels, got {}", self.panels.len()),
            ));
        }
        for (i, name) in self.panels.iter().enumerate() {
            let ok = !name.is_empty()
                && name.len() <= MAX_PANEL_NAME
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            if !ok {
                return Err(LinkError::invalid(
                    format!("view.panels[{i}]"),
                    format!(
                        "a panel name is 1 to {MAX_PANEL_NAME} lowercase letters, digits, `-` or `_`, got {name:?}"
                    ),
                ));
            }
        }
        if let Some(speed) = self.speed_ms_per_s {
            if !(1..=MAX_SPEED_MS_PER_S).contains(&speed) {
                return Err(LinkError::invalid(
                    "view.speed_ms_per_s",
                    format!("the speed is 1 to {MAX_SPEED_MS_PER_S} simulated milliseconds per second, got {speed}"),
                ));
            }
        }
        if let Some(node) = self.selected_node {
            if node >= nodes {
                return Err(LinkError::invalid(
                    "view.selected_node",
                    format!("unknown node {node}; the cluster has nodes 0 to {}", nodes - 1),
                ));
            }
        }
        Ok(())
    }
}

/// The colour theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follow the system's preference.
    #[default]
    Auto,
    Light,
    Dark,
}

impl Theme {
    fn is_auto(&self) -> bool {
        *self == Theme::Auto
    }
}

/// Why a link was refused. The message says what is wrong and, where it can, where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// Nothing to decode.
    Empty,
    /// The payload is longer than [`MAX_LINK_CHARS`].
    TooLong { chars: usize, max: usize },
    /// The text is not a replicalab link (no `v<N>.` prefix). `found` is its beginning.
    NotALink { found: String },
    /// A link format version newer than [`LINK_VERSION`].
    NewerVersion { version: u64 },
    /// A version this build never wrote (`v0.`).
    UnknownVersion { version: u64 },
    /// The link ends early: cut off when copied, most likely.
    Truncated,
    /// A character that base64url does not use, at this 1-based character of the input (URL
    /// included, surrounding whitespace not).
    BadCharacter { position: usize, character: char },
    /// The compressed data is damaged.
    CorruptData { detail: &'static str },
    /// The payload inflates to (or a share file is) more than [`MAX_INFLATED_BYTES`].
    TooLarge { max: usize },
    /// The payload is not the JSON of a share (only a hand-made link gets here).
    Json { message: String },
    /// A field of the share outside the scenario is wrong (`view.selected_node`, `at_ms`, or a
    /// field the share does not have).
    Invalid { path: String, message: String },
    /// The scenario is invalid; its error names the field inside the scenario.
    Scenario(ScenarioError),
}

impl LinkError {
    fn invalid(path: impl Into<String>, message: impl Into<String>) -> LinkError {
        LinkError::Invalid { path: path.into(), message: message.into() }
    }

    /// A stable name of the error's class, for programs and tests: `empty`, `too_long`,
    /// `not_a_link`, `newer_version`, `unknown_version`, `truncated`, `bad_character`,
    /// `corrupt`, `too_large`, `json`, `invalid`, `scenario`.
    pub fn kind(&self) -> &'static str {
        match self {
            LinkError::Empty => "empty",
            LinkError::TooLong { .. } => "too_long",
            LinkError::NotALink { .. } => "not_a_link",
            LinkError::NewerVersion { .. } => "newer_version",
            LinkError::UnknownVersion { .. } => "unknown_version",
            LinkError::Truncated => "truncated",
            LinkError::BadCharacter { .. } => "bad_character",
            LinkError::CorruptData { .. } => "corrupt",
            LinkError::TooLarge { .. } => "too_large",
            LinkError::Json { .. } => "json",
            LinkError::Invalid { .. } => "invalid",
            LinkError::Scenario(_) => "scenario",
        }
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Empty => write!(f, "the link is empty"),
            LinkError::TooLong { chars, max } => {
                write!(f, "the link is too long: {chars} characters after the `#`; the limit is {max}")
            }
            LinkError::NotALink { found } => write!(
                f,
                "not a replicalab link: expected `v{LINK_VERSION}.` and the link's data (after the `#` of a URL), got {found:?}"
            ),
            LinkError::NewerVersion { version } => write!(
                f,
                "this link was made by a newer replicalab (link format v{version}; this one reads up to v{LINK_VERSION}); update replicalab to open it"
            ),
            LinkError::UnknownVersion { version } => {
                write!(f, "unknown link format version v{version}; this replicalab reads v{LINK_VERSION}")
            }
            LinkError::Truncated => {
                write!(f, "the link is truncated: its data ends early (was it cut off when copied?)")
            }
            LinkError::BadCharacter { position, character } => write!(
                f,
                "the link is corrupt: character {position} ({character:?}) is not used in links (A-Z, a-z, 0-9, `-`, `_`)"
            ),
            LinkError::CorruptData { detail } => write!(f, "the link is corrupt: {detail}"),
            LinkError::TooLarge { max } => {
                write!(f, "the link's data is too large: more than {max} bytes of JSON, the limit")
            }
            LinkError::Json { message } => write!(f, "the link's data is not a replicalab share: {message}"),
            LinkError::Invalid { path, message } if path.is_empty() => write!(f, "the link is invalid: {message}"),
            LinkError::Invalid { path, message } => write!(f, "the link is invalid: at `{path}`: {message}"),
            LinkError::Scenario(e) => write!(f, "the link's scenario is invalid: {e}"),
        }
    }
}

impl std::error::Error for LinkError {}

impl From<ScenarioError> for LinkError {
    fn from(e: ScenarioError) -> LinkError {
        LinkError::Scenario(e)
    }
}

/// Encodes a share as a link payload (`v1.…`), to be put after the `#` of a URL.
///
/// Fails if the share is invalid (the decoder would refuse it) or too large for a link, so
/// that `decode(&encode(s)?) == Ok(s)` always holds.
pub fn encode(share: &Share) -> Result<String, LinkError> {
    share.validate()?;
    let json = serde_json::to_string(share).expect("a share always serialises");
    if json.len() > MAX_INFLATED_BYTES {
        return Err(LinkError::TooLarge { max: MAX_INFLATED_BYTES });
    }
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(json.as_bytes(), COMPRESSION_LEVEL);
    let text = format!("v{LINK_VERSION}.{}", BASE64.encode(compressed));
    if text.len() > MAX_LINK_CHARS {
        return Err(LinkError::TooLong { chars: text.len(), max: MAX_LINK_CHARS });
    }
    Ok(text)
}

/// A full URL: `base` (its own fragment, if any, replaced) + `#` + the link payload.
pub fn encode_url(base: &str, share: &Share) -> Result<String, LinkError> {
    let base = base.split('#').next().unwrap_or("");
    Ok(format!("{base}#{}", encode(share)?))
}

/// Decodes a link: a full URL, a `#fragment` or the bare payload (`v1.…`); surrounding
/// whitespace is ignored. Never panics, whatever the input.
pub fn decode(input: &str) -> Result<Share, LinkError> {
    let input = input.trim();
    // Where the payload starts in `input` (to report positions of bad characters).
    let start = input.find('#').map_or(0, |i| i + 1);
    let payload = &input[start..];
    if payload.is_empty() {
        return Err(LinkError::Empty);
    }
    if payload.len() > MAX_LINK_CHARS {
        let chars = payload.chars().count();
        if chars > MAX_LINK_CHARS {
            return Err(LinkError::TooLong { chars, max: MAX_LINK_CHARS });
        }
        // Fewer characters than bytes: not base64url, refused as such below.
    }
    let (version, data) = split_version(payload)?;
    let data_start = start + (payload.len() - data.len());
    match version {
        v if v == u64::from(LINK_VERSION) => decode_v1(input, data_start),
        v if v > u64::from(LINK_VERSION) => Err(LinkError::NewerVersion { version: v }),
        v => Err(LinkError::UnknownVersion { version: v }),
    }
}

/// `v<digits>.rest` → `(digits, rest)`.
fn split_version(payload: &str) -> Result<(u64, &str), LinkError> {
    let not_a_link = || LinkError::NotALink { found: payload.chars().take(24).collect() };
    let rest = payload.strip_prefix('v').ok_or_else(not_a_link)?;
    let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || rest.as_bytes().get(digits) != Some(&b'.') {
        return Err(not_a_link());
    }
    // A version too long for u64 is certainly newer than this build.
    let version = rest[..digits].parse::<u64>().unwrap_or(u64::MAX);
    Ok((version, &rest[digits + 1..]))
}

fn decode_v1(input: &str, data_start: usize) -> Result<Share, LinkError> {
    let data = &input[data_start..];
    if data.is_empty() {
        return Err(LinkError::Truncated);
    }
    let compressed = BASE64.decode(data).map_err(|e| base64_error(e, input, data_start))?;
    let json = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&compressed, MAX_INFLATED_BYTES).map_err(
        |e| match e.status {
            TINFLStatus::HasMoreOutput => LinkError::TooLarge { max: MAX_INFLATED_BYTES },
            TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress => LinkError::Truncated,
            TINFLStatus::Adler32Mismatch => {
                LinkError::CorruptData { detail: "its data does not match its checksum (a character was changed?)" }
            }
            _ => LinkError::CorruptData { detail: "its compressed data is invalid" },
        },
    )?;
    if zlib_stream_len(&compressed) != Some(compressed.len()) {
        return Err(LinkError::CorruptData {
            detail: "it has data after its end (two links pasted together, or text added to one?)",
        });
    }
    let text = std::str::from_utf8(&json)
        .map_err(|e| LinkError::Json { message: format!("not UTF-8 text (byte {})", e.valid_up_to()) })?;
    parse_payload(text)
}

/// How many bytes of `data` its first zlib stream takes, checksum included; `None` when the
/// stream does not end in it.
fn zlib_stream_len(data: &[u8]) -> Option<usize> {
    use miniz_oxide::inflate::stream::{inflate, InflateState};
    use miniz_oxide::{DataFormat, MZFlush, MZStatus};
    let mut state = InflateState::new_boxed(DataFormat::Zlib);
    let mut buf = vec![0u8; 32 * 1024];
    let mut used = 0;
    loop {
        let r = inflate(&mut state, &data[used..], &mut buf, MZFlush::None);
        used += r.bytes_consumed;
        match r.status {
            Ok(MZStatus::StreamEnd) => return Some(used),
            Ok(_) if r.bytes_consumed > 0 || r.bytes_written > 0 => {}
            _ => return None,
        }
    }
}

fn base64_error(e: DecodeError, input: &str, data_start: usize) -> LinkError {
    let at = |offset: usize| {
        let byte = data_start + offset;
        // Offsets from the decoder are byte offsets; find the character that holds the byte.
        let char_start = (0..=byte.min(input.len())).rev().find(|&i| input.is_char_boundary(i)).unwrap_or(0);
        LinkError::BadCharacter {
            position: input[..char_start].chars().count() + 1,
            character: input[char_start..].chars().next().unwrap_or('?'),
        }
    };
    match e {
        DecodeError::InvalidByte(offset, _) | DecodeError::InvalidLastSymbol(offset, _) => at(offset),
        // One character past a whole group: a link cut off just after a group boundary.
        DecodeError::InvalidLength(_) => LinkError::Truncated,
        DecodeError::InvalidPadding => {
            let offset = input[data_start..].find('=').unwrap_or(0);
            at(offset)
        }
    }
}

/// The share's JSON envelope as read: the scenario stays JSON text until `Scenario::from_json`
/// checks it (format, version, fields, semantics), so its errors read as a scenario file's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    scenario: Box<serde_json::value::RawValue>,
    #[serde(default)]
    at_ms: f64,
    #[serde(default)]
    view: ViewOptions,
}

fn parse_payload(text: &str) -> Result<Share, LinkError> {
    if !text.trim_start().starts_with('{') {
        return Err(LinkError::Json { message: "a share is a JSON object".into() });
    }
    let envelope: Envelope = crate::json_path::from_str(text).map_err(|e| {
        let (path, inner) = (e.path, e.inner);
        if inner.is_syntax() || inner.is_eof() {
            LinkError::Json { message: format!("not valid JSON: {inner}") }
        } else if path == "." {
            LinkError::invalid("", inner.to_string())
        } else {
            LinkError::invalid(path, inner.to_string())
        }
    })?;
    let scenario = Scenario::from_json(envelope.scenario.get())?;
    let share = Share { scenario, at_ms: envelope.at_ms, view: envelope.view };
    share.validate_playhead_and_view()?;
    Ok(share)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PRESETS;

    fn share(name: &str) -> Share {
        Share::new(crate::presets::find(name).unwrap().scenario().unwrap())
    }

    #[test]
    fn every_preset_round_trips_in_every_input_form() {
        for p in PRESETS {
            let s = Share {
                at_ms: 1234.5,
                view: ViewOptions {
                    panels: vec!["graph".into()],
                    selected_node: Some(0),
                    theme: Theme::Dark,
                    speed_ms_per_s: Some(500),
                },
                ..Share::new(p.scenario().unwrap())
            };
            let text = encode(&s).unwrap();
            assert!(text.starts_with("v1.") && text.len() < MAX_LINK_CHARS, "{}", p.name);
            assert!(text[3..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{text}");
            for form in [text.clone(), format!("#{text}"), format!("https://x.test/a?b=1#{text}\n")] {
                assert_eq!(decode(&form).as_ref(), Ok(&s), "{}: {form}", p.name);
            }
            assert_eq!(Share::from_json(&s.to_json()).as_ref(), Ok(&s));
        }
    }

    #[test]
    fn absent_fields_take_their_defaults() {
        let s = share("lf-async");
        let json = format!("{{\"scenario\": {}}}", s.scenario.to_json());
        assert_eq!(Share::from_json(&json).unwrap(), s);
        let json = format!("{{\"scenario\": {}, \"view\": {{\"theme\": \"light\"}}}}", s.scenario.to_json());
        assert_eq!(Share::from_json(&json).unwrap().view.theme, Theme::Light);
        assert!(!encode(&s).unwrap().is_empty());
        assert!(!serde_json::to_string(&s).unwrap().contains("view"), "a default view is left out");
    }

    #[test]
    fn unknown_fields_are_named() {
        let s = share("lf-async");
        let json = format!("{{\"scenario\": {}, \"view\": {{\"colour\": 1}}}}", s.scenario.to_json());
        let e = Share::from_json(&json).unwrap_err();
        assert_eq!(e.kind(), "invalid");
        assert!(e.to_string().contains("view") && e.to_string().contains("colour"), "{e}");
        let e = Share::from_json(&format!("{{\"scenario\": {}, \"zoom\": 2}}", s.scenario.to_json())).unwrap_err();
        assert!(e.to_string().contains("zoom"), "{e}");
        let e = Share::from_json("{\"at_ms\": 3}").unwrap_err();
        assert!(e.to_string().contains("scenario"), "{e}");
    }

    #[test]
    fn view_and_playhead_are_checked_against_the_scenario() {
        let mut s = share("lf-sync");
        s.view.selected_node = Some(3);
        let e = encode(&s).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the link is invalid: at `view.selected_node`: unknown node 3; the cluster has nodes 0 to 2"
        );
        s.view.selected_node = None;
        s.view.panels = vec!["Graph!".into()];
        assert!(encode(&s).unwrap_err().to_string().contains("at `view.panels[0]`"));
        s.view.panels.clear();
        for bad in [-1.0, f64::NAN, f64::INFINITY, 2.0 * MAX_DURATION_MS] {
            s.at_ms = bad;
            assert!(encode(&s).unwrap_err().to_string().contains("at `at_ms`"), "{bad}");
        }
    }

    #[test]
    fn semantic_errors_name_the_field_inside_the_scenario() {
        let s = share("ll-strict-quorum");
        let mut v: serde_json::Value = serde_json::to_value(&s).unwrap();
        v["scenario"]["protocol"]["leaderless"]["w"] = 9.into();
        let e = Share::from_json(&v.to_string()).unwrap_err();
        assert_eq!(e.kind(), "scenario");
        let msg = e.to_string();
        assert!(msg.starts_with("the link's scenario is invalid: at `protocol.leaderless.w`: W must be"), "{msg}");
    }

    #[test]
    fn prefixes_and_versions() {
        let text = encode(&share("lf-async")).unwrap();
        let data = &text[3..];
        assert_eq!(decode("").unwrap_err(), LinkError::Empty);
        assert_eq!(decode("https://x.test/#").unwrap_err(), LinkError::Empty);
        assert_eq!(decode("v1.").unwrap_err(), LinkError::Truncated);
        assert_eq!(decode(&format!("v2.{data}")).unwrap_err(), LinkError::NewerVersion { version: 2 });
        assert_eq!(
            decode(&format!("v99999999999999999999999.{data}")).unwrap_err(),
            LinkError::NewerVersion { version: u64::MAX }
        );
        assert_eq!(decode(&format!("v0.{data}")).unwrap_err(), LinkError::UnknownVersion { version: 0 });
        for bad in [data, "https://x.test/", "v.abc", "vx.abc", "v1abc", "{\"scenario\": 1}"] {
            assert_eq!(decode(bad).unwrap_err().kind(), "not_a_link", "{bad}");
        }
        assert!(decode("v2.x").unwrap_err().to_string().contains("newer replicalab"));
    }

    #[test]
    fn every_truncation_is_reported_as_truncated() {
        for name in ["lf-sync", "ml-siblings", "ll-anti-entropy"] {
            let text = encode(&share(name)).unwrap();
            for cut in 3..text.len() {
                assert_eq!(decode(&text[..cut]).unwrap_err(), LinkError::Truncated, "{name} cut at {cut}");
            }
        }
    }

    #[test]
    fn bad_characters_are_located() {
        let text = encode(&share("lf-async")).unwrap();
        let mut bad = text.clone();
        bad.replace_range(10..11, "!");
        assert_eq!(decode(&bad).unwrap_err(), LinkError::BadCharacter { position: 11, character: '!' });
        let url = format!("https://x.test/#{}é{}", &text[..10], &text[11..]);
        assert_eq!(decode(&url).unwrap_err(), LinkError::BadCharacter { position: 27, character: 'é' });
        let padded = format!("{text}==");
        assert_eq!(decode(&padded).unwrap_err().kind(), "bad_character");
    }

    #[test]
    fn a_changed_character_is_corrupt_data() {
        let s = share("lf-sync");
        let text = encode(&s).unwrap();
        let (mut corrupt, mut harmless) = (0, 0);
        for i in 3..text.len() {
            let mut b = text.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            match decode(std::str::from_utf8(&b).unwrap()) {
                Err(LinkError::CorruptData { .. }) => corrupt += 1,
                Err(LinkError::Truncated) => {}
                // Bits that carry nothing: the padding after deflate's last block, the unused
                // low bits of the last character.
                Ok(d) if d == s => harmless += 1,
                other => panic!("position {i}: {other:?}"),
            }
        }
        assert!(corrupt > (text.len() - 3) * 3 / 4, "{corrupt} of {}", text.len() - 3);
        assert!(harmless <= 3, "{harmless} harmless edits");
    }

    #[test]
    fn bytes_after_the_compressed_stream_are_refused() {
        let s = share("lf-async");
        let text = encode(&s).unwrap();
        let mut bytes = BASE64.decode(&text[3..]).unwrap();
        assert_eq!(zlib_stream_len(&bytes), Some(bytes.len()));
        for extra in [&b"\0"[..], b"trailing text", &bytes.clone()] {
            bytes.truncate(BASE64.decode(&text[3..]).unwrap().len());
            bytes.extend_from_slice(extra);
            let longer = format!("v1.{}", BASE64.encode(&bytes));
            match decode(&longer) {
                Err(LinkError::CorruptData { detail }) => assert!(detail.contains("after its end"), "{detail}"),
                other => panic!("{} extra bytes: {other:?}", extra.len()),
            }
        }
        assert_eq!(decode(&text).unwrap(), s, "the link itself still decodes");
    }

    #[test]
    fn oversized_links_and_zip_bombs_are_refused() {
        let long = format!("v1.{}", "A".repeat(MAX_LINK_CHARS));
        assert_eq!(decode(&long).unwrap_err(), LinkError::TooLong { chars: MAX_LINK_CHARS + 3, max: MAX_LINK_CHARS });
        // 8 MiB of spaces compress to about 8 KB: a short link that would inflate eightfold past the cap.
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![b' '; 8 << 20], 9);
        let text = format!("v1.{}", BASE64.encode(bomb));
        assert!(text.len() < MAX_LINK_CHARS);
        assert_eq!(decode(&text).unwrap_err(), LinkError::TooLarge { max: MAX_INFLATED_BYTES });
        assert_eq!(Share::from_json(&" ".repeat(MAX_INFLATED_BYTES + 1)).unwrap_err().kind(), "too_large");
    }

    #[test]
    fn a_valid_stream_of_something_else_is_named() {
        for (body, kind) in [
            (&b"not json"[..], "json"),
            (b"[1, 2]", "json"),
            (b"{\"scenario\": {}} trailing", "json"),
            (b"\xff\xfe", "json"),
            (b"{\"scenario\": {\"format\": \"replicalab-scenario\", \"version\": 7}}", "scenario"),
        ] {
            let text = format!("v1.{}", BASE64.encode(miniz_oxide::deflate::compress_to_vec_zlib(body, 6)));
            let e = decode(&text).unwrap_err();
            assert_eq!(e.kind(), kind, "{e}");
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn encoding_is_deterministic_and_canonical() {
        let s = share("github-2018");
        let a = encode(&s).unwrap();
        assert_eq!(a, encode(&s).unwrap());
        assert_eq!(encode(&decode(&a).unwrap()).unwrap(), a);
        assert_eq!(encode_url("https://x.test/app?p=1#old", &s).unwrap(), format!("https://x.test/app?p=1#{a}"));
    }
}
