//! Device kinds: the one place a kind registers.
//!
//! Each kind has its own file under `kinds/` with its address (where its topics are), how that
//! address is written in a `device=` form and read back, how it is named on a card, and which
//! protocol module talks to it (`tasmota.rs`, `shelly.rs`...). Adding a kind means writing
//! those two files and registering it here: a variant of [`DeviceAddress`], its arm in
//! [`DeviceAddress::kind`], and its reader in [`KINDS`]. Nothing else in the crate matches on
//! kinds.

pub mod generic;
pub mod json_relay;
pub mod reading;
pub mod shelly;
pub mod shelly_gen1;
pub mod tasmota;

use crate::adapter::Protocol;
use crate::device::DeviceState;

pub use generic::GenericAddress;
pub use json_relay::JsonRelayAddress;
pub use reading::ReadingAddress;
pub use shelly::ShellyAddress;
pub use shelly_gen1::ShellyGen1Address;
pub use tasmota::TasmotaAddress;

/// What every kind says about its address.
pub trait Kind {
    /// The word its `device=` form starts with (`tasmota`).
    fn spec_name(&self) -> &'static str;
    /// The kind in words, for the card.
    fn kind_name(&self) -> String;
    /// The address in a few words (the main topic).
    fn summary(&self) -> String;
    /// The label of a device the user named nothing: its summary, unless the kind says better.
    fn default_label(&self) -> String {
        self.summary()
    }
    /// The positional fields of its `device=` form, before the label (unescaped).
    fn spec_fields(&self) -> Vec<String>;
    /// Its options that differ from the defaults, after the label (unescaped).
    fn spec_options(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// The protocol module that talks to it (`rpc_source` names this page to devices that
    /// answer by RPC), and the state shown before the device said anything.
    fn protocol(&self, rpc_source: &str) -> (Box<dyn Protocol>, DeviceState);
}

/// Reads a kind's `device=` fields (after `kind:`, unescaped, options of the dashboard
/// already taken out): its address and the label (empty if none), or what to write instead.
pub type SpecReader = fn(&[&str]) -> Result<(DeviceAddress, String), String>;

/// Every kind, by the word its `device=` form starts with.
pub const KINDS: &[(&str, SpecReader)] = &[
    ("tasmota", tasmota::read_spec),
    ("shelly", shelly::read_spec),
    ("shellygen1", shelly_gen1::read_spec),
    ("jsonrelay", json_relay::read_spec),
    ("generic", generic::read_spec),
    ("reading", reading::read_spec),
];

/// A device kind and its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceAddress {
    /// A Tasmota device.
    Tasmota(TasmotaAddress),
    /// A Shelly Gen2+ device by its topic prefix.
    Shelly(ShellyAddress),
    /// A Shelly Gen1 device by its id (`shellies/<id>/...`).
    ShellyGen1(ShellyGen1Address),
    /// One pin of a JSON relay board.
    JsonRelay(JsonRelayAddress),
    /// A plain command/state pair.
    Generic(GenericAddress),
    /// A sensor.
    Reading(ReadingAddress),
}

impl DeviceAddress {
    /// What its kind says about it.
    pub fn kind(&self) -> &dyn Kind {
        match self {
            Self::Tasmota(a) => a,
            Self::Shelly(a) => a,
            Self::ShellyGen1(a) => a,
            Self::JsonRelay(a) => a,
            Self::Generic(a) => a,
            Self::Reading(a) => a,
        }
    }

    /// The kind in words, for the card.
    pub fn kind_name(&self) -> String {
        self.kind().kind_name()
    }

    /// The address in a few words (the main topic).
    pub fn summary(&self) -> String {
        self.kind().summary()
    }
}

/// The options among `(key, value, default)` whose value is not the default, for
/// [`Kind::spec_options`].
pub(crate) fn changed_options<D>(
    options: impl IntoIterator<Item = (&'static str, String, D)>,
) -> Vec<(&'static str, String)>
where
    String: PartialEq<D>,
{
    options
        .into_iter()
        .filter(|(_, value, default)| value != default)
        .map(|(key, value, _)| (key, value))
        .collect()
}

/// The first field of a `device=` form, checked as a topic (or a topic prefix, or an id).
pub(crate) fn first_topic<'a>(fields: &[&'a str]) -> Result<&'a str, String> {
    let topic = fields.first().map_or("", |t| t.trim());
    crate::device_config::validate_device_topic(topic)?;
    Ok(topic)
}

/// The reader registered for `name`.
pub fn reader(name: &str) -> Option<SpecReader> {
    KINDS
        .iter()
        .find(|(kind, _)| *kind == name)
        .map(|(_, read)| *read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device_config::{parse_device_spec, DeviceConfig};

    #[test]
    fn every_registered_kind_writes_a_spec_its_own_reader_reads_back() {
        let samples = [
            "tasmota:plug:Plug:ft=home/%topic%/%prefix%/",
            "shelly:shellyplugsg3-a8:Heater",
            "shellygen1:shellyplug-s-7AB3C1",
            "jsonrelay:garage/board:GP18:momentary:Garage door",
            "generic:a/set:a:Lamp:on=1:off=0",
            "reading:t/temp:Temperature:unit=°C",
        ];
        assert_eq!(samples.len(), KINDS.len(), "a kind without a sample");
        for (spec, (name, _)) in samples.iter().zip(KINDS) {
            let device: DeviceConfig = parse_device_spec(spec).expect(spec);
            assert_eq!(device.address.kind().spec_name(), *name, "{spec}");
            assert_eq!(
                parse_device_spec(&device.to_spec()),
                Ok(device.clone()),
                "{spec}"
            );
            let (_, state) = device.address.kind().protocol("page-1");
            assert!(!state.broker_connected, "{spec}: starts knowing nothing");
        }
    }
}
