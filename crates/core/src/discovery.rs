//! Finding devices that announce themselves on the broker, so adding one is one click.
//!
//! Listens (when enabled) to Tasmota's native discovery (`tasmota/discovery/<MAC>/config`
//! and `/sensors`), Home Assistant MQTT discovery (`homeassistant/<component>/[<node>/]<id>/config`:
//! switch, light, binary_sensor, sensor), Homie v4 (`homie/<dev>/$homie` and its attribute
//! topics) and v5 (`homie/5/<dev>/$description`), and Shelly Gen2+ devices' `<prefix>/online`,
//! each of which is asked `Shelly.GetDeviceInfo` once to confirm it is a Shelly. Each finding
//! is a ready [`DeviceConfig`]. A retracted entry (an empty retained config, an emptied
//! `$homie`) is reported so the dashboard can mark a device it shows as removed. What is kept
//! is bounded ([`MAX_FOUND`]), so a broker with thousands of entries cannot exhaust memory.

mod home_assistant;
mod homie;
mod tasmota_native;

use std::collections::{HashSet, VecDeque};

use serde_json::{json, Value};

use crate::device::{clip_text, OutgoingMessage};
use crate::device_config::{DeviceAddress, DeviceConfig, ShellyAddress};
use crate::json_read::parse_object;

/// The most findings kept.
pub const MAX_FOUND: usize = 200;
/// The most Shelly candidates asked at once.
const MAX_OPEN_PROBES: usize = 64;

/// Where a finding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoverySource {
    /// Tasmota's own discovery.
    Tasmota,
    /// Home Assistant MQTT discovery.
    HomeAssistant,
    /// The Homie convention.
    Homie,
    /// A Shelly that answered `Shelly.GetDeviceInfo`.
    Shelly,
}

impl DiscoverySource {
    /// In words, for the list.
    pub fn name(self) -> String {
        match self {
            Self::Tasmota => crate::say!("Tasmota discovery"),
            Self::HomeAssistant => crate::say!("Home Assistant discovery"),
            Self::Homie => "Homie".into(),
            Self::Shelly => "Shelly".into(),
        }
    }
}

/// A device found on the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Unique per entry (e.g. `tasmota:84F3EB487D21`).
    pub key: String,
    /// The device, ready to add.
    pub config: DeviceConfig,
    /// Where it was announced.
    pub source: DiscoverySource,
    /// Model, relay count, ... in a few words.
    pub detail: String,
}

/// Something the dashboard should apply to the devices it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoveryChange {
    /// The entry for this address was withdrawn.
    Retracted(DeviceAddress),
    /// An entry for this address is (again) announced.
    Announced(DeviceAddress),
}

/// The discovery listener.
#[derive(Debug, Clone)]
pub struct Discovery {
    source: String,
    reply_topic: String,
    found: Vec<Found>,
    probes: Vec<(u64, String)>,
    probed: HashSet<String>,
    next_id: u64,
    homie: homie::HomieCollector,
    energy_macs: HashSet<String>,
    outbox: VecDeque<OutgoingMessage>,
    changes: VecDeque<DiscoveryChange>,
}

impl Discovery {
    /// A listener whose Shelly questions are answered on `<source>/rpc`.
    pub fn new(source: String) -> Self {
        Self {
            reply_topic: format!("{source}/rpc"),
            source,
            found: Vec::new(),
            probes: Vec::new(),
            probed: HashSet::new(),
            next_id: 1,
            homie: homie::HomieCollector::default(),
            energy_macs: HashSet::new(),
            outbox: VecDeque::new(),
            changes: VecDeque::new(),
        }
    }

    /// The topic filters to subscribe to.
    pub fn subscriptions(&self) -> Vec<String> {
        let mut filters: Vec<String> = [
            "tasmota/discovery/+/config",
            "tasmota/discovery/+/sensors",
            "homeassistant/+/+/config",
            "homeassistant/+/+/+/config",
            "homie/5/+/$description",
            "+/online",
        ]
        .map(String::from)
        .to_vec();
        filters.extend(homie::V4_FILTERS.map(String::from));
        filters.push(self.reply_topic.clone());
        filters
    }

    /// True if `topic` may be a discovery message (a cheap check made for every message).
    pub fn wants(&self, topic: &str) -> bool {
        topic.starts_with("tasmota/discovery/")
            || topic.starts_with("homeassistant/")
            || topic.starts_with("homie/")
            || topic == self.reply_topic
            || (topic.ends_with("/online") && topic.matches('/').count() == 1)
    }

    /// The broker link is (re)established: Shelly candidates may be asked again.
    pub fn handle_broker_connected(&mut self) {
        self.probes.clear();
        self.probed.clear();
    }

    /// A live (not retained) message is about to be handled: a live `<prefix>/online true`
    /// means the device is connected now, so a probe sent on its stored announcement alone
    /// (to a device then away, unanswered) is sent again (the simulation found a Shelly never
    /// offered: its probe went out while it was unplugged, its return was not asked).
    pub fn heard_live(&mut self, topic: &str, payload: &[u8]) {
        let Some(prefix) = topic
            .strip_suffix("/online")
            .filter(|p| payload == b"true" && !p.contains('/'))
        else {
            return;
        };
        let key = format!("shelly:{prefix}");
        if self.found.iter().any(|f| f.key == key) {
            return;
        }
        self.probes.retain(|(_, asked)| asked != prefix);
        self.probed.remove(prefix);
    }

    /// The findings, in the order they were first seen.
    pub fn found(&self) -> &[Found] {
        &self.found
    }

    /// The next question to publish (a Shelly probe).
    pub fn poll_outgoing(&mut self) -> Option<OutgoingMessage> {
        self.outbox.pop_front()
    }

    /// The next change for the dashboard's devices.
    pub fn poll_change(&mut self) -> Option<DiscoveryChange> {
        self.changes.pop_front()
    }

    /// A message on one of the discovery topics.
    pub fn handle_message(&mut self, topic: &str, payload: &[u8]) {
        let levels: Vec<&str> = topic.split('/').collect();
        match levels.as_slice() {
            ["tasmota", "discovery", mac, "config"] => {
                let key = format!("tasmota:{mac}");
                match tasmota_native::read_config(payload) {
                    _ if payload.is_empty() => self.retract(&key),
                    Some(mut found) => {
                        found.key = key;
                        if self.energy_macs.contains(*mac) {
                            found.detail.push_str(&crate::say!(", energy meter"));
                        }
                        self.upsert(found);
                    }
                    None => {}
                }
            }
            ["tasmota", "discovery", mac, "sensors"] => self.note_energy(mac, payload),
            ["homeassistant", component, ids @ .., "config"] if (1..=2).contains(&ids.len()) => {
                let key = format!("ha:{}", levels[1..levels.len() - 1].join("/"));
                if payload.is_empty() {
                    self.retract(&key);
                } else if let Some(mut found) =
                    home_assistant::read_config(component, ids[ids.len() - 1], payload)
                {
                    found.key = key;
                    self.upsert(found);
                }
            }
            ["homie", ..] => {
                let update = self.homie.handle_message(&levels, payload);
                for key in update.retracted {
                    self.retract(&key);
                }
                for found in update.found {
                    self.upsert(found);
                }
            }
            [prefix, "online"] => self.consider_shelly(prefix, payload),
            _ if topic == self.reply_topic => self.handle_probe_reply(payload),
            _ => {}
        }
    }

    /// A Tasmota device reports an energy meter: say so in its entry.
    fn note_energy(&mut self, mac: &str, payload: &[u8]) {
        if !tasmota_native::has_energy(payload) || self.energy_macs.len() >= MAX_FOUND {
            return;
        }
        self.energy_macs.insert(mac.to_string());
        let key = format!("tasmota:{mac}");
        if let Some(found) = self.found.iter_mut().find(|f| f.key == key) {
            let energy = crate::say!(", energy meter");
            if !found.detail.ends_with(&energy) {
                found.detail.push_str(&energy);
            }
        }
    }

    /// Something announced `<prefix>/online true`: ask once whether it is a Shelly.
    fn consider_shelly(&mut self, prefix: &str, payload: &[u8]) {
        if payload == b"true"
            && self.probes.len() < MAX_OPEN_PROBES
            && self.probed.len() < MAX_FOUND
            && self.probed.insert(prefix.to_string())
        {
            self.probe_shelly(prefix);
        }
    }

    fn probe_shelly(&mut self, prefix: &str) {
        let id = self.next_id;
        self.next_id += 1;
        self.probes.push((id, prefix.to_string()));
        let body = json!({"id": id, "src": self.source, "method": "Shelly.GetDeviceInfo"});
        self.outbox.push_back(OutgoingMessage::query(
            format!("{prefix}/rpc"),
            body.to_string(),
        ));
    }

    fn handle_probe_reply(&mut self, payload: &[u8]) {
        let Some(reply) = parse_object(payload) else {
            return;
        };
        let Some(id) = reply.get("id").and_then(Value::as_u64) else {
            return;
        };
        let Some(index) = self.probes.iter().position(|(i, _)| *i == id) else {
            return;
        };
        let (_, prefix) = self.probes.remove(index);
        let Some(info) = reply.get("result").and_then(Value::as_object) else {
            return;
        };
        let generation = info.get("gen").and_then(Value::as_u64).unwrap_or(0);
        if generation < 2 {
            return;
        }
        let text = |key: &str| {
            info.get(key)
                .and_then(Value::as_str)
                .map(|s| clip_text(s, 60))
        };
        let label = text("name").unwrap_or_default();
        let model = text("app")
            .or_else(|| text("model"))
            .unwrap_or_else(|| "Shelly".into());
        self.upsert(Found {
            key: format!("shelly:{prefix}"),
            config: DeviceConfig::new(DeviceAddress::Shelly(ShellyAddress { prefix }), label),
            source: DiscoverySource::Shelly,
            detail: crate::say!("{}, Gen {}", model, generation),
        });
    }

    fn upsert(&mut self, found: Found) {
        self.changes
            .push_back(DiscoveryChange::Announced(found.config.address.clone()));
        if let Some(existing) = self.found.iter_mut().find(|f| f.key == found.key) {
            *existing = found;
        } else if self.found.len() < MAX_FOUND {
            self.found.push(found);
        }
    }

    fn retract(&mut self, key: &str) {
        if let Some(index) = self.found.iter().position(|f| f.key == key) {
            let gone = self.found.remove(index);
            self.changes
                .push_back(DiscoveryChange::Retracted(gone.config.address));
        }
    }
}

/// True if a topic can be published to and subscribed to exactly (no wildcards).
fn linkable(topic: &str) -> bool {
    !topic.is_empty() && !topic.contains(['+', '#', '\0'])
}

#[cfg(test)]
mod tests;
