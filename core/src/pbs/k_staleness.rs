//! Closed-form staleness in versions for non-expanding partial quorums.
//!
//! If a write reaches a random set of `W` of the `N` replicas and nothing propagates it further,
//! a read of a random set of `R` replicas misses it with probability
//! `p_s = C(N - W, R) / C(N, R)` (the read set lies wholly among the `N - W` others). Writes
//! choose their sets independently, so a read misses each of the last `k` versions with
//! probability `p_s^k`: it returns one of them with probability `1 - p_s^k`. This ignores time
//! (and so is pessimistic for Dynamo-style stores, whose writes go to all `N` replicas and
//! keep spreading after commit: that is what the WARS model measures).

use super::PbsError;

/// `C(N - W, R) / C(N, R)`: the probability that a random read quorum misses a random write
/// quorum (0 for strict quorums, `R + W > N`).
pub fn p_stale(n: u64, r: u64, w: u64) -> Result<f64, PbsError> {
    check(n, r, w)?;
    if r + w > n {
        return Ok(0.0);
    }
    // C(N-W, R) / C(N, R) = prod_{i<R} (N-W-i) / (N-i): no large factorials.
    Ok((0..r).map(|i| (n - w - i) as f64 / (n - i) as f64).product())
}

/// Probability that a read returns one of the last `k` versions: `1 - p_s^k`.
pub fn p_within_k(n: u64, r: u64, w: u64, k: u32) -> Result<f64, PbsError> {
    if k == 0 {
        return Err(PbsError::Versions);
    }
    Ok(1.0 - libm::pow(p_stale(n, r, w)?, k as f64))
}

/// Probability that a client's read violates monotonic reads, given `p_s`, the global write
/// rate to the key and the client's read rate: `p_s^(1 + writes / reads)` (between two reads
/// of one client, `writes / reads` newer versions arrive on average). With `strict` (a read
/// must not even return the same version when a newer one exists) the exponent is
/// `writes / reads`.
pub fn p_monotonic_reads_violation(p_s: f64, write_rate: f64, read_rate: f64, strict: bool) -> f64 {
    let ratio = write_rate / read_rate;
    libm::pow(p_s, if strict { ratio } else { 1.0 + ratio })
}

fn check(n: u64, r: u64, w: u64) -> Result<(), PbsError> {
    let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    if n < 1 {
        return Err(PbsError::Replicas(as_i64(n)));
    }
    if r < 1 || r > n {
        return Err(PbsError::ReadQuorum { r: as_i64(r), n: as_i64(n) });
    }
    if w < 1 || w > n {
        return Err(PbsError::WriteQuorum { w: as_i64(w), n: as_i64(n) });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's examples: (N, R, W, k, P(within k versions)).
    const TABLE: &[(u64, u64, u64, u32, f64)] = &[
        (3, 1, 1, 1, 1.0 / 3.0),
        (3, 1, 1, 2, 0.5556),
        (3, 1, 1, 3, 0.7037),
        (3, 1, 1, 5, 0.868313),
        (3, 1, 1, 10, 0.982658),
        (3, 1, 2, 1, 0.6667),
        (3, 2, 1, 1, 0.6667),
        (3, 1, 2, 2, 0.8889),
        (3, 1, 2, 5, 0.995885),
        (3, 2, 2, 1, 1.0),
    ];

    #[test]
    fn paper_examples() {
        for &(n, r, w, k, want) in TABLE {
            let got = p_within_k(n, r, w, k).unwrap();
            assert!((got - want).abs() < 5e-5, "N={n} R={r} W={w} k={k}: {got} vs {want}");
        }
        let p = p_stale(100, 30, 30).unwrap();
        assert!((p - 1.88e-6).abs() < 0.005e-6, "{p}");
    }

    #[test]
    fn monotonic_reads() {
        let p_s = p_stale(3, 1, 1).unwrap();
        assert!((p_monotonic_reads_violation(p_s, 1.0, 1.0, false) - p_s * p_s).abs() < 1e-12);
        assert!((p_monotonic_reads_violation(p_s, 1.0, 1.0, true) - p_s).abs() < 1e-12);
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(p_stale(0, 1, 1).is_err());
        assert!(p_stale(3, 4, 1).is_err());
        assert!(p_stale(3, 1, 0).is_err());
        assert!(p_within_k(3, 1, 1, 0).is_err());
    }
}
