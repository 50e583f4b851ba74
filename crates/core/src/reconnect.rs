//! When to try the broker again after a connection failed or dropped.
//!
//! Failures come in two kinds, and each is paced for what it means:
//! - **The broker is away** (the address cannot be reached, or a connection that had proved
//!   useful dropped: a broker restart, a phone changing networks). Retried quickly: after
//!   0.25–0.5 s, then every 0.5–1 s for the first [`QUICK_WINDOW`] of the outage, so a broker
//!   back from a short outage is found again within about a second, however often it happens.
//!   A longer outage backs off, doubling from 2 s up to [`RECONNECT_CAP`].
//! - **The broker said no** (a refused CONNACK, a protocol error, a server DISCONNECT, no
//!   CONNACK in time, or a connection closed before it did anything, as in a kick loop).
//!   Retrying at once would only hammer it: the wait doubles from 1 s up to
//!   [`RECONNECT_CAP`] from the first such failure, and keeps growing until a connection
//!   works again.
//!
//! A connection *proves useful* when the broker answers something after CONNACK (its SUBACK to
//! the page's subscriptions, a message): that, not a fixed time up, starts the next outage
//! afresh. A "no" is only forgiven by a proven connection that then lived
//! [`FORGIVE_AFTER`] or ended because the network dropped, so a broker that accepts, answers
//! and then breaks the protocol every time is still paced.
//!
//! Every delay is drawn from the upper half of its ceiling ("equal jitter"): spread, so many
//! pages do not come back in lock-step, and never zero. Time is passed in; nothing here reads
//! a clock.

use crate::backoff::{Backoff, Random};
use crate::time::{Millis, SECOND};

/// How long an outage is retried quickly.
pub const QUICK_WINDOW: Millis = 15 * SECOND;
/// The ceiling of the first quick retry, and of the later ones.
pub const QUICK_FIRST: Millis = 500;
/// The ceiling of quick retries after the first.
pub const QUICK_CEILING: Millis = SECOND;
/// The first ceiling once an outage outlasted the quick window.
pub const SLOW_FIRST: Millis = 2 * SECOND;
/// The first ceiling after the broker said no.
pub const REFUSED_FIRST: Millis = SECOND;
/// The longest wait between attempts.
pub const RECONNECT_CAP: Millis = 30 * SECOND;
/// A proven connection that lived this long clears the broker's earlier "no"s.
pub const FORGIVE_AFTER: Millis = 30 * SECOND;

/// Why a connection attempt or a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No connection was made (nothing listening, DNS, TLS, a refused WebSocket).
    Unreachable,
    /// The connection closed or stalled without the broker saying why.
    Dropped,
    /// The broker refused, broke the protocol or sent DISCONNECT.
    Rejected,
}

/// The reconnect schedule of one broker link.
#[derive(Debug, Clone)]
pub struct ReconnectPolicy {
    /// When the current outage began (the first failure since a proven connection).
    outage_since: Option<Millis>,
    quick_attempts: u32,
    slow: Backoff,
    refused: Backoff,
    /// When the current connection proved useful, if it did.
    proven_at: Option<Millis>,
    /// The pre-round rule, when emulated (see [`crate::old_defects`]).
    #[cfg(feature = "emulate-old-defects")]
    pre_round: Option<Backoff>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl ReconnectPolicy {
    /// A link that has not failed yet.
    pub fn new() -> Self {
        Self {
            outage_since: None,
            quick_attempts: 0,
            slow: Backoff::new(SLOW_FIRST, RECONNECT_CAP),
            refused: Backoff::new(REFUSED_FIRST, RECONNECT_CAP),
            proven_at: None,
            #[cfg(feature = "emulate-old-defects")]
            pre_round: None,
        }
    }

    /// Paces reconnects as before this round ([`crate::old_defects::OldDefect`]).
    #[cfg(feature = "emulate-old-defects")]
    pub fn emulate_pre_round_backoff(&mut self) {
        self.pre_round = Some(Backoff::new(QUICK_FIRST, RECONNECT_CAP));
    }

    /// The current connection proved useful at `now`: the next outage starts afresh.
    pub fn proven(&mut self, now: Millis) {
        self.proven_at = Some(now);
        self.outage_since = None;
        self.quick_attempts = 0;
        self.slow.reset();
    }

    /// How long to wait before the next attempt, after a failure of this kind at `now`.
    pub fn next_delay(&mut self, now: Millis, failure: Failure, random: &mut Random) -> Millis {
        let proven_at = self.proven_at.take();
        #[cfg(feature = "emulate-old-defects")]
        if let Some(old) = &mut self.pre_round {
            // Reset only by a connection up 5 s (proven within a round trip of its CONNACK).
            if proven_at.is_some_and(|at| now.saturating_sub(at) >= 5 * SECOND) {
                old.reset();
            }
            return old.next_jittered_delay(random);
        }
        let forgiven = match failure {
            Failure::Unreachable => false,
            Failure::Dropped => proven_at.is_some(),
            Failure::Rejected => {
                proven_at.is_some_and(|at| now.saturating_sub(at) >= FORGIVE_AFTER)
            }
        };
        if forgiven {
            self.refused.reset();
        }
        let said_no =
            failure == Failure::Rejected || (failure == Failure::Dropped && proven_at.is_none());
        let outage_since = *self.outage_since.get_or_insert(now);
        // Only the broker saying no is paced: finding it away (unreachable) after an earlier
        // "no" is an outage like any other, retried quickly (the simulator found a connection
        // cut before it answered slowing down the return from a later broker restart).
        let ceiling = if said_no {
            self.refused.next_delay()
        } else if now.saturating_sub(outage_since) < QUICK_WINDOW {
            self.quick_attempts += 1;
            if self.quick_attempts == 1 {
                QUICK_FIRST
            } else {
                QUICK_CEILING
            }
        } else {
            self.slow.next_delay()
        };
        let half = ceiling / 2;
        half + random.below(ceiling - half + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_000_000;

    /// Simulates an outage: the first failure is `first`, the attempts after it (at the delays
    /// the policy gives) find the broker unreachable until `until`; returns the delays.
    fn delays_while(
        policy: &mut ReconnectPolicy,
        random: &mut Random,
        start: Millis,
        until: Millis,
        first: Failure,
    ) -> Vec<Millis> {
        let mut now = start;
        let mut delays = Vec::new();
        let mut failure = first;
        while now < until {
            let delay = policy.next_delay(now, failure, random);
            delays.push(delay);
            now += delay;
            failure = Failure::Unreachable;
        }
        delays
    }

    #[test]
    fn a_short_outage_is_retried_within_a_second_however_often_it_comes() {
        let mut policy = ReconnectPolicy::new();
        let mut random = Random::new(7);
        let mut now = T0;
        for outage in 0..50 {
            // The connection worked briefly (seconds), then the broker went away for 10 s.
            policy.proven(now);
            now += 2 * SECOND;
            let delays = delays_while(
                &mut policy,
                &mut random,
                now,
                now + 10 * SECOND,
                Failure::Dropped,
            );
            assert!(
                delays.iter().all(|d| *d <= QUICK_CEILING),
                "outage {outage}: {delays:?}"
            );
            assert!(delays[0] <= QUICK_FIRST, "outage {outage}: {delays:?}");
            now += delays.iter().sum::<Millis>();
        }
    }

    #[test]
    fn every_delay_is_spread_and_never_zero() {
        let mut random = Random::new(1);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..500 {
            let mut policy = ReconnectPolicy::new();
            let delay = policy.next_delay(T0, Failure::Unreachable, &mut random);
            assert!((QUICK_FIRST / 2..=QUICK_FIRST).contains(&delay), "{delay}");
            seen.insert(delay / 25);
        }
        assert!(seen.len() >= 8, "jitter did not spread: {seen:?}");
    }

    #[test]
    fn a_long_outage_backs_off_to_the_cap() {
        let mut policy = ReconnectPolicy::new();
        let mut random = Random::new(3);
        let delays = delays_while(
            &mut policy,
            &mut random,
            T0,
            T0 + 10 * 60 * SECOND,
            Failure::Unreachable,
        );
        let late: Vec<_> = delays.iter().rev().take(5).collect();
        assert!(
            late.iter()
                .all(|d| **d >= RECONNECT_CAP / 2 && **d <= RECONNECT_CAP),
            "{late:?}"
        );
        // Ten minutes away costs well under a hundred attempts, not six hundred.
        assert!(delays.len() < 80, "{} attempts", delays.len());
    }

    #[test]
    fn a_broker_that_says_no_is_paced_from_the_first_time() {
        let mut policy = ReconnectPolicy::new();
        let mut random = Random::new(5);
        let delays: Vec<_> = (0..8)
            .map(|_| policy.next_delay(T0, Failure::Rejected, &mut random))
            .collect();
        let ceilings = [1, 2, 4, 8, 16, 30, 30, 30].map(|s| s * SECOND);
        for (delay, ceiling) in delays.iter().zip(ceilings) {
            assert!(
                (ceiling / 2..=ceiling).contains(delay),
                "{delays:?} against {ceilings:?}"
            );
        }
    }

    #[test]
    fn a_kick_loop_is_paced_even_though_every_connection_is_accepted() {
        // Each connection is accepted and dropped before it answered anything.
        let mut policy = ReconnectPolicy::new();
        let mut random = Random::new(9);
        let total: Millis = (0..10)
            .map(|_| policy.next_delay(T0, Failure::Dropped, &mut random))
            .sum();
        assert!(total >= 60 * SECOND, "10 kicks only waited {total} ms");
    }

    #[test]
    fn a_broker_breaking_the_protocol_after_answering_is_still_paced() {
        // Accepted, SUBACK received (proven), then a malformed packet: every time.
        let mut policy = ReconnectPolicy::new();
        let mut random = Random::new(11);
        let mut now = T0;
        let mut delays = Vec::new();
        for _ in 0..6 {
            policy.proven(now);
            now += 50;
            let delay = policy.next_delay(now, Failure::Rejected, &mut random);
            delays.push(delay);
            now += delay;
        }
        assert!(delays[5] >= 15 * SECOND, "{delays:?}");
    }

    #[test]
    fn an_outage_after_an_earlier_no_is_still_retried_quickly() {
        // A connection cut before it answered anything (paced), then the broker restarts:
        // while it is away, the page retries quickly, not at the refusal's growing pace.
        let mut policy = ReconnectPolicy::new();
        let mut random = Random::new(17);
        policy.next_delay(T0, Failure::Dropped, &mut random);
        policy.next_delay(T0 + 1_000, Failure::Rejected, &mut random);
        let delays = delays_while(
            &mut policy,
            &mut random,
            T0 + 3_000,
            T0 + 13_000,
            Failure::Unreachable,
        );
        assert!(delays.iter().all(|d| *d <= QUICK_CEILING), "{delays:?}");
        // The broker saying no again is still paced where it left off.
        let next = policy.next_delay(T0 + 14_000, Failure::Rejected, &mut random);
        assert!(next >= 2 * SECOND, "{next}");
    }

    #[test]
    fn a_working_connection_that_lived_forgives_earlier_refusals() {
        let mut policy = ReconnectPolicy::new();
        let mut random = Random::new(13);
        for _ in 0..5 {
            policy.next_delay(T0, Failure::Rejected, &mut random);
        }
        policy.proven(T0);
        let delay = policy.next_delay(T0 + 60 * SECOND, Failure::Dropped, &mut random);
        assert!(delay <= QUICK_FIRST, "{delay}");
    }
}
