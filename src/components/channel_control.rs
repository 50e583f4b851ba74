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

/// Everything one channel shows, worked out once per report: the control's attributes and the
/// words are written from it, and only when it differs from the last.
#[derive(Debug, Clone, PartialEq)]
struct ChannelFace {
    role: ChannelRole,
    confirmable: bool,
    /// The accessible name ("Desk lamp", "Strip: relay 2").
    name: String,
    /// The name shown beside the control, if any.
    short_name: Option<String>,
    /// The device's only channel (then the name is the device's, styled as a card's).
    lone: bool,
    /// The state in words (with the main reading on a lone switch's row).
    words: String,
    /// The device reported "on", and it is current.
    on: bool,
    /// The device's last report said "on" (current or not).
    reported_on: bool,
    /// A command awaits the device's confirmation.
    busy: bool,
    /// "On" / "Off" / "Press" can be sent.
    operable: bool,
    /// The switch can be operated (see `DeviceState::is_switch_usable`).
    usable: bool,
    /// "Send toggle" can be sent.
    can_toggle: bool,
    /// The row's `data-state`: "pending", "on" or "other".
    data_state: &'static str,
    /// This kind can toggle without a known state, and the state is not known after asking.
    offers_blind_toggle: bool,
    /// "Send toggle" exists for this channel at all.
    toggle_offered: bool,
    /// Each command takes two taps.
    needs_confirm: bool,
}

impl ChannelFace {
    fn of(view: &DeviceView, channel: usize, compact: bool) -> Self {
        let state = &view.state;
        let entry = state.channels.get(channel).cloned().unwrap_or_default();
        let count = state.channels.len();
        let label = &view.config.label;
        let name = match (count, entry.name.as_deref()) {
            (1, _) => label.clone(),
            (_, Some(own)) => format!("{label}: {own}"),
            (_, None) => say!("{}: relay {}", label, channel + 1),
        };
        let short_name = if count > 1 {
            Some(
                entry
                    .name
                    .clone()
                    .unwrap_or_else(|| say!("Relay {}", channel + 1)),
            )
        } else {
            compact.then(|| label.clone())
        };
        // A lone switch's row also says the device's main reading ("On · 42 W").
        let said = describe(state, &entry);
        let reading = (compact && count == 1)
            .then(|| crate::components::readings_line::row_reading(state))
            .flatten();
        let words = match reading {
            Some(reading) => format!("{said} · {reading}"),
            None => said,
        };
        let on = entry.power == Some(true) && entry.power_is_current;
        let busy = entry.pending.is_some();
        let data_state = if busy {
            "pending"
        } else if on && state.is_reachable() {
            "on"
        } else {
            "other"
        };
        Self {
            role: entry.role,
            confirmable: entry.confirmable,
            name,
            short_name,
            lone: count == 1,
            words,
            on,
            reported_on: entry.power == Some(true),
            busy,
            operable: state.is_operable(channel),
            usable: state.is_switch_usable(channel),
            can_toggle: state.can_send_toggle(channel),
            data_state,
            offers_blind_toggle: state.offers_blind_toggle(channel),
            toggle_offered: entry.role == ChannelRole::Relay
                && entry.confirmable
                && view.toggles_blind,
            needs_confirm: view.config.options.confirm || entry.role == ChannelRole::Momentary,
        }
    }
}

const fn true_false(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// The control for `channel` of `device`, whose role and confirmability are `kind`.
///
/// A flood of reports for hundreds of devices runs through here, so the control is kept lean:
/// one memo of the channel's face, and one effect that writes what changed into the row, the
/// names, the words and the switch, instead of a reactive node per attribute (each its own
/// task and owner, about 550 bytes: most of a row's memory and update time). Its shape (the
/// kind of control, whether a name is shown) is fixed: the card builds a new control when the
/// channel's kind or the layout changes.
#[component]
pub fn ChannelControl(
    view: RwSignal<DeviceView>,
    device: switchboard_core::dashboard::DeviceId,
    channel: usize,
    /// The channel's role and whether it reports its state.
    kind: (ChannelRole, bool),
    refused: RwSignal<Option<String>>,
    /// The device is a row of the compact layout (a lone switch then carries the device's name
    /// and its main reading).
    compact: bool,
    /// Everything about the device is shown (cards, or a row with its details open).
    details: Signal<bool>,
) -> impl IntoView {
    let face = Memo::new(move |_| view.with(|v| ChannelFace::of(v, channel, compact)));
    let armed = RwSignal::new(None::<SwitchCommand>);
    let send = move |command: SwitchCommand| {
        if face.with_untracked(|f| f.needs_confirm) && armed.get_untracked() != Some(command) {
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
        let (name, momentary) =
            face.with_untracked(|f| (f.name.clone(), f.role == ChannelRole::Momentary));
        match command {
            _ if momentary => say!("Confirm: press {}", name),
            SwitchCommand::On => say!("Confirm: switch {} on", name),
            SwitchCommand::Off => say!("Confirm: switch {} off", name),
            SwitchCommand::Toggle => say!("Confirm: toggle {}", name),
        }
    };
    let on_switch = move |_| {
        let (busy, on) = view.with_untracked(|v| {
            v.state.channels.get(channel).map_or((false, false), |c| {
                (c.pending.is_some(), c.power == Some(true))
            })
        });
        if busy {
            return; // aria-busy: the first click is still on its way.
        }
        send(if on {
            SwitchCommand::Off
        } else {
            SwitchCommand::On
        });
    };
    let name = move || face.with(|f| f.name.clone());
    let busy = move || true_false(face.with(|f| f.busy));
    // The control is built once for its kind, never on a state report: the same button stays
    // in the page (so its transition runs and a finger on it stays on it).
    let row = NodeRef::<leptos::html::Li>::new();
    let short_name = NodeRef::<leptos::html::Span>::new();
    let words = NodeRef::<leptos::html::Span>::new();
    let switch = NodeRef::<leptos::html::Button>::new();
    // The first report is written as the elements are built; later ones by this effect.
    let initial = face.get_untracked();
    Effect::new(move |shown: Option<ChannelFace>| {
        let now = face.get();
        if let Some(row) = row.get() {
            if shown
                .as_ref()
                .is_none_or(|s| s.data_state != now.data_state)
            {
                let _ = row.set_attribute("data-state", now.data_state);
            }
        }
        if let Some(short_name) = short_name.get() {
            if shown
                .as_ref()
                .is_none_or(|s| s.short_name != now.short_name)
            {
                short_name.set_text_content(now.short_name.as_deref());
            }
        }
        if let Some(words) = words.get() {
            if shown.as_ref().is_none_or(|s| s.words != now.words) {
                words.set_text_content(Some(&now.words));
            }
        }
        if let Some(switch) = switch.get() {
            let differs =
                |same: &dyn Fn(&ChannelFace) -> bool| shown.as_ref().is_none_or(|s| !same(s));
            if differs(&|s| s.on == now.on) {
                let _ = switch.set_attribute("aria-checked", true_false(now.on));
            }
            if differs(&|s| s.busy == now.busy) {
                let _ = switch.set_attribute("aria-busy", true_false(now.busy));
            }
            if differs(&|s| s.usable == now.usable) {
                switch.set_disabled(!now.usable);
            }
            if differs(&|s| s.name == now.name) {
                let _ = switch.set_attribute("aria-label", &now.name);
            }
        }
        now
    });
    let control = {
        match kind {
            (ChannelRole::Contact, _) => view! {
                <span
                    class="contact"
                    role="img"
                    aria-label=move || face.with(|f| if f.reported_on { say!("{}: on", f.name) } else { say!("{}: off", f.name) })
                    data-on=move || true_false(face.with(|f| f.on))
                ></span>
            }
            .into_any(),
            (ChannelRole::Momentary, _) => view! {
                <button
                    type="button"
                    class="press"
                    aria-label=move || say!("Press {}", name())
                    aria-busy=busy
                    disabled=move || !face.with(|f| f.operable)
                    on:click=move |_| send(SwitchCommand::On)
                >
                    {say!("Press")}
                </button>
            }
            .into_any(),
            (ChannelRole::Relay, false) => view! {
                <span class="pair">
                    <button type="button" class="chip" aria-label=move || say!("{} on", name())
                        disabled=move || !face.with(|f| f.operable)
                        on:click=move |_| send(SwitchCommand::On)>{say!("On")}</button>
                    <button type="button" class="chip" aria-label=move || say!("{} off", name())
                        disabled=move || !face.with(|f| f.operable)
                        on:click=move |_| send(SwitchCommand::Off)>{say!("Off")}</button>
                </span>
            }
            .into_any(),
            (ChannelRole::Relay, true) => {
                // Written here as built, then kept current by the effect above.
                let f = face.get_untracked();
                view! {
                    <button
                        type="button"
                        role="switch"
                        class="switch"
                        node_ref=switch
                        aria-label=f.name
                        aria-checked=true_false(f.on)
                        aria-busy=true_false(f.busy)
                        disabled=!f.usable
                        on:click=on_switch
                    >
                        <span class="switch-thumb" aria-hidden="true"></span>
                    </button>
                }
                .into_any()
            }
        }
    };
    // A closed row still offers "send toggle" when it is the one thing that works: the state is
    // not known (the switch is disabled) and the device can toggle by itself.
    let toggle_shown = Memo::new(move |_| {
        face.with(|f| f.toggle_offered && (f.offers_blind_toggle || details.get()))
    });
    view! {
        <li class="channel" node_ref=row data-state=initial.data_state>
            <div class="channel-text">
                // A lone switch's row carries the device's name: the same class as a card's.
                {initial.short_name.clone().map(|n| {
                    let class = if initial.lone { "channel-name card-label" } else { "channel-name" };
                    view! { <span class=class node_ref=short_name>{n}</span> }
                })}
                <span class="card-state" node_ref=words>{initial.words}</span>
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
                        disabled=move || !face.with(|f| f.can_toggle)
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
