//! Says where the setup on screen came from when it is not this browser's saved one: a link
//! (shown, not saved until kept) or saved settings that cannot be read (left untouched until
//! the user starts afresh). Also shows a failure to save.

use leptos::prelude::*;
use switchboard_core::say;

use crate::setup::{self, SetupOrigin};

/// The banner, when there is something to say.
#[component]
pub fn SetupBanner() -> impl IntoView {
    let signals = crate::store::use_store();
    let origin = signals.setup.origin;
    move || {
        let save_problem = signals
            .setup
            .save_problem
            .get()
            .map(|p| view! { <p class="setup-banner is-problem" role="alert">{p}</p> });
        let origin_view = match origin.get() {
            SetupOrigin::Saved => None,
            SetupOrigin::Link => Some(
                view! {
                    <div class="setup-banner">
                        <p>{say!("This dashboard comes from a link and is not saved in this browser.")}</p>
                        <button type="button" class="chip" on:click=move |_| setup::keep(signals)>
                            {say!("Keep it as my setup")}
                        </button>
                    </div>
                }
                .into_any(),
            ),
            SetupOrigin::Unreadable(problem) => Some(
                view! {
                    <div class="setup-banner is-problem" role="alert">
                        <p>{problem}</p>
                        <button type="button" class="chip" on:click=move |_| setup::keep(signals)>
                            {say!("Start afresh (replaces them)")}
                        </button>
                    </div>
                }
                .into_any(),
            ),
        };
        (save_problem, origin_view)
    }
}
