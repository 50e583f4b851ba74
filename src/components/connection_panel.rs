//! Broker address, user name and password; "Connect" validates and (re)starts the driver.
//!
//! Folded away once connected; open when there is no broker yet. A bad address gets a
//! sentence saying what to change, and nothing else is touched. The password is kept in this
//! browser only when "Remember the password" is ticked; "Forget" removes it.

use leptos::prelude::*;
use switchboard_core::config::{credentials_warning, validate_broker_url};
use switchboard_core::say;

use switchboard_core::codec::ProtocolVersion;

use crate::components::panel::Panel;
use crate::components::profile_bar::ProfileBar;
use crate::components::text_field::{CheckField, FormError, TextField};
use crate::driver;
use crate::lazy::{self, Loaded};
use crate::setup;
use leptos::wasm_split::wasm_split;

/// The broker panel; its form arrives with the `forms` chunk when first opened.
#[component]
pub fn ConnectionPanel() -> impl IntoView {
    // Open (and its form loaded) from the start while no broker is set.
    let open_at_start = crate::store::use_store()
        .setup
        .broker
        .get_untracked()
        .url
        .is_empty();
    view! {
        <Panel title=say!("Broker connection") open=open_at_start>
            {lazy::part(connection_content)}
        </Panel>
    }
}

#[wasm_split(forms, wasm_split_path = ::leptos::wasm_split, fallible)]
fn connection_content() -> Loaded {
    Ok(view! { <ConnectionPanelContent /> }.into_any())
}

/// The connection form.
#[component]
fn ConnectionPanelContent() -> impl IntoView {
    let signals = crate::store::use_store();
    let initial = signals.setup.broker.get_untracked();
    let url = RwSignal::new(initial.url);
    let user = RwSignal::new(initial.user);
    let password = RwSignal::new(initial.password.unwrap_or_default());
    let persistent = RwSignal::new(initial.persistent_session);
    let keep_alive_secs = initial.keep_alive_secs;
    let mqtt5 = RwSignal::new(initial.protocol == ProtocolVersion::V5);
    let remember = signals.setup.remember_password;
    let error = RwSignal::new(None::<String>);
    let forgotten = RwSignal::new(false);
    // Another profile chosen (or a file imported): the fields show its broker.
    Effect::new(move |_| {
        let broker = signals.setup.broker.get();
        url.set(broker.url.clone());
        user.set(broker.user.clone());
        password.set(broker.password.clone().unwrap_or_default());
        persistent.set(broker.persistent_session);
        mqtt5.set(broker.protocol == ProtocolVersion::V5);
    });
    let on_forget = move |_| {
        password.set(String::new());
        remember.set(false);
        signals.setup.broker.update(|b| b.password = None);
        setup::persist(signals);
        forgotten.set(true);
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match validate_broker_url(&url.get_untracked()) {
            Ok(valid) => {
                error.set(None);
                url.set(valid.clone());
                let typed = password.get_untracked();
                let profile = switchboard_core::settings::BrokerProfile {
                    url: valid,
                    user: user.get_untracked(),
                    password: (!typed.is_empty()).then_some(typed),
                    protocol: if mqtt5.get_untracked() {
                        ProtocolVersion::V5
                    } else {
                        ProtocolVersion::V311
                    },
                    keep_alive_secs,
                    persistent_session: persistent.get_untracked(),
                };
                signals.setup.broker.set(profile.clone());
                forgotten.set(false);
                setup::persist(signals);
                driver::start(setup::broker_settings(&profile), signals);
            }
            Err(problem) => error.set(Some(problem)),
        }
    };
    view! {
        <>
            <div class="form">
                <ProfileBar />
            </div>
            <form class="form" on:submit=on_submit novalidate>
                <TextField
                    caption=say!("Broker WebSocket address")
                    name="broker"
                    value=url
                    placeholder="ws://192.168.1.10:9001"
                    autocomplete="url"
                />
                <div class="field-row">
                    <TextField caption=say!("User (optional)") name="user" value=user autocomplete="username" />
                    <TextField
                        caption=say!("Password (optional)")
                        name="password"
                        value=password
                        kind="password"
                        autocomplete="current-password"
                    />
                </div>
                {move || {
                    let has_credentials = !user.get().is_empty() || !password.get().is_empty();
                    credentials_warning(url.get().trim(), has_credentials)
                        .map(|w| view! { <p class="security-warning">{w}</p> })
                }}
                <CheckField
                    name="remember_password"
                    value=remember
                    caption=say!("Remember the password in this browser (otherwise it is asked for again after the page closes).")
                />
                <CheckField
                    name="mqtt5"
                    value=mqtt5
                    caption=say!("Use MQTT 5 (clearer error messages; falls back to 3.1.1 if the broker does not support it).")
                />
                <CheckField
                    name="persistent_session"
                    value=persistent
                    caption=say!("Keep my session on the broker (clean session off). Devices that queue messages for this page, like the Pico W relay board, need it.")
                />
                <FormError error=error />
                <button type="submit" class="primary">{say!("Connect")}</button>
                <button type="button" class="link-button" on:click=on_forget>{say!("Forget the saved password")}</button>
                {move || forgotten.get().then(|| view! { <p class="group-message" aria-live="polite">{say!("The password is no longer kept in this browser.")}</p> })}
            </form>
        </>
    }
}
