//! Switchboard's pure core: everything that decides, nothing that does I/O.
//!
//! Map of the crate:
//! - [`i18n`]: sentences in the user's language ([`say!`]), English templates as catalog keys.
//! - [`time`]: the caller's clock, passed in as milliseconds (`Millis`); this crate never reads one.
//! - [`codec`]: MQTT 3.1.1 and 5 packets (mqttbytes `v4`/`v5`) behind one vocabulary.
//! - [`packet_reader`]: reassembles MQTT packets from arbitrary chunks of bytes [MQTT-6.0.0-2].
//! - [`connect_refusal`]: CONNACK return codes turned into sentences a user can act on.
//! - [`reason_code`]: MQTT 5 reason codes in words.
//! - [`server_limits`]: what an MQTT 5 broker's CONNACK says the client must stay within.
//! - [`session`]: the MQTT client session, 3.1.1 or 5 (CONNECT, SUBSCRIBE, PUBLISH QoS 0/1, keepalive);
//!   inputs are `handle_*`, outputs are drained with `poll_*`.
//! - [`reconnect`]: when to try the broker again, by what the failure says about it.
//! - [`backoff`]: growing delays with full jitter, for reconnects and repeated state queries.
//! - [`device`]: the shape every device shares: channels, readings, availability, pending commands.
//! - [`device_id`]: a device's stable identity on the dashboard.
//! - [`device_core`]: the behaviour every adapter shares (confirmation, timeouts, retries, echoes).
//! - [`adapter`]: [`adapter::Device`], one shape for every kind, and the [`adapter::Protocol`] trait.
//! - [`tasmota`], [`shelly`], [`shelly_gen1`], [`json_relay`], [`generic`], [`reading`]: how
//!   each kind talks.
//! - [`schedule`], [`schedule_book`]: schedules the device keeps itself, in one shape, and one
//!   device's list with its change in flight and its clock; [`tasmota_timers`] and
//!   [`shelly_schedule`] translate them to and from each device's format ([`shelly_timespec`]
//!   reads a Shelly cron timespec field by field, as the device does); [`schedule_form`]
//!   turns the form's fields into one.
//! - [`relay_guard`]: the per-device command rate limit and lock that protect a relay.
//! - [`discovery`]: devices that announce themselves (Tasmota, Home Assistant, Homie, Shelly).
//! - [`number_text`]: numbers to and from text without the costly float formatting.
//! - [`render_pacing`]: when the page draws what changed: at once, or on the next frame.
//! - [`offscreen_sweep`]: when device cards far from the screen are brought up to date.
//! - [`json_read`]: forgiving readers for devices' JSON (numbers as strings, paths).
//! - [`device_config`]: one device's configuration and its `device=` form.
//! - [`device_form`]: the "add a device" form's fields and the device they make.
//! - [`config`]: the dashboard configuration read from a page URL (query and fragment).
//! - [`message_log`]: the last messages seen and sent, bounded, with MQTT-style filters.
//! - [`profiles`]: several broker profiles, the document kept and exported (schema 2).
//! - [`qr_code`]: the share link as a QR code (an SVG path).
//! - [`settings`]: the setup kept in the browser and in export files (versioned JSON).
//! - [`dashboard`]: one broker link plus its devices; what the browser glue drives.
//!
//! What this crate deliberately does not do: open sockets, read clocks, draw anything, or
//! store anything. The browser glue in the app crate and the dev kit's simulators do that.

// A panic in wasm kills the page: outside tests, no `unwrap()` or `expect()` at all (data from
// the network, the user or storage must be handled; clippy enforces it in CI).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod adapter;
pub mod backoff;
pub mod codec;
pub mod config;
pub mod connect_refusal;
pub mod dashboard;
pub mod device;
pub mod device_config;
pub mod device_core;
pub mod device_form;
pub mod device_id;
pub mod discovery;
pub mod generic;
pub mod i18n;
pub mod json_read;
pub mod json_relay;
pub mod kinds;
pub mod layout;
pub mod message_log;
pub mod number_text;
pub mod offscreen_sweep;
#[cfg(feature = "emulate-old-defects")]
pub mod old_defects;
pub mod packet_reader;
pub mod profiles;
pub mod qr_code;
pub mod reading;
pub mod reason_code;
pub mod reconnect;
pub mod relay_guard;
pub mod render_pacing;
pub mod schedule;
pub mod schedule_book;
#[cfg(test)]
mod schedule_flow_tests;
pub mod schedule_form;
pub mod server_limits;
pub mod session;
pub mod settings;
pub mod shelly;
pub mod shelly_gen1;
pub mod shelly_schedule;
pub mod shelly_timespec;
pub mod tasmota;
pub mod tasmota_timers;
#[cfg(test)]
mod test_support;
pub mod time;
