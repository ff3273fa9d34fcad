//! Frame-time statistics: a bounded window of recent samples with mean and 99th percentile.
//! Used by the animation loop (shown in the status panel) and by the benchmark mode.

use std::collections::VecDeque;

/// Samples kept (about ten seconds at 60 frames per second).
pub const WINDOW: usize = 600;

/// The most recent [`WINDOW`] samples of one measurement, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    values: VecDeque<f64>,
    total: u64,
}

/// Mean and tail of a set of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub mean: f64,
    pub p99: f64,
    pub max: f64,
}

impl Samples {
    pub fn push(&mut self, v: f64) {
        if !v.is_finite() {
            return;
        }
        if self.values.len() == WINDOW {
            self.values.pop_front();
        }
        self.values.push_back(v);
        self.total += 1;
    }

    pub fn clear(&mut self) {
        self.values.clear();
        self.total = 0;
    }

    /// Samples in the window.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Samples ever pushed (including those that left the window).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Mean and nearest-rank 99th percentile of the window; `None` when empty.
    pub fn summary(&self) -> Option<Summary> {
        summarize(self.values.iter().copied())
    }
}

/// Mean, nearest-rank 99th percentile and maximum; `None` for no samples.
pub fn summarize(values: impl IntoIterator<Item = f64>) -> Option<Summary> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    replicalab_core::sort::sort_by(&mut v, f64::total_cmp);
    let count = v.len();
    let mean = v.iter().sum::<f64>() / count as f64;
    let rank = ((0.99 * count as f64).ceil() as usize).clamp(1, count);
    Some(Summary { count, mean, p99: v[rank - 1], max: v[count - 1] })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn summary_of_nothing_is_none() {
        assert_eq!(Samples::default().summary(), None);
        assert_eq!(summarize([f64::NAN]), None);
    }

    #[test]
    fn mean_and_nearest_rank_p99() {
        let s = summarize((1..=100).map(f64::from)).unwrap();
        assert_eq!(s.count, 100);
        assert_eq!(s.mean, 50.5);
        assert_eq!(s.p99, 99.0);
        assert_eq!(s.max, 100.0);
        let one = summarize([7.0]).unwrap();
        assert_eq!((one.mean, one.p99, one.max), (7.0, 7.0, 7.0));
        // A single slow frame among 50 is the p99.
        let mut v = vec![16.0; 49];
        v.push(100.0);
        assert_eq!(summarize(v).unwrap().p99, 100.0);
    }

    #[test]
    fn the_window_is_bounded() {
        let mut s = Samples::default();
        for i in 0..(WINDOW + 10) {
            s.push(i as f64);
        }
        s.push(f64::INFINITY);
        assert_eq!(s.len(), WINDOW);
        assert_eq!(s.total(), (WINDOW + 10) as u64);
        assert_eq!(s.summary().unwrap().max, (WINDOW + 9) as f64);
        s.clear();
        assert!(s.is_empty());
    }
}
