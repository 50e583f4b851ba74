//! A Shelly Gen2+ (Gen2, Gen3, Gen4: RPC over MQTT) by its topic prefix:
//! `shelly:<topic prefix>[:<label>]`. The protocol is `crate::shelly`.

use super::{first_topic, DeviceAddress, Kind};
use crate::adapter::Protocol;
use crate::device::DeviceState;
use crate::device_config::label_and_options;
use crate::shelly::ShellyProtocol;

/// Where a Shelly Gen2+ device's topics are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellyAddress {
    /// `topic_prefix`, by default the device id (e.g. `shellyplugsg3-a8032ab29be0`).
    pub prefix: String,
}

impl Kind for ShellyAddress {
    fn spec_name(&self) -> &'static str {
        "shelly"
    }

    fn kind_name(&self) -> String {
        "Shelly".into()
    }

    fn summary(&self) -> String {
        self.prefix.clone()
    }

    fn spec_fields(&self) -> Vec<String> {
        vec![self.prefix.clone()]
    }

    fn protocol(&self, rpc_source: &str) -> (Box<dyn Protocol>, DeviceState) {
        let protocol = ShellyProtocol::new(self.prefix.clone(), rpc_source.to_string());
        let state = protocol.initial_state();
        (Box::new(protocol), state)
    }
}

/// Reads `<topic prefix>[:<label>]`.
pub fn read_spec(fields: &[&str]) -> Result<(DeviceAddress, String), String> {
    let prefix = first_topic(fields)?;
    let (label, options) = label_and_options(fields.get(1..).unwrap_or(&[]), &[]);
    options?;
    let address = ShellyAddress {
        prefix: prefix.into(),
    };
    Ok((DeviceAddress::Shelly(address), label))
}
