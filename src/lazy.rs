//! Parts of the page that arrive when first used.
//!
//! The first load holds what it takes to connect, show the devices and switch them. Each part
//! below is a split point: `#[wasm_split(<chunk>, ...)]` on a function that builds the part's
//! view; the build's split step (`crates/split-step`) moves that function, and whatever only it
//! uses, into its own wasm chunk, fetched the first time the part is opened:
//! - `settings`: export, import, share link and QR code (`settings_panel`);
//! - `log`: the message log and the publish form (`message_log`);
//! - `forms`: the broker form with the profiles, the add form (`connection_panel`,
//!   `add_device_form`), a device's edit form (`device_edit_form`);
//! - `schedules`: a device's schedules and their form (`schedule_panel`);
//! - `found`: the devices announced on the broker (`found_list`).
//!
//! [`part`] shows one: nothing while its chunk arrives (a "Loading" line only after 300 ms, so a
//! fast link shows no wait), then the part; if the chunk cannot be fetched (offline before the
//! part was ever opened and cached), a sentence and "Try again" instead of a dead page. Off the
//! browser (native tests), a split function is called directly.

use std::future::Future;

use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
use send_wrapper::SendWrapper;
use switchboard_core::say;

/// A part's chunk could not be fetched or started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadFailed;

impl From<SplitLoaderError> for LoadFailed {
    fn from(_: SplitLoaderError) -> Self {
        LoadFailed
    }
}

/// What a split function returns: the part's view, or why its chunk is missing.
pub type Loaded = Result<AnyView, LoadFailed>;

/// Shows the part `load` builds, once its chunk is there; `load` runs again on "Try again".
pub fn part<Fut>(load: impl Fn() -> Fut + Send + Sync + 'static) -> impl IntoView
where
    Fut: Future<Output = Loaded> + 'static,
{
    let attempt = RwSignal::new(0_u32);
    view! {
        <Suspense fallback=|| view! { <p class="lazy-loading" role="status">{say!("Loading…")}</p> }>
            {move || {
                attempt.track();
                let loaded = SendWrapper::new(load());
                Suspend::new(async move {
                    match loaded.await {
                        Ok(part) => part,
                        Err(LoadFailed) => view! {
                            <div class="form-error lazy-failed" role="alert">
                                <p>{say!("This part of the page could not be loaded: check the connection.")}</p>
                                <button type="button" on:click=move |_| attempt.update(|n| *n += 1)>
                                    {say!("Try again")}
                                </button>
                            </div>
                        }
                        .into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
