//! Moving a setup between browsers: export it as a JSON file, import one (checked as a whole,
//! shown, and applied only after "Replace"), and a share link carrying it in the fragment.
//! The user name and password go into a file or a link only when their box is ticked.

use leptos::prelude::*;
use switchboard_core::profiles::Profiles;
use switchboard_core::qr_code::qr_picture;
use switchboard_core::say;
use switchboard_core::settings::Settings;
use wasm_bindgen::{JsCast, JsValue};

use crate::browser;
use crate::components::panel::Panel;
use crate::components::text_field::CheckField;
use crate::lazy::{self, Loaded};
use crate::setup;
use leptos::wasm_split::wasm_split;

/// The settings panel; its content arrives with the `settings` chunk when first opened.
#[component]
pub fn SettingsPanel() -> impl IntoView {
    view! {
        <Panel title=say!("Settings: export, import, share")>
            {lazy::part(settings_content)}
        </Panel>
    }
}

#[wasm_split(settings, wasm_split_path = ::leptos::wasm_split, fallible)]
fn settings_content() -> Loaded {
    Ok(view! { <SettingsContent /> }.into_any())
}

/// Export, import, share link and QR code.
#[component]
fn SettingsContent() -> impl IntoView {
    let signals = crate::store::use_store();
    let export_credentials = RwSignal::new(false);
    let share_credentials = RwSignal::new(false);
    let import_problems = RwSignal::new(Vec::<String>::new());
    let pending_import = RwSignal::new(None::<Profiles>);
    let export_problem = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<String>);
    let show_qr = RwSignal::new(false);

    let on_export = move |_| {
        let mut profiles = signals.setup.profiles.get_untracked();
        let current = setup::current(signals);
        let active = profiles.active;
        match profiles.list.get_mut(active) {
            Some(profile) => profile.settings = current,
            None => profiles = Profiles::single(current),
        }
        if !export_credentials.get_untracked() {
            for profile in &mut profiles.list {
                profile.settings.broker.password = None;
                profile.settings.broker.user.clear();
            }
        }
        export_problem.set(download("switchboard-settings.json", &profiles.to_json(true)).err());
    };
    let on_file = move |event: leptos::ev::Event| {
        let file = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| {
                let file = input.files().and_then(|files| files.get(0));
                input.set_value("");
                file
            });
        let Some(file) = file else {
            return;
        };
        import_problems.set(Vec::new());
        pending_import.set(None);
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|v| v.as_string());
            match text.map(|t| Profiles::from_json(&t)) {
                Some(Ok(settings)) => pending_import.set(Some(settings)),
                Some(Err(problems)) => import_problems.set(problems),
                None => import_problems.set(vec![say!("The file could not be read as text.")]),
            }
        });
    };
    // Follows the devices' configurations (not their states) and the broker profile.
    let configs = Memo::new(move |_| {
        signals.devices.with(|rows| {
            rows.iter()
                .map(|row| row.view.with(|v| v.config.clone()))
                .collect::<Vec<_>>()
        })
    });
    let share_link = move || {
        let settings = Settings {
            broker: signals.setup.broker.get(),
            devices: configs.get(),
            view: signals.layout.view.get(),
        };
        let fragment = settings.to_link(share_credentials.get()).to_fragment();
        format!("{}#{fragment}", browser::page_address())
    };
    let on_copy = move |_| {
        let link = share_link();
        let clipboard = web_sys::window().map(|w| w.navigator().clipboard());
        match clipboard {
            Some(clipboard) => {
                let promise = clipboard.write_text(&link);
                leptos::task::spawn_local(async move {
                    let done = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                    copied.set(Some(if done {
                        say!("Copied.")
                    } else {
                        say!("The browser did not allow copying: select the link and copy it.")
                    }));
                });
            }
            None => copied.set(Some(say!("Select the link and copy it."))),
        }
    };
    let current_summary = move || {
        let names: Vec<String> = signals
            .setup
            .profiles
            .with_untracked(|p| p.list.iter().map(|profile| profile.name.clone()).collect());
        say!(
            "{}; this profile: {}",
            names.join(", "),
            describe(&setup::current(signals))
        )
    };

    view! {
        <>
            <div class="form">
                <h3 class="form-heading">{say!("Export")}</h3>
                <CheckField name="export_credentials" value=export_credentials caption=say!("Include the user name and password in the file.") />
                <button type="button" class="chip" on:click=on_export>{say!("Download settings file")}</button>
                {move || export_problem.get().map(|p| view! { <p class="form-error">{p}</p> })}

                <h3 class="form-heading">{say!("Import")}</h3>
                <label class="field">
                    <span>{say!("Settings file (.json)")}</span>
                    <input type="file" name="import" accept="application/json,.json" on:change=on_file />
                </label>
                {move || {
                    let problems = import_problems.get();
                    (!problems.is_empty()).then(|| view! {
                        <div class="form-error" role="alert">
                            <p>{say!("This file was not imported; nothing changed:")}</p>
                            <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                        </div>
                    })
                }}
                {move || pending_import.get().map(|incoming| {
                    let theirs = incoming
                        .list
                        .iter()
                        .map(|p| format!("{}: {}", p.name, describe(&p.settings)))
                        .collect::<Vec<_>>()
                        .join("; ");
                    let text = say!("Replace all your profiles ({}) with the file's ({})?", current_summary(), theirs);
                    view! {
                        <div class="import-confirm" role="alert">
                            <p>{text}</p>
                            <div class="pair">
                                <button type="button" class="chip is-armed" on:click=move |_| {
                                    if let Some(profiles) = pending_import.get_untracked() {
                                        pending_import.set(None);
                                        setup::import(signals, profiles);
                                    }
                                }>{say!("Replace")}</button>
                                <button type="button" class="chip" on:click=move |_| pending_import.set(None)>{say!("Cancel")}</button>
                            </div>
                        </div>
                    }
                })}

                <h3 class="form-heading">{say!("Share link")}</h3>
                <CheckField name="share_credentials" value=share_credentials caption=say!("Include the user name and password in the link (anyone with the link can then switch your devices).") />
                <label class="field">
                    <span>{say!("Link to this dashboard")}</span>
                    <input type="text" name="share_link" readonly prop:value=share_link />
                </label>
                <div class="share-actions">
                    <button type="button" class="chip" on:click=on_copy>{say!("Copy link")}</button>
                    <button
                        type="button"
                        class="chip"
                        aria-pressed=move || if show_qr.get() { "true" } else { "false" }
                        on:click=move |_| show_qr.update(|s| *s = !*s)
                    >
                        {move || if show_qr.get() { say!("Hide QR code") } else { say!("Show QR code") }}
                    </button>
                </div>
                {move || copied.get().map(|c| view! { <p class="group-message" aria-live="polite">{c}</p> })}
                {move || show_qr.get().then(|| match qr_picture(&share_link()) {
                    Ok(picture) => view! {
                        <figure class="qr">
                            <svg
                                viewBox=format!("0 0 {0} {0}", picture.side)
                                role="img"
                                aria-label=say!("QR code of the link to this dashboard")
                            >
                                <rect width=picture.side height=picture.side fill="#fff" />
                                <path d=picture.path fill="#000" />
                            </svg>
                            <figcaption>{say!("Scan it with the phone's camera to open this dashboard there.")}</figcaption>
                        </figure>
                    }.into_any(),
                    Err(why) => view! { <p class="form-error">{why}</p> }.into_any(),
                })}
            </div>
        </>
    }
}

/// "broker X, N devices".
fn describe(settings: &Settings) -> String {
    let broker = if settings.broker.url.is_empty() {
        say!("no broker")
    } else {
        settings.broker.url.clone()
    };
    let count = settings.devices.len();
    if count == 1 {
        say!("{}, 1 device", broker)
    } else {
        say!("{}, {} devices", broker, count)
    }
}

/// Offers `text` as a file download.
fn download(name: &str, text: &str) -> Result<(), String> {
    let fail = |_: JsValue| say!("The browser did not allow the download.");
    let window = web_sys::window().ok_or_else(|| say!("No window."))?;
    let document = window.document().ok_or_else(|| say!("No document."))?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let anchor = document
        .create_element("a")
        .map_err(fail)?
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .map_err(|_| say!("No link element."))?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
