//! The Shelly Gen1 protocol (`shellies/<id>/...`): plain words on plain topics.
//!
//! State on `shellies/<id>/relay/<n>` (`on`, `off`, or `overpower`, which means the device cut
//! the power itself), power on `relay/0/power` (W), energy on `relay/0/energy` (watt-minutes),
//! availability on `shellies/<id>/online` (`true`/`false`), the whole status as JSON on
//! `shellies/<id>/info`. Commands go to `relay/<n>/command` as `on`, `off` or `toggle`; the
//! state is asked for with `update` on `shellies/<id>/command`.

use serde_json::Value;

use crate::adapter::Protocol;
use crate::device::{parse_power_word, ChannelRole, DeviceState, OutgoingMessage, SwitchCommand};
use crate::device_core::DeviceCore;
use crate::json_read::{number, parse_object};

/// Relays listened to (the Shelly 2.5 has two; single-relay devices never publish `relay/1`).
const RELAYS: usize = 2;

/// One Shelly Gen1 device.
#[derive(Debug, Clone)]
pub struct ShellyGen1Protocol {
    base: String,
    relays: [String; RELAYS],
}

impl ShellyGen1Protocol {
    /// A device by its id (e.g. `shellyplug-s-7AB3C1`).
    pub fn new(id: String) -> Self {
        let base = format!("shellies/{id}");
        Self {
            relays: [format!("{base}/relay/0"), format!("{base}/relay/1")],
            base,
        }
    }

    /// One relay until the device reports a second.
    pub fn initial_state(&self) -> DeviceState {
        DeviceState::with_channels(1, ChannelRole::Relay, true)
    }
}

impl Protocol for ShellyGen1Protocol {
    fn schedule_kind(&self) -> crate::schedule_book::ScheduleKind {
        crate::schedule_book::ScheduleKind::NotOverMqtt
    }

    fn subscriptions(&self) -> Vec<String> {
        let b = &self.base;
        vec![
            format!("{b}/online"),
            self.relays[0].clone(),
            self.relays[1].clone(),
            format!("{b}/relay/0/power"),
            format!("{b}/relay/0/energy"),
            format!("{b}/info"),
        ]
    }

    fn handle_message(&mut self, core: &mut DeviceCore, topic: &str, payload: &[u8]) -> bool {
        let Some(rest) = topic
            .strip_prefix(self.base.as_str())
            .and_then(|r| r.strip_prefix('/'))
        else {
            return false;
        };
        let text = String::from_utf8_lossy(payload);
        let text = text.trim();
        match rest {
            "online" => match text {
                "true" => core.report_availability(true),
                "false" => core.report_availability(false),
                _ => {}
            },
            "relay/0" | "relay/1" => {
                let channel = usize::from(rest == "relay/1");
                if text == "overpower" {
                    core.report_power(channel, false);
                    core.state.notice = Some(crate::say!(
                        "The device switched itself off: too much power drawn."
                    ));
                } else if let Some(on) = parse_power_word(text) {
                    core.report_power(channel, on);
                }
            }
            "relay/0/power" => {
                if let Some(watts) = crate::number_text::parse_number(text) {
                    core.state.readings.power_w = Some(watts);
                }
            }
            "relay/0/energy" => {
                if let Some(wmin) = crate::number_text::parse_number(text) {
                    core.state.readings.energy_total_kwh = Some(wmin / 60_000.0);
                }
            }
            "info" => {
                let Some(info) = parse_object(payload) else {
                    return true;
                };
                let relays = info.get("relays").and_then(Value::as_array);
                for (channel, relay) in relays.into_iter().flatten().enumerate().take(RELAYS) {
                    if let Some(on) = relay.get("ison").and_then(Value::as_bool) {
                        core.report_power(channel, on);
                    }
                }
                let meter = info
                    .get("meters")
                    .and_then(|m| m.get(0))
                    .and_then(|m| m.get("power"))
                    .and_then(number);
                let readings = &mut core.state.readings;
                readings.power_w = meter.or(readings.power_w);
                if let Some(t) = info.get("temperature").and_then(number) {
                    readings.temperature_c = Some(t);
                }
                if let Some(rssi) = info
                    .get("wifi_sta")
                    .and_then(|w| w.get("rssi"))
                    .and_then(number)
                {
                    readings.wifi_dbm = Some(rssi);
                }
                if let Some(uptime) = info.get("uptime").and_then(number) {
                    readings.uptime_secs = Some(uptime as u64);
                }
            }
            _ => return false,
        }
        true
    }

    fn ask_state(&mut self, core: &mut DeviceCore, _first: bool) -> bool {
        core.send(OutgoingMessage::query(
            format!("{}/command", self.base),
            "update",
        ));
        true
    }

    fn send_command(&mut self, core: &mut DeviceCore, channel: usize, command: SwitchCommand) {
        let word = match command {
            SwitchCommand::On => "on",
            SwitchCommand::Off => "off",
            SwitchCommand::Toggle => "toggle",
        };
        let topic = self.command_topic(channel);
        core.send(if command == SwitchCommand::Toggle {
            OutgoingMessage::toggle(topic, word)
        } else {
            OutgoingMessage::command(topic, word)
        });
    }

    fn command_topic(&self, channel: usize) -> String {
        format!("{}/relay/{channel}/command", self.base)
    }

    fn command_filters(&self) -> Vec<String> {
        (0..RELAYS)
            .map(|channel| self.command_topic(channel))
            .collect()
    }

    fn is_command_topic(&self, topic: &str) -> bool {
        (0..RELAYS).any(|channel| topic == self.command_topic(channel))
    }
}

#[cfg(test)]
mod tests {
    use crate::device::SwitchCommand;
    use crate::test_support::{connected, outgoing, pairs, T0};

    #[test]
    fn fixtures_give_the_expected_state() {
        // (topic, payload, relay 0, relay 1 if any)
        let fixtures: &[(&str, &str, Option<bool>, Option<bool>)] = &[
            ("shellies/s1/relay/0", "on", Some(true), None),
            ("shellies/s1/relay/0", "off", Some(false), None),
            ("shellies/s1/relay/1", "on", None, Some(true)),
            ("shellies/s1/relay/0", "overpower", Some(false), None),
            (
                "shellies/s1/info",
                r#"{"relays":[{"ison":true},{"ison":false}],"meters":[{"power":12.5}]}"#,
                Some(true),
                Some(false),
            ),
            ("shellies/s1/relay/0", "maybe", None, None),
            ("shellies/s1/info", "{broken", None, None),
            ("shellies/s1/info", r#"{"relays":"no"}"#, None, None),
            ("shellies/s2/relay/0", "on", None, None),
        ];
        for (topic, payload, relay0, relay1) in fixtures {
            let mut plug = connected("shellygen1:s1");
            plug.handle_message(T0, topic, payload.as_bytes());
            let channels = &plug.state().channels;
            assert_eq!(channels[0].power, *relay0, "{topic} {payload}");
            assert_eq!(
                channels.get(1).and_then(|c| c.power),
                *relay1,
                "{topic} {payload}"
            );
        }
    }

    #[test]
    fn it_asks_with_update_commands_in_words_and_reads_power_and_energy() {
        let mut plug = crate::adapter::Device::new(
            &crate::device_config::parse_device_spec("shellygen1:s1").unwrap(),
            "x",
        );
        plug.handle_broker_connected(T0);
        assert_eq!(
            outgoing(&mut plug),
            pairs(&[("shellies/s1/command", "update")])
        );
        // Online while the question is unanswered: the device just connected, ask again.
        plug.handle_message(T0, "shellies/s1/online", b"true");
        assert_eq!(
            outgoing(&mut plug),
            pairs(&[("shellies/s1/command", "update")])
        );
        plug.handle_message(T0, "shellies/s1/relay/0", b"off");
        plug.handle_message(T0, "shellies/s1/relay/0/power", b"40.5");
        plug.handle_message(T0, "shellies/s1/relay/0/energy", b"120000");
        assert_eq!(plug.state().readings.power_w, Some(40.5));
        assert_eq!(plug.state().readings.energy_total_kwh, Some(2.0));
        plug.request(T0, 0, SwitchCommand::On).unwrap();
        assert_eq!(
            outgoing(&mut plug),
            pairs(&[("shellies/s1/relay/0/command", "on")])
        );
        plug.handle_message(T0 + 100, "shellies/s1/relay/0", b"on");
        assert!(plug.state().is_operable(0));
        plug.handle_message(T0 + 200, "shellies/s1/online", b"false");
        assert!(!plug.state().is_operable(0));
    }
}
