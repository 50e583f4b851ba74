//! Switchboard: switch MQTT smart plugs and relays from a static web page.
//!
//! Map of the app (the browser glue around `switchboard-core`, which decides everything):
//! - [`app`]: the root component and the signals the page reads.
//! - [`components`]: the status bar, device cards, found list, connection, device and settings forms.
//! - [`setup`]: the broker profile and device list being edited, kept in step with the
//!   running dashboard and the saved copy.
//! - [`storage`]: the settings kept in this browser (localStorage).
//! - [`store`]: the page's one store of what it shows, provided to every component by context.
//! - [`driver`]: owns the core `Dashboard`, the WebSocket and the one timer; pumps between them.
//! - [`language`]: the page's language (link, saved choice, browser), its catalog loaded first.
//! - [`embed`]: `postMessage` to and from the embedding page (origins in `parent=` only).
//! - [`transport`]: the WebSocket (subprotocol `mqtt`, binary frames as ArrayBuffer).
//! - [`browser`]: clock, randomness, page URL.
//! - [`client_id`]: a client id unique per tab (even a duplicated one), stable across reloads.
//! - [`visibility`]: which cards are near the screen (the rest are refreshed twice a second).
//! - [`lazy`]: the parts that arrive when first used (settings, log, forms, schedules, found).
//! - [`wake`]: visibility, network and focus events that call for an immediate link check.

// A panic in wasm kills the page: outside tests, no `unwrap()` or `expect()` at all (data from
// the network, the user or storage must be handled; clippy enforces it in CI).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod browser;
pub mod client_id;
pub mod components;
pub mod driver;
pub mod embed;
pub mod language;
pub mod layout;
pub mod lazy;
pub mod setup;
pub mod storage;
pub mod store;
pub mod transport;
pub mod visibility;
pub mod wake;

/// Claims the client id and loads the language, then mounts the app on `<body>`.
pub fn start() {
    console_error_panic_hook::set_once();
    wake::install(driver::wake);
    client_id::start_claim();
    wasm_bindgen_futures::spawn_local(async {
        language::load().await;
        leptos::mount::mount_to_body(app::App);
    });
}
