//! One broker link and the devices on it: the single object the browser glue drives.
//!
//! The glue reports what happened (`handle_transport_open`, `handle_bytes`,
//! `handle_transport_closed`, `handle_timeout`, user `request`s) and then drains what to do:
//! `poll_transport_command` (open or close the WebSocket), `poll_transmit` (bytes to send) and
//! `poll_timeout` (when to call back). Reconnects are paced by `reconnect` (quick while the
//! broker is away, backing off when it says no). Messages are routed to the devices; devices'
//! outgoing messages become QoS 1 publishes, never retained.
//!
//! When MQTT 5 was asked for and the broker does not take it (a CONNACK refusing the version,
//! a socket closed before CONNACK, or no CONNACK at all: some brokers drop a v5 CONNECT
//! without a word), the next attempt uses MQTT 3.1.1 at once, and the page says so. Once a v5
//! connection has worked, later failures are ordinary failures.
//!
//! Devices are a store addressed by [`DeviceId`]: `add_device`, `remove_device`,
//! `update_device` and `move_device` change only what they must, never the connection. Each
//! device has a revision the page compares instead of whole states.
//!
//! Split out: `router` (which devices listen on a topic), `deadlines` (each device's next
//! deadline), `crate::reconnect` (when to try again), `crate::session` (MQTT itself).
//!
//! Not here: sockets, timers, rendering (the app crate), MQTT framing (`session`).

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use mqttbytes::QoS;

use crate::adapter::{Device, DeviceAction};
use crate::backoff::Random;
use crate::codec::ProtocolVersion;
use crate::device::{CommandError, DeviceState, OutgoingMessage, SwitchCommand};
use crate::device_config::{DeviceAddress, DeviceConfig};
pub use crate::device_id::DeviceId;
use crate::discovery::{Discovery, DiscoveryChange, Found};
use crate::message_log::{Direction, MessageLog};
use crate::reconnect::{Failure, ReconnectPolicy};
use crate::schedule_book::{ScheduleChange, WallClock};
use crate::session::{LossReason, Message, Session, SessionEvent, SessionOptions};
use crate::tasmota::TasmotaProtocol;
use crate::time::{Millis, SECOND};
use deadlines::DeadlineIndex;
use router::Router;

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
enum Transport {
    Closed,
    Opening,
    Open,
}

/// What a room's "all off" did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomOff {
    /// How many switches were sent "off".
    pub sent: usize,
    /// Why the others were not (rate limit, lock, a command pending...).
    pub refused: Vec<CommandError>,
}

/// A device on the dashboard: its identity, its configuration and its adapter.
#[derive(Debug, Clone)]
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
        };
        for device in devices {
            dashboard.add_device(0, device);
        }
        dashboard
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

    /// Adds a device at the end; if connected, subscribes and asks for its state at once.
    /// Nothing else changes: no reconnect, every other device as it was.
    pub fn add_device(&mut self, now: Millis, config: DeviceConfig) -> DeviceId {
        let id = DeviceId(self.next_id);
        self.insert_device(now, id, config);
        id
    }

    /// Adds a device under an identity the caller issued (the page names its rows before a
    /// dashboard runs); refused if a device already has it.
    pub fn add_device_as(
        &mut self,
        now: Millis,
        id: DeviceId,
        config: DeviceConfig,
    ) -> Result<(), CommandError> {
        if self.index_of(id).is_some() {
            return Err(CommandError::NoSuchDevice);
        }
        self.insert_device(now, id, config);
        Ok(())
    }

    fn insert_device(&mut self, now: Millis, id: DeviceId, config: DeviceConfig) {
        self.next_id = self.next_id.max(id.0.wrapping_add(1));
        let index = self.devices.len();
        let adapter = Device::new(&config, &self.rpc_source(id));
        self.router.add(index, adapter.subscriptions());
        self.usability_of.push(adapter.state().usability());
        self.devices.push(DashboardDevice {
            id,
            config,
            adapter,
            revision: 0,
        });
        self.deadlines.push();
        self.note_deadline(index);
        self.connect_device(now, index);
    }

    /// Removes a device: its topics no other device needs are unsubscribed; every other device
    /// keeps its state, its relay protection, its pending command and its schedules.
    pub fn remove_device(&mut self, now: Millis, id: DeviceId) -> Result<(), CommandError> {
        let index = self.index_of(id).ok_or(CommandError::NoSuchDevice)?;
        let removed = self.devices.remove(index);
        self.publish_owners.retain(|_, owner| *owner != id);
        self.rebuild_indexes();
        self.unsubscribe_unused(now, removed.adapter.subscriptions());
        Ok(())
    }

    /// Edits a device in place (label, room, protections, address). Its relay protection (recent
    /// commands, a lock) is kept, also when its address changes; a new limit applies from now
    /// on. A new address means new topics: the old ones no other device needs are
    /// unsubscribed, the new ones subscribed and the device asked for its state. No reconnect.
    pub fn update_device(
        &mut self,
        now: Millis,
        id: DeviceId,
        config: DeviceConfig,
    ) -> Result<(), CommandError> {
        let index = self.index_of(id).ok_or(CommandError::NoSuchDevice)?;
        if self.devices[index].config.address == config.address {
            let entry = &mut self.devices[index];
            entry.adapter.set_limit(config.options.limit);
            entry.config = config;
            self.note_deadline(index);
            return Ok(());
        }
        let mut adapter = Device::new(&config, &self.rpc_source(id));
        adapter.set_limit(config.options.limit);
        let entry = &mut self.devices[index];
        adapter.adopt_guard(&entry.adapter);
        let old = std::mem::replace(&mut entry.adapter, adapter);
        entry.config = config;
        self.publish_owners.retain(|_, owner| *owner != id);
        self.rebuild_indexes();
        self.unsubscribe_unused(now, old.subscriptions());
        self.connect_device(now, index);
        Ok(())
    }

    /// Moves a device to `position` in the list (clamped to the end); nothing else changes.
    pub fn move_device(&mut self, id: DeviceId, position: usize) -> Result<(), CommandError> {
        let index = self.index_of(id).ok_or(CommandError::NoSuchDevice)?;
        let entry = self.devices.remove(index);
        let position = position.min(self.devices.len());
        self.devices.insert(position, entry);
        self.rebuild_indexes();
        Ok(())
    }

    /// Where device `id` is in the list.
    pub fn index_of(&self, id: DeviceId) -> Option<usize> {
        self.devices.iter().position(|d| d.id == id)
    }

    /// Device `id`, if it is on the dashboard.
    pub fn device(&self, id: DeviceId) -> Option<&DashboardDevice> {
        self.devices.iter().find(|d| d.id == id)
    }

    /// How a device that answers by RPC names this page (unique per tab and device).
    fn rpc_source(&self, id: DeviceId) -> String {
        format!("{}-{id}", self.session.options().client_id)
    }

    /// While connected: subscribes device `index`'s topics and asks it for its state.
    fn connect_device(&mut self, now: Millis, index: usize) {
        if !self.session.is_connected() {
            return;
        }
        let filters = self.devices[index].adapter.subscriptions();
        if self.session.subscribe(now, &filters).is_ok() {
            self.devices[index].adapter.handle_broker_connected(now);
            self.flush_device(now, index);
        }
    }

    /// Unsubscribes those of `filters` that no device on the dashboard and no discovery
    /// source still listens to.
    fn unsubscribe_unused(&mut self, now: Millis, filters: Vec<String>) {
        if !self.session.is_connected() {
            return;
        }
        let still: BTreeSet<String> = self
            .devices
            .iter()
            .flat_map(|d| d.adapter.subscriptions())
            .chain(self.discovery.iter().flat_map(|d| d.subscriptions()))
            .collect();
        let unused: Vec<String> = filters.into_iter().filter(|f| !still.contains(f)).collect();
        if !unused.is_empty() {
            // Failing only when not connected, when the next connection subscribes afresh.
            let _ = self.session.unsubscribe(now, &unused);
        }
    }

    /// The tables kept by position (routes, deadlines, usability), after the list changed
    /// shape (a removal, a move, a device with new topics).
    fn rebuild_indexes(&mut self) {
        self.router.clear();
        self.deadlines.reset(self.devices.len());
        self.usability_of = self
            .devices
            .iter()
            .map(|d| d.adapter.state().usability())
            .collect();
        for index in 0..self.devices.len() {
            let filters = self.devices[index].adapter.subscriptions();
            self.router.add(index, filters);
            self.note_deadline(index);
        }
        self.usability_changes += 1;
    }

    /// Runs `act` on device `id`'s adapter, then flushes the device: whatever `act` returns,
    /// refused or not, the device was touched (a held-back click may have locked it), so its
    /// messages go out, its deadline is re-filed and its revision moves.
    fn touch<T>(
        &mut self,
        now: Millis,
        id: DeviceId,
        act: impl FnOnce(&mut Device) -> T,
    ) -> Result<T, CommandError> {
        let index = self.index_of(id).ok_or(CommandError::NoSuchDevice)?;
        let result = act(&mut self.devices[index].adapter);
        self.flush_device(now, index);
        Ok(result)
    }

    /// The user opened a device's schedules: subscribe to what they need and ask the device
    /// for them and for its clock. `wall` is the browser's clock at `now`.
    pub fn open_schedules(
        &mut self,
        now: Millis,
        id: DeviceId,
        wall: WallClock,
    ) -> Result<(), CommandError> {
        let device = self.index_of(id).ok_or(CommandError::NoSuchDevice)?;
        let entry = &mut self.devices[device];
        let before = entry.adapter.subscriptions();
        entry.adapter.open_schedules(now, wall);
        let added: Vec<String> = entry
            .adapter
            .subscriptions()
            .into_iter()
            .filter(|f| !before.contains(f))
            .collect();
        if !added.is_empty() {
            self.router.add(device, added.clone());
            if self.session.is_connected() {
                if let Err(error) = self.session.subscribe(now, &added) {
                    self.link.problem = Some(crate::say!("Could not subscribe: {}.", error));
                }
            }
        }
        self.flush_device(now, device);
        Ok(())
    }

    /// A device's schedules are still open: ask its clock again (every
    /// [`crate::schedule_book::CLOCK_REFRESH_MS`], and when the tab is shown again).
    pub fn refresh_schedule_clock(
        &mut self,
        now: Millis,
        id: DeviceId,
        wall: WallClock,
    ) -> Result<(), CommandError> {
        self.touch(now, id, |device| device.refresh_clock(now, wall))
    }

    /// The tab is shown again: every device whose schedules are open is asked for its clock.
    pub fn refresh_open_clocks(&mut self, now: Millis, wall: WallClock) {
        for index in 0..self.devices.len() {
            if self.devices[index].state().schedules.opened {
                self.devices[index].adapter.refresh_clock(now, wall);
                self.flush_device(now, index);
            }
        }
    }

    /// The user changed a device's schedules; the sentence says why it was not sent.
    pub fn change_schedule(
        &mut self,
        now: Millis,
        id: DeviceId,
        change: ScheduleChange,
    ) -> Result<(), String> {
        self.touch(now, id, |device| device.change_schedule(now, change))
            .map_err(CommandError::explain)?
    }

    /// The devices, in order.
    pub fn devices(&self) -> &[DashboardDevice] {
        &self.devices
    }

    /// Starts (or stops) listening for devices that announce themselves on the broker.
    pub fn set_discovery(&mut self, now: Millis, enabled: bool) {
        if !enabled {
            self.discovery = None;
            return;
        }
        if self.discovery.is_some() {
            return;
        }
        let source = format!("{}-discovery", self.session.options().client_id);
        self.discovery = Some(Discovery::new(source));
        if self.session.is_connected() {
            self.subscribe_discovery(now);
        }
    }

    /// Starts (or stops and forgets) the log of recent messages.
    pub fn set_logging(&mut self, enabled: bool) {
        if !enabled {
            self.log = None;
        } else if self.log.is_none() {
            self.log = Some(MessageLog::default());
        }
    }

    /// The recent messages, while logging.
    pub fn log(&self) -> Option<&MessageLog> {
        self.log.as_ref()
    }

    /// Publishes what the user typed (QoS 1). `retain` only when the user asked for it.
    pub fn publish_raw(
        &mut self,
        now: Millis,
        topic: &str,
        payload: &[u8],
        retain: bool,
    ) -> Result<(), String> {
        if !self.session.is_connected() {
            return Err(CommandError::BrokerOffline.explain());
        }
        crate::device_config::validate_device_topic(topic)
            .map_err(|why| crate::say!("Not sent: {}", why))?;
        self.session
            .publish(now, topic, payload, QoS::AtLeastOnce, retain)
            .map_err(|error| crate::say!("Not sent: {}.", error))?;
        if let Some(log) = &mut self.log {
            log.record(now, Direction::Out, topic, payload, retain);
        }
        Ok(())
    }

    /// The devices found on the broker so far (none while discovery is off).
    pub fn discovered(&self) -> &[Found] {
        self.discovery.as_ref().map_or(&[], |d| d.found())
    }

    /// Why discovery may not see every device, if the broker said so.
    pub fn discovery_problem(&self) -> Option<&str> {
        self.discovery_problem.as_deref()
    }

    fn subscribe_discovery(&mut self, now: Millis) {
        let Some(discovery) = &mut self.discovery else {
            return;
        };
        discovery.handle_broker_connected();
        let filters = discovery.subscriptions();
        if let Err(error) = self.session.subscribe(now, &filters) {
            self.discovery_problem = Some(crate::say!("Could not listen for devices: {}.", error));
        }
    }

    /// Hands a message to discovery if it may be an announcement, and applies what it found.
    fn route_to_discovery(&mut self, now: Millis, message: &Message) {
        let Some(discovery) = &mut self.discovery else {
            return;
        };
        if !discovery.wants(&message.topic) {
            return;
        }
        discovery.handle_message(&message.topic, &message.payload);
        let mut questions = Vec::new();
        while let Some(question) = discovery.poll_outgoing() {
            questions.push(question);
        }
        let mut changes = Vec::new();
        while let Some(change) = discovery.poll_change() {
            changes.push(change);
        }
        for question in questions {
            self.publish(now, None, question);
        }
        for change in changes {
            match change {
                DiscoveryChange::Retracted(address) => self.set_removed(&address, true),
                DiscoveryChange::Announced(address) => self.set_removed(&address, false),
            }
        }
    }

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

    fn close_transport(&mut self, now: Millis, explained: Option<String>) {
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

    /// The user operated a switch (`channel` of `device`).
    pub fn request(
        &mut self,
        now: Millis,
        id: DeviceId,
        channel: usize,
        command: SwitchCommand,
    ) -> Result<(), CommandError> {
        self.touch(now, id, |device| device.request(now, channel, command))?
    }

    /// The user asked a device for something besides switching (refresh, stats, address).
    pub fn act(
        &mut self,
        now: Millis,
        id: DeviceId,
        action: DeviceAction,
    ) -> Result<(), CommandError> {
        self.touch(now, id, |device| device.act(action))?
    }

    /// A room's "all off": every relay of the devices in `room` (`None`: devices without one)
    /// that the device last reported on gets an "off", through the same checks and rate limit
    /// as a click. Decided on the devices' current states, never on what a screen last drew.
    pub fn switch_off_room(&mut self, now: Millis, room: Option<&str>) -> RoomOff {
        let mut result = RoomOff::default();
        for index in 0..self.devices.len() {
            let entry = &self.devices[index];
            if entry.config.room.as_deref() != room {
                continue;
            }
            let on: Vec<usize> = entry
                .state()
                .channels
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.role == crate::device::ChannelRole::Relay
                        && c.power == Some(true)
                        && c.power_is_current
                })
                .map(|(channel, _)| channel)
                .collect();
            for channel in on {
                match self.devices[index]
                    .adapter
                    .request(now, channel, SwitchCommand::Off)
                {
                    Ok(()) => result.sent += 1,
                    Err(error) => result.refused.push(error),
                }
            }
            self.flush_device(now, index);
        }
        result
    }

    /// Switches off every relay of every Tasmota device listening to `group` (by default
    /// `tasmotas`), using the FullTopic of the first Tasmota device on the dashboard. The
    /// devices' own reports then move their switches.
    pub fn tasmota_group_off(&mut self, now: Millis, group: &str) -> Result<(), CommandError> {
        if !self.session.is_connected() {
            return Err(CommandError::BrokerOffline);
        }
        let like = self
            .devices
            .iter()
            .find_map(|d| match &d.config.address {
                DeviceAddress::Tasmota(address) => Some(address.clone()),
                _ => None,
            })
            .ok_or(CommandError::NoSuchDevice)?;
        self.publish(now, None, TasmotaProtocol::group_off(&like, group));
        Ok(())
    }

    /// Deletes the retained command found on a device's command topic (an empty retained
    /// message: the only retained publish the page ever makes, and it cannot switch anything).
    pub fn clear_ghost(&mut self, now: Millis, id: DeviceId) -> Result<(), CommandError> {
        if !self.session.is_connected() {
            return Err(CommandError::BrokerOffline);
        }
        let topic = self
            .touch(now, id, Device::take_ghost_to_clear)?
            .ok_or(CommandError::NoSuchDevice)?;
        if let Err(error) = self
            .session
            .publish(now, &topic, b"", QoS::AtLeastOnce, true)
        {
            self.link.problem = Some(crate::say!("Could not clear \"{}\": {}.", topic, error));
        }
        Ok(())
    }

    /// The user confirmed that a locked device may be switched again.
    pub fn unlock(&mut self, now: Millis, id: DeviceId) {
        let _ = self.touch(now, id, Device::unlock);
    }

    /// Marks the devices whose address equals `address` as withdrawn from (or back in) the
    /// broker's discovery.
    pub fn set_removed(&mut self, address: &DeviceAddress, removed: bool) {
        // Every announcement lands here (most are for devices not on the dashboard): only a
        // device at that address is touched.
        for index in 0..self.devices.len() {
            if self.devices[index].config.address == *address {
                self.devices[index].adapter.set_removed(removed);
                self.note_deadline(index);
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

    fn open_transport(&mut self) {
        if self.transport != Transport::Closed {
            self.transport_commands.push_back(TransportCommand::Close);
        }
        self.transport = Transport::Opening;
        self.link.phase = LinkPhase::Connecting;
        self.transport_commands.push_back(TransportCommand::Open);
    }

    fn connection_failed(&mut self, now: Millis, problem: String, failure: Failure) {
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

    fn drain_session(&mut self, now: Millis) {
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
            if message.retained {
                device.handle_retained(now, &message.topic, &message.payload);
            } else {
                device.handle_message(now, &message.topic, &message.payload);
            }
            // Handled or not, the device saw it (a power sample, a question asked again).
            self.flush_device(now, index);
        }
        self.router.give_back(&message.topic, listeners);
        self.route_to_discovery(now, message);
    }

    /// Switches to MQTT 3.1.1 and reconnects at once, if MQTT 5 was in use and never worked
    /// with this broker. Returns false when there is nothing to fall back from.
    fn fall_back_to_v311(&mut self, why: &str) -> bool {
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

    fn close_and_retry(&mut self, now: Millis, problem: String, failure: Failure) {
        if self.transport != Transport::Closed {
            self.transport = Transport::Closed;
            self.transport_commands.push_back(TransportCommand::Close);
        }
        self.connection_failed(now, problem, failure);
    }

    fn handle_connected(&mut self, now: Millis) {
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

    fn flush_device(&mut self, now: Millis, index: usize) {
        while let Some(message) = self.devices[index].adapter.poll_outgoing() {
            self.publish(now, Some(index), message);
        }
        self.note_deadline(index);
        let usability = self.devices[index].adapter.state().usability();
        if let Some(seen) = self.usability_of.get_mut(index) {
            if *seen != usability {
                *seen = usability;
                self.usability_changes += 1;
            }
        }
    }

    /// How many times a device's usability (see [`DeviceState::usability`]) changed so far,
    /// as seen after each device was handled.
    pub fn usability_changes(&self) -> u64 {
        self.usability_changes
    }

    /// Publishes at QoS 1, never retained; an identical state question already sent at this
    /// instant (by another pin of the same board) is not sent twice.
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
        match self.session.publish(
            now,
            &message.topic,
            &message.payload,
            QoS::AtLeastOnce,
            false,
        ) {
            Ok(packet_id) => {
                if let Some(id) = owner
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

mod deadlines;
mod router;

#[cfg(test)]
mod tests;
