//! The Homie convention, v4 and v5: devices describe their nodes and properties in retained
//! attribute topics (v4: `$nodes`, `<node>/$properties`, `<node>/<prop>/$datatype`, ...) or
//! in one `$description` JSON (v5, under `homie/5/`). A settable boolean property becomes a
//! switch (`<prop>/set` with `true`/`false`, the value echoed on `<prop>`); every other
//! property a reading. Availability is the device's `$state` (`ready`; `lost` or
//! `disconnected` mean offline). An emptied `$homie` (v4) or `$description` (v5) withdraws
//! the device. Bounded: at most [`MAX_DEVICES`] devices and [`MAX_PROPERTIES`] properties each.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{linkable, DiscoverySource, Found};
use crate::device::clip_text;
use crate::device_config::{DeviceAddress, DeviceConfig, GenericAddress, ReadingAddress};
use crate::json_read::parse_object;

/// Devices tracked at most.
pub const MAX_DEVICES: usize = 64;
/// Properties per device at most.
pub const MAX_PROPERTIES: usize = 64;

/// The v4 attribute topics read.
pub const V4_FILTERS: [&str; 8] = [
    "homie/+/$homie",
    "homie/+/$name",
    "homie/+/$nodes",
    "homie/+/+/$properties",
    "homie/+/+/+/$datatype",
    "homie/+/+/+/$settable",
    "homie/+/+/+/$name",
    "homie/+/+/+/$unit",
];

#[derive(Debug, Clone, Default)]
struct Property {
    name: Option<String>,
    datatype: Option<String>,
    settable: bool,
    unit: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct HomieDevice {
    announced: bool,
    name: Option<String>,
    nodes: Vec<String>,
    properties: BTreeMap<String, Vec<String>>,
    attributes: BTreeMap<(String, String), Property>,
    published: BTreeSet<String>,
}

/// What a message changed.
#[derive(Debug, Default)]
pub struct HomieUpdate {
    /// Findings to add or refresh.
    pub found: Vec<Found>,
    /// Keys withdrawn.
    pub retracted: Vec<String>,
}

/// Collects the attributes of Homie devices until they describe a whole property.
#[derive(Debug, Clone, Default)]
pub struct HomieCollector {
    devices: BTreeMap<String, HomieDevice>,
}

impl HomieCollector {
    /// A message on a `homie/...` topic, split into levels.
    pub fn handle_message(&mut self, levels: &[&str], payload: &[u8]) -> HomieUpdate {
        let text = clip_text(String::from_utf8_lossy(payload).trim(), 200);
        match levels {
            ["homie", "5", device, "$description"] => self.handle_description(device, payload),
            ["homie", device, "$homie"] if text.is_empty() => self.withdraw(device),
            ["homie", device, rest @ ..] if !rest.is_empty() => {
                let Some(entry) = self.entry(device) else {
                    return HomieUpdate::default();
                };
                match rest {
                    ["$homie"] => entry.announced = text.starts_with("4."),
                    ["$name"] => entry.name = Some(text),
                    ["$nodes"] => entry.nodes = split_ids(&text),
                    [node, "$properties"] => {
                        entry.properties.insert(node.to_string(), split_ids(&text));
                    }
                    [node, property, attribute] => {
                        if entry.attributes.len() >= MAX_PROPERTIES
                            && !entry
                                .attributes
                                .contains_key(&(node.to_string(), property.to_string()))
                        {
                            return HomieUpdate::default();
                        }
                        let slot = entry
                            .attributes
                            .entry((node.to_string(), property.to_string()))
                            .or_default();
                        match *attribute {
                            "$datatype" => slot.datatype = Some(text),
                            "$settable" => slot.settable = text == "true",
                            "$name" => slot.name = Some(text),
                            "$unit" => slot.unit = Some(text),
                            _ => {}
                        }
                    }
                    _ => return HomieUpdate::default(),
                }
                self.describe_v4(device)
            }
            _ => HomieUpdate::default(),
        }
    }

    fn entry(&mut self, device: &str) -> Option<&mut HomieDevice> {
        if !self.devices.contains_key(device) && self.devices.len() >= MAX_DEVICES {
            return None;
        }
        Some(self.devices.entry(device.to_string()).or_default())
    }

    fn withdraw(&mut self, key: &str) -> HomieUpdate {
        let retracted = self
            .devices
            .remove(key)
            .map(|d| d.published.into_iter().collect())
            .unwrap_or_default();
        HomieUpdate {
            found: Vec::new(),
            retracted,
        }
    }

    fn describe_v4(&mut self, device: &str) -> HomieUpdate {
        let Some(entry) = self.devices.get_mut(device) else {
            return HomieUpdate::default();
        };
        if !entry.announced {
            return HomieUpdate::default();
        }
        let base = format!("homie/{device}");
        let device_name = entry.name.clone().unwrap_or_else(|| device.to_string());
        let mut found = Vec::new();
        for node in &entry.nodes {
            for property in entry.properties.get(node).into_iter().flatten() {
                let Some(attributes) = entry.attributes.get(&(node.clone(), property.clone()))
                else {
                    continue;
                };
                if let Some(f) = finding(&base, &device_name, node, property, attributes) {
                    found.push(f);
                }
            }
        }
        entry.published.extend(found.iter().map(|f| f.key.clone()));
        HomieUpdate {
            found,
            retracted: Vec::new(),
        }
    }

    fn handle_description(&mut self, device: &str, payload: &[u8]) -> HomieUpdate {
        let key = format!("5/{device}");
        if payload.is_empty() {
            return self.withdraw(&key);
        }
        let Some(description) = parse_object(payload) else {
            return HomieUpdate::default();
        };
        let base = format!("homie/5/{device}");
        let device_name = description
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| device.to_string(), |n| clip_text(n, 60));
        let mut found = Vec::new();
        let nodes = description.get("nodes").and_then(Value::as_object);
        'nodes: for (node, node_value) in nodes.into_iter().flatten() {
            let properties = node_value.get("properties").and_then(Value::as_object);
            for (property, p) in properties.into_iter().flatten() {
                if found.len() >= MAX_PROPERTIES {
                    break 'nodes;
                }
                let text = |k: &str| p.get(k).and_then(Value::as_str).map(|s| clip_text(s, 60));
                let attributes = Property {
                    name: text("name"),
                    datatype: text("datatype"),
                    settable: p.get("settable").and_then(Value::as_bool).unwrap_or(false),
                    unit: text("unit"),
                };
                if let Some(f) = finding(&base, &device_name, node, property, &attributes) {
                    found.push(f);
                }
            }
        }
        let Some(entry) = self.entry(&key) else {
            return HomieUpdate::default();
        };
        let now: BTreeSet<String> = found.iter().map(|f| f.key.clone()).collect();
        let retracted = entry.published.difference(&now).cloned().collect();
        entry.published = now;
        HomieUpdate { found, retracted }
    }
}

/// `a,b,c` -> ids, ignoring empty ones (and keeping a sane number).
fn split_ids(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(MAX_PROPERTIES)
        .map(String::from)
        .collect()
}

fn finding(
    base: &str,
    device_name: &str,
    node: &str,
    property: &str,
    p: &Property,
) -> Option<Found> {
    let datatype = p.datatype.as_deref()?;
    let topic = format!("{base}/{node}/{property}");
    if !linkable(&topic) {
        return None;
    }
    let state = format!("{base}/$state");
    let label = format!("{device_name} {}", p.name.as_deref().unwrap_or(property));
    let key = format!(
        "homie:{}/{node}/{property}",
        base.trim_start_matches("homie/")
    );
    let (address, detail) = if datatype == "boolean" && p.settable {
        let mut address = GenericAddress::new(format!("{topic}/set"), Some(topic));
        address.payload_on = "true".into();
        address.payload_off = "false".into();
        address.availability_topic = Some(state);
        address.available = "ready".into();
        address.not_available = "lost,disconnected".into();
        (DeviceAddress::Generic(address), crate::say!("switch"))
    } else {
        let address = ReadingAddress {
            topic,
            value_path: None,
            unit: p.unit.clone().filter(|u| !u.is_empty()),
            binary: (datatype == "boolean").then(|| ("true".into(), "false".into())),
            availability_topic: Some(state),
            available: "ready".into(),
            not_available: "lost,disconnected".into(),
        };
        (
            DeviceAddress::Reading(address),
            crate::say!("{} reading", datatype),
        )
    };
    Some(Found {
        key,
        config: DeviceConfig::new(address, clip_text(&label, 80)),
        source: DiscoverySource::Homie,
        detail,
    })
}
