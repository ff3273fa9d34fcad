//! `replicalab compare` end to end: JSON that is exactly the core's `Comparison`, a table with
//! every contender, and clear refusals with a non-zero exit, never a panic.

use std::process::{Command, Output};

use replicalab_core::compare::{self, CompareOptions, Comparison, Contender};

fn replicalab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_replicalab")).args(args).output().expect("the binary runs")
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
    assert!(!err.trim().is_empty(), "no message");
    err
}

#[test]
fn json_is_the_core_comparison_of_the_default_scenario() {
    let text = stdout(&replicalab(&["compare", "--format", "json", "--until", "2500", "--seeds", "3,4"]));
    let parsed: Comparison = serde_json::from_str(&text).expect("the output is a Comparison");
    let options = CompareOptions { seeds: vec![3, 4], until_ms: Some(2_500.0), ..Default::default() };
    let expected = compare::compare(&compare::default_scenario(), &options).unwrap();
    assert_eq!(parsed, expected);
    assert_eq!(parsed.rows.len(), 4);
    assert_eq!(parsed.until_ms, 2_500.0);
}

#[test]
fn the_table_names_every_contender_with_its_numbers() {
    let text = stdout(&replicalab(&["compare", "--until", "2500"]));
    for header in ["Strategy", "Consistency", "Availability", "Write latency", "Complexity"] {
        assert!(text.contains(header), "no column {header}:\n{text}");
    }
    for c in Contender::ALL {
        assert!(text.contains(c.title()), "no row for {c}:\n{text}");
        assert!(text.contains(&c.article().consistency), "no article words for {c}:\n{text}");
    }
    assert!(text.contains("% ok") && text.contains("p50") && text.contains("lost"), "{text}");
    assert_eq!(text, stdout(&replicalab(&["compare", "--until", "2500", "--format", "table"])), "not deterministic");
}

#[test]
fn only_picks_contenders_in_the_order_given() {
    let text = stdout(&replicalab(&["compare", "--only", "leaderless,sync", "--until", "1500", "--format", "json"]));
    let c: Comparison = serde_json::from_str(&text).unwrap();
    assert_eq!(c.rows.iter().map(|r| r.contender).collect::<Vec<_>>(), vec![Contender::Leaderless, Contender::Sync]);
    let table = stdout(&replicalab(&["compare", "--only", "multi", "--until", "1500"]));
    assert!(table.contains("Multi-leader") && !table.contains("Single leader, sync"), "{table}");
}

#[test]
fn presets_and_files_are_compared_too() {
    let text =
        stdout(&replicalab(&["compare", "--preset", "ml-partition-converge", "--until", "1500", "--format", "json"]));
    let c: Comparison = serde_json::from_str(&text).unwrap();
    assert_eq!(c.scenario, "ml-partition-converge");
    assert_eq!(c.rows.len(), 4);

    let dir = std::env::temp_dir().join(format!("replicalab-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.json");
    std::fs::write(&file, replicalab_core::presets::find("ll-strict-quorum").unwrap().json).unwrap();
    let table = stdout(&replicalab(&["compare", file.to_str().unwrap(), "--until", "1500"]));
    assert!(table.starts_with("ll-strict-quorum"), "{table}");
}

#[test]
fn bad_inputs_fail_with_a_message() {
    let err = refused(&replicalab(&["compare", "--only", "sync,paxos"]));
    assert!(err.contains("paxos") && err.contains("leaderless"), "{err}");
    let err = refused(&replicalab(&["compare", "--only", ","]));
    assert!(err.contains("at least one contender"), "{err}");
    let err = refused(&replicalab(&["compare", "--preset", "no-such-preset"]));
    assert!(err.contains("no preset named"), "{err}");
    let err = refused(&replicalab(&["compare", "/nonexistent/scenario.json"]));
    assert!(err.contains("cannot read"), "{err}");
    let err = refused(&replicalab(&["compare", "--until=-5"]));
    assert!(err.contains("--until"), "{err}");
    let err = refused(&replicalab(&["compare", "--seeds", "1,x"]));
    assert!(err.contains("seeds"), "{err}");
    let err = refused(&replicalab(&["compare", "--format", "xml"]));
    assert!(err.contains("xml"), "{err}");

    let dir = std::env::temp_dir().join(format!("replicalab-compare-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(&file, r#"{"format": "replicalab-scenario", "version": 1, "cluster": {"nodes": 0}}"#).unwrap();
    let err = refused(&replicalab(&["compare", file.to_str().unwrap()]));
    assert!(err.contains("bad.json"), "{err}");
}
