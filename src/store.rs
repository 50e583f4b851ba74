//! The page's one store: the signals the driver writes (the link, a row per device, what
//! discovery found, the setup being edited, the log, the clock), provided once by `App`
//! through Leptos's context, so components read it with [`use_store`] instead of passing it
//! down as a prop. The rules (can this switch be used, is the device reachable, which relays a
//! room's "all off" reaches) live in the core; the store only carries what it decided.

use leptos::prelude::*;

use crate::driver::ViewSignals;

/// Makes `store` the page's store, for every component created below the caller.
pub fn provide_store(store: ViewSignals) {
    provide_context(store);
}

/// The page's store. Every component lives under `App`, which provides it first.
pub fn use_store() -> ViewSignals {
    expect_context::<ViewSignals>()
}
