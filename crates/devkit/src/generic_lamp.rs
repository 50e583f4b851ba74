//! A simulated home-made lamp with a command topic and a state topic, announcing itself by
//! Home Assistant MQTT discovery (abbreviated keys and `~`), pure.
//!
//! Commands `ON`/`OFF` on `<base>/set`; state on `<base>` (retained); availability on
//! `<base>/status` (`online` retained, will `offline`); discovery on
//! `homeassistant/switch/<id>/config` (retained).

use std::time::Duration;

use serde_json::json;

use crate::sim_device::{PlugPublish, SimDevice};

/// One simulated lamp.
#[derive(Debug, Clone)]
pub struct GenericLamp {
    base: String,
    on: bool,
}

impl GenericLamp {
    /// A lamp at `base`.
    pub fn new(base: impl Into<String>, on: bool) -> Self {
        Self {
            base: base.into(),
            on,
        }
    }

    fn state(&self) -> PlugPublish {
        PlugPublish::retained(self.base.clone(), if self.on { "ON" } else { "OFF" })
    }

    fn object_id(&self) -> String {
        self.base.replace('/', "_")
    }
}

impl SimDevice for GenericLamp {
    fn name(&self) -> &str {
        &self.base
    }

    fn will(&self) -> Option<PlugPublish> {
        Some(PlugPublish::retained(
            format!("{}/status", self.base),
            "offline",
        ))
    }

    fn subscriptions(&self) -> Vec<String> {
        vec![format!("{}/set", self.base)]
    }

    fn on_connected(&mut self) -> Vec<PlugPublish> {
        let id = self.object_id();
        let config = json!({
            "name": "Simulated lamp", "uniq_id": id, "~": self.base, "cmd_t": "~/set", "stat_t": "~",
            "avty_t": "~/status", "pl_on": "ON", "pl_off": "OFF", "pl_avail": "online",
            "pl_not_avail": "offline", "dev": {"name": "Simulated lamp", "ids": [id]}
        });
        vec![
            PlugPublish::retained(
                format!("homeassistant/switch/{id}/config"),
                config.to_string(),
            ),
            PlugPublish::retained(format!("{}/status", self.base), "online"),
            self.state(),
        ]
    }

    fn on_message(&mut self, _now: Duration, topic: &str, payload: &str) -> Vec<PlugPublish> {
        if topic != format!("{}/set", self.base) {
            return Vec::new();
        }
        match payload.trim() {
            "ON" => self.on = true,
            "OFF" => self.on = false,
            _ => return Vec::new(),
        }
        vec![self.state()]
    }

    fn press_button(&mut self, _now: Duration) -> Vec<PlugPublish> {
        self.on = !self.on;
        vec![self.state()]
    }

    fn tick_telemetry(&mut self, _now: Duration) -> Vec<PlugPublish> {
        Vec::new()
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
        topic == format!("{}/set", self.base) && !payload.trim().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_announces_itself_and_follows_commands_with_a_retained_state() {
        let mut lamp = GenericLamp::new("home/fan", false);
        let hello = lamp.on_connected();
        assert_eq!(hello[0].topic, "homeassistant/switch/home_fan/config");
        assert!(hello.iter().all(|p| p.retain));
        let out = lamp.on_message(Duration::ZERO, "home/fan/set", "ON");
        assert_eq!(
            (out[0].topic.as_str(), out[0].payload.as_str()),
            ("home/fan", "ON")
        );
        assert!(lamp
            .on_message(Duration::ZERO, "home/fan/set", "blink")
            .is_empty());
    }
}
