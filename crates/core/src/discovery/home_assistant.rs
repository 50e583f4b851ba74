//! Home Assistant MQTT discovery: a retained `config` JSON (full or abbreviated keys, `~` as
//! the base topic) turned into a device. `switch` and `light` (on/off only; the JSON schema
//! too) become command/state pairs, `binary_sensor` a read-only input, `sensor` a reading.
//! A `value_template` is understood when it only picks a value (`{{ value_json.a.b }}`);
//! anything else is ignored, so such a switch waits for a state it can read rather than
//! guessing.

use serde_json::{Map, Value};

use super::{linkable, DiscoverySource, Found};
use crate::device::clip_text;
use crate::device_config::{DeviceAddress, DeviceConfig, GenericAddress, ReadingAddress};
use crate::json_read::parse_object;

/// A finding from `homeassistant/<component>/.../<object_id>/config` (key set by the caller).
pub fn read_config(component: &str, object_id: &str, payload: &[u8]) -> Option<Found> {
    let config = parse_object(payload)?;
    let entry = Entry { config: &config };
    let name = entry
        .text(&["name"])
        .or_else(|| entry.nested_text(&["device", "dev"], "name"))
        .unwrap_or_else(|| object_id.to_string());
    let (available, not_available, availability_topic) = entry.availability();
    let path = entry
        .text(&["value_template", "val_tpl"])
        .and_then(|t| template_path(&t));
    let address = match component {
        "switch" | "light" => {
            let command_topic = entry.topic(&["command_topic", "cmd_t"])?;
            let mut address =
                GenericAddress::new(command_topic, entry.topic(&["state_topic", "stat_t"]));
            if component == "light" && entry.text(&["schema"]).as_deref() == Some("json") {
                address.payload_on = r#"{"state":"ON"}"#.into();
                address.payload_off = r#"{"state":"OFF"}"#.into();
                address.state_on = Some("ON".into());
                address.state_off = Some("OFF".into());
                address.value_path = Some("state".into());
            } else {
                address.payload_on = entry
                    .text(&["payload_on", "pl_on"])
                    .unwrap_or_else(|| "ON".into());
                address.payload_off = entry
                    .text(&["payload_off", "pl_off"])
                    .unwrap_or_else(|| "OFF".into());
                address.state_on = entry.text(&["state_on", "stat_on"]);
                address.state_off = entry.text(&["state_off", "stat_off"]);
                address.value_path = entry
                    .text(&["state_value_template", "stat_val_tpl"])
                    .and_then(|t| template_path(&t))
                    .or(path);
            }
            address.availability_topic = availability_topic;
            address.available = available;
            address.not_available = not_available;
            let topics = [
                Some(&address.command_topic),
                address.state_topic.as_ref(),
                address.availability_topic.as_ref(),
            ];
            if !topics.into_iter().flatten().all(|t| linkable(t)) {
                return None;
            }
            DeviceAddress::Generic(address)
        }
        "binary_sensor" | "sensor" => {
            let topic = entry.topic(&["state_topic", "stat_t"])?;
            let binary = (component == "binary_sensor").then(|| {
                (
                    entry
                        .text(&["payload_on", "pl_on"])
                        .unwrap_or_else(|| "ON".into()),
                    entry
                        .text(&["payload_off", "pl_off"])
                        .unwrap_or_else(|| "OFF".into()),
                )
            });
            let address = ReadingAddress {
                topic,
                value_path: path,
                unit: entry.text(&["unit_of_measurement", "unit_of_meas"]),
                binary,
                availability_topic,
                available,
                not_available,
            };
            if !linkable(&address.topic)
                || address
                    .availability_topic
                    .as_deref()
                    .is_some_and(|t| !linkable(t))
            {
                return None;
            }
            DeviceAddress::Reading(address)
        }
        _ => return None,
    };
    let kind = match component {
        "switch" => crate::say!("switch"),
        "light" => crate::say!("light"),
        "binary_sensor" => crate::say!("on/off sensor"),
        _ => crate::say!("sensor"),
    };
    Some(Found {
        key: String::new(),
        config: DeviceConfig::new(address, clip_text(&name, 60)),
        source: DiscoverySource::HomeAssistant,
        detail: kind,
    })
}

struct Entry<'a> {
    config: &'a Map<String, Value>,
}

impl Entry<'_> {
    /// The first of `keys` (full and abbreviated names) that holds text.
    fn text(&self, keys: &[&str]) -> Option<String> {
        keys.iter()
            .find_map(|k| self.config.get(*k)?.as_str())
            .map(|s| clip_text(s, 200))
    }

    fn nested_text(&self, objects: &[&str], key: &str) -> Option<String> {
        objects
            .iter()
            .find_map(|o| self.config.get(*o)?.get(key)?.as_str())
            .map(|s| clip_text(s, 200))
    }

    /// A topic with `~` expanded at its start or end.
    fn topic(&self, keys: &[&str]) -> Option<String> {
        let topic = self.text(keys)?;
        Some(self.expand(&topic))
    }

    fn expand(&self, topic: &str) -> String {
        let base = self.text(&["~"]).unwrap_or_default();
        if let Some(rest) = topic.strip_prefix('~') {
            format!("{base}{rest}")
        } else if let Some(rest) = topic.strip_suffix('~') {
            format!("{rest}{base}")
        } else {
            topic.to_string()
        }
    }

    /// (online payload, offline payloads, topic), from `availability_topic` or the first
    /// entry of an `availability` list.
    fn availability(&self) -> (String, String, Option<String>) {
        let listed = ["availability", "avty"].iter().find_map(|k| {
            self.config
                .get(*k)?
                .as_array()?
                .first()?
                .as_object()
                .cloned()
        });
        let (topic, on, off) = match &listed {
            Some(item) => {
                let get = |keys: &[&str]| {
                    keys.iter()
                        .find_map(|k| item.get(*k)?.as_str())
                        .map(String::from)
                };
                (
                    get(&["topic", "t"]).map(|t| self.expand(&t)),
                    get(&["payload_available", "pl_avail"]),
                    get(&["payload_not_available", "pl_not_avail"]),
                )
            }
            None => (
                self.topic(&["availability_topic", "avty_t"]),
                self.text(&["payload_available", "pl_avail"]),
                self.text(&["payload_not_available", "pl_not_avail"]),
            ),
        };
        (
            on.unwrap_or_else(|| "online".into()),
            off.unwrap_or_else(|| "offline".into()),
            topic,
        )
    }
}

/// The path a template picks: `{{ value_json.a.b }}`, `{{ value_json['a'] }}` -> `a.b`, `a`.
/// Anything that computes (filters, conditions) is not a path: `None`.
pub fn template_path(template: &str) -> Option<String> {
    let inner = template
        .trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")?
        .trim();
    let rest = inner.strip_prefix("value_json")?;
    let mut path = Vec::new();
    let mut rest = rest;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            path.push(after[..end].to_string());
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            let end = after.find(['\'', '"'])?;
            path.push(after[..end].to_string());
            rest = after[end + 1..].strip_prefix(']')?;
        } else {
            return None;
        }
    }
    let valid = !path.is_empty()
        && path.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        });
    valid.then(|| path.join("."))
}
