//! The Shelly Gen2 / Gen3 / Gen4 protocol: RPC over MQTT.
//!
//! Requests go to `<prefix>/rpc` as `{"id":N,"src":"<source>","method":...,"params":...}`;
//! the device answers on `<source>/rpc` with the same `id` and a `result` or an `error`
//! (shown on the card in the device's own words). The source is unique to this tab and
//! device, so answers reach only the device that asked. State comes from `Shelly.GetStatus`
//! (asked after every connect), partial `NotifyStatus` notifications on `<prefix>/events/rpc`
//! (merged over what is known) and `<prefix>/status/switch:0`; availability from
//! `<prefix>/online` (`true`/`false`, retained). A successful `Switch.Set` is followed by
//! `Switch.GetStatus`, so a device with notifications turned off still confirms. Channel
//! names come from `Shelly.GetConfig`. Schedules (`Schedule.*`) and the clock are asked once
//! the user opens them, through [`shelly_schedule`]; a change is saved only when the
//! `Schedule.List` asked after it shows it.

use serde_json::{json, Map, Value};

use crate::adapter::Protocol;
use crate::device::{ChannelRole, DeviceState, OutgoingMessage, SwitchCommand, MAX_CHANNELS};
use crate::device_core::DeviceCore;
use crate::json_read::{number, number_at, parse_object};
use crate::schedule_book::{ScheduleBook, ScheduleChange, ScheduleKind};
use crate::shelly_schedule;

/// Requests remembered while awaiting their answer; the oldest is forgotten beyond this.
const MAX_OPEN_CALLS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    GetStatus,
    GetConfig,
    Switch { channel: usize },
    SwitchStatus { channel: usize },
    ScheduleList,
    ScheduleChange,
    SysStatus,
    SysConfig,
}

/// One Shelly Gen2+ device.
#[derive(Debug, Clone)]
pub struct ShellyProtocol {
    prefix: String,
    source: String,
    online_topic: String,
    events_topic: String,
    status_topic: String,
    reply_topic: String,
    next_id: u64,
    open_calls: Vec<(u64, Call)>,
    /// Per-switch power and energy, summed into the device's readings.
    channel_watts: Vec<Option<f64>>,
    channel_energy_wh: Vec<Option<f64>>,
    /// The device's time zone name (`Sys.GetConfig`), kept for the clock.
    zone: Option<String>,
    /// The schedules' revision last seen (`sys.schedule_rev`): when another client changes
    /// them, the device notifies a new one and the open list is asked again.
    schedule_rev: Option<u64>,
}

impl ShellyProtocol {
    /// A device at `prefix`; answers come back on `<source>/rpc`.
    pub fn new(prefix: String, source: String) -> Self {
        Self {
            online_topic: format!("{prefix}/online"),
            events_topic: format!("{prefix}/events/rpc"),
            status_topic: format!("{prefix}/status/switch:0"),
            reply_topic: format!("{source}/rpc"),
            prefix,
            source,
            next_id: 1,
            open_calls: Vec::new(),
            channel_watts: Vec::new(),
            channel_energy_wh: Vec::new(),
            zone: None,
            schedule_rev: None,
        }
    }

    /// One switch until the device says it has more.
    pub fn initial_state(&self) -> DeviceState {
        DeviceState::with_channels(1, ChannelRole::Relay, true)
    }

    fn call(&mut self, core: &mut DeviceCore, call: Call, method: &str, params: Value) {
        let id = self.next_id;
        self.next_id += 1;
        if self.open_calls.len() == MAX_OPEN_CALLS {
            self.open_calls.remove(0);
        }
        self.open_calls.push((id, call));
        let body = json!({"id": id, "src": self.source, "method": method, "params": params});
        let message = OutgoingMessage {
            topic: format!("{}/rpc", self.prefix),
            payload: body.to_string().into_bytes(),
            is_query: matches!(
                call,
                Call::GetStatus
                    | Call::GetConfig
                    | Call::ScheduleList
                    | Call::SysStatus
                    | Call::SysConfig
            ),
            // A toggle twice switches back, a create twice makes two jobs (the simulation
            // found a QoS 1 duplicate doing it): these go at most once.
            at_most_once: matches!(method, "Switch.Toggle" | "Schedule.Create"),
        };
        core.send(message);
    }

    /// A schedules revision from the device: if it moved while the list is open and no change
    /// of ours is in flight (ours re-reads the list anyway), someone else changed the
    /// schedules: read them again.
    fn note_schedule_rev(&mut self, core: &mut DeviceCore, rev: u64) {
        let moved = self.schedule_rev.is_some_and(|seen| seen != rev);
        self.schedule_rev = Some(rev);
        let book = &core.state.schedules;
        if moved && book.opened && book.pending.is_none() {
            self.call(core, Call::ScheduleList, "Schedule.List", json!({}));
        }
    }

    /// Merges every `switch:N` (and `sys`, `wifi`) member of a status object.
    fn merge_status(&mut self, core: &mut DeviceCore, status: &Map<String, Value>) {
        for (key, value) in status {
            if let (Some(channel), Some(switch)) = (switch_index(key), value.as_object()) {
                self.merge_switch(core, channel, switch);
            }
        }
        if let Some(rev) = status
            .get("sys")
            .and_then(|s| s.get("schedule_rev"))
            .and_then(Value::as_u64)
        {
            self.note_schedule_rev(core, rev);
        }
        if let Some(uptime) = status
            .get("sys")
            .and_then(|s| s.get("uptime"))
            .and_then(number)
        {
            core.state.readings.uptime_secs = Some(uptime as u64);
        }
        if let Some(rssi) = status
            .get("wifi")
            .and_then(|w| w.get("rssi"))
            .and_then(number)
        {
            core.state.readings.wifi_dbm = Some(rssi);
        }
    }

    fn merge_switch(&mut self, core: &mut DeviceCore, channel: usize, switch: &Map<String, Value>) {
        if channel >= MAX_CHANNELS {
            return;
        }
        if self.channel_watts.len() <= channel {
            self.channel_watts.resize(channel + 1, None);
            self.channel_energy_wh.resize(channel + 1, None);
        }
        if let Some(on) = switch.get("output").and_then(Value::as_bool) {
            core.report_power(channel, on);
        }
        if let Some(watts) = number_at(switch, "apower") {
            self.channel_watts[channel] = Some(watts);
            core.state.readings.power_w = Some(self.channel_watts.iter().flatten().sum());
        }
        if let Some(wh) = switch
            .get("aenergy")
            .and_then(|e| e.get("total"))
            .and_then(number)
        {
            self.channel_energy_wh[channel] = Some(wh);
            let total: f64 = self.channel_energy_wh.iter().flatten().sum();
            core.state.readings.energy_total_kwh = Some(total / 1000.0);
        }
        let readings = &mut core.state.readings;
        readings.voltage_v = number_at(switch, "voltage").or(readings.voltage_v);
        readings.current_a = number_at(switch, "current").or(readings.current_a);
        if let Some(celsius) = switch
            .get("temperature")
            .and_then(|t| t.get("tC"))
            .and_then(number)
        {
            readings.temperature_c = Some(celsius);
        }
    }

    fn handle_reply(&mut self, core: &mut DeviceCore, reply: &Map<String, Value>) {
        let Some(id) = reply.get("id").and_then(Value::as_u64) else {
            return;
        };
        let Some(position) = self.open_calls.iter().position(|(i, _)| *i == id) else {
            return;
        };
        let (_, call) = self.open_calls.remove(position);
        if let Some(error) = reply.get("error") {
            let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .map_or_else(|| crate::say!("no reason given"), String::from);
            let message = crate::device::clip_text(&message, 120);
            let refusal = crate::say!("The device refused: {} (error {}).", message, code);
            if matches!(call, Call::ScheduleList | Call::ScheduleChange) {
                core.state.schedules.refuse(refusal);
                return;
            }
            let channel = match call {
                Call::Switch { channel } | Call::SwitchStatus { channel } => Some(channel),
                _ => None,
            };
            if channel.is_some() || call == Call::GetStatus {
                core.command_failed(channel, refusal);
            }
            return;
        }
        let Some(result) = reply.get("result") else {
            return;
        };
        match call {
            Call::GetStatus => {
                if let Some(status) = result.as_object() {
                    core.heard_from_device();
                    self.merge_status(core, status);
                }
            }
            Call::GetConfig => {
                for (key, value) in result.as_object().into_iter().flatten() {
                    if let (Some(channel), Some(name)) =
                        (switch_index(key), value.get("name").and_then(Value::as_str))
                    {
                        core.name_channel(channel, name);
                    }
                }
            }
            Call::Switch { channel } => {
                self.call(
                    core,
                    Call::SwitchStatus { channel },
                    "Switch.GetStatus",
                    json!({ "id": channel }),
                );
            }
            Call::SwitchStatus { channel } => {
                if let Some(switch) = result.as_object() {
                    self.merge_switch(core, channel, switch);
                }
            }
            Call::ScheduleChange => {
                let book = &mut core.state.schedules;
                if let (Some(pending), Some(id)) = (book.pending.as_mut(), result.get("id")) {
                    pending.id = pending
                        .id
                        .or(id.as_u64().and_then(|id| u32::try_from(id).ok()));
                }
                // Saved only once the device's own list shows it.
                self.call(core, Call::ScheduleList, "Schedule.List", json!({}));
            }
            Call::ScheduleList => {
                if let Some(jobs) = result.get("jobs").and_then(Value::as_array) {
                    core.heard_from_device();
                    read_schedule_list(&mut core.state.schedules, jobs);
                }
            }
            Call::SysConfig => {
                if let Some(config) = result.as_object() {
                    self.zone = shelly_schedule::zone_of(config);
                    if let Some(clock) = core.state.schedules.clock.as_mut() {
                        clock.zone = self.zone.clone();
                    }
                }
            }
            Call::SysStatus => {
                if let Some(rev) = result.get("schedule_rev").and_then(Value::as_u64) {
                    self.note_schedule_rev(core, rev);
                }
                if let Some(status) = result.as_object() {
                    let wall = core.state.schedules.wall_ms(core.now);
                    core.state.schedules.clock = Some(shelly_schedule::read_sys_status(
                        status,
                        wall,
                        self.zone.clone(),
                    ));
                }
            }
        }
    }
}

impl Protocol for ShellyProtocol {
    fn subscriptions(&self) -> Vec<String> {
        vec![
            self.online_topic.clone(),
            self.events_topic.clone(),
            self.status_topic.clone(),
            self.reply_topic.clone(),
        ]
    }

    fn handle_message(&mut self, core: &mut DeviceCore, topic: &str, payload: &[u8]) -> bool {
        if topic == self.online_topic {
            match String::from_utf8_lossy(payload).trim() {
                "true" => core.report_availability(true),
                "false" => core.report_availability(false),
                _ => {}
            }
        } else if topic == self.events_topic {
            let Some(event) = parse_object(payload) else {
                return true;
            };
            let method = event.get("method").and_then(Value::as_str);
            if matches!(method, Some("NotifyStatus" | "NotifyFullStatus")) {
                if let Some(params) = event.get("params").and_then(Value::as_object) {
                    self.merge_status(core, params);
                }
            }
        } else if topic == self.status_topic {
            if let Some(switch) = parse_object(payload) {
                self.merge_switch(core, 0, &switch);
            }
        } else if topic == self.reply_topic {
            if let Some(reply) = parse_object(payload) {
                self.handle_reply(core, &reply);
            }
        } else {
            return false;
        }
        true
    }

    fn ask_state(&mut self, core: &mut DeviceCore, first: bool) -> bool {
        self.call(core, Call::GetStatus, "Shelly.GetStatus", json!({}));
        if first {
            self.call(core, Call::GetConfig, "Shelly.GetConfig", json!({}));
        }
        true
    }

    fn send_command(&mut self, core: &mut DeviceCore, channel: usize, command: SwitchCommand) {
        let call = Call::Switch { channel };
        match command {
            SwitchCommand::On | SwitchCommand::Off => self.call(
                core,
                call,
                "Switch.Set",
                json!({"id": channel, "on": command == SwitchCommand::On}),
            ),
            SwitchCommand::Toggle => {
                self.call(core, call, "Switch.Toggle", json!({ "id": channel }))
            }
        }
    }

    fn schedule_kind(&self) -> ScheduleKind {
        ScheduleKind::Shelly
    }

    fn ask_schedules(&mut self, core: &mut DeviceCore) {
        self.call(core, Call::ScheduleList, "Schedule.List", json!({}));
        self.call(core, Call::SysConfig, "Sys.GetConfig", json!({}));
        self.call(core, Call::SysStatus, "Sys.GetStatus", json!({}));
    }

    fn ask_clock(&mut self, core: &mut DeviceCore) {
        self.call(core, Call::SysStatus, "Sys.GetStatus", json!({}));
    }

    fn change_schedule(
        &mut self,
        core: &mut DeviceCore,
        change: ScheduleChange,
    ) -> Result<(), String> {
        let (method, params) = shelly_schedule::change_call(&change).ok_or_else(|| {
            crate::say!("Only Tasmota switches its timers on and off as a whole.")
        })?;
        let id = match &change {
            ScheduleChange::Update(id, _)
            | ScheduleChange::SetEnabled(id, _)
            | ScheduleChange::Delete(id) => Some(*id),
            ScheduleChange::Create(_) | ScheduleChange::ArmAll => None,
        };
        self.call(core, Call::ScheduleChange, method, params);
        let now = core.now;
        core.state.schedules.begin(now, change, id);
        Ok(())
    }

    fn command_topic(&self, _channel: usize) -> String {
        format!("{}/rpc", self.prefix)
    }

    fn command_filters(&self) -> Vec<String> {
        vec![
            format!("{}/rpc", self.prefix),
            format!("{}/command/+", self.prefix),
        ]
    }

    fn is_command_topic(&self, topic: &str) -> bool {
        topic
            .strip_prefix(self.prefix.as_str())
            .is_some_and(|rest| rest == "/rpc" || rest.starts_with("/command/"))
    }
}

/// Replaces the list with a `Schedule.List` answer and settles the pending change by it: done if
/// the list shows it, refused if it does not.
fn read_schedule_list(book: &mut ScheduleBook, jobs: &[Value]) {
    book.entries.clear();
    for job in jobs
        .iter()
        .filter_map(Value::as_object)
        .take(2 * book.kind.capacity())
    {
        if let Some(entry) = shelly_schedule::parse_job(job) {
            book.upsert(entry);
        }
    }
    book.loaded = true;
    let Some(pending) = book.pending.as_ref() else {
        return;
    };
    let Some(id) = pending.id else {
        // Still waiting for the answer that names the new job.
        return;
    };
    let entry = book.entry(id);
    let done = match &pending.change {
        ScheduleChange::Create(_) | ScheduleChange::Update(..) => entry.is_some(),
        ScheduleChange::SetEnabled(_, on) => entry.is_some_and(|e| e.schedule.enabled == *on),
        ScheduleChange::Delete(_) => entry.is_none(),
        ScheduleChange::ArmAll => false,
    };
    if done {
        book.confirm();
    } else {
        book.refuse(crate::say!(
            "The device answered, but its list does not show the change."
        ));
    }
}

/// `switch:3` -> 3.
fn switch_index(key: &str) -> Option<usize> {
    key.strip_prefix("switch:")?.parse().ok()
}

#[cfg(test)]
mod tests;
