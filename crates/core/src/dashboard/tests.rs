//! Dashboard scenarios: the glue's view, with a scripted broker and a manual clock.

use super::*;
use crate::device::SwitchCommand;
use crate::message_log::Direction;
use crate::time::SECOND;
use bytes::BytesMut;
use mqttbytes::v4::{
    self, ConnAck, ConnectReturnCode, Packet, PubAck, Publish, SubAck, SubscribeReasonCode,
};

const T0: Millis = 10_000;

fn dashboard(topics: &[&str]) -> Dashboard {
    let devices = topics
        .iter()
        .map(|t| DeviceConfig::tasmota(*t, ""))
        .collect();
    Dashboard::new(SessionOptions::new("switchboard-test"), devices, 1)
}

fn sent(dashboard: &mut Dashboard) -> Vec<Packet> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = dashboard.poll_transmit() {
        bytes.extend_from_slice(&chunk);
    }
    let mut packets = Vec::new();
    while !bytes.is_empty() {
        packets.push(v4::read(&mut bytes, usize::MAX).unwrap());
    }
    packets
}

fn commands(dashboard: &mut Dashboard) -> Vec<TransportCommand> {
    std::iter::from_fn(|| dashboard.poll_transport_command()).collect()
}

fn encoded(write: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
    let mut b = BytesMut::new();
    write(&mut b);
    b.to_vec()
}

fn connack(code: ConnectReturnCode) -> Vec<u8> {
    encoded(|b| {
        ConnAck::new(code, false).write(b).unwrap();
    })
}

fn from_broker(topic: &str, payload: &str) -> Vec<u8> {
    encoded(|b| {
        Publish::new(
            topic,
            mqttbytes::QoS::AtMostOnce,
            payload.as_bytes().to_vec(),
        )
        .write(b)
        .unwrap();
    })
}

/// Answers SUBSCRIBE and QoS 1 PUBLISH like a broker would; returns the other packets.
fn broker_answers(dashboard: &mut Dashboard, now: Millis) -> Vec<Packet> {
    let mut others = Vec::new();
    for packet in sent(dashboard) {
        match packet {
            Packet::Subscribe(s) => {
                let codes = vec![
                    SubscribeReasonCode::Success(mqttbytes::QoS::AtLeastOnce);
                    s.filters.len()
                ];
                dashboard.handle_bytes(
                    now,
                    &encoded(|b| {
                        SubAck::new(s.pkid, codes).write(b).unwrap();
                    }),
                );
                others.push(Packet::Subscribe(s));
            }
            Packet::Publish(p) => {
                dashboard.handle_bytes(
                    now,
                    &encoded(|b| {
                        PubAck::new(p.pkid).write(b).unwrap();
                    }),
                );
                others.push(Packet::Publish(p));
            }
            other => others.push(other),
        }
    }
    others
}

/// Every topic filter in the SUBSCRIBE packets among `packets`.
fn subscribed_filters(packets: &[Packet]) -> Vec<String> {
    packets
        .iter()
        .filter_map(|p| match p {
            Packet::Subscribe(s) => {
                Some(s.filters.iter().map(|f| f.path.clone()).collect::<Vec<_>>())
            }
            _ => None,
        })
        .flatten()
        .collect()
}

fn publishes(packets: &[Packet]) -> Vec<(String, String, bool)> {
    packets
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some((
                p.topic.clone(),
                String::from_utf8(p.payload.to_vec()).unwrap(),
                p.retain,
            )),
            _ => None,
        })
        .collect()
}

fn connect(dashboard: &mut Dashboard, now: Millis) -> Vec<Packet> {
    dashboard.start();
    assert_eq!(commands(dashboard), [TransportCommand::Open]);
    dashboard.handle_transport_open(now);
    assert!(matches!(sent(dashboard).as_slice(), [Packet::Connect(_)]));
    dashboard.handle_bytes(now, &connack(ConnectReturnCode::Success));
    assert_eq!(dashboard.link().phase, LinkPhase::Connected);
    broker_answers(dashboard, now)
}

#[test]
fn after_connack_it_subscribes_for_every_device_and_asks_each_for_its_state() {
    let mut dashboard = dashboard(&["a", "b"]);
    let packets = connect(&mut dashboard, T0);
    let Packet::Subscribe(subscribe) = &packets[0] else {
        panic!("first packet after CONNACK was not SUBSCRIBE: {packets:?}");
    };
    assert_eq!(subscribe.filters.len(), 16);
    let questions: Vec<_> = publishes(&packets)
        .into_iter()
        .filter(|(topic, _, _)| topic.ends_with("/STATE"))
        .collect();
    assert_eq!(
        questions,
        [
            ("cmnd/a/STATE".into(), String::new(), false),
            ("cmnd/b/STATE".into(), String::new(), false)
        ]
    );
    // Every device's state question goes out before anyone's details (names, readings).
    let order: Vec<String> = publishes(&packets)
        .into_iter()
        .map(|(topic, payload, _)| format!("{topic} {payload}").trim().to_string())
        .collect();
    assert_eq!(
        order,
        [
            "cmnd/a/STATE",
            "cmnd/b/STATE",
            "cmnd/a/STATUS",
            "cmnd/a/STATUS 10",
            "cmnd/b/STATUS",
            "cmnd/b/STATUS 10"
        ]
    );
    assert!(dashboard
        .devices()
        .iter()
        .all(|d| !d.state().is_operable(0)));
    dashboard.handle_bytes(T0, &from_broker("stat/b/POWER", "ON"));
    assert!(!dashboard.devices()[0].state().is_operable(0));
    assert!(dashboard.devices()[1].state().is_operable(0));
}

#[test]
fn a_click_publishes_a_non_retained_command_and_the_switch_follows_the_device() {
    let mut dashboard = dashboard(&["plug"]);
    connect(&mut dashboard, T0);
    dashboard.handle_bytes(T0, &from_broker("stat/plug/POWER", "OFF"));
    dashboard
        .request(T0 + 1, DeviceId(0), 0, SwitchCommand::Toggle)
        .unwrap();
    let packets = broker_answers(&mut dashboard, T0 + 1);
    assert_eq!(
        publishes(&packets),
        // A toggle of a known "off" goes out as "on": a QoS 1 duplicate cannot switch back.
        [("cmnd/plug/POWER".into(), "ON".into(), false)]
    );
    assert!(dashboard.devices()[0].state().channels[0].pending.is_some());
    dashboard.handle_bytes(
        T0 + 80,
        &from_broker("stat/plug/RESULT", r#"{"POWER":"ON"}"#),
    );
    let state = dashboard.devices()[0].state();
    assert_eq!(
        (state.channels[0].power, state.channels[0].pending),
        (Some(true), None)
    );
}

#[test]
fn a_drop_disables_every_switch_and_schedules_a_jittered_retry() {
    let mut dashboard = dashboard(&["plug"]);
    connect(&mut dashboard, T0);
    dashboard.handle_bytes(T0, &from_broker("stat/plug/POWER", "ON"));
    dashboard.handle_transport_closed(T0 + 100);
    assert!(!dashboard.devices()[0].state().is_operable(0));
    let LinkPhase::WaitingToRetry { retry_at } = dashboard.link().phase else {
        panic!("no retry scheduled: {:?}", dashboard.link());
    };
    assert!(retry_at <= T0 + 100 + crate::reconnect::QUICK_FIRST);
    assert_eq!(
        dashboard.link().problem.as_deref(),
        Some("The connection to the broker was lost.")
    );
    assert_eq!(dashboard.poll_timeout(), Some(retry_at));
    dashboard.handle_timeout(retry_at);
    assert_eq!(commands(&mut dashboard), [TransportCommand::Open]);
    assert_eq!(dashboard.link().phase, LinkPhase::Connecting);
}

#[test]
fn an_unreachable_broker_is_retried_quickly_for_a_while_then_less_often_up_to_the_cap() {
    use crate::reconnect::{QUICK_CEILING, QUICK_WINDOW, RECONNECT_CAP};
    let mut dashboard = dashboard(&[]);
    dashboard.start();
    let mut now = T0;
    let mut waits = Vec::new();
    for _ in 0..40u32 {
        commands(&mut dashboard);
        dashboard.handle_transport_closed(now);
        let LinkPhase::WaitingToRetry { retry_at } = dashboard.link().phase else {
            panic!("no retry");
        };
        waits.push((now - T0, retry_at - now));
        now = retry_at;
        dashboard.handle_timeout(now);
    }
    for (at, wait) in &waits {
        if *at < QUICK_WINDOW {
            assert!(
                *wait <= QUICK_CEILING,
                "{at} ms into the outage: waited {wait}"
            );
        }
        assert!(*wait <= RECONNECT_CAP && *wait > 0, "waited {wait}");
    }
    let longest = waits.iter().map(|(_, w)| *w).max().unwrap_or(0);
    assert!(longest >= RECONNECT_CAP / 2, "delays never grew: {waits:?}");
    assert_eq!(dashboard.link().failed_attempts, 40);
    assert!(dashboard
        .link()
        .problem
        .as_deref()
        .unwrap()
        .contains("Cannot reach the broker"));
}

/// Opens a connection that is accepted; `answer` the broker's first packet after CONNACK.
fn accept(dashboard: &mut Dashboard, now: Millis, answer: bool) {
    commands(dashboard);
    dashboard.handle_transport_open(now);
    dashboard.handle_bytes(now, &connack(ConnectReturnCode::Success));
    if answer {
        dashboard.handle_bytes(now + 1, &from_broker("stat/plug/POWER", "ON"));
    }
}

fn retry_wait(dashboard: &Dashboard, now: Millis) -> Millis {
    let LinkPhase::WaitingToRetry { retry_at } = dashboard.link().phase else {
        panic!("no retry: {:?}", dashboard.link());
    };
    retry_at - now
}

#[test]
fn a_connection_that_proved_useful_resets_the_delay_however_short_it_was() {
    use crate::reconnect::QUICK_FIRST;
    let mut dashboard = dashboard(&["plug"]);
    dashboard.start();
    let mut now = T0;
    // A long outage first: the delays have grown.
    let mut longest = 0;
    for _ in 0..30 {
        commands(&mut dashboard);
        dashboard.handle_transport_closed(now);
        let wait = retry_wait(&dashboard, now);
        longest = longest.max(wait);
        now += wait;
        dashboard.handle_timeout(now);
    }
    assert!(longest > 10 * SECOND, "delays never grew: {longest}");
    // Twenty restarts a few hundred milliseconds apart: each comes back within a second.
    for round in 0..20 {
        accept(&mut dashboard, now, true);
        now += 300;
        dashboard.handle_transport_closed(now);
        let wait = retry_wait(&dashboard, now);
        assert!(wait <= QUICK_FIRST, "round {round}: waited {wait} ms");
        assert_eq!(dashboard.link().failed_attempts, 1);
        now += wait;
        dashboard.handle_timeout(now);
    }
}

#[test]
fn a_broker_that_closes_right_after_connack_is_paced_not_hammered() {
    let mut dashboard = dashboard(&["plug"]);
    dashboard.start();
    let mut now = T0;
    let mut waits = Vec::new();
    for _ in 0..8 {
        accept(&mut dashboard, now, false);
        dashboard.handle_transport_closed(now + 5);
        now += 5;
        let wait = retry_wait(&dashboard, now);
        waits.push(wait);
        now += wait;
        dashboard.handle_timeout(now);
    }
    assert!(waits[0] >= 500, "{waits:?}");
    assert!(waits[7] >= 15 * SECOND, "{waits:?}");
}

#[test]
fn a_malformed_packet_closes_the_connection_says_why_and_is_paced() {
    let mut dashboard = dashboard(&["plug"]);
    dashboard.start();
    let mut now = T0;
    let mut waits = Vec::new();
    for _ in 0..6 {
        accept(&mut dashboard, now, true);
        // A packet of the reserved type 15 after the broker answered.
        dashboard.handle_bytes(now + 2, &[0xF0, 0x00]);
        assert_eq!(commands(&mut dashboard), [TransportCommand::Close]);
        let problem = dashboard.link().problem.clone().unwrap_or_default();
        assert!(problem.contains("not valid MQTT"), "{problem}");
        assert!(!dashboard.devices()[0].state().is_operable(0));
        now += 2;
        let wait = retry_wait(&dashboard, now);
        waits.push(wait);
        now += wait;
        dashboard.handle_timeout(now);
    }
    assert!(waits[5] >= 15 * SECOND, "{waits:?}");
}

#[test]
fn bad_credentials_close_the_socket_and_say_what_to_check() {
    let mut dashboard = dashboard(&["plug"]);
    dashboard.start();
    commands(&mut dashboard);
    dashboard.handle_transport_open(T0);
    dashboard.handle_bytes(T0, &connack(ConnectReturnCode::BadUserNamePassword));
    assert_eq!(commands(&mut dashboard), [TransportCommand::Close]);
    assert!(dashboard
        .link()
        .problem
        .as_deref()
        .unwrap()
        .contains("user name or password"));
    // The glue closed the socket itself: its close event must not count as a second failure.
    dashboard.handle_transport_closed(T0 + 1);
    assert_eq!(dashboard.link().failed_attempts, 1);
}

#[test]
fn a_socket_closed_before_connack_suggests_path_or_credentials() {
    let mut dashboard = dashboard(&[]);
    dashboard.start();
    dashboard.handle_transport_open(T0);
    dashboard.handle_transport_closed(T0 + 5);
    assert!(dashboard
        .link()
        .problem
        .as_deref()
        .unwrap()
        .contains("before accepting it"));
}

#[test]
fn after_a_reconnect_it_resubscribes_asks_again_and_never_replays_a_command() {
    let mut dashboard = dashboard(&["plug"]);
    connect(&mut dashboard, T0);
    dashboard.handle_bytes(T0, &from_broker("stat/plug/POWER", "ON"));
    dashboard
        .request(T0, DeviceId(0), 0, SwitchCommand::Off)
        .unwrap();
    dashboard.handle_transport_closed(T0 + 10);
    assert!(dashboard.devices()[0]
        .state()
        .notice
        .as_deref()
        .unwrap()
        .contains("Not confirmed"));
    dashboard.retry_now();
    commands(&mut dashboard);
    dashboard.handle_transport_open(T0 + 1_000);
    sent(&mut dashboard);
    dashboard.handle_bytes(T0 + 1_000, &connack(ConnectReturnCode::Success));
    let packets = broker_answers(&mut dashboard, T0 + 1_000);
    assert!(matches!(packets[0], Packet::Subscribe(_)));
    assert_eq!(
        publishes(&packets)[0],
        ("cmnd/plug/STATE".into(), String::new(), false),
        "a command was replayed or the state not asked for"
    );
    assert!(!dashboard.devices()[0].state().is_operable(0));
}

#[test]
fn a_silent_broker_is_detected_and_reconnected() {
    let mut options = SessionOptions::new("c");
    options.keep_alive_secs = 4;
    let mut dashboard = Dashboard::new(options, vec![], 3);
    dashboard.start();
    commands(&mut dashboard);
    dashboard.handle_transport_open(T0);
    dashboard.handle_bytes(T0, &connack(ConnectReturnCode::Success));
    sent(&mut dashboard);
    let mut now = T0;
    while dashboard.link().phase == LinkPhase::Connected {
        now = dashboard.poll_timeout().unwrap();
        dashboard.handle_timeout(now);
    }
    assert_eq!(now, T0 + 6 * SECOND, "stall detected at 1.5 x keepalive");
    assert_eq!(commands(&mut dashboard), [TransportCommand::Close]);
    assert!(dashboard
        .link()
        .problem
        .as_deref()
        .unwrap()
        .contains("stopped answering"));
}

#[test]
fn a_device_added_while_connected_is_subscribed_and_queried_at_once() {
    let mut dashboard = dashboard(&[]);
    connect(&mut dashboard, T0);
    dashboard.add_device(T0 + 5, DeviceConfig::tasmota("late", "Late"));
    let packets = broker_answers(&mut dashboard, T0 + 5);
    assert!(matches!(&packets[0], Packet::Subscribe(s) if s.filters.len() == 8));
    assert_eq!(
        publishes(&packets)[0],
        ("cmnd/late/STATE".into(), String::new(), false)
    );
}

#[test]
fn pins_of_one_board_ask_once_and_each_reads_its_own_key() {
    let devices = [
        "jsonrelay:pico:GP16",
        "jsonrelay:pico:GP17",
        "jsonrelay:pico:GP1:contact",
    ]
    .map(|spec| crate::device_config::parse_device_spec(spec).unwrap());
    let mut dashboard = Dashboard::new(SessionOptions::new("c"), devices.to_vec(), 1);
    let packets = connect(&mut dashboard, T0);
    assert_eq!(
        publishes(&packets),
        [("pico".into(), r#"{"CMD":"refresh"}"#.into(), false)]
    );
    dashboard.handle_bytes(T0, &from_broker("pico", r#"{"CMD":"refresh"}"#));
    dashboard.handle_bytes(
        T0,
        &from_broker("pico", r#"{"GP1": 1, "GP16": 0, "GP17": 1}"#),
    );
    let powers: Vec<_> = dashboard
        .devices()
        .iter()
        .map(|d| d.state().channels[0].power)
        .collect();
    assert_eq!(powers, [Some(false), Some(true), Some(true)]);
}

#[test]
fn every_kind_on_one_dashboard_gets_its_own_messages() {
    let specs = [
        "tasmota:plug",
        "shelly:shellyplus1-01",
        "shellygen1:shelly1-02",
        "jsonrelay:pico:GP16",
        "generic:lamp/set:lamp",
    ];
    let devices = specs.map(|spec| crate::device_config::parse_device_spec(spec).unwrap());
    let mut dashboard = Dashboard::new(SessionOptions::new("tab7"), devices.to_vec(), 1);
    connect(&mut dashboard, T0);
    let reports = [
        ("stat/plug/POWER", "ON"),
        (
            "shellyplus1-01/events/rpc",
            r#"{"method":"NotifyStatus","params":{"switch:0":{"output":true}}}"#,
        ),
        ("shellies/shelly1-02/relay/0", "on"),
        ("pico", r#"{"GP16": 1}"#),
        ("lamp", "ON"),
    ];
    for (index, (topic, payload)) in reports.iter().enumerate() {
        dashboard.handle_bytes(T0, &from_broker(topic, payload));
        let on: Vec<bool> = dashboard
            .devices()
            .iter()
            .map(|d| d.state().channels[0].power == Some(true))
            .collect();
        let expected: Vec<bool> = (0..specs.len()).map(|i| i <= index).collect();
        assert_eq!(on, expected, "after {topic}");
    }
    let shelly_answers = dashboard.devices()[1]
        .adapter
        .subscriptions()
        .contains(&"tab7-d1/rpc".to_string());
    assert!(
        shelly_answers,
        "RPC answers are not addressed to this tab and device"
    );
}

#[test]
fn group_off_goes_to_the_tasmota_group_topic_and_needs_the_broker() {
    let mut dashboard = dashboard(&["plug"]);
    assert_eq!(
        dashboard.tasmota_group_off(T0, "tasmotas"),
        Err(CommandError::BrokerOffline)
    );
    connect(&mut dashboard, T0);
    dashboard.tasmota_group_off(T0, "tasmotas").unwrap();
    assert_eq!(
        publishes(&broker_answers(&mut dashboard, T0)),
        [("cmnd/tasmotas/POWER0".into(), "OFF".into(), false)]
    );
}

#[test]
fn a_wake_up_while_connected_probes_the_link_and_a_silent_one_is_dropped_within_3_s() {
    let mut dashboard = dashboard(&["plug"]);
    connect(&mut dashboard, T0);
    dashboard.handle_wake(T0 + 60_000);
    assert_eq!(sent(&mut dashboard), [Packet::PingReq]);
    dashboard.handle_timeout(T0 + 60_000 + WAKE_PROBE_DEADLINE);
    assert_eq!(commands(&mut dashboard), [TransportCommand::Close]);
    assert!(!dashboard.devices()[0].state().is_operable(0));
}

#[test]
fn a_wake_up_while_waiting_to_retry_reconnects_at_once() {
    let mut dashboard = dashboard(&[]);
    dashboard.start();
    commands(&mut dashboard);
    for _ in 0..6 {
        dashboard.handle_transport_closed(T0);
        dashboard.retry_now();
        commands(&mut dashboard);
    }
    dashboard.handle_transport_closed(T0);
    dashboard.handle_wake(T0 + 10);
    assert_eq!(commands(&mut dashboard), [TransportCommand::Open]);
}

#[test]
fn an_unreachable_wss_broker_gets_the_certificate_hint_and_ws_does_not() {
    let mut secure = Dashboard::new(SessionOptions::new("c"), vec![], 1)
        .with_broker_url("wss://broker.local:8884/mqtt");
    secure.start();
    secure.handle_transport_closed(T0);
    let problem = secure.link().problem.clone().unwrap();
    assert!(
        problem.contains("open https://broker.local:8884/ once"),
        "{problem}"
    );

    let mut plain = Dashboard::new(SessionOptions::new("c"), vec![], 1)
        .with_broker_url("ws://broker.local:9001");
    plain.start();
    plain.handle_transport_closed(T0);
    assert!(!plain
        .link()
        .problem
        .clone()
        .unwrap()
        .contains("certificate"));
}

mod mqtt5_fallback {
    use super::*;
    use crate::codec::ProtocolVersion;
    use mqttbytes::v5;

    fn v5_dashboard() -> Dashboard {
        let mut options = SessionOptions::new("c5");
        options.protocol = ProtocolVersion::V5;
        Dashboard::new(options, vec![DeviceConfig::tasmota("plug", "")], 1)
    }

    fn v5_connack() -> BytesMut {
        let mut bytes = BytesMut::new();
        v5::ConnAck::new(v5::ConnectReturnCode::Success, false)
            .write(&mut bytes)
            .unwrap();
        bytes
    }

    fn connect_protocol_level(dashboard: &mut Dashboard) -> u8 {
        let mut bytes = Vec::new();
        while let Some(chunk) = dashboard.poll_transmit() {
            bytes.extend(chunk);
        }
        // CONNECT: fixed header (2 bytes here), "MQTT" string (6), then the protocol level.
        assert_eq!(bytes.first(), Some(&0x10), "not a CONNECT: {bytes:?}");
        bytes[8]
    }

    fn open(dashboard: &mut Dashboard, now: Millis) -> u8 {
        assert_eq!(commands(dashboard).last(), Some(&TransportCommand::Open));
        dashboard.handle_transport_open(now);
        connect_protocol_level(dashboard)
    }

    #[test]
    fn a_broker_refusing_the_version_gets_mqtt_311_at_once() {
        let mut dashboard = v5_dashboard();
        dashboard.start();
        assert_eq!(open(&mut dashboard, T0), 5);
        dashboard.handle_bytes(T0, &[0x20, 0x02, 0x00, 0x01]);
        assert_eq!(
            dashboard.link().phase,
            LinkPhase::Connecting,
            "waited before falling back"
        );
        assert_eq!(dashboard.link().protocol, ProtocolVersion::V311);
        assert_eq!(open(&mut dashboard, T0 + 5), 4);
        dashboard.handle_bytes(T0 + 5, &connack(ConnectReturnCode::Success));
        assert_eq!(dashboard.link().phase, LinkPhase::Connected);
        assert!(dashboard
            .link()
            .problem
            .as_deref()
            .unwrap()
            .contains("so MQTT 3.1.1 is used"));
    }

    #[test]
    fn a_broker_that_drops_a_v5_connect_silently_gets_mqtt_311() {
        let mut dashboard = v5_dashboard();
        dashboard.start();
        open(&mut dashboard, T0);
        dashboard.handle_transport_closed(T0 + 20);
        assert_eq!(open(&mut dashboard, T0 + 25), 4);
    }

    #[test]
    fn a_broker_that_never_answers_a_v5_connect_gets_mqtt_311_after_the_timeout() {
        let mut dashboard = v5_dashboard();
        dashboard.start();
        open(&mut dashboard, T0);
        let deadline = dashboard.poll_timeout().unwrap();
        assert_eq!(
            deadline,
            T0 + V5_CONNACK_PATIENCE,
            "waited the full CONNACK timeout"
        );
        dashboard.handle_timeout(deadline);
        assert_eq!(open(&mut dashboard, deadline + 1), 4);
    }

    #[test]
    fn once_v5_worked_a_later_drop_is_an_ordinary_drop() {
        let mut dashboard = v5_dashboard();
        dashboard.start();
        open(&mut dashboard, T0);
        let bytes = v5_connack();
        dashboard.handle_bytes(T0, &bytes);
        assert_eq!(dashboard.link().phase, LinkPhase::Connected);
        dashboard.handle_transport_closed(T0 + 1_000);
        assert!(matches!(
            dashboard.link().phase,
            LinkPhase::WaitingToRetry { .. }
        ));
        assert_eq!(dashboard.link().protocol, ProtocolVersion::V5);
    }

    /// Connects `dashboard` over MQTT 5, delivers `payload` on `topic` (the device's report, so
    /// its state is known), makes `command` and returns the PUBLISH the page sent for it.
    fn v5_command_after_report(
        dashboard: &mut Dashboard,
        topic: &str,
        payload: &[u8],
        command: SwitchCommand,
    ) -> v5::Publish {
        dashboard.start();
        open(dashboard, T0);
        let mut bytes = v5_connack();
        let mut report = v5::Publish::new(topic, mqttbytes::QoS::AtMostOnce, payload.to_vec());
        report.retain = false;
        report.write(&mut bytes).unwrap();
        dashboard.handle_bytes(T0, &bytes);
        while dashboard.poll_transmit().is_some() {}
        dashboard.request(T0 + 1, DeviceId(0), 0, command).unwrap();
        let mut sent_bytes = BytesMut::new();
        while let Some(chunk) = dashboard.poll_transmit() {
            sent_bytes.extend_from_slice(&chunk);
        }
        let v5::Packet::Publish(sent) = v5::read(&mut sent_bytes, usize::MAX).unwrap() else {
            panic!("expected the command");
        };
        sent
    }

    #[test]
    fn a_command_to_a_board_that_keeps_its_session_goes_at_most_once_even_with_mqtt5() {
        // A copy the broker began delivering before the board dropped is not covered by the
        // expiry [MQTT-3.3.2-5] and would switch the relay when the board returns
        // [MQTT-4.4.0-1]; at QoS 0 it is simply lost with the board's connection.
        let mut options = SessionOptions::new("c5");
        options.protocol = ProtocolVersion::V5;
        let board = crate::config::parse_device_spec("jsonrelay:garage/board:GP16").unwrap();
        let mut dashboard = Dashboard::new(options, vec![board], 1);
        let command = v5_command_after_report(
            &mut dashboard,
            "garage/board",
            br#"{"GP16": 0}"#,
            SwitchCommand::On,
        );
        assert_eq!(command.topic, "garage/board");
        assert_eq!(command.qos, mqttbytes::QoS::AtMostOnce);
        assert_eq!(
            command
                .properties
                .as_ref()
                .and_then(|p| p.message_expiry_interval),
            Some(5),
            "a broker that queues QoS 0 for an absent session drops it all the same"
        );
    }

    #[test]
    fn a_command_the_broker_refuses_is_shown_on_the_device() {
        let mut dashboard = v5_dashboard();
        let command =
            v5_command_after_report(&mut dashboard, "stat/plug/POWER", b"ON", SwitchCommand::Off);
        // At least once (a refusal comes back), and never delivered after the page gives up
        // on it: a device away with a kept session must not switch when it returns.
        assert_eq!(command.qos, mqttbytes::QoS::AtLeastOnce);
        assert_eq!(
            command
                .properties
                .as_ref()
                .and_then(|p| p.message_expiry_interval),
            Some(5)
        );
        let mut puback = v5::PubAck::new(command.pkid);
        puback.reason = v5::PubAckReason::NotAuthorized;
        let mut reply = BytesMut::new();
        puback.write(&mut reply).unwrap();
        dashboard.handle_bytes(T0 + 2, &reply);
        let state = dashboard.devices()[0].state();
        assert_eq!(state.channels[0].pending, None);
        assert!(state
            .notice
            .as_deref()
            .unwrap()
            .contains("refused the command: not authorized"));
    }
}

#[test]
fn discovery_lists_announced_devices_and_marks_a_shown_device_removed_when_retracted() {
    let mut dashboard = dashboard(&["tasmota_487D21"]);
    dashboard.set_discovery(T0, true);
    let packets = connect(&mut dashboard, T0);
    let subscribed = subscribed_filters(&packets);
    assert!(subscribed.contains(&"tasmota/discovery/+/config".to_string()));
    assert!(subscribed.contains(&"switchboard-test-discovery/rpc".to_string()));
    let config = r#"{"dn":"Desk","fn":["Desk lamp"],"hn":"h","mac":"84F3EB487D21","md":"Sonoff Basic","t":"tasmota_487D21","ft":"%prefix%/%topic%/","tp":["cmnd","stat","tele"],"rl":[1],"sw":"13.1.0"}"#;
    dashboard.handle_bytes(
        T0,
        &from_broker("tasmota/discovery/84F3EB487D21/config", config),
    );
    assert_eq!(dashboard.discovered().len(), 1);
    assert_eq!(
        dashboard.discovered()[0].config.address,
        dashboard.devices()[0].config.address
    );
    assert!(!dashboard.devices()[0].state().removed);
    dashboard.handle_bytes(
        T0,
        &from_broker("tasmota/discovery/84F3EB487D21/config", ""),
    );
    assert!(dashboard.discovered().is_empty());
    assert!(
        dashboard.devices()[0].state().removed,
        "a retracted device not marked"
    );
    dashboard.handle_bytes(
        T0,
        &from_broker("tasmota/discovery/84F3EB487D21/config", config),
    );
    assert!(
        !dashboard.devices()[0].state().removed,
        "an announced device still marked removed"
    );
}

fn retained_from_broker(topic: &str, payload: &str) -> Vec<u8> {
    encoded(|b| {
        let mut publish = Publish::new(
            topic,
            mqttbytes::QoS::AtMostOnce,
            payload.as_bytes().to_vec(),
        );
        publish.retain = true;
        publish.write(b).unwrap();
    })
}

#[test]
fn a_retained_command_is_shown_as_a_ghost_and_cleared_with_an_empty_retained_message() {
    let mut dashboard = dashboard(&["heater"]);
    connect(&mut dashboard, T0);
    dashboard.handle_bytes(T0, &from_broker("cmnd/heater/POWER", ""));
    dashboard.handle_bytes(T0, &from_broker("cmnd/heater/POWER", "ON"));
    assert_eq!(
        dashboard.devices()[0].state().ghost,
        None,
        "a live command is no ghost"
    );
    dashboard.handle_bytes(T0, &retained_from_broker("cmnd/heater/POWER2", "ON"));
    let ghost = dashboard.devices()[0].state().ghost.clone().unwrap();
    assert_eq!(
        (ghost.topic.as_str(), ghost.payload.as_str(), ghost.cleared),
        ("cmnd/heater/POWER2", "ON", false)
    );
    dashboard.clear_ghost(T0, DeviceId(0)).unwrap();
    let packets = sent(&mut dashboard);
    let [Packet::Publish(clear)] = packets.as_slice() else {
        panic!("{packets:?}");
    };
    assert_eq!(
        (clear.topic.as_str(), clear.payload.len(), clear.retain),
        ("cmnd/heater/POWER2", 0, true)
    );
    assert!(
        dashboard.devices()[0]
            .state()
            .ghost
            .as_ref()
            .unwrap()
            .cleared
    );
    assert_eq!(
        dashboard.clear_ghost(T0, DeviceId(0)),
        Err(CommandError::NoSuchDevice),
        "cleared twice"
    );
}

#[test]
fn a_hundred_rapid_clicks_send_at_most_the_limit_then_lock_until_unlocked() {
    let mut dashboard = dashboard(&["heater"]);
    connect(&mut dashboard, T0);
    dashboard.handle_bytes(T0, &from_broker("stat/heater/POWER", "OFF"));
    let mut sent_commands = 0;
    let mut on = false;
    for click in 0..100u64 {
        let now = T0 + click * 50;
        let command = if on {
            SwitchCommand::Off
        } else {
            SwitchCommand::On
        };
        if dashboard.request(now, DeviceId(0), 0, command).is_ok() {
            sent_commands += 1;
            on = !on;
            broker_answers(&mut dashboard, now);
            let word = if on { "ON" } else { "OFF" };
            dashboard.handle_bytes(now + 20, &from_broker("stat/heater/POWER", word));
        }
    }
    assert_eq!(sent_commands, 4);
    assert!(dashboard.devices()[0].state().locked);
    assert_eq!(
        dashboard.request(T0 + 3_600_000, DeviceId(0), 0, SwitchCommand::Toggle),
        Err(CommandError::Locked)
    );
    dashboard.unlock(T0 + 3_600_000, DeviceId(0));
    assert!(!dashboard.devices()[0].state().locked);
    assert_eq!(
        dashboard.request(T0 + 3_600_000, DeviceId(0), 0, SwitchCommand::Toggle),
        Ok(())
    );
}

#[test]
fn the_log_records_both_ways_and_a_raw_publish_is_retained_only_when_asked() {
    let mut dashboard = dashboard(&["plug"]);
    dashboard.set_logging(true);
    assert!(
        dashboard.publish_raw(T0, "x", b"1", false).is_err(),
        "sent while offline"
    );
    connect(&mut dashboard, T0);
    dashboard.handle_bytes(T0, &from_broker("stat/plug/POWER", "ON"));
    dashboard
        .publish_raw(T0, "cmnd/plug/Backlog", b"Power1 ON", false)
        .unwrap();
    assert!(dashboard
        .publish_raw(T0, "cmnd/+/POWER", b"ON", false)
        .unwrap_err()
        .contains("wildcards"));
    let packets = sent(&mut dashboard);
    let retains: Vec<bool> = packets
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) if p.topic == "cmnd/plug/Backlog" => Some(p.retain),
            _ => None,
        })
        .collect();
    assert_eq!(retains, [false]);
    let log: Vec<_> = dashboard
        .log()
        .unwrap()
        .entries()
        .map(|e| (e.direction, e.topic.clone()))
        .collect();
    assert!(log.contains(&(Direction::In, "stat/plug/POWER".into())));
    assert!(
        log.contains(&(Direction::Out, "cmnd/plug/STATE".into())),
        "device questions not logged"
    );
    assert!(log.contains(&(Direction::Out, "cmnd/plug/Backlog".into())));
    dashboard.set_logging(false);
    assert!(dashboard.log().is_none());
}

#[test]
fn usability_changes_are_counted_for_a_state_becoming_known_and_a_confirmation_but_not_a_value() {
    let mut dashboard = dashboard(&["a"]);
    connect(&mut dashboard, T0);
    let start = dashboard.usability_changes();
    dashboard.handle_bytes(T0, &from_broker("stat/a/POWER", "OFF"));
    assert_eq!(
        dashboard.usability_changes(),
        start + 1,
        "the state became known"
    );
    dashboard.handle_bytes(
        T0,
        &from_broker("tele/a/SENSOR", r#"{"ENERGY":{"Power":12}}"#),
    );
    dashboard.handle_bytes(T0, &from_broker("stat/a/POWER", "ON"));
    assert_eq!(
        dashboard.usability_changes(),
        start + 1,
        "values and a switch by the device are not"
    );
    dashboard
        .request(T0, DeviceId(0), 0, SwitchCommand::Off)
        .expect("sent");
    assert_eq!(
        dashboard.usability_changes(),
        start + 2,
        "a command pending"
    );
    dashboard.handle_bytes(T0, &from_broker("stat/a/POWER", "OFF"));
    assert_eq!(dashboard.usability_changes(), start + 3, "confirmed");
}

#[test]
fn opening_schedules_subscribes_to_the_clock_answer_asks_the_device_and_routes_its_reply() {
    use crate::schedule_book::WallClock;
    let mut dashboard = dashboard(&["plug"]);
    let first = connect(&mut dashboard, T0);
    let subscribed_at_connect = subscribed_filters(&first);
    assert!(!subscribed_at_connect.contains(&"stat/plug/STATUS7".to_string()));
    let wall = WallClock {
        unix_ms: 1_795_329_000_000,
        utc_offset_minutes: 60,
    };
    dashboard
        .open_schedules(T0, DeviceId(0), wall)
        .expect("a device");
    let packets = broker_answers(&mut dashboard, T0);
    let new_filters = subscribed_filters(&packets);
    assert_eq!(new_filters, ["stat/plug/STATUS7"]);
    let asked: Vec<(String, String)> = publishes(&packets)
        .into_iter()
        .map(|(t, p, _)| (t, p))
        .collect();
    assert_eq!(
        asked,
        [
            ("cmnd/plug/Timers".to_string(), String::new()),
            ("cmnd/plug/STATUS".to_string(), "7".to_string())
        ]
    );
    dashboard.handle_bytes(
        T0,
        &from_broker("stat/plug/STATUS7", r#"{"StatusTIM":{"UTC":"2026-11-22T06:30:00","Local":"2026-11-22T07:30:00","Timezone":"+01:00"}}"#),
    );
    let clock = dashboard.devices()[0]
        .state()
        .schedules
        .clock
        .clone()
        .expect("routed to the device");
    assert_eq!(
        (clock.local_time.as_deref(), clock.utc_offset_minutes),
        (Some("07:30"), Some(60))
    );
    // Opening again subscribes nothing twice.
    dashboard
        .open_schedules(T0, DeviceId(0), wall)
        .expect("a device");
    assert!(broker_answers(&mut dashboard, T0)
        .iter()
        .all(|p| !matches!(p, Packet::Subscribe(_))));
}

mod edits {
    //! Editing the device list on a running dashboard: no reconnect, every other device as it
    //! was (state, relay protection and lock, pending command), topics subscribed and
    //! unsubscribed by difference.
    use super::*;

    /// Every UNSUBSCRIBE's filters among `packets`.
    fn unsubscribed(packets: &[Packet]) -> Vec<String> {
        packets
            .iter()
            .filter_map(|p| match p {
                Packet::Unsubscribe(u) => Some(u.topics.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Locks device `id` (Tasmota topic `topic`) with a click storm; returns the time after.
    fn lock(dashboard: &mut Dashboard, id: DeviceId, topic: &str, start: Millis) -> Millis {
        let mut now = start;
        let mut on = false;
        for _ in 0..40 {
            now += 50;
            let command = if on {
                SwitchCommand::Off
            } else {
                SwitchCommand::On
            };
            if dashboard.request(now, id, 0, command).is_ok() {
                on = !on;
                broker_answers(dashboard, now);
                let word = if on { "ON" } else { "OFF" };
                dashboard.handle_bytes(now + 5, &from_broker(&format!("stat/{topic}/POWER"), word));
            }
        }
        assert!(dashboard.device(id).unwrap().state().locked, "not locked");
        now
    }

    #[test]
    fn a_lock_holds_and_nothing_reconnects_through_renames_adds_removes_moves_and_limit_edits() {
        let mut dashboard = dashboard(&["heater", "lamp", "fan"]);
        connect(&mut dashboard, T0);
        for topic in ["heater", "lamp", "fan"] {
            dashboard.handle_bytes(T0, &from_broker(&format!("stat/{topic}/POWER"), "OFF"));
        }
        let (heater, lamp, fan) = (DeviceId(0), DeviceId(1), DeviceId(2));
        let mut now = lock(&mut dashboard, heater, "heater", T0);
        commands(&mut dashboard);

        let mut renamed = dashboard.device(lamp).unwrap().config.clone();
        renamed.label = "Reading lamp".into();
        renamed.room = Some("Study".into());
        dashboard.update_device(now, lamp, renamed).unwrap();
        let added = dashboard.add_device(now, DeviceConfig::tasmota("kettle", ""));
        dashboard.remove_device(now, fan).unwrap();
        dashboard.move_device(heater, 5).unwrap();
        let mut limit = dashboard.device(heater).unwrap().config.clone();
        limit.options.limit = crate::relay_guard::RateLimit::parse("10/10").unwrap();
        dashboard.update_device(now, heater, limit).unwrap();
        now += 60_000;

        assert_eq!(
            commands(&mut dashboard),
            [],
            "an edit touched the connection"
        );
        assert_eq!(dashboard.link().phase, LinkPhase::Connected);
        assert_eq!(
            dashboard.request(now, heater, 0, SwitchCommand::Toggle),
            Err(CommandError::Locked),
            "an edit unlocked the relay"
        );
        let ids: Vec<DeviceId> = dashboard.devices().iter().map(|d| d.id).collect();
        assert_eq!(ids, [lamp, added, heater]);
        assert_eq!(dashboard.device(lamp).unwrap().config.label, "Reading lamp");
        assert!(
            dashboard.device(lamp).unwrap().state().is_operable(0),
            "the renamed device forgot its state"
        );
        assert!(dashboard.device(fan).is_none());
    }

    #[test]
    fn a_device_removed_and_added_back_keeps_its_relay_protection() {
        // Found by the simulation: removing a locked device and adding it back gave it a fresh
        // guard, and the next click storm reached the relay.
        let mut dashboard = dashboard(&["heater", "lamp"]);
        connect(&mut dashboard, T0);
        dashboard.handle_bytes(T0, &from_broker("stat/heater/POWER", "OFF"));
        let now = lock(&mut dashboard, DeviceId(0), "heater", T0);
        dashboard.remove_device(now, DeviceId(0)).unwrap();
        let back = dashboard.add_device(now + 1_000, DeviceConfig::tasmota("heater", ""));
        assert_ne!(back, DeviceId(0), "a new identity");
        assert!(
            dashboard.device(back).unwrap().state().locked,
            "unlocked by a re-add"
        );
        assert_eq!(
            dashboard.request(now + 2_000, back, 0, SwitchCommand::On),
            Err(CommandError::Locked)
        );
        // Another device at another address starts afresh.
        let kettle = dashboard.add_device(now + 2_000, DeviceConfig::tasmota("kettle", ""));
        assert!(!dashboard.device(kettle).unwrap().state().locked);
    }

    #[test]
    fn a_command_pending_on_one_device_is_confirmed_while_another_is_edited() {
        let mut dashboard = dashboard(&["heater", "lamp"]);
        connect(&mut dashboard, T0);
        dashboard.handle_bytes(T0, &from_broker("stat/heater/POWER", "OFF"));
        dashboard.handle_bytes(T0, &from_broker("stat/lamp/POWER", "OFF"));
        let (heater, lamp) = (DeviceId(0), DeviceId(1));
        dashboard
            .request(T0 + 10, heater, 0, SwitchCommand::On)
            .unwrap();
        broker_answers(&mut dashboard, T0 + 10);
        assert!(dashboard.device(heater).unwrap().state().channels[0]
            .pending
            .is_some());
        let mut renamed = dashboard.device(lamp).unwrap().config.clone();
        renamed.label = "Lamp".into();
        dashboard.update_device(T0 + 20, lamp, renamed).unwrap();
        dashboard.move_device(lamp, 0).unwrap();
        dashboard.add_device(T0 + 30, DeviceConfig::tasmota("kettle", ""));
        dashboard.handle_bytes(
            T0 + 40,
            &from_broker("stat/heater/RESULT", r#"{"POWER":"ON"}"#),
        );
        let channel = &dashboard.device(heater).unwrap().state().channels[0];
        assert_eq!((channel.power, channel.pending), (Some(true), None));
    }

    #[test]
    fn removing_a_device_unsubscribes_only_the_topics_no_one_else_needs() {
        let devices = vec![
            crate::config::parse_device_spec("jsonrelay:garage/board:GP1").unwrap(),
            crate::config::parse_device_spec("jsonrelay:garage/board:GP2").unwrap(),
            DeviceConfig::tasmota("plug", ""),
        ];
        let mut dashboard = Dashboard::new(SessionOptions::new("t"), devices, 1);
        connect(&mut dashboard, T0);
        let board_topics = dashboard.devices()[0].adapter.subscriptions();
        dashboard.remove_device(T0 + 1, DeviceId(0)).unwrap();
        assert_eq!(
            unsubscribed(&broker_answers(&mut dashboard, T0 + 1)),
            Vec::<String>::new(),
            "the other pin still listens on the board's topics"
        );
        dashboard.remove_device(T0 + 2, DeviceId(1)).unwrap();
        let mut gone = unsubscribed(&broker_answers(&mut dashboard, T0 + 2));
        gone.sort();
        let mut expected = board_topics;
        expected.sort();
        assert_eq!(gone, expected);
        // The plug still hears its reports.
        dashboard.handle_bytes(T0 + 3, &from_broker("stat/plug/POWER", "ON"));
        assert!(dashboard
            .device(DeviceId(2))
            .unwrap()
            .state()
            .is_operable(0));
        assert_eq!(commands(&mut dashboard), []);
    }

    #[test]
    fn a_new_address_moves_the_subscriptions_asks_the_new_device_and_keeps_the_lock() {
        let mut dashboard = dashboard(&["old_plug"]);
        connect(&mut dashboard, T0);
        dashboard.handle_bytes(T0, &from_broker("stat/old_plug/POWER", "OFF"));
        let id = DeviceId(0);
        let now = lock(&mut dashboard, id, "old_plug", T0);
        broker_answers(&mut dashboard, now);
        let mut moved = dashboard.device(id).unwrap().config.clone();
        moved.address = DeviceConfig::tasmota("new_plug", "").address;
        dashboard.update_device(now, id, moved).unwrap();
        let packets = broker_answers(&mut dashboard, now);
        assert!(unsubscribed(&packets).contains(&"stat/old_plug/POWER".to_string()));
        assert!(subscribed_filters(&packets).contains(&"stat/new_plug/POWER".to_string()));
        assert!(publishes(&packets)
            .iter()
            .any(|(topic, _, _)| topic == "cmnd/new_plug/STATE"));
        assert!(
            dashboard.device(id).unwrap().state().locked,
            "a new address unlocked it"
        );
        // Reports are routed by the new address only.
        dashboard.handle_bytes(now + 1, &from_broker("stat/old_plug/POWER", "ON"));
        assert!(!dashboard.device(id).unwrap().state().is_operable(0));
        dashboard.handle_bytes(now + 2, &from_broker("stat/new_plug/POWER", "ON"));
        assert_eq!(
            dashboard.device(id).unwrap().state().channels[0].power,
            Some(true)
        );
        assert_eq!(commands(&mut dashboard), []);
    }

    #[test]
    fn after_a_move_messages_and_timers_still_reach_the_right_device() {
        let mut dashboard = dashboard(&["a", "b", "c"]);
        connect(&mut dashboard, T0);
        dashboard.move_device(DeviceId(2), 0).unwrap();
        dashboard.move_device(DeviceId(0), 2).unwrap();
        dashboard.handle_bytes(T0 + 1, &from_broker("stat/a/POWER", "ON"));
        dashboard.handle_bytes(T0 + 1, &from_broker("stat/c/POWER", "OFF"));
        assert_eq!(
            dashboard.device(DeviceId(0)).unwrap().state().channels[0].power,
            Some(true)
        );
        assert_eq!(
            dashboard.device(DeviceId(2)).unwrap().state().channels[0].power,
            Some(false)
        );
        assert!(!dashboard
            .device(DeviceId(1))
            .unwrap()
            .state()
            .is_operable(0));
        // The deadline index was rebuilt with the list (poll_timeout checks it in debug).
        assert!(dashboard.poll_timeout().is_some());
        assert_eq!(
            dashboard.remove_device(T0, DeviceId(9)),
            Err(CommandError::NoSuchDevice)
        );
    }
}

#[test]
fn a_rooms_all_off_switches_off_what_the_devices_last_reported_on_in_that_room_only() {
    let mut configs: Vec<DeviceConfig> = ["hall_a", "hall_b", "hall_c", "kitchen"]
        .iter()
        .map(|t| DeviceConfig::tasmota(*t, ""))
        .collect();
    for config in &mut configs[..3] {
        config.room = Some("Hall".into());
    }
    configs[3].room = Some("Kitchen".into());
    let mut dashboard = Dashboard::new(SessionOptions::new("t"), configs, 1);
    connect(&mut dashboard, T0);
    dashboard.handle_bytes(T0, &from_broker("stat/hall_a/POWER", "ON"));
    dashboard.handle_bytes(T0, &from_broker("stat/hall_b/POWER", "OFF"));
    dashboard.handle_bytes(T0, &from_broker("stat/kitchen/POWER", "ON"));
    // hall_c has not reported: its state is unknown, nothing is sent to it.
    let result = dashboard.switch_off_room(T0 + 1, Some("Hall"));
    assert_eq!(
        result,
        RoomOff {
            sent: 1,
            refused: vec![]
        }
    );
    let packets = broker_answers(&mut dashboard, T0 + 1);
    assert_eq!(
        publishes(&packets),
        [("cmnd/hall_a/POWER".into(), "OFF".into(), false)]
    );
    // Just reported on (no frame drawn since): still found.
    dashboard.handle_bytes(T0 + 2, &from_broker("stat/hall_b/POWER", "ON"));
    dashboard.handle_bytes(T0 + 2, &from_broker("stat/hall_a/POWER", "OFF"));
    let again = dashboard.switch_off_room(T0 + 3, Some("Hall"));
    assert_eq!(again.sent, 1);
    assert_eq!(
        publishes(&broker_answers(&mut dashboard, T0 + 3)),
        [("cmnd/hall_b/POWER".into(), "OFF".into(), false)]
    );
    assert_eq!(
        dashboard.switch_off_room(T0 + 4, Some("Attic")),
        RoomOff::default()
    );
}

#[test]
fn a_device_revision_moves_when_it_is_touched_and_only_then() {
    let mut dashboard = dashboard(&["a", "b"]);
    connect(&mut dashboard, T0);
    let revisions =
        |d: &Dashboard| -> Vec<u64> { d.devices().iter().map(|x| x.revision()).collect() };
    let before = revisions(&dashboard);
    dashboard.handle_bytes(T0 + 1, &from_broker("stat/a/POWER", "ON"));
    let after = revisions(&dashboard);
    assert!(after[0] > before[0], "a report did not move the revision");
    assert_eq!(
        after[1], before[1],
        "another device's report moved b's revision"
    );
    // A timer before any device's deadline (an acknowledgement's wait, a ping) touches none.
    let earliest = dashboard
        .devices()
        .iter()
        .filter_map(|d| d.adapter.poll_timeout())
        .min()
        .expect("b is still being asked for its state");
    dashboard.handle_timeout(earliest - 1);
    assert_eq!(revisions(&dashboard), after);
    // A click and an unlock move only their device's revision.
    dashboard
        .request(T0 + 2, DeviceId(0), 0, SwitchCommand::Off)
        .unwrap();
    let clicked = revisions(&dashboard);
    assert!(clicked[0] > after[0]);
    assert_eq!(clicked[1], after[1]);
    dashboard.unlock(T0 + 3, DeviceId(1));
    assert!(revisions(&dashboard)[1] > after[1]);
}

#[test]
fn a_refused_click_that_locks_the_device_moves_its_revision() {
    let mut dashboard = dashboard(&["heater"]);
    connect(&mut dashboard, T0);
    dashboard.handle_bytes(T0, &from_broker("stat/heater/POWER", "OFF"));
    let mut on = false;
    let mut now = T0;
    while !dashboard.devices()[0].state().locked {
        now += 10;
        assert!(now < T0 + 10_000, "never locked");
        let command = if on {
            SwitchCommand::Off
        } else {
            SwitchCommand::On
        };
        let before = dashboard.devices()[0].revision();
        match dashboard.request(now, DeviceId(0), 0, command) {
            Ok(()) => {
                on = !on;
                broker_answers(&mut dashboard, now);
                let word = if on { "ON" } else { "OFF" };
                dashboard.handle_bytes(now + 1, &from_broker("stat/heater/POWER", word));
            }
            Err(_) => assert!(
                dashboard.devices()[0].revision() > before,
                "a refused click left the revision, so the page would not show a lock"
            ),
        }
    }
}

#[test]
fn in_a_kept_session_commands_go_at_most_once_so_a_reconnect_never_sends_one_again() {
    // Clean session off: a QoS 1 publish unacknowledged at a drop must be re-sent after the
    // reconnect [MQTT-4.4.0-1], by which time the user may have pressed the device's button.
    let mut options = SessionOptions::new("switchboard-test");
    options.clean_session = false;
    let mut dashboard = Dashboard::new(options, vec![DeviceConfig::tasmota("plug", "")], 1);
    let asked = connect(&mut dashboard, T0);
    assert!(
        asked.iter().any(|p| matches!(p, Packet::Publish(_))),
        "{asked:?}"
    );
    assert!(
        asked
            .iter()
            .all(|p| !matches!(p, Packet::Publish(p) if p.qos != mqttbytes::QoS::AtLeastOnce)),
        "questions still go at least once: {asked:?}"
    );
    dashboard.handle_bytes(T0, &from_broker("stat/plug/POWER", "OFF"));
    dashboard
        .request(T0 + 1, DeviceId(0), 0, SwitchCommand::On)
        .unwrap();
    let packets = sent(&mut dashboard);
    assert!(
        matches!(&packets[..], [Packet::Publish(p)] if p.qos == mqttbytes::QoS::AtMostOnce && p.topic == "cmnd/plug/POWER"),
        "{packets:?}"
    );
    // With a clean session (the default) and MQTT 3.1.1 too: a broker queues a QoS 1 command
    // for a device away with a kept session and delivers it when the device returns, long after
    // the page said "not confirmed"; brokers do not queue QoS 0 by default. (With MQTT 5 it
    // goes at least once with an expiry: `mqtt5_fallback`.)
    let mut dashboard = self::dashboard(&["plug"]);
    connect(&mut dashboard, T0);
    dashboard.handle_bytes(T0, &from_broker("stat/plug/POWER", "OFF"));
    dashboard
        .request(T0 + 1, DeviceId(0), 0, SwitchCommand::On)
        .unwrap();
    assert!(
        matches!(&sent(&mut dashboard)[..], [Packet::Publish(p)] if p.qos == mqttbytes::QoS::AtMostOnce)
    );
}

#[test]
fn a_resumed_sessions_backlog_is_shown_as_what_the_device_was_never_as_its_state_now() {
    // The broker kept "OFF" while the page was away; the device may have been switched since
    // (and may not answer at once): the switch shows the last known state, greyed, until the
    // device says it again.
    let mut options = SessionOptions::new("switchboard-test");
    options.clean_session = false;
    let mut dashboard = Dashboard::new(options, vec![DeviceConfig::tasmota("plug", "")], 1);
    dashboard.start();
    commands(&mut dashboard);
    dashboard.handle_transport_open(T0);
    sent(&mut dashboard);
    let mut bytes = encoded(|b| {
        ConnAck::new(ConnectReturnCode::Success, true)
            .write(b)
            .unwrap();
    });
    bytes.extend(from_broker("stat/plug/POWER", "OFF"));
    dashboard.handle_bytes(T0, &bytes);
    let channel = &dashboard.devices()[0].state().channels[0];
    assert_eq!(
        (channel.power, channel.power_is_current),
        (Some(false), false)
    );
    assert!(!dashboard.devices()[0].state().is_operable(0));
    // The broker answers this connection (its SUBACK), then the device its question.
    broker_answers(&mut dashboard, T0 + 5);
    dashboard.handle_bytes(T0 + 10, &from_broker("stat/plug/POWER", "ON"));
    let channel = &dashboard.devices()[0].state().channels[0];
    assert_eq!(
        (channel.power, channel.power_is_current),
        (Some(true), true)
    );
}
