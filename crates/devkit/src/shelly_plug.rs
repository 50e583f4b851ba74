//! A simulated Shelly Plug S Gen3, pure: RPC over MQTT as ../shared/PROTOCOLS.md describes.
//!
//! Will `<prefix>/online false` retained, `true` on connect. Requests on `<prefix>/rpc` need
//! `id` and `src`; answers go to `<src>/rpc` with a `result` or an `error`. Methods:
//! `Switch.Set`, `Switch.Toggle`, `Switch.GetStatus`, `Shelly.GetStatus`, `Shelly.GetConfig`,
//! `Shelly.GetDeviceInfo` (which is how a client recognises a Shelly). Every change is
//! notified on `<prefix>/events/rpc` (`NotifyStatus`, partial) and `<prefix>/status/switch:0`
//! (full). `status_update` on `<prefix>/command` re-publishes the status topic. Schedule jobs
//! (`Schedule.*`) are kept and fired by [`JobStore`]; `Sys.GetStatus` and `Sys.GetConfig` give
//! its clock and zone.

use std::time::Duration;

use serde_json::{json, Value};

use crate::shelly_job_store::JobStore;
use crate::sim_clock::SimClock;
use crate::sim_device::{PlugPublish, SimDevice};

const WATTS_WHEN_ON: f64 = 15.5;

/// One simulated single-switch Shelly Gen3 plug.
#[derive(Debug, Clone)]
pub struct ShellyPlug {
    prefix: String,
    output: bool,
    energy_wh: f64,
    uptime_secs: u64,
    jobs: JobStore,
    clock: SimClock,
}

impl ShellyPlug {
    /// A plug whose `topic_prefix` and device id are `prefix`.
    pub fn new(prefix: impl Into<String>, output: bool) -> Self {
        Self {
            prefix: prefix.into(),
            output,
            energy_wh: 50_980.0,
            uptime_secs: 0,
            jobs: JobStore::default(),
            clock: SimClock::default(),
        }
    }

    fn switch_status(&self, source: &str) -> Value {
        let watts = if self.output { WATTS_WHEN_ON } else { 0.0 };
        json!({
            "id": 0, "source": source, "output": self.output, "apower": watts, "voltage": 231.2,
            "current": if self.output { 0.067 } else { 0.0 }, "aenergy": {"total": self.energy_wh},
            "temperature": {"tC": 41.3, "tF": 106.3}
        })
    }

    fn changed(&self, source: &str) -> Vec<PlugPublish> {
        let note = json!({
            "src": self.prefix, "dst": format!("{}/events", self.prefix), "method": "NotifyStatus",
            "params": {"ts": self.uptime_secs as f64, "switch:0": {"id": 0, "output": self.output, "source": source}}
        });
        vec![
            PlugPublish::new(format!("{}/events/rpc", self.prefix), note.to_string()),
            PlugPublish::new(
                format!("{}/status/switch:0", self.prefix),
                self.switch_status(source).to_string(),
            ),
        ]
    }

    fn answer(&mut self, method: &str, params: &Value) -> (Result<Value, (i64, String)>, bool) {
        let id = params.get("id").and_then(Value::as_u64);
        let bad_id = |id: Option<u64>| {
            (
                -103,
                format!(
                    "Argument 'id', value {} not found!",
                    id.map_or("missing".into(), |i| i.to_string())
                ),
            )
        };
        if let Some(answer) = self.jobs.call(method, params) {
            return (answer, false);
        }
        match method {
            "Sys.GetStatus" => (
                Ok(json!({
                    "mac": "A8032AB29BE0", "restart_required": false, "time": self.clock.local_hh_mm(),
                    "unixtime": self.clock.unix_secs, "uptime": self.uptime_secs, "schedule_rev": self.jobs.rev()
                })),
                false,
            ),
            "Sys.GetConfig" => (
                Ok(json!({
                    "device": {"name": "Simulated plug", "mac": "A8032AB29BE0"},
                    "location": {"tz": format!("UTC{}", self.clock.offset_text()), "lat": crate::sim_clock::LATITUDE, "lon": crate::sim_clock::LONGITUDE},
                    "sntp": {"server": "time.google.com"}
                })),
                false,
            ),
            "Switch.Set" | "Switch.Toggle" => {
                if id != Some(0) {
                    return (Err(bad_id(id)), false);
                }
                let was_on = self.output;
                self.output = if method == "Switch.Set" {
                    match params.get("on").and_then(Value::as_bool) {
                        Some(on) => on,
                        None => {
                            return (Err((-103, "Missing required argument 'on'!".into())), false)
                        }
                    }
                } else {
                    !was_on
                };
                (Ok(json!({"was_on": was_on})), true)
            }
            "Switch.GetStatus" if id == Some(0) => (Ok(self.switch_status("init")), false),
            "Switch.GetStatus" => (Err(bad_id(id)), false),
            "Shelly.GetStatus" => (
                Ok(json!({
                    "switch:0": self.switch_status("init"),
                    "sys": {"uptime": self.uptime_secs},
                    "wifi": {"sta_ip": "127.0.0.1", "status": "got ip", "rssi": -58}
                })),
                false,
            ),
            "Shelly.GetConfig" => (
                Ok(
                    json!({"switch:0": {"id": 0, "name": "Simulated plug", "initial_state": "restore_last"}}),
                ),
                false,
            ),
            "Shelly.GetDeviceInfo" => (
                Ok(json!({
                    "name": "Simulated plug", "id": self.prefix, "mac": "A8032AB29BE0", "slot": 0,
                    "model": "S3PL-00112EU", "gen": 3, "fw_id": "20250101-000000/1.5.0", "ver": "1.5.0",
                    "app": "PlugSG3", "auth_en": false
                })),
                false,
            ),
            other => (Err((404, format!("No handler for {other}"))), false),
        }
    }
}

impl SimDevice for ShellyPlug {
    fn name(&self) -> &str {
        &self.prefix
    }

    fn will(&self) -> Option<PlugPublish> {
        Some(PlugPublish::retained(
            format!("{}/online", self.prefix),
            "false",
        ))
    }

    fn subscriptions(&self) -> Vec<String> {
        vec![
            format!("{}/rpc", self.prefix),
            format!("{}/command", self.prefix),
        ]
    }

    fn on_connected(&mut self) -> Vec<PlugPublish> {
        vec![PlugPublish::retained(
            format!("{}/online", self.prefix),
            "true",
        )]
    }

    fn on_message(&mut self, _now: Duration, topic: &str, payload: &str) -> Vec<PlugPublish> {
        if topic == format!("{}/command", self.prefix) {
            return match payload.trim() {
                "status_update" => self.changed("init")[1..].to_vec(),
                _ => Vec::new(),
            };
        }
        if topic != format!("{}/rpc", self.prefix) {
            return Vec::new();
        }
        let Ok(request) = serde_json::from_str::<Value>(payload) else {
            return Vec::new();
        };
        let (Some(id), Some(src)) = (
            request.get("id").cloned(),
            request.get("src").and_then(Value::as_str),
        ) else {
            return Vec::new();
        };
        let method = request.get("method").and_then(Value::as_str).unwrap_or("");
        let params = request.get("params").cloned().unwrap_or(json!({}));
        let (outcome, changed) = self.answer(method, &params);
        let mut reply = json!({"id": id, "src": self.prefix, "dst": src});
        match outcome {
            Ok(result) => reply["result"] = result,
            Err((code, message)) => reply["error"] = json!({"code": code, "message": message}),
        }
        let schedules_changed = reply.get("result").is_some()
            && method.starts_with("Schedule.")
            && method != "Schedule.List";
        let mut out = vec![PlugPublish::new(format!("{src}/rpc"), reply.to_string())];
        if changed {
            out.extend(self.changed("MQTT"));
        }
        if schedules_changed {
            // As the firmware does: the Sys component's status carries the new revision.
            let note = json!({
                "src": self.prefix, "dst": format!("{}/events", self.prefix), "method": "NotifyStatus",
                "params": {"ts": self.uptime_secs as f64, "sys": {"schedule_rev": self.jobs.rev()}}
            });
            out.push(PlugPublish::new(
                format!("{}/events/rpc", self.prefix),
                note.to_string(),
            ));
        }
        out
    }

    fn press_button(&mut self, _now: Duration) -> Vec<PlugPublish> {
        self.output = !self.output;
        self.changed("button")
    }

    fn tick_telemetry(&mut self, now: Duration) -> Vec<PlugPublish> {
        self.uptime_secs = now.as_secs();
        if self.output {
            self.energy_wh += 1.0;
        }
        self.changed("timer")[1..].to_vec()
    }

    fn tick_clock(&mut self, clock: SimClock) -> Vec<PlugPublish> {
        self.clock = clock;
        let mut changed = false;
        for call in self.jobs.due(clock) {
            let method = call.get("method").and_then(Value::as_str).unwrap_or("");
            let params = call.get("params").cloned().unwrap_or(json!({}));
            if method.starts_with("Switch.") {
                changed |= self.answer(method, &params).1;
            }
        }
        if changed {
            self.changed("schedule")
        } else {
            Vec::new()
        }
    }

    fn seed_demo_schedules(&mut self, _clock: SimClock) {
        self.jobs.seed("0 30 6 * * MON,TUE,WED,THU,FRI", true);
        self.jobs.seed("0 0 8 * * MON,TUE,WED,THU,FRI", false);
    }

    fn power_summary(&self) -> String {
        if self.output { "ON" } else { "OFF" }.into()
    }

    #[cfg(test)]
    fn output(&self) -> Option<bool> {
        Some(self.output)
    }

    #[cfg(test)]
    fn schedules(&self) -> (usize, Vec<u16>) {
        self.jobs.summary()
    }

    #[cfg(test)]
    fn is_switch_command(&self, topic: &str, payload: &str) -> bool {
        topic == format!("{}/rpc", self.prefix)
            && serde_json::from_str::<Value>(payload).is_ok_and(|request| {
                matches!(
                    request.get("method").and_then(Value::as_str),
                    Some("Switch.Set" | "Switch.Toggle")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::ZERO;

    fn call(plug: &mut ShellyPlug, method: &str, params: Value) -> (Value, Vec<PlugPublish>) {
        let request = json!({"id": 7, "src": "page-1", "method": method, "params": params});
        let out = plug.on_message(T, "plug/rpc", &request.to_string());
        assert_eq!(out[0].topic, "page-1/rpc");
        (
            serde_json::from_str(&out[0].payload).unwrap(),
            out[1..].to_vec(),
        )
    }

    #[test]
    fn switch_set_answers_the_source_and_notifies_the_change() {
        let mut plug = ShellyPlug::new("plug", false);
        let (reply, notes) = call(&mut plug, "Switch.Set", json!({"id": 0, "on": true}));
        assert_eq!(
            (reply["id"].as_u64(), reply["dst"].as_str()),
            (Some(7), Some("page-1"))
        );
        assert_eq!(reply["result"]["was_on"], false);
        assert_eq!(notes[0].topic, "plug/events/rpc");
        let note: Value = serde_json::from_str(&notes[0].payload).unwrap();
        assert_eq!(note["params"]["switch:0"]["output"], true);
        assert_eq!(notes[1].topic, "plug/status/switch:0");
    }

    #[test]
    fn errors_come_back_with_a_code_and_requests_without_id_or_src_are_ignored() {
        let mut plug = ShellyPlug::new("plug", false);
        let (reply, notes) = call(&mut plug, "Switch.Set", json!({"id": 3, "on": true}));
        assert_eq!(reply["error"]["code"], -103);
        assert!(notes.is_empty());
        let (reply, _) = call(&mut plug, "Nope.Nothing", json!({}));
        assert_eq!(reply["error"]["code"], 404);
        assert!(plug
            .on_message(
                T,
                "plug/rpc",
                r#"{"method":"Switch.Toggle","params":{"id":0}}"#
            )
            .is_empty());
        assert!(plug.on_message(T, "plug/rpc", "garbage").is_empty());
    }

    #[test]
    fn status_config_and_device_info_answer() {
        let mut plug = ShellyPlug::new("plug", true);
        let (status, _) = call(&mut plug, "Shelly.GetStatus", json!({}));
        assert_eq!(status["result"]["switch:0"]["output"], true);
        let (config, _) = call(&mut plug, "Shelly.GetConfig", json!({}));
        assert_eq!(config["result"]["switch:0"]["name"], "Simulated plug");
        let (info, _) = call(&mut plug, "Shelly.GetDeviceInfo", json!({}));
        assert_eq!(info["result"]["gen"], 3);
    }

    #[test]
    fn jobs_are_kept_over_rpc_and_fire_on_the_clock() {
        let mut plug = ShellyPlug::new("plug", false);
        let clock = SimClock {
            unix_secs: 1_795_329_000,
            utc_offset_minutes: 60,
        };
        plug.tick_clock(clock);
        let (reply, notes) = call(
            &mut plug,
            "Schedule.Create",
            json!({"enable": true, "timespec": "0 31 7 * * *", "calls": [{"method": "Switch.Set", "params": {"id": 0, "on": true}}]}),
        );
        assert_eq!(reply["result"], json!({"id": 1, "rev": 1}));
        assert!(
            notes[0].payload.contains(r#""schedule_rev":1"#),
            "the new revision is notified"
        );
        let (status, _) = call(&mut plug, "Sys.GetStatus", json!({}));
        assert_eq!(
            (
                status["result"]["time"].as_str(),
                status["result"]["unixtime"].as_i64()
            ),
            (Some("07:30"), Some(1_795_329_000))
        );
        assert!(plug.tick_clock(clock).is_empty());
        let fired = plug.tick_clock(SimClock {
            unix_secs: clock.unix_secs + 60,
            ..clock
        });
        assert_eq!(plug.power_summary(), "ON");
        assert!(fired[0].payload.contains("NotifyStatus"));
    }
}
