//! The `replicalab` binary end to end: report fields, presets, errors and exit codes.

use std::process::{Command, Output};

fn replicalab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_replicalab")).args(args).output().expect("the binary runs")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn run_prints_the_report_fields() {
    let r = json(&replicalab(&["run", "--preset", "lf-sync"]));
    let hash = r["trace_hash"].as_str().unwrap();
    assert_eq!(hash.len(), 16);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(r["events"].as_u64().unwrap() > 1000);
    assert_eq!(r["end_time_ms"].as_f64(), Some(9000.0));
    let history = r["history"].as_array().unwrap();
    assert!(history.len() > 100);
    let op = &history[0];
    for field in ["id", "client", "node", "f", "key", "invoke_ms", "outcome"] {
        assert!(op.get(field).is_some(), "history entries have {field}: {op}");
    }
    assert!(r["anomalies"].is_array());
    let m = &r["metrics"];
    for lat in ["write_latency_ms", "read_latency_ms"] {
        for q in ["p50", "p99", "p999"] {
            assert!(m[lat][q].as_f64().is_some(), "metrics.{lat}.{q}");
        }
    }
    let availability = m["availability"].as_f64().unwrap();
    assert!(availability > 0.5 && availability < 1.0, "follower outage makes some writes time out: {availability}");
    assert!(m["max_lag_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn anomalies_have_kind_time_and_ids() {
    let r = json(&replicalab(&["run", "--preset", "lf-async-crash-unflushed"]));
    let anomalies = r["anomalies"].as_array().unwrap();
    let lost = anomalies.iter().find(|a| a["kind"] == "lost_write").expect("a lost write");
    assert!(lost["time_ms"].as_f64().is_some());
    assert!(!lost["ops"].as_array().unwrap().is_empty());
    assert!(!lost["nodes"].as_array().unwrap().is_empty());
}

#[test]
fn seed_and_until_change_the_run() {
    let a = json(&replicalab(&["run", "--preset", "lf-async", "--until", "1000"]));
    let b = json(&replicalab(&["run", "--preset", "lf-async", "--until", "1000", "--seed", "2"]));
    let c = json(&replicalab(&["run", "--preset", "lf-async", "--until", "1000"]));
    assert_eq!(a["end_time_ms"].as_f64(), Some(1000.0));
    assert_ne!(a["trace_hash"], b["trace_hash"]);
    assert_eq!(a["trace_hash"], c["trace_hash"]);
}

#[test]
fn presets_list_and_show() {
    let out = replicalab(&["presets"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for p in replicalab_core::presets::PRESETS {
        let line = text.lines().find(|l| l.starts_with(p.name)).unwrap_or_else(|| panic!("{} listed", p.name));
        assert!(line.len() > p.name.len() + 10, "{} has a description", p.name);
    }
    let shown = replicalab(&["presets", "--show", "lf-semi-sync"]);
    let s = replicalab_core::Scenario::from_json(&String::from_utf8(shown.stdout).unwrap()).unwrap();
    assert_eq!(s.name, "lf-semi-sync");
}

#[test]
fn a_scenario_file_runs_and_a_bad_one_is_explained() {
    let dir = std::env::temp_dir().join(format!("replicalab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    std::fs::write(&good, replicalab_core::presets::find("lf-async").unwrap().json).unwrap();
    let r = json(&replicalab(&["run", good.to_str().unwrap(), "--until", "500"]));
    assert_eq!(r["scenario"], "lf-async");

    let bad = dir.join("bad.json");
    let text = replicalab_core::presets::find("lf-sync").unwrap().json.replace("\"node\": 2", "\"node\": 12");
    std::fs::write(&bad, text).unwrap();
    let out = replicalab(&["run", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("commands[0].crash.node") && err.contains("unknown node 12"),
        "{err}"
    );

    let out = replicalab(&["run", dir.join("missing.json").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));

    let out = replicalab(&["run", "--preset", "nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lf-sync"), "lists the presets");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn long_runs_compact_and_keep_everything_keeps_the_whole_history() {
    let args = ["run", "--preset", "lf-async", "--until", "300000"];
    let compacted = json(&replicalab(&args));
    let kept = json(&replicalab(&[&args[..], &["--keep-everything"]].concat()));
    let (held, all) = (compacted["history"].as_array().unwrap().len(), kept["history"].as_array().unwrap().len());
    let dropped = compacted["history_dropped"].as_u64().unwrap() as usize;
    assert!(all > 50_000, "{all} operations in five minutes");
    assert!(held < all / 3, "compaction kept {held} of {all}");
    assert_eq!(held + dropped, all);
    assert!(kept.get("history_dropped").is_none());
    // The same run, and its totals count all of it either way. (The trace hashes may differ:
    // the report's end-of-run linearizability check looks at the operations still held.)
    assert_eq!(compacted["events"], kept["events"]);
    assert_eq!(compacted["metrics"]["ops_ok"], kept["metrics"]["ops_ok"]);
    assert_eq!(compacted["metrics"]["write_latency_ms"]["count"], kept["metrics"]["write_latency_ms"]["count"]);
}

#[test]
fn until_is_limited_like_a_scenario_duration() {
    for bad in ["1e300", "-1", "NaN", "inf", "86400001"] {
        let until = format!("--until={bad}");
        for cmd in [&["run", "--preset", "lf-async", until.as_str()][..], &["hashes", until.as_str()][..]] {
            let out = replicalab(cmd);
            assert_eq!(out.status.code(), Some(2), "{cmd:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("--until must be between 0 and 86400000"), "{cmd:?}: {err}");
            assert!(out.stdout.is_empty());
        }
    }
    let out = replicalab(&["run", "--preset", "lf-async", "--until", "0"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn explore_passes_a_safe_family_and_shrinks_a_counterexample_into_a_link() {
    let out = replicalab(&["explore", "lf-majority", "--schedules", "12", "--jobs", "2"]);
    let r = json(&out);
    assert_eq!((r["run"].as_u64(), r["passed"].as_u64()), (Some(12), Some(12)), "{r}");
    assert!(r["checked"]["no_lost_write"].as_u64().unwrap() == 12, "{r}");
    assert!(r["violation"].is_null());
    assert!(String::from_utf8_lossy(&out.stderr).contains("12/12 schedules"));

    // Asynchronous acks with elections promise nothing about lost writes: asked, the explorer
    // finds a schedule that loses one, shrinks it, and prints it as a scenario and a link.
    let dir = std::env::temp_dir().join(format!("replicalab-explore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cx.json");
    let out = replicalab(&[
        "explore",
        "failover-async-loss",
        "--schedules",
        "200",
        "--property",
        "no_lost_write",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = &r["violation"];
    assert_eq!(v["property"], "no_lost_write", "{r}");
    let shrunk = v["shrunk_faults"].as_array().unwrap().len();
    assert!(shrunk >= 1 && shrunk as u64 <= v["faults"].as_u64().unwrap(), "{v}");
    // The scenario file and the link carry the same counterexample, and it still loses a write.
    let decoded = replicalab(&["link", "decode", v["link"].as_str().unwrap()]);
    let from_link: serde_json::Value = serde_json::from_slice(&decoded.stdout).unwrap();
    let from_file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(from_link, from_file);
    let report = json(&replicalab(&["run", file.to_str().unwrap()]));
    assert!(report["anomaly_counts"]["lost_write"].as_u64().unwrap_or(0) > 0, "{}", report["anomaly_counts"]);
    // A property that does not exist is named as such.
    let out = replicalab(&["explore", "lf-sync", "--property", "fast"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no property named \"fast\""));
    std::fs::remove_dir_all(&dir).ok();
}

/// A reader that stops early (`replicalab run … | head -2`) ends the program quietly: exit
/// status 0 and nothing on standard error, not a panic about a broken pipe.
#[test]
fn a_reader_that_stops_early_ends_the_program_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    for args in [&["run", "--preset", "lf-async", "--trace", "5000"][..], &["presets", "--show", "ml-crdt-merge"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_replicalab"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let mut first = [0u8; 16];
        child.stdout.take().expect("piped").read_exact(&mut first).expect("some output");
        // (Dropping the pipe's read end closes it: the next write fails.)
        let out = child.wait_with_output().expect("it ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?}, stderr: {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
