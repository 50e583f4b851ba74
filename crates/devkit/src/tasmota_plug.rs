//! A simulated Tasmota plug's behaviour, pure: messages in, messages out.
//!
//! Follows the documented protocol (../shared/PROTOCOLS.md): on connect it publishes
//! `tele/<t>/LWT Online` retained and an empty `cmnd/<t>/POWER`, as the firmware does, then
//! subscribes to `cmnd/<t>/#` and the group topic `cmnd/tasmotas/#`. `POWER` with `ON`/`1`,
//! `OFF`/`0`, `TOGGLE`/`2` switches; an empty payload or `?` only reports. Every change and
//! report goes out as `stat/<t>/RESULT {"POWER":"ON"}` and `stat/<t>/POWER ON`; `STATE` and
//! the telemetry period publish `tele/<t>/STATE`. Its will is `tele/<t>/LWT Offline` retained.

/// A message the plug publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlugPublish {
    /// Topic.
    pub topic: String,
    /// Payload text.
    pub payload: String,
    /// Retained flag (only the LWT is retained).
    pub retain: bool,
}

/// The group topic every Tasmota subscribes to by default.
pub const GROUP_TOPIC: &str = "tasmotas";

/// One simulated single-relay plug.
#[derive(Debug, Clone)]
pub struct TasmotaPlug {
    topic: String,
    power: bool,
    uptime_secs: u64,
}

impl TasmotaPlug {
    /// A plug with its `%topic%` and initial relay state.
    pub fn new(topic: impl Into<String>, power: bool) -> Self {
        Self {
            topic: topic.into(),
            power,
            uptime_secs: 0,
        }
    }

    /// The plug's `%topic%`.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The relay state.
    pub fn power(&self) -> bool {
        self.power
    }

    /// The will the plug registers when it connects.
    pub fn will(&self) -> PlugPublish {
        self.lwt("Offline")
    }

    /// Topic filters to subscribe to after connecting.
    pub fn subscriptions(&self) -> Vec<String> {
        vec![
            format!("cmnd/{}/#", self.topic),
            format!("cmnd/{GROUP_TOPIC}/#"),
        ]
    }

    /// What the firmware publishes right after connecting (before subscribing).
    pub fn on_connected(&self) -> Vec<PlugPublish> {
        vec![
            self.lwt("Online"),
            PlugPublish {
                topic: format!("cmnd/{}/POWER", self.topic),
                payload: String::new(),
                retain: false,
            },
        ]
    }

    /// A message arrived on one of the subscribed topics.
    pub fn on_message(&mut self, topic: &str, payload: &str) -> Vec<PlugPublish> {
        let own = format!("cmnd/{}/", self.topic);
        let group = format!("cmnd/{GROUP_TOPIC}/");
        let Some(command) = topic
            .strip_prefix(&own)
            .or_else(|| topic.strip_prefix(&group))
        else {
            return Vec::new();
        };
        match command.to_ascii_uppercase().as_str() {
            "POWER" | "POWER1" => {
                match payload.trim().to_ascii_uppercase().as_str() {
                    "" | "?" => {}
                    "ON" | "1" | "TRUE" => self.power = true,
                    "OFF" | "0" | "FALSE" => self.power = false,
                    "TOGGLE" | "2" => self.power = !self.power,
                    _ => {
                        return vec![self.stat("RESULT", r#"{"Command":"Error"}"#.into())];
                    }
                }
                self.power_report()
            }
            "STATE" => vec![self.telemetry()],
            _ => vec![self.stat("RESULT", r#"{"Command":"Unknown"}"#.into())],
        }
    }

    /// The physical button was pressed.
    pub fn press_button(&mut self) -> Vec<PlugPublish> {
        self.power = !self.power;
        self.power_report()
    }

    /// The telemetry period elapsed.
    pub fn tick_telemetry(&mut self, uptime_secs: u64) -> PlugPublish {
        self.uptime_secs = uptime_secs;
        self.telemetry()
    }

    fn word(&self) -> &'static str {
        if self.power {
            "ON"
        } else {
            "OFF"
        }
    }

    fn power_report(&self) -> Vec<PlugPublish> {
        vec![
            self.stat("RESULT", format!(r#"{{"POWER":"{}"}}"#, self.word())),
            self.stat("POWER", self.word().into()),
        ]
    }

    fn telemetry(&self) -> PlugPublish {
        PlugPublish {
            topic: format!("tele/{}/STATE", self.topic),
            payload: format!(
                r#"{{"Uptime":"0T00:{:02}:{:02}","UptimeSec":{},"POWER":"{}","Wifi":{{"AP":1,"SSId":"sim","RSSI":78,"Signal":-61}}}}"#,
                self.uptime_secs / 60 % 60,
                self.uptime_secs % 60,
                self.uptime_secs,
                self.word()
            ),
            retain: false,
        }
    }

    fn stat(&self, suffix: &str, payload: String) -> PlugPublish {
        PlugPublish {
            topic: format!("stat/{}/{suffix}", self.topic),
            payload,
            retain: false,
        }
    }

    fn lwt(&self, word: &str) -> PlugPublish {
        PlugPublish {
            topic: format!("tele/{}/LWT", self.topic),
            payload: word.into(),
            retain: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics_and_payloads(out: Vec<PlugPublish>) -> Vec<(String, String)> {
        out.into_iter().map(|p| (p.topic, p.payload)).collect()
    }

    #[test]
    fn on_connect_it_announces_online_retained_then_the_empty_power_command() {
        let plug = TasmotaPlug::new("p", false);
        let out = plug.on_connected();
        assert_eq!(
            (
                out[0].topic.as_str(),
                out[0].payload.as_str(),
                out[0].retain
            ),
            ("tele/p/LWT", "Online", true)
        );
        assert_eq!(
            (
                out[1].topic.as_str(),
                out[1].payload.as_str(),
                out[1].retain
            ),
            ("cmnd/p/POWER", "", false)
        );
        let will = plug.will();
        assert_eq!((will.payload.as_str(), will.retain), ("Offline", true));
    }

    #[test]
    fn power_commands_switch_and_report_on_result_and_power() {
        let mut plug = TasmotaPlug::new("p", false);
        assert_eq!(
            topics_and_payloads(plug.on_message("cmnd/p/POWER", "ON")),
            [
                ("stat/p/RESULT".into(), r#"{"POWER":"ON"}"#.into()),
                ("stat/p/POWER".into(), "ON".into())
            ]
        );
        plug.on_message("cmnd/p/Power", "toggle");
        assert!(!plug.power());
        plug.on_message("cmnd/p/POWER1", "1");
        assert!(plug.power());
    }

    #[test]
    fn an_empty_power_command_only_reports() {
        let mut plug = TasmotaPlug::new("p", true);
        let out = plug.on_message("cmnd/p/POWER", "");
        assert!(plug.power());
        assert_eq!(out[1].payload, "ON");
    }

    #[test]
    fn the_group_topic_switches_every_plug() {
        let mut plug = TasmotaPlug::new("p", true);
        plug.on_message("cmnd/tasmotas/POWER", "OFF");
        assert!(!plug.power());
    }

    #[test]
    fn the_button_toggles_and_reports_and_telemetry_carries_power() {
        let mut plug = TasmotaPlug::new("p", false);
        assert_eq!(plug.press_button()[1].payload, "ON");
        let tele = plug.tick_telemetry(75);
        assert_eq!(tele.topic, "tele/p/STATE");
        let json: serde_json::Value = serde_json::from_str(&tele.payload).unwrap();
        assert_eq!(json["POWER"], "ON");
        assert_eq!(json["UptimeSec"], 75);
    }

    #[test]
    fn another_plugs_commands_are_ignored() {
        let mut plug = TasmotaPlug::new("p", false);
        assert!(plug.on_message("cmnd/q/POWER", "ON").is_empty());
        assert!(!plug.power());
    }
}
