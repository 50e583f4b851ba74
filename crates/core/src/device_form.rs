//! The "add a device" form's fields, and the [`DeviceConfig`] they make.
//!
//! The page binds one input to each field; turning them into a device is here, typed and
//! tested natively, instead of writing a `device=` line and parsing it back. The checks are the
//! link parser's own (`validate_device_topic` and the same rules for pins and topics), and a
//! test holds the two to the same result for the same device, so the form and links accept
//! exactly the same devices. A field the user got wrong comes back as a sentence naming it.

use crate::device::{clip_text, ChannelRole};
use crate::device_config::{
    validate_device_topic, DeviceAddress, DeviceConfig, GenericAddress, JsonRelayAddress,
    ShellyAddress, ShellyGen1Address, TasmotaAddress,
};
use crate::say;

/// The kinds the form offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    /// Tasmota (topic).
    Tasmota,
    /// Shelly Gen2+ (topic prefix).
    Shelly,
    /// Shelly Gen1 (device id).
    ShellyGen1,
    /// One pin of a JSON relay board (topic, pin, what it drives).
    JsonRelay,
    /// A command topic and a state topic.
    Generic,
}

impl FormKind {
    /// The value of its `<option>`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Tasmota => "tasmota",
            Self::Shelly => "shelly",
            Self::ShellyGen1 => "shellygen1",
            Self::JsonRelay => "jsonrelay",
            Self::Generic => "generic",
        }
    }

    /// The kind an `<option>` value names (Tasmota for anything else).
    pub fn from_code(code: &str) -> Self {
        match code {
            "shelly" => Self::Shelly,
            "shellygen1" => Self::ShellyGen1,
            "jsonrelay" => Self::JsonRelay,
            "generic" => Self::Generic,
            _ => Self::Tasmota,
        }
    }
}

/// What a JSON board's pin drives, by its `<option>` value.
pub fn pin_role_from_code(code: &str) -> ChannelRole {
    match code {
        "momentary" => ChannelRole::Momentary,
        "contact" => ChannelRole::Contact,
        _ => ChannelRole::Relay,
    }
}

/// The form's fields, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceForm {
    /// Which kind.
    pub kind: FormKind,
    /// Topic, prefix, device id, board topic or command topic (by kind).
    pub topic: String,
    /// A JSON board's pin.
    pub pin: String,
    /// What a JSON board's pin drives.
    pub role: ChannelRole,
    /// A pair's state topic (empty: the device never reports).
    pub state_topic: String,
    /// A pair's JSON path in its state (optional).
    pub path: String,
    /// A pair's availability topic (optional).
    pub availability: String,
    /// The label (empty: the address names it).
    pub label: String,
    /// The room (optional).
    pub room: String,
    /// Each switch asks for a second tap.
    pub confirm: bool,
}

impl Default for DeviceForm {
    fn default() -> Self {
        Self {
            kind: FormKind::Tasmota,
            topic: String::new(),
            pin: String::new(),
            role: ChannelRole::Relay,
            state_topic: String::new(),
            path: String::new(),
            availability: String::new(),
            label: String::new(),
            room: String::new(),
            confirm: false,
        }
    }
}

impl DeviceForm {
    /// The device the fields describe, or what is wrong, naming the field.
    pub fn to_config(&self) -> Result<DeviceConfig, String> {
        let topic = self.topic.trim();
        let named = |field: String, why: String| say!("{}: {}", field, why);
        let address = match self.kind {
            FormKind::Tasmota => {
                validate_device_topic(topic).map_err(|why| named(say!("Topic"), why))?;
                DeviceAddress::Tasmota(TasmotaAddress::new(topic))
            }
            FormKind::Shelly => {
                validate_device_topic(topic).map_err(|why| named(say!("Topic prefix"), why))?;
                DeviceAddress::Shelly(ShellyAddress {
                    prefix: topic.into(),
                })
            }
            FormKind::ShellyGen1 => {
                validate_device_topic(topic).map_err(|why| named(say!("Device id"), why))?;
                DeviceAddress::ShellyGen1(ShellyGen1Address { id: topic.into() })
            }
            FormKind::JsonRelay => {
                validate_device_topic(topic).map_err(|why| named(say!("Board topic"), why))?;
                let pin = self.pin.trim();
                if pin.is_empty() || pin.contains(['"', '\\']) {
                    return Err(named(
                        say!("Pin"),
                        say!("the pin is missing or invalid: write the JSON key the board uses, e.g. GP16."),
                    ));
                }
                DeviceAddress::JsonRelay(JsonRelayAddress {
                    topic: topic.into(),
                    pin: pin.into(),
                    role: self.role,
                })
            }
            FormKind::Generic => {
                validate_device_topic(topic).map_err(|why| named(say!("Command topic"), why))?;
                let state = self.state_topic.trim();
                let state_topic = if state.is_empty() {
                    None
                } else {
                    validate_device_topic(state).map_err(|why| named(say!("State topic"), why))?;
                    Some(state.to_string())
                };
                let mut address = GenericAddress::new(topic, state_topic);
                let path = self.path.trim();
                address.value_path = (!path.is_empty()).then(|| path.to_string());
                let availability = self.availability.trim();
                if !availability.is_empty() {
                    validate_device_topic(availability)
                        .map_err(|why| named(say!("Availability topic"), why))?;
                    address.availability_topic = Some(availability.to_string());
                }
                DeviceAddress::Generic(address)
            }
        };
        let mut device = DeviceConfig::new(address, self.label.trim());
        device.options.confirm = self.confirm;
        device.room = Some(clip_text(self.room.trim(), 40)).filter(|r| !r.is_empty());
        Ok(device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device_config::escape_field;

    fn form(kind: FormKind, topic: &str) -> DeviceForm {
        DeviceForm {
            kind,
            topic: topic.into(),
            ..DeviceForm::default()
        }
    }

    #[test]
    fn the_form_makes_exactly_the_device_the_same_link_line_makes() {
        let mut cases = vec![
            (
                form(FormKind::Tasmota, "plug_1"),
                "tasmota:plug_1".to_string(),
            ),
            (
                DeviceForm {
                    label: "Desk: lamp".into(),
                    room: "Study".into(),
                    confirm: true,
                    ..form(FormKind::Shelly, "shellyplugsg3-a1")
                },
                format!(
                    "shelly:shellyplugsg3-a1:{}:confirm=1:room=Study",
                    escape_field("Desk: lamp")
                ),
            ),
            (
                form(FormKind::ShellyGen1, "shellyplug-s-7AB3C1"),
                "shellygen1:shellyplug-s-7AB3C1".into(),
            ),
            (
                DeviceForm {
                    pin: "GP18".into(),
                    role: ChannelRole::Momentary,
                    label: "Garage door".into(),
                    ..form(FormKind::JsonRelay, "garage/board")
                },
                "jsonrelay:garage/board:GP18:momentary:Garage door".into(),
            ),
            (
                DeviceForm {
                    state_topic: "home/lamp".into(),
                    path: "$.state".into(),
                    availability: "home/lamp/status".into(),
                    ..form(FormKind::Generic, "home/lamp/set")
                },
                "generic:home/lamp/set:home/lamp::path=$.state:avty=home/lamp/status".into(),
            ),
        ];
        cases.push((
            form(FormKind::Generic, "home/bell/set"),
            "generic:home/bell/set:".into(),
        ));
        for (form, spec) in cases {
            assert_eq!(
                form.to_config(),
                crate::config::parse_device_spec(&spec),
                "{spec}"
            );
        }
    }

    #[test]
    fn a_wrong_field_is_named() {
        for (form, says) in [
            (form(FormKind::Tasmota, ""), "Topic:"),
            (form(FormKind::Tasmota, "cmnd/+/x"), "Topic:"),
            (form(FormKind::JsonRelay, "garage/board"), "Pin:"),
            (
                DeviceForm {
                    state_topic: "home/#".into(),
                    ..form(FormKind::Generic, "home/lamp/set")
                },
                "State topic:",
            ),
            (
                DeviceForm {
                    availability: "a/+".into(),
                    ..form(FormKind::Generic, "home/lamp/set")
                },
                "Availability topic:",
            ),
        ] {
            let error = form.to_config().expect_err(says);
            assert!(error.starts_with(says), "{error}");
        }
    }

    #[test]
    fn option_codes_read_back() {
        for kind in [
            FormKind::Tasmota,
            FormKind::Shelly,
            FormKind::ShellyGen1,
            FormKind::JsonRelay,
            FormKind::Generic,
        ] {
            assert_eq!(FormKind::from_code(kind.code()), kind);
        }
        assert_eq!(pin_role_from_code("contact"), ChannelRole::Contact);
        assert_eq!(pin_role_from_code("anything"), ChannelRole::Relay);
    }
}
