//! The world's single source of randomness.
//!
//! ChaCha8 (from `rand_chacha`) is a named, portable algorithm: the same seed yields the same
//! stream on every platform, natively and in WebAssembly. A golden-value test pins it. Only
//! integer draws are taken from the stream; the few distributions that need real numbers build
//! them from 53 random bits and use `libm`, whose results do not depend on the platform's C
//! library.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// The seeded random number generator owned by the simulation world.
#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    /// A generator seeded from a 64-bit seed.
    pub fn new(seed: u64) -> Self {
        SimRng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Stream `stream` of the generator seeded from `seed`: ChaCha's 64-bit stream number
    /// (its nonce) selects one of 2^64 independent sequences for the same key; stream 0 is
    /// [`SimRng::new`]'s.
    pub fn with_stream(seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        SimRng(rng)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform integer in `0..n`. Rejection sampling keeps it exactly uniform.
    ///
    /// # Panics
    /// If `n` is zero.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "SimRng::below(0)");
        let zone = u64::MAX - (u64::MAX - n + 1) % n;
        loop {
            let x = self.next_u64();
            if x <= zone {
                return x % n;
            }
        }
    }

    /// A uniform integer in `lo..=hi` (returns `lo` when `hi <= lo`).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.below(span),
            None => self.next_u64(),
        }
    }

    /// True with probability `ppm / 1_000_000`.
    pub fn chance_ppm(&mut self, ppm: u32) -> bool {
        ppm > 0 && (ppm >= 1_000_000 || self.below(1_000_000) < ppm as u64)
    }

    /// A uniform real number in `[0, 1)` built from 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the algorithm: if these change, every recorded trace hash changes too.
    #[test]
    fn golden_values() {
        let mut rng = SimRng::new(42);
        let got: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        assert_eq!(got, GOLDEN_SEED_42, "ChaCha8 stream for seed 42 changed");
        let mut rng = SimRng::new(7);
        let draws: Vec<u64> = (0..6).map(|_| rng.below(10)).collect();
        assert_eq!(draws, GOLDEN_BELOW_10_SEED_7);
        let mut rng = SimRng::with_stream(42, 0);
        assert_eq!(rng.next_u64(), GOLDEN_SEED_42[0], "stream 0 is the seed's own");
        let mut rng = SimRng::with_stream(42, 1);
        assert_eq!(rng.next_u64(), GOLDEN_SEED_42_STREAM_1, "ChaCha8 stream 1 for seed 42 changed");
    }

    const GOLDEN_SEED_42: [u64; 4] =
        [12578764544318200737, 17529487244874322312, 7886285670807131020, 11572758976476374866];
    const GOLDEN_SEED_42_STREAM_1: u64 = 13222472167927179408;
    const GOLDEN_BELOW_10_SEED_7: [u64; 6] = [5, 4, 5, 3, 0, 8];

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = SimRng::new(1);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            let x = rng.below(7);
            seen[x as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800 && c < 1200), "{seen:?}");
    }

    #[test]
    fn unit_is_in_half_open_interval() {
        let mut rng = SimRng::new(3);
        for _ in 0..10_000 {
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
