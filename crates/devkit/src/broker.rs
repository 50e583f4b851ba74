//! The embedded broker: rumqttd as a library, MQTT over TCP and over WebSocket on loopback.
//!
//! rumqttd's WebSocket listener speaks MQTT 3.1.1 only and answers the `mqtt` subprotocol,
//! which is what the page needs. It keeps retained messages and publishes wills.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::thread;

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

/// Starts the broker in background threads.
pub fn start_broker(tcp: SocketAddr, ws: SocketAddr) -> thread::JoinHandle<()> {
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: 1_000,
            max_outgoing_packet_count: 200,
            max_segment_size: 10 * 1024 * 1024,
            max_segment_count: 10,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(HashMap::from([("tcp".to_string(), server("tcp", tcp))])),
        v5: None,
        ws: Some(HashMap::from([("ws".to_string(), server("ws", ws))])),
        cluster: None,
        console: None,
        bridge: None,
        prometheus: None,
        metrics: None,
    };
    thread::spawn(move || {
        let mut broker = Broker::new(config);
        if let Err(error) = broker.start() {
            eprintln!("embedded broker stopped: {error}");
        }
    })
}

fn server(name: &str, listen: SocketAddr) -> ServerSettings {
    ServerSettings {
        name: name.to_string(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: 1024 * 1024,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    }
}
