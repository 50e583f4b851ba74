//! What every simulated device does, so one runner can drive any kind over MQTT, and how a
//! device is named on the command line.
//!
//! Command-line form: `<topic>[=on]` (a single-relay Tasmota plug, as before), or
//! `tasmota:<topic>[:<relays>]`, `shelly:<prefix>`, `shellygen1:<id>`, `jsonboard:<topic>`,
//! `generic:<base>`, `contact:<base>`, each optionally followed by `=on` for the initial state
//! (open, for a contact).

use std::time::Duration;

use crate::contact_sensor::ContactSensor;
use crate::generic_lamp::GenericLamp;
use crate::json_board::JsonBoard;
use crate::shelly_gen1_relay::ShellyGen1Relay;
use crate::shelly_plug::ShellyPlug;
use crate::sim_clock::SimClock;
use crate::tasmota_plug::TasmotaPlug;

/// A message a simulated device publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlugPublish {
    /// Topic.
    pub topic: String,
    /// Payload text.
    pub payload: String,
    /// Retained flag.
    pub retain: bool,
}

impl PlugPublish {
    /// A message that is not retained.
    pub fn new(topic: impl Into<String>, payload: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            payload: payload.into(),
            retain: false,
        }
    }

    /// A retained message.
    pub fn retained(topic: impl Into<String>, payload: impl Into<String>) -> Self {
        Self {
            retain: true,
            ..Self::new(topic, payload)
        }
    }
}

/// A simulated device: messages and time in, messages out. `now` is the time since it booted.
pub trait SimDevice: Send {
    /// Its name in logs and control lines (its topic).
    fn name(&self) -> &str;
    /// The will registered when connecting.
    fn will(&self) -> Option<PlugPublish>;
    /// Topic filters to subscribe to after connecting.
    fn subscriptions(&self) -> Vec<String>;
    /// What it publishes right after connecting.
    fn on_connected(&mut self) -> Vec<PlugPublish>;
    /// A message arrived on a subscribed topic.
    fn on_message(&mut self, now: Duration, topic: &str, payload: &str) -> Vec<PlugPublish>;
    /// Its physical button (or input) was used.
    fn press_button(&mut self, now: Duration) -> Vec<PlugPublish>;
    /// The telemetry period elapsed.
    fn tick_telemetry(&mut self, now: Duration) -> Vec<PlugPublish>;
    /// Work due by itself (a momentary relay's release).
    fn poll(&mut self, _now: Duration) -> Vec<PlugPublish> {
        Vec::new()
    }
    /// The wall clock moved on (called often, before messages are read): schedules that are
    /// due fire, and report what they switched.
    fn tick_clock(&mut self, _clock: SimClock) -> Vec<PlugPublish> {
        Vec::new()
    }
    /// Adds the demo's example schedules, if this kind keeps schedules.
    fn seed_demo_schedules(&mut self, _clock: SimClock) {}
    /// Its outputs in a few words, for the log a test reads (e.g. `ON`, `ON,OFF`).
    fn power_summary(&self) -> String;
    /// Its first switchable output (the simulation compares it with the page's switch).
    #[cfg(test)]
    fn output(&self) -> Option<bool>;
    /// Whether a message it is about to receive would switch an output: how the simulation
    /// counts the commands a device got (called before [`SimDevice::on_message`]).
    #[cfg(test)]
    fn is_switch_command(&self, topic: &str, payload: &str) -> bool;
    /// Its schedules, for the simulation: how many it keeps, and the local times of day
    /// (minutes after midnight) of those that will fire, sorted.
    #[cfg(test)]
    fn schedules(&self) -> (usize, Vec<u16>) {
        (0, Vec::new())
    }
}

/// Reads a device from the command line.
pub fn parse_sim_spec(spec: &str) -> Result<Box<dyn SimDevice>, String> {
    let (name, on) = match spec.rsplit_once('=') {
        Some((name, state)) => (name, state.eq_ignore_ascii_case("on")),
        None => (spec, false),
    };
    let (kind, rest) = name.split_once(':').unwrap_or(("tasmota", name));
    let fail = || {
        format!("cannot read simulated device {spec:?}: write <topic>, tasmota:<topic>[:<relays>], shelly:<prefix>, shellygen1:<id>, jsonboard:<topic>, generic:<base> or contact:<base>, optionally with =on")
    };
    if rest.is_empty() {
        return Err(fail());
    }
    Ok(match kind {
        "tasmota" => {
            let (topic, relays) = match rest.split_once(':') {
                Some((topic, n)) => (topic, n.parse::<usize>().map_err(|_| fail())?),
                None => (rest, 1),
            };
            if !(1..=8).contains(&relays) {
                return Err(fail());
            }
            Box::new(TasmotaPlug::with_relays(topic, relays, on))
        }
        "shelly" => Box::new(ShellyPlug::new(rest, on)),
        "shellygen1" => Box::new(ShellyGen1Relay::new(rest, on)),
        "jsonboard" => Box::new(JsonBoard::new(rest)),
        "contact" => Box::new(ContactSensor::new(rest, on)),
        "generic" => Box::new(GenericLamp::new(rest, on)),
        _ => return Err(fail()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_read_from_the_command_line() {
        assert_eq!(parse_sim_spec("desk=on").unwrap().power_summary(), "ON");
        assert_eq!(
            parse_sim_spec("tasmota:strip:3").unwrap().power_summary(),
            "OFF,OFF,OFF"
        );
        assert_eq!(parse_sim_spec("shelly:plug-1=on").unwrap().name(), "plug-1");
        assert_eq!(
            parse_sim_spec("jsonboard:pico/relays").unwrap().name(),
            "pico/relays"
        );
        assert_eq!(
            parse_sim_spec("generic:home/fan").unwrap().name(),
            "home/fan"
        );
        assert_eq!(
            parse_sim_spec("shellygen1:shelly1-AB12=on")
                .unwrap()
                .power_summary(),
            "ON"
        );
        assert_eq!(
            parse_sim_spec("contact:home/door").unwrap().power_summary(),
            "CLOSED"
        );
        for bad in ["zigbee:x", "tasmota:strip:9", "tasmota:strip:x", "shelly:"] {
            assert!(parse_sim_spec(bad).is_err(), "{bad}");
        }
    }
}
