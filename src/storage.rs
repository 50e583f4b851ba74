//! The profiles kept in this browser (localStorage, one key, the versioned JSON of
//! `switchboard_core::profiles`). Storage may be missing or full (private windows, blocked
//! iframes, quota): every failure is returned as a sentence, never a panic.

use switchboard_core::profiles::Profiles;
use switchboard_core::say;

const KEY: &str = "switchboard.settings";

fn local_storage() -> Result<web_sys::Storage, String> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .ok_or_else(|| say!("This browser does not let the page keep settings (private window or blocked storage): they will be gone when the page closes."))
}

/// The saved profiles, `None` if nothing was saved, or why they cannot be read.
pub fn load() -> Result<Option<Profiles>, String> {
    let storage = local_storage()?;
    let Some(text) = storage.get_item(KEY).ok().flatten() else {
        return Ok(None);
    };
    Profiles::from_json(&text).map(Some).map_err(|problems| {
        say!(
            "Your saved settings could not be read ({}). They were left as they are.",
            problems.join(" ")
        )
    })
}

/// Saves `profiles`; a password is written only where the profile holds one (remembered).
pub fn save(profiles: &Profiles) -> Result<(), String> {
    local_storage()?
        .set_item(KEY, &profiles.to_json(true))
        .map_err(|_| say!("The browser refused to save the settings (storage full or blocked)."))
}
