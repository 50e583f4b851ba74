//! The dashboard's setup as the page edits it: the broker profile and the device list, where
//! it came from (this browser's saved settings or a link), and the edits (add, remove, move,
//! edit, import) that keep the running dashboard, the page and the saved copy in step. Edits
//! of the device list never reconnect: only another broker profile or an import does.
//!
//! A setup opened from a link is not saved until the user says "Keep"; saved settings that
//! cannot be read are left untouched until the user starts afresh: nothing is overwritten
//! silently. The password is saved only when the user ticked "remember".

use leptos::prelude::*;
use switchboard_core::config::DeviceConfig;
use switchboard_core::dashboard::DeviceId;
use switchboard_core::profiles::{Profile, Profiles};
use switchboard_core::say;
use switchboard_core::settings::{BrokerProfile, Settings};

use crate::app::DeviceRow;
use crate::driver::{self, BrokerSettings, ViewSignals};
use crate::storage;

/// Where the setup on screen came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupOrigin {
    /// This browser's saved settings (or nothing yet): every change is saved.
    Saved,
    /// A link: shown, not saved until the user keeps it.
    Link,
    /// Saved settings exist but cannot be read: nothing is saved until the user starts afresh.
    Unreadable(String),
}

/// The setup's signals.
#[derive(Clone, Copy)]
pub struct SetupSignals {
    /// The broker profile in use (password in memory; saved only if remembered).
    pub broker: RwSignal<BrokerProfile>,
    /// Save the password in this browser.
    pub remember_password: RwSignal<bool>,
    /// Where the setup came from.
    pub origin: RwSignal<SetupOrigin>,
    /// The last save problem, if any.
    pub save_problem: RwSignal<Option<String>>,
    /// Devices show move and remove buttons.
    pub editing: RwSignal<bool>,
    /// Every broker profile as last saved (the active one is refreshed on each save).
    pub profiles: RwSignal<Profiles>,
}

/// The settings on screen (password included as typed; callers decide what to write).
pub fn current(signals: ViewSignals) -> Settings {
    Settings {
        broker: signals.setup.broker.get_untracked(),
        devices: signals.devices.with_untracked(|rows| {
            rows.iter()
                .map(|row| row.view.with_untracked(|v| v.config.clone()))
                .collect()
        }),
        view: signals.layout.view.get_untracked(),
    }
}

/// Saves the setup (as the active profile) if it is this browser's own.
pub fn persist(signals: ViewSignals) {
    if signals.setup.origin.get_untracked() != SetupOrigin::Saved {
        return;
    }
    let mut settings = current(signals);
    if !signals.setup.remember_password.get_untracked() {
        settings.broker.password = None;
    }
    let mut profiles = signals.setup.profiles.get_untracked();
    let active = profiles.active.min(profiles.list.len().saturating_sub(1));
    match profiles.list.get_mut(active) {
        Some(profile) => profile.settings = settings,
        None => profiles = Profiles::single(settings),
    }
    signals
        .setup
        .save_problem
        .set(storage::save(&profiles).err());
    signals.setup.profiles.set(profiles);
}

/// Makes the setup on screen this browser's own: a link's setup becomes a new profile next
/// to the saved ones; unreadable saved settings are replaced (the user chose to start afresh).
pub fn keep(signals: ViewSignals) {
    let origin = signals.setup.origin.get_untracked();
    signals.setup.profiles.update(|profiles| match origin {
        SetupOrigin::Link => {
            let name = profiles.fresh_name();
            profiles.list.push(Profile {
                name,
                settings: Settings::default(),
            });
            profiles.active = profiles.list.len() - 1;
        }
        SetupOrigin::Unreadable(_) => *profiles = Profiles::default(),
        SetupOrigin::Saved => {}
    });
    signals.setup.origin.set(SetupOrigin::Saved);
    persist(signals);
}

/// Switches to profile `index` (the current one is saved first).
pub fn switch_profile(signals: ViewSignals, index: usize) {
    persist(signals);
    let Some(settings) = signals
        .setup
        .profiles
        .with_untracked(|p| p.list.get(index).map(|profile| profile.settings.clone()))
    else {
        return;
    };
    signals.setup.profiles.update(|p| p.active = index);
    apply(signals, settings);
}

/// Adds an empty profile and switches to it.
pub fn add_profile(signals: ViewSignals) {
    persist(signals);
    signals.setup.profiles.update(|profiles| {
        let name = profiles.fresh_name();
        profiles.list.push(Profile {
            name,
            settings: Settings::default(),
        });
        profiles.active = profiles.list.len() - 1;
    });
    apply(signals, Settings::default());
}

/// Renames the active profile; refuses an empty or taken name.
pub fn rename_profile(signals: ViewSignals, name: &str) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(say!("Give the profile a name."));
    }
    let taken = signals.setup.profiles.with_untracked(|p| {
        p.list
            .iter()
            .enumerate()
            .any(|(i, profile)| i != p.active && profile.name == name)
    });
    if taken {
        return Err(say!("Another profile is already called \"{}\".", name));
    }
    signals.setup.profiles.update(|p| {
        let active = p.active;
        if let Some(profile) = p.list.get_mut(active) {
            profile.name = name.to_string();
        }
    });
    persist(signals);
    Ok(())
}

/// Deletes the active profile (never the last one) and switches to the first.
pub fn delete_profile(signals: ViewSignals) {
    let mut profiles = signals.setup.profiles.get_untracked();
    if profiles.list.len() < 2 {
        return;
    }
    profiles
        .list
        .remove(profiles.active.min(profiles.list.len() - 1));
    profiles.active = 0;
    let settings = profiles.current();
    signals.setup.profiles.set(profiles);
    apply(signals, settings);
}

/// Replaces every profile with imported ones and shows the active one.
pub fn import(signals: ViewSignals, profiles: Profiles) {
    let settings = profiles.current();
    signals.setup.profiles.set(profiles);
    apply(signals, settings);
}

/// How the driver connects with `profile`.
pub fn broker_settings(profile: &BrokerProfile) -> BrokerSettings {
    BrokerSettings {
        url: profile.url.clone(),
        user: profile.user.clone(),
        password: profile.password.clone().unwrap_or_default(),
        persistent_session: profile.persistent_session,
        keep_alive_secs: profile.keep_alive_secs,
        protocol: profile.protocol,
        discovery: true,
    }
}

/// Moves device `id` by `delta` places: the rows and the running dashboard change order, and
/// nothing else (no reconnect, every card as it was).
pub fn move_device(signals: ViewSignals, id: DeviceId, delta: isize) {
    let mut moved_to = None;
    signals.devices.update(|rows| {
        let Some(index) = rows.iter().position(|row| row.id == id) else {
            return;
        };
        let Some(target) = index.checked_add_signed(delta).filter(|t| *t < rows.len()) else {
            return;
        };
        let row = rows.remove(index);
        rows.insert(target, row);
        moved_to = Some(target);
    });
    if let Some(target) = moved_to {
        driver::move_device(id, target);
        persist(signals);
    }
}

/// Removes device `id`: its row goes, the running dashboard unsubscribes what no other device
/// needs; every other device keeps its state, lock and pending command.
pub fn remove_device(signals: ViewSignals, id: DeviceId) {
    signals
        .devices
        .update(|rows| rows.retain(|row| row.id != id));
    driver::remove_device(id);
    persist(signals);
}

/// Edits device `id` in place (address, label, room, protections): its card stays, its relay
/// protection is kept, and the running dashboard is not reconnected.
pub fn update_device(signals: ViewSignals, id: DeviceId, config: DeviceConfig) {
    let row = signals
        .devices
        .with_untracked(|rows| rows.iter().find(|row| row.id == id).copied());
    if let Some(row) = row {
        let (same_address, same_room) = row.view.with_untracked(|v| {
            (
                v.config.address == config.address,
                v.config.room == config.room,
            )
        });
        if same_address {
            row.view.update(|v| v.config = config.clone());
        } else {
            // Another device: nothing known about it yet (the driver fills it in).
            row.view
                .set(crate::app::DeviceView::initial(config.clone()));
        }
        if !same_room {
            // The rooms are drawn from the list: the card moves to its new room.
            signals.devices.update(|_| {});
        }
    }
    driver::update_device(id, config);
    persist(signals);
}

/// Applies imported settings: broker and devices replaced, connected if there is a broker.
pub fn apply(signals: ViewSignals, settings: Settings) {
    driver::stop();
    signals.link.set(Default::default());
    signals
        .setup
        .remember_password
        .set(settings.broker.password.is_some());
    signals.setup.broker.set(settings.broker.clone());
    signals.setup.origin.set(SetupOrigin::Saved);
    signals.layout.view.set(settings.view);
    signals.devices.set(
        settings
            .devices
            .iter()
            .map(|device| DeviceRow::waiting(device.clone()))
            .collect(),
    );
    if !settings.broker.url.is_empty() {
        driver::start(broker_settings(&settings.broker), signals);
    }
    persist(signals);
}
