//! Protects a relay from being switched too often: a per-device command rate limit, and a lock
//! after repeated attempts beyond it, released only by the user.
//!
//! A relay drives a heater, a pump or a garage door; toggling it very fast can burn its
//! contacts or the load, and a script or a stolen session could do it on purpose. The default
//! ([`DEFAULT_RATE_LIMIT`]: 4 commands in any 10 s) lets a person switch on, off, on, off at
//! once, and holds back anything faster. After [`LOCK_AFTER_HELD_BACK`] held-back attempts the
//! device is locked until the user unlocks it, so a stuck key or a loop cannot keep trying.
//! Only commands count: questions about state never do.

use std::collections::VecDeque;

use crate::device::CommandError;
use crate::time::{Millis, SECOND};

/// At most `commands` in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Commands allowed in the window (at least 1).
    pub commands: u32,
    /// The sliding window.
    pub window: Millis,
}

/// 4 commands in any 10 seconds.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    commands: 4,
    window: 10 * SECOND,
};

/// Held-back attempts (within one window of each other) that lock the device.
pub const LOCK_AFTER_HELD_BACK: u32 = 3;

impl RateLimit {
    /// Reads `N/S` (N commands per S seconds), e.g. `4/10`; 1 to 100 commands, 1 to 3600 s.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parsed = text.split_once('/').and_then(|(n, s)| {
            let commands = n.trim().parse::<u32>().ok()?;
            let seconds = s.trim().trim_end_matches('s').parse::<u64>().ok()?;
            ((1..=100).contains(&commands) && (1..=3600).contains(&seconds)).then_some(Self {
                commands,
                window: seconds * SECOND,
            })
        });
        parsed.ok_or_else(|| {
            crate::say!("limit \"{}\" must be commands/seconds, e.g. limit=4/10 (1 to 100 commands in 1 to 3600 s).", text)
        })
    }

    /// The `N/S` form.
    pub fn to_text(self) -> String {
        format!("{}/{}", self.commands, self.window / SECOND)
    }
}

/// The guard of one device.
#[derive(Debug, Clone)]
pub struct RelayGuard {
    limit: RateLimit,
    sent_at: VecDeque<Millis>,
    held_back: u32,
    last_held_back: Option<Millis>,
    locked: bool,
}

impl RelayGuard {
    /// Enforces `limit` from now on, keeping what was sent, held back and locked: editing a
    /// device's limit never unlocks it nor forgets its recent commands.
    pub fn set_limit(&mut self, limit: RateLimit) {
        self.limit = RateLimit {
            commands: limit.commands.max(1),
            window: limit.window.max(1),
        };
    }

    /// A guard enforcing `limit`.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit: RateLimit {
                commands: limit.commands.max(1),
                window: limit.window.max(1),
            },
            sent_at: VecDeque::new(),
            held_back: 0,
            last_held_back: None,
            locked: false,
        }
    }

    /// The limit enforced.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// True while locked.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Allows a command now and counts it, or says why not.
    pub fn admit(&mut self, now: Millis) -> Result<(), CommandError> {
        if self.locked {
            return Err(CommandError::Locked);
        }
        while self
            .sent_at
            .front()
            .is_some_and(|at| now.saturating_sub(*at) >= self.limit.window)
        {
            self.sent_at.pop_front();
        }
        if self.sent_at.len() < self.limit.commands as usize {
            self.sent_at.push_back(now);
            return Ok(());
        }
        if self
            .last_held_back
            .is_some_and(|at| now.saturating_sub(at) >= self.limit.window)
        {
            self.held_back = 0;
        }
        self.held_back += 1;
        self.last_held_back = Some(now);
        if self.held_back >= LOCK_AFTER_HELD_BACK {
            self.locked = true;
            return Err(CommandError::Locked);
        }
        Err(CommandError::RateLimited)
    }

    /// The user confirmed: switching is allowed again (the window starts afresh).
    pub fn unlock(&mut self) {
        self.locked = false;
        self.held_back = 0;
        self.last_held_back = None;
        self.sent_at.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_commands_in_ten_seconds_pass_and_the_fifth_waits_for_the_window() {
        let mut guard = RelayGuard::new(DEFAULT_RATE_LIMIT);
        for t in [0, 100, 200, 300] {
            assert_eq!(guard.admit(t), Ok(()), "at {t}");
        }
        assert_eq!(guard.admit(400), Err(CommandError::RateLimited));
        assert_eq!(
            guard.admit(10_000),
            Ok(()),
            "the first command left the window"
        );
        assert_eq!(guard.admit(10_050), Err(CommandError::RateLimited));
    }

    #[test]
    fn repeated_attempts_beyond_the_limit_lock_until_the_user_unlocks() {
        let mut guard = RelayGuard::new(DEFAULT_RATE_LIMIT);
        let results: Vec<_> = (0..100).map(|i| guard.admit(i * 10)).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 4);
        assert_eq!(results[4], Err(CommandError::RateLimited));
        assert_eq!(results[6], Err(CommandError::Locked));
        assert!(guard.is_locked());
        assert_eq!(
            guard.admit(3_600_000),
            Err(CommandError::Locked),
            "time alone unlocked it"
        );
        guard.unlock();
        assert_eq!(guard.admit(3_600_001), Ok(()));
    }

    #[test]
    fn scattered_held_back_attempts_do_not_add_up_to_a_lock() {
        let mut guard = RelayGuard::new(RateLimit {
            commands: 1,
            window: 1_000,
        });
        for round in 0..10u64 {
            let t = round * 5_000;
            assert_eq!(guard.admit(t), Ok(()));
            assert_eq!(guard.admit(t + 10), Err(CommandError::RateLimited));
        }
        assert!(!guard.is_locked());
    }

    #[test]
    fn limits_are_read_from_text_and_nonsense_is_refused() {
        assert_eq!(RateLimit::parse("4/10"), Ok(DEFAULT_RATE_LIMIT));
        assert_eq!(
            RateLimit::parse("2/60s").map(RateLimit::to_text),
            Ok("2/60".into())
        );
        for bad in ["0/10", "4", "4/0", "x/10", "101/10", "4/7200"] {
            assert!(
                RateLimit::parse(bad).unwrap_err().contains("limit=4/10"),
                "{bad}"
            );
        }
    }
}
