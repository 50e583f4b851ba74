//! Encoding and decoding of MQTT packets for both protocol versions the session speaks,
//! MQTT 3.1.1 (mqttbytes `v4`) and MQTT 5 (mqttbytes `v5`), behind one small vocabulary.
//!
//! The session only needs what a client receives ([`Incoming`]) and a few packets it sends.
//! Decoding works on one whole frame (the packet reader does the framing). A 3.1.1 broker
//! answers an MQTT 5 CONNECT with a 3.1.1 CONNACK refusing the version: that is recognised, so
//! the caller can fall back.

use bytes::{Bytes, BytesMut};
use mqttbytes::{v4, v5, FixedHeader, PacketType, QoS};

use crate::connect_refusal::ConnectRefusal;
use crate::reason_code;
use crate::server_limits::ServerLimits;
use crate::session::SessionOptions;

/// The MQTT protocol version of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolVersion {
    /// MQTT 3.1.1 (protocol level 4).
    #[default]
    V311,
    /// MQTT 5.0 (protocol level 5).
    V5,
}

impl ProtocolVersion {
    /// How the version is named to users.
    pub fn label(self) -> &'static str {
        match self {
            Self::V311 => "MQTT 3.1.1",
            Self::V5 => "MQTT 5",
        }
    }
}

/// A packet a client can receive, whatever the protocol version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// CONNACK.
    ConnAck {
        /// The broker resumed a stored session.
        session_present: bool,
        /// Why the connection was refused, if it was.
        refusal: Option<ConnectRefusal>,
        /// What the broker says the client must stay within (MQTT 5; defaults for 3.1.1).
        limits: ServerLimits,
    },
    /// PUBLISH.
    Publish {
        /// Topic.
        topic: String,
        /// Payload.
        payload: Vec<u8>,
        /// Delivery QoS.
        qos: QoS,
        /// Packet id (0 for QoS 0).
        packet_id: u16,
        /// The topic's retained message.
        retain: bool,
        /// DUP: the broker may have delivered this message before [MQTT-3.3.1-1].
        dup: bool,
    },
    /// PUBACK; MQTT 5 may say the publish was refused.
    PubAck {
        /// The acknowledged packet id.
        packet_id: u16,
        /// Why the broker refused the message (MQTT 5 reason code 0x80 and up).
        refusal: Option<String>,
    },
    /// PUBREC.
    PubRec,
    /// PUBREL.
    PubRel {
        /// The released packet id.
        packet_id: u16,
    },
    /// PUBCOMP.
    PubComp,
    /// SUBACK.
    SubAck {
        /// The SUBSCRIBE's packet id.
        packet_id: u16,
        /// Refused filters by position, with the reason in words.
        refused: Vec<(usize, String)>,
    },
    /// UNSUBACK.
    UnsubAck,
    /// PINGRESP.
    PingResp,
    /// DISCONNECT from the server (MQTT 5), with its reason in words.
    Disconnect {
        /// Why the broker closes the connection.
        reason: String,
    },
    /// A packet only clients send (CONNECT, SUBSCRIBE, PINGREQ...): a protocol error.
    ClientPacket(&'static str),
}

/// Decodes one whole frame.
pub fn decode(version: ProtocolVersion, frame: &mut BytesMut) -> Result<Incoming, String> {
    match version {
        ProtocolVersion::V311 => decode_v4(frame),
        ProtocolVersion::V5 => {
            // A 3.1.1 broker refuses a v5 CONNECT with a 2-byte 3.1.1 CONNACK (code 1).
            if frame.first() == Some(&0x20) && frame.len() == 4 {
                return decode_v4(frame);
            }
            decode_v5(frame)
        }
    }
}

/// Parses the packets a server may send with the `v4` or `v5` readers of mqttbytes; `$other`
/// handles DISCONNECT (which only MQTT 5 servers send).
macro_rules! read_server_packet {
    ($version:ident, $packet_type:expr, $header:ident, $bytes:ident, $other:expr) => {{
        match $packet_type {
            PacketType::ConnAck => $version::ConnAck::read($header, $bytes).map(Packet::ConnAck),
            PacketType::Publish => $version::Publish::read($header, $bytes).map(Packet::Publish),
            PacketType::PubAck => $version::PubAck::read($header, $bytes).map(Packet::PubAck),
            PacketType::PubRec => $version::PubRec::read($header, $bytes).map(Packet::PubRec),
            PacketType::PubRel => $version::PubRel::read($header, $bytes).map(Packet::PubRel),
            PacketType::PubComp => $version::PubComp::read($header, $bytes).map(Packet::PubComp),
            PacketType::SubAck => $version::SubAck::read($header, $bytes).map(Packet::SubAck),
            PacketType::UnsubAck => $version::UnsubAck::read($header, $bytes).map(Packet::UnsubAck),
            _ => $other,
        }
        .map_err(|e| format!("{e:?}"))
    }};
}

/// CONNECT with the fields both versions share, from the `v4` or `v5` module of mqttbytes.
macro_rules! connect_for {
    ($version:ident, $options:expr) => {{
        let options: &SessionOptions = $options;
        let mut connect = $version::Connect::new(options.client_id.clone());
        connect.keep_alive = options.keep_alive_secs;
        // MQTT 5 calls it Clean Start; there a session outlives the connection only with an expiry.
        connect.clean_session = options.clean_session;
        connect.login = options
            .credentials
            .as_ref()
            .map(|c| $version::Login::new(c.user.clone(), c.password.clone()));
        connect.last_will = options.will.as_ref().map(|will| {
            $version::LastWill::new(
                will.topic.clone(),
                will.payload.clone(),
                QoS::AtLeastOnce,
                will.retain,
            )
        });
        connect
    }};
}

/// PUBLISH from an [`OutgoingPublish`], with the `v4` or `v5` module of mqttbytes.
macro_rules! publish_for {
    ($version:ident, $publish:expr) => {{
        let publish: &OutgoingPublish = $publish;
        let mut packet =
            $version::Publish::new(publish.topic.clone(), publish.qos, publish.payload.clone());
        packet.pkid = publish.packet_id;
        packet.retain = publish.retain;
        packet.dup = publish.dup;
        packet
    }};
}

/// Splits a whole frame into its fixed header and bytes, and names its type. Only the packets
/// a server may send are parsed below: mqttbytes' own `read` also parses CONNECT, SUBSCRIBE...,
/// which a client never needs, and costs 24 KB of wasm for MQTT 5 alone.
fn frame_parts(frame: &mut BytesMut) -> Result<(FixedHeader, PacketType, Bytes), String> {
    let header = mqttbytes::check(frame.iter(), usize::MAX).map_err(|e| format!("{e:?}"))?;
    let packet_type = header.packet_type().map_err(|e| format!("{e:?}"))?;
    Ok((header, packet_type, frame.split().freeze()))
}

fn client_packet(packet_type: PacketType) -> Option<Incoming> {
    match packet_type {
        PacketType::Connect => Some(Incoming::ClientPacket("CONNECT")),
        PacketType::Subscribe => Some(Incoming::ClientPacket("SUBSCRIBE")),
        PacketType::Unsubscribe => Some(Incoming::ClientPacket("UNSUBSCRIBE")),
        PacketType::PingReq => Some(Incoming::ClientPacket("PINGREQ")),
        PacketType::PingResp => Some(Incoming::PingResp),
        _ => None,
    }
}

fn decode_v4(frame: &mut BytesMut) -> Result<Incoming, String> {
    use v4::Packet;
    let (header, packet_type, bytes) = frame_parts(frame)?;
    if let Some(incoming) = client_packet(packet_type) {
        return Ok(incoming);
    }
    let packet = read_server_packet!(v4, packet_type, header, bytes, Ok(Packet::Disconnect))?;
    Ok(match packet {
        Packet::ConnAck(connack) => Incoming::ConnAck {
            session_present: connack.session_present,
            refusal: match connack.code as u8 {
                0 => None,
                code => Some(ConnectRefusal::v311(code)),
            },
            limits: ServerLimits::default(),
        },
        Packet::Publish(p) => Incoming::Publish {
            topic: p.topic,
            payload: p.payload.to_vec(),
            qos: p.qos,
            packet_id: p.pkid,
            retain: p.retain,
            dup: p.dup,
        },
        Packet::PubAck(ack) => Incoming::PubAck {
            packet_id: ack.pkid,
            refusal: None,
        },
        Packet::PubRec(_) => Incoming::PubRec,
        Packet::PubRel(rel) => Incoming::PubRel {
            packet_id: rel.pkid,
        },
        Packet::PubComp(_) => Incoming::PubComp,
        Packet::SubAck(suback) => Incoming::SubAck {
            packet_id: suback.pkid,
            refused: suback
                .return_codes
                .iter()
                .enumerate()
                .filter(|(_, code)| **code == v4::SubscribeReasonCode::Failure)
                .map(|(i, _)| (i, crate::say!("refused by the broker")))
                .collect(),
        },
        Packet::UnsubAck(_) => Incoming::UnsubAck,
        Packet::PingResp => Incoming::PingResp,
        Packet::Connect(_) => Incoming::ClientPacket("CONNECT"),
        Packet::Subscribe(_) => Incoming::ClientPacket("SUBSCRIBE"),
        Packet::Unsubscribe(_) => Incoming::ClientPacket("UNSUBSCRIBE"),
        Packet::PingReq => Incoming::ClientPacket("PINGREQ"),
        Packet::Disconnect => Incoming::ClientPacket("DISCONNECT"),
    })
}

fn decode_v5(frame: &mut BytesMut) -> Result<Incoming, String> {
    use v5::Packet;
    // A v5 DISCONNECT may stop after its reason code, or have no body at all (0x00, normal)
    // [MQTT-3.14.2.1]; mqttbytes insists on a property length, so read those two forms here.
    match frame.as_ref() {
        [0xE0, 0x00] | [0xE0, 0x01, _] => {
            let code = frame.get(2).copied().unwrap_or(0);
            return Ok(Incoming::Disconnect {
                reason: reason_code::describe_with(code, None),
            });
        }
        _ => {}
    }
    let (header, packet_type, bytes) = frame_parts(frame)?;
    if let Some(incoming) = client_packet(packet_type) {
        return Ok(incoming);
    }
    let packet = read_server_packet!(
        v5,
        packet_type,
        header,
        bytes,
        v5::Disconnect::read(header, bytes).map(Packet::Disconnect)
    )?;
    Ok(match packet {
        Packet::ConnAck(connack) => {
            let properties = connack.properties;
            Incoming::ConnAck {
                session_present: connack.session_present,
                limits: properties.as_ref().map(limits_from).unwrap_or_default(),
                refusal: match connack.code as u8 {
                    0 => None,
                    code => Some(ConnectRefusal::v5(
                        code,
                        properties.and_then(|p| p.reason_string),
                    )),
                },
            }
        }
        Packet::Publish(p) => Incoming::Publish {
            topic: p.topic,
            payload: p.payload.to_vec(),
            qos: p.qos,
            packet_id: p.pkid,
            retain: p.retain,
            dup: p.dup,
        },
        Packet::PubAck(ack) => Incoming::PubAck {
            packet_id: ack.pkid,
            refusal: match ack.reason as u8 {
                code if code >= 0x80 => Some(reason_code::describe_with(
                    code,
                    ack.properties.and_then(|p| p.reason_string).as_deref(),
                )),
                _ => None,
            },
        },
        Packet::PubRec(_) => Incoming::PubRec,
        Packet::PubRel(rel) => Incoming::PubRel {
            packet_id: rel.pkid,
        },
        Packet::PubComp(_) => Incoming::PubComp,
        Packet::SubAck(suback) => {
            let said = suback.properties.and_then(|p| p.reason_string);
            Incoming::SubAck {
                packet_id: suback.pkid,
                refused: suback
                    .return_codes
                    .iter()
                    .enumerate()
                    .filter(|(_, code)| **code as u8 >= 0x80)
                    .map(|(i, code)| (i, reason_code::describe_with(*code as u8, said.as_deref())))
                    .collect(),
            }
        }
        Packet::UnsubAck(_) => Incoming::UnsubAck,
        Packet::PingResp => Incoming::PingResp,
        Packet::Disconnect(disconnect) => Incoming::Disconnect {
            reason: reason_code::describe_with(
                disconnect.reason_code as u8,
                disconnect
                    .properties
                    .and_then(|p| p.reason_string)
                    .as_deref(),
            ),
        },
        Packet::Connect(_) => Incoming::ClientPacket("CONNECT"),
        Packet::Subscribe(_) => Incoming::ClientPacket("SUBSCRIBE"),
        Packet::Unsubscribe(_) => Incoming::ClientPacket("UNSUBSCRIBE"),
        Packet::PingReq => Incoming::ClientPacket("PINGREQ"),
    })
}

/// The limits an MQTT 5 CONNACK announces; an absent property keeps the protocol's default.
fn limits_from(properties: &v5::ConnAckProperties) -> ServerLimits {
    let defaults = ServerLimits::default();
    ServerLimits {
        max_packet_size: properties.max_packet_size,
        // 0 is a protocol error [MQTT-3.2.2-9 note]; read as "one at a time" rather than none.
        receive_maximum: properties
            .receive_max
            .map_or(defaults.receive_maximum, |max| max.max(1)),
        server_keep_alive: properties.server_keep_alive,
        maximum_qos: properties.max_qos.unwrap_or(defaults.maximum_qos),
        retain_available: properties.retain_available.is_none_or(|value| value != 0),
        topic_alias_maximum: properties.topic_alias_max.unwrap_or(0),
        assigned_client_id: properties.assigned_client_identifier.clone(),
    }
}

fn finish(result: Result<usize, mqttbytes::Error>, buffer: BytesMut) -> Result<Vec<u8>, String> {
    result
        .map(|_| buffer.to_vec())
        .map_err(|e| format!("{e:?}"))
}

/// CONNECT with the session's options.
pub fn encode_connect(
    version: ProtocolVersion,
    options: &SessionOptions,
) -> Result<Vec<u8>, String> {
    let mut buffer = BytesMut::new();
    let result = match version {
        ProtocolVersion::V311 => connect_for!(v4, options).write(&mut buffer),
        ProtocolVersion::V5 => {
            let mut connect = connect_for!(v5, options);
            connect.properties = Some(v5::ConnectProperties {
                session_expiry_interval: (!options.clean_session)
                    .then_some(options.session_expiry_secs),
                receive_maximum: None,
                max_packet_size: u32::try_from(options.max_incoming_packet).ok(),
                topic_alias_max: None,
                request_response_info: None,
                request_problem_info: None,
                user_properties: Vec::new(),
                authentication_method: None,
                authentication_data: None,
            });
            connect.write(&mut buffer)
        }
    };
    finish(result, buffer)
}

/// A PUBLISH we send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingPublish {
    /// Topic.
    pub topic: String,
    /// Payload.
    pub payload: Vec<u8>,
    /// QoS 0 or 1.
    pub qos: QoS,
    /// Packet id (QoS 1).
    pub packet_id: u16,
    /// Retained flag.
    pub retain: bool,
    /// Set on a re-send [MQTT-3.3.1-1].
    pub dup: bool,
    /// MQTT 5: the broker discards the message when it could not deliver it within this many
    /// seconds [MQTT-3.3.2-5] (ignored by MQTT 3.1.1).
    pub expiry_secs: Option<u32>,
}

/// MQTT 5 PUBLISH properties with only a Message Expiry Interval [MQTT-3.3.2.3.3].
pub fn message_expiry(seconds: u32) -> v5::PublishProperties {
    v5::PublishProperties {
        payload_format_indicator: None,
        message_expiry_interval: Some(seconds),
        topic_alias: None,
        response_topic: None,
        correlation_data: None,
        user_properties: Vec::new(),
        subscription_identifiers: Vec::new(),
        content_type: None,
    }
}

/// PUBLISH.
pub fn encode_publish(
    version: ProtocolVersion,
    publish: &OutgoingPublish,
) -> Result<Vec<u8>, String> {
    let mut buffer = BytesMut::new();
    let result = match version {
        ProtocolVersion::V311 => publish_for!(v4, publish).write(&mut buffer),
        ProtocolVersion::V5 => {
            let mut packet = publish_for!(v5, publish);
            packet.properties = publish.expiry_secs.map(message_expiry);
            packet.write(&mut buffer)
        }
    };
    finish(result, buffer)
}

/// SUBSCRIBE at QoS 1.
pub fn encode_subscribe(
    version: ProtocolVersion,
    packet_id: u16,
    filters: &[String],
) -> Result<Vec<u8>, String> {
    let mut buffer = BytesMut::new();
    let result = match version {
        ProtocolVersion::V311 => {
            let mut subscribe = v4::Subscribe::empty_subscribe();
            subscribe.pkid = packet_id;
            for filter in filters {
                subscribe.add(filter.clone(), QoS::AtLeastOnce);
            }
            subscribe.write(&mut buffer)
        }
        ProtocolVersion::V5 => {
            // No Local: the broker does not send back what this page publishes (its questions
            // and commands land on the watched command topics); retained messages from others,
            // the ghost switching the command filters are for, still arrive.
            let mut subscribe = v5::Subscribe::new_many(filters.iter().map(|f| {
                let mut filter = v5::SubscribeFilter::new(f.clone(), QoS::AtLeastOnce);
                filter.set_nolocal(true);
                filter
            }));
            subscribe.pkid = packet_id;
            subscribe.write(&mut buffer)
        }
    };
    finish(result, buffer)
}

/// UNSUBSCRIBE.
pub fn encode_unsubscribe(
    version: ProtocolVersion,
    packet_id: u16,
    filters: &[String],
) -> Result<Vec<u8>, String> {
    let mut buffer = BytesMut::new();
    let result = match version {
        ProtocolVersion::V311 => v4::Unsubscribe {
            pkid: packet_id,
            topics: filters.to_vec(),
        }
        .write(&mut buffer),
        ProtocolVersion::V5 => v5::Unsubscribe {
            pkid: packet_id,
            filters: filters.to_vec(),
            properties: None,
        }
        .write(&mut buffer),
    };
    finish(result, buffer)
}

/// The bytes one topic filter takes in a SUBSCRIBE's payload (length, name, options).
pub fn subscribe_entry_len(filter: &str) -> usize {
    2 + filter.len() + 1
}

/// The bytes one topic filter takes in an UNSUBSCRIBE's payload (length, name).
pub fn unsubscribe_entry_len(filter: &str) -> usize {
    2 + filter.len()
}

/// The size of a whole SUBSCRIBE (or UNSUBSCRIBE) whose filters take `payload_len` bytes:
/// fixed header, packet id, MQTT 5's (empty) properties, payload.
pub fn subscribe_packet_len(version: ProtocolVersion, payload_len: usize) -> usize {
    let properties = match version {
        ProtocolVersion::V311 => 0,
        ProtocolVersion::V5 => 1,
    };
    let remaining = 2 + properties + payload_len;
    1 + varint_len(remaining) + remaining
}

/// How many bytes MQTT's variable byte integer takes for `value`.
fn varint_len(value: usize) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// The acknowledgements a client sends, and PINGREQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// PUBACK for a QoS 1 PUBLISH.
    PubAck(u16),
    /// PUBREC for a QoS 2 PUBLISH.
    PubRec(u16),
    /// PUBCOMP for a PUBREL.
    PubComp(u16),
    /// PINGREQ.
    PingReq,
}

/// PUBACK, PUBREC, PUBCOMP or PINGREQ.
pub fn encode_ack(version: ProtocolVersion, ack: Ack) -> Result<Vec<u8>, String> {
    let mut buffer = BytesMut::new();
    let result = match (version, ack) {
        (_, Ack::PingReq) => v4::PingReq.write(&mut buffer),
        (ProtocolVersion::V311, Ack::PubAck(id)) => v4::PubAck::new(id).write(&mut buffer),
        (ProtocolVersion::V311, Ack::PubRec(id)) => v4::PubRec::new(id).write(&mut buffer),
        (ProtocolVersion::V311, Ack::PubComp(id)) => v4::PubComp::new(id).write(&mut buffer),
        (ProtocolVersion::V5, Ack::PubAck(id)) => v5::PubAck::new(id).write(&mut buffer),
        (ProtocolVersion::V5, Ack::PubRec(id)) => v5::PubRec::new(id).write(&mut buffer),
        (ProtocolVersion::V5, Ack::PubComp(id)) => v5::PubComp::new(id).write(&mut buffer),
    };
    finish(result, buffer)
}
