//! Which device cards are on screen (or near it), so a flood of reports for hundreds of devices
//! costs the page only what the user can see.
//!
//! One `IntersectionObserver` watches every card with a margin of 200 px above and below the viewport.
//! The driver copies a device's state into its card at every animation frame while the card is
//! near the screen; cards far from it are refreshed round robin, as many a frame as keeps the
//! frames on time (at least [`OFFSCREEN_MIN_PER_FRAME`]; `switchboard_core::offscreen_sweep`);
//! a card coming into view is brought up to date at once. Without the observer (an old browser), every card
//! counts as visible. Measured with `bench/run.mjs` (1,000 devices).

use std::cell::RefCell;
use std::collections::HashMap;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Cards far from the screen refreshed in a frame however slow the device, so they catch up.
pub const OFFSCREEN_MIN_PER_FRAME: usize = 4;

thread_local! {
    /// Each watched row's `near_screen` signal, by row key.
    static ROWS: RefCell<HashMap<u64, RwSignal<bool>>> = RefCell::new(HashMap::new());
    static OBSERVER: RefCell<Option<web_sys::IntersectionObserver>> = const { RefCell::new(None) };
    /// Called when a card comes near the screen (the driver renders then).
    static ON_SHOWN: RefCell<Option<fn()>> = const { RefCell::new(None) };
}

/// Watches card elements from now on; `on_shown` runs when a hidden card comes into view.
pub fn install(on_shown: fn()) {
    ON_SHOWN.with(|slot| *slot.borrow_mut() = Some(on_shown));
    let callback = Closure::<dyn FnMut(js_sys::Array)>::new(|entries: js_sys::Array| {
        let mut shown = false;
        for entry in entries.iter() {
            let Ok(entry) = entry.dyn_into::<web_sys::IntersectionObserverEntry>() else {
                continue;
            };
            let Some(key) = entry
                .target()
                .get_attribute("data-row")
                .and_then(|k| k.parse::<u64>().ok())
            else {
                continue;
            };
            let near = entry.is_intersecting();
            if let Some(signal) = ROWS.with(|rows| rows.borrow().get(&key).copied()) {
                if signal.get_untracked() != near {
                    shown |= near;
                    signal.set(near);
                }
            }
        }
        if shown {
            if let Some(on_shown) = ON_SHOWN.with(|slot| *slot.borrow()) {
                on_shown();
            }
        }
    });
    let options = web_sys::IntersectionObserverInit::new();
    options.set_root_margin("200px 0px");
    let observer = web_sys::IntersectionObserver::new_with_options(
        callback.as_ref().unchecked_ref(),
        &options,
    );
    callback.forget();
    OBSERVER.with(|slot| *slot.borrow_mut() = observer.ok());
}

/// Starts watching a card (its `data-row` attribute holds the row key); `near_screen` follows.
pub fn observe(element: &web_sys::Element, key: u64, near_screen: RwSignal<bool>) {
    ROWS.with(|rows| rows.borrow_mut().insert(key, near_screen));
    OBSERVER.with(|slot| {
        if let Some(observer) = slot.borrow().as_ref() {
            observer.observe(element);
        }
    });
}

/// Stops watching a card that leaves the page.
pub fn forget(element: &web_sys::Element, key: u64) {
    OBSERVER.with(|slot| {
        if let Some(observer) = slot.borrow().as_ref() {
            observer.unobserve(element);
        }
    });
    ROWS.with(|rows| rows.borrow_mut().remove(&key));
}

/// Whether the card of row `key` is far from the screen.
pub fn is_hidden(key: u64) -> bool {
    ROWS.with(|rows| {
        rows.borrow()
            .get(&key)
            .is_some_and(|near| !near.get_untracked())
    })
}
