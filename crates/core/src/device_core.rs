//! The behaviour every adapter shares, so each protocol module only says how its device talks.
//!
//! [`DeviceCore`] owns a device's [`DeviceState`] and its outbox, and applies what a protocol
//! module observed: a state report confirms a pending command and makes the state current, an
//! availability change disables or re-enables the channels, a command starts a confirmation
//! timer. It also keeps the retry schedule for state questions and recognises the broker
//! echoing the page's own commands back on a topic the device also reports on (a JSON board
//! uses one topic both ways): an echo is never read as the device's report.

use std::collections::VecDeque;

use crate::backoff::Backoff;
use crate::device::{
    Availability, Channel, CommandError, DeviceState, OutgoingMessage, PendingCommand,
    SwitchCommand, CONFIRMATION_TIMEOUT, MAX_CHANNELS, POWER_HISTORY_POINTS, POWER_HISTORY_SPAN,
};
use crate::relay_guard::{RateLimit, RelayGuard};
use crate::time::{Millis, SECOND};

/// First delay before asking again for a state that did not come.
pub const STATE_QUERY_FIRST_RETRY: Millis = 2 * SECOND;
/// Longest delay between two state queries.
pub const STATE_QUERY_MAX_RETRY: Millis = 60 * SECOND;
/// Own publishes remembered to recognise their echo; older ones are forgotten.
const MAX_EXPECTED_ECHOES: usize = 16;

/// A device's state, outbox and retry schedule.
#[derive(Debug, Clone)]
pub struct DeviceCore {
    /// What the page shows.
    pub state: DeviceState,
    query_backoff: Backoff,
    next_query_at: Option<Millis>,
    query_wanted: bool,
    /// A live "online" arrived (the device connected): see [`DeviceCore::take_arrived`].
    arrived: bool,
    outbox: VecDeque<OutgoingMessage>,
    expected_echoes: VecDeque<(String, Vec<u8>)>,
    /// The last echo taken, to recognise a duplicate copy of it.
    last_echo: Option<(String, Vec<u8>)>,
    guard: RelayGuard,
    /// The caller's time of the message being read (protocol modules get no clock of their own).
    pub now: Millis,
    /// The message being read is the broker's stored (retained) copy, not news.
    pub reading_retained: bool,
    /// The message being read is history: kept by the broker while the page was away.
    pub reading_history: bool,
}

impl DeviceCore {
    /// A device starting from `state` (its channels already laid out), its commands limited
    /// to `limit`.
    pub fn new(state: DeviceState, limit: RateLimit) -> Self {
        Self {
            guard: RelayGuard::new(limit),
            state,
            query_backoff: Backoff::new(STATE_QUERY_FIRST_RETRY, STATE_QUERY_MAX_RETRY),
            next_query_at: None,
            query_wanted: false,
            arrived: false,
            outbox: VecDeque::new(),
            expected_echoes: VecDeque::new(),
            last_echo: None,
            now: 0,
            reading_retained: false,
            reading_history: false,
        }
    }

    /// The broker link is up: nothing known is current until the device says it again.
    pub fn handle_broker_connected(&mut self) {
        self.state.broker_connected = true;
        self.state.availability = Availability::Unknown;
        for channel in &mut self.state.channels {
            channel.power_is_current = false;
        }
        self.query_backoff.reset();
    }

    /// The broker link is gone: commands in flight are reported unconfirmed.
    pub fn handle_broker_disconnected(&mut self) {
        self.state.broker_connected = false;
        self.state.schedules.handle_broker_disconnected();
        self.next_query_at = None;
        self.outbox.clear();
        self.expected_echoes.clear();
        let mut dropped = false;
        for channel in &mut self.state.channels {
            channel.power_is_current = false;
            dropped |= channel.pending.take().is_some();
        }
        if dropped {
            self.state.notice = Some(crate::say!("Not confirmed: the connection to the broker dropped. Check the device's state before trying again."));
        }
    }

    /// The device reported `on` for `channel` (growing the channel list up to [`MAX_CHANNELS`]).
    pub fn report_power(&mut self, channel: usize, on: bool) {
        let history = self.reading_history;
        let Some(entry) = self.channel_mut(channel) else {
            return;
        };
        entry.power = Some(on);
        if history {
            // What it was: shown as the last known state, greyed, until it says it again.
            entry.power_is_current = false;
            return;
        }
        entry.power_is_current = true;
        if entry
            .pending
            .is_some_and(|p| p.target.is_none_or(|target| target == on))
        {
            entry.pending = None;
            self.state.notice = None;
        }
        self.heard_from_device();
    }

    /// The device answered: it is online, and the question need not be repeated.
    pub fn heard_from_device(&mut self) {
        if self.reading_history {
            // Heard once, not now: the question stands.
            return;
        }
        self.state.availability = Availability::Online;
        self.next_query_at = None;
        self.state.unanswered_queries = 0;
        self.query_backoff.reset();
    }

    /// The device's availability topic spoke.
    pub fn report_availability(&mut self, online: bool) {
        if self.reading_history {
            // Old news; the retained availability that follows the subscription is current.
            return;
        }
        if online {
            let was_offline = self.state.availability == Availability::Offline;
            self.state.availability = Availability::Online;
            let stale = self.state.channels.iter().any(|c| !c.power_is_current);
            // A live "online" (not the broker's stored copy) is the device connecting: a
            // question still unanswered was likely sent while it was away (a stale retained
            // "online" from before a broker restart looks the same), so ask again now.
            self.arrived |= !self.reading_retained;
            let arrived = !self.reading_retained && self.state.unanswered_queries > 0;
            if stale && (was_offline || arrived) {
                self.query_wanted = true;
            }
        } else {
            self.state.availability = Availability::Offline;
            self.next_query_at = None;
            let mut dropped = false;
            for channel in &mut self.state.channels {
                channel.power_is_current = false;
                dropped |= channel.pending.take().is_some();
            }
            if dropped {
                self.state.notice = Some(crate::say!("Not confirmed: the device went offline."));
            }
        }
    }

    /// Reads a payload on an availability topic with the device's own words: `online` means
    /// online, any of the comma-separated `offline` words offline, anything else is ignored.
    pub fn report_availability_words(&mut self, payload: &[u8], online: &str, offline: &str) {
        let text = String::from_utf8_lossy(payload);
        let text = text.trim();
        if text == online {
            self.report_availability(true);
        } else if offline.split(',').any(|word| word.trim() == text) {
            self.report_availability(false);
        }
    }

    /// The device's name for `channel`.
    pub fn name_channel(&mut self, channel: usize, name: &str) {
        let name = crate::device::clip_text(name.trim(), 60);
        if let Some(entry) = self.channel_mut(channel) {
            entry.name = (!name.is_empty()).then_some(name);
        }
    }

    /// Makes sure the device has at least `count` channels (capped at [`MAX_CHANNELS`]).
    pub fn ensure_channels(&mut self, count: usize) {
        if let Some(last) = count.min(MAX_CHANNELS).checked_sub(1) {
            self.channel_mut(last);
        }
    }

    /// A command was refused by the device or the broker: stop waiting and say why.
    pub fn command_failed(&mut self, channel: Option<usize>, notice: String) {
        for (index, entry) in self.state.channels.iter_mut().enumerate() {
            if channel.is_none_or(|c| c == index) {
                entry.pending = None;
            }
        }
        self.state.notice = Some(notice);
    }

    /// Checks and records a command; the protocol module then queues its message(s).
    pub fn begin_command(
        &mut self,
        now: Millis,
        channel: usize,
        command: SwitchCommand,
    ) -> Result<(), CommandError> {
        self.state.check_command(channel, command)?;
        let admitted = self.guard.admit(now);
        self.state.locked = self.guard.is_locked();
        admitted?;
        let target = self.state.target_of(channel, command);
        if let Some(entry) = self.state.channels.get_mut(channel) {
            if entry.confirmable {
                entry.pending = Some(PendingCommand {
                    target,
                    deadline: now + CONFIRMATION_TIMEOUT,
                });
            } else {
                entry.last_unconfirmed = target;
            }
        }
        self.state.notice = None;
        Ok(())
    }

    /// Adds a power sample when the reading changed (or a minute passed), keeping the last
    /// [`POWER_HISTORY_SPAN`] and at most [`POWER_HISTORY_POINTS`] samples.
    pub fn note_power_sample(&mut self, now: Millis, before: Option<f64>) {
        let Some(watts) = self.state.readings.power_w else {
            return;
        };
        let history = &mut self.state.power_history;
        let stale = history
            .last()
            .is_none_or(|(at, _)| now.saturating_sub(*at) >= 60 * SECOND);
        if before != Some(watts) || stale {
            history.push((now, watts));
        }
        let oldest = now.saturating_sub(POWER_HISTORY_SPAN);
        let expired = history.iter().take_while(|(at, _)| *at < oldest).count();
        let excess = history.len().saturating_sub(POWER_HISTORY_POINTS);
        history.drain(..expired.max(excess));
    }

    /// Enforces another command limit from now on; what was sent and any lock are kept.
    pub fn set_limit(&mut self, limit: RateLimit) {
        self.guard.set_limit(limit);
    }

    /// Takes over `other`'s relay guard (its recent commands and its lock): a device whose
    /// address is edited keeps its protection.
    pub fn adopt_guard(&mut self, other: &DeviceCore) {
        self.adopt_relay_guard(other.guard.clone());
    }

    /// Its relay guard, kept by the dashboard when the device is removed.
    pub fn relay_guard(&self) -> &RelayGuard {
        &self.guard
    }

    /// Takes over a relay guard (recent commands, a lock) kept from an earlier device.
    pub fn adopt_relay_guard(&mut self, guard: RelayGuard) {
        self.guard = guard;
        self.state.locked = self.guard.is_locked();
    }

    /// The user confirmed that switching may resume after a lock.
    pub fn unlock(&mut self) {
        self.guard.unlock();
        self.state.locked = false;
    }

    /// Queues a message.
    pub fn send(&mut self, message: OutgoingMessage) {
        self.outbox.push_back(message);
    }

    /// Queues a message on a topic this device also listens to: its echo will be ignored.
    pub fn send_expecting_echo(&mut self, message: OutgoingMessage) {
        if self.expected_echoes.len() == MAX_EXPECTED_ECHOES {
            self.expected_echoes.pop_front();
        }
        self.expected_echoes
            .push_back((message.topic.clone(), message.payload.clone()));
        self.outbox.push_back(message);
    }

    /// True (once) if this message is the broker handing back one of our own publishes.
    pub fn take_echo(&mut self, topic: &str, payload: &[u8]) -> bool {
        let found = self
            .expected_echoes
            .iter()
            .position(|(t, p)| t == topic && p == payload);
        let echo = found.and_then(|index| self.expected_echoes.remove(index));
        let taken = echo.is_some();
        if echo.is_some() {
            self.last_echo = echo;
        }
        taken
    }

    /// True if a message the broker marked DUP (it may have delivered it before) is a copy of
    /// the last echo of our own publish: QoS 1 may bring it twice, and the copy is no more the
    /// device's answer than the first was.
    pub fn is_copy_of_last_echo(&self, topic: &str, payload: &[u8]) -> bool {
        self.last_echo
            .as_ref()
            .is_some_and(|(t, p)| t == topic && p == payload)
    }

    /// A question was sent: count it and plan the next one.
    pub fn asked(&mut self, now: Millis) {
        self.state.unanswered_queries = self.state.unanswered_queries.saturating_add(1);
        self.next_query_at = Some(now + self.query_backoff.next_delay());
    }

    /// Stops asking (the device cannot be reached, or cannot be asked).
    pub fn stop_asking(&mut self) {
        self.next_query_at = None;
    }

    /// Starts the question schedule from its first delay.
    pub fn reset_asking(&mut self) {
        self.query_backoff.reset();
    }

    /// True when it is time to ask again.
    pub fn query_due(&self, now: Millis) -> bool {
        self.next_query_at.is_some_and(|at| now >= at)
    }

    /// True once after a live "online" (not the broker's stored copy): the device just
    /// connected, and what was asked before it did went unheard.
    pub fn take_arrived(&mut self) -> bool {
        std::mem::take(&mut self.arrived)
    }

    /// True (once) when the device came back and its state should be asked for.
    pub fn take_query_wanted(&mut self) -> bool {
        std::mem::take(&mut self.query_wanted)
    }

    /// Gives up on commands whose confirmation is overdue; true if any did.
    pub fn expire_pending(&mut self, now: Millis) -> bool {
        let mut expired = false;
        for channel in &mut self.state.channels {
            if channel.pending.is_some_and(|p| now >= p.deadline) {
                channel.pending = None;
                expired = true;
            }
        }
        if expired {
            self.state.notice = Some(crate::say!(
                "No confirmation from the device within {} s: it may be offline, or its topic may be wrong.",
                CONFIRMATION_TIMEOUT / SECOND
            ));
        }
        expired
    }

    /// The next message to publish.
    pub fn poll_outgoing(&mut self) -> Option<OutgoingMessage> {
        self.outbox.pop_front()
    }

    /// When something is due: a confirmation deadline or the next question.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.state
            .channels
            .iter()
            .filter_map(|c| c.pending.map(|p| p.deadline))
            .chain(self.next_query_at)
            .chain(self.state.schedules.deadline())
            .min()
    }

    fn channel_mut(&mut self, channel: usize) -> Option<&mut Channel> {
        if channel >= MAX_CHANNELS {
            return None;
        }
        while self.state.channels.len() <= channel {
            let template = self.state.channels.first().cloned().unwrap_or_default();
            self.state.channels.push(Channel {
                role: template.role,
                confirmable: template.confirmable,
                ..Channel::default()
            });
        }
        self.state.channels.get_mut(channel)
    }
}
