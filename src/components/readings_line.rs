//! A device's live measurements in one line: power, energy, voltage, current, temperature,
//! Wi-Fi signal and uptime, each only when the device reports it.

use leptos::prelude::*;
use switchboard_core::device::{DeviceState, Readings};
use switchboard_core::number_text::fixed;
use switchboard_core::say;

use crate::app::DeviceView;

/// The readings, or nothing when the device reports none.
#[component]
pub fn ReadingsLine(view: RwSignal<DeviceView>) -> impl IntoView {
    let items = Memo::new(move |_| view.with(|v| describe(&v.state.readings)));
    move || {
        let items = items.get();
        (!items.is_empty()).then(|| {
            view! {
                <dl class="readings">
                    {items.into_iter().map(|(term, value)| view! {
                        <div class="reading"><dt>{term}</dt><dd>{value}</dd></div>
                    }).collect_view()}
                </dl>
            }
        })
    }
}

/// What a compact row adds to a device's state: its main reading, while the device is
/// reachable (a reading from before it went away is not shown as current).
pub fn row_reading(state: &DeviceState) -> Option<String> {
    state
        .is_reachable()
        .then(|| main_reading(&state.readings))
        .flatten()
}

/// The one reading a compact row shows: the power drawn, else the temperature.
pub fn main_reading(r: &Readings) -> Option<String> {
    r.power_w
        .map(|w| format!("{} W", trim(w, 1)))
        .or_else(|| r.temperature_c.map(|t| format!("{} °C", trim(t, 1))))
}

/// (name, value with unit) for each reading present.
pub fn describe(r: &Readings) -> Vec<(String, String)> {
    let mut items = Vec::new();
    let mut add = |term: String, value: Option<String>| {
        if let Some(value) = value {
            items.push((term, value));
        }
    };
    add(
        say!("Power"),
        r.power_w.map(|w| format!("{} W", trim(w, 1))),
    );
    add(
        say!("Today"),
        r.energy_today_kwh.map(|k| format!("{} kWh", trim(k, 2))),
    );
    add(
        say!("Total"),
        r.energy_total_kwh.map(|k| format!("{} kWh", trim(k, 1))),
    );
    add(
        say!("Voltage"),
        r.voltage_v.map(|v| format!("{} V", trim(v, 0))),
    );
    add(
        say!("Current"),
        r.current_a.map(|a| format!("{} A", trim(a, 2))),
    );
    add(
        say!("Temp."),
        r.temperature_c.map(|t| format!("{} °C", trim(t, 1))),
    );
    add(
        "Wi-Fi".into(),
        r.wifi_dbm
            .map(|d| format!("{} dBm", trim(d, 0)))
            .or_else(|| r.wifi_percent.map(|p| format!("{} %", trim(p, 0)))),
    );
    add(say!("Up"), r.uptime_secs.map(uptime));
    items
}

fn trim(value: f64, decimals: u32) -> String {
    fixed(value, decimals)
}

fn uptime(secs: u64) -> String {
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    match (days, hours) {
        (0, 0) => say!("{} min", minutes),
        (0, _) => say!("{} h {} min", hours, minutes),
        _ => say!("{} d {} h", days, hours),
    }
}
