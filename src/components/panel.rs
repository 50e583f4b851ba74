//! A collapsible panel whose content is built the first time it is opened.
//!
//! The page starts faster (the forms behind closed panels cost nothing until wanted), and a
//! panel keeps what was typed when it is closed and opened again.

use leptos::prelude::*;

/// A `<details class="panel">` titled `title`; `on_toggle` hears it open (true) and close.
#[component]
pub fn Panel(
    /// The summary line.
    #[prop(into)]
    title: String,
    /// Open (and built) from the start.
    #[prop(default = false)]
    open: bool,
    /// Told when the panel opens or closes.
    #[prop(optional)]
    on_toggle: Option<Callback<bool>>,
    children: ChildrenFn,
) -> impl IntoView {
    let built = RwSignal::new(open);
    let details = NodeRef::<leptos::html::Details>::new();
    view! {
        <details
            class="panel"
            open=open
            node_ref=details
            on:toggle=move |_| {
                let is_open = details.get_untracked().is_some_and(|d| d.open());
                if is_open && !built.get_untracked() {
                    built.set(true);
                }
                if let Some(callback) = on_toggle {
                    callback.run(is_open);
                }
            }
        >
            <summary>{title}</summary>
            {move || built.get().then(|| children())}
        </details>
    }
}
