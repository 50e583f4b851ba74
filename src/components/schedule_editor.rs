//! The form that creates or edits one schedule kept by the device.
//!
//! Every input can only hold something sensible: a time picker, a before/after choice with an
//! offset, seven day boxes with presets, the device's relays by name. Tasmota adds "only once",
//! a random window and "trigger a rule"; Shelly adds a raw cron timespec for advanced users.
//! Saving sends the change and closes the form; the list then shows it as waiting until the
//! device reports it back (see [`super::schedule_panel`]). Built from the page's shared field
//! components, so the form adds little code of its own to the download.

use leptos::prelude::*;
use switchboard_core::say;
use switchboard_core::schedule::{
    check_timespec, short_day_name, Schedule, ScheduleAction, Weekdays,
};
use switchboard_core::schedule_book::{ScheduleChange, ScheduleKind};
use switchboard_core::schedule_form::{action_code, action_from_code, MomentKind, ScheduleForm};

use crate::components::text_field::{CheckField, FormError, SelectField, TextField};
use crate::driver;

/// The form for a new schedule (`id` None) or schedule `id`, starting from `start`; `relays`
/// names the device's relays (empty for a single relay); `done` closes it.
#[component]
pub fn ScheduleEditor(
    device: switchboard_core::dashboard::DeviceId,
    kind: ScheduleKind,
    id: Option<u32>,
    start: Schedule,
    relays: Vec<String>,
    done: Callback<()>,
) -> impl IntoView {
    let initial = ScheduleForm::from_schedule(&start);
    let action = RwSignal::new(action_code(initial.action).to_string());
    let relay = RwSignal::new(initial.relay.to_string());
    let moment = RwSignal::new(initial.moment.code().to_string());
    let time = RwSignal::new(initial.time.clone());
    let offset = RwSignal::new(initial.offset.clone());
    let side = RwSignal::new(
        if initial.offset_after {
            "after"
        } else {
            "before"
        }
        .to_string(),
    );
    let cron = RwSignal::new(initial.cron.clone());
    let days = RwSignal::new(initial.days);
    let window = RwSignal::new(initial.window.clone());
    let once = RwSignal::new(initial.once);
    let enabled = RwSignal::new(initial.enabled);
    let form = move || ScheduleForm {
        action: action_from_code(&action.get()),
        relay: relay.get().parse().unwrap_or(1),
        moment: MomentKind::from_code(&moment.get()),
        time: time.get(),
        offset: offset.get(),
        offset_after: side.get() == "after",
        cron: cron.get(),
        days: days.get(),
        once: once.get(),
        window: window.get(),
        enabled: enabled.get(),
    };
    let error = RwSignal::new(None::<String>);
    let cron_problem = move || {
        let text = cron.get();
        if text.trim().is_empty() {
            return None;
        }
        check_timespec(&text).err()
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let schedule = match untrack(form).to_schedule() {
            Ok(schedule) => schedule,
            Err(why) => {
                error.set(Some(say!("Not saved: {}", why)));
                return;
            }
        };
        let change = match id {
            Some(id) => ScheduleChange::Update(id, schedule),
            None => ScheduleChange::Create(schedule),
        };
        match driver::change_schedule(device, change) {
            Ok(()) => {
                error.set(None);
                done.run(());
            }
            Err(why) => error.set(Some(say!("Not saved: {}", why))),
        }
    };
    let is_tasmota = kind == ScheduleKind::Tasmota;
    let mut actions = vec![
        ("on", say!("Switch on")),
        ("off", say!("Switch off")),
        ("toggle", say!("Toggle")),
    ];
    if is_tasmota {
        actions.push(("rule", say!("Trigger a rule")));
    }
    let mut moments = vec![
        ("time", say!("At a time")),
        ("sunrise", say!("Sunrise")),
        ("sunset", say!("Sunset")),
    ];
    if kind == ScheduleKind::Shelly {
        moments.push(("cron", say!("Cron timespec (advanced)")));
    }
    let relay_options: Vec<(&'static str, String)> = relays
        .into_iter()
        .enumerate()
        .map(|(i, name)| (RELAY_VALUES.get(i).copied().unwrap_or("1"), name))
        .collect();
    let day_box = move |day: usize| {
        view! {
            <label class="day">
                <input
                    type="checkbox"
                    name=format!("day{day}")
                    prop:checked=move || days.get().contains(day)
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        days.update(|d| *d = d.with(day, on));
                    }
                />
                <span>{short_day_name(day)}</span>
            </label>
        }
    };
    let preset = move |(caption, set): (String, Weekdays)| {
        view! {
            <button
                type="button"
                class="link-button"
                aria-pressed=move || (days.get() == set).to_string()
                on:click=move |_| days.set(set)
            >
                {caption}
            </button>
        }
    };
    let moment_kind = move || MomentKind::from_code(&moment.get());
    view! {
        <form class="form-inner schedule-editor" on:submit=on_submit novalidate>
            <p class="form-heading">{if id.is_some() { say!("Change schedule") } else { say!("New schedule") }}</p>
            <div class="field-row">
                <SelectField caption=say!("Action") name="schedule_action" options=actions value=action />
                {(relay_options.len() > 1).then(|| view! {
                    <SelectField caption=say!("Relay") name="schedule_relay" options=relay_options value=relay />
                })}
                <SelectField caption=say!("When") name="schedule_when" options=moments value=moment />
                {move || match moment_kind() {
                    MomentKind::At => view! {
                        <TextField caption=say!("Time (device's local time)") name="schedule_time" kind="time" value=time />
                    }.into_any(),
                    MomentKind::Sunrise | MomentKind::Sunset => view! {
                        <div class="field-pair">
                            <TextField caption=say!("Offset (hours:minutes)") name="schedule_offset" value=offset placeholder="0:30" />
                            <SelectField caption=say!("Before or after") name="schedule_offset_side" options=vec![("before", say!("before")), ("after", say!("after"))] value=side />
                        </div>
                    }.into_any(),
                    MomentKind::Cron => view! {
                        <TextField caption=say!("Timespec (seconds minutes hours day month weekday)") name="schedule_cron" value=cron placeholder="0 30 7 * * MON-FRI" />
                        // Checked as the device checks it, while typing: nothing invalid is sent.
                        <p class="field-problem" aria-live="polite">{cron_problem}</p>
                    }.into_any(),
                }}
            </div>
            <Show when=move || moment_kind() != MomentKind::Cron>
                <fieldset class="days">
                    <legend>{say!("Days")}</legend>
                    // Monday first, as people read a week.
                    <div class="day-boxes">{[1, 2, 3, 4, 5, 6, 0].map(day_box).collect_view()}</div>
                    <div class="day-presets">
                        {[(say!("Every day"), Weekdays::ALL), (say!("Mon–Fri"), Weekdays::WORKDAYS), (say!("Weekend"), Weekdays::WEEKEND)].map(preset).collect_view()}
                    </div>
                </fieldset>
            </Show>
            {is_tasmota.then(|| view! {
                <div class="field-row">
                    <TextField caption=say!("Random window (± minutes, 0–15)") name="schedule_window" kind="number" value=window />
                    <CheckField caption=say!("Only once, then disable it") name="schedule_once" value=once />
                </div>
            })}
            <CheckField caption=say!("Enabled") name="schedule_enabled" value=enabled />
            <p class="schedule-preview" aria-live="polite">{move || form().to_schedule().map(|s| preview(&s)).unwrap_or_default()}</p>
            <FormError error=error />
            <div class="pair">
                <button type="submit" class="chip is-primary">{say!("Save on the device")}</button>
                <button type="button" class="chip" on:click=move |_| done.run(())>{say!("Cancel")}</button>
            </div>
        </form>
    }
}

/// The option values of relays 1 to 8.
const RELAY_VALUES: [&str; 8] = ["1", "2", "3", "4", "5", "6", "7", "8"];

/// What the form will save, in the list's words.
fn preview(schedule: &Schedule) -> String {
    if schedule.action == ScheduleAction::Other {
        return String::new();
    }
    say!("Will be saved as: {}", schedule.describe(None))
}
