//! Helpers shared by the adapters' tests: a clock origin and the outbox as text.

use crate::adapter::Device;
use crate::device_config::DeviceConfig;
use crate::time::Millis;

/// A time well after zero, so deadlines never underflow.
pub const T0: Millis = 50_000;

/// Everything the device queued, as (topic, payload text).
pub fn outgoing(device: &mut Device) -> Vec<(String, String)> {
    std::iter::from_fn(|| device.poll_outgoing())
        .map(|m| (m.topic, String::from_utf8_lossy(&m.payload).into_owned()))
        .collect()
}

/// The device for `spec`, connected at `T0`, with its first questions drained.
pub fn connected(spec: &str) -> Device {
    let config = crate::device_config::parse_device_spec(spec).expect("test spec");
    connected_config(&config)
}

/// The device for `config`, connected at `T0`, with its first questions drained.
pub fn connected_config(config: &DeviceConfig) -> Device {
    let mut device = Device::new(config, "sb-test-0");
    device.handle_broker_connected(T0);
    outgoing(&mut device);
    device
}

/// Owned (topic, payload) pairs from string literals.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(t, p)| (t.to_string(), p.to_string()))
        .collect()
}

/// A setup with credentials, every option and escaped colons: what export and storage must
/// carry unchanged.
pub fn sample_settings() -> crate::settings::Settings {
    use crate::device_config::parse_device_spec;
    crate::settings::Settings {
        broker: crate::settings::BrokerProfile {
            url: "wss://broker.example:8884/mqtt".into(),
            user: "me".into(),
            password: Some("p@ss: \"x\"".into()),
            protocol: crate::codec::ProtocolVersion::V5,
            keep_alive_secs: Some(15),
            persistent_session: true,
        },
        devices: [
            "tasmota:desk_lamp:Desk lamp",
            "jsonrelay:garage/board:GP18:momentary:Garage door:confirm=1",
            "generic:a\\:b/set:a\\:b:Colon: lamp:room=Hall",
        ]
        .iter()
        .map(|spec| parse_device_spec(spec).expect("sample spec"))
        .collect(),
        view: crate::layout::Layout::Compact,
    }
}
