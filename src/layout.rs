//! Rows or cards on this screen: the profile's (or the link's) [`Layout`] and whether the
//! screen is narrow, followed live (`matchMedia`), so a phone turned sideways or a desktop
//! window made narrow switches with it. The rule itself is the core's (`Layout::is_compact`).

use leptos::prelude::*;
use switchboard_core::layout::{Layout, NARROW_MAX_WIDTH};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// The layout chosen and the screen it is shown on.
#[derive(Clone, Copy)]
pub struct LayoutSignals {
    /// The choice (kept in the profile, or set by the link's `view=`).
    pub view: RwSignal<Layout>,
    /// The screen is at most [`NARROW_MAX_WIDTH`] CSS pixels wide.
    pub narrow: RwSignal<bool>,
    /// Rows are shown: one memo for the whole page, read by every row.
    pub compact: Memo<bool>,
}

impl LayoutSignals {
    /// Signals for `view`, following the screen's width from now on.
    pub fn new(view: Layout) -> Self {
        let narrow = RwSignal::new(false);
        follow_narrow(narrow);
        let view = RwSignal::new(view);
        Self {
            view,
            narrow,
            compact: Memo::new(move |_| view.get().is_compact(narrow.get())),
        }
    }

    /// True while the devices are shown as rows.
    pub fn is_compact(self) -> bool {
        self.compact.get()
    }
}

fn follow_narrow(narrow: RwSignal<bool>) {
    let query = format!("(max-width: {NARROW_MAX_WIDTH}px)");
    let Some(list) = web_sys::window().and_then(|w| w.match_media(&query).ok().flatten()) else {
        return;
    };
    narrow.set(list.matches());
    let watched = list.clone();
    let listener = Closure::<dyn FnMut()>::new(move || {
        let _ = narrow.try_set(watched.matches());
    });
    let _ = list.add_event_listener_with_callback("change", listener.as_ref().unchecked_ref());
    listener.forget();
}
