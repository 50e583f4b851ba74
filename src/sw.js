// Switchboard's service worker: keeps the app shell so the page opens without a network
// (it then says it is offline; switching needs the broker anyway). Page loads try the
// network first, so a new version is picked up as soon as it is reachable; the hashed
// assets (script, wasm, styles) never change under one name, so they come from the cache.
const CACHE = 'switchboard-shell-v2';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // 'force-cache': what the page itself just downloaded comes from the HTTP cache, never a
    // second time from the network (hosting with `Cache-Control: no-cache` would otherwise
    // send the whole app again on a first visit). Navigations refresh './' network-first.
    const index = await fetch('./', { cache: 'force-cache' });
    const html = await index.clone().text();
    await cache.put('./', index);
    // The assets the page names: hashed files, boot script, icon, manifest.
    const names = new Set(['./boot.js', './manifest.webmanifest', './icon.svg', './icon-192.png', './icon-512.png', './icon-maskable-512.png', './apple-touch-icon.png', './locales/es.json', './locales/de.json']);
    for (const match of html.matchAll(/(?:href|src|data-switchboard-js|data-switchboard-wasm)="(\.\/[^"]+)"/g)) {
      names.add(match[1]);
    }
    await Promise.all([...names].map(async (name) => {
      const response = await fetch(name, { cache: 'force-cache' });
      if (!response.ok) throw new Error(`${name}: ${response.status}`);
      await cache.put(name, response);
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith((async () => {
      try {
        const fresh = await fetch(request);
        const cache = await caches.open(CACHE);
        await cache.put('./', fresh.clone());
        return fresh;
      } catch {
        return (await caches.match('./')) ?? Response.error();
      }
    })());
    return;
  }
  // Files whose names do not change between versions (boot script, texts, manifest, icon):
  // network first, so an update reaches the page; the cache when the network is down.
  if (!/-[0-9a-f]{16}[._]/.test(new URL(request.url).pathname)) {
    event.respondWith((async () => {
      try {
        const fresh = await fetch(request, { cache: 'no-cache' });
        if (fresh.ok) await (await caches.open(CACHE)).put(request, fresh.clone());
        return fresh;
      } catch {
        return (await caches.match(request)) ?? Response.error();
      }
    })());
    return;
  }
  event.respondWith((async () => {
    const cached = await caches.match(request);
    if (cached) return cached;
    const fresh = await fetch(request);
    if (fresh.ok) {
      const cache = await caches.open(CACHE);
      await cache.put(request, fresh.clone());
    }
    return fresh;
  })());
});
