//! Tasmota's 16 timers and its clock, to and from a [`Schedule`].
//!
//! A timer is set with `cmnd/<t>/Timer<n>` and a JSON object
//! (`{"Enable":1,"Mode":0,"Time":"07:30","Window":0,"Days":"0111110","Repeat":1,"Output":1,"Action":1}`),
//! cleared with `Timer<n> 0`, and armed or disarmed alone with `{"Enable":0}`. The device
//! answers on `stat/<t>/RESULT` with the whole timer (`{"Timer3":{...}}`), or a word when it
//! refuses (`{"Timer3":"No outputs"}`). `Timers` (empty payload) lists all sixteen, four per
//! message (`{"Timers1":{"Timer1":{...},...}}`), after `{"Timers":"ON"}`, the feature as a whole;
//! `Timers 1` switches it on. Mode 0 is a clock time, 1 sunrise and 2 sunset, with `Time` then
//! an offset (`-00:30`). Days run Sunday to Saturday, `1` or a letter on, `0` or `-` off. Older
//! firmware writes `Arm` for `Enable`. `Status 7` answers on `stat/<t>/STATUS7` with the clock:
//! `{"StatusTIM":{"UTC":...,"Local":...,"Timezone":"+01:00","Sunrise":"07:45","Sunset":"16:30"}}`.
//! A timer in its cleared state (what `Timer<n> 0` leaves) is a free slot, not a schedule.

use serde_json::{json, Map, Value};

use crate::device::{clip_text, OutgoingMessage};
use crate::say;
use crate::schedule::{Schedule, ScheduleAction, Weekdays, When};
use crate::schedule_book::{
    offset_text, ClockReading, DeviceClock, ScheduleBook, ScheduleChange, ScheduleEntry,
};
use crate::time::Millis;

/// How many timers a Tasmota device has.
pub const TIMER_COUNT: u32 = 16;

/// The JSON object that sets a timer to `schedule`.
pub fn timer_json(schedule: &Schedule) -> Value {
    let (mode, time) = match &schedule.when {
        When::At(minute) => (0, crate::schedule::clock_text(*minute)),
        When::Sunrise(offset) => (1, offset_text(i32::from(*offset))),
        When::Sunset(offset) => (2, offset_text(i32::from(*offset))),
        // Refused by `Schedule::check` before it gets here; a harmless clock time otherwise.
        When::Cron(_) => (0, "00:00".to_string()),
    };
    let action = match schedule.action {
        ScheduleAction::Off => 0,
        ScheduleAction::On => 1,
        ScheduleAction::Toggle => 2,
        ScheduleAction::Rule | ScheduleAction::Other => 3,
    };
    let days: String = (0..7)
        .map(|d| if schedule.days.contains(d) { '1' } else { '0' })
        .collect();
    json!({
        "Enable": u8::from(schedule.enabled),
        "Mode": mode,
        "Time": time,
        "Window": schedule.window_minutes,
        "Days": days,
        "Repeat": u8::from(schedule.repeat),
        "Output": schedule.relay,
        "Action": action,
    })
}

/// Reads a timer object as the device reports it; `None` if it is not one.
pub fn parse_timer(object: &Map<String, Value>) -> Option<Schedule> {
    let int = |key: &str| object.get(key).and_then(Value::as_u64);
    let enabled = int("Enable").or_else(|| int("Arm"))? != 0;
    let time = object.get("Time")?.as_str()?;
    let when = match int("Mode").unwrap_or(0) {
        0 => When::At(crate::schedule::parse_clock(time).ok()?),
        1 => When::Sunrise(device_offset(time)?),
        2 => When::Sunset(device_offset(time)?),
        _ => return None,
    };
    let days = object.get("Days")?.as_str()?;
    let mut weekdays = Weekdays(0);
    for (day, c) in days.chars().take(7).enumerate() {
        weekdays = weekdays.with(day, c != '0' && c != '-');
    }
    let action = match int("Action")? {
        0 => ScheduleAction::Off,
        1 => ScheduleAction::On,
        2 => ScheduleAction::Toggle,
        _ => ScheduleAction::Rule,
    };
    Some(Schedule {
        enabled,
        when,
        days: weekdays,
        action,
        relay: int("Output").unwrap_or(1).clamp(1, 16) as u8,
        repeat: int("Repeat").unwrap_or(0) != 0,
        window_minutes: int("Window").unwrap_or(0).min(255) as u8,
    })
}

/// An offset as the device writes it ("-00:30", "+01:15", "01:15", "-2:23"), leniently: the
/// device may hold up to +12:00.
fn device_offset(text: &str) -> Option<i16> {
    let text = text.trim();
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i16, i16) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    let total = h * 60 + m;
    Some(if negative { -total } else { total })
}

/// True for a timer in the state `Timer<n> 0` leaves: a free slot.
pub fn is_cleared(schedule: &Schedule) -> bool {
    !schedule.enabled
        && schedule.when == When::At(0)
        && schedule.days.is_empty()
        && schedule.action == ScheduleAction::Off
        && !schedule.repeat
        && schedule.window_minutes == 0
}

/// The messages that carry `change` out, and the timer number it concerns. `command_topic`
/// builds `cmnd/<t>/<command>` for this device.
pub fn change_messages(
    book: &ScheduleBook,
    change: &ScheduleChange,
    command_topic: impl Fn(&str) -> String,
) -> Option<(Vec<OutgoingMessage>, Option<u32>)> {
    let arms = match change {
        ScheduleChange::Create(s) | ScheduleChange::Update(_, s) => s.enabled,
        ScheduleChange::SetEnabled(_, on) => *on,
        ScheduleChange::Delete(_) | ScheduleChange::ArmAll => false,
    };
    let mut messages = Vec::new();
    let id = match change {
        ScheduleChange::Create(schedule) => {
            let free = (1..=TIMER_COUNT).find(|n| book.entry(*n).is_none())?;
            messages.push(OutgoingMessage::command(
                command_topic(&format!("Timer{free}")),
                timer_json(schedule).to_string(),
            ));
            Some(free)
        }
        ScheduleChange::Update(id, schedule) => {
            messages.push(OutgoingMessage::command(
                command_topic(&format!("Timer{id}")),
                timer_json(schedule).to_string(),
            ));
            Some(*id)
        }
        ScheduleChange::SetEnabled(id, on) => {
            messages.push(OutgoingMessage::command(
                command_topic(&format!("Timer{id}")),
                json!({ "Enable": u8::from(*on) }).to_string(),
            ));
            Some(*id)
        }
        ScheduleChange::Delete(id) => {
            messages.push(OutgoingMessage::command(
                command_topic(&format!("Timer{id}")),
                "0",
            ));
            Some(*id)
        }
        ScheduleChange::ArmAll => None,
    };
    // An armed timer does nothing while the feature as a whole is off: switch it on too.
    if change == &ScheduleChange::ArmAll || (arms && book.all_armed == Some(false)) {
        messages.push(OutgoingMessage::command(command_topic("Timers"), "1"));
    }
    Some((messages, id))
}

/// Reads the timer parts of a `stat/<t>/RESULT` object into `book`; true if there were any.
pub fn read_result(book: &mut ScheduleBook, object: &Map<String, Value>) -> bool {
    let mut any = false;
    for (key, value) in object {
        if key == "Timers" {
            if let Some(word) = value.as_str().and_then(crate::device::parse_power_word) {
                book.all_armed = Some(word);
                if word
                    && matches!(
                        book.pending.as_ref().map(|p| &p.change),
                        Some(ScheduleChange::ArmAll)
                    )
                {
                    book.confirm();
                }
                any = true;
            }
        } else if let Some(group) = key
            .strip_prefix("Timers")
            .and_then(|n| n.parse::<u32>().ok())
        {
            if let Some(timers) = value.as_object() {
                for (name, timer) in timers {
                    read_timer(book, name, timer);
                }
                // The fourth message ends the list.
                if group >= 4 {
                    book.loaded = true;
                }
                any = true;
            }
        } else if key.starts_with("Timer") {
            any |= read_timer(book, key, value);
        }
    }
    any
}

/// Reads one `"Timer<n>": {...}` member (or its refusal).
fn read_timer(book: &mut ScheduleBook, key: &str, value: &Value) -> bool {
    let Some(id) = key
        .strip_prefix("Timer")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=TIMER_COUNT).contains(n))
    else {
        return false;
    };
    let pending_here = book.pending.as_ref().is_some_and(|p| p.id == Some(id));
    let schedule = match value {
        Value::Object(object) => parse_timer(object),
        Value::String(word) if pending_here => {
            book.refuse(say!("The device refused: {}.", clip_text(word, 120)));
            return true;
        }
        _ => None,
    };
    let Some(schedule) = schedule else {
        return false;
    };
    let cleared = is_cleared(&schedule);
    if cleared {
        book.remove(id);
    } else {
        book.upsert(ScheduleEntry {
            id,
            schedule: schedule.clone(),
            other_calls: None,
        });
    }
    if pending_here {
        let expected = book.pending.as_ref().and_then(|p| match &p.change {
            ScheduleChange::Create(s) | ScheduleChange::Update(_, s) => Some(Some(s.clone())),
            ScheduleChange::Delete(_) => Some(None),
            ScheduleChange::SetEnabled(..) | ScheduleChange::ArmAll => None,
        });
        book.confirm();
        match expected {
            Some(Some(sent)) if sent != schedule => {
                book.notice = Some(say!(
                    "The device stored it differently: {}.",
                    schedule.describe(None)
                ));
            }
            Some(None) if !cleared => {
                book.notice = Some(say!(
                    "The device still reports this timer after the delete."
                ));
            }
            _ => {}
        }
    }
    true
}

/// Reads a `Status 7` answer (`{"StatusTIM":{...}}`) into the book's clock, comparing the
/// device's UTC with the browser's at `now`.
pub fn read_status_time(book: &mut ScheduleBook, now: Millis, payload: &[u8]) -> bool {
    let Some(time) = crate::json_read::parse_object(payload)
        .and_then(|o| o.get("StatusTIM")?.as_object().cloned())
    else {
        return false;
    };
    let text = |key: &str| {
        time.get(key)
            .and_then(Value::as_str)
            .map(|s| clip_text(s, 40))
    };
    let utc = text("UTC").as_deref().and_then(iso_seconds);
    let local = text("Local").as_deref().and_then(iso_seconds);
    let zone =
        text("Timezone").or_else(|| time.get("Timezone").map(|v| clip_text(&v.to_string(), 40)));
    let is_set = utc.or(local).is_none_or(|s| s >= SANE_CLOCK);
    // Rounded to a quarter hour: the two stamps are a second or so apart at most.
    let utc_offset_minutes = utc
        .zip(local)
        .map(|(u, l)| (((l - u) as f64 / 900.0).round() as i32) * 15);
    let skew_secs = utc
        .zip(book.wall_ms(now))
        .map(|(u, wall)| u - wall.div_euclid(1_000));
    let read = local
        .zip(book.wall_ms(now))
        .map(|(local, at_wall_ms)| ClockReading {
            local_seconds: local.rem_euclid(86_400) as u32,
            to_the_second: true,
            at_wall_ms,
        });
    book.clock = Some(DeviceClock {
        read,
        local_time: text("Local").and_then(|l| l.get(11..16).map(String::from)),
        zone,
        utc_offset_minutes,
        skew_secs,
        is_set,
        sunrise: text("Sunrise"),
        sunset: text("Sunset"),
    });
    true
}

/// 2016-01-01 in Unix seconds: a device clock before it was never set (Tasmota starts at 1970).
const SANE_CLOCK: i64 = 1_451_606_400;

/// "2026-11-22T06:30:00" (a trailing `Z` or fraction is ignored) -> Unix seconds, taking the
/// stamp as UTC.
pub fn iso_seconds(text: &str) -> Option<i64> {
    let (date, clock) = text.trim().split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let clock = clock.trim_end_matches('Z');
    let mut c = clock
        .split(':')
        .map(|p| p.split('.').next()?.parse::<i64>().ok());
    let (h, m, s) = (c.next()??, c.next()??, c.next().flatten().unwrap_or(0));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3_600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests;
