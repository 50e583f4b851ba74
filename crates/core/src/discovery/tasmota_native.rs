//! Tasmota's native discovery: the retained `tasmota/discovery/<MAC>/config` JSON turned into a
//! Tasmota device, building topics the way Home Assistant's integration does (`ft` with
//! `%hostname%` and `%id%` filled in, `tp` as the prefixes, `rl` for which outputs are relays).

use serde_json::Value;

use super::{linkable, DiscoverySource, Found};
use crate::device::clip_text;
use crate::device_config::{DeviceAddress, DeviceConfig, TasmotaAddress};
use crate::json_read::parse_object;

/// A finding from a `config` payload (its key is set by the caller), or `None` if the payload
/// is not a usable Tasmota config (broken, no relays, topics that cannot be addressed).
pub fn read_config(payload: &[u8]) -> Option<Found> {
    let config = parse_object(payload)?;
    let text = |key: &str| config.get(key).and_then(Value::as_str);
    let topic = text("t")?;
    let mac = text("mac").unwrap_or("");
    let id = mac.get(mac.len().saturating_sub(6)..).unwrap_or("");
    let full_topic = text("ft")?
        .replace("%hostname%", text("hn").unwrap_or(""))
        .replace("%id%", id);
    let prefixes: Vec<String> = config
        .get("tp")?
        .as_array()?
        .iter()
        .filter_map(|p| p.as_str().map(String::from))
        .collect();
    let prefixes: [String; 3] = prefixes.try_into().ok()?;
    let relays = config
        .get("rl")?
        .as_array()?
        .iter()
        .filter(|r| matches!(r.as_u64(), Some(1 | 2)))
        .count();
    let address = TasmotaAddress {
        topic: topic.to_string(),
        full_topic,
        prefixes,
    };
    let usable = relays > 0
        && address.full_topic.contains("%prefix%")
        && linkable(&address.topic)
        && linkable(
            &address
                .full_topic
                .replace("%prefix%", "p")
                .replace("%topic%", "t"),
        )
        && address
            .prefixes
            .iter()
            .all(|p| linkable(p) && !p.contains('/'));
    if !usable {
        return None;
    }
    let friendly = config
        .get("fn")
        .and_then(|names| names.get(0))
        .and_then(Value::as_str);
    let label = clip_text(text("dn").or(friendly).unwrap_or(topic), 60);
    let model = clip_text(text("md").unwrap_or("Tasmota"), 40);
    let version = clip_text(text("sw").unwrap_or("?"), 20);
    Some(Found {
        key: String::new(),
        config: DeviceConfig::new(DeviceAddress::Tasmota(address), label),
        source: DiscoverySource::Tasmota,
        detail: if relays == 1 {
            crate::say!("{}, 1 relay, Tasmota {}", model, version)
        } else {
            crate::say!("{}, {} relays, Tasmota {}", model, relays, version)
        },
    })
}

/// True if a `sensors` payload reports an energy meter.
pub fn has_energy(payload: &[u8]) -> bool {
    parse_object(payload)
        .and_then(|sensors| sensors.get("sn")?.get("ENERGY").cloned())
        .is_some()
}
