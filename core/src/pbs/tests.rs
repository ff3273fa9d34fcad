//! Sampler accuracy against closed forms, the WARS invariants, determinism and golden values.

use super::dist::{Dist, Shape};
use super::*;

const ALL: [Profile; 7] = [
    Profile::LnkdSsd,
    Profile::LnkdDisk,
    Profile::Ymmr,
    Profile::YmmrPrintedAlpha,
    Profile::Wan,
    Profile::Exponential { w_lambda: 4.0, ars_lambda: 1.0 },
    Profile::Exponential { w_lambda: 0.1, ars_lambda: 1.0 },
];

/// `E[X^2]`, infinite when the second moment does not exist.
fn second_moment(d: &Dist) -> f64 {
    d.parts()
        .map(|(w, s)| {
            w * match s {
                Shape::Exponential { lambda } => 2.0 / (lambda * lambda),
                Shape::Pareto { x_m, alpha } if alpha > 2.0 => alpha * x_m * x_m / (alpha - 2.0),
                Shape::Pareto { .. } => f64::INFINITY,
            }
        })
        .sum()
}

fn distinct_legs(p: Profile) -> Vec<(&'static str, Dist)> {
    let l = p.latencies();
    let mut out = vec![("W", l.w)];
    for (name, d) in [("A", l.a), ("R", l.r), ("S", l.s)] {
        if !out.iter().any(|(_, o)| *o == d) {
            out.push((name, d));
        }
    }
    out
}

/// Empirical CDF at closed-form quantiles, and the sample mean where the variance is finite,
/// within 5 standard errors.
#[test]
fn samplers_match_their_closed_forms() {
    const SAMPLES: usize = 200_000;
    for (k, p) in ALL.iter().enumerate() {
        for (leg, d) in distinct_legs(*p) {
            let mut rng = SimRng::new(100 + k as u64);
            let xs: Vec<f64> = (0..SAMPLES).map(|_| d.sample(&mut rng)).collect();
            assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0), "{p} {leg}");
            for q in [0.05, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999] {
                let x = d.quantile(q);
                let below = xs.iter().filter(|&&v| v <= x).count() as f64 / SAMPLES as f64;
                let se = (q * (1.0 - q) / SAMPLES as f64).sqrt();
                assert!((below - q).abs() < 5.0 * se, "{p} {leg}: P(X <= q{q} = {x}) = {below}");
            }
            let m2 = second_moment(&d);
            if m2.is_finite() {
                let mean = d.mean();
                let se = ((m2 - mean * mean) / SAMPLES as f64).sqrt();
                let got = xs.iter().sum::<f64>() / SAMPLES as f64;
                assert!((got - mean).abs() < 5.0 * se, "{p} {leg}: mean {got} vs {mean} (se {se})");
            }
        }
    }
}

/// The closed forms themselves, on hand-computed values.
#[test]
fn closed_forms_on_known_values() {
    let e = Dist::one(Shape::Exponential { lambda: 0.5 });
    assert!((e.mean() - 2.0).abs() < 1e-12);
    assert!((e.quantile(0.5) - 2.0 * std::f64::consts::LN_2).abs() < 1e-9);
    let p = Dist::one(Shape::Pareto { x_m: 2.0, alpha: 3.0 });
    assert!((p.mean() - 3.0).abs() < 1e-12);
    assert!((p.quantile(0.5) - 2.0 * 2f64.powf(1.0 / 3.0)).abs() < 1e-9);
    let ssd = Profile::LnkdSsd.latencies().w;
    let mean = 0.9122 * (10.0 * 0.235 / 9.0) + 0.0878 / 1.66;
    assert!((ssd.mean() - mean).abs() < 1e-12);
}

/// Pins the sampler (algorithm, draw order and libm): if these change, every published number
/// we reproduce has to be re-checked.
#[test]
fn golden_samples() {
    let mut rng = SimRng::new(42);
    let ssd = Profile::LnkdSsd.latencies().w;
    let got: Vec<u64> = (0..4).map(|_| ssd.sample(&mut rng).to_bits()).collect();
    assert_eq!(got, GOLDEN_LNKD_SSD_SEED_42, "{:?}", got.iter().map(|b| f64::from_bits(*b)).collect::<Vec<_>>());
    let cfg = WarsConfig::new(3, 1, 1, Profile::Wan).unwrap();
    let est = estimate(cfg, &[0.0, 75.0, 150.0], 10_000, 7).unwrap();
    let counts: Vec<u64> = est.points.iter().map(|p| p.consistent).collect();
    assert_eq!(counts, GOLDEN_WAN_COUNTS_SEED_7, "{counts:?}");
}

const GOLDEN_LNKD_SSD_SEED_42: [u64; 4] =
    [4598317677608354575, 4601070132964931689, 4598215694381371365, 4598634322564426067];
const GOLDEN_WAN_COUNTS_SEED_7: [u64; 3] = [3370, 7224, 9997];

#[test]
fn same_seed_same_estimate_and_steps_do_not_matter() {
    for p in ALL {
        let cfg = WarsConfig::new(5, 2, 1, p).unwrap();
        let ts = [0.0, 0.5, 3.0, 40.0];
        let a = estimate(cfg, &ts, 3_000, 9).unwrap();
        let b = estimate(cfg, &ts, 3_000, 9).unwrap();
        assert_eq!(a, b, "{p}");
        let mut stepped = Estimator::new(cfg, &ts, 9).unwrap();
        stepped.step(1_000);
        stepped.step(2_000);
        assert_eq!(*stepped.estimate(), a, "{p}: 1000 + 2000 trials differ from 3000");
        let c = estimate(cfg, &ts, 3_000, 10).unwrap();
        assert_ne!(a.write_latency, c.write_latency, "{p}: seeds 9 and 10 agree");
    }
}

/// Every trial of a strict quorum is consistent at every `t >= 0`, including 0.
#[test]
fn strict_quorums_are_always_consistent() {
    let ts = [0.0, 1e-9, 0.5, 10.0, 1e4];
    for p in ALL {
        for n in 1..=5i64 {
            for r in 1..=n {
                for w in 1..=n {
                    let cfg = WarsConfig::new(n, r, w, p).unwrap();
                    if !cfg.is_strict() {
                        continue;
                    }
                    let est = estimate(cfg, &ts, 2_000, (n * 100 + r * 10 + w) as u64).unwrap();
                    for pt in &est.points {
                        assert_eq!(pt.consistent, pt.trials, "{p} N={n} R={r} W={w} t={}", pt.t_ms);
                    }
                    assert_eq!(est.window.quantile(1.0), Some(0.0), "{p} N={n} R={r} W={w}");
                }
            }
        }
    }
}

/// Partial quorums: the curve never decreases in `t`, is below 1 right after commit and
/// approaches 1 later.
#[test]
fn partial_quorums_become_consistent_monotonically() {
    let ts: Vec<f64> = (0..=60).map(|i| i as f64 * i as f64 * 0.5).collect();
    for p in ALL {
        for (n, r, w) in [(3, 1, 1), (3, 1, 2), (3, 2, 1), (5, 2, 2), (10, 1, 1)] {
            let cfg = WarsConfig::new(n, r, w, p).unwrap();
            let est = estimate(cfg, &ts, 4_000, 3).unwrap();
            let ps: Vec<f64> = est.points.iter().map(Point::p_consistent).collect();
            assert!(ps.windows(2).all(|x| x[0] <= x[1]), "{p} N={n} R={r} W={w}: {ps:?}");
            assert!(*ps.last().unwrap() > 0.99, "{p} N={n} R={r} W={w}: {ps:?}");
        }
        let est = estimate(WarsConfig::new(3, 1, 1, p).unwrap(), &[0.0], 4_000, 3).unwrap();
        assert!(est.points[0].p_consistent() < 0.99, "{p}: R = W = 1 is never always consistent at t = 0");
    }
}

/// A trial's window is where `consistent_at` flips, and the latencies are order statistics.
#[test]
fn trial_window_and_latencies_agree_with_the_definition() {
    for p in ALL {
        let cfg = WarsConfig::new(4, 2, 2, p).unwrap();
        let mut model = Wars::new(cfg);
        let mut rng = SimRng::new(5);
        for _ in 0..2_000 {
            let t = model.trial(&mut rng);
            assert_eq!(t.responders.len(), 2);
            assert!(t.write_ms > 0.0 && t.read_ms > 0.0);
            let win = t.window_ms();
            assert!(t.consistent_at(win * (1.0 + 1e-12) + 1e-12), "{p}: not consistent just after the window");
            if win > 1e-9 {
                assert!(!t.consistent_at(win * (1.0 - 1e-9) - 1e-9), "{p}: consistent before the window");
            } else {
                assert!(t.consistent_at(0.0));
            }
        }
    }
}

#[test]
fn bad_arguments_say_what_is_wrong() {
    let p = Profile::LnkdSsd;
    let msg = |e: PbsError| e.to_string();
    assert!(msg(WarsConfig::new(0, 1, 1, p).unwrap_err()).contains("N (replicas)"));
    assert!(msg(WarsConfig::new(1001, 1, 1, p).unwrap_err()).contains("between 1 and 1000"));
    assert!(
        msg(WarsConfig::new(3, 4, 1, p).unwrap_err()).contains("R (read quorum) must be between 1 and N = 3, got 4")
    );
    assert!(msg(WarsConfig::new(3, 1, 0, p).unwrap_err()).contains("W (write quorum)"));
    let cfg = WarsConfig::new(3, 1, 1, p).unwrap();
    assert!(msg(estimate(cfg, &[1.0, -1.0], 10, 1).unwrap_err()).contains("non-negative"));
    assert!(estimate(cfg, &[f64::NAN], 10, 1).is_err());
    assert!(estimate(cfg, &[f64::INFINITY], 10, 1).is_err());
    assert_eq!(estimate(cfg, &[0.0], 0, 1).unwrap_err(), PbsError::Trials);
}

/// A run split into chunks, the chunks run apart and merged in any order, equals the run in
/// one go and in steps of any size.
#[test]
fn chunks_run_apart_and_merged_equal_one_run() {
    let cfg = WarsConfig::new(3, 1, 1, Profile::LnkdSsd).unwrap();
    let ts = [0.0, 1.0, 5.0];
    let total = 2 * CHUNK_TRIALS + 1234;
    assert_eq!(
        (chunks(total), chunk_trials(total, 1), chunk_trials(total, 2), chunk_trials(total, 3)),
        (3, CHUNK_TRIALS, 1234, 0)
    );
    let whole = estimate(cfg, &ts, total, 5).unwrap();
    // Stepping across chunk boundaries in odd sizes changes nothing.
    let mut stepped = Estimator::new(cfg, &ts, 5).unwrap();
    for part in [CHUNK_TRIALS - 7, 10, CHUNK_TRIALS, 1231] {
        stepped.step(part);
    }
    assert_eq!(*stepped.estimate(), whole);
    // Chunks 0, 1 and 2 tallied apart, merged in any order; chunks 2 and 0 in one tally.
    let parts: Vec<Estimate> = (0..3)
        .map(|c| {
            let mut t = Tally::new(cfg, &ts).unwrap();
            t.run_chunk(5, c, chunk_trials(total, c));
            t.into_estimate()
        })
        .collect();
    let mut merged = parts[2].clone();
    merged.merge(&parts[0]);
    merged.merge(&parts[1]);
    assert_eq!(merged, whole);
    let mut two = Tally::new(cfg, &ts).unwrap();
    two.run_chunk(5, 2, 1234);
    two.run_chunk(5, 0, CHUNK_TRIALS);
    let mut merged = parts[1].clone();
    merged.merge(two.estimate());
    assert_eq!(merged, whole);
    // The chunks are different streams.
    assert_ne!(parts[0].write_latency, parts[1].write_latency);
}

/// The estimate is the same, bit for bit, on 1, 2 and 3 threads (and on more threads than
/// chunks).
#[test]
fn threads_do_not_change_the_estimate() {
    let cfg = WarsConfig::new(3, 1, 1, Profile::LnkdSsd).unwrap();
    let ts = [0.0, 1.0, 5.0];
    let total = 4 * CHUNK_TRIALS + 99;
    let one = estimate(cfg, &ts, total, 11).unwrap();
    for threads in [1, 2, 3, 8] {
        assert_eq!(estimate_on_threads(cfg, &ts, total, 11, threads).unwrap(), one, "{threads} threads");
    }
    assert_eq!(estimate_on_threads(cfg, &ts, 0, 11, 2).unwrap_err(), PbsError::Trials);
}

/// Property: over random configurations, seeds, trial counts and thread counts, the threaded
/// estimate equals the sequential one. A failure prints what to rerun.
#[test]
fn threads_never_change_the_estimate() {
    let mut pick = SimRng::new(2024);
    for case in 0..12 {
        let seed = pick.next_u64();
        let profile = ALL[pick.below(ALL.len() as u64) as usize];
        let n = pick.between(1, 7) as i64;
        let (r, w) = (pick.between(1, n as u64) as i64, pick.between(1, n as u64) as i64);
        let trials = pick.between(1, 3 * CHUNK_TRIALS / 2);
        let threads = pick.between(2, 4) as usize;
        let ts = [0.0, pick.unit() * 10.0];
        let cfg = WarsConfig::new(n, r, w, profile).unwrap();
        let one = estimate(cfg, &ts, trials, seed).unwrap();
        let many = estimate_on_threads(cfg, &ts, trials, seed, threads).unwrap();
        assert!(
            one == many,
            "case {case}: {profile} N={n} R={r} W={w}, {trials} trials, seed {seed}, t {ts:?}: \
             {threads} threads differ from one"
        );
    }
}
