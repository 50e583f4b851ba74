//! "Found on this broker": the devices that announce themselves (Tasmota, Home Assistant,
//! Homie, Shelly), each with what it is and an "Add" button; one already on the dashboard
//! says so instead. Every name and detail comes from the broker and is shown as text.

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use switchboard_core::discovery::Found;
use switchboard_core::say;

use crate::components::add_device_form;
use crate::lazy::{self, Loaded};

/// The list of found devices, shown once discovery found something or has a problem; it
/// arrives with the `found` chunk then.
#[component]
pub fn FoundList() -> impl IntoView {
    let signals = crate::store::use_store();
    let is_shown = Memo::new(move |_| {
        signals
            .found
            .with(|f| !f.found.is_empty() || f.problem.is_some())
    });
    move || is_shown.get().then(|| lazy::part(found_content))
}

#[wasm_split(found, wasm_split_path = ::leptos::wasm_split, fallible)]
fn found_content() -> Loaded {
    Ok(view! { <FoundItems /> }.into_any())
}

/// The found devices, each with "Add" (or "on the dashboard").
#[component]
fn FoundItems() -> impl IntoView {
    let signals = crate::store::use_store();
    let error = RwSignal::new(None::<String>);
    let on_dashboard = move |found: &Found| {
        signals.devices.with(|rows| {
            rows.iter()
                .any(|row| row.view.with(|v| v.config.address == found.config.address))
        })
    };
    let items = move || {
        signals.found.with(|f| f.found.clone()).into_iter().map(move |found| {
            let label = found.config.label.clone();
            let detail = format!("{} · {} · {}", found.source.name(), found.detail, found.config.address.summary());
            let added = on_dashboard(&found);
            let config = found.config.clone();
            let add = move |_| error.set(add_device_form::add(signals, config.clone()).err());
            view! {
                <li class="found-item">
                    <div class="found-text">
                        <span class="found-label">{label.clone()}</span>
                        <span class="found-detail">{detail}</span>
                    </div>
                    {if added {
                        view! { <span class="found-added">{say!("On the dashboard")}</span> }.into_any()
                    } else {
                        view! {
                            <button type="button" class="chip" aria-label=say!("Add {}", label) on:click=add>{say!("Add")}</button>
                        }.into_any()
                    }}
                </li>
            }
        }).collect_view()
    };
    // Shown only while there is something to show: `FoundList` decides.
    view! {
            <section class="found" aria-label=say!("Found on this broker")>
                <h2 class="found-title">
                    {say!("Found on this broker")}" "
                    <span class="found-count">{move || signals.found.with(|f| f.found.len())}</span>
                </h2>
                {move || signals.found.with(|f| f.problem.clone()).map(|p| view! { <p class="found-problem">{p}</p> })}
                {move || error.get().map(|e| view! { <p class="form-error">{e}</p> })}
                <ul class="found-items">{items}</ul>
            </section>
    }
}
