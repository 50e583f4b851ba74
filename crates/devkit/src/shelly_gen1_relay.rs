//! A simulated Shelly Gen1 relay (Shelly 1, Plug S: `shellies/<id>/...`), pure, as Shelly's
//! Gen1 MQTT API documents it.
//!
//! - Availability: `shellies/<id>/online` `true` on connect, will `false`, both retained.
//! - State: `shellies/<id>/relay/0` `on`/`off` (not retained: `mqtt_retain` is off by
//!   default), with `relay/0/power` (W) and `relay/0/energy` (watt-minutes), on every change
//!   and every `mqtt_update_period` (30 s).
//! - Commands: `relay/0/command` `on`, `off`, `toggle`; `update` on `shellies/<id>/command`
//!   publishes the state and the whole status on `shellies/<id>/info` (JSON, `relays[].ison`);
//!   `announce` on `shellies/command` (every device) or the device's own command topic
//!   publishes `shellies/announce`.

use std::time::Duration;

use serde_json::json;

use crate::sim_device::{PlugPublish, SimDevice};

/// The plug's load while on (W).
const LOAD_W: f64 = 23.5;

/// One simulated Gen1 relay.
#[derive(Debug, Clone)]
pub struct ShellyGen1Relay {
    id: String,
    on: bool,
    /// Energy counted so far, in watt-minutes (what Gen1 reports).
    energy_wmin: f64,
}

impl ShellyGen1Relay {
    /// A device with id `id` (e.g. `shellyplug-s-7AB3C1`).
    pub fn new(id: impl Into<String>, on: bool) -> Self {
        Self {
            id: id.into(),
            on,
            energy_wmin: 0.0,
        }
    }

    fn topic(&self, rest: &str) -> String {
        format!("shellies/{}/{rest}", self.id)
    }

    fn power(&self) -> f64 {
        if self.on {
            LOAD_W
        } else {
            0.0
        }
    }

    fn state(&self) -> Vec<PlugPublish> {
        vec![
            PlugPublish::new(self.topic("relay/0"), if self.on { "on" } else { "off" }),
            PlugPublish::new(self.topic("relay/0/power"), format!("{:.2}", self.power())),
            PlugPublish::new(
                self.topic("relay/0/energy"),
                format!("{}", self.energy_wmin.round()),
            ),
        ]
    }

    fn info(&self) -> PlugPublish {
        let info = json!({
            "relays": [{"ison": self.on, "has_timer": false, "overpower": false, "source": "mqtt"}],
            "meters": [{"power": self.power(), "is_valid": true, "total": self.energy_wmin.round()}],
            "temperature": 41.2,
            "wifi_sta": {"connected": true, "ssid": "home", "rssi": -61},
            "uptime": 3600,
        });
        PlugPublish::new(self.topic("info"), info.to_string())
    }

    fn announce(&self) -> PlugPublish {
        let announce = json!({
            "id": self.id, "model": "SHPLG-S", "mac": "A4CF127AB3C1", "ip": "192.168.1.40",
            "new_fw": false, "fw_ver": "20230913-114008/v1.14.0-gcb84623",
        });
        PlugPublish::new("shellies/announce", announce.to_string())
    }
}

impl SimDevice for ShellyGen1Relay {
    fn name(&self) -> &str {
        &self.id
    }

    fn will(&self) -> Option<PlugPublish> {
        Some(PlugPublish::retained(self.topic("online"), "false"))
    }

    fn subscriptions(&self) -> Vec<String> {
        vec![
            self.topic("relay/0/command"),
            self.topic("command"),
            "shellies/command".into(),
        ]
    }

    fn on_connected(&mut self) -> Vec<PlugPublish> {
        let mut out = vec![
            PlugPublish::retained(self.topic("online"), "true"),
            self.announce(),
        ];
        out.extend(self.state());
        out
    }

    fn on_message(&mut self, _now: Duration, topic: &str, payload: &str) -> Vec<PlugPublish> {
        let word = payload.trim();
        if topic == self.topic("relay/0/command") {
            match word {
                "on" => self.on = true,
                "off" => self.on = false,
                "toggle" => self.on = !self.on,
                _ => return Vec::new(),
            }
            return self.state();
        }
        if topic == self.topic("command") || topic == "shellies/command" {
            return match word {
                "update" => {
                    let mut out = self.state();
                    out.push(self.info());
                    out
                }
                "announce" => vec![self.announce()],
                _ => Vec::new(),
            };
        }
        Vec::new()
    }

    fn press_button(&mut self, _now: Duration) -> Vec<PlugPublish> {
        self.on = !self.on;
        self.state()
    }

    fn tick_telemetry(&mut self, _now: Duration) -> Vec<PlugPublish> {
        // Called every telemetry period: half a minute of load counted.
        self.energy_wmin += self.power() * 0.5;
        self.state()
    }

    fn power_summary(&self) -> String {
        if self.on { "ON" } else { "OFF" }.into()
    }

    #[cfg(test)]
    fn output(&self) -> Option<bool> {
        Some(self.on)
    }

    #[cfg(test)]
    fn is_switch_command(&self, topic: &str, payload: &str) -> bool {
        topic == self.topic("relay/0/command") && matches!(payload.trim(), "on" | "off" | "toggle")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_reports_in_words_not_retained_and_answers_update_with_its_status() {
        let mut relay = ShellyGen1Relay::new("shellyplug-s-7AB3C1", false);
        let hello = relay.on_connected();
        assert_eq!(
            (
                hello[0].topic.as_str(),
                hello[0].payload.as_str(),
                hello[0].retain
            ),
            ("shellies/shellyplug-s-7AB3C1/online", "true", true)
        );
        assert!(hello
            .iter()
            .any(|p| p.topic.ends_with("/relay/0") && p.payload == "off" && !p.retain));
        let out = relay.on_message(
            Duration::ZERO,
            "shellies/shellyplug-s-7AB3C1/relay/0/command",
            "toggle",
        );
        assert_eq!(out[0].payload, "on");
        assert_eq!(out[1].payload, "23.50");
        let status = relay.on_message(
            Duration::ZERO,
            "shellies/shellyplug-s-7AB3C1/command",
            "update",
        );
        let info = status.iter().find(|p| p.topic.ends_with("/info")).unwrap();
        let info: serde_json::Value = serde_json::from_str(&info.payload).unwrap();
        assert_eq!(info["relays"][0]["ison"], true);
        assert!(relay
            .on_message(
                Duration::ZERO,
                "shellies/shellyplug-s-7AB3C1/relay/0/command",
                "blink"
            )
            .is_empty());
    }
}
