//! Schedules end to end through a [`Device`] and a [`Dashboard`]: what is asked when the user
//! opens them, what is sent for a change, what confirms it, and what happens when the device
//! is silent, refuses, or the broker drops.

use serde_json::json;

use crate::schedule::{Schedule, ScheduleAction, Weekdays, When};
use crate::schedule_book::{
    ScheduleChange, ScheduleKind, WallClock, SCHEDULE_CONFIRMATION_TIMEOUT,
};
use crate::test_support::{connected, outgoing, pairs, T0};

/// 2026-11-22 06:30:00 UTC in the browser, at `T0`, in Berlin (UTC+01:00).
fn wall() -> WallClock {
    WallClock {
        unix_ms: 1_795_329_000_000,
        utc_offset_minutes: 60,
    }
}

const CLEARED: &str = r#"{"Enable":0,"Mode":0,"Time":"00:00","Window":0,"Days":"0000000","Repeat":0,"Output":1,"Action":0}"#;

fn tasmota_list(set: &[(u32, &str)]) -> Vec<String> {
    (1..=4u32)
        .map(|group| {
            let members: Vec<String> = ((group - 1) * 4 + 1..=group * 4)
                .map(|n| {
                    let timer = set
                        .iter()
                        .find(|(id, _)| *id == n)
                        .map_or(CLEARED, |(_, t)| *t);
                    format!(r#""Timer{n}":{timer}"#)
                })
                .collect();
            format!(r#"{{"Timers{group}":{{{}}}}}"#, members.join(","))
        })
        .collect()
}

#[test]
fn tasmota_timers_are_asked_listed_created_and_confirmed() {
    let mut device = connected("tasmota:plug");
    assert_eq!(device.state().schedules.kind, ScheduleKind::Tasmota);
    assert!(
        !device
            .subscriptions()
            .contains(&"stat/plug/STATUS7".to_string()),
        "not before opening"
    );
    device.open_schedules(T0, wall());
    assert!(device
        .subscriptions()
        .contains(&"stat/plug/STATUS7".to_string()));
    assert_eq!(
        outgoing(&mut device),
        pairs(&[("cmnd/plug/Timers", ""), ("cmnd/plug/STATUS", "7")])
    );
    device.handle_message(T0, "stat/plug/RESULT", br#"{"Timers":"OFF"}"#);
    for message in tasmota_list(&[(
        1,
        r#"{"Enable":1,"Mode":2,"Time":"-00:30","Window":0,"Days":"1111111","Repeat":1,"Output":1,"Action":1}"#,
    )]) {
        device.handle_message(T0, "stat/plug/RESULT", message.as_bytes());
    }
    device.handle_message(T0, "stat/plug/STATUS7", br#"{"StatusTIM":{"UTC":"2026-11-22T06:30:01","Local":"2026-11-22T07:30:01","Timezone":"+01:00","Sunrise":"07:45","Sunset":"16:30"}}"#);
    let book = &device.state().schedules;
    assert!(book.loaded);
    assert_eq!(book.all_armed, Some(false));
    assert_eq!(book.entries.len(), 1);
    assert_eq!(
        book.entries[0].schedule.describe(None),
        "On 0:30 before sunset, every day"
    );
    let clock = book.clock.clone().expect("clock");
    assert_eq!(clock.local_time.as_deref(), Some("07:30"));
    assert!(clock.warnings(60).is_empty(), "{:?}", clock.warnings(60));

    // A new timer goes to the first free slot, with the feature armed since it is off.
    let heater = Schedule {
        when: When::At(6 * 60 + 30),
        days: Weekdays::WORKDAYS,
        ..Schedule::default()
    };
    device
        .change_schedule(T0 + 1_000, ScheduleChange::Create(heater.clone()))
        .expect("sent");
    assert_eq!(
        outgoing(&mut device),
        pairs(&[
            (
                "cmnd/plug/Timer2",
                r#"{"Action":1,"Days":"0111110","Enable":1,"Mode":0,"Output":1,"Repeat":1,"Time":"06:30","Window":0}"#
            ),
            ("cmnd/plug/Timers", "1"),
        ])
    );
    assert!(
        device.state().schedules.pending.is_some(),
        "not saved on the page's word"
    );
    assert!(device.state().schedules.entry(2).is_none());
    assert!(device
        .change_schedule(T0 + 1_100, ScheduleChange::Delete(1))
        .is_err_and(|e| e.contains("still awaiting")));
    assert_eq!(
        device.poll_timeout(),
        Some(T0 + 1_000 + SCHEDULE_CONFIRMATION_TIMEOUT)
    );
    device.handle_message(T0 + 1_200, "stat/plug/RESULT", br#"{"Timer2":{"Enable":1,"Mode":0,"Time":"06:30","Window":0,"Days":"0111110","Repeat":1,"Output":1,"Action":1}}"#);
    device.handle_message(T0 + 1_200, "stat/plug/RESULT", br#"{"Timers":"ON"}"#);
    let book = &device.state().schedules;
    assert_eq!(book.pending, None);
    assert_eq!(book.confirmed.as_deref(), Some("Saved on the device."));
    assert_eq!(book.entry(2).map(|e| &e.schedule), Some(&heater));
    assert_eq!(book.all_armed, Some(true));
}

#[test]
fn a_silent_device_leaves_the_change_unconfirmed_and_the_list_is_asked_again() {
    let mut device = connected("tasmota:plug");
    device.open_schedules(T0, wall());
    for message in tasmota_list(&[]) {
        device.handle_message(T0, "stat/plug/RESULT", message.as_bytes());
    }
    outgoing(&mut device);
    device
        .change_schedule(T0, ScheduleChange::Create(Schedule::default()))
        .expect("sent");
    outgoing(&mut device);
    device.handle_timeout(T0 + SCHEDULE_CONFIRMATION_TIMEOUT);
    let book = &device.state().schedules;
    assert_eq!(book.pending, None);
    assert!(book
        .notice
        .as_deref()
        .is_some_and(|n| n.contains("did not confirm")));
    assert!(book.entries.is_empty(), "nothing shown as saved");
    assert!(outgoing(&mut device).contains(&("cmnd/plug/Timers".to_string(), String::new())));
}

#[test]
fn a_reconnect_drops_the_change_in_flight_and_asks_the_list_again() {
    let mut device = connected("tasmota:plug");
    device.open_schedules(T0, wall());
    for message in tasmota_list(&[]) {
        device.handle_message(T0, "stat/plug/RESULT", message.as_bytes());
    }
    device
        .change_schedule(T0, ScheduleChange::Create(Schedule::default()))
        .expect("sent");
    device.handle_broker_disconnected();
    assert!(device
        .state()
        .schedules
        .notice
        .as_deref()
        .is_some_and(|n| n.contains("dropped")));
    assert_eq!(
        device.change_schedule(T0, ScheduleChange::Delete(1)),
        Err("Not sent: the page is not connected to the broker.".into())
    );
    outgoing(&mut device);
    device.handle_broker_connected(T0 + 5_000);
    let asked = outgoing(&mut device);
    assert!(
        asked.contains(&("cmnd/plug/Timers".to_string(), String::new())),
        "{asked:?}"
    );
}

fn shelly_reply(device: &mut crate::adapter::Device, id: u64, result: serde_json::Value) {
    let reply = json!({"id": id, "src": "shellyplugsg3-1", "dst": "sb-test-0", "result": result});
    device.handle_message(T0, "sb-test-0/rpc", reply.to_string().as_bytes());
}

fn rpc(payload: &str) -> serde_json::Value {
    serde_json::from_str(payload).expect("json")
}

#[test]
fn shelly_jobs_are_listed_created_and_saved_only_when_the_list_shows_them() {
    let mut device = connected("shelly:shellyplugsg3-1");
    assert_eq!(device.state().schedules.kind, ScheduleKind::Shelly);
    device.open_schedules(T0, wall());
    let asked: Vec<serde_json::Value> = outgoing(&mut device).iter().map(|(_, p)| rpc(p)).collect();
    let methods: Vec<&str> = asked.iter().filter_map(|c| c["method"].as_str()).collect();
    assert_eq!(methods, ["Schedule.List", "Sys.GetConfig", "Sys.GetStatus"]);
    let id = |i: usize| asked[i]["id"].as_u64().expect("id");
    shelly_reply(
        &mut device,
        id(0),
        json!({"jobs": [{"id": 1, "enable": true, "timespec": "0 0 22 * * *", "calls": [{"method": "Switch.Set", "params": {"id": 0, "on": false}}]}], "rev": 3}),
    );
    shelly_reply(
        &mut device,
        id(1),
        json!({"location": {"tz": "Europe/Berlin"}}),
    );
    shelly_reply(
        &mut device,
        id(2),
        json!({"time": "07:30", "unixtime": 1_795_329_000}),
    );
    let book = &device.state().schedules;
    assert!(book.loaded);
    assert_eq!(
        book.entries[0].schedule.describe(None),
        "Off at 22:00, every day"
    );
    let clock = book.clock.clone().expect("clock");
    assert_eq!(
        (clock.zone.as_deref(), clock.utc_offset_minutes),
        (Some("Europe/Berlin"), Some(60))
    );

    let heater = Schedule {
        when: When::At(6 * 60 + 30),
        ..Schedule::default()
    };
    device
        .change_schedule(T0, ScheduleChange::Create(heater))
        .expect("sent");
    let sent = outgoing(&mut device);
    assert_eq!(sent[0].0, "shellyplugsg3-1/rpc");
    let create = rpc(&sent[0].1);
    assert_eq!(create["method"], "Schedule.Create");
    assert_eq!(
        create["params"]["timespec"],
        "0 30 6 * * MON,TUE,WED,THU,FRI"
    );
    shelly_reply(
        &mut device,
        create["id"].as_u64().expect("id"),
        json!({"id": 2, "rev": 4}),
    );
    assert!(
        device.state().schedules.pending.is_some(),
        "the answer alone does not save it"
    );
    let list = rpc(&outgoing(&mut device)[0].1);
    assert_eq!(list["method"], "Schedule.List");
    shelly_reply(
        &mut device,
        list["id"].as_u64().expect("id"),
        json!({"jobs": [
        {"id": 1, "enable": true, "timespec": "0 0 22 * * *", "calls": [{"method": "Switch.Set", "params": {"id": 0, "on": false}}]},
        {"id": 2, "enable": true, "timespec": "0 30 6 * * MON,TUE,WED,THU,FRI", "calls": [{"method": "Switch.Set", "params": {"id": 0, "on": true}}]}
    ], "rev": 4}),
    );
    let book = &device.state().schedules;
    assert_eq!(book.pending, None);
    assert_eq!(book.confirmed.as_deref(), Some("Saved on the device."));
    assert_eq!(book.entries.len(), 2);
    assert_eq!(
        book.entry(2).map(|e| e.schedule.action),
        Some(ScheduleAction::On)
    );
}

#[test]
fn a_shelly_schedule_changed_by_another_client_is_read_again() {
    let mut device = connected("shelly:shellyplugsg3-1");
    let notify = |rev: u64| {
        json!({"src": "shellyplugsg3-1", "method": "NotifyStatus", "params": {"ts": 1.0, "sys": {"schedule_rev": rev}}}).to_string()
    };
    // Closed: a new revision asks nothing.
    device.handle_message(T0, "shellyplugsg3-1/events/rpc", notify(3).as_bytes());
    device.handle_message(T0, "shellyplugsg3-1/events/rpc", notify(4).as_bytes());
    assert!(outgoing(&mut device).is_empty());
    device.open_schedules(T0, wall());
    let asked: Vec<serde_json::Value> = outgoing(&mut device).iter().map(|(_, p)| rpc(p)).collect();
    shelly_reply(
        &mut device,
        asked[0]["id"].as_u64().expect("id"),
        json!({"jobs": [], "rev": 4}),
    );
    shelly_reply(
        &mut device,
        asked[2]["id"].as_u64().expect("id"),
        json!({"time": "07:30", "unixtime": 1_795_329_000, "schedule_rev": 4}),
    );
    // The same revision again: nothing; a new one: the list is asked again.
    device.handle_message(T0, "shellyplugsg3-1/events/rpc", notify(4).as_bytes());
    assert!(outgoing(&mut device).is_empty());
    device.handle_message(T0, "shellyplugsg3-1/events/rpc", notify(5).as_bytes());
    let again = outgoing(&mut device);
    assert_eq!(again.len(), 1);
    assert_eq!(rpc(&again[0].1)["method"], "Schedule.List");
}

#[test]
fn a_shelly_refusal_is_shown_in_its_own_words() {
    let mut device = connected("shelly:shellyplugsg3-1");
    device.open_schedules(T0, wall());
    let list = rpc(&outgoing(&mut device)[0].1);
    shelly_reply(
        &mut device,
        list["id"].as_u64().expect("id"),
        json!({"jobs": [], "rev": 1}),
    );
    let raw = Schedule {
        when: When::Cron("0 0 8 31 2 *".into()),
        ..Schedule::default()
    };
    device
        .change_schedule(T0, ScheduleChange::Create(raw))
        .expect("sent");
    let create = rpc(&outgoing(&mut device)[0].1);
    let error = json!({"id": create["id"], "src": "shellyplugsg3-1", "error": {"code": -103, "message": "Invalid argument 'timespec'!"}});
    device.handle_message(T0, "sb-test-0/rpc", error.to_string().as_bytes());
    let book = &device.state().schedules;
    assert_eq!(book.pending, None);
    assert_eq!(
        book.notice.as_deref(),
        Some("The device refused: Invalid argument 'timespec'! (error -103).")
    );
    assert!(book.entries.is_empty());
}

#[test]
fn kinds_without_schedules_say_so_and_send_nothing() {
    for (spec, kind) in [
        ("jsonrelay:board:GP16", ScheduleKind::None),
        ("generic:lamp/set:lamp", ScheduleKind::None),
        ("shellygen1:s1", ScheduleKind::NotOverMqtt),
        ("reading:temp:Temp:path=t", ScheduleKind::None),
    ] {
        let mut device = connected(spec);
        assert_eq!(device.state().schedules.kind, kind, "{spec}");
        device.open_schedules(T0, wall());
        assert!(outgoing(&mut device).is_empty(), "{spec}");
        let refusal = device.change_schedule(T0, ScheduleChange::Create(Schedule::default()));
        assert_eq!(refusal, Err(kind.why_none().expect("a reason")), "{spec}");
    }
}

#[test]
fn the_dashboard_subscribes_to_the_clock_topic_when_schedules_open() {
    use crate::dashboard::Dashboard;
    use crate::session::SessionOptions;
    let config = crate::device_config::parse_device_spec("tasmota:plug").expect("spec");
    let mut dashboard = Dashboard::new(SessionOptions::new("sb-test"), vec![config], 1);
    assert!(dashboard
        .open_schedules(T0, crate::dashboard::DeviceId(0), wall())
        .is_ok());
    assert!(dashboard
        .open_schedules(T0, crate::dashboard::DeviceId(5), wall())
        .is_err());
    assert!(dashboard
        .change_schedule(T0, crate::dashboard::DeviceId(0), ScheduleChange::Delete(1))
        .is_err_and(|e| e.contains("not connected")));
    assert!(dashboard.devices()[0].state().schedules.opened);
}

#[test]
fn an_open_schedule_list_asks_the_clock_again_and_a_jump_is_warned_about_by_itself() {
    let mut device = connected("tasmota:plug");
    // Not open: nothing is asked.
    device.refresh_clock(T0, wall());
    assert!(outgoing(&mut device).is_empty());
    device.open_schedules(T0, wall());
    outgoing(&mut device);
    device.handle_message(T0, "stat/plug/STATUS7", br#"{"StatusTIM":{"UTC":"2026-11-22T06:30:01","Local":"2026-11-22T07:30:01","Timezone":"+01:00"}}"#);
    let clock = device.state().schedules.clock.clone().expect("clock");
    let read = clock.read.expect("a reading to carry forward");
    // 150 s later with the panel open, the device's time has moved on with the browser's.
    assert_eq!(read.local_time_at(wall().unix_ms + 150_000), "07:32:31");
    assert!(clock.warnings(60).is_empty());

    // A minute later the page asks again (clock only), and the device's clock has jumped.
    let later = T0 + crate::schedule_book::CLOCK_REFRESH_MS;
    let wall_later = WallClock {
        unix_ms: wall().unix_ms + 60_000,
        ..wall()
    };
    device.refresh_clock(later, wall_later);
    assert_eq!(outgoing(&mut device), pairs(&[("cmnd/plug/STATUS", "7")]));
    device.handle_message(later, "stat/plug/STATUS7", br#"{"StatusTIM":{"UTC":"2026-11-22T07:31:01","Local":"2026-11-22T08:31:01","Timezone":"+01:00"}}"#);
    let clock = device.state().schedules.clock.clone().expect("clock");
    let warnings = clock.warnings(60);
    assert!(
        warnings.iter().any(|w| w.contains("60 min ahead")),
        "{warnings:?}"
    );
}

#[test]
fn a_shelly_back_online_is_asked_for_its_open_schedules_again() {
    // Found by the simulation: a change's answer lost while the device went away, the list
    // asked at the reconnect unheard (the device still offline), and nothing asked when it
    // came back: the page showed no job where the device kept one.
    let mut device = connected("shelly:shellyplugsg3-1");
    device.open_schedules(T0, wall());
    outgoing(&mut device);
    // The page reconnects and asks; the broker's retained will says the device is away.
    device.handle_broker_disconnected();
    device.handle_broker_connected(T0 + 1_000);
    outgoing(&mut device);
    device.handle_message(T0 + 1_000, "shellyplugsg3-1/online", b"false");
    assert!(!device.state().is_reachable());
    assert!(
        outgoing(&mut device)
            .iter()
            .all(|(_, p)| rpc(p)["method"] != "Schedule.List"),
        "not asked while it is offline"
    );
    device.handle_message(T0 + 2_000, "shellyplugsg3-1/online", b"true");
    let methods: Vec<String> = outgoing(&mut device)
        .iter()
        .filter_map(|(_, p)| rpc(p)["method"].as_str().map(String::from))
        .collect();
    assert!(
        methods.iter().any(|m| m == "Schedule.List"),
        "asked: {methods:?}"
    );
}

#[test]
fn a_tasmota_that_connects_after_the_page_asked_is_asked_for_its_open_timers_again() {
    // Found by the simulation: after a broker restart the page asked for the timers before the
    // plug had reconnected (its retained LWT still said Online), so the question went unheard;
    // the plug's live "Online" must bring the question again.
    let mut device = connected("tasmota:plug");
    device.open_schedules(T0, wall());
    outgoing(&mut device);
    device.handle_broker_disconnected();
    device.handle_broker_connected(T0 + 1_000);
    outgoing(&mut device);
    device.handle_message(T0 + 1_000, "tele/plug/LWT", b"Online");
    device.handle_message(T0 + 1_000, "stat/plug/POWER", b"OFF");
    outgoing(&mut device);
    // The plug connects and says so, live.
    device.handle_message(T0 + 1_050, "tele/plug/LWT", b"Online");
    assert!(
        outgoing(&mut device)
            .iter()
            .any(|(topic, _)| topic == "cmnd/plug/Timers"),
        "the timers were not asked again"
    );
}
