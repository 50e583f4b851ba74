// Switchboard's service worker: keeps the app shell so the page opens without a network
// (it then says it is offline; switching needs the broker anyway). Page loads try the
// network first (through the HTTP cache, as the host allows), so a new version is picked up
// as soon as it is reachable and no longer fresh in that cache; the hashed
// assets (script, wasm, styles) never change under one name, so they come from the cache.
const CACHE = 'switchboard-shell-v3';

// Hashed file names (`switchboard-<hash>.js`, `snippets/split-<hash>/...`) never change
// content: they are served from the cache. trunk's hash is hex without leading zeros.
const HASHED = /-[0-9a-f]{8,16}[._/]/;

// One download per file at a time: a chunk the page asks for while it is being kept is
// fetched once for both.
const inflight = new Map();
function fetchOnce(url, init) {
  const key = new URL(url, self.location.href).href;
  let pending = inflight.get(key);
  if (!pending) {
    pending = fetch(key, init).finally(() => inflight.delete(key));
    inflight.set(key, pending);
  }
  return pending.then((response) => response.clone());
}

// Keeps everything the page needs to start and to open every part offline: what index.html
// names, and the lazily loaded chunks its script's loader names (src/lazy.rs). 'force-cache':
// what the page itself just downloaded comes from the HTTP cache, never a second time from
// the network (hosting with `Cache-Control: no-cache` would otherwise send the whole app again
// on a first visit); a hashed file already kept is not fetched at all. So the chunks are the
// only download: once, after the page has started.
async function keepShell({ chunks }) {
  const cache = await caches.open(CACHE);
  const index = await fetch('./', { cache: 'force-cache' });
  const html = await index.clone().text();
  await cache.put('./', index);
  // What index.html names: the page has just fetched all of it.
  const names = new Set();
  for (const match of html.matchAll(/(?:href|src|data-switchboard-js|data-switchboard-wasm)="(\.\/[^"]+)"/g)) {
    names.add(match[1]);
  }
  // What the page may need later (another language, the home screen's icons): kept once the
  // page has settled, never competing with a first screen on a slow link.
  if (chunks) {
    for (const name of ['./icon-192.png', './icon-512.png', './icon-maskable-512.png', './apple-touch-icon.png', './locales/es.json', './locales/de.json']) names.add(name);
  }
  // The chunks, named in each split loader (`snippets/split-<hash>/link.js`) next to it.
  for (const loader of chunks ? [...names].filter((name) => /\/link\.js$/.test(name)) : []) {
    const text = await (await fetch(loader, { cache: 'force-cache' })).text();
    const dir = loader.slice(0, loader.lastIndexOf('/') + 1);
    for (const match of text.matchAll(/"\.\/([\w.-]+\.wasm)"/g)) names.add(dir + match[1]);
  }
  await Promise.all([...names].map(async (name) => {
    if (HASHED.test(name) && await cache.match(name)) return;
    const response = await fetchOnce(name, { cache: 'force-cache' });
    if (!response.ok) throw new Error(`${name}: ${response.status}`);
    await cache.put(name, response);
  }));
}

// One run at a time.
let keeping = Promise.resolve();
function keepShellOnce(options) {
  keeping = keeping.catch(() => {}).then(() => keepShell(options));
  return keeping;
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    await keepShellOnce({ chunks: false });
    await self.skipWaiting();
  })());
});

// The page asks at every start, once it has settled (boot.js): the chunks are kept then, when
// the page has fetched what it needed first (a chunk it already fetched comes from the HTTP
// cache), and a new version's files and chunks are kept the first time it runs, not only when
// this worker was installed.
self.addEventListener('message', (event) => {
  if (event.data === 'keep-shell') event.waitUntil(keepShellOnce({ chunks: true }).catch(() => {}));
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
  // from the network as the host's caching rules allow (a fresh copy in the HTTP cache costs
  // no round trip), so an update reaches the page; the cache when the network is down.
  if (!HASHED.test(new URL(request.url).pathname)) {
    event.respondWith((async () => {
      try {
        const fresh = await fetch(request);
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
    const fresh = await fetchOnce(request.url, { cache: 'force-cache' });
    if (fresh.ok) {
      const cache = await caches.open(CACHE);
      await cache.put(request, fresh.clone());
    }
    return fresh;
  })());
});
