//! A simulated Shelly Gen2+'s schedule jobs (`Schedule.*`), kept and fired as the firmware does.
//!
//! `Schedule.Create {enable, timespec, calls}` answers `{"id":N,"rev":R}`, `Schedule.Update`
//! changes the members given, `Schedule.Delete {id}` and `Schedule.DeleteAll` remove,
//! `Schedule.List` answers `{"jobs":[...],"rev":R}`. At most 20 jobs. The timespec is cron with
//! seconds first (5 to 7 fields: `*`, numbers, lists, ranges, steps, day and month names) or
//! `@sunrise`/`@sunset` with an offset (`-0h30m`) and day of month, month, day of week. A bad
//! timespec is refused with -103. A job fires once in its minute (the seconds field is read but
//! the simulator checks once a minute is enough), then its calls run.

use serde_json::{json, Value};

use crate::sim_clock::SimClock;

/// The most jobs a Shelly keeps.
pub const MAX_JOBS: usize = 20;

#[derive(Debug, Clone)]
struct Job {
    id: u64,
    enable: bool,
    timespec: String,
    calls: Value,
    last_fired: i64,
}

/// The jobs of one device.
#[derive(Debug, Clone, Default)]
pub struct JobStore {
    jobs: Vec<Job>,
    rev: u64,
    next_id: u64,
}

/// An RPC error: code and message.
pub type RpcError = (i64, String);

impl JobStore {
    /// The revision (`Sys.GetStatus` reports it as `schedule_rev`).
    pub fn rev(&self) -> u64 {
        self.rev
    }

    /// Answers a `Schedule.*` method, or `None` if `method` is not one.
    pub fn call(&mut self, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
        let id = params.get("id").and_then(Value::as_u64);
        let not_found = |id: Option<u64>| {
            Err((
                -105,
                format!(
                    "Argument 'id', value {} not found!",
                    id.map_or("missing".into(), |i| i.to_string())
                ),
            ))
        };
        Some(match method.to_ascii_lowercase().as_str() {
            "schedule.list" => Ok(json!({
                "jobs": self.jobs.iter().map(|j| json!({"id": j.id, "enable": j.enable, "timespec": j.timespec, "calls": j.calls})).collect::<Vec<_>>(),
                "rev": self.rev
            })),
            "schedule.create" => {
                if self.jobs.len() >= MAX_JOBS {
                    return Some(Err((
                        -109,
                        format!("Resource exhausted: at most {MAX_JOBS} schedules"),
                    )));
                }
                let timespec = match params.get("timespec").and_then(Value::as_str) {
                    Some(t) if Cron::parse(t).is_some() => t.to_string(),
                    _ => return Some(Err((-103, "Invalid argument 'timespec'!".into()))),
                };
                let Some(calls) = params.get("calls").filter(|c| c.is_array()).cloned() else {
                    return Some(Err((-103, "Missing required argument 'calls'!".into())));
                };
                self.next_id += 1;
                self.rev += 1;
                self.jobs.push(Job {
                    id: self.next_id,
                    enable: params
                        .get("enable")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                    timespec,
                    calls,
                    last_fired: i64::MIN,
                });
                Ok(json!({"id": self.next_id, "rev": self.rev}))
            }
            "schedule.update" => {
                let Some(job) = self.jobs.iter_mut().find(|j| Some(j.id) == id) else {
                    return Some(not_found(id));
                };
                if let Some(timespec) = params.get("timespec") {
                    match timespec.as_str().filter(|t| Cron::parse(t).is_some()) {
                        Some(t) => job.timespec = t.to_string(),
                        None => return Some(Err((-103, "Invalid argument 'timespec'!".into()))),
                    }
                }
                if let Some(enable) = params.get("enable").and_then(Value::as_bool) {
                    job.enable = enable;
                }
                if let Some(calls) = params.get("calls").filter(|c| c.is_array()) {
                    job.calls = calls.clone();
                }
                job.last_fired = i64::MIN;
                self.rev += 1;
                Ok(json!({"rev": self.rev}))
            }
            "schedule.delete" => {
                let before = self.jobs.len();
                self.jobs.retain(|j| Some(j.id) != id);
                if self.jobs.len() == before {
                    return Some(not_found(id));
                }
                self.rev += 1;
                Ok(json!({"rev": self.rev}))
            }
            "schedule.deleteall" => {
                self.jobs.clear();
                self.rev += 1;
                Ok(json!({"rev": self.rev}))
            }
            _ => return None,
        })
    }

    /// How many jobs it keeps, and the local times of the enabled ones whose timespec names one
    /// minute of one hour (`0 31 7 * * *`), sorted.
    #[cfg(test)]
    pub fn summary(&self) -> (usize, Vec<u16>) {
        let mut armed: Vec<u16> = self
            .jobs
            .iter()
            .filter(|j| j.enable)
            .filter_map(|j| {
                let fields: Vec<&str> = j.timespec.split_whitespace().collect();
                let minute: u16 = fields.get(1)?.parse().ok()?;
                let hour: u16 = fields.get(2)?.parse().ok()?;
                Some(hour * 60 + minute)
            })
            .collect();
        armed.sort_unstable();
        (self.jobs.len(), armed)
    }

    /// The calls of every job due at `clock` (each job fires once in its minute).
    pub fn due(&mut self, clock: SimClock) -> Vec<Value> {
        let stamp = clock.minute_stamp();
        let mut calls = Vec::new();
        for job in &mut self.jobs {
            if !job.enable || job.last_fired == stamp {
                continue;
            }
            if Cron::parse(&job.timespec).is_some_and(|cron| cron.matches(clock)) {
                job.last_fired = stamp;
                calls.extend(job.calls.as_array().cloned().unwrap_or_default());
            }
        }
        calls
    }

    /// Adds a job as a user would (for the demo).
    pub fn seed(&mut self, timespec: &str, on: bool) {
        self.call(
            "Schedule.Create",
            &json!({"enable": true, "timespec": timespec, "calls": [{"method": "Switch.Set", "params": {"id": 0, "on": on}}]}),
        );
    }
}

/// A parsed timespec.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cron {
    moment: Moment,
    day_of_month: u64,
    month: u64,
    day_of_week: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Moment {
    /// Bit sets of allowed minutes (0..60) and hours (0..24).
    Clock { minutes: u64, hours: u64 },
    /// Minutes after (or before) sunrise or sunset.
    Sun { sunset: bool, offset: i32 },
}

impl Cron {
    fn parse(text: &str) -> Option<Self> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if let Some(sun) = fields.first().filter(|f| f.starts_with('@')) {
            let (sunset, offset) = if let Some(o) = sun.strip_prefix("@sunrise") {
                (false, o)
            } else {
                (true, sun.strip_prefix("@sunset")?)
            };
            let rest = &fields[1..];
            if rest.len() > 3 {
                return None;
            }
            return Some(Self {
                moment: Moment::Sun {
                    sunset,
                    offset: sun_offset(offset)?,
                },
                day_of_month: set(rest.first().copied().unwrap_or("*"), 1, 31, &[])?,
                month: set(rest.get(1).copied().unwrap_or("*"), 1, 12, &MONTHS)?,
                day_of_week: days(rest.get(2).copied().unwrap_or("*"))?,
            });
        }
        let fields: Vec<&str> = match fields.len() {
            5 => std::iter::once("0").chain(fields).collect(),
            6 | 7 => fields,
            _ => return None,
        };
        set(fields[0], 0, 59, &[])?;
        Some(Self {
            moment: Moment::Clock {
                minutes: set(fields[1], 0, 59, &[])?,
                hours: set(fields[2], 0, 23, &[])?,
            },
            day_of_month: set(fields[3], 1, 31, &[])?,
            month: set(fields[4], 1, 12, &MONTHS)?,
            day_of_week: days(fields[5])?,
        })
    }

    fn matches(&self, clock: SimClock) -> bool {
        let minute = i32::from(clock.minute_of_day());
        let time_ok = match self.moment {
            Moment::Clock { minutes, hours } => {
                minutes & 1 << (minute % 60) != 0 && hours & 1 << (minute / 60) != 0
            }
            Moment::Sun { sunset, offset } => {
                let (rise, set) = clock.sun_minutes();
                let base = i32::from(if sunset { set } else { rise });
                (base + offset).rem_euclid(1_440) == minute
            }
        };
        let (_, month, day) = clock.local_date();
        time_ok
            && self.day_of_week & 1 << clock.weekday() != 0
            && self.day_of_month & 1 << day != 0
            && self.month & 1 << month != 0
    }
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A day-of-week field; 7 is Sunday too.
fn days(field: &str) -> Option<u64> {
    let bits = set(field, 0, 7, &DAYS)?;
    Some((bits | bits >> 7) & 0x7f)
}

/// A cron field as a bit set over `min..=max`: `*`, `?`, numbers or names (names[i] = min + i),
/// lists, ranges and `/step`.
fn set(field: &str, min: u64, max: u64, names: &[&str]) -> Option<u64> {
    let value = |text: &str| -> Option<u64> {
        text.parse::<u64>().ok().or_else(|| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(text))
                .map(|i| i as u64 + min)
        })
    };
    let mut bits = 0u64;
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, step.parse::<u64>().ok().filter(|s| *s > 0)?),
            None => (item, 1),
        };
        let (from, to) = match range {
            "*" | "?" => (min, max),
            _ => match range.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None => {
                    let v = value(range)?;
                    (v, if item.contains('/') { max } else { v })
                }
            },
        };
        if from < min || to > max || from > to {
            return None;
        }
        for v in (from..=to).step_by(step as usize) {
            bits |= 1 << v;
        }
    }
    Some(bits)
}

/// "" -> 0, "+1h15m" -> 75, "-30m" -> -30, "-0h30m" -> -30.
fn sun_offset(text: &str) -> Option<i32> {
    if text.is_empty() {
        return Some(0);
    }
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+')?),
    };
    let (hours, rest) = match rest.split_once('h') {
        Some((h, rest)) => (h.parse::<i32>().ok()?, rest),
        None => (0, rest),
    };
    let minutes = match rest {
        "" => 0,
        m => m.strip_suffix('m')?.parse::<i32>().ok()?,
    };
    let total = hours * 60 + minutes;
    Some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sunday 2026-11-22 at 07:30 in Berlin.
    fn clock(minutes_later: i64) -> SimClock {
        SimClock {
            unix_secs: 1_795_329_000 + minutes_later * 60,
            utc_offset_minutes: 60,
        }
    }

    #[test]
    fn jobs_are_created_listed_updated_and_deleted_with_revisions() {
        let mut store = JobStore::default();
        let created = store
            .call("Schedule.Create", &json!({"enable": true, "timespec": "0 31 7 * * SUN", "calls": [{"method": "Switch.Set", "params": {"id": 0, "on": true}}]}))
            .expect("a schedule method")
            .expect("created");
        assert_eq!(created, json!({"id": 1, "rev": 1}));
        let list = store
            .call("Schedule.List", &json!({}))
            .expect("method")
            .expect("list");
        assert_eq!(list["jobs"][0]["timespec"], "0 31 7 * * SUN");
        store
            .call("Schedule.Update", &json!({"id": 1, "enable": false}))
            .expect("method")
            .expect("updated");
        let list = store
            .call("Schedule.List", &json!({}))
            .expect("method")
            .expect("list");
        assert_eq!(
            (list["jobs"][0]["enable"].as_bool(), list["rev"].as_u64()),
            (Some(false), Some(2))
        );
        assert_eq!(
            store
                .call("Schedule.Delete", &json!({"id": 7}))
                .expect("method")
                .map_err(|e| e.0),
            Err(-105)
        );
        store
            .call("Schedule.Delete", &json!({"id": 1}))
            .expect("method")
            .expect("deleted");
        assert_eq!(
            store
                .call("Schedule.List", &json!({}))
                .expect("method")
                .expect("list")["jobs"],
            json!([])
        );
        assert!(store.call("Switch.Set", &json!({})).is_none());
    }

    #[test]
    fn a_bad_timespec_and_a_21st_job_are_refused() {
        let mut store = JobStore::default();
        for bad in [
            "",
            "0 30 7",
            "0 61 7 * * *",
            "0 0 8 * * FOO",
            "@noon",
            "0 0 8 * * FRI-MON",
        ] {
            let answer = store.call("Schedule.Create", &json!({"timespec": bad, "calls": []}));
            assert_eq!(answer.expect("method").map_err(|e| e.0), Err(-103), "{bad}");
        }
        for _ in 0..MAX_JOBS {
            store.seed("0 0 8 * * *", true);
        }
        let full = store.call(
            "Schedule.Create",
            &json!({"timespec": "0 0 9 * * *", "calls": []}),
        );
        assert_eq!(full.expect("method").map_err(|e| e.0), Err(-109));
    }

    #[test]
    fn jobs_fire_in_their_minute_on_their_days() {
        let mut store = JobStore::default();
        store.seed("0 31 7 * * SUN", true);
        store.seed("0 31 7 * * MON-FRI", false);
        store.seed("*/2 * * * *", false);
        assert_eq!(
            store.due(clock(0)),
            [json!({"method": "Switch.Set", "params": {"id": 0, "on": false}})],
            "every 2 minutes: 07:30"
        );
        let at_731 = store.due(clock(1));
        assert_eq!(
            at_731,
            [json!({"method": "Switch.Set", "params": {"id": 0, "on": true}})]
        );
        assert!(store.due(clock(1)).is_empty(), "once in its minute");
        assert_eq!(
            store.due(clock(1 + 1_440)).len(),
            1,
            "Monday: the workday job"
        );
    }

    #[test]
    fn sun_jobs_fire_at_the_offset() {
        let mut store = JobStore::default();
        store.seed("@sunset-0h30m * * *", true);
        let (_, sunset) = clock(0).sun_minutes();
        let due_in = i64::from(sunset) - 30 - (7 * 60 + 30);
        assert!(store.due(clock(due_in - 1)).is_empty());
        assert_eq!(store.due(clock(due_in)).len(), 1);
    }
}
