//! What the user configured for one device, and its one-line form in a URL (`device=`).
//!
//! Grammar (fields separated by `:`; the label may contain colons; trailing `key=value`
//! fields are options):
//! - `tasmota:<topic>[:<label>][:ft=<FullTopic>][:prefixes=<cmnd>,<stat>,<tele>]`
//! - `shelly:<topic prefix>[:<label>]` (Gen2, Gen3, Gen4: RPC over MQTT)
//! - `shellygen1:<device id>[:<label>]` (`shellies/<id>/relay/N`)
//! - `jsonrelay:<topic>:<pin>[:relay|momentary|contact][:<label>]`
//! - `generic:<command topic>:<state topic or nothing>[:<label>][:on=][:off=][:state_on=]`
//!   `[:state_off=][:path=][:avty=<topic>][:avty_on=][:avty_off=]`
//! - `reading:<state topic>[:<label>][:path=][:unit=][:on=][:off=][:avty=][:avty_on=][:avty_off=]`
//!   (a sensor: a value with its unit, or with `on=`/`off=` a read-only on/off input)
//!
//! Every kind also takes `:limit=<commands>/<seconds>` (default 4/10: the relay's protection)
//! and `:confirm=1` (each switch asks for a second tap, for a garage door or a heater), and
//! `:room=<name>` (the card is shown under that room, with an "all off" for the room).
//!
//! A `:` inside a field (a topic, a payload such as `{"state":"ON"}`) is written `\:`, a
//! backslash `\\`. Every problem is a sentence that says what to write instead.

use crate::device::ChannelRole;
use crate::relay_guard::{RateLimit, DEFAULT_RATE_LIMIT};

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

/// A device with a command topic and (maybe) a state topic, modelled on Home Assistant's
/// MQTT switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericAddress {
    /// Where commands go.
    pub command_topic: String,
    /// Where the device reports its state; `None`: it never does.
    pub state_topic: Option<String>,
    /// Payload that switches on.
    pub payload_on: String,
    /// Payload that switches off.
    pub payload_off: String,
    /// State payload meaning "on" (default: `payload_on`).
    pub state_on: Option<String>,
    /// State payload meaning "off" (default: `payload_off`).
    pub state_off: Option<String>,
    /// A path into a JSON state payload, e.g. `POWER` or `$.relay.on`.
    pub value_path: Option<String>,
    /// Where the device says whether it is online.
    pub availability_topic: Option<String>,
    /// Payload meaning online.
    pub available: String,
    /// Payloads meaning offline (comma-separated).
    pub not_available: String,
}

impl GenericAddress {
    /// A pair with payloads `ON`/`OFF` and no availability topic.
    pub fn new(command_topic: impl Into<String>, state_topic: Option<String>) -> Self {
        Self {
            command_topic: command_topic.into(),
            state_topic,
            payload_on: "ON".into(),
            payload_off: "OFF".into(),
            state_on: None,
            state_off: None,
            value_path: None,
            availability_topic: None,
            available: "online".into(),
            not_available: "offline".into(),
        }
    }
}

/// A sensor: a value read from a topic, never commanded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadingAddress {
    /// Where the value is published.
    pub topic: String,
    /// A path into a JSON payload.
    pub value_path: Option<String>,
    /// The unit shown after the value.
    pub unit: Option<String>,
    /// For an on/off input: the payloads meaning on and off.
    pub binary: Option<(String, String)>,
    /// Where the device says whether it is online.
    pub availability_topic: Option<String>,
    /// Payload meaning online.
    pub available: String,
    /// Payloads meaning offline (comma-separated).
    pub not_available: String,
}

/// A device kind and its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceAddress {
    /// A Tasmota device.
    Tasmota(TasmotaAddress),
    /// A Shelly Gen2+ device by its topic prefix.
    Shelly {
        /// `topic_prefix`, by default the device id (e.g. `shellyplugsg3-a8032ab29be0`).
        prefix: String,
    },
    /// A Shelly Gen1 device by its id (`shellies/<id>/...`).
    ShellyGen1 {
        /// e.g. `shellyplug-s-7AB3C1`.
        id: String,
    },
    /// One pin of a JSON relay board.
    JsonRelay {
        /// The board's topic (both directions).
        topic: String,
        /// The JSON key, e.g. `GP16`.
        pin: String,
        /// What the pin drives.
        role: ChannelRole,
    },
    /// A plain command/state pair.
    Generic(GenericAddress),
    /// A sensor.
    Reading(ReadingAddress),
}

impl DeviceAddress {
    /// The kind in words, for the card.
    pub fn kind_name(&self) -> String {
        match self {
            Self::Tasmota(_) => "Tasmota".into(),
            Self::Shelly { .. } => "Shelly".into(),
            Self::ShellyGen1 { .. } => "Shelly Gen1".into(),
            Self::JsonRelay { .. } => crate::say!("JSON board"),
            Self::Generic(_) => crate::say!("MQTT pair"),
            Self::Reading(_) => crate::say!("Sensor"),
        }
    }

    /// The address in a few words (the main topic).
    pub fn summary(&self) -> String {
        match self {
            Self::Tasmota(t) => t.topic.clone(),
            Self::Shelly { prefix } => prefix.clone(),
            Self::ShellyGen1 { id } => id.clone(),
            Self::JsonRelay { topic, pin, .. } => format!("{topic} {pin}"),
            Self::Generic(g) => g.command_topic.clone(),
            Self::Reading(r) => r.topic.clone(),
        }
    }
}

/// How the page guards a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceOptions {
    /// At most this many commands in this time.
    pub limit: RateLimit,
    /// Every switch asks for a second tap before it sends.
    pub confirm: bool,
}

impl Default for DeviceOptions {
    fn default() -> Self {
        Self {
            limit: DEFAULT_RATE_LIMIT,
            confirm: false,
        }
    }
}

/// One device on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConfig {
    /// How to reach it.
    pub address: DeviceAddress,
    /// What the user calls it (defaults to its topic).
    pub label: String,
    /// Rate limit and confirmation.
    pub options: DeviceOptions,
    /// The room (or any group) the card is shown under.
    pub room: Option<String>,
}

impl DeviceConfig {
    /// A device; an empty label falls back to the address.
    pub fn new(address: DeviceAddress, label: impl Into<String>) -> Self {
        let label = label.into().trim().to_string();
        let label = if label.is_empty() {
            default_label(&address)
        } else {
            label
        };
        Self {
            address,
            label,
            options: DeviceOptions::default(),
            room: None,
        }
    }

    /// The same device with `options`.
    pub fn with_options(mut self, options: DeviceOptions) -> Self {
        self.options = options;
        self
    }

    /// A Tasmota device with the default FullTopic.
    pub fn tasmota(topic: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(DeviceAddress::Tasmota(TasmotaAddress::new(topic)), label)
    }

    /// The `device=` value that describes this device.
    pub fn to_spec(&self) -> String {
        let mut spec = self.address_spec();
        if self.options.limit != DEFAULT_RATE_LIMIT {
            spec.push_str(&format!(":limit={}", self.options.limit.to_text()));
        }
        if self.options.confirm {
            spec.push_str(":confirm=1");
        }
        if let Some(room) = &self.room {
            spec.push_str(&format!(":room={}", escape_field(room)));
        }
        spec
    }

    /// The `device=` value of the address alone (no label, room or options): what the edit
    /// form shows, and [`parse_device_spec`] reads back as the same address.
    pub fn address_only_spec(&self) -> String {
        DeviceConfig::new(self.address.clone(), "").address_spec()
    }

    fn address_spec(&self) -> String {
        let e = |text: &str| escape_field(text);
        let label_part = if self.label == default_label(&self.address) {
            String::new()
        } else {
            format!(":{}", e(&self.label))
        };
        match &self.address {
            DeviceAddress::Tasmota(t) => {
                let mut spec = format!("tasmota:{}{label_part}", e(&t.topic));
                if t.full_topic != TASMOTA_DEFAULT_FULL_TOPIC {
                    spec.push_str(&format!(":ft={}", e(&t.full_topic)));
                }
                if t.prefixes != TASMOTA_DEFAULT_PREFIXES {
                    spec.push_str(&format!(":prefixes={}", e(&t.prefixes.join(","))));
                }
                spec
            }
            DeviceAddress::Shelly { prefix } => format!("shelly:{}{label_part}", e(prefix)),
            DeviceAddress::ShellyGen1 { id } => format!("shellygen1:{}{label_part}", e(id)),
            DeviceAddress::JsonRelay { topic, pin, role } => {
                format!(
                    "jsonrelay:{}:{}:{}{label_part}",
                    e(topic),
                    e(pin),
                    role_name(*role)
                )
            }
            DeviceAddress::Generic(g) => {
                let mut spec = format!(
                    "generic:{}:{}{label_part}",
                    e(&g.command_topic),
                    e(g.state_topic.as_deref().unwrap_or(""))
                );
                let defaults = GenericAddress::new("", None);
                let mut option = |key: &str, value: &str, default: &str| {
                    if value != default {
                        spec.push_str(&format!(":{key}={}", escape_field(value)));
                    }
                };
                option("on", &g.payload_on, &defaults.payload_on);
                option("off", &g.payload_off, &defaults.payload_off);
                option("state_on", g.state_on.as_deref().unwrap_or(""), "");
                option("state_off", g.state_off.as_deref().unwrap_or(""), "");
                option("path", g.value_path.as_deref().unwrap_or(""), "");
                option("avty", g.availability_topic.as_deref().unwrap_or(""), "");
                option("avty_on", &g.available, &defaults.available);
                option("avty_off", &g.not_available, &defaults.not_available);
                spec
            }
            DeviceAddress::Reading(r) => {
                let mut spec = format!("reading:{}{label_part}", e(&r.topic));
                let defaults = GenericAddress::new("", None);
                let mut option = |key: &str, value: &str, default: &str| {
                    if value != default {
                        spec.push_str(&format!(":{key}={}", escape_field(value)));
                    }
                };
                option("path", r.value_path.as_deref().unwrap_or(""), "");
                option("unit", r.unit.as_deref().unwrap_or(""), "");
                if let Some((on, off)) = &r.binary {
                    option("on", on, "");
                    option("off", off, "");
                }
                option("avty", r.availability_topic.as_deref().unwrap_or(""), "");
                option("avty_on", &r.available, &defaults.available);
                option("avty_off", &r.not_available, &defaults.not_available);
                spec
            }
        }
    }
}

fn default_label(address: &DeviceAddress) -> String {
    match address {
        DeviceAddress::Tasmota(t) => t.topic.clone(),
        DeviceAddress::Shelly { prefix } => prefix.clone(),
        DeviceAddress::ShellyGen1 { id } => id.clone(),
        DeviceAddress::JsonRelay { pin, .. } => pin.clone(),
        DeviceAddress::Generic(g) => g.command_topic.clone(),
        DeviceAddress::Reading(r) => r.topic.clone(),
    }
}

/// How a channel role is written in a spec.
pub fn role_name(role: ChannelRole) -> &'static str {
    match role {
        ChannelRole::Relay => "relay",
        ChannelRole::Momentary => "momentary",
        ChannelRole::Contact => "contact",
    }
}

fn forms() -> String {
    crate::say!("Write it as tasmota:<topic>, shelly:<prefix>, shellygen1:<id>, jsonrelay:<topic>:<pin>[:relay|momentary|contact], generic:<command topic>:<state topic> or reading:<topic>, each optionally followed by :<label>.")
}

/// Reads one `device=` value.
pub fn parse_device_spec(spec: &str) -> Result<DeviceConfig, String> {
    let fail = |why: String| crate::say!("Device \"{}\": {}", spec, why);
    let Some((kind, rest)) = spec.split_once(':') else {
        return Err(fail(forms()));
    };
    let mut owned = split_fields(rest);
    let mut options = DeviceOptions::default();
    let mut room = None;
    let mut index = 1;
    while index < owned.len() {
        let field = owned[index].trim();
        if let Some(limit) = field.strip_prefix("limit=") {
            options.limit = RateLimit::parse(limit).map_err(fail)?;
        } else if let Some(name) = field.strip_prefix("room=") {
            room = Some(crate::device::clip_text(name.trim(), 40)).filter(|r| !r.is_empty());
        } else if let Some(confirm) = field.strip_prefix("confirm=") {
            options.confirm = match confirm.trim() {
                "1" | "yes" | "true" => true,
                "0" | "no" | "false" => false,
                other => return Err(fail(crate::say!("confirm \"{}\" must be 1 or 0.", other))),
            };
        } else {
            index += 1;
            continue;
        }
        owned.remove(index);
    }
    parse_address_fields(spec, kind, &owned).map(|device| {
        let mut device = device.with_options(options);
        device.room = room;
        device
    })
}

fn parse_address_fields(spec: &str, kind: &str, owned: &[String]) -> Result<DeviceConfig, String> {
    let fail = |why: String| crate::say!("Device \"{}\": {}", spec, why);
    let fields: Vec<&str> = owned.iter().map(String::as_str).collect();
    match kind.trim() {
        "tasmota" => {
            let topic = fields[0].trim();
            validate_device_topic(topic).map_err(fail)?;
            let (label, options) = label_and_options(&fields[1..], &["ft", "prefixes"]);
            let mut address = TasmotaAddress::new(topic);
            for (key, value) in options.map_err(fail)? {
                match key {
                    "ft" => address.full_topic = parse_full_topic(value).map_err(fail)?,
                    _ => address.prefixes = parse_prefixes(value).map_err(fail)?,
                }
            }
            Ok(DeviceConfig::new(DeviceAddress::Tasmota(address), label))
        }
        "shelly" | "shellygen1" => {
            let id = fields[0].trim();
            validate_device_topic(id).map_err(fail)?;
            let (label, options) = label_and_options(&fields[1..], &[]);
            options.map_err(fail)?;
            let address = if kind.trim() == "shelly" {
                DeviceAddress::Shelly { prefix: id.into() }
            } else {
                DeviceAddress::ShellyGen1 { id: id.into() }
            };
            Ok(DeviceConfig::new(address, label))
        }
        "jsonrelay" => {
            let topic = fields[0].trim();
            validate_device_topic(topic).map_err(fail)?;
            let pin = fields.get(1).map_or("", |p| p.trim());
            if pin.is_empty() || pin.contains(['"', '\\']) {
                return Err(fail(crate::say!("the pin is missing or invalid: write the JSON key the board uses, e.g. jsonrelay:garage/board:GP16.")));
            }
            let (role, label_from) = match fields.get(2).map(|r| r.trim()) {
                Some("relay") => (ChannelRole::Relay, 3),
                Some("momentary") => (ChannelRole::Momentary, 3),
                Some("contact") => (ChannelRole::Contact, 3),
                _ => (ChannelRole::Relay, 2),
            };
            let (label, options) = label_and_options(fields.get(label_from..).unwrap_or(&[]), &[]);
            options.map_err(fail)?;
            let address = DeviceAddress::JsonRelay {
                topic: topic.into(),
                pin: pin.into(),
                role,
            };
            Ok(DeviceConfig::new(address, label))
        }
        "generic" => {
            let command = fields[0].trim();
            validate_device_topic(command)
                .map_err(|why| fail(crate::say!("(command topic) {}", why)))?;
            let Some(state) = fields.get(1).map(|s| s.trim()) else {
                return Err(fail(crate::say!("write the state topic after the command topic (generic:<command topic>:<state topic>), or leave it empty (generic:<command topic>:) for a device that never reports.")));
            };
            let state_topic = if state.is_empty() {
                None
            } else {
                validate_device_topic(state)
                    .map_err(|why| fail(crate::say!("(state topic) {}", why)))?;
                Some(state.to_string())
            };
            let keys = [
                "on",
                "off",
                "state_on",
                "state_off",
                "path",
                "avty",
                "avty_on",
                "avty_off",
            ];
            let (label, options) = label_and_options(&fields[2..], &keys);
            let mut address = GenericAddress::new(command, state_topic);
            for (key, value) in options.map_err(fail)? {
                let value = value.to_string();
                match key {
                    "on" => address.payload_on = value,
                    "off" => address.payload_off = value,
                    "state_on" => address.state_on = Some(value),
                    "state_off" => address.state_off = Some(value),
                    "path" => address.value_path = Some(value),
                    "avty" => {
                        validate_device_topic(&value)
                            .map_err(|why| fail(crate::say!("(availability topic) {}", why)))?;
                        address.availability_topic = Some(value);
                    }
                    "avty_on" => address.available = value,
                    _ => address.not_available = value,
                }
            }
            Ok(DeviceConfig::new(DeviceAddress::Generic(address), label))
        }
        "reading" => {
            let topic = fields[0].trim();
            validate_device_topic(topic).map_err(fail)?;
            let keys = ["path", "unit", "on", "off", "avty", "avty_on", "avty_off"];
            let (label, options) = label_and_options(&fields[1..], &keys);
            let mut address = ReadingAddress {
                topic: topic.into(),
                available: "online".into(),
                not_available: "offline".into(),
                ..ReadingAddress::default()
            };
            let (mut on, mut off) = (None, None);
            for (key, value) in options.map_err(fail)? {
                let value = value.to_string();
                match key {
                    "path" => address.value_path = Some(value),
                    "unit" => address.unit = Some(value),
                    "on" => on = Some(value),
                    "off" => off = Some(value),
                    "avty" => {
                        validate_device_topic(&value)
                            .map_err(|why| fail(crate::say!("(availability topic) {}", why)))?;
                        address.availability_topic = Some(value);
                    }
                    "avty_on" => address.available = value,
                    _ => address.not_available = value,
                }
            }
            address.binary = match (on, off) {
                (Some(on), Some(off)) => Some((on, off)),
                (None, None) => None,
                _ => {
                    return Err(fail(crate::say!(
                        "an on/off input needs both on= and off=."
                    )))
                }
            };
            Ok(DeviceConfig::new(DeviceAddress::Reading(address), label))
        }
        "" => Err(fail(forms())),
        other => Err(fail(crate::say!(
            "the kind \"{}\" is not known. {}",
            other,
            forms()
        ))),
    }
}

/// Splits a spec at `:` that are not escaped as `\:`, undoing the escapes.
fn split_fields(text: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(field)) = (chars.next(), fields.last_mut()) {
                    field.push(next);
                }
            }
            ':' => fields.push(String::new()),
            c => {
                if let Some(field) = fields.last_mut() {
                    field.push(c);
                }
            }
        }
    }
    fields
}

/// Escapes `\` and `:` so a field survives being read back from a spec.
pub fn escape_field(text: &str) -> String {
    text.replace('\\', "\\\\").replace(':', "\\:")
}

/// `key=value` options of a device spec, in order.
type Options<'a> = Vec<(&'a str, &'a str)>;

/// Splits the fields after the address into a label (which may contain colons) and trailing
/// `key=value` options with keys from `known`.
fn label_and_options<'a>(
    fields: &[&'a str],
    known: &[&str],
) -> (String, Result<Options<'a>, String>) {
    let is_option = |field: &str| {
        field
            .split_once('=')
            .is_some_and(|(key, _)| known.contains(&key.trim()))
    };
    let split = fields
        .iter()
        .position(|f| is_option(f))
        .unwrap_or(fields.len());
    let label = fields[..split].join(":").trim().to_string();
    let options = fields[split..]
        .iter()
        .map(|field| match field.split_once('=') {
            Some((key, value)) if known.contains(&key.trim()) => Ok((key.trim(), value)),
            _ => Err(crate::say!(
                "\"{}\" after an option is not an option (known: {}).",
                field,
                known.join(", ")
            )),
        })
        .collect();
    (label, options)
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

/// Checks a device's topic: not empty, no MQTT wildcards.
pub fn validate_device_topic(topic: &str) -> Result<(), String> {
    if topic.is_empty() {
        Err(crate::say!(
            "the topic is missing (Tasmota shows it under Configuration > MQTT > Topic)."
        ))
    } else if topic.contains(['+', '#']) {
        Err(crate::say!(
            "the topic \"{}\" contains + or #, which MQTT reserves for wildcards.",
            topic
        ))
    } else if topic.contains('\0') {
        Err(crate::say!("the topic contains a NUL character."))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_alone_reads_back_as_the_same_address_for_every_kind() {
        for spec in [
            "tasmota:plug_1:Desk:room=Office:confirm=1",
            "tasmota:strip:Strip:ft=%prefix%/home/%topic%/:prefixes=c,s,t",
            "shelly:shellyplugsg3-a8:Heater:limit=2/30",
            "shellygen1:shellyplug-s-7AB3C1",
            "jsonrelay:garage/board:GP18:momentary:Garage door",
            "generic:home/fan/set:home/fan:Fan:avty=home/fan/status:path=$.state",
            "reading:home/temp:Kitchen",
        ] {
            let config = parse_device_spec(spec).expect(spec);
            let address = config.address_only_spec();
            assert!(
                !address.contains("room=")
                    && !address.contains("confirm=")
                    && !address.contains("limit="),
                "{address}"
            );
            let again = parse_device_spec(&address).expect(&address);
            assert_eq!(again.address, config.address, "{spec} -> {address}");
        }
    }

    #[test]
    fn every_kind_reads_back_from_its_own_spec() {
        let mut generic = GenericAddress::new("home/lamp/set", Some("home/lamp".into()));
        generic.value_path = Some("$.state".into());
        generic.availability_topic = Some("home/lamp/available".into());
        generic.payload_on = "1".into();
        let mut custom_tasmota = TasmotaAddress::new("desk");
        custom_tasmota.full_topic = "home/%topic%/%prefix%/".into();
        custom_tasmota.prefixes = ["c".into(), "s".into(), "t".into()];
        let colons = GenericAddress {
            payload_on: r#"{"state":"ON"}"#.into(),
            ..GenericAddress::new(r"urn:a\b/set", Some("urn:a/state".into()))
        };
        let guarded = DeviceOptions {
            limit: RateLimit {
                commands: 2,
                window: 60_000,
            },
            confirm: true,
        };
        let mut in_kitchen = DeviceConfig::tasmota("kettle", "Kettle");
        in_kitchen.room = Some("Kitchen: east".into());
        let devices = [
            in_kitchen,
            DeviceConfig::tasmota("heater", "Heater").with_options(guarded),
            DeviceConfig::new(DeviceAddress::Generic(colons), "Lamp: kitchen"),
            DeviceConfig::tasmota("plug", ""),
            DeviceConfig::tasmota("plug", "Kitchen: kettle"),
            DeviceConfig::new(DeviceAddress::Tasmota(custom_tasmota), "Desk"),
            DeviceConfig::new(
                DeviceAddress::Shelly {
                    prefix: "shellyplugsg3-a8032ab29be0".into(),
                },
                "Heater",
            ),
            DeviceConfig::new(
                DeviceAddress::ShellyGen1 {
                    id: "shelly1-AB".into(),
                },
                "",
            ),
            DeviceConfig::new(
                DeviceAddress::JsonRelay {
                    topic: "garage/board".into(),
                    pin: "GP18".into(),
                    role: ChannelRole::Momentary,
                },
                "Garage door",
            ),
            DeviceConfig::new(DeviceAddress::Generic(generic), "Lamp"),
            DeviceConfig::new(
                DeviceAddress::Generic(GenericAddress::new("fan/cmd", None)),
                "",
            ),
            parse_device_spec("reading:home/temp:Kitchen:path=$.t:unit=°C").unwrap(),
            parse_device_spec("reading:home/door:Door:on=open:off=closed:avty=home/door/status")
                .unwrap(),
        ];
        for device in devices {
            let spec = device.to_spec();
            assert_eq!(parse_device_spec(&spec), Ok(device), "{spec}");
        }
    }

    #[test]
    fn specs_as_users_write_them() {
        let board = parse_device_spec("jsonrelay:pico/relays:GP1:contact:Front door").unwrap();
        assert_eq!(board.label, "Front door");
        assert!(matches!(
            board.address,
            DeviceAddress::JsonRelay {
                role: ChannelRole::Contact,
                ..
            }
        ));
        let plain = parse_device_spec("jsonrelay:pico/relays:GP16:Lamp").unwrap();
        assert_eq!(plain.label, "Lamp");
        let blind = parse_device_spec("generic:salon/luz/cmd::Salon").unwrap();
        let DeviceAddress::Generic(g) = &blind.address else {
            panic!("{blind:?}")
        };
        assert_eq!(
            (g.state_topic.as_deref(), blind.label.as_str()),
            (None, "Salon")
        );
        let custom = parse_device_spec("tasmota:desk:Desk:ft=home/%prefix%/%topic%").unwrap();
        let DeviceAddress::Tasmota(t) = &custom.address else {
            panic!()
        };
        assert_eq!(t.topic_for(0, "POWER2"), "home/cmnd/desk/POWER2");
        assert_eq!(t.topic_for(2, "LWT"), "home/tele/desk/LWT");
    }

    #[test]
    fn bad_specs_say_what_to_write() {
        let cases = [
            ("desk", "Write it as tasmota:<topic>"),
            ("zigbee:x", "kind \"zigbee\" is not known"),
            ("tasmota:", "topic is missing"),
            ("shelly:a/+", "wildcards"),
            ("jsonrelay:board", "pin is missing"),
            ("generic:a/set", "state topic after the command topic"),
            ("generic:a/#:a", "(command topic) the topic"),
            ("tasmota:desk:ft=home/desk", "must contain %prefix%"),
            ("tasmota:desk:ft=%prefix%/%hostname%/", "%hostname%"),
            ("tasmota:desk:prefixes=a,b", "three names"),
            ("tasmota:desk:ft=%prefix%/desk/:Desk", "is not an option"),
            ("tasmota:desk:limit=0/10", "limit=4/10"),
            ("shelly:s:confirm=maybe", "must be 1 or 0"),
        ];
        for (spec, expected) in cases {
            let problem = parse_device_spec(spec).unwrap_err();
            assert!(problem.contains(expected), "{spec}: {problem}");
        }
    }
}
