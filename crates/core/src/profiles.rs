//! Several broker profiles ("Home", "Cabin"), each a setup of its own, and which is in use:
//! the document kept in the browser and carried by export files (schema 2, see
//! [`crate::settings`]). A schema 1 document (one setup) reads as one profile named "Home".

use serde_json::{json, Map, Value};

use crate::settings::{Settings, MAX_SETTINGS_BYTES, SETTINGS_VERSION};

/// The most broker profiles kept.
pub const MAX_PROFILES: usize = 20;

/// A named setup: one broker and its devices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    /// What the user calls it ("Home", "Cabin").
    pub name: String,
    /// Its broker and devices.
    pub settings: Settings,
}

/// Every profile, and which one is in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profiles {
    /// At least one.
    pub list: Vec<Profile>,
    /// Index into `list`.
    pub active: usize,
}

impl Default for Profiles {
    fn default() -> Self {
        Self::single(Settings::default())
    }
}

impl Profiles {
    /// One profile named "Home".
    pub fn single(settings: Settings) -> Self {
        Self {
            list: vec![Profile {
                name: crate::say!("Home"),
                settings,
            }],
            active: 0,
        }
    }

    /// The profile in use.
    pub fn current(&self) -> Settings {
        self.list
            .get(self.active)
            .or(self.list.first())
            .map(|p| p.settings.clone())
            .unwrap_or_default()
    }

    /// The profile that already keeps `settings` (the same broker and devices; the password
    /// left out, since a kept profile holds it only when remembered, and the layout, which the
    /// user may have changed since): a link opened again after "Keep" is recognised as kept.
    pub fn find_same(&self, settings: &Settings) -> Option<usize> {
        let without_password = |s: &Settings| {
            let mut s = s.clone();
            s.broker.password = None;
            s.view = crate::layout::Layout::Auto;
            s
        };
        let wanted = without_password(settings);
        self.list
            .iter()
            .position(|p| without_password(&p.settings) == wanted)
    }

    /// A name not used yet: "Profile 2", "Profile 3", ...
    pub fn fresh_name(&self) -> String {
        (2..)
            .map(|n| crate::say!("Profile {}", n))
            .find(|name| self.list.iter().all(|p| p.name != *name))
            .unwrap_or_default()
    }

    /// The JSON text; passwords only if `with_password` (and remembered).
    pub fn to_json(&self, with_password: bool) -> String {
        let profiles: Vec<Value> = self
            .list
            .iter()
            .map(|profile| {
                let mut value = profile.settings.to_value(with_password);
                value["name"] = json!(profile.name);
                value
            })
            .collect();
        let document =
            json!({"switchboard": SETTINGS_VERSION, "active": self.active, "profiles": profiles});
        serde_json::to_string_pretty(&document).unwrap_or_default()
    }

    /// Reads profiles (schema 2, or schema 1 as one profile); any problem refuses the whole
    /// text, with every problem listed.
    pub fn from_json(text: &str) -> Result<Self, Vec<String>> {
        let not_ours = || crate::say!("Choose a file exported by Switchboard (Settings > Export).");
        if text.len() > MAX_SETTINGS_BYTES {
            return Err(vec![crate::say!(
                "The file is {} KB; a Switchboard settings file is far smaller. {}",
                text.len() / 1024,
                not_ours()
            )]);
        }
        let value: Value = serde_json::from_str(text).map_err(|e| {
            vec![crate::say!(
                "The file is not valid JSON ({}). {}",
                e,
                not_ours()
            )]
        })?;
        let Some(root) = value.as_object() else {
            return Err(vec![crate::say!(
                "The file is not a Switchboard settings file. {}",
                not_ours()
            )]);
        };
        let version = match root.get("switchboard") {
            Some(v) => v.as_u64().ok_or_else(|| {
                vec![crate::say!(
                    "\"switchboard\" must be a schema number. {}",
                    not_ours()
                )]
            })?,
            None => {
                return Err(vec![crate::say!(
                    "The file is not a Switchboard settings file (no \"switchboard\" version). {}",
                    not_ours()
                )])
            }
        };
        if version > SETTINGS_VERSION {
            return Err(vec![crate::say!("The file was written by a newer Switchboard (schema {}); this page reads schema {}. Update the page, or export again from this version.", version, SETTINGS_VERSION)]);
        }
        let mut problems = Vec::new();
        let profiles = if version < 2 {
            Self::single(Settings::from_object(root, &mut problems))
        } else {
            Self::read_profiles(root, &mut problems)
        };
        if problems.is_empty() {
            Ok(profiles)
        } else {
            Err(problems)
        }
    }

    fn read_profiles(root: &Map<String, Value>, problems: &mut Vec<String>) -> Self {
        let Some(items) = root.get("profiles").and_then(Value::as_array) else {
            problems.push(crate::say!("\"profiles\" must be a list."));
            return Self::default();
        };
        if items.is_empty() || items.len() > MAX_PROFILES {
            problems.push(crate::say!(
                "The file has {} profiles; 1 to {} are accepted.",
                items.len(),
                MAX_PROFILES
            ));
            return Self::default();
        }
        let mut list: Vec<Profile> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let Some(object) = item.as_object() else {
                problems.push(crate::say!("Profile {}: must be an object.", index + 1));
                continue;
            };
            let name = object
                .get("name")
                .and_then(Value::as_str)
                .map(|n| crate::device::clip_text(n.trim(), 40))
                .unwrap_or_default();
            if name.is_empty() {
                problems.push(crate::say!("Profile {}: has no name.", index + 1));
            } else if list.iter().any(|p| p.name == name) {
                problems.push(crate::say!(
                    "Profile {}: the name \"{}\" is used twice.",
                    index + 1,
                    name
                ));
            }
            let mut own = Vec::new();
            let settings = Settings::from_object(object, &mut own);
            problems.extend(
                own.into_iter()
                    .map(|p| crate::say!("Profile \"{}\": {}", name, p)),
            );
            list.push(Profile { name, settings });
        }
        let active = root.get("active").and_then(Value::as_u64).unwrap_or(0) as usize;
        if active >= list.len() {
            problems.push(crate::say!(
                "\"active\" must name one of the {} profiles.",
                list.len()
            ));
        }
        Self { list, active }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_kept_link_is_recognised_whatever_its_password() {
        let link = crate::config::parse_page_url(
            "",
            "broker=ws%3A%2F%2Fb%3A9001&user=me&pass=secret&device=tasmota%3Aplug",
        )
        .0;
        let settings = Settings::from_link(&link, true);
        let mut kept = settings.clone();
        kept.broker.password = None;
        let mut profiles = Profiles::single(Settings::default());
        profiles.list.push(Profile {
            name: "Profile 2".into(),
            settings: kept,
        });
        assert_eq!(profiles.find_same(&settings), Some(1));
        // Kept, then the user chose rows: the same link is still the kept dashboard.
        profiles.list[1].settings.view = crate::layout::Layout::Compact;
        assert_eq!(profiles.find_same(&settings), Some(1));
        let mut other = settings.clone();
        other.devices.clear();
        assert_eq!(profiles.find_same(&other), None);
    }

    use super::*;
    use crate::test_support::sample_settings;

    fn two() -> Profiles {
        Profiles {
            list: vec![
                Profile {
                    name: "Home".into(),
                    settings: sample_settings(),
                },
                Profile {
                    name: "Cabin".into(),
                    settings: Settings::default(),
                },
            ],
            active: 1,
        }
    }

    #[test]
    fn profiles_read_back_the_same_and_passwords_only_when_asked() {
        let profiles = two();
        assert_eq!(
            Profiles::from_json(&profiles.to_json(true)),
            Ok(profiles.clone())
        );
        let without = Profiles::from_json(&profiles.to_json(false)).unwrap();
        assert_eq!(without.list[0].settings.broker.password, None);
        assert!(!profiles.to_json(false).contains("p@ss"));
        assert_eq!(without.current(), Settings::default());
        assert_eq!(profiles.fresh_name(), "Profile 2");
    }

    #[test]
    fn a_schema_1_file_reads_as_one_profile_named_home() {
        let text = r#"{"switchboard":1,"broker":{"url":"ws://h:9001"},"devices":["tasmota:a:A"]}"#;
        let profiles = Profiles::from_json(text).unwrap();
        assert_eq!(profiles.list.len(), 1);
        assert_eq!(profiles.list[0].name, "Home");
        assert_eq!(profiles.current().broker.url, "ws://h:9001");
        assert_eq!(profiles.current().devices[0].label, "A");
    }

    #[test]
    fn a_bad_file_is_refused_whole_with_every_problem_said() {
        let cases: &[(&str, &str)] = &[
            ("not json", "not valid JSON"),
            ("[1,2]", "not a Switchboard settings file"),
            (r#"{"devices":[]}"#, "no \"switchboard\" version"),
            (r#"{"switchboard":3}"#, "newer Switchboard (schema 3)"),
            (r#"{"switchboard":"1"}"#, "must be a schema number"),
            (
                r#"{"switchboard":1,"devices":"tasmota:a"}"#,
                "must be a list",
            ),
            (
                r#"{"switchboard":1,"broker":{"url":"http://h:9001"}}"#,
                "ws://h:9001",
            ),
            (
                r#"{"switchboard":1,"broker":{"keepalive":1}}"#,
                "whole seconds",
            ),
            (
                r#"{"switchboard":1,"broker":{"persistent_session":"yes"}}"#,
                "true or false",
            ),
            (r#"{"switchboard":2,"profiles":[]}"#, "1 to 20"),
            (
                r#"{"switchboard":2,"profiles":[{"name":"A"},{"name":"A"}]}"#,
                "used twice",
            ),
            (
                r#"{"switchboard":2,"profiles":[{"name":""}]}"#,
                "has no name",
            ),
            (
                r#"{"switchboard":2,"active":5,"profiles":[{"name":"A"}]}"#,
                "\"active\"",
            ),
            (
                r#"{"switchboard":2,"profiles":[{"name":"B","devices":["zigbee:x"]}]}"#,
                "Profile \"B\": Device 1:",
            ),
            (
                r#"{"switchboard":2,"profiles":[{"name":"B","view":"grid"}]}"#,
                "view=compact",
            ),
            (
                r#"{"switchboard":2,"profiles":[{"name":"B","view":1}]}"#,
                "compact, cards or auto",
            ),
        ];
        for (text, expected) in cases {
            let problems = Profiles::from_json(text).unwrap_err();
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{text}: {problems:?}"
            );
        }
        let problems = Profiles::from_json(
            r#"{"switchboard":1,"devices":["tasmota:a","zigbee:b",7,"tasmota:a"]}"#,
        )
        .unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        let huge = format!(
            "{{\"switchboard\":1,\"x\":\"{}\"}}",
            "a".repeat(MAX_SETTINGS_BYTES)
        );
        assert!(Profiles::from_json(&huge).unwrap_err()[0].contains("far smaller"));
    }
}
