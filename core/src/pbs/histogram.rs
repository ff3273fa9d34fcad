//! A log-linear histogram for quantiles of millions of samples in bounded memory.
//!
//! A positive value falls in the bin given by its binary exponent and the top
//! [`SUB_BITS`] bits of its mantissa, so every bin is narrower than 2^-12 of its values
//! (0.025%); a quantile is reported as its bin's midpoint, clamped to the smallest and largest
//! values seen, so it is within 0.013% of the exact order statistic. Zero and negative values
//! are counted apart (a read consistent at once has a zero staleness window). Counting is exact
//! and order-free: the same samples give the same histogram on every platform.

/// Mantissa bits that select a bin within one power of two.
pub const SUB_BITS: u32 = 12;
/// Smallest binned value: 2^-20 ms (about a nanosecond); anything smaller lands in the first bin.
const MIN_EXP: i32 = -20;
/// Values of 2^32 ms (about 50 days) and more land in the last bin.
const MAX_EXP: i32 = 32;
const SHIFT: u32 = 52 - SUB_BITS;
const FIRST_KEY: u64 = ((1023 + MIN_EXP) as u64) << SUB_BITS;
const BINS: usize = ((MAX_EXP - MIN_EXP) as usize) << SUB_BITS;

/// Counts of samples by value.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Samples `<= 0`.
    nonpositive: u64,
    bins: Vec<u64>,
    total: u64,
    min: f64,
    max: f64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl Histogram {
    pub fn new() -> Self {
        Histogram { nonpositive: 0, bins: vec![0; BINS], total: 0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }

    fn bin_of(v: f64) -> usize {
        let key = v.to_bits() >> SHIFT;
        (key.saturating_sub(FIRST_KEY) as usize).min(BINS - 1)
    }

    fn bin_bounds(i: usize) -> (f64, f64) {
        let key = FIRST_KEY + i as u64;
        (f64::from_bits(key << SHIFT), f64::from_bits((key + 1) << SHIFT))
    }

    /// Counts one sample. NaN is a caller bug: the model never produces one.
    #[inline]
    pub fn record(&mut self, v: f64) {
        debug_assert!(!v.is_nan(), "histogram sample is NaN");
        self.total += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        if v > 0.0 {
            self.bins[Self::bin_of(v)] += 1;
        } else {
            self.nonpositive += 1;
        }
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &Histogram) {
        self.nonpositive += other.nonpositive;
        for (a, b) in self.bins.iter_mut().zip(&other.bins) {
            *a += b;
        }
        self.total += other.total;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Number of samples.
    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Smallest sample (`+inf` when empty).
    pub fn min(&self) -> f64 {
        self.min
    }

    /// Largest sample (`-inf` when empty).
    pub fn max(&self) -> f64 {
        self.max
    }

    /// The nearest-rank `p`-quantile: the smallest value `v` with at least `ceil(p × len)`
    /// samples `<= v`, to bin precision. Non-positive samples report as 0. `None` when empty.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let p = p.clamp(0.0, 1.0);
        // The small slack keeps 0.999 × 1e6 from rounding up to rank 999_001.
        let rank = ((p * self.total as f64) - 1e-9).ceil().clamp(1.0, self.total as f64) as u64;
        if rank <= self.nonpositive {
            return Some(0.0);
        }
        if rank == self.total {
            return Some(self.max);
        }
        let mut seen = self.nonpositive;
        for (i, &c) in self.bins.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, hi) = Self::bin_bounds(i);
                return Some((0.5 * (lo + hi)).clamp(self.min.max(0.0), self.max));
            }
        }
        Some(self.max)
    }

    /// The fraction of samples below the bin that holds `x` (an estimate of `P(X < x)` that is
    /// low by at most that one bin's share). Non-positive samples count as below any `x > 0`.
    pub fn fraction_below(&self, x: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        if x <= 0.0 {
            return 0.0;
        }
        let below: u64 = self.nonpositive + self.bins[..Self::bin_of(x)].iter().sum::<u64>();
        below as f64 / self.total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_bin_precision() {
        let mut h = Histogram::new();
        for i in 1..=100_000u32 {
            h.record(i as f64 * 0.01);
        }
        for (p, exact) in [(0.5, 500.0), (0.99, 990.0), (0.999, 999.0), (1.0, 1000.0)] {
            let q = h.quantile(p).unwrap();
            assert!((q - exact).abs() <= exact * 2.0f64.powi(-12), "p {p}: {q} vs {exact}");
        }
        assert_eq!(h.quantile(0.0).unwrap(), 0.01);
        assert!((h.fraction_below(500.0) - 0.5).abs() < 1e-3);
    }

    #[test]
    fn non_positive_samples_report_as_zero() {
        let mut h = Histogram::new();
        for v in [-1.0, 0.0, 0.0, 3.0] {
            h.record(v);
        }
        assert_eq!(h.quantile(0.75).unwrap(), 0.0);
        assert!((h.quantile(1.0).unwrap() - 3.0).abs() < 1e-3);
        assert!(Histogram::new().quantile(0.5).is_none());
    }

    #[test]
    fn extreme_values_are_clamped_into_the_end_bins() {
        let mut h = Histogram::new();
        h.record(1e-300);
        h.record(1e300);
        assert_eq!(h.quantile(1.0).unwrap(), 1e300);
        assert!(h.quantile(0.5).unwrap() <= 2.0f64.powi(MIN_EXP + 1));
    }
}
