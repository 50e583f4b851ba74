//! The simulation's in-memory MQTT broker: 3.1.1 and 5 on the same listener, by the spec.
//!
//! - Each connection speaks the version its CONNECT asks for (protocol level 4 or 5).
//! - Retained messages [MQTT-3.3.1-5], wills published when a connection is lost without
//!   DISCONNECT [MQTT-3.1.2-8], a second client with the same id taking over [MQTT-3.1.4-2].
//! - Delivery at the lower of the publish's and the subscription's QoS [MQTT-3.8.4-6]: QoS 1
//!   messages carry a packet id and are kept until the client's PUBACK; a seed may deliver one
//!   twice, the second copy with DUP set (QoS 1 is "at least once" [MQTT-4.3.2]).
//! - Sessions: a client connecting without clean session (3.1.1), or with a session expiry
//!   (5), keeps its subscriptions and unacknowledged messages when it goes; messages for it
//!   are queued while it is away (at most [`QUEUE_LIMIT`]); on its return the CONNACK says
//!   session present and the unacknowledged messages are sent again with DUP set
//!   [MQTT-4.4.0-1], then the queue. A restart without persistence forgets sessions and
//!   retained messages.
//! - MQTT 5: the CONNACK announces [`V5Limits`] (Receive Maximum, Maximum Packet Size) and
//!   the broker never sends a client a packet larger than the client's own Maximum Packet
//!   Size [MQTT-3.1.2-25]. Whether the client keeps to the broker's limits is checked by the
//!   simulation's wire watch (`sim_wire.rs`).
//!
//! Pure: bytes in, bytes out (with the connection they go to), no clock.

use std::collections::{BTreeMap, VecDeque};

use bytes::BytesMut;
use mqttbytes::{v4, v5, QoS};

use switchboard_core::message_log::topic_matches;
use switchboard_core::time::Millis;

/// A connection's number in the simulated network.
pub type ConnId = u64;

/// Messages queued for an absent client with a kept session (Mosquitto's default is 1,000).
pub const QUEUE_LIMIT: usize = 100;

/// What the broker announces to MQTT 5 clients in its CONNACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V5Limits {
    /// QoS 1 publishes a client may have unacknowledged at once.
    pub receive_maximum: u16,
    /// The largest packet the broker accepts, in bytes.
    pub maximum_packet_size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V4,
    V5,
}

/// A message on its way to a subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Delivery {
    topic: String,
    payload: Vec<u8>,
    qos: QoS,
}

/// A message queued for a client that is away, and when it expires (an MQTT 5 publisher's
/// Message Expiry Interval [MQTT-3.3.2-5]).
#[derive(Debug, Clone)]
struct Queued {
    delivery: Delivery,
    expires_at: Option<Millis>,
}

/// What a client keeps across connections (when it asked to).
#[derive(Debug, Clone, Default)]
struct StoredSession {
    subscriptions: Vec<(String, QoS)>,
    unacked: BTreeMap<u16, Delivery>,
    queued: VecDeque<Queued>,
    next_pkid: u16,
}

/// The broker's side of one connection.
#[derive(Default)]
struct BrokerConn {
    buffer: BytesMut,
    version: Option<Version>,
    client_id: String,
    will: Option<(String, Vec<u8>, bool)>,
    connected: bool,
    /// The session outlives the connection.
    keeps_session: bool,
    /// The client's own Maximum Packet Size (MQTT 5).
    client_max_packet: Option<u32>,
    session: StoredSession,
    /// Set for the page's connection, to check what it publishes.
    is_page: bool,
}

/// A packet from a client, whatever its version.
enum FromClient {
    Connect {
        client_id: String,
        clean: bool,
        session_expiry: u32,
        will: Option<(String, Vec<u8>, bool)>,
        max_packet: Option<u32>,
        version: Version,
    },
    Publish {
        topic: String,
        payload: Vec<u8>,
        qos: QoS,
        pkid: u16,
        retain: bool,
        /// MQTT 5's Message Expiry Interval, in seconds.
        expiry: Option<u32>,
    },
    PubAck(u16),
    Subscribe {
        pkid: u16,
        filters: Vec<(String, QoS)>,
    },
    Unsubscribe {
        pkid: u16,
        topics: Vec<String>,
    },
    PingReq,
    Disconnect,
    Other,
}

/// An in-memory MQTT broker.
#[derive(Default)]
pub struct SimBroker {
    /// Accepting connections.
    pub up: bool,
    /// Retained messages and sessions survive a restart.
    pub persistent: bool,
    /// What MQTT 5 clients are told to keep to.
    pub v5_limits: Option<V5Limits>,
    retained: BTreeMap<String, Vec<u8>>,
    conns: BTreeMap<ConnId, BrokerConn>,
    /// Sessions kept for clients that are away, by client id.
    sessions: BTreeMap<String, StoredSession>,
    /// Problems found in what the page published (invariant: nothing retained).
    pub page_retained: Vec<String>,
    /// QoS 1 deliveries sent twice on purpose (the test says they happen).
    pub duplicated: u64,
    /// CONNACKs that said a session was present.
    pub sessions_resumed: u64,
    /// Set by the simulation before a delivery: send the next QoS 1 message twice.
    pub duplicate_next: bool,
    /// The simulated time, set by the simulation each step (for message expiry).
    pub now: Millis,
    /// Queued messages discarded on expiry (the test says it happens).
    pub expired: u64,
}

fn encode(write: impl FnOnce(&mut BytesMut) -> Result<usize, mqttbytes::Error>) -> Vec<u8> {
    let mut out = BytesMut::new();
    // Every packet written here is well formed by construction.
    let _ = write(&mut out);
    out.to_vec()
}

/// The protocol level of the CONNECT at the front of `buffer` (4 or 5), once its variable
/// header has arrived; anything else is read as 3.1.1 (and refused by the reader).
fn connect_level(buffer: &[u8]) -> Option<u8> {
    if buffer.first()? >> 4 != 1 {
        return Some(4);
    }
    // Remaining length: 1 to 4 bytes, each but the last with the top bit set.
    let mut last = 1;
    while buffer.get(last)? & 0x80 != 0 {
        last += 1;
        if last > 4 {
            return Some(4);
        }
    }
    // Then the protocol name (2-byte length + "MQTT") and the level.
    buffer.get(last + 7).copied()
}

fn read_packet(version: Version, buffer: &mut BytesMut) -> Result<Option<FromClient>, ()> {
    const MAX: usize = 10 * 1024 * 1024;
    let packet = match version {
        Version::V4 => match v4::read(buffer, MAX) {
            Ok(packet) => from_v4(packet),
            Err(mqttbytes::Error::InsufficientBytes(_)) => return Ok(None),
            Err(_) => return Err(()),
        },
        // mqttbytes 0.6 prints every MQTT 5 UNSUBSCRIBE it reads (a `dbg!` left in): read here.
        Version::V5 if buffer.first().is_some_and(|b| b >> 4 == 10) => {
            match read_v5_unsubscribe(buffer, MAX) {
                Ok(Some(packet)) => packet,
                Ok(None) => return Ok(None),
                Err(()) => return Err(()),
            }
        }
        Version::V5 => match v5::read(buffer, MAX) {
            Ok(packet) => from_v5(packet),
            Err(mqttbytes::Error::InsufficientBytes(_)) => return Ok(None),
            Err(_) => return Err(()),
        },
    };
    Ok(Some(packet))
}

/// An MQTT 5 UNSUBSCRIBE [MQTT-3.10]: packet id, properties (skipped), topic filters.
fn read_v5_unsubscribe(buffer: &mut BytesMut, max: usize) -> Result<Option<FromClient>, ()> {
    let header = match mqttbytes::check(buffer.iter(), max) {
        Ok(header) => header,
        Err(mqttbytes::Error::InsufficientBytes(_)) => return Ok(None),
        Err(_) => return Err(()),
    };
    let frame = buffer.split_to(header.frame_length());
    // The type byte, then the remaining length's bytes (the last one below 0x80).
    let mut start = 1;
    while frame.get(start).is_some_and(|b| b & 0x80 != 0) {
        start += 1;
    }
    let mut body = frame.get(start + 1..).ok_or(())?;
    let take = |body: &mut &[u8], n: usize| -> Result<Vec<u8>, ()> {
        if body.len() < n {
            return Err(());
        }
        let (head, rest) = body.split_at(n);
        *body = rest;
        Ok(head.to_vec())
    };
    let pkid = take(&mut body, 2).map(|b| u16::from_be_bytes([b[0], b[1]]))?;
    let (mut properties, mut shift) = (0usize, 0);
    loop {
        let byte = take(&mut body, 1)?[0];
        properties |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 || shift > 21 {
            break;
        }
    }
    take(&mut body, properties)?;
    let mut topics = Vec::new();
    while !body.is_empty() {
        let len = take(&mut body, 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))?;
        topics.push(String::from_utf8(take(&mut body, len)?).map_err(|_| ())?);
    }
    Ok(Some(FromClient::Unsubscribe { pkid, topics }))
}

fn from_v4(packet: v4::Packet) -> FromClient {
    match packet {
        v4::Packet::Connect(c) => FromClient::Connect {
            client_id: c.client_id,
            clean: c.clean_session,
            session_expiry: if c.clean_session { 0 } else { u32::MAX },
            will: c.last_will.map(|w| (w.topic, w.message.to_vec(), w.retain)),
            max_packet: None,
            version: Version::V4,
        },
        v4::Packet::Publish(p) => FromClient::Publish {
            topic: p.topic,
            payload: p.payload.to_vec(),
            qos: p.qos,
            pkid: p.pkid,
            retain: p.retain,
            expiry: None,
        },
        v4::Packet::PubAck(a) => FromClient::PubAck(a.pkid),
        v4::Packet::Subscribe(s) => FromClient::Subscribe {
            pkid: s.pkid,
            filters: s.filters.into_iter().map(|f| (f.path, f.qos)).collect(),
        },
        v4::Packet::Unsubscribe(u) => FromClient::Unsubscribe {
            pkid: u.pkid,
            topics: u.topics,
        },
        v4::Packet::PingReq => FromClient::PingReq,
        v4::Packet::Disconnect => FromClient::Disconnect,
        _ => FromClient::Other,
    }
}

fn from_v5(packet: v5::Packet) -> FromClient {
    match packet {
        v5::Packet::Connect(c) => FromClient::Connect {
            client_id: c.client_id,
            clean: c.clean_session,
            session_expiry: c
                .properties
                .as_ref()
                .and_then(|p| p.session_expiry_interval)
                .unwrap_or(0),
            will: c.last_will.map(|w| (w.topic, w.message.to_vec(), w.retain)),
            max_packet: c.properties.as_ref().and_then(|p| p.max_packet_size),
            version: Version::V5,
        },
        v5::Packet::Publish(p) => FromClient::Publish {
            topic: p.topic,
            payload: p.payload.to_vec(),
            qos: p.qos,
            pkid: p.pkid,
            retain: p.retain,
            expiry: p
                .properties
                .as_ref()
                .and_then(|p| p.message_expiry_interval),
        },
        v5::Packet::PubAck(a) => FromClient::PubAck(a.pkid),
        v5::Packet::Subscribe(s) => FromClient::Subscribe {
            pkid: s.pkid,
            filters: s.filters.into_iter().map(|f| (f.path, f.qos)).collect(),
        },
        v5::Packet::Unsubscribe(u) => FromClient::Unsubscribe {
            pkid: u.pkid,
            topics: u.filters,
        },
        v5::Packet::PingReq => FromClient::PingReq,
        v5::Packet::Disconnect(_) => FromClient::Disconnect,
        _ => FromClient::Other,
    }
}

fn min_qos(a: QoS, b: QoS) -> QoS {
    if a == QoS::AtMostOnce || b == QoS::AtMostOnce {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    }
}

impl SimBroker {
    /// A broker that is up; `persistent`: it keeps retained messages and sessions across
    /// restarts.
    pub fn new(persistent: bool, v5_limits: Option<V5Limits>) -> Self {
        Self {
            up: true,
            persistent,
            v5_limits,
            ..Self::default()
        }
    }

    /// A new connection `id` was accepted (`is_page`: the page's, whose publishes are checked).
    pub fn accept(&mut self, id: ConnId, is_page: bool) {
        self.conns.insert(
            id,
            BrokerConn {
                is_page,
                ..BrokerConn::default()
            },
        );
    }

    /// The broker stops (a kill: nobody's will goes out). Without persistence it forgets the
    /// retained messages and the sessions. The connections are closed by the caller.
    pub fn restart(&mut self) {
        self.up = false;
        for conn in self.conns.values_mut() {
            conn.will = None;
            // Without persistence the sessions of the clients connected at the time are gone
            // too (their connections are cut after this and must not store them).
            conn.keeps_session &= self.persistent;
        }
        if !self.persistent {
            self.retained.clear();
            self.sessions.clear();
        }
    }

    fn publish_bytes(
        version: Version,
        delivery: &Delivery,
        pkid: u16,
        dup: bool,
        retain: bool,
    ) -> Vec<u8> {
        match version {
            Version::V4 => {
                let mut p =
                    v4::Publish::new(&delivery.topic, delivery.qos, delivery.payload.clone());
                p.pkid = pkid;
                p.dup = dup;
                p.retain = retain;
                encode(|b| p.write(b))
            }
            Version::V5 => {
                let mut p =
                    v5::Publish::new(&delivery.topic, delivery.qos, delivery.payload.clone());
                p.pkid = pkid;
                p.dup = dup;
                p.retain = retain;
                encode(|b| p.write(b))
            }
        }
    }

    /// Sends `delivery` to connection `id` (a new packet id for QoS 1, kept until PUBACK).
    fn send(
        &mut self,
        id: ConnId,
        delivery: Delivery,
        retain: bool,
        out: &mut Vec<(ConnId, Vec<u8>)>,
    ) {
        let duplicate = std::mem::take(&mut self.duplicate_next);
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let version = conn.version.unwrap_or(Version::V4);
        let pkid = if delivery.qos == QoS::AtLeastOnce {
            conn.session.next_pkid = conn.session.next_pkid % u16::MAX + 1;
            conn.session.next_pkid
        } else {
            0
        };
        let bytes = Self::publish_bytes(version, &delivery, pkid, false, retain);
        // A packet larger than the client accepts is not sent to it [MQTT-3.1.2-25].
        if conn
            .client_max_packet
            .is_some_and(|max| bytes.len() > max as usize)
        {
            return;
        }
        if delivery.qos == QoS::AtLeastOnce {
            if duplicate {
                // Written twice in one go, the copy with DUP (a broker re-sending what it
                // thinks was lost): nothing can happen between them at the client.
                let mut twice = bytes;
                twice.extend(Self::publish_bytes(version, &delivery, pkid, true, retain));
                out.push((id, twice));
                self.duplicated += 1;
            } else {
                out.push((id, bytes));
            }
            conn.session.unacked.insert(pkid, delivery);
        } else {
            out.push((id, bytes));
        }
    }

    /// Bytes from connection `id`; returns what to send to whom, and connections to close.
    pub fn receive(&mut self, id: ConnId, bytes: &[u8]) -> (Vec<(ConnId, Vec<u8>)>, Vec<ConnId>) {
        let mut out = Vec::new();
        let mut close = Vec::new();
        let mut packets = Vec::new();
        {
            let Some(conn) = self.conns.get_mut(&id) else {
                return (out, close);
            };
            conn.buffer.extend_from_slice(bytes);
            loop {
                let version = match conn.version {
                    Some(version) => version,
                    None => match connect_level(&conn.buffer) {
                        Some(5) => Version::V5,
                        Some(_) => Version::V4,
                        None => break,
                    },
                };
                match read_packet(version, &mut conn.buffer) {
                    Ok(Some(packet)) => {
                        if conn.version.is_none() {
                            conn.version = Some(version);
                        }
                        packets.push(packet);
                    }
                    Ok(None) => break,
                    Err(()) => {
                        close.push(id);
                        break;
                    }
                }
            }
        }
        for packet in packets {
            self.handle(id, packet, &mut out, &mut close);
        }
        (out, close)
    }

    fn handle(
        &mut self,
        id: ConnId,
        packet: FromClient,
        out: &mut Vec<(ConnId, Vec<u8>)>,
        close: &mut Vec<ConnId>,
    ) {
        let version = self
            .conns
            .get(&id)
            .and_then(|c| c.version)
            .unwrap_or(Version::V4);
        match packet {
            FromClient::Connect {
                client_id,
                clean,
                session_expiry,
                will,
                max_packet,
                version,
            } => {
                // A second client with the same id takes over [MQTT-3.1.4-2].
                let taken: Vec<ConnId> = self
                    .conns
                    .iter()
                    .filter(|(other, c)| **other != id && c.connected && c.client_id == client_id)
                    .map(|(other, _)| *other)
                    .collect();
                for other in taken {
                    // Its session is stored now, so this connection can resume it.
                    self.store_session(other);
                    close.push(other);
                }
                let stored = self.sessions.remove(&client_id);
                let resumed = !clean && stored.is_some();
                let Some(conn) = self.conns.get_mut(&id) else {
                    return;
                };
                conn.client_id = client_id;
                conn.will = will;
                conn.connected = true;
                conn.keeps_session = session_expiry > 0 && !(version == Version::V4 && clean);
                conn.client_max_packet = max_packet;
                if resumed {
                    conn.session = stored.unwrap_or_default();
                    self.sessions_resumed += 1;
                }
                let connack = match version {
                    Version::V4 => encode(|b| {
                        v4::ConnAck::new(v4::ConnectReturnCode::Success, resumed).write(b)
                    }),
                    Version::V5 => {
                        let mut ack = v5::ConnAck::new(v5::ConnectReturnCode::Success, resumed);
                        if let Some(limits) = self.v5_limits {
                            let mut properties = v5::ConnAckProperties::new();
                            properties.receive_max = Some(limits.receive_maximum);
                            properties.max_packet_size = Some(limits.maximum_packet_size);
                            ack.properties = Some(properties);
                        }
                        encode(|b| ack.write(b))
                    }
                };
                out.push((id, connack));
                if resumed {
                    // Unacknowledged messages again, with DUP [MQTT-4.4.0-1], then the queue.
                    let (again, queued) = match self.conns.get_mut(&id) {
                        Some(conn) => (
                            conn.session.unacked.clone(),
                            std::mem::take(&mut conn.session.queued),
                        ),
                        None => return,
                    };
                    for (pkid, delivery) in again {
                        out.push((
                            id,
                            Self::publish_bytes(version, &delivery, pkid, true, false),
                        ));
                    }
                    let now = self.now;
                    for queued in queued {
                        // What expired while the client was away is discarded [MQTT-3.3.2-5].
                        if queued.expires_at.is_some_and(|at| at <= now) {
                            self.expired += 1;
                            continue;
                        }
                        self.send(id, queued.delivery, false, out);
                    }
                }
            }
            FromClient::Publish {
                topic,
                payload,
                qos,
                pkid,
                retain,
                expiry,
            } => {
                if self.conns.get(&id).is_some_and(|c| c.is_page) && retain && !payload.is_empty() {
                    self.page_retained.push(topic.clone());
                }
                if qos == QoS::AtLeastOnce {
                    let ack = match version {
                        Version::V4 => encode(|b| v4::PubAck::new(pkid).write(b)),
                        Version::V5 => encode(|b| v5::PubAck::new(pkid).write(b)),
                    };
                    out.push((id, ack));
                }
                if retain {
                    if payload.is_empty() {
                        self.retained.remove(&topic);
                    } else {
                        self.retained.insert(topic.clone(), payload.clone());
                    }
                }
                let expires_at = expiry.map(|secs| self.now + Millis::from(secs) * 1_000);
                self.deliver(&topic, &payload, qos, expires_at, out);
            }
            FromClient::PubAck(pkid) => {
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.session.unacked.remove(&pkid);
                }
            }
            FromClient::Subscribe { pkid, filters } => {
                let ack = match version {
                    Version::V4 => {
                        let codes = filters
                            .iter()
                            .map(|(_, qos)| {
                                v4::SubscribeReasonCode::Success(min_qos(*qos, QoS::AtLeastOnce))
                            })
                            .collect();
                        encode(|b| v4::SubAck::new(pkid, codes).write(b))
                    }
                    Version::V5 => {
                        let codes = filters
                            .iter()
                            .map(|(_, qos)| match min_qos(*qos, QoS::AtLeastOnce) {
                                QoS::AtMostOnce => v5::SubscribeReasonCode::QoS0,
                                _ => v5::SubscribeReasonCode::QoS1,
                            })
                            .collect();
                        encode(|b| v5::SubAck::new(pkid, codes).write(b))
                    }
                };
                out.push((id, ack));
                let retained: Vec<Delivery> = filters
                    .iter()
                    .flat_map(|(filter, qos)| {
                        self.retained
                            .iter()
                            .filter(|(topic, _)| topic_matches(filter, topic))
                            .map(|(topic, payload)| Delivery {
                                topic: topic.clone(),
                                payload: payload.clone(),
                                qos: min_qos(*qos, QoS::AtLeastOnce),
                            })
                            .collect::<Vec<_>>()
                    })
                    .collect();
                if let Some(conn) = self.conns.get_mut(&id) {
                    for (filter, qos) in filters {
                        conn.session.subscriptions.retain(|(f, _)| *f != filter);
                        conn.session.subscriptions.push((filter, qos));
                    }
                }
                for delivery in retained {
                    self.send(id, delivery, true, out);
                }
            }
            FromClient::Unsubscribe { pkid, topics } => {
                let count = topics.len();
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.session
                        .subscriptions
                        .retain(|(s, _)| !topics.contains(s));
                }
                let ack = match version {
                    Version::V4 => encode(|b| v4::UnsubAck::new(pkid).write(b)),
                    Version::V5 => {
                        let mut ack = v5::UnsubAck::new(pkid);
                        ack.reasons = vec![v5::UnsubAckReason::Success; count];
                        encode(|b| ack.write(b))
                    }
                };
                out.push((id, ack));
            }
            FromClient::PingReq => out.push((id, vec![0xD0, 0x00])),
            FromClient::Disconnect => {
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.will = None;
                }
                close.push(id);
            }
            FromClient::Other => {}
        }
    }

    /// Sends a message to every connected subscriber, and queues it for sessions kept for
    /// clients that are away.
    fn deliver(
        &mut self,
        topic: &str,
        payload: &[u8],
        qos: QoS,
        expires_at: Option<Millis>,
        out: &mut Vec<(ConnId, Vec<u8>)>,
    ) {
        let targets: Vec<(ConnId, QoS)> = self
            .conns
            .iter()
            .filter(|(_, c)| c.connected)
            .filter_map(|(id, c)| {
                c.session
                    .subscriptions
                    .iter()
                    .find(|(f, _)| topic_matches(f, topic))
                    .map(|(_, sub_qos)| (*id, min_qos(qos, *sub_qos)))
            })
            .collect();
        for (id, qos) in targets {
            let delivery = Delivery {
                topic: topic.to_string(),
                payload: payload.to_vec(),
                qos,
            };
            self.send(id, delivery, false, out);
        }
        for session in self.sessions.values_mut() {
            if let Some((_, sub_qos)) = session
                .subscriptions
                .iter()
                .find(|(f, _)| topic_matches(f, topic))
            {
                if min_qos(qos, *sub_qos) == QoS::AtLeastOnce && session.queued.len() < QUEUE_LIMIT
                {
                    session.queued.push_back(Queued {
                        delivery: Delivery {
                            topic: topic.to_string(),
                            payload: payload.to_vec(),
                            qos: QoS::AtLeastOnce,
                        },
                        expires_at,
                    });
                }
            }
        }
    }

    fn store_session(&mut self, id: ConnId) {
        if let Some(conn) = self.conns.get_mut(&id) {
            if conn.connected && conn.keeps_session {
                let session = std::mem::take(&mut conn.session);
                self.sessions.insert(conn.client_id.clone(), session);
            }
            conn.connected = false;
        }
    }

    /// Connection `id` is gone: its will is published if it went without DISCONNECT (the
    /// caller cleared the will for a DISCONNECT or a kill), and its session kept if it asked.
    pub fn drop_conn(&mut self, id: ConnId) -> Vec<(ConnId, Vec<u8>)> {
        let will = self
            .conns
            .get(&id)
            .filter(|c| c.connected)
            .and_then(|c| c.will.clone());
        self.store_session(id);
        self.conns.remove(&id);
        let mut out = Vec::new();
        if let Some((topic, payload, retain)) = will {
            if retain {
                self.retained.insert(topic.clone(), payload.clone());
            }
            self.deliver(&topic, &payload, QoS::AtMostOnce, None, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mqtt5_unsubscribe_is_read_with_its_properties_skipped() {
        let packet = v5::Unsubscribe {
            pkid: 7,
            filters: vec!["a/b".into(), "c/+".into()],
            properties: Some(v5::UnsubscribeProperties {
                user_properties: vec![("key".into(), "value".into())],
            }),
        };
        let mut bytes = BytesMut::new();
        packet.write(&mut bytes).expect("encodes");
        let whole = bytes.to_vec();
        let mut part = BytesMut::from(&whole[..whole.len() - 1]);
        assert!(matches!(read_v5_unsubscribe(&mut part, 1 << 20), Ok(None)));
        match read_packet(Version::V5, &mut bytes) {
            Ok(Some(FromClient::Unsubscribe { pkid, topics })) => {
                assert_eq!(
                    (pkid, topics),
                    (7, vec!["a/b".to_string(), "c/+".to_string()])
                );
            }
            _ => panic!("not read"),
        }
        assert!(bytes.is_empty(), "the packet was consumed");
    }

    fn properties(
        session_expiry_interval: Option<u32>,
        max_packet_size: Option<u32>,
    ) -> v5::ConnectProperties {
        v5::ConnectProperties {
            session_expiry_interval,
            receive_maximum: None,
            max_packet_size,
            topic_alias_max: None,
            request_response_info: None,
            request_problem_info: None,
            user_properties: Vec::new(),
            authentication_method: None,
            authentication_data: None,
        }
    }

    fn connect_v5(id: &str, clean: bool, expiry: Option<u32>) -> Vec<u8> {
        let mut connect = v5::Connect::new(id);
        connect.clean_session = clean;
        connect.properties = Some(properties(expiry, None));
        encode(|b| connect.write(b))
    }

    fn connect_v4(id: &str, clean: bool) -> Vec<u8> {
        let mut connect = v4::Connect::new(id);
        connect.clean_session = clean;
        encode(|b| connect.write(b))
    }

    fn subscribe_v4(filter: &str) -> Vec<u8> {
        encode(|b| v4::Subscribe::new(filter, QoS::AtLeastOnce).write(b))
    }

    fn publish_v4(topic: &str, payload: &str) -> Vec<u8> {
        let mut p = v4::Publish::new(topic, QoS::AtLeastOnce, payload.as_bytes().to_vec());
        p.pkid = 7;
        encode(|b| p.write(b))
    }

    fn packets_v4(bytes: &[u8]) -> Vec<v4::Packet> {
        let mut buffer = BytesMut::from(bytes);
        let mut packets = Vec::new();
        while let Ok(packet) = v4::read(&mut buffer, 1 << 20) {
            packets.push(packet);
        }
        packets
    }

    fn to(out: &[(ConnId, Vec<u8>)], id: ConnId) -> Vec<u8> {
        out.iter()
            .filter(|(to, _)| *to == id)
            .flat_map(|(_, b)| b.clone())
            .collect()
    }

    #[test]
    fn an_mqtt_5_client_is_told_the_limits_and_a_3_1_1_client_gets_a_3_1_1_connack() {
        let limits = V5Limits {
            receive_maximum: 2,
            maximum_packet_size: 300,
        };
        let mut broker = SimBroker::new(false, Some(limits));
        broker.accept(1, false);
        broker.accept(2, false);
        let (out, _) = broker.receive(1, &connect_v5("five", true, None));
        let mut buffer = BytesMut::from(&out[0].1[..]);
        let Ok(v5::Packet::ConnAck(ack)) = v5::read(&mut buffer, 1 << 20) else {
            panic!("no MQTT 5 CONNACK: {:?}", out);
        };
        let properties = ack.properties.expect("limits announced");
        assert_eq!(properties.receive_max, Some(2));
        assert_eq!(properties.max_packet_size, Some(300));
        let (out, _) = broker.receive(2, &connect_v4("four", true));
        assert!(matches!(packets_v4(&out[0].1)[0], v4::Packet::ConnAck(_)));
    }

    #[test]
    fn a_kept_session_gets_its_unacknowledged_messages_again_with_dup_then_what_was_queued() {
        let mut broker = SimBroker::new(false, None);
        broker.accept(1, false);
        broker.accept(2, false);
        broker.receive(1, &connect_v4("page", false));
        broker.receive(1, &subscribe_v4("stat/#"));
        broker.receive(2, &connect_v4("plug", true));
        // Delivered at QoS 1, never acknowledged; then the page goes.
        let (out, _) = broker.receive(2, &publish_v4("stat/a/POWER", "ON"));
        assert!(
            matches!(&packets_v4(&to(&out, 1))[..], [v4::Packet::Publish(p)] if p.qos == QoS::AtLeastOnce && !p.dup)
        );
        broker.drop_conn(1);
        broker.receive(2, &publish_v4("stat/a/POWER", "OFF"));
        broker.accept(3, false);
        let (out, _) = broker.receive(3, &connect_v4("page", false));
        let packets = packets_v4(&to(&out, 3));
        assert!(matches!(&packets[0], v4::Packet::ConnAck(a) if a.session_present));
        assert!(matches!(&packets[1], v4::Packet::Publish(p) if p.dup && &p.payload[..] == b"ON"));
        assert!(
            matches!(&packets[2], v4::Packet::Publish(p) if !p.dup && &p.payload[..] == b"OFF")
        );
        // A clean session forgets it all.
        broker.drop_conn(3);
        broker.accept(4, false);
        let (out, _) = broker.receive(4, &connect_v4("page", true));
        assert!(
            matches!(&packets_v4(&to(&out, 4))[..], [v4::Packet::ConnAck(a)] if !a.session_present)
        );
    }

    #[test]
    fn a_queued_message_past_its_expiry_is_discarded_not_delivered_late() {
        // [MQTT-3.3.2-5]: a board away with a kept session gets only what has not expired.
        let publish_v5 = |payload: &str, expiry: Option<u32>| {
            let mut publish = v5::Publish::new(
                "board/relays",
                QoS::AtLeastOnce,
                payload.as_bytes().to_vec(),
            );
            publish.pkid = 1;
            publish.properties = expiry.map(switchboard_core::codec::message_expiry);
            encode(|b| publish.write(b))
        };
        let mut broker = SimBroker::new(false, None);
        broker.accept(1, false);
        broker.receive(1, &connect_v4("board", false));
        broker.receive(1, &subscribe_v4("board/#"));
        broker.drop_conn(1);
        broker.accept(2, true);
        broker.receive(2, &connect_v5("page", true, None));
        broker.now = 10_000;
        broker.receive(2, &publish_v5("{\"GP16\":1}", Some(5)));
        broker.receive(2, &publish_v5("{\"GP17\":1}", None));
        broker.now = 16_000;
        broker.accept(3, false);
        let (out, _) = broker.receive(3, &connect_v4("board", false));
        let payloads: Vec<Vec<u8>> = packets_v4(&to(&out, 3))
            .into_iter()
            .filter_map(|p| match p {
                v4::Packet::Publish(p) => Some(p.payload.to_vec()),
                _ => None,
            })
            .collect();
        assert_eq!(payloads, [b"{\"GP17\":1}".to_vec()]);
        assert_eq!(broker.expired, 1);
    }

    #[test]
    fn an_mqtt_5_session_is_kept_only_with_an_expiry_and_lost_in_a_restart_without_persistence() {
        let mut broker = SimBroker::new(false, None);
        broker.accept(1, false);
        broker.receive(1, &connect_v5("page", false, None));
        broker.drop_conn(1);
        broker.accept(2, false);
        let (out, _) = broker.receive(2, &connect_v5("page", false, Some(60)));
        assert!(!out[0].1.is_empty() && broker.sessions_resumed == 0);
        broker.drop_conn(2);
        broker.accept(3, false);
        broker.receive(3, &connect_v5("page", false, Some(60)));
        assert_eq!(broker.sessions_resumed, 1);
        broker.drop_conn(3);
        broker.restart();
        broker.up = true;
        broker.accept(4, false);
        broker.receive(4, &connect_v5("page", false, Some(60)));
        assert_eq!(
            broker.sessions_resumed, 1,
            "a restart without persistence keeps no session"
        );
    }

    #[test]
    fn a_duplicate_is_the_same_message_with_dup_and_a_packet_too_large_for_the_client_is_not_sent()
    {
        let mut broker = SimBroker::new(false, None);
        broker.accept(1, false);
        broker.accept(2, false);
        let mut connect = v5::Connect::new("small");
        connect.properties = Some(properties(None, Some(64)));
        broker.receive(1, &encode(|b| connect.write(b)));
        broker.receive(
            1,
            &encode(|b| v5::Subscribe::new("t/#", QoS::AtLeastOnce).write(b)),
        );
        broker.receive(2, &connect_v4("plug", true));
        let (out, _) = broker.receive(2, &publish_v4("t/big", &"x".repeat(100)));
        assert!(
            to(&out, 1).is_empty(),
            "a 100-byte message went to a client that takes 64"
        );
        broker.duplicate_next = true;
        let (out, _) = broker.receive(2, &publish_v4("t/small", "1"));
        let mut buffer = BytesMut::from(&to(&out, 1)[..]);
        let (Ok(v5::Packet::Publish(first)), Ok(v5::Packet::Publish(second))) = (
            v5::read(&mut buffer, 1 << 20),
            v5::read(&mut buffer, 1 << 20),
        ) else {
            panic!("not delivered twice");
        };
        assert_eq!(
            (first.pkid, first.dup, second.dup),
            (second.pkid, false, true)
        );
        assert_eq!(broker.duplicated, 1);
    }
}
