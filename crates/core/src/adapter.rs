//! One shape for every device kind: a [`Device`] is a [`DeviceCore`] (state, outbox, retries)
//! plus a protocol module that knows how its kind talks.
//!
//! A protocol module implements [`Protocol`]: which topics to subscribe to, how to read a
//! message into state reports, how to ask for the state, how to phrase a command. Everything
//! else (confirmation, timeouts, availability, when to ask again) is the core's, so every kind
//! behaves the same on screen.

use crate::device::{
    clip_text, Availability, ChannelRole, CommandError, DeviceState, GhostCommand, OutgoingMessage,
    SwitchCommand,
};
use crate::device_config::DeviceConfig;
use crate::device_core::DeviceCore;
use crate::schedule_book::{ScheduleBook, ScheduleChange, ScheduleKind, WallClock};
use crate::time::Millis;

/// A question or action a device kind may offer besides switching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceAction {
    /// Ask the device to report every state again.
    Refresh,
    /// Ask for the device's statistics (a JSON board's `stats`).
    Stats,
    /// Ask for the device's IP address.
    Address,
}

/// How one device kind talks.
pub trait Protocol {
    /// The topic filters the device needs.
    fn subscriptions(&self) -> Vec<String>;
    /// Reads a message into `core`; false if the topic is not this device's.
    fn handle_message(&mut self, core: &mut DeviceCore, topic: &str, payload: &[u8]) -> bool;
    /// Queues the question(s) for the state; `first` after every (re)connect. Returns false
    /// if this kind cannot be asked (then the page waits for the device to speak).
    fn ask_state(&mut self, core: &mut DeviceCore, first: bool) -> bool;
    /// Queues the message(s) for a command the core already accepted.
    fn send_command(&mut self, core: &mut DeviceCore, channel: usize, command: SwitchCommand);
    /// The topic a command for `channel` goes to (to word a refusal).
    fn command_topic(&self, channel: usize) -> String;
    /// Queues an extra action, if the kind has it.
    fn send_action(
        &mut self,
        _core: &mut DeviceCore,
        _action: DeviceAction,
    ) -> Result<(), CommandError> {
        Err(CommandError::Unsupported)
    }
    /// Filters covering the topics the device takes commands on, watched for retained
    /// messages ("ghost switching"); a filter may end in `/+`.
    fn command_filters(&self) -> Vec<String> {
        Vec::new()
    }
    /// True if `topic` is one the device takes commands on.
    fn is_command_topic(&self, _topic: &str) -> bool {
        false
    }
    /// True if the device can toggle by itself; otherwise a toggle needs the current state.
    fn toggles_without_state(&self) -> bool {
        true
    }
    /// The actions this kind offers.
    fn actions(&self) -> &'static [DeviceAction] {
        &[]
    }
    /// Whether the device keeps schedules the page can edit.
    fn schedule_kind(&self) -> ScheduleKind {
        ScheduleKind::None
    }
    /// Topics needed only while the schedules are open (a clock answer).
    fn schedule_subscriptions(&self) -> Vec<String> {
        Vec::new()
    }
    /// Queues the questions for the device's schedules and clock.
    fn ask_schedules(&mut self, _core: &mut DeviceCore) {}
    /// Queues the question for the device's clock alone.
    fn ask_clock(&mut self, _core: &mut DeviceCore) {}
    /// Queues the message(s) for a schedule change `core.state.schedules` already accepted,
    /// and marks it pending there; refuses with a sentence otherwise.
    fn change_schedule(
        &mut self,
        core: &mut DeviceCore,
        _change: ScheduleChange,
    ) -> Result<(), String> {
        Err(core.state.schedules.kind.why_none().unwrap_or_default())
    }
}

/// Not the protocol's fields: a `Debug` in every protocol's vtable would keep each kind's
/// formatting code in the page (12 kB gzip measured), for output nobody reads.
impl std::fmt::Debug for dyn Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Protocol")
    }
}

/// A device of any kind.
#[derive(Debug)]
pub struct Device {
    core: DeviceCore,
    adapter: Box<dyn Protocol>,
}

impl Device {
    /// The device `config` describes; `rpc_source` names this page to devices that answer by
    /// RPC (unique per tab and device).
    pub fn new(config: &DeviceConfig, rpc_source: &str) -> Self {
        let (adapter, state) = config.address.kind().protocol(rpc_source);
        let mut state = state;
        state.schedules = ScheduleBook::new(adapter.schedule_kind());
        Self {
            core: DeviceCore::new(state, config.options.limit),
            adapter,
        }
    }

    /// What the page shows.
    pub fn state(&self) -> &DeviceState {
        &self.core.state
    }

    /// The extra actions this kind offers.
    pub fn actions(&self) -> &'static [DeviceAction] {
        self.adapter.actions()
    }

    /// True if "send toggle" works without a known state (the device toggles by itself).
    pub fn toggles_without_state(&self) -> bool {
        self.adapter.toggles_without_state()
    }

    /// The topic filters this device needs: its reports, and its command topics (to notice a
    /// retained command there).
    pub fn subscriptions(&self) -> Vec<String> {
        let protocol = &self.adapter;
        let mut filters = protocol.subscriptions();
        let schedules = if self.core.state.schedules.opened {
            protocol.schedule_subscriptions()
        } else {
            Vec::new()
        };
        for filter in protocol.command_filters().into_iter().chain(schedules) {
            if !filters.contains(&filter) {
                filters.push(filter);
            }
        }
        filters
    }

    /// A retained message arrived: on a command topic it is a ghost command the device would
    /// re-apply at every reconnect, to be shown and offered for clearing; elsewhere it is an
    /// ordinary report.
    pub fn handle_retained(&mut self, now: Millis, topic: &str, payload: &[u8]) -> bool {
        if !payload.is_empty() && self.adapter.is_command_topic(topic) {
            self.core.state.ghost = Some(GhostCommand {
                topic: topic.to_string(),
                payload: clip_text(&String::from_utf8_lossy(payload), 80),
                cleared: false,
            });
            return true;
        }
        self.core.reading_retained = true;
        let handled = self.handle_message(now, topic, payload);
        self.core.reading_retained = false;
        handled
    }

    /// A message from a resumed session's backlog: the broker kept it while the page was away,
    /// so it says what the device was, not what it is: shown, never taken as current (nor as
    /// its availability, nor as an answer); the device is asked as after any connect.
    pub fn handle_backlog(&mut self, now: Millis, topic: &str, payload: &[u8]) -> bool {
        if self.core.take_echo(topic, payload) {
            return true;
        }
        self.core.reading_history = true;
        self.core.now = now;
        let handled = self.adapter.handle_message(&mut self.core, topic, payload);
        self.core.reading_history = false;
        handled
    }

    /// A message the broker marked DUP: read like any other, unless it is a copy of our own
    /// publish's echo (a board on one topic both ways must not take it for its answer).
    pub fn handle_duplicate(&mut self, now: Millis, topic: &str, payload: &[u8]) -> bool {
        if self.core.is_copy_of_last_echo(topic, payload) {
            return true;
        }
        self.handle_message(now, topic, payload)
    }

    /// The ghost command to delete (with an empty retained message), marking it cleared.
    pub fn take_ghost_to_clear(&mut self) -> Option<String> {
        let ghost = self.core.state.ghost.as_mut().filter(|g| !g.cleared)?;
        ghost.cleared = true;
        Some(ghost.topic.clone())
    }

    /// Enforces another command limit; recent commands and any lock are kept.
    pub fn set_limit(&mut self, limit: crate::relay_guard::RateLimit) {
        self.core.set_limit(limit);
    }

    /// Keeps `previous`'s relay protection (recent commands, lock) for this device, which
    /// replaces it after an edit of its address.
    pub fn adopt_guard(&mut self, previous: &Device) {
        self.core.adopt_guard(&previous.core);
    }

    /// Its relay guard (recent commands, a lock).
    pub fn relay_guard(&self) -> &crate::relay_guard::RelayGuard {
        self.core.relay_guard()
    }

    /// Takes over the relay guard of a device removed from the same address.
    pub fn adopt_relay_guard(&mut self, guard: crate::relay_guard::RelayGuard) {
        self.core.adopt_relay_guard(guard);
    }

    /// The user confirmed that switching may resume after a lock.
    pub fn unlock(&mut self) {
        self.core.unlock();
    }

    /// The broker connection is up and subscriptions are on their way: ask for the state.
    pub fn handle_broker_connected(&mut self, now: Millis) {
        self.core.handle_broker_connected();
        self.ask(now, true);
        if self.core.state.schedules.opened {
            self.ask_schedules();
        }
    }

    /// The user opened the device's schedules: ask for them and for its clock (again after
    /// every reconnect). `wall` is the browser's clock at `now`, to compare the device's with.
    pub fn open_schedules(&mut self, now: Millis, wall: WallClock) {
        let book = &mut self.core.state.schedules;
        book.opened = true;
        book.wall_offset_ms = Some(wall.unix_ms - i64::try_from(now).unwrap_or(i64::MAX));
        book.browser_offset_minutes = wall.utc_offset_minutes;
        book.notice = None;
        self.ask_schedules();
    }

    /// While the schedules are open: asks the device for its clock again, so a clock that
    /// jumped is noticed without the user asking. `wall` is the browser's clock at `now`.
    pub fn refresh_clock(&mut self, now: Millis, wall: WallClock) {
        let reachable = self.core.state.is_reachable();
        let book = &mut self.core.state.schedules;
        if !book.opened || !reachable || !book.kind.is_editable() {
            return;
        }
        book.wall_offset_ms = Some(wall.unix_ms - i64::try_from(now).unwrap_or(i64::MAX));
        book.browser_offset_minutes = wall.utc_offset_minutes;
        self.adapter.ask_clock(&mut self.core);
    }

    /// Sends a schedule change, if the device can take it now; the sentence says why not.
    pub fn change_schedule(&mut self, now: Millis, change: ScheduleChange) -> Result<(), String> {
        if !self.core.state.is_reachable() {
            return Err(if self.core.state.broker_connected {
                CommandError::DeviceOffline
            } else {
                CommandError::BrokerOffline
            }
            .explain());
        }
        let relays = self.core.state.channels.len();
        self.core.state.schedules.check_change(&change, relays)?;
        self.core.now = now;
        self.adapter.change_schedule(&mut self.core, change)
    }

    fn ask_schedules(&mut self) {
        if self.core.state.is_reachable() && self.core.state.schedules.kind.is_editable() {
            self.adapter.ask_schedules(&mut self.core);
        }
    }

    /// The broker connection is gone: nothing known is current any more.
    pub fn handle_broker_disconnected(&mut self) {
        self.core.handle_broker_disconnected();
    }

    /// A message arrived; returns true if it was one of this device's topics.
    pub fn handle_message(&mut self, now: Millis, topic: &str, payload: &[u8]) -> bool {
        if self.core.take_echo(topic, payload) {
            return true;
        }
        let watts_before = self.core.state.readings.power_w;
        let reachable_before = self.core.state.is_reachable();
        self.core.now = now;
        let handled = self.adapter.handle_message(&mut self.core, topic, payload);
        // Back online, or just connected (a live "online"), with its schedules open: they may
        // have changed while it was away (a change's answer lost with it), and a question
        // asked before it connected went unheard.
        let back = !reachable_before && self.core.state.is_reachable();
        if (self.core.take_arrived() || back) && self.core.state.schedules.opened {
            self.ask_schedules();
        }
        if handled && self.core.state.availability != Availability::Offline {
            // A will saying "offline" is the broker speaking, not the device.
            self.core.state.last_seen = Some(now);
        }
        self.core.note_power_sample(now, watts_before);
        if self.core.take_query_wanted() {
            self.core.reset_asking();
            self.ask(now, false);
        }
        handled
    }

    /// A timer fired: give up on an unconfirmed command, or ask again for the state.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self.core.state.schedules.expire(now) {
            // Show what the device really holds.
            self.ask_schedules();
        }
        if self.core.expire_pending(now) {
            self.core.reset_asking();
            self.ask(now, false);
        } else if self.core.query_due(now) {
            self.ask(now, false);
        }
    }

    /// Sends a command to `channel`, if the state allows it.
    pub fn request(
        &mut self,
        now: Millis,
        channel: usize,
        command: SwitchCommand,
    ) -> Result<(), CommandError> {
        let blind = self
            .core
            .state
            .channels
            .get(channel)
            .is_some_and(|c| !c.power_is_current);
        if command == SwitchCommand::Toggle && blind && !self.adapter.toggles_without_state() {
            self.core.state.check_command(channel, command)?;
            return Err(CommandError::StateUnknown);
        }
        let command = self.absolute(channel, command);
        self.core.begin_command(now, channel, command)?;
        self.adapter.send_command(&mut self.core, channel, command);
        Ok(())
    }

    /// A toggle of a relay whose state is known goes out as the state it asks for: a QoS 1
    /// command may reach the device twice [MQTT-4.3.2], and "off" twice is still off where
    /// "toggle" twice switches nothing at all. A momentary relay, or a state not known,
    /// keeps the toggle.
    fn absolute(&self, channel: usize, command: SwitchCommand) -> SwitchCommand {
        let Some(entry) = self.core.state.channels.get(channel) else {
            return command;
        };
        match (command, entry.power_is_current, entry.role, entry.power) {
            (SwitchCommand::Toggle, true, ChannelRole::Relay, Some(true)) => SwitchCommand::Off,
            (SwitchCommand::Toggle, true, ChannelRole::Relay, Some(false)) => SwitchCommand::On,
            _ => command,
        }
    }

    /// Sends an extra action (refresh, stats, ...), if this kind has it.
    pub fn act(&mut self, action: DeviceAction) -> Result<(), CommandError> {
        if !self.core.state.is_reachable() {
            return Err(if self.core.state.broker_connected {
                CommandError::DeviceOffline
            } else {
                CommandError::BrokerOffline
            });
        }
        self.adapter.send_action(&mut self.core, action)
    }

    /// The broker refused a publish of this device (MQTT 5 PUBACK with a failure reason).
    pub fn handle_command_refused(&mut self, reason: &str) {
        if self.core.state.any_pending() {
            let topic = self.adapter.command_topic(0);
            self.core.command_failed(
                None,
                crate::say!(
                    "The broker refused the command: {}. Check that this user may publish to {}.",
                    reason,
                    topic
                ),
            );
        }
    }

    /// The broker's discovery entry for this device was withdrawn (or came back).
    pub fn set_removed(&mut self, removed: bool) {
        self.core.state.removed = removed;
    }

    /// The next message to publish.
    pub fn poll_outgoing(&mut self) -> Option<OutgoingMessage> {
        self.core.poll_outgoing()
    }

    /// When [`Device::handle_timeout`] should run next.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.core.poll_timeout()
    }

    fn ask(&mut self, now: Millis, first: bool) {
        if !self.core.state.is_reachable() {
            self.core.stop_asking();
            return;
        }
        if self.adapter.ask_state(&mut self.core, first) {
            self.core.asked(now);
        } else {
            self.core.stop_asking();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::device::MAX_CHANNELS;
    use crate::test_support::{connected, outgoing, T0};

    /// Payloads a hostile or broken publisher might send on any topic.
    fn hostile_payloads() -> Vec<Vec<u8>> {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let deep_object = r#"{"a":"#.repeat(10_000) + "1" + &"}".repeat(10_000);
        let many_keys = format!(
            "{{{}}}",
            (0..5_000)
                .map(|i| format!(r#""POWER{i}":"ON","switch:{i}":{{"output":true}},"GP{i}":1"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        vec![
            Vec::new(),
            vec![0xff, 0xfe, 0x00, 0xc3],
            deep.into_bytes(),
            deep_object.into_bytes(),
            many_keys.into_bytes(),
            vec![b'x'; 1 << 20],
            br#"{"POWER":"ON","StatusSNS":{"ENERGY":{"Power":1e308,"Today":-1e308,"Voltage":[]}}}"#.to_vec(),
            br#"{"method":"NotifyStatus","params":{"switch:18446744073709551615":{"output":true}}}"#.to_vec(),
            br#"{"id":18446744073709551615,"error":{"code":"x","message":null}}"#.to_vec(),
            br#"{"Status":{"FriendlyName":[1,2,3,4,5,6,7,8,9,10,11,12]}}"#.to_vec(),
            "<img src=x onerror=alert(1)>".as_bytes().to_vec(),
            "ON\u{202e}FF".as_bytes().to_vec(),
        ]
    }

    #[test]
    fn every_kind_survives_hostile_payloads_on_every_topic() {
        let specs = [
            "tasmota:plug",
            "shelly:shelly-1",
            "shellygen1:s1",
            "jsonrelay:board:GP16",
            "generic:lamp/set:lamp:Lamp:path=$.a.b:avty=lamp/status",
            "reading:temp:Temp:path=t",
        ];
        let payloads = hostile_payloads();
        for spec in specs {
            let mut device = connected(spec);
            for topic in device.subscriptions() {
                for payload in &payloads {
                    device.handle_message(T0, &topic, payload);
                    let state = device.state();
                    assert!(state.channels.len() <= MAX_CHANNELS, "{spec} {topic}");
                    assert!(state
                        .answer
                        .as_ref()
                        .is_none_or(|a| a.chars().count() <= 201));
                    assert!(state.value.as_ref().is_none_or(|v| v.chars().count() <= 60));
                    assert!(state.notice.as_ref().is_none_or(|n| n.len() < 1_000));
                }
            }
            outgoing(&mut device);
        }
    }
}
