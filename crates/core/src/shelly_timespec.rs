//! Shelly's cron timespec, read field by field the way the device reads it.
//!
//! A Shelly Gen2+ keeps a schedule's moment as a timespec (its `cron` library): six fields,
//! seconds first (`0 30 7 * * MON-FRI`), each `*`, `?`, a number or a name, a range (`1-5`),
//! a step (`*/15`, `10-40/5`, `5/10`) or a comma-separated list of those; or `@sunrise` /
//! `@sunset` with an optional offset (`@sunset-0h30m`) followed by day of month, month and
//! weekday. Ranges: seconds and minutes 0-59, hours 0-23, day of month 1-31, month 1-12 or
//! JAN-DEC, weekday 0-7 (0 and 7 are Sunday) or SUN-SAT, names in any case.
//!
//! [`read`] says in words which field is wrong and why, so the form can refuse a timespec the
//! device would refuse ("value 61 out of range 0-59") before anything is sent; the same reader
//! turns the jobs the device lists back into schedules (`shelly_schedule`).

use crate::say;

/// One field of a cron timespec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Seconds, 0-59.
    Second,
    /// Minutes, 0-59.
    Minute,
    /// Hours, 0-23.
    Hour,
    /// Day of the month, 1-31.
    DayOfMonth,
    /// Month, 1-12 or JAN-DEC.
    Month,
    /// Day of the week, 0-7 (Sunday twice) or SUN-SAT.
    DayOfWeek,
}

const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Field {
    /// The six fields in timespec order.
    pub const ALL: [Field; 6] = [
        Field::Second,
        Field::Minute,
        Field::Hour,
        Field::DayOfMonth,
        Field::Month,
        Field::DayOfWeek,
    ];

    /// The smallest and largest value.
    pub fn range(self) -> (u8, u8) {
        match self {
            Self::Second | Self::Minute => (0, 59),
            Self::Hour => (0, 23),
            Self::DayOfMonth => (1, 31),
            Self::Month => (1, 12),
            Self::DayOfWeek => (0, 7),
        }
    }

    /// The field's name, as the form says it.
    pub fn label(self) -> String {
        match self {
            Self::Second => say!("seconds"),
            Self::Minute => say!("minutes"),
            Self::Hour => say!("hours"),
            Self::DayOfMonth => say!("day of month"),
            Self::Month => say!("month"),
            Self::DayOfWeek => say!("weekday"),
        }
    }

    /// A value written as a number or (months, weekdays) a name.
    fn value(self, text: &str) -> Option<u8> {
        if let Ok(number) = text.parse::<u8>() {
            return Some(number);
        }
        let names: &[&str] = match self {
            Self::Month => &MONTH_NAMES,
            Self::DayOfWeek => &DAY_NAMES,
            _ => return None,
        };
        let index = names.iter().position(|n| n.eq_ignore_ascii_case(text))?;
        let first = if self == Self::Month { 1 } else { 0 };
        u8::try_from(index).ok().map(|i| i + first)
    }
}

/// The values one field selects, bit `n` for value `n`; `any` when written `*` or `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldValues {
    /// Bit `n` set: value `n` is selected.
    pub bits: u64,
    /// Written as `*` or `?` (every value).
    pub any: bool,
}

impl FieldValues {
    /// The single value selected, if exactly one is.
    pub fn single(&self) -> Option<u8> {
        (self.bits.count_ones() == 1).then(|| self.bits.trailing_zeros() as u8)
    }
}

/// A timespec, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timespec {
    /// Six cron fields, seconds first.
    Cron([FieldValues; 6]),
    /// At sunrise or sunset, `offset` minutes after (negative: before), on these dates.
    Sun {
        /// Sunrise (else sunset).
        sunrise: bool,
        /// Minutes after the event (negative: before).
        offset: i16,
        /// Day of month, month and weekday.
        dates: [FieldValues; 3],
    },
}

/// Reads one field, or says what is wrong with it.
pub fn read_field(field: Field, text: &str) -> Result<FieldValues, String> {
    let (low, high) = field.range();
    if text == "*" || text == "?" {
        return Ok(FieldValues {
            bits: span(low, high, 1),
            any: true,
        });
    }
    let mut bits = 0;
    for item in text.split(',') {
        bits |= read_item(field, item)?;
    }
    if field == Field::DayOfWeek && bits & (1 << 7) != 0 {
        // 7 is Sunday too.
        bits = (bits & !(1 << 7)) | 1;
    }
    Ok(FieldValues { bits, any: false })
}

/// One list item: a value, a range, or either with a step.
fn read_item(field: Field, item: &str) -> Result<u64, String> {
    let (low, high) = field.range();
    let not_understood = || {
        say!(
            "{}: \"{}\" is not a value, a range (1-5) or a step (*/15).",
            field.label(),
            item
        )
    };
    let (base, step) = match item.split_once('/') {
        Some((base, step)) => {
            let step: u8 = step.parse().map_err(|_| not_understood())?;
            if step == 0 || step > high {
                return Err(say!(
                    "{}: the step in \"{}\" must be between 1 and {}.",
                    field.label(),
                    item,
                    high
                ));
            }
            (base, Some(step))
        }
        None => (item, None),
    };
    let value = |text: &str| -> Result<u8, String> {
        let value = field.value(text).ok_or_else(not_understood)?;
        if value < low || value > high {
            return Err(say!(
                "{}: {} is out of range {}-{}.",
                field.label(),
                value,
                low,
                high
            ));
        }
        Ok(value)
    };
    let (from, to) = if base == "*" {
        (low, high)
    } else if let Some((from, to)) = base.split_once('-') {
        let (from, mut to) = (value(from)?, value(to)?);
        if field == Field::DayOfWeek && to == 0 && from > 0 {
            // SAT-SUN: Sunday as the end of a week.
            to = 7;
        }
        if from > to {
            return Err(say!(
                "{}: the range {} runs backwards; write the smaller value first.",
                field.label(),
                base
            ));
        }
        (from, to)
    } else {
        let from = value(base)?;
        // "5/10" runs from 5 to the end in steps of 10; "5" alone is just 5.
        (from, if step.is_some() { high } else { from })
    };
    Ok(span(from, to, step.unwrap_or(1)))
}

fn span(from: u8, to: u8, step: u8) -> u64 {
    (from..=to)
        .step_by(usize::from(step.max(1)))
        .fold(0, |bits, v| bits | 1 << v)
}

/// Reads a whole timespec, or says what is wrong with it in words.
pub fn read(text: &str) -> Result<Timespec, String> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    if text.len() > 100 {
        return Err(say!("A timespec is at most 100 characters."));
    }
    if let Some(first) = fields.first().filter(|f| f.starts_with('@')) {
        return read_sun(first, &fields[1..]);
    }
    if fields.len() != 6 {
        return Err(say!(
            "A timespec has 6 fields (seconds, minutes, hours, day of month, month, weekday), e.g. \"0 30 7 * * MON-FRI\"; this one has {}.",
            fields.len()
        ));
    }
    let mut values = [FieldValues { bits: 0, any: true }; 6];
    for ((slot, field), text) in values.iter_mut().zip(Field::ALL).zip(&fields) {
        *slot = read_field(field, text)?;
    }
    Ok(Timespec::Cron(values))
}

fn read_sun(first: &str, dates: &[&str]) -> Result<Timespec, String> {
    let shape = || {
        say!("After @sunrise or @sunset come an optional offset (+1h30m, -0h30m) and 3 fields (day of month, month, weekday), e.g. \"@sunset-0h30m * * *\".")
    };
    let (sunrise, offset) = if let Some(offset) = first.strip_prefix("@sunrise") {
        (true, offset)
    } else if let Some(offset) = first.strip_prefix("@sunset") {
        (false, offset)
    } else {
        return Err(shape());
    };
    let offset = sun_offset(offset).ok_or_else(shape)?;
    if dates.len() != 3 {
        return Err(shape());
    }
    let mut values = [FieldValues { bits: 0, any: true }; 3];
    let fields = [Field::DayOfMonth, Field::Month, Field::DayOfWeek];
    for ((slot, field), text) in values.iter_mut().zip(fields).zip(dates) {
        *slot = read_field(field, text)?;
    }
    Ok(Timespec::Sun {
        sunrise,
        offset,
        dates: values,
    })
}

/// "" -> 0, "+1h15m" -> 75, "-30m" -> -30, "-0h30m" -> -30, "+2h" -> 120; at most 11:59.
pub fn sun_offset(text: &str) -> Option<i16> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespecs_the_device_takes_are_read() {
        for good in [
            "0 30 7 * * MON-FRI",
            "0 30 7 * * mon,tue,wed",
            "0 0 */2 * * *",
            "*/15 * 1-4 * * *",
            "0 */2 1-4 * * *",
            "0 30 23 30 * *",
            "0 0 12 1 JAN,jul ?",
            "0 0 12 1-15/2 1-12 0-7",
            "5/10 0 0 * * SAT-SUN",
            "0 59 23 31 12 7",
            "@sunrise * * *",
            "@sunset-0h30m * * *",
            "@sunrise+1h15m * * MON,TUE,WED,THU,FRI",
            "@sunset-30m 1-15 * *",
        ] {
            assert!(read(good).is_ok(), "{good}: {:?}", read(good));
        }
    }

    #[test]
    fn timespecs_the_device_refuses_are_refused_with_the_field_and_the_reason() {
        for (bad, says) in [
            ("0 61 9 * * *", "minutes: 61 is out of range 0-59"),
            ("60 0 9 * * *", "seconds: 60 is out of range 0-59"),
            ("0 0 24 * * *", "hours: 24 is out of range 0-23"),
            ("0 0 9 0 * *", "day of month: 0 is out of range 1-31"),
            ("0 0 9 32 * *", "day of month: 32 is out of range 1-31"),
            ("0 0 9 * 13 *", "month: 13 is out of range 1-12"),
            ("0 0 9 * * 8", "weekday: 8 is out of range 0-7"),
            ("0 0 9 * * MOM", "weekday: \"MOM\" is not a value"),
            ("0 0 9 * FOO *", "month: \"FOO\" is not a value"),
            (
                "0 0 9 * * FRI-MON",
                "weekday: the range FRI-MON runs backwards",
            ),
            ("0 50-10 9 * * *", "minutes: the range 50-10 runs backwards"),
            (
                "0 */0 9 * * *",
                "minutes: the step in \"*/0\" must be between 1 and 59",
            ),
            ("0 0 9,x * * *", "hours: \"x\" is not a value"),
            ("0 0 9 L * *", "day of month: \"L\" is not a value"),
            ("0 0 9 * * 1#2", "weekday: \"1#2\" is not a value"),
            ("0 0 9 * *", "has 6 fields"),
            ("30 7 * * *", "this one has 5"),
            ("0 0 9 * * * 2027", "this one has 7"),
            ("", "this one has 0"),
            ("@noon * * *", "After @sunrise or @sunset"),
            ("@sunset-13h * * *", "After @sunrise or @sunset"),
            ("@sunrise * *", "After @sunrise or @sunset"),
            ("@sunrise * 13 *", "month: 13 is out of range 1-12"),
        ] {
            let error = read(bad).expect_err(bad);
            assert!(
                error.to_lowercase().contains(&says.to_lowercase()),
                "{bad}: {error}"
            );
        }
        assert!(read(&"0 ".repeat(60)).is_err());
    }

    #[test]
    fn fields_select_the_values_the_device_would() {
        let bits = |field, text| read_field(field, text).unwrap().bits;
        assert_eq!(bits(Field::Minute, "*/15"), 1 | 1 << 15 | 1 << 30 | 1 << 45);
        assert_eq!(bits(Field::Minute, "10-20/5"), 1 << 10 | 1 << 15 | 1 << 20);
        assert_eq!(bits(Field::Hour, "20/2"), 1 << 20 | 1 << 22);
        assert_eq!(bits(Field::DayOfWeek, "SAT-SUN"), 1 | 1 << 6);
        assert_eq!(bits(Field::DayOfWeek, "7"), 1);
        assert_eq!(bits(Field::Month, "JAN,dec"), 1 << 1 | 1 << 12);
        assert_eq!(read_field(Field::Hour, "7").unwrap().single(), Some(7));
        assert!(read_field(Field::Hour, "?").unwrap().any);
    }

    #[test]
    fn sun_offsets_are_read_within_twelve_hours() {
        assert_eq!(sun_offset(""), Some(0));
        assert_eq!(sun_offset("+1h15m"), Some(75));
        assert_eq!(sun_offset("-30m"), Some(-30));
        assert_eq!(sun_offset("-0h30m"), Some(-30));
        assert_eq!(sun_offset("+2h"), Some(120));
        assert_eq!(sun_offset("+12h"), None);
        assert_eq!(sun_offset("+1h60m"), None);
        assert_eq!(sun_offset("1h"), None);
    }
}
