//! The page's language: chosen before anything is drawn, from (best first) `lang=` in the
//! link, the choice saved in this browser, then the browser's own preferences; English when
//! none of them is a language we speak. A language other than English is read from
//! `locales/<code>.json` (next to the page, so it works under any sub-path and offline from the
//! service worker's cache) and installed as the catalog `say!` reads.
//!
//! Choosing another language saves it and reloads the page, so every sentence on screen (and in
//! the dashboard's state) is rebuilt in it.

use switchboard_core::config::parse_page_url;
use switchboard_core::i18n::{self, Catalog, Lang};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::browser;

const KEY: &str = "switchboard.language";

/// The language saved in this browser with [`choose`], if any.
pub fn saved() -> Option<Lang> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|code| Lang::from_tag(&code))
}

/// The language this page load speaks (see the module notes for the order).
fn wanted() -> Lang {
    let (query, fragment, _) = browser::page_location();
    let from_link = parse_page_url(&query, &fragment).0.lang;
    from_link.or_else(saved).unwrap_or_else(|| {
        let languages = web_sys::window()
            .map(|w| w.navigator().languages())
            .map(|list| {
                list.iter()
                    .filter_map(|v| v.as_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        Lang::from_preferences(languages.iter().map(String::as_str))
    })
}

/// Picks the language and installs its catalog; on any failure the page stays in English and
/// the reason goes to the console (the page itself must still open).
pub async fn load() {
    let lang = wanted();
    if lang != Lang::En {
        match fetch_catalog(lang).await {
            Ok(catalog) => i18n::install(catalog),
            Err(why) => web_sys::console::warn_1(&why.into()),
        }
    }
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", i18n::language().code());
    }
}

async fn fetch_catalog(lang: Lang) -> Result<Catalog, String> {
    let failed = |what: &str| format!("The {} texts could not be loaded ({what}).", lang.code());
    let window = web_sys::window().ok_or_else(|| failed("no window"))?;
    let url = format!("locales/{}.json", lang.code());
    let response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .map_err(|_| failed("network"))?
        .dyn_into::<web_sys::Response>()
        .map_err(|_| failed("not a response"))?;
    if !response.ok() {
        return Err(failed(&format!("HTTP {}", response.status())));
    }
    let text = JsFuture::from(response.text().map_err(|_| failed("no body"))?)
        .await
        .map_err(|_| failed("body"))?
        .as_string()
        .ok_or_else(|| failed("not text"))?;
    Catalog::from_json(lang, &text)
}

/// Saves `lang` as this browser's choice (`None`: follow the browser again) and reloads.
pub fn choose(lang: Option<Lang>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(storage) = window.local_storage().ok().flatten() {
        let _ = match lang {
            Some(lang) => storage.set_item(KEY, lang.code()),
            None => storage.remove_item(KEY),
        };
    }
    // A `lang=` in the link would win over the new choice: take it out of the address first.
    let (query, fragment, _) = browser::page_location();
    let (query, fragment) = (without_lang(&query, '?'), without_lang(&fragment, '#'));
    let address = format!("{}{query}{fragment}", browser::page_address());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address));
    }
    let _ = window.location().reload();
}

/// `?a=1&lang=de&b=2` without its `lang=` parameters (`mark` is `?` or `#`).
fn without_lang(part: &str, mark: char) -> String {
    let kept: Vec<&str> = part
        .trim_start_matches(mark)
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang="))
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("{mark}{}", kept.join("&"))
    }
}
