// Starts the app without an inline script, so the Content-Security-Policy in index.html can
// forbid inline scripts entirely. Trunk writes the hashed file names into this script's data
// attributes (Trunk.toml: pattern_script).
const tag = document.querySelector('script[data-switchboard-js]');
const { default: init } = await import(tag.dataset.switchboardJs);
await init({ module_or_path: tag.dataset.switchboardWasm });

// Keep the app shell for opening without a network (see sw.js). Registered once the app has
// started, so the service worker finds the files this visit already downloaded in the HTTP
// cache instead of downloading them a second time. A failure here (no service workers in
// this browser, a private window) only means no offline start.
navigator.serviceWorker?.register('./sw.js').catch(() => {});
