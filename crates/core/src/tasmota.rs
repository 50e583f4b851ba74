//! The Tasmota protocol: single- and multi-relay devices, any FullTopic and prefixes.
//!
//! Listens to `stat/<t>/RESULT` (`{"POWER":"ON"}`, `{"POWER2":"OFF"}`, or a whole `State`
//! answer), `stat/<t>/POWER`, `tele/<t>/STATE` (powers, Wi-Fi, uptime), `tele/<t>/SENSOR`
//! (`ENERGY`: power, today, total, voltage, current; any `Temperature`), `stat/<t>/STATUS`
//! (the relays' FriendlyNames), `stat/<t>/STATUS10` (sensors on demand) and `tele/<t>/LWT`.
//! After every (re)connect it asks with an empty `cmnd/<t>/STATE` (every relay at once) and,
//! the first time, `Status` and `Status 10`; the core repeats the `State` question with a
//! growing delay until the device answers. Commands go to `cmnd/<t>/POWER` (or `POWER<n>` on
//! multi-relay devices) as `ON`, `OFF` or `TOGGLE`, never retained. The firmware itself
//! publishes an empty `cmnd/<t>/POWER` when it connects: a command topic is never read as a
//! state here. A group command ("all off") goes to the group topic as `POWER0 OFF`. Timers
//! (the device's own schedules) and its clock are read and set through [`tasmota_timers`];
//! `stat/<t>/STATUS7` is subscribed only once the user opens them.

use serde_json::{Map, Value};

use crate::adapter::Protocol;
use crate::device::{
    parse_power_word, ChannelRole, DeviceState, OutgoingMessage, SwitchCommand, MAX_CHANNELS,
};
use crate::device_config::TasmotaAddress;
use crate::device_core::DeviceCore;
use crate::json_read::{number, number_at, parse_object};
use crate::schedule_book::{ScheduleChange, ScheduleKind};
use crate::tasmota_timers;

/// Tasmota's default group topic.
pub const DEFAULT_GROUP_TOPIC: &str = "tasmotas";

#[derive(Debug, Clone)]
struct Topics {
    result: String,
    power: String,
    state: String,
    sensor: String,
    lwt: String,
    status: String,
    status_sensors: String,
    status_time: String,
}

/// One Tasmota device.
#[derive(Debug, Clone)]
pub struct TasmotaProtocol {
    address: TasmotaAddress,
    topics: Topics,
}

impl TasmotaProtocol {
    /// A device at `address`.
    pub fn new(address: TasmotaAddress) -> Self {
        let topics = Topics {
            result: address.topic_for(1, "RESULT"),
            power: address.topic_for(1, "POWER"),
            state: address.topic_for(2, "STATE"),
            sensor: address.topic_for(2, "SENSOR"),
            lwt: address.topic_for(2, "LWT"),
            status: address.topic_for(1, "STATUS"),
            status_sensors: address.topic_for(1, "STATUS10"),
            status_time: address.topic_for(1, "STATUS7"),
        };
        Self { address, topics }
    }

    /// One relay until the device says it has more.
    pub fn initial_state(&self) -> DeviceState {
        DeviceState::with_channels(1, ChannelRole::Relay, true)
    }

    /// Switches every relay of every device in `group` (Tasmota's `GroupTopic`) off, using
    /// the FullTopic and prefixes of `like`.
    pub fn group_off(like: &TasmotaAddress, group: &str) -> OutgoingMessage {
        let address = TasmotaAddress {
            topic: group.to_string(),
            ..like.clone()
        };
        OutgoingMessage::command(address.topic_for(0, "POWER0"), "OFF")
    }

    fn read_state_object(core: &mut DeviceCore, object: &Map<String, Value>) {
        for (key, value) in object {
            let Some(index) = key.strip_prefix("POWER") else {
                continue;
            };
            let channel = match index {
                "" => Some(0),
                digits => digits
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_CHANNELS).contains(n))
                    .map(|n| n - 1),
            };
            if let (Some(channel), Some(on)) = (channel, value.as_str().and_then(parse_power_word))
            {
                core.report_power(channel, on);
            }
        }
        let readings = &mut core.state.readings;
        if let Some(wifi) = object.get("Wifi").and_then(Value::as_object) {
            if let Some(dbm) = number_at(wifi, "Signal") {
                readings.wifi_dbm = Some(dbm);
            }
            if let Some(percent) = number_at(wifi, "RSSI") {
                readings.wifi_percent = Some(percent);
            }
        }
        let uptime = number_at(object, "UptimeSec")
            .map(|s| s as u64)
            .or_else(|| object.get("Uptime")?.as_str().and_then(parse_uptime));
        if uptime.is_some() {
            readings.uptime_secs = uptime;
        }
    }

    fn read_sensor_object(core: &mut DeviceCore, object: &Map<String, Value>) {
        let readings = &mut core.state.readings;
        if let Some(energy) = object.get("ENERGY").and_then(Value::as_object) {
            // Multi-channel meters report arrays: the device total is their sum.
            let read = |key: &str| match energy.get(key)? {
                Value::Array(items) => items.iter().map(number).sum::<Option<f64>>(),
                value => number(value),
            };
            readings.power_w = read("Power").or(readings.power_w);
            readings.energy_today_kwh = read("Today").or(readings.energy_today_kwh);
            readings.energy_total_kwh = read("Total").or(readings.energy_total_kwh);
            readings.voltage_v = energy
                .get("Voltage")
                .and_then(|v| number(v.as_array().and_then(|a| a.first()).unwrap_or(v)))
                .or(readings.voltage_v);
            readings.current_a = read("Current").or(readings.current_a);
        }
        let temperature = object
            .values()
            .filter_map(Value::as_object)
            .find_map(|sensor| number_at(sensor, "Temperature"));
        if temperature.is_some() {
            readings.temperature_c = temperature;
        }
    }
}

impl Protocol for TasmotaProtocol {
    fn subscriptions(&self) -> Vec<String> {
        let t = &self.topics;
        vec![
            t.result.clone(),
            t.power.clone(),
            t.state.clone(),
            t.sensor.clone(),
            t.lwt.clone(),
            t.status.clone(),
            t.status_sensors.clone(),
        ]
    }

    fn handle_message(&mut self, core: &mut DeviceCore, topic: &str, payload: &[u8]) -> bool {
        let t = &self.topics;
        if topic == t.power {
            if let Some(on) = std::str::from_utf8(payload).ok().and_then(parse_power_word) {
                core.report_power(0, on);
            }
        } else if topic == t.result || topic == t.state {
            if let Some(object) = parse_object(payload) {
                Self::read_state_object(core, &object);
                if topic == t.result
                    && tasmota_timers::read_result(&mut core.state.schedules, &object)
                {
                    core.heard_from_device();
                }
            }
        } else if topic == t.status_time {
            let now = core.now;
            if tasmota_timers::read_status_time(&mut core.state.schedules, now, payload) {
                core.heard_from_device();
            }
        } else if topic == t.sensor {
            if let Some(object) = parse_object(payload) {
                Self::read_sensor_object(core, &object);
            }
        } else if topic == t.status_sensors {
            if let Some(sensors) = parse_object(payload)
                .as_ref()
                .and_then(|o| o.get("StatusSNS")?.as_object().cloned())
            {
                Self::read_sensor_object(core, &sensors);
            }
        } else if topic == t.status {
            let object = parse_object(payload);
            let names = object
                .as_ref()
                .and_then(|o| o.get("Status")?.get("FriendlyName")?.as_array().cloned())
                .unwrap_or_default();
            core.ensure_channels(names.len());
            for (channel, name) in names.iter().enumerate().take(MAX_CHANNELS) {
                if let Some(name) = name.as_str() {
                    core.name_channel(channel, name);
                }
            }
        } else if topic == t.lwt {
            let word = String::from_utf8_lossy(payload);
            if word.trim().eq_ignore_ascii_case("online") {
                core.report_availability(true);
            } else if word.trim().eq_ignore_ascii_case("offline") {
                core.report_availability(false);
            }
        } else {
            return false;
        }
        true
    }

    fn ask_state(&mut self, core: &mut DeviceCore, first: bool) -> bool {
        self.ask(core, "STATE", "");
        if first {
            self.ask(core, "STATUS", "");
            self.ask(core, "STATUS", "10");
        }
        true
    }

    fn send_command(&mut self, core: &mut DeviceCore, channel: usize, command: SwitchCommand) {
        let word = match command {
            SwitchCommand::On => "ON",
            SwitchCommand::Off => "OFF",
            SwitchCommand::Toggle => "TOGGLE",
        };
        let topic = self.command_topic_of(core.state.channels.len(), channel);
        core.send(if command == SwitchCommand::Toggle {
            OutgoingMessage::toggle(topic, word)
        } else {
            OutgoingMessage::command(topic, word)
        });
    }

    fn command_topic(&self, channel: usize) -> String {
        self.command_topic_of(1, channel)
    }

    fn command_filters(&self) -> Vec<String> {
        vec![self.address.topic_for(0, "+")]
    }

    fn schedule_kind(&self) -> ScheduleKind {
        ScheduleKind::Tasmota
    }

    fn schedule_subscriptions(&self) -> Vec<String> {
        vec![self.topics.status_time.clone()]
    }

    fn ask_schedules(&mut self, core: &mut DeviceCore) {
        self.ask(core, "Timers", "");
        self.ask(core, "STATUS", "7");
    }

    fn ask_clock(&mut self, core: &mut DeviceCore) {
        self.ask(core, "STATUS", "7");
    }

    fn change_schedule(
        &mut self,
        core: &mut DeviceCore,
        change: ScheduleChange,
    ) -> Result<(), String> {
        let address = &self.address;
        let (messages, id) =
            tasmota_timers::change_messages(&core.state.schedules, &change, |command| {
                address.topic_for(0, command)
            })
            .ok_or_else(|| {
                crate::say!("All 16 timers of this device are in use. Delete one to make room.")
            })?;
        for message in messages {
            core.send(message);
        }
        let now = core.now;
        core.state.schedules.begin(now, change, id);
        Ok(())
    }

    fn is_command_topic(&self, topic: &str) -> bool {
        let base = self.address.topic_for(0, "");
        topic
            .strip_prefix(base.as_str())
            .is_some_and(|command| !command.is_empty() && !command.contains('/'))
    }
}

impl TasmotaProtocol {
    /// Queues a question: `command` with `payload` on the device's command topic.
    fn ask(&self, core: &mut DeviceCore, command: &str, payload: &str) {
        core.send(OutgoingMessage::query(
            self.address.topic_for(0, command),
            payload,
        ));
    }

    fn command_topic_of(&self, channel_count: usize, channel: usize) -> String {
        if channel_count <= 1 {
            self.address.topic_for(0, "POWER")
        } else {
            self.address.topic_for(0, &format!("POWER{}", channel + 1))
        }
    }
}

/// Reads Tasmota's `Uptime` (`1T02:03:04`: days, then hours:minutes:seconds) in seconds.
pub fn parse_uptime(text: &str) -> Option<u64> {
    let (days, clock) = text.trim().split_once('T')?;
    let mut parts = clock.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    Some(days.parse::<u64>().ok()? * 86_400 + h * 3_600 + m * 60 + s)
}

#[cfg(test)]
mod tests;
