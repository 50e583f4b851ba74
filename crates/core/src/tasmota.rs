//! The Tasmota adapter: one single-relay device with the default FullTopic `%prefix%/%topic%/`.
//!
//! Listens to `stat/<t>/RESULT` (`{"POWER":"ON"}`), `stat/<t>/POWER` (`ON`), `tele/<t>/STATE`
//! (JSON with `"POWER"`) and `tele/<t>/LWT` (`Online`/`Offline`). After every (re)connect it
//! asks for the state with an empty `cmnd/<t>/POWER`, and asks again with a growing delay until
//! the device answers, so a lost first answer never leaves the switch disabled for good.
//! Commands go to `cmnd/<t>/POWER` as `ON`, `OFF` or `TOGGLE`, never retained. The firmware
//! itself publishes an empty `cmnd/<t>/POWER` when it connects: a command topic is never read
//! as a state here.
//!
//! Not here yet: multi-relay devices, custom FullTopic, telemetry readings, discovery.

use std::collections::VecDeque;

use serde_json::Value;

use crate::backoff::Backoff;
use crate::device::{
    parse_power_word, Availability, CommandError, OutgoingMessage, PendingCommand, SwitchCommand,
    SwitchState, CONFIRMATION_TIMEOUT,
};
use crate::time::{Millis, SECOND};

/// First delay before asking again for a state that did not come.
pub const STATE_QUERY_FIRST_RETRY: Millis = 2 * SECOND;
/// Longest delay between two state queries.
pub const STATE_QUERY_MAX_RETRY: Millis = 60 * SECOND;

/// One Tasmota device.
#[derive(Debug, Clone)]
pub struct TasmotaDevice {
    topic: String,
    state: SwitchState,
    query_backoff: Backoff,
    next_query_at: Option<Millis>,
    outbox: VecDeque<OutgoingMessage>,
}

impl TasmotaDevice {
    /// A device by its `%topic%` (e.g. `tasmota_487D21`).
    pub fn new(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            state: SwitchState::default(),
            query_backoff: Backoff::new(STATE_QUERY_FIRST_RETRY, STATE_QUERY_MAX_RETRY),
            next_query_at: None,
            outbox: VecDeque::new(),
        }
    }

    /// The device's `%topic%`.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// What the page knows about the switch.
    pub fn state(&self) -> &SwitchState {
        &self.state
    }

    /// The topic filters this device needs.
    pub fn subscriptions(&self) -> Vec<String> {
        let t = &self.topic;
        vec![
            format!("stat/{t}/RESULT"),
            format!("stat/{t}/POWER"),
            format!("tele/{t}/STATE"),
            format!("tele/{t}/LWT"),
        ]
    }

    /// The broker connection is up and subscriptions are on their way: ask for the state.
    pub fn handle_broker_connected(&mut self, now: Millis) {
        self.state.broker_connected = true;
        self.state.power_is_current = false;
        self.state.availability = Availability::Unknown;
        self.query_backoff.reset();
        self.query_state(now);
    }

    /// The broker connection is gone: nothing known is current any more.
    pub fn handle_broker_disconnected(&mut self) {
        self.state.broker_connected = false;
        self.state.power_is_current = false;
        self.next_query_at = None;
        self.outbox.clear();
        if self.state.pending.take().is_some() {
            self.state.notice =
                Some("Not confirmed: the connection to the broker dropped. Check the device's state before trying again.".into());
        }
    }

    /// A message arrived; returns true if it was one of this device's topics.
    pub fn handle_message(&mut self, now: Millis, topic: &str, payload: &[u8]) -> bool {
        let Some(rest) = topic
            .strip_prefix("stat/")
            .or_else(|| topic.strip_prefix("tele/"))
        else {
            return false;
        };
        let Some(suffix) = rest
            .strip_prefix(self.topic.as_str())
            .and_then(|r| r.strip_prefix('/'))
        else {
            return false;
        };
        let text = String::from_utf8_lossy(payload);
        match (topic.starts_with("stat/"), suffix) {
            (true, "POWER") => {
                if let Some(on) = parse_power_word(&text) {
                    self.handle_power_report(on);
                }
            }
            (true, "RESULT") | (false, "STATE") => {
                if let Some(on) = power_from_json(&text) {
                    self.handle_power_report(on);
                }
            }
            (false, "LWT") => self.handle_availability(now, text.trim()),
            _ => return false,
        }
        true
    }

    /// A timer fired: give up on an unconfirmed command, or ask again for the state.
    pub fn handle_timeout(&mut self, now: Millis) {
        if let Some(pending) = self.state.pending {
            if now >= pending.deadline {
                self.state.pending = None;
                self.state.notice = Some(format!(
                    "No confirmation from the device within {} s: it may be offline, or its topic may be wrong.",
                    CONFIRMATION_TIMEOUT / SECOND
                ));
                self.query_backoff.reset();
                self.query_state(now);
            }
        }
        if self.next_query_at.is_some_and(|at| now >= at) {
            self.query_state(now);
        }
    }

    /// Sends a command, if the state allows it.
    pub fn request(&mut self, now: Millis, command: SwitchCommand) -> Result<(), CommandError> {
        self.state.check_command(command)?;
        let word = match command {
            SwitchCommand::On => "ON",
            SwitchCommand::Off => "OFF",
            SwitchCommand::Toggle => "TOGGLE",
        };
        self.state.pending = Some(PendingCommand {
            target: self.state.target_of(command),
            deadline: now + CONFIRMATION_TIMEOUT,
        });
        self.state.notice = None;
        self.outbox.push_back(OutgoingMessage {
            topic: self.command_topic(),
            payload: word.as_bytes().to_vec(),
        });
        Ok(())
    }

    /// The broker refused the command (MQTT 5 PUBACK with a failure reason, e.g. an ACL).
    pub fn handle_command_refused(&mut self, reason: &str) {
        if self.state.pending.take().is_some() {
            self.state.notice = Some(format!(
                "The broker refused the command: {reason}. Check that this user may publish to {}.",
                self.command_topic()
            ));
        }
    }

    /// The next message to publish.
    pub fn poll_outgoing(&mut self) -> Option<OutgoingMessage> {
        self.outbox.pop_front()
    }

    /// When [`TasmotaDevice::handle_timeout`] should run next.
    pub fn poll_timeout(&self) -> Option<Millis> {
        let pending = self.state.pending.map(|p| p.deadline);
        match (pending, self.next_query_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn command_topic(&self) -> String {
        format!("cmnd/{}/POWER", self.topic)
    }

    fn query_state(&mut self, now: Millis) {
        if !self.state.broker_connected || self.state.availability == Availability::Offline {
            self.next_query_at = None;
            return;
        }
        self.outbox.push_back(OutgoingMessage {
            topic: self.command_topic(),
            payload: Vec::new(),
        });
        self.state.unanswered_queries = self.state.unanswered_queries.saturating_add(1);
        self.next_query_at = Some(now + self.query_backoff.next_delay());
    }

    fn handle_power_report(&mut self, on: bool) {
        self.state.power = Some(on);
        self.state.power_is_current = true;
        // Only a device that is connected reports its state.
        self.state.availability = Availability::Online;
        self.next_query_at = None;
        self.state.unanswered_queries = 0;
        self.query_backoff.reset();
        if let Some(pending) = self.state.pending {
            if pending.target.is_none_or(|target| target == on) {
                self.state.pending = None;
                self.state.notice = None;
            }
        }
    }

    fn handle_availability(&mut self, now: Millis, word: &str) {
        if word.eq_ignore_ascii_case("offline") {
            self.state.availability = Availability::Offline;
            self.state.power_is_current = false;
            self.next_query_at = None;
            if self.state.pending.take().is_some() {
                self.state.notice = Some("Not confirmed: the device went offline.".into());
            }
        } else if word.eq_ignore_ascii_case("online") {
            let was_offline = self.state.availability == Availability::Offline;
            self.state.availability = Availability::Online;
            if was_offline && !self.state.power_is_current {
                self.query_backoff.reset();
                self.query_state(now);
            }
        }
    }
}

/// `"POWER"` (or `"POWER1"`, as SetOption26 writes it) from a JSON object.
fn power_from_json(text: &str) -> Option<bool> {
    let value: Value = serde_json::from_str(text).ok()?;
    let object = value.as_object()?;
    ["POWER", "POWER1"]
        .iter()
        .find_map(|key| object.get(*key)?.as_str().and_then(parse_power_word))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 50_000;

    fn outgoing(device: &mut TasmotaDevice) -> Vec<(String, String)> {
        std::iter::from_fn(|| device.poll_outgoing())
            .map(|m| (m.topic, String::from_utf8(m.payload).unwrap()))
            .collect()
    }

    fn connected_plug() -> TasmotaDevice {
        let mut plug = TasmotaDevice::new("plug");
        plug.handle_broker_connected(T0);
        outgoing(&mut plug);
        plug
    }

    fn known_plug(on: bool) -> TasmotaDevice {
        let mut plug = connected_plug();
        plug.handle_message(T0, "stat/plug/POWER", if on { b"ON" } else { b"OFF" });
        assert!(plug.state().is_operable());
        plug
    }

    #[test]
    fn it_subscribes_to_result_power_state_and_lwt() {
        assert_eq!(
            TasmotaDevice::new("desk").subscriptions(),
            [
                "stat/desk/RESULT",
                "stat/desk/POWER",
                "tele/desk/STATE",
                "tele/desk/LWT"
            ]
        );
    }

    #[test]
    fn on_connect_it_asks_for_the_state_with_an_empty_power_command() {
        let mut plug = TasmotaDevice::new("plug");
        plug.handle_broker_connected(T0);
        assert_eq!(
            outgoing(&mut plug),
            [("cmnd/plug/POWER".into(), String::new())]
        );
        assert!(!plug.state().is_operable());
    }

    #[test]
    fn it_asks_again_with_growing_delays_until_an_answer_comes() {
        let mut plug = connected_plug();
        let mut asked_at = Vec::new();
        let mut now = T0;
        while asked_at.len() < 5 {
            now = plug.poll_timeout().unwrap();
            plug.handle_timeout(now);
            assert_eq!(outgoing(&mut plug).len(), 1);
            asked_at.push((now - T0) / SECOND);
        }
        assert_eq!(asked_at, [2, 6, 14, 30, 62]);
        assert_eq!(plug.state().unanswered_queries, 6);
        plug.handle_message(now, "stat/plug/RESULT", br#"{"POWER":"OFF"}"#);
        assert_eq!(plug.state().unanswered_queries, 0);
        assert_eq!(plug.poll_timeout(), None, "kept asking after the answer");
        assert!(plug.state().is_operable());
    }

    #[test]
    fn state_is_read_from_power_result_and_telemetry() {
        let mut plug = connected_plug();
        plug.handle_message(T0, "stat/plug/POWER", b"ON");
        assert_eq!(plug.state().power, Some(true));
        plug.handle_message(T0, "stat/plug/RESULT", br#"{"POWER":"OFF"}"#);
        assert_eq!(plug.state().power, Some(false));
        plug.handle_message(
            T0,
            "tele/plug/STATE",
            br#"{"Uptime":"0T01:00:00","POWER":"ON","Wifi":{"RSSI":70}}"#,
        );
        assert_eq!(plug.state().power, Some(true));
        plug.handle_message(T0, "stat/plug/RESULT", br#"{"POWER1":"OFF"}"#);
        assert_eq!(plug.state().power, Some(false));
    }

    #[test]
    fn the_empty_power_command_the_firmware_sends_is_not_a_state() {
        let mut plug = connected_plug();
        assert!(!plug.handle_message(T0, "cmnd/plug/POWER", b""));
        plug.handle_message(T0, "stat/plug/POWER", b"");
        plug.handle_message(T0, "stat/plug/RESULT", br#"{"Timer1":{"Enable":1}}"#);
        plug.handle_message(T0, "stat/plug/RESULT", b"not json {");
        assert_eq!(plug.state().power, None);
        assert!(!plug.state().is_operable());
    }

    #[test]
    fn other_devices_topics_are_ignored() {
        let mut plug = connected_plug();
        assert!(!plug.handle_message(T0, "stat/plug2/POWER", b"ON"));
        assert!(!plug.handle_message(T0, "stat/plu/POWER", b"ON"));
        assert_eq!(plug.state().power, None);
    }

    #[test]
    fn a_click_sends_the_command_and_stays_pending_until_the_device_confirms() {
        let mut plug = known_plug(false);
        plug.request(T0, SwitchCommand::On).unwrap();
        assert_eq!(
            outgoing(&mut plug),
            [("cmnd/plug/POWER".into(), "ON".into())]
        );
        assert!(plug.state().pending.is_some());
        assert_eq!(
            plug.state().power,
            Some(false),
            "the switch moved before the device did"
        );
        assert_eq!(
            plug.request(T0, SwitchCommand::Off),
            Err(CommandError::Busy)
        );
        plug.handle_message(T0 + 300, "stat/plug/RESULT", br#"{"POWER":"ON"}"#);
        assert_eq!(plug.state().pending, None);
        assert_eq!(plug.state().power, Some(true));
    }

    #[test]
    fn a_command_without_confirmation_gives_up_visibly_after_the_timeout() {
        let mut plug = known_plug(true);
        plug.request(T0, SwitchCommand::Toggle).unwrap();
        assert_eq!(plug.state().pending.unwrap().target, Some(false));
        outgoing(&mut plug);
        plug.handle_timeout(T0 + CONFIRMATION_TIMEOUT - 1);
        assert!(plug.state().pending.is_some());
        plug.handle_timeout(T0 + CONFIRMATION_TIMEOUT);
        assert_eq!(plug.state().pending, None);
        assert!(plug
            .state()
            .notice
            .as_deref()
            .unwrap()
            .contains("No confirmation"));
        assert_eq!(
            outgoing(&mut plug),
            [("cmnd/plug/POWER".into(), String::new())],
            "no re-query"
        );
    }

    #[test]
    fn lwt_offline_disables_the_switch_and_online_asks_for_the_state_again() {
        let mut plug = known_plug(true);
        plug.handle_message(T0, "tele/plug/LWT", b"Offline");
        assert_eq!(plug.state().availability, Availability::Offline);
        assert!(!plug.state().is_operable());
        assert_eq!(
            plug.request(T0, SwitchCommand::Toggle),
            Err(CommandError::DeviceOffline)
        );
        plug.handle_message(T0 + 10, "tele/plug/LWT", b"Online");
        assert_eq!(
            outgoing(&mut plug),
            [("cmnd/plug/POWER".into(), String::new())]
        );
        assert!(!plug.state().is_operable(), "stale state shown as current");
        plug.handle_message(T0 + 20, "stat/plug/POWER", b"OFF");
        assert!(plug.state().is_operable());
    }

    #[test]
    fn a_pending_command_is_reported_not_confirmed_when_the_device_goes_offline() {
        let mut plug = known_plug(true);
        plug.request(T0, SwitchCommand::Off).unwrap();
        plug.handle_message(T0 + 100, "tele/plug/LWT", b"Offline");
        assert_eq!(plug.state().pending, None);
        assert!(plug.state().notice.as_deref().unwrap().contains("offline"));
    }

    #[test]
    fn a_broker_drop_makes_the_state_history_and_a_reconnect_asks_again() {
        let mut plug = known_plug(true);
        plug.request(T0, SwitchCommand::Off).unwrap();
        plug.handle_broker_disconnected();
        assert_eq!(plug.poll_outgoing(), None, "a command survived the drop");
        assert!(!plug.state().is_operable());
        assert_eq!(
            plug.state().power,
            Some(true),
            "last known state kept as history"
        );
        assert!(plug.state().notice.as_deref().unwrap().contains("dropped"));
        plug.handle_broker_connected(T0 + 1_000);
        assert_eq!(
            outgoing(&mut plug),
            [("cmnd/plug/POWER".into(), String::new())]
        );
        assert!(!plug.state().is_operable());
    }

    #[test]
    fn send_toggle_works_for_a_device_that_never_reported_and_any_report_confirms_it() {
        let mut plug = connected_plug();
        plug.request(T0, SwitchCommand::Toggle).unwrap();
        assert_eq!(plug.state().pending.unwrap().target, None);
        assert_eq!(
            outgoing(&mut plug),
            [("cmnd/plug/POWER".into(), "TOGGLE".into())]
        );
        plug.handle_message(T0 + 200, "stat/plug/POWER", b"ON");
        assert_eq!(plug.state().pending, None);
    }
}
