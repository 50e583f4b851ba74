//! One pin of a DIY JSON relay board (e.g. a Pico W "MqttTinyController").
//!
//! The board uses ONE topic both ways, with JSON keyed by pin: the page sends `{"GP16":1}`,
//! the board switches and publishes `{"GP16": 1}`. A momentary pin is pulsed by the board,
//! which reports the final `0`; a contact pin is only read. Several keys may arrive at once,
//! and `{"CMD":"refresh"}` makes the board publish all of them. `{"CMD":"stats"}` is answered
//! by a line of plain text, `{"CMD":"getip"}` by `{"IP": "..."}`; both are shown as the
//! board's answer. Because the page publishes on the topic it reads, the broker hands every
//! command back to it: those echoes are recognised by the core and never taken for the
//! board's report. The board has no toggle and no availability topic.

use serde_json::Value;

use crate::adapter::{DeviceAction, Protocol};
use crate::device::{
    clip_text, parse_power_value, ChannelRole, CommandError, DeviceState, OutgoingMessage,
    SwitchCommand, MAX_TEXT_ANSWER,
};
use crate::device_core::DeviceCore;
use crate::json_read::parse_object;

/// One pin of a board.
#[derive(Debug, Clone)]
pub struct JsonRelayProtocol {
    topic: String,
    pin: String,
    role: ChannelRole,
}

impl JsonRelayProtocol {
    /// Pin `pin` (e.g. `GP16`) of the board on `topic`.
    pub fn new(topic: String, pin: String, role: ChannelRole) -> Self {
        Self { topic, pin, role }
    }

    /// One channel in the pin's role.
    pub fn initial_state(&self) -> DeviceState {
        DeviceState::with_channels(1, self.role, true)
    }

    fn send_board_command(&self, core: &mut DeviceCore, command: &str, is_query: bool) {
        let payload = serde_json::json!({ "CMD": command }).to_string();
        core.send_expecting_echo(OutgoingMessage {
            topic: self.topic.clone(),
            payload: payload.into_bytes(),
            is_query,
            at_most_once: false,
        });
    }
}

impl Protocol for JsonRelayProtocol {
    fn subscriptions(&self) -> Vec<String> {
        vec![self.topic.clone()]
    }

    fn handle_message(&mut self, core: &mut DeviceCore, topic: &str, payload: &[u8]) -> bool {
        if topic != self.topic {
            return false;
        }
        match parse_object(payload) {
            Some(object) => {
                if let Some(on) = object.get(&self.pin).and_then(parse_power_value) {
                    core.report_power(0, on);
                }
                if let Some(ip) = object.get("IP").and_then(Value::as_str) {
                    core.state.answer = Some(crate::say!("IP address: {}", clip_text(ip, 64)));
                }
            }
            None => {
                let text = String::from_utf8_lossy(payload);
                let text = text.trim();
                if !text.is_empty() && !text.starts_with(['{', '[']) {
                    core.state.answer = Some(clip_text(text, MAX_TEXT_ANSWER));
                }
            }
        }
        true
    }

    fn ask_state(&mut self, core: &mut DeviceCore, _first: bool) -> bool {
        self.send_board_command(core, "refresh", true);
        true
    }

    fn send_command(&mut self, core: &mut DeviceCore, _channel: usize, command: SwitchCommand) {
        let on = match (self.role, command) {
            (ChannelRole::Momentary, _) | (_, SwitchCommand::On) => true,
            (_, SwitchCommand::Off) => false,
            (_, SwitchCommand::Toggle) => {
                core.state.channels.first().and_then(|c| c.power) != Some(true)
            }
        };
        let mut body = serde_json::Map::new();
        body.insert(self.pin.clone(), Value::from(u8::from(on)));
        // The board keeps its session: see `OutgoingMessage::to_kept_session`.
        core.send_expecting_echo(OutgoingMessage::to_kept_session(
            self.topic.clone(),
            Value::Object(body).to_string(),
        ));
    }

    fn command_topic(&self, _channel: usize) -> String {
        self.topic.clone()
    }

    fn toggles_without_state(&self) -> bool {
        false
    }

    /// The board reads its commands from the topic it reports on: a retained message there
    /// is re-read at every reconnect of the board.
    fn is_command_topic(&self, topic: &str) -> bool {
        topic == self.topic
    }

    fn send_action(
        &mut self,
        core: &mut DeviceCore,
        action: DeviceAction,
    ) -> Result<(), CommandError> {
        let command = match action {
            DeviceAction::Refresh => "refresh",
            DeviceAction::Stats => "stats",
            DeviceAction::Address => "getip",
        };
        self.send_board_command(core, command, false);
        Ok(())
    }

    fn actions(&self) -> &'static [DeviceAction] {
        &[
            DeviceAction::Refresh,
            DeviceAction::Stats,
            DeviceAction::Address,
        ]
    }
}

#[cfg(test)]
mod tests {
    use crate::adapter::{Device, DeviceAction};
    use crate::device::{CommandError, SwitchCommand};
    use crate::test_support::{connected, outgoing, pairs, T0};

    const BOARD: &str = "pico/relays";

    #[test]
    fn fixtures_give_the_expected_state() {
        // (payload the board publishes, state of GP16 after it)
        let fixtures: &[(&str, Option<bool>)] = &[
            (r#"{"GP16": 1}"#, Some(true)),
            (r#"{"GP16": 0}"#, Some(false)),
            (r#"{"GP1": 1, "GP16": 1}"#, Some(true)),
            (
                r#"{"GP0":0,"GP1":1,"GP16":0,"GP17":1,"GP18":0}"#,
                Some(false),
            ),
            (r#"{"GP16": true}"#, Some(true)),
            (r#"{"GP16": "1"}"#, Some(true)),
            (r#"{"GP17": 1}"#, None),
            (r#"{"GP16": 2}"#, None),
            (r#"{"GP16": null}"#, None),
            (r#"{"CMD":"refresh"}"#, None),
            (
                "Uptime=1 days 5 hrs, Outages=0, Mem=32.9%, Temp=18.6C/65.5F",
                None,
            ),
            ("{\"GP16\": 1", None),
            ("[1,2]", None),
        ];
        for (payload, expected) in fixtures {
            let mut pin = connected(&format!("jsonrelay:{BOARD}:GP16"));
            pin.handle_message(T0, BOARD, payload.as_bytes());
            assert_eq!(pin.state().channels[0].power, *expected, "{payload}");
        }
    }

    #[test]
    fn the_page_asks_with_refresh_and_its_own_echo_is_not_a_report() {
        let mut pin = Device::new(
            &crate::device_config::parse_device_spec(&format!("jsonrelay:{BOARD}:GP16")).unwrap(),
            "x",
        );
        pin.handle_broker_connected(T0);
        assert_eq!(
            outgoing(&mut pin),
            pairs(&[(BOARD, r#"{"CMD":"refresh"}"#)])
        );
        pin.handle_message(T0, BOARD, br#"{"CMD":"refresh"}"#);
        pin.handle_message(T0, BOARD, br#"{"GP16": 0}"#);
        pin.request(T0, 0, SwitchCommand::On).unwrap();
        assert_eq!(outgoing(&mut pin), pairs(&[(BOARD, r#"{"GP16":1}"#)]));
        pin.handle_message(T0 + 5, BOARD, br#"{"GP16":1}"#);
        assert!(
            pin.state().channels[0].pending.is_some(),
            "the page's own command, echoed by the broker, was taken as the board's report"
        );
        // QoS 1 may deliver the echo twice, the copy marked DUP: still not the board's answer.
        pin.handle_duplicate(T0 + 6, BOARD, br#"{"GP16":1}"#);
        assert!(
            pin.state().channels[0].pending.is_some(),
            "a duplicate of the page's own echo was taken as the board's report"
        );
        assert_eq!(pin.state().channels[0].power, Some(false));
        pin.handle_message(T0 + 40, BOARD, br#"{"GP16": 1}"#);
        assert_eq!(pin.state().channels[0].pending, None);
        assert_eq!(pin.state().channels[0].power, Some(true));
    }

    #[test]
    fn a_momentary_press_shows_the_pulse_and_is_confirmed_by_the_release() {
        let mut door = connected(&format!("jsonrelay:{BOARD}:GP18:momentary:Garage"));
        door.handle_message(T0, BOARD, br#"{"GP18": 0}"#);
        door.request(T0, 0, SwitchCommand::Toggle).unwrap();
        assert_eq!(outgoing(&mut door), pairs(&[(BOARD, r#"{"GP18":1}"#)]));
        door.handle_message(T0 + 1, BOARD, br#"{"GP18":1}"#); // echo
        door.handle_message(T0 + 50, BOARD, br#"{"GP18": 1}"#);
        assert_eq!(
            door.state().channels[0].power,
            Some(true),
            "the pulse is shown"
        );
        assert!(door.state().channels[0].pending.is_some());
        door.handle_message(T0 + 2_050, BOARD, br#"{"GP18": 0}"#);
        assert_eq!(door.state().channels[0].pending, None);
    }

    #[test]
    fn a_contact_is_read_only_and_toggle_needs_a_known_state() {
        let mut contact = connected(&format!("jsonrelay:{BOARD}:GP1:contact"));
        contact.handle_message(T0, BOARD, br#"{"GP1": 1}"#);
        assert_eq!(contact.state().channels[0].power, Some(true));
        assert_eq!(
            contact.request(T0, 0, SwitchCommand::Toggle),
            Err(CommandError::ReadOnly)
        );
        let mut relay = connected(&format!("jsonrelay:{BOARD}:GP16"));
        assert_eq!(
            relay.request(T0, 0, SwitchCommand::Toggle),
            Err(CommandError::StateUnknown),
            "the board has no toggle"
        );
        relay.handle_message(T0, BOARD, br#"{"GP16": 1}"#);
        relay.request(T0, 0, SwitchCommand::Toggle).unwrap();
        assert_eq!(outgoing(&mut relay), pairs(&[(BOARD, r#"{"GP16":0}"#)]));
    }

    #[test]
    fn stats_and_getip_answers_are_shown() {
        let mut pin = connected(&format!("jsonrelay:{BOARD}:GP16"));
        assert_eq!(
            pin.actions(),
            [
                DeviceAction::Refresh,
                DeviceAction::Stats,
                DeviceAction::Address
            ]
        );
        pin.act(DeviceAction::Stats).unwrap();
        assert_eq!(outgoing(&mut pin), pairs(&[(BOARD, r#"{"CMD":"stats"}"#)]));
        pin.handle_message(T0, BOARD, br#"{"CMD":"stats"}"#);
        assert_eq!(
            pin.state().answer,
            None,
            "the echo of the question is not its answer"
        );
        let line = "Uptime=1 days 5 hrs, Outages=0, Mem=32.9%, Temp=18.6C/65.5F";
        pin.handle_message(T0, BOARD, line.as_bytes());
        assert_eq!(pin.state().answer.as_deref(), Some(line));
        pin.act(DeviceAction::Address).unwrap();
        pin.handle_message(T0, BOARD, br#"{"IP": "20.114.152.56"}"#);
        assert_eq!(
            pin.state().answer.as_deref(),
            Some("IP address: 20.114.152.56")
        );
    }
}
