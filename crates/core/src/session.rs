//! The MQTT 3.1.1 client session, sans-IO.
//!
//! Inputs are `handle_*` calls (the transport opened, bytes arrived, a timer fired, the
//! transport closed) and commands (`subscribe`, `publish`); outputs are drained with
//! `poll_transmit` (bytes to send), `poll_event` (what happened) and `poll_timeout` (when to call
//! `handle_timeout` next). Time is passed in; nothing here touches a socket or reads a clock.
//!
//! Keepalive follows the spec [MQTT-3.1.2-23]: a PINGREQ goes out when nothing was *sent* for the
//! keepalive interval, so a client that only receives still pings. If nothing at all arrives
//! within half an interval after a PINGREQ, the connection is declared lost: a silent stall is
//! noticed at most 1.5 x keepalive after the last packet sent.
//!
//! QoS 1 publishes still unacknowledged when a connection drops are re-sent (DUP set) after
//! reconnecting only when the broker resumed the session *and* they are younger than
//! `resend_window` [MQTT-4.4.0-1]; older ones are reported undelivered and forgotten, so a
//! relay never switches minutes after the click.
//!
//! Not here: reconnect timing and devices (see `dashboard`), MQTT 5.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::BytesMut;
use mqttbytes::v4::{
    ConnAck, Connect, LastWill, Login, Packet, PingReq, PubAck, PubComp, PubRec, Publish,
    Subscribe, SubscribeReasonCode,
};
pub use mqttbytes::QoS;

use crate::connect_refusal::ConnectRefusal;
use crate::packet_reader::{PacketReader, ReadError};
use crate::time::{Millis, SECOND};

/// User name and password sent in CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password (may be empty).
    pub password: String,
}

/// A message the broker publishes for us if we vanish without a DISCONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Will {
    /// Topic of the will message.
    pub topic: String,
    /// Payload of the will message.
    pub payload: Vec<u8>,
    /// Whether the broker keeps it as the topic's retained message.
    pub retain: bool,
}

/// How to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    /// Must be unique among the broker's clients: two clients with one id kick each other off.
    pub client_id: String,
    /// Keepalive interval in seconds; 0 disables keepalive.
    pub keep_alive_secs: u16,
    /// Start without any state kept by the broker.
    pub clean_session: bool,
    /// Optional user name and password.
    pub credentials: Option<Credentials>,
    /// Optional last will.
    pub will: Option<Will>,
    /// How long to wait for CONNACK after CONNECT.
    pub connack_timeout: Millis,
    /// Incoming packets larger than this are skipped, never buffered.
    pub max_incoming_packet: usize,
    /// Unacknowledged QoS 1 publishes older than this are not re-sent after a reconnect.
    pub resend_window: Millis,
}

impl SessionOptions {
    /// Sensible defaults for a browser dashboard: keepalive 30 s, clean session.
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            keep_alive_secs: 30,
            clean_session: true,
            credentials: None,
            will: None,
            connack_timeout: 10 * SECOND,
            max_incoming_packet: 1024 * 1024,
            resend_window: 5 * SECOND,
        }
    }
}

/// A message the broker delivered to us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The topic it was published on.
    pub topic: String,
    /// The raw payload (not necessarily UTF-8).
    pub payload: Vec<u8>,
    /// True when this is the topic's retained message, sent because we subscribed.
    pub retained: bool,
}

/// Why a connection is no longer usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LossReason {
    /// No CONNACK arrived in time.
    ConnackTimeout,
    /// Nothing arrived after a PINGREQ: the link is stalled.
    PingTimeout,
    /// The broker broke the protocol.
    Protocol(String),
}

impl LossReason {
    /// A sentence for the user.
    pub fn explain(&self) -> String {
        match self {
            Self::ConnackTimeout => "The server accepted the WebSocket but never answered the MQTT CONNECT. Check that the address is an MQTT-over-WebSocket endpoint (often ws://host:9001 or ws://host:8083/mqtt).".into(),
            Self::PingTimeout => "The broker stopped answering (no reply to a keepalive ping).".into(),
            Self::Protocol(detail) => format!("The broker sent data that is not valid MQTT 3.1.1 ({detail})."),
        }
    }
}

/// What the session reports; drain with [`Session::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// CONNACK accepted the connection.
    Connected {
        /// The broker resumed a stored session.
        session_present: bool,
    },
    /// CONNACK refused the connection; the transport should be closed.
    Refused(ConnectRefusal),
    /// A message arrived.
    Message(Message),
    /// The broker refused one subscription.
    SubscriptionFailed {
        /// The topic filter that was refused.
        filter: String,
    },
    /// The broker acknowledged one of our QoS 1 publishes.
    Delivered {
        /// The packet id `publish` returned.
        packet_id: u16,
    },
    /// A QoS 1 publish was in flight when the connection went; it was not delivered.
    Undelivered {
        /// The packet id `publish` returned.
        packet_id: u16,
    },
    /// The connection is unusable; the transport should be closed.
    Lost(LossReason),
    /// Something was skipped but the connection goes on.
    Warning(String),
}

/// Why a command was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// There is no accepted connection right now.
    NotConnected,
    /// The topic cannot be published to.
    InvalidTopic(String),
    /// The packet could not be encoded (e.g. too long).
    Encode(String),
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotConnected => write!(f, "not connected to the broker"),
            Self::InvalidTopic(topic) => write!(f, "cannot publish to topic {topic:?}"),
            Self::Encode(detail) => write!(f, "cannot encode the packet: {detail}"),
        }
    }
}

impl std::error::Error for SessionError {}

/// One of our QoS 1 publishes awaiting PUBACK.
#[derive(Debug, Clone)]
struct InFlight {
    publish: Publish,
    first_sent: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Disconnected,
    AwaitingConnack { deadline: Millis },
    Connected,
}

/// One MQTT 3.1.1 client session across any number of transport connections.
#[derive(Debug)]
pub struct Session {
    options: SessionOptions,
    phase: Phase,
    reader: PacketReader,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<SessionEvent>,
    last_sent: Millis,
    ping_deadline: Option<Millis>,
    next_packet_id: u16,
    in_flight: BTreeMap<u16, InFlight>,
    pending_subscriptions: BTreeMap<u16, Vec<String>>,
    incoming_qos2: BTreeSet<u16>,
}

impl Session {
    /// A session that does nothing until [`Session::handle_transport_open`].
    pub fn new(options: SessionOptions) -> Self {
        let reader = PacketReader::new(options.max_incoming_packet);
        Self {
            options,
            phase: Phase::Disconnected,
            reader,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            last_sent: 0,
            ping_deadline: None,
            next_packet_id: 1,
            in_flight: BTreeMap::new(),
            pending_subscriptions: BTreeMap::new(),
            incoming_qos2: BTreeSet::new(),
        }
    }

    /// The options this session connects with.
    pub fn options(&self) -> &SessionOptions {
        &self.options
    }

    /// True between an accepting CONNACK and the loss of the connection.
    pub fn is_connected(&self) -> bool {
        self.phase == Phase::Connected
    }

    /// The transport is open: queue CONNECT.
    pub fn handle_transport_open(&mut self, now: Millis) {
        self.reader.clear();
        self.transmit.clear();
        self.ping_deadline = None;
        let mut connect = Connect::new(self.options.client_id.clone());
        connect.keep_alive = self.options.keep_alive_secs;
        connect.clean_session = self.options.clean_session;
        connect.login = self
            .options
            .credentials
            .as_ref()
            .map(|c| Login::new(c.user.clone(), c.password.clone()));
        connect.last_will = self.options.will.as_ref().map(|will| {
            LastWill::new(
                will.topic.clone(),
                will.payload.clone(),
                QoS::AtLeastOnce,
                will.retain,
            )
        });
        self.phase = Phase::AwaitingConnack {
            deadline: now + self.options.connack_timeout,
        };
        let mut buffer = BytesMut::new();
        match connect.write(&mut buffer) {
            Ok(_) => self.queue(now, buffer),
            Err(error) => self.lose(LossReason::Protocol(format!(
                "cannot encode CONNECT: {error:?}"
            ))),
        }
    }

    /// The transport closed (by either side). With a clean session, QoS 1 publishes in flight
    /// are reported undelivered at once; with a persistent one they wait for the next CONNACK.
    pub fn handle_transport_closed(&mut self) {
        self.phase = Phase::Disconnected;
        self.reader.clear();
        self.transmit.clear();
        self.ping_deadline = None;
        self.pending_subscriptions.clear();
        self.incoming_qos2.clear();
        if self.options.clean_session {
            self.forget_in_flight();
        }
    }

    /// Checks the link now: a PINGREQ that must be answered within `deadline_after` (used when
    /// the tab becomes visible or the network returns, since timers may have been starved).
    pub fn probe(&mut self, now: Millis, deadline_after: Millis) {
        if !self.is_connected() {
            return;
        }
        let deadline = now + deadline_after;
        match self.ping_deadline {
            Some(existing) => self.ping_deadline = Some(existing.min(deadline)),
            None => {
                let mut buffer = BytesMut::new();
                if PingReq.write(&mut buffer).is_ok() {
                    self.queue(now, buffer);
                    self.ping_deadline = Some(deadline);
                }
            }
        }
    }

    /// Bytes arrived from the transport, in any chunking.
    pub fn handle_bytes(&mut self, now: Millis, bytes: &[u8]) {
        if self.phase == Phase::Disconnected {
            return;
        }
        self.reader.push(bytes);
        loop {
            match self.reader.next_packet() {
                Ok(Some(packet)) => self.handle_packet(now, packet),
                Ok(None) => break,
                Err(ReadError::Unframeable(detail)) => {
                    self.lose(LossReason::Protocol(detail));
                }
                Err(ReadError::MalformedPacket(detail)) => {
                    self.events.push_back(SessionEvent::Warning(format!(
                        "skipped a malformed packet from the broker ({detail})"
                    )));
                }
                Err(ReadError::Oversized { size }) => {
                    self.events.push_back(SessionEvent::Warning(format!(
                        "skipped a {size}-byte packet: larger than the {} byte limit",
                        self.options.max_incoming_packet
                    )));
                }
            }
            if self.phase == Phase::Disconnected {
                break;
            }
        }
    }

    /// A timer fired: check the CONNACK deadline and keepalive.
    pub fn handle_timeout(&mut self, now: Millis) {
        match self.phase {
            Phase::Disconnected => {}
            Phase::AwaitingConnack { deadline } => {
                if now >= deadline {
                    self.lose(LossReason::ConnackTimeout);
                }
            }
            Phase::Connected => {
                if self.ping_deadline.is_some_and(|deadline| now >= deadline) {
                    self.lose(LossReason::PingTimeout);
                    return;
                }
                if let Some(ping_at) = self.next_ping_at() {
                    if now >= ping_at && self.ping_deadline.is_none() {
                        let mut buffer = BytesMut::new();
                        if PingReq.write(&mut buffer).is_ok() {
                            self.queue(now, buffer);
                            self.ping_deadline = Some(now + self.ping_grace());
                        }
                    }
                }
            }
        }
    }

    /// Subscribes to topic filters at QoS 1. Returns the SUBSCRIBE packet id.
    pub fn subscribe(&mut self, now: Millis, filters: &[String]) -> Result<u16, SessionError> {
        if !self.is_connected() {
            return Err(SessionError::NotConnected);
        }
        let packet_id = self.allocate_packet_id();
        let mut subscribe = Subscribe::empty_subscribe();
        subscribe.pkid = packet_id;
        for filter in filters {
            subscribe.add(filter.clone(), QoS::AtLeastOnce);
        }
        let mut buffer = BytesMut::new();
        subscribe
            .write(&mut buffer)
            .map_err(|e| SessionError::Encode(format!("{e:?}")))?;
        self.pending_subscriptions
            .insert(packet_id, filters.to_vec());
        self.queue(now, buffer);
        Ok(packet_id)
    }

    /// Publishes a message. Returns its packet id for QoS 1 (0 for QoS 0).
    pub fn publish(
        &mut self,
        now: Millis,
        topic: &str,
        payload: &[u8],
        qos: QoS,
        retain: bool,
    ) -> Result<u16, SessionError> {
        if !self.is_connected() {
            return Err(SessionError::NotConnected);
        }
        // [MQTT-3.3.2-2]: no wildcards in a PUBLISH topic; [MQTT-4.7.3-1]: not empty.
        if topic.is_empty() || topic.contains(['+', '#', '\0']) {
            return Err(SessionError::InvalidTopic(topic.into()));
        }
        let qos = if qos == QoS::ExactlyOnce {
            QoS::AtLeastOnce
        } else {
            qos
        };
        let mut publish = Publish::new(topic, qos, payload.to_vec());
        publish.retain = retain;
        if qos == QoS::AtLeastOnce {
            publish.pkid = self.allocate_packet_id();
        }
        let mut buffer = BytesMut::new();
        publish
            .write(&mut buffer)
            .map_err(|e| SessionError::Encode(format!("{e:?}")))?;
        if qos == QoS::AtLeastOnce {
            self.in_flight.insert(
                publish.pkid,
                InFlight {
                    publish: publish.clone(),
                    first_sent: now,
                },
            );
        }
        self.queue(now, buffer);
        Ok(publish.pkid)
    }

    /// The next packet to send, already encoded.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// The next thing that happened.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] should be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Millis> {
        match self.phase {
            Phase::Disconnected => None,
            Phase::AwaitingConnack { deadline } => Some(deadline),
            Phase::Connected => self.ping_deadline.or_else(|| self.next_ping_at()),
        }
    }

    /// How many of our QoS 1 publishes await PUBACK.
    pub fn in_flight_count(&self) -> usize {
        self.in_flight.len()
    }

    fn next_ping_at(&self) -> Option<Millis> {
        match self.options.keep_alive_secs {
            0 => None,
            secs => Some(self.last_sent + Millis::from(secs) * SECOND),
        }
    }

    fn ping_grace(&self) -> Millis {
        (Millis::from(self.options.keep_alive_secs) * SECOND / 2).max(500)
    }

    fn queue(&mut self, now: Millis, buffer: BytesMut) {
        self.transmit.push_back(buffer.to_vec());
        self.last_sent = now;
    }

    fn lose(&mut self, reason: LossReason) {
        self.handle_transport_closed();
        self.events.push_back(SessionEvent::Lost(reason));
    }

    fn allocate_packet_id(&mut self) -> u16 {
        loop {
            let id = self.next_packet_id;
            self.next_packet_id = self.next_packet_id.checked_add(1).unwrap_or(1);
            if !self.in_flight.contains_key(&id) && !self.pending_subscriptions.contains_key(&id) {
                return id;
            }
        }
    }

    fn handle_packet(&mut self, now: Millis, packet: Packet) {
        // Any packet from the broker proves the link alive.
        self.ping_deadline = None;
        if let Phase::AwaitingConnack { .. } = self.phase {
            // [MQTT-3.2.0-1]: the first packet from the server must be CONNACK.
            match packet {
                Packet::ConnAck(connack) => self.handle_connack(now, connack),
                other => self.lose(LossReason::Protocol(format!(
                    "expected CONNACK first, got {}",
                    packet_name(&other)
                ))),
            }
            return;
        }
        match packet {
            Packet::Publish(publish) => self.handle_publish(now, publish),
            Packet::PubAck(ack) => {
                if self.in_flight.remove(&ack.pkid).is_some() {
                    self.events.push_back(SessionEvent::Delivered {
                        packet_id: ack.pkid,
                    });
                }
            }
            Packet::PubRel(release) => {
                self.incoming_qos2.remove(&release.pkid);
                let mut buffer = BytesMut::new();
                if PubComp::new(release.pkid).write(&mut buffer).is_ok() {
                    self.queue(now, buffer);
                }
            }
            Packet::SubAck(suback) => {
                let filters = self
                    .pending_subscriptions
                    .remove(&suback.pkid)
                    .unwrap_or_default();
                for (filter, code) in filters.into_iter().zip(suback.return_codes) {
                    if code == SubscribeReasonCode::Failure {
                        self.events
                            .push_back(SessionEvent::SubscriptionFailed { filter });
                    }
                }
            }
            Packet::PingResp | Packet::UnsubAck(_) | Packet::PubComp(_) | Packet::PubRec(_) => {}
            other => self.lose(LossReason::Protocol(format!(
                "a client never receives {}",
                packet_name(&other)
            ))),
        }
    }

    fn handle_connack(&mut self, now: Millis, connack: ConnAck) {
        match ConnectRefusal::from_return_code(connack.code) {
            None => {
                self.phase = Phase::Connected;
                self.events.push_back(SessionEvent::Connected {
                    session_present: connack.session_present,
                });
                if connack.session_present {
                    self.resend_fresh_in_flight(now);
                } else {
                    // The broker kept nothing of the session, so neither does the client.
                    self.forget_in_flight();
                }
            }
            Some(refusal) => {
                self.handle_transport_closed();
                self.events.push_back(SessionEvent::Refused(refusal));
            }
        }
    }

    fn forget_in_flight(&mut self) {
        for packet_id in std::mem::take(&mut self.in_flight).into_keys() {
            self.events
                .push_back(SessionEvent::Undelivered { packet_id });
        }
    }

    /// [MQTT-4.4.0-1]: re-send unacknowledged publishes with DUP on a resumed session, but
    /// only those still fresh; a stale command is worse than none.
    fn resend_fresh_in_flight(&mut self, now: Millis) {
        let window = self.options.resend_window;
        let (fresh, stale): (BTreeMap<_, _>, BTreeMap<_, _>) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|(_, entry)| now.saturating_sub(entry.first_sent) <= window);
        for packet_id in stale.into_keys() {
            self.events
                .push_back(SessionEvent::Undelivered { packet_id });
        }
        for (packet_id, mut entry) in fresh {
            entry.publish.dup = true;
            let mut buffer = BytesMut::new();
            if entry.publish.write(&mut buffer).is_ok() {
                self.queue(now, buffer);
                self.in_flight.insert(packet_id, entry);
            } else {
                self.events
                    .push_back(SessionEvent::Undelivered { packet_id });
            }
        }
    }

    fn handle_publish(&mut self, now: Millis, publish: Publish) {
        let mut deliver = true;
        let mut buffer = BytesMut::new();
        match publish.qos {
            QoS::AtMostOnce => {}
            QoS::AtLeastOnce => {
                if PubAck::new(publish.pkid).write(&mut buffer).is_ok() {
                    self.queue(now, buffer);
                }
            }
            QoS::ExactlyOnce => {
                // Deliver once per packet id until PUBREL releases it [MQTT-4.3.3-2].
                deliver = self.incoming_qos2.insert(publish.pkid);
                if PubRec::new(publish.pkid).write(&mut buffer).is_ok() {
                    self.queue(now, buffer);
                }
            }
        }
        if deliver {
            self.events.push_back(SessionEvent::Message(Message {
                topic: publish.topic,
                payload: publish.payload.to_vec(),
                retained: publish.retain,
            }));
        }
    }
}

fn packet_name(packet: &Packet) -> &'static str {
    match packet {
        Packet::Connect(_) => "CONNECT",
        Packet::ConnAck(_) => "CONNACK",
        Packet::Publish(_) => "PUBLISH",
        Packet::PubAck(_) => "PUBACK",
        Packet::PubRec(_) => "PUBREC",
        Packet::PubRel(_) => "PUBREL",
        Packet::PubComp(_) => "PUBCOMP",
        Packet::Subscribe(_) => "SUBSCRIBE",
        Packet::SubAck(_) => "SUBACK",
        Packet::Unsubscribe(_) => "UNSUBSCRIBE",
        Packet::UnsubAck(_) => "UNSUBACK",
        Packet::PingReq => "PINGREQ",
        Packet::PingResp => "PINGRESP",
        Packet::Disconnect => "DISCONNECT",
    }
}

#[cfg(test)]
mod tests;
