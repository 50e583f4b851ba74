//! A labelled text input, menu and checkbox bound to signals, and the form's error line:
//! the pieces every form on the page repeats.

use leptos::prelude::*;

/// A `<label>` wrapping its caption and an `<input>` that reads and writes `value`.
#[component]
pub fn TextField(
    /// The visible caption, also the input's accessible name.
    #[prop(into)]
    caption: String,
    /// The input's `name`.
    name: &'static str,
    /// The signal the input edits.
    value: RwSignal<String>,
    /// `text` or `password`.
    #[prop(default = "text")]
    kind: &'static str,
    /// Example text shown while empty.
    #[prop(into, default = String::new())]
    placeholder: String,
    /// The `autocomplete` hint.
    #[prop(default = "off")]
    autocomplete: &'static str,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{caption}</span>
            <input
                type=kind
                name=name
                placeholder=placeholder
                autocomplete=autocomplete
                autocapitalize="off"
                spellcheck="false"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}

/// A checkbox with its caption beside it, reading and writing `value`.
#[component]
pub fn CheckField(
    /// The visible caption, also the checkbox's accessible name.
    #[prop(into)]
    caption: String,
    /// The input's `name`.
    name: &'static str,
    /// The signal the checkbox edits.
    value: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <label class="check">
            <input
                type="checkbox"
                name=name
                prop:checked=move || value.get()
                on:change=move |ev| value.set(event_target_checked(&ev))
            />
            <span>{caption}</span>
        </label>
    }
}

/// A `<label>` wrapping its caption and a `<select>` of `options` (value, words) that reads
/// and writes `value`. One component for every menu, so each adds no code of its own.
#[component]
pub fn SelectField(
    /// The visible caption, also the menu's accessible name.
    #[prop(into)]
    caption: String,
    /// The select's `name`.
    name: &'static str,
    /// (value, words) of each option, in order.
    options: Vec<(&'static str, String)>,
    /// The signal the menu edits (an option's value).
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{caption}</span>
            <select
                name=name
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {options.into_iter().map(|(code, words)| view! { <option value=code>{words}</option> }).collect_view()}
            </select>
        </label>
    }
}

/// The form's error, announced as an alert when present.
#[component]
pub fn FormError(error: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <p class="form-error" role="alert">{e}</p> })
    }
}
