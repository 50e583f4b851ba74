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
use crate::schedule_book::{DeviceClock, ScheduleChange, ScheduleEntry};

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
    let fields: Vec<&str> = text.split_whitespace().collect();
    let any = |f: &str| f == "*" || f == "?";
    if let Some(first) = fields.first().filter(|f| f.starts_with('@')) {
        let rest = &fields[1..];
        if rest.len() > 3 || rest.iter().take(2).any(|f| !any(f)) {
            return None;
        }
        let days = rest.get(2).map_or(Some(Weekdays::ALL), |f| parse_days(f))?;
        let (base, offset) = if let Some(o) = first.strip_prefix("@sunrise") {
            (true, o)
        } else {
            (false, first.strip_prefix("@sunset")?)
        };
        let offset = parse_sun_offset(offset)?;
        return Some((
            if base {
                When::Sunrise(offset)
            } else {
                When::Sunset(offset)
            },
            days,
        ));
    }
    let fields: Vec<&str> = match fields.len() {
        5 => std::iter::once("0").chain(fields.iter().copied()).collect(),
        6 => fields,
        7 if any(fields[6]) => fields[..6].to_vec(),
        _ => return None,
    };
    let second: u16 = fields[0].parse().ok()?;
    let minute: u16 = fields[1].parse().ok()?;
    let hour: u16 = fields[2].parse().ok()?;
    if second != 0 || minute > 59 || hour > 23 || !any(fields[3]) || !any(fields[4]) {
        return None;
    }
    Some((When::At(hour * 60 + minute), parse_days(fields[5])?))
}

/// "" -> 0, "+1h15m" -> 75, "-30m" -> -30, "-0h30m" -> -30, "+2h" -> 120.
fn parse_sun_offset(text: &str) -> Option<i16> {
    if text.is_empty() {
        return Some(0);
    }
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+')?),
    };
    let (hours, rest) = match rest.split_once('h') {
        Some((h, rest)) => (h.parse::<i16>().ok()?, rest),
        None => (0, rest),
    };
    let minutes = match rest {
        "" => 0,
        m => m.strip_suffix('m')?.parse::<i16>().ok()?,
    };
    if !(0..12).contains(&hours) || !(0..60).contains(&minutes) {
        return None;
    }
    let total = hours * 60 + minutes;
    Some(if negative { -total } else { total })
}

/// A day-of-week field: `*`, names, numbers (0 and 7 are Sunday), lists and ascending ranges.
fn parse_days(field: &str) -> Option<Weekdays> {
    if field == "*" || field == "?" {
        return Some(Weekdays::ALL);
    }
    let mut days = Weekdays(0);
    for item in field.split(',') {
        match item.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day_number(from)?, day_number(to)?);
                // "SUN" as the end of a range is 7 (MON-SUN); a range running backwards is not
                // guessed at.
                let to = if to == 0 && from > 0 { 7 } else { to };
                if from > to {
                    return None;
                }
                for day in from..=to {
                    days = days.with(day % 7, true);
                }
            }
            None => days = days.with(day_number(item)? % 7, true),
        }
    }
    (!days.is_empty()).then_some(days)
}

fn day_number(text: &str) -> Option<usize> {
    if let Ok(n) = text.parse::<usize>() {
        return (n <= 7).then_some(n);
    }
    DAY_NAMES.iter().position(|d| d.eq_ignore_ascii_case(text))
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
    DeviceClock {
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
