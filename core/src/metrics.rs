//! Measurements of a run: latency distributions, availability, replication lag over time, and
//! counts of the protocol's notable events.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::{to_ms, Dur, Time};
use crate::view::Lag;

/// Most lag samples kept; beyond that the series is thinned to every other sample, so memory
/// stays bounded however long the run.
pub const MAX_LAG_SAMPLES: usize = 4096;

/// Replication lag of every node at one instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagSample {
    pub time: Time,
    pub lags: Vec<Option<Lag>>,
}

/// Everything measured during a run.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    pub write_latencies: Vec<Dur>,
    pub read_latencies: Vec<Dur>,
    /// Latencies compaction folded out of the vectors above: (latency rounded to three
    /// significant digits, how many), so a long run keeps a bounded distribution.
    pub folded_writes: BTreeMap<Dur, u64>,
    pub folded_reads: BTreeMap<Dur, u64>,
    pub ok: u64,
    pub failed: u64,
    pub unknown: u64,
    pub notes: BTreeMap<&'static str, u64>,
    pub lag_series: Vec<LagSample>,
    /// Keep one sample in `lag_stride` (doubles each time the series is thinned).
    lag_stride: u64,
    lag_seen: u64,
    pub max_lag: Dur,
    pub max_lag_positions: u64,
    /// Leader failures and what followed.
    pub failovers: Vec<FailoverEpisode>,
    /// Writes acknowledged by one of two simultaneous leaders.
    pub split_brain_writes: u64,
}

/// One leader failure: when it failed, when a follower noticed, when a new leader took over,
/// and when the first write was acknowledged again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverEpisode {
    pub failed_leader: usize,
    pub term: u64,
    /// The fault that took the leader away (crash, pause, partition, power-off).
    pub cause: String,
    pub failure: Time,
    pub detected: Option<Time>,
    pub elected: Option<Time>,
    pub new_leader: Option<usize>,
    pub first_write: Option<Time>,
}

/// A failover episode in a report, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailoverReport {
    pub failed_leader: usize,
    pub cause: String,
    pub failure_ms: f64,
    pub new_leader: Option<usize>,
    /// From the failure to the first follower suspecting it.
    pub time_to_detect_ms: Option<f64>,
    /// From detection to a new leader (from the failure when nobody suspected first).
    pub time_to_elect_ms: Option<f64>,
    /// From the failure to the first write acknowledged by the new leader.
    pub unavailability_ms: Option<f64>,
}

impl FailoverEpisode {
    pub fn report(&self) -> FailoverReport {
        let since = |t: Option<Time>, from: Time| t.map(|t| to_ms(t.saturating_sub(from)));
        FailoverReport {
            failed_leader: self.failed_leader,
            cause: self.cause.clone(),
            failure_ms: to_ms(self.failure),
            new_leader: self.new_leader,
            time_to_detect_ms: since(self.detected, self.failure),
            time_to_elect_ms: since(self.elected, self.detected.unwrap_or(self.failure)),
            unavailability_ms: since(self.first_write, self.failure),
        }
    }
}

impl Metrics {
    pub fn record_lag(&mut self, time: Time, lags: &[Option<Lag>]) {
        for l in lags.iter().flatten() {
            self.max_lag = self.max_lag.max(l.time);
            self.max_lag_positions = self.max_lag_positions.max(l.positions);
        }
        let stride = self.lag_stride.max(1);
        self.lag_seen += 1;
        if (self.lag_seen - 1) % stride != 0 {
            return;
        }
        self.lag_series.push(LagSample { time, lags: lags.to_vec() });
        if self.lag_series.len() >= MAX_LAG_SAMPLES {
            let mut i = 0;
            self.lag_series.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.lag_stride = stride * 2;
        }
    }

    /// The report form.
    pub fn summary(&self) -> MetricsReport {
        let completed = self.ok + self.failed + self.unknown;
        MetricsReport {
            write_latency_ms: Quantiles::of_folded(&self.write_latencies, &self.folded_writes),
            read_latency_ms: Quantiles::of_folded(&self.read_latencies, &self.folded_reads),
            availability: if completed == 0 { 1.0 } else { self.ok as f64 / completed as f64 },
            ops_ok: self.ok,
            ops_failed: self.failed,
            ops_unknown: self.unknown,
            max_lag_ms: to_ms(self.max_lag),
            max_lag_positions: self.max_lag_positions,
            notes: self.notes.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            failovers: self.failovers.iter().map(FailoverEpisode::report).collect(),
            lost_writes: 0,
            split_brain_writes: self.split_brain_writes,
        }
    }
}

/// Latency quantiles in milliseconds (nearest rank); zeros when there were no operations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    pub count: usize,
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

/// Rounds a latency to three significant digits (the resolution of folded latencies).
pub fn round3(d: Dur) -> Dur {
    let mut scale = 1;
    while d / scale >= 1000 {
        scale *= 10;
    }
    (d + scale / 2) / scale * scale
}

impl Metrics {
    /// Every write (or read) latency of the run: the samples, then the folded ones at their
    /// rounded values.
    pub fn latency_samples(&self, writes: bool) -> Vec<Dur> {
        let (samples, folded) = if writes {
            (&self.write_latencies, &self.folded_writes)
        } else {
            (&self.read_latencies, &self.folded_reads)
        };
        let mut all = samples.clone();
        for (&d, &n) in folded {
            all.extend(std::iter::repeat_n(d, n as usize));
        }
        all
    }

    /// Moves the latency samples into the folded distributions (bounded: at most a few
    /// thousand distinct rounded values).
    pub fn fold_latencies(&mut self) {
        for d in self.write_latencies.drain(..) {
            *self.folded_writes.entry(round3(d)).or_insert(0) += 1;
        }
        for d in self.read_latencies.drain(..) {
            *self.folded_reads.entry(round3(d)).or_insert(0) += 1;
        }
    }
}

impl Quantiles {
    /// Quantiles of samples plus a folded distribution (value, count).
    pub fn of_folded(samples: &[Dur], folded: &BTreeMap<Dur, u64>) -> Quantiles {
        if folded.is_empty() {
            return Quantiles::of(samples);
        }
        let mut all: BTreeMap<Dur, u64> = folded.clone();
        for &d in samples {
            *all.entry(d).or_insert(0) += 1;
        }
        let n: u64 = all.values().sum();
        let rank = |q: f64| -> f64 {
            let target = ((q * n as f64).ceil() as u64).clamp(1, n);
            let mut seen = 0;
            for (&d, &c) in &all {
                seen += c;
                if seen >= target {
                    return to_ms(d);
                }
            }
            0.0
        };
        let sum: u128 = all.iter().map(|(&d, &c)| d as u128 * c as u128).sum();
        Quantiles {
            count: n as usize,
            p50: rank(0.5),
            p99: rank(0.99),
            p999: rank(0.999),
            max: to_ms(*all.keys().next_back().unwrap_or(&0)),
            mean: to_ms((sum / n as u128) as u64),
        }
    }

    pub fn of(samples: &[Dur]) -> Quantiles {
        if samples.is_empty() {
            return Quantiles::default();
        }
        let mut s = samples.to_vec();
        crate::sort::sort(&mut s);
        let rank = |q: f64| -> f64 {
            let i = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1;
            to_ms(s[i])
        };
        Quantiles {
            count: s.len(),
            p50: rank(0.5),
            p99: rank(0.99),
            p999: rank(0.999),
            max: to_ms(*s.last().unwrap_or(&0)),
            mean: to_ms(s.iter().sum::<u64>() / s.len() as u64),
        }
    }
}

/// Metrics as they appear in a run report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricsReport {
    pub write_latency_ms: Quantiles,
    pub read_latency_ms: Quantiles,
    /// Share of completed operations that succeeded.
    pub availability: f64,
    pub ops_ok: u64,
    pub ops_failed: u64,
    pub ops_unknown: u64,
    pub max_lag_ms: f64,
    pub max_lag_positions: u64,
    /// How often each notable protocol event happened (`semi_sync_fallback`, `discarded`, …).
    pub notes: BTreeMap<String, u64>,
    /// Leader failures: time to detect, time to elect, unavailability window.
    pub failovers: Vec<FailoverReport>,
    /// Acknowledged writes that no node holds any more.
    pub lost_writes: usize,
    /// Writes acknowledged by one of two simultaneous leaders.
    pub split_brain_writes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let s: Vec<Dur> = (1..=1000).map(|x| x * 1000).collect();
        let q = Quantiles::of(&s);
        assert_eq!((q.p50, q.p99, q.p999, q.max), (500.0, 990.0, 999.0, 1000.0));
        assert_eq!(Quantiles::of(&[]).count, 0);
    }

    #[test]
    fn lag_series_stays_bounded() {
        let mut m = Metrics::default();
        for t in 0..100_000u64 {
            m.record_lag(t, &[Some(Lag { positions: t, time: t })]);
        }
        assert!(m.lag_series.len() < MAX_LAG_SAMPLES);
        assert_eq!(m.max_lag, 99_999);
        // Thinned evenly: samples stay in time order and span the run.
        assert!(m.lag_series.windows(2).all(|w| w[0].time < w[1].time));
        assert!(m.lag_series.last().unwrap().time > 90_000);
    }
}
