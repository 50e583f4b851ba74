//! What the broker's CONNACK says the client must stay within (MQTT 5 section 3.2.2.3).
//!
//! An MQTT 3.1.1 broker announces nothing, so its limits are the protocol's own defaults.
//! The session reads these once per connection and keeps to them:
//! - Maximum Packet Size: nothing larger is sent [MQTT-3.2.2-15] (SUBSCRIBEs are split, a
//!   larger PUBLISH is refused with a sentence).
//! - Receive Maximum: never more unacknowledged QoS 1 PUBLISHes than this [MQTT-3.3.4-7];
//!   the rest wait their turn in order.
//! - Server Keep Alive: replaces the keepalive the client asked for [MQTT-3.2.2-21].
//! - Maximum QoS: publishes go at QoS 0 when the broker takes no more [MQTT-3.2.2-11].
//! - Retain Available: no retained PUBLISH when the broker has none [MQTT-3.2.2-14].
//! - Topic Alias Maximum: this client never sends topic aliases, so any value is kept.
//! - Assigned Client Identifier: used for the next connections of a persistent session.

/// The limits of one accepted connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// The largest whole packet (fixed header included) the broker accepts, if it said.
    pub max_packet_size: Option<u32>,
    /// How many QoS 1 publishes may await PUBACK at once.
    pub receive_maximum: u16,
    /// The keepalive the broker wants instead of the client's, if it said.
    pub server_keep_alive: Option<u16>,
    /// The highest QoS the broker accepts in a PUBLISH (0, 1 or 2).
    pub maximum_qos: u8,
    /// Whether the broker keeps retained messages.
    pub retain_available: bool,
    /// How many topic aliases the broker accepts (this client sends none).
    pub topic_alias_maximum: u16,
    /// The client id the broker gave this client, if it gave one.
    pub assigned_client_id: Option<String>,
}

impl Default for ServerLimits {
    /// What a broker that announced nothing allows (every MQTT 3.1.1 broker).
    fn default() -> Self {
        Self {
            max_packet_size: None,
            receive_maximum: u16::MAX,
            server_keep_alive: None,
            maximum_qos: 2,
            retain_available: true,
            topic_alias_maximum: 0,
            assigned_client_id: None,
        }
    }
}

impl ServerLimits {
    /// True when a packet of `size` bytes may be sent.
    pub fn allows_packet(&self, size: usize) -> bool {
        self.max_packet_size
            .is_none_or(|max| u32::try_from(size).is_ok_and(|size| size <= max))
    }

    /// A short account of the limits a broker set, for the connection details ("" if none).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(max) = self.max_packet_size {
            parts.push(crate::say!("packets up to {} bytes", max));
        }
        if self.receive_maximum != u16::MAX {
            parts.push(crate::say!(
                "{} messages in flight at once",
                self.receive_maximum
            ));
        }
        if let Some(secs) = self.server_keep_alive {
            parts.push(crate::say!("keepalive {} s", secs));
        }
        if self.maximum_qos == 0 {
            parts.push(crate::say!("QoS 0 only"));
        }
        if !self.retain_available {
            parts.push(crate::say!("no retained messages"));
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broker_that_said_nothing_limits_nothing() {
        let limits = ServerLimits::default();
        assert!(limits.allows_packet(usize::MAX));
        assert_eq!(limits.describe(), "");
    }

    #[test]
    fn the_packet_size_limit_includes_the_packet_itself() {
        let limits = ServerLimits {
            max_packet_size: Some(256),
            ..ServerLimits::default()
        };
        assert!(limits.allows_packet(256));
        assert!(!limits.allows_packet(257));
    }

    #[test]
    fn the_limits_a_broker_set_are_described() {
        let limits = ServerLimits {
            max_packet_size: Some(256),
            receive_maximum: 2,
            server_keep_alive: Some(60),
            ..ServerLimits::default()
        };
        assert_eq!(
            limits.describe(),
            "packets up to 256 bytes, 2 messages in flight at once, keepalive 60 s"
        );
    }
}
