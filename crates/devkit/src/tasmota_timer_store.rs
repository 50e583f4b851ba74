//! A simulated Tasmota's 16 timers, kept and fired the way the firmware does.
//!
//! `Timer<n>` takes a JSON object of any of `Enable` (or `Arm`), `Mode`, `Time`, `Window`,
//! `Days`, `Repeat`, `Output`, `Action` (only the members given change), `0` to clear, or
//! another timer's number to copy it, and answers with the whole timer. `Timers` answers
//! `{"Timers":"ON"}` then the sixteen timers four per message; `Timers 0/1/2` switch the feature
//! off, on, or over first. A timer fires once in its minute when the feature and the timer are
//! armed and the day matches: a clock time (mode 0), or sunrise/sunset plus the offset (modes 1
//! and 2). `Repeat 0` disarms it after it fired. The random window is kept and reported but
//! not applied (a test needs to know the minute).

use serde_json::{json, Map, Value};

use crate::sim_clock::SimClock;

/// How many timers a Tasmota has.
pub const TIMERS: usize = 16;

/// One timer as the firmware stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Timer {
    arm: bool,
    mode: u8,
    /// Minutes after midnight (mode 0) or a signed offset (modes 1 and 2).
    time: i16,
    window: u8,
    /// Bit 0 = Sunday.
    days: u8,
    repeat: bool,
    output: u8,
    action: u8,
}

/// What a fired timer asks of the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firing {
    /// Relay, counted from 1.
    pub output: u8,
    /// 0 off, 1 on, 2 toggle, 3 rule.
    pub action: u8,
}

/// The timers of one device.
#[derive(Debug, Clone)]
pub struct TimerStore {
    timers: [Timer; TIMERS],
    enabled: bool,
    last_fired: [i64; TIMERS],
}

impl Default for TimerStore {
    fn default() -> Self {
        Self {
            timers: [Timer {
                output: 1,
                ..Timer::default()
            }; TIMERS],
            enabled: true,
            last_fired: [i64::MIN; TIMERS],
        }
    }
}

impl TimerStore {
    /// The `Timers` answer: the feature's state, then four messages of four timers.
    pub fn list(&mut self, payload: &str) -> Vec<Value> {
        match payload.trim().to_ascii_uppercase().as_str() {
            "0" | "OFF" => self.enabled = false,
            "1" | "ON" => self.enabled = true,
            "2" | "TOGGLE" => self.enabled = !self.enabled,
            _ => {}
        }
        let mut out = vec![json!({"Timers": if self.enabled { "ON" } else { "OFF" }})];
        for group in 0..4 {
            let mut members = Map::new();
            for n in group * 4..group * 4 + 4 {
                members.insert(format!("Timer{}", n + 1), self.show(n));
            }
            out.push(json!({ format!("Timers{}", group + 1): members }));
        }
        out
    }

    /// The `Timer<n>` command (`n` from 1); `None` for a timer that does not exist.
    pub fn command(&mut self, n: usize, payload: &str) -> Option<Value> {
        let index = n.checked_sub(1).filter(|i| *i < TIMERS)?;
        let payload = payload.trim();
        let key = format!("Timer{n}");
        if payload.starts_with('{') {
            let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(payload) else {
                return Some(json!({ key: "Invalid JSON" }));
            };
            if let Err(word) = self.set(index, &fields) {
                return Some(json!({ key: word }));
            }
        } else if let Ok(number) = payload.parse::<usize>() {
            match number {
                0 => {
                    self.timers[index] = Timer {
                        output: 1,
                        ..Timer::default()
                    }
                }
                other if other <= TIMERS => self.timers[index] = self.timers[other - 1],
                _ => return Some(json!({ key: "Error" })),
            }
        } else if !payload.is_empty() {
            return Some(json!({ key: "Error" }));
        }
        if self.timers[index].arm {
            self.last_fired[index] = i64::MIN;
        }
        Some(json!({ key: self.show(index) }))
    }

    fn set(&mut self, index: usize, fields: &Map<String, Value>) -> Result<(), &'static str> {
        let mut timer = self.timers[index];
        for (name, value) in fields {
            let number = || {
                value
                    .as_u64()
                    .or_else(|| value.as_str()?.trim().parse().ok())
            };
            match name.to_ascii_lowercase().as_str() {
                "enable" | "arm" => timer.arm = number().ok_or("Error")? != 0,
                "mode" => timer.mode = number().filter(|m| *m <= 2).ok_or("Error")? as u8,
                "time" => timer.time = parse_time(value.as_str().ok_or("Error")?).ok_or("Error")?,
                "window" => timer.window = number().ok_or("Error")?.min(15) as u8,
                "days" => {
                    let days = value.as_str().ok_or("Error")?;
                    timer.days = days.chars().take(7).enumerate().fold(0, |bits, (day, c)| {
                        if c == '0' || c == '-' {
                            bits
                        } else {
                            bits | 1 << day
                        }
                    });
                }
                "repeat" => timer.repeat = number().ok_or("Error")? != 0,
                "output" => {
                    timer.output = number().filter(|o| (1..=16).contains(o)).ok_or("Error")? as u8
                }
                "action" => timer.action = number().ok_or("Error")?.min(3) as u8,
                _ => {}
            }
        }
        self.timers[index] = timer;
        Ok(())
    }

    fn show(&self, index: usize) -> Value {
        let t = self.timers[index];
        let time = if t.mode == 0 {
            format!("{:02}:{:02}", t.time / 60, t.time % 60)
        } else {
            let sign = if t.time < 0 { '-' } else { '+' };
            let m = t.time.unsigned_abs();
            format!("{sign}{:02}:{:02}", m / 60, m % 60)
        };
        let days: String = (0..7)
            .map(|d| if t.days & 1 << d != 0 { '1' } else { '0' })
            .collect();
        json!({
            "Enable": u8::from(t.arm), "Mode": t.mode, "Time": time, "Window": t.window,
            "Days": days, "Repeat": u8::from(t.repeat), "Output": t.output, "Action": t.action
        })
    }

    /// How many timers are set (not as the firmware starts), and the local times of the armed
    /// time-of-day ones (none fire while the feature is off), sorted.
    #[cfg(test)]
    pub fn summary(&self) -> (usize, Vec<u16>) {
        let unset = TimerStore::default().timers[0];
        let set = self.timers.iter().filter(|t| **t != unset).count();
        let mut armed: Vec<u16> = self
            .timers
            .iter()
            .filter(|t| self.enabled && t.arm && t.mode == 0)
            .map(|t| t.time as u16)
            .collect();
        armed.sort_unstable();
        (set, armed)
    }

    /// The timers due at `clock` (each fires once in its minute); disarms the one-shot ones.
    pub fn due(&mut self, clock: SimClock) -> Vec<Firing> {
        if !self.enabled {
            return Vec::new();
        }
        let (sunrise, sunset) = clock.sun_minutes();
        let minute = i32::from(clock.minute_of_day());
        let stamp = clock.minute_stamp();
        let mut firings = Vec::new();
        for (index, timer) in self.timers.iter_mut().enumerate() {
            if !timer.arm
                || timer.days & 1 << clock.weekday() == 0
                || self.last_fired[index] == stamp
            {
                continue;
            }
            let at = match timer.mode {
                0 => i32::from(timer.time),
                1 => i32::from(sunrise) + i32::from(timer.time),
                _ => i32::from(sunset) + i32::from(timer.time),
            }
            .rem_euclid(1_440);
            if at == minute {
                self.last_fired[index] = stamp;
                if !timer.repeat {
                    timer.arm = false;
                }
                firings.push(Firing {
                    output: timer.output,
                    action: timer.action,
                });
            }
        }
        firings
    }
}

/// "07:30", "-00:30", "+1:15", "-2:23" -> signed minutes.
fn parse_time(text: &str) -> Option<i16> {
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
    Some(if negative { -(h * 60 + m) } else { h * 60 + m })
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
    fn a_timer_is_set_in_parts_shown_whole_and_cleared() {
        let mut store = TimerStore::default();
        let shown = store
            .command(
                3,
                r#"{"Enable":1,"Time":"07:31","Days":"SMTWTFS","Repeat":1,"Output":1,"Action":1}"#,
            )
            .expect("timer 3");
        assert_eq!(
            shown,
            json!({"Timer3": {"Enable":1,"Mode":0,"Time":"07:31","Window":0,"Days":"1111111","Repeat":1,"Output":1,"Action":1}})
        );
        let disarmed = store.command(3, r#"{"Arm":0}"#).expect("timer 3");
        assert_eq!(disarmed["Timer3"]["Enable"], 0);
        assert_eq!(
            disarmed["Timer3"]["Time"], "07:31",
            "only the given member changes"
        );
        assert_eq!(
            store.command(4, "3").expect("copy")["Timer4"]["Time"],
            "07:31"
        );
        assert_eq!(
            store.command(3, "0").expect("clear")["Timer3"]["Days"],
            "0000000"
        );
        assert_eq!(
            store.command(3, "{broken").expect("answer"),
            json!({"Timer3": "Invalid JSON"})
        );
        assert_eq!(
            store.command(3, r#"{"Time":"25:00"}"#).expect("answer"),
            json!({"Timer3": "Error"})
        );
        assert!(store.command(17, "").is_none());
        let sunset = store
            .command(5, r#"{"Mode":2,"Time":"-0:30"}"#)
            .expect("timer 5");
        assert_eq!(sunset["Timer5"]["Time"], "-00:30");
    }

    #[test]
    fn the_list_comes_in_four_messages_after_the_feature_state() {
        let mut store = TimerStore::default();
        let list = store.list("");
        assert_eq!(list.len(), 5);
        assert_eq!(list[0], json!({"Timers": "ON"}));
        assert!(list[4]["Timers4"]["Timer16"].is_object());
        assert_eq!(store.list("0")[0], json!({"Timers": "OFF"}));
    }

    #[test]
    fn timers_fire_once_in_their_minute_on_their_days_and_only_when_armed() {
        let mut store = TimerStore::default();
        store.command(
            1,
            r#"{"Enable":1,"Time":"07:31","Days":"1000000","Repeat":1,"Output":1,"Action":2}"#,
        );
        store.command(
            2,
            r#"{"Enable":1,"Time":"07:31","Days":"0111111","Repeat":1,"Output":1,"Action":1}"#,
        );
        store.command(
            3,
            r#"{"Enable":1,"Time":"07:32","Days":"1111111","Repeat":0,"Output":2,"Action":0}"#,
        );
        assert!(store.due(clock(0)).is_empty());
        assert_eq!(
            store.due(clock(1)),
            [Firing {
                output: 1,
                action: 2
            }],
            "Sunday only"
        );
        assert!(store.due(clock(1)).is_empty(), "once in its minute");
        assert_eq!(
            store.due(clock(2)),
            [Firing {
                output: 2,
                action: 0
            }]
        );
        assert!(
            store.due(clock(2 + 1_440)).is_empty(),
            "a one-shot timer disarmed itself"
        );
        store.list("0");
        assert!(
            store.due(clock(1 + 7 * 1_440)).is_empty(),
            "the feature is off"
        );
    }

    #[test]
    fn sun_timers_fire_at_the_offset_from_today_s_sunset() {
        let mut store = TimerStore::default();
        store.command(
            1,
            r#"{"Enable":1,"Mode":2,"Time":"-00:30","Days":"1111111","Repeat":1,"Action":1}"#,
        );
        let (_, sunset) = clock(0).sun_minutes();
        let due_in = i64::from(sunset) - 30 - (7 * 60 + 30);
        assert!(store.due(clock(due_in - 1)).is_empty());
        assert_eq!(store.due(clock(due_in)).len(), 1);
    }
}
