//! Words for the user, in their language.
//!
//! Every sentence the page shows is written once, in English, through [`say!`](crate::say):
//! `say!("Not sent: {}", why)`. The English template is the key into the catalog of the chosen
//! language (`locales/<code>.json`, a flat JSON object from English template to translation,
//! fetched by the page before it draws anything), so English needs no catalog and a sentence
//! with no translation falls back to English instead of vanishing.
//!
//! Holes: `{}` takes the next value, `{0}`, `{1}` a given one (a translation may reorder them),
//! `{{` and `}}` are literal braces. The values are inserted as they are (device names, topics,
//! broker replies), never looked up.
//!
//! The catalog is ambient, like a locale: installed once per page load, read by `say!` wherever
//! a sentence is built (core and app). Changing the language reloads the page, so every sentence
//! already on screen is rebuilt in the new one. Tests run without a catalog, in English.
//! `crates/core/tests/catalog.rs` checks that both catalogs translate every template in the code,
//! with the same holes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::{Display, Write};

/// The languages the page speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
    De,
}

impl Lang {
    /// Every language, in the order the language menu lists them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Es, Lang::De];

    /// The BCP 47 code (`<html lang>`, `locales/<code>.json`, `lang=` in the link).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::De => "de",
        }
    }

    /// The language's own name for itself, as language menus show it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
            Lang::De => "Deutsch",
        }
    }

    /// Reads a language tag such as `es`, `de-AT` or `EN_us`; `None` for one we do not speak.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.code()))
    }

    /// The first of the browser's preferred languages (`navigator.languages`, best first) that
    /// we speak; English when none is.
    pub fn from_preferences<'a>(tags: impl IntoIterator<Item = &'a str>) -> Lang {
        tags.into_iter()
            .find_map(Lang::from_tag)
            .unwrap_or(Lang::En)
    }
}

/// The translations of one language, keyed by English template.
#[derive(Debug, Default)]
pub struct Catalog {
    lang: Option<Lang>,
    messages: HashMap<String, String>,
}

impl Catalog {
    /// Reads `locales/<code>.json`: one JSON object, English template to translation.
    pub fn from_json(lang: Lang, text: &str) -> Result<Catalog, String> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("the {} catalog is not valid JSON ({e})", lang.code()))?;
        let serde_json::Value::Object(entries) = value else {
            return Err(format!("the {} catalog is not a JSON object", lang.code()));
        };
        let messages = entries
            .into_iter()
            .filter_map(|(english, translated)| match translated {
                serde_json::Value::String(text) => Some((english, text)),
                _ => None,
            })
            .collect();
        Ok(Catalog {
            lang: Some(lang),
            messages,
        })
    }

    /// The translation of `template`, if the catalog has one.
    pub fn get(&self, template: &str) -> Option<&str> {
        self.messages.get(template).map(String::as_str)
    }

    /// How many translations the catalog holds.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether the catalog holds no translation.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

thread_local! {
    static CURRENT: RefCell<Catalog> = RefCell::new(Catalog::default());
}

/// Makes `catalog` the language of every sentence built from now on in this thread.
pub fn install(catalog: Catalog) {
    CURRENT.with(|current| *current.borrow_mut() = catalog);
}

/// The language sentences are built in now.
pub fn language() -> Lang {
    CURRENT.with(|current| current.borrow().lang.unwrap_or(Lang::En))
}

/// `template` in the current language with its holes filled; what [`say!`](crate::say) calls.
pub fn say(template: &str, args: &[&dyn Display]) -> String {
    CURRENT.with(|current| {
        let catalog = current.borrow();
        fill(catalog.get(template).unwrap_or(template), args)
    })
}

/// Fills the holes of `template` (see the module notes). A hole with no value stays empty and
/// braces that are not a hole are kept as written, so a bad translation never panics.
pub fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut next = 0;
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(close) = tail.strip_prefix('{').and_then(|t| t.find('}')) {
            let inside = &tail[1..1 + close];
            let index = if inside.is_empty() {
                next += 1;
                Some(next - 1)
            } else {
                inside.parse::<usize>().ok()
            };
            if let Some(index) = index {
                if let Some(arg) = args.get(index) {
                    let _ = write!(out, "{arg}");
                }
                rest = &tail[close + 2..];
                continue;
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// The holes of a template, as [`fill`] reads them: `None` for a `{}`, `Some(n)` for `{n}`.
/// Used to check that a translation has the same holes as its English template.
pub fn holes(template: &str) -> Vec<Option<usize>> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            rest = &tail[2..];
            continue;
        }
        if let Some(close) = tail.strip_prefix('{').and_then(|t| t.find('}')) {
            let inside = &tail[1..1 + close];
            if inside.is_empty() {
                found.push(None);
            } else if let Ok(n) = inside.parse::<usize>() {
                found.push(Some(n));
            }
            rest = &tail[close + 2..];
            continue;
        }
        rest = &tail[1..];
    }
    found
}

/// A sentence for the user in the current language: `say!("Not sent: {}", why)`.
///
/// The template must be a literal (it is the catalog key, and the catalog test finds it in the
/// source). Its holes are checked against the values at compile time, as `format!` would.
#[macro_export]
macro_rules! say {
    ($template:literal) => {
        $crate::i18n::say($template, &[])
    };
    ($template:literal, $($arg:expr),+ $(,)?) => {{
        if false {
            let _ = format!($template, $($arg),+);
        }
        $crate::i18n::say($template, &[$(&$arg as &dyn ::std::fmt::Display),+])
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_are_filled_in_order_by_number_and_braces_escaped() {
        assert_eq!(fill("Not sent: {}.", &[&"offline"]), "Not sent: offline.");
        assert_eq!(fill("{1} before {0}", &[&"a", &2]), "2 before a");
        assert_eq!(fill("`{{\"GP16\":1}}` {}", &[&"x"]), "`{\"GP16\":1}` x");
        assert_eq!(fill("no holes", &[]), "no holes");
    }

    #[test]
    fn a_bad_translation_never_panics_and_keeps_what_it_cannot_read() {
        assert_eq!(fill("{} and {} and {7}", &[&"one"]), "one and  and ");
        assert_eq!(
            fill("{name} stays, { and } too", &[&1]),
            "{name} stays, { and } too"
        );
        assert_eq!(fill("ends with {", &[]), "ends with {");
        assert_eq!(fill("ünïcödé {} ✓", &[&"→"]), "ünïcödé → ✓");
    }

    #[test]
    fn holes_are_listed_for_the_catalog_check() {
        assert_eq!(holes("{} of {} {{not}}"), vec![None, None]);
        assert_eq!(holes("{1} {0}"), vec![Some(1), Some(0)]);
        assert_eq!(holes("{name}"), vec![]);
    }

    #[test]
    fn the_browser_preference_picks_the_first_language_we_speak() {
        assert_eq!(Lang::from_preferences(["fr-FR", "de-AT", "es"]), Lang::De);
        assert_eq!(Lang::from_preferences(["ES_mx"]), Lang::Es);
        assert_eq!(Lang::from_preferences(["fr", "ja"]), Lang::En);
        assert_eq!(Lang::from_preferences([]), Lang::En);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn an_installed_catalog_translates_and_unknown_sentences_stay_english() {
        let catalog = Catalog::from_json(
            Lang::De,
            r#"{"Not sent: {}": "Nicht gesendet: {}", "the device is offline": "das Gerät ist offline", "odd": 3}"#,
        )
        .expect("a valid catalog");
        assert_eq!(catalog.len(), 2, "a value that is not text is skipped");
        install(catalog);
        assert_eq!(language(), Lang::De);
        let why = say!("the device is offline");
        assert_eq!(
            say!("Not sent: {}", why),
            "Nicht gesendet: das Gerät ist offline"
        );
        assert_eq!(say!("Connected to {}", "ws://x"), "Connected to ws://x");
        install(Catalog::default());
        assert_eq!(language(), Lang::En);
        assert_eq!(say!("Not sent: {}", "x"), "Not sent: x");
    }

    #[test]
    fn a_broken_catalog_is_refused_with_the_reason() {
        assert!(Catalog::from_json(Lang::Es, "{").is_err());
        assert!(Catalog::from_json(Lang::Es, "[]")
            .err()
            .is_some_and(|e| e.contains("not a JSON object")));
    }
}
