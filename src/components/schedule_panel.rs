//! A device's own schedules, opened from its card: the list in words, the device's clock next
//! to the browser's with what is wrong with it, and the buttons to add, change, enable,
//! disable and delete.
//!
//! Nothing is shown as saved on the page's word: a change is "waiting for the device" until the
//! device reports it back, and its refusal is shown in its own words. Kinds without schedules
//! of their own say so plainly; the page never runs a schedule itself.

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use switchboard_core::dashboard::DeviceId;
use switchboard_core::say;
use switchboard_core::schedule::Schedule;
use switchboard_core::schedule::ScheduleAction;
use switchboard_core::schedule_book::{
    browser_time_at, ScheduleBook, ScheduleChange, CLOCK_REFRESH_MS,
};

use crate::app::DeviceView;
use crate::components::schedule_editor::ScheduleEditor;
use crate::components::two_tap;
use crate::driver;
use crate::lazy::{self, Loaded};

/// What the form is open for.
#[derive(Debug, Clone, PartialEq)]
enum Editing {
    New,
    Existing(u32, Schedule),
}

/// The schedules of `device`; they arrive with the `schedules` chunk when first opened.
#[component]
pub fn SchedulePanel(view: RwSignal<DeviceView>, device: DeviceId) -> impl IntoView {
    lazy::part(move || schedule_list(view, device))
}

#[wasm_split(schedules, wasm_split_path = ::leptos::wasm_split, fallible)]
fn schedule_list(view: RwSignal<DeviceView>, device: DeviceId) -> Loaded {
    Ok(view! { <ScheduleList view=view device=device /> }.into_any())
}

/// The schedules of `device`, asked from the device when the panel opens.
#[component]
fn ScheduleList(view: RwSignal<DeviceView>, device: DeviceId) -> impl IntoView {
    let book = Memo::new(move |_| view.with(|v| v.state.schedules.clone()));
    let kind = view.with_untracked(|v| v.state.schedules.kind);
    let reachable = Memo::new(move |_| view.with(|v| v.state.is_reachable()));
    let relays = Memo::new(move |_| {
        view.with(|v| {
            let channels = &v.state.channels;
            if channels.len() < 2 {
                return Vec::new();
            }
            channels
                .iter()
                .enumerate()
                .map(|(i, c)| c.name.clone().unwrap_or_else(|| say!("Relay {}", i + 1)))
                .collect::<Vec<_>>()
        })
    });
    let refused = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<Editing>);
    let ask = move || refused.set(driver::open_schedules(device).err().map(|e| e.explain()));
    if kind.is_editable() {
        // After this render: asking writes the view, which must not happen while drawing it.
        request_animation_frame(ask);
    }
    let done = Callback::new(move |()| editing.set(None));
    let used = move || {
        book.with(|b| {
            say!(
                "{} of {} in use on the device",
                b.entries.len(),
                b.kind.capacity()
            )
        })
    };
    view! {
        <section class="schedules" aria-label=say!("Schedules kept by the device")>
            <h3 class="schedules-title">{say!("Schedules kept by the device")}</h3>
            {match kind.why_none() {
                Some(why) => view! { <p class="schedules-none">{why}</p> }.into_any(),
                None => view! {
                    <p class="schedules-note">{say!("They run on the device itself, with this page closed and the broker down.")}</p>
                    <ClockLine book=book device=device />
                    {move || (book.with(|b| b.all_armed) == Some(false)).then(|| view! {
                        <div class="card-notice schedule-warning" role="alert">
                            <p>{say!("Timers are switched off on this device as a whole: none of them fires.")}</p>
                            <button type="button" class="chip" on:click=move |_| {
                                refused.set(driver::change_schedule(device, ScheduleChange::ArmAll).err());
                            }>{say!("Switch timers on")}</button>
                        </div>
                    })}
                    {move || {
                        let b = book.get();
                        if !b.loaded {
                            let text = if reachable.get() { say!("Asking the device for its schedules…") } else { say!("The device cannot be reached: its schedules are shown when it is back.") };
                            return view! { <p class="schedules-loading">{text}</p> }.into_any();
                        }
                        if b.entries.is_empty() {
                            return view! { <p class="schedules-empty">{say!("No schedules on the device yet.")}</p> }.into_any();
                        }
                        let names = relays.get();
                        view! {
                            <ul class="schedule-list">
                                {b.entries.iter().map(|entry| {
                                    let relay_name = names.get(usize::from(entry.schedule.relay).saturating_sub(1)).cloned();
                                    view! { <ScheduleRow book=book device=device id=entry.id text=describe(entry, relay_name.as_deref()) enabled=entry.schedule.enabled editable=entry.schedule.action != ScheduleAction::Other refused=refused editing=editing /> }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                    <PendingLine book=book />
                    {move || refused.get().map(|r| view! { <p class="card-notice" role="alert">{r}</p> })}
                    {move || match editing.get() {
                        Some(Editing::New) => view! {
                            <ScheduleEditor device=device kind=kind id=None start=Schedule::default() relays=relays.get_untracked() done=done />
                        }.into_any(),
                        Some(Editing::Existing(id, schedule)) => view! {
                            <ScheduleEditor device=device kind=kind id=Some(id) start=schedule relays=relays.get_untracked() done=done />
                        }.into_any(),
                        None => view! {
                            <div class="schedule-actions">
                                <button
                                    type="button"
                                    class="chip"
                                    disabled=move || !reachable.get() || !book.with(|b| b.loaded)
                                    on:click=move |_| { refused.set(None); editing.set(Some(Editing::New)); }
                                >{say!("Add a schedule")}</button>
                                <button type="button" class="link-button" disabled=move || !reachable.get() on:click=move |_| ask()>{say!("Ask the device again")}</button>
                                <span class="schedule-count">{used}</span>
                            </div>
                        }.into_any(),
                    }}
                }.into_any(),
            }}
        </section>
    }
}

/// One schedule in the list, with its buttons.
#[component]
fn ScheduleRow(
    book: Memo<ScheduleBook>,
    device: switchboard_core::dashboard::DeviceId,
    id: u32,
    text: String,
    enabled: bool,
    editable: bool,
    refused: RwSignal<Option<String>>,
    editing: RwSignal<Option<Editing>>,
) -> impl IntoView {
    let waiting = move || book.with(|b| b.pending.as_ref().is_some_and(|p| p.id == Some(id)));
    let busy = move || book.with(|b| b.pending.is_some());
    let delete_armed = RwSignal::new(false);
    let send =
        move |change: ScheduleChange| refused.set(driver::change_schedule(device, change).err());
    view! {
        <li class="schedule" class:is-disabled=!enabled aria-busy=move || waiting().to_string()>
            <span class="schedule-text">{text}</span>
            {(!enabled).then(|| view! { <span class="schedule-state">{say!("disabled")}</span> })}
            {move || waiting().then(|| view! { <span class="schedule-state is-waiting">{say!("waiting for the device…")}</span> })}
            <div class="schedule-buttons">
                <button type="button" class="link-button" disabled=busy on:click=move |_| send(ScheduleChange::SetEnabled(id, !enabled))>
                    {if enabled { say!("Disable") } else { say!("Enable") }}
                </button>
                {editable.then(|| view! {
                    <button type="button" class="link-button" disabled=busy on:click=move |_| {
                        refused.set(None);
                        let schedule = book.with_untracked(|b| b.entry(id).map(|e| e.schedule.clone()));
                        editing.set(schedule.map(|s| Editing::Existing(id, s)));
                    }>{say!("Edit")}</button>
                })}
                <button
                    type="button"
                    class="link-button"
                    class:is-armed=move || delete_armed.get()
                    disabled=busy
                    on:click=move |_| {
                        if two_tap::confirmed(delete_armed) {
                            send(ScheduleChange::Delete(id));
                        }
                    }
                >
                    {move || if delete_armed.get() { say!("Confirm: delete") } else { say!("Delete") }}
                </button>
            </div>
        </li>
    }
}

/// The change in flight, the last confirmation or the device's refusal.
#[component]
fn PendingLine(book: Memo<ScheduleBook>) -> impl IntoView {
    move || {
        book.with(|b| {
            if b.pending.is_some() {
                Some(view! { <p class="schedule-status is-waiting" role="status">{say!("Sent; waiting for the device to report it back…")}</p> }.into_any())
            } else if let Some(notice) = &b.notice {
                Some(view! { <p class="card-notice" role="alert">{notice.clone()}</p> }.into_any())
            } else {
                b.confirmed.as_ref().map(|c| view! { <p class="schedule-status is-confirmed" role="status">{c.clone()}</p> }.into_any())
            }
        })
    }
}

/// The device's clock beside the browser's, and what is wrong with it. Both times tick once a
/// second while shown (the device's carried forward from its answer at the browser's pace),
/// and the device is asked again every minute, so a clock that jumps is warned about.
#[component]
fn ClockLine(
    book: Memo<ScheduleBook>,
    device: switchboard_core::dashboard::DeviceId,
) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let interval = gloo_timers::callback::Interval::new(1_000, move || {
        let seconds = tick.try_update(|t| {
            *t = t.wrapping_add(1);
            *t
        });
        let refresh_every = (CLOCK_REFRESH_MS / 1_000) as u32;
        if seconds.is_some_and(|s| s % refresh_every == 0) {
            driver::refresh_schedule_clock(device);
        }
    });
    // Stops ticking (and asking) when the panel closes.
    let interval = StoredValue::new_local(Some(interval));
    on_cleanup(move || interval.update_value(|i| drop(i.take())));
    move || {
        tick.track();
        book.with(|b| {
            let clock = b.clock.as_ref()?;
            let browser = crate::browser::wall_clock();
            let local = match &clock.read {
                Some(read) => read.local_time_at(browser.unix_ms),
                None => clock.local_time.clone().unwrap_or_else(|| "–".into()),
            };
            // "+01:00" reads better as "UTC+01:00"; a zone name ("Europe/Berlin") stays.
            let zone = match clock.zone.as_deref() {
                Some(z) if z.starts_with(['+', '-']) => format!("UTC{z}"),
                Some(z) => z.to_string(),
                None => String::new(),
            };
            let browser_time = browser_time_at(browser.unix_ms, browser.utc_offset_minutes);
            let warnings = clock.warnings(browser.utc_offset_minutes);
            let sun = clock.sunrise.as_ref().zip(clock.sunset.as_ref()).map(|(rise, set)| say!("Sunrise {}, sunset {} at the device's location.", rise, set));
            Some(view! {
                <div class="schedule-clock">
                    <p>{say!("Device time: {} ({}); this browser: {}.", local, zone, browser_time)}</p>
                    {sun.map(|s| view! { <p>{s}</p> })}
                    {warnings.into_iter().map(|w| view! { <p class="card-notice schedule-warning" role="alert">{w}</p> }).collect_view()}
                </div>
            })
        })
    }
}

fn describe(
    entry: &switchboard_core::schedule_book::ScheduleEntry,
    relay_name: Option<&str>,
) -> String {
    let mut text = entry.schedule.describe(relay_name);
    if let Some(calls) = &entry.other_calls {
        text = say!("{} ({})", text, calls);
    }
    text
}
