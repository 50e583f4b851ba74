//! What the page's connection carries, read packet by packet at the page's edge, checked
//! against what an MQTT 5 broker announced.
//!
//! The page must never send a packet larger than the broker's Maximum Packet Size
//! [MQTT-3.1.2-24] nor have more QoS 1 publishes unacknowledged than its Receive Maximum
//! [MQTT-4.9.0-2]. The watch frames both directions itself (fixed headers, a PUBLISH's QoS and
//! packet id, a PUBACK's packet id), so it relies on nothing the page says about itself; it
//! starts afresh with each connection (the Receive Maximum is per network connection).

use std::collections::BTreeSet;

use bytes::BytesMut;

use crate::sim_broker::V5Limits;

/// One direction of the page's connection, cut into whole packets.
#[derive(Default)]
struct Framer {
    buffer: BytesMut,
}

/// A packet as the watch reads it.
struct Frame {
    kind: u8,
    len: usize,
    /// A QoS 1 PUBLISH's or a PUBACK's packet id.
    qos1_id: Option<u16>,
    /// A CONNECT's protocol level (4: 3.1.1, 5: MQTT 5).
    level: Option<u8>,
}

impl Framer {
    fn frames(&mut self, bytes: &[u8]) -> Vec<Frame> {
        self.buffer.extend_from_slice(bytes);
        let mut frames = Vec::new();
        while let Ok(header) = mqttbytes::check(self.buffer.iter(), usize::MAX) {
            let frame = self.buffer.split_to(header.frame_length());
            let body = &frame[frame.len() - remaining_len(&frame)..];
            let kind = frame[0] >> 4;
            let id_at = |at: usize| {
                body.get(at..at + 2)
                    .map(|b| u16::from_be_bytes([b[0], b[1]]))
            };
            let qos1_id = match kind {
                // PUBLISH at QoS 1: the packet id follows the topic (2-byte length + topic).
                3 if (frame[0] >> 1) & 0b11 == 1 => {
                    id_at(0).and_then(|topic_len| id_at(2 + usize::from(topic_len)))
                }
                // PUBACK.
                4 => id_at(0),
                _ => None,
            };
            // CONNECT: protocol name (2-byte length + "MQTT"), then the level.
            let level = (kind == 1).then(|| body.get(6).copied()).flatten();
            frames.push(Frame {
                kind,
                len: frame.len(),
                qos1_id,
                level,
            });
        }
        frames
    }
}

/// The remaining length written in a packet's fixed header.
fn remaining_len(frame: &[u8]) -> usize {
    let mut value = 0usize;
    for (i, byte) in frame.iter().skip(1).take(4).enumerate() {
        value |= usize::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            break;
        }
    }
    value
}

/// The page's connection as the watch sees it.
#[derive(Default)]
pub struct WireWatch {
    /// What the broker announces to MQTT 5 clients.
    offered: Option<V5Limits>,
    /// What this connection must keep to: the offer, once the page's CONNECT says MQTT 5 (a
    /// page that fell back to 3.1.1 is told no limits).
    limits: Option<V5Limits>,
    sent: Framer,
    received: Framer,
    /// Packet ids of QoS 1 publishes sent and not yet acknowledged.
    in_flight: BTreeSet<u16>,
    /// The first limit broken, in words.
    pub broken: Option<String>,
    /// The most QoS 1 publishes in flight at once, over every connection.
    pub most_in_flight: usize,
    /// The largest packet the page sent, over every connection.
    pub largest_sent: usize,
}

impl WireWatch {
    /// A new connection; `limits` are what the broker announces to MQTT 5 clients, if any.
    pub fn connection(&mut self, limits: Option<V5Limits>) {
        self.offered = limits;
        self.limits = None;
        self.sent = Framer::default();
        self.received = Framer::default();
        self.in_flight.clear();
    }

    /// The page sent `bytes`.
    pub fn sent(&mut self, bytes: &[u8]) {
        for frame in self.sent.frames(bytes) {
            self.largest_sent = self.largest_sent.max(frame.len);
            if let Some(level) = frame.level {
                self.limits = self.offered.filter(|_| level == 5);
                self.in_flight.clear();
            }
            if frame.kind == 3 {
                if let Some(id) = frame.qos1_id {
                    self.in_flight.insert(id);
                    self.most_in_flight = self.most_in_flight.max(self.in_flight.len());
                }
            }
            let Some(limits) = self.limits else {
                continue;
            };
            if self.broken.is_some() {
                continue;
            }
            if frame.len > limits.maximum_packet_size as usize {
                self.broken = Some(format!(
                    "a {}-byte packet (type {}) over the broker's Maximum Packet Size {}",
                    frame.len, frame.kind, limits.maximum_packet_size
                ));
            } else if self.in_flight.len() > usize::from(limits.receive_maximum) {
                self.broken = Some(format!(
                    "{} QoS 1 publishes unacknowledged, over the broker's Receive Maximum {}",
                    self.in_flight.len(),
                    limits.receive_maximum
                ));
            }
        }
    }

    /// The page received `bytes`.
    pub fn received(&mut self, bytes: &[u8]) {
        for frame in self.received.frames(bytes) {
            if frame.kind == 4 {
                if let Some(id) = frame.qos1_id {
                    self.in_flight.remove(&id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqttbytes::{v5, QoS};

    fn publish(pkid: u16, payload: usize) -> Vec<u8> {
        let mut p = v5::Publish::new("cmnd/a/POWER", QoS::AtLeastOnce, vec![b'x'; payload]);
        p.pkid = pkid;
        let mut out = BytesMut::new();
        let _ = p.write(&mut out);
        out.to_vec()
    }

    fn puback(pkid: u16) -> Vec<u8> {
        let mut out = BytesMut::new();
        let _ = v5::PubAck::new(pkid).write(&mut out);
        out.to_vec()
    }

    fn connect(level5: bool) -> Vec<u8> {
        let mut out = BytesMut::new();
        if level5 {
            let _ = v5::Connect::new("page").write(&mut out);
        } else {
            let _ = mqttbytes::v4::Connect::new("page").write(&mut out);
        }
        out.to_vec()
    }

    const LIMITS: V5Limits = V5Limits {
        receive_maximum: 2,
        maximum_packet_size: 100,
    };

    #[test]
    fn a_third_unacknowledged_publish_breaks_a_receive_maximum_of_two() {
        let mut watch = WireWatch::default();
        watch.connection(Some(LIMITS));
        watch.sent(&connect(true));
        let mut both = publish(1, 2);
        both.extend(publish(2, 2));
        // Split anywhere: the watch frames the bytes itself.
        watch.sent(&both[..5]);
        watch.sent(&both[5..]);
        watch.received(&puback(1));
        watch.sent(&publish(3, 2));
        assert_eq!(watch.broken, None);
        watch.sent(&publish(4, 2));
        assert!(
            watch
                .broken
                .as_deref()
                .is_some_and(|b| b.contains("Receive Maximum 2")),
            "{:?}",
            watch.broken
        );
        assert_eq!(watch.most_in_flight, 3);
    }

    #[test]
    fn a_packet_over_the_maximum_packet_size_is_named_and_a_new_connection_starts_afresh() {
        let mut watch = WireWatch::default();
        watch.connection(Some(LIMITS));
        watch.sent(&connect(true));
        watch.sent(&publish(1, 2));
        watch.sent(&publish(2, 2));
        watch.connection(Some(LIMITS));
        watch.sent(&connect(true));
        watch.sent(&publish(1, 2));
        watch.sent(&publish(2, 2));
        assert_eq!(watch.broken, None, "in flight carried over a reconnect");
        watch.sent(&publish(3, 120));
        assert!(watch
            .broken
            .as_deref()
            .is_some_and(|b| b.contains("Maximum Packet Size 100")));
    }
}

#[cfg(test)]
mod fallback_tests {
    use super::*;
    use mqttbytes::{v4, v5, QoS};

    #[test]
    fn a_page_that_fell_back_to_3_1_1_is_held_to_no_mqtt_5_limit() {
        let mut watch = WireWatch::default();
        watch.connection(Some(V5Limits {
            receive_maximum: 1,
            maximum_packet_size: 10,
        }));
        let mut out = BytesMut::new();
        let _ = v4::Connect::new("page").write(&mut out);
        for pkid in 1..=3 {
            let mut p = v5::Publish::new("t", QoS::AtLeastOnce, vec![b'x'; 20]);
            p.pkid = pkid;
            let _ = p.write(&mut out);
        }
        watch.sent(&out);
        assert_eq!(watch.broken, None);
    }
}
