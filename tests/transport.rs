//! The browser transport in a real headless Chromium: a WebSocket with subprotocol `mqtt`
//! carrying a real CONNECT/CONNACK exchange with a real broker, and failures that end in a
//! reported close, never a panic.
//!
//! The broker's WebSocket address comes from `SWITCHBOARD_TEST_BROKER_WS` at build time
//! (scripts/test.sh starts Mosquitto and sets it).
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use switchboard::transport::{Socket, SocketEvent};
use switchboard_core::session::{Session, SessionEvent, SessionOptions};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

type Events = Rc<RefCell<Vec<SocketEvent>>>;

fn recorder() -> (Events, impl Fn(SocketEvent) + Clone + 'static) {
    let events: Events = Rc::default();
    let sink = events.clone();
    (events, move |event| sink.borrow_mut().push(event))
}

/// Waits up to `ms` for `done` to hold over the events seen so far.
async fn wait_for(events: &Events, ms: u32, done: impl Fn(&[SocketEvent]) -> bool) -> bool {
    for _ in 0..ms / 20 {
        if done(&events.borrow()) {
            return true;
        }
        TimeoutFuture::new(20).await;
    }
    done(&events.borrow())
}

#[wasm_bindgen_test]
async fn a_broker_answers_connect_over_the_mqtt_subprotocol_with_binary_frames() {
    let Some(url) = option_env!("SWITCHBOARD_TEST_BROKER_WS") else {
        panic!("set SWITCHBOARD_TEST_BROKER_WS to a broker's ws:// address (scripts/test.sh does)");
    };
    let (events, on_event) = recorder();
    let socket = Socket::open(url, on_event).expect("the browser accepts the address");
    assert!(
        wait_for(&events, 5_000, |e| e.contains(&SocketEvent::Open)).await,
        "no open event: {:?}",
        events.borrow()
    );
    assert_eq!(socket.protocol(), "mqtt");

    let mut session = Session::new(SessionOptions::new("switchboard-transport-test"));
    session.handle_transport_open(0);
    while let Some(bytes) = session.poll_transmit() {
        socket.send(&bytes).expect("send works on an open socket");
    }
    assert!(
        wait_for(&events, 5_000, |e| e
            .iter()
            .any(|e| matches!(e, SocketEvent::Bytes(_))))
        .await,
        "the broker never answered: {:?}",
        events.borrow()
    );
    for event in events.borrow().iter() {
        if let SocketEvent::Bytes(bytes) = event {
            session.handle_bytes(1, bytes);
        }
    }
    assert_eq!(
        session.poll_event(),
        Some(SessionEvent::Connected {
            session_present: false
        })
    );
    socket.close();
}

#[wasm_bindgen_test]
async fn a_port_with_nothing_listening_reports_a_close_not_a_panic() {
    let (events, on_event) = recorder();
    let _socket = Socket::open("ws://127.0.0.1:9/", on_event).expect("a well-formed address");
    assert!(
        wait_for(&events, 5_000, |e| e
            .iter()
            .any(|e| matches!(e, SocketEvent::Closed { .. })))
        .await,
        "no close event: {:?}",
        events.borrow()
    );
    assert!(!events.borrow().contains(&SocketEvent::Open));
}

#[wasm_bindgen_test]
fn an_address_the_browser_cannot_parse_is_refused_with_its_reason() {
    let (_, on_event) = recorder();
    let refusal = Socket::open("ws://127.0.0.1:99999/", on_event).err();
    assert!(
        refusal.as_deref().is_some_and(|r| !r.is_empty()),
        "expected a refusal with a reason, got {refusal:?}"
    );
}
