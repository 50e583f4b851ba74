//! The second tap that guards a risky action (a garage door, a room's or a group's "all off",
//! deleting a profile): the first tap arms it for a few seconds, the second carries it out.

use gloo_timers::callback::Timeout;
use leptos::prelude::*;

/// How long a first tap stays armed.
pub const CONFIRM_WINDOW_MS: u32 = 4_000;

/// For an on/off guard: true when this tap is the confirming second one (the guard is then
/// disarmed); otherwise arms it and returns false.
pub fn confirmed(armed: RwSignal<bool>) -> bool {
    if armed.get_untracked() {
        armed.set(false);
        true
    } else {
        arm(armed, true, false);
        false
    }
}

/// Arms `signal` with `armed` and puts it back to `idle` after [`CONFIRM_WINDOW_MS`] (unless
/// the component is gone by then).
pub fn arm<T: Clone + Send + Sync + 'static>(signal: RwSignal<T>, armed: T, idle: T) {
    signal.set(armed);
    Timeout::new(CONFIRM_WINDOW_MS, move || {
        let _ = signal.try_set(idle);
    })
    .forget();
}
