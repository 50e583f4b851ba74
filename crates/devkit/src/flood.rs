//! A message flood for tests: one client publishing QoS 0 messages on a topic at a steady rate,
//! like a chatty sensor or a `#` subscription on a busy broker.

use std::time::{Duration, Instant};

use switchboard_core::session::{QoS, SessionEvent, SessionOptions};

use crate::mqtt_connection::MqttConnection;

/// Publishes `rate` messages per second on `topic` for `duration`; returns how many were sent.
pub fn run_flood(broker: &str, topic: &str, rate: u32, duration: Duration) -> Result<u64, String> {
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
    while started.elapsed() < duration {
        let due = (started.elapsed().as_secs_f64() * f64::from(rate)) as u64;
        while sent < due {
            let payload = format!(r#"{{"Time":"flood","Seq":{sent},"Wifi":{{"RSSI":70}}}}"#);
            let now = connection.now();
            connection
                .session()
                .publish(now, topic, payload.as_bytes(), QoS::AtMostOnce, false)
                .map_err(|e| e.to_string())?;
            sent += 1;
        }
        connection.flush().map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(sent)
}
