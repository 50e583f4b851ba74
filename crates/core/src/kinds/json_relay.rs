//! One pin of a JSON relay board (a Pico W controller speaking JSON on one topic):
//! `jsonrelay:<topic>:<pin>[:relay|momentary|contact][:<label>]`. The protocol is
//! `crate::json_relay`.

use super::{first_topic, DeviceAddress, Kind};
use crate::adapter::Protocol;
use crate::device::{ChannelRole, DeviceState};
use crate::device_config::{label_and_options, role_name};
use crate::json_relay::JsonRelayProtocol;

/// Where a board's pin is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonRelayAddress {
    /// The board's topic (both directions).
    pub topic: String,
    /// The JSON key, e.g. `GP16`.
    pub pin: String,
    /// What the pin drives.
    pub role: ChannelRole,
}

impl Kind for JsonRelayAddress {
    fn spec_name(&self) -> &'static str {
        "jsonrelay"
    }

    fn kind_name(&self) -> String {
        crate::say!("JSON board")
    }

    fn summary(&self) -> String {
        format!("{} {}", self.topic, self.pin)
    }

    fn default_label(&self) -> String {
        self.pin.clone()
    }

    fn spec_fields(&self) -> Vec<String> {
        vec![
            self.topic.clone(),
            self.pin.clone(),
            role_name(self.role).into(),
        ]
    }

    fn protocol(&self, _rpc_source: &str) -> (Box<dyn Protocol>, DeviceState) {
        let protocol = JsonRelayProtocol::new(self.topic.clone(), self.pin.clone(), self.role);
        let state = protocol.initial_state();
        (Box::new(protocol), state)
    }
}

/// Reads `<topic>:<pin>[:relay|momentary|contact][:<label>]`.
pub fn read_spec(fields: &[&str]) -> Result<(DeviceAddress, String), String> {
    let topic = first_topic(fields)?;
    let pin = fields.get(1).map_or("", |p| p.trim());
    if pin.is_empty() || pin.contains(['"', '\\']) {
        return Err(crate::say!("the pin is missing or invalid: write the JSON key the board uses, e.g. jsonrelay:garage/board:GP16."));
    }
    let (role, label_from) = match fields.get(2).map(|r| r.trim()) {
        Some("relay") => (ChannelRole::Relay, 3),
        Some("momentary") => (ChannelRole::Momentary, 3),
        Some("contact") => (ChannelRole::Contact, 3),
        _ => (ChannelRole::Relay, 2),
    };
    let (label, options) = label_and_options(fields.get(label_from..).unwrap_or(&[]), &[]);
    options?;
    let address = JsonRelayAddress {
        topic: topic.into(),
        pin: pin.into(),
        role,
    };
    Ok((DeviceAddress::JsonRelay(address), label))
}
