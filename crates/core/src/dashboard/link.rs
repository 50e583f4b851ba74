//! The broker link: the WebSocket's life (open, bytes, closed), the session's events, MQTT 5
//! falling back to 3.1.1, and the pacing of reconnects.
//!
//! When MQTT 5 was asked for and the broker does not take it (a CONNACK refusing the version,
//! a socket closed before CONNACK, or no CONNACK at all: some brokers drop a v5 CONNECT
//! without a word), the next attempt uses MQTT 3.1.1 at once, and the page says so. Once a v5
//! connection has worked, later failures are ordinary failures.

use crate::codec::ProtocolVersion;
use crate::reconnect::Failure;
use crate::session::{LossReason, SessionEvent};
use crate::time::{Millis, SECOND};

use super::Dashboard;

/// While MQTT 5 is untried, a broker that has not answered CONNECT within this is taken to
/// ignore MQTT 5 (brokers answer CONNACK in milliseconds), so 3.1.1 is tried without a long wait.
pub const V5_CONNACK_PATIENCE: Millis = 4 * SECOND;
/// After a wake-up (tab visible again, network back), the broker must answer a ping this fast.
pub const WAKE_PROBE_DEADLINE: Millis = 3 * SECOND;

/// What the glue must do with the WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportCommand {
    /// Open a new connection to the broker.
    Open,
    /// Close the current connection (do not report its close back).
    Close,
}

/// The state of the broker link, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkPhase {
    /// Not started.
    Idle,
    /// Opening the WebSocket or waiting for CONNACK.
    Connecting,
    /// Connected and subscribed.
    Connected,
    /// Waiting before the next attempt.
    WaitingToRetry {
        /// When the next attempt starts.
        retry_at: Millis,
    },
}

/// The link's phase plus the last problem to explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStatus {
    /// What the link is doing.
    pub phase: LinkPhase,
    /// Why the last attempt failed or the connection dropped, in words.
    pub problem: Option<String>,
    /// How many attempts failed in a row.
    pub failed_attempts: u32,
    /// The protocol version in use (after any fallback).
    pub protocol: ProtocolVersion,
    /// The limits the broker set for this connection, in words ("" when none: MQTT 3.1.1).
    pub limits: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transport {
    Closed,
    Opening,
    Open,
}

impl Dashboard {
    /// The broker link as the page shows it.
    pub fn link(&self) -> &LinkStatus {
        &self.link
    }

    /// The WebSocket opened.
    pub fn handle_transport_open(&mut self, now: Millis) {
        if self.transport != Transport::Opening {
            return;
        }
        self.transport = Transport::Open;
        self.session.handle_transport_open(now);
        self.drain_session(now);
    }

    /// Bytes arrived on the WebSocket.
    pub fn handle_bytes(&mut self, now: Millis, bytes: &[u8]) {
        if self.transport != Transport::Open {
            return;
        }
        self.session.handle_bytes(now, bytes);
        self.drain_session(now);
    }

    /// The WebSocket closed or failed to open.
    pub fn handle_transport_closed(&mut self, now: Millis) {
        self.close_transport(now, None);
    }

    /// The WebSocket could not even be created (the browser refused the address): say why.
    pub fn handle_transport_refused(&mut self, now: Millis, problem: String) {
        self.close_transport(now, Some(problem));
    }

    pub(super) fn close_transport(&mut self, now: Millis, explained: Option<String>) {
        let failure = match self.transport {
            Transport::Open if self.session.is_connected() => Failure::Dropped,
            // Closed before CONNACK: the broker did not want this connection.
            Transport::Open => Failure::Rejected,
            Transport::Opening | Transport::Closed => Failure::Unreachable,
        };
        let problem = match self.transport {
            Transport::Closed => return,
            Transport::Opening => crate::say!("Cannot reach the broker at this address. Check the host, port and path, and that the broker is running with a WebSocket listener."),
            Transport::Open if self.session.is_connected() => crate::say!("The connection to the broker was lost."),
            Transport::Open => crate::say!("The broker closed the connection before accepting it: the address path, the user name or the password may be wrong."),
        };
        if self.transport == Transport::Open
            && !self.session.is_connected()
            && self.fall_back_to_v311(&crate::say!(
                "the broker closed the connection without answering"
            ))
        {
            return;
        }
        let mut problem = explained.unwrap_or(problem);
        if self.transport == Transport::Opening {
            if let Some(hint) = certificate_hint(&self.broker_url) {
                problem = format!("{problem} {hint}");
            }
        }
        self.transport = Transport::Closed;
        self.session.handle_transport_closed();
        self.drain_session(now);
        self.connection_failed(now, problem, failure);
    }

    /// The tab became visible, the page was restored, the network came back, or the clock
    /// jumped (the device slept): timers may have been starved, so check the link at once.
    pub fn handle_wake(&mut self, now: Millis) {
        match self.link.phase {
            LinkPhase::Connected => {
                self.session.probe(now, WAKE_PROBE_DEADLINE);
            }
            LinkPhase::WaitingToRetry { .. } => self.open_transport(),
            LinkPhase::Idle | LinkPhase::Connecting => {}
        }
    }

    /// The user asked to try again now.
    pub fn retry_now(&mut self) {
        if let LinkPhase::WaitingToRetry { .. } = self.link.phase {
            self.open_transport();
        }
    }

    pub(super) fn open_transport(&mut self) {
        if self.transport != Transport::Closed {
            self.transport_commands.push_back(TransportCommand::Close);
        }
        self.transport = Transport::Opening;
        self.link.phase = LinkPhase::Connecting;
        self.transport_commands.push_back(TransportCommand::Open);
    }

    pub(super) fn connection_failed(&mut self, now: Millis, problem: String, failure: Failure) {
        for device in &mut self.devices {
            device.adapter.handle_broker_disconnected();
        }
        self.note_all_deadlines();
        let delay = self.reconnect.next_delay(now, failure, &mut self.random);
        self.link.failed_attempts = self.link.failed_attempts.saturating_add(1);
        self.link.problem = Some(problem);
        self.link.phase = LinkPhase::WaitingToRetry {
            retry_at: now + delay,
        };
    }

    pub(super) fn drain_session(&mut self, now: Millis) {
        while let Some(event) = self.session.poll_event() {
            match event {
                SessionEvent::Connected { .. } => self.handle_connected(now),
                SessionEvent::Message(message) => self.route_message(now, &message),
                SessionEvent::Refused(refusal) => {
                    if refusal.is_unsupported_version()
                        && self.fall_back_to_v311(&crate::say!(
                            "the broker refused the protocol version"
                        ))
                    {
                        continue;
                    }
                    self.close_and_retry(now, refusal.explain(), Failure::Rejected);
                }
                SessionEvent::Lost(LossReason::ConnackTimeout)
                    if self.fall_back_to_v311(&crate::say!(
                        "the broker never answered the MQTT 5 CONNECT"
                    )) => {}
                SessionEvent::Lost(reason) => {
                    let failure = match reason {
                        LossReason::PingTimeout => Failure::Dropped,
                        LossReason::ConnackTimeout
                        | LossReason::Protocol(_)
                        | LossReason::ServerDisconnect(_) => Failure::Rejected,
                    };
                    self.close_and_retry(now, reason.explain(), failure);
                }
                SessionEvent::Proven => {
                    self.reconnect.proven(now);
                    self.link.failed_attempts = 0;
                }
                SessionEvent::SubscriptionFailed { filter, reason }
                    if self
                        .discovery
                        .as_ref()
                        .is_some_and(|d| d.subscriptions().contains(&filter)) =>
                {
                    self.discovery_problem = Some(crate::say!(
                        "The broker does not let this user read \"{}\" ({}): devices announced there are not listed.",
                        filter,
                        reason
                    ));
                }
                SessionEvent::SubscriptionFailed { filter, reason } => {
                    self.link.problem = Some(crate::say!(
                        "The broker refused the subscription to \"{}\": {}. This user may not be allowed to read it (check the broker's ACL).",
                        filter,
                        reason
                    ));
                }
                SessionEvent::PublishRefused { packet_id, reason } => {
                    let owner = self.publish_owners.remove(&packet_id);
                    if let Some(index) = owner.and_then(|id| self.index_of(id)) {
                        self.devices[index].adapter.handle_command_refused(&reason);
                        self.note_deadline(index);
                    }
                }
                SessionEvent::Warning(warning) => self.link.problem = Some(warning),
                SessionEvent::Delivered { packet_id } | SessionEvent::Undelivered { packet_id } => {
                    self.publish_owners.remove(&packet_id);
                }
            }
        }
    }

    /// Switches to MQTT 3.1.1 and reconnects at once, if MQTT 5 was in use and never worked
    /// with this broker. Returns false when there is nothing to fall back from.
    pub(super) fn fall_back_to_v311(&mut self, why: &str) -> bool {
        if self.session.options().protocol != ProtocolVersion::V5 || self.v5_confirmed {
            return false;
        }
        self.session.set_protocol(ProtocolVersion::V311);
        self.session.set_connack_timeout(self.connack_timeout);
        self.link.protocol = ProtocolVersion::V311;
        if self.transport != Transport::Closed {
            self.transport = Transport::Closed;
            self.transport_commands.push_back(TransportCommand::Close);
        }
        self.session.handle_transport_closed();
        for device in &mut self.devices {
            device.adapter.handle_broker_disconnected();
        }
        self.note_all_deadlines();
        let note = crate::say!(
            "MQTT 5 did not work with this broker ({}), so MQTT 3.1.1 is used.",
            why
        );
        self.fallback_note = Some(note.clone());
        self.link.problem = Some(note);
        self.open_transport();
        true
    }

    pub(super) fn close_and_retry(&mut self, now: Millis, problem: String, failure: Failure) {
        if self.transport != Transport::Closed {
            self.transport = Transport::Closed;
            self.transport_commands.push_back(TransportCommand::Close);
        }
        self.connection_failed(now, problem, failure);
    }

    pub(super) fn handle_connected(&mut self, now: Millis) {
        self.link.phase = LinkPhase::Connected;
        if self.session.options().protocol == ProtocolVersion::V5 {
            self.v5_confirmed = true;
            self.session.set_connack_timeout(self.connack_timeout);
        }
        // After a fall back the note stays: it explains the version shown.
        self.link.problem = self.fallback_note.clone();
        self.link.limits = self.session.limits().describe();
        let filters: Vec<String> = self
            .devices
            .iter()
            .flat_map(|d| d.adapter.subscriptions())
            .collect();
        if !filters.is_empty() {
            if let Err(error) = self.session.subscribe(now, &filters) {
                self.link.problem = Some(crate::say!("Could not subscribe: {}.", error));
            }
        }
        for index in 0..self.devices.len() {
            self.devices[index].adapter.handle_broker_connected(now);
        }
        // Every device's first question (its state) goes out before anyone's details (names,
        // readings), so the last switch of a long list is not waiting behind them.
        for index in 0..self.devices.len() {
            if let Some(first) = self.devices[index].adapter.poll_outgoing() {
                self.publish(now, Some(index), first);
            }
        }
        for index in 0..self.devices.len() {
            self.flush_device(now, index);
        }
        self.subscribe_discovery(now);
    }
}

/// For a `wss://` broker that cannot be reached: browsers silently refuse a certificate they
/// do not trust, and script cannot override that; the user must accept it once.
fn certificate_hint(broker_url: &str) -> Option<String> {
    let rest = broker_url
        .get(..6)
        .filter(|scheme| scheme.eq_ignore_ascii_case("wss://"))
        .and_then(|_| broker_url.get(6..))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    Some(crate::say!(
        "If the broker uses a self-signed certificate, open https://{}/ once in this browser and accept it.",
        authority
    ))
}
