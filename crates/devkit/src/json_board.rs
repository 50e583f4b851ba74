//! A simulated DIY JSON relay board (a Pico W "MqttTinyController"), pure.
//!
//! ONE topic both ways, JSON keyed by pin: relays `GP16` and `GP17`, a momentary relay
//! `GP18` (pulsed for 2 s, then the board publishes the final `0`), and a read-only door
//! contact `GP1` (its "button" opens and closes the door). At start and on
//! `{"CMD":"refresh"}` it publishes the full map; `{"CMD":"stats"}` is answered by a plain-text
//! line, `{"CMD":"getip"}` by `{"IP": "..."}`. It writes `{"GP16": 1}` with a space, as the
//! real board does, and ignores the broker's echo of its own messages.

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::sim_device::{PlugPublish, SimDevice};

/// How long the momentary relay stays closed.
pub const PULSE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pin {
    Relay,
    Momentary,
    Contact,
}

/// One simulated board.
#[derive(Debug, Clone)]
pub struct JsonBoard {
    topic: String,
    pins: Vec<(&'static str, Pin, u8)>,
    release_at: Option<Duration>,
    own_messages: VecDeque<String>,
}

impl JsonBoard {
    /// A board on `topic` with everything off and the door closed.
    pub fn new(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            pins: vec![
                ("GP1", Pin::Contact, 1),
                ("GP16", Pin::Relay, 0),
                ("GP17", Pin::Relay, 0),
                ("GP18", Pin::Momentary, 0),
            ],
            release_at: None,
            own_messages: VecDeque::new(),
        }
    }

    /// Pins and values as `GP1=1,GP16=0,...`.
    fn summary(&self) -> String {
        self.pins
            .iter()
            .map(|(name, _, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn publish(&mut self, pins: &[&str]) -> PlugPublish {
        let body = pins
            .iter()
            .filter_map(|name| self.pins.iter().find(|(n, ..)| n == name))
            .map(|(name, _, value)| format!("\"{name}\": {value}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.text(format!("{{{body}}}"))
    }

    fn text(&mut self, payload: String) -> PlugPublish {
        if self.own_messages.len() == 16 {
            self.own_messages.pop_front();
        }
        self.own_messages.push_back(payload.clone());
        PlugPublish::new(self.topic.clone(), payload)
    }

    fn full_map(&mut self) -> PlugPublish {
        let names: Vec<&str> = self.pins.iter().map(|(n, ..)| *n).collect();
        self.publish(&names)
    }

    fn command(&mut self, now: Duration, object: &Map<String, Value>) -> Vec<PlugPublish> {
        match object.get("CMD").and_then(Value::as_str) {
            Some("refresh") => return vec![self.full_map()],
            Some("stats") => {
                let line = format!(
                    "Uptime=0 days {} hrs, Outages=0, Mem=32.9%, Temp=18.6C/65.5F",
                    now.as_secs() / 3600
                );
                return vec![self.text(line)];
            }
            Some("getip") => return vec![self.text(r#"{"IP": "127.0.0.1"}"#.into())],
            _ => {}
        }
        let mut changed = Vec::new();
        for (key, value) in object {
            let Some(wanted) = value.as_u64().filter(|v| *v <= 1) else {
                continue;
            };
            let Some(pin) = self.pins.iter_mut().find(|(n, ..)| n == key) else {
                continue;
            };
            match pin.1 {
                Pin::Contact => {}
                Pin::Relay => {
                    pin.2 = wanted as u8;
                    changed.push(pin.0);
                }
                Pin::Momentary if wanted == 1 && self.release_at.is_none() => {
                    pin.2 = 1;
                    changed.push(pin.0);
                    self.release_at = Some(now + PULSE);
                }
                Pin::Momentary => {}
            }
        }
        if changed.is_empty() {
            Vec::new()
        } else {
            vec![self.publish(&changed)]
        }
    }
}

impl SimDevice for JsonBoard {
    fn name(&self) -> &str {
        &self.topic
    }

    fn will(&self) -> Option<PlugPublish> {
        None
    }

    fn subscriptions(&self) -> Vec<String> {
        vec![self.topic.clone()]
    }

    fn on_connected(&mut self) -> Vec<PlugPublish> {
        vec![self.full_map()]
    }

    fn on_message(&mut self, now: Duration, topic: &str, payload: &str) -> Vec<PlugPublish> {
        if topic != self.topic {
            return Vec::new();
        }
        // Its own messages, however often the broker brings them back (QoS 1 may deliver
        // one twice); the page writes without the space, so never matches one.
        if self.own_messages.iter().any(|m| m == payload) {
            return Vec::new();
        }
        match serde_json::from_str::<Value>(payload) {
            Ok(Value::Object(object)) => self.command(now, &object),
            _ => Vec::new(),
        }
    }

    fn press_button(&mut self, _now: Duration) -> Vec<PlugPublish> {
        if let Some(door) = self.pins.iter_mut().find(|(n, ..)| *n == "GP1") {
            door.2 ^= 1;
        }
        vec![self.publish(&["GP1"])]
    }

    fn tick_telemetry(&mut self, _now: Duration) -> Vec<PlugPublish> {
        Vec::new()
    }

    fn poll(&mut self, now: Duration) -> Vec<PlugPublish> {
        if self.release_at.is_some_and(|at| now >= at) {
            self.release_at = None;
            if let Some(pin) = self.pins.iter_mut().find(|(n, ..)| *n == "GP18") {
                pin.2 = 0;
            }
            return vec![self.publish(&["GP18"])];
        }
        Vec::new()
    }

    fn power_summary(&self) -> String {
        self.summary()
    }

    #[cfg(test)]
    fn output(&self) -> Option<bool> {
        self.pins
            .iter()
            .find(|(_, pin, _)| *pin == Pin::Relay)
            .map(|(.., value)| *value == 1)
    }

    #[cfg(test)]
    fn is_switch_command(&self, topic: &str, payload: &str) -> bool {
        // Its own messages come back on the same topic: those are not commands.
        if topic != self.topic || self.own_messages.iter().any(|m| m == payload) {
            return false;
        }
        let Ok(Value::Object(object)) = serde_json::from_str::<Value>(payload) else {
            return false;
        };
        // What `command` acts on: a relay's pin with 0 or 1.
        object.iter().any(|(key, value)| {
            value.as_u64().is_some_and(|v| v <= 1)
                && self
                    .pins
                    .iter()
                    .any(|(name, pin, _)| name == key && *pin != Pin::Contact)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(10);

    #[test]
    fn a_relay_command_is_answered_with_the_new_value_and_its_echo_ignored() {
        let mut board = JsonBoard::new("b");
        let out = board.on_message(T, "b", r#"{"GP16":1}"#);
        assert_eq!(out[0].payload, r#"{"GP16": 1}"#);
        assert!(
            board.on_message(T, "b", &out[0].payload).is_empty(),
            "its own echo"
        );
        assert!(board.power_summary().contains("GP16=1"));
    }

    #[test]
    fn the_momentary_relay_pulses_and_reports_the_release() {
        let mut board = JsonBoard::new("b");
        assert_eq!(
            board.on_message(T, "b", r#"{"GP18":1}"#)[0].payload,
            r#"{"GP18": 1}"#
        );
        assert!(
            board.on_message(T, "b", r#"{"GP18":1}"#).is_empty(),
            "pressed again while pulsing"
        );
        assert!(board.poll(T + PULSE / 2).is_empty());
        assert_eq!(board.poll(T + PULSE)[0].payload, r#"{"GP18": 0}"#);
    }

    #[test]
    fn the_contact_is_read_only_and_refresh_stats_getip_answer() {
        let mut board = JsonBoard::new("b");
        assert!(board.on_message(T, "b", r#"{"GP1":0}"#).is_empty());
        assert_eq!(
            board.on_message(T, "b", r#"{"CMD":"refresh"}"#)[0].payload,
            r#"{"GP1": 1, "GP16": 0, "GP17": 0, "GP18": 0}"#
        );
        assert!(board.on_message(T, "b", r#"{"CMD":"stats"}"#)[0]
            .payload
            .starts_with("Uptime="));
        assert_eq!(
            board.on_message(T, "b", r#"{"CMD":"getip"}"#)[0].payload,
            r#"{"IP": "127.0.0.1"}"#
        );
        assert_eq!(board.press_button(T)[0].payload, r#"{"GP1": 0}"#);
    }
}
