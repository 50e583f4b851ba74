//! The language menu: the browser's language or one chosen here (saved in this browser).
//! Each language is listed in its own name, so someone landed in the wrong one can find theirs.

use leptos::prelude::*;
use switchboard_core::i18n::{self, Lang};
use switchboard_core::say;

use crate::language;

/// A `<select>` that saves the choice and reloads the page in it.
#[component]
pub fn LanguagePicker() -> impl IntoView {
    let current = language::saved().map_or("auto", Lang::code);
    // Also in English when the page is not, for whoever cannot read the language it is in.
    let label = match i18n::language() {
        Lang::En => say!("Language"),
        _ => format!("{} · Language", say!("Language")),
    };
    let on_change = move |ev| {
        let code = event_target_value(&ev);
        language::choose(Lang::from_tag(&code));
    };
    view! {
        <label class="language">
            <span>{label}</span>
            <select name="language" on:change=on_change>
                <option value="auto" selected=current == "auto">{say!("Browser language")}</option>
                {Lang::ALL
                    .into_iter()
                    .map(|lang| view! {
                        <option value=lang.code() selected=current == lang.code()>{lang.native_name()}</option>
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
