//! Schedules the device keeps itself (Tasmota timers, Shelly `Schedule.*` jobs), in one shape.
//!
//! A [`Schedule`] is what the form edits and what the list shows in words: an action (on, off,
//! toggle), a moment (a clock time, or sunrise/sunset with an offset), the days of the week, the
//! relay, and the few options one kind has and the other has not (Tasmota's "once" and random
//! window, Shelly's raw cron timespec). The translation to each device's own format lives with
//! its kind (`tasmota_timers`, `shelly_schedule`); the per-device list, its pending change and
//! the device's clock live in [`crate::schedule_book`]. Nothing here runs a schedule: the device
//! does, with the page closed and the broker down.

use crate::say;

/// Days of the week, bit 0 = Sunday .. bit 6 = Saturday (Tasmota's `Days` order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Weekdays(pub u8);

impl Weekdays {
    /// Every day.
    pub const ALL: Self = Self(0x7f);
    /// Monday to Friday.
    pub const WORKDAYS: Self = Self(0b011_1110);
    /// Saturday and Sunday.
    pub const WEEKEND: Self = Self(0b100_0001);

    /// True if `day` (0 = Sunday) is included.
    pub fn contains(self, day: usize) -> bool {
        day < 7 && self.0 & (1 << day) != 0
    }

    /// `day` (0 = Sunday) switched on or off.
    pub fn with(self, day: usize, on: bool) -> Self {
        if day >= 7 {
            return self;
        }
        if on {
            Self(self.0 | 1 << day)
        } else {
            Self(self.0 & !(1 << day))
        }
    }

    /// True when no day is chosen.
    pub fn is_empty(self) -> bool {
        self.0 & 0x7f == 0
    }

    /// In words, Monday first: "every day", "Mon–Fri", "Sat, Sun", "Mon, Wed–Fri".
    pub fn describe(self) -> String {
        match self.0 & 0x7f {
            0x7f => return say!("every day"),
            0 => return say!("no day"),
            _ => {}
        }
        // Monday first, as people read a week; Sunday (bit 0) last.
        let order = [1, 2, 3, 4, 5, 6, 0];
        let mut parts = Vec::new();
        let mut i = 0;
        while i < order.len() {
            if !self.contains(order[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i + 1 < order.len() && self.contains(order[i + 1]) {
                i += 1;
            }
            let (first, last) = (short_day_name(order[start]), short_day_name(order[i]));
            parts.push(match i - start {
                0 => first,
                1 => format!("{first}, {last}"),
                _ => format!("{first}–{last}"),
            });
            i += 1;
        }
        parts.join(", ")
    }
}

/// "Mon" for 1, "Sun" for 0, in the user's language.
pub fn short_day_name(day: usize) -> String {
    match day {
        0 => say!("Sun"),
        1 => say!("Mon"),
        2 => say!("Tue"),
        3 => say!("Wed"),
        4 => say!("Thu"),
        5 => say!("Fri"),
        _ => say!("Sat"),
    }
}

/// When a schedule fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// At a clock time of the device's day, in minutes after midnight (0..1440).
    At(u16),
    /// At sunrise, shifted by a signed number of minutes.
    Sunrise(i16),
    /// At sunset, shifted by a signed number of minutes.
    Sunset(i16),
    /// A Shelly cron timespec the form cannot express (kept and shown as it is).
    Cron(String),
}

/// The largest sunrise/sunset offset, in minutes (Tasmota stores ±11:59).
pub const MAX_SUN_OFFSET: i16 = 11 * 60 + 59;

/// What a schedule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleAction {
    /// Switch the relay on.
    On,
    /// Switch the relay off.
    Off,
    /// Switch the relay to the opposite state.
    Toggle,
    /// Tasmota: trigger the device's rules (`Rules#Timer=<n>`) instead of switching.
    Rule,
    /// Shelly: calls other than switching one relay (a script, a reboot): shown, never edited.
    Other,
}

/// One schedule, as the device keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Armed: it fires when due.
    pub enabled: bool,
    /// When it fires.
    pub when: When,
    /// On which days (ignored by a raw [`When::Cron`], whose timespec says it).
    pub days: Weekdays,
    /// What it does.
    pub action: ScheduleAction,
    /// The relay, counted from 1 as devices name them (`POWER1`, `switch:0` is relay 1).
    pub relay: u8,
    /// Tasmota: false = fire once, then disarm.
    pub repeat: bool,
    /// Tasmota: fire at a random moment up to this many minutes either side (0..15).
    pub window_minutes: u8,
}

impl Default for Schedule {
    /// What a new schedule's form starts from: on at 07:00 on workdays, relay 1.
    fn default() -> Self {
        Self {
            enabled: true,
            when: When::At(7 * 60),
            days: Weekdays::WORKDAYS,
            action: ScheduleAction::On,
            relay: 1,
            repeat: true,
            window_minutes: 0,
        }
    }
}

/// The largest random window a Tasmota timer takes, in minutes.
pub const MAX_WINDOW_MINUTES: u8 = 15;

impl Schedule {
    /// In words: "On at 07:30, Mon–Fri", then the relay when the device has several, and
    /// "once" or a random window where set. `relay_name` names relay `relay` if the device has
    /// more than one.
    pub fn describe(&self, relay_name: Option<&str>) -> String {
        let action = match self.action {
            ScheduleAction::On => say!("On"),
            ScheduleAction::Off => say!("Off"),
            ScheduleAction::Toggle => say!("Toggle"),
            ScheduleAction::Rule => say!("Rule trigger"),
            ScheduleAction::Other => say!("Runs other commands"),
        };
        let mut text = match &self.when {
            When::At(minute) => say!(
                "{} at {}, {}",
                action,
                clock_text(*minute),
                self.days.describe()
            ),
            When::Sunrise(0) => say!("{} at sunrise, {}", action, self.days.describe()),
            When::Sunset(0) => say!("{} at sunset, {}", action, self.days.describe()),
            When::Sunrise(offset) if *offset < 0 => say!(
                "{} {} before sunrise, {}",
                action,
                duration_text(*offset),
                self.days.describe()
            ),
            When::Sunrise(offset) => say!(
                "{} {} after sunrise, {}",
                action,
                duration_text(*offset),
                self.days.describe()
            ),
            When::Sunset(offset) if *offset < 0 => say!(
                "{} {} before sunset, {}",
                action,
                duration_text(*offset),
                self.days.describe()
            ),
            When::Sunset(offset) => say!(
                "{} {} after sunset, {}",
                action,
                duration_text(*offset),
                self.days.describe()
            ),
            When::Cron(timespec) => say!("{} on \"{}\"", action, timespec),
        };
        if let Some(name) = relay_name {
            text.push_str(", ");
            text.push_str(name);
        }
        if !self.repeat {
            text.push_str(", ");
            text.push_str(&say!("once"));
        }
        if self.window_minutes > 0 {
            text.push_str(", ");
            text.push_str(&say!("± {} min at random", self.window_minutes));
        }
        text
    }

    /// Checks a schedule before it is sent: a device takes nonsense silently (Tasmota fills
    /// missing days with a random one), so nothing it would misread leaves the page.
    pub fn check(
        &self,
        relays: usize,
        kind: crate::schedule_book::ScheduleKind,
    ) -> Result<(), String> {
        use crate::schedule_book::ScheduleKind;
        match &self.when {
            When::At(minute) if *minute >= 24 * 60 => {
                return Err(say!("Choose a time between 00:00 and 23:59."))
            }
            When::Sunrise(offset) | When::Sunset(offset) if offset.abs() > MAX_SUN_OFFSET => {
                return Err(say!(
                    "The offset from sunrise or sunset can be at most 11:59 hours."
                ))
            }
            When::Cron(timespec) => {
                if kind != ScheduleKind::Shelly {
                    return Err(say!("Only Shelly devices take a cron timespec."));
                }
                check_timespec(timespec)?;
            }
            _ => {}
        }
        if !matches!(self.when, When::Cron(_)) && self.days.is_empty() {
            return Err(say!("Choose at least one day."));
        }
        if self.relay == 0 || usize::from(self.relay) > relays.max(1) {
            return Err(say!("Choose a relay between 1 and {}.", relays.max(1)));
        }
        if self.window_minutes > MAX_WINDOW_MINUTES {
            return Err(say!(
                "The random window can be at most {} minutes.",
                MAX_WINDOW_MINUTES
            ));
        }
        match (kind, self.action) {
            (_, ScheduleAction::Other) => Err(say!("This schedule runs commands the form cannot edit; enable, disable or delete it instead.")),
            (ScheduleKind::Shelly, ScheduleAction::Rule) => Err(say!("Shelly schedules cannot trigger a rule; choose on, off or toggle.")),
            (ScheduleKind::Shelly, _) if !self.repeat || self.window_minutes > 0 => Err(say!("Shelly schedules always repeat and have no random window.")),
            _ => Ok(()),
        }
    }
}

/// A cron timespec as a Shelly takes it, every field checked as the device checks it (see
/// `shelly_timespec`); the error names the field and what is wrong.
pub fn check_timespec(timespec: &str) -> Result<(), String> {
    crate::shelly_timespec::read(timespec).map(|_| ())
}

/// `450` -> "07:30".
pub fn clock_text(minute_of_day: u16) -> String {
    format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
}

/// `-90` -> "1:30" (the sign is in the words around it).
pub fn duration_text(minutes: i16) -> String {
    let minutes = minutes.unsigned_abs();
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// Reads a clock time as a form or a device writes it ("7:30", "07:30") into minutes after
/// midnight.
pub fn parse_clock(text: &str) -> Result<u16, String> {
    let bad = || say!("\"{}\" is not a time: write it as 07:30.", text.trim());
    let (hours, minutes) = text.trim().split_once(':').ok_or_else(bad)?;
    let hours: u16 = hours.parse().map_err(|_| bad())?;
    let minutes: u16 = minutes.parse().map_err(|_| bad())?;
    if hours > 23 || minutes > 59 || text.trim().len() > 5 {
        return Err(bad());
    }
    Ok(hours * 60 + minutes)
}

/// Reads a signed offset ("-0:30", "+1:15", "0:45", "45") into minutes.
pub fn parse_offset(text: &str) -> Result<i16, String> {
    let trimmed = text.trim();
    let bad = || {
        say!(
            "\"{}\" is not an offset: write it as -0:30 (before) or 1:15 (after).",
            trimmed
        )
    };
    let (negative, rest) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None => ("0", rest),
    };
    let hours: i16 = hours.parse().map_err(|_| bad())?;
    let minutes: i16 = minutes.parse().map_err(|_| bad())?;
    if hours < 0 || minutes < 0 || minutes > 59 && rest.contains(':') || hours > 11 || minutes > 719
    {
        return Err(bad());
    }
    let total = hours * 60 + minutes;
    if total > MAX_SUN_OFFSET {
        return Err(say!(
            "The offset from sunrise or sunset can be at most 11:59 hours."
        ));
    }
    Ok(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule_book::ScheduleKind;

    #[test]
    fn days_read_monday_first_with_runs_joined() {
        assert_eq!(Weekdays::ALL.describe(), "every day");
        assert_eq!(Weekdays::WORKDAYS.describe(), "Mon–Fri");
        assert_eq!(Weekdays::WEEKEND.describe(), "Sat, Sun");
        assert_eq!(Weekdays(0b010_1010).describe(), "Mon, Wed, Fri");
        assert_eq!(Weekdays(0b011_1010).describe(), "Mon, Wed–Fri");
        assert_eq!(Weekdays(0b000_0110).describe(), "Mon, Tue");
        assert_eq!(Weekdays(0).describe(), "no day");
        assert_eq!(Weekdays(0).with(0, true).with(6, true), Weekdays::WEEKEND);
        assert_eq!(
            Weekdays::ALL.with(0, false).with(6, false),
            Weekdays::WORKDAYS
        );
        assert_eq!(Weekdays::ALL.with(9, false), Weekdays::ALL);
    }

    #[test]
    fn schedules_read_as_sentences() {
        let mut s = Schedule {
            when: When::At(7 * 60 + 30),
            ..Schedule::default()
        };
        assert_eq!(s.describe(None), "On at 07:30, Mon–Fri");
        s.when = When::Sunset(-30);
        s.action = ScheduleAction::Off;
        s.days = Weekdays::ALL;
        assert_eq!(
            s.describe(Some("Socket 2")),
            "Off 0:30 before sunset, every day, Socket 2"
        );
        s.when = When::Sunrise(75);
        s.repeat = false;
        s.window_minutes = 10;
        s.action = ScheduleAction::Toggle;
        assert_eq!(
            s.describe(None),
            "Toggle 1:15 after sunrise, every day, once, ± 10 min at random"
        );
        s.when = When::Sunrise(0);
        assert!(s.describe(None).starts_with("Toggle at sunrise"));
        s.when = When::Cron("0 0 */2 * * *".into());
        assert!(s.describe(None).starts_with("Toggle on \"0 0 */2 * * *\""));
    }

    #[test]
    fn times_and_offsets_are_read_strictly() {
        assert_eq!(parse_clock("07:30"), Ok(450));
        assert_eq!(parse_clock("7:05"), Ok(425));
        assert_eq!(parse_clock("23:59"), Ok(1439));
        for bad in ["24:00", "7", "07:60", "", "ab:cd", "-1:00", "07:30:00"] {
            assert!(parse_clock(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_offset("-0:30"), Ok(-30));
        assert_eq!(parse_offset("+1:15"), Ok(75));
        assert_eq!(parse_offset("0:00"), Ok(0));
        assert_eq!(parse_offset("45"), Ok(45));
        assert_eq!(parse_offset("-11:59"), Ok(-719));
        for bad in ["12:00", "1:60", "x", "--1:00", "720", "1:-5"] {
            assert!(parse_offset(bad).is_err(), "{bad}");
        }
        assert_eq!(clock_text(0), "00:00");
        assert_eq!(duration_text(-90), "1:30");
    }

    #[test]
    fn a_schedule_the_device_would_misread_is_refused_with_a_reason() {
        let ok = Schedule::default();
        assert_eq!(ok.check(1, ScheduleKind::Tasmota), Ok(()));
        assert_eq!(ok.check(1, ScheduleKind::Shelly), Ok(()));
        let no_days = Schedule {
            days: Weekdays(0),
            ..ok.clone()
        };
        assert_eq!(
            no_days.check(1, ScheduleKind::Tasmota),
            Err("Choose at least one day.".into())
        );
        let relay_3 = Schedule {
            relay: 3,
            ..ok.clone()
        };
        assert!(relay_3.check(2, ScheduleKind::Tasmota).is_err());
        assert!(relay_3.check(3, ScheduleKind::Tasmota).is_ok());
        let once = Schedule {
            repeat: false,
            ..ok.clone()
        };
        assert!(once.check(1, ScheduleKind::Tasmota).is_ok());
        assert!(once.check(1, ScheduleKind::Shelly).is_err());
        let window = Schedule {
            window_minutes: 16,
            ..ok.clone()
        };
        assert!(window.check(1, ScheduleKind::Tasmota).is_err());
        let rule = Schedule {
            action: ScheduleAction::Rule,
            ..ok.clone()
        };
        assert!(rule.check(1, ScheduleKind::Tasmota).is_ok());
        assert!(rule.check(1, ScheduleKind::Shelly).is_err());
        let far = Schedule {
            when: When::Sunset(-720),
            ..ok.clone()
        };
        assert!(far.check(1, ScheduleKind::Tasmota).is_err());
        let cron = Schedule {
            when: When::Cron("0 30 7 * * MON-FRI".into()),
            ..ok.clone()
        };
        assert!(cron.check(1, ScheduleKind::Shelly).is_ok());
        assert!(cron.check(1, ScheduleKind::Tasmota).is_err());
        let other = Schedule {
            action: ScheduleAction::Other,
            ..ok
        };
        assert!(other.check(1, ScheduleKind::Shelly).is_err());
    }
}
