//! Adds a Tasmota device by its topic (and an optional label).
//!
//! The topic is checked like a URL's `device=` value; a duplicate is refused with a message.

use leptos::prelude::*;
use switchboard_core::config::{validate_device_topic, DeviceConfig};
use switchboard_core::device::SwitchState;

use crate::app::{DeviceRow, DeviceView};
use crate::components::text_field::{FormError, TextField};
use crate::driver::{self, ViewSignals};

/// The "add a device" form.
#[component]
pub fn AddDeviceForm(signals: ViewSignals) -> impl IntoView {
    let topic = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let topic_text = topic.get_untracked().trim().to_string();
        if let Err(why) = validate_device_topic(&topic_text) {
            error.set(Some(format!("Cannot add this device: {why}")));
            return;
        }
        let device = DeviceConfig::tasmota(topic_text.clone(), label.get_untracked().trim());
        let duplicate = signals.devices.with_untracked(|rows| {
            rows.iter().any(|row| {
                row.view
                    .with_untracked(|v| v.config.address == device.address)
            })
        });
        if duplicate {
            error.set(Some(format!(
                "\"{topic_text}\" is already on the dashboard."
            )));
            return;
        }
        error.set(None);
        topic.set(String::new());
        label.set(String::new());
        if driver::is_running() {
            driver::add_device(device);
        } else {
            signals.devices.update(|rows| {
                let index = rows.len();
                rows.push(DeviceRow {
                    index,
                    view: RwSignal::new(DeviceView {
                        config: device,
                        state: SwitchState::default(),
                    }),
                });
            });
        }
    };
    view! {
        <details class="panel">
            <summary>"Add a Tasmota device"</summary>
            <form class="form" on:submit=on_submit novalidate>
                <div class="field-row">
                    <TextField caption="Topic" name="topic" value=topic placeholder="tasmota_487D21" />
                    <TextField caption="Label (optional)" name="label" value=label placeholder="Desk lamp" />
                </div>
                <FormError error=error />
                <button type="submit" class="primary">"Add device"</button>
            </form>
        </details>
    }
}
