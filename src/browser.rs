//! Small reads from the browser: a monotonic clock, random numbers, the page URL, and a
//! client id that is unique per tab and stable across reloads of that tab (sessionStorage).
//!
//! Every call tolerates a missing API (an iframe with storage blocked, an old browser): the
//! fallback is always a working value, never a panic.

use switchboard_core::time::Millis;

const CLIENT_ID_KEY: &str = "switchboard.client_id";

/// Milliseconds since the page started (`performance.now()`), monotonic.
pub fn now() -> Millis {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now().max(0.0) as Millis)
        .unwrap_or_else(|| js_sys::Date::now() as Millis)
}

/// 64 random bits from `crypto.getRandomValues`, or `Math.random` if that is unavailable.
pub fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if filled {
        u64::from_le_bytes(bytes)
    } else {
        (js_sys::Math::random() * u64::MAX as f64) as u64
    }
}

/// This tab's MQTT client id: kept in sessionStorage so a reload keeps it, while another tab
/// gets its own (two clients with one id would kick each other off forever).
pub fn client_id() -> String {
    let storage = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    if let Some(id) = storage
        .as_ref()
        .and_then(|s| s.get_item(CLIENT_ID_KEY).ok().flatten())
        .filter(|id| id.starts_with("switchboard-") && id.len() <= 23)
    {
        return id;
    }
    let id = format!("switchboard-{:010x}", random_u64() & 0xFF_FFFF_FFFF);
    if let Some(storage) = storage {
        let _ = storage.set_item(CLIENT_ID_KEY, &id);
    }
    id
}

/// The page's query string, fragment and protocol (`https:` ...), empty when unavailable.
pub fn page_location() -> (String, String, String) {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return Default::default();
    };
    (
        location.search().unwrap_or_default(),
        location.hash().unwrap_or_default(),
        location.protocol().unwrap_or_default(),
    )
}
