//! One channel's control and its state in words.
//!
//! - A relay is a `<button role="switch">`: `aria-checked` mirrors the state the device
//!   reported, `disabled` while that state is unknown or the device or broker is offline,
//!   `aria-busy="true"` while a command awaits confirmation. It never moves on a click: only
//!   the device's report moves it. "Send toggle" works without a known state where the
//!   device can toggle by itself.
//! - A momentary relay is a "Press" button, busy until the device reports the release.
//! - A contact is a read-only indicator.
//! - A relay that never reports (a command-only pair) has "On" and "Off" buttons and says
//!   that what it sent cannot be confirmed.
//!
//! A momentary relay (a garage door) and every channel of a device set to `confirm` take two
//! taps: the first arms a "Confirm" button for a few seconds, so a stray tap sends nothing.

use leptos::prelude::*;
use switchboard_core::device::{Availability, Channel, ChannelRole, DeviceState, SwitchCommand};

use crate::app::DeviceView;
use crate::components::two_tap;
use crate::driver;

/// The control for `channel` of `device`.
#[component]
pub fn ChannelControl(
    view: RwSignal<DeviceView>,
    device: usize,
    channel: usize,
    refused: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    // Reads borrow the view: cloning the whole device state (readings, power history) for
    // every attribute of every channel on every report would be wasted work.
    let with_state = move |f: &dyn Fn(&DeviceState) -> bool| view.with(|v| f(&v.state));
    let entry = move || view.with(|v| v.state.channels.get(channel).cloned().unwrap_or_default());
    let name = move || {
        view.with(|v| {
            let own = v.state.channels.get(channel).and_then(|c| c.name.clone());
            match (v.state.channels.len(), own) {
                (1, _) => v.config.label.clone(),
                (_, Some(name)) => format!("{}: {name}", v.config.label),
                (_, None) => format!("{}: relay {}", v.config.label, channel + 1),
            }
        })
    };
    let short_name = Memo::new(move |_| {
        view.with(|v| {
            let own = v.state.channels.get(channel).and_then(|c| c.name.clone());
            (v.state.channels.len() > 1).then(|| own.unwrap_or(format!("Relay {}", channel + 1)))
        })
    });
    let armed = RwSignal::new(None::<SwitchCommand>);
    let needs_confirm = move || {
        view.with(|v| {
            v.config.options.confirm
                || v.state
                    .channels
                    .get(channel)
                    .is_some_and(|c| c.role == ChannelRole::Momentary)
        })
    };
    let send = move |command: SwitchCommand| {
        if needs_confirm() && armed.get_untracked() != Some(command) {
            two_tap::arm(armed, Some(command), None);
            refused.set(None);
            return;
        }
        armed.set(None);
        refused.set(
            driver::request(device, channel, command)
                .err()
                .map(|e| e.explain()),
        );
    };
    let confirm_text = move |command: SwitchCommand| {
        let is_momentary = entry().role == ChannelRole::Momentary;
        match command {
            _ if is_momentary => format!("Confirm: press {}", name()),
            SwitchCommand::On => format!("Confirm: switch {} on", name()),
            SwitchCommand::Off => format!("Confirm: switch {} off", name()),
            SwitchCommand::Toggle => format!("Confirm: toggle {}", name()),
        }
    };
    let on_switch = move |_| {
        let c = entry();
        if c.pending.is_some() {
            return; // aria-busy: the first click is still on its way.
        }
        send(if c.power == Some(true) {
            SwitchCommand::Off
        } else {
            SwitchCommand::On
        });
    };
    let busy = move || {
        if entry().pending.is_some() {
            "true"
        } else {
            "false"
        }
    };
    // The control is rebuilt only when the channel's kind changes, never on a state report:
    // the same button stays in the page (so its transition runs and a finger on it stays on it).
    let kind = Memo::new(move |_| {
        let c = entry();
        (c.role, c.confirmable)
    });
    let control = move || {
        match kind.get() {
            (ChannelRole::Contact, _) => view! {
                <span
                    class="contact"
                    role="img"
                    aria-label=move || format!("{}: {}", name(), if entry().power == Some(true) { "on" } else { "off" })
                    data-on=move || if entry().power == Some(true) && entry().power_is_current { "true" } else { "false" }
                ></span>
            }
            .into_any(),
            (ChannelRole::Momentary, _) => view! {
                <button
                    type="button"
                    class="press"
                    aria-label=move || format!("Press {}", name())
                    aria-busy=busy
                    disabled=move || !with_state(&|s| s.is_operable(channel))
                    on:click=move |_| send(SwitchCommand::On)
                >
                    "Press"
                </button>
            }
            .into_any(),
            (ChannelRole::Relay, false) => view! {
                <span class="pair">
                    <button type="button" class="chip" aria-label=move || format!("{} on", name())
                        disabled=move || !with_state(&|s| s.is_operable(channel))
                        on:click=move |_| send(SwitchCommand::On)>"On"</button>
                    <button type="button" class="chip" aria-label=move || format!("{} off", name())
                        disabled=move || !with_state(&|s| s.is_operable(channel))
                        on:click=move |_| send(SwitchCommand::Off)>"Off"</button>
                </span>
            }
            .into_any(),
            (ChannelRole::Relay, true) => view! {
                <button
                    type="button"
                    role="switch"
                    class="switch"
                    aria-label=name
                    aria-checked=move || if entry().power == Some(true) && entry().power_is_current { "true" } else { "false" }
                    aria-busy=busy
                    disabled=move || {
                        !with_state(&|s| s.is_reachable() && !s.locked) || !entry().power_is_current
                    }
                    on:click=on_switch
                >
                    <span class="switch-thumb" aria-hidden="true"></span>
                </button>
            }
            .into_any(),
        }
    };
    let toggle_offered = Memo::new(move |_| {
        let c = entry();
        c.role == ChannelRole::Relay && c.confirmable && view.with(|v| v.toggles_blind)
    });
    view! {
        <li class="channel" data-state=move || {
            let c = entry();
            if c.pending.is_some() {
                "pending"
            } else if c.power == Some(true) && c.power_is_current && with_state(&DeviceState::is_reachable) {
                "on"
            } else {
                "other"
            }
        }>
            <div class="channel-text">
                {move || short_name.get().map(|n| view! { <span class="channel-name">{n}</span> })}
                <span class="card-state">{move || view.with(|v| describe(&v.state, &entry()))}</span>
            </div>
            {move || armed.get().map(|command| view! {
                <button type="button" class="chip is-armed" on:click=move |_| send(command)>
                    {confirm_text(command)}
                </button>
            })}
            <div class="channel-controls">
                {move || toggle_offered.get().then(|| view! {
                    <button
                        type="button"
                        class="link-button"
                        aria-label=move || format!("Send toggle to {}", name())
                        disabled=move || !with_state(&|s| s.can_send_toggle(channel))
                        on:click=move |_| send(SwitchCommand::Toggle)
                    >
                        "Send toggle"
                    </button>
                })}
                {control}
            </div>
        </li>
    }
}

/// A channel's state in words, never claiming more than is known.
fn describe(state: &DeviceState, channel: &Channel) -> String {
    let word = |on: bool| if on { "on" } else { "off" };
    let history = channel
        .power
        .map(|on| format!(" (last known: {})", word(on)))
        .unwrap_or_default();
    if !state.broker_connected {
        format!("No connection to the broker{history}")
    } else if state.availability == Availability::Offline {
        format!("Device offline{history}")
    } else if !channel.confirmable {
        match channel.last_unconfirmed {
            Some(on) => format!(
                "Sent \"{}\"; this device reports no state, so it cannot be confirmed",
                word(on)
            ),
            None => "Unconfirmed: this device reports no state".into(),
        }
    } else if let Some(pending) = channel.pending {
        match (channel.role, pending.target) {
            (ChannelRole::Momentary, _) if channel.power == Some(true) => {
                "Pulsing… waiting for the release".into()
            }
            (ChannelRole::Momentary, _) => "Pressed… waiting for the device".into(),
            (_, Some(on)) => format!("Switching {}… waiting for the device", word(on)),
            (_, None) => "Toggle sent… waiting for the device".into(),
        }
    } else if !channel.power_is_current && state.unanswered_queries >= 3 {
        format!(
            "No answer after {} requests: check the device's topic and that it is connected to this broker",
            state.unanswered_queries
        )
    } else if !channel.power_is_current {
        "Asking the device for its state…".into()
    } else if channel.role == ChannelRole::Momentary {
        "Ready".into()
    } else if channel.power == Some(true) {
        "On".into()
    } else {
        "Off".into()
    }
}
