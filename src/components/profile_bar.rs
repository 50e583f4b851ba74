//! Several broker profiles ("Home", "Cabin"): choose one, add, rename, delete (a second tap,
//! and never the last one). Switching saves the profile being left first.

use leptos::prelude::*;
use switchboard_core::say;

use crate::components::text_field::{FormError, TextField};
use crate::components::two_tap;
use crate::setup;

/// The profile chooser.
#[component]
pub fn ProfileBar() -> impl IntoView {
    let signals = crate::store::use_store();
    let profiles = signals.setup.profiles;
    let renaming = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let delete_armed = RwSignal::new(false);
    let count = move || profiles.with(|p| p.list.len());
    let active_name = move || {
        profiles.with(|p| {
            p.list
                .get(p.active)
                .map(|profile| profile.name.clone())
                .unwrap_or_default()
        })
    };
    let on_delete = move |_| {
        if two_tap::confirmed(delete_armed) {
            setup::delete_profile(signals);
        }
    };
    let on_rename = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match setup::rename_profile(signals, &name.get_untracked()) {
            Ok(()) => {
                error.set(None);
                renaming.set(false);
            }
            Err(why) => error.set(Some(why)),
        }
    };
    view! {
        <div class="profile-bar">
            <label class="field">
                <span>{say!("Profile")}</span>
                <select
                    name="profile"
                    on:change=move |ev| {
                        if let Ok(index) = event_target_value(&ev).parse::<usize>() {
                            setup::switch_profile(signals, index);
                        }
                    }
                >
                    {move || profiles.with(|p| {
                        p.list.iter().enumerate().map(|(index, profile)| {
                            let selected = index == p.active;
                            view! { <option value=index.to_string() selected=selected>{profile.name.clone()}</option> }
                        }).collect_view()
                    })}
                </select>
            </label>
            <div class="pair">
                <button type="button" class="chip" on:click=move |_| setup::add_profile(signals)>{say!("New profile")}</button>
                <button type="button" class="chip" on:click=move |_| {
                    name.set(active_name());
                    renaming.set(true);
                }>{say!("Rename")}</button>
                <button
                    type="button"
                    class=move || if delete_armed.get() { "chip is-armed" } else { "chip" }
                    disabled=move || count() < 2
                    on:click=on_delete
                >
                    {move || if delete_armed.get() { say!("Tap again: delete {}", active_name()) } else { say!("Delete") }}
                </button>
            </div>
            {move || renaming.get().then(|| view! {
                <form class="form-inner" on:submit=on_rename novalidate>
                    <TextField caption=say!("Profile name") name="profile_name" value=name />
                    <FormError error=error />
                    <div class="pair">
                        <button type="submit" class="chip is-armed">{say!("Save name")}</button>
                        <button type="button" class="chip" on:click=move |_| renaming.set(false)>{say!("Cancel")}</button>
                    </div>
                </form>
            })}
        </div>
    }
}
