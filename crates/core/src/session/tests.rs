//! Session scenarios against a scripted broker and a manual clock.

use super::*;
use crate::backoff::Random;
use bytes::BytesMut;
use mqttbytes::v4::{
    self, ConnAck, ConnectReturnCode, Packet, PubAck, Publish, SubAck, SubscribeReasonCode,
};

const T0: Millis = 1_000_000;

fn encode(write: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
    let mut buffer = BytesMut::new();
    write(&mut buffer);
    buffer.to_vec()
}

fn connack(code: ConnectReturnCode) -> Vec<u8> {
    encode(|b| {
        ConnAck::new(code, false).write(b).unwrap();
    })
}

fn publish_from_broker(topic: &str, payload: &[u8], qos: QoS, pkid: u16, retain: bool) -> Vec<u8> {
    let mut publish = Publish::new(topic, qos, payload.to_vec());
    publish.pkid = pkid;
    publish.retain = retain;
    encode(|b| {
        publish.write(b).unwrap();
    })
}

/// Everything the client queued, decoded as the broker would.
fn sent_packets(session: &mut Session) -> Vec<Packet> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = session.poll_transmit() {
        bytes.extend_from_slice(&chunk);
    }
    let mut packets = Vec::new();
    while !bytes.is_empty() {
        packets.push(v4::read(&mut bytes, usize::MAX).expect("client sent a valid packet"));
    }
    packets
}

/// What the session reported, leaving out `Proven` (its own tests look at it).
fn events(session: &mut Session) -> Vec<SessionEvent> {
    std::iter::from_fn(|| session.poll_event())
        .filter(|event| *event != SessionEvent::Proven)
        .collect()
}

fn connected_session(options: SessionOptions) -> Session {
    let mut session = Session::new(options);
    session.handle_transport_open(T0);
    sent_packets(&mut session);
    session.handle_bytes(T0 + 5, &connack(ConnectReturnCode::Success));
    assert_eq!(
        events(&mut session),
        [SessionEvent::Connected {
            session_present: false
        }]
    );
    session
}

#[test]
fn connect_carries_client_id_keepalive_clean_session_credentials_and_will() {
    let mut options = SessionOptions::new("switchboard-1a2b");
    options.keep_alive_secs = 20;
    options.credentials = Some(Credentials {
        user: "alice".into(),
        password: "secret".into(),
    });
    options.will = Some(Will {
        topic: "tele/plug/LWT".into(),
        payload: b"Offline".to_vec(),
        retain: true,
    });
    let mut session = Session::new(options);
    session.handle_transport_open(T0);
    let packets = sent_packets(&mut session);
    let [Packet::Connect(connect)] = packets.as_slice() else {
        panic!("expected one CONNECT, got {packets:?}");
    };
    assert_eq!(connect.client_id, "switchboard-1a2b");
    assert_eq!(connect.keep_alive, 20);
    assert!(connect.clean_session);
    let login = connect.login.as_ref().unwrap();
    assert_eq!(
        (login.username.as_str(), login.password.as_str()),
        ("alice", "secret")
    );
    let will = connect.last_will.as_ref().unwrap();
    assert_eq!(will.topic, "tele/plug/LWT");
    assert_eq!(&will.message[..], b"Offline");
    assert!(will.retain);
}

#[test]
fn a_malformed_or_reserved_packet_closes_the_connection_and_says_why() {
    // Type 15 is reserved in 3.1.1; a SUBACK whose body is cut short is malformed.
    for bad in [vec![0xF0, 0x00], vec![0x90, 0x01, 0x00]] {
        let mut session = connected_session(SessionOptions::new("c"));
        let mut chunk = bad.clone();
        chunk.extend(publish_from_broker(
            "stat/p/POWER",
            b"ON",
            QoS::AtMostOnce,
            0,
            false,
        ));
        session.handle_bytes(T0 + 10, &chunk);
        let reported = events(&mut session);
        assert!(
            matches!(
                reported.as_slice(),
                [SessionEvent::Lost(LossReason::Protocol(_))]
            ),
            "{bad:?}: {reported:?}"
        );
        assert!(LossReason::Protocol("x".into())
            .explain()
            .contains("not valid MQTT"));
        assert!(!session.is_connected(), "{bad:?}");
    }
}

/// How many PINGREQs the session sent since last asked.
fn pings(session: &mut Session) -> usize {
    sent_packets(session)
        .into_iter()
        .filter(|p| matches!(p, Packet::PingReq))
        .count()
}

#[test]
fn a_large_packet_arriving_nudges_the_broker_every_few_milliseconds_until_it_is_whole() {
    let mut session = connected_session(SessionOptions::new("c"));
    sent_packets(&mut session);
    let big = publish_from_broker(
        "stat/p/RESULT",
        &vec![b'a'; 256 * 1024],
        QoS::AtMostOnce,
        0,
        false,
    );
    // A small first chunk: the length is known and most of it is missing: nudge at once.
    session.handle_bytes(T0 + 100, &big[..4_096]);
    assert_eq!(pings(&mut session), 1);
    assert_eq!(session.poll_timeout(), Some(T0 + 100 + NUDGE_EVERY_MS));
    // Chunks within the period do not nudge again; the timer does.
    session.handle_bytes(T0 + 102, &big[4_096..8_192]);
    assert_eq!(pings(&mut session), 0);
    session.handle_timeout(T0 + 105);
    assert_eq!(pings(&mut session), 1);
    // The rest arrives: whole, delivered, no more nudges, back to the keepalive timer.
    session.handle_bytes(T0 + 120, &big[8_192..]);
    assert!(matches!(events(&mut session).as_slice(),
        [SessionEvent::Message(m)] if m.payload.len() == 256 * 1024));
    assert_eq!(pings(&mut session), 0);
    assert!(session.poll_timeout().is_some_and(|at| at > T0 + 1_000));
    // A small message never nudges.
    let small = publish_from_broker("stat/p/POWER", b"ON", QoS::AtMostOnce, 0, false);
    session.handle_bytes(T0 + 200, &small[..3]);
    assert_eq!(pings(&mut session), 0);
}

#[test]
fn a_late_puback_nudges_a_silent_broker_for_a_while_and_an_answer_stops_it() {
    let mut session = connected_session(SessionOptions::new("c"));
    let id = session
        .publish(T0 + 10, "cmnd/p/POWER", b"ON", QoS::AtLeastOnce, false)
        .unwrap();
    sent_packets(&mut session);
    // Quiet for 100 ms with the PUBACK awaited: nudges every 5 ms.
    assert_eq!(session.poll_timeout(), Some(T0 + 10 + NUDGE_AFTER_QUIET_MS));
    let mut now = T0 + 10 + NUDGE_AFTER_QUIET_MS;
    let mut nudges = 0;
    while let Some(at) = session.poll_timeout().filter(|at| *at < T0 + 10_000) {
        now = at;
        session.handle_timeout(now);
        nudges += pings(&mut session);
    }
    // For at most NUDGE_AT_MOST_MS, every NUDGE_EVERY_MS.
    let expected = (NUDGE_AT_MOST_MS / NUDGE_EVERY_MS + 1) as usize;
    assert_eq!(nudges, expected, "nudged until {now}");
    // Still silent: something new awaited now is nudged for afresh.
    let second = session
        .publish(now + 1, "cmnd/q/POWER", b"ON", QoS::AtLeastOnce, false)
        .unwrap();
    sent_packets(&mut session);
    assert_eq!(session.poll_timeout(), Some(now + 1 + NUDGE_AFTER_QUIET_MS));
    session.handle_timeout(now + 1 + NUDGE_AFTER_QUIET_MS);
    assert_eq!(pings(&mut session), 1);
    let now = now + 1 + NUDGE_AFTER_QUIET_MS;
    // Something heard from the broker starts a new quiet spell; the PUBACK ends it.
    session.handle_bytes(
        now + 1,
        &publish_from_broker("x", b"1", QoS::AtMostOnce, 0, false),
    );
    assert_eq!(session.poll_timeout(), Some(now + 1 + NUDGE_AFTER_QUIET_MS));
    session.handle_bytes(
        now + 2,
        &encode(|b| {
            PubAck::new(id).write(b).unwrap();
            PubAck::new(second).write(b).unwrap();
        }),
    );
    assert!(session.poll_timeout().is_some_and(|at| at > now + 1_000));
}

#[test]
fn an_awaited_reply_to_a_qos0_publish_nudges_a_silent_broker_until_it_is_settled() {
    // A command at QoS 0 has no PUBACK; its device's answer is what the page waits for, and a
    // broker that writes only when woken must be woken for it just the same.
    let mut session = connected_session(SessionOptions::new("c"));
    session
        .publish(T0 + 10, "cmnd/p/POWER", b"ON", QoS::AtMostOnce, false)
        .unwrap();
    sent_packets(&mut session);
    assert!(
        session.poll_timeout().is_some_and(|at| at > T0 + 1_000),
        "nothing is awaited yet"
    );
    session.await_reply(T0 + 10);
    assert_eq!(session.poll_timeout(), Some(T0 + 10 + NUDGE_AFTER_QUIET_MS));
    session.handle_timeout(T0 + 10 + NUDGE_AFTER_QUIET_MS);
    assert_eq!(pings(&mut session), 1);
    // The device answered: no more nudges.
    session.handle_bytes(
        T0 + 120,
        &publish_from_broker("stat/p/POWER", b"ON", QoS::AtMostOnce, 0, false),
    );
    session.reply_settled();
    assert!(session.poll_timeout().is_some_and(|at| at > T0 + 1_000));
}

#[test]
fn a_client_that_keeps_sending_into_a_dead_link_still_notices_within_one_and_a_half_keepalives() {
    let mut options = SessionOptions::new("c");
    options.keep_alive_secs = 4;
    let mut session = connected_session(options);
    sent_packets(&mut session);
    // Something goes out every 2 s (a state question asked again), nothing comes back.
    let mut now = T0 + 5;
    let mut lost_at = None;
    let mut step = 0;
    let mut sent = 0;
    while now < T0 + 20_000 && lost_at.is_none() {
        now += 100;
        step += 1;
        if step % 20 == 0 {
            sent += 1;
            session
                .publish(now, "cmnd/plug/STATE", b"", QoS::AtMostOnce, false)
                .unwrap();
        }
        session.handle_timeout(now);
        sent_packets(&mut session);
        if events(&mut session)
            .iter()
            .any(|e| matches!(e, SessionEvent::Lost(LossReason::PingTimeout)))
        {
            lost_at = Some(now);
        }
    }
    assert!(sent >= 2, "the client did not keep sending");
    let lost_at = lost_at.expect("a dead link was never noticed while sending");
    assert!(
        lost_at <= T0 + 5 + 6_000 + 100,
        "noticed after {} ms",
        lost_at - T0
    );
}

#[test]
fn the_first_answer_after_connack_proves_the_connection_once() {
    let mut session = connected_session(SessionOptions::new("c"));
    let all =
        |session: &mut Session| std::iter::from_fn(|| session.poll_event()).collect::<Vec<_>>();
    session.handle_bytes(
        T0 + 1,
        &publish_from_broker("a", b"1", QoS::AtMostOnce, 0, false),
    );
    session.handle_bytes(
        T0 + 2,
        &publish_from_broker("b", b"2", QoS::AtMostOnce, 0, false),
    );
    let proven = all(&mut session)
        .into_iter()
        .filter(|e| *e == SessionEvent::Proven)
        .count();
    assert_eq!(proven, 1);
    // A new connection must prove itself again.
    session.handle_transport_closed();
    session.handle_transport_open(T0 + 100);
    session.handle_bytes(T0 + 101, &connack(ConnectReturnCode::Success));
    assert!(!all(&mut session).contains(&SessionEvent::Proven));
}

#[test]
fn an_accepting_connack_makes_the_session_connected() {
    let session = connected_session(SessionOptions::new("c"));
    assert!(session.is_connected());
}

#[test]
fn a_refusing_connack_reports_the_reason_and_does_not_connect() {
    let mut session = Session::new(SessionOptions::new("c"));
    session.handle_transport_open(T0);
    session.handle_bytes(T0, &connack(ConnectReturnCode::BadUserNamePassword));
    assert_eq!(
        events(&mut session),
        [SessionEvent::Refused(ConnectRefusal::v311(4))]
    );
    assert!(!session.is_connected());
    assert_eq!(session.poll_timeout(), None);
}

#[test]
fn no_connack_before_the_deadline_loses_the_connection() {
    let mut options = SessionOptions::new("c");
    options.connack_timeout = 3_000;
    let mut session = Session::new(options);
    session.handle_transport_open(T0);
    assert_eq!(session.poll_timeout(), Some(T0 + 3_000));
    session.handle_timeout(T0 + 2_999);
    assert!(events(&mut session).is_empty());
    session.handle_timeout(T0 + 3_000);
    assert_eq!(
        events(&mut session),
        [SessionEvent::Lost(LossReason::ConnackTimeout)]
    );
}

#[test]
fn a_first_packet_other_than_connack_is_a_protocol_error() {
    let mut session = Session::new(SessionOptions::new("c"));
    session.handle_transport_open(T0);
    session.handle_bytes(
        T0,
        &publish_from_broker("x", b"y", QoS::AtMostOnce, 0, false),
    );
    assert!(matches!(
        events(&mut session).as_slice(),
        [SessionEvent::Lost(LossReason::Protocol(_))]
    ));
    assert!(!session.is_connected());
}

#[test]
fn connack_and_publish_in_one_chunk_and_a_publish_split_in_two_all_arrive() {
    let mut session = Session::new(SessionOptions::new("c"));
    session.handle_transport_open(T0);
    let mut chunk = connack(ConnectReturnCode::Success);
    chunk.extend(publish_from_broker("a", b"1", QoS::AtMostOnce, 0, true));
    let split = publish_from_broker("b", b"22", QoS::AtMostOnce, 0, false);
    chunk.extend(&split[..3]);
    session.handle_bytes(T0, &chunk);
    session.handle_bytes(T0, &split[3..]);
    assert_eq!(
        events(&mut session),
        [
            SessionEvent::Connected {
                session_present: false
            },
            SessionEvent::Message(Message {
                topic: "a".into(),
                payload: b"1".to_vec(),
                retained: true,
                duplicate: false,
                backlog: false
            }),
            SessionEvent::Message(Message {
                topic: "b".into(),
                payload: b"22".to_vec(),
                retained: false,
                duplicate: false,
                backlog: false
            }),
        ]
    );
}

#[test]
fn a_receive_only_client_still_pings_one_keepalive_after_its_last_send() {
    let mut options = SessionOptions::new("c");
    options.keep_alive_secs = 10;
    let mut session = connected_session(options);
    // CONNECT was sent at T0. Messages keep arriving, but arrivals do not delay the ping.
    for second in 1..10 {
        let now = T0 + second * SECOND;
        session.handle_bytes(
            now,
            &publish_from_broker("t", b"v", QoS::AtMostOnce, 0, false),
        );
        session.handle_timeout(now);
        assert!(
            sent_packets(&mut session).is_empty(),
            "pinged early at {second} s"
        );
    }
    assert_eq!(session.poll_timeout(), Some(T0 + 10 * SECOND));
    session.handle_timeout(T0 + 10 * SECOND);
    assert_eq!(sent_packets(&mut session), [Packet::PingReq]);
}

#[test]
fn a_missing_pingresp_loses_the_connection_at_one_and_a_half_keepalives() {
    let mut options = SessionOptions::new("c");
    options.keep_alive_secs = 10;
    let mut session = connected_session(options);
    session.handle_timeout(T0 + 10 * SECOND);
    assert_eq!(sent_packets(&mut session), [Packet::PingReq]);
    // The silent broker is nudged for a while (its PINGRESP may wait behind a large message
    // a broker writes only when woken), then nothing until the deadline.
    let mut nudges = 0;
    while let Some(at) = session.poll_timeout().filter(|at| *at < T0 + 15 * SECOND) {
        session.handle_timeout(at);
        nudges += pings(&mut session);
    }
    assert_eq!(nudges, (NUDGE_AT_MOST_MS / NUDGE_EVERY_MS + 1) as usize);
    assert_eq!(session.poll_timeout(), Some(T0 + 15 * SECOND));
    session.handle_timeout(T0 + 15 * SECOND - 1);
    assert!(session.is_connected());
    events(&mut session);
    session.handle_timeout(T0 + 15 * SECOND);
    assert_eq!(
        events(&mut session),
        [SessionEvent::Lost(LossReason::PingTimeout)]
    );
    assert!(!session.is_connected());
}

#[test]
fn a_pingresp_keeps_the_connection_and_schedules_the_next_ping() {
    let mut options = SessionOptions::new("c");
    options.keep_alive_secs = 10;
    let mut session = connected_session(options);
    session.handle_timeout(T0 + 10 * SECOND);
    sent_packets(&mut session);
    session.handle_bytes(T0 + 10 * SECOND + 40, &[0xD0, 0x00]);
    session.handle_timeout(T0 + 16 * SECOND);
    assert!(session.is_connected());
    assert_eq!(session.poll_timeout(), Some(T0 + 20 * SECOND));
}

#[test]
fn an_incoming_qos1_publish_is_acknowledged_and_delivered() {
    let mut session = connected_session(SessionOptions::new("c"));
    session.handle_bytes(
        T0,
        &publish_from_broker("stat/p/POWER", b"ON", QoS::AtLeastOnce, 77, false),
    );
    assert_eq!(
        sent_packets(&mut session),
        [Packet::PubAck(PubAck::new(77))]
    );
    assert!(matches!(
        events(&mut session).as_slice(),
        [SessionEvent::Message(Message { topic, .. })] if topic == "stat/p/POWER"
    ));
}

#[test]
fn acknowledgements_alone_wait_a_few_milliseconds_for_company_but_nothing_else_does() {
    let mut session = connected_session(SessionOptions::new("c"));
    let now = T0 + 10;
    assert!(!session.transmit_due(now), "nothing queued");
    session.handle_bytes(
        now,
        &publish_from_broker("tele/a/LWT", b"Online", QoS::AtLeastOnce, 1, true),
    );
    session.handle_bytes(
        now + 1,
        &publish_from_broker("tele/b/LWT", b"Online", QoS::AtLeastOnce, 2, true),
    );
    assert!(!session.transmit_due(now + 1), "two PUBACKs wait");
    assert_eq!(
        session.poll_timeout(),
        Some(now + ACK_HOLD_MS),
        "the wait is a deadline"
    );
    assert!(session.transmit_due(now + ACK_HOLD_MS), "and not longer");

    // A command takes the waiting acknowledgements along at once.
    session
        .publish(now + 2, "cmnd/a/POWER", b"ON", QoS::AtLeastOnce, false)
        .unwrap();
    assert!(session.transmit_due(now + 2));
    let packets = sent_packets(&mut session);
    assert!(
        matches!(packets.as_slice(), [Packet::PubAck(a), Packet::PubAck(b), Packet::Publish(p)]
            if a.pkid == 1 && b.pkid == 2 && p.topic == "cmnd/a/POWER"),
        "{packets:?}"
    );
    assert!(!session.transmit_due(now + 100), "all sent");

    // A burst stops waiting at ACK_BATCH, well inside the broker's window of 20 in flight.
    for pkid in 1..=ACK_BATCH as u16 {
        assert!(
            !session.transmit_due(now + 3),
            "{pkid} PUBACKs queued so far"
        );
        session.handle_bytes(
            now + 3,
            &publish_from_broker("tele/a/LWT", b"Online", QoS::AtLeastOnce, pkid, true),
        );
    }
    assert!(session.transmit_due(now + 3));
    assert_eq!(sent_packets(&mut session).len(), ACK_BATCH);

    // A lone ping does not wait.
    session.probe(now + 4, 1_000);
    assert!(session.transmit_due(now + 4));
}

#[test]
fn what_is_left_after_a_partial_drain_is_judged_by_what_it_is() {
    let mut session = connected_session(SessionOptions::new("c"));
    let now = T0 + 10;
    session.handle_bytes(
        now,
        &publish_from_broker("tele/a/LWT", b"Online", QoS::AtLeastOnce, 1, true),
    );
    session
        .publish(now, "cmnd/a/POWER", b"ON", QoS::AtLeastOnce, false)
        .unwrap();
    session.poll_transmit().expect("the PUBACK");
    assert!(
        session.transmit_due(now),
        "a command left alone goes at once"
    );
    session.poll_transmit().expect("the command");
    assert!(!session.transmit_due(now + 100), "nothing left");
    assert_ne!(
        session.poll_timeout(),
        Some(now + ACK_HOLD_MS),
        "no acknowledgement deadline left"
    );
}

#[test]
fn a_qos1_publish_stays_in_flight_until_puback() {
    let mut session = connected_session(SessionOptions::new("c"));
    let id = session
        .publish(T0, "cmnd/p/POWER", b"ON", QoS::AtLeastOnce, false)
        .unwrap();
    let packets = sent_packets(&mut session);
    let [Packet::Publish(publish)] = packets.as_slice() else {
        panic!("expected one PUBLISH, got {packets:?}");
    };
    assert_eq!((publish.pkid, publish.retain), (id, false));
    assert_eq!(session.in_flight_count(), 1);
    session.handle_bytes(
        T0,
        &encode(|b| {
            PubAck::new(id).write(b).unwrap();
        }),
    );
    assert_eq!(
        events(&mut session),
        [SessionEvent::Delivered { packet_id: id }]
    );
    assert_eq!(session.in_flight_count(), 0);
}

#[test]
fn a_publish_in_flight_at_a_drop_is_reported_undelivered_not_kept_for_later() {
    let mut session = connected_session(SessionOptions::new("c"));
    let id = session
        .publish(T0, "cmnd/p/POWER", b"ON", QoS::AtLeastOnce, false)
        .unwrap();
    session.handle_transport_closed();
    assert_eq!(
        events(&mut session),
        [SessionEvent::Undelivered { packet_id: id }]
    );
    session.handle_transport_open(T0 + 5_000);
    session.handle_bytes(T0 + 5_000, &connack(ConnectReturnCode::Success));
    let resent = sent_packets(&mut session);
    assert!(
        resent.iter().all(|p| matches!(p, Packet::Connect(_))),
        "a stale command was re-sent: {resent:?}"
    );
}

#[test]
fn publishing_is_refused_while_not_connected_and_to_wildcard_topics() {
    let mut session = Session::new(SessionOptions::new("c"));
    assert_eq!(
        session.publish(T0, "a", b"", QoS::AtMostOnce, false),
        Err(SessionError::NotConnected)
    );
    let mut session = connected_session(SessionOptions::new("c"));
    assert!(matches!(
        session.publish(T0, "cmnd/+/POWER", b"", QoS::AtMostOnce, false),
        Err(SessionError::InvalidTopic(_))
    ));
    assert!(matches!(
        session.publish(T0, "", b"", QoS::AtMostOnce, false),
        Err(SessionError::InvalidTopic(_))
    ));
}

#[test]
fn a_refused_subscription_is_reported_by_filter() {
    let mut session = connected_session(SessionOptions::new("c"));
    let filters = vec!["stat/a/POWER".to_string(), "secret/#".to_string()];
    let id = session.subscribe(T0, &filters).unwrap();
    let packets = sent_packets(&mut session);
    let [Packet::Subscribe(subscribe)] = packets.as_slice() else {
        panic!("expected SUBSCRIBE, got {packets:?}");
    };
    assert_eq!(subscribe.filters.len(), 2);
    let suback = SubAck::new(
        id,
        vec![
            SubscribeReasonCode::Success(QoS::AtLeastOnce),
            SubscribeReasonCode::Failure,
        ],
    );
    session.handle_bytes(
        T0,
        &encode(|b| {
            suback.write(b).unwrap();
        }),
    );
    assert_eq!(
        events(&mut session),
        [SessionEvent::SubscriptionFailed {
            filter: "secret/#".into(),
            reason: "refused by the broker".into()
        }]
    );
}

#[test]
fn an_empty_list_of_filters_sends_no_subscribe_or_unsubscribe() {
    // Both packets must carry at least one filter [MQTT-3.8.3-3, MQTT-3.10.3-2]; a broker
    // answers an empty one with a protocol error.
    let mut session = connected_session(SessionOptions::new("c"));
    assert!(session.subscribe(T0 + 1, &[]).is_err());
    assert!(session.unsubscribe(T0 + 1, &[]).is_ok());
    assert_eq!(sent_packets(&mut session), []);
}

#[test]
fn packet_ids_skip_zero_and_ids_still_in_flight() {
    let mut session = connected_session(SessionOptions::new("c"));
    session.next_packet_id = u16::MAX;
    let a = session
        .publish(T0, "a", b"", QoS::AtLeastOnce, false)
        .unwrap();
    let b = session
        .publish(T0, "a", b"", QoS::AtLeastOnce, false)
        .unwrap();
    assert_eq!((a, b), (u16::MAX, 1));
}

#[test]
fn arbitrary_bytes_from_the_broker_never_panic() {
    let mut random = Random::new(7);
    for round in 0..3_000 {
        let mut session = Session::new(SessionOptions::new("c"));
        session.handle_transport_open(T0);
        if round % 2 == 0 {
            session.handle_bytes(T0, &connack(ConnectReturnCode::Success));
        }
        for _ in 0..4 {
            let len = random.below(64) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| random.next_u64() as u8).collect();
            if round % 3 == 0 && !bytes.is_empty() {
                bytes[0] = 0x30 | (bytes[0] & 0x0F); // look like a PUBLISH more often
            }
            session.handle_bytes(T0, &bytes);
            session.handle_timeout(T0 + 100_000);
            while session.poll_event().is_some() {}
            while session.poll_transmit().is_some() {}
        }
    }
}

fn connack_with_session(session_present: bool) -> Vec<u8> {
    encode(|b| {
        ConnAck::new(ConnectReturnCode::Success, session_present)
            .write(b)
            .unwrap();
    })
}

fn persistent_session_with_command_in_flight(sent_at: Millis) -> (Session, u16) {
    let mut options = SessionOptions::new("c");
    options.clean_session = false;
    let mut session = connected_session(options);
    let id = session
        .publish(sent_at, "cmnd/p/POWER", b"ON", QoS::AtLeastOnce, false)
        .unwrap();
    sent_packets(&mut session);
    session.handle_transport_closed();
    assert!(
        events(&mut session).is_empty(),
        "reported before the next CONNACK"
    );
    (session, id)
}

#[test]
fn a_resumed_session_resends_a_fresh_unacknowledged_publish_with_dup() {
    let (mut session, id) = persistent_session_with_command_in_flight(T0);
    session.handle_transport_open(T0 + 2_000);
    sent_packets(&mut session);
    session.handle_bytes(T0 + 2_000, &connack_with_session(true));
    let packets = sent_packets(&mut session);
    let [Packet::Publish(publish)] = packets.as_slice() else {
        panic!("expected the command re-sent, got {packets:?}");
    };
    assert_eq!((publish.pkid, publish.dup), (id, true));
    assert_eq!(session.in_flight_count(), 1);
}

#[test]
fn a_resumed_session_never_resends_a_stale_publish() {
    let (mut session, id) = persistent_session_with_command_in_flight(T0);
    let later = T0 + 5 * SECOND + 1;
    session.handle_transport_open(later);
    sent_packets(&mut session);
    session.handle_bytes(later, &connack_with_session(true));
    assert!(
        sent_packets(&mut session).is_empty(),
        "a stale command was re-sent"
    );
    assert_eq!(
        events(&mut session),
        [
            SessionEvent::Connected {
                session_present: true
            },
            SessionEvent::Undelivered { packet_id: id }
        ]
    );
}

#[test]
fn a_session_the_broker_did_not_keep_drops_what_was_in_flight() {
    let (mut session, id) = persistent_session_with_command_in_flight(T0);
    session.handle_transport_open(T0 + 100);
    sent_packets(&mut session);
    session.handle_bytes(T0 + 100, &connack_with_session(false));
    assert!(sent_packets(&mut session).is_empty());
    assert!(events(&mut session).contains(&SessionEvent::Undelivered { packet_id: id }));
}

#[test]
fn a_probe_pings_at_once_and_loses_the_link_if_nothing_answers_in_time() {
    let mut session = connected_session(SessionOptions::new("c"));
    session.probe(T0 + 1_000, 3_000);
    assert_eq!(sent_packets(&mut session), [Packet::PingReq]);
    // Nudges while the answer is late (see above), never past the deadline.
    while let Some(at) = session.poll_timeout().filter(|at| *at < T0 + 4_000) {
        session.handle_timeout(at);
        assert!(session.is_connected());
    }
    assert_eq!(session.poll_timeout(), Some(T0 + 4_000));
    session.handle_timeout(T0 + 4_000);
    assert_eq!(
        events(&mut session),
        [SessionEvent::Lost(LossReason::PingTimeout)]
    );
}

#[test]
fn a_probe_answered_keeps_the_link() {
    let mut session = connected_session(SessionOptions::new("c"));
    session.probe(T0 + 1_000, 3_000);
    sent_packets(&mut session);
    session.handle_bytes(T0 + 1_050, &[0xD0, 0x00]);
    session.handle_timeout(T0 + 4_000);
    assert!(session.is_connected());
}

mod mqtt5 {
    use super::*;
    use mqttbytes::v5;

    fn v5_session(options: impl FnOnce(&mut SessionOptions)) -> Session {
        let mut opts = SessionOptions::new("c5");
        opts.protocol = ProtocolVersion::V5;
        options(&mut opts);
        Session::new(opts)
    }

    fn v5_encode(write: impl FnOnce(&mut BytesMut) -> Result<usize, mqttbytes::Error>) -> Vec<u8> {
        let mut buffer = BytesMut::new();
        write(&mut buffer).unwrap();
        buffer.to_vec()
    }

    fn v5_sent(session: &mut Session) -> Vec<v5::Packet> {
        let mut bytes = BytesMut::new();
        while let Some(chunk) = session.poll_transmit() {
            bytes.extend_from_slice(&chunk);
        }
        let mut packets = Vec::new();
        while !bytes.is_empty() {
            packets.push(v5::read(&mut bytes, usize::MAX).expect("valid v5 packet"));
        }
        packets
    }

    fn v5_connected(options: impl FnOnce(&mut SessionOptions)) -> Session {
        let mut session = v5_session(options);
        session.handle_transport_open(T0);
        v5_sent(&mut session);
        session.handle_bytes(
            T0,
            &v5_encode(|b| v5::ConnAck::new(v5::ConnectReturnCode::Success, false).write(b)),
        );
        assert_eq!(
            events(&mut session),
            [SessionEvent::Connected {
                session_present: false
            }]
        );
        session
    }

    /// A v5 session accepted by a broker that announced `properties` in its CONNACK.
    fn v5_limited(
        options: impl FnOnce(&mut SessionOptions),
        properties: impl FnOnce(&mut v5::ConnAckProperties),
    ) -> Session {
        let mut session = v5_session(options);
        session.handle_transport_open(T0);
        v5_sent(&mut session);
        let mut connack = v5::ConnAck::new(v5::ConnectReturnCode::Success, false);
        let mut announced = v5::ConnAckProperties::new();
        properties(&mut announced);
        connack.properties = Some(announced);
        session.handle_bytes(T0, &v5_encode(|b| connack.write(b)));
        assert_eq!(
            events(&mut session),
            [SessionEvent::Connected {
                session_present: false
            }]
        );
        session
    }

    fn v5_puback(id: u16) -> Vec<u8> {
        v5_encode(|b| v5::PubAck::new(id).write(b))
    }

    /// The encoded size of each packet the client queued.
    fn sent_sizes(session: &mut Session) -> Vec<usize> {
        let mut sizes = Vec::new();
        while let Some(chunk) = session.poll_transmit() {
            let mut bytes = BytesMut::from(&chunk[..]);
            while !bytes.is_empty() {
                let before = bytes.len();
                v5::read(&mut bytes, usize::MAX).expect("valid v5 packet");
                sizes.push(before - bytes.len());
            }
        }
        sizes
    }

    #[test]
    fn subscriptions_are_split_to_fit_the_brokers_maximum_packet_size() {
        let mut session = v5_limited(|_| {}, |p| p.max_packet_size = Some(256));
        let filters: Vec<String> = (0..12)
            .map(|i| format!("homeassistant/switch/device_number_{i:02}/+/config"))
            .collect();
        session.subscribe(T0, &filters).unwrap();
        let mut bytes = BytesMut::new();
        let mut sizes = Vec::new();
        while let Some(chunk) = session.poll_transmit() {
            sizes.push(chunk.len());
            bytes.extend_from_slice(&chunk);
        }
        assert!(sizes.len() >= 3, "one packet would be too large: {sizes:?}");
        assert!(sizes.iter().all(|s| *s <= 256), "{sizes:?}");
        let mut subscribed = Vec::new();
        while !bytes.is_empty() {
            match v5::read(&mut bytes, usize::MAX).unwrap() {
                v5::Packet::Subscribe(s) => {
                    subscribed.extend(s.filters.into_iter().map(|f| f.path))
                }
                other => panic!("expected SUBSCRIBE, got {other:?}"),
            }
        }
        assert_eq!(subscribed, filters, "every filter once, in order");
        // The computed size is the encoded size.
        let payload: usize = filters[..3]
            .iter()
            .map(|f| codec::subscribe_entry_len(f))
            .sum();
        let encoded = codec::encode_subscribe(ProtocolVersion::V5, 9, &filters[..3]).unwrap();
        assert_eq!(
            codec::subscribe_packet_len(ProtocolVersion::V5, payload),
            encoded.len()
        );
    }

    #[test]
    fn a_filter_too_long_for_any_packet_is_reported_and_the_rest_subscribed() {
        let mut session = v5_limited(|_| {}, |p| p.max_packet_size = Some(64));
        let long = format!("tele/{}/STATE", "x".repeat(80));
        session
            .subscribe(T0, &[long.clone(), "stat/plug/POWER".into()])
            .unwrap();
        assert!(sent_sizes(&mut session).iter().all(|s| *s <= 64));
        let reported = events(&mut session);
        assert!(
            matches!(reported.as_slice(), [SessionEvent::SubscriptionFailed { filter, reason }]
                if *filter == long && reason.contains("64 bytes")),
            "{reported:?}"
        );
    }

    #[test]
    fn a_publish_larger_than_the_brokers_limit_is_refused_with_its_size() {
        let mut session = v5_limited(|_| {}, |p| p.max_packet_size = Some(256));
        let error = session
            .publish(
                T0,
                "cmnd/plug/Backlog",
                &[b'x'; 300],
                QoS::AtLeastOnce,
                false,
            )
            .unwrap_err();
        assert!(
            matches!(error, SessionError::TooLarge { limit: 256, .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("at most 256"), "{error}");
        assert!(sent_sizes(&mut session).is_empty(), "nothing may be sent");
        assert_eq!(session.in_flight_count(), 0);
        session
            .publish(T0, "cmnd/plug/POWER", b"ON", QoS::AtLeastOnce, false)
            .unwrap();
        assert_eq!(sent_sizes(&mut session).len(), 1);
    }

    #[test]
    fn qos1_publishes_beyond_the_receive_maximum_wait_for_a_puback_in_order() {
        let mut session = v5_limited(|_| {}, |p| p.receive_max = Some(2));
        let ids: Vec<u16> = (0..5)
            .map(|i| {
                session
                    .publish(
                        T0,
                        &format!("cmnd/p{i}/POWER"),
                        b"",
                        QoS::AtLeastOnce,
                        false,
                    )
                    .unwrap()
            })
            .collect();
        let topics = |session: &mut Session| -> Vec<String> {
            v5_sent(session)
                .into_iter()
                .filter_map(|p| match p {
                    v5::Packet::Publish(p) => Some(p.topic),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(topics(&mut session), ["cmnd/p0/POWER", "cmnd/p1/POWER"]);
        assert_eq!(session.unacknowledged_count(), 2);
        session.handle_bytes(T0 + 10, &v5_puback(ids[1]));
        assert_eq!(topics(&mut session), ["cmnd/p2/POWER"]);
        // A PUBACK for one still waiting is not an acknowledgement of anything sent.
        session.handle_bytes(T0 + 11, &v5_puback(ids[4]));
        assert!(topics(&mut session).is_empty());
        session.handle_bytes(T0 + 12, &v5_puback(ids[0]));
        session.handle_bytes(T0 + 13, &v5_puback(ids[2]));
        assert_eq!(topics(&mut session), ["cmnd/p3/POWER", "cmnd/p4/POWER"]);
        assert!(session.unacknowledged_count() <= 2);
        // Waiting ones are undelivered when the connection goes (clean session).
        session
            .publish(T0, "cmnd/p5/POWER", b"", QoS::AtLeastOnce, false)
            .unwrap();
        session.handle_transport_closed();
        let undelivered = events(&mut session)
            .into_iter()
            .filter(|e| matches!(e, SessionEvent::Undelivered { .. }))
            .count();
        assert_eq!(undelivered, 3);
    }

    #[test]
    fn a_publish_that_waited_past_the_resend_window_for_the_receive_maximum_is_never_sent() {
        // Found by the simulation: a phone asleep with its link stalled, the broker's PUBACK
        // came 39 s later, and the click waiting behind it was sent then, switching the relay.
        let mut session = v5_limited(|_| {}, |p| p.receive_max = Some(1));
        let first = session
            .publish(T0, "cmnd/a/POWER", b"ON", QoS::AtLeastOnce, false)
            .unwrap();
        let late = session
            .publish(T0 + 100, "cmnd/b/POWER", b"OFF", QoS::AtLeastOnce, false)
            .unwrap();
        let fresh_enough = T0 + 100 + session.options().resend_window;
        v5_sent(&mut session);
        events(&mut session);
        session.handle_bytes(fresh_enough + 1, &v5_puback(first));
        let publishes = v5_sent(&mut session)
            .into_iter()
            .filter(|p| matches!(p, v5::Packet::Publish(_)))
            .count();
        assert_eq!(publishes, 0, "a stale command went out");
        assert!(events(&mut session).contains(&SessionEvent::Undelivered { packet_id: late }));
        assert_eq!(session.unacknowledged_count(), 0);
        // Within the window it goes as before.
        let third = session
            .publish(
                fresh_enough + 2,
                "cmnd/a/POWER",
                b"ON",
                QoS::AtLeastOnce,
                false,
            )
            .unwrap();
        session
            .publish(
                fresh_enough + 3,
                "cmnd/b/POWER",
                b"ON",
                QoS::AtLeastOnce,
                false,
            )
            .unwrap();
        v5_sent(&mut session);
        session.handle_bytes(fresh_enough + 50, &v5_puback(third));
        assert!(v5_sent(&mut session)
            .iter()
            .any(|p| matches!(p, v5::Packet::Publish(p) if p.topic == "cmnd/b/POWER")));
    }

    #[test]
    fn a_command_waits_for_the_receive_maximum_ahead_of_questions_and_carries_its_expiry() {
        // Found by the simulation: with a Receive Maximum of 1, a click waited 1.6 s behind
        // eight state and schedule questions.
        let mut session = v5_limited(|_| {}, |p| p.receive_max = Some(1));
        let mut ids = Vec::new();
        for i in 0..3 {
            let topic = format!("cmnd/q{i}/STATE");
            ids.push(
                session
                    .publish(T0, &topic, b"", QoS::AtLeastOnce, false)
                    .unwrap(),
            );
        }
        let click = session
            .publish_command(T0 + 1, "cmnd/plug/POWER", b"ON", QoS::AtLeastOnce, Some(5))
            .unwrap();
        let second = session
            .publish_command(T0 + 2, "cmnd/fan/POWER", b"ON", QoS::AtLeastOnce, Some(5))
            .unwrap();
        let sent = |session: &mut Session| -> Vec<(String, Option<u32>)> {
            v5_sent(session)
                .into_iter()
                .filter_map(|p| match p {
                    v5::Packet::Publish(p) => Some((
                        p.topic,
                        p.properties.and_then(|p| p.message_expiry_interval),
                    )),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(sent(&mut session), [("cmnd/q0/STATE".to_string(), None)]);
        session.handle_bytes(T0 + 10, &v5_puback(ids[0]));
        assert_eq!(
            sent(&mut session),
            [("cmnd/plug/POWER".to_string(), Some(5))],
            "the click goes next, ahead of the questions"
        );
        session.handle_bytes(T0 + 20, &v5_puback(click));
        assert_eq!(
            sent(&mut session),
            [("cmnd/fan/POWER".to_string(), Some(5))]
        );
        session.handle_bytes(T0 + 30, &v5_puback(second));
        assert_eq!(sent(&mut session), [("cmnd/q1/STATE".to_string(), None)]);
    }

    #[test]
    fn a_question_never_waits_for_the_receive_maximum() {
        let mut session = v5_limited(|_| {}, |p| p.receive_max = Some(1));
        let first = session.publish_question(T0, "cmnd/a/STATE", b"").unwrap();
        let second = session.publish_question(T0, "cmnd/b/STATE", b"").unwrap();
        assert_ne!(first, 0, "the first at QoS 1, with room");
        assert_eq!(second, 0, "the second at QoS 0, sent at once");
        let topics: Vec<String> = v5_sent(&mut session)
            .into_iter()
            .filter_map(|p| match p {
                v5::Packet::Publish(p) => Some(p.topic),
                _ => None,
            })
            .collect();
        assert_eq!(topics, ["cmnd/a/STATE", "cmnd/b/STATE"]);
    }

    #[test]
    fn the_brokers_server_keep_alive_replaces_the_clients() {
        let mut session = v5_limited(
            |o| o.keep_alive_secs = 100,
            |p| p.server_keep_alive = Some(60),
        );
        assert_eq!(session.keep_alive_secs(), 60);
        session.handle_timeout(T0 + 59_999);
        assert!(v5_sent(&mut session).is_empty());
        session.handle_timeout(T0 + 60_000);
        assert!(matches!(
            v5_sent(&mut session).as_slice(),
            [v5::Packet::PingReq]
        ));
    }

    #[test]
    fn a_broker_taking_qos0_only_gets_qos0_and_one_without_retain_gets_no_retained_message() {
        let mut session = v5_limited(
            |_| {},
            |p| {
                p.max_qos = Some(0);
                p.retain_available = Some(0);
            },
        );
        let id = session
            .publish(T0, "cmnd/plug/POWER", b"ON", QoS::AtLeastOnce, false)
            .unwrap();
        assert_eq!(id, 0);
        assert!(matches!(v5_sent(&mut session).as_slice(),
            [v5::Packet::Publish(p)] if p.qos == QoS::AtMostOnce));
        assert_eq!(session.in_flight_count(), 0);
        assert_eq!(
            session.publish(T0, "cmnd/plug/POWER", b"", QoS::AtLeastOnce, true),
            Err(SessionError::RetainUnavailable)
        );
        assert!(v5_sent(&mut session).is_empty());
    }

    #[test]
    fn an_assigned_client_identifier_is_used_for_the_next_connection() {
        let mut session = v5_limited(
            |o| o.client_id = String::new(),
            |p| p.assigned_client_identifier = Some("auto-1234".into()),
        );
        session.handle_transport_closed();
        session.handle_transport_open(T0 + 1_000);
        assert!(matches!(v5_sent(&mut session).as_slice(),
            [v5::Packet::Connect(c)] if c.client_id == "auto-1234"));
    }

    #[test]
    fn a_topic_alias_the_client_never_allowed_is_a_protocol_error() {
        let mut session = v5_connected(|_| {});
        let mut publish = v5::Publish::new("", QoS::AtMostOnce, b"ON".to_vec());
        publish.properties = Some(v5::PublishProperties {
            payload_format_indicator: None,
            message_expiry_interval: None,
            topic_alias: Some(1),
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
            subscription_identifiers: Vec::new(),
            content_type: None,
        });
        session.handle_bytes(T0 + 1, &v5_encode(|b| publish.write(b)));
        assert!(matches!(events(&mut session).as_slice(),
            [SessionEvent::Lost(LossReason::Protocol(why))] if why.contains("topic alias")));
        assert!(!session.is_connected());
    }

    #[test]
    fn a_v5_connect_asks_for_a_session_expiry_only_when_persistent_and_states_its_packet_limit() {
        let mut session = v5_session(|o| {
            o.clean_session = false;
            o.session_expiry_secs = 600;
        });
        session.handle_transport_open(T0);
        let packets = v5_sent(&mut session);
        let [v5::Packet::Connect(connect)] = packets.as_slice() else {
            panic!("expected a v5 CONNECT, got {packets:?}");
        };
        assert!(!connect.clean_session);
        let properties = connect.properties.as_ref().unwrap();
        assert_eq!(properties.session_expiry_interval, Some(600));
        assert_eq!(properties.max_packet_size, Some(1024 * 1024));

        let mut clean = v5_session(|_| {});
        clean.handle_transport_open(T0);
        let packets = v5_sent(&mut clean);
        let [v5::Packet::Connect(connect)] = packets.as_slice() else {
            panic!("expected a v5 CONNECT");
        };
        assert_eq!(
            connect.properties.as_ref().unwrap().session_expiry_interval,
            None
        );
    }

    #[test]
    fn a_v5_refusal_reports_the_reason_code_and_string() {
        let mut session = v5_session(|_| {});
        session.handle_transport_open(T0);
        let mut connack = v5::ConnAck::new(v5::ConnectReturnCode::BadUserNamePassword, false);
        let mut properties = v5::ConnAckProperties::new();
        properties.reason_string = Some("unknown user alice".into());
        connack.properties = Some(properties);
        session.handle_bytes(T0, &v5_encode(|b| connack.write(b)));
        let refusal = ConnectRefusal::v5(0x86, Some("unknown user alice".into()));
        assert_eq!(
            events(&mut session),
            [SessionEvent::Refused(refusal.clone())]
        );
        assert!(refusal.explain().contains("unknown user alice"));
    }

    #[test]
    fn a_311_broker_refusing_a_v5_connect_is_recognised_as_unsupported_version() {
        let mut session = v5_session(|_| {});
        session.handle_transport_open(T0);
        session.handle_bytes(T0, &[0x20, 0x02, 0x00, 0x01]);
        let events = events(&mut session);
        let [SessionEvent::Refused(refusal)] = events.as_slice() else {
            panic!("expected a refusal, got {events:?}");
        };
        assert!(refusal.is_unsupported_version());
    }

    #[test]
    fn a_v5_puback_with_a_failure_reason_reports_the_publish_refused() {
        let mut session = v5_connected(|_| {});
        let id = session
            .publish(T0, "cmnd/p/POWER", b"ON", QoS::AtLeastOnce, false)
            .unwrap();
        v5_sent(&mut session);
        let mut puback = v5::PubAck::new(id);
        puback.reason = v5::PubAckReason::NotAuthorized;
        session.handle_bytes(T0, &v5_encode(|b| puback.write(b)));
        let events = events(&mut session);
        let [SessionEvent::PublishRefused { packet_id, reason }] = events.as_slice() else {
            panic!("expected PublishRefused, got {events:?}");
        };
        assert_eq!(*packet_id, id);
        assert!(reason.contains("not authorized"), "{reason}");
    }

    #[test]
    fn a_v5_server_disconnect_is_reported_in_words() {
        let mut session = v5_connected(|_| {});
        let mut disconnect = v5::Disconnect::new();
        disconnect.reason_code = v5::DisconnectReasonCode::SessionTakenOver;
        session.handle_bytes(T0, &v5_encode(|b| disconnect.write(b)));
        let events = events(&mut session);
        let [SessionEvent::Lost(LossReason::ServerDisconnect(reason))] = events.as_slice() else {
            panic!("expected a server disconnect, got {events:?}");
        };
        assert!(reason.contains("session taken over"), "{reason}");
        assert!(!session.is_connected());
    }

    #[test]
    fn v5_publishes_are_delivered_and_acknowledged_in_v5() {
        let mut session = v5_connected(|_| {});
        let mut publish = v5::Publish::new("stat/p/POWER", QoS::AtLeastOnce, b"ON".to_vec());
        publish.pkid = 9;
        session.handle_bytes(T0, &v5_encode(|b| publish.write(b)));
        assert!(matches!(
            events(&mut session).as_slice(),
            [SessionEvent::Message(Message { topic, .. })] if topic == "stat/p/POWER"
        ));
        assert_eq!(
            v5_sent(&mut session),
            [v5::Packet::PubAck(v5::PubAck::new(9))]
        );
    }

    #[test]
    fn v5_subscriptions_ask_the_broker_not_to_echo_the_pages_own_messages() {
        let mut session = v5_connected(|_| {});
        session
            .subscribe(
                T0,
                &["cmnd/plug/+".to_string(), "stat/plug/POWER".to_string()],
            )
            .unwrap();
        let sent = v5_sent(&mut session);
        let [v5::Packet::Subscribe(subscribe)] = sent.as_slice() else {
            panic!("expected one SUBSCRIBE, got {sent:?}");
        };
        let options: Vec<_> = subscribe
            .filters
            .iter()
            .map(|f| (f.path.as_str(), f.nolocal, f.qos))
            .collect();
        assert_eq!(
            options,
            [
                ("cmnd/plug/+", true, QoS::AtLeastOnce),
                ("stat/plug/POWER", true, QoS::AtLeastOnce)
            ]
        );
    }

    #[test]
    fn a_refused_v5_subscription_says_why() {
        let mut session = v5_connected(|_| {});
        let id = session.subscribe(T0, &["secret/#".to_string()]).unwrap();
        v5_sent(&mut session);
        let suback = v5::SubAck::new(id, vec![v5::SubscribeReasonCode::NotAuthorized]);
        session.handle_bytes(T0, &v5_encode(|b| suback.write(b)));
        let events = events(&mut session);
        let [SessionEvent::SubscriptionFailed { filter, reason }] = events.as_slice() else {
            panic!("expected a failed subscription, got {events:?}");
        };
        assert_eq!(filter, "secret/#");
        assert!(reason.contains("not authorized"), "{reason}");
    }
}

/// A session that sent CONNECT at `T0`, read the CONNACK at `connack_at` and published a QoS 1
/// command at `published_at` (everything sent so far drained).
fn publishing_after_a_connack_at(connack_at: Millis, published_at: Millis) -> Session {
    let mut session = Session::new(SessionOptions::new("c"));
    session.handle_transport_open(T0);
    sent_packets(&mut session);
    session.handle_bytes(connack_at, &connack(ConnectReturnCode::Success));
    events(&mut session);
    session
        .publish(published_at, "cmnd/p/POWER", b"ON", QoS::AtLeastOnce, false)
        .unwrap();
    sent_packets(&mut session);
    session
}

#[test]
fn on_a_slow_link_an_answer_is_late_only_after_three_of_its_round_trips() {
    // A phone on a 300 ms link: the CONNACK took 300 ms, so a PUBACK 150 ms away is merely on
    // its way, not held back by a slow broker: no ping storm for every click.
    let mut session = publishing_after_a_connack_at(T0 + 300, T0 + 400);
    assert_eq!(session.poll_timeout(), Some(T0 + 400 + 3 * 300));
    session.handle_timeout(T0 + 400 + NUDGE_AFTER_QUIET_MS);
    assert!(sent_packets(&mut session).is_empty());
    session.handle_timeout(T0 + 400 + 3 * 300);
    assert!(matches!(sent_packets(&mut session)[..], [Packet::PingReq]));
}

#[test]
fn a_connack_that_came_after_a_sleep_is_not_taken_for_the_links_round_trip() {
    // The CONNECT went out, the phone slept 10 s, the CONNACK was read on waking: the link's
    // round trip is not 10 s, and a late answer is still nudged within a few seconds.
    let session = publishing_after_a_connack_at(T0 + 10_000, T0 + 10_100);
    assert_eq!(
        session.poll_timeout(),
        Some(T0 + 10_100 + NUDGE_ROUND_TRIPS * ROUND_TRIP_AT_MOST_MS)
    );
}

#[test]
fn a_resumed_sessions_backlog_is_marked_until_the_broker_answers_this_connection() {
    // The broker sends what it kept for the client right after CONNACK; whatever answers a
    // packet of this connection (a SUBACK, a PINGRESP) comes after it.
    let mut options = SessionOptions::new("c");
    options.clean_session = false;
    let mut session = Session::new(options);
    session.handle_transport_open(T0);
    sent_packets(&mut session);
    let mut bytes = encode(|b| {
        ConnAck::new(ConnectReturnCode::Success, true)
            .write(b)
            .unwrap();
    });
    bytes.extend(publish_from_broker(
        "stat/p/POWER",
        b"OFF",
        QoS::AtLeastOnce,
        1,
        false,
    ));
    session.handle_bytes(T0 + 5, &bytes);
    session
        .subscribe(T0 + 5, &["stat/p/POWER".to_string()])
        .unwrap();
    let Some(Packet::Subscribe(subscribe)) = sent_packets(&mut session)
        .into_iter()
        .find(|p| matches!(p, Packet::Subscribe(_)))
    else {
        panic!("no SUBSCRIBE");
    };
    let mut bytes = encode(|b| {
        SubAck::new(
            subscribe.pkid,
            vec![SubscribeReasonCode::Success(QoS::AtLeastOnce)],
        )
        .write(b)
        .unwrap();
    });
    bytes.extend(publish_from_broker(
        "stat/p/POWER",
        b"ON",
        QoS::AtMostOnce,
        0,
        false,
    ));
    session.handle_bytes(T0 + 9, &bytes);
    let backlog: Vec<(Vec<u8>, bool)> = events(&mut session)
        .into_iter()
        .filter_map(|e| match e {
            SessionEvent::Message(m) => Some((m.payload, m.backlog)),
            _ => None,
        })
        .collect();
    assert_eq!(backlog, [(b"OFF".to_vec(), true), (b"ON".to_vec(), false)]);
}
