//! When the page draws what changed: at once, or on the next animation frame.
//!
//! A flood of messages must cost one render per frame, yet a click's confirmation should not
//! wait for a frame. So a render goes out *at once* (right after the current task) for:
//! - the first [`AT_ONCE_ARRIVALS`] arrivals from the broker after a quiet spell of
//!   [`QUIET_MS`] (a command's acknowledgement and the device's confirmation), and
//! - a change of usability (a switch became usable or busy: a click, a confirmation, a state
//!   now known, a device gone), at most [`AT_ONCE_PER_WINDOW`] times in any
//!   [`AT_ONCE_WINDOW_MS`];
//!
//! and everything else waits for the next frame. Pure: the glue reports arrivals and
//! usability counts with the time, and asks whether the next render goes at once.

use crate::time::Millis;

/// A pause this long between arrivals from the broker ends a spell.
pub const QUIET_MS: Millis = 50;
/// The first arrivals after a pause are rendered at once; later ones wait for the frame.
pub const AT_ONCE_ARRIVALS: u32 = 4;
/// Renders at once for a change of usability: at most this many in any window.
pub const AT_ONCE_PER_WINDOW: u32 = 4;
/// See [`AT_ONCE_PER_WINDOW`].
pub const AT_ONCE_WINDOW_MS: Millis = 16;

/// The render pacing of one page.
#[derive(Debug, Clone, Default)]
pub struct RenderPacing {
    /// The last arrival and how many arrived since the last quiet spell.
    last_arrival: Millis,
    arrivals: u32,
    /// The dashboard's count of usability changes last seen.
    seen_usability: u64,
    /// The current usability window (its start, renders at once in it).
    window_start: Millis,
    window_renders: u32,
    /// The next render should go at once.
    at_once: bool,
}

impl RenderPacing {
    /// No arrivals yet, nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes arrived from the broker at `now`: the first few after a quiet spell are drawn at
    /// once, a stream waits for the frame.
    pub fn bytes_arrived(&mut self, now: Millis) {
        self.arrivals = if now.saturating_sub(self.last_arrival) >= QUIET_MS {
            1
        } else {
            self.arrivals.saturating_add(1)
        };
        self.last_arrival = now;
        self.at_once = self.arrivals <= AT_ONCE_ARRIVALS;
    }

    /// After an input was handled: `changes` is the dashboard's count of usability changes.
    /// A new change is drawn at once, within the window's quota. `now` is asked only then.
    pub fn usability_seen(&mut self, now: impl FnOnce() -> Millis, changes: u64) {
        if std::mem::replace(&mut self.seen_usability, changes) == changes {
            return;
        }
        let now = now();
        if now.saturating_sub(self.window_start) >= AT_ONCE_WINDOW_MS {
            self.window_start = now;
            self.window_renders = 0;
        }
        if self.window_renders < AT_ONCE_PER_WINDOW {
            self.at_once = true;
            self.window_renders += 1;
        }
    }

    /// Whether the render being scheduled goes at once (and forgets it: asked once per render).
    pub fn take_at_once(&mut self) -> bool {
        std::mem::take(&mut self.at_once)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_arrivals_after_a_pause_are_drawn_at_once_and_a_stream_waits_for_frames() {
        let mut pacing = RenderPacing::new();
        let mut at_once = Vec::new();
        for i in 0..10 {
            pacing.bytes_arrived(1_000 + i);
            at_once.push(pacing.take_at_once());
        }
        assert_eq!(
            at_once,
            [true, true, true, true, false, false, false, false, false, false]
        );
        // A pause ends the spell.
        pacing.bytes_arrived(1_000 + 9 + QUIET_MS);
        assert!(pacing.take_at_once());
    }

    #[test]
    fn a_change_of_usability_is_drawn_at_once_at_most_four_times_in_sixteen_ms() {
        let mut pacing = RenderPacing::new();
        let mut at_once = 0;
        for change in 1..=10u64 {
            pacing.usability_seen(|| 2_000 + change, change);
            at_once += u32::from(pacing.take_at_once());
        }
        assert_eq!(at_once, AT_ONCE_PER_WINDOW);
        // The same count again is no change; a new window has room again.
        pacing.usability_seen(|| 2_010, 10);
        assert!(!pacing.take_at_once());
        pacing.usability_seen(|| 2_000 + AT_ONCE_WINDOW_MS + 11, 11);
        assert!(pacing.take_at_once());
    }

    #[test]
    fn asking_forgets_the_decision() {
        let mut pacing = RenderPacing::new();
        pacing.bytes_arrived(5_000);
        assert!(pacing.take_at_once());
        assert!(!pacing.take_at_once());
    }

    #[test]
    fn a_click_confirmed_during_a_flood_is_still_drawn_at_once() {
        let mut pacing = RenderPacing::new();
        for i in 0..100 {
            pacing.bytes_arrived(1_000 + i);
        }
        assert!(!pacing.take_at_once(), "a flood renders per frame");
        // The confirmation changes usability (pending -> not pending).
        pacing.bytes_arrived(1_100);
        pacing.usability_seen(|| 1_100, 1);
        assert!(pacing.take_at_once());
    }
}
