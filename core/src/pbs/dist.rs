//! One-way latency distributions of the PBS fits, sampled at full `f64` precision.
//!
//! Every fit in the paper is an exponential, a Pareto, or a two-part mixture of them. Each
//! sample takes one [`SimRng::unit`] draw (53 random bits) and `libm`'s `log` (and `exp` for a
//! Pareto), so the same seed gives bit-identical samples on every platform, natively and in
//! WebAssembly.
//!
//! Unlike [`crate::net::Latency::sample`], which rounds to whole microseconds for the event
//! queue, these samples are not rounded: LNKD-SSD one-way delays are a fraction of a millisecond
//! and PBS compares sums of them.

use crate::rng::SimRng;

/// One component shape. Times are in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// Exponential with rate `lambda` per millisecond: mean `1 / lambda`.
    /// Sampled as `-ln(V) / lambda`, `V` uniform in `(0, 1]`.
    Exponential { lambda: f64 },
    /// Pareto with scale `x_m` (its minimum) and shape `alpha` (a heavier tail when smaller).
    /// Sampled as `x_m / V^(1 / alpha)`, `V` uniform in `(0, 1]`.
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

#[derive(Clone, Copy, Debug, PartialEq)]
struct Part {
    /// Sum of the weights of this part and those before it; exactly 1 for the last part.
    cumulative: f64,
    weight: f64,
    shape: Shape,
    /// `1 / lambda` for an exponential, `-1 / alpha` for a Pareto.
    k: f64,
}

impl Part {
    fn new(cumulative: f64, weight: f64, shape: Shape) -> Part {
        let k = match shape {
            Shape::Exponential { lambda } => 1.0 / lambda,
            Shape::Pareto { alpha, .. } => -1.0 / alpha,
        };
        Part { cumulative, weight, shape, k }
    }

    /// The shape's value at `v`, uniform in `(0, 1]` (inverse-CDF sampling):
    /// `-ln(v) / lambda`, or `x_m / v^(1/alpha)` computed as `x_m * exp(-ln(v) / alpha)`.
    #[inline]
    fn at(&self, v: f64) -> f64 {
        match self.shape {
            Shape::Exponential { .. } => -libm::log(v) * self.k,
            Shape::Pareto { x_m, .. } => x_m * libm::exp(libm::log(v) * self.k),
        }
    }
}

impl Dist {
    /// A single shape.
    pub fn one(shape: Shape) -> Dist {
        Dist { parts: vec![Part::new(1.0, 1.0, shape)] }
    }

    /// A mixture from `(weight, shape)` pairs; weights must be positive and sum to 1 (within
    /// 1e-9), as the paper's fits do.
    pub fn mixture(parts: &[(f64, Shape)]) -> Result<Dist, String> {
        if parts.is_empty() {
            return Err("a mixture needs at least one part".into());
        }
        let mut cumulative = 0.0;
        let mut out = Vec::with_capacity(parts.len());
        for (i, (weight, shape)) in parts.iter().enumerate() {
            if !(weight.is_finite() && *weight > 0.0) {
                return Err(format!("part {i}: weight must be positive, got {weight}"));
            }
            shape.validate().map_err(|e| format!("part {i}: {e}"))?;
            cumulative += weight;
            out.push(Part::new(cumulative, *weight, *shape));
        }
        if (cumulative - 1.0).abs() > 1e-9 {
            return Err(format!("mixture weights must sum to 1, got {cumulative}"));
        }
        if let Some(last) = out.last_mut() {
            last.cumulative = 1.0;
        }
        Ok(Dist { parts: out })
    }

    /// `(weight, shape)` pairs.
    pub fn parts(&self) -> impl Iterator<Item = (f64, Shape)> + '_ {
        self.parts.iter().map(|p| (p.weight, p.shape))
    }

    /// Draws one sample in milliseconds from one uniform draw `u` in `[0, 1)`: the part is the
    /// first whose cumulative weight `c` exceeds `u`, and `(c - u) / weight`, uniform in
    /// `(0, 1]` given that part, is the value's uniform.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        let u = rng.unit();
        let part = self.parts.iter().find(|p| u < p.cumulative).unwrap_or(&self.parts[self.parts.len() - 1]);
        // c > u, so c - u > 0: neither log nor the Pareto sees zero.
        let v = ((part.cumulative - u) / part.weight).min(1.0);
        part.at(v)
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
}
