//! A simulated Tasmota plug or relay board, pure: messages in, messages out.
//!
//! Follows the documented protocol (../shared/PROTOCOLS.md): on connect it publishes
//! `tele/<t>/LWT Online` retained, its native discovery (`tasmota/discovery/<MAC>/config` and
//! `/sensors`, retained) and an empty `cmnd/<t>/POWER`, as the firmware does, then subscribes
//! to `cmnd/<t>/#` and the group topic `cmnd/tasmotas/#`. `POWER`/`POWER<n>` with `ON`/`1`,
//! `OFF`/`0`, `TOGGLE`/`2` switch (`POWER0` every relay); an empty payload or `?` only
//! reports. Reports go out as `stat/<t>/RESULT {"POWER":"ON"}` (`POWER<n>` on multi-relay
//! devices) and `stat/<t>/POWER ON`. `State` answers on `stat/<t>/RESULT`, `Status` on
//! `stat/<t>/STATUS` (with the FriendlyNames), `Status 10` on `stat/<t>/STATUS10` (energy).
//! The telemetry period publishes `tele/<t>/STATE` and `tele/<t>/SENSOR` with an energy
//! meter: 42 W per relay that is on. Its will is `tele/<t>/LWT Offline` retained. Its 16
//! timers (`Timer<n>`, `Timers`) are kept and fired by [`TimerStore`]; `Status 7` answers with
//! its clock on `stat/<t>/STATUS7`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::sim_clock::SimClock;
use crate::sim_device::{PlugPublish, SimDevice};
use crate::tasmota_timer_store::TimerStore;

/// The group topic every Tasmota subscribes to by default.
pub const GROUP_TOPIC: &str = "tasmotas";
/// What one relay that is on draws in the simulation.
const WATTS_PER_RELAY: f64 = 42.0;
const VOLTS: f64 = 230.0;

/// One simulated device with 1 to 8 relays.
#[derive(Debug, Clone)]
pub struct TasmotaPlug {
    topic: String,
    relays: Vec<bool>,
    uptime_secs: u64,
    timers: TimerStore,
    clock: SimClock,
}

impl TasmotaPlug {
    /// A single-relay plug with its `%topic%` and initial relay state.
    #[cfg(test)]
    pub fn new(topic: impl Into<String>, power: bool) -> Self {
        Self::with_relays(topic, 1, power)
    }

    /// A device with `relays` relays, all starting at `power`.
    pub fn with_relays(topic: impl Into<String>, relays: usize, power: bool) -> Self {
        Self {
            topic: topic.into(),
            relays: vec![power; relays.clamp(1, 8)],
            uptime_secs: 0,
            timers: TimerStore::default(),
            clock: SimClock::default(),
        }
    }

    /// The first relay's state.
    #[cfg(test)]
    pub fn power(&self) -> bool {
        self.relays[0]
    }

    /// A MAC address made from the topic, stable across runs.
    fn mac(&self) -> String {
        let hash = self.topic.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        format!("84F3EB{:06X}", hash & 0xFF_FFFF)
    }

    fn friendly_names(&self) -> Vec<String> {
        if self.relays.len() == 1 {
            vec![self.topic.clone()]
        } else {
            (1..=self.relays.len())
                .map(|n| format!("Socket {n}"))
                .collect()
        }
    }

    fn key(&self, relay: usize) -> String {
        if self.relays.len() == 1 {
            "POWER".into()
        } else {
            format!("POWER{}", relay + 1)
        }
    }

    fn word(on: bool) -> &'static str {
        if on {
            "ON"
        } else {
            "OFF"
        }
    }

    fn power_report(&self, relay: usize) -> Vec<PlugPublish> {
        let key = self.key(relay);
        let word = Self::word(self.relays[relay]);
        vec![
            self.stat("RESULT", json!({ key.clone(): word }).to_string()),
            self.stat(&key, word.into()),
        ]
    }

    fn state_json(&self) -> Value {
        let mut state = json!({
            "Uptime": format!("0T{:02}:{:02}:{:02}", self.uptime_secs / 3600 % 24, self.uptime_secs / 60 % 60, self.uptime_secs % 60),
            "UptimeSec": self.uptime_secs,
            "Wifi": {"AP": 1, "SSId": "sim", "RSSI": 78, "Signal": -61}
        });
        for relay in 0..self.relays.len() {
            state[self.key(relay)] = json!(Self::word(self.relays[relay]));
        }
        state
    }

    fn energy_json(&self) -> Value {
        let watts = self.relays.iter().filter(|on| **on).count() as f64 * WATTS_PER_RELAY;
        json!({"ENERGY": {
            "TotalStartTime": "2026-01-01T00:00:00",
            "Total": 12.5,
            "Yesterday": 0.8,
            "Today": 0.31,
            "Power": watts,
            "ApparentPower": watts,
            "ReactivePower": 0,
            "Factor": 1.0,
            "Voltage": VOLTS,
            "Current": (watts / VOLTS * 1000.0).round() / 1000.0
        }})
    }

    fn switch(&mut self, relays: std::ops::Range<usize>, word: &str) -> Option<Vec<PlugPublish>> {
        let mut out = Vec::new();
        for relay in relays {
            match word {
                "" | "?" => {}
                "ON" | "1" | "TRUE" => self.relays[relay] = true,
                "OFF" | "0" | "FALSE" => self.relays[relay] = false,
                "TOGGLE" | "2" => self.relays[relay] = !self.relays[relay],
                _ => return None,
            }
            out.extend(self.power_report(relay));
        }
        Some(out)
    }

    fn stat(&self, suffix: &str, payload: String) -> PlugPublish {
        PlugPublish::new(format!("stat/{}/{suffix}", self.topic), payload)
    }

    fn lwt(&self, word: &str) -> PlugPublish {
        PlugPublish::retained(format!("tele/{}/LWT", self.topic), word)
    }

    fn discovery(&self) -> Vec<PlugPublish> {
        let mac = self.mac();
        let mut names: Vec<Value> = self.friendly_names().into_iter().map(Value::from).collect();
        names.resize(8, Value::Null);
        let mut relays = vec![0; 8];
        relays[..self.relays.len()].fill(1);
        let config = json!({
            "ip": "127.0.0.1", "dn": self.topic, "fn": names, "hn": format!("{}-{}", self.topic, &mac[8..]),
            "mac": mac, "md": "Simulated plug", "t": self.topic, "ft": "%prefix%/%topic%/",
            "tp": ["cmnd", "stat", "tele"], "rl": relays, "ofln": "Offline", "onln": "Online",
            "state": ["OFF", "ON", "TOGGLE", "HOLD"], "sw": "13.1.0", "ver": 1
        });
        vec![
            PlugPublish::retained(
                format!("tasmota/discovery/{mac}/config"),
                config.to_string(),
            ),
            PlugPublish::retained(
                format!("tasmota/discovery/{mac}/sensors"),
                json!({"sn": self.energy_json(), "ver": 1}).to_string(),
            ),
        ]
    }
}

impl SimDevice for TasmotaPlug {
    fn name(&self) -> &str {
        &self.topic
    }

    fn will(&self) -> Option<PlugPublish> {
        Some(self.lwt("Offline"))
    }

    fn subscriptions(&self) -> Vec<String> {
        vec![
            format!("cmnd/{}/#", self.topic),
            format!("cmnd/{GROUP_TOPIC}/#"),
        ]
    }

    fn on_connected(&mut self) -> Vec<PlugPublish> {
        let mut out = vec![self.lwt("Online")];
        out.extend(self.discovery());
        out.push(PlugPublish::new(format!("cmnd/{}/POWER", self.topic), ""));
        out
    }

    fn on_message(&mut self, _now: Duration, topic: &str, payload: &str) -> Vec<PlugPublish> {
        let own = format!("cmnd/{}/", self.topic);
        let group = format!("cmnd/{GROUP_TOPIC}/");
        let Some(command) = topic
            .strip_prefix(&own)
            .or_else(|| topic.strip_prefix(&group))
        else {
            return Vec::new();
        };
        let command = command.to_ascii_uppercase();
        let word = payload.trim().to_ascii_uppercase();
        let unknown = || {
            vec![PlugPublish::new(
                format!("stat/{}/RESULT", self.topic),
                r#"{"Command":"Unknown"}"#,
            )]
        };
        if let Some(index) = command.strip_prefix("POWER") {
            let relays = match index {
                "" => 0..1,
                "0" => 0..self.relays.len(),
                n => match n.parse::<usize>() {
                    Ok(n) if (1..=self.relays.len()).contains(&n) => n - 1..n,
                    _ => return unknown(),
                },
            };
            return self
                .switch(relays, &word)
                .unwrap_or_else(|| vec![self.stat("RESULT", r#"{"Command":"Error"}"#.into())]);
        }
        if let Some(n) = command
            .strip_prefix("TIMER")
            .and_then(|n| n.parse::<usize>().ok())
        {
            return match self.timers.command(n, payload) {
                Some(answer) => vec![self.stat("RESULT", answer.to_string())],
                None => unknown(),
            };
        }
        match (command.as_str(), word.as_str()) {
            ("TIMERS", _) => self
                .timers
                .list(&word)
                .into_iter()
                .map(|answer| self.stat("RESULT", answer.to_string()))
                .collect(),
            ("STATUS", "7") => {
                let (sunrise, sunset) = self.clock.sun_minutes();
                let hh_mm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
                let time = json!({"StatusTIM": {
                    "UTC": self.clock.utc_iso(), "Local": self.clock.local_iso(),
                    "StartDST": "2026-03-29T02:00:00", "EndDST": "2026-10-25T03:00:00",
                    "Timezone": self.clock.offset_text(), "Sunrise": hh_mm(sunrise), "Sunset": hh_mm(sunset)
                }});
                vec![self.stat("STATUS7", time.to_string())]
            }
            ("STATE", _) => vec![self.stat("RESULT", self.state_json().to_string())],
            ("STATUS", "") => {
                let status = json!({"Status": {"Module": 0, "DeviceName": self.topic, "FriendlyName": self.friendly_names(), "Topic": self.topic, "ButtonTopic": "0", "Power": 0}});
                vec![self.stat("STATUS", status.to_string())]
            }
            ("STATUS", "10") => {
                let mut sensors = self.energy_json();
                sensors["Time"] = json!("2026-11-22T10:00:00");
                vec![self.stat("STATUS10", json!({"StatusSNS": sensors}).to_string())]
            }
            _ => unknown(),
        }
    }

    fn press_button(&mut self, _now: Duration) -> Vec<PlugPublish> {
        self.relays[0] = !self.relays[0];
        self.power_report(0)
    }

    fn tick_telemetry(&mut self, now: Duration) -> Vec<PlugPublish> {
        self.uptime_secs = now.as_secs();
        vec![
            PlugPublish::new(
                format!("tele/{}/STATE", self.topic),
                self.state_json().to_string(),
            ),
            PlugPublish::new(
                format!("tele/{}/SENSOR", self.topic),
                self.energy_json().to_string(),
            ),
        ]
    }

    fn tick_clock(&mut self, clock: SimClock) -> Vec<PlugPublish> {
        self.clock = clock;
        let mut out = Vec::new();
        for firing in self.timers.due(clock) {
            let relay = usize::from(firing.output).saturating_sub(1);
            let word = match firing.action {
                0 => "OFF",
                1 => "ON",
                2 => "TOGGLE",
                _ => continue,
            };
            if relay < self.relays.len() {
                out.extend(self.switch(relay..relay + 1, word).unwrap_or_default());
            }
        }
        out
    }

    fn seed_demo_schedules(&mut self, clock: SimClock) {
        // On half an hour before sunset, off at 23:00, and one due a minute after the demo
        // starts, so the demo shows a schedule switching the plug.
        let next = (clock.minute_of_day() + 1) % 1_440;
        let timers = [
            r#"{"Enable":1,"Mode":2,"Time":"-00:30","Days":"1111111","Repeat":1,"Output":1,"Action":1}"#.to_string(),
            r#"{"Enable":1,"Mode":0,"Time":"23:00","Days":"1111111","Repeat":1,"Output":1,"Action":0}"#.to_string(),
            format!(r#"{{"Enable":1,"Mode":0,"Time":"{:02}:{:02}","Days":"1111111","Repeat":1,"Output":1,"Action":2}}"#, next / 60, next % 60),
        ];
        for (n, timer) in timers.iter().enumerate() {
            self.timers.command(n + 1, timer);
        }
    }

    fn power_summary(&self) -> String {
        self.relays
            .iter()
            .map(|on| Self::word(*on))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[cfg(test)]
    fn output(&self) -> Option<bool> {
        self.relays.first().copied()
    }

    #[cfg(test)]
    fn schedules(&self) -> (usize, Vec<u16>) {
        self.timers.summary()
    }

    #[cfg(test)]
    fn is_switch_command(&self, topic: &str, payload: &str) -> bool {
        // `POWER`, `POWER<n>` on its own or the group topic; an empty payload or `?` only asks.
        let command = topic
            .strip_prefix(&format!("cmnd/{}/", self.topic))
            .or_else(|| topic.strip_prefix("cmnd/tasmotas/"));
        let asks = matches!(payload.trim(), "" | "?");
        command.is_some_and(|c| {
            c.strip_prefix("POWER")
                .is_some_and(|n| n.chars().all(|d| d.is_ascii_digit()))
        }) && !asks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::ZERO;

    fn topics_and_payloads(out: Vec<PlugPublish>) -> Vec<(String, String)> {
        out.into_iter().map(|p| (p.topic, p.payload)).collect()
    }

    #[test]
    fn on_connect_it_announces_online_and_discovery_retained_then_the_empty_power_command() {
        let mut plug = TasmotaPlug::new("p", false);
        let out = plug.on_connected();
        assert_eq!(
            (
                out[0].topic.as_str(),
                out[0].payload.as_str(),
                out[0].retain
            ),
            ("tele/p/LWT", "Online", true)
        );
        assert!(out[1].topic.starts_with("tasmota/discovery/84F3EB") && out[1].retain);
        let config: Value = serde_json::from_str(&out[1].payload).unwrap();
        assert_eq!(
            (config["t"].as_str(), config["rl"][0].as_i64()),
            (Some("p"), Some(1))
        );
        assert!(out[2].topic.ends_with("/sensors"));
        let last = out.last().unwrap();
        assert_eq!(
            (last.topic.as_str(), last.payload.as_str(), last.retain),
            ("cmnd/p/POWER", "", false)
        );
        let will = plug.will().unwrap();
        assert_eq!((will.payload.as_str(), will.retain), ("Offline", true));
    }

    #[test]
    fn power_commands_switch_and_report_on_result_and_power() {
        let mut plug = TasmotaPlug::new("p", false);
        assert_eq!(
            topics_and_payloads(plug.on_message(T, "cmnd/p/POWER", "ON")),
            [
                ("stat/p/RESULT".into(), r#"{"POWER":"ON"}"#.into()),
                ("stat/p/POWER".into(), "ON".into())
            ]
        );
        plug.on_message(T, "cmnd/p/Power", "toggle");
        assert!(!plug.power());
        plug.on_message(T, "cmnd/p/POWER1", "1");
        assert!(plug.power());
        let out = plug.on_message(T, "cmnd/p/POWER", "");
        assert!(plug.power());
        assert_eq!(out[1].payload, "ON");
    }

    #[test]
    fn a_multi_relay_device_reports_each_relay_and_power0_switches_all() {
        let mut strip = TasmotaPlug::with_relays("s", 3, false);
        assert_eq!(
            topics_and_payloads(strip.on_message(T, "cmnd/s/POWER2", "ON")),
            [
                ("stat/s/RESULT".into(), r#"{"POWER2":"ON"}"#.into()),
                ("stat/s/POWER2".into(), "ON".into())
            ]
        );
        assert_eq!(strip.power_summary(), "OFF,ON,OFF");
        strip.on_message(T, "cmnd/tasmotas/POWER0", "ON");
        assert_eq!(strip.power_summary(), "ON,ON,ON");
        assert!(strip.on_message(T, "cmnd/s/POWER4", "ON")[0]
            .payload
            .contains("Unknown"));
    }

    #[test]
    fn state_status_and_status_10_answer_like_the_firmware() {
        let mut strip = TasmotaPlug::with_relays("s", 2, true);
        let state: Value =
            serde_json::from_str(&strip.on_message(T, "cmnd/s/STATE", "")[0].payload).unwrap();
        assert_eq!(
            (state["POWER1"].as_str(), state["POWER2"].as_str()),
            (Some("ON"), Some("ON"))
        );
        let status = strip.on_message(T, "cmnd/s/STATUS", "");
        assert_eq!(status[0].topic, "stat/s/STATUS");
        assert!(status[0]
            .payload
            .contains(r#""FriendlyName":["Socket 1","Socket 2"]"#));
        let sensors = strip.on_message(T, "cmnd/s/STATUS", "10");
        let sensors: Value = serde_json::from_str(&sensors[0].payload).unwrap();
        assert_eq!(sensors["StatusSNS"]["ENERGY"]["Power"], 84.0);
    }

    #[test]
    fn the_button_toggles_and_telemetry_carries_power_and_energy() {
        let mut plug = TasmotaPlug::new("p", false);
        assert_eq!(plug.press_button(T)[1].payload, "ON");
        let tele = plug.tick_telemetry(Duration::from_secs(75));
        assert_eq!(tele[0].topic, "tele/p/STATE");
        let json: Value = serde_json::from_str(&tele[0].payload).unwrap();
        assert_eq!(
            (json["POWER"].as_str(), json["UptimeSec"].as_u64()),
            (Some("ON"), Some(75))
        );
        let sensor: Value = serde_json::from_str(&tele[1].payload).unwrap();
        assert_eq!(sensor["ENERGY"]["Power"], 42.0);
    }

    #[test]
    fn another_devices_commands_are_ignored() {
        let mut plug = TasmotaPlug::new("p", false);
        assert!(plug.on_message(T, "cmnd/q/POWER", "ON").is_empty());
        assert!(!plug.power());
    }

    #[test]
    fn timers_are_set_over_mqtt_fire_on_the_clock_and_status_7_tells_the_time() {
        let mut plug = TasmotaPlug::new("p", false);
        // Sunday 2026-11-22 07:30 in Berlin.
        let clock = SimClock {
            unix_secs: 1_795_329_000,
            utc_offset_minutes: 60,
        };
        plug.tick_clock(clock);
        let set = plug.on_message(
            T,
            "cmnd/p/Timer2",
            r#"{"Enable":1,"Time":"07:31","Days":"1111111","Repeat":1,"Output":1,"Action":1}"#,
        );
        assert_eq!(set[0].topic, "stat/p/RESULT");
        assert!(set[0].payload.starts_with(r#"{"Timer2":{"#));
        assert_eq!(plug.on_message(T, "cmnd/p/TIMERS", "").len(), 5);
        let time: Value =
            serde_json::from_str(&plug.on_message(T, "cmnd/p/STATUS", "7")[0].payload).unwrap();
        assert_eq!(time["StatusTIM"]["Local"], "2026-11-22T07:30:00");
        assert_eq!(time["StatusTIM"]["Timezone"], "+01:00");
        assert!(plug.tick_clock(clock).is_empty());
        let fired = plug.tick_clock(SimClock {
            unix_secs: clock.unix_secs + 60,
            ..clock
        });
        assert!(plug.power());
        assert_eq!(fired[0].payload, r#"{"POWER":"ON"}"#);
    }
}
