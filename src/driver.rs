//! Owns the core `Dashboard`, the WebSocket and the single timer, and pumps between them.
//!
//! Every input (socket event, timer, click, wake-up) goes into the dashboard; then `pump`
//! carries out what it asks (open or close the socket, send bytes), re-arms the one timer at
//! the dashboard's next deadline, and schedules a render: the new state is copied into the
//! page's signals right away when the page is idle, else at most once per animation frame, so
//! a flood of messages costs one DOM update per frame (and none while the tab is hidden);
//! cards far from the screen are refreshed within a time budget per frame, round robin
//! (`visibility`, `switchboard_core::offscreen_sweep`). The driver lives in a thread-local:
//! wasm is single-threaded, and callbacks reach it without `Rc`s. No decision is made here.

use std::cell::{Cell, RefCell};
use switchboard_core::say;

use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use switchboard_core::adapter::DeviceAction;
use switchboard_core::codec::ProtocolVersion;
use switchboard_core::config::{check_mixed_content, DeviceConfig};
use switchboard_core::dashboard::{Dashboard, DeviceId};
use switchboard_core::device::{CommandError, SwitchCommand};
use switchboard_core::discovery::Found;
use switchboard_core::message_log::LogEntry;
use switchboard_core::schedule_book::ScheduleChange;
use switchboard_core::session::{Credentials, SessionOptions};
use switchboard_core::tasmota::DEFAULT_GROUP_TOPIC;
use switchboard_core::time::Millis;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::app::{DeviceRow, DeviceView, LinkView};
use crate::browser;
use crate::transport::{Socket, SocketEvent};
use crate::visibility;
use switchboard_core::offscreen_sweep::OffscreenSweep;
use switchboard_core::render_pacing::RenderPacing;

/// Where the driver writes what the page shows.
#[derive(Clone, Copy)]
pub struct ViewSignals {
    /// The broker link.
    pub link: RwSignal<LinkView>,
    /// The devices, one signal each.
    pub devices: RwSignal<Vec<DeviceRow>>,
    /// Devices found on the broker, and why some may be missing.
    pub found: RwSignal<FoundView>,
    /// The setup being edited (broker profile, where it came from, edit mode).
    pub setup: crate::setup::SetupSignals,
    /// The recent messages, while the log is open (oldest first).
    pub log: RwSignal<Vec<LogEntry>>,
    /// The time, ticking once a second ("heard from 5 s ago").
    pub clock: RwSignal<Millis>,
    /// Rows or cards.
    pub layout: crate::layout::LayoutSignals,
}

/// What discovery found, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FoundView {
    /// The devices announced on the broker.
    pub found: Vec<Found>,
    /// Why some may not be listed.
    pub problem: Option<String>,
}

/// How to reach the broker.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrokerSettings {
    /// ws:// or wss:// URL, already validated.
    pub url: String,
    /// Optional user name.
    pub user: String,
    /// Optional password.
    pub password: String,
    /// Ask the broker to keep the session (clean session off) across reconnects.
    pub persistent_session: bool,
    /// Keepalive in seconds, if not the default (30).
    pub keep_alive_secs: Option<u16>,
    /// The MQTT version to try first (falls back to 3.1.1 if the broker refuses 5).
    pub protocol: ProtocolVersion,
    /// Listen for devices announcing themselves (off when embedded: nobody sees the list).
    pub discovery: bool,
}

/// A timer that fires this much later than asked means the device slept or the tab was frozen.
const CLOCK_JUMP: Millis = 10_000;

struct Driver {
    dashboard: Dashboard,
    url: String,
    page_protocol: String,
    socket: Option<Socket>,
    socket_generation: u64,
    timer: Option<(Millis, Timeout)>,
    signals: ViewSignals,
}

thread_local! {
    /// The log is kept only while the user looks at it (it survives a reconnect).
    static LOGGING: Cell<bool> = const { Cell::new(false) };
    static LOG_SHOWN: Cell<u64> = const { Cell::new(0) };
    static DRIVER: RefCell<Option<Driver>> = const { RefCell::new(None) };
    static RENDER_SCHEDULED: RefCell<bool> = const { RefCell::new(false) };
    /// Whether the next render goes at once or waits for a frame (see `render_pacing`).
    static PACING: RefCell<RenderPacing> = RefCell::new(RenderPacing::new());
    /// In which order cards far from the screen are brought up to date (see `visibility`).
    static SWEEP: RefCell<OffscreenSweep> =
        RefCell::new(OffscreenSweep::new(visibility::OFFSCREEN_MIN_PER_FRAME));
    /// The animation frame being rendered (its time), if the render is one.
    static FRAME: Cell<Option<f64>> = const { Cell::new(None) };
    /// The frame in which a sweep asked for the next one.
    static SWEEP_FRAME: Cell<Option<f64>> = const { Cell::new(None) };
}

/// Connects to a broker with the devices on the page (each keeps its identity), replacing
/// any previous connection.
pub fn start(settings: BrokerSettings, signals: ViewSignals) {
    stop();
    let devices: Vec<(DeviceId, DeviceConfig)> = signals.devices.with_untracked(|rows| {
        rows.iter()
            .map(|row| (row.id, row.view.with_untracked(|v| v.config.clone())))
            .collect()
    });
    let mut options = SessionOptions::new(crate::client_id::client_id());
    if !settings.user.is_empty() || !settings.password.is_empty() {
        options.credentials = Some(Credentials {
            user: settings.user.clone(),
            password: settings.password.clone(),
        });
    }
    options.clean_session = !settings.persistent_session;
    options.protocol = settings.protocol;
    if let Some(seconds) = settings.keep_alive_secs {
        options.keep_alive_secs = seconds;
    }
    let mut dashboard =
        Dashboard::new(options, Vec::new(), browser::random_u64()).with_broker_url(&settings.url);
    for (id, config) in devices {
        // Identities are the page's own, unique by construction.
        let _ = dashboard.add_device_as(0, id, config);
    }
    dashboard.set_discovery(browser::now(), settings.discovery);
    dashboard.set_logging(LOGGING.with(|l| l.get()));
    LOG_SHOWN.with(|s| s.set(0));
    dashboard.start();
    let (_, _, page_protocol) = browser::page_location();
    let driver = Driver {
        dashboard,
        url: settings.url,
        page_protocol,
        socket: None,
        socket_generation: 0,
        timer: None,
        signals,
    };
    DRIVER.with(|cell| *cell.borrow_mut() = Some(driver));
    pump();
}

/// Disconnects and forgets the dashboard.
pub fn stop() {
    let previous = DRIVER.with(|cell| cell.borrow_mut().take());
    if let Some(mut driver) = previous {
        if let Some(socket) = driver.socket.take() {
            socket.close();
        }
    }
}

/// True when a dashboard is running.
pub fn is_running() -> bool {
    DRIVER.with(|cell| cell.borrow().is_some())
}

/// The user operated a switch (`channel` of `device`).
pub fn request(
    device: DeviceId,
    channel: usize,
    command: SwitchCommand,
) -> Result<(), CommandError> {
    let result = with_dashboard(|d| d.request(browser::now(), device, channel, command))
        .unwrap_or(Err(CommandError::BrokerOffline));
    pump();
    result
}

/// The user asked a device for something besides switching.
pub fn act(device: DeviceId, action: DeviceAction) -> Result<(), CommandError> {
    let result = with_dashboard(|d| d.act(browser::now(), device, action))
        .unwrap_or(Err(CommandError::BrokerOffline));
    pump();
    result
}

/// The user opened a device's schedules: ask the device for them and for its clock.
pub fn open_schedules(device: DeviceId) -> Result<(), CommandError> {
    let wall = browser::wall_clock();
    let result = with_dashboard(|d| d.open_schedules(browser::now(), device, wall))
        .unwrap_or(Err(CommandError::BrokerOffline));
    pump();
    result
}

/// The user changed a device's schedules; the sentence says why nothing was sent.
pub fn change_schedule(device: DeviceId, change: ScheduleChange) -> Result<(), String> {
    let result = with_dashboard(|d| d.change_schedule(browser::now(), device, change))
        .unwrap_or_else(|| Err(CommandError::BrokerOffline.explain()));
    pump();
    result
}

/// Starts or stops keeping the recent messages (the log panel opened or closed).
pub fn set_logging(enabled: bool) {
    LOGGING.with(|l| l.set(enabled));
    LOG_SHOWN.with(|s| s.set(0));
    with_dashboard(|d| d.set_logging(enabled));
    schedule_render();
}

/// Publishes what the user typed in the log's publish form.
pub fn publish_raw(topic: &str, payload: &str, retain: bool) -> Result<(), String> {
    let result =
        with_dashboard(|d| d.publish_raw(browser::now(), topic, payload.as_bytes(), retain))
            .unwrap_or_else(|| Err(CommandError::BrokerOffline.explain()));
    pump();
    result
}

/// The user asked to delete the retained command found on a device's command topic.
pub fn clear_ghost(device: DeviceId) -> Result<(), CommandError> {
    let result = with_dashboard(|d| d.clear_ghost(browser::now(), device))
        .unwrap_or(Err(CommandError::BrokerOffline));
    pump();
    result
}

/// The user unlocked a device the relay guard had locked.
pub fn unlock(device: DeviceId) {
    with_dashboard(|d| d.unlock(browser::now(), device));
    pump();
}

/// The user confirmed a room's "all off" (`None`: the devices without a room).
pub fn switch_off_room(room: Option<&str>) -> switchboard_core::dashboard::RoomOff {
    let result = with_dashboard(|d| d.switch_off_room(browser::now(), room)).unwrap_or_default();
    pump();
    result
}

/// The user confirmed "all off" for the Tasmota group.
pub fn tasmota_group_off() -> Result<(), CommandError> {
    let result = with_dashboard(|d| d.tasmota_group_off(browser::now(), DEFAULT_GROUP_TOPIC))
        .unwrap_or(Err(CommandError::BrokerOffline));
    pump();
    result
}

/// The tab became visible, the page was restored, the network came back, or the window got
/// focus: timers may have been starved, so have the dashboard check the link at once.
pub fn wake() {
    let wall = browser::wall_clock();
    with_dashboard(|d| {
        let now = browser::now();
        d.handle_wake(now);
        // A clock on screen may have jumped while the tab was away.
        d.refresh_open_clocks(now, wall);
    });
    pump();
}

/// A device's schedules stay open: ask its clock again.
pub fn refresh_schedule_clock(device: DeviceId) {
    let wall = browser::wall_clock();
    with_dashboard(|d| d.refresh_schedule_clock(browser::now(), device, wall));
    pump();
}

/// The user asked to reconnect now.
pub fn retry_now() {
    with_dashboard(|d| d.retry_now());
    pump();
}

/// Adds a device (the page's new row `id`) to the running dashboard: subscribed and asked for
/// its state, nothing else touched.
pub fn add_device(id: DeviceId, device: DeviceConfig) {
    with_dashboard(|d| d.add_device_as(browser::now(), id, device));
    pump();
}

/// Removes a device from the running dashboard; no reconnect, the others as they were.
pub fn remove_device(id: DeviceId) {
    with_dashboard(|d| d.remove_device(browser::now(), id));
    pump();
}

/// Edits a device of the running dashboard in place (its relay protection is kept).
pub fn update_device(id: DeviceId, device: DeviceConfig) {
    with_dashboard(|d| d.update_device(browser::now(), id, device));
    pump();
}

/// Moves a device of the running dashboard to `position`.
pub fn move_device(id: DeviceId, position: usize) {
    with_dashboard(|d| d.move_device(id, position));
    pump();
}

fn with_dashboard<T>(f: impl FnOnce(&mut Dashboard) -> T) -> Option<T> {
    DRIVER.with(|cell| {
        cell.borrow_mut()
            .as_mut()
            .map(|driver| f(&mut driver.dashboard))
    })
}

fn handle_socket_event(generation: u64, event: SocketEvent) {
    let current = DRIVER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let Some(driver) = slot.as_mut() else {
            return false;
        };
        if driver.socket_generation != generation {
            return false;
        }
        let now = browser::now();
        match event {
            SocketEvent::Open => driver.dashboard.handle_transport_open(now),
            SocketEvent::Bytes(bytes) => {
                PACING.with(|p| p.borrow_mut().bytes_arrived(now));
                SWEEP.with(|sweep| sweep.borrow_mut().heard());
                driver.dashboard.handle_bytes(now, &bytes);
            }
            SocketEvent::Closed { .. } => {
                driver.socket = None;
                driver.dashboard.handle_transport_closed(now);
            }
        }
        true
    });
    if current {
        pump();
    }
}

fn handle_timer() {
    DRIVER.with(|cell| {
        if let Some(driver) = cell.borrow_mut().as_mut() {
            let now = browser::now();
            let scheduled = driver.timer.take().map(|(at, _)| at).unwrap_or(now);
            if now > scheduled + CLOCK_JUMP {
                driver.dashboard.handle_wake(now);
            }
            driver.dashboard.handle_timeout(now);
        }
    });
    pump();
}

/// Carries out what the dashboard asks, re-arms the timer, schedules a render.
fn pump() {
    let usability = DRIVER.with(|cell| {
        cell.borrow_mut().as_mut().map(|driver| {
            driver.carry_out();
            driver.arm_timer();
            driver.dashboard.usability_changes()
        })
    });
    // A switch became usable or busy (a click, a confirmation, a state now known, a device
    // gone): show it without waiting for the next frame, at most once every few milliseconds.
    if let Some(changes) = usability {
        PACING.with(|p| p.borrow_mut().usability_seen(browser::now, changes));
    }
    schedule_render();
}

/// Renders once however many inputs arrive before it: right after the current task for the
/// first few arrivals after a pause (a device's confirmation shows without waiting for a frame),
/// else on the next animation frame (a flood costs one render per frame). Never while the tab
/// is hidden: animation frames wait for it to be shown.
pub fn schedule_render() {
    let at_once = PACING.with(|p| p.borrow_mut().take_at_once());
    let already = RENDER_SCHEDULED.with(|flag| flag.replace(true));
    let visible = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| !d.hidden());
    if visible && at_once {
        // Even with a frame's render already requested: that one then finds nothing to do.
        wasm_bindgen_futures::spawn_local(async { render() });
        return;
    }
    if already {
        return;
    }
    let callback = Closure::once_into_js(render_frame);
    let requested = web_sys::window()
        .map(|w| w.request_animation_frame(callback.unchecked_ref()).is_ok())
        .unwrap_or(false);
    if !requested {
        render();
    }
}

/// A render at an animation frame (`time`, the frame's start): a sweep that asked for this
/// frame learns how long the last one took.
fn render_frame(time: f64) {
    if let Some(previous) = SWEEP_FRAME.with(Cell::take) {
        SWEEP.with(|sweep| sweep.borrow_mut().frame_interval(time - previous));
    }
    FRAME.with(|frame| frame.set(Some(time)));
    render();
    FRAME.with(|frame| frame.set(None));
}

/// Copies the dashboard's state into the signals, touching only what changed.
fn render() {
    RENDER_SCHEDULED.with(|flag| flag.replace(false));
    let views = DRIVER.with(|cell| {
        let slot = cell.borrow();
        let driver = slot.as_ref()?;
        let found = driver.signals.found.with_untracked(|shown| {
            let (found, problem) = (
                driver.dashboard.discovered(),
                driver.dashboard.discovery_problem(),
            );
            (shown.found != found || shown.problem.as_deref() != problem).then(|| FoundView {
                found: found.to_vec(),
                problem: problem.map(String::from),
            })
        });
        let log = driver.dashboard.log().and_then(|log| {
            let newest = log.last_sequence();
            (LOG_SHOWN.with(|s| s.replace(newest)) != newest)
                .then(|| log.entries().cloned().collect::<Vec<_>>())
        });
        Some((
            driver.signals,
            driver.link_view(),
            driver.changed_device_views(),
            found,
            log,
        ))
    });
    // Signals are written after the borrow ends, so nothing they trigger can re-enter it.
    let Some((signals, link, (changed, stale_hidden), found, log)) = views else {
        return;
    };
    if let Some(log) = log {
        signals.log.set(log);
    }
    if signals.link.with_untracked(|old| *old != link) {
        signals.link.set(link);
    }
    if let Some(found) = found {
        signals.found.set(found);
    }
    apply_views(signals, changed);
    refresh_hidden(signals, stale_hidden);
}

/// The cards far from the screen whose device changed: their order this frame, and which of
/// them changed usability.
struct StaleHidden {
    order: Vec<usize>,
    urgent: Vec<usize>,
}

/// Brings cards far from the screen up to date in the sweep's order, as many as the sweep
/// allows this frame; the rest wait for the next frame, whose timing tells the sweep whether
/// this one cost too much.
fn refresh_hidden(signals: ViewSignals, stale: StaleHidden) {
    let count = SWEEP.with(|sweep| sweep.borrow().cards_per_frame());
    let count = count.min(stale.order.len());
    for &index in &stale.order[..count] {
        let view = DRIVER.with(|cell| cell.borrow().as_ref().and_then(|d| d.device_view(index)));
        if let Some(view) = view {
            apply_views(signals, vec![view]);
        }
    }
    SWEEP.with(|sweep| {
        sweep
            .borrow_mut()
            .refreshed(&stale.order, count, &stale.urgent)
    });
    let going_on = count < stale.order.len();
    SWEEP_FRAME.with(|at| at.set(going_on.then(|| FRAME.with(Cell::get)).flatten()));
    if going_on {
        schedule_render();
    }
}

/// Writes device views into their rows (a device the page does not show yet gets a row).
fn apply_views(signals: ViewSignals, changed: Vec<(usize, DeviceId, DeviceView)>) {
    if changed.is_empty() {
        return;
    }
    crate::embed::notify(&changed);
    let mut added = Vec::new();
    for (index, id, view) in changed {
        match signals
            .devices
            .with_untracked(|rows| row_of(rows, index, id).map(|row| row.view))
        {
            Some(signal) => {
                // Touched is not changed (a question asked again, a timer): cards are notified
                // only when what they show differs.
                let same = signal.with_untracked(|shown| {
                    shown.state == view.state && shown.config == view.config
                });
                if same {
                    signal.update_untracked(|shown| shown.revision = view.revision);
                } else {
                    signal.set(view);
                }
            }
            None => added.push(DeviceRow::new(id, view)),
        }
    }
    if !added.is_empty() {
        signals.devices.update(|rows| rows.extend(added));
    }
}

/// The row of device `id`, expected at `index` (rows are kept in the dashboard's order).
fn row_of(rows: &[DeviceRow], index: usize, id: DeviceId) -> Option<&DeviceRow> {
    rows.get(index)
        .filter(|row| row.id == id)
        .or_else(|| rows.iter().find(|row| row.id == id))
}

impl Driver {
    fn carry_out(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(command) = self.dashboard.poll_transport_command() {
                progressed = true;
                match command {
                    switchboard_core::dashboard::TransportCommand::Open => self.open_socket(),
                    switchboard_core::dashboard::TransportCommand::Close => {
                        self.socket_generation += 1;
                        if let Some(socket) = self.socket.take() {
                            socket.close();
                        }
                    }
                }
            }
            // Everything queued goes out in one WebSocket message: a message may carry several
            // MQTT packets [MQTT-6.0.0-2], and one per packet made the start (hundreds of state
            // questions) and a flood (a PUBACK per report) cost a frame each.
            // Acknowledgements alone wait a few milliseconds for company (the timer is set).
            let mut batch: Vec<u8> = Vec::new();
            let due = self.dashboard.transmit_due(browser::now());
            while let Some(bytes) = due.then(|| self.dashboard.poll_transmit()).flatten() {
                if batch.is_empty() {
                    batch = bytes;
                } else {
                    batch.extend_from_slice(&bytes);
                }
            }
            if !batch.is_empty() {
                progressed = true;
                let sent = self.socket.as_ref().map(|socket| socket.send(&batch));
                if !matches!(sent, Some(Ok(()))) {
                    // The socket is gone or broken: treat it as closed (this schedules a retry).
                    self.socket_generation += 1;
                    if let Some(socket) = self.socket.take() {
                        socket.close();
                    }
                    self.dashboard.handle_transport_closed(browser::now());
                }
            }
            if !progressed {
                break;
            }
        }
    }

    fn open_socket(&mut self) {
        self.socket_generation += 1;
        if let Some(socket) = self.socket.take() {
            socket.close();
        }
        if let Err(problem) = check_mixed_content(&self.page_protocol, &self.url) {
            self.dashboard
                .handle_transport_refused(browser::now(), problem);
            return;
        }
        let generation = self.socket_generation;
        match Socket::open(&self.url, move |event| {
            handle_socket_event(generation, event)
        }) {
            Ok(socket) => self.socket = Some(socket),
            Err(reason) => self.dashboard.handle_transport_refused(
                browser::now(),
                say!(
                    "The browser refused the broker address \"{}\": {}",
                    self.url,
                    reason
                ),
            ),
        }
    }

    fn arm_timer(&mut self) {
        let Some(deadline) = self.dashboard.poll_timeout() else {
            self.timer = None;
            return;
        };
        // A timer already due no later is kept: it fires, finds nothing or something to do,
        // and re-arms for what is then next. Only an earlier deadline replaces it (a flood
        // moves deadlines later with every message; clearing and setting a browser timer each
        // time cost 2 % of its samples).
        if self.timer.as_ref().is_some_and(|(at, _)| *at <= deadline) {
            return;
        }
        let delay = deadline.saturating_sub(browser::now()).min(u32::MAX as u64) as u32;
        self.timer = Some((deadline, Timeout::new(delay, handle_timer)));
    }

    fn link_view(&self) -> LinkView {
        LinkView {
            url: self.url.clone(),
            status: self.dashboard.link().clone(),
            running: true,
        }
    }

    /// Views of the devices whose state differs from what the page shows, or that the page
    /// does not show yet, for the cards on or near the screen; the stale cards far from it,
    /// in the order to refresh them. Only views are cloned that are written: a frame costs one
    /// comparison per device.
    fn changed_device_views(&self) -> (Vec<(usize, DeviceId, DeviceView)>, StaleHidden) {
        let devices = self.dashboard.devices();
        let (due, stale_hidden, urgent) = self.signals.devices.with_untracked(|rows| {
            let mut due = Vec::new();
            let mut stale_hidden = Vec::new();
            let mut urgent = Vec::new();
            for (index, device) in devices.iter().enumerate() {
                let Some(row) = row_of(rows, index, device.id) else {
                    due.push(index);
                    continue;
                };
                // The revision moves whenever the dashboard touched the device: one number
                // compared per device and frame, not whole states.
                let (differs, usability_changed) = row.view.with_untracked(|shown| {
                    if shown.revision == device.revision() {
                        return (false, false);
                    }
                    (true, shown.state.usability() != device.state().usability())
                });
                if !differs {
                    continue;
                }
                if visibility::is_hidden(row.key) {
                    stale_hidden.push(index);
                    if usability_changed {
                        urgent.push(index);
                    }
                } else {
                    due.push(index);
                }
            }
            (due, stale_hidden, urgent)
        });
        let order = SWEEP.with(|sweep| sweep.borrow().order(&stale_hidden, &urgent));
        let views = due
            .into_iter()
            .filter_map(|index| self.device_view(index))
            .collect();
        (views, StaleHidden { order, urgent })
    }

    /// What the page shows of the device at `index`, with its identity.
    fn device_view(&self, index: usize) -> Option<(usize, DeviceId, DeviceView)> {
        let device = self.dashboard.devices().get(index)?;
        let view = DeviceView {
            config: device.config.clone(),
            state: device.state().clone(),
            actions: device.actions(),
            toggles_blind: device.toggles_without_state(),
            revision: device.revision(),
        };
        Some((index, device.id, view))
    }
}
