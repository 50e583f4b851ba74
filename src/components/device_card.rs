//! One device's card: its name and address, one control per channel, live readings, the
//! device's answers, and any problem in words.
//!
//! In the compact layout the card is a row: a details button, the name, the state in words
//! with the main reading, the switch. Everything else (address, readings, "heard from",
//! answers, "ask the board", schedules, "send toggle") is built only while its details are
//! open. A lock, a ghost or any problem is always shown: it is never behind a tap.
//!
//! Each control mirrors only what the device reported (see [`super::channel_control`]). The
//! card is greyed while the device or the broker is offline, and says so when the broker's
//! discovery no longer lists the device.

use leptos::prelude::*;
use switchboard_core::adapter::DeviceAction;
use switchboard_core::device::{Availability, ChannelRole, DeviceState, GhostCommand};
use switchboard_core::say;

use crate::app::{DeviceRow, DeviceView};
use crate::components::channel_control::ChannelControl;
use crate::components::device_edit_form::DeviceEditForm;
use crate::components::readings_line::ReadingsLine;
use crate::components::schedule_panel::SchedulePanel;
use crate::components::sparkline::Sparkline;
use crate::driver;
use crate::setup;
use switchboard_core::dashboard::DeviceId;

/// A device card.
#[component]
pub fn DeviceCard(row: DeviceRow) -> impl IntoView {
    let signals = crate::store::use_store();
    let view = row.view;
    let index = row.id;
    let refused = RwSignal::new(None::<String>);
    let edit_closed = RwSignal::new(true);
    let label = move || view.with(|v| v.config.label.clone());
    let address = move || {
        view.with(|v| {
            format!(
                "{} · {}",
                v.config.address.kind_name(),
                v.config.address.summary()
            )
        })
    };
    let schedules_open = RwSignal::new(false);
    // A row's own memo over the page's: the row's effects re-run on every report and re-track
    // what they read; tracking the page-wide memo directly made each re-run search a
    // subscriber set of thousands (`IndexMap::shift_remove`, 3-9 % of a flood's samples).
    let compact = Memo::new(move |_| signals.layout.compact.get());
    let details_open = RwSignal::new(false);
    // Everything shown: a card, or a row whose details are open.
    let full = Memo::new(move |_| !compact.get() || details_open.get());
    // Plain closures, not memos: each reactive node costs a row about 550 bytes, and these are
    // read only where shown.
    let show_address = move || full.get() || signals.setup.editing.get();
    let main_reading = move || {
        view.with(|v| {
            (v.state.channels.len() > 1)
                .then(|| crate::components::readings_line::row_reading(&v.state))
                .flatten()
        })
    };
    let card_class = move || {
        let mut class = view.with(|v| card_class(&v.state));
        if compact.get() {
            class.push_str(" is-row");
            if details_open.get() {
                class.push_str(" is-open");
            }
        }
        // A card with its schedules open takes the whole row (a class, not `:has()`, which
        // would make every change inside a thousand cards re-check the rule).
        if schedules_open.get() {
            class.push_str(" has-schedules");
        }
        class
    };
    // Watched so that a flood for hundreds of devices costs only the cards near the screen.
    let card = NodeRef::<leptos::html::Li>::new();
    let key = row.key;
    let near_screen = row.near_screen;
    card.on_load(move |element| {
        crate::visibility::observe(&element, key, near_screen);
        on_cleanup(move || crate::visibility::forget(&element, key));
    });
    // Memos: the channel list and the action buttons are rebuilt only when they change, not on
    // every state report (which would replace the very button a finger is on).
    // The layout and each channel's kind: the controls are built anew only when these change.
    let shape = Memo::new(move |_| {
        let compact = compact.get();
        view.with(|v| {
            let kinds: Vec<_> = v
                .state
                .channels
                .iter()
                .map(|c| (c.role, c.confirmable))
                .collect();
            (compact, kinds)
        })
    });
    let lone_switch = move || shape.with(|(_, kinds)| kinds.len() == 1);
    // One memo for everything below the controls: it changes rarely, and a thousand rows each
    // with a memo and an effect per note cost more memory than the rows' content.
    let notes = Memo::new(move |_| {
        let refused = refused.get();
        view.with(|v| CardNotes::of(v, refused))
    });

    view! {
        <li class=card_class node_ref=card data-row=key.to_string()>
            {move || compact.get().then(|| view! {
                <button
                    type="button"
                    class="details-toggle"
                    aria-expanded=move || details_open.get().to_string()
                    aria-label=move || say!("Details: {}", label())
                    on:click=move |_| details_open.update(|open| *open = !*open)
                >
                    <span class="chevron" aria-hidden="true"></span>
                </button>
            })}
            // Plain closures rather than `Show`: a thousand rows, each `Show` a memo and an owner more.
            {move || (!(compact.get() && lone_switch())).then(|| view! {
                <div class="card-title">
                    <span class="card-label">{label}</span>
                    {move || (compact.get() && !details_open.get()).then(|| main_reading().map(|r| view! { <span class="card-topic">{r}</span> })).flatten()}
                    {move || show_address().then(|| view! { <span class="card-topic">{address}</span> })}
                </div>
            })}
            {move || signals.setup.editing.get().then(|| view! {
                <div class="card-edit">
                    <button type="button" class="chip" aria-label=move || say!("Move {} up", label()) on:click=move |_| setup::move_device(signals, index, -1)>"↑"</button>
                    <button type="button" class="chip" aria-label=move || say!("Move {} down", label()) on:click=move |_| setup::move_device(signals, index, 1)>"↓"</button>
                    <button type="button" class="chip" aria-label=move || say!("Remove {}", label()) on:click=move |_| setup::remove_device(signals, index)>{say!("Remove")}</button>
                    <button type="button" class="chip" aria-label=move || say!("Edit {}", label()) on:click=move |_| edit_closed.update(|c| *c = !*c)>{say!("Edit")}</button>
                </div>
            })}
            {move || (signals.setup.editing.get() && !edit_closed.get()).then(|| {
                let config = view.with_untracked(|v| v.config.clone());
                view! { <DeviceEditForm id=index config=config done=edit_closed /> }
            })}
            <ul class="channels">
                {move || {
                    shape.with(|(compact, kinds)| kinds.iter().enumerate()
                        .map(|(channel, &kind)| view! { <ChannelControl view=view device=index channel=channel kind=kind refused=refused compact=*compact details=full.into() /> })
                        .collect_view())
                }}
            </ul>
            {move || notes.with(|n| n.sensor_text.clone()).map(|text| view! { <p class="card-value">{text}</p> })}
            {move || (compact.get() && lone_switch() && show_address()).then(|| view! {
                <p class="card-topic">{address}</p>
            })}
            // Built only while shown: a closed row carries none of it.
            {move || full.get().then(|| view! {
                <DeviceDetails view=view device=index near_screen=near_screen refused=refused schedules_open=schedules_open />
            })}
            {move || {
                let CardNotes { locked, ghost, removed, notice, .. } = notes.get();
                (
                    locked.map(|(commands, window)| view! {
                        <div class="card-notice guard" role="alert">
                            <p>{say!("Locked: more than {} commands in {} s were attempted. It protects the relay from being switched too fast; unlock it if that was you.", commands, window / 1_000)}</p>
                            <button type="button" class="chip" on:click=move |_| { refused.set(None); driver::unlock(index); }>{say!("Unlock")}</button>
                        </div>
                    }),
                    ghost.map(|g| {
                        let text = if g.cleared {
                            say!("The retained command on {} was deleted from the broker.", g.topic)
                        } else {
                            say!("A retained command \"{}\" sits on {}. The device re-applies it every time it reconnects (\"ghost switching\"), so it can switch by itself after a Wi-Fi or power glitch. Commands should never be retained.", g.payload, g.topic)
                        };
                        view! {
                            <div class="ghost-warning" role="alert">
                                <p>{text}</p>
                                {(!g.cleared).then(|| view! {
                                    <button type="button" class="chip" on:click=move |_| {
                                        refused.set(driver::clear_ghost(index).err().map(|e| e.explain()));
                                    }>{say!("Delete the retained command")}</button>
                                })}
                            </div>
                        }
                    }),
                    removed.then(|| view! {
                        <p class="card-notice">{say!("The broker's discovery no longer lists this device: it may have been removed or renamed.")}</p>
                    }),
                    notice.map(|n| view! { <p class="card-notice" role="alert">{n}</p> }),
                )
            }}
        </li>
    }
}

/// Everything beyond the switches: readings, the sparkline, "heard from", the device's
/// answers, "ask the board", schedules.
#[component]
fn DeviceDetails(
    view: RwSignal<DeviceView>,
    device: DeviceId,
    near_screen: RwSignal<bool>,
    refused: RwSignal<Option<String>>,
    schedules_open: RwSignal<bool>,
) -> impl IntoView {
    let signals = crate::store::use_store();
    let index = device;
    let last_seen = Memo::new(move |_| view.with(|v| v.state.last_seen));
    // Off screen, the clock's tick is not followed: hundreds of hidden cards would otherwise
    // all be rewritten every second.
    let seen = move || {
        let at = last_seen.get()?;
        let now = if near_screen.get() {
            signals.clock.get()
        } else {
            signals.clock.get_untracked()
        };
        Some(say!("Heard from {}", ago(now.saturating_sub(at))))
    };
    let answer = Memo::new(move |_| view.with(|v| v.state.answer.clone()));
    // Memos: the action buttons are rebuilt only when they change, not on every state report
    // (which would replace the very button a finger is on).
    let actions = Memo::new(move |_| view.with(|v| v.actions));
    let reachable = move || view.with(|v| v.state.is_reachable());
    let switchable = Memo::new(move |_| {
        view.with(|v| {
            v.state
                .channels
                .iter()
                .any(|c| c.role != ChannelRole::Contact)
        })
    });
    view! {
        <ReadingsLine view=view />
        <Sparkline view=view />
        // Built once: every report changes the time, and rebuilding the line for each would
        // churn the DOM and the reactive graph under a flood.
        <Show when=move || last_seen.with(Option::is_some)>
            <p class="card-seen">{seen}</p>
        </Show>
        {move || answer.get().map(|a| view! { <p class="card-answer">{a}</p> })}
        {move || {
            let actions = actions.get();
            (!actions.is_empty()).then(|| view! {
                <div class="card-actions">
                    <span>{say!("Ask the board:")}</span>
                    {actions.iter().map(|&action| view! {
                        <button
                            type="button"
                            class="link-button"
                            disabled=move || !reachable()
                            on:click=move |_| refused.set(driver::act(index, action).err().map(|e| e.explain()))
                        >
                            {action_name(action)}
                        </button>
                    }).collect_view()}
                </div>
            })
        }}
        {move || switchable.get().then(|| view! {
            <button
                type="button"
                class="link-button schedules-toggle"
                aria-expanded=move || schedules_open.get().to_string()
                on:click=move |_| schedules_open.update(|open| *open = !*open)
            >
                {say!("Schedules")}
            </button>
        })}
        {move || schedules_open.get().then(|| view! { <SchedulePanel view=view device=index /> })}
    }
}

/// What a card says below its controls.
#[derive(Debug, Clone, PartialEq)]
struct CardNotes {
    /// A sensor's value, or why there is none.
    sensor_text: Option<String>,
    /// Locked by the relay guard: its limit (commands, window in ms).
    locked: Option<(u32, u64)>,
    /// A retained command found on the command topic.
    ghost: Option<GhostCommand>,
    /// Discovery withdrew the device.
    removed: bool,
    /// A refusal, or the device's last problem.
    notice: Option<String>,
}

impl CardNotes {
    fn of(view: &DeviceView, refused: Option<String>) -> Self {
        let state = &view.state;
        let limit = view.config.options.limit;
        Self {
            sensor_text: sensor_text(state),
            locked: state.locked.then_some((limit.commands, limit.window)),
            ghost: state.ghost.clone(),
            removed: state.removed,
            // While locked, the lock box says everything; a refusal would repeat it.
            notice: refused
                .filter(|_| !state.locked)
                .or_else(|| state.notice.clone()),
        }
    }
}

fn card_class(state: &DeviceState) -> String {
    let mut class = String::from("card");
    if !state.broker_connected || state.availability == Availability::Offline {
        class.push_str(" is-offline");
    } else if state.any_pending() {
        class.push_str(" is-pending");
    } else if state
        .channels
        .iter()
        .any(|c| c.role != ChannelRole::Contact && c.power == Some(true) && c.power_is_current)
    {
        class.push_str(" is-on");
    }
    class
}

/// For a device without channels (a sensor): its value, or why there is none.
fn sensor_text(state: &DeviceState) -> Option<String> {
    if !state.channels.is_empty() {
        return None;
    }
    let last = state
        .value
        .as_ref()
        .map(|v| say!(" (last: {})", v))
        .unwrap_or_default();
    Some(if !state.broker_connected {
        say!("No connection to the broker{}", last)
    } else if state.availability == Availability::Offline {
        say!("Device offline{}", last)
    } else {
        state
            .value
            .clone()
            .unwrap_or_else(|| say!("Waiting for a value…"))
    })
}

/// "5 s ago", "3 min ago", "2 h ago".
fn ago(millis: u64) -> String {
    let seconds = millis / 1_000;
    match seconds {
        0..=59 => say!("{} s ago", seconds),
        60..=3_599 => say!("{} min ago", seconds / 60),
        _ => say!("{} h ago", seconds / 3_600),
    }
}

fn action_name(action: DeviceAction) -> String {
    match action {
        DeviceAction::Refresh => say!("refresh"),
        DeviceAction::Stats => say!("stats"),
        DeviceAction::Address => say!("IP address"),
    }
}
