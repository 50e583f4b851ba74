//! The root component: reads the URL configuration, starts the driver, lays out the page.
//!
//! The page reads two kinds of signals, both written only by the driver: one for the broker
//! link and one per device, so that one device's update touches one card.

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use switchboard_core::adapter::{Device, DeviceAction};
use switchboard_core::config::{credentials_warning, parse_page_url, DeviceConfig};
use switchboard_core::dashboard::{DeviceId, LinkPhase, LinkStatus};
use switchboard_core::device::DeviceState;
use switchboard_core::layout::Layout;
use switchboard_core::profiles::Profiles;
use switchboard_core::say;
use switchboard_core::settings::Settings;
use switchboard_core::time::Millis;

use crate::browser;
use crate::components::add_device_form::AddDeviceForm;
use crate::components::connection_panel::ConnectionPanel;
use crate::components::device_card::DeviceCard;
use crate::components::found_list::FoundList;
use crate::components::group_bar::GroupBar;
use crate::components::language_picker::LanguagePicker;
use crate::components::message_log::MessageLogPanel;
use crate::components::room_off::RoomOff;
use crate::components::settings_panel::SettingsPanel;
use crate::components::setup_banner::SetupBanner;
use crate::components::status_bar::StatusBar;
use crate::driver::{self, FoundView, ViewSignals};
use crate::setup::{self, SetupOrigin, SetupSignals};
use crate::storage;

/// The broker link as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    /// The broker address in use.
    pub url: String,
    /// What the link is doing and the last problem.
    pub status: LinkStatus,
    /// False until the user (or the URL) gave a broker.
    pub running: bool,
}

impl Default for LinkView {
    fn default() -> Self {
        Self {
            url: String::new(),
            status: LinkStatus {
                phase: LinkPhase::Idle,
                problem: None,
                failed_attempts: 0,
                protocol: Default::default(),
                limits: String::new(),
            },
            running: false,
        }
    }
}

/// One device as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceView {
    /// What the user configured.
    pub config: DeviceConfig,
    /// What is known about it.
    pub state: DeviceState,
    /// The extra actions its kind offers.
    pub actions: &'static [DeviceAction],
    /// True if "send toggle" works without a known state.
    pub toggles_blind: bool,
    /// The dashboard's revision of the device this view was taken at (0: not yet).
    pub revision: u64,
}

impl DeviceView {
    /// The view of a device nothing is known about yet.
    pub fn initial(config: DeviceConfig) -> Self {
        let device = Device::new(&config, "");
        Self {
            state: device.state().clone(),
            actions: device.actions(),
            toggles_blind: device.toggles_without_state(),
            config,
            revision: 0,
        }
    }
}

/// A device on the page and its signal.
#[derive(Debug, Clone, Copy)]
pub struct DeviceRow {
    /// The device's identity: the dashboard adopts it, and every action addresses it.
    pub id: DeviceId,
    /// Unique for the row's life: the list is keyed by it, so a rebuilt list (after a move or
    /// a removal) gets fresh cards bound to the fresh signals.
    pub key: u64,
    /// Its view, written by the driver.
    pub view: RwSignal<DeviceView>,
    /// Whether its card is on or near the screen (see `visibility`); true until known.
    pub near_screen: RwSignal<bool>,
}

thread_local! {
    static NEXT_ROW_KEY: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Device identities are issued here, once each, for the page's life.
    static NEXT_DEVICE_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// The page's root reactive owner: rows are created under it, never under the card or
    /// list item whose click created them (which is disposed right after, with its signals).
    static ROOT_OWNER: std::cell::RefCell<Option<Owner>> = const { std::cell::RefCell::new(None) };
}

impl DeviceRow {
    /// A row for device `id` showing `view`.
    pub fn new(id: DeviceId, view: DeviceView) -> Self {
        let key = NEXT_ROW_KEY.with(|next| {
            let key = next.get();
            next.set(key + 1);
            key
        });
        let root = ROOT_OWNER.with(|owner| owner.borrow().clone());
        let (view, near_screen) = match root {
            Some(owner) => owner.with(|| (RwSignal::new(view), RwSignal::new(true))),
            None => (RwSignal::new(view), RwSignal::new(true)),
        };
        Self {
            id,
            key,
            view,
            near_screen,
        }
    }

    /// A row for a new device that is not connected yet, under a fresh identity.
    pub fn waiting(config: DeviceConfig) -> Self {
        let id = NEXT_DEVICE_ID.with(|next| {
            let id = next.get();
            next.set(id.wrapping_add(1));
            DeviceId(id)
        });
        Self::new(id, DeviceView::initial(config))
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    ROOT_OWNER.with(|owner| *owner.borrow_mut() = Owner::current());
    let (query, fragment, _) = browser::page_location();
    let (config, problems) = parse_page_url(&query, &fragment);
    let from_link = config.broker.is_some() || !config.devices.is_empty();
    let saved = storage::load();
    // A password that came with the link for a profile that does not remember one.
    let mut link_password_only = false;
    let (settings, origin, profiles) = match (from_link, saved) {
        (true, Ok(saved)) => {
            let link = Settings::from_link(&config, true);
            let mut profiles = saved.unwrap_or_default();
            match profiles.find_same(&link) {
                // Kept before ("Keep it as my setup"): it is this browser's own again, with
                // the password as remembered (or as the link carries it, in memory only).
                Some(index) => {
                    profiles.active = index;
                    let mut kept = profiles.current();
                    if kept.broker.password.is_none() {
                        kept.broker.password = link.broker.password.clone();
                        link_password_only = true;
                    }
                    (kept, SetupOrigin::Saved, profiles)
                }
                None => (link, SetupOrigin::Link, profiles),
            }
        }
        (false, Ok(saved)) => {
            let profiles = saved.unwrap_or_default();
            (profiles.current(), SetupOrigin::Saved, profiles)
        }
        (true, Err(problem)) => (
            Settings::from_link(&config, true),
            SetupOrigin::Unreadable(problem),
            Profiles::default(),
        ),
        (false, Err(problem)) => (
            Settings::default(),
            SetupOrigin::Unreadable(problem),
            Profiles::default(),
        ),
    };
    let rows: Vec<DeviceRow> = settings
        .devices
        .iter()
        .map(|device| DeviceRow::waiting(device.clone()))
        .collect();
    let signals = ViewSignals {
        link: RwSignal::new(LinkView::default()),
        devices: RwSignal::new(rows),
        found: RwSignal::new(FoundView::default()),
        setup: SetupSignals {
            remember_password: RwSignal::new(
                origin == SetupOrigin::Saved
                    && settings.broker.password.is_some()
                    && !link_password_only,
            ),
            broker: RwSignal::new(settings.broker.clone()),
            origin: RwSignal::new(origin),
            save_problem: RwSignal::new(None),
            editing: RwSignal::new(false),
            profiles: RwSignal::new(profiles),
        },
        log: RwSignal::new(Vec::new()),
        clock: RwSignal::new(browser::now()),
        layout: crate::layout::LayoutSignals::new(Layout::effective(config.view, settings.view)),
    };
    crate::store::provide_store(signals);
    let clock = signals.clock;
    Interval::new(1_000, move || clock.set(browser::now())).forget();

    let link_warning = credentials_warning(
        &settings.broker.url,
        !settings.broker.user.is_empty() || settings.broker.password.is_some(),
    );
    let embed = config.embed;
    if embed {
        mark_body("embed");
    } else {
        // Embedded, every card counts as visible: the parent hears every change at once.
        crate::visibility::install(driver::schedule_render);
    }
    if config.transparent {
        mark_body("transparent");
    }
    crate::embed::install(config.parents.clone(), signals);
    let connect = move || {
        // What is on screen now: the user may have switched profile or connected meanwhile.
        let profile = signals.setup.broker.get_untracked();
        if driver::is_running() || profile.url.is_empty() {
            return;
        }
        let mut broker = setup::broker_settings(&profile);
        broker.discovery = !embed;
        driver::start(broker, signals);
    };
    // No other tab may hold this tab's client id. Once that is sure the WebSocket opens before
    // the page below is built, so the broker's handshake overlaps the building (about 100 ms).
    if crate::client_id::is_claimed() {
        connect();
    } else {
        leptos::task::spawn_local(async move {
            crate::client_id::claimed().await;
            connect();
        });
    }

    if embed {
        // Just the cards, sized by the iframe; problems still say what is wrong.
        return view! {
            <main class="content is-embedded" class:is-compact=move || signals.layout.is_compact()>
                <ConfigProblems problems=problems />
                <DeviceList tools=false />
            </main>
        }
        .into_any();
    }
    view! {
        <header class="topbar">
            <h1 class="brand">"Switchboard"</h1>
            <StatusBar link=signals.link clock=clock />
        </header>
        <main class="content" class:is-compact=move || signals.layout.is_compact()>
            <ConfigProblems problems=problems />
            <SetupBanner />
            {link_warning.map(|w| view! { <p class="security-warning">{w}</p> })}
            <DeviceList />
            <GroupBar />
            <FoundList />
            <section class="panels">
                <ConnectionPanel />
                <AddDeviceForm />
                <SettingsPanel />
                <MessageLogPanel />
            </section>
        </main>
        <footer class="footer">
            <p>{say!("MQTT over WebSocket, straight from this page: no server in between.")}</p>
            <LanguagePicker />
        </footer>
    }
    .into_any()
}

/// Adds a class to `<body>` (page-wide looks: embedded, transparent).
fn mark_body(class: &str) {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.class_list().add_1(class);
    }
}

/// The problems found in the page URL, each in its own line.
#[component]
fn ConfigProblems(problems: Vec<String>) -> impl IntoView {
    (!problems.is_empty()).then(|| {
        view! {
            <div class="url-problems" role="alert">
                <p class="url-problems-title">{say!("Some settings in this link were not used:")}</p>
                <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
            </div>
        }
    })
}

/// The switch cards, keyed by device so one update touches one card.
#[component]
fn DeviceList(
    /// Show the "Edit devices" button.
    #[prop(default = true)]
    tools: bool,
) -> impl IntoView {
    let signals = crate::store::use_store();
    let is_empty = move || signals.devices.with(Vec::is_empty);
    // The rooms in the order their first device appears; rebuilt only when the list changes.
    let rooms = Memo::new(move |_| {
        signals.devices.with(|rows| {
            let mut rooms: Vec<Option<String>> = Vec::new();
            for row in rows {
                let room = row.view.with_untracked(|v| v.config.room.clone());
                if !rooms.contains(&room) {
                    rooms.push(room);
                }
            }
            rooms
        })
    });
    view! {
        <Show when=move || !is_empty() fallback=|| view! {
            <p class="empty">{say!("No devices yet. Add one below, or open a link that lists them (device=tasmota:<topic>, device=shelly:<prefix>, ...).")}</p>
        }>
            {move || {
                let rooms = rooms.get();
                let named = rooms.iter().any(Option::is_some);
                rooms
                    .into_iter()
                    .map(|room| view! { <RoomSection room=room named=named /> })
                    .collect_view()
            }}
            // After the devices: the first screen is for switching.
            <div class="list-tools" hidden=!tools>
                <LayoutChoice />
                <button
                    type="button"
                    class="chip"
                    aria-pressed=move || if signals.setup.editing.get() { "true" } else { "false" }
                    on:click=move |_| signals.setup.editing.update(|e| *e = !*e)
                >
                    {move || if signals.setup.editing.get() { say!("Done editing") } else { say!("Edit devices") }}
                </button>
            </div>
        </Show>
    }
}

/// One room's cards (all cards when no device has a room), with the room's "all off".
/// Rows or cards, kept in the profile.
#[component]
fn LayoutChoice() -> impl IntoView {
    let signals = crate::store::use_store();
    let choose = move |layout: Layout| {
        signals.layout.view.set(layout);
        setup::persist(signals);
    };
    let pressed = move |compact: bool| {
        if signals.layout.is_compact() == compact {
            "true"
        } else {
            "false"
        }
    };
    view! {
        <div class="layout-choice" role="group" aria-label=say!("Show devices as")>
            <button type="button" class="chip" aria-pressed=move || pressed(true) on:click=move |_| choose(Layout::Compact)>{say!("Rows")}</button>
            <button type="button" class="chip" aria-pressed=move || pressed(false) on:click=move |_| choose(Layout::Cards)>{say!("Cards")}</button>
        </div>
    }
}

#[component]
fn RoomSection(room: Option<String>, named: bool) -> impl IntoView {
    let signals = crate::store::use_store();
    let title = match (&room, named) {
        (Some(name), _) => name.clone(),
        (None, true) => say!("Other devices"),
        (None, false) => say!("Devices"),
    };
    let in_room = room.clone();
    let rows = move || {
        signals
            .devices
            .get()
            .into_iter()
            .filter(|row| row.view.with_untracked(|v| v.config.room == in_room))
            .collect::<Vec<_>>()
    };
    view! {
        <section class="room">
            {named.then(|| view! {
                <div class="room-head">
                    <h2 class="room-title">{title.clone()}</h2>
                    <RoomOff room=room.clone() title=title.clone() />
                </div>
            })}
            <ul class="cards" aria-label=title>
                <For
                    each=rows
                    key=|row| row.key
                    children=move |row| view! { <DeviceCard row=row /> }
                />
            </ul>
        </section>
    }
}

/// Seconds left until `at`, rounded up, never negative.
pub fn seconds_until(at: Millis, now: Millis) -> u64 {
    at.saturating_sub(now).div_ceil(1_000)
}
