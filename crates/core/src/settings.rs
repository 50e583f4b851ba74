//! The setups the browser keeps (localStorage) and export files carry: versioned JSON.
//!
//! ```json
//! {"switchboard": 2, "active": 0,
//!  "profiles": [{"name": "Home",
//!    "broker": {"url": "wss://...", "user": "me", "password": "only if remembered",
//!               "mqtt": "5", "keepalive": 30, "persistent_session": false},
//!    "devices": ["tasmota:desk_lamp:Desk lamp", "shelly:shellyplugsg3-a8:Heater"],
//!    "view": "compact"}]}
//! ```
//!
//! Schema 1 (one setup: `broker` and `devices` at the top, no profiles) is still read, as one
//! profile named "Home".
//!
//! Devices are stored in their `device=` form, so a file, a link and the add form accept
//! exactly the same devices. The password is written only when asked for. Reading is strict:
//! a file with any problem is refused as a whole with every problem listed, so an import
//! never half-applies.

use serde_json::{json, Map, Value};

use crate::codec::ProtocolVersion;
use crate::config::{
    parse_keep_alive, parse_protocol, protocol_name, validate_broker_url, DashboardConfig,
};
use crate::device_config::{parse_device_spec, DeviceConfig};
use crate::layout::Layout;

/// The schema version written; files with a higher one are refused with a clear message.
pub const SETTINGS_VERSION: u64 = 2;
/// Larger files are refused before parsing.
pub const MAX_SETTINGS_BYTES: usize = 1024 * 1024;
/// The most devices a file may hold.
pub const MAX_DEVICES: usize = 500;

/// How to reach the broker.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrokerProfile {
    /// `ws://` or `wss://` address (may be empty before the user gave one).
    pub url: String,
    /// User name, possibly empty.
    pub user: String,
    /// The password, only when the user asked to remember it.
    pub password: Option<String>,
    /// The MQTT version to try first.
    pub protocol: ProtocolVersion,
    /// Keepalive in seconds, if not the default.
    pub keep_alive_secs: Option<u16>,
    /// Clean session off.
    pub persistent_session: bool,
}

/// Everything kept about a dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    /// The broker.
    pub broker: BrokerProfile,
    /// The devices, in the order shown.
    pub devices: Vec<DeviceConfig>,
    /// Rows or cards (see [`Layout`]).
    pub view: Layout,
}

impl Settings {
    /// The settings a page link describes (its password kept only if `remember_password`).
    pub fn from_link(config: &DashboardConfig, remember_password: bool) -> Self {
        Self {
            broker: BrokerProfile {
                url: config.broker.clone().unwrap_or_default(),
                user: config.user.clone().unwrap_or_default(),
                password: config.password.clone().filter(|_| remember_password),
                protocol: config.protocol.unwrap_or_default(),
                keep_alive_secs: config.keep_alive_secs,
                persistent_session: false,
            },
            devices: config.devices.clone(),
            view: config.view.unwrap_or_default(),
        }
    }

    /// A link configuration for these settings; the user name and password only if
    /// `with_credentials`.
    pub fn to_link(&self, with_credentials: bool) -> DashboardConfig {
        let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
        DashboardConfig {
            broker: text(&self.broker.url),
            user: text(&self.broker.user).filter(|_| with_credentials),
            password: self.broker.password.clone().filter(|_| with_credentials),
            keep_alive_secs: self.broker.keep_alive_secs,
            protocol: (self.broker.protocol != ProtocolVersion::default())
                .then_some(self.broker.protocol),
            devices: self.devices.clone(),
            view: (self.view != Layout::Auto).then_some(self.view),
            ..DashboardConfig::default()
        }
    }

    /// The setup as a JSON object (`broker`, `devices`); the password only if
    /// `with_password` (and remembered).
    pub fn to_value(&self, with_password: bool) -> Value {
        let b = &self.broker;
        let mut broker = Map::new();
        broker.insert("url".into(), json!(b.url));
        if !b.user.is_empty() {
            broker.insert("user".into(), json!(b.user));
        }
        if let Some(password) = b.password.as_ref().filter(|_| with_password) {
            broker.insert("password".into(), json!(password));
        }
        broker.insert("mqtt".into(), json!(protocol_name(b.protocol)));
        if let Some(seconds) = b.keep_alive_secs {
            broker.insert("keepalive".into(), json!(seconds));
        }
        broker.insert("persistent_session".into(), json!(b.persistent_session));
        let devices: Vec<String> = self.devices.iter().map(DeviceConfig::to_spec).collect();
        let mut setup = json!({"broker": broker, "devices": devices});
        if self.view != Layout::Auto {
            setup["view"] = json!(self.view.name());
        }
        setup
    }

    /// Reads one setup from a JSON object, adding every problem to `problems`.
    pub(crate) fn from_object(root: &Map<String, Value>, problems: &mut Vec<String>) -> Self {
        let broker = read_broker(root.get("broker"), problems);
        let mut devices: Vec<DeviceConfig> = Vec::new();
        match root.get("devices") {
            None => {}
            Some(Value::Array(items)) if items.len() <= MAX_DEVICES => {
                for (index, item) in items.iter().enumerate() {
                    match item.as_str().map(parse_device_spec) {
                        Some(Ok(device)) => {
                            if devices.iter().any(|d| d.address == device.address) {
                                problems.push(crate::say!("Device {}: listed twice.", index + 1));
                            } else {
                                devices.push(device);
                            }
                        }
                        Some(Err(problem)) => {
                            problems.push(crate::say!("Device {}: {}", index + 1, problem))
                        }
                        None => problems.push(crate::say!(
                            "Device {}: must be text such as \"tasmota:desk_lamp:Desk lamp\".",
                            index + 1
                        )),
                    }
                }
            }
            Some(Value::Array(items)) => problems.push(crate::say!(
                "The file lists {} devices; at most {} are accepted.",
                items.len(),
                MAX_DEVICES
            )),
            Some(_) => problems.push(crate::say!("\"devices\" must be a list.")),
        }
        let view = match root.get("view") {
            None | Some(Value::Null) => Layout::Auto,
            Some(Value::String(name)) => Layout::parse(name).unwrap_or_else(|problem| {
                problems.push(problem);
                Layout::Auto
            }),
            Some(_) => {
                problems.push(crate::say!(
                    "\"view\" must be text: compact, cards or auto."
                ));
                Layout::Auto
            }
        };
        Self {
            broker,
            devices,
            view,
        }
    }
}

fn read_broker(value: Option<&Value>, problems: &mut Vec<String>) -> BrokerProfile {
    let mut broker = BrokerProfile::default();
    let Some(value) = value else {
        return broker;
    };
    let Some(object) = value.as_object() else {
        problems.push(crate::say!("\"broker\" must be an object."));
        return broker;
    };
    let text = |key: &str, problems: &mut Vec<String>| match object.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            problems.push(crate::say!("broker \"{}\" must be text.", key));
            None
        }
    };
    if let Some(url) = text("url", problems).filter(|u| !u.trim().is_empty()) {
        match validate_broker_url(&url) {
            Ok(url) => broker.url = url,
            Err(problem) => problems.push(problem),
        }
    }
    broker.user = text("user", problems).unwrap_or_default();
    broker.password = text("password", problems);
    if let Some(mqtt) = text("mqtt", problems) {
        match parse_protocol(&mqtt) {
            Ok(protocol) => broker.protocol = protocol,
            Err(problem) => problems.push(problem),
        }
    }
    match object.get("keepalive") {
        None | Some(Value::Null) => {}
        Some(v) => match parse_keep_alive(&v.to_string()) {
            Ok(seconds) => broker.keep_alive_secs = Some(seconds),
            Err(problem) => problems.push(problem),
        },
    }
    match object.get("persistent_session") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(on)) => broker.persistent_session = *on,
        Some(_) => problems.push(crate::say!(
            "broker \"persistent_session\" must be true or false."
        )),
    }
    broker
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_settings;

    #[test]
    fn a_link_becomes_settings_and_back_with_the_password_only_when_ticked() {
        let settings = sample_settings();
        let link = settings.to_link(false);
        assert_eq!(
            (link.user.as_deref(), link.password.as_deref()),
            (None, None)
        );
        let fragment = link.to_fragment();
        assert!(!fragment.contains("pass=") && !fragment.contains("user="));
        let (read, problems) = crate::config::parse_page_url("", &fragment);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(read.devices, settings.devices);
        let with = settings.to_link(true);
        assert_eq!(with.password.as_deref(), Some("p@ss: \"x\""));
        let kept = Settings::from_link(&with, false);
        assert_eq!(kept.broker.password, None, "remembered without being asked");
    }
}
