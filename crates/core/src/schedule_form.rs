//! The schedule form's fields, and the [`Schedule`] they make.
//!
//! The page binds one input to each field; turning them into a schedule is here, so it is
//! tested natively and the same for every kind. Times come from `<input type="time">`
//! ("07:30"), the sunrise/sunset offset from a text field ("0:30") with before/after chosen
//! apart, the days from seven checkboxes. A field the user got wrong comes back as a sentence
//! naming it; [`Schedule::check`] then refuses what the device would misread.

use crate::say;
use crate::schedule::{
    clock_text, duration_text, parse_clock, parse_offset, Schedule, ScheduleAction, Weekdays, When,
};

/// Which kind of moment the form describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MomentKind {
    /// A clock time.
    At,
    /// Sunrise with an offset.
    Sunrise,
    /// Sunset with an offset.
    Sunset,
    /// A raw cron timespec (Shelly, for advanced users).
    Cron,
}

impl MomentKind {
    /// The value of its `<option>`.
    pub fn code(self) -> &'static str {
        match self {
            Self::At => "time",
            Self::Sunrise => "sunrise",
            Self::Sunset => "sunset",
            Self::Cron => "cron",
        }
    }

    /// The kind an `<option>` value names (a clock time for anything else).
    pub fn from_code(code: &str) -> Self {
        match code {
            "sunrise" => Self::Sunrise,
            "sunset" => Self::Sunset,
            "cron" => Self::Cron,
            _ => Self::At,
        }
    }
}

/// An action's `<option>` value.
pub fn action_code(action: ScheduleAction) -> &'static str {
    match action {
        ScheduleAction::On => "on",
        ScheduleAction::Off => "off",
        ScheduleAction::Toggle => "toggle",
        ScheduleAction::Rule => "rule",
        ScheduleAction::Other => "other",
    }
}

/// The action an `<option>` value names.
pub fn action_from_code(code: &str) -> ScheduleAction {
    match code {
        "off" => ScheduleAction::Off,
        "toggle" => ScheduleAction::Toggle,
        "rule" => ScheduleAction::Rule,
        "other" => ScheduleAction::Other,
        _ => ScheduleAction::On,
    }
}

/// What the form holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleForm {
    /// What it does.
    pub action: ScheduleAction,
    /// Which relay (from 1).
    pub relay: u8,
    /// Clock time, sunrise, sunset or raw timespec.
    pub moment: MomentKind,
    /// The clock time, "07:30".
    pub time: String,
    /// The offset from sunrise or sunset, "0:30".
    pub offset: String,
    /// True: the offset is after sunrise or sunset; false: before.
    pub offset_after: bool,
    /// The raw timespec.
    pub cron: String,
    /// The days.
    pub days: Weekdays,
    /// Tasmota: fire once, then disarm.
    pub once: bool,
    /// Tasmota: random window in minutes, as typed.
    pub window: String,
    /// Armed.
    pub enabled: bool,
}

impl ScheduleForm {
    /// The form showing `schedule`.
    pub fn from_schedule(schedule: &Schedule) -> Self {
        let (moment, time, offset, offset_after, cron) = match &schedule.when {
            When::At(minute) => (
                MomentKind::At,
                clock_text(*minute),
                "0:00".into(),
                true,
                String::new(),
            ),
            When::Sunrise(o) => (
                MomentKind::Sunrise,
                "07:00".into(),
                duration_text(*o),
                *o >= 0,
                String::new(),
            ),
            When::Sunset(o) => (
                MomentKind::Sunset,
                "07:00".into(),
                duration_text(*o),
                *o >= 0,
                String::new(),
            ),
            When::Cron(raw) => (
                MomentKind::Cron,
                "07:00".into(),
                "0:00".into(),
                true,
                raw.clone(),
            ),
        };
        Self {
            action: schedule.action,
            relay: schedule.relay,
            moment,
            time,
            offset,
            offset_after,
            cron,
            days: schedule.days,
            once: !schedule.repeat,
            window: schedule.window_minutes.to_string(),
            enabled: schedule.enabled,
        }
    }

    /// The schedule the fields describe, or what is wrong with them.
    pub fn to_schedule(&self) -> Result<Schedule, String> {
        let offset = || -> Result<i16, String> {
            let minutes = parse_offset(self.offset.trim().trim_start_matches(['+', '-']))?;
            Ok(if self.offset_after { minutes } else { -minutes })
        };
        let when = match self.moment {
            MomentKind::At => When::At(parse_clock(&self.time)?),
            MomentKind::Sunrise => When::Sunrise(offset()?),
            MomentKind::Sunset => When::Sunset(offset()?),
            MomentKind::Cron => {
                let raw = self.cron.trim();
                if raw.is_empty() {
                    return Err(say!("Write a timespec, e.g. 0 30 7 * * MON-FRI."));
                }
                When::Cron(raw.to_string())
            }
        };
        let window = match self.window.trim() {
            "" => 0,
            text => text
                .parse::<u8>()
                .map_err(|_| say!("The random window is a number of minutes from 0 to 15."))?,
        };
        Ok(Schedule {
            enabled: self.enabled,
            when,
            days: self.days,
            action: self.action,
            relay: self.relay,
            repeat: !self.once,
            window_minutes: window,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schedule_round_trips_through_the_form() {
        let schedules = [
            Schedule::default(),
            Schedule {
                when: When::At(23 * 60 + 59),
                days: Weekdays::ALL,
                action: ScheduleAction::Off,
                ..Schedule::default()
            },
            Schedule {
                when: When::Sunset(-30),
                relay: 3,
                ..Schedule::default()
            },
            Schedule {
                when: When::Sunrise(75),
                repeat: false,
                window_minutes: 15,
                enabled: false,
                ..Schedule::default()
            },
            Schedule {
                when: When::Sunrise(0),
                action: ScheduleAction::Rule,
                ..Schedule::default()
            },
            Schedule {
                when: When::Cron("0 */15 * * * *".into()),
                action: ScheduleAction::Toggle,
                ..Schedule::default()
            },
        ];
        for schedule in schedules {
            assert_eq!(
                ScheduleForm::from_schedule(&schedule).to_schedule(),
                Ok(schedule.clone()),
                "{schedule:?}"
            );
        }
    }

    #[test]
    fn a_wrong_field_is_named_in_the_refusal() {
        let mut form = ScheduleForm::from_schedule(&Schedule::default());
        form.time = "25:00".into();
        assert!(form.to_schedule().is_err_and(|e| e.contains("25:00")));
        form.moment = MomentKind::Sunset;
        form.offset = "half an hour".into();
        assert!(form
            .to_schedule()
            .is_err_and(|e| e.contains("half an hour")));
        form.offset = "-0:45".into();
        form.offset_after = false;
        assert_eq!(
            form.to_schedule().map(|s| s.when),
            Ok(When::Sunset(-45)),
            "the sign comes from before/after"
        );
        form.window = "lots".into();
        assert!(form
            .to_schedule()
            .is_err_and(|e| e.contains("random window")));
        form.window = String::new();
        form.moment = MomentKind::Cron;
        assert!(form.to_schedule().is_err_and(|e| e.contains("timespec")));
        assert_eq!(
            MomentKind::from_code(MomentKind::Sunset.code()),
            MomentKind::Sunset
        );
        assert_eq!(
            action_from_code(action_code(ScheduleAction::Toggle)),
            ScheduleAction::Toggle
        );
    }
}
