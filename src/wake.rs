//! Tells the driver when timers may have been starved: the tab became visible again, the page
//! came back from the back/forward cache, the network returned, or the window got focus.
//! Browsers throttle timers in hidden tabs (pings stop, the broker drops the client), so these
//! moments call for an immediate check rather than waiting for the next timer.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::VisibilityState;

/// Installs the listeners once for the page's lifetime.
pub fn install(on_wake: fn()) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let hidden = event.type_() == "visibilitychange"
            && web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.visibility_state() != VisibilityState::Visible);
        if !hidden {
            on_wake();
        }
    });
    let callback = listener.as_ref().unchecked_ref();
    for event in ["pageshow", "online", "focus"] {
        let _ = window.add_event_listener_with_callback(event, callback);
    }
    if let Some(document) = window.document() {
        let _ = document.add_event_listener_with_callback("visibilitychange", callback);
    }
    // The listeners live as long as the page.
    listener.forget();
}
