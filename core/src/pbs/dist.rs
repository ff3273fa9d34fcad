//! One-way latency distributions of the PBS fits, sampled at full `f64` precision.
//!
//! Every fit in the paper is an exponential, a Pareto, or a two-part mixture of them. Both are
//! decreasing densities, sampled by the [`ziggurat`](super::ziggurat) method: one 64-bit draw
//! picks the mixture's part, a layer and a point in it, and about 99% of samples cost one
//! multiplication and one comparison more; the rest (the wedges and the tail) use `libm`. The
//! tables are computed with `libm` and IEEE arithmetic, so the same seed gives bit-identical
//! samples on every platform, natively and in WebAssembly.
//!
//! Unlike [`crate::net::Latency::sample`], which rounds to whole microseconds for the event
//! queue, these samples are not rounded: LNKD-SSD one-way delays are a fraction of a millisecond
//! and PBS compares sums of them.

use std::sync::Arc;

use crate::rng::SimRng;

use super::ziggurat::{Standard, Ziggurat};

/// One component shape. Times are in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// Exponential with rate `lambda` per millisecond: mean `1 / lambda`.
    /// Sampled as `E / lambda`, `E` a standard exponential.
    Exponential { lambda: f64 },
    /// Pareto with scale `x_m` (its minimum) and shape `alpha` (a heavier tail when smaller).
    /// Sampled as `x_m + x_m × Y`, `Y + 1` a Pareto with scale 1 and shape `alpha`.
    Pareto { x_m: f64, alpha: f64 },
}

impl Shape {
    /// The mean (infinite for a Pareto with `alpha <= 1`).
    pub fn mean(&self) -> f64 {
        match *self {
            Shape::Exponential { lambda } => 1.0 / lambda,
            Shape::Pareto { x_m, alpha } if alpha > 1.0 => alpha * x_m / (alpha - 1.0),
            Shape::Pareto { .. } => f64::INFINITY,
        }
    }

    /// `P(X <= x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        match *self {
            Shape::Exponential { lambda } => {
                if x <= 0.0 {
                    0.0
                } else {
                    1.0 - libm::exp(-lambda * x)
                }
            }
            Shape::Pareto { x_m, alpha } => {
                if x <= x_m {
                    0.0
                } else {
                    1.0 - libm::pow(x_m / x, alpha)
                }
            }
        }
    }

    /// Checks the parameters; the error names the problem.
    fn validate(&self) -> Result<(), String> {
        let positive = |v: f64, name: &str| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must be a positive number, got {v}"))
            }
        };
        match *self {
            Shape::Exponential { lambda } => positive(lambda, "lambda"),
            Shape::Pareto { x_m, alpha } => {
                positive(x_m, "x_m")?;
                positive(alpha, "alpha")
            }
        }
    }
}

/// A mixture of shapes: with probability `weight` a sample comes from `shape`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dist {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
struct Part {
    /// Sum of the weights of this part and those before it; exactly 1 for the last part.
    cumulative: f64,
    weight: f64,
    shape: Shape,
    /// The part's share of a 56-bit draw: `start..end` (`end` of the last part is `2^56`).
    start: u64,
    end: u64,
    /// `1 / (end - start)`: turns the draw's offset in the part into a uniform in `[0, 1)`.
    scale_draw: f64,
    /// A sample is `offset + scale × z`, `z` from the standardised density: `(0, 1 / lambda)`
    /// for an exponential, `(x_m, x_m)` for a Pareto.
    offset: f64,
    scale: f64,
    zig: Arc<Ziggurat>,
}

/// Bits of a draw that choose the part and the point; the low 8 choose the ziggurat layer.
const DRAW_BITS: u32 = 56;
const LAYER_MASK: u64 = (1 << (64 - DRAW_BITS)) - 1;

impl Part {
    fn new(cumulative_before: f64, cumulative: f64, weight: f64, shape: Shape) -> Part {
        let (standard, offset, scale) = match shape {
            Shape::Exponential { lambda } => (Standard::Exp, 0.0, 1.0 / lambda),
            Shape::Pareto { x_m, alpha } => (Standard::Pareto { alpha }, x_m, x_m),
        };
        let at = |c: f64| (c.clamp(0.0, 1.0) * (1u64 << DRAW_BITS) as f64) as u64;
        let (start, end) = (at(cumulative_before), at(cumulative));
        Part {
            cumulative,
            weight,
            shape,
            start,
            end,
            scale_draw: 1.0 / (end - start).max(1) as f64,
            offset,
            scale,
            zig: Arc::new(Ziggurat::new(standard)),
        }
    }

    /// A sample from `bits`: the layer from the low byte, the point from the draw's offset in
    /// this part.
    #[inline]
    fn at(&self, bits: u64, rng: &mut SimRng) -> f64 {
        // The offset is below 2^56: as an i64 it converts to f64 in one instruction.
        let u = ((bits >> (64 - DRAW_BITS)) - self.start) as i64 as f64 * self.scale_draw;
        self.offset + self.scale * self.zig.sample((bits & LAYER_MASK) as usize, u, rng)
    }
}

impl Dist {
    /// A single shape.
    pub fn one(shape: Shape) -> Dist {
        Dist { parts: vec![Part::new(0.0, 1.0, 1.0, shape)] }
    }

    /// A mixture from `(weight, shape)` pairs; weights must be positive and sum to 1 (within
    /// 1e-9), as the paper's fits do.
    pub fn mixture(parts: &[(f64, Shape)]) -> Result<Dist, String> {
        if parts.is_empty() {
            return Err("a mixture needs at least one part".into());
        }
        let mut cumulative = 0.0;
        let mut out: Vec<(f64, f64, f64, Shape)> = Vec::with_capacity(parts.len());
        for (i, (weight, shape)) in parts.iter().enumerate() {
            if !(weight.is_finite() && *weight > 0.0) {
                return Err(format!("part {i}: weight must be positive, got {weight}"));
            }
            shape.validate().map_err(|e| format!("part {i}: {e}"))?;
            let before = cumulative;
            cumulative += weight;
            out.push((before, cumulative, *weight, *shape));
        }
        if (cumulative - 1.0).abs() > 1e-9 {
            return Err(format!("mixture weights must sum to 1, got {cumulative}"));
        }
        if let Some(last) = out.last_mut() {
            last.1 = 1.0;
        }
        Ok(Dist { parts: out.into_iter().map(|(before, c, w, shape)| Part::new(before, c, w, shape)).collect() })
    }

    /// `(weight, shape)` pairs.
    pub fn parts(&self) -> impl Iterator<Item = (f64, Shape)> + '_ {
        self.parts.iter().map(|p| (p.weight, p.shape))
    }

    /// Draws one sample in milliseconds. One 64-bit draw: its top 56 bits pick the part (the
    /// one whose share `start..end` holds them) and, by their offset in that share, the point;
    /// its low 8 bits pick the ziggurat layer. More draws only off the ziggurat's fast path.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        let bits = rng.next_u64();
        let high = bits >> (64 - DRAW_BITS);
        // The parts before the one that holds `high` (branch-free: a fit has one or two).
        let before = self.parts[..self.parts.len() - 1].iter().filter(|p| high >= p.end).count();
        self.parts[before].at(bits, rng)
    }

    /// Fills `out` with samples, in order.
    #[inline]
    pub fn fill(&self, rng: &mut SimRng, out: &mut [f64]) {
        for x in out {
            *x = self.sample(rng);
        }
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        self.parts().map(|(w, s)| w * s.mean()).sum()
    }

    /// `P(X <= x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        self.parts().map(|(w, s)| w * s.cdf(x)).sum()
    }

    /// The `p`-quantile (`0 < p < 1`), by bisection on the CDF.
    pub fn quantile(&self, p: f64) -> f64 {
        let (mut lo, mut hi) = (0.0, 1.0);
        while self.cdf(hi) < p {
            hi *= 2.0;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if self.cdf(mid) < p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixture_weights_are_checked() {
        let e = Shape::Exponential { lambda: 1.0 };
        assert!(Dist::mixture(&[(0.5, e), (0.5, e)]).is_ok());
        let err = Dist::mixture(&[(0.5, e), (0.4, e)]).unwrap_err();
        assert!(err.contains("sum to 1"), "{err}");
        let err = Dist::mixture(&[(1.0, Shape::Pareto { x_m: 1.0, alpha: 0.0 })]).unwrap_err();
        assert!(err.contains("alpha"), "{err}");
        assert!(Dist::mixture(&[]).is_err());
    }

    #[test]
    fn closed_forms_agree_with_each_other() {
        let d =
            Dist::mixture(&[(0.3, Shape::Exponential { lambda: 2.0 }), (0.7, Shape::Pareto { x_m: 1.0, alpha: 3.0 })])
                .unwrap();
        assert!((d.mean() - (0.3 * 0.5 + 0.7 * 1.5)).abs() < 1e-12);
        for p in [0.1, 0.5, 0.9, 0.999] {
            assert!((d.cdf(d.quantile(p)) - p).abs() < 1e-9, "p = {p}");
        }
        assert_eq!(Shape::Pareto { x_m: 1.0, alpha: 1.0 }.mean(), f64::INFINITY);
    }

    /// The ziggurat samplers (fast path, wedges with their squeeze, tail) against the closed
    /// form: the empirical CDF at 40 quantiles from 0.01 to 0.99999, within 5 standard errors,
    /// for the exponential and for light and heavy Pareto tails.
    #[test]
    fn ziggurat_samples_follow_the_closed_form() {
        const SAMPLES: usize = 1_000_000;
        let shapes = [
            Shape::Exponential { lambda: 1.0 },
            Shape::Pareto { x_m: 1.0, alpha: 10.0 },
            Shape::Pareto { x_m: 1.0, alpha: 3.8 },
            Shape::Pareto { x_m: 1.0, alpha: 1.51 },
        ];
        let mut qs: Vec<f64> = (1..=36).map(|i| i as f64 / 37.0).collect();
        qs.extend([0.01, 0.999, 0.9999, 0.99999]);
        for (k, shape) in shapes.into_iter().enumerate() {
            let d = Dist::one(shape);
            let mut rng = SimRng::new(900 + k as u64);
            let mut xs: Vec<f64> = (0..SAMPLES).map(|_| d.sample(&mut rng)).collect();
            crate::sort::sort_by(&mut xs, f64::total_cmp);
            for &q in &qs {
                let x = d.quantile(q);
                let below = xs.partition_point(|&v| v <= x) as f64 / SAMPLES as f64;
                let se = (q * (1.0 - q) / SAMPLES as f64).sqrt();
                assert!((below - q).abs() < 5.0 * se, "{shape:?}: P(X <= q{q} = {x}) = {below}");
            }
        }
    }
}
