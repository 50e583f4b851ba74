//! The form that creates or edits one schedule kept by the device.
//!
//! Every input can only hold something sensible: a time picker, a before/after choice with an
//! offset, seven day boxes with presets, the device's relays by name. Tasmota adds "only once",
//! a random window and "trigger a rule"; Shelly adds a raw cron timespec for advanced users.
//! Saving sends the change and closes the form; the list then shows it as waiting until the
//! device reports it back (see [`super::schedule_panel`]).

use leptos::prelude::*;
use switchboard_core::say;
use switchboard_core::schedule::{short_day_name, Schedule, ScheduleAction, Weekdays};
use switchboard_core::schedule_book::{ScheduleChange, ScheduleKind};
use switchboard_core::schedule_form::{action_code, action_from_code, MomentKind, ScheduleForm};

use crate::components::text_field::FormError;
use crate::driver;

/// The form for a new schedule (`id` None) or schedule `id`, starting from `start`; `relays`
/// names the device's relays (empty for a single relay); `done` closes it.
#[component]
pub fn ScheduleEditor(
    device: usize,
    kind: ScheduleKind,
    id: Option<u32>,
    start: Schedule,
    relays: Vec<String>,
    done: Callback<()>,
) -> impl IntoView {
    let form = RwSignal::new(ScheduleForm::from_schedule(&start));
    let error = RwSignal::new(None::<String>);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let schedule = match form.get_untracked().to_schedule() {
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
    let moment = move || form.with(|f| f.moment);
    let is_tasmota = kind == ScheduleKind::Tasmota;
    let day_box = move |day: usize| {
        view! {
            <label class="day">
                <input
                    type="checkbox"
                    name=format!("day{day}")
                    prop:checked=move || form.with(|f| f.days.contains(day))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        form.update(|f| f.days = f.days.with(day, on));
                    }
                />
                <span>{short_day_name(day)}</span>
            </label>
        }
    };
    let preset = move |caption: String, days: Weekdays| {
        view! {
            <button
                type="button"
                class="link-button"
                aria-pressed=move || (form.with(|f| f.days) == days).to_string()
                on:click=move |_| form.update(|f| f.days = days)
            >
                {caption}
            </button>
        }
    };
    let relay_count = relays.len();
    view! {
        <form class="form-inner schedule-editor" on:submit=on_submit novalidate>
            <p class="form-heading">{if id.is_some() { say!("Change schedule") } else { say!("New schedule") }}</p>
            <div class="field-row">
                <label class="field">
                    <span>{say!("Action")}</span>
                    <select
                        name="schedule_action"
                        prop:value=move || action_code(form.with(|f| f.action))
                        on:change=move |ev| form.update(|f| f.action = action_from_code(&event_target_value(&ev)))
                    >
                        <option value="on">{say!("Switch on")}</option>
                        <option value="off">{say!("Switch off")}</option>
                        <option value="toggle">{say!("Toggle")}</option>
                        {is_tasmota.then(|| view! { <option value="rule">{say!("Trigger a rule")}</option> })}
                    </select>
                </label>
                {(relay_count > 1).then(|| view! {
                    <label class="field">
                        <span>{say!("Relay")}</span>
                        <select
                            name="schedule_relay"
                            prop:value=move || form.with(|f| f.relay.to_string())
                            on:change=move |ev| {
                                if let Ok(relay) = event_target_value(&ev).parse::<u8>() {
                                    form.update(|f| f.relay = relay);
                                }
                            }
                        >
                            {relays.iter().enumerate().map(|(i, name)| view! {
                                <option value=(i + 1).to_string()>{name.clone()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                })}
                <label class="field">
                    <span>{say!("When")}</span>
                    <select
                        name="schedule_when"
                        prop:value=move || moment().code()
                        on:change=move |ev| form.update(|f| f.moment = MomentKind::from_code(&event_target_value(&ev)))
                    >
                        <option value="time">{say!("At a time")}</option>
                        <option value="sunrise">{say!("Sunrise")}</option>
                        <option value="sunset">{say!("Sunset")}</option>
                        {(kind == ScheduleKind::Shelly).then(|| view! { <option value="cron">{say!("Cron timespec (advanced)")}</option> })}
                    </select>
                </label>
                {move || match moment() {
                    MomentKind::At => view! {
                        <label class="field">
                            <span>{say!("Time (device's local time)")}</span>
                            <input
                                type="time"
                                name="schedule_time"
                                required
                                prop:value=move || form.with(|f| f.time.clone())
                                on:input=move |ev| form.update(|f| f.time = event_target_value(&ev))
                            />
                        </label>
                    }.into_any(),
                    MomentKind::Sunrise | MomentKind::Sunset => view! {
                        <div class="field-pair">
                            <label class="field">
                                <span>{say!("Offset (hours:minutes)")}</span>
                                <input
                                    type="text"
                                    inputmode="numeric"
                                    name="schedule_offset"
                                    placeholder="0:30"
                                    prop:value=move || form.with(|f| f.offset.clone())
                                    on:input=move |ev| form.update(|f| f.offset = event_target_value(&ev))
                                />
                            </label>
                            <label class="field">
                                <span>{say!("Before or after")}</span>
                                <select
                                    name="schedule_offset_side"
                                    prop:value=move || if form.with(|f| f.offset_after) { "after" } else { "before" }
                                    on:change=move |ev| form.update(|f| f.offset_after = event_target_value(&ev) == "after")
                                >
                                    <option value="before">{say!("before")}</option>
                                    <option value="after">{say!("after")}</option>
                                </select>
                            </label>
                        </div>
                    }.into_any(),
                    MomentKind::Cron => view! {
                        <label class="field">
                            <span>{say!("Timespec (seconds minutes hours day month weekday)")}</span>
                            <input
                                type="text"
                                name="schedule_cron"
                                autocapitalize="off"
                                spellcheck="false"
                                placeholder="0 30 7 * * MON-FRI"
                                prop:value=move || form.with(|f| f.cron.clone())
                                on:input=move |ev| form.update(|f| f.cron = event_target_value(&ev))
                            />
                        </label>
                    }.into_any(),
                }}
            </div>
            {move || (moment() != MomentKind::Cron).then(|| view! {
                <fieldset class="days">
                    <legend>{say!("Days")}</legend>
                    <div class="day-boxes">
                        // Monday first, as people read a week.
                        {[1, 2, 3, 4, 5, 6, 0].map(day_box).collect_view()}
                    </div>
                    <div class="day-presets">
                        {preset(say!("Every day"), Weekdays::ALL)}
                        {preset(say!("Mon–Fri"), Weekdays::WORKDAYS)}
                        {preset(say!("Weekend"), Weekdays::WEEKEND)}
                    </div>
                </fieldset>
            })}
            {is_tasmota.then(|| view! {
                <div class="field-row">
                    <label class="field">
                        <span>{say!("Random window (± minutes, 0–15)")}</span>
                        <input
                            type="number"
                            min="0"
                            max="15"
                            name="schedule_window"
                            prop:value=move || form.with(|f| f.window.clone())
                            on:input=move |ev| form.update(|f| f.window = event_target_value(&ev))
                        />
                    </label>
                    <label class="check">
                        <input
                            type="checkbox"
                            name="schedule_once"
                            prop:checked=move || form.with(|f| f.once)
                            on:change=move |ev| form.update(|f| f.once = event_target_checked(&ev))
                        />
                        <span>{say!("Only once, then disable it")}</span>
                    </label>
                </div>
            })}
            <label class="check">
                <input
                    type="checkbox"
                    name="schedule_enabled"
                    prop:checked=move || form.with(|f| f.enabled)
                    on:change=move |ev| form.update(|f| f.enabled = event_target_checked(&ev))
                />
                <span>{say!("Enabled")}</span>
            </label>
            <p class="schedule-preview" aria-live="polite">{move || form.with(|f| f.to_schedule()).map(|s| preview(&s)).unwrap_or_default()}</p>
            <FormError error=error />
            <div class="pair">
                <button type="submit" class="chip is-primary">{say!("Save on the device")}</button>
                <button type="button" class="chip" on:click=move |_| done.run(())>{say!("Cancel")}</button>
            </div>
        </form>
    }
}

/// What the form will save, in the list's words.
fn preview(schedule: &Schedule) -> String {
    if schedule.action == ScheduleAction::Other {
        return String::new();
    }
    say!("Will be saved as: {}", schedule.describe(None))
}
