//! The WebSocket to the broker: subprotocol `mqtt`, binary frames received as ArrayBuffer.
//!
//! Events are handed to one callback. Closing detaches the handlers first, so a socket the
//! page closed on purpose never reports back. This file does no MQTT: bytes in, bytes out.

use switchboard_core::say;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

/// What a socket reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketEvent {
    /// The WebSocket handshake completed.
    Open,
    /// A binary message arrived.
    Bytes(Vec<u8>),
    /// The socket closed or could not connect.
    Closed {
        /// The close code (1006 when the connection failed or dropped).
        code: u16,
    },
}

/// An open (or opening) WebSocket with its handlers.
pub struct Socket {
    websocket: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Opens a WebSocket to `url`; the browser may refuse at once (bad URL, mixed content).
    pub fn open(
        url: &str,
        on_event: impl Fn(SocketEvent) + Clone + 'static,
    ) -> Result<Self, String> {
        let websocket = WebSocket::new_with_str(url, "mqtt").map_err(describe_js_error)?;
        websocket.set_binary_type(BinaryType::Arraybuffer);

        let handler = on_event.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| handler(SocketEvent::Open));
        let handler = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() {
                handler(SocketEvent::Bytes(
                    js_sys::Uint8Array::new(&buffer).to_vec(),
                ));
            }
            // A text frame is not MQTT [MQTT-6.0.0-1]; it is ignored here, and a broker that
            // only sends text never sends CONNACK, which the session reports.
        });
        let handler = on_event;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            handler(SocketEvent::Closed { code: event.code() })
        });
        websocket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        websocket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        websocket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Self {
            websocket,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends one binary message.
    pub fn send(&self, bytes: &[u8]) -> Result<(), String> {
        self.websocket
            .send_with_u8_array(bytes)
            .map_err(describe_js_error)
    }

    /// The protocol the server agreed to (should be `mqtt`).
    pub fn protocol(&self) -> String {
        self.websocket.protocol()
    }

    /// Closes the socket without reporting the close.
    pub fn close(self) {
        self.websocket.set_onopen(None);
        self.websocket.set_onmessage(None);
        self.websocket.set_onclose(None);
        let _ = self.websocket.close();
    }
}

fn describe_js_error(error: wasm_bindgen::JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| say!("the browser refused to open the WebSocket"))
}
