//! Broker address, user name and password; "Connect" validates and (re)starts the driver.
//!
//! Folded away once connected; open when there is no broker yet. A bad address gets a
//! sentence saying what to change, and nothing else is touched.

use leptos::prelude::*;
use switchboard_core::config::validate_broker_url;

use crate::app::DeviceRow;
use crate::driver::{self, BrokerSettings, ViewSignals};

/// The connection form.
#[component]
pub fn ConnectionPanel(initial: BrokerSettings, signals: ViewSignals) -> impl IntoView {
    let open_at_start = initial.url.is_empty();
    let url = RwSignal::new(initial.url);
    let user = RwSignal::new(initial.user);
    let password = RwSignal::new(initial.password);
    let error = RwSignal::new(None::<String>);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match validate_broker_url(&url.get_untracked()) {
            Ok(valid) => {
                error.set(None);
                url.set(valid.clone());
                let devices = signals.devices.with_untracked(|rows: &Vec<DeviceRow>| {
                    rows.iter()
                        .map(|row| row.view.with_untracked(|v| v.config.clone()))
                        .collect()
                });
                driver::start(
                    BrokerSettings {
                        url: valid,
                        user: user.get_untracked(),
                        password: password.get_untracked(),
                    },
                    devices,
                    signals,
                );
            }
            Err(problem) => error.set(Some(problem)),
        }
    };
    view! {
        <details class="panel" open=open_at_start>
            <summary>"Broker connection"</summary>
            <form class="form" on:submit=on_submit novalidate>
                <label class="field">
                    <span>"Broker WebSocket address"</span>
                    <input
                        type="text"
                        name="broker"
                        inputmode="url"
                        autocomplete="url"
                        placeholder="ws://192.168.1.10:9001"
                        prop:value=move || url.get()
                        on:input=move |ev| url.set(event_target_value(&ev))
                    />
                </label>
                <div class="field-row">
                    <label class="field">
                        <span>"User (optional)"</span>
                        <input
                            type="text"
                            name="user"
                            autocomplete="username"
                            prop:value=move || user.get()
                            on:input=move |ev| user.set(event_target_value(&ev))
                        />
                    </label>
                    <label class="field">
                        <span>"Password (optional)"</span>
                        <input
                            type="password"
                            name="password"
                            autocomplete="current-password"
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev))
                        />
                    </label>
                </div>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="primary">"Connect"</button>
            </form>
        </details>
    }
}
