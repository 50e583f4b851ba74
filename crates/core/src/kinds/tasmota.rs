//! Tasmota's address: `tasmota:<topic>[:<label>][:ft=<FullTopic>][:prefixes=<cmnd>,<stat>,<tele>]`.
//! The protocol is `crate::tasmota`.

use super::{first_topic, DeviceAddress, Kind};
use crate::adapter::Protocol;
use crate::device::DeviceState;
use crate::device_config::label_and_options;
use crate::tasmota::TasmotaProtocol;

/// Tasmota's default FullTopic.
pub const TASMOTA_DEFAULT_FULL_TOPIC: &str = "%prefix%/%topic%/";
/// Tasmota's default prefixes (Prefix1..3).
pub const TASMOTA_DEFAULT_PREFIXES: [&str; 3] = ["cmnd", "stat", "tele"];

/// Where a Tasmota device's topics are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TasmotaAddress {
    /// The device's `%topic%` (e.g. `tasmota_487D21`).
    pub topic: String,
    /// FullTopic with `%prefix%` (and possibly `%topic%`) left in, e.g. `home/%topic%/%prefix%/`.
    pub full_topic: String,
    /// Prefix1..3: command, status, telemetry.
    pub prefixes: [String; 3],
}

impl TasmotaAddress {
    /// A device with the default FullTopic and prefixes.
    pub fn new(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            full_topic: TASMOTA_DEFAULT_FULL_TOPIC.into(),
            prefixes: TASMOTA_DEFAULT_PREFIXES.map(String::from),
        }
    }

    /// The topic for `command` under prefix `index` (0 command, 1 status, 2 telemetry).
    pub fn topic_for(&self, index: usize, command: &str) -> String {
        let prefix = self.prefixes.get(index).map_or("", String::as_str);
        let mut topic = self
            .full_topic
            .replace("%prefix%", prefix)
            .replace("%topic%", &self.topic);
        if !topic.ends_with('/') {
            topic.push('/');
        }
        topic.push_str(command);
        topic
    }
}

impl Kind for TasmotaAddress {
    fn spec_name(&self) -> &'static str {
        "tasmota"
    }

    fn kind_name(&self) -> String {
        "Tasmota".into()
    }

    fn summary(&self) -> String {
        self.topic.clone()
    }

    fn spec_fields(&self) -> Vec<String> {
        vec![self.topic.clone()]
    }

    fn spec_options(&self) -> Vec<(&'static str, String)> {
        let mut options = Vec::new();
        if self.full_topic != TASMOTA_DEFAULT_FULL_TOPIC {
            options.push(("ft", self.full_topic.clone()));
        }
        if self.prefixes != TASMOTA_DEFAULT_PREFIXES {
            options.push(("prefixes", self.prefixes.join(",")));
        }
        options
    }

    fn protocol(&self, _rpc_source: &str) -> (Box<dyn Protocol>, DeviceState) {
        let protocol = TasmotaProtocol::new(self.clone());
        let state = protocol.initial_state();
        (Box::new(protocol), state)
    }
}

/// Reads `<topic>[:<label>][:ft=...][:prefixes=...]`.
pub fn read_spec(fields: &[&str]) -> Result<(DeviceAddress, String), String> {
    let topic = first_topic(fields)?;
    let (label, options) = label_and_options(fields.get(1..).unwrap_or(&[]), &["ft", "prefixes"]);
    let mut address = TasmotaAddress::new(topic);
    for (key, value) in options? {
        match key {
            "ft" => address.full_topic = parse_full_topic(value)?,
            _ => address.prefixes = parse_prefixes(value)?,
        }
    }
    Ok((DeviceAddress::Tasmota(address), label))
}

fn parse_full_topic(value: &str) -> Result<String, String> {
    let value = value.trim();
    if !value.contains("%prefix%") {
        return Err(crate::say!(
            "the FullTopic \"{}\" must contain %prefix% (Tasmota's default is %prefix%/%topic%/).",
            value
        ));
    }
    for token in ["%hostname%", "%id%"] {
        if value.contains(token) {
            return Err(crate::say!(
                "the FullTopic \"{}\" uses {}: write the device's value in its place.",
                value,
                token
            ));
        }
    }
    if value.contains(['+', '#']) {
        return Err(crate::say!("the FullTopic \"{}\" contains + or #.", value));
    }
    Ok(value.to_string())
}

fn parse_prefixes(value: &str) -> Result<[String; 3], String> {
    let parts: Vec<String> = value.split(',').map(|p| p.trim().to_string()).collect();
    match <[String; 3]>::try_from(parts) {
        Ok(prefixes)
            if prefixes
                .iter()
                .all(|p| !p.is_empty() && !p.contains(['+', '#', '/'])) =>
        {
            Ok(prefixes)
        }
        _ => Err(crate::say!(
            "prefixes \"{}\" must be three names, e.g. prefixes=cmnd,stat,tele.",
            value
        )),
    }
}
