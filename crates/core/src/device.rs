//! The shape every device adapter shares: what the page knows about one switch.
//!
//! A switch is usable only when its state is *known now*: reported by the device since the
//! broker connection (re)started, with the device not announced offline and no command awaiting
//! confirmation. Adapters never publish retained messages: [`OutgoingMessage`] has no retain
//! flag, so a command cannot come back as a "ghost" at the device's next reconnect.

use crate::time::{Millis, SECOND};

/// How long a command may wait for the device to confirm it.
pub const CONFIRMATION_TIMEOUT: Millis = 5 * SECOND;

/// Whether the device says it is connected to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Availability {
    /// Nothing heard yet (no LWT retained, or not subscribed yet).
    #[default]
    Unknown,
    /// The device announced itself online, or just reported its state.
    Online,
    /// The device's will (or its own message) says it is offline.
    Offline,
}

/// What the user asked a switch to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchCommand {
    /// Switch on.
    On,
    /// Switch off.
    Off,
    /// Switch to the opposite state (works without knowing the current one).
    Toggle,
}

/// A command that was sent and awaits the device's confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingCommand {
    /// The state that confirms it; `None` when toggling a device of unknown state.
    pub target: Option<bool>,
    /// When to give up waiting.
    pub deadline: Millis,
}

/// Everything the page shows about one switch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwitchState {
    /// The last state the device reported, if any.
    pub power: Option<bool>,
    /// True when `power` was reported during the current broker connection and the device
    /// has not gone offline since; false means `power` (if any) is history.
    pub power_is_current: bool,
    /// The device's availability.
    pub availability: Availability,
    /// True while the page is connected to the broker.
    pub broker_connected: bool,
    /// A command awaiting confirmation.
    pub pending: Option<PendingCommand>,
    /// The last problem worth telling the user about (cleared by the next confirmation).
    pub notice: Option<String>,
    /// State queries sent since the last answer (a wrong topic never answers).
    pub unanswered_queries: u32,
}

impl SwitchState {
    /// The switch may be operated: state known now, device and broker reachable, nothing pending.
    pub fn is_operable(&self) -> bool {
        self.broker_connected
            && self.availability != Availability::Offline
            && self.power_is_current
            && self.pending.is_none()
    }

    /// The plain "send toggle" action may be used (the state need not be known).
    pub fn can_send_toggle(&self) -> bool {
        self.broker_connected
            && self.availability != Availability::Offline
            && self.pending.is_none()
    }

    /// Checks that `command` may be sent now.
    pub fn check_command(&self, command: SwitchCommand) -> Result<(), CommandError> {
        if !self.broker_connected {
            Err(CommandError::BrokerOffline)
        } else if self.availability == Availability::Offline {
            Err(CommandError::DeviceOffline)
        } else if self.pending.is_some() {
            Err(CommandError::Busy)
        } else if command != SwitchCommand::Toggle && !self.power_is_current {
            Err(CommandError::StateUnknown)
        } else {
            Ok(())
        }
    }

    /// The state that will confirm `command`, given what is known now.
    pub fn target_of(&self, command: SwitchCommand) -> Option<bool> {
        match command {
            SwitchCommand::On => Some(true),
            SwitchCommand::Off => Some(false),
            SwitchCommand::Toggle if self.power_is_current => self.power.map(|on| !on),
            SwitchCommand::Toggle => None,
        }
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
    /// No such device.
    NoSuchDevice,
}

impl CommandError {
    /// A sentence for the user.
    pub fn explain(self) -> &'static str {
        match self {
            Self::BrokerOffline => "Not sent: the page is not connected to the broker.",
            Self::DeviceOffline => "Not sent: the device is offline.",
            Self::StateUnknown => "Not sent: the device's state is not known yet.",
            Self::Busy => "Not sent: the previous command is still awaiting confirmation.",
            Self::NoSuchDevice => "Not sent: no such device.",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_words_in_any_case_are_read_and_others_are_not() {
        assert_eq!(parse_power_word("ON"), Some(true));
        assert_eq!(parse_power_word("off"), Some(false));
        assert_eq!(parse_power_word(" 1 "), Some(true));
        assert_eq!(parse_power_word("false"), Some(false));
        assert_eq!(parse_power_word(""), None);
        assert_eq!(parse_power_word("TOGGLE"), None);
    }

    #[test]
    fn a_switch_is_operable_only_with_current_state_reachable_and_idle() {
        let ready = SwitchState {
            power: Some(true),
            power_is_current: true,
            availability: Availability::Online,
            broker_connected: true,
            ..Default::default()
        };
        assert!(ready.is_operable());
        assert!(!SwitchState {
            broker_connected: false,
            ..ready.clone()
        }
        .is_operable());
        assert!(!SwitchState {
            availability: Availability::Offline,
            ..ready.clone()
        }
        .is_operable());
        assert!(!SwitchState {
            power_is_current: false,
            ..ready.clone()
        }
        .is_operable());
        let pending = Some(PendingCommand {
            target: Some(false),
            deadline: 0,
        });
        assert!(!SwitchState {
            pending,
            ..ready.clone()
        }
        .is_operable());
    }

    #[test]
    fn toggle_is_allowed_without_a_known_state_but_on_and_off_are_not() {
        let unknown = SwitchState {
            broker_connected: true,
            ..Default::default()
        };
        assert_eq!(unknown.check_command(SwitchCommand::Toggle), Ok(()));
        assert_eq!(unknown.target_of(SwitchCommand::Toggle), None);
        assert_eq!(
            unknown.check_command(SwitchCommand::On),
            Err(CommandError::StateUnknown)
        );
    }
}
