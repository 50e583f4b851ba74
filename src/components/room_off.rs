//! A room's "All off": every relay in the room that is on and may be switched gets an "off",
//! each through the same checks and rate limit as a click. It asks for a second tap, and says
//! how many were sent and why any were not.

use leptos::prelude::*;
use switchboard_core::device::{ChannelRole, SwitchCommand};
use switchboard_core::say;

use crate::components::two_tap;
use crate::driver::{self, ViewSignals};

/// The room's "all off" button.
#[component]
pub fn RoomOff(signals: ViewSignals, room: Option<String>, title: String) -> impl IntoView {
    let armed = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let label = title.clone();
    let on_click = move |_| {
        if !two_tap::confirmed(armed) {
            message.set(None);
            return;
        }
        let targets: Vec<(switchboard_core::dashboard::DeviceId, usize)> =
            signals.devices.with_untracked(|rows| {
                rows.iter()
                    .filter(|row| row.view.with_untracked(|v| v.config.room == room))
                    .flat_map(|row| {
                        row.view.with_untracked(|v| {
                            v.state
                                .channels
                                .iter()
                                .enumerate()
                                .filter(|(_, c)| {
                                    c.role == ChannelRole::Relay
                                        && c.power == Some(true)
                                        && c.power_is_current
                                })
                                .map(|(channel, _)| (row.id, channel))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect()
            });
        let mut sent = 0;
        let mut refused = Vec::new();
        for (device, channel) in targets {
            match driver::request(device, channel, SwitchCommand::Off) {
                Ok(()) => sent += 1,
                Err(e) => refused.push(e.explain()),
            }
        }
        let mut text = match sent {
            0 => say!("Nothing was on."),
            1 => say!("Sent \"off\" to 1 switch."),
            n => say!("Sent \"off\" to {} switches.", n),
        };
        if let Some(first) = refused.first() {
            text.push_str(&say!(" {} not sent: {}", refused.len(), first));
        }
        message.set(Some(text));
    };
    view! {
        <button
            type="button"
            class=move || if armed.get() { "chip is-armed" } else { "chip" }
            on:click=on_click
        >
            {move || if armed.get() { say!("Tap again: all off in {}", label) } else { say!("All off") }}
        </button>
        {move || message.get().map(|m| view! { <p class="group-message" aria-live="polite">{m}</p> })}
    }
}
