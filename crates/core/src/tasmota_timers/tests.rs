use serde_json::{json, Value};

use super::*;
use crate::schedule::{Schedule, ScheduleAction, Weekdays, When};
use crate::schedule_book::{ScheduleBook, ScheduleChange, ScheduleKind};

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

fn topic(command: &str) -> String {
    format!("cmnd/plug/{command}")
}

fn loaded_book() -> ScheduleBook {
    let mut book = ScheduleBook::new(ScheduleKind::Tasmota);
    book.loaded = true;
    book.all_armed = Some(true);
    book
}

#[test]
fn the_form_becomes_the_documented_timer_json_and_reads_back_the_same() {
    let cases = [
        (
            Schedule {
                when: When::At(7 * 60 + 30),
                days: Weekdays::WORKDAYS,
                ..Schedule::default()
            },
            json!({"Enable":1,"Mode":0,"Time":"07:30","Window":0,"Days":"0111110","Repeat":1,"Output":1,"Action":1}),
        ),
        (
            Schedule {
                when: When::Sunset(-30),
                days: Weekdays::ALL,
                action: ScheduleAction::Off,
                relay: 2,
                ..Schedule::default()
            },
            json!({"Enable":1,"Mode":2,"Time":"-00:30","Window":0,"Days":"1111111","Repeat":1,"Output":2,"Action":0}),
        ),
        (
            Schedule {
                enabled: false,
                when: When::Sunrise(75),
                days: Weekdays::WEEKEND,
                action: ScheduleAction::Toggle,
                repeat: false,
                window_minutes: 15,
                ..Schedule::default()
            },
            json!({"Enable":0,"Mode":1,"Time":"+01:15","Window":15,"Days":"1000001","Repeat":0,"Output":1,"Action":2}),
        ),
        (
            Schedule {
                action: ScheduleAction::Rule,
                ..Schedule::default()
            },
            json!({"Enable":1,"Mode":0,"Time":"07:00","Window":0,"Days":"0111110","Repeat":1,"Output":1,"Action":3}),
        ),
    ];
    for (schedule, expected) in cases {
        assert_eq!(timer_json(&schedule), expected);
        assert_eq!(parse_timer(&object(expected)), Some(schedule));
    }
}

#[test]
fn timers_written_by_hand_or_old_firmware_are_read() {
    // The documentation's own examples.
    let t4 = parse_timer(&object(json!({"Enable":1,"Time":"16:23","Window":15,"Days":"SM00TF0","Repeat":0,"Output":2,"Action":2}))).expect("timer");
    assert_eq!(t4.days, Weekdays(0b011_0011));
    assert_eq!(
        t4.describe(Some("relay 2")),
        "Toggle at 16:23, Mon, Thu, Fri, Sun, relay 2, once, ± 15 min at random"
    );
    let sunset = parse_timer(&object(json!({"Enable":1,"Mode":2,"Time":"-2:23","Window":0,"Days":"11TW11S","Repeat":1,"Output":1,"Action":1}))).expect("timer");
    assert_eq!(
        (sunset.when, sunset.days),
        (When::Sunset(-143), Weekdays::ALL)
    );
    let dashes = parse_timer(&object(json!({"Arm":1,"Mode":0,"Time":"17:56","Window":0,"Days":"-MTWTF-","Repeat":0,"Output":1,"Action":1}))).expect("timer");
    assert!(dashes.enabled, "old firmware's Arm");
    assert_eq!(dashes.days, Weekdays::WORKDAYS);
    // Tasmota stores up to +12:00 after sunrise.
    let noon = parse_timer(&object(
        json!({"Enable":1,"Mode":1,"Time":"+12:00","Days":"1111111","Repeat":1,"Action":1}),
    ))
    .expect("timer");
    assert_eq!(noon.when, When::Sunrise(720));
    for broken in [
        json!({"Enable":1}),
        json!({"Enable":1,"Time":"25:00","Days":"1111111","Action":1}),
        json!({"Enable":1,"Time":7,"Days":"1111111","Action":1}),
        json!({"Enable":1,"Mode":5,"Time":"07:00","Days":"1111111","Action":1}),
        json!({"Enable":"yes","Time":"07:00","Days":"1111111","Action":1}),
    ] {
        assert_eq!(parse_timer(&object(broken.clone())), None, "{broken}");
    }
}

#[test]
fn the_full_list_arrives_in_four_messages_and_free_slots_are_not_schedules() {
    let cleared = json!({"Enable":0,"Mode":0,"Time":"00:00","Window":0,"Days":"0000000","Repeat":0,"Output":1,"Action":0});
    let set = json!({"Enable":1,"Mode":0,"Time":"06:30","Window":0,"Days":"0111110","Repeat":1,"Output":1,"Action":1});
    let mut book = ScheduleBook::new(ScheduleKind::Tasmota);
    assert!(read_result(&mut book, &object(json!({"Timers":"OFF"}))));
    assert_eq!(book.all_armed, Some(false));
    for group in 1..=4u32 {
        let mut members = Map::new();
        for n in (group - 1) * 4 + 1..=group * 4 {
            members.insert(
                format!("Timer{n}"),
                if n == 3 || n == 16 {
                    set.clone()
                } else {
                    cleared.clone()
                },
            );
        }
        assert!(!book.loaded || group == 1);
        read_result(
            &mut book,
            &object(json!({ format!("Timers{group}"): members })),
        );
    }
    assert!(book.loaded);
    assert_eq!(
        book.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        [3, 16]
    );
    assert!(!read_result(&mut book, &object(json!({"POWER":"ON"}))));
    assert!(
        !read_result(&mut book, &object(json!({"Timer17": set}))),
        "there are 16"
    );
}

#[test]
fn create_takes_the_first_free_timer_and_arms_the_feature_if_it_is_off() {
    let mut book = loaded_book();
    book.upsert(crate::schedule_book::ScheduleEntry {
        id: 1,
        schedule: Schedule::default(),
        other_calls: None,
    });
    let schedule = Schedule {
        when: When::At(6 * 60 + 30),
        ..Schedule::default()
    };
    let (messages, id) =
        change_messages(&book, &ScheduleChange::Create(schedule.clone()), topic).expect("room");
    assert_eq!(id, Some(2));
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].topic, "cmnd/plug/Timer2");
    assert_eq!(
        String::from_utf8_lossy(&messages[0].payload),
        r#"{"Action":1,"Days":"0111110","Enable":1,"Mode":0,"Output":1,"Repeat":1,"Time":"06:30","Window":0}"#
    );
    book.all_armed = Some(false);
    let (messages, _) =
        change_messages(&book, &ScheduleChange::Create(schedule.clone()), topic).expect("room");
    assert_eq!(
        messages
            .last()
            .map(|m| (m.topic.as_str(), m.payload.as_slice())),
        Some(("cmnd/plug/Timers", &b"1"[..]))
    );
    let disabled = Schedule {
        enabled: false,
        ..schedule
    };
    let (messages, _) =
        change_messages(&book, &ScheduleChange::Create(disabled), topic).expect("room");
    assert_eq!(messages.len(), 1, "a disabled timer needs no arming");
    let (messages, id) =
        change_messages(&book, &ScheduleChange::SetEnabled(1, false), topic).expect("message");
    assert_eq!(
        (messages[0].payload.as_slice(), id),
        (&br#"{"Enable":0}"#[..], Some(1))
    );
    let (messages, _) = change_messages(&book, &ScheduleChange::Delete(1), topic).expect("message");
    assert_eq!(
        (messages[0].topic.as_str(), messages[0].payload.as_slice()),
        ("cmnd/plug/Timer1", &b"0"[..])
    );
    for n in 1..=16 {
        book.upsert(crate::schedule_book::ScheduleEntry {
            id: n,
            schedule: Schedule::default(),
            other_calls: None,
        });
    }
    assert!(change_messages(&book, &ScheduleChange::Create(Schedule::default()), topic).is_none());
}

#[test]
fn a_change_is_confirmed_only_by_the_device_reporting_that_timer() {
    let mut book = loaded_book();
    let schedule = Schedule {
        when: When::At(6 * 60 + 30),
        ..Schedule::default()
    };
    book.begin(0, ScheduleChange::Create(schedule.clone()), Some(2));
    // Another timer's report does not confirm it.
    read_result(
        &mut book,
        &object(json!({"Timer5": timer_json(&Schedule::default())})),
    );
    assert!(book.pending.is_some());
    read_result(&mut book, &object(json!({"Timer2": timer_json(&schedule)})));
    assert_eq!(book.pending, None);
    assert_eq!(book.confirmed.as_deref(), Some("Saved on the device."));
    assert_eq!(book.notice, None);
    assert_eq!(book.entry(2).map(|e| &e.schedule), Some(&schedule));

    // Stored differently: shown as the device has it, and said.
    let sent = Schedule {
        window_minutes: 5,
        ..schedule.clone()
    };
    book.begin(0, ScheduleChange::Update(2, sent), Some(2));
    read_result(&mut book, &object(json!({"Timer2": timer_json(&schedule)})));
    assert!(book
        .notice
        .as_deref()
        .is_some_and(|n| n.starts_with("The device stored it differently")));

    // Refused in the device's words.
    book.begin(0, ScheduleChange::Update(2, schedule.clone()), Some(2));
    read_result(&mut book, &object(json!({"Timer2": "No outputs"})));
    assert_eq!(
        book.notice.as_deref(),
        Some("The device refused: No outputs.")
    );
    assert_eq!(book.pending, None);

    // Deleted: the device reports the cleared timer, and the slot is free.
    book.begin(0, ScheduleChange::Delete(2), Some(2));
    read_result(
        &mut book,
        &object(
            json!({"Timer2": {"Enable":0,"Mode":0,"Time":"00:00","Window":0,"Days":"0000000","Repeat":0,"Output":1,"Action":0}}),
        ),
    );
    assert_eq!(book.confirmed.as_deref(), Some("Deleted from the device."));
    assert!(book.entry(2).is_none() && book.entry(5).is_some());

    // Arming the feature is confirmed by "Timers":"ON".
    book.all_armed = Some(false);
    book.begin(0, ScheduleChange::ArmAll, None);
    read_result(&mut book, &object(json!({"Timers":"ON"})));
    assert_eq!(book.all_armed, Some(true));
    assert_eq!(book.confirmed.as_deref(), Some("Timers switched on."));
}

#[test]
fn the_clock_answer_gives_local_time_zone_skew_and_sun_times() {
    let mut book = loaded_book();
    // The browser's wall clock: 2026-11-22 06:30:00 UTC at now = 1_000.
    book.wall_offset_ms = Some(1_795_329_000_000 - 1_000);
    let payload = br#"{"StatusTIM":{"UTC":"2026-11-22T06:33:00","Local":"2026-11-22T07:33:00","StartDST":"2026-03-29T02:00:00","EndDST":"2026-10-25T03:00:00","Timezone":"+01:00","Sunrise":"07:45","Sunset":"16:30"}}"#;
    assert!(read_status_time(&mut book, 1_000, payload));
    let clock = book.clock.clone().expect("clock");
    assert_eq!(clock.local_time.as_deref(), Some("07:33"));
    assert_eq!(clock.zone.as_deref(), Some("+01:00"));
    assert_eq!(clock.utc_offset_minutes, Some(60));
    assert_eq!(clock.skew_secs, Some(180));
    assert_eq!(
        (clock.sunrise.as_deref(), clock.sunset.as_deref()),
        (Some("07:45"), Some("16:30"))
    );
    assert!(clock.is_set);
    assert_eq!(
        clock.warnings(60).len(),
        1,
        "3 min ahead: {:?}",
        clock.warnings(60)
    );

    let unset = br#"{"StatusTIM":{"UTC":"1970-01-01T00:01:07","Local":"1970-01-01T00:01:07","Timezone":99}}"#;
    assert!(read_status_time(&mut book, 1_000, unset));
    let clock = book.clock.clone().expect("clock");
    assert!(!clock.is_set);
    assert_eq!(clock.zone.as_deref(), Some("99"));
    assert!(!read_status_time(&mut book, 1_000, b"not json"));
    assert!(!read_status_time(&mut book, 1_000, br#"{"StatusTIM":7}"#));
}

#[test]
fn iso_stamps_become_unix_seconds() {
    assert_eq!(iso_seconds("1970-01-01T00:00:00"), Some(0));
    assert_eq!(iso_seconds("2026-11-22T06:30:00"), Some(1_795_329_000));
    assert_eq!(iso_seconds("2026-11-22T06:30:00Z"), Some(1_795_329_000));
    assert_eq!(iso_seconds("2024-02-29T12:00:00.123"), Some(1_709_208_000));
    for bad in [
        "",
        "Sun Nov 22 06:30:00 2026",
        "2026-13-01T00:00:00",
        "2026-11-22T24:00:00",
        "2026-11-22",
    ] {
        assert_eq!(iso_seconds(bad), None, "{bad}");
    }
}
