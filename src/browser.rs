//! Small reads from the browser: a monotonic clock, random numbers and the page URL.
//!
//! Every call tolerates a missing API (an iframe with storage blocked, an old browser): the
//! fallback is always a working value, never a panic.

use switchboard_core::time::Millis;

thread_local! {
    /// Looked up once: `now()` runs for every message of a flood, and each lookup is two calls
    /// into JavaScript (measured: 2 % of a 5,000 msg/s flood's samples).
    static PERFORMANCE: Option<web_sys::Performance> =
        web_sys::window().and_then(|w| w.performance());
}

/// Milliseconds since the page started (`performance.now()`), monotonic.
pub fn now() -> Millis {
    PERFORMANCE
        .with(|p| p.as_ref().map(|p| p.now().max(0.0) as Millis))
        .unwrap_or_else(|| js_sys::Date::now() as Millis)
}

/// The browser's wall clock and time zone, for comparing a device's clock with it.
pub fn wall_clock() -> switchboard_core::schedule_book::WallClock {
    let date = js_sys::Date::new_0();
    switchboard_core::schedule_book::WallClock {
        unix_ms: date.get_time() as i64,
        // JavaScript counts the offset the other way: -60 in Berlin in winter.
        utc_offset_minutes: -(date.get_timezone_offset() as i32),
    }
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

/// The page's address without query or fragment (`https://host/path/`), for share links.
pub fn page_address() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    let origin = location.origin().unwrap_or_default();
    let path = location.pathname().unwrap_or_default();
    format!("{origin}{path}")
}
