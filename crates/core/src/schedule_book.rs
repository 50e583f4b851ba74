//! One device's schedules as the page knows them: the list the device reported, the one change
//! in flight, and the device's clock.
//!
//! A change is never shown as saved on the page's word: it stays pending until the device
//! reports the schedule back (Tasmota's `{"Timer3":{...}}`, Shelly's `Schedule.List` after the
//! call), and is reported as unconfirmed after [`SCHEDULE_CONFIRMATION_TIMEOUT`]. One change at
//! a time: the form waits, so two quick edits cannot race on the device. The clock matters as
//! much as the list: a device whose clock was never set, or set to another time zone, fires
//! its schedules at the wrong hour, so its time is shown next to the browser's with a warning.

use crate::say;
use crate::schedule::{Schedule, ScheduleAction};
use crate::time::{Millis, SECOND};

/// How long a schedule change may wait for the device to report it back.
pub const SCHEDULE_CONFIRMATION_TIMEOUT: Millis = 10 * SECOND;
/// A device clock further than this from the browser's is called wrong.
pub const CLOCK_SKEW_WARNING_SECS: i64 = 120;

/// Whether and how a device kind keeps schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScheduleKind {
    /// None of its own (a JSON board, a plain pair, a sensor).
    #[default]
    None,
    /// It has some, but they cannot be set over MQTT (Shelly Gen1: HTTP only).
    NotOverMqtt,
    /// Tasmota's 16 timers.
    Tasmota,
    /// Shelly Gen2+ `Schedule.*` jobs (at most 20).
    Shelly,
}

impl ScheduleKind {
    /// How many schedules the device holds at most.
    pub fn capacity(self) -> usize {
        match self {
            Self::Tasmota => 16,
            Self::Shelly => 20,
            Self::None | Self::NotOverMqtt => 0,
        }
    }

    /// True if the page can read and change the device's schedules.
    pub fn is_editable(self) -> bool {
        self.capacity() > 0
    }

    /// Why there is nothing to edit, for kinds without schedules over MQTT.
    pub fn why_none(self) -> Option<String> {
        match self {
            Self::None => Some(say!("This device keeps no schedules of its own. Switchboard does not fake one in the page: a browser tab is not a timer a heater can rely on. Use a Tasmota or Shelly device, or the board's own firmware, for schedules.")),
            Self::NotOverMqtt => Some(say!("Shelly Gen1 devices keep schedules, but they can only be set in the device's own web page, not over MQTT.")),
            Self::Tasmota | Self::Shelly => None,
        }
    }
}

/// A schedule in the device's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEntry {
    /// The device's number for it: Tasmota's timer 1..16, Shelly's job id.
    pub id: u32,
    /// What it does.
    pub schedule: Schedule,
    /// For a Shelly job that does something else than switching a relay: its methods.
    pub other_calls: Option<String>,
}

/// A change the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleChange {
    /// A new schedule.
    Create(Schedule),
    /// Replace schedule `id`.
    Update(u32, Schedule),
    /// Arm or disarm schedule `id`.
    SetEnabled(u32, bool),
    /// Delete schedule `id`.
    Delete(u32),
    /// Tasmota: switch the timers feature as a whole on (`Timers 1`).
    ArmAll,
}

/// The change awaiting the device's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingScheduleChange {
    /// What was asked.
    pub change: ScheduleChange,
    /// The schedule number it concerns, once known (a Shelly job id comes with the answer).
    pub id: Option<u32>,
    /// When to give up waiting.
    pub deadline: Millis,
}

/// The device's clock, as it reported it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceClock {
    /// Its local time of day when it reported, "07:31".
    pub local_time: Option<String>,
    /// Its time zone as it names it: "+01:00", "Europe/Berlin".
    pub zone: Option<String>,
    /// Its offset from UTC in minutes, when known.
    pub utc_offset_minutes: Option<i32>,
    /// Its clock minus the browser's, in seconds, when both are known.
    pub skew_secs: Option<i64>,
    /// False when the device says its clock was never set (no time server reached).
    pub is_set: bool,
    /// Today's sunrise and sunset at the device's location, if it says.
    pub sunrise: Option<String>,
    /// See `sunrise`.
    pub sunset: Option<String>,
    /// The device's local time of day in seconds when it reported, and the browser's wall
    /// clock (Unix ms) at that moment: the device's time is carried forward from there.
    pub read: Option<ClockReading>,
}

/// A device's time of day as read at a moment of the browser's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// Seconds after the device's local midnight.
    pub local_seconds: u32,
    /// True when the device gave seconds (else the reading is to the minute).
    pub to_the_second: bool,
    /// The browser's wall clock (Unix ms) when the answer arrived.
    pub at_wall_ms: i64,
}

impl ClockReading {
    /// The device's local time of day at the browser's `wall_ms`, carried forward from the
    /// reading at the browser's pace: "07:31:05" (or "07:31" when read to the minute).
    pub fn local_time_at(&self, wall_ms: i64) -> String {
        let elapsed = wall_ms.saturating_sub(self.at_wall_ms).div_euclid(1_000);
        let seconds = (i64::from(self.local_seconds) + elapsed).rem_euclid(86_400);
        let (h, m, s) = (seconds / 3_600, seconds / 60 % 60, seconds % 60);
        if self.to_the_second {
            format!("{h:02}:{m:02}:{s:02}")
        } else {
            format!("{h:02}:{m:02}")
        }
    }
}

/// The browser's local time of day at `wall_ms` (Unix ms) with its UTC offset: "07:31:05".
pub fn browser_time_at(wall_ms: i64, utc_offset_minutes: i32) -> String {
    let seconds =
        (wall_ms.div_euclid(1_000) + i64::from(utc_offset_minutes) * 60).rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// How often the clock is asked again while the schedules stay open.
pub const CLOCK_REFRESH_MS: Millis = 60_000;

impl DeviceClock {
    /// What is wrong with the clock for running schedules, in words; empty if nothing.
    pub fn warnings(&self, browser_offset_minutes: i32) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.is_set {
            warnings.push(say!("The device's clock is not set (it has not reached a time server): its schedules will not fire at the right time. Check its NTP settings and its internet access."));
            return warnings;
        }
        if let Some(skew) = self.skew_secs.filter(|s| s.abs() > CLOCK_SKEW_WARNING_SECS) {
            let minutes = skew.abs() / 60;
            warnings.push(if skew > 0 {
                say!("The device's clock is {} min ahead of this browser's: schedules will fire early.", minutes)
            } else {
                say!("The device's clock is {} min behind this browser's: schedules will fire late.", minutes)
            });
        }
        if let Some(offset) = self
            .utc_offset_minutes
            .filter(|o| *o != browser_offset_minutes)
        {
            warnings.push(say!(
                "The device runs on UTC{} and this browser on UTC{}: schedules fire at the device's local time.",
                offset_text(offset),
                offset_text(browser_offset_minutes)
            ));
        }
        warnings
    }
}

/// `60` -> "+01:00", `-330` -> "-05:30".
pub fn offset_text(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let minutes = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The browser's wall clock, given when the schedules are opened: the core reads no clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WallClock {
    /// Milliseconds since 1970 (UTC) at the moment given as `now`.
    pub unix_ms: i64,
    /// The browser's offset from UTC in minutes (+60 in Berlin in winter).
    pub utc_offset_minutes: i32,
}

/// One device's schedules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScheduleBook {
    /// Whether this device has any.
    pub kind: ScheduleKind,
    /// The user opened them: the device was asked, and is asked again after a reconnect.
    pub opened: bool,
    /// The device reported its list at least once.
    pub loaded: bool,
    /// Its schedules, by id.
    pub entries: Vec<ScheduleEntry>,
    /// Tasmota: the timers feature as a whole (`Timers`); off means no timer fires.
    pub all_armed: Option<bool>,
    /// Its clock.
    pub clock: Option<DeviceClock>,
    /// The change awaiting the device's report.
    pub pending: Option<PendingScheduleChange>,
    /// The last problem (a refusal in the device's words, or no confirmation).
    pub notice: Option<String>,
    /// The last change the device confirmed, in words.
    pub confirmed: Option<String>,
    /// Unix milliseconds minus the caller's clock, to compare the device's time with the
    /// browser's when it answers.
    pub wall_offset_ms: Option<i64>,
    /// The browser's offset from UTC in minutes.
    pub browser_offset_minutes: i32,
}

impl ScheduleBook {
    /// An empty book for a device of `kind`.
    pub fn new(kind: ScheduleKind) -> Self {
        Self {
            kind,
            ..Self::default()
        }
    }

    /// The browser's time (Unix milliseconds) at the caller's `now`, if known.
    pub fn wall_ms(&self, now: Millis) -> Option<i64> {
        self.wall_offset_ms
            .map(|offset| offset.saturating_add(i64::try_from(now).unwrap_or(i64::MAX)))
    }

    /// The entry with `id`.
    pub fn entry(&self, id: u32) -> Option<&ScheduleEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Puts `entry` in the list (replacing one with its id), keeping the list ordered.
    pub fn upsert(&mut self, entry: ScheduleEntry) {
        match self.entries.binary_search_by_key(&entry.id, |e| e.id) {
            Ok(at) => self.entries[at] = entry,
            Err(at) => self.entries.insert(at, entry),
        }
    }

    /// Removes schedule `id` from the list.
    pub fn remove(&mut self, id: u32) {
        self.entries.retain(|e| e.id != id);
    }

    /// Checks that `change` may be sent now; returns why not otherwise.
    pub fn check_change(&self, change: &ScheduleChange, relays: usize) -> Result<(), String> {
        if !self.kind.is_editable() {
            return Err(self.kind.why_none().unwrap_or_default());
        }
        if self.pending.is_some() {
            return Err(say!(
                "The previous change is still awaiting the device's confirmation."
            ));
        }
        if !self.loaded {
            return Err(say!("The device has not reported its schedules yet."));
        }
        match change {
            ScheduleChange::Create(schedule) => {
                if self.entries.len() >= self.kind.capacity() {
                    return Err(match self.kind {
                        ScheduleKind::Shelly => say!("This device already holds 20 schedules, the most a Shelly keeps. Delete one to make room."),
                        _ => say!("All 16 timers of this device are in use. Delete one to make room."),
                    });
                }
                schedule.check(relays, self.kind)
            }
            ScheduleChange::Update(id, schedule) => {
                let entry = self
                    .entry(*id)
                    .ok_or_else(|| say!("This schedule is no longer on the device."))?;
                if entry.schedule.action == ScheduleAction::Other {
                    return Err(say!("This schedule runs commands the form cannot edit; enable, disable or delete it instead."));
                }
                schedule.check(relays, self.kind)
            }
            ScheduleChange::SetEnabled(id, _) | ScheduleChange::Delete(id) => self
                .entry(*id)
                .map(|_| ())
                .ok_or_else(|| say!("This schedule is no longer on the device.")),
            ScheduleChange::ArmAll => match self.kind {
                ScheduleKind::Tasmota => Ok(()),
                _ => Err(say!(
                    "Only Tasmota switches its timers on and off as a whole."
                )),
            },
        }
    }

    /// `change` was sent at `now`.
    pub fn begin(&mut self, now: Millis, change: ScheduleChange, id: Option<u32>) {
        self.notice = None;
        self.confirmed = None;
        self.pending = Some(PendingScheduleChange {
            change,
            id,
            deadline: now + SCHEDULE_CONFIRMATION_TIMEOUT,
        });
    }

    /// The device reported the pending change done.
    pub fn confirm(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        self.confirmed = Some(match pending.change {
            ScheduleChange::Create(_) => say!("Saved on the device."),
            ScheduleChange::Update(..) => say!("Changed on the device."),
            ScheduleChange::SetEnabled(_, true) => say!("Enabled on the device."),
            ScheduleChange::SetEnabled(_, false) => say!("Disabled on the device."),
            ScheduleChange::Delete(_) => say!("Deleted from the device."),
            ScheduleChange::ArmAll => say!("Timers switched on."),
        });
    }

    /// The device refused the pending change (or the question); `reason` in its words.
    pub fn refuse(&mut self, reason: String) {
        self.pending = None;
        self.confirmed = None;
        self.notice = Some(reason);
    }

    /// When the pending change expires.
    pub fn deadline(&self) -> Option<Millis> {
        self.pending.as_ref().map(|p| p.deadline)
    }

    /// Gives up on a pending change past its deadline; true if one was dropped (the list
    /// should then be asked again, to show what the device really holds).
    pub fn expire(&mut self, now: Millis) -> bool {
        if self.pending.as_ref().is_some_and(|p| now >= p.deadline) {
            self.pending = None;
            self.notice = Some(say!("The device did not confirm the change within 10 s. The list shows what it last reported; check it before trying again."));
            return true;
        }
        false
    }

    /// The broker connection dropped: a change in flight cannot be confirmed any more.
    pub fn handle_broker_disconnected(&mut self) {
        if self.pending.take().is_some() {
            self.notice = Some(say!("Not confirmed: the connection to the broker dropped. The list is asked again when it is back."));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Weekdays;

    fn loaded(kind: ScheduleKind, count: u32) -> ScheduleBook {
        let mut book = ScheduleBook::new(kind);
        book.loaded = true;
        for id in 1..=count {
            book.upsert(ScheduleEntry {
                id,
                schedule: Schedule::default(),
                other_calls: None,
            });
        }
        book
    }

    #[test]
    fn a_full_device_refuses_a_new_schedule_and_says_why() {
        let create = ScheduleChange::Create(Schedule::default());
        assert_eq!(
            loaded(ScheduleKind::Shelly, 19).check_change(&create, 1),
            Ok(())
        );
        let full = loaded(ScheduleKind::Shelly, 20).check_change(&create, 1);
        assert!(full.is_err_and(|e| e.contains("20 schedules")));
        let tasmota_full = loaded(ScheduleKind::Tasmota, 16).check_change(&create, 1);
        assert!(tasmota_full.is_err_and(|e| e.contains("16 timers")));
    }

    #[test]
    fn one_change_at_a_time_and_only_after_the_list_arrived() {
        let mut book = loaded(ScheduleKind::Tasmota, 1);
        let change = ScheduleChange::SetEnabled(1, false);
        assert_eq!(book.check_change(&change, 1), Ok(()));
        book.begin(1_000, change.clone(), Some(1));
        assert!(book.check_change(&change, 1).is_err());
        assert_eq!(book.deadline(), Some(1_000 + SCHEDULE_CONFIRMATION_TIMEOUT));
        assert!(!book.expire(1_000 + SCHEDULE_CONFIRMATION_TIMEOUT - 1));
        assert!(book.expire(1_000 + SCHEDULE_CONFIRMATION_TIMEOUT));
        assert!(book
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("did not confirm")));
        assert_eq!(book.check_change(&change, 1), Ok(()));
        let mut unloaded = ScheduleBook::new(ScheduleKind::Tasmota);
        assert!(unloaded.check_change(&change, 1).is_err());
        unloaded.kind = ScheduleKind::None;
        assert!(unloaded
            .check_change(&change, 1)
            .is_err_and(|e| e.contains("no schedules")));
        assert!(loaded(ScheduleKind::Tasmota, 1)
            .check_change(&ScheduleChange::Delete(7), 1)
            .is_err());
    }

    #[test]
    fn confirmation_and_refusal_are_told_apart() {
        let mut book = loaded(ScheduleKind::Shelly, 1);
        book.begin(0, ScheduleChange::Delete(1), Some(1));
        book.confirm();
        assert_eq!(book.pending, None);
        assert_eq!(book.confirmed.as_deref(), Some("Deleted from the device."));
        book.begin(0, ScheduleChange::Delete(1), Some(1));
        assert_eq!(
            book.confirmed, None,
            "a new change clears the last confirmation"
        );
        book.refuse("The device refused: bad (error -103).".into());
        assert_eq!(book.pending, None);
        assert!(book.notice.is_some());
        book.begin(0, ScheduleChange::Delete(1), Some(1));
        book.handle_broker_disconnected();
        assert!(book
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("dropped")));
    }

    #[test]
    fn entries_stay_ordered_and_replace_by_id() {
        let mut book = loaded(ScheduleKind::Tasmota, 0);
        for id in [5, 2, 9, 2] {
            book.upsert(ScheduleEntry {
                id,
                schedule: Schedule {
                    days: Weekdays(id as u8),
                    ..Schedule::default()
                },
                other_calls: None,
            });
        }
        assert_eq!(
            book.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
            [2, 5, 9]
        );
        book.remove(5);
        assert_eq!(book.entries.len(), 2);
    }

    #[test]
    fn the_device_time_moves_on_with_the_browsers_clock_from_the_reading() {
        let read = ClockReading {
            local_seconds: 3_600 + 37 * 60 + 10,
            to_the_second: true,
            at_wall_ms: 1_000_000,
        };
        assert_eq!(read.local_time_at(1_000_000), "01:37:10");
        assert_eq!(read.local_time_at(1_000_000 + 150_000), "01:39:40");
        // Past the device's midnight.
        let late = ClockReading {
            local_seconds: 86_399,
            ..read
        };
        assert_eq!(late.local_time_at(1_000_000 + 2_000), "00:00:01");
        let minute = ClockReading {
            to_the_second: false,
            local_seconds: 7 * 3_600 + 31 * 60,
            ..read
        };
        assert_eq!(minute.local_time_at(1_000_000 + 61_000), "07:32");
        assert_eq!(browser_time_at(86_400_000 + 3_723_000, 60), "02:02:03");
        assert_eq!(browser_time_at(1_000, -60), "23:00:01");
    }

    #[test]
    fn a_clock_that_is_unset_off_or_in_another_zone_is_warned_about() {
        let good = DeviceClock {
            is_set: true,
            utc_offset_minutes: Some(60),
            skew_secs: Some(3),
            ..DeviceClock::default()
        };
        assert!(good.warnings(60).is_empty());
        let zone = good.warnings(0);
        assert_eq!(zone.len(), 1);
        assert!(
            zone[0].contains("UTC+01:00") && zone[0].contains("UTC+00:00"),
            "{zone:?}"
        );
        let ahead = DeviceClock {
            skew_secs: Some(600),
            ..good.clone()
        };
        assert!(ahead.warnings(60)[0].contains("10 min ahead"));
        let behind = DeviceClock {
            skew_secs: Some(-3_600),
            ..good.clone()
        };
        assert!(behind.warnings(60)[0].contains("60 min behind"));
        let unset = DeviceClock {
            is_set: false,
            ..good
        };
        let warnings = unset.warnings(0);
        assert_eq!(warnings.len(), 1, "an unset clock says only that");
        assert!(warnings[0].contains("not set"));
        assert_eq!(offset_text(-330), "-05:30");
    }
}
