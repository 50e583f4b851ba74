//! Exponential backoff with full jitter, and a tiny deterministic random source for it.
//!
//! Full jitter (a delay drawn uniformly from zero up to the exponential ceiling) keeps many
//! clients from reconnecting in lock-step after a broker restart. The random source is seeded
//! by the caller, so tests are exact and the browser can seed from `crypto.getRandomValues`.

use crate::time::Millis;

/// A growing delay: `first`, doubling per attempt, never above `cap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    first: Millis,
    cap: Millis,
    attempt: u32,
}

impl Backoff {
    /// A backoff whose ceiling starts at `first` and doubles up to `cap`.
    pub fn new(first: Millis, cap: Millis) -> Self {
        Self {
            first: first.max(1),
            cap: cap.max(first),
            attempt: 0,
        }
    }

    /// The ceiling for the current attempt, without jitter.
    pub fn ceiling(&self) -> Millis {
        let factor = 1u64 << self.attempt.min(20);
        self.first.saturating_mul(factor).min(self.cap)
    }

    /// The ceiling for this attempt; the next attempt's ceiling doubles.
    pub fn next_delay(&mut self) -> Millis {
        let delay = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        delay
    }

    /// A delay drawn uniformly from `[0, ceiling]` ("full jitter"); the next ceiling doubles.
    pub fn next_jittered_delay(&mut self, random: &mut Random) -> Millis {
        let ceiling = self.next_delay();
        random.below(ceiling + 1)
    }

    /// How many delays were handed out since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Start again from the first delay (after a connection that stayed up).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// A small xorshift64* generator: good enough to spread reconnects, not for secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Random {
    state: u64,
}

impl Random {
    /// A generator from a seed; a zero seed is replaced, as xorshift would stay at zero.
    pub fn new(seed: u64) -> Self {
        Self {
            state: if seed == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                seed
            },
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `[0, bound)`; zero when `bound` is zero.
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next_u64() % bound
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_from_first_and_stop_at_the_cap() {
        let mut backoff = Backoff::new(500, 30_000);
        let delays: Vec<_> = (0..9).map(|_| backoff.next_delay()).collect();
        assert_eq!(
            delays,
            [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]
        );
    }

    #[test]
    fn reset_starts_again_from_the_first_delay() {
        let mut backoff = Backoff::new(500, 30_000);
        backoff.next_delay();
        backoff.next_delay();
        backoff.reset();
        assert_eq!(backoff.next_delay(), 500);
    }

    #[test]
    fn jittered_delays_stay_within_the_ceiling_and_spread_out() {
        let mut random = Random::new(42);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let mut backoff = Backoff::new(1_000, 30_000);
            let delay = backoff.next_jittered_delay(&mut random);
            assert!(delay <= 1_000, "delay {delay} above the ceiling");
            seen.insert(delay / 100);
        }
        assert!(seen.len() >= 8, "jitter did not spread: {seen:?}");
    }

    #[test]
    fn a_zero_seed_still_produces_numbers() {
        let mut random = Random::new(0);
        assert_ne!(random.next_u64(), random.next_u64());
    }
}
