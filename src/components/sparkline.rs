//! The power a device drew over the last minutes, as a small inline SVG line (no script, no
//! style attribute: the page's CSP allows it). Shown once there are two samples.

use leptos::prelude::*;
use switchboard_core::number_text::fixed;
use switchboard_core::say;

use crate::app::DeviceView;

const WIDTH: f64 = 120.0;
const HEIGHT: f64 = 28.0;

/// The sparkline of `view`'s power history.
#[component]
pub fn Sparkline(view: RwSignal<DeviceView>) -> impl IntoView {
    let shape = Memo::new(move |_| view.with(|v| shape(&v.state.power_history)));
    move || {
        shape.get().map(|(points, label)| {
            view! {
                <svg class="sparkline" viewBox="0 0 120 28" width="120" height="28" role="img" aria-label=label>
                    <polyline points=points fill="none" />
                </svg>
            }
        })
    }
}

/// The polyline's points and a description, or `None` with fewer than two samples.
fn shape(history: &[(u64, f64)]) -> Option<(String, String)> {
    let (first, last) = (history.first()?, history.last()?);
    if history.len() < 2 || last.0 <= first.0 {
        return None;
    }
    let span = (last.0 - first.0) as f64;
    let low = history
        .iter()
        .map(|(_, w)| *w)
        .fold(f64::INFINITY, f64::min);
    let high = history
        .iter()
        .map(|(_, w)| *w)
        .fold(f64::NEG_INFINITY, f64::max);
    let range = (high - low).max(1.0);
    let points = history
        .iter()
        .map(|(at, w)| {
            let x = (at - first.0) as f64 / span * WIDTH;
            let y = HEIGHT - 2.0 - (w - low) / range * (HEIGHT - 4.0);
            format!("{},{}", fixed(x, 1), fixed(y, 1))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let minutes = (span / 60_000.0).ceil().max(1.0);
    let label = say!(
        "Power over the last {} min: from {} to {} W",
        fixed(minutes, 0),
        fixed(low, 0),
        fixed(high, 0)
    );
    Some((points, label))
}
