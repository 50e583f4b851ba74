//! A long randomized run of the session against hostile brokers: no input may panic.
//!
//! `cargo run --release -p switchboard-core --example fuzz_session -- 10000000 [seed]`
//!
//! Each execution is a fresh session fed a random mix of valid broker packets (CONNACK with any
//! code, PUBLISH at any QoS with random topics and payloads, SUBACK, PUBACK, PINGRESP, PUBREL),
//! raw garbage and bit-flipped packets, split at random points, interleaved with user
//! publishes, subscribes, timer ticks, probes and transport closes and reopens. (cargo-fuzz
//! needs a nightly compiler, which this project's machines do not have; this runs on stable.)

use std::time::Instant;

use bytes::BytesMut;
use mqttbytes::v4::{
    ConnAck, ConnectReturnCode, PubAck, PubRel, Publish, SubAck, SubscribeReasonCode,
};
use mqttbytes::QoS;
use switchboard_core::backoff::Random;
use switchboard_core::codec::ProtocolVersion;
use switchboard_core::session::{Session, SessionOptions};

fn random_packet(random: &mut Random) -> Vec<u8> {
    let mut out = BytesMut::new();
    let qos = |r: &mut Random| match r.below(3) {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    };
    let pkid = (random.below(u16::MAX as u64) + 1) as u16;
    let _ = match random.below(8) {
        0 => {
            let code = match random.below(6) {
                0 => ConnectReturnCode::Success,
                1 => ConnectReturnCode::RefusedProtocolVersion,
                2 => ConnectReturnCode::BadClientId,
                3 => ConnectReturnCode::ServiceUnavailable,
                4 => ConnectReturnCode::BadUserNamePassword,
                _ => ConnectReturnCode::NotAuthorized,
            };
            ConnAck::new(code, random.below(2) == 0).write(&mut out)
        }
        1 | 2 => {
            let topic: String = (0..random.below(24))
                .map(|_| b"abc/+#$\0\xff"[random.below(9) as usize] as char)
                .collect();
            let payload: Vec<u8> = (0..random.below(64))
                .map(|_| random.next_u64() as u8)
                .collect();
            let mut publish = Publish::new(topic, qos(random), payload);
            publish.pkid = pkid;
            publish.retain = random.below(2) == 0;
            publish.write(&mut out)
        }
        3 => {
            let codes = (0..random.below(4) + 1)
                .map(|_| {
                    if random.below(4) == 0 {
                        SubscribeReasonCode::Failure
                    } else {
                        SubscribeReasonCode::Success(QoS::AtLeastOnce)
                    }
                })
                .collect();
            SubAck::new(pkid, codes).write(&mut out)
        }
        4 => PubAck::new(pkid).write(&mut out),
        5 => PubRel::new(pkid).write(&mut out),
        6 => {
            out.extend_from_slice(&[0xD0, 0x00]);
            Ok(2)
        }
        _ => {
            let garbage: Vec<u8> = (0..random.below(32))
                .map(|_| random.next_u64() as u8)
                .collect();
            out.extend_from_slice(&garbage);
            Ok(garbage.len())
        }
    };
    let mut bytes = out.to_vec();
    if !bytes.is_empty() && random.below(5) == 0 {
        let at = random.below(bytes.len() as u64) as usize;
        bytes[at] ^= 1 << random.below(8);
    }
    bytes
}

fn execute(random: &mut Random) {
    let mut options = SessionOptions::new("fuzz");
    options.clean_session = random.below(2) == 0;
    if random.below(2) == 0 {
        options.protocol = ProtocolVersion::V5;
    }
    options.keep_alive_secs = random.below(5) as u16;
    options.max_incoming_packet = 16 + random.below(256) as usize;
    let mut session = Session::new(options);
    let mut now = random.below(1_000_000);
    session.handle_transport_open(now);
    let mut stream = Vec::new();
    for _ in 0..random.below(6) + 1 {
        stream.extend(random_packet(random));
    }
    let mut offset = 0;
    while offset < stream.len() {
        let take = (random.below(40) as usize + 1).min(stream.len() - offset);
        session.handle_bytes(now, &stream[offset..offset + take]);
        offset += take;
        now += random.below(20_000);
        match random.below(8) {
            0 => session.handle_timeout(now),
            1 => {
                let _ = session.publish(now, "cmnd/x/POWER", b"ON", QoS::AtLeastOnce, false);
            }
            2 => {
                let _ = session.subscribe(now, &["stat/#".to_string()]);
            }
            3 => session.probe(now, 3_000),
            4 if random.below(4) == 0 => {
                session.handle_transport_closed();
                session.handle_transport_open(now);
            }
            _ => {}
        }
        while session.poll_transmit().is_some() {}
        while session.poll_event().is_some() {}
        let _ = session.poll_timeout();
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let executions: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0x5EED);
    let mut random = Random::new(seed);
    let started = Instant::now();
    for done in 1..=executions {
        execute(&mut random);
        if done % 1_000_000 == 0 {
            eprintln!(
                "{done} executions, {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "fuzz_session: {executions} executions without a panic in {seconds:.1} s ({:.0}/s), seed {seed}",
        executions as f64 / seconds
    );
}
