//! Time as this crate sees it: milliseconds on a monotonic clock owned by the caller.
//!
//! The browser passes `performance.now()`, the dev kit passes the time since it started, tests
//! pass whatever they like. Nothing here reads a clock: `std::time::Instant::now()` panics on
//! wasm32-unknown-unknown, and a clock passed in makes every timeout testable to the millisecond.

/// Milliseconds since an arbitrary, fixed origin chosen by the caller.
pub type Millis = u64;

/// One second in [`Millis`].
pub const SECOND: Millis = 1_000;
