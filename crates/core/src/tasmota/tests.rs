use super::*;
use crate::adapter::Device;
use crate::device::{Availability, CommandError, SwitchCommand, CONFIRMATION_TIMEOUT};
use crate::test_support::{connected, outgoing, pairs, T0};
use crate::time::SECOND;

fn known_plug(on: bool) -> Device {
    let mut plug = connected("tasmota:plug");
    plug.handle_message(T0, "stat/plug/POWER", if on { b"ON" } else { b"OFF" });
    assert!(plug.state().is_operable(0));
    plug
}

#[test]
fn it_subscribes_to_its_status_and_telemetry_topics() {
    let plug = Device::new(&parse("tasmota:desk"), "x");
    assert_eq!(
        plug.subscriptions(),
        [
            "stat/desk/RESULT",
            "stat/desk/POWER",
            "tele/desk/STATE",
            "tele/desk/SENSOR",
            "tele/desk/LWT",
            "stat/desk/STATUS",
            "stat/desk/STATUS10",
            "cmnd/desk/+"
        ]
    );
}

fn parse(spec: &str) -> crate::device_config::DeviceConfig {
    crate::device_config::parse_device_spec(spec).unwrap()
}

#[test]
fn on_connect_it_asks_for_every_relay_names_and_sensors() {
    let mut plug = Device::new(&parse("tasmota:plug"), "x");
    plug.handle_broker_connected(T0);
    assert_eq!(
        outgoing(&mut plug),
        pairs(&[
            ("cmnd/plug/STATE", ""),
            ("cmnd/plug/STATUS", ""),
            ("cmnd/plug/STATUS", "10")
        ])
    );
    assert!(!plug.state().is_operable(0));
}

#[test]
fn it_asks_again_with_growing_delays_until_an_answer_comes() {
    let mut plug = connected("tasmota:plug");
    let mut asked_at = Vec::new();
    let mut now = T0;
    while asked_at.len() < 5 {
        now = plug.poll_timeout().unwrap();
        plug.handle_timeout(now);
        assert_eq!(outgoing(&mut plug), pairs(&[("cmnd/plug/STATE", "")]));
        asked_at.push((now - T0) / SECOND);
    }
    assert_eq!(asked_at, [2, 6, 14, 30, 62]);
    assert_eq!(plug.state().unanswered_queries, 6);
    plug.handle_message(now, "stat/plug/RESULT", br#"{"POWER":"OFF"}"#);
    assert_eq!(plug.state().unanswered_queries, 0);
    assert_eq!(plug.poll_timeout(), None, "kept asking after the answer");
    assert!(plug.state().is_operable(0));
}

/// Payload fixtures: (topic, payload, the channels' states after it).
const STATE_FIXTURES: &[(&str, &str, &[Option<bool>])] = &[
    ("stat/plug/POWER", "ON", &[Some(true)]),
    ("stat/plug/POWER", "off", &[Some(false)]),
    ("stat/plug/RESULT", r#"{"POWER":"ON"}"#, &[Some(true)]),
    ("stat/plug/RESULT", r#"{"POWER1":"OFF"}"#, &[Some(false)]),
    (
        "tele/plug/STATE",
        r#"{"Time":"2026-11-22T10:00:00","Uptime":"0T01:00:00","UptimeSec":3600,"POWER":"ON","Wifi":{"RSSI":70,"Signal":-65}}"#,
        &[Some(true)],
    ),
    (
        "stat/plug/RESULT",
        r#"{"POWER1":"ON","POWER2":"OFF","POWER3":"ON"}"#,
        &[Some(true), Some(false), Some(true)],
    ),
    (
        "stat/plug/RESULT",
        r#"{"POWER2":"ON"}"#,
        &[None, Some(true)],
    ),
    // Ignored: not a state, not ours, or broken.
    ("stat/plug/POWER", "", &[None]),
    ("stat/plug/POWER", "TOGGLE", &[None]),
    ("cmnd/plug/POWER", "", &[None]),
    ("stat/plug/RESULT", r#"{"Timer1":{"Enable":1}}"#, &[None]),
    ("stat/plug/RESULT", "not json {", &[None]),
    ("stat/plug/RESULT", r#"{"POWER":1}"#, &[None]),
    (
        "stat/plug/RESULT",
        r#"{"POWER9":"ON","POWER0":"ON","POWERX":"ON"}"#,
        &[None],
    ),
    ("stat/plug/RESULT", r#"["POWER","ON"]"#, &[None]),
    ("stat/plug2/POWER", "ON", &[None]),
    ("tele/plug/SENSOR", r#"{"POWER":"ON"}"#, &[None]),
];

#[test]
fn state_fixtures_give_the_expected_channels() {
    for (topic, payload, expected) in STATE_FIXTURES {
        let mut plug = connected("tasmota:plug");
        plug.handle_message(T0, topic, payload.as_bytes());
        let got: Vec<Option<bool>> = plug.state().channels.iter().map(|c| c.power).collect();
        assert_eq!(&got, expected, "{topic} {payload}");
    }
}

#[test]
fn telemetry_fills_the_readings() {
    let mut plug = connected("tasmota:plug");
    plug.handle_message(
        T0,
        "tele/plug/SENSOR",
        br#"{"Time":"x","ENERGY":{"TotalStartTime":"x","Total":12.5,"Yesterday":1,"Today":0.3,"Power":42,"ApparentPower":50,"Voltage":230,"Current":0.18},"DS18B20":{"Temperature":21.5}}"#,
    );
    plug.handle_message(
        T0,
        "tele/plug/STATE",
        br#"{"Uptime":"1T02:00:00","POWER":"ON","Wifi":{"RSSI":70,"Signal":-65}}"#,
    );
    let r = &plug.state().readings;
    assert_eq!(r.power_w, Some(42.0));
    assert_eq!(r.energy_today_kwh, Some(0.3));
    assert_eq!(r.energy_total_kwh, Some(12.5));
    assert_eq!(r.voltage_v, Some(230.0));
    assert_eq!(r.current_a, Some(0.18));
    assert_eq!(r.temperature_c, Some(21.5));
    assert_eq!(r.wifi_dbm, Some(-65.0));
    assert_eq!(r.wifi_percent, Some(70.0));
    assert_eq!(r.uptime_secs, Some(93_600));
    plug.handle_message(
        T0,
        "stat/plug/STATUS10",
        br#"{"StatusSNS":{"ENERGY":{"Power":[10,5],"Today":[0.1,0.2],"Voltage":[231,229]}}}"#,
    );
    let r = &plug.state().readings;
    assert_eq!(r.power_w, Some(15.0), "a two-channel meter reports its sum");
    assert_eq!(r.voltage_v, Some(231.0));
    plug.handle_message(T0, "tele/plug/SENSOR", br#"{"ENERGY":{"Power":"NaN"}}"#);
    assert_eq!(plug.state().readings.power_w, Some(15.0));
}

#[test]
fn a_multi_relay_device_names_its_relays_and_commands_each_one() {
    let mut strip = connected("tasmota:strip");
    strip.handle_message(
        T0,
        "stat/strip/STATUS",
        br#"{"Status":{"Module":0,"DeviceName":"Strip","FriendlyName":["Lamp","Fan","Radio"],"Topic":"strip"}}"#,
    );
    let names: Vec<_> = strip
        .state()
        .channels
        .iter()
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(
        names,
        [
            Some("Lamp".into()),
            Some("Fan".into()),
            Some("Radio".into())
        ]
    );
    strip.handle_message(
        T0,
        "stat/strip/RESULT",
        br#"{"POWER1":"ON","POWER2":"OFF","POWER3":"OFF"}"#,
    );
    strip.request(T0, 1, SwitchCommand::On).unwrap();
    assert_eq!(outgoing(&mut strip), pairs(&[("cmnd/strip/POWER2", "ON")]));
    assert!(
        strip.state().is_operable(0),
        "one relay's command blocks another"
    );
    strip.handle_message(T0 + 50, "stat/strip/RESULT", br#"{"POWER1":"ON"}"#);
    assert!(
        strip.state().channels[1].pending.is_some(),
        "confirmed by another relay"
    );
    strip.handle_message(T0 + 90, "stat/strip/RESULT", br#"{"POWER2":"ON"}"#);
    assert_eq!(strip.state().channels[1].pending, None);
    assert_eq!(strip.state().channels[1].power, Some(true));
}

#[test]
fn a_custom_full_topic_and_prefixes_are_followed() {
    let mut plug = Device::new(
        &parse("tasmota:desk:Desk:ft=home/%topic%/%prefix%/:prefixes=c,s,t"),
        "x",
    );
    assert!(plug
        .subscriptions()
        .contains(&"home/desk/s/RESULT".to_string()));
    assert!(plug
        .subscriptions()
        .contains(&"home/desk/t/LWT".to_string()));
    plug.handle_broker_connected(T0);
    assert_eq!(
        outgoing(&mut plug)[0],
        ("home/desk/c/STATE".into(), String::new())
    );
    plug.handle_message(T0, "home/desk/s/POWER", b"OFF");
    plug.request(T0, 0, SwitchCommand::On).unwrap();
    assert_eq!(outgoing(&mut plug), pairs(&[("home/desk/c/POWER", "ON")]));
}

#[test]
fn group_off_switches_every_relay_of_the_group() {
    let message = TasmotaProtocol::group_off(&TasmotaAddress::new("any"), DEFAULT_GROUP_TOPIC);
    assert_eq!(
        (message.topic.as_str(), message.payload.as_slice()),
        ("cmnd/tasmotas/POWER0", b"OFF".as_slice())
    );
}

#[test]
fn a_click_sends_the_command_and_stays_pending_until_the_device_confirms() {
    let mut plug = known_plug(false);
    plug.request(T0, 0, SwitchCommand::On).unwrap();
    assert_eq!(outgoing(&mut plug), pairs(&[("cmnd/plug/POWER", "ON")]));
    assert!(plug.state().channels[0].pending.is_some());
    assert_eq!(
        plug.state().channels[0].power,
        Some(false),
        "the switch moved before the device did"
    );
    assert_eq!(
        plug.request(T0, 0, SwitchCommand::Off),
        Err(CommandError::Busy)
    );
    plug.handle_message(T0 + 300, "stat/plug/RESULT", br#"{"POWER":"ON"}"#);
    assert_eq!(plug.state().channels[0].pending, None);
    assert_eq!(plug.state().channels[0].power, Some(true));
}

#[test]
fn a_command_without_confirmation_gives_up_visibly_after_the_timeout() {
    let mut plug = known_plug(true);
    plug.request(T0, 0, SwitchCommand::Toggle).unwrap();
    assert_eq!(
        plug.state().channels[0].pending.unwrap().target,
        Some(false)
    );
    outgoing(&mut plug);
    plug.handle_timeout(T0 + CONFIRMATION_TIMEOUT - 1);
    assert!(plug.state().channels[0].pending.is_some());
    plug.handle_timeout(T0 + CONFIRMATION_TIMEOUT);
    assert_eq!(plug.state().channels[0].pending, None);
    assert!(plug
        .state()
        .notice
        .as_deref()
        .unwrap()
        .contains("No confirmation"));
    assert_eq!(
        outgoing(&mut plug),
        pairs(&[("cmnd/plug/STATE", "")]),
        "no re-query"
    );
}

#[test]
fn lwt_offline_disables_the_switch_and_online_asks_for_the_state_again() {
    let mut plug = known_plug(true);
    plug.handle_message(T0, "tele/plug/LWT", b"Offline");
    assert_eq!(plug.state().availability, Availability::Offline);
    assert!(!plug.state().is_operable(0));
    assert_eq!(
        plug.request(T0, 0, SwitchCommand::Toggle),
        Err(CommandError::DeviceOffline)
    );
    plug.handle_message(T0 + 10, "tele/plug/LWT", b"Online");
    assert_eq!(outgoing(&mut plug), pairs(&[("cmnd/plug/STATE", "")]));
    assert!(!plug.state().is_operable(0), "stale state shown as current");
    plug.handle_message(T0 + 20, "stat/plug/POWER", b"OFF");
    assert!(plug.state().is_operable(0));
}

#[test]
fn a_pending_command_is_reported_not_confirmed_when_the_device_goes_offline() {
    let mut plug = known_plug(true);
    plug.request(T0, 0, SwitchCommand::Off).unwrap();
    plug.handle_message(T0 + 100, "tele/plug/LWT", b"Offline");
    assert_eq!(plug.state().channels[0].pending, None);
    assert!(plug.state().notice.as_deref().unwrap().contains("offline"));
}

#[test]
fn a_broker_drop_makes_the_state_history_and_a_reconnect_asks_again() {
    let mut plug = known_plug(true);
    plug.request(T0, 0, SwitchCommand::Off).unwrap();
    plug.handle_broker_disconnected();
    assert_eq!(plug.poll_outgoing(), None, "a command survived the drop");
    assert!(!plug.state().is_operable(0));
    assert_eq!(
        plug.state().channels[0].power,
        Some(true),
        "last known state kept as history"
    );
    assert!(plug.state().notice.as_deref().unwrap().contains("dropped"));
    plug.handle_broker_connected(T0 + 1_000);
    assert_eq!(
        outgoing(&mut plug)[0],
        ("cmnd/plug/STATE".into(), String::new())
    );
    assert!(!plug.state().is_operable(0));
}

#[test]
fn send_toggle_works_for_a_device_that_never_reported_and_any_report_confirms_it() {
    let mut plug = connected("tasmota:plug");
    plug.request(T0, 0, SwitchCommand::Toggle).unwrap();
    assert_eq!(plug.state().channels[0].pending.unwrap().target, None);
    assert_eq!(outgoing(&mut plug), pairs(&[("cmnd/plug/POWER", "TOGGLE")]));
    plug.handle_message(T0 + 200, "stat/plug/POWER", b"ON");
    assert_eq!(plug.state().channels[0].pending, None);
}

#[test]
fn uptime_is_read_in_days_and_clock_time() {
    assert_eq!(parse_uptime("0T00:01:05"), Some(65));
    assert_eq!(parse_uptime("2T01:00:00"), Some(176_400));
    assert_eq!(parse_uptime("01:00:00"), None);
    assert_eq!(parse_uptime("xT1:2:3"), None);
}

#[test]
fn last_seen_follows_the_device_and_power_samples_make_a_bounded_history() {
    let mut plug = connected("tasmota:plug");
    assert_eq!(plug.state().last_seen, None);
    plug.handle_message(T0 + 5, "stat/plug/POWER", b"ON");
    assert_eq!(plug.state().last_seen, Some(T0 + 5));
    plug.handle_message(T0 + 9, "tele/plug/LWT", b"Offline");
    assert_eq!(
        plug.state().last_seen,
        Some(T0 + 5),
        "the broker's will is not the device speaking"
    );
    let mut now = T0;
    for i in 0..200u64 {
        now = T0 + i * 5 * SECOND;
        let watts = format!(r#"{{"ENERGY":{{"Power":{}}}}}"#, i % 7);
        plug.handle_message(now, "tele/plug/SENSOR", watts.as_bytes());
    }
    let history = &plug.state().power_history;
    assert!(history.len() <= crate::device::POWER_HISTORY_POINTS);
    assert!(history
        .iter()
        .all(|(at, _)| now - at <= crate::device::POWER_HISTORY_SPAN));
    assert_eq!(history.last(), Some(&(now, (199 % 7) as f64)));
}

#[test]
fn a_toggle_of_a_known_state_goes_out_as_the_state_asked_for_so_a_duplicate_switches_nothing() {
    // QoS 1 is "at least once" [MQTT-4.3.2]: the broker may hand the device the command twice.
    // "OFF" twice is off; "TOGGLE" twice would leave the relay where it was.
    let mut plug = known_plug(true);
    plug.request(T0, 0, SwitchCommand::Toggle).unwrap();
    assert_eq!(outgoing(&mut plug), pairs(&[("cmnd/plug/POWER", "OFF")]));
    plug.handle_message(T0, "stat/plug/POWER", b"OFF");
    plug.request(T0, 0, SwitchCommand::Toggle).unwrap();
    assert_eq!(outgoing(&mut plug), pairs(&[("cmnd/plug/POWER", "ON")]));
}

#[test]
fn a_blind_toggle_goes_out_at_most_once_and_every_other_command_at_least_once() {
    // With the state unknown a toggle is all there is; a duplicate of it would switch back.
    let mut plug = connected("tasmota:plug");
    plug.request(T0, 0, SwitchCommand::Toggle).unwrap();
    let sent = plug.poll_outgoing().unwrap();
    assert_eq!(
        (sent.payload.as_slice(), sent.at_most_once),
        (&b"TOGGLE"[..], true)
    );
    plug.handle_message(T0, "stat/plug/POWER", b"ON");
    plug.request(T0, 0, SwitchCommand::Off).unwrap();
    assert!(!plug.poll_outgoing().unwrap().at_most_once);
}

#[test]
fn a_live_online_while_a_question_is_unanswered_asks_again_at_once_a_retained_one_does_not() {
    // The broker kept "Online" from before it restarted, the device was away: the first
    // question was lost. When the device really connects it says "Online" (live): ask now,
    // not at the next retry seconds later.
    let mut plug = connected("tasmota:plug");
    outgoing(&mut plug);
    plug.handle_retained(T0, "tele/plug/LWT", b"Online");
    assert_eq!(
        outgoing(&mut plug),
        pairs(&[]),
        "the stored copy is no news"
    );
    plug.handle_message(T0 + 10, "tele/plug/LWT", b"Online");
    assert_eq!(outgoing(&mut plug), pairs(&[("cmnd/plug/STATE", "")]));
    // Once the state is known, an "Online" asks nothing.
    plug.handle_message(T0 + 20, "stat/plug/POWER", b"ON");
    plug.handle_message(T0 + 30, "tele/plug/LWT", b"Online");
    assert_eq!(outgoing(&mut plug), pairs(&[]));
}
