//! The simulated devices' wall clock and the sun, so their schedules fire as a device's do.
//!
//! Independent of the page's core on purpose: the simulators keep and fire schedules from the
//! devices' own formats, so a mistake in the page's translation shows up as a disagreement
//! instead of being mirrored. A device's clock can be shifted (`clock <name> <seconds>` on the
//! dev kit's stdin), which lets a test make a schedule due now, or a clock wrong.

use std::time::{SystemTime, UNIX_EPOCH};

/// Where the simulated devices are (Tasmota's default location, the Eiffel tower).
pub const LATITUDE: f64 = 48.858_36;
/// See [`LATITUDE`].
pub const LONGITUDE: f64 = 2.294_44;

/// A device's wall clock at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SimClock {
    /// Seconds since 1970, UTC.
    pub unix_secs: i64,
    /// The device's offset from UTC, in minutes.
    pub utc_offset_minutes: i32,
}

impl SimClock {
    /// The machine's clock now, shifted by `shift_secs`, in the zone `utc_offset_minutes`.
    pub fn system(shift_secs: i64, utc_offset_minutes: i32) -> Self {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Self {
            unix_secs: unix + shift_secs,
            utc_offset_minutes,
        }
    }

    fn local_secs(self) -> i64 {
        self.unix_secs + i64::from(self.utc_offset_minutes) * 60
    }

    /// Local minutes after midnight.
    pub fn minute_of_day(self) -> u16 {
        (self.local_secs().rem_euclid(86_400) / 60) as u16
    }

    /// Local day of the week, 0 = Sunday.
    pub fn weekday(self) -> usize {
        // 1970-01-01 was a Thursday.
        ((self.local_secs().div_euclid(86_400) + 4).rem_euclid(7)) as usize
    }

    /// A number that changes once a local minute, to fire a schedule once per minute.
    pub fn minute_stamp(self) -> i64 {
        self.local_secs().div_euclid(60)
    }

    /// Local (year, month, day).
    pub fn local_date(self) -> (i64, u64, u64) {
        let (y, m, d) = civil(self.local_secs().div_euclid(86_400));
        (y, m as u64, d as u64)
    }

    /// Local time as Tasmota writes it, "2026-11-22T07:30:00".
    pub fn local_iso(self) -> String {
        iso(self.local_secs())
    }

    /// UTC as Tasmota writes it.
    pub fn utc_iso(self) -> String {
        iso(self.unix_secs)
    }

    /// "07:30", local.
    pub fn local_hh_mm(self) -> String {
        let m = self.minute_of_day();
        format!("{:02}:{:02}", m / 60, m % 60)
    }

    /// The offset as "+01:00".
    pub fn offset_text(self) -> String {
        let sign = if self.utc_offset_minutes < 0 {
            '-'
        } else {
            '+'
        };
        let m = self.utc_offset_minutes.unsigned_abs();
        format!("{sign}{:02}:{:02}", m / 60, m % 60)
    }

    /// Today's sunrise and sunset at [`LATITUDE`], [`LONGITUDE`], in local minutes after
    /// midnight (NOAA's approximation, good to a few minutes).
    pub fn sun_minutes(self) -> (u16, u16) {
        let days = self.local_secs().div_euclid(86_400);
        let (year, _, _) = civil(days);
        let day_of_year = (days - days_from_civil(year, 1, 1) + 1) as f64;
        let gamma = 2.0 * std::f64::consts::PI / 365.0 * (day_of_year - 1.0);
        let eq_time = 229.18
            * (0.000_075 + 0.001_868 * gamma.cos()
                - 0.032_077 * gamma.sin()
                - 0.014_615 * (2.0 * gamma).cos()
                - 0.040_849 * (2.0 * gamma).sin());
        let decl = 0.006_918 - 0.399_912 * gamma.cos() + 0.070_257 * gamma.sin()
            - 0.006_758 * (2.0 * gamma).cos()
            + 0.000_907 * (2.0 * gamma).sin();
        let lat = LATITUDE.to_radians();
        let cos_h =
            ((90.833_f64).to_radians().cos() - lat.sin() * decl.sin()) / (lat.cos() * decl.cos());
        let h = cos_h.clamp(-1.0, 1.0).acos().to_degrees();
        let noon = 720.0 - 4.0 * LONGITUDE - eq_time + f64::from(self.utc_offset_minutes);
        let wrap = |m: f64| (m.round() as i64).rem_euclid(1_440) as u16;
        (wrap(noon - 4.0 * h), wrap(noon + 4.0 * h))
    }
}

/// The machine's offset from UTC in minutes (from `date +%z`; 0 if that cannot be read).
pub fn machine_utc_offset_minutes() -> i32 {
    std::process::Command::new("date")
        .arg("+%z")
        .output()
        .ok()
        .and_then(|out| parse_offset(String::from_utf8_lossy(&out.stdout).trim()))
        .unwrap_or(0)
}

/// "+0100" -> 60, "-0530" -> -330.
fn parse_offset(text: &str) -> Option<i32> {
    let sign = match text.get(..1)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let hours: i32 = text.get(1..3)?.parse().ok()?;
    let minutes: i32 = text.get(3..5)?.parse().ok()?;
    Some(sign * (hours * 60 + minutes))
}

fn iso(secs: i64) -> String {
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        s / 3_600,
        s / 60 % 60,
        s % 60
    )
}

/// Days since 1970-01-01 -> (year, month, day) (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-22 06:30:00 UTC, a Sunday.
    const SUNDAY: i64 = 1_795_329_000;

    #[test]
    fn local_time_day_and_stamps() {
        let berlin = SimClock {
            unix_secs: SUNDAY,
            utc_offset_minutes: 60,
        };
        assert_eq!(berlin.local_iso(), "2026-11-22T07:30:00");
        assert_eq!(berlin.utc_iso(), "2026-11-22T06:30:00");
        assert_eq!(berlin.local_hh_mm(), "07:30");
        assert_eq!(berlin.weekday(), 0);
        assert_eq!(berlin.offset_text(), "+01:00");
        // Still Saturday evening in California at the same instant.
        let california = SimClock {
            unix_secs: SUNDAY,
            utc_offset_minutes: -480,
        };
        assert_eq!(
            (california.weekday(), california.local_hh_mm().as_str()),
            (6, "22:30")
        );
        assert_eq!(parse_offset("+0100"), Some(60));
        assert_eq!(parse_offset("-0530"), Some(-330));
        assert_eq!(parse_offset("junk"), None);
    }

    #[test]
    fn paris_sunrise_and_sunset_are_near_the_almanac() {
        // 22 November in Paris: sunrise 08:11, sunset 17:00 (CET).
        let (rise, set) = SimClock {
            unix_secs: SUNDAY,
            utc_offset_minutes: 60,
        }
        .sun_minutes();
        assert!((8 * 60 + 1..=8 * 60 + 21).contains(&rise), "{rise}");
        assert!((16 * 60 + 50..=17 * 60 + 10).contains(&set), "{set}");
    }
}
