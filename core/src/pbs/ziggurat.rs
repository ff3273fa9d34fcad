//! Ziggurat sampling (Marsaglia and Tsang, *The Ziggurat Method for Generating Random
//! Variables*, 2000) for the two decreasing densities of the PBS fits: the standard exponential
//! and the standard Pareto.
//!
//! The area under a decreasing density `f` on `[0, inf)` is covered by 256 layers of equal area
//! `v`: layer `i >= 1` is the rectangle `[0, x[i]) × [f(x[i]), f(x[i+1]))`, and the base layer
//! is `[0, r) × [0, f(r))` with the tail beyond `r = x[1]` (its width `x[0] = v / f(r)` is
//! what the tail would take as a rectangle). A sample picks a layer and a uniform `u`, and
//! `x = u × x[i]`. If `x < x[i+1]` the point lies under `f` whatever its height: `x` is the
//! sample, with one multiplication and one comparison (about 99% of draws). Otherwise the
//! base layer samples the tail exactly, and a wedge point is accepted if a uniform height in
//! the layer lies under `f(x)`, or the draw starts again. Both densities are convex, so in a
//! wedge `f` lies below the chord between the layer's corners and above its tangents at both
//! corners: a height above the chord is rejected and one below a tangent accepted without
//! computing `f`, which is needed only for the thin sliver between them.
//!
//! **Why not a library.** `rand_distr`'s ziggurat `Exp1` computes its tail and its wedge test
//! with the standard library's `f64::ln` and `f64::exp`, which natively call the platform's C
//! library and in WebAssembly a Rust port of musl: they may differ by an ULP, and then the same
//! seed gives different samples (a wedge accepted on one platform and rejected on the other).
//! It also has no Pareto ziggurat (its Pareto takes a `powf` per sample). Here every
//! transcendental call is `libm`'s, and the tables are computed at construction from `libm`
//! and IEEE arithmetic alone, so they are bit-identical on every platform.
//!
//! **Shapes.** `Exp`: `f(x) = e^-x`, tail beyond `r` is `r + Exp(1)` (memorylessness).
//! `Pareto { alpha }`: `Y = X / x_m - 1` for `X` Pareto with scale `x_m`, so
//! `f(y) = (1 + y)^-(alpha + 1)` on `[0, inf)` (unnormalised) and the tail beyond `r` is
//! `(1 + r) / U^(1/alpha) - 1`, `U` uniform in `(0, 1]`.

use crate::rng::SimRng;

/// Layers of the ziggurat: one random byte picks one.
pub const LAYERS: usize = 256;

/// A standardised decreasing density.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Standard {
    /// `e^-x`.
    Exp,
    /// `(1 + y)^-(alpha + 1)`: a Pareto with scale 1, shifted to start at 0.
    Pareto { alpha: f64 },
}

impl Standard {
    /// The unnormalised density (`f(0) = 1`).
    fn density(self, x: f64) -> f64 {
        match self {
            Standard::Exp => libm::exp(-x),
            Standard::Pareto { alpha } => libm::pow(1.0 + x, -(alpha + 1.0)),
        }
    }

    /// `x` with `f(x) = y`, for `0 < y <= 1`.
    fn inverse(self, y: f64) -> f64 {
        match self {
            Standard::Exp => -libm::log(y),
            Standard::Pareto { alpha } => libm::pow(y, -1.0 / (alpha + 1.0)) - 1.0,
        }
    }

    /// `f'(x)`.
    fn slope(self, x: f64) -> f64 {
        match self {
            Standard::Exp => -libm::exp(-x),
            Standard::Pareto { alpha } => -(alpha + 1.0) * libm::pow(1.0 + x, -(alpha + 2.0)),
        }
    }

    /// The area under `f` beyond `r`.
    fn tail_area(self, r: f64) -> f64 {
        match self {
            Standard::Exp => libm::exp(-r),
            Standard::Pareto { alpha } => libm::pow(1.0 + r, -alpha) / alpha,
        }
    }

    /// A sample beyond `r`, from `u` uniform in `(0, 1]`.
    fn tail(self, r: f64, u: f64) -> f64 {
        match self {
            Standard::Exp => r - libm::log(u),
            Standard::Pareto { alpha } => (1.0 + r) * libm::exp(-libm::log(u) / alpha) - 1.0,
        }
    }
}

/// The layer tables of one [`Standard`] density.
#[derive(Clone, Debug, PartialEq)]
pub struct Ziggurat {
    shape: Standard,
    /// `x[0] = v / f(r)`, `x[1] = r`, decreasing to `x[256] = 0`.
    x: [f64; LAYERS + 1],
    /// `f[i] = f(x[i])` for `i >= 1` (`f[256] = 1`); `f[0] = 0`, the base layer's floor.
    f: [f64; LAYERS + 1],
    /// `slope[i] = f'(x[i])` for `i >= 1`.
    slope: [f64; LAYERS + 1],
    /// For the wedge of layer `i >= 1`: the slope of the chord from `(x[i+1], f[i+1])` to
    /// `(x[i], f[i])`.
    chord: [f64; LAYERS],
}

/// How the layers built from a trial `r` end.
enum Build {
    /// The layers reach the top with layers to spare: `r` is too small.
    Overshoot,
    /// After the last layer the top is still above: `r` is too large.
    Undershoot,
}

impl Ziggurat {
    /// Builds the tables: `r` by bisection until the 256 layers end exactly at the top.
    /// Deterministic (`libm` and IEEE arithmetic only) and about 60 rounds of 255 `libm` calls.
    pub fn new(shape: Standard) -> Ziggurat {
        let mut z = Ziggurat {
            shape,
            x: [0.0; LAYERS + 1],
            f: [0.0; LAYERS + 1],
            slope: [0.0; LAYERS + 1],
            chord: [0.0; LAYERS],
        };
        // Bracket r: tiny layers never reach the top, huge ones reach it at once.
        let (mut lo, mut hi) = (1e-3, 1.0);
        while matches!(z.build(hi), Build::Overshoot) {
            lo = hi;
            hi *= 2.0;
        }
        while matches!(z.build(lo), Build::Undershoot) {
            hi = lo;
            lo *= 0.5;
        }
        loop {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            match z.build(mid) {
                Build::Overshoot => lo = mid,
                Build::Undershoot => hi = mid,
            }
        }
        // `hi` stops just short of the top; the top layer ends at the density's peak.
        let built = z.build(hi);
        debug_assert!(matches!(built, Build::Undershoot));
        z.x[LAYERS] = 0.0;
        z.f[LAYERS] = 1.0;
        for i in 1..=LAYERS {
            z.slope[i] = shape.slope(z.x[i]);
        }
        for i in 1..LAYERS {
            z.chord[i] = (z.f[i] - z.f[i + 1]) / (z.x[i] - z.x[i + 1]);
        }
        z
    }

    /// Fills the tables from the base layer's edge `r`.
    fn build(&mut self, r: f64) -> Build {
        let s = self.shape;
        let v = r * s.density(r) + s.tail_area(r);
        self.x[0] = v / s.density(r);
        self.f[0] = 0.0;
        self.x[1] = r;
        self.f[1] = s.density(r);
        for i in 1..LAYERS {
            let top = self.f[i] + v / self.x[i];
            if top >= 1.0 {
                return Build::Overshoot;
            }
            if i + 1 < LAYERS {
                self.f[i + 1] = top;
                self.x[i + 1] = s.inverse(top);
            }
        }
        Build::Undershoot
    }

    /// One sample of the standardised density, given the layer and `u` uniform in `[0, 1)`
    /// (a `u` rounded up to 1 is harmless: that point lies outside its layer's rectangle and
    /// is rejected or sent to the tail). Further draws from `rng` only when the fast path
    /// misses.
    #[inline]
    pub fn sample(&self, layer: usize, u: f64, rng: &mut SimRng) -> f64 {
        let x = u * self.x[layer];
        if x < self.x[layer + 1] {
            return x;
        }
        self.sample_slow(layer, x, rng)
    }

    #[cold]
    fn sample_slow(&self, mut layer: usize, mut x: f64, rng: &mut SimRng) -> f64 {
        loop {
            if layer == 0 {
                return self.shape.tail(self.x[1], 1.0 - rng.unit());
            }
            // A wedge: x in [inner, outer), heights [low, top).
            let (outer, inner) = (self.x[layer], self.x[layer + 1]);
            let (low, top) = (self.f[layer], self.f[layer + 1]);
            let height = low + rng.unit() * (top - low);
            let under_tangents = (top + self.slope[layer + 1] * (x - inner)).max(low + self.slope[layer] * (x - outer));
            if height < under_tangents {
                return x;
            }
            let under_chord = top + self.chord[layer] * (x - inner);
            if height <= under_chord && height < self.shape.density(x) {
                return x;
            }
            // Rejected: a new layer and point of the same density.
            let bits = rng.next_u64();
            layer = (bits & 0xff) as usize;
            x = unit_53(bits) * self.x[layer];
            if x < self.x[layer + 1] {
                return x;
            }
        }
    }
}

/// `[0, 1)` from the top 53 bits of `bits` (the low byte is left to pick a layer).
#[inline]
pub fn unit_53(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layers have equal areas and end at the peak; for `e^-x` the base layer's edge is
    /// Marsaglia and Tsang's r = 7.69711747013104972 for 256 layers.
    #[test]
    fn layers_have_equal_areas() {
        for shape in [Standard::Exp, Standard::Pareto { alpha: 10.0 }, Standard::Pareto { alpha: 1.51 }] {
            let z = Ziggurat::new(shape);
            let v = z.x[0] * z.f[1];
            for i in 1..LAYERS {
                let area = z.x[i] * (z.f[i + 1] - z.f[i]);
                assert!((area - v).abs() < 1e-9 * v, "{shape:?} layer {i}: {area} vs {v}");
            }
            assert!(z.x.windows(2).all(|w| w[0] > w[1]), "{shape:?}: x decreases");
        }
        let r = Ziggurat::new(Standard::Exp).x[1];
        assert!((r - 7.697_117_470_131_05).abs() < 1e-9, "{r}");
    }
}
