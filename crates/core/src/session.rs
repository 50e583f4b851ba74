//! The MQTT client session (3.1.1 or 5), sans-IO.
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
//! relay never switches minutes after the click. The same holds for a publish waiting for room
//! under the broker's Receive Maximum: past the window it is reported undelivered, not sent.
//!
//! Acknowledgements alone may wait a few milliseconds for company ([`Session::transmit_due`]):
//! the retained messages after a subscription arrive one WebSocket message each, and a PUBACK
//! per message cost a send each.
//!
//! The broker's limits (MQTT 5 CONNACK properties, [`ServerLimits`]) are kept: nothing larger
//! than its Maximum Packet Size is sent (a SUBSCRIBE is split, a PUBLISH refused), QoS 1
//! publishes beyond its Receive Maximum wait their turn, its Server Keep Alive replaces ours.
//!
//! Some brokers' WebSocket listeners write a large message only as fast as something wakes them
//! (Mosquitto 2.0 with libwebsockets before 4.2: about 40 KB/s per client, whatever the
//! client), so everything queued behind it waits. A client may ping at any time [MQTT-3.12],
//! and each ping wakes such a broker: the session sends a PINGREQ every [`NUDGE_EVERY_MS`]
//! while a large packet is arriving in pieces (at least [`NUDGE_WHEN_MISSING`] bytes still to
//! come), and while an answer it waits for (a SUBACK, a PUBACK, a keepalive's PINGRESP: its
//! answer waits behind the message too, and the link would be judged dead) is late with nothing heard,
//! for at most [`NUDGE_AT_MOST_MS`]. Late means [`NUDGE_AFTER_QUIET_MS`], or
//! [`NUDGE_ROUND_TRIPS`] times the connection's own round trip (CONNECT to CONNACK) where that
//! is longer: on a phone's slow link an answer merely on its way is not nudged. A click behind
//! a 900 KB message is then confirmed in well under a second instead of twenty.
//!
//! A protocol error from the broker (a malformed packet, a reserved packet type, a packet a
//! client never receives) ends the connection [MQTT-4.8.0-1, MQTT-4.13.1-1], said in words.
//! A packet over our own size limit is skipped unread and the stream stays in step.
//!
//! MQTT 5 adds words to failures: CONNACK, PUBACK, SUBACK and the server's DISCONNECT carry
//! reason codes (and reason strings), reported in [`SessionEvent`]s. Packets are encoded and
//! decoded by `codec`.
//!
//! Not here: reconnect timing, version fallback and devices (see `dashboard`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub use mqttbytes::QoS;

use crate::codec::{self, Ack, Incoming, OutgoingPublish, ProtocolVersion};
use crate::connect_refusal::ConnectRefusal;
use crate::packet_reader::{PacketReader, ReadError};
pub use crate::server_limits::ServerLimits;
use crate::time::{Millis, SECOND};

/// How long acknowledgements alone may wait before they are sent.
pub const ACK_HOLD_MS: Millis = 8;
/// How many acknowledgements are sent at once without waiting (well under Mosquitto's 20
/// messages in flight, so a QoS 1 stream is never held up by the wait).
pub const ACK_BATCH: usize = 8;

/// How often a PINGREQ nudges the broker while a large packet arrives or an answer is late.
pub const NUDGE_EVERY_MS: Millis = 4;
/// How many bytes must still be missing of the packet being received for the nudges.
pub const NUDGE_WHEN_MISSING: usize = 16 * 1024;
/// How long the broker may stay silent while an answer is awaited before it is nudged.
pub const NUDGE_AFTER_QUIET_MS: Millis = 100;
/// How long one silence is nudged at most.
pub const NUDGE_AT_MOST_MS: Millis = 3_000;
/// An answer is late after this many of the connection's round trips (at least
/// [`NUDGE_AFTER_QUIET_MS`]).
pub const NUDGE_ROUND_TRIPS: Millis = 3;
/// The longest CONNECT-to-CONNACK time taken for the link's round trip: a longer one was a
/// stall or a phone asleep between the two, not the link (the simulation found a page that
/// woke to a CONNACK sent before it slept, took 10 s for its round trip, and so nudged
/// nothing for 30 s behind a trickling broker).
pub const ROUND_TRIP_AT_MOST_MS: Millis = 1_000;

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
    /// MQTT 3.1.1 or 5.
    pub protocol: ProtocolVersion,
    /// Keepalive interval in seconds; 0 disables keepalive.
    pub keep_alive_secs: u16,
    /// Start without any state kept by the broker (MQTT 5: Clean Start).
    pub clean_session: bool,
    /// MQTT 5: how long the broker keeps a persistent session after a disconnect.
    pub session_expiry_secs: u32,
    /// Optional user name and password.
    pub credentials: Option<Credentials>,
    /// Optional last will.
    pub will: Option<Will>,
    /// How long to wait for CONNACK after CONNECT.
    pub connack_timeout: Millis,
    /// Incoming packets larger than this are skipped, never buffered (MQTT 5 also tells the
    /// broker, which then does not send them).
    pub max_incoming_packet: usize,
    /// Unacknowledged QoS 1 publishes older than this are not re-sent after a reconnect, and
    /// one that waited this long for room under the broker's Receive Maximum is not sent.
    pub resend_window: Millis,
}

impl SessionOptions {
    /// Sensible defaults for a browser dashboard: MQTT 3.1.1, keepalive 30 s, clean session.
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            protocol: ProtocolVersion::V311,
            keep_alive_secs: 30,
            clean_session: true,
            session_expiry_secs: 3_600,
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
    /// DUP was set: a QoS 1 message the broker may have delivered before (a copy of one the
    /// page already read).
    pub duplicate: bool,
    /// Kept for this client by the broker while it was away (a resumed session's backlog,
    /// before the broker answered anything of this connection): true once, not now.
    pub backlog: bool,
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
    /// The broker closed the session with an MQTT 5 DISCONNECT.
    ServerDisconnect(String),
}

impl LossReason {
    /// A sentence for the user.
    pub fn explain(&self) -> String {
        match self {
            Self::ConnackTimeout => crate::say!("The server accepted the WebSocket but never answered the MQTT CONNECT. Check that the address is an MQTT-over-WebSocket endpoint (often ws://host:9001 or ws://host:8083/mqtt)."),
            Self::PingTimeout => crate::say!("The broker stopped answering (no reply to a keepalive ping)."),
            Self::Protocol(detail) => crate::say!("The broker sent data that is not valid MQTT ({}).", detail),
            Self::ServerDisconnect(reason) => crate::say!("The broker closed the connection: {}.", reason),
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
        /// Why, in words.
        reason: String,
    },
    /// The broker acknowledged one of our QoS 1 publishes.
    Delivered {
        /// The packet id `publish` returned.
        packet_id: u16,
    },
    /// The broker refused one of our publishes (MQTT 5 PUBACK reason code 0x80 and up).
    PublishRefused {
        /// The packet id `publish` returned.
        packet_id: u16,
        /// Why, in words.
        reason: String,
    },
    /// A QoS 1 publish was in flight when the connection went; it was not delivered.
    Undelivered {
        /// The packet id `publish` returned.
        packet_id: u16,
    },
    /// The connection is unusable; the transport should be closed.
    Lost(LossReason),
    /// The broker answered something after CONNACK (a SUBACK, a message, a PUBACK or a
    /// PINGRESP): the connection carries traffic both ways. Once per connection.
    Proven,
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
    /// The packet is larger than the broker accepts (its MQTT 5 Maximum Packet Size).
    TooLarge {
        /// The encoded packet's size in bytes.
        size: usize,
        /// The broker's limit in bytes.
        limit: u32,
    },
    /// A retained message, and the broker keeps none (MQTT 5 Retain Available 0).
    RetainUnavailable,
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotConnected => f.write_str(&crate::say!("not connected to the broker")),
            Self::InvalidTopic(topic) => {
                f.write_str(&crate::say!("cannot publish to topic \"{}\"", topic))
            }
            Self::Encode(detail) => {
                f.write_str(&crate::say!("cannot encode the packet: {}", detail))
            }
            Self::TooLarge { size, limit } => f.write_str(&crate::say!(
                "the message is {} bytes and the broker accepts at most {}",
                size,
                limit
            )),
            Self::RetainUnavailable => {
                f.write_str(&crate::say!("the broker does not keep retained messages"))
            }
        }
    }
}

impl std::error::Error for SessionError {}

/// One of our QoS 1 publishes awaiting PUBACK, or waiting for room under the broker's
/// Receive Maximum (`sent` false).
#[derive(Debug, Clone)]
struct InFlight {
    publish: OutgoingPublish,
    first_sent: Millis,
    sent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Disconnected,
    AwaitingConnack { deadline: Millis },
    Connected,
}

/// One MQTT client session across any number of transport connections.
#[derive(Debug)]
pub struct Session {
    options: SessionOptions,
    phase: Phase,
    reader: PacketReader,
    /// Encoded packets to send, each marked true if it is an acknowledgement.
    transmit: VecDeque<(Vec<u8>, bool)>,
    /// How many of the packets in `transmit` are acknowledgements, and when the first of
    /// them was queued (see [`Session::transmit_due`]).
    acks_queued: usize,
    first_ack_at: Option<Millis>,
    events: VecDeque<SessionEvent>,
    last_sent: Millis,
    ping_deadline: Option<Millis>,
    next_packet_id: u16,
    in_flight: BTreeMap<u16, InFlight>,
    /// QoS 1 publishes not sent yet for the broker's Receive Maximum: the user's commands
    /// first (the first `urgent_waiting`), then the rest, each oldest first.
    waiting: VecDeque<u16>,
    urgent_waiting: usize,
    pending_subscriptions: BTreeMap<u16, Vec<String>>,
    incoming_qos2: BTreeSet<u16>,
    /// The current connection's limits (defaults until its CONNACK).
    limits: ServerLimits,
    /// [`SessionEvent::Proven`] was reported for the current connection.
    proven: bool,
    /// Bytes still missing of the packet being received (see [`NUDGE_WHEN_MISSING`]), and
    /// when the broker was last nudged.
    missing: usize,
    nudged_at: Option<Millis>,
    /// Since when an answer (SUBACK, PUBACK) is awaited, and when the broker was last heard.
    awaiting_since: Option<Millis>,
    /// When this connection's CONNECT was queued, and how long its CONNACK took: the link's
    /// round trip, measured before any large message can hold answers back.
    connect_sent_at: Millis,
    round_trip: Millis,
    /// Messages now are a resumed session's backlog (see [`Message::backlog`]).
    backlog: bool,
    last_heard: Millis,
    /// A reply to a QoS 0 publish is awaited (see [`Session::await_reply`]).
    reply_awaited: bool,
    /// Nudges off, as before this round (see [`crate::old_defects`]).
    #[cfg(feature = "emulate-old-defects")]
    no_nudges: bool,
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
            acks_queued: 0,
            first_ack_at: None,
            events: VecDeque::new(),
            last_sent: 0,
            ping_deadline: None,
            next_packet_id: 1,
            in_flight: BTreeMap::new(),
            waiting: VecDeque::new(),
            urgent_waiting: 0,
            pending_subscriptions: BTreeMap::new(),
            incoming_qos2: BTreeSet::new(),
            limits: ServerLimits::default(),
            proven: false,
            missing: 0,
            nudged_at: None,
            awaiting_since: None,
            connect_sent_at: 0,
            round_trip: 0,
            backlog: false,
            last_heard: 0,
            reply_awaited: false,
            #[cfg(feature = "emulate-old-defects")]
            no_nudges: false,
        }
    }

    /// Sends no nudges, as before this round ([`crate::old_defects::OldDefect::NoNudges`]).
    #[cfg(feature = "emulate-old-defects")]
    pub fn emulate_no_nudges(&mut self) {
        self.no_nudges = true;
    }

    /// What the broker of the current (or last) connection allows.
    pub fn limits(&self) -> &ServerLimits {
        &self.limits
    }

    /// The keepalive in force: the broker's Server Keep Alive if it set one, else ours.
    pub fn keep_alive_secs(&self) -> u16 {
        self.limits
            .server_keep_alive
            .unwrap_or(self.options.keep_alive_secs)
    }

    /// The options this session connects with.
    pub fn options(&self) -> &SessionOptions {
        &self.options
    }

    /// Waits this long for CONNACK from the next connection on.
    pub fn set_connack_timeout(&mut self, timeout: Millis) {
        self.options.connack_timeout = timeout;
    }

    /// Uses another protocol version from the next connection on (a fallback).
    pub fn set_protocol(&mut self, protocol: ProtocolVersion) {
        self.options.protocol = protocol;
    }

    /// True between an accepting CONNACK and the loss of the connection.
    pub fn is_connected(&self) -> bool {
        self.phase == Phase::Connected
    }

    /// The transport is open: queue CONNECT.
    pub fn handle_transport_open(&mut self, now: Millis) {
        self.reader.clear();
        self.clear_transmit();
        self.ping_deadline = None;
        self.limits = ServerLimits::default();
        self.proven = false;
        self.missing = 0;
        self.nudged_at = None;
        self.awaiting_since = None;
        self.reply_awaited = false;
        self.last_heard = now;
        self.connect_sent_at = now;
        self.round_trip = 0;
        self.backlog = false;
        self.phase = Phase::AwaitingConnack {
            deadline: now + self.options.connack_timeout,
        };
        match codec::encode_connect(self.options.protocol, &self.options) {
            Ok(bytes) => self.queue(now, bytes),
            Err(error) => self.lose(LossReason::Protocol(crate::say!(
                "cannot encode CONNECT: {}",
                error
            ))),
        }
    }

    /// The transport closed (by either side). With a clean session, QoS 1 publishes in flight
    /// are reported undelivered at once; with a persistent one they wait for the next CONNACK.
    pub fn handle_transport_closed(&mut self) {
        self.phase = Phase::Disconnected;
        self.reader.clear();
        self.missing = 0;
        self.clear_transmit();
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
            None => self.send_ping(now, deadline),
        }
    }

    /// Bytes arrived from the transport, in any chunking.
    pub fn handle_bytes(&mut self, now: Millis, bytes: &[u8]) {
        if self.phase == Phase::Disconnected {
            return;
        }
        self.last_heard = now;
        self.reader.push(bytes);
        loop {
            match self.reader.next_packet(self.options.protocol) {
                Ok(Some(packet)) => self.handle_packet(now, packet),
                Ok(None) => break,
                Err(ReadError::Unframeable(detail)) => {
                    self.lose(LossReason::Protocol(detail));
                }
                Err(ReadError::MalformedPacket(detail)) => {
                    // [MQTT-4.8.0-1] (3.1.1 section 4.8, MQTT 5 section 4.13): close.
                    self.lose(LossReason::Protocol(crate::say!(
                        "a malformed packet: {}",
                        detail
                    )));
                }
                Err(ReadError::Oversized { size }) => {
                    self.events.push_back(SessionEvent::Warning(crate::say!(
                        "skipped a {}-byte packet: larger than the {} byte limit",
                        size,
                        self.options.max_incoming_packet
                    )));
                }
            }
            if self.phase == Phase::Disconnected {
                break;
            }
        }
        self.missing = self.reader.missing();
        if !self.is_awaiting_answer() {
            self.awaiting_since = None;
        }
        if self.nudge_due(now) {
            self.nudge(now);
        }
    }

    /// True while a SUBACK, a PUBACK, a keepalive's PINGRESP or a reply (see
    /// [`Session::await_reply`]) is awaited.
    fn is_awaiting_answer(&self) -> bool {
        !self.pending_subscriptions.is_empty()
            || self.unacknowledged_count() > 0
            || self.ping_deadline.is_some()
            || self.reply_awaited
    }

    /// The caller sent something at QoS 0 that its recipient answers (a command the device
    /// confirms): until [`Session::reply_settled`], a silent broker is nudged as it is while a
    /// PUBACK is awaited.
    pub fn await_reply(&mut self, now: Millis) {
        if self.is_connected() {
            self.reply_awaited = true;
            self.expect_answer(now);
        }
    }

    /// What [`Session::await_reply`] waited for arrived (or was given up).
    pub fn reply_settled(&mut self) {
        self.reply_awaited = false;
        if !self.is_awaiting_answer() {
            self.awaiting_since = None;
        }
    }

    /// The next nudge, if one is due at all: while a large packet arrives in pieces, or while
    /// an awaited answer is late and the broker silent (for a while).
    fn next_nudge_at(&self) -> Option<Millis> {
        #[cfg(feature = "emulate-old-defects")]
        if self.no_nudges {
            return None;
        }
        if !self.is_connected() {
            return None;
        }
        let next = self.nudged_at.map_or(0, |at| at + NUDGE_EVERY_MS);
        if self.missing >= NUDGE_WHEN_MISSING {
            return Some(next);
        }
        let quiet_since = self.awaiting_since?.max(self.last_heard);
        let start = quiet_since + NUDGE_AFTER_QUIET_MS.max(NUDGE_ROUND_TRIPS * self.round_trip);
        let at = next.max(start);
        (at <= start + NUDGE_AT_MOST_MS).then_some(at)
    }

    fn nudge_due(&self, now: Millis) -> bool {
        self.next_nudge_at().is_some_and(|at| now >= at)
    }

    /// A PINGREQ that is not a keepalive check: its answer is not waited for.
    fn nudge(&mut self, now: Millis) {
        if let Ok(bytes) = codec::encode_ack(self.options.protocol, Ack::PingReq) {
            self.queue(now, bytes);
            self.nudged_at = Some(now);
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
                if self.nudge_due(now) {
                    self.nudge(now);
                }
                if let Some(ping_at) = self.next_ping_at() {
                    if now >= ping_at && self.ping_deadline.is_none() {
                        self.send_ping(now, now + self.ping_grace());
                    }
                }
            }
        }
    }

    /// Subscribes to topic filters at QoS 1, in as many SUBSCRIBE packets as the broker's
    /// Maximum Packet Size needs. Returns the first packet's id. A filter too long for any
    /// packet is reported as [`SessionEvent::SubscriptionFailed`].
    pub fn subscribe(&mut self, now: Millis, filters: &[String]) -> Result<u16, SessionError> {
        if !self.is_connected() {
            return Err(SessionError::NotConnected);
        }
        if filters.is_empty() {
            // A SUBSCRIBE must carry at least one filter [MQTT-3.8.3-3].
            return Err(SessionError::Encode(crate::say!(
                "there is no topic filter to subscribe to"
            )));
        }
        let mut first = None;
        for chunk in self.filter_chunks(filters, codec::subscribe_entry_len, true) {
            let packet_id = self.allocate_packet_id();
            let bytes = codec::encode_subscribe(self.options.protocol, packet_id, &chunk)
                .map_err(SessionError::Encode)?;
            self.pending_subscriptions.insert(packet_id, chunk);
            self.queue(now, bytes);
            self.expect_answer(now);
            first.get_or_insert(packet_id);
        }
        first.ok_or_else(|| SessionError::Encode(crate::say!("no topic filter fits in a packet")))
    }

    /// Stops receiving messages on topic filters (in as many UNSUBSCRIBE packets as the
    /// broker's Maximum Packet Size needs); nothing to do while not connected.
    pub fn unsubscribe(&mut self, now: Millis, filters: &[String]) -> Result<(), SessionError> {
        if !self.is_connected() {
            return Err(SessionError::NotConnected);
        }
        for chunk in self.filter_chunks(filters, codec::unsubscribe_entry_len, false) {
            let packet_id = self.allocate_packet_id();
            let bytes = codec::encode_unsubscribe(self.options.protocol, packet_id, &chunk)
                .map_err(SessionError::Encode)?;
            self.queue(now, bytes);
        }
        Ok(())
    }

    /// `filters` cut into runs that each fit in one (UN)SUBSCRIBE under the broker's limit; a
    /// filter too long for any packet is left out (and reported when `report`).
    fn filter_chunks(
        &mut self,
        filters: &[String],
        entry_len: fn(&str) -> usize,
        report: bool,
    ) -> Vec<Vec<String>> {
        if filters.is_empty() {
            // An UNSUBSCRIBE needs one filter too [MQTT-3.10.3-2]: nothing to send.
            return Vec::new();
        }
        let Some(limit) = self.limits.max_packet_size else {
            return vec![filters.to_vec()];
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let version = self.options.protocol;
        let mut chunks: Vec<Vec<String>> = Vec::new();
        let mut current: Vec<String> = Vec::new();
        let mut payload = 0;
        for filter in filters {
            let entry = entry_len(filter);
            if codec::subscribe_packet_len(version, entry) > limit {
                if !report {
                    continue;
                }
                self.events.push_back(SessionEvent::SubscriptionFailed {
                    filter: filter.clone(),
                    reason: crate::say!(
                        "longer than the broker's packet size limit of {} bytes",
                        limit
                    ),
                });
                continue;
            }
            if !current.is_empty() && codec::subscribe_packet_len(version, payload + entry) > limit
            {
                chunks.push(std::mem::take(&mut current));
                payload = 0;
            }
            current.push(filter.clone());
            payload += entry;
        }
        if !current.is_empty() {
            chunks.push(current);
        }
        chunks
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
        self.publish_inner(now, topic, payload, qos, retain, None, false)
    }

    /// A user's command: [`Session::publish`] with MQTT 5's Message Expiry Interval (a broker
    /// that could not deliver it within `expiry_secs`, a subscriber being away with a kept
    /// session, discards it [MQTT-3.3.2-5]); beyond the broker's Receive Maximum it waits
    /// ahead of every other publish (a click does not queue behind state questions).
    pub fn publish_command(
        &mut self,
        now: Millis,
        topic: &str,
        payload: &[u8],
        qos: QoS,
        expiry_secs: Option<u32>,
    ) -> Result<u16, SessionError> {
        self.publish_inner(now, topic, payload, qos, false, expiry_secs, true)
    }

    /// A question (asking twice is harmless): at QoS 1 while the broker's Receive Maximum has
    /// room (its PUBACK is what a broker that writes only when woken is nudged for), at QoS 0
    /// when it has none, so it never waits behind others (the simulation found a device back
    /// online asked 2 s late behind eight questions with a Receive Maximum of 1).
    pub fn publish_question(
        &mut self,
        now: Millis,
        topic: &str,
        payload: &[u8],
    ) -> Result<u16, SessionError> {
        let qos = if self.waiting.is_empty() && self.has_send_quota() {
            QoS::AtLeastOnce
        } else {
            QoS::AtMostOnce
        };
        self.publish_inner(now, topic, payload, qos, false, None, false)
    }

    #[allow(clippy::too_many_arguments)]
    fn publish_inner(
        &mut self,
        now: Millis,
        topic: &str,
        payload: &[u8],
        qos: QoS,
        retain: bool,
        expiry_secs: Option<u32>,
        urgent: bool,
    ) -> Result<u16, SessionError> {
        if !self.is_connected() {
            return Err(SessionError::NotConnected);
        }
        // [MQTT-3.3.2-2]: no wildcards in a PUBLISH topic; [MQTT-4.7.3-1]: not empty.
        if topic.is_empty() || topic.contains(['+', '#', '\0']) {
            return Err(SessionError::InvalidTopic(topic.into()));
        }
        // [MQTT-3.2.2-14]
        if retain && !self.limits.retain_available {
            return Err(SessionError::RetainUnavailable);
        }
        // [MQTT-3.2.2-11]: a broker that takes QoS 0 only gets QoS 0.
        let qos = if qos == QoS::AtMostOnce || self.limits.maximum_qos == 0 {
            QoS::AtMostOnce
        } else {
            QoS::AtLeastOnce
        };
        let mut publish = OutgoingPublish {
            topic: topic.into(),
            payload: payload.to_vec(),
            qos,
            packet_id: 0,
            retain,
            dup: false,
            expiry_secs,
        };
        if qos == QoS::AtLeastOnce {
            publish.packet_id = self.allocate_packet_id();
        }
        let bytes =
            codec::encode_publish(self.options.protocol, &publish).map_err(SessionError::Encode)?;
        // [MQTT-3.2.2-15]
        if let Some(limit) = self.limits.max_packet_size {
            if !self.limits.allows_packet(bytes.len()) {
                return Err(SessionError::TooLarge {
                    size: bytes.len(),
                    limit,
                });
            }
        }
        let packet_id = publish.packet_id;
        if qos == QoS::AtLeastOnce {
            // [MQTT-3.3.4-7]: beyond the broker's Receive Maximum, wait for a PUBACK.
            let room = self.waiting.is_empty() && self.has_send_quota();
            self.in_flight.insert(
                packet_id,
                InFlight {
                    publish,
                    first_sent: now,
                    sent: room,
                },
            );
            if !room {
                if urgent {
                    self.waiting.insert(self.urgent_waiting, packet_id);
                    self.urgent_waiting += 1;
                } else {
                    self.waiting.push_back(packet_id);
                }
                return Ok(packet_id);
            }
            self.expect_answer(now);
        }
        self.queue(now, bytes);
        Ok(packet_id)
    }

    /// True while fewer QoS 1 publishes await PUBACK than the broker's Receive Maximum.
    fn has_send_quota(&self) -> bool {
        self.unacknowledged_count() < usize::from(self.limits.receive_maximum)
    }

    /// Sends waiting QoS 1 publishes while the broker's Receive Maximum has room.
    fn release_waiting(&mut self, now: Millis) {
        while self.is_connected() && self.has_send_quota() {
            let Some(packet_id) = self.waiting.pop_front() else {
                return;
            };
            self.urgent_waiting = self.urgent_waiting.saturating_sub(1);
            let Some(entry) = self.in_flight.get_mut(&packet_id) else {
                continue;
            };
            // A command that waited longer than the resend window (the broker slow to
            // acknowledge, a phone asleep) is stale: its card already said "not confirmed",
            // and a relay must not switch long after the click (the simulation found one sent
            // 39 s late, when a sleeping phone woke).
            if now.saturating_sub(entry.first_sent) > self.options.resend_window {
                self.in_flight.remove(&packet_id);
                self.events
                    .push_back(SessionEvent::Undelivered { packet_id });
                continue;
            }
            entry.sent = true;
            match codec::encode_publish(self.options.protocol, &entry.publish) {
                Ok(bytes) => {
                    self.queue(now, bytes);
                    self.expect_answer(now);
                }
                Err(_) => {
                    self.in_flight.remove(&packet_id);
                    self.events
                        .push_back(SessionEvent::Undelivered { packet_id });
                }
            }
        }
    }

    /// The next packet to send, already encoded.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        let (bytes, is_ack) = self.transmit.pop_front()?;
        if is_ack {
            self.acks_queued -= 1;
            if self.acks_queued == 0 {
                self.first_ack_at = None;
            }
        }
        Some(bytes)
    }

    /// True when what is queued should be sent now. Acknowledgements alone may wait up to
    /// [`ACK_HOLD_MS`] for company (or until [`ACK_BATCH`] of them are queued), so a burst of
    /// QoS 1 messages (the retained ones after a subscription) is acknowledged in one
    /// WebSocket message rather than one each; anything else goes at once, taking them along.
    pub fn transmit_due(&self, now: Millis) -> bool {
        if self.transmit.is_empty() {
            return false;
        }
        self.acks_queued < self.transmit.len()
            || self.acks_queued >= ACK_BATCH
            || self.ack_deadline().is_some_and(|deadline| now >= deadline)
    }

    fn ack_deadline(&self) -> Option<Millis> {
        self.first_ack_at.map(|at| at + ACK_HOLD_MS)
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
            Phase::Connected => self
                .ping_deadline
                .or_else(|| self.next_ping_at())
                .into_iter()
                .chain(self.ack_deadline())
                .chain(self.next_nudge_at())
                .min(),
        }
    }

    /// How many of our QoS 1 publishes await PUBACK (or room to be sent).
    pub fn in_flight_count(&self) -> usize {
        self.in_flight.len()
    }

    /// How many of our QoS 1 publishes were sent and await PUBACK.
    pub fn unacknowledged_count(&self) -> usize {
        self.in_flight.len() - self.waiting.len()
    }

    /// A PINGREQ is due one keepalive after the last packet sent [MQTT-3.1.2-23], or after the
    /// last one received if that is older: a page that keeps sending (questions asked again,
    /// clicks) into a dead link still checks it, so a stall is noticed within 1.5 x keepalive
    /// whatever the page sends (sending alone used to postpone the ping indefinitely).
    fn next_ping_at(&self) -> Option<Millis> {
        match self.keep_alive_secs() {
            0 => None,
            secs => Some(self.last_sent.min(self.last_heard) + Millis::from(secs) * SECOND),
        }
    }

    fn ping_grace(&self) -> Millis {
        (Millis::from(self.keep_alive_secs()) * SECOND / 2).max(500)
    }

    fn send_ping(&mut self, now: Millis, deadline: Millis) {
        if let Ok(bytes) = codec::encode_ack(self.options.protocol, Ack::PingReq) {
            self.queue(now, bytes);
            self.ping_deadline = Some(deadline);
            self.expect_answer(now);
        }
    }

    fn send_ack(&mut self, now: Millis, ack: Ack) {
        if let Ok(bytes) = codec::encode_ack(self.options.protocol, ack) {
            self.transmit.push_back((bytes, true));
            self.last_sent = now;
            self.acks_queued += 1;
            self.first_ack_at.get_or_insert(now);
        }
    }

    fn clear_transmit(&mut self) {
        self.transmit.clear();
        self.acks_queued = 0;
        self.first_ack_at = None;
    }

    fn queue(&mut self, now: Millis, bytes: Vec<u8>) {
        self.transmit.push_back((bytes, false));
        self.last_sent = now;
    }

    /// Something that the broker must answer was queued at `now`.
    /// Something sent now is answered by the broker: a silence from now on is nudged (see the
    /// module notes). A silence already nudged for its full while starts again with it: what
    /// is awaited now (a click, the probe on waking) is as late as ever behind a broker that
    /// still trickles (the simulation found a phone that woke into a silence nudged out
    /// before it slept: its click and its keepalive waited, and the link was judged dead).
    fn expect_answer(&mut self, now: Millis) {
        let nudged_out = self.awaiting_since.is_some() && self.next_nudge_at().is_none();
        if self.awaiting_since.is_none() || nudged_out {
            self.awaiting_since = Some(now);
        }
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

    fn handle_packet(&mut self, now: Millis, packet: Incoming) {
        // Any packet from the broker proves the link alive.
        self.ping_deadline = None;
        if let Phase::AwaitingConnack { .. } = self.phase {
            // [MQTT-3.2.0-1]: the first packet from the server must be CONNACK.
            match packet {
                Incoming::ConnAck {
                    session_present,
                    refusal,
                    limits,
                } => self.handle_connack(now, session_present, refusal, limits),
                Incoming::Disconnect { reason } => self.lose(LossReason::ServerDisconnect(reason)),
                other => self.lose(LossReason::Protocol(crate::say!(
                    "expected CONNACK first, got {}",
                    packet_name(&other)
                ))),
            }
            return;
        }
        if !self.proven
            && matches!(
                packet,
                Incoming::Publish { .. }
                    | Incoming::PubAck { .. }
                    | Incoming::SubAck { .. }
                    | Incoming::PingResp
            )
        {
            self.proven = true;
            self.events.push_back(SessionEvent::Proven);
        }
        // A resumed session's backlog (what the broker kept for this client while it was away)
        // comes right after CONNACK, before the broker answers anything this connection sent.
        if !matches!(packet, Incoming::Publish { .. }) {
            self.backlog = false;
        }
        match packet {
            Incoming::Publish {
                topic,
                payload,
                qos,
                packet_id,
                retain,
                dup,
            } => self.handle_publish(now, topic, payload, qos, packet_id, (retain, dup)),
            Incoming::PubAck { packet_id, refusal } => {
                if self
                    .in_flight
                    .get(&packet_id)
                    .is_some_and(|entry| entry.sent)
                {
                    self.in_flight.remove(&packet_id);
                    self.events.push_back(match refusal {
                        None => SessionEvent::Delivered { packet_id },
                        Some(reason) => SessionEvent::PublishRefused { packet_id, reason },
                    });
                    self.release_waiting(now);
                }
            }
            Incoming::PubRel { packet_id } => {
                self.incoming_qos2.remove(&packet_id);
                self.send_ack(now, Ack::PubComp(packet_id));
            }
            Incoming::SubAck { packet_id, refused } => {
                let filters = self
                    .pending_subscriptions
                    .remove(&packet_id)
                    .unwrap_or_default();
                for (index, reason) in refused {
                    if let Some(filter) = filters.get(index) {
                        self.events.push_back(SessionEvent::SubscriptionFailed {
                            filter: filter.clone(),
                            reason,
                        });
                    }
                }
            }
            Incoming::Disconnect { reason } => self.lose(LossReason::ServerDisconnect(reason)),
            Incoming::PingResp | Incoming::UnsubAck | Incoming::PubComp | Incoming::PubRec => {}
            Incoming::ConnAck { .. } | Incoming::ClientPacket(_) => {
                self.lose(LossReason::Protocol(crate::say!(
                    "a client never receives {} here",
                    packet_name(&packet)
                )))
            }
        }
    }

    fn handle_connack(
        &mut self,
        now: Millis,
        session_present: bool,
        refusal: Option<ConnectRefusal>,
        limits: ServerLimits,
    ) {
        self.round_trip = now
            .saturating_sub(self.connect_sent_at)
            .min(ROUND_TRIP_AT_MOST_MS);
        match refusal {
            None => {
                if let Some(id) = &limits.assigned_client_id {
                    // The broker named this client: a resumed session needs the same name.
                    self.options.client_id = id.clone();
                }
                self.limits = limits;
                self.phase = Phase::Connected;
                self.backlog = session_present;
                self.events
                    .push_back(SessionEvent::Connected { session_present });
                if session_present {
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
        self.waiting.clear();
        self.urgent_waiting = 0;
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
        // Everything fresh goes out again in order, within the new Receive Maximum; what had
        // been sent before carries DUP.
        self.waiting.clear();
        self.urgent_waiting = 0;
        for (packet_id, mut entry) in fresh {
            entry.publish.dup = entry.sent;
            entry.sent = false;
            self.in_flight.insert(packet_id, entry);
            self.waiting.push_back(packet_id);
        }
        self.release_waiting(now);
    }

    fn handle_publish(
        &mut self,
        now: Millis,
        topic: String,
        payload: Vec<u8>,
        qos: QoS,
        packet_id: u16,
        (retained, duplicate): (bool, bool),
    ) {
        if topic.is_empty() {
            // MQTT 5 topic aliases: this client allows none (Topic Alias Maximum 0 in CONNECT).
            self.lose(LossReason::Protocol(crate::say!(
                "a message without a topic name (a topic alias, which this page does not allow)"
            )));
            return;
        }
        let deliver = match qos {
            QoS::AtMostOnce => true,
            QoS::AtLeastOnce => {
                self.send_ack(now, Ack::PubAck(packet_id));
                true
            }
            QoS::ExactlyOnce => {
                // Deliver once per packet id until PUBREL releases it [MQTT-4.3.3-2].
                let first = self.incoming_qos2.insert(packet_id);
                self.send_ack(now, Ack::PubRec(packet_id));
                first
            }
        };
        if deliver {
            self.events.push_back(SessionEvent::Message(Message {
                topic,
                payload,
                retained,
                duplicate,
                backlog: self.backlog,
            }));
        }
    }
}

fn packet_name(packet: &Incoming) -> &'static str {
    match packet {
        Incoming::ConnAck { .. } => "CONNACK",
        Incoming::Publish { .. } => "PUBLISH",
        Incoming::PubAck { .. } => "PUBACK",
        Incoming::PubRec => "PUBREC",
        Incoming::PubRel { .. } => "PUBREL",
        Incoming::PubComp => "PUBCOMP",
        Incoming::SubAck { .. } => "SUBACK",
        Incoming::UnsubAck => "UNSUBACK",
        Incoming::PingResp => "PINGRESP",
        Incoming::Disconnect { .. } => "DISCONNECT",
        Incoming::ClientPacket(name) => name,
    }
}

#[cfg(test)]
mod tests;
