//! A Shelly Gen1 by its device id: `shellygen1:<id>[:<label>]` (`shellies/<id>/relay/N`).
//! The protocol is `crate::shelly_gen1`.

use super::{first_topic, DeviceAddress, Kind};
use crate::adapter::Protocol;
use crate::device::DeviceState;
use crate::device_config::label_and_options;
use crate::shelly_gen1::ShellyGen1Protocol;

/// Where a Shelly Gen1 device's topics are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellyGen1Address {
    /// e.g. `shellyplug-s-7AB3C1`.
    pub id: String,
}

impl Kind for ShellyGen1Address {
    fn spec_name(&self) -> &'static str {
        "shellygen1"
    }

    fn kind_name(&self) -> String {
        "Shelly Gen1".into()
    }

    fn summary(&self) -> String {
        self.id.clone()
    }

    fn spec_fields(&self) -> Vec<String> {
        vec![self.id.clone()]
    }

    fn protocol(&self, _rpc_source: &str) -> (Box<dyn Protocol>, DeviceState) {
        let protocol = ShellyGen1Protocol::new(self.id.clone());
        let state = protocol.initial_state();
        (Box::new(protocol), state)
    }
}

/// Reads `<id>[:<label>]`.
pub fn read_spec(fields: &[&str]) -> Result<(DeviceAddress, String), String> {
    let id = first_topic(fields)?;
    let (label, options) = label_and_options(fields.get(1..).unwrap_or(&[]), &[]);
    options?;
    let address = ShellyGen1Address { id: id.into() };
    Ok((DeviceAddress::ShellyGen1(address), label))
}
