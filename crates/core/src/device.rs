//! The shape every device adapter shares: what the page knows about one device.
//!
//! A device has one or more channels (a relay, a momentary relay, a read-only contact), live
//! readings (power, energy, voltage, ...) and an availability. A channel is usable only when
//! its state is *known now*: reported by the device since the broker connection (re)started,
//! with the device not announced offline and no command awaiting confirmation. Adapters never
//! publish retained messages: [`OutgoingMessage`] has no retain flag, so a command cannot come
//! back as a "ghost" at the device's next reconnect.

use crate::time::{Millis, SECOND};

/// How long a command may wait for the device to confirm it.
pub const CONFIRMATION_TIMEOUT: Millis = 5 * SECOND;
/// The bits of [`DeviceState::usability`] that say a command is pending on a channel.
pub const PENDING_BITS: u32 = 0xAAAA_AAAA;
/// The most channels one device may have (Tasmota's `POWER1..POWER8`, a Shelly Pro 4PM, ...);
/// a message naming a higher channel is ignored rather than growing the card without bound.
pub const MAX_CHANNELS: usize = 8;
/// The longest text answer (e.g. a board's `stats` line) kept for display.
pub const MAX_TEXT_ANSWER: usize = 200;

/// Whether the device says it is connected to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Availability {
    /// Nothing heard yet (no availability topic, or nothing retained on it).
    #[default]
    Unknown,
    /// The device announced itself online, or just reported its state.
    Online,
    /// The device's will (or its own message) says it is offline.
    Offline,
}

/// What the user asked a channel to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchCommand {
    /// Switch on (for a momentary relay: press).
    On,
    /// Switch off.
    Off,
    /// Switch to the opposite state (works without knowing the current one).
    Toggle,
}

/// What a channel drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChannelRole {
    /// A relay that stays where it is switched.
    #[default]
    Relay,
    /// A relay the device pulses and releases by itself (a garage door opener).
    Momentary,
    /// A read-only input (a door contact): shown, never commanded.
    Contact,
}

/// A command that was sent and awaits the device's confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingCommand {
    /// The state that confirms it; `None` when toggling a channel of unknown state.
    pub target: Option<bool>,
    /// When to give up waiting.
    pub deadline: Millis,
}

/// One switchable (or readable) output of a device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Channel {
    /// The device's own name for it, if it told us one (e.g. Tasmota's FriendlyName2).
    pub name: Option<String>,
    /// What it drives.
    pub role: ChannelRole,
    /// The last state the device reported, if any.
    pub power: Option<bool>,
    /// True when `power` was reported during the current broker connection and the device
    /// has not gone offline since; false means `power` (if any) is history.
    pub power_is_current: bool,
    /// A command awaiting confirmation.
    pub pending: Option<PendingCommand>,
    /// False for a device that never reports its state (a command-only pair): commands are
    /// sent and shown as unconfirmed instead of waiting for a confirmation that cannot come.
    pub confirmable: bool,
    /// For a channel that cannot be confirmed: the last state the page asked for.
    pub last_unconfirmed: Option<bool>,
}

/// Live measurements, as far as the device reports them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Readings {
    /// Active power in watts.
    pub power_w: Option<f64>,
    /// Energy used today in kWh.
    pub energy_today_kwh: Option<f64>,
    /// Energy counter in kWh.
    pub energy_total_kwh: Option<f64>,
    /// Mains voltage in volts.
    pub voltage_v: Option<f64>,
    /// Current in amperes.
    pub current_a: Option<f64>,
    /// Temperature in °C (device or sensor).
    pub temperature_c: Option<f64>,
    /// Wi-Fi signal strength in dBm.
    pub wifi_dbm: Option<f64>,
    /// Wi-Fi link quality in percent (Tasmota's `RSSI`), when no dBm value is given.
    pub wifi_percent: Option<f64>,
    /// Seconds since the device started.
    pub uptime_secs: Option<u64>,
}

impl Readings {
    /// True when nothing was reported.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Everything the page shows about one device.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceState {
    /// The device's availability.
    pub availability: Availability,
    /// True while the page is connected to the broker.
    pub broker_connected: bool,
    /// Its channels, at least one.
    pub channels: Vec<Channel>,
    /// Its measurements.
    pub readings: Readings,
    /// The last problem worth telling the user about (cleared by the next confirmation).
    pub notice: Option<String>,
    /// The device's last plain answer to a question (e.g. a board's `stats` line, its IP).
    pub answer: Option<String>,
    /// State queries sent since the last answer (a wrong topic never answers).
    pub unanswered_queries: u32,
    /// The broker's discovery entry for this device was withdrawn.
    pub removed: bool,
    /// A sensor's current value in words, with its unit (for devices that only measure).
    pub value: Option<String>,
    /// Too many commands were attempted: switching waits for the user to unlock it.
    pub locked: bool,
    /// A retained message found on the device's command topic ("ghost switching").
    pub ghost: Option<GhostCommand>,
    /// When the device last said something (the caller's clock).
    pub last_seen: Option<Millis>,
    /// Recent power readings (time, watts), oldest first, for a sparkline.
    pub power_history: Vec<(Millis, f64)>,
    /// The schedules the device keeps itself (asked only once the user opens them).
    pub schedules: crate::schedule_book::ScheduleBook,
}

/// How far back the power history reaches.
pub const POWER_HISTORY_SPAN: Millis = 10 * 60 * SECOND;
/// The most power samples kept.
pub const POWER_HISTORY_POINTS: usize = 60;

/// A retained message on a command topic: the device re-applies it at every reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GhostCommand {
    /// Where it sits.
    pub topic: String,
    /// What it says (clipped, as text).
    pub payload: String,
    /// The page asked the broker to delete it.
    pub cleared: bool,
}

impl DeviceState {
    /// A device with `channels` channels of `role` (none for a sensor).
    pub fn with_channels(count: usize, role: ChannelRole, confirmable: bool) -> Self {
        Self {
            channels: (0..count.min(MAX_CHANNELS))
                .map(|_| Channel {
                    role,
                    confirmable,
                    ..Channel::default()
                })
                .collect(),
            ..Self::default()
        }
    }

    /// The device can be reached: broker connected and device not announced offline.
    pub fn is_reachable(&self) -> bool {
        self.broker_connected && self.availability != Availability::Offline
    }

    /// The channel may be operated: state known now, device and broker reachable, nothing
    /// pending. A command-only channel needs no known state; a contact is never operable.
    pub fn is_operable(&self, channel: usize) -> bool {
        self.check_command(channel, SwitchCommand::On).is_ok()
            && self
                .channels
                .get(channel)
                .is_some_and(|c| c.power_is_current || !c.confirmable)
    }

    /// The switch of `channel` is offered (enabled): device and broker reachable, not locked,
    /// and its state known now (or a channel that cannot report it). A command on its way
    /// keeps it enabled but busy (`aria-busy`), so focus and a finger stay on it.
    pub fn is_switch_usable(&self, channel: usize) -> bool {
        self.is_reachable()
            && !self.locked
            && self
                .channels
                .get(channel)
                .is_some_and(|c| c.power_is_current || !c.confirmable)
    }

    /// The plain "send toggle" action may be used (the state need not be known).
    pub fn can_send_toggle(&self, channel: usize) -> bool {
        self.check_command(channel, SwitchCommand::Toggle).is_ok()
    }

    /// "Send toggle" is the one thing that works for `channel`, so a compact row offers it
    /// without opening its details: the switch cannot be used because the device has left
    /// at least two state questions unanswered (not merely the first, still on its way), and a
    /// toggle may be sent.
    pub fn offers_blind_toggle(&self, channel: usize) -> bool {
        self.unanswered_queries >= 2
            && !self.is_switch_usable(channel)
            && self.can_send_toggle(channel)
    }

    /// Checks that `command` may be sent to `channel` now.
    pub fn check_command(
        &self,
        channel: usize,
        command: SwitchCommand,
    ) -> Result<(), CommandError> {
        let entry = self
            .channels
            .get(channel)
            .ok_or(CommandError::NoSuchDevice)?;
        if entry.role == ChannelRole::Contact {
            Err(CommandError::ReadOnly)
        } else if self.locked {
            Err(CommandError::Locked)
        } else if !self.broker_connected {
            Err(CommandError::BrokerOffline)
        } else if self.availability == Availability::Offline {
            Err(CommandError::DeviceOffline)
        } else if entry.pending.is_some() {
            Err(CommandError::Busy)
        } else if command != SwitchCommand::Toggle && entry.confirmable && !entry.power_is_current {
            Err(CommandError::StateUnknown)
        } else {
            Ok(())
        }
    }

    /// The state that will confirm `command` on `channel`, given what is known now.
    pub fn target_of(&self, channel: usize, command: SwitchCommand) -> Option<bool> {
        let entry = self.channels.get(channel)?;
        match (entry.role, command) {
            // The device releases a momentary relay by itself: its final report is "off".
            (ChannelRole::Momentary, _) => Some(false),
            (_, SwitchCommand::On) => Some(true),
            (_, SwitchCommand::Off) => Some(false),
            (_, SwitchCommand::Toggle) if entry.power_is_current => entry.power.map(|on| !on),
            (_, SwitchCommand::Toggle) => None,
        }
    }

    /// What the device's switches show as usable, packed for a cheap comparison: for each
    /// channel, whether it can be used (broker and device reachable, not locked, its state
    /// known now unless it takes commands blind) and whether a command is pending. A device
    /// coming online while its state is still unknown is not a change: its switches stay
    /// grey. A hidden card whose usability changed is refreshed at once, a visible one drawn
    /// at once (see [`crate::offscreen_sweep`]).
    pub fn usability(&self) -> u32 {
        // Bit 2i: channel i usable; bit 2i+1: a command pending on it (see [`PENDING_BITS`]).
        let mut bits = 0;
        for (i, channel) in self.channels.iter().enumerate().take(MAX_CHANNELS) {
            let usable = self.is_switch_usable(i);
            bits |= u32::from(usable) << (2 * i);
            bits |= u32::from(channel.pending.is_some()) << (1 + 2 * i);
        }
        bits
    }

    /// The first pending command, if any channel has one.
    pub fn any_pending(&self) -> bool {
        self.channels.iter().any(|c| c.pending.is_some())
    }
}

/// Why a command was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandError {
    /// The page is not connected to the broker.
    BrokerOffline,
    /// The device is offline.
    DeviceOffline,
    /// The current state is unknown, so "on" or "off" could be wrong.
    StateUnknown,
    /// A previous command still awaits confirmation.
    Busy,
    /// No such device or channel.
    NoSuchDevice,
    /// The channel is an input (a contact): it cannot be switched.
    ReadOnly,
    /// This kind of device has no such action.
    Unsupported,
    /// Held back: more commands than the device's limit allows in its time window.
    RateLimited,
    /// Locked after repeated attempts beyond the limit, until the user unlocks it.
    Locked,
}

impl CommandError {
    /// A sentence for the user.
    pub fn explain(self) -> String {
        match self {
            Self::BrokerOffline => crate::say!("Not sent: the page is not connected to the broker."),
            Self::DeviceOffline => crate::say!("Not sent: the device is offline."),
            Self::StateUnknown => crate::say!("Not sent: the device's state is not known yet."),
            Self::Busy => crate::say!("Not sent: the previous command is still awaiting confirmation."),
            Self::NoSuchDevice => crate::say!("Not sent: no such device."),
            Self::ReadOnly => crate::say!("Not sent: this is an input that can only be read."),
            Self::Unsupported => crate::say!("Not sent: this kind of device has no such action."),
            Self::RateLimited => crate::say!("Held back to protect the relay: too many commands in a short time. Wait a few seconds."),
            Self::Locked => crate::say!("Locked after too many commands in a short time: unlock it to switch again."),
        }
    }
}

/// A message an adapter wants published (QoS 1, never retained).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Topic to publish on.
    pub topic: String,
    /// Payload bytes.
    pub payload: Vec<u8>,
    /// True for a question about state: identical questions from several devices on the same
    /// board may be sent once.
    pub is_query: bool,
    /// Sent at QoS 0: a command that must never be applied twice (a toggle sent while the
    /// state is unknown). QoS 1 is "at least once" [MQTT-4.3.2]: a duplicate of "off" is still
    /// off, a duplicate toggle switches back; lost, a command is shown as not confirmed.
    pub at_most_once: bool,
}

impl OutgoingMessage {
    /// A command.
    pub fn command(topic: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            topic: topic.into(),
            payload: payload.into(),
            is_query: false,
            at_most_once: false,
        }
    }

    /// A toggle: never applied twice, so sent at most once.
    pub fn toggle(topic: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            at_most_once: true,
            ..Self::command(topic, payload)
        }
    }

    /// A command to a device that keeps its MQTT session (clean session off, QoS 1
    /// subscriptions: what DIY JSON boards advise): sent at most once, so a copy the broker had
    /// begun delivering when the device dropped (its Wi-Fi gone, the broker not yet aware) is
    /// not delivered when it comes back, long after the click showed "not confirmed". MQTT 5's
    /// Message Expiry Interval spares only copies whose delivery had not started
    /// [MQTT-3.3.2-5], and a started one must be sent again on the session's return
    /// [MQTT-4.4.0-1]. The price: a broker refusing it (MQTT 5 PUBACK) cannot say so.
    pub fn to_kept_session(topic: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            at_most_once: true,
            ..Self::command(topic, payload)
        }
    }

    /// A question about state.
    pub fn query(topic: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            is_query: true,
            ..Self::command(topic, payload)
        }
    }
}

/// Reads a state word as devices write it: `ON`/`OFF`, `1`/`0`, `true`/`false` (any case).
pub fn parse_power_word(word: &str) -> Option<bool> {
    let word = word.trim();
    if ["on", "1", "true"]
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w))
    {
        Some(true)
    } else if ["off", "0", "false"]
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w))
    {
        Some(false)
    } else {
        None
    }
}

/// A state from a JSON value: a state word, a boolean, or the numbers 1 and 0.
pub fn parse_power_value(value: &serde_json::Value) -> Option<bool> {
    match value {
        serde_json::Value::Bool(on) => Some(*on),
        serde_json::Value::String(word) => parse_power_word(word),
        serde_json::Value::Number(n) => match n.as_u64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Text cut to `max` characters (on a character boundary), for untrusted strings kept on screen.
pub fn clip_text(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(role: ChannelRole) -> DeviceState {
        let mut state = DeviceState::with_channels(1, role, true);
        state.broker_connected = true;
        state.availability = Availability::Online;
        state.channels[0].power = Some(true);
        state.channels[0].power_is_current = true;
        state
    }

    #[test]
    fn power_words_and_json_values_in_any_form_are_read_and_others_are_not() {
        assert_eq!(parse_power_word("ON"), Some(true));
        assert_eq!(parse_power_word("off"), Some(false));
        assert_eq!(parse_power_word(" 1 "), Some(true));
        assert_eq!(parse_power_word("false"), Some(false));
        assert_eq!(parse_power_word(""), None);
        assert_eq!(parse_power_word("TOGGLE"), None);
        assert_eq!(parse_power_value(&serde_json::json!(true)), Some(true));
        assert_eq!(parse_power_value(&serde_json::json!(0)), Some(false));
        assert_eq!(parse_power_value(&serde_json::json!(2)), None);
        assert_eq!(parse_power_value(&serde_json::json!("OFF")), Some(false));
        assert_eq!(parse_power_value(&serde_json::json!(null)), None);
    }

    #[test]
    fn a_blind_toggle_is_offered_only_once_the_state_is_not_coming() {
        let mut waiting = ready(ChannelRole::Relay);
        waiting.channels[0].power_is_current = false;
        waiting.unanswered_queries = 1;
        assert!(
            !waiting.offers_blind_toggle(0),
            "the first question may still be answered"
        );
        waiting.unanswered_queries = 2;
        assert!(waiting.offers_blind_toggle(0));
        let known = ready(ChannelRole::Relay);
        assert!(!known.offers_blind_toggle(0), "the switch itself works");
        let mut offline = waiting.clone();
        offline.availability = Availability::Offline;
        assert!(
            !offline.offers_blind_toggle(0),
            "nothing works while offline"
        );
    }

    #[test]
    fn a_channel_is_operable_only_with_current_state_reachable_and_idle() {
        let state = ready(ChannelRole::Relay);
        assert!(state.is_operable(0));
        assert!(!state.is_operable(1), "a channel that does not exist");
        let mut offline = state.clone();
        offline.availability = Availability::Offline;
        assert!(!offline.is_operable(0));
        let mut no_broker = state.clone();
        no_broker.broker_connected = false;
        assert!(!no_broker.is_operable(0));
        let mut stale = state.clone();
        stale.channels[0].power_is_current = false;
        assert!(!stale.is_operable(0));
        let mut pending = state.clone();
        pending.channels[0].pending = Some(PendingCommand {
            target: Some(false),
            deadline: 0,
        });
        assert!(!pending.is_operable(0));
    }

    #[test]
    fn a_contact_is_never_commanded_and_a_command_only_channel_needs_no_state() {
        assert_eq!(
            ready(ChannelRole::Contact).check_command(0, SwitchCommand::Toggle),
            Err(CommandError::ReadOnly)
        );
        let mut blind = DeviceState::with_channels(1, ChannelRole::Relay, false);
        blind.broker_connected = true;
        assert!(blind.is_operable(0));
        assert_eq!(blind.check_command(0, SwitchCommand::On), Ok(()));
    }

    #[test]
    fn toggle_is_allowed_without_a_known_state_but_on_and_off_are_not() {
        let mut unknown = DeviceState::with_channels(1, ChannelRole::Relay, true);
        unknown.broker_connected = true;
        assert_eq!(unknown.check_command(0, SwitchCommand::Toggle), Ok(()));
        assert_eq!(unknown.target_of(0, SwitchCommand::Toggle), None);
        assert_eq!(
            unknown.check_command(0, SwitchCommand::On),
            Err(CommandError::StateUnknown)
        );
    }

    #[test]
    fn a_momentary_press_is_confirmed_by_the_release() {
        assert_eq!(
            ready(ChannelRole::Momentary).target_of(0, SwitchCommand::On),
            Some(false)
        );
    }

    #[test]
    fn usability_changes_with_what_decides_whether_a_switch_can_be_used_and_nothing_else() {
        let state = ready(ChannelRole::Relay);
        let mut flipped = state.clone();
        flipped.channels[0].power = Some(false);
        flipped.readings.power_w = Some(42.0);
        assert_eq!(
            flipped.usability(),
            state.usability(),
            "a value change is not one"
        );
        let mut changes = vec![state.clone(); 5];
        changes[0].broker_connected = false;
        changes[1].availability = Availability::Offline;
        changes[2].locked = true;
        changes[3].channels[0].power_is_current = false;
        changes[4].channels[0].pending = Some(PendingCommand {
            target: Some(false),
            deadline: 0,
        });
        for changed in changes {
            assert_ne!(changed.usability(), state.usability(), "{changed:?}");
        }
        let mut unknown = state.clone();
        unknown.channels[0].power_is_current = false;
        unknown.availability = Availability::Unknown;
        let mut online = unknown.clone();
        online.availability = Availability::Online;
        assert_eq!(
            online.usability(),
            unknown.usability(),
            "coming online with the state unknown leaves the switch grey"
        );
    }

    #[test]
    fn long_untrusted_text_is_clipped_on_a_character_boundary() {
        assert_eq!(clip_text("ñañaña", 3), "ñañ…");
        assert_eq!(clip_text("short", 10), "short");
    }
}
