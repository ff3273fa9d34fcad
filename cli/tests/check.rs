//! `replicalab check` end to end: verdicts as JSON with exit status 0, the violating operations
//! with their lines, and a clear error (file and line, non-zero exit) for input it cannot read.
//! Tests that need `../shared/data` print why and pass when it is absent.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn replicalab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_replicalab")).args(args).output().expect("the binary runs")
}

fn verdict(out: &Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is absent", dir.display());
        None
    }
}

fn path(dir: &Path, rel: &str) -> String {
    dir.join(rel).display().to_string()
}

#[test]
fn a_linearizable_etcd_log() {
    let Some(d) = data() else { return };
    let file = path(&d, "porcupine/test_data/jepsen/etcd_002.log");
    let r = verdict(&replicalab(&["check", "--format", "porcupine-etcd", &file]));
    assert_eq!(r["linearizable"], true, "{r}");
    assert_eq!(r["verdict"], "linearizable");
    assert_eq!(r["model"], "cas-register");
    assert_eq!(r["initial"], serde_json::Value::Null);
    assert_eq!(r["violations"].as_array().unwrap().len(), 0);
}

#[test]
fn a_violating_etcd_log_names_the_operations_and_their_lines() {
    let Some(d) = data() else { return };
    let file = path(&d, "porcupine/test_data/jepsen/etcd_000.log");
    let r = verdict(&replicalab(&["check", "--format", "porcupine-etcd", &file]));
    assert_eq!(r["linearizable"], false, "{r}");
    let v = &r["violations"][0];
    let failing = &v["failing_op"];
    assert_eq!(failing["outcome"], "ok");
    assert!(failing["complete"]["line"].as_u64().unwrap() > failing["invoke"]["line"].as_u64().unwrap());
    let window = v["window"].as_array().unwrap();
    assert!(window.len() >= 2 && window.contains(failing), "{v}");
    assert_eq!(v["window_minimal"], true);
    // The same file printed twice is the same report.
    let again = verdict(&replicalab(&["check", "--format", "porcupine-etcd", &file]));
    assert_eq!(r, again);
}

#[test]
fn formats_pick_their_models_and_models_can_be_chosen() {
    let Some(d) = data() else { return };
    let kv =
        verdict(&replicalab(&["check", "--format", "porcupine-kv", &path(&d, "porcupine/test_data/kv/c01-bad.txt")]));
    assert_eq!((kv["model"].as_str(), kv["linearizable"].as_bool()), (Some("kv"), Some(false)));
    assert_eq!(kv["violations"][0]["key"], "7");
    assert_eq!(kv["violations"][0]["failing_op"]["complete"]["line"], 60);
    let edn = path(&d, "knossos/data/multi-register/good/multi-register.edn");
    let multi = verdict(&replicalab(&["check", "--format", "jepsen-edn", "--model", "multi-register", &edn]));
    assert_eq!((multi["linearizable"].as_bool(), multi["initial"].as_i64()), (Some(true), Some(0)));
    let mutex = path(&d, "knossos/data/mutex/bad/etcd.edn");
    let m = verdict(&replicalab(&["check", "--format", "jepsen-edn", "--model", "mutex", &mutex]));
    assert_eq!(m["linearizable"], false);
    let cas = path(&d, "knossos/data/cas-register/bad/rethink-fail-minimal.edn");
    let c = verdict(&replicalab(&["check", "--format", "jepsen-edn", &cas]));
    assert_eq!(c["violations"][0]["failing_op"]["complete"]["index"], 4);
    // A history of registers read as a mutex does not fit: an error, not a verdict.
    let out = replicalab(&["check", "--format", "jepsen-edn", "--model", "mutex", &cas]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no operation :write"));
}

#[test]
fn malformed_input_is_an_error_with_file_and_line() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join("check-malformed.log");
    std::fs::write(
        &file,
        "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\tnil\nINFO  jepsen.util - 1\t:invoke\t:cas\t[1 2\n",
    )
    .unwrap();
    let name = file.display().to_string();
    let out = replicalab(&["check", "--format", "porcupine-etcd", &name]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no verdict on stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{name}: line 3, column 36")), "{err}");
    assert!(err.contains("never closed"), "{err}");

    let edn = dir.join("check-malformed.edn");
    std::fs::write(&edn, "[{:process 0, :type :invoke, :f :read}\n {:process 0 :type :ok :f :read :value 1.5}]")
        .unwrap();
    let out = replicalab(&["check", "--format", "jepsen-edn", &edn.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2, column 40: only integers"), "{out:?}");

    let out = replicalab(&["check", "--format", "csv", &name]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("porcupine-etcd, porcupine-kv, jepsen-edn"));
    let out = replicalab(&["check", "--format", "jepsen-edn", "/nonexistent/history.edn"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/history.edn: cannot read"));
}

#[test]
fn an_exhausted_budget_is_undecided_not_a_verdict() {
    let Some(d) = data() else { return };
    // Too few steps for etcd_002's search, and no violation to find in it.
    let file = path(&d, "porcupine/test_data/jepsen/etcd_002.log");
    let out = replicalab(&["check", "--format", "porcupine-etcd", "--budget", "10", &file]);
    assert_eq!(out.status.code(), Some(3));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((r["verdict"].as_str(), r["linearizable"].as_bool()), (Some("unknown"), None));
    assert_eq!(r["undecided"].as_array().unwrap().len(), 1);
}

#[test]
fn a_raw_test_run_is_read_from_standard_input_with_its_format_recognised() {
    let Some(d) = data() else { return };
    let log = read_to_string(&path(&d, "porcupine/test_data/jepsen/etcd_000.log"));
    // What `lein test` prints around the operations: banners, other loggers, the nemesis.
    let mut raw = String::from("lein test jepsen.etcd-test\nINFO  jepsen.core - Running test etcd\n");
    for (i, line) in log.lines().enumerate() {
        raw.push_str(line);
        raw.push('\n');
        if i % 40 == 7 {
            raw.push_str("INFO  jepsen.util - :nemesis\t:info\t:start\t\"Cut off {:n1 #{:n3 :n2}}\"\n");
            raw.push_str("WARN  jepsen.control - ssh timed out\n");
        }
    }
    raw.push_str("\nRan 1 tests containing 1 assertions.\n1 failures, 0 errors.\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_replicalab"))
        .args(["check", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(raw.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let r = verdict(&out);
    let direct = verdict(&replicalab(&["check", &path(&d, "porcupine/test_data/jepsen/etcd_000.log")]));
    assert_eq!((r["format"].as_str(), r["linearizable"].as_bool()), (Some("porcupine-etcd"), Some(false)), "{r}");
    assert_eq!(r["operations"], direct["operations"]);
    let nemesis = log.lines().enumerate().filter(|(i, _)| i % 40 == 7).count();
    assert_eq!(r["skipped"]["nemesis_events"], nemesis);
    assert_eq!(r["skipped"]["foreign_lines"], 2 + nemesis + 2);
    assert_eq!(r["skipped"]["first_foreign_line"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped"), "the skipping is said");
}

#[test]
fn the_verdict_path_stops_at_the_first_key_and_all_checks_every_key() {
    let Some(d) = data() else { return };
    let file = path(&d, "porcupine/test_data/kv/c50-bad.txt");
    let quick = verdict(&replicalab(&["check", &file]));
    let all = verdict(&replicalab(&["check", "--all", &file]));
    assert_eq!((quick["mode"].as_str(), all["mode"].as_str()), (Some("verdict"), Some("all")));
    assert_eq!((quick["linearizable"].as_bool(), all["linearizable"].as_bool()), (Some(false), Some(false)));
    let (q, a) = (quick["violations"].as_array().unwrap(), all["violations"].as_array().unwrap());
    assert_eq!(q.len(), 1, "one violation decides the verdict");
    assert!(a.len() > 1, "every key is reported: {}", a.len());
    assert_eq!(quick["not_checked"].as_u64().unwrap() + 1, quick["partitions"].as_u64().unwrap());
    assert_eq!(all["not_checked"], 0);
    assert!(a.iter().all(|v| v["window_minimal"] == true));
    // The key found first is one of them (its window may differ: the quick path finds it by
    // a local scan, the full one by exhaustive search).
    assert!(a.iter().any(|v| v["key"] == q[0]["key"]), "{}", q[0]["key"]);
    assert_eq!(q[0]["window_minimal"], true);
}

fn read_to_string(p: &str) -> String {
    std::fs::read_to_string(p).unwrap()
}
