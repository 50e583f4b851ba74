//! For when something is off: the last messages the page received and sent (newest first),
//! filtered by topic (MQTT wildcards or plain text), with a pause; and a form to publish any
//! message, never retained unless the box is ticked. The log is kept only while this panel is
//! open. Topics and payloads from the broker are shown as text.

use leptos::prelude::*;
use switchboard_core::message_log::{topic_matches, Direction, LogEntry};
use switchboard_core::say;
use switchboard_core::time::Millis;

use crate::browser;
use crate::components::panel::Panel;
use crate::components::text_field::{CheckField, TextField};
use crate::driver;
use crate::lazy::{self, Loaded};
use leptos::wasm_split::wasm_split;

/// The log panel: the log is kept only while it is open; its content arrives with the `log`
/// chunk when first opened.
#[component]
pub fn MessageLogPanel() -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <Panel title=say!("Message log") on_toggle=Callback::new(move |now_open: bool| {
            if open.get_untracked() != now_open {
                open.set(now_open);
                driver::set_logging(now_open);
            }
        })>
            {lazy::part(log_content)}
        </Panel>
    }
}

#[wasm_split(log, wasm_split_path = ::leptos::wasm_split, fallible)]
fn log_content() -> Loaded {
    Ok(view! { <MessageLog /> }.into_any())
}

/// The last messages, their filter and pause, and the publish form.
#[component]
fn MessageLog() -> impl IntoView {
    let signals = crate::store::use_store();
    let filter = RwSignal::new(String::new());
    let paused = RwSignal::new(false);
    let shown = RwSignal::new(Vec::<LogEntry>::new());
    Effect::new(move |_| {
        let entries = signals.log.get();
        if !paused.get() {
            shown.set(entries);
        }
    });
    let topic = RwSignal::new(String::new());
    let payload = RwSignal::new(String::new());
    let retain = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let on_publish = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let t = topic.get_untracked().trim().to_string();
        let result = driver::publish_raw(&t, &payload.get_untracked(), retain.get_untracked());
        outcome.set(Some(result.map(|()| say!("Published to {}.", t))));
    };
    let rows = move || {
        let now = browser::now();
        let filter = filter.get();
        shown
            .get()
            .into_iter()
            .rev()
            .filter(|e| topic_matches(&filter, &e.topic))
            .map(|e| row(e, now))
            .collect_view()
    };
    view! {
        <div class="form">
                <div class="field-row">
                    <TextField caption=say!("Filter (topic text, or + and #)") name="log_filter" value=filter placeholder="stat/+/POWER" />
                </div>
                <CheckField name="log_pause" value=paused caption=say!("Pause (new messages are still kept).") />
                // Focusable: a keyboard can scroll it (WCAG 2.1.1).
                <ol class="log" tabindex="0" aria-label=say!("Recent messages")>{rows}</ol>
                {move || shown.with(Vec::is_empty).then(|| view! { <p class="group-message">{say!("No messages yet.")}</p> })}
                <h3 class="form-heading">{say!("Publish a message")}</h3>
                <form class="form-inner" on:submit=on_publish novalidate>
                    <TextField caption=say!("Topic") name="publish_topic" value=topic placeholder="cmnd/desk_lamp/Backlog" />
                    <TextField caption=say!("Payload") name="publish_payload" value=payload placeholder="Power1 ON" />
                    <CheckField name="publish_retain" value=retain caption=say!("Retain: the broker keeps it and hands it to every new subscriber. Never on a command topic (the device would re-apply it at every reconnect).") />
                    <button type="submit" class="chip">{say!("Publish")}</button>
                    {move || outcome.get().map(|o| match o {
                        Ok(text) => view! { <p class="group-message" aria-live="polite">{text}</p> }.into_any(),
                        Err(text) => view! { <p class="form-error" role="alert">{text}</p> }.into_any(),
                    })}
                </form>
            </div>
    }
}

fn row(entry: LogEntry, now: Millis) -> impl IntoView {
    let arrow = match entry.direction {
        Direction::In => "↓",
        Direction::Out => "↑",
    };
    // The clock of the time of day, so the line stays true as it ages (and can be compared
    // with a broker's or a device's log).
    let wall = js_sys::Date::now() - now.saturating_sub(entry.at) as f64;
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(wall));
    let time = format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    );
    let mut meta = match entry.direction {
        Direction::In => say!("received at {} · {} bytes", time, entry.bytes),
        Direction::Out => say!("sent at {} · {} bytes", time, entry.bytes),
    };
    if entry.retained {
        meta.push_str(&say!(" · retained"));
    }
    view! {
        <li class="log-entry">
            <div class="log-line">
                <span class="log-dir" aria-hidden="true">{arrow}</span>
                <span class="log-topic">{entry.topic}</span>
            </div>
            <span class="log-meta">{meta}</span>
            <code class="log-payload">{entry.payload}</code>
        </li>
    }
}
