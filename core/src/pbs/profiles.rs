//! The named WARS latency profiles: the paper's fits to LinkedIn and Yammer production latencies,
//! its wide-area scenario, and the synthetic exponentials of its write-latency experiment.
//!
//! | name              | W                                          | A = R = S                                |
//! |-------------------|--------------------------------------------|------------------------------------------|
//! | `lnkd-ssd`        | 91.22% Pareto(0.235, 10), 8.78% Exp(1.66)  | same as W                                |
//! | `lnkd-disk`       | 38% Pareto(1.05, 1.51), 62% Exp(0.183)     | LNKD-SSD                                 |
//! | `ymmr`            | 93.9% Pareto(3, **3.5**), 6.1% Exp(0.0028) | 98.2% Pareto(1.5, 3.8), 1.8% Exp(0.0217) |
//! | `ymmr-alpha-3.35` | as `ymmr` with the printed alpha 3.35      | as `ymmr`                                |
//! | `wan`             | LNKD-DISK, +75 ms on remote legs           | LNKD-SSD, +75 ms on remote legs          |
//! | `exp:L[:M]`       | Exp(L)                                     | Exp(M), M = 1 by default                 |
//!
//! Pareto(x_m, alpha), Exp(lambda) with lambda per millisecond.
//!
//! **YMMR's write alpha.** The paper's table of fits prints alpha = 3.35 for the Pareto body of
//! YMMR's W, but the authors' simulator (`YammerDelayModel` in `Simulator.java`) uses 3.5, and
//! the published YMMR numbers match 3.5: the paper reports P(consistent) = 0.893 right after
//! commit for N = 3, R = W = 1; this model gives 0.8930 with alpha = 3.5 and 0.8873 with 3.35
//! (10 million trials each, standard error 0.0001; an independent 4-million-sample estimate
//! found 0.8931 and 0.8873). `ymmr` therefore uses 3.5; `ymmr-alpha-3.35` keeps the printed
//! value for comparison.
//!
//! **WAN.** Each trial places the write's coordinator in the datacenter of one replica and the
//! read's coordinator in the datacenter of one replica, each chosen uniformly and independently
//! (so one time in three the same one, as in the authors' simulator). Every message to or from a replica outside the coordinator's
//! datacenter takes 75 ms more on each one-way leg: W and A for the write, R and S for the read.

use std::fmt;

use super::dist::{Dist, Shape};
use super::PbsError;

/// Pareto alpha of YMMR's write body used by the `ymmr` profile (the authors' simulator).
pub const YMMR_W_ALPHA: f64 = 3.5;
/// Pareto alpha of YMMR's write body as printed in the paper's table of fits.
pub const YMMR_W_ALPHA_PRINTED: f64 = 3.35;
/// Extra one-way delay of a message between datacenters in the `wan` profile.
pub const WAN_REMOTE_ONE_WAY_MS: f64 = 75.0;

/// A named set of WARS latency distributions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Profile {
    /// LinkedIn Voldemort on solid-state drives.
    LnkdSsd,
    /// LinkedIn Voldemort on spinning disks: slower, heavier-tailed writes.
    LnkdDisk,
    /// Yammer Riak, with the write alpha of the authors' simulator (3.5).
    Ymmr,
    /// Yammer Riak, with the write alpha printed in the paper's table (3.35).
    YmmrPrintedAlpha,
    /// Replicas in different datacenters, 75 ms apart one way; LNKD-DISK delays otherwise.
    Wan,
    /// Synthetic: W exponential with rate `w_lambda`, A, R and S with rate `ars_lambda` (per ms).
    Exponential { w_lambda: f64, ars_lambda: f64 },
}

/// The four WARS distributions of a profile, plus the datacenter layout for `wan`.
#[derive(Clone, Debug, PartialEq)]
pub struct Latencies {
    /// Coordinator to replica, carrying the write.
    pub w: Dist,
    /// Replica to coordinator, carrying the write's acknowledgement.
    pub a: Dist,
    /// Coordinator to replica, carrying the read request.
    pub r: Dist,
    /// Replica to coordinator, carrying the read response.
    pub s: Dist,
    /// `Some(extra)`: one replica is local to each coordinator (chosen per operation) and every
    /// leg to or from another replica takes `extra` more milliseconds.
    pub remote_one_way_ms: Option<f64>,
}

/// The names `Profile::parse` accepts, for messages and help text.
pub const PROFILE_NAMES: &str =
    "lnkd-ssd, lnkd-disk, ymmr, ymmr-alpha-3.35, wan, exp:LAMBDA (or exp:W_LAMBDA:ARS_LAMBDA)";

impl Profile {
    /// Parses a profile name (case-insensitive): `lnkd-ssd`, `lnkd-disk`, `ymmr`,
    /// `ymmr-alpha-3.35`, `wan`, `exp:LAMBDA` (W rate LAMBDA per ms, A = R = S rate 1) or
    /// `exp:W_LAMBDA:ARS_LAMBDA`.
    pub fn parse(name: &str) -> Result<Profile, PbsError> {
        let lower = name.trim().to_ascii_lowercase();
        let unknown = || PbsError::UnknownLatency(name.to_string());
        match lower.as_str() {
            "lnkd-ssd" => Ok(Profile::LnkdSsd),
            "lnkd-disk" => Ok(Profile::LnkdDisk),
            "ymmr" => Ok(Profile::Ymmr),
            "ymmr-alpha-3.35" => Ok(Profile::YmmrPrintedAlpha),
            "wan" => Ok(Profile::Wan),
            _ => {
                let rest = lower.strip_prefix("exp:").ok_or_else(unknown)?;
                let mut fields = rest.split(':');
                let w_lambda = parse_rate(name, fields.next())?;
                let ars_lambda = match fields.next() {
                    None => 1.0,
                    some => parse_rate(name, some)?,
                };
                if fields.next().is_some() {
                    return Err(unknown());
                }
                Ok(Profile::Exponential { w_lambda, ars_lambda })
            }
        }
    }

    /// The profile's WARS distributions.
    pub fn latencies(&self) -> Latencies {
        let ssd = lnkd_ssd();
        match *self {
            Profile::LnkdSsd => {
                Latencies { w: ssd.clone(), a: ssd.clone(), r: ssd.clone(), s: ssd, remote_one_way_ms: None }
            }
            Profile::LnkdDisk => {
                Latencies { w: lnkd_disk_w(), a: ssd.clone(), r: ssd.clone(), s: ssd, remote_one_way_ms: None }
            }
            Profile::Ymmr => ymmr(YMMR_W_ALPHA),
            Profile::YmmrPrintedAlpha => ymmr(YMMR_W_ALPHA_PRINTED),
            Profile::Wan => Latencies {
                w: lnkd_disk_w(),
                a: ssd.clone(),
                r: ssd.clone(),
                s: ssd,
                remote_one_way_ms: Some(WAN_REMOTE_ONE_WAY_MS),
            },
            Profile::Exponential { w_lambda, ars_lambda } => {
                let ars = Dist::one(Shape::Exponential { lambda: ars_lambda });
                Latencies {
                    w: Dist::one(Shape::Exponential { lambda: w_lambda }),
                    a: ars.clone(),
                    r: ars.clone(),
                    s: ars,
                    remote_one_way_ms: None,
                }
            }
        }
    }
}

impl fmt::Display for Profile {
    /// The name `parse` accepts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Profile::LnkdSsd => f.write_str("lnkd-ssd"),
            Profile::LnkdDisk => f.write_str("lnkd-disk"),
            Profile::Ymmr => f.write_str("ymmr"),
            Profile::YmmrPrintedAlpha => f.write_str("ymmr-alpha-3.35"),
            Profile::Wan => f.write_str("wan"),
            Profile::Exponential { w_lambda, ars_lambda } if *ars_lambda == 1.0 => write!(f, "exp:{w_lambda}"),
            Profile::Exponential { w_lambda, ars_lambda } => write!(f, "exp:{w_lambda}:{ars_lambda}"),
        }
    }
}

fn parse_rate(name: &str, field: Option<&str>) -> Result<f64, PbsError> {
    let text = field.unwrap_or("");
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1e9 => Ok(v),
        _ => Err(PbsError::BadRate { profile: name.to_string(), rate: text.to_string() }),
    }
}

fn mix(parts: &[(f64, Shape)]) -> Dist {
    Dist::mixture(parts).expect("the built-in fits are valid mixtures")
}

/// LNKD-SSD, all four legs: 91.22% Pareto(0.235, 10), 8.78% Exponential(1.66).
fn lnkd_ssd() -> Dist {
    mix(&[(0.9122, Shape::Pareto { x_m: 0.235, alpha: 10.0 }), (0.0878, Shape::Exponential { lambda: 1.66 })])
}

/// LNKD-DISK's write leg: 38% Pareto(1.05, 1.51), 62% Exponential(0.183).
fn lnkd_disk_w() -> Dist {
    mix(&[(0.38, Shape::Pareto { x_m: 1.05, alpha: 1.51 }), (0.62, Shape::Exponential { lambda: 0.183 })])
}

/// YMMR: W 93.9% Pareto(3, w_alpha), 6.1% Exponential(0.0028);
/// A = R = S 98.2% Pareto(1.5, 3.8), 1.8% Exponential(0.0217).
fn ymmr(w_alpha: f64) -> Latencies {
    let ars = mix(&[(0.982, Shape::Pareto { x_m: 1.5, alpha: 3.8 }), (0.018, Shape::Exponential { lambda: 0.0217 })]);
    Latencies {
        w: mix(&[(0.939, Shape::Pareto { x_m: 3.0, alpha: w_alpha }), (0.061, Shape::Exponential { lambda: 0.0028 })]),
        a: ars.clone(),
        r: ars.clone(),
        s: ars,
        remote_one_way_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in [
            Profile::LnkdSsd,
            Profile::LnkdDisk,
            Profile::Ymmr,
            Profile::YmmrPrintedAlpha,
            Profile::Wan,
            Profile::Exponential { w_lambda: 4.0, ars_lambda: 1.0 },
            Profile::Exponential { w_lambda: 0.1, ars_lambda: 2.5 },
        ] {
            assert_eq!(Profile::parse(&p.to_string()).unwrap(), p);
        }
        assert_eq!(Profile::parse("LNKD-SSD").unwrap(), Profile::LnkdSsd);
        assert_eq!(Profile::parse("exp:0.1").unwrap(), Profile::Exponential { w_lambda: 0.1, ars_lambda: 1.0 });
    }

    #[test]
    fn bad_names_say_what_is_accepted() {
        for bad in ["", "ssd", "exp", "exp:", "exp:0", "exp:-1", "exp:nan", "exp:inf", "exp:1:2:3", "exp:x"] {
            let e = Profile::parse(bad).unwrap_err().to_string();
            assert!(e.contains("lnkd-ssd") || e.contains("rate"), "{bad:?}: {e}");
        }
    }
}
