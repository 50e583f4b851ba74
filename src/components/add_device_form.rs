//! Adds a device of any kind: Tasmota, Shelly (Gen2+ and Gen1), a JSON board's pin, or a
//! command/state pair.
//!
//! The fields make a typed `DeviceForm` (core `device_form`), checked by the link parser's own
//! rules (a test holds the two to the same device), its problems naming the field. A duplicate
//! is refused with a message.

use leptos::prelude::*;
use switchboard_core::config::DeviceConfig;
use switchboard_core::device_form::{pin_role_from_code, DeviceForm, FormKind};
use switchboard_core::say;

use crate::components::panel::Panel;
use crate::components::text_field::{CheckField, FormError, TextField};
use crate::driver;
use crate::lazy::{self, Loaded};
use leptos::wasm_split::wasm_split;

/// The "add a device" panel; its form arrives with the `forms` chunk when first opened.
#[component]
pub fn AddDeviceForm() -> impl IntoView {
    view! {
        <Panel title=say!("Add a device")>
            {lazy::part(add_device_content)}
        </Panel>
    }
}

#[wasm_split(forms, wasm_split_path = ::leptos::wasm_split, fallible)]
fn add_device_content() -> Loaded {
    Ok(view! { <AddDeviceFormContent /> }.into_any())
}

/// The "add a device" form.
#[component]
fn AddDeviceFormContent() -> impl IntoView {
    let signals = crate::store::use_store();
    let kind = RwSignal::new(String::from("tasmota"));
    let topic = RwSignal::new(String::new());
    let pin = RwSignal::new(String::new());
    let role = RwSignal::new(String::from("relay"));
    let state_topic = RwSignal::new(String::new());
    let path = RwSignal::new(String::new());
    let availability = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let confirm = RwSignal::new(false);
    let room = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let form = DeviceForm {
            kind: FormKind::from_code(&kind.get_untracked()),
            topic: topic.get_untracked(),
            pin: pin.get_untracked(),
            role: pin_role_from_code(&role.get_untracked()),
            state_topic: state_topic.get_untracked(),
            path: path.get_untracked(),
            availability: availability.get_untracked(),
            label: label.get_untracked(),
            room: room.get_untracked(),
            confirm: confirm.get_untracked(),
        };
        let device = match form.to_config() {
            Ok(device) => device,
            Err(why) => {
                error.set(Some(say!("Cannot add this device. {}", why)));
                return;
            }
        };
        if let Err(why) = add(signals, device) {
            error.set(Some(why));
            return;
        }
        error.set(None);
        for field in [topic, pin, state_topic, path, availability, label, room] {
            field.set(String::new());
        }
    };
    let address_field = move || {
        match kind.get().as_str() {
        "shelly" => view! { <TextField caption=say!("Topic prefix") name="topic" value=topic placeholder="shellyplugsg3-a8032ab29be0" /> }.into_any(),
        "shellygen1" => view! { <TextField caption=say!("Device id") name="topic" value=topic placeholder="shellyplug-s-7AB3C1" /> }.into_any(),
        "jsonrelay" => view! {
            <TextField caption=say!("Board topic") name="topic" value=topic placeholder="garage/relays" />
            <TextField caption=say!("Pin") name="pin" value=pin placeholder="GP16" />
            <label class="field">
                <span>{say!("Pin drives")}</span>
                <select name="role" on:change=move |ev| role.set(event_target_value(&ev)) prop:value=move || role.get()>
                    <option value="relay">{say!("A relay")}</option>
                    <option value="momentary">{say!("A momentary relay (pulse)")}</option>
                    <option value="contact">{say!("Nothing: it is a contact (read only)")}</option>
                </select>
            </label>
        }.into_any(),
        "generic" => view! {
            <TextField caption=say!("Command topic") name="topic" value=topic placeholder="home/lamp/set" />
            <TextField caption=say!("State topic (optional)") name="state" value=state_topic placeholder="home/lamp" />
            <TextField caption=say!("JSON path (optional)") name="path" value=path placeholder="$.state" />
            <TextField caption=say!("Availability topic (optional)") name="availability" value=availability placeholder="home/lamp/status" />
        }.into_any(),
        _ => view! { <TextField caption=say!("Topic") name="topic" value=topic placeholder="tasmota_487D21" /> }.into_any(),
    }
    };
    view! {
        <>
            <form class="form" on:submit=on_submit novalidate>
                <label class="field">
                    <span>{say!("Kind")}</span>
                    <select name="kind" on:change=move |ev| { kind.set(event_target_value(&ev)); error.set(None); } prop:value=move || kind.get()>
                        <option value="tasmota">"Tasmota"</option>
                        <option value="shelly">{say!("Shelly Gen2, Gen3, Gen4")}</option>
                        <option value="shellygen1">"Shelly Gen1"</option>
                        <option value="jsonrelay">{say!("JSON relay board (one pin)")}</option>
                        <option value="generic">{say!("Command and state topics")}</option>
                    </select>
                </label>
                <div class="field-row">
                    {address_field}
                    <TextField caption=say!("Label (optional)") name="label" value=label placeholder=say!("Desk lamp") />
                    <TextField caption=say!("Room (optional)") name="room" value=room placeholder=say!("Kitchen") />
                </div>
                <CheckField
                    name="confirm"
                    value=confirm
                    caption=say!("Ask for a second tap before switching (a heater, a garage door).")
                />
                <FormError error=error />
                <button type="submit" class="primary">{say!("Add device")}</button>
            </form>
        </>
    }
}

/// Adds `device` to the dashboard (or to the list shown before connecting); refuses a
/// device that is already there.
pub fn add(signals: crate::driver::ViewSignals, device: DeviceConfig) -> Result<(), String> {
    let duplicate = signals.devices.with_untracked(|rows| {
        rows.iter().any(|row| {
            row.view
                .with_untracked(|v| v.config.address == device.address)
        })
    });
    if duplicate {
        return Err(say!(
            "\"{}\" is already on the dashboard.",
            device.address.summary()
        ));
    }
    // The row goes in at once (the driver then fills in its state), so the saved copy below
    // already lists the new device.
    let row = crate::app::DeviceRow::waiting(device.clone());
    signals.devices.update(|rows| rows.push(row));
    if driver::is_running() {
        driver::add_device(row.id, device);
    }
    crate::setup::persist(signals);
    Ok(())
}
