//! `replicalab staleness`: how likely is a read to see a write `t` ms after it committed, under
//! partial quorums? Runs the PBS WARS Monte Carlo model (`replicalab_core::pbs`) and prints
//! JSON. The output depends only on the arguments: same seed, same output, on every platform
//! (unless `--timing` adds the measured speed).

use std::time::Instant;

use clap::Args;
use replicalab_core::pbs::{self, k_staleness, Histogram, PbsError, Profile, WarsConfig};
use serde::Serialize;

/// Most trials one command may ask for.
const MAX_TRIALS: u64 = 1_000_000_000;

#[derive(Args, Debug)]
pub struct StalenessArgs {
    /// Replicas (N).
    #[arg(long, allow_negative_numbers = true)]
    n: i64,
    /// Read quorum (R): responses a read waits for.
    #[arg(long, allow_negative_numbers = true)]
    r: i64,
    /// Write quorum (W): acknowledgements a write waits for.
    #[arg(long, allow_negative_numbers = true)]
    w: i64,
    /// Latency profile: lnkd-ssd, lnkd-disk, ymmr, ymmr-alpha-3.35, wan, exp:LAMBDA (W
    /// exponential with rate LAMBDA per ms, A = R = S with rate 1) or exp:W_LAMBDA:ARS_LAMBDA.
    #[arg(long, value_name = "PROFILE")]
    latency: String,
    /// Milliseconds between the write's commit and the read's start, comma-separated
    /// (fractions allowed).
    #[arg(long, value_name = "MS,...", value_delimiter = ',', allow_hyphen_values = true, default_value = "0")]
    t: Vec<String>,
    /// Monte Carlo trials (one write and one read each).
    #[arg(long, default_value_t = 1_000_000)]
    trials: u64,
    /// Seed of the random number generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also give the closed-form probability of reading one of the last k versions, for each k
    /// (comma-separated).
    #[arg(long, value_name = "K,...", value_delimiter = ',')]
    k: Vec<u32>,
    /// Add the run's wall-clock time and trials per second (these vary from run to run).
    #[arg(long)]
    timing: bool,
    /// Threads to run the trials on (default: every core). The estimate is the same whatever
    /// the number: trials run in fixed chunks, each with its own random stream.
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Serialize)]
struct Output {
    n: usize,
    r: usize,
    w: usize,
    latency: String,
    trials: u64,
    seed: u64,
    points: Vec<PointOut>,
    /// Milliseconds after commit until the given fraction of reads is consistent.
    t_visibility_ms: Visibility,
    read_latency_ms: Latency,
    write_latency_ms: Latency,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    k_staleness: Vec<KOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    elapsed_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trials_per_second: Option<f64>,
}

#[derive(Serialize)]
struct PointOut {
    t_ms: f64,
    p_consistent: f64,
    /// Binomial standard error of `p_consistent`.
    std_error: f64,
}

#[derive(Serialize)]
struct Visibility {
    p90: f64,
    p99: f64,
    p999: f64,
}

#[derive(Serialize)]
struct Latency {
    p50: f64,
    p99: f64,
    p999: f64,
}

#[derive(Serialize)]
struct KOut {
    k: u32,
    /// Probability that a read returns one of the last k versions: 1 - (C(N-W,R)/C(N,R))^k.
    p_within_k: f64,
}

fn q(h: &Histogram, p: f64) -> f64 {
    // Every run has at least one trial, so the histograms are never empty.
    h.quantile(p).unwrap_or(0.0)
}

fn parse_times(texts: &[String]) -> Result<Vec<f64>, String> {
    texts
        .iter()
        .map(|s| match s.trim().parse::<f64>() {
            Ok(t) if t.is_finite() && t >= 0.0 => Ok(t),
            _ => Err(format!("--t: each time must be a non-negative number of milliseconds, got {s:?}")),
        })
        .collect()
}

pub fn run(args: StalenessArgs) -> Result<(), String> {
    let profile = Profile::parse(&args.latency).map_err(|e| format!("--latency: {e}"))?;
    let cfg = WarsConfig::new(args.n, args.r, args.w, profile).map_err(|e| e.to_string())?;
    let ts = parse_times(&args.t)?;
    if args.trials == 0 || args.trials > MAX_TRIALS {
        return Err(format!("--trials must be between 1 and {MAX_TRIALS}, got {}", args.trials));
    }
    let k_staleness = args
        .k
        .iter()
        .map(|&k| {
            let (n, r, w) = (cfg.n() as u64, cfg.r() as u64, cfg.w() as u64);
            let p_within_k = k_staleness::p_within_k(n, r, w, k).map_err(|e: PbsError| format!("--k: {e}"))?;
            Ok(KOut { k, p_within_k })
        })
        .collect::<Result<Vec<_>, String>>()?;

    let started = Instant::now();
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let est = pbs::estimate_on_threads(cfg, &ts, args.trials, args.seed, threads).map_err(|e| e.to_string())?;
    let elapsed = started.elapsed().as_secs_f64();

    let out = Output {
        n: cfg.n(),
        r: cfg.r(),
        w: cfg.w(),
        latency: profile.to_string(),
        trials: est.trials,
        seed: args.seed,
        points: est
            .points
            .iter()
            .map(|p| PointOut { t_ms: p.t_ms, p_consistent: p.p_consistent(), std_error: p.std_error() })
            .collect(),
        t_visibility_ms: Visibility {
            p90: q(&est.window, 0.9),
            p99: q(&est.window, 0.99),
            p999: q(&est.window, 0.999),
        },
        read_latency_ms: Latency {
            p50: q(&est.read_latency, 0.5),
            p99: q(&est.read_latency, 0.99),
            p999: q(&est.read_latency, 0.999),
        },
        write_latency_ms: Latency {
            p50: q(&est.write_latency, 0.5),
            p99: q(&est.write_latency, 0.99),
            p999: q(&est.write_latency, 0.999),
        },
        k_staleness,
        elapsed_s: args.timing.then_some(elapsed),
        trials_per_second: args.timing.then(|| est.trials as f64 / elapsed.max(1e-9)),
    };
    outln!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
    Ok(())
}
