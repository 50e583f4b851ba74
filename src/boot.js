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
// Once the page has settled (2 s, then an idle moment), the worker also keeps the parts that
// arrive when first used, for opening them offline: after the first screen, not competing
// with it, and after any part the page opened itself (then from the HTTP cache).
navigator.serviceWorker?.register('./sw.js')
  .then(() => navigator.serviceWorker.ready)
  .then((registration) => setTimeout(() => {
    const keep = () => registration.active?.postMessage('keep-shell');
    if (self.requestIdleCallback) requestIdleCallback(keep, { timeout: 2000 }); else keep();
  }, 2000))
  .catch(() => {});
