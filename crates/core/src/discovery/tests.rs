use super::*;
use crate::device_config::{parse_device_spec, GenericAddress};

fn discovery() -> Discovery {
    Discovery::new("sb-tab-discovery".into())
}

fn found_specs(d: &Discovery) -> Vec<String> {
    d.found().iter().map(|f| f.config.to_spec()).collect()
}

const TASMOTA_CONFIG: &str = r#"{"ip":"10.0.0.7","dn":"Desk","fn":["Desk lamp",null,null,null,null,null,null,null],"hn":"desk-1234","mac":"84F3EB487D21","md":"Sonoff Basic","t":"tasmota_487D21","ft":"%prefix%/%topic%/","tp":["cmnd","stat","tele"],"rl":[1,0,0,0,0,0,0,0],"ofln":"Offline","onln":"Online","state":["OFF","ON","TOGGLE","HOLD"],"sw":"13.1.0","ver":1}"#;

#[test]
fn tasmota_fixtures() {
    // (config payload, the device= form of what is found, or nothing)
    let custom = TASMOTA_CONFIG
        .replace(
            r#""ft":"%prefix%/%topic%/""#,
            r#""ft":"home/%hostname%/%prefix%/""#,
        )
        .replace(r#""rl":[1,0"#, r#""rl":[1,1"#);
    let fixtures: Vec<(String, Option<&str>)> = vec![
        (TASMOTA_CONFIG.into(), Some("tasmota:tasmota_487D21:Desk")),
        (
            custom,
            Some("tasmota:tasmota_487D21:Desk:ft=home/desk-1234/%prefix%/"),
        ),
        (TASMOTA_CONFIG.replace(r#""rl":[1,"#, r#""rl":[0,"#), None),
        (
            TASMOTA_CONFIG.replace(r#""tp":["cmnd","stat","tele"]"#, r#""tp":["cmnd"]"#),
            None,
        ),
        (
            TASMOTA_CONFIG.replace(r#""ft":"%prefix%/%topic%/""#, r#""ft":"%topic%/""#),
            None,
        ),
        ("{broken".into(), None),
        (r#"{"t":1}"#.into(), None),
    ];
    for (payload, expected) in fixtures {
        let mut d = discovery();
        d.handle_message("tasmota/discovery/84F3EB487D21/config", payload.as_bytes());
        let specs = found_specs(&d);
        assert_eq!(specs.first().map(String::as_str), expected, "{payload}");
    }
}

#[test]
fn a_tasmota_entry_names_its_model_and_meter_and_an_empty_one_retracts_it() {
    let mut d = discovery();
    d.handle_message(
        "tasmota/discovery/84F3EB487D21/sensors",
        br#"{"sn":{"Time":"x","ENERGY":{"Power":3}},"ver":1}"#,
    );
    d.handle_message(
        "tasmota/discovery/84F3EB487D21/config",
        TASMOTA_CONFIG.as_bytes(),
    );
    assert_eq!(
        d.found()[0].detail,
        "Sonoff Basic, 1 relay, Tasmota 13.1.0, energy meter"
    );
    assert_eq!(d.found()[0].key, "tasmota:84F3EB487D21");
    let address = d.found()[0].config.address.clone();
    while d.poll_change().is_some() {}
    d.handle_message("tasmota/discovery/84F3EB487D21/config", b"");
    assert!(d.found().is_empty());
    assert_eq!(d.poll_change(), Some(DiscoveryChange::Retracted(address)));
}

#[test]
fn home_assistant_fixtures() {
    // (topic, config payload, the device= form of what is found, or nothing)
    let fixtures: &[(&str, &str, Option<&str>)] = &[
        (
            "homeassistant/switch/plug1/config",
            r#"{"name":"Plug 1","unique_id":"plug1","command_topic":"cmnd/plug1/POWER","state_topic":"stat/plug1/POWER","payload_on":"ON","payload_off":"OFF","availability_topic":"tele/plug1/LWT","payload_available":"Online","payload_not_available":"Offline","device":{"name":"Plug 1"}}"#,
            Some("generic:cmnd/plug1/POWER:stat/plug1/POWER:Plug 1:avty=tele/plug1/LWT:avty_on=Online:avty_off=Offline"),
        ),
        (
            "homeassistant/switch/node7/fan/config",
            r#"{"name":"Fan","~":"home/fan","cmd_t":"~/set","stat_t":"~","avty_t":"~/status","pl_on":"1","pl_off":"0"}"#,
            Some("generic:home/fan/set:home/fan:Fan:on=1:off=0:avty=home/fan/status"),
        ),
        (
            "homeassistant/switch/t1/config",
            r#"{"name":"T1","cmd_t":"cmnd/t1/POWER","stat_t":"tele/t1/STATE","val_tpl":"{{ value_json.POWER }}"}"#,
            Some("generic:cmnd/t1/POWER:tele/t1/STATE:T1:path=POWER"),
        ),
        (
            "homeassistant/light/bulb/config",
            r#"{"name":"Bulb","schema":"json","cmd_t":"z2m/bulb/set","stat_t":"z2m/bulb"}"#,
            Some(r#"generic:z2m/bulb/set:z2m/bulb:Bulb:on={"state"\:"ON"}:off={"state"\:"OFF"}:state_on=ON:state_off=OFF:path=state"#),
        ),
        (
            "homeassistant/switch/x/config",
            r#"{"name":"X","cmd_t":"x/set","availability":[{"topic":"x/avail","payload_available":"up"}]}"#,
            Some("generic:x/set::X:avty=x/avail:avty_on=up"),
        ),
        (
            "homeassistant/binary_sensor/door/config",
            r#"{"name":"Door","stat_t":"home/door","pl_on":"open","pl_off":"closed"}"#,
            Some("reading:home/door:Door:on=open:off=closed"),
        ),
        (
            "homeassistant/sensor/temp/config",
            r#"{"name":"Kitchen","stat_t":"home/kitchen","unit_of_meas":"°C","val_tpl":"{{ value_json['temperature'] }}"}"#,
            Some("reading:home/kitchen:Kitchen:path=temperature:unit=°C"),
        ),
        (
            "homeassistant/switch/y/config",
            r#"{"name":"Y","cmd_t":"y/set","stat_t":"y","val_tpl":"{{ value_json.on | int }}"}"#,
            Some("generic:y/set:y:Y"),
        ),
        ("homeassistant/switch/z/config", r#"{"name":"No command"}"#, None),
        ("homeassistant/cover/garage/config", r#"{"name":"Garage","cmd_t":"g/set"}"#, None),
        (
            "homeassistant/switch/w/config",
            r#"{"name":"W","cmd_t":"w:1/set"}"#,
            Some(r"generic:w\:1/set::W"),
        ),
        ("homeassistant/switch/v/config", "not json", None),
        ("homeassistant/switch/config", r#"{"name":"V","cmd_t":"v"}"#, None),
    ];
    for (topic, payload, expected) in fixtures {
        let mut d = discovery();
        d.handle_message(topic, payload.as_bytes());
        let specs = found_specs(&d);
        assert_eq!(
            specs.first().map(String::as_str),
            *expected,
            "{topic} {payload}"
        );
        if let Some(spec) = expected {
            assert!(
                parse_device_spec(spec).is_ok(),
                "a finding that a link cannot carry: {spec}"
            );
        }
    }
}

#[test]
fn templates_are_paths_only_when_they_only_pick_a_value() {
    use super::home_assistant::template_path;
    assert_eq!(
        template_path("{{ value_json.POWER }}").as_deref(),
        Some("POWER")
    );
    assert_eq!(template_path("{{value_json.a.b}}").as_deref(), Some("a.b"));
    assert_eq!(
        template_path(r#"{{ value_json["x"] }}"#).as_deref(),
        Some("x")
    );
    assert_eq!(template_path("{{ value_json.a | int }}"), None);
    assert_eq!(template_path("{{ value }}"), None);
    assert_eq!(template_path("value_json.a"), None);
}

#[test]
fn homie_v4_properties_become_switches_and_readings_once_described() {
    let mut d = discovery();
    let messages: &[(&str, &str)] = &[
        ("homie/garage/$homie", "4.0.0"),
        ("homie/garage/$name", "Garage"),
        ("homie/garage/$nodes", "relay,climate"),
        ("homie/garage/relay/$properties", "power"),
        ("homie/garage/relay/power/$name", "Light"),
        ("homie/garage/relay/power/$settable", "true"),
        ("homie/garage/climate/$properties", "temperature"),
        ("homie/garage/climate/temperature/$unit", "°C"),
    ];
    for (topic, payload) in messages {
        d.handle_message(topic, payload.as_bytes());
    }
    assert!(
        d.found().is_empty(),
        "found before the datatypes were known"
    );
    d.handle_message("homie/garage/relay/power/$datatype", b"boolean");
    d.handle_message("homie/garage/climate/temperature/$datatype", b"float");
    assert_eq!(
        found_specs(&d),
        [
            "generic:homie/garage/relay/power/set:homie/garage/relay/power:Garage Light:on=true:off=false:avty=homie/garage/$state:avty_on=ready:avty_off=lost,disconnected",
            "reading:homie/garage/climate/temperature:Garage temperature:unit=°C:avty=homie/garage/$state:avty_on=ready:avty_off=lost,disconnected",
        ]
    );
    d.handle_message("homie/garage/$homie", b"");
    assert!(
        d.found().is_empty(),
        "an emptied $homie withdraws the device"
    );
}

#[test]
fn homie_v5_description_is_read_in_one_message() {
    let mut d = discovery();
    d.handle_message(
        "homie/5/pump/$description",
        br#"{"homie":"5.0","version":1,"name":"Pump","nodes":{"out":{"name":"Output","properties":{"on":{"name":"On","datatype":"boolean","settable":true},"flow":{"datatype":"float","unit":"l/min"}}}}}"#,
    );
    let specs = found_specs(&d);
    assert_eq!(specs.len(), 2, "{specs:?}");
    assert!(specs
        .iter()
        .any(|s| s.starts_with("generic:homie/5/pump/out/on/set:homie/5/pump/out/on:Pump On")));
    assert!(specs
        .iter()
        .any(|s| s.starts_with("reading:homie/5/pump/out/flow:Pump flow:unit=l/min")));
    d.handle_message("homie/5/pump/$description", b"");
    assert!(d.found().is_empty());
}

#[test]
fn a_shelly_whose_stored_announcement_was_probed_in_vain_is_asked_again_when_it_is_live() {
    let mut d = discovery();
    // The retained `online true` of a device that is away: asked, no answer.
    d.handle_message("shellyplugsg3-b1/online", b"true");
    assert!(d.poll_outgoing().is_some());
    // A retained copy again asks nothing; the device's live announcement does.
    d.handle_message("shellyplugsg3-b1/online", b"true");
    assert!(d.poll_outgoing().is_none());
    d.heard_live("shellyplugsg3-b1/online", b"true");
    d.handle_message("shellyplugsg3-b1/online", b"true");
    let asked = d.poll_outgoing().expect("asked again once live");
    assert_eq!(asked.topic, "shellyplugsg3-b1/rpc");
    // Once found, a live announcement asks nothing more.
    let body: Value = serde_json::from_slice(&asked.payload).unwrap();
    let reply = json!({"id": body["id"], "src": "shellyplugsg3-b1", "result": {"id": "shellyplugsg3-b1", "gen": 3, "app": "PlugSG3", "name": "Fan"}});
    d.handle_message("sb-tab-discovery/rpc", reply.to_string().as_bytes());
    assert_eq!(found_specs(&d), ["shelly:shellyplugsg3-b1:Fan"]);
    d.heard_live("shellyplugsg3-b1/online", b"true");
    d.handle_message("shellyplugsg3-b1/online", b"true");
    assert!(d.poll_outgoing().is_none());
}

#[test]
fn a_shelly_is_asked_once_per_connection_and_found_from_its_answer() {
    let mut d = discovery();
    d.handle_message("shellyplugsg3-a8/online", b"true");
    d.handle_message("shellyplugsg3-a8/online", b"true");
    d.handle_message("kitchen/online", b"false");
    let asked: Vec<OutgoingMessage> = std::iter::from_fn(|| d.poll_outgoing()).collect();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].topic, "shellyplugsg3-a8/rpc");
    let body: Value = serde_json::from_slice(&asked[0].payload).unwrap();
    assert_eq!(
        (body["method"].as_str(), body["src"].as_str()),
        (Some("Shelly.GetDeviceInfo"), Some("sb-tab-discovery"))
    );
    let reply = json!({"id": body["id"], "src": "shellyplugsg3-a8", "result": {"id": "shellyplugsg3-a8", "gen": 3, "app": "PlugSG3", "name": "Heater"}});
    assert!(d.wants("sb-tab-discovery/rpc"));
    d.handle_message("sb-tab-discovery/rpc", reply.to_string().as_bytes());
    assert_eq!(found_specs(&d), ["shelly:shellyplugsg3-a8:Heater"]);
    assert_eq!(d.found()[0].detail, "PlugSG3, Gen 3");
    d.handle_broker_connected();
    d.handle_message("shellyplugsg3-a8/online", b"true");
    assert!(
        d.poll_outgoing().is_some(),
        "not asked again after a reconnect"
    );
}

#[test]
fn only_discovery_topics_are_wanted_and_floods_are_bounded() {
    let d = discovery();
    assert!(d.wants("homeassistant/switch/a/config"));
    assert!(d.wants("x/online"));
    assert!(!d.wants("a/b/online"));
    assert!(!d.wants("stat/plug/POWER"));
    let mut d = discovery();
    for i in 0..1_000 {
        let config = GenericAddress::new(format!("s{i}/set"), None);
        let payload = json!({"name": format!("S{i}"), "cmd_t": config.command_topic}).to_string();
        d.handle_message(
            &format!("homeassistant/switch/s{i}/config"),
            payload.as_bytes(),
        );
        d.handle_message(&format!("homie/dev{i}/$homie"), b"4.0.0");
        d.handle_message(&format!("p{i}/online"), b"true");
    }
    assert_eq!(d.found().len(), MAX_FOUND);
    assert!(std::iter::from_fn(|| d.poll_outgoing()).count() <= 64);
}
