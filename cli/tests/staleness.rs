//! `replicalab staleness` end to end: the JSON it prints, determinism, and its argument errors.

use std::process::{Command, Output};

use serde_json::Value;

fn replicalab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_replicalab")).args(args).output().expect("the binary runs")
}

fn staleness(extra: &[&str]) -> Output {
    let mut args = vec!["staleness"];
    args.extend_from_slice(extra);
    replicalab(&args)
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// The command fails with a non-zero exit, no output, no panic, and a message containing `want`.
fn fails_with(extra: &[&str], want: &str) {
    let out = staleness(extra);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{extra:?} succeeded: {}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty(), "{extra:?} printed to stdout");
    assert!(stderr.contains(want), "{extra:?}: stderr does not mention {want:?}:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{extra:?} panicked:\n{stderr}");
}

const BASE: [&str; 10] = ["--n", "3", "--r", "1", "--w", "1", "--latency", "lnkd-ssd", "--trials", "20000"];

fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&'a str> = BASE.to_vec();
    args.extend_from_slice(extra);
    args
}

#[test]
fn prints_points_and_latency_quantiles() {
    let v = json(&staleness(&with(&["--t", "0,1,5,10", "--seed", "3"])));
    assert_eq!((v["n"].as_u64(), v["r"].as_u64(), v["w"].as_u64()), (Some(3), Some(1), Some(1)));
    assert_eq!(v["latency"], "lnkd-ssd");
    assert_eq!(v["trials"].as_u64(), Some(20_000));
    let points = v["points"].as_array().expect("points");
    let ts: Vec<f64> = points.iter().map(|p| p["t_ms"].as_f64().unwrap()).collect();
    assert_eq!(ts, [0.0, 1.0, 5.0, 10.0]);
    let ps: Vec<f64> = points.iter().map(|p| p["p_consistent"].as_f64().unwrap()).collect();
    assert!(ps.windows(2).all(|w| w[0] <= w[1]), "non-decreasing in t: {ps:?}");
    assert!(ps[0] > 0.95 && ps[0] < 0.99, "LNKD-SSD right after commit: {ps:?}");
    assert!(points.iter().all(|p| p["std_error"].as_f64().is_some()));
    for lat in ["read_latency_ms", "write_latency_ms"] {
        let q: Vec<f64> = ["p50", "p99", "p999"].iter().map(|k| v[lat][k].as_f64().expect("a number")).collect();
        assert!(q[0] > 0.0 && q[0] <= q[1] && q[1] <= q[2], "{lat}: {q:?}");
    }
    assert!(v["t_visibility_ms"]["p999"].as_f64().unwrap() > 0.0);
    assert!(v.get("trials_per_second").is_none(), "timing only with --timing");
    assert!(v.get("k_staleness").is_none());
}

#[test]
fn same_seed_same_output_and_seeds_matter() {
    let a = staleness(&with(&["--t", "0,2.5"]));
    let b = staleness(&with(&["--t", "0,2.5"]));
    let c = staleness(&with(&["--t", "0,2.5", "--seed", "2"]));
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
}

#[test]
fn strict_quorums_are_always_consistent() {
    let v = json(&staleness(&[
        "--n",
        "3",
        "--r",
        "2",
        "--w",
        "2",
        "--latency",
        "ymmr",
        "--t",
        "0,0.25",
        "--trials",
        "5000",
    ]));
    for p in v["points"].as_array().unwrap() {
        assert_eq!(p["p_consistent"].as_f64(), Some(1.0), "{p}");
    }
}

#[test]
fn fractions_exponentials_timing_and_k() {
    let v = json(&staleness(&[
        "--n",
        "3",
        "--r",
        "1",
        "--w",
        "1",
        "--latency",
        "exp:0.1",
        "--t",
        "0.5,12.75",
        "--trials",
        "5000",
        "--k",
        "1,2",
        "--timing",
    ]));
    assert_eq!(v["latency"], "exp:0.1");
    assert_eq!(v["points"][1]["t_ms"].as_f64(), Some(12.75));
    assert!(v["trials_per_second"].as_f64().unwrap() > 0.0);
    let k = v["k_staleness"].as_array().unwrap();
    assert_eq!(k[0]["k"].as_u64(), Some(1));
    assert!((k[0]["p_within_k"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert!((k[1]["p_within_k"].as_f64().unwrap() - 5.0 / 9.0).abs() < 1e-12);
    for name in ["lnkd-disk", "ymmr-alpha-3.35", "wan", "exp:4:2", "LNKD-SSD"] {
        json(&staleness(&["--n", "5", "--r", "2", "--w", "2", "--latency", name, "--trials", "1000"]));
    }
}

#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let args = |q: &[&'static str]| -> Vec<&'static str> { [q, &["--latency", "lnkd-ssd"]].concat() };
    fails_with(&args(&["--n", "3", "--r", "4", "--w", "1"]), "R (read quorum) must be between 1 and N = 3, got 4");
    fails_with(&args(&["--n", "3", "--r", "0", "--w", "1"]), "R (read quorum)");
    fails_with(&args(&["--n", "3", "--r", "1", "--w", "4"]), "W (write quorum) must be between 1 and N = 3, got 4");
    fails_with(&args(&["--n", "3", "--r", "1", "--w", "-1"]), "W (write quorum)");
    fails_with(&args(&["--n", "0", "--r", "1", "--w", "1"]), "N (replicas) must be between 1 and");
    fails_with(
        &args(&["--n", "3", "--r", "1", "--w", "1", "--t", "0,-1"]),
        "non-negative number of milliseconds, got \"-1\"",
    );
    fails_with(&args(&["--n", "3", "--r", "1", "--w", "1", "--t", "soon"]), "--t");
    fails_with(&args(&["--n", "3", "--r", "1", "--w", "1", "--t", "nan"]), "--t");
    fails_with(&args(&["--n", "3", "--r", "1", "--w", "1", "--trials", "0"]), "--trials must be between 1 and");
    fails_with(&args(&["--n", "3", "--r", "1", "--w", "1", "--k", "0"]), "k (versions) must be at least 1");
    let bad_latency =
        |name: &'static str| -> Vec<&'static str> { vec!["--n", "3", "--r", "1", "--w", "1", "--latency", name] };
    fails_with(
        &bad_latency("lnkd-nvme"),
        "unknown latency profile \"lnkd-nvme\"; expected one of lnkd-ssd, lnkd-disk, ymmr",
    );
    fails_with(&bad_latency("exp:0"), "exponential rate must be a positive number");
    fails_with(&bad_latency("exp:fast"), "exponential rate");
    // Missing required arguments are clap's errors: non-zero, and they name the argument.
    fails_with(&["--n", "3", "--r", "1", "--w", "1"], "--latency");
}

/// The estimate does not depend on how many threads run the trials (they run in fixed chunks,
/// each with its own random stream), for runs that end inside a chunk or on its boundary.
#[test]
fn the_estimate_is_the_same_on_any_number_of_threads() {
    for trials in ["65536", "200001"] {
        let run = |threads: &str| {
            let base = ["--n", "3", "--r", "1", "--w", "1", "--latency", "wan", "--t", "0,40,120"];
            let mut args = base.to_vec();
            args.extend_from_slice(&["--trials", trials, "--seed", "3", "--threads", threads]);
            json(&staleness(&args))
        };
        let one = run("1");
        for threads in ["2", "3", "7"] {
            assert_eq!(run(threads), one, "{trials} trials on {threads} threads");
        }
    }
}
