//! A device with a command topic and (maybe) a state topic, modelled on Home Assistant's MQTT
//! switch: `generic:<command topic>:<state topic or nothing>[:<label>][:on=][:off=]`
//! `[:state_on=][:state_off=][:path=][:avty=<topic>][:avty_on=][:avty_off=]`. The protocol is
//! `crate::generic`.

use super::{changed_options, first_topic, DeviceAddress, Kind};
use crate::adapter::Protocol;
use crate::device::DeviceState;
use crate::device_config::{label_and_options, validate_device_topic};
use crate::generic::GenericProtocol;

/// Where a command/state pair's topics are, and its payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericAddress {
    /// Where commands go.
    pub command_topic: String,
    /// Where the device reports its state; `None`: it never does.
    pub state_topic: Option<String>,
    /// Payload that switches on.
    pub payload_on: String,
    /// Payload that switches off.
    pub payload_off: String,
    /// State payload meaning "on" (default: `payload_on`).
    pub state_on: Option<String>,
    /// State payload meaning "off" (default: `payload_off`).
    pub state_off: Option<String>,
    /// A path into a JSON state payload, e.g. `POWER` or `$.relay.on`.
    pub value_path: Option<String>,
    /// Where the device says whether it is online.
    pub availability_topic: Option<String>,
    /// Payload meaning online.
    pub available: String,
    /// Payloads meaning offline (comma-separated).
    pub not_available: String,
}

impl GenericAddress {
    /// A pair with payloads `ON`/`OFF` and no availability topic.
    pub fn new(command_topic: impl Into<String>, state_topic: Option<String>) -> Self {
        Self {
            command_topic: command_topic.into(),
            state_topic,
            payload_on: "ON".into(),
            payload_off: "OFF".into(),
            state_on: None,
            state_off: None,
            value_path: None,
            availability_topic: None,
            available: "online".into(),
            not_available: "offline".into(),
        }
    }
}

impl Kind for GenericAddress {
    fn spec_name(&self) -> &'static str {
        "generic"
    }

    fn kind_name(&self) -> String {
        crate::say!("MQTT pair")
    }

    fn summary(&self) -> String {
        self.command_topic.clone()
    }

    fn spec_fields(&self) -> Vec<String> {
        vec![
            self.command_topic.clone(),
            self.state_topic.clone().unwrap_or_default(),
        ]
    }

    fn spec_options(&self) -> Vec<(&'static str, String)> {
        let defaults = GenericAddress::new("", None);
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        changed_options([
            ("on", self.payload_on.clone(), defaults.payload_on),
            ("off", self.payload_off.clone(), defaults.payload_off),
            ("state_on", text(&self.state_on), String::new()),
            ("state_off", text(&self.state_off), String::new()),
            ("path", text(&self.value_path), String::new()),
            ("avty", text(&self.availability_topic), String::new()),
            ("avty_on", self.available.clone(), defaults.available),
            (
                "avty_off",
                self.not_available.clone(),
                defaults.not_available,
            ),
        ])
    }

    fn protocol(&self, _rpc_source: &str) -> (Box<dyn Protocol>, DeviceState) {
        let protocol = GenericProtocol::new(self.clone());
        let state = protocol.initial_state();
        (Box::new(protocol), state)
    }
}

/// Reads `<command topic>:<state topic or nothing>[:<label>][:<option>=<value>...]`.
pub fn read_spec(fields: &[&str]) -> Result<(DeviceAddress, String), String> {
    let command = first_topic(fields).map_err(|why| crate::say!("(command topic) {}", why))?;
    let Some(state) = fields.get(1).map(|s| s.trim()) else {
        return Err(crate::say!("write the state topic after the command topic (generic:<command topic>:<state topic>), or leave it empty (generic:<command topic>:) for a device that never reports."));
    };
    let state_topic = if state.is_empty() {
        None
    } else {
        validate_device_topic(state).map_err(|why| crate::say!("(state topic) {}", why))?;
        Some(state.to_string())
    };
    let keys = [
        "on",
        "off",
        "state_on",
        "state_off",
        "path",
        "avty",
        "avty_on",
        "avty_off",
    ];
    let (label, options) = label_and_options(fields.get(2..).unwrap_or(&[]), &keys);
    let mut address = GenericAddress::new(command, state_topic);
    for (key, value) in options? {
        let value = value.to_string();
        match key {
            "on" => address.payload_on = value,
            "off" => address.payload_off = value,
            "state_on" => address.state_on = Some(value),
            "state_off" => address.state_off = Some(value),
            "path" => address.value_path = Some(value),
            "avty" => {
                validate_device_topic(&value)
                    .map_err(|why| crate::say!("(availability topic) {}", why))?;
                address.availability_topic = Some(value);
            }
            "avty_on" => address.available = value,
            _ => address.not_available = value,
        }
    }
    Ok((DeviceAddress::Generic(address), label))
}
