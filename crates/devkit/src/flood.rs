//! A message flood for tests and benchmarks: one client publishing QoS 0 messages at a steady
//! rate, either on one topic (a chatty sensor, a `#` subscription on a busy broker) or as state
//! reports of many devices (`stat/bench_{n}/POWER`, every device in turn, `ON` and `OFF` by
//! round), so the final state of every device is known when it stops.

use std::time::{Duration, Instant};

use switchboard_core::session::{QoS, SessionEvent, SessionOptions};

use crate::mqtt_connection::MqttConnection;

/// Publishes `rate` messages per second on `topic` for `duration`; returns how many were sent.
pub fn run_flood(broker: &str, topic: &str, rate: u32, duration: Duration) -> Result<u64, String> {
    let mut sent = 0u64;
    publish_at_rate(broker, rate, duration, |over| {
        if over {
            return None;
        }
        let payload = format!(r#"{{"Time":"flood","Seq":{sent},"Wifi":{{"RSSI":70}}}}"#);
        sent += 1;
        Some((topic.to_string(), payload))
    })
}

/// What a state flood sent: messages, and full rounds (every device once per round).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateFlood {
    pub messages: u64,
    pub rounds: u64,
}

/// The payload of round `round`: even rounds `ON`, odd `OFF`.
pub fn round_payload(round: u64) -> &'static str {
    if round.is_multiple_of(2) {
        "ON"
    } else {
        "OFF"
    }
}

/// State reports of `devices` devices: `topic` with `{n}` replaced by the device number
/// (`0000`..), device after device, at `rate` messages a second for about `duration`, always
/// ending on a full round (at least one, even for a zero duration). Round `k` (counted from `first_round`) reports [`round_payload`].
pub fn run_state_flood(
    broker: &str,
    topic: &str,
    devices: u32,
    first_round: u64,
    rate: u32,
    duration: Duration,
) -> Result<StateFlood, String> {
    if devices == 0 || !topic.contains("{n}") {
        return Err("a state flood needs --devices N and a topic with {n} in it".into());
    }
    let devices = u64::from(devices);
    let mut index = 0u64;
    let messages = publish_at_rate(broker, rate, duration, |over| {
        if over && index > 0 && index.is_multiple_of(devices) {
            return None;
        }
        let device = index % devices;
        let round = first_round + index / devices;
        index += 1;
        Some((
            topic.replace("{n}", &format!("{device:04}")),
            round_payload(round).to_string(),
        ))
    })?;
    Ok(StateFlood {
        messages,
        rounds: messages / devices,
    })
}

/// Connects, then publishes what `next` gives at `rate` messages a second; once `duration` is
/// over, `next` is told so (`true`) and the flood ends when it returns `None`.
fn publish_at_rate(
    broker: &str,
    rate: u32,
    duration: Duration,
    mut next: impl FnMut(bool) -> Option<(String, String)>,
) -> Result<u64, String> {
    let mut connection = MqttConnection::open(
        broker,
        SessionOptions::new(format!("sim-flood-{}", std::process::id())),
    )
    .map_err(|e| format!("cannot reach the broker at {broker}: {e}"))?;
    let connected_by = Instant::now() + Duration::from_secs(5);
    loop {
        let events = connection
            .poll()
            .map_err(|e| format!("connection lost: {e}"))?;
        if events
            .iter()
            .any(|e| matches!(e, SessionEvent::Connected { .. }))
        {
            break;
        }
        if Instant::now() > connected_by {
            return Err("the broker did not accept the connection within 5 s".into());
        }
    }
    let started = Instant::now();
    let mut sent = 0u64;
    loop {
        let over = started.elapsed() >= duration;
        let due = (started.elapsed().as_secs_f64() * f64::from(rate)) as u64;
        while over || sent < due {
            let Some((topic, payload)) = next(over) else {
                connection.flush().map_err(|e| e.to_string())?;
                return Ok(sent);
            };
            let now = connection.now();
            connection
                .session()
                .publish(now, &topic, payload.as_bytes(), QoS::AtMostOnce, false)
                .map_err(|e| e.to_string())?;
            sent += 1;
        }
        connection.flush().map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::net::{SocketAddr, TcpListener};

    use super::*;
    use crate::broker::start_broker;

    fn free_address() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address")
    }

    #[test]
    fn a_state_flood_ends_on_a_full_round_so_every_device_ends_in_the_same_known_state() {
        let (tcp, ws) = (free_address(), free_address());
        start_broker(tcp, ws);
        let broker = tcp.to_string();
        let mut listener = (0..50)
            .find_map(|_| {
                std::thread::sleep(Duration::from_millis(100));
                MqttConnection::open(&broker, SessionOptions::new("flood-listener")).ok()
            })
            .expect("the embedded broker accepts connections");
        let mut subscribed = false;
        let deadline = Instant::now() + Duration::from_secs(5);
        while !subscribed && Instant::now() < deadline {
            for event in listener.poll().expect("the listener stays connected") {
                if matches!(event, SessionEvent::Connected { .. }) {
                    let now = listener.now();
                    listener
                        .session()
                        .subscribe(now, &["stat/+/POWER".to_string()])
                        .expect("subscribe");
                    listener.flush().expect("flush");
                    std::thread::sleep(Duration::from_millis(300));
                    subscribed = true;
                }
            }
        }
        assert!(subscribed, "the listener never connected");

        let flood = run_state_flood(
            &broker,
            "stat/bench_{n}/POWER",
            3,
            1,
            200,
            Duration::from_secs(1),
        )
        .expect("the flood runs");
        assert!(flood.messages >= 150, "{flood:?}");
        assert_eq!(
            flood.messages,
            flood.rounds * 3,
            "ended mid-round: {flood:?}"
        );

        let mut last: HashMap<String, (u64, String)> = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(3);
        while last.values().map(|(n, _)| n).sum::<u64>() < flood.messages
            && Instant::now() < deadline
        {
            for event in listener.poll().expect("the listener stays connected") {
                if let SessionEvent::Message(message) = event {
                    let entry = last.entry(message.topic).or_default();
                    entry.0 += 1;
                    entry.1 = String::from_utf8_lossy(&message.payload).into_owned();
                }
            }
        }
        let final_payload = round_payload(1 + flood.rounds - 1);
        for device in ["0000", "0001", "0002"] {
            let topic = format!("stat/bench_{device}/POWER");
            assert_eq!(
                last.get(&topic),
                Some(&(flood.rounds, final_payload.to_string())),
                "{topic}"
            );
        }
    }
}
