//! A room's "All off": every relay in the room that is on and may be switched gets an "off",
//! each through the same checks and rate limit as a click. It asks for a second tap, and says
//! how many were sent and why any were not.

use leptos::prelude::*;
use switchboard_core::say;

use crate::components::two_tap;
use crate::driver;

/// The room's "all off" button.
#[component]
pub fn RoomOff(room: Option<String>, title: String) -> impl IntoView {
    let armed = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let label = title.clone();
    let on_click = move |_| {
        if !two_tap::confirmed(armed) {
            message.set(None);
            return;
        }
        // The core decides from the devices' current states (a card far from the screen may
        // not have been redrawn since its device last reported).
        let result = driver::switch_off_room(room.as_deref());
        let (sent, refused) = (result.sent, result.refused);
        let mut text = match sent {
            0 => say!("Nothing was on."),
            1 => say!("Sent \"off\" to 1 switch."),
            n => say!("Sent \"off\" to {} switches.", n),
        };
        if let Some(first) = refused.first() {
            text.push_str(&say!(" {} not sent: {}", refused.len(), first.explain()));
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
