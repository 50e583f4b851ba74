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
use switchboard_core::say;

use crate::app::DeviceView;
use crate::components::two_tap;
use crate::driver;

/// The control for `channel` of `device`.
#[component]
pub fn ChannelControl(
    view: RwSignal<DeviceView>,
    device: switchboard_core::dashboard::DeviceId,
    channel: usize,
    refused: RwSignal<Option<String>>,
    /// The device is a row of the compact layout (a lone switch then carries the device's name
    /// and its main reading).
    compact: Signal<bool>,
    /// Everything about the device is shown (cards, or a row with its details open).
    details: Signal<bool>,
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
                (_, None) => say!("{}: relay {}", v.config.label, channel + 1),
            }
        })
    };
    let short_name = Memo::new(move |_| {
        let compact = compact.get();
        view.with(|v| {
            let own = v.state.channels.get(channel).and_then(|c| c.name.clone());
            if v.state.channels.len() > 1 {
                Some(own.unwrap_or(say!("Relay {}", channel + 1)))
            } else {
                compact.then(|| v.config.label.clone())
            }
        })
    });
    // A lone switch's row also says the device's main reading ("On · 42 W").
    let state_text = move || {
        let lone_row = compact.get();
        view.with(|v| {
            let said = describe(&v.state, &entry());
            let reading = (lone_row && v.state.channels.len() == 1)
                .then(|| crate::components::readings_line::row_reading(&v.state))
                .flatten();
            match reading {
                Some(reading) => format!("{said} · {reading}"),
                None => said,
            }
        })
    };
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
            _ if is_momentary => say!("Confirm: press {}", name()),
            SwitchCommand::On => say!("Confirm: switch {} on", name()),
            SwitchCommand::Off => say!("Confirm: switch {} off", name()),
            SwitchCommand::Toggle => say!("Confirm: toggle {}", name()),
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
                    aria-label=move || if entry().power == Some(true) { say!("{}: on", name()) } else { say!("{}: off", name()) }
                    data-on=move || if entry().power == Some(true) && entry().power_is_current { "true" } else { "false" }
                ></span>
            }
            .into_any(),
            (ChannelRole::Momentary, _) => view! {
                <button
                    type="button"
                    class="press"
                    aria-label=move || say!("Press {}", name())
                    aria-busy=busy
                    disabled=move || !with_state(&|s| s.is_operable(channel))
                    on:click=move |_| send(SwitchCommand::On)
                >
                    {say!("Press")}
                </button>
            }
            .into_any(),
            (ChannelRole::Relay, false) => view! {
                <span class="pair">
                    <button type="button" class="chip" aria-label=move || say!("{} on", name())
                        disabled=move || !with_state(&|s| s.is_operable(channel))
                        on:click=move |_| send(SwitchCommand::On)>{say!("On")}</button>
                    <button type="button" class="chip" aria-label=move || say!("{} off", name())
                        disabled=move || !with_state(&|s| s.is_operable(channel))
                        on:click=move |_| send(SwitchCommand::Off)>{say!("Off")}</button>
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
                    disabled=move || !with_state(&|s| s.is_switch_usable(channel))
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
    // A closed row still offers "send toggle" when it is the one thing that works: the state is
    // not known (the switch is disabled) and the device can toggle by itself.
    let toggle_shown = Memo::new(move |_| {
        toggle_offered.get()
            && (details.get() || view.with(|v| v.state.offers_blind_toggle(channel)))
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
                // A lone switch's row carries the device's name: the same class as a card's.
                {move || short_name.get().map(|n| {
                    let class = if view.with(|v| v.state.channels.len()) == 1 { "channel-name card-label" } else { "channel-name" };
                    view! { <span class=class>{n}</span> }
                })}
                <span class="card-state">{state_text}</span>
            </div>
            {move || armed.get().map(|command| view! {
                <button type="button" class="chip is-armed" on:click=move |_| send(command)>
                    {confirm_text(command)}
                </button>
            })}
            <div class="channel-controls">
                {move || toggle_shown.get().then(|| view! {
                    <button
                        type="button"
                        class="link-button"
                        aria-label=move || say!("Send toggle to {}", name())
                        disabled=move || !with_state(&|s| s.can_send_toggle(channel))
                        on:click=move |_| send(SwitchCommand::Toggle)
                    >
                        {say!("Send toggle")}
                    </button>
                })}
                {control}
            </div>
        </li>
    }
}

/// A channel's state in words, never claiming more than is known.
fn describe(state: &DeviceState, channel: &Channel) -> String {
    let history = match channel.power {
        Some(true) => say!(" (last known: on)"),
        Some(false) => say!(" (last known: off)"),
        None => String::new(),
    };
    if !state.broker_connected {
        say!("No connection to the broker{}", history)
    } else if state.availability == Availability::Offline {
        say!("Device offline{}", history)
    } else if !channel.confirmable {
        match channel.last_unconfirmed {
            Some(true) => {
                say!("Sent \"on\"; this device reports no state, so it cannot be confirmed")
            }
            Some(false) => {
                say!("Sent \"off\"; this device reports no state, so it cannot be confirmed")
            }
            None => say!("Unconfirmed: this device reports no state"),
        }
    } else if let Some(pending) = channel.pending {
        match (channel.role, pending.target) {
            (ChannelRole::Momentary, _) if channel.power == Some(true) => {
                say!("Pulsing… waiting for the release")
            }
            (ChannelRole::Momentary, _) => say!("Pressed… waiting for the device"),
            (_, Some(true)) => say!("Switching on… waiting for the device"),
            (_, Some(false)) => say!("Switching off… waiting for the device"),
            (_, None) => say!("Toggle sent… waiting for the device"),
        }
    } else if !channel.power_is_current && state.unanswered_queries >= 3 {
        say!("No answer after {} requests: check the device's topic and that it is connected to this broker", state.unanswered_queries)
    } else if !channel.power_is_current {
        say!("Asking the device for its state…")
    } else if channel.role == ChannelRole::Momentary {
        say!("Ready")
    } else if channel.power == Some(true) {
        say!("On")
    } else {
        say!("Off")
    }
}
