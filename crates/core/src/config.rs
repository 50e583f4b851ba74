//! The dashboard configuration carried by a page URL, so a link or an iframe opens straight
//! onto a dashboard.
//!
//! Parameters may sit in the query string or in the fragment; the fragment wins for single
//! values (it never reaches a web server, so it is the place for a password):
//! `broker=<ws:// or wss:// URL>`, `user=`, `pass=`, `keepalive=<seconds>`, `mqtt=3.1.1|5`,
//! and repeatable
//! `device=tasmota:<topic>[:<label>]`, all URL-encoded. Parsing never fails as a whole: what is
//! valid is kept and every invalid value yields a specific problem to show.

use crate::codec::ProtocolVersion;
pub use crate::device_config::{
    parse_device_spec, validate_device_topic, DeviceAddress, DeviceConfig,
};
use crate::i18n::Lang;
use crate::layout::Layout;

/// Everything a URL can say about the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DashboardConfig {
    /// The broker's WebSocket URL.
    pub broker: Option<String>,
    /// User name, if any.
    pub user: Option<String>,
    /// Password, if any.
    pub password: Option<String>,
    /// MQTT keepalive in seconds, if not the default.
    pub keep_alive_secs: Option<u16>,
    /// The MQTT version to try first, if not 3.1.1.
    pub protocol: Option<ProtocolVersion>,
    /// The devices, in the order given.
    pub devices: Vec<DeviceConfig>,
    /// Show just the cards, for an iframe.
    pub embed: bool,
    /// A transparent page background (for an iframe).
    pub transparent: bool,
    /// Origins of embedding pages allowed to talk to the page (`https://host[:port]`).
    pub parents: Vec<String>,
    /// The language asked for with `lang=` (over the browser's and the saved choice).
    pub lang: Option<Lang>,
    /// The layout asked for with `view=` (over the profile's).
    pub view: Option<Layout>,
}

impl DashboardConfig {
    /// A URL fragment (without `#`) that [`parse_page_url`] reads back as this configuration.
    pub fn to_fragment(&self) -> String {
        let mut pairs = Vec::new();
        if let Some(broker) = &self.broker {
            pairs.push(format!("broker={}", percent_encode(broker)));
        }
        if let Some(user) = &self.user {
            pairs.push(format!("user={}", percent_encode(user)));
        }
        if let Some(password) = &self.password {
            pairs.push(format!("pass={}", percent_encode(password)));
        }
        if let Some(seconds) = self.keep_alive_secs {
            pairs.push(format!("keepalive={seconds}"));
        }
        if let Some(protocol) = self.protocol {
            pairs.push(format!("mqtt={}", protocol_name(protocol)));
        }
        if self.embed {
            pairs.push("embed=1".into());
        }
        if self.transparent {
            pairs.push("bg=transparent".into());
        }
        for parent in &self.parents {
            pairs.push(format!("parent={}", percent_encode(parent)));
        }
        if let Some(lang) = self.lang {
            pairs.push(format!("lang={}", lang.code()));
        }
        if let Some(view) = self.view {
            pairs.push(format!("view={}", view.name()));
        }
        for device in &self.devices {
            pairs.push(format!("device={}", percent_encode(&device.to_spec())));
        }
        pairs.join("&")
    }
}

/// Reads the configuration from a page's query string and fragment (with or without their
/// leading `?` / `#`). Returns what is valid and one sentence per problem.
pub fn parse_page_url(query: &str, fragment: &str) -> (DashboardConfig, Vec<String>) {
    let mut config = DashboardConfig::default();
    let mut problems = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    for part in query.split('&').chain(fragment.split('&')) {
        if part.is_empty() {
            continue;
        }
        let (raw_key, raw_value) = part.split_once('=').unwrap_or((part, ""));
        let (key, value) = match (percent_decode(raw_key), percent_decode(raw_value)) {
            (Ok(key), Ok(value)) => (key, value),
            (Err(problem), _) | (_, Err(problem)) => {
                problems.push(crate::say!(
                    "Ignored URL parameter \"{}\": {}",
                    raw_key,
                    problem
                ));
                continue;
            }
        };
        match key.as_str() {
            "broker" => match validate_broker_url(&value) {
                Ok(url) => config.broker = Some(url),
                Err(problem) => problems.push(problem),
            },
            "user" => config.user = Some(value),
            "pass" => config.password = Some(value),
            "mqtt" => match parse_protocol(&value) {
                Ok(protocol) => config.protocol = Some(protocol),
                Err(problem) => problems.push(problem),
            },
            "keepalive" => match parse_keep_alive(&value) {
                Ok(seconds) => config.keep_alive_secs = Some(seconds),
                Err(problem) => problems.push(problem),
            },
            "device" => match parse_device_spec(&value) {
                Ok(device) => {
                    if config.devices.iter().any(|d| d.address == device.address) {
                        problems.push(crate::say!("Device \"{}\" is listed twice; shown once.", value));
                    } else {
                        config.devices.push(device);
                    }
                }
                Err(problem) => problems.push(problem),
            },
            "embed" => match value.as_str() {
                "1" | "true" | "yes" => config.embed = true,
                "0" | "false" | "no" => config.embed = false,
                other => problems.push(crate::say!("embed \"{}\" must be 1 or 0.", other)),
            },
            "bg" => match value.as_str() {
                "transparent" => config.transparent = true,
                other => problems.push(crate::say!("bg \"{}\" is not known: the only choice is bg=transparent.", other)),
            },
            "lang" => match Lang::from_tag(&value) {
                Some(lang) => config.lang = Some(lang),
                None => problems.push(crate::say!(
                    "lang \"{}\" is not a language this page speaks: use en, es or de.",
                    value
                )),
            },
            "view" => match Layout::parse(&value) {
                Ok(view) => config.view = Some(view),
                Err(problem) => problems.push(problem),
            },
            "parent" => match validate_origin(&value) {
                Ok(origin) => {
                    if !config.parents.contains(&origin) {
                        config.parents.push(origin);
                    }
                }
                Err(problem) => problems.push(problem),
            },
            other => problems.push(crate::say!("Unknown URL parameter \"{}\" ignored. Known: broker, user, pass, keepalive, mqtt, device, embed, bg, parent, lang, view.", other)),
        }
    }
    (config, problems)
}

/// Checks a broker address; returns it trimmed, or a sentence saying what to change.
pub fn validate_broker_url(input: &str) -> Result<String, String> {
    let url = input.trim();
    if url.is_empty() {
        return Err(crate::say!("Enter the broker's WebSocket address, e.g. ws://192.168.1.10:9001 or wss://broker.example.com:8884/mqtt."));
    }
    let lower = url.to_ascii_lowercase();
    let rest = if let Some(rest) = lower.strip_prefix("ws://") {
        rest
    } else if let Some(rest) = lower.strip_prefix("wss://") {
        rest
    } else if lower.starts_with("http://") || lower.starts_with("https://") {
        let fixed = url.replacen("http", "ws", 1);
        return Err(crate::say!("Broker address \"{}\" is a web address: use the broker's WebSocket address instead, e.g. \"{}\".", url, fixed));
    } else if lower.starts_with("mqtt://")
        || lower.starts_with("tcp://")
        || lower.starts_with("mqtts://")
    {
        return Err(crate::say!("Broker address \"{}\" is a plain MQTT address, which browsers cannot open. Enable a WebSocket listener on the broker and use ws:// or wss:// (Mosquitto: \"listener 9001\" with \"protocol websockets\").", url));
    } else {
        return Err(crate::say!(
            "Broker address \"{}\" must start with ws:// or wss://, e.g. \"ws://{}\".",
            url,
            url
        ));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    if host.is_empty() || host.starts_with(':') {
        return Err(crate::say!("Broker address \"{}\" has no host name.", url));
    }
    if url.chars().any(char::is_whitespace) {
        return Err(crate::say!("Broker address \"{}\" contains a space.", url));
    }
    Ok(url.to_string())
}

/// How a protocol version is written in a URL.
pub fn protocol_name(protocol: ProtocolVersion) -> &'static str {
    match protocol {
        ProtocolVersion::V311 => "3.1.1",
        ProtocolVersion::V5 => "5",
    }
}

/// Checks an origin given in `parent=`: `https://host` or `http://host:port`, nothing more.
pub fn validate_origin(input: &str) -> Result<String, String> {
    let origin = input.trim().trim_end_matches('/');
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let valid = rest.is_some_and(|host| {
        !host.is_empty()
            && !host.contains(['/', '?', '#', '@', ' ', '*'])
            && host
                .split(':')
                .nth(1)
                .is_none_or(|port| port.parse::<u16>().is_ok())
    });
    if valid {
        Ok(origin.to_ascii_lowercase())
    } else {
        Err(crate::say!("parent \"{}\" must be the embedding page's origin, e.g. parent=https://home.example or parent=http://192.168.1.5:8123 (no path, no wildcard).", input))
    }
}

/// A warning when credentials would cross the network unencrypted: `ws://` to a host other
/// than this machine. `None` for `wss://`, for localhost, or without credentials.
pub fn credentials_warning(broker_url: &str, has_credentials: bool) -> Option<String> {
    let rest = broker_url
        .get(..5)
        .filter(|scheme| scheme.eq_ignore_ascii_case("ws://"))
        .and_then(|_| broker_url.get(5..))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = if authority.starts_with('[') {
        authority
            .split(']')
            .next()
            .map_or("", |h| h.trim_start_matches('['))
    } else {
        authority.split(':').next().unwrap_or("")
    };
    let local = host.eq_ignore_ascii_case("localhost") || host.starts_with("127.") || host == "::1";
    (has_credentials && !local).then(|| {
        crate::say!("Your user name and password would travel unencrypted (ws://) to {}: anyone on the network path can read them. Use the broker's wss:// address if it has one.", host)
    })
}

/// Reads `3.1.1` (also `3`, `4`, `311`) or `5`.
pub fn parse_protocol(text: &str) -> Result<ProtocolVersion, String> {
    match text.trim() {
        "3.1.1" | "311" | "3" | "4" => Ok(ProtocolVersion::V311),
        "5" | "5.0" => Ok(ProtocolVersion::V5),
        other => Err(crate::say!("mqtt \"{}\" must be 3.1.1 or 5.", other)),
    }
}

/// Shortest keepalive accepted: a stalled link is noticed after 1.5 x keepalive.
pub const MIN_KEEP_ALIVE_SECS: u16 = 2;

/// Reads a keepalive in whole seconds, from 2 to 65535 (the protocol's maximum).
pub fn parse_keep_alive(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(seconds) if seconds >= MIN_KEEP_ALIVE_SECS => Ok(seconds),
        _ => Err(crate::say!(
            "keepalive \"{}\" must be whole seconds from {} to 65535 (default 30).",
            text,
            MIN_KEEP_ALIVE_SECS
        )),
    }
}

/// Browsers refuse `ws://` from a page served over `https://` (mixed content): say so first.
pub fn check_mixed_content(page_protocol: &str, broker_url: &str) -> Result<(), String> {
    let insecure = broker_url
        .get(..5)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("ws://"));
    if page_protocol.eq_ignore_ascii_case("https:") && insecure {
        Err(crate::say!("This page is served over https://, so the browser only allows secure broker addresses: use wss:// instead of \"{}\" (the broker needs a TLS WebSocket listener).", broker_url))
    } else {
        Ok(())
    }
}

/// Decodes `%XX` escapes and `+` (as a space), as browsers encode form values. A `%` not
/// followed by two hex digits stays as it is (as in the WHATWG URL standard), so a Tasmota
/// FullTopic such as `%prefix%/%topic%/` survives being typed into a URL unencoded.
pub fn percent_decode(input: &str) -> Result<String, String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], escaped) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| crate::say!("\"{}\" does not decode to UTF-8 text", input))
}

/// Encodes everything but unreserved characters (RFC 3986) as `%XX`.
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_user_password_and_devices_are_read_from_the_fragment() {
        let (config, problems) = parse_page_url(
            "",
            "#broker=ws%3A%2F%2F127.0.0.1%3A9001&user=alice&pass=p%26ss&device=tasmota%3Adesk%3ADesk%20lamp&device=tasmota:heater",
        );
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(config.broker.as_deref(), Some("ws://127.0.0.1:9001"));
        assert_eq!(config.user.as_deref(), Some("alice"));
        assert_eq!(config.password.as_deref(), Some("p&ss"));
        assert_eq!(
            config.devices,
            [
                DeviceConfig::tasmota("desk", "Desk lamp"),
                DeviceConfig::tasmota("heater", "heater")
            ]
        );
    }

    #[test]
    fn the_fragment_wins_over_the_query_and_devices_from_both_are_kept() {
        let (config, problems) = parse_page_url(
            "?broker=ws://old:9001&device=tasmota:a",
            "broker=wss://new:8884/mqtt&device=tasmota:b",
        );
        assert!(problems.is_empty());
        assert_eq!(config.broker.as_deref(), Some("wss://new:8884/mqtt"));
        assert_eq!(config.devices.len(), 2);
    }

    #[test]
    fn keepalive_is_read_in_seconds_and_nonsense_is_refused() {
        let (config, problems) = parse_page_url("", "keepalive=10");
        assert_eq!((config.keep_alive_secs, problems.len()), (Some(10), 0));
        for bad in ["0", "1", "abc", "70000", "-5"] {
            let (config, problems) = parse_page_url("", &format!("keepalive={bad}"));
            assert_eq!(config.keep_alive_secs, None);
            assert!(problems[0].contains("whole seconds"), "{bad}: {problems:?}");
        }
    }

    #[test]
    fn the_mqtt_version_is_read_and_anything_else_is_refused() {
        let (config, problems) = parse_page_url("", "mqtt=5");
        assert_eq!(
            (config.protocol, problems.len()),
            (Some(ProtocolVersion::V5), 0)
        );
        let (config, problems) = parse_page_url("", "mqtt=3.1.1");
        assert_eq!(
            (config.protocol, problems.len()),
            (Some(ProtocolVersion::V311), 0)
        );
        let (config, problems) = parse_page_url("", "mqtt=6");
        assert_eq!(config.protocol, None);
        assert!(problems[0].contains("3.1.1 or 5"));
    }

    #[test]
    fn a_label_may_contain_colons() {
        let device = parse_device_spec("tasmota:t1:Kitchen: kettle").unwrap();
        assert_eq!(device.label, "Kitchen: kettle");
    }

    #[test]
    fn invalid_values_give_specific_problems_and_valid_ones_are_kept() {
        let (config, problems) = parse_page_url(
            "",
            "broker=http://host:9001&device=jsonrelay:abc&device=tasmota:&device=tasmota:a/%2B/b&device=tasmota:ok&color=red&device=tasmota:ok",
        );
        assert_eq!(config.broker, None);
        assert_eq!(config.devices, [DeviceConfig::tasmota("ok", "")]);
        assert_eq!(problems.len(), 6, "{problems:#?}");
        assert!(problems[0].contains("ws://host:9001"), "{}", problems[0]);
        assert!(problems[1].contains("pin is missing"), "{}", problems[1]);
        assert!(problems[2].contains("topic is missing"));
        assert!(problems[3].contains("wildcards"));
        assert!(problems[4].contains("Unknown URL parameter \"color\""));
        assert!(problems[5].contains("listed twice"));
        let missing_kind = parse_device_spec("desk_lamp").unwrap_err();
        assert!(
            missing_kind.contains("Write it as tasmota:<topic>"),
            "{missing_kind}"
        );
    }

    #[test]
    fn broker_addresses_are_checked_with_a_suggestion() {
        assert_eq!(
            validate_broker_url(" wss://h:8884/mqtt "),
            Ok("wss://h:8884/mqtt".into())
        );
        assert!(validate_broker_url("mqtt://h:1883")
            .unwrap_err()
            .contains("WebSocket listener"));
        assert!(validate_broker_url("h:9001")
            .unwrap_err()
            .contains("ws://h:9001"));
        assert!(validate_broker_url("ws://")
            .unwrap_err()
            .contains("no host"));
        assert!(validate_broker_url("").unwrap_err().contains("Enter"));
    }

    #[test]
    fn embedding_parameters_are_read_and_bad_origins_refused() {
        let (config, problems) = parse_page_url(
            "",
            "embed=1&bg=transparent&parent=https%3A%2F%2FHome.example%2F&parent=http%3A%2F%2F10.0.0.2%3A8123",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert!(config.embed && config.transparent);
        assert_eq!(
            config.parents,
            ["https://home.example", "http://10.0.0.2:8123"]
        );
        for bad in [
            "*",
            "home.example",
            "https://a.example/path",
            "https://a:b@c",
            "https://x:99999",
        ] {
            let (config, problems) = parse_page_url("", &format!("parent={}", percent_encode(bad)));
            assert!(config.parents.is_empty(), "{bad}");
            assert!(problems[0].contains("origin"), "{bad}: {problems:?}");
        }
        let (_, problems) = parse_page_url("", "bg=red&embed=maybe");
        assert_eq!(problems.len(), 2);
    }

    #[test]
    fn credentials_over_plain_ws_to_another_host_get_a_warning() {
        assert!(credentials_warning("ws://192.168.1.10:9001", true)
            .unwrap()
            .contains("unencrypted (ws://) to 192.168.1.10"));
        assert!(credentials_warning("WS://broker.example/mqtt", true).is_some());
        for quiet in [
            ("wss://broker.example:8884/mqtt", true),
            ("ws://192.168.1.10:9001", false),
            ("ws://localhost:9001", true),
            ("ws://127.0.0.1:9001", true),
            ("ws://[::1]:9001", true),
        ] {
            assert_eq!(credentials_warning(quiet.0, quiet.1), None, "{quiet:?}");
        }
    }

    #[test]
    fn ws_from_an_https_page_is_refused_with_a_hint_and_wss_is_fine() {
        assert!(check_mixed_content("https:", "ws://h:9001")
            .unwrap_err()
            .contains("wss://"));
        assert_eq!(check_mixed_content("https:", "wss://h:8884/mqtt"), Ok(()));
        assert_eq!(check_mixed_content("http:", "ws://h:9001"), Ok(()));
    }

    #[test]
    fn escapes_that_are_not_utf8_are_reported_and_stray_percent_signs_kept() {
        let (config, problems) = parse_page_url("", "broker=%E2%28&user=%zz&pass=%");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("UTF-8"));
        assert_eq!(config.user.as_deref(), Some("%zz"));
        assert_eq!(config.password.as_deref(), Some("%"));
        let (config, _) = parse_page_url("", "device=tasmota:desk:Desk:ft=%prefix%/%topic%/");
        assert_eq!(config.devices.len(), 1);
    }

    #[test]
    fn the_language_is_read_and_one_we_do_not_speak_is_explained() {
        let (config, problems) = parse_page_url("?lang=es-MX", "");
        assert_eq!((config.lang, problems.len()), (Some(Lang::Es), 0));
        let (config, problems) = parse_page_url("", "lang=fr");
        assert_eq!(config.lang, None);
        assert!(problems[0].contains("use en, es or de"), "{problems:?}");
    }

    #[test]
    fn a_fragment_written_by_to_fragment_reads_back_the_same() {
        let config = DashboardConfig {
            broker: Some("ws://127.0.0.1:9001/mqtt".into()),
            user: Some("bob & co".into()),
            password: Some("p=ss#1".into()),
            keep_alive_secs: Some(15),
            protocol: Some(ProtocolVersion::V5),
            devices: vec![
                DeviceConfig::tasmota("plug_1", "Plug: one"),
                DeviceConfig::tasmota("plug_2", ""),
            ],
            embed: true,
            transparent: true,
            parents: vec!["https://home.example".into(), "http://10.0.0.2:8123".into()],
            lang: Some(Lang::De),
            view: Some(Layout::Cards),
        };
        let (read_back, problems) = parse_page_url("", &config.to_fragment());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(read_back, config);
    }
}
