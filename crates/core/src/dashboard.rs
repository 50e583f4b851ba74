//! One broker link and the devices on it: the single object the browser glue drives.
//!
//! The glue reports what happened (`handle_transport_open`, `handle_bytes`,
//! `handle_transport_closed`, `handle_timeout`, user `request`s) and then drains what to do:
//! `poll_transport_command` (open or close the WebSocket), `poll_transmit` (bytes to send) and
//! `poll_timeout` (when to call back). Reconnects are paced by `reconnect` (quick while the
//! broker is away, backing off when it says no). Messages are routed to the devices; devices'
//! outgoing messages become QoS 1 publishes, never retained.
//!
//! Devices are a store addressed by [`DeviceId`]; each device has a revision the page compares
//! instead of whole states. This file holds the state and the plumbing every part shares
//! (routing a message, flushing a device, publishing, the next timeout); the concerns live in:
//! - `link`: the WebSocket's life, the session's events, the MQTT 5 fallback, reconnects;
//! - `devices`: add, remove, update, move (subscribe and unsubscribe the difference);
//! - `actions`: what the user does to devices (switch, room "all off", schedules, unlock...);
//! - `listening`: discovery and the message log;
//! - `router` (which devices listen on a topic), `deadlines` (each device's next deadline);
//! - `crate::reconnect` (when to try again), `crate::session` (MQTT itself).
//!
//! Not here: sockets, timers, rendering (the app crate), MQTT framing (`session`).

use std::collections::{BTreeMap, HashSet, VecDeque};

use mqttbytes::QoS;

use crate::adapter::{Device, DeviceAction};
use crate::backoff::Random;
use crate::codec::ProtocolVersion;
use crate::device::{
    CommandError, DeviceState, OutgoingMessage, CONFIRMATION_TIMEOUT, PENDING_BITS,
};
use crate::device_config::{DeviceAddress, DeviceConfig};
pub use crate::device_id::DeviceId;
use crate::discovery::Discovery;
use crate::message_log::{Direction, MessageLog};
use crate::reconnect::ReconnectPolicy;
use crate::relay_guard::RelayGuard;
use crate::session::{Message, Session, SessionOptions};
use crate::time::{Millis, SECOND};
use deadlines::DeadlineIndex;
use router::Router;

/// What a room's "all off" did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomOff {
    /// How many switches were sent "off".
    pub sent: usize,
    /// Why the others were not (rate limit, lock, a command pending...).
    pub refused: Vec<CommandError>,
}

/// A device on the dashboard: its identity, its configuration and its adapter.
#[derive(Debug)]
pub struct DashboardDevice {
    /// Its identity, for as long as it is on the dashboard.
    pub id: DeviceId,
    /// What the user configured.
    pub config: DeviceConfig,
    adapter: Device,
    /// Bumped whenever the device was touched (a message, a click, a timer, an edit): the
    /// page redraws a device only when this moved, instead of comparing whole states.
    revision: u64,
}

impl DashboardDevice {
    /// How many times the device was touched; what the page shows is current while equal.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// What the page knows about the device.
    pub fn state(&self) -> &DeviceState {
        self.adapter.state()
    }

    /// The extra actions its kind offers.
    pub fn actions(&self) -> &'static [DeviceAction] {
        self.adapter.actions()
    }

    /// True if "send toggle" works without a known state.
    pub fn toggles_without_state(&self) -> bool {
        self.adapter.toggles_without_state()
    }
}

/// A broker link with its devices.
#[derive(Debug)]
pub struct Dashboard {
    session: Session,
    devices: Vec<DashboardDevice>,
    link: LinkStatus,
    transport: Transport,
    transport_commands: VecDeque<TransportCommand>,
    reconnect: ReconnectPolicy,
    random: Random,
    broker_url: String,
    v5_confirmed: bool,
    fallback_note: Option<String>,
    connack_timeout: Millis,
    publish_owners: BTreeMap<u16, DeviceId>,
    next_id: u32,
    /// Which devices listen on which topics (see `router`).
    router: Router,
    /// State questions sent at `queries_sent_at`: several pins of one board ask the same
    /// question, which is sent once.
    queries_sent: HashSet<(String, Vec<u8>)>,
    queries_sent_at: Millis,
    /// Listens for devices announcing themselves, when enabled.
    discovery: Option<Discovery>,
    /// Why discovery cannot see everything (e.g. the broker refused its subscriptions).
    discovery_problem: Option<String>,
    /// The recent messages, while the user looks at them.
    log: Option<MessageLog>,
    /// Each device's soonest deadline (see `deadlines`).
    deadlines: DeadlineIndex,
    /// Each device's [`DeviceState::usability`] when last flushed, and how many times any
    /// changed: the page shows such a change without waiting for the next frame.
    usability_of: Vec<u32>,
    usability_changes: u64,
    /// The relay guards of the last devices removed, by address (see `devices`).
    removed_guards: VecDeque<(DeviceAddress, RelayGuard)>,
    /// A command went at QoS 0 and its device's answer is awaited (see `publish`), and how
    /// many devices have a command pending (kept with `usability_of`).
    awaiting_reply: bool,
    pending_devices: usize,
}

impl Dashboard {
    /// A dashboard that connects with `options`; `seed` spreads reconnect delays.
    pub fn new(options: SessionOptions, devices: Vec<DeviceConfig>, seed: u64) -> Self {
        let protocol = options.protocol;
        let connack_timeout = options.connack_timeout;
        let mut session = Session::new(options);
        if protocol == ProtocolVersion::V5 {
            session.set_connack_timeout(connack_timeout.min(V5_CONNACK_PATIENCE));
        }
        let mut dashboard = Self {
            session,
            devices: Vec::new(),
            link: LinkStatus {
                phase: LinkPhase::Idle,
                problem: None,
                failed_attempts: 0,
                protocol,
                limits: String::new(),
            },
            transport: Transport::Closed,
            transport_commands: VecDeque::new(),
            reconnect: ReconnectPolicy::new(),
            random: Random::new(seed),
            broker_url: String::new(),
            v5_confirmed: false,
            fallback_note: None,
            connack_timeout,
            publish_owners: BTreeMap::new(),
            next_id: 0,
            router: Router::default(),
            queries_sent: HashSet::new(),
            queries_sent_at: 0,
            discovery: None,
            discovery_problem: None,
            log: None,
            deadlines: DeadlineIndex::default(),
            usability_of: Vec::new(),
            usability_changes: 0,
            removed_guards: VecDeque::new(),
            awaiting_reply: false,
            pending_devices: 0,
        };
        for device in devices {
            dashboard.add_device(0, device);
        }
        dashboard
    }

    /// Behaves as before one of this round's fixes (the simulator shows it finds the defect).
    #[cfg(feature = "emulate-old-defects")]
    pub fn emulate_old_defect(&mut self, defect: crate::old_defects::OldDefect) {
        use crate::old_defects::OldDefect;
        match defect {
            OldDefect::BackoffResetAfterFiveSeconds => self.reconnect.emulate_pre_round_backoff(),
            OldDefect::NoNudges => self.session.emulate_no_nudges(),
        }
    }

    /// The broker's address, used only to word problems (e.g. a `wss://` certificate hint).
    pub fn with_broker_url(mut self, url: impl Into<String>) -> Self {
        self.broker_url = url.into();
        self
    }

    /// Starts connecting.
    pub fn start(&mut self) {
        self.open_transport();
    }

    /// The devices, in order.
    pub fn devices(&self) -> &[DashboardDevice] {
        &self.devices
    }

    /// A timer fired.
    pub fn handle_timeout(&mut self, now: Millis) {
        self.session.handle_timeout(now);
        self.drain_session(now);
        // Only the devices whose own deadline came: a timer (an acknowledgement's short wait,
        // a ping) touches nothing else, so a thousand devices are not redrawn for it.
        for index in self.deadlines.due(now) {
            self.devices[index].adapter.handle_timeout(now);
            self.flush_device(now, index);
        }
        if let LinkPhase::WaitingToRetry { retry_at } = self.link.phase {
            if now >= retry_at {
                self.open_transport();
            }
        }
    }

    /// What to do with the WebSocket.
    pub fn poll_transport_command(&mut self) -> Option<TransportCommand> {
        self.transport_commands.pop_front()
    }

    /// True when the queued bytes should be sent now (acknowledgements alone may wait a few
    /// milliseconds: [`Session::transmit_due`]); [`Dashboard::poll_timeout`] covers the wait.
    pub fn transmit_due(&self, now: Millis) -> bool {
        self.session.transmit_due(now)
    }

    /// The next bytes to send on the WebSocket.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.session.poll_transmit()
    }

    /// When to call [`Dashboard::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Millis> {
        let retry = match self.link.phase {
            LinkPhase::WaitingToRetry { retry_at } => Some(retry_at),
            _ => None,
        };
        let devices = self.deadlines.first();
        debug_assert_eq!(
            devices,
            self.devices
                .iter()
                .filter_map(|d| d.adapter.poll_timeout())
                .min(),
            "a device's deadline changed without note_deadline"
        );
        devices
            .into_iter()
            .chain(self.session.poll_timeout())
            .chain(retry)
            .min()
    }

    /// Brings device `index`'s entry in the deadline index up to date; call after touching it.
    fn note_deadline(&mut self, index: usize) {
        let Some(device) = self.devices.get_mut(index) else {
            return;
        };
        // Every touch of a device ends here: what the page shows of it may have changed.
        device.revision += 1;
        let due = device.adapter.poll_timeout();
        self.deadlines.note(index, due);
    }

    /// Every device's deadline, after something touched them all.
    fn note_all_deadlines(&mut self) {
        for index in 0..self.devices.len() {
            self.note_deadline(index);
        }
    }

    /// Hands a message to the devices listening on its topic. Runs for every message: the
    /// listener lists are borrowed out and put back, so routing allocates nothing.
    fn route_message(&mut self, now: Millis, message: &Message) {
        if let Some(log) = &mut self.log {
            log.record(
                now,
                Direction::In,
                &message.topic,
                &message.payload,
                message.retained,
            );
        }
        let listeners = self.router.lend(&message.topic);
        for index in listeners.iter() {
            let device = &mut self.devices[index].adapter;
            if message.backlog {
                device.handle_backlog(now, &message.topic, &message.payload);
            } else if message.retained {
                device.handle_retained(now, &message.topic, &message.payload);
            } else if message.duplicate {
                device.handle_duplicate(now, &message.topic, &message.payload);
            } else {
                device.handle_message(now, &message.topic, &message.payload);
            }
            // Handled or not, the device saw it (a power sample, a question asked again).
            self.flush_device(now, index);
        }
        self.router.give_back(&message.topic, listeners);
        self.route_to_discovery(now, message);
    }

    fn flush_device(&mut self, now: Millis, index: usize) {
        while let Some(message) = self.devices[index].adapter.poll_outgoing() {
            self.publish(now, Some(index), message);
        }
        self.note_deadline(index);
        let usability = self.devices[index].adapter.state().usability();
        if let Some(seen) = self.usability_of.get_mut(index) {
            if *seen != usability {
                let (was, is) = (*seen & PENDING_BITS != 0, usability & PENDING_BITS != 0);
                self.pending_devices =
                    (self.pending_devices + usize::from(is)).saturating_sub(usize::from(was));
                *seen = usability;
                self.usability_changes += 1;
            }
        }
        self.settle_reply_if_done();
    }

    /// No device awaits its answer to a command any more: the session stops waiting for it.
    fn settle_reply_if_done(&mut self) {
        if self.awaiting_reply && self.pending_devices == 0 {
            self.awaiting_reply = false;
            self.session.reply_settled();
        }
    }

    /// How many times a device's usability (see [`DeviceState::usability`]) changed so far,
    /// as seen after each device was handled.
    pub fn usability_changes(&self) -> u64 {
        self.usability_changes
    }

    /// Publishes a question at QoS 1 and a command as below, never retained; an identical state
    /// question already sent at this instant (by another pin of the same board) is not sent
    /// twice.
    fn publish(&mut self, now: Millis, owner: Option<usize>, message: OutgoingMessage) {
        if message.is_query {
            if self.queries_sent_at != now {
                self.queries_sent.clear();
                self.queries_sent_at = now;
            }
            if !self
                .queries_sent
                .insert((message.topic.clone(), message.payload.clone()))
            {
                return;
            }
        }
        // A command is applied once or not at all. A toggle is never sent "at least once";
        // and in a session the broker keeps (clean session off) a QoS 1 command whose PUBACK
        // a drop swallowed must be sent again on the next connection [MQTT-4.4.0-1], after the
        // user may have switched the device by hand. Questions go at QoS 0: one is lost only
        // with its connection, after which everything is asked again, and at QoS 1 they took
        // the broker's Receive Maximum from the user's clicks (the simulation found a click
        // waiting 1.6 s behind eight schedule questions with a Receive Maximum of 1).
        let kept_session = !self.session.options().clean_session;
        let v5 = self.session.options().protocol == ProtocolVersion::V5;
        // A command must not reach its device late either: a device that keeps its session (a
        // JSON board, as such boards advise) gets what the broker queued for it when it comes
        // back, long after the page said "not confirmed" (the simulation found a board
        // switched 35 s after the click). With MQTT 5 the broker is told to drop it after the
        // confirmation wait [MQTT-3.3.2-5]; with MQTT 3.1.1 it goes at QoS 0, which brokers do
        // not queue by default (Mosquitto; EMQX's `mqueue_store_qos0` does), and the session
        // nudges a silent broker while the device's answer is awaited, as it would for a
        // PUBACK. Questions go at least once while the broker's Receive Maximum has room
        // (asking twice is harmless, and their PUBACK is what a broker that writes only when
        // woken is nudged for), at most once when it has none; they never hold a command back
        // (commands wait ahead of everything for the broker's Receive Maximum).
        let sent = if message.is_query {
            self.session
                .publish_question(now, &message.topic, &message.payload)
        } else {
            let qos = if message.at_most_once || kept_session || !v5 {
                QoS::AtMostOnce
            } else {
                QoS::AtLeastOnce
            };
            let expiry_secs = v5
                .then(|| u32::try_from(CONFIRMATION_TIMEOUT.div_ceil(SECOND)).unwrap_or(u32::MAX));
            if qos == QoS::AtMostOnce {
                self.session.await_reply(now);
                self.awaiting_reply = true;
            }
            self.session
                .publish_command(now, &message.topic, &message.payload, qos, expiry_secs)
        };
        match sent {
            Ok(packet_id) => {
                // QoS 0 has no packet id and no PUBACK to refuse it.
                if let Some(id) = owner
                    .filter(|_| packet_id != 0)
                    .and_then(|index| self.devices.get(index))
                    .map(|d| d.id)
                {
                    self.publish_owners.insert(packet_id, id);
                }
                if let Some(log) = &mut self.log {
                    log.record(now, Direction::Out, &message.topic, &message.payload, false);
                }
            }
            Err(error) => {
                self.link.problem = Some(crate::say!(
                    "Could not send to \"{}\": {}.",
                    message.topic,
                    error
                ));
            }
        }
    }
}

mod actions;
mod deadlines;
mod devices;
mod link;
mod listening;
mod router;

use link::Transport;
pub use link::{LinkPhase, LinkStatus, TransportCommand, V5_CONNACK_PATIENCE, WAKE_PROBE_DEADLINE};

#[cfg(test)]
mod tests;
