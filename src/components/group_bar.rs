//! Tasmota's group topic as one button: "All off" switches every relay of every Tasmota
//! device in the group (`cmnd/tasmotas/POWER0 OFF`), including devices not on this page, so it
//! asks for a second tap within a few seconds. Switches then move as each device reports.

use leptos::prelude::*;
use switchboard_core::config::DeviceAddress;
use switchboard_core::say;
use switchboard_core::tasmota::DEFAULT_GROUP_TOPIC;

use crate::components::two_tap;
use crate::driver;

/// The group bar, shown when the dashboard has a Tasmota device.
#[component]
pub fn GroupBar() -> impl IntoView {
    let signals = crate::store::use_store();
    let armed = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let has_tasmota = move || {
        signals.devices.with(|rows| {
            rows.iter().any(|row| {
                row.view
                    .with(|v| matches!(v.config.address, DeviceAddress::Tasmota(_)))
            })
        })
    };
    let connected = move || {
        signals.link.with(|l| {
            l.running && l.status.phase == switchboard_core::dashboard::LinkPhase::Connected
        })
    };
    let on_click = move |_| {
        if !two_tap::confirmed(armed) {
            message.set(None);
            return;
        }
        message.set(Some(match driver::tasmota_group_off() {
            Ok(()) => say!("Sent \"all off\" to the Tasmota group \"{}\": each switch moves when its device reports.", DEFAULT_GROUP_TOPIC),
            Err(e) => e.explain().to_string(),
        }));
    };
    move || {
        has_tasmota().then(|| {
            view! {
                <div class="group-bar">
                    <button
                        type="button"
                        class=move || if armed.get() { "chip is-armed" } else { "chip" }
                        disabled=move || !connected()
                        on:click=on_click
                    >
                        {move || if armed.get() {
                            say!("Tap again: every Tasmota device in group \"{}\" off", DEFAULT_GROUP_TOPIC)
                        } else {
                            say!("All Tasmota devices off")
                        }}
                    </button>
                    {move || message.get().map(|m| view! { <p class="group-message" aria-live="polite">{m}</p> })}
                </div>
            }
        })
    }
}
