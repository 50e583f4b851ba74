//! Shelly Gen2+ schedule jobs and clock, to and from a [`Schedule`].
//!
//! A job is `{"id":3,"enable":true,"timespec":"0 30 7 * * MON,TUE,WED,THU,FRI","calls":[{"method":
//! "Switch.Set","params":{"id":0,"on":true}}]}`. The timespec is cron with seconds first (5 to 7
//! fields), or `@sunrise`/`@sunset` with an offset (`@sunset-0h30m`) followed by day of month,
//! month and day of week. The page writes only what the Shelly app can read back: days as a
//! list of names (`MON,TUE`, never a range), offsets as `+<h>h<m>m`. It reads more (numbers,
//! ranges, `?`), and keeps a timespec it cannot express in the form as a raw [`When::Cron`].
//! A job with other calls (a script, a reboot) is shown with its methods and only enabled,
//! disabled or deleted. `Sys.GetStatus` gives the clock (`time` "07:31" local, `unixtime`),
//! `Sys.GetConfig` the zone (`location.tz`).

use serde_json::{json, Map, Value};

use crate::device::clip_text;
use crate::schedule::{Schedule, ScheduleAction, Weekdays, When};
use crate::schedule_book::{ClockReading, DeviceClock, ScheduleChange, ScheduleEntry};
use crate::shelly_timespec::{self, FieldValues, Timespec};

const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// The timespec for `schedule`'s moment and days.
pub fn timespec(schedule: &Schedule) -> String {
    let days = if schedule.days == Weekdays::ALL {
        "*".to_string()
    } else {
        (0..7)
            .filter(|d| schedule.days.contains(*d))
            .map(|d| DAY_NAMES[d])
            .collect::<Vec<_>>()
            .join(",")
    };
    match &schedule.when {
        When::At(minute) => format!("0 {} {} * * {days}", minute % 60, minute / 60),
        When::Sunrise(offset) => format!("@sunrise{} * * {days}", sun_offset(*offset)),
        When::Sunset(offset) => format!("@sunset{} * * {days}", sun_offset(*offset)),
        When::Cron(raw) => raw.trim().to_string(),
    }
}

/// `0` -> "", `-30` -> "-0h30m", `75` -> "+1h15m".
fn sun_offset(minutes: i16) -> String {
    if minutes == 0 {
        return String::new();
    }
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{}h{}m", m / 60, m % 60)
}

/// Reads a timespec into a moment and days; one the form cannot express comes back as
/// [`When::Cron`] with every day (the timespec itself says which).
pub fn parse_timespec(text: &str) -> (When, Weekdays) {
    parse_known(text).unwrap_or_else(|| (When::Cron(clip_text(text.trim(), 100)), Weekdays::ALL))
}

fn parse_known(text: &str) -> Option<(When, Weekdays)> {
    // Read back leniently: a 5-field spec (no seconds) or a 7th "any year" field is what other
    // apps write, and means the same.
    let fields: Vec<&str> = text.split_whitespace().collect();
    let any = |f: &str| f == "*" || f == "?";
    let sun = fields.first().is_some_and(|f| f.starts_with('@'));
    let normal = match fields.len() {
        // "@sunset-30m" alone: every day.
        1..=3 if sun => format!("{}{}", fields.join(" "), " *".repeat(4 - fields.len())),
        5 if !sun => format!("0 {}", fields.join(" ")),
        7 if any(fields[6]) => fields[..6].join(" "),
        _ => fields.join(" "),
    };
    let weekdays = |values: &FieldValues| Weekdays((values.bits & 0x7F) as u8);
    match shelly_timespec::read(&normal).ok()? {
        Timespec::Sun {
            sunrise,
            offset,
            dates: [day, month, weekday],
        } => {
            if !day.any || !month.any {
                return None;
            }
            let when = if sunrise {
                When::Sunrise(offset)
            } else {
                When::Sunset(offset)
            };
            Some((when, weekdays(&weekday)))
        }
        Timespec::Cron([second, minute, hour, day, month, weekday]) => {
            if second.single() != Some(0) || !day.any || !month.any {
                return None;
            }
            let at = u16::from(hour.single()?) * 60 + u16::from(minute.single()?);
            Some((When::At(at), weekdays(&weekday)))
        }
    }
}

/// The `calls` for a schedule's action on its relay.
fn calls(schedule: &Schedule) -> Value {
    let id = schedule.relay.saturating_sub(1);
    match schedule.action {
        ScheduleAction::Toggle => json!([{"method": "Switch.Toggle", "params": {"id": id}}]),
        action => {
            json!([{"method": "Switch.Set", "params": {"id": id, "on": action == ScheduleAction::On}}])
        }
    }
}

/// The RPC method and params that carry `change` out (`None` for changes Shelly has not).
pub fn change_call(change: &ScheduleChange) -> Option<(&'static str, Value)> {
    Some(match change {
        ScheduleChange::Create(s) => (
            "Schedule.Create",
            json!({"enable": s.enabled, "timespec": timespec(s), "calls": calls(s)}),
        ),
        ScheduleChange::Update(id, s) => (
            "Schedule.Update",
            json!({"id": id, "enable": s.enabled, "timespec": timespec(s), "calls": calls(s)}),
        ),
        ScheduleChange::SetEnabled(id, on) => ("Schedule.Update", json!({"id": id, "enable": on})),
        ScheduleChange::Delete(id) => ("Schedule.Delete", json!({ "id": id })),
        ScheduleChange::ArmAll => return None,
    })
}

/// Reads one job of a `Schedule.List` answer.
pub fn parse_job(job: &Map<String, Value>) -> Option<ScheduleEntry> {
    let id = u32::try_from(job.get("id")?.as_u64()?).ok()?;
    let timespec = job.get("timespec")?.as_str()?;
    let (when, days) = parse_timespec(timespec);
    let calls = job.get("calls").and_then(Value::as_array);
    let single = calls
        .filter(|c| c.len() == 1)
        .and_then(|c| c[0].as_object());
    let method = single.and_then(|c| c.get("method")?.as_str());
    let params = single.and_then(|c| c.get("params")?.as_object());
    let relay = params
        .and_then(|p| p.get("id").map_or(Some(0), Value::as_u64))
        .filter(|id| *id < 8)
        .map(|id| id as u8 + 1);
    let action = match (method.map(str::to_ascii_lowercase).as_deref(), relay) {
        (Some("switch.set"), Some(_)) => match params.and_then(|p| p.get("on")?.as_bool()) {
            Some(true) => ScheduleAction::On,
            Some(false) => ScheduleAction::Off,
            None => ScheduleAction::Other,
        },
        (Some("switch.toggle"), Some(_)) => ScheduleAction::Toggle,
        _ => ScheduleAction::Other,
    };
    let other_calls = (action == ScheduleAction::Other).then(|| {
        let methods: Vec<&str> = calls
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("method")?.as_str())
            .take(5)
            .collect();
        clip_text(&methods.join(", "), 120)
    });
    Some(ScheduleEntry {
        id,
        schedule: Schedule {
            enabled: job.get("enable").and_then(Value::as_bool).unwrap_or(false),
            when,
            days,
            action,
            relay: relay.unwrap_or(1),
            repeat: true,
            window_minutes: 0,
        },
        other_calls,
    })
}

/// Reads `Sys.GetStatus` (`time` "07:31" or null, `unixtime`) into a clock, comparing with the
/// browser's wall clock (`wall_ms`, Unix milliseconds) when known. `zone` is kept from an
/// earlier `Sys.GetConfig`.
pub fn read_sys_status(
    status: &Map<String, Value>,
    wall_ms: Option<i64>,
    zone: Option<String>,
) -> DeviceClock {
    let local_time = status
        .get("time")
        .and_then(Value::as_str)
        .map(|t| clip_text(t, 5));
    let unix = status.get("unixtime").and_then(Value::as_i64);
    let local_minutes = local_time
        .as_deref()
        .and_then(|t| crate::schedule::parse_clock(t).ok());
    let utc_offset_minutes = unix.zip(local_minutes).map(|(unix, local)| {
        let utc = (unix.rem_euclid(86_400) / 60) as i32;
        let mut offset = i32::from(local) - utc;
        if offset > 14 * 60 {
            offset -= 24 * 60;
        } else if offset < -12 * 60 {
            offset += 24 * 60;
        }
        (offset as f64 / 15.0).round() as i32 * 15
    });
    // To the second when the zone is known from the two stamps; else to the minute.
    let read = wall_ms.and_then(|at_wall_ms| {
        let (local_seconds, to_the_second) = match unix.zip(utc_offset_minutes) {
            Some((unix, offset)) => (
                (unix + i64::from(offset) * 60).rem_euclid(86_400) as u32,
                true,
            ),
            None => (u32::from(local_minutes?) * 60, false),
        };
        Some(ClockReading {
            local_seconds,
            to_the_second,
            at_wall_ms,
        })
    });
    DeviceClock {
        read,
        is_set: local_time.is_some() && unix.is_some_and(|u| u >= 1_451_606_400),
        skew_secs: unix.zip(wall_ms).map(|(u, w)| u - w.div_euclid(1_000)),
        local_time,
        zone,
        utc_offset_minutes,
        sunrise: None,
        sunset: None,
    }
}

/// The time zone name in a `Sys.GetConfig` answer (`location.tz`).
pub fn zone_of(config: &Map<String, Value>) -> Option<String> {
    config
        .get("location")?
        .get("tz")?
        .as_str()
        .map(|z| clip_text(z, 40))
}

#[cfg(test)]
mod tests;
