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

pub use crate::kinds::tasmota::{TASMOTA_DEFAULT_FULL_TOPIC, TASMOTA_DEFAULT_PREFIXES};
pub use crate::kinds::{
    DeviceAddress, GenericAddress, JsonRelayAddress, ReadingAddress, ShellyAddress,
    ShellyGen1Address, TasmotaAddress,
};

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
        let kind = self.address.kind();
        let mut spec = String::from(kind.spec_name());
        for field in kind.spec_fields() {
            spec.push(':');
            spec.push_str(&escape_field(&field));
        }
        if self.label != default_label(&self.address) {
            spec.push(':');
            spec.push_str(&escape_field(&self.label));
        }
        for (key, value) in kind.spec_options() {
            spec.push_str(&format!(":{key}={}", escape_field(&value)));
        }
        spec
    }
}

fn default_label(address: &DeviceAddress) -> String {
    address.kind().default_label()
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
    match (kind.trim(), crate::kinds::reader(kind.trim())) {
        ("", _) => Err(fail(forms())),
        (_, Some(read)) => {
            let (address, label) = read(&fields).map_err(fail)?;
            Ok(DeviceConfig::new(address, label))
        }
        (other, None) => Err(fail(crate::say!(
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
pub(crate) type Options<'a> = Vec<(&'a str, &'a str)>;

/// Splits the fields after the address into a label (which may contain colons) and trailing
/// `key=value` options with keys from `known`.
pub(crate) fn label_and_options<'a>(
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
                DeviceAddress::Shelly(ShellyAddress {
                    prefix: "shellyplugsg3-a8032ab29be0".into(),
                }),
                "Heater",
            ),
            DeviceConfig::new(
                DeviceAddress::ShellyGen1(ShellyGen1Address {
                    id: "shelly1-AB".into(),
                }),
                "",
            ),
            DeviceConfig::new(
                DeviceAddress::JsonRelay(JsonRelayAddress {
                    topic: "garage/board".into(),
                    pin: "GP18".into(),
                    role: ChannelRole::Momentary,
                }),
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
            DeviceAddress::JsonRelay(JsonRelayAddress {
                role: ChannelRole::Contact,
                ..
            })
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
