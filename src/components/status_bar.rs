//! The broker link in words, in an element with `role="status"` so screen readers and tests
//! can follow it; offers "Retry now" while waiting to reconnect.
//!
//! One line on screen (the state's dot, the headline, the problem, cut with an ellipsis); a
//! tap on it, or its "whole status" button, shows every word and the broker's limits. Screen
//! readers always get it all.

use leptos::prelude::*;
use switchboard_core::dashboard::LinkPhase;
use switchboard_core::say;
use switchboard_core::time::Millis;

use crate::app::{seconds_until, LinkView};
use crate::driver;

/// The connection state and the last problem.
#[component]
pub fn StatusBar(link: RwSignal<LinkView>, clock: RwSignal<Millis>) -> impl IntoView {
    let online = network_signal();
    let phase_class = move || {
        let phase = link.with(|l| match (&l.status.phase, l.running) {
            (_, false) => "idle",
            (LinkPhase::Connected, _) => "connected",
            (LinkPhase::Connecting, _) => "connecting",
            (LinkPhase::WaitingToRetry { .. }, _) => "waiting",
            (LinkPhase::Idle, _) => "idle",
        });
        format!("status status-{phase}")
    };
    let headline = move || {
        if !online.get() {
            return say!("Offline");
        }
        link.with(|l| match (&l.status.phase, l.running) {
            (_, false) | (LinkPhase::Idle, _) => say!("Not connected"),
            (LinkPhase::Connecting, _) => {
                say!("Connecting to {} ({})…", l.url, l.status.protocol.label())
            }
            (LinkPhase::Connected, _) => {
                say!("Connected to {} ({})", l.url, l.status.protocol.label())
            }
            (LinkPhase::WaitingToRetry { retry_at }, _) => {
                say!(
                    "Reconnecting in {} s",
                    seconds_until(*retry_at, clock.get())
                )
            }
        })
    };
    let problem = move || {
        if !online.get() {
            return Some(say!(
                "This device is offline: switching comes back by itself when the network does."
            ));
        }
        link.with(|l| {
            if l.running {
                l.status.problem.clone()
            } else {
                Some(say!(
                    "Enter your broker's WebSocket address under Broker connection."
                ))
            }
        })
    };
    // An MQTT 5 broker's limits, for whoever wonders why a message was refused.
    let limits = move || {
        link.with(|l| {
            (matches!(l.status.phase, LinkPhase::Connected) && !l.status.limits.is_empty())
                .then(|| say!("The broker allows {}.", l.status.limits))
        })
    };
    let waiting = move || link.with(|l| matches!(l.status.phase, LinkPhase::WaitingToRetry { .. }));
    let open = RwSignal::new(false);
    view! {
        <div class=phase_class role="status" aria-live="polite">
            <p class="status-text" class:is-open=move || open.get() on:click=move |_| open.update(|o| *o = !*o)>
                <span class="status-dot" aria-hidden="true"></span>
                <span class="status-headline" title=limits>{headline}</span>
                {move || problem().map(|p| view! { <span class="status-problem">{p}</span> })}
                {move || open.get().then(|| limits().map(|l| view! { <span class="status-limits">{l}</span> })).flatten()}
            </p>
            <button
                type="button"
                class="status-more"
                aria-expanded=move || open.get().to_string()
                aria-label=say!("Whole status")
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <span class="chevron" aria-hidden="true"></span>
            </button>
            <Show when=waiting>
                <button type="button" class="chip status-retry" on:click=move |_| driver::retry_now()>
                    {say!("Retry now")}
                </button>
            </Show>
        </div>
    }
}

/// `navigator.onLine`, kept up to date by the window's `online` and `offline` events.
fn network_signal() -> RwSignal<bool> {
    let window = web_sys::window();
    let online = RwSignal::new(window.as_ref().is_none_or(|w| w.navigator().on_line()));
    if let Some(window) = window {
        for (event, value) in [("online", true), ("offline", false)] {
            let listener = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
                let _ = online.try_set(value);
            });
            let _ = window.add_event_listener_with_callback(
                event,
                wasm_bindgen::JsCast::unchecked_ref(listener.as_ref()),
            );
            listener.forget();
        }
    }
    online
}
