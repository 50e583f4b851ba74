//! A sensor: a value read from a topic, never commanded:
//! `reading:<state topic>[:<label>][:path=][:unit=][:on=][:off=][:avty=][:avty_on=][:avty_off=]`
//! (a value with its unit, or with `on=`/`off=` a read-only on/off input). The protocol is
//! `crate::reading`.

use super::{changed_options, first_topic, DeviceAddress, Kind};
use crate::adapter::Protocol;
use crate::device::DeviceState;
use crate::device_config::{label_and_options, validate_device_topic};
use crate::reading::ReadingProtocol;

/// Where a sensor's value is, and how to read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadingAddress {
    /// Where the value is published.
    pub topic: String,
    /// A path into a JSON payload.
    pub value_path: Option<String>,
    /// The unit shown after the value.
    pub unit: Option<String>,
    /// For an on/off input: the payloads meaning on and off.
    pub binary: Option<(String, String)>,
    /// Where the device says whether it is online.
    pub availability_topic: Option<String>,
    /// Payload meaning online.
    pub available: String,
    /// Payloads meaning offline (comma-separated).
    pub not_available: String,
}

impl Kind for ReadingAddress {
    fn spec_name(&self) -> &'static str {
        "reading"
    }

    fn kind_name(&self) -> String {
        crate::say!("Sensor")
    }

    fn summary(&self) -> String {
        self.topic.clone()
    }

    fn spec_fields(&self) -> Vec<String> {
        vec![self.topic.clone()]
    }

    fn spec_options(&self) -> Vec<(&'static str, String)> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let (on, off) = self.binary.clone().unwrap_or_default();
        changed_options([
            ("path", text(&self.value_path), ""),
            ("unit", text(&self.unit), ""),
            ("on", on, ""),
            ("off", off, ""),
            ("avty", text(&self.availability_topic), ""),
            ("avty_on", self.available.clone(), "online"),
            ("avty_off", self.not_available.clone(), "offline"),
        ])
    }

    fn protocol(&self, _rpc_source: &str) -> (Box<dyn Protocol>, DeviceState) {
        let protocol = ReadingProtocol::new(self.clone());
        let state = protocol.initial_state();
        (Box::new(protocol), state)
    }
}

/// Reads `<state topic>[:<label>][:<option>=<value>...]`.
pub fn read_spec(fields: &[&str]) -> Result<(DeviceAddress, String), String> {
    let topic = first_topic(fields)?;
    let keys = ["path", "unit", "on", "off", "avty", "avty_on", "avty_off"];
    let (label, options) = label_and_options(fields.get(1..).unwrap_or(&[]), &keys);
    let mut address = ReadingAddress {
        topic: topic.into(),
        available: "online".into(),
        not_available: "offline".into(),
        ..ReadingAddress::default()
    };
    let (mut on, mut off) = (None, None);
    for (key, value) in options? {
        let value = value.to_string();
        match key {
            "path" => address.value_path = Some(value),
            "unit" => address.unit = Some(value),
            "on" => on = Some(value),
            "off" => off = Some(value),
            "avty" => {
                validate_device_topic(&value)
                    .map_err(|why| crate::say!("(availability topic) {}", why))?;
                address.availability_topic = Some(value);
            }
            "avty_on" => address.available = value,
            _ => address.not_available = value,
        }
    }
    address.binary = match (on, off) {
        (Some(on), Some(off)) => Some((on, off)),
        (None, None) => None,
        _ => return Err(crate::say!("an on/off input needs both on= and off=.")),
    };
    Ok((DeviceAddress::Reading(address), label))
}
