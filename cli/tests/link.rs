//! `replicalab link encode` and `link decode` end to end: round trips through files, URLs and
//! standard input, and clear refusals with a non-zero exit, never a panic.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn replicalab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_replicalab")).args(args).output().expect("the binary runs")
}

fn with_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_replicalab"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn refused(out: &Output) -> String {
    assert!(!out.status.success(), "should fail: {}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.code(), Some(2), "an error, not a crash");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("replicalab-link-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_file_becomes_a_link_and_back_into_the_same_scenario() {
    let dir = temp_dir("roundtrip");
    let file = dir.join("s.json");
    std::fs::write(&file, replicalab_core::presets::find("ml-siblings").unwrap().json).unwrap();
    let link = stdout(&replicalab(&["link", "encode", file.to_str().unwrap()])).trim().to_string();
    assert!(link.starts_with("v1."), "{link}");

    let out = replicalab(&["link", "decode", &link]);
    let decoded = replicalab_core::Scenario::from_json(&stdout(&out)).unwrap();
    let original = replicalab_core::presets::find("ml-siblings").unwrap().scenario().unwrap();
    assert_eq!(decoded, original);
    assert!(String::from_utf8_lossy(&out.stderr).contains("playhead: 0 ms"));

    // The decoded file runs, and encodes to the same link.
    let back = dir.join("back.json");
    std::fs::write(&back, stdout(&out)).unwrap();
    assert_eq!(stdout(&replicalab(&["link", "encode", back.to_str().unwrap()])).trim(), link);
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&replicalab(&["run", back.to_str().unwrap(), "--until", "300"]))).unwrap();
    assert_eq!(report["scenario"], "ml-siblings");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn playhead_view_and_base_url_travel_in_the_link() {
    let url = stdout(&replicalab(&[
        "link",
        "encode",
        "--preset",
        "lf-sync",
        "--at",
        "2500.25",
        "--view",
        r#"{"panels": ["graph", "timeline"], "selected_node": 2, "theme": "dark"}"#,
        "--base",
        "https://replicalab.test/play?x=1#stale",
    ]))
    .trim()
    .to_string();
    assert!(url.starts_with("https://replicalab.test/play?x=1#v1."), "{url}");

    let out = replicalab(&["link", "decode", &url]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("playhead: 2500.25 ms"), "{err}");
    assert!(err.contains(r#""selected_node":2"#) && err.contains("dark"), "{err}");

    let share: serde_json::Value =
        serde_json::from_str(&stdout(&replicalab(&["link", "decode", &url, "--share"]))).unwrap();
    assert_eq!(share["at_ms"], 2500.25);
    assert_eq!(share["view"]["panels"], serde_json::json!(["graph", "timeline"]));
    assert_eq!(share["scenario"]["name"], "lf-sync");

    // A share file encodes back to the same link; the fragment alone decodes too.
    let dir = temp_dir("share");
    let file = dir.join("share.json");
    std::fs::write(&file, share.to_string()).unwrap();
    let fragment = &url[url.find('#').unwrap()..];
    assert_eq!(stdout(&replicalab(&["link", "encode", file.to_str().unwrap()])).trim(), &fragment[1..]);
    let again: serde_json::Value =
        serde_json::from_str(&stdout(&replicalab(&["link", "decode", fragment, "--share"]))).unwrap();
    assert_eq!(again, share);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn standard_input_works_both_ways() {
    let text = replicalab_core::presets::find("lf-async").unwrap().json;
    let link = stdout(&with_stdin(&["link", "encode", "-"], text));
    let scenario = stdout(&with_stdin(&["link", "decode", "-"], &link));
    assert_eq!(
        replicalab_core::Scenario::from_json(&scenario).unwrap(),
        replicalab_core::Scenario::from_json(text).unwrap()
    );
}

#[test]
fn bad_links_are_refused_with_a_message() {
    let link = stdout(&replicalab(&["link", "encode", "--preset", "lf-async"])).trim().to_string();
    let mut changed = link.clone().into_bytes();
    changed[40] = if changed[40] == b'A' { b'B' } else { b'A' };
    let cases = [
        (link[..link.len() / 2].to_string(), "truncated"),
        (String::from_utf8(changed).unwrap(), "corrupt"),
        (format!("v9.{}", &link[3..]), "newer replicalab"),
        (format!("{}*{}", &link[..20], &link[21..]), "character 21"),
        ("https://replicalab.test/".to_string(), "not a replicalab link"),
        (format!("v1.{}", "A".repeat(70_000)), "too long"),
    ];
    for (input, want) in cases {
        let err = refused(&replicalab(&["link", "decode", &input]));
        assert!(err.starts_with("replicalab: ") && err.contains(want), "{want}: {err}");
    }
}

#[test]
fn encode_refuses_bad_input() {
    let dir = temp_dir("bad");
    let bad = dir.join("bad.json");
    let text = replicalab_core::presets::find("ll-strict-quorum").unwrap().json.replace("\"w\": 2", "\"w\": 5");
    assert_ne!(text, replicalab_core::presets::find("ll-strict-quorum").unwrap().json, "the preset sets w");
    std::fs::write(&bad, text).unwrap();
    let err = refused(&replicalab(&["link", "encode", bad.to_str().unwrap()]));
    assert!(err.contains("bad.json") && err.contains("protocol.leaderless.w"), "{err}");

    let err = refused(&replicalab(&["link", "encode", "--preset", "lf-sync", "--view", r#"{"selected_node": 7}"#]));
    assert!(err.contains("view.selected_node") && err.contains("unknown node 7"), "{err}");
    let err = refused(&replicalab(&["link", "encode", "--preset", "lf-sync", "--view", r#"{"zoom": 2}"#]));
    assert!(err.contains("--view") && err.contains("zoom"), "{err}");
    let err = refused(&replicalab(&["link", "encode", "--preset", "lf-sync", "--at", "-5"]));
    assert!(err.contains("at_ms"), "{err}");
    let err = refused(&replicalab(&["link", "encode", dir.join("missing.json").to_str().unwrap()]));
    assert!(err.contains("cannot read"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
