//! Switchboard's pure core: everything that decides, nothing that does I/O.
//!
//! Map of the crate:
//! - [`time`]: the caller's clock, passed in as milliseconds (`Millis`); this crate never reads one.
//! - [`codec`]: MQTT 3.1.1 and 5 packets (mqttbytes `v4`/`v5`) behind one vocabulary.
//! - [`packet_reader`]: reassembles MQTT packets from arbitrary chunks of bytes [MQTT-6.0.0-2].
//! - [`connect_refusal`]: CONNACK return codes turned into sentences a user can act on.
//! - [`reason_code`]: MQTT 5 reason codes in words.
//! - [`session`]: the MQTT client session, 3.1.1 or 5 (CONNECT, SUBSCRIBE, PUBLISH QoS 0/1, keepalive);
//!   inputs are `handle_*`, outputs are drained with `poll_*`.
//! - [`backoff`]: growing delays with full jitter, for reconnects and repeated state queries.
//! - [`device`]: the shape every device adapter shares (power, availability, pending command).
//! - [`tasmota`]: the Tasmota adapter (default FullTopic `%prefix%/%topic%/`).
//! - [`config`]: the dashboard configuration read from a page URL (query and fragment).
//! - [`dashboard`]: one broker link plus its devices; what the browser glue drives.
//!
//! What this crate deliberately does not do: open sockets, read clocks, draw anything, or
//! store anything. The browser glue in the app crate and the dev kit's simulators do that.

pub mod backoff;
pub mod codec;
pub mod config;
pub mod connect_refusal;
pub mod dashboard;
pub mod device;
pub mod packet_reader;
pub mod reason_code;
pub mod session;
pub mod tasmota;
pub mod time;
