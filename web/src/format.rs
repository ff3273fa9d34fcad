//! Pure text and number helpers for the UI: the playback speed scale, time and duration
//! formatting, and the class of a message for colouring. Tested natively.

use replicalab_core::net::Latency;
use replicalab_core::time::Time;

/// The speed slider moves in tenths of a decade: step `s` means `10^(s / 10)` simulated
/// seconds per wall-clock second.
pub const SPEED_STEPS_PER_DECADE: i32 = 10;
/// Slowest speed: a thousandth of real time.
pub const MIN_SPEED_STEP: i32 = -30;
/// Fastest speed: ten times real time.
pub const MAX_SPEED_STEP: i32 = 10;
/// How long a typical message should take on screen at the default speed (wall milliseconds).
pub const TARGET_MESSAGE_WALL_MS: f64 = 200.0;

/// Simulated time per wall-clock time at slider step `step`.
pub fn speed(step: i32) -> f64 {
    10f64.powf(step.clamp(MIN_SPEED_STEP, MAX_SPEED_STEP) as f64 / SPEED_STEPS_PER_DECADE as f64)
}

/// The slider step closest to a speed (clamped to the slider's range).
pub fn speed_step(speed: f64) -> i32 {
    if !(speed.is_finite() && speed > 0.0) {
        return MIN_SPEED_STEP;
    }
    let step = (speed.log10() * SPEED_STEPS_PER_DECADE as f64).round();
    (step as i32).clamp(MIN_SPEED_STEP, MAX_SPEED_STEP)
}

/// "0.05×", "1×", "10×": two significant digits.
pub fn format_speed(step: i32) -> String {
    let s = speed(step);
    let text = if s >= 10.0 {
        format!("{s:.0}")
    } else if s >= 1.0 {
        trim(format!("{s:.1}"))
    } else {
        let digits = (-s.log10()).floor() as usize + 2;
        trim(format!("{s:.digits$}"))
    };
    format!("{text}×")
}

/// The speed in human terms: "1 simulated second takes 4 real seconds", "real time",
/// "1 real second shows 10 simulated seconds".
pub fn format_pace(step: i32) -> String {
    let s = speed(step);
    let two = |x: f64| {
        if x >= 10.0 {
            format!("{x:.0}")
        } else {
            trim(format!("{x:.1}"))
        }
    };
    let plural = |n: &str| if n == "1" { "" } else { "s" };
    if step == 0 {
        "real time: 1 simulated second takes 1 real second".into()
    } else if s < 1.0 {
        let real = 1.0 / s;
        if real >= 60.0 {
            let n = two(real);
            format!("1 simulated millisecond takes {n} real millisecond{}", plural(&n))
        } else {
            let n = two(real);
            format!("1 simulated second takes {n} real second{}", plural(&n))
        }
    } else {
        let n = two(s);
        format!("1 real second shows {n} simulated second{}", plural(&n))
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A simulated instant for people: "0 ms", "12.345 ms", "1.234 s", "2 min 3.4 s".
pub fn format_time(t: Time) -> String {
    let us = t;
    if us < 1_000_000 {
        trim(format!("{:.3}", us as f64 / 1000.0)) + " ms"
    } else if us < 60_000_000 {
        format!("{:.3} s", us as f64 / 1_000_000.0)
    } else {
        let min = us / 60_000_000;
        let rest = (us % 60_000_000) as f64 / 1_000_000.0;
        format!("{min} min {rest:.1} s")
    }
}

/// A short duration: "450 µs", "3.2 ms", "1.5 s".
pub fn format_duration(d: Time) -> String {
    if d < 1_000 {
        format!("{d} µs")
    } else if d < 1_000_000 {
        trim(format!("{:.1}", d as f64 / 1000.0)) + " ms"
    } else {
        trim(format!("{:.1}", d as f64 / 1_000_000.0)) + " s"
    }
}

/// The CSS classes of a message's dot or line: by what it carries, as the core says.
pub fn message_class(class: replicalab_core::protocol::MessageClass) -> String {
    format!("msg msg-{}", class.name())
}

/// A typical latency of a distribution in milliseconds (its mean where that is finite).
pub fn typical_latency_ms(l: &Latency) -> f64 {
    let v = match l {
        Latency::Constant { ms } => *ms,
        Latency::Uniform { min_ms, max_ms } => (min_ms + max_ms) / 2.0,
        Latency::Exponential { mean_ms, min_ms } => min_ms + mean_ms,
        Latency::Pareto { scale_ms, shape } if *shape > 1.0 => scale_ms * shape / (shape - 1.0),
        Latency::Pareto { scale_ms, .. } => scale_ms * 2.0,
        Latency::Mixture { parts } => {
            let total: f64 = parts.iter().map(|p| p.weight.max(0.0)).sum();
            if total > 0.0 {
                parts.iter().map(|p| p.weight.max(0.0) * typical_latency_ms(&p.latency)).sum::<f64>() / total
            } else {
                1.0
            }
        }
    };
    if v.is_finite() && v > 0.0 {
        v
    } else {
        1.0
    }
}

/// The default speed step for a scenario: slow enough that a typical message takes about
/// [`TARGET_MESSAGE_WALL_MS`] on screen.
pub fn default_speed_step(network: &Latency) -> i32 {
    speed_step(typical_latency_ms(network) / TARGET_MESSAGE_WALL_MS)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn the_speed_scale_is_logarithmic_and_clamped() {
        assert_eq!(speed(0), 1.0);
        assert!((speed(10) - 10.0).abs() < 1e-9);
        assert!((speed(-20) - 0.01).abs() < 1e-12);
        assert!((speed(-13) - 0.0501187).abs() < 1e-6);
        assert_eq!(speed(99), speed(MAX_SPEED_STEP));
        assert_eq!(speed(-99), speed(MIN_SPEED_STEP));
        for step in MIN_SPEED_STEP..=MAX_SPEED_STEP {
            assert_eq!(speed_step(speed(step)), step);
        }
        assert_eq!(speed_step(0.0), MIN_SPEED_STEP);
        assert_eq!(speed_step(f64::NAN), MIN_SPEED_STEP);
        assert_eq!(speed_step(1e9), MAX_SPEED_STEP);
    }

    #[test]
    fn speeds_read_well() {
        assert_eq!(format_speed(0), "1×");
        assert_eq!(format_speed(10), "10×");
        assert_eq!(format_speed(3), "2×");
        assert_eq!(format_speed(-10), "0.1×");
        assert_eq!(format_speed(-13), "0.05×");
        assert_eq!(format_speed(-20), "0.01×");
        assert_eq!(format_speed(-22), "0.0063×");
        assert_eq!(format_speed(-30), "0.001×");
    }

    #[test]
    fn paces_read_in_human_terms() {
        assert_eq!(format_pace(-3), "1 simulated second takes 2 real seconds");
        assert_eq!(format_pace(-6), "1 simulated second takes 4 real seconds");
        assert_eq!(format_pace(-12), "1 simulated second takes 16 real seconds");
        assert_eq!(format_pace(-19), "1 simulated millisecond takes 79 real milliseconds");
        assert_eq!(format_pace(0), "real time: 1 simulated second takes 1 real second");
        assert_eq!(format_pace(10), "1 real second shows 10 simulated seconds");
        assert_eq!(format_pace(3), "1 real second shows 2 simulated seconds");
    }

    #[test]
    fn times_read_well() {
        assert_eq!(format_time(0), "0 ms");
        assert_eq!(format_time(12_345), "12.345 ms");
        assert_eq!(format_time(12_000), "12 ms");
        assert_eq!(format_time(1_234_567), "1.235 s");
        assert_eq!(format_time(123_400_000), "2 min 3.4 s");
        assert_eq!(format_duration(450), "450 µs");
        assert_eq!(format_duration(3_200), "3.2 ms");
        assert_eq!(format_duration(3_000), "3 ms");
        assert_eq!(format_duration(1_500_000), "1.5 s");
    }

    #[test]
    fn message_classes_come_from_the_core() {
        use replicalab_core::protocol::MessageClass;
        assert_eq!(message_class(MessageClass::Data), "msg msg-data");
        assert_eq!(message_class(MessageClass::Heartbeat), "msg msg-heartbeat");
        assert_eq!(message_class(MessageClass::Other), "msg msg-other");
    }

    #[test]
    fn typical_latencies_are_means_and_always_positive() {
        assert_eq!(typical_latency_ms(&Latency::Constant { ms: 10.0 }), 10.0);
        assert_eq!(typical_latency_ms(&Latency::Uniform { min_ms: 1.0, max_ms: 4.0 }), 2.5);
        assert_eq!(typical_latency_ms(&Latency::Exponential { mean_ms: 3.0, min_ms: 1.0 }), 4.0);
        assert_eq!(typical_latency_ms(&Latency::Pareto { scale_ms: 2.0, shape: 2.0 }), 4.0);
        assert_eq!(typical_latency_ms(&Latency::Pareto { scale_ms: 2.0, shape: 0.5 }), 4.0);
        assert_eq!(typical_latency_ms(&Latency::Constant { ms: 0.0 }), 1.0);
        assert_eq!(typical_latency_ms(&Latency::Mixture { parts: vec![] }), 1.0);
    }

    #[test]
    fn default_speeds_make_messages_visible() {
        // 2.5 ms typical: 2.5 / 200 = 0.0125 → step −19 (0.013×).
        assert_eq!(default_speed_step(&Latency::Uniform { min_ms: 1.0, max_ms: 4.0 }), -19);
        // 30 ms typical: 0.15 → step −8 (0.16×).
        assert_eq!(default_speed_step(&Latency::Uniform { min_ms: 20.0, max_ms: 40.0 }), -8);
    }
}
