//! The page inside another dashboard (an iframe with `embed=1`), talking to it with
//! `postMessage`, only to and from the origins listed in `parent=`.
//!
//! Out: `{type: "switchboard:state", device: <label>, address: "tasmota:plug", id, on:
//! true|false|null, online: bool}` each time a device's first channel or availability changes
//! (`on` is `null` while the state is not known). In: `{type: "switchboard:command", device:
//! <address, as in the link; or a label only one device has>, on: true|false}` or
//! `{..., action: "toggle"}` (optional `channel`), answered with
//! `{type: "switchboard:result", device, ok, error}`. A command is taken only from the parent
//! window and only from a listed origin; anything else is refused with a result that says
//! which origin to list. Commands go through the same checks and rate limit as a click.
//! Without `parent=` the page neither sends nor accepts anything.

use std::cell::RefCell;
use std::collections::HashMap;
use switchboard_core::say;

use js_sys::{Object, Reflect};
use leptos::prelude::*;
use switchboard_core::device::SwitchCommand;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::app::DeviceView;
use crate::driver::{self, ViewSignals};

thread_local! {
    static PARENTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static POSTED: RefCell<HashMap<String, (Option<bool>, bool)>> = RefCell::new(HashMap::new());
}

/// Starts listening for the listed parents' commands (nothing at all without parents).
pub fn install(parents: Vec<String>, signals: ViewSignals) {
    if parents.is_empty() {
        return;
    }
    PARENTS.with(|p| *p.borrow_mut() = parents);
    let Some(window) = web_sys::window() else {
        return;
    };
    let listener = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event| {
        handle_message(&event, signals);
    });
    let _ = window.add_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
    listener.forget();
}

/// Tells the parents about devices whose state changed (called once per rendered frame).
pub fn notify(changed: &[(usize, switchboard_core::dashboard::DeviceId, DeviceView)]) {
    if PARENTS.with(|p| p.borrow().is_empty()) {
        return;
    }
    for (_, id, view) in changed {
        let channel = view.state.channels.first();
        let on = channel.filter(|c| c.power_is_current).and_then(|c| c.power);
        let online = view.state.is_reachable();
        let label = &view.config.label;
        let address = view.config.address_only_spec();
        let fresh = POSTED.with(|posted| {
            posted.borrow_mut().insert(address.clone(), (on, online)) != Some((on, online))
        });
        if fresh {
            let message = object(&[
                ("type", JsValue::from_str("switchboard:state")),
                ("device", JsValue::from_str(label)),
                ("address", JsValue::from_str(&address)),
                ("id", JsValue::from_f64(f64::from(id.0))),
                ("on", on.map_or(JsValue::NULL, JsValue::from_bool)),
                ("online", JsValue::from_bool(online)),
            ]);
            post_to_parents(&message);
        }
    }
}

fn handle_message(event: &web_sys::MessageEvent, signals: ViewSignals) {
    let data = event.data();
    let field =
        |name: &str| Reflect::get(&data, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    if field("type").as_string().as_deref() != Some("switchboard:command") {
        return;
    }
    let origin = event.origin();
    let device = field("device").as_string().unwrap_or_default();
    let parent = web_sys::window().and_then(|w| w.parent().ok().flatten());
    let from_parent = match (event.source(), &parent) {
        (Some(source), Some(parent)) => Object::is(&source, parent),
        _ => false,
    };
    let allowed = PARENTS.with(|p| p.borrow().contains(&origin));
    let outcome = if !allowed || !from_parent {
        Err(say!("Refused: commands are taken only from the embedding page at an origin listed in the page's link (add parent={}).", origin))
    } else {
        run_command(
            signals,
            &device,
            field("channel"),
            field("on"),
            field("action"),
        )
    };
    let reply = object(&[
        ("type", JsValue::from_str("switchboard:result")),
        ("device", JsValue::from_str(&device)),
        ("ok", JsValue::from_bool(outcome.is_ok())),
        (
            "error",
            outcome
                .err()
                .map_or(JsValue::NULL, |e| JsValue::from_str(&e)),
        ),
    ]);
    // Only the sender's origin may read the answer.
    if let Some(parent) = parent {
        let _ = parent.post_message(&reply, &origin);
    }
}

fn run_command(
    signals: ViewSignals,
    device: &str,
    channel: JsValue,
    on: JsValue,
    action: JsValue,
) -> Result<(), String> {
    // By address ("tasmota:plug", as in the link), which stays put when labels change; a
    // label is accepted too when exactly one device has it.
    let index = signals
        .devices
        .with_untracked(|rows| {
            let by_address = rows.iter().find(|row| {
                row.view
                    .with_untracked(|v| v.config.address_only_spec() == device)
            });
            let labelled: Vec<_> = rows
                .iter()
                .filter(|row| row.view.with_untracked(|v| v.config.label == device))
                .collect();
            by_address
                .or(if labelled.len() == 1 {
                    labelled.first().copied()
                } else {
                    None
                })
                .map(|row| row.id)
        })
        .ok_or_else(|| {
            say!(
                "No device has the address \"{}\" on this page (or more than one has this label).",
                device
            )
        })?;
    let channel = channel.as_f64().map_or(0, |c| c.max(0.0) as usize);
    let command = match (on.as_bool(), action.as_string().as_deref()) {
        (Some(true), _) => SwitchCommand::On,
        (Some(false), _) => SwitchCommand::Off,
        (None, Some("toggle")) => SwitchCommand::Toggle,
        _ => {
            return Err(say!(
                "Say what to do: on: true, on: false, or action: \"toggle\"."
            ))
        }
    };
    driver::request(index, channel, command).map_err(|e| e.explain().to_string())
}

fn post_to_parents(message: &JsValue) {
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    PARENTS.with(|parents| {
        for origin in parents.borrow().iter() {
            // The browser delivers it only if the parent's origin is this one.
            let _ = parent.post_message(message, origin);
        }
    });
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in fields {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}
