//! This round's defects, kept so the simulator can show that it finds them.
//!
//! Only with the feature `emulate-old-defects`, which the dev kit's tests alone enable (never
//! the app): each variant switches one piece of the core back to what it did before its fix,
//! at run time, so the same seeds can be run on the old and the new behaviour.

/// A defect of this round, as it was before its fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OldDefect {
    /// Before 5a8c6a8 (`reconnect.rs`): one backoff doubling from 0.5 s with full jitter, up
    /// to 30 s, reset only by a connection that stayed up 5 s; short working connections
    /// (a broker restarted again and again) kept doubling it.
    BackoffResetAfterFiveSeconds,
    /// Before 5f96d5b (`session.rs`): no nudges; behind a broker that writes a large message
    /// only as fast as something wakes it, everything queued behind it waited.
    NoNudges,
}
