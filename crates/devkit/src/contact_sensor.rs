//! A simulated read-only sensor: a home-made door contact, as Home Assistant's MQTT
//! `binary_sensor` models one (its default payloads `ON`/`OFF`), pure.
//!
//! State on `<base>` (`ON` open, `OFF` closed; retained, so a page that starts later knows it),
//! availability on `<base>/status` (`online` retained, will `offline`); republished every
//! telemetry period. It listens to nothing: nothing the page sends can reach it.

use std::time::Duration;

use crate::sim_device::{PlugPublish, SimDevice};

/// One simulated contact.
#[derive(Debug, Clone)]
pub struct ContactSensor {
    base: String,
    open: bool,
}

impl ContactSensor {
    /// A contact at `base`, open or closed.
    pub fn new(base: impl Into<String>, open: bool) -> Self {
        Self {
            base: base.into(),
            open,
        }
    }

    fn state(&self) -> PlugPublish {
        PlugPublish::retained(self.base.clone(), if self.open { "ON" } else { "OFF" })
    }
}

impl SimDevice for ContactSensor {
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
        Vec::new()
    }

    fn on_connected(&mut self) -> Vec<PlugPublish> {
        vec![
            PlugPublish::retained(format!("{}/status", self.base), "online"),
            self.state(),
        ]
    }

    fn on_message(&mut self, _now: Duration, _topic: &str, _payload: &str) -> Vec<PlugPublish> {
        Vec::new()
    }

    /// The door opens or closes.
    fn press_button(&mut self, _now: Duration) -> Vec<PlugPublish> {
        self.open = !self.open;
        vec![self.state()]
    }

    fn tick_telemetry(&mut self, _now: Duration) -> Vec<PlugPublish> {
        vec![self.state()]
    }

    fn power_summary(&self) -> String {
        if self.open { "OPEN" } else { "CLOSED" }.into()
    }

    #[cfg(test)]
    fn output(&self) -> Option<bool> {
        Some(self.open)
    }

    /// It has no command (and hears nothing).
    #[cfg(test)]
    fn is_switch_command(&self, _topic: &str, _payload: &str) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_reports_its_contact_retained_and_listens_to_nothing() {
        let mut door = ContactSensor::new("home/door", false);
        assert!(door.subscriptions().is_empty());
        let hello = door.on_connected();
        assert!(hello.iter().all(|p| p.retain));
        assert_eq!(hello[1].payload, "OFF");
        assert_eq!(door.press_button(Duration::ZERO)[0].payload, "ON");
    }
}
