//! Simulated time. Every instant and duration in the core is an integer number of
//! microseconds; nothing here reads a clock.

/// An instant of simulated time, in microseconds since the start of the run.
pub type Time = u64;
/// A span of simulated time, in microseconds.
pub type Dur = u64;

/// One millisecond in simulated time units.
pub const MS: Dur = 1_000;
/// One second in simulated time units.
pub const SEC: Dur = 1_000_000;

/// Converts milliseconds (as written in scenario files) to simulated time, rounding to the
/// nearest microsecond. Negative, NaN and huge inputs are rejected by scenario validation
/// before they reach this function; here they saturate.
pub fn from_ms(ms: f64) -> Dur {
    let us = ms * 1000.0 + 0.5;
    if us.is_nan() || us <= 0.0 {
        0
    } else {
        us as u64
    }
}

/// Converts simulated time to milliseconds, for reports.
pub fn to_ms(t: Dur) -> f64 {
    t as f64 / 1000.0
}
