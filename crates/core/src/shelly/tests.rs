use serde_json::{json, Value};

use crate::adapter::Device;
use crate::device::{Availability, SwitchCommand};
use crate::test_support::{connected, outgoing, T0};

const PREFIX: &str = "shellyplugsg3-a8032ab29be0";

fn rpc(device: &mut Device) -> Vec<Value> {
    outgoing(device)
        .into_iter()
        .map(|(topic, payload)| {
            assert_eq!(topic, format!("{PREFIX}/rpc"));
            serde_json::from_str(&payload).unwrap()
        })
        .collect()
}

fn reply(device: &mut Device, id: &Value, body: Value) {
    let mut message = json!({"id": id, "src": PREFIX, "dst": "sb-test-0"});
    for (k, v) in body.as_object().unwrap() {
        message[k] = v.clone();
    }
    assert!(device.handle_message(T0, "sb-test-0/rpc", message.to_string().as_bytes()));
}

fn plug() -> Device {
    let mut device = Device::new(
        &crate::device_config::parse_device_spec(&format!("shelly:{PREFIX}")).unwrap(),
        "sb-test-0",
    );
    device.handle_broker_connected(T0);
    let asked = rpc(&mut device);
    assert_eq!(asked[0]["method"], "Shelly.GetStatus");
    assert_eq!(asked[1]["method"], "Shelly.GetConfig");
    reply(
        &mut device,
        &asked[0]["id"],
        json!({"result": {"switch:0": {"id":0,"output":false,"apower":0.0}, "sys": {"uptime": 99}, "wifi": {"rssi": -58}}}),
    );
    reply(
        &mut device,
        &asked[1]["id"],
        json!({"result": {"switch:0": {"id":0,"name":"Heater"}}}),
    );
    device
}

#[test]
fn it_listens_for_availability_notifications_status_and_its_own_answers() {
    let device = connected(&format!("shelly:{PREFIX}"));
    assert_eq!(
        device.subscriptions(),
        [
            format!("{PREFIX}/online"),
            format!("{PREFIX}/events/rpc"),
            format!("{PREFIX}/status/switch:0"),
            "sb-test-0/rpc".to_string(),
            format!("{PREFIX}/rpc"),
            format!("{PREFIX}/command/+"),
        ]
    );
}

#[test]
fn get_status_and_get_config_make_the_switch_known_and_named() {
    let device = plug();
    let state = device.state();
    assert!(state.is_operable(0));
    assert_eq!(state.channels[0].power, Some(false));
    assert_eq!(state.channels[0].name.as_deref(), Some("Heater"));
    assert_eq!(state.readings.uptime_secs, Some(99));
    assert_eq!(state.readings.wifi_dbm, Some(-58.0));
}

#[test]
fn a_set_is_an_rpc_with_id_and_source_and_is_confirmed_by_the_device() {
    let mut device = plug();
    device.request(T0, 0, SwitchCommand::On).unwrap();
    let sent = rpc(&mut device);
    assert_eq!(sent[0]["method"], "Switch.Set");
    assert_eq!(sent[0]["params"], json!({"id":0,"on":true}));
    assert_eq!(sent[0]["src"], "sb-test-0");
    assert!(sent[0]["id"].as_u64().is_some());
    reply(
        &mut device,
        &sent[0]["id"],
        json!({"result": {"was_on": false}}),
    );
    assert!(
        device.state().channels[0].pending.is_some(),
        "was_on is not the new state"
    );
    let check = rpc(&mut device);
    assert_eq!(check[0]["method"], "Switch.GetStatus");
    reply(
        &mut device,
        &check[0]["id"],
        json!({"result": {"id":0,"output":true}}),
    );
    assert_eq!(device.state().channels[0].pending, None);
    assert_eq!(device.state().channels[0].power, Some(true));
}

#[test]
fn an_rpc_error_is_shown_in_the_devices_words() {
    let mut device = plug();
    device.request(T0, 0, SwitchCommand::Toggle).unwrap();
    let sent = rpc(&mut device);
    // The state is known: the toggle goes out as the state it asks for.
    assert_eq!(sent[0]["method"], "Switch.Set");
    reply(
        &mut device,
        &sent[0]["id"],
        json!({"error": {"code": -103, "message": "Invalid argument 'id': no such component"}}),
    );
    assert_eq!(device.state().channels[0].pending, None);
    let notice = device.state().notice.clone().unwrap();
    assert!(
        notice.contains("no such component") && notice.contains("-103"),
        "{notice}"
    );
}

/// Notification fixtures: (payload on events/rpc, channel 0 state, power W).
#[test]
fn partial_notifications_merge_over_what_is_known() {
    let fixtures: &[(&str, Option<bool>, Option<f64>)] = &[
        (
            r#"{"src":"x","dst":"p/events","method":"NotifyStatus","params":{"ts":1.5,"switch:0":{"id":0,"output":true,"source":"button"}}}"#,
            Some(true),
            Some(0.0),
        ),
        (
            r#"{"method":"NotifyStatus","params":{"switch:0":{"apower":15.5,"voltage":231.2}}}"#,
            Some(false),
            Some(15.5),
        ),
        (
            r#"{"method":"NotifyFullStatus","params":{"switch:0":{"output":true,"apower":3}}}"#,
            Some(true),
            Some(3.0),
        ),
        (
            r#"{"method":"NotifyEvent","params":{"events":[]}}"#,
            Some(false),
            Some(0.0),
        ),
        (
            r#"{"method":"NotifyStatus","params":{"switch:0":{"output":"yes"}}}"#,
            Some(false),
            Some(0.0),
        ),
        (
            r#"{"method":"NotifyStatus","params":[]}"#,
            Some(false),
            Some(0.0),
        ),
        ("not json", Some(false), Some(0.0)),
        (
            r#"{"method":"NotifyStatus","params":{"switch:99":{"output":true}}}"#,
            Some(false),
            Some(0.0),
        ),
    ];
    for (payload, on, watts) in fixtures {
        let mut device = plug();
        device.handle_message(T0, &format!("{PREFIX}/events/rpc"), payload.as_bytes());
        assert_eq!(device.state().channels[0].power, *on, "{payload}");
        assert_eq!(device.state().readings.power_w, *watts, "{payload}");
        assert_eq!(device.state().channels.len(), 1, "{payload}");
    }
}

#[test]
fn the_status_topic_carries_power_energy_and_temperature() {
    let mut device = plug();
    device.handle_message(
        T0,
        &format!("{PREFIX}/status/switch:0"),
        br#"{"id":0,"source":"mqtt","output":true,"apower":15.5,"voltage":231.2,"current":0.12,"aenergy":{"total":50980},"temperature":{"tC":54.6}}"#,
    );
    let r = &device.state().readings;
    assert_eq!(device.state().channels[0].power, Some(true));
    assert_eq!(
        (r.power_w, r.voltage_v, r.current_a),
        (Some(15.5), Some(231.2), Some(0.12))
    );
    assert_eq!(
        (r.energy_total_kwh, r.temperature_c),
        (Some(50.98), Some(54.6))
    );
}

#[test]
fn a_second_switch_appears_from_a_notification_and_watts_add_up() {
    let mut device = plug();
    device.handle_message(
        T0,
        &format!("{PREFIX}/events/rpc"),
        br#"{"method":"NotifyStatus","params":{"switch:0":{"apower":10},"switch:1":{"output":true,"apower":5}}}"#,
    );
    assert_eq!(device.state().channels.len(), 2);
    assert_eq!(device.state().readings.power_w, Some(15.0));
}

#[test]
fn online_false_disables_and_answers_to_someone_else_are_ignored() {
    let mut device = plug();
    device.handle_message(T0, &format!("{PREFIX}/online"), b"false");
    assert_eq!(device.state().availability, Availability::Offline);
    device.handle_message(T0, &format!("{PREFIX}/online"), b"true");
    let asked = rpc(&mut device);
    assert_eq!(
        asked[0]["method"], "Shelly.GetStatus",
        "back online: ask again"
    );
    reply(
        &mut device,
        &json!(999),
        json!({"result": {"switch:0": {"output": true}}}),
    );
    assert!(
        !device.state().is_operable(0),
        "an answer to a question never asked"
    );
}
