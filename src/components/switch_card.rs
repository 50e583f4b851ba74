//! One device's card: the power switch, its state in words, and a plain "send toggle".
//!
//! The switch is a `<button role="switch">` whose `aria-checked` mirrors the state the device
//! reported, `disabled` while that state is unknown or the device or broker is offline, and
//! `aria-busy="true"` while a command awaits the device's confirmation. Its accessible name is
//! the device label. It never moves on a click: only the device's report moves it.

use leptos::prelude::*;
use switchboard_core::device::{Availability, SwitchCommand, SwitchState};

use crate::app::DeviceRow;
use crate::driver;

/// A device card.
#[component]
pub fn SwitchCard(row: DeviceRow) -> impl IntoView {
    let view = row.view;
    let index = row.index;
    let refused = RwSignal::new(None::<&'static str>);
    let state = move || view.with(|v| v.state.clone());
    let label = move || view.with(|v| v.config.label.clone());
    let topic = move || {
        view.with(|v| match &v.config.address {
            switchboard_core::config::DeviceAddress::Tasmota { topic } => {
                format!("Tasmota · {topic}")
            }
        })
    };
    let checked = move || view.with(|v| v.state.power == Some(true) && v.state.power_is_current);
    let card_class = move || {
        let s = state();
        let mut class = String::from("card");
        if !s.broker_connected || s.availability == Availability::Offline {
            class.push_str(" is-offline");
        } else if s.pending.is_some() {
            class.push_str(" is-pending");
        } else if !s.power_is_current {
            class.push_str(" is-unknown");
        } else if s.power == Some(true) {
            class.push_str(" is-on");
        }
        class
    };
    let on_switch = move |_| {
        let s = view.with_untracked(|v| v.state.clone());
        if s.pending.is_some() {
            return; // aria-busy: the first click is still on its way.
        }
        let command = if s.power == Some(true) {
            SwitchCommand::Off
        } else {
            SwitchCommand::On
        };
        refused.set(driver::request(index, command).err().map(|e| e.explain()));
    };
    let on_toggle = move |_| {
        refused.set(
            driver::request(index, SwitchCommand::Toggle)
                .err()
                .map(|e| e.explain()),
        );
    };
    let notice = move || refused.get().map(str::to_string).or_else(|| state().notice);

    view! {
        <li class=card_class>
            <div class="card-head">
                <div class="card-title">
                    <span class="card-label">{label}</span>
                    <span class="card-topic">{topic}</span>
                </div>
                <button
                    type="button"
                    role="switch"
                    class="switch"
                    aria-label=label
                    aria-checked=move || if checked() { "true" } else { "false" }
                    aria-busy=move || if state().pending.is_some() { "true" } else { "false" }
                    disabled=move || {
                        let s = state();
                        !(s.broker_connected && s.availability != Availability::Offline && s.power_is_current)
                    }
                    on:click=on_switch
                >
                    <span class="switch-thumb" aria-hidden="true"></span>
                </button>
            </div>
            <div class="card-foot">
                <p class="card-state">{move || describe(&state())}</p>
                <button
                    type="button"
                    class="link-button"
                    aria-label=move || format!("Send toggle to {}", label())
                    disabled=move || !state().can_send_toggle()
                    on:click=on_toggle
                >
                    "Send toggle"
                </button>
            </div>
            {move || notice().map(|n| view! { <p class="card-notice" role="alert">{n}</p> })}
        </li>
    }
}

/// The switch's state in words, never claiming more than is known.
fn describe(state: &SwitchState) -> String {
    let word = |on: bool| if on { "on" } else { "off" };
    let history = state
        .power
        .map(|on| format!(" (last known: {})", word(on)))
        .unwrap_or_default();
    if !state.broker_connected {
        format!("No connection to the broker{history}")
    } else if state.availability == Availability::Offline {
        format!("Device offline{history}")
    } else if let Some(pending) = state.pending {
        match pending.target {
            Some(on) => format!("Switching {}… waiting for the device", word(on)),
            None => "Toggle sent… waiting for the device".into(),
        }
    } else if !state.power_is_current && state.unanswered_queries >= 3 {
        format!(
            "No answer after {} requests: check the device's topic and that it is connected to this broker",
            state.unanswered_queries
        )
    } else if !state.power_is_current {
        "Asking the device for its state…".into()
    } else if state.power == Some(true) {
        "On".into()
    } else {
        "Off".into()
    }
}
