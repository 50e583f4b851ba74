//! A sensor: a value read from one topic (a Home Assistant `sensor`, a Homie property that
//! cannot be set), or with on/off payloads a read-only input (a `binary_sensor`).
//!
//! The value is shown as the device wrote it (a number, or text clipped to a sensible length),
//! with its unit; an on/off input becomes a contact channel. Nothing is ever sent.

use crate::adapter::Protocol;
use crate::device::{clip_text, ChannelRole, DeviceState, SwitchCommand};
use crate::device_config::ReadingAddress;
use crate::device_core::DeviceCore;
use crate::json_read::at_path;

/// The longest value text kept for display.
const MAX_VALUE_TEXT: usize = 40;

/// One sensor.
#[derive(Debug, Clone)]
pub struct ReadingProtocol {
    address: ReadingAddress,
}

impl ReadingProtocol {
    /// A sensor at `address`.
    pub fn new(address: ReadingAddress) -> Self {
        Self { address }
    }

    /// A contact for an on/off input, no channel for a value.
    pub fn initial_state(&self) -> DeviceState {
        let count = usize::from(self.address.binary.is_some());
        DeviceState::with_channels(count, ChannelRole::Contact, true)
    }

    fn value_text(&self, payload: &[u8]) -> Option<String> {
        let text = match &self.address.value_path {
            Some(path) => {
                let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
                match at_path(&value, path)? {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => return None,
                    other => other.to_string(),
                }
            }
            None => String::from_utf8_lossy(payload).trim().to_string(),
        };
        (!text.is_empty()).then(|| clip_text(&text, MAX_VALUE_TEXT))
    }
}

impl Protocol for ReadingProtocol {
    fn subscriptions(&self) -> Vec<String> {
        let mut topics = vec![self.address.topic.clone()];
        if let Some(avty) = &self.address.availability_topic {
            if *avty != self.address.topic {
                topics.push(avty.clone());
            }
        }
        topics
    }

    fn handle_message(&mut self, core: &mut DeviceCore, topic: &str, payload: &[u8]) -> bool {
        let a = &self.address;
        let mut ours = false;
        if a.availability_topic.as_deref() == Some(topic) {
            ours = true;
            core.report_availability_words(payload, &a.available, &a.not_available);
        }
        if topic == a.topic {
            ours = true;
            let Some(text) = self.value_text(payload) else {
                return true;
            };
            match &a.binary {
                Some((on, _)) if text.eq_ignore_ascii_case(on) => core.report_power(0, true),
                Some((_, off)) if text.eq_ignore_ascii_case(off) => core.report_power(0, false),
                Some(_) => {}
                None => {
                    core.heard_from_device();
                    core.state.value = Some(match &a.unit {
                        Some(unit) => format!("{text} {unit}"),
                        None => text,
                    });
                }
            }
        }
        ours
    }

    fn ask_state(&mut self, _core: &mut DeviceCore, _first: bool) -> bool {
        false
    }

    fn send_command(&mut self, _core: &mut DeviceCore, _channel: usize, _command: SwitchCommand) {}

    fn command_topic(&self, _channel: usize) -> String {
        self.address.topic.clone()
    }
}

#[cfg(test)]
mod tests {
    use crate::device::{Availability, CommandError, SwitchCommand};
    use crate::test_support::{connected, T0};

    #[test]
    fn fixtures_give_the_value_shown() {
        // (spec, payload, value shown)
        let fixtures: &[(&str, &str, Option<&str>)] = &[
            ("reading:t:Temp:unit=°C", "21.5", Some("21.5 °C")),
            (
                "reading:t:Temp:path=$.temperature:unit=°C",
                r#"{"temperature":21.5}"#,
                Some("21.5 °C"),
            ),
            (
                "reading:t:Temp:path=temperature",
                r#"{"temperature":"warm"}"#,
                Some("warm"),
            ),
            ("reading:t:Temp:path=temperature", r#"{"other":1}"#, None),
            ("reading:t:Temp:path=temperature", "not json", None),
            ("reading:t:Temp", "", None),
            (
                "reading:t:Temp",
                &"x".repeat(500),
                Some(&*format!("{}…", "x".repeat(40))),
            ),
        ];
        for (spec, payload, expected) in fixtures {
            let mut sensor = connected(spec);
            sensor.handle_message(T0, "t", payload.as_bytes());
            assert_eq!(
                sensor.state().value.as_deref(),
                *expected,
                "{spec} {payload}"
            );
            assert!(sensor.state().channels.is_empty());
        }
    }

    #[test]
    fn an_on_off_input_is_a_contact_that_cannot_be_commanded() {
        let mut door = connected("reading:d:Door:on=open:off=closed:avty=d/status");
        door.handle_message(T0, "d", b"open");
        assert_eq!(door.state().channels[0].power, Some(true));
        door.handle_message(T0, "d", b"ajar");
        assert_eq!(door.state().channels[0].power, Some(true));
        assert_eq!(
            door.request(T0, 0, SwitchCommand::On),
            Err(CommandError::ReadOnly)
        );
        door.handle_message(T0, "d/status", b"offline");
        assert_eq!(door.state().availability, Availability::Offline);
    }
}
