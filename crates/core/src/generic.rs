//! A plain command/state pair (home-made devices, Node-RED flows), modelled on Home
//! Assistant's MQTT switch.
//!
//! Commands are `payload_on`/`payload_off` on the command topic. The state topic's payload is
//! compared with `state_on`/`state_off` (any case; common words such as `ON`, `1`, `true` are
//! understood too), after following a JSON path if one is set. An optional availability topic
//! says online/offline with its own payloads. Such a device cannot be asked for its state, so
//! the page waits for it to speak (state topics are usually retained). With no state topic at
//! all the switch is "unconfirmed": commands are sent and the card says they cannot be
//! confirmed. If the command and state topics are the same, the page's own commands echoed by
//! the broker are not taken for reports.

use crate::adapter::Protocol;
use crate::device::{
    parse_power_value, parse_power_word, ChannelRole, DeviceState, OutgoingMessage, SwitchCommand,
};
use crate::device_config::GenericAddress;
use crate::device_core::DeviceCore;
use crate::json_read::at_path;

/// One command/state pair.
#[derive(Debug, Clone)]
pub struct GenericProtocol {
    address: GenericAddress,
}

impl GenericProtocol {
    /// A pair at `address`.
    pub fn new(address: GenericAddress) -> Self {
        Self { address }
    }

    /// One channel, confirmable only if there is a state topic.
    pub fn initial_state(&self) -> DeviceState {
        DeviceState::with_channels(1, ChannelRole::Relay, self.address.state_topic.is_some())
    }

    fn read_state(&self, payload: &[u8]) -> Option<bool> {
        let a = &self.address;
        let matches = |word: &str| -> Option<bool> {
            let on = a.state_on.as_deref().unwrap_or(&a.payload_on);
            let off = a.state_off.as_deref().unwrap_or(&a.payload_off);
            if word.trim().eq_ignore_ascii_case(on) {
                Some(true)
            } else if word.trim().eq_ignore_ascii_case(off) {
                Some(false)
            } else {
                parse_power_word(word)
            }
        };
        match &a.value_path {
            Some(path) => {
                let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
                let found = at_path(&value, path)?;
                match found.as_str() {
                    Some(word) => matches(word),
                    None => parse_power_value(found),
                }
            }
            None => matches(std::str::from_utf8(payload).ok()?),
        }
    }
}

impl Protocol for GenericProtocol {
    fn subscriptions(&self) -> Vec<String> {
        let a = &self.address;
        let mut topics: Vec<String> = a.state_topic.iter().cloned().collect();
        if let Some(avty) = &a.availability_topic {
            if !topics.contains(avty) {
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
        if a.state_topic.as_deref() == Some(topic) {
            ours = true;
            if let Some(on) = self.read_state(payload) {
                core.report_power(0, on);
            }
        }
        ours
    }

    fn ask_state(&mut self, _core: &mut DeviceCore, _first: bool) -> bool {
        false
    }

    fn send_command(&mut self, core: &mut DeviceCore, _channel: usize, command: SwitchCommand) {
        let a = &self.address;
        let on = match command {
            SwitchCommand::On => true,
            SwitchCommand::Off => false,
            SwitchCommand::Toggle => {
                core.state.channels.first().and_then(|c| c.power) != Some(true)
            }
        };
        let payload = if on { &a.payload_on } else { &a.payload_off };
        let message = OutgoingMessage::command(a.command_topic.clone(), payload.as_bytes());
        if a.state_topic.as_ref() == Some(&a.command_topic) {
            core.send_expecting_echo(message);
        } else {
            core.send(message);
        }
    }

    fn command_topic(&self, _channel: usize) -> String {
        self.address.command_topic.clone()
    }

    fn toggles_without_state(&self) -> bool {
        false
    }

    /// Watched unless the device also reports its state there (a retained state is normal).
    fn command_filters(&self) -> Vec<String> {
        let a = &self.address;
        if a.state_topic.as_ref() == Some(&a.command_topic) {
            Vec::new()
        } else {
            vec![a.command_topic.clone()]
        }
    }

    fn is_command_topic(&self, topic: &str) -> bool {
        let a = &self.address;
        topic == a.command_topic && a.state_topic.as_ref() != Some(&a.command_topic)
    }
}

#[cfg(test)]
mod tests {
    use crate::device::{Availability, CommandError, SwitchCommand};
    use crate::test_support::{connected, outgoing, pairs, T0};

    #[test]
    fn state_fixtures_for_each_way_of_writing_a_state() {
        // (spec, payload on the state topic, state after it)
        let fixtures: &[(&str, &str, Option<bool>)] = &[
            ("generic:l/set:l", "ON", Some(true)),
            ("generic:l/set:l", "off", Some(false)),
            ("generic:l/set:l", "1", Some(true)),
            (
                "generic:l/set:l:Lamp:state_on=open:state_off=closed",
                "closed",
                Some(false),
            ),
            (
                "generic:l/set:l:Lamp:on=encender:off=apagar",
                "encender",
                Some(true),
            ),
            (
                "generic:l/set:l:Lamp:path=POWER",
                r#"{"POWER":"ON"}"#,
                Some(true),
            ),
            (
                "generic:l/set:l:Lamp:path=$.GP16",
                r#"{"GP16":0}"#,
                Some(false),
            ),
            (
                "generic:l/set:l:Lamp:path=relay.on",
                r#"{"relay":{"on":true}}"#,
                Some(true),
            ),
            ("generic:l/set:l:Lamp:path=POWER", r#"{"Other":"ON"}"#, None),
            ("generic:l/set:l:Lamp:path=POWER", "ON", None),
            ("generic:l/set:l", "dimmed", None),
            ("generic:l/set:l", "", None),
        ];
        for (spec, payload, expected) in fixtures {
            let mut lamp = connected(spec);
            lamp.handle_message(T0, "l", payload.as_bytes());
            assert_eq!(
                lamp.state().channels[0].power,
                *expected,
                "{spec} {payload}"
            );
        }
    }

    #[test]
    fn a_pair_cannot_be_asked_so_the_page_waits_and_then_confirms() {
        let mut lamp = crate::adapter::Device::new(
            &crate::device_config::parse_device_spec("generic:home/lamp/set:home/lamp").unwrap(),
            "x",
        );
        lamp.handle_broker_connected(T0);
        assert_eq!(outgoing(&mut lamp), []);
        assert_eq!(lamp.poll_timeout(), None);
        lamp.handle_message(T0, "home/lamp", b"OFF");
        lamp.request(T0, 0, SwitchCommand::On).unwrap();
        assert_eq!(outgoing(&mut lamp), pairs(&[("home/lamp/set", "ON")]));
        lamp.handle_message(T0 + 20, "home/lamp", b"ON");
        assert!(lamp.state().is_operable(0));
    }

    #[test]
    fn availability_payloads_are_the_devices_own() {
        let mut lamp =
            connected("generic:l/set:l:Lamp:avty=l/status:avty_on=up:avty_off=down,lost");
        lamp.handle_message(T0, "l/status", b"up");
        assert_eq!(lamp.state().availability, Availability::Online);
        lamp.handle_message(T0, "l/status", b"lost");
        assert_eq!(lamp.state().availability, Availability::Offline);
        lamp.handle_message(T0, "l/status", b"online");
        assert_eq!(
            lamp.state().availability,
            Availability::Offline,
            "not its payload"
        );
    }

    #[test]
    fn without_a_state_topic_commands_go_out_unconfirmed() {
        let mut fan = connected("generic:fan/cmd::Fan");
        assert_eq!(
            fan.subscriptions(),
            ["fan/cmd"],
            "only to notice a retained command"
        );
        assert!(fan.state().is_operable(0));
        fan.request(T0, 0, SwitchCommand::On).unwrap();
        assert_eq!(outgoing(&mut fan), pairs(&[("fan/cmd", "ON")]));
        let channel = &fan.state().channels[0];
        assert_eq!(
            (channel.pending, channel.last_unconfirmed),
            (None, Some(true))
        );
        assert_eq!(
            fan.request(T0, 0, SwitchCommand::Toggle),
            Err(CommandError::StateUnknown)
        );
    }

    #[test]
    fn one_topic_both_ways_ignores_the_pages_own_echo() {
        let mut lamp = connected("generic:l:l");
        lamp.handle_message(T0, "l", b"OFF");
        lamp.request(T0, 0, SwitchCommand::On).unwrap();
        outgoing(&mut lamp);
        lamp.handle_message(T0 + 1, "l", b"ON");
        assert!(
            lamp.state().channels[0].pending.is_some(),
            "echo taken as confirmation"
        );
        lamp.handle_message(T0 + 30, "l", b"ON");
        assert_eq!(lamp.state().channels[0].pending, None);
    }
}
