use serde_json::{json, Value};

use super::*;
use crate::schedule::{Schedule, ScheduleAction, Weekdays, When};
use crate::schedule_book::ScheduleChange;

fn at(h: u16, m: u16, days: Weekdays, action: ScheduleAction) -> Schedule {
    Schedule {
        when: When::At(h * 60 + m),
        days,
        action,
        ..Schedule::default()
    }
}

#[test]
fn the_form_becomes_a_timespec_the_shelly_app_can_read() {
    let cases = [
        (
            at(7, 30, Weekdays::WORKDAYS, ScheduleAction::On),
            "0 30 7 * * MON,TUE,WED,THU,FRI",
        ),
        (
            at(22, 0, Weekdays::ALL, ScheduleAction::Off),
            "0 0 22 * * *",
        ),
        (
            at(0, 5, Weekdays::WEEKEND, ScheduleAction::Toggle),
            "0 5 0 * * SUN,SAT",
        ),
        (
            Schedule {
                when: When::Sunset(-30),
                days: Weekdays::ALL,
                ..Schedule::default()
            },
            "@sunset-0h30m * * *",
        ),
        (
            Schedule {
                when: When::Sunrise(75),
                days: Weekdays(0b000_0010),
                ..Schedule::default()
            },
            "@sunrise+1h15m * * MON",
        ),
        (
            Schedule {
                when: When::Sunrise(0),
                days: Weekdays::ALL,
                ..Schedule::default()
            },
            "@sunrise * * *",
        ),
        (
            Schedule {
                when: When::Cron(" 0 */15 * * * * ".into()),
                ..Schedule::default()
            },
            "0 */15 * * * *",
        ),
    ];
    for (schedule, expected) in cases {
        assert_eq!(timespec(&schedule), expected);
        // And back: what the page writes, it reads as the same moment and days.
        let (when, days) = parse_timespec(expected);
        if !matches!(schedule.when, When::Cron(_)) {
            assert_eq!(
                (when, days),
                (schedule.when.clone(), schedule.days),
                "{expected}"
            );
        }
    }
}

#[test]
fn timespecs_written_by_others_are_read_where_the_form_can_express_them() {
    let cases: [(&str, When, u8); 10] = [
        ("0 30 7 * * MON-FRI", When::At(450), 0b011_1110),
        ("0 30 7 * * 1-5", When::At(450), 0b011_1110),
        ("30 7 * * *", When::At(450), 0x7f),
        ("0 0 8 * * 0,6", When::At(480), 0b100_0001),
        ("0 0 8 * * 7", When::At(480), 0b000_0001),
        ("0 0 8 ? * sat,sun", When::At(480), 0b100_0001),
        ("0 0 8 * * MON-SUN", When::At(480), 0x7f),
        ("0 0 8 * * * *", When::At(480), 0x7f),
        ("@sunset-30m", When::Sunset(-30), 0x7f),
        ("@sunrise+2h * * TUE", When::Sunrise(120), 0b000_0100),
    ];
    for (text, when, days) in cases {
        assert_eq!(parse_timespec(text), (when, Weekdays(days)), "{text}");
    }
    for raw in [
        "0 */15 * * * *",
        "30 30 7 * * *",
        "0 0 8 1 * *",
        "0 0 8 * 12 *",
        "0 0 8 * * FRI-MON",
        "0 0 8 * * 2#1",
        "0 0 8 * * * 2027",
        "@sunset+13h * * *",
        "@noon",
        "",
    ] {
        assert!(matches!(parse_timespec(raw).0, When::Cron(_)), "{raw}");
    }
}

#[test]
fn jobs_are_read_with_their_action_relay_and_state() {
    let job = |calls: Value| {
        let v = json!({"id": 4, "enable": true, "timespec": "0 30 7 * * MON,TUE,WED,THU,FRI", "calls": calls});
        parse_job(v.as_object().expect("object"))
    };
    let on = job(json!([{"method": "Switch.Set", "params": {"id": 0, "on": true}}])).expect("job");
    assert_eq!(on.id, 4);
    assert_eq!(on.schedule.action, ScheduleAction::On);
    assert_eq!(on.schedule.relay, 1);
    assert!(on.schedule.enabled);
    assert_eq!(on.schedule.describe(None), "On at 07:30, Mon–Fri");
    let off_2 =
        job(json!([{"method": "switch.set", "params": {"id": 1, "on": false}}])).expect("job");
    assert_eq!(
        (off_2.schedule.action, off_2.schedule.relay),
        (ScheduleAction::Off, 2)
    );
    let toggle = job(json!([{"method": "Switch.Toggle", "params": {"id": 0}}])).expect("job");
    assert_eq!(toggle.schedule.action, ScheduleAction::Toggle);
    let reboot = job(json!([{"method": "Shelly.Reboot"}])).expect("job");
    assert_eq!(reboot.schedule.action, ScheduleAction::Other);
    assert_eq!(reboot.other_calls.as_deref(), Some("Shelly.Reboot"));
    let two = job(json!([{"method": "Switch.Set", "params": {"id": 0, "on": true}}, {"method": "Script.Start", "params": {"id": 1}}])).expect("job");
    assert_eq!(two.other_calls.as_deref(), Some("Switch.Set, Script.Start"));
    assert!(
        job(json!([{"method": "Switch.Set", "params": {"id": 99, "on": true}}]))
            .is_some_and(|j| j.schedule.action == ScheduleAction::Other)
    );
    assert!(parse_job(json!({"id": -1, "timespec": "x"}).as_object().expect("o")).is_none());
    assert!(parse_job(json!({"id": 1}).as_object().expect("o")).is_none());
}

#[test]
fn changes_become_the_documented_calls() {
    let s = at(6, 30, Weekdays::WORKDAYS, ScheduleAction::On);
    let (method, params) = change_call(&ScheduleChange::Create(s.clone())).expect("call");
    assert_eq!(method, "Schedule.Create");
    assert_eq!(
        params,
        json!({"enable": true, "timespec": "0 30 6 * * MON,TUE,WED,THU,FRI", "calls": [{"method": "Switch.Set", "params": {"id": 0, "on": true}}]})
    );
    let (method, params) = change_call(&ScheduleChange::Update(
        3,
        Schedule {
            relay: 2,
            action: ScheduleAction::Toggle,
            ..s
        },
    ))
    .expect("call");
    assert_eq!(method, "Schedule.Update");
    assert_eq!(params["id"], 3);
    assert_eq!(
        params["calls"],
        json!([{"method": "Switch.Toggle", "params": {"id": 1}}])
    );
    assert_eq!(
        change_call(&ScheduleChange::SetEnabled(3, false)),
        Some(("Schedule.Update", json!({"id": 3, "enable": false})))
    );
    assert_eq!(
        change_call(&ScheduleChange::Delete(3)),
        Some(("Schedule.Delete", json!({"id": 3})))
    );
    assert_eq!(change_call(&ScheduleChange::ArmAll), None);
}

#[test]
fn the_clock_is_read_with_its_offset_and_skew() {
    // 2026-11-22 06:30:00 UTC, device at 07:30 local.
    let status = json!({"time": "07:30", "unixtime": 1_795_329_000});
    let clock = read_sys_status(
        status.as_object().expect("o"),
        Some(1_795_329_000_000 - 5_000),
        Some("Europe/Berlin".into()),
    );
    assert!(clock.is_set);
    assert_eq!(clock.utc_offset_minutes, Some(60));
    assert_eq!(clock.skew_secs, Some(5));
    assert_eq!(clock.zone.as_deref(), Some("Europe/Berlin"));
    // West of Greenwich across midnight: 23:30 local at 04:30 UTC is UTC-05:00.
    let west = json!({"time": "23:30", "unixtime": 1_795_329_000 - 2 * 3_600});
    assert_eq!(
        read_sys_status(west.as_object().expect("o"), None, None).utc_offset_minutes,
        Some(-300)
    );
    let unset = json!({"time": null, "unixtime": null});
    assert!(!read_sys_status(unset.as_object().expect("o"), None, None).is_set);
    let config = json!({"location": {"tz": "Europe/Madrid", "lat": 40.4, "lon": -3.7}});
    assert_eq!(
        zone_of(config.as_object().expect("o")).as_deref(),
        Some("Europe/Madrid")
    );
}
