//! The PBS staleness model (`replicalab_core::pbs`) against the numbers published in
//! *Probabilistically Bounded Staleness for Practical Partial Quorums* (Bailis et al., PVLDB
//! 2012).
//!
//! `../shared/data/pbs/wars-model.json` (relative to the workspace root) holds the model, the
//! fitted distributions and some published results; every figure it lists is checked here, and
//! its distribution parameters are compared with ours. The paper's other figures (its
//! t-visibility table and the numbers quoted in its text) are in [`PAPER`] below. The test
//! skips, saying so, when `../shared` is absent.
//!
//! **Tolerance.** A published figure is itself a Monte Carlo estimate, printed with a few
//! digits. Ours must agree within the rounding of the printed digits plus `Z = 4.5` standard
//! errors of the difference: `Z * sqrt(σ_ours² + σ_paper²)`, with `σ = sqrt(p (1 - p) / n)`
//! for our trial count and for the paper's: 10,000 writes for its t-visibility curves (stated
//! for the production curves; the synthetic-exponential sweep states none and is credited with
//! the same), 50,000 for the t column of its table, 1M for its latency columns. The LNKD-SSD and
//! YMMR probabilities from the data file are held to our error alone. Quantiles (a time or a
//! latency at 99.9%) are checked through the CDF: at the published value, widened by its
//! rounding or sweep step, our fraction must straddle 0.999 within the same tolerance. Seeds
//! are fixed: the test is deterministic.
//!
//! **The paper's t at 99.9% is biased low.** Its simulator sweeps `t` over a grid, runs fresh
//! trials at each point and reports the first point whose estimate reaches 99.9%; noise makes
//! that first point come early, most where the curve is flat (YMMR's long tail). All ten
//! non-zero values in its table lie below where our curve reaches 99.9%, by 2% to 13%. Running
//! the same sweep on our curve ([`paper_sweep`]) reproduces each of them: every published value
//! lies within the central 99% of such sweeps. That check needs an accurate curve (4M trials a
//! row), so it is ignored in the default run: `cargo test --release -p replicalab-tests --test
//! pbs -- --ignored --nocapture`.
//!
//! Run with `cargo test -p replicalab-tests --test pbs -- --nocapture` to see every figure next
//! to ours.

use std::path::PathBuf;

use replicalab_core::pbs::dist::Shape;
use replicalab_core::pbs::profiles::{WAN_REMOTE_ONE_WAY_MS, YMMR_W_ALPHA, YMMR_W_ALPHA_PRINTED};
use replicalab_core::pbs::{k_staleness, Profile, Wars, WarsConfig};
use replicalab_core::rng::SimRng;
use serde_json::Value;

/// Standard errors allowed.
const Z: f64 = 4.5;
/// Trials for the figures the data file lists.
const FILE_TRIALS: u64 = 1_000_000;
/// Trials for the paper's other figures (enough for their tolerance; keeps debug builds quick).
const PAPER_TRIALS: u64 = 200_000;
/// Trial counts the paper states.
const PAPER_CURVE_TRIALS: u64 = 10_000;
const PAPER_TABLE_T_TRIALS: u64 = 50_000;
const PAPER_TABLE_LATENCY_TRIALS: u64 = 1_000_000;

fn wars_model() -> Option<Value> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root.join("../shared/data/pbs/wars-model.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("wars-model.json is JSON")),
        Err(e) => {
            println!("skipping: cannot read {} ({e})", path.display());
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running the model and counting exactly.

/// Exact counts from `trials` WARS trials.
struct Counts {
    trials: u64,
    /// Consistent reads at each `t`.
    consistent: Vec<u64>,
    /// Reads (writes) with latency `<= x`, for each threshold.
    read_le: Vec<u64>,
    write_le: Vec<u64>,
    /// Every trial's staleness window, sorted: `P(consistent at t)` is the fraction `<= t`.
    windows: Vec<f64>,
}

impl Counts {
    fn p(&self, i: usize) -> f64 {
        self.consistent[i] as f64 / self.trials as f64
    }
}

fn run(
    profile: Profile,
    (n, r, w): (i64, i64, i64),
    trials: u64,
    seed: u64,
    ts: &[f64],
    lat: (&[f64], &[f64]),
) -> Counts {
    let cfg = WarsConfig::new(n, r, w, profile).expect("valid configuration");
    let mut model = Wars::new(cfg);
    let mut rng = SimRng::new(seed);
    let (read_x, write_x) = lat;
    let mut c = Counts {
        trials,
        consistent: vec![0; ts.len()],
        read_le: vec![0; read_x.len()],
        write_le: vec![0; write_x.len()],
        windows: Vec::with_capacity(trials as usize),
    };
    for _ in 0..trials {
        let trial = model.trial(&mut rng);
        for (k, &t) in ts.iter().enumerate() {
            c.consistent[k] += trial.consistent_at(t) as u64;
        }
        for (k, &x) in read_x.iter().enumerate() {
            c.read_le[k] += (trial.read_ms <= x) as u64;
        }
        for (k, &x) in write_x.iter().enumerate() {
            c.write_le[k] += (trial.write_ms <= x) as u64;
        }
        c.windows.push(trial.window_ms());
    }
    c.windows.sort_by(f64::total_cmp);
    c
}

fn sigma(p: f64, n: u64) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt()
}

/// Half a unit in the last printed digit of `text` ("0.974" → 0.0005, "1.88e-06" → 5e-9).
fn half_unit(text: &str) -> f64 {
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().expect("exponent")),
        None => (text, 0),
    };
    let decimals = mantissa.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
    0.5 * 10f64.powi(exp - decimals)
}

/// Stale reads among `n` fresh trials that are each stale with probability `q`: exact, by
/// geometric gaps between stale trials.
fn binomial(n: u64, q: f64, rng: &mut SimRng) -> u64 {
    if q <= 0.0 {
        return 0;
    }
    let log_keep = (-q).ln_1p();
    let (mut at, mut count) = (0u64, 0u64);
    loop {
        let gap = ((1.0 - rng.unit()).ln() / log_keep).floor();
        if gap >= (n - at) as f64 {
            return count;
        }
        at += gap as u64 + 1;
        count += 1;
    }
}

/// The paper's way to find "t at 99.9%": sweep `t` over a grid, run `n_pub` fresh trials at each
/// point, report the first point whose estimate reaches 0.999. Each point's estimate is noisy,
/// so the first one to reach the threshold tends to come early: the reported t is biased low,
/// more so where the curve is flat. Simulates that sweep `reps` times on our curve (`windows`,
/// sorted) and returns the reported values, sorted.
fn paper_sweep(windows: &[f64], (start, step, end): (f64, f64, f64), n_pub: u64, reps: usize, seed: u64) -> Vec<f64> {
    let p_stale = |t: f64| windows.len() as f64 - windows.partition_point(|&w| w <= t) as f64;
    let allowed = (0.001 * n_pub as f64).floor() as u64;
    let points = ((end - start) / step).round() as u64;
    let mut rng = SimRng::new(seed);
    let mut out = Vec::with_capacity(reps);
    for _ in 0..reps {
        let mut reported = end;
        for i in 0..=points {
            let t = start + i as f64 * step;
            let q = p_stale(t) / windows.len() as f64;
            let mean = q * n_pub as f64;
            if mean - 8.0 * mean.sqrt() > allowed as f64 {
                continue; // this point cannot reach 99.9%: skip the draws
            }
            if binomial(n_pub, q, &mut rng) <= allowed {
                reported = t;
                break;
            }
        }
        out.push(reported);
    }
    out.sort_by(f64::total_cmp);
    out
}

// ---------------------------------------------------------------------------------------------
// Reporting: every check prints a line; failures are collected and asserted at the end.

#[derive(Default)]
struct Report {
    lines: Vec<String>,
    failures: Vec<String>,
}

impl Report {
    fn line(&mut self, ok: bool, text: String) {
        let line = format!("{} {text}", if ok { "ok  " } else { "FAIL" });
        println!("{line}");
        if !ok {
            self.failures.push(line.clone());
        }
        self.lines.push(line);
    }

    /// A probability: `|ours - published| <= half_unit + Z σ`.
    fn prob(&mut self, what: &str, ours: f64, n: u64, published: f64, half: f64, n_pub: Option<u64>) {
        let s_ours = sigma(published, n);
        let s_pub = n_pub.map_or(0.0, |m| sigma(published, m));
        let tol = half + Z * (s_ours * s_ours + s_pub * s_pub).sqrt();
        let dev = (ours - published).abs();
        let beyond_rounding = (dev - half).max(0.0);
        self.line(
            dev <= tol,
            format!(
                "{what}: ours {ours:.5} vs published {published} (± {half} rounding); off by {:.1} of our σ \
                 and {:.1} combined σ beyond the rounding",
                beyond_rounding / s_ours.max(1e-12),
                beyond_rounding / (s_ours * s_ours + s_pub * s_pub).sqrt().max(1e-12),
            ),
        );
    }

    /// A published lower bound on a probability: `ours >= bound - Z σ`.
    fn at_least(&mut self, what: &str, ours: f64, n: u64, bound: f64) {
        let s = sigma(bound, n).max(1.0 / n as f64);
        self.line(ours >= bound - Z * s, format!("{what}: ours {ours:.7} vs published > {bound}"));
    }

    /// A published quantile `x` at level `level` (a time or a latency), read through our CDF at
    /// `x - step` and `x + step`: `F(x - step) <= level + tol` and `F(x + step) >= level - tol`.
    #[allow(clippy::too_many_arguments)]
    fn quantile(&mut self, what: &str, x: f64, step: f64, below: f64, above: f64, n: u64, n_pub: u64, level: f64) {
        let tol = Z * (sigma(level, n).powi(2) + sigma(level, n_pub).powi(2)).sqrt();
        let ok = below <= level + tol && above >= level - tol;
        self.line(
            ok,
            format!(
                "{what}: published {x} (± {step}); ours F({:.4}) = {below:.5}, F({:.4}) = {above:.5}, \
                 straddling {level} ± {tol:.5}",
                x - step,
                x + step
            ),
        );
    }

    /// A published claim we do not reproduce, printed for the record.
    fn note(&mut self, text: String) {
        let line = format!("note {text}");
        println!("{line}");
        self.lines.push(line);
    }

    fn finish(self, name: &str) {
        assert!(
            self.failures.is_empty(),
            "{name}: {} of {} checks failed:\n{}",
            self.failures.len(),
            self.lines.len(),
            self.failures.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The data file.

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} is a number in {v}"))
}

/// A published value as text: numbers keep their printed digits ("0.6667").
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks a closed-form value against a published number or a string like
/// `">0.868 (exact 0.868313)"`.
fn check_closed_form(report: &mut Report, what: &str, ours: f64, published: &Value) {
    let text = text_of(published);
    if let Some(rest) = text.strip_prefix('>') {
        let bound: f64 = rest.split_whitespace().next().and_then(|b| b.parse().ok()).expect("a bound");
        report.line(ours > bound, format!("{what}: ours {ours:.6} vs published > {bound}"));
        if let Some(exact) = text.split("exact ").nth(1) {
            let exact = exact.trim_end_matches(')');
            let value: f64 = exact.parse().expect("the exact value is a number");
            let half = half_unit(exact);
            report.line((ours - value).abs() <= half, format!("{what}: ours {ours:.6} vs exact {exact} (± {half})"));
        }
    } else {
        let value: f64 = text.parse().expect("a published number");
        let half = half_unit(&text);
        report.line((ours - value).abs() <= half, format!("{what}: ours {ours:.7} vs published {text} (± {half:e})"));
    }
}

#[test]
fn closed_form_k_staleness_examples() {
    let Some(model) = wars_model() else { return };
    let mut report = Report::default();
    let examples = model["closed_form_k_staleness"]["examples_from_text"].as_array().expect("examples");
    assert!(!examples.is_empty());
    for ex in examples {
        let (n, r, w) = (num(ex, "N") as u64, num(ex, "R") as u64, num(ex, "W") as u64);
        let k = num(ex, "k") as u32;
        let what = format!("k-staleness N={n} R={r} W={w} k={k}");
        let mut checked = 0;
        for (key, value) in ex.as_object().unwrap() {
            let ours = match key.as_str() {
                "N" | "R" | "W" | "k" | "note" => continue,
                "p_s" => k_staleness::p_stale(n, r, w).unwrap().powi(k as i32),
                "P_consistent" | "P_within_k" => k_staleness::p_within_k(n, r, w, k).unwrap(),
                other => panic!("{what}: a published field this test does not know: {other}"),
            };
            check_closed_form(&mut report, &format!("{what} {key}"), ours, value);
            checked += 1;
        }
        assert!(checked > 0, "{what}: nothing to check");
        // "same for R=2,W=1": the formula is symmetric in R and W.
        if ex.get("note").and_then(Value::as_str).is_some_and(|s| s.contains("R=2,W=1")) {
            let swapped = k_staleness::p_within_k(n, w, r, k).unwrap();
            let ours = k_staleness::p_within_k(n, r, w, k).unwrap();
            report.line((swapped - ours).abs() < 1e-12, format!("{what}: R and W swapped gives {swapped:.6}"));
        }
    }
    report.finish("closed-form k-staleness");
}

/// Our profiles use exactly the file's parameters (YMMR's write alpha aside, on purpose).
#[test]
fn distributions_match_the_file() {
    let Some(model) = wars_model() else { return };
    let d = &model["latency_distributions"];
    let mixture = |v: &Value| -> Vec<(f64, Shape)> {
        v["mixture"]
            .as_array()
            .expect("a mixture")
            .iter()
            .map(|part| {
                let shape = match part["dist"].as_str() {
                    Some("pareto") => Shape::Pareto { x_m: num(part, "x_m"), alpha: num(part, "alpha") },
                    Some("exponential") => Shape::Exponential { lambda: num(part, "lambda") },
                    other => panic!("unknown distribution {other:?}"),
                };
                (num(part, "p"), shape)
            })
            .collect()
    };
    let parts = |dist: &replicalab_core::pbs::dist::Dist| dist.parts().collect::<Vec<_>>();

    let ssd = mixture(&d["LNKD-SSD"]["W=A=R=S"]);
    let l = Profile::LnkdSsd.latencies();
    for leg in [&l.w, &l.a, &l.r, &l.s] {
        assert_eq!(parts(leg), ssd, "LNKD-SSD");
    }

    let disk_w = mixture(&d["LNKD-DISK"]["W"]);
    assert_eq!(d["LNKD-DISK"]["A=R=S"], "same as LNKD-SSD");
    let l = Profile::LnkdDisk.latencies();
    assert_eq!(parts(&l.w), disk_w, "LNKD-DISK W");
    for leg in [&l.a, &l.r, &l.s] {
        assert_eq!(parts(leg), ssd, "LNKD-DISK A=R=S");
    }

    let ymmr_w = mixture(&d["YMMR"]["W"]);
    let ymmr_ars = mixture(&d["YMMR"]["A=R=S"]);
    let printed = Profile::YmmrPrintedAlpha.latencies();
    assert_eq!(parts(&printed.w), ymmr_w, "ymmr-alpha-3.35 W is the file's fit");
    assert!(matches!(ymmr_w[0].1, Shape::Pareto { alpha, .. } if alpha == YMMR_W_ALPHA_PRINTED));
    let ours = Profile::Ymmr.latencies();
    let mut with_simulator_alpha = ymmr_w.clone();
    with_simulator_alpha[0].1 = match ymmr_w[0].1 {
        Shape::Pareto { x_m, .. } => Shape::Pareto { x_m, alpha: YMMR_W_ALPHA },
        other => panic!("YMMR W's first part is a Pareto, got {other:?}"),
    };
    assert_eq!(parts(&ours.w), with_simulator_alpha, "ymmr W: the file's fit with alpha 3.5");
    let note = d["YMMR"]["DISCREPANCY"].as_str().expect("the discrepancy note");
    assert!(note.contains("alpha = 3.5"), "{note}");
    for l in [&printed, &ours] {
        for leg in [&l.a, &l.r, &l.s] {
            assert_eq!(parts(leg), ymmr_ars, "YMMR A=R=S");
        }
    }

    let wan = Profile::Wan.latencies();
    assert_eq!(num(&d["WAN"], "remote_one_way_delay_ms"), WAN_REMOTE_ONE_WAY_MS);
    assert_eq!(wan.remote_one_way_ms, Some(WAN_REMOTE_ONE_WAY_MS));
    assert_eq!(parts(&wan.w), disk_w, "WAN W is LNKD-DISK's");
    for leg in [&wan.a, &wan.r, &wan.s] {
        assert_eq!(parts(leg), ssd, "WAN A=R=S are LNKD-SSD's");
    }
}

/// Every result under `published_results_for_validation`.
#[test]
fn published_results_in_the_file() {
    let Some(model) = wars_model() else { return };
    let mut report = Report::default();
    let results = model["published_results_for_validation"].as_object().expect("published results");
    for (key, value) in results {
        match key.as_str() {
            "note" => {}
            "synthetic_exponential_N3_R1_W1_ARS_lambda_1" => {
                for case in value.as_array().expect("a list") {
                    let w_lambda = num(case, "W_lambda");
                    let t99 = num(case, "t_for_99.9pct_ms");
                    let step = half_unit(&text_of(&case["t_for_99.9pct_ms"]));
                    let profile = Profile::Exponential { w_lambda, ars_lambda: 1.0 };
                    let ts = [0.0, (t99 - step).max(0.0), t99 + step];
                    let c = run(profile, (3, 1, 1), FILE_TRIALS, 11, &ts, (&[], &[]));
                    let p0 = &case["P_consistent_t0"];
                    // The paper states no trial count for this sweep; we assume the 10,000 of
                    // its other t-visibility curves.
                    report.prob(
                        &format!("exp W λ={w_lambda}, A=R=S λ=1, N=3 R=W=1, P(consistent, t=0)"),
                        c.p(0),
                        c.trials,
                        num(case, "P_consistent_t0"),
                        half_unit(&text_of(p0)),
                        Some(PAPER_CURVE_TRIALS),
                    );
                    report.quantile(
                        &format!("exp W λ={w_lambda}, t for 99.9% consistent"),
                        t99,
                        step,
                        c.p(1),
                        c.p(2),
                        c.trials,
                        PAPER_CURVE_TRIALS,
                        0.999,
                    );
                }
            }
            "LNKD-SSD_N3_R1_W1" => {
                let c = run(Profile::LnkdSsd, (3, 1, 1), FILE_TRIALS, 12, &[0.0, 5.0], (&[], &[]));
                for (field, v) in value.as_object().expect("an object") {
                    match field.as_str() {
                        "P_consistent_t0" => report.prob(
                            "LNKD-SSD N=3 R=W=1, P(consistent, t=0)",
                            c.p(0),
                            c.trials,
                            num(value, field),
                            half_unit(&text_of(v)),
                            None,
                        ),
                        "P_consistent_t5ms" => {
                            let bound: f64 = text_of(v).trim_start_matches('>').parse().expect("a bound");
                            report.at_least("LNKD-SSD N=3 R=W=1, P(consistent, t=5 ms)", c.p(1), c.trials, bound);
                        }
                        other => {
                            panic!("LNKD-SSD: a published field this test does not know: {other}")
                        }
                    }
                }
            }
            other => panic!("a published result this test does not check: {other}"),
        }
    }
    report.finish("published results in wars-model.json");
}

/// The YMMR note: the helper's 4e6-sample estimates for both alphas, and which one the paper's
/// 0.893 matches.
#[test]
fn ymmr_write_alpha_discrepancy() {
    let Some(model) = wars_model() else { return };
    let note = model["latency_distributions"]["YMMR"]["DISCREPANCY"].as_str().expect("the discrepancy note");
    // The numbers the note states, re-typed; the asserts keep them in step with the file.
    let (helper_335, helper_35, helper_trials, paper) = (0.8873, 0.8931, 4_000_000u64, 0.893);
    for s in ["0.8873 with 3.35", "0.8931 with 3.5", "4e6 samples", "reports 0.893"] {
        assert!(note.contains(s), "the note no longer says {s:?}: {note}");
    }
    let mut report = Report::default();
    let ours_35 = run(Profile::Ymmr, (3, 1, 1), FILE_TRIALS, 13, &[0.0], (&[], &[]));
    let ours_335 = run(Profile::YmmrPrintedAlpha, (3, 1, 1), FILE_TRIALS, 13, &[0.0], (&[], &[]));
    report.prob(
        "YMMR α=3.5 vs the note's helper",
        ours_35.p(0),
        ours_35.trials,
        helper_35,
        0.00005,
        Some(helper_trials),
    );
    report.prob(
        "YMMR α=3.35 vs the note's helper",
        ours_335.p(0),
        ours_335.trials,
        helper_335,
        0.00005,
        Some(helper_trials),
    );
    report.prob("YMMR α=3.5 vs the paper", ours_35.p(0), ours_35.trials, paper, half_unit("0.893"), None);
    // With only our own sampling error, alpha = 3.35 cannot give the paper's 0.893.
    let tol = half_unit("0.893") + Z * sigma(paper, ours_335.trials);
    report.line(
        (ours_335.p(0) - paper).abs() > tol,
        format!("YMMR α=3.35 does not give the paper's 0.893: ours {:.5}, tolerance {tol:.5}", ours_335.p(0)),
    );
    report.finish("YMMR alpha");
}

// ---------------------------------------------------------------------------------------------
// The paper's other figures.

/// One row of the paper's table of t-visibility at 99.9% and 99.9th-percentile latencies
/// (N = 3): `(R, W, L_r, L_w, t)`. Source: the paper's latency/staleness table (VLDB 2012;
/// the LNKD and YMMR columns are repeated in the CACM Research Highlight).
type Row = (i64, i64, f64, f64, f64);

struct Column {
    profile: Profile,
    /// The authors' simulator's `t` sweep for this profile: `(start, step, end)` in ms.
    sweep: (f64, f64, f64),
    rows: [Row; 6],
}

const FINE: (f64, f64, f64) = (0.0, 0.01, 3.99);
const MEDIUM: (f64, f64, f64) = (0.0, 0.1, 149.9);
const LONG: (f64, f64, f64) = (1.0, 1.0, 1499.0);

const TABLE: [Column; 4] = [
    Column {
        profile: Profile::LnkdSsd,
        sweep: FINE,
        rows: [
            (1, 1, 0.66, 0.66, 1.85),
            (1, 2, 0.66, 1.63, 1.79),
            (2, 1, 1.63, 0.65, 0.0),
            (2, 2, 1.62, 1.64, 0.0),
            (3, 1, 4.14, 0.65, 0.0),
            (1, 3, 0.65, 4.09, 0.0),
        ],
    },
    Column {
        profile: Profile::LnkdDisk,
        sweep: MEDIUM,
        rows: [
            (1, 1, 0.66, 10.99, 45.5),
            (1, 2, 0.65, 20.97, 43.3),
            (2, 1, 1.63, 10.9, 13.6),
            (2, 2, 1.64, 20.96, 0.0),
            (3, 1, 4.12, 10.89, 0.0),
            (1, 3, 0.65, 112.65, 0.0),
        ],
    },
    Column {
        profile: Profile::Ymmr,
        sweep: LONG,
        rows: [
            (1, 1, 5.58, 10.83, 1364.0),
            (1, 2, 5.61, 427.12, 1352.0),
            (2, 1, 32.6, 10.73, 202.0),
            (2, 2, 33.18, 428.11, 0.0),
            (3, 1, 219.27, 10.79, 0.0),
            (1, 3, 5.63, 1870.86, 0.0),
        ],
    },
    Column {
        profile: Profile::Wan,
        sweep: MEDIUM,
        rows: [
            (1, 1, 3.4, 55.12, 113.0),
            (1, 2, 3.4, 167.64, 0.0),
            (2, 1, 151.3, 56.36, 30.2),
            (2, 2, 151.31, 167.72, 0.0),
            (3, 1, 153.86, 55.19, 0.0),
            (1, 3, 3.44, 241.55, 0.0),
        ],
    },
];

fn check_column(col: &Column, seed: u64) {
    let Some(_) = wars_model() else { return };
    let mut report = Report::default();
    for (k, &(r, w, l_r, l_w, t)) in col.rows.iter().enumerate() {
        let (h_r, h_w) = (half_unit(&format!("{l_r}")).max(0.005), half_unit(&format!("{l_w}")).max(0.005));
        let ts = [(t - col.sweep.1).max(0.0), t + col.sweep.1, t];
        let c = run(
            col.profile,
            (3, r, w),
            PAPER_TRIALS,
            seed + k as u64,
            &ts,
            (&[l_r - h_r, l_r + h_r], &[l_w - h_w, l_w + h_w]),
        );
        let name = format!("{} N=3 R={r} W={w}", col.profile);
        let n = c.trials as f64;
        if t > 0.0 {
            report.quantile(
                &format!("{name} t at 99.9%"),
                t,
                col.sweep.1,
                c.p(0),
                c.p(1),
                c.trials,
                PAPER_TABLE_T_TRIALS,
                0.999,
            );
        } else {
            let tol = Z * (sigma(0.999, c.trials).powi(2) + sigma(0.999, PAPER_TABLE_T_TRIALS).powi(2)).sqrt();
            report.line(
                c.p(2) >= 0.999 - tol,
                format!("{name} t at 99.9%: published 0; ours P(consistent, t=0) = {:.6}", c.p(2)),
            );
        }
        let (rb, ra) = (c.read_le[0] as f64 / n, c.read_le[1] as f64 / n);
        report.quantile(&format!("{name} read p99.9"), l_r, h_r, rb, ra, c.trials, PAPER_TABLE_LATENCY_TRIALS, 0.999);
        let (wb, wa) = (c.write_le[0] as f64 / n, c.write_le[1] as f64 / n);
        report.quantile(&format!("{name} write p99.9"), l_w, h_w, wb, wa, c.trials, PAPER_TABLE_LATENCY_TRIALS, 0.999);
    }
    report.finish(&format!("table column {}", col.profile));
}

#[test]
fn paper_table_lnkd_ssd() {
    check_column(&TABLE[0], 100);
}

#[test]
fn paper_table_lnkd_disk() {
    check_column(&TABLE[1], 200);
}

#[test]
fn paper_table_ymmr() {
    check_column(&TABLE[2], 300);
}

#[test]
fn paper_table_wan() {
    check_column(&TABLE[3], 400);
}

/// Trials for our curve in [`paper_table_t_by_the_papers_sweep`]: its own noise must be small
/// next to the sweep's.
const SWEEP_CURVE_TRIALS: u64 = 4_000_000;

/// Every non-zero `t` of the table, reproduced by running the paper's sweep on our curve.
#[test]
#[ignore = "4M trials per row: run in release, `cargo test --release -p replicalab-tests --test pbs -- --ignored`"]
fn paper_table_t_by_the_papers_sweep() {
    let Some(_) = wars_model() else { return };
    let mut report = Report::default();
    for (i, col) in TABLE.iter().enumerate() {
        for (k, &(r, w, _, _, t)) in col.rows.iter().enumerate() {
            if t == 0.0 {
                continue;
            }
            let seed = 800 + 10 * i as u64 + k as u64;
            let c = run(col.profile, (3, r, w), SWEEP_CURVE_TRIALS, seed, &[], (&[], &[]));
            let crossing = c.windows[(0.999 * c.trials as f64).ceil() as usize - 1];
            let reported = paper_sweep(&c.windows, col.sweep, PAPER_TABLE_T_TRIALS, 1000, seed);
            let (lo, mid, hi) = (reported[4], reported[500], reported[995]);
            report.line(
                (lo..=hi).contains(&t),
                format!(
                    "{} N=3 R={r} W={w} t at 99.9%: published {t}; our curve reaches 99.9% at {crossing:.2}; \
                     the paper's sweep ({} trials a point) on our curve reports median {mid:.2}, 99% in \
                     [{lo:.2}, {hi:.2}]",
                    col.profile, PAPER_TABLE_T_TRIALS
                ),
            );
        }
    }
    report.finish("the paper's sweep on our curves");
}

/// Probabilities quoted in the paper's text (t-visibility curves: 10,000 writes each).
/// `(profile, N, t, published, printed text)`; R = W = 1.
const PAPER: &[(Profile, i64, f64, f64, &str)] = &[
    (Profile::LnkdDisk, 3, 0.0, 0.439, "0.439"),
    (Profile::LnkdDisk, 3, 10.0, 0.925, "0.925"),
    (Profile::Ymmr, 3, 10.0, 0.939, "0.939"),
    (Profile::LnkdSsd, 3, 10.0, 1.0, "1.000"),
    (Profile::LnkdDisk, 2, 0.0, 0.575, "0.575"),
    (Profile::LnkdDisk, 10, 0.0, 0.211, "0.211"),
    (Profile::Wan, 3, 0.0, 0.33, "0.33"),
];

#[test]
fn paper_text_figures() {
    let Some(_) = wars_model() else { return };
    let mut report = Report::default();
    for (k, &(profile, n, t, published, text)) in PAPER.iter().enumerate() {
        let c = run(profile, (n, 1, 1), PAPER_TRIALS, 500 + k as u64, &[t], (&[], &[]));
        report.prob(
            &format!("{profile} N={n} R=W=1, P(consistent, t={t} ms)"),
            c.p(0),
            c.trials,
            published,
            half_unit(text),
            Some(PAPER_CURVE_TRIALS),
        );
    }
    // Replica count: LNKD-DISK, R = W = 1, t at 99.9% "from 45.3 ms for 2 replicas to 53.7 ms
    // for 10" (0.1 ms sweep).
    for (k, (n, t)) in [(2, 45.3), (10, 53.7)].into_iter().enumerate() {
        let c = run(Profile::LnkdDisk, (n, 1, 1), PAPER_TRIALS, 600 + k as u64, &[t - 0.1, t + 0.1], (&[], &[]));
        report.quantile(
            &format!("lnkd-disk N={n} R=W=1, t at 99.9%"),
            t,
            0.1,
            c.p(0),
            c.p(1),
            c.trials,
            PAPER_CURVE_TRIALS,
            0.999,
        );
    }
    // "For LNKD-SSD, across 10M writes, we did not observe staleness with R=2, W=1": WARS with
    // the fitted distributions does produce some (an independent re-implementation agrees);
    // the paper's table entry for this case (t = 0 at 99.9%) holds.
    let c = run(Profile::LnkdSsd, (3, 2, 1), PAPER_TRIALS, 700, &[0.0], (&[], &[]));
    report.note(format!(
        "lnkd-ssd N=3 R=2 W=1: the paper saw no stale read in 10M writes; ours P(stale, t=0) = {:.2e} \
         ({} of {})",
        1.0 - c.p(0),
        c.trials - c.consistent[0],
        c.trials
    ));
    report.finish("figures in the paper's text");
}
