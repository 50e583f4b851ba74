//! Editing a device already on the dashboard: its address (as written in a link, e.g.
//! `tasmota:plug_1`), label, room, the second-tap confirmation and the command limit. Saving
//! checks every field first and changes nothing if one is wrong; the device keeps its place.

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use switchboard_core::config::{parse_device_spec, DeviceConfig};
use switchboard_core::dashboard::DeviceId;
use switchboard_core::relay_guard::RateLimit;
use switchboard_core::say;

use crate::components::text_field::{CheckField, FormError, TextField};
use crate::lazy::{self, Loaded};
use crate::setup;

/// The inline edit form of device `id`; `done` closes it. It arrives with the `forms` chunk.
#[component]
pub fn DeviceEditForm(id: DeviceId, config: DeviceConfig, done: RwSignal<bool>) -> impl IntoView {
    lazy::part(move || edit_form(id, config.clone(), done))
}

#[wasm_split(forms, wasm_split_path = ::leptos::wasm_split, fallible)]
fn edit_form(id: DeviceId, config: DeviceConfig, done: RwSignal<bool>) -> Loaded {
    Ok(view! { <EditForm id=id config=config done=done /> }.into_any())
}

#[component]
fn EditForm(id: DeviceId, config: DeviceConfig, done: RwSignal<bool>) -> impl IntoView {
    let signals = crate::store::use_store();
    let original_address = config.address_only_spec();
    let address = RwSignal::new(original_address.clone());
    let label = RwSignal::new(config.label.clone());
    let room = RwSignal::new(config.room.clone().unwrap_or_default());
    let confirm = RwSignal::new(config.options.confirm);
    let limit = RwSignal::new(config.options.limit.to_text());
    let error = RwSignal::new(None::<String>);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let parsed = match RateLimit::parse(&limit.get_untracked()) {
            Ok(parsed) => parsed,
            Err(why) => {
                error.set(Some(say!("Not saved: {}", why)));
                return;
            }
        };
        let rows = signals.devices.get_untracked();
        let devices: Vec<(DeviceId, DeviceConfig)> = rows
            .iter()
            .map(|row| (row.id, row.view.with_untracked(|v| v.config.clone())))
            .collect();
        let typed = address.get_untracked().trim().to_string();
        let new_address = if typed == original_address {
            None
        } else {
            match parse_device_spec(&typed) {
                Ok(parsed)
                    if devices
                        .iter()
                        .any(|(other, d)| *other != id && d.address == parsed.address) =>
                {
                    let taken = say!("\"{}\" is already on the dashboard.", typed);
                    error.set(Some(say!("Not saved: {}", taken)));
                    return;
                }
                Ok(parsed) => Some(parsed.address),
                Err(why) => {
                    error.set(Some(say!("Not saved: {}", why)));
                    return;
                }
            }
        };
        let Some(mut device) = devices
            .into_iter()
            .find(|(other, _)| *other == id)
            .map(|(_, d)| d)
        else {
            done.set(true);
            return;
        };
        let new_label = label.get_untracked().trim().to_string();
        let kept_address = new_address.unwrap_or_else(|| device.address.clone());
        device = DeviceConfig::new(kept_address, new_label);
        device.options.limit = parsed;
        device.options.confirm = confirm.get_untracked();
        let new_room = room.get_untracked().trim().to_string();
        device.room = (!new_room.is_empty()).then_some(new_room);
        error.set(None);
        done.set(true);
        setup::update_device(signals, id, device);
    };
    view! {
        <form class="form-inner card-edit-form" on:submit=on_submit novalidate>
            <TextField caption=say!("Address (as in a link)") name="edit_address" value=address placeholder="tasmota:plug_1" />
            <TextField caption=say!("Label") name="edit_label" value=label />
            <TextField caption=say!("Room (optional)") name="edit_room" value=room placeholder=say!("Kitchen") />
            <TextField caption=say!("Commands allowed (count/seconds)") name="edit_limit" value=limit placeholder="4/10" />
            <CheckField name="edit_confirm" value=confirm caption=say!("Ask for a second tap before switching.") />
            <FormError error=error />
            <div class="pair">
                <button type="submit" class="chip is-armed">{say!("Save")}</button>
                <button type="button" class="chip" on:click=move |_| done.set(true)>{say!("Cancel")}</button>
            </div>
        </form>
    }
}
