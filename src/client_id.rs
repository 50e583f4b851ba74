//! This tab's MQTT client id: unique per tab, stable across reloads of that tab.
//!
//! Two clients with one id kick each other off forever, so every tab needs its own. The id is
//! kept in sessionStorage, which survives a reload; but "duplicate tab" copies sessionStorage,
//! so before using a stored id the tab asks the others over a BroadcastChannel whether one of
//! them holds it, and takes a fresh id if so. Every tab answers for the id it holds.
//! [`start_claim`] runs first thing at start-up, so that wait overlaps the page being built.

use std::cell::RefCell;

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{BroadcastChannel, MessageEvent};

use crate::browser;

const STORAGE_KEY: &str = "switchboard.client_id";
const CHANNEL: &str = "switchboard.client_id";
const PREFIX: &str = "switchboard-";
/// How long to wait for another tab to say it holds the id.
const CLAIM_WAIT_MS: u32 = 150;

thread_local! {
    static HELD: RefCell<Option<String>> = const { RefCell::new(None) };
    static CONFLICT: RefCell<bool> = const { RefCell::new(false) };
    /// The claim started by [`start_claim`], settled once this tab's id is sure.
    static CLAIM: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
    static SETTLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Starts claiming this tab's id (once): a fresh tab settles at the next microtask, a reload
/// after asking the other tabs.
pub fn start_claim() {
    CLAIM.with(|cell| {
        if cell.borrow().is_none() {
            let promise = future_to_promise(async {
                claim().await;
                SETTLED.with(|settled| settled.set(true));
                Ok(JsValue::UNDEFINED)
            });
            *cell.borrow_mut() = Some(promise);
        }
    });
}

/// True once the claim settled: the id can be used at once.
pub fn is_claimed() -> bool {
    SETTLED.with(|settled| settled.get())
}

/// Waits until the claim settled (starting it if nobody did).
pub async fn claimed() {
    start_claim();
    if let Some(promise) = CLAIM.with(|cell| cell.borrow().clone()) {
        // The future behind the promise never fails.
        let _ = JsFuture::from(promise).await;
    }
}

/// The id this tab holds (taking one synchronously if no claim has settled yet).
pub fn client_id() -> String {
    if let Some(id) = HELD.with(|held| held.borrow().clone()) {
        return id;
    }
    let id = stored_id().unwrap_or_else(fresh_id);
    hold(&id);
    id
}

/// Checks with the other tabs that the stored id is free; takes a fresh one if it is not.
/// Answers other tabs' questions from then on.
async fn claim() -> String {
    let channel = BroadcastChannel::new(CHANNEL).ok();
    let stored = stored_id();
    // Only a stored id can be held by another tab (a duplicate copies sessionStorage): a fresh
    // random one is used at once, without waiting for answers.
    let must_ask = stored.is_some();
    let candidate = stored.unwrap_or_else(fresh_id);
    HELD.with(|held| *held.borrow_mut() = Some(candidate.clone()));
    if let Some(channel) = &channel {
        listen(channel);
        if must_ask {
            let _ = channel.post_message(&JsValue::from_str(&format!("ask:{candidate}")));
            TimeoutFuture::new(CLAIM_WAIT_MS).await;
        }
    }
    let id = if CONFLICT.with(|c| c.replace(false)) {
        fresh_id()
    } else {
        candidate
    };
    hold(&id);
    id
}

fn listen(channel: &BroadcastChannel) {
    let reply_channel = channel.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        let held = HELD.with(|held| held.borrow().clone());
        if let (Some(asked), Some(held)) = (text.strip_prefix("ask:"), held.as_deref()) {
            if asked == held {
                let _ = reply_channel.post_message(&JsValue::from_str(&format!("mine:{held}")));
            }
        } else if let (Some(theirs), Some(held)) = (text.strip_prefix("mine:"), held.as_deref()) {
            if theirs == held {
                CONFLICT.with(|c| *c.borrow_mut() = true);
            }
        }
    });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The listener answers for this tab as long as the page lives.
    on_message.forget();
}

fn stored_id() -> Option<String> {
    storage()?
        .get_item(STORAGE_KEY)
        .ok()
        .flatten()
        .filter(|id| id.starts_with(PREFIX) && id.len() <= 23)
}

fn fresh_id() -> String {
    format!("{PREFIX}{:010x}", browser::random_u64() & 0xFF_FFFF_FFFF)
}

fn hold(id: &str) {
    HELD.with(|held| *held.borrow_mut() = Some(id.to_string()));
    if let Some(storage) = storage() {
        let _ = storage.set_item(STORAGE_KEY, id);
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}
