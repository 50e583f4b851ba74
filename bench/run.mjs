// Switchboard against a page built on MQTT.js 5, in the same headless Chromium, against the
// same Mosquitto and simulated Tasmota plugs, measured alternately so their ratio holds on a
// noisy machine. Prints a Markdown table and writes the figures as JSON.
//
//   node bench/run.mjs [--quick] [--out bench/results.json]
//   node bench/run.mjs --report bench/results.json     (the table of a saved run)
//   node bench/run.mjs --phone-only --out F            (sizes and the phone profile only, e.g. of
//                                                       another build: SWITCHBOARD_DIST=<its dist>)
//
// Needs the release build in dist/ and the dev kit (scripts/bench.sh builds both). --quick runs
// every measurement briefly, only to keep this script from rotting; it asserts no timing.

import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { Child, DEVKIT, DIST, Mosquitto, ROOT, freePort, launchBrowser, startPlugs } from '../tests/e2e/harness.mjs';

const QUICK = process.argv.includes('--quick');
const PHONE_ONLY = process.argv.includes('--phone-only');
const OUT = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : join(ROOT, 'bench', QUICK ? 'results-quick.json' : 'results.json');
const PLAN = QUICK
  ? { openReps: 1, phoneReps: 1, clicks: 20, rates: [2_000, 8_000], floodSeconds: 2, fpsSeconds: 2, memoryMessages: 20_000 }
  : { openReps: 5, phoneReps: 3, clicks: 200, rates: [2_000, 5_000, 10_000, 20_000, 40_000, 80_000], floodSeconds: 4, fpsSeconds: 4, memoryMessages: 1_000_000 };
const KEPT_UP_MS = 1_000;
const INGEST_DEVICES = 1_000;
const PAGES = ['switchboard', 'mqttjs'];
const log = (line) => console.error(`[bench] ${line}`);
// --report FILE: print the table of a saved run, measure nothing.
if (process.argv.includes('--report')) {
  const saved = JSON.parse(readFileSync(process.argv[process.argv.indexOf('--report') + 1], 'utf8'));
  const { table, machine } = report(saved);
  console.log(`${table}\n\nMachine: ${machine}`);
  process.exit(0);
}

// ---------------------------------------------------------------- the stack

const broker = new Mosquitto();
await broker.start();
const plugNames = Array.from({ length: 100 }, (_, i) => `bench_${String(i).padStart(4, '0')}`);
log(`starting ${plugNames.length} simulated Tasmota plugs`);
const plugs = await startPlugs(broker, plugNames);

const root = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
symlinkSync(DIST, join(root, 'switchboard'));
mkdirSync(join(root, 'mqttjs'));
cpSync(join(ROOT, 'bench', 'mqttjs'), join(root, 'mqttjs'), { recursive: true });
cpSync(join(ROOT, 'node_modules', 'mqtt', 'dist', 'mqtt.min.js'), join(root, 'mqttjs', 'mqtt.min.js'));
const httpPort = await freePort();
const http = new Child('http', DEVKIT, ['serve', '--dist', root, '--http-port', `${httpPort}`]);
await http.waitForLine(/serving/, 10_000);
const browser = await launchBrowser();

const brokerParam = `broker=${encodeURIComponent(`ws://127.0.0.1:${broker.wsPort}`)}`;
/** The page's address with `topics` as Tasmota devices (Switchboard's command limit raised so a click benchmark is not held back). */
function pageUrl(which, topics) {
  const devices = topics.map((t) => `device=${encodeURIComponent(which === 'switchboard' ? `tasmota:${t}:limit=100/1` : `tasmota:${t}`)}`);
  // Like for like: the MQTT.js page shows one row per device, so Switchboard shows its rows
  // (`view=compact`, what a phone gets) rather than its desktop cards.
  const view = which === 'switchboard' ? ['view=compact'] : [];
  return `http://127.0.0.1:${httpPort}/${which}/#${[brokerParam, ...view, ...devices].join('&')}`;
}

async function openPage(which, topics) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => log(`${which} page error: ${error}`));
  await page.goto(pageUrl(which, topics));
  return { page, context, which };
}

/**
 * Waits in the page until every switch shows a confirmed state (and, if given, `checked`);
 * returns the page's clock then. With `only` (indices), just those switches count: the ones
 * on screen, what a user sees. Checked every 10 ms, reading attributes only (no layout).
 */
async function confirmed(page, count, checked = null, timeout = 60_000, only = null) {
  const handle = await page.waitForFunction(([n, want, indices]) => {
    let switches = document.querySelectorAll('[role=switch]');
    if (switches.length !== n) return false;
    if (indices) switches = indices.map((i) => switches[i]);
    for (const s of switches) {
      if (s.disabled || s.getAttribute('aria-busy') === 'true') return false;
      if (want !== null && s.getAttribute('aria-checked') !== want) return false;
    }
    return performance.now();
  }, [count, checked, only], { polling: 10, timeout });
  return handle.jsonValue();
}

let nextRound = 0;
/** A state flood over `prefix_0000..`: every device ON or OFF by round; returns what it sent and the state it leaves. */
async function flood(prefix, devices, rate, seconds) {
  const child = new Child('flood', DEVKIT, [
    'flood', '--broker', `127.0.0.1:${broker.tcpPort}`, '--topic', `stat/${prefix}_{n}/POWER`,
    '--devices', `${devices}`, '--first-round', `${nextRound}`, '--rate', `${rate}`, '--seconds', `${seconds}`,
  ]);
  const line = await child.waitForLine(/flood sent \d+ messages/, (seconds + 30) * 1000);
  const endedAt = Date.now();
  await child.stop();
  const [, messages, elapsed, rounds] = line.match(/sent (\d+) messages in ([\d.]+) s \((\d+) rounds\)/).map(Number);
  nextRound += rounds;
  return { messages, elapsed, endedAt, final: (nextRound - 1) % 2 === 0 ? 'true' : 'false' };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

const results = {
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    chromium: browser.version(),
    mosquitto: broker.version ?? 'Debian mosquitto',
    mqttjs: JSON.parse(readFileSync(join(ROOT, 'node_modules', 'mqtt', 'package.json'), 'utf8')).version,
    quick: QUICK,
  },
};

// ---------------------------------------------------------------- 1. transfer size

function pageFiles(which) {
  const dir = join(root, which);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const names = new Set(['index.html']);
  for (const match of html.matchAll(/(?:href|src|data-switchboard-js|data-switchboard-wasm)="(?:\.\/)?([^"#?]+\.(?:js|wasm|css))"/g)) names.add(match[1]);
  return [...names].map((name) => readFileSync(join(dir, name)));
}
/** Switchboard's lazily loaded chunks (`snippets/split-<hash>/*.wasm`, see src/lazy.rs), by name. */
function chunkFiles(which) {
  const snippets = join(root, which, 'snippets');
  if (!existsSync(snippets)) return [];
  return readdirSync(snippets).filter((d) => d.startsWith('split-')).flatMap((d) => readdirSync(join(snippets, d))
    .filter((f) => f.endsWith('.wasm')).map((f) => ({ name: `snippets/${d}/${f}`, bytes: readFileSync(join(snippets, d, f)) })));
}
const sizes = (files) => {
  const sum = (f) => files.reduce((total, bytes) => total + f(bytes), 0);
  return {
    files: files.length,
    raw: sum((b) => b.length),
    gzip: sum((b) => gzipSync(b, { level: 9 }).length),
    brotli: sum((b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length),
  };
};
results.size = {};
for (const which of PAGES) {
  // The first load: what index.html names. The whole: with every chunk.
  const files = pageFiles(which);
  const chunks = chunkFiles(which);
  results.size[which] = { ...sizes(files), whole: sizes([...files, ...chunks.map((c) => c.bytes)]) };
  if (chunks.length) {
    results.size[which].chunks = Object.fromEntries(chunks.map((c) => [c.name.split('/').pop(), { raw: c.bytes.length, gzip: gzipSync(c.bytes, { level: 9 }).length }]));
  }
}
log(`sizes: ${JSON.stringify(results.size)}`);

// ---------------------------------------------------------------- 1b. first visit on a phone

// A phone as Lighthouse models one (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, CPU 4x
// slower), the files served as GitHub Pages serves them (gzip, ETag, ten minutes fresh), 10
// simulated plugs. Cold: a new browser profile. Repeat: the same profile opening the page
// again (Switchboard's service worker, the MQTT.js page's HTTP cache). Bytes are what the
// server sent, until every switch was confirmed and in all (after 3 s more: the service worker
// keeping the chunks for offline use).

/** A static server like GitHub Pages: gzip, ETag, `Cache-Control: max-age=600`; counts bytes sent. */
async function hostLikeGitHubPages(dir) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json' };
  const cache = new Map();
  let sent = 0;
  const server = createServer((request, response) => {
    let path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname));
    if (path.endsWith('/')) path += 'index.html';
    const file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    if (!cache.has(file)) {
      const bytes = readFileSync(file);
      cache.set(file, { bytes, gzip: gzipSync(bytes, { level: 9 }), etag: `"${createHash('sha1').update(bytes).digest('hex')}"` });
    }
    const entry = cache.get(file);
    const headers = { 'Content-Type': types[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'max-age=600', ETag: entry.etag, Vary: 'Accept-Encoding' };
    if (request.headers['if-none-match'] === entry.etag) {
      response.writeHead(304, headers).end();
      sent += 200;
      return;
    }
    const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '') && !/\.png$/.test(file);
    const body = gzip ? entry.gzip : entry.bytes;
    response.writeHead(200, { ...headers, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}), 'Content-Length': body.length });
    response.end(body);
    sent += body.length + 250;
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, sent: () => sent, stop: () => new Promise((resolve) => server.close(resolve)) };
}

results.phone = {};
{
  const host = await hostLikeGitHubPages(root);
  const phoneUrl = (which) => pageUrl(which, plugNames.slice(0, 10)).replace(`:${httpPort}/`, `:${host.port}/`);
  const runs = { switchboard: [], mqttjs: [] };
  for (let rep = 0; rep < PLAN.phoneReps; rep += 1) {
    for (const which of rep % 2 ? [...PAGES].reverse() : PAGES) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
      const visit = async () => {
        const page = await context.newPage();
        page.on('pageerror', (error) => log(`${which} page error: ${error}`));
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 });
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
        const before = host.sent();
        await page.goto(phoneUrl(which), { waitUntil: 'commit' });
        const ms = await confirmed(page, 10);
        const toConfirmed = host.sent() - before;
        await page.waitForTimeout(3_000);
        const all = host.sent() - before;
        await page.close();
        return { ms, bytes_to_confirmed: toConfirmed, bytes_all: all };
      };
      const cold = await visit();
      const repeat = await visit();
      runs[which].push({ cold, repeat });
      await context.close();
    }
  }
  await host.stop();
  for (const which of PAGES) {
    const pick = (visit, key) => median(runs[which].map((r) => r[visit][key]));
    results.phone[which] = {
      cold_ms: pick('cold', 'ms'), repeat_ms: pick('repeat', 'ms'),
      cold_bytes_to_confirmed: pick('cold', 'bytes_to_confirmed'), cold_bytes_all: pick('cold', 'bytes_all'),
      repeat_bytes_all: pick('repeat', 'bytes_all'), runs,
    };
  }
  log(`phone: ${JSON.stringify(Object.fromEntries(PAGES.map((w) => [w, { ...results.phone[w], runs: undefined }])))}`);
}

if (PHONE_ONLY) {
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify({ size: results.size, phone: results.phone }, (key, value) => (key === 'runs' || key === 'chunks' ? undefined : value), 2));
  await browser.close();
  await http.stop();
  await plugs.stop();
  await broker.stop();
  process.exit(0);
}

// ---------------------------------------------------------------- 2. open to confirmed

results.open = {};
for (const count of [10, 100]) {
  const times = { switchboard: [], mqttjs: [] };
  for (let rep = 0; rep < PLAN.openReps; rep += 1) {
    for (const which of rep % 2 ? [...PAGES].reverse() : PAGES) {
      const { page, context } = await openPage(which, plugNames.slice(0, count));
      times[which].push(await confirmed(page, count));
      await context.close();
    }
  }
  results.open[count] = Object.fromEntries(PAGES.map((w) => [w, { median_ms: median(times[w]), runs_ms: times[w].map(Math.round) }]));
  log(`open to confirmed, ${count} devices: ${JSON.stringify(results.open[count])}`);
}

// ---------------------------------------------------------------- 3. click to confirmed

{
  const opened = {};
  for (const which of PAGES) {
    opened[which] = await openPage(which, plugNames.slice(0, 10));
    await confirmed(opened[which].page, 10);
  }
  const times = { switchboard: [], mqttjs: [] };
  const blocks = 4;
  for (let block = 0; block < blocks; block += 1) {
    for (const which of block % 2 ? [...PAGES].reverse() : PAGES) {
      const got = await opened[which].page.evaluate(async (clicks) => {
        const switches = [...document.querySelectorAll('[role=switch]')];
        const times = [];
        for (let i = 0; i < clicks; i += 1) {
          const target = switches[i % switches.length];
          const before = target.getAttribute('aria-checked');
          const done = new Promise((resolve, reject) => {
            const give_up = setTimeout(() => reject(new Error(`click ${i} not confirmed in 5 s`)), 5_000);
            const observer = new MutationObserver(() => {
              if (target.getAttribute('aria-checked') !== before && target.getAttribute('aria-busy') !== 'true') {
                observer.disconnect();
                clearTimeout(give_up);
                resolve();
              }
            });
            observer.observe(target, { attributes: true });
          });
          const start = performance.now();
          target.click();
          await done;
          times.push(performance.now() - start);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return times;
      }, PLAN.clicks / blocks);
      times[which].push(...got);
    }
  }
  for (const which of PAGES) await opened[which].context.close();
  results.click = Object.fromEntries(PAGES.map((w) => [w, {
    clicks: times[w].length, median_ms: median(times[w]), p99_ms: percentile(times[w], 99),
  }]));
  log(`click to confirmed: ${JSON.stringify(results.click)}`);
}

// ---------------------------------------------------------------- 4-6. ingest, frames, memory (1,000 devices)

const ingestTopics = (which) => Array.from({ length: INGEST_DEVICES }, (_, i) => `flood_${which}_${String(i).padStart(4, '0')}`);
const ingestPages = {};
for (const which of PAGES) {
  ingestPages[which] = await openPage(which, ingestTopics(which));
  await ingestPages[which].page.waitForFunction(() => /Connected/.test(document.querySelector('[role=status]')?.textContent ?? ''), null, { timeout: 60_000 });
  // Rounds until every device has a state: then the subscriptions are known to be in place.
  let warm = null;
  for (let attempt = 0; attempt < 30 && !warm; attempt += 1) {
    const sent = await flood(`flood_${which}`, INGEST_DEVICES, 20_000, 0);
    warm = await confirmed(ingestPages[which].page, INGEST_DEVICES, sent.final, 2_000).catch(() => null);
  }
  if (!warm) {
    const seen = await ingestPages[which].page.evaluate(() => {
      const switches = [...document.querySelectorAll('[role=switch]')];
      return { switches: switches.length, disabled: switches.filter((s) => s.disabled).length, on: switches.filter((s) => s.getAttribute('aria-checked') === 'true').length, status: document.querySelector('[role=status]')?.textContent };
    });
    throw new Error(`${which} never showed the state of its ${INGEST_DEVICES} devices: ${JSON.stringify(seen)}`);
  }
  // The switches a user sees, found once (measuring them during a flood would force layouts).
  ingestPages[which].onScreen = await ingestPages[which].page.evaluate(() => [...document.querySelectorAll('[role=switch]')]
    .map((s, i) => [s.getBoundingClientRect(), i])
    .filter(([box]) => box.bottom > 0 && box.top < innerHeight)
    .map(([, i]) => i));
  log(`${which}: ${ingestPages[which].onScreen.length} switches on screen`);
}

/**
 * Milliseconds from the end of a flood until the page shows the final state of the devices
 * on screen, then of every device in the DOM (Infinity if not within 20 s).
 */
async function catchUp(which, sent) {
  const { page, onScreen } = ingestPages[which];
  const lag = async (only) => {
    try {
      await confirmed(page, INGEST_DEVICES, sent.final, 20_000, only);
      return Date.now() - sent.endedAt;
    } catch {
      return Infinity;
    }
  };
  const screen = await lag(onScreen);
  const all = await lag(null);
  return { screen, all };
}

results.ingest = { switchboard: { rates: [] }, mqttjs: { rates: [] } };
const behind = new Set();
for (const rate of PLAN.rates) {
  for (const which of PAGES) {
    if (behind.has(which)) continue;
    const sent = await flood(`flood_${which}`, INGEST_DEVICES, rate, PLAN.floodSeconds);
    const lag = await catchUp(which, sent);
    const keptUp = lag.screen <= KEPT_UP_MS;
    const finite = (ms) => (Number.isFinite(ms) ? ms : null);
    results.ingest[which].rates.push({
      asked: rate, sent_per_s: Math.round(sent.messages / sent.elapsed),
      on_screen_ms: finite(lag.screen), all_ms: finite(lag.all), kept_up: keptUp,
    });
    if (keptUp) results.ingest[which].max_kept_up = Math.round(sent.messages / sent.elapsed);
    else behind.add(which);
    log(`ingest ${which} at ${rate}/s: sent ${Math.round(sent.messages / sent.elapsed)}/s, on screen after ${lag.screen} ms, every switch after ${lag.all} ms`);
    if (!Number.isFinite(lag.all)) {
      // Let it settle before anything else is measured on it.
      await confirmed(ingestPages[which].page, INGEST_DEVICES, sent.final, 120_000).catch(() => {});
    }
  }
}

results.frames = {};
for (const which of PAGES) {
  const { page } = ingestPages[which];
  const counting = page.evaluate((ms) => new Promise((resolve) => {
    let frames = 0;
    const start = performance.now();
    const tick = (now) => {
      frames += 1;
      if (now - start < ms) requestAnimationFrame(tick);
      else resolve((frames * 1000) / (now - start));
    };
    requestAnimationFrame(tick);
  }), PLAN.fpsSeconds * 1000);
  const sent = await flood(`flood_${which}`, INGEST_DEVICES, 5_000, PLAN.fpsSeconds);
  results.frames[which] = { fps: Math.round((await counting) * 10) / 10, messages_per_s: Math.round(sent.messages / sent.elapsed) };
  await catchUp(which, sent);
  log(`frames during 5,000 msg/s, ${which}: ${JSON.stringify(results.frames[which])}`);
}

/** JS heap in use plus WebAssembly memory, after a garbage collection. */
async function memory(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  // Switchboard's wasm memory, from its module's exports (wasm-bindgen's `initSync` returns
  // them once started). Not `Runtime.queryObjects` over `WebAssembly.Memory`: it crashes
  // Chromium 156's renderer once lazily loaded wasm chunks are instantiated.
  const wasm = await page.evaluate(async () => {
    const tag = document.querySelector('script[data-switchboard-js]');
    if (!tag) return 0;
    const app = await import(new URL(tag.dataset.switchboardJs, document.baseURI).href);
    return app.initSync(undefined, undefined).memory.buffer.byteLength;
  });
  return { js_heap: usedSize, wasm, total: usedSize + wasm };
}

results.memory = {};
const memoryRate = Math.min(25_000, ...PAGES.map((w) => results.ingest[w].max_kept_up ?? 2_000));
for (const which of PAGES) {
  const { page } = ingestPages[which];
  const before = await memory(page);
  let messages = 0;
  let halfway = null;
  while (messages < PLAN.memoryMessages) {
    if (!halfway && messages >= PLAN.memoryMessages / 2) halfway = await memory(page);
    const seconds = Math.max(1, Math.min(10, Math.round((PLAN.memoryMessages - messages) / memoryRate)));
    const sent = await flood(`flood_${which}`, INGEST_DEVICES, memoryRate, seconds);
    messages += sent.messages;
    await catchUp(which, sent);
  }
  const after = await memory(page);
  // Growth in the second half tells a leak from a high-water mark reached early.
  results.memory[which] = { messages, rate: memoryRate, before, halfway, after, growth: after.total - before.total, second_half_growth: halfway ? after.total - halfway.total : null };
  log(`memory ${which} after ${messages} messages: ${JSON.stringify(results.memory[which])}`);
}

await browser.close();
await http.stop();
await plugs.stop();
await broker.stop();

// ---------------------------------------------------------------- report

const { table, machine } = report(results);
results.table = table;
writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
console.log(`${table}\n\nMachine: ${machine}\nJSON: ${OUT}`);

/** The Markdown table and the machine line for a set of figures. */
function report(results) {
  const kb = (bytes) => `${(bytes / 1000).toLocaleString('en', { maximumFractionDigits: 1 })} kB`;
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const ms = (value) => (value == null ? 'n/a' : `${Math.round(value)} ms`);
  const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}` : 'n/a');
  const rate = (value) => (value == null ? 'none' : value.toLocaleString('en'));
  /** The highest rate at which every switch in the DOM was current within `limit` ms. */
  const allWithin = (which, limit) => results.ingest[which].rates
    .filter((r) => r.all_ms != null && r.all_ms <= limit)
    .reduce((best, r) => Math.max(best ?? 0, r.sent_per_s), null);
  const first = results.ingest.switchboard.rates[0];
  const rows = [
    ['transfer size of the first load, gzip (html+js+wasm+css that index.html names)', kb(results.size.switchboard.gzip), kb(results.size.mqttjs.gzip), ratio(results.size.switchboard.gzip, results.size.mqttjs.gzip), 'lower is better'],
    ...(results.size.switchboard.whole ? [['the whole app, every lazily loaded chunk too, gzip', kb(results.size.switchboard.whole.gzip), kb(results.size.mqttjs.whole.gzip), ratio(results.size.switchboard.whole.gzip, results.size.mqttjs.whole.gzip), 'lower is better']] : []),
    ['transfer size, brotli', kb(results.size.switchboard.brotli), kb(results.size.mqttjs.brotli), ratio(results.size.switchboard.brotli, results.size.mqttjs.brotli), 'lower is better'],
    ['transfer size, uncompressed', kb(results.size.switchboard.raw), kb(results.size.mqttjs.raw), ratio(results.size.switchboard.raw, results.size.mqttjs.raw), 'lower is better'],
    ...(results.phone ? [
      ['phone (150 ms, 1.6 Mbit/s, CPU 4x), first visit: open to every switch confirmed, 10 devices (median)', ms(results.phone.switchboard.cold_ms), ms(results.phone.mqttjs.cold_ms), ratio(results.phone.switchboard.cold_ms, results.phone.mqttjs.cold_ms), 'lower is better'],
      ['phone, repeat visit (service worker / HTTP cache)', ms(results.phone.switchboard.repeat_ms), ms(results.phone.mqttjs.repeat_ms), ratio(results.phone.switchboard.repeat_ms, results.phone.mqttjs.repeat_ms), 'lower is better'],
      ['phone, first visit: bytes sent until every switch confirmed', kb(results.phone.switchboard.cold_bytes_to_confirmed), kb(results.phone.mqttjs.cold_bytes_to_confirmed), ratio(results.phone.switchboard.cold_bytes_to_confirmed, results.phone.mqttjs.cold_bytes_to_confirmed), 'lower is better'],
      ['phone, first visit: bytes sent in all (3 s later: chunks kept for offline use)', kb(results.phone.switchboard.cold_bytes_all), kb(results.phone.mqttjs.cold_bytes_all), ratio(results.phone.switchboard.cold_bytes_all, results.phone.mqttjs.cold_bytes_all), 'lower is better'],
    ] : []),
    ...[10, 100].map((n) => [`open to every switch confirmed, ${n} devices (median)`, ms(results.open[n].switchboard.median_ms), ms(results.open[n].mqttjs.median_ms), ratio(results.open[n].switchboard.median_ms, results.open[n].mqttjs.median_ms), 'lower is better']),
    [`click to confirmed, median (${results.click.switchboard.clicks} clicks)`, ms(results.click.switchboard.median_ms), ms(results.click.mqttjs.median_ms), ratio(results.click.switchboard.median_ms, results.click.mqttjs.median_ms), 'lower is better'],
    ['click to confirmed, p99', ms(results.click.switchboard.p99_ms), ms(results.click.mqttjs.p99_ms), ratio(results.click.switchboard.p99_ms, results.click.mqttjs.p99_ms), 'lower is better'],
    [`ingest, 1,000 devices: highest rate (msg/s) after which the switches on screen are current within ${KEPT_UP_MS} ms`, rate(results.ingest.switchboard.max_kept_up), rate(results.ingest.mqttjs.max_kept_up), ratio(results.ingest.switchboard.max_kept_up, results.ingest.mqttjs.max_kept_up), 'higher is better'],
    ['ingest, 1,000 devices: highest rate (msg/s) after which every switch in the DOM is current within 3 s', rate(allWithin('switchboard', 3_000)), rate(allWithin('mqttjs', 3_000)), ratio(allWithin('switchboard', 3_000), allWithin('mqttjs', 3_000)), 'higher is better'],
    [`ingest at ${rate(first?.asked)} msg/s: every switch in the DOM current after the flood's end`, ms(first?.all_ms), ms(results.ingest.mqttjs.rates[0]?.all_ms), ratio(first?.all_ms, results.ingest.mqttjs.rates[0]?.all_ms), 'lower is better'],
    ['frames per second while 5,000 msg/s arrive (1,000 devices)', `${results.frames.switchboard.fps}`, `${results.frames.mqttjs.fps}`, ratio(results.frames.switchboard.fps, results.frames.mqttjs.fps), 'higher is better'],
    [`memory (JS heap + wasm) before → halfway → after ${results.memory.switchboard.messages.toLocaleString('en')} messages`, ...PAGES.map((w) => [results.memory[w].before, results.memory[w].halfway, results.memory[w].after].filter(Boolean).map((m) => mib(m.total)).join(' → ')), ratio(results.memory.switchboard.after.total, results.memory.mqttjs.after.total), 'lower is better'],
  ];
  const table = [
    '| measure | Switchboard | MQTT.js page | ratio (Switchboard / MQTT.js) | |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  const m = results.machine;
  const machine = `${m.cores} x ${m.cpu}, ${m.memory_gib} GiB; Chromium ${m.chromium}; MQTT.js ${m.mqttjs}${m.quick ? '; QUICK MODE (figures not meaningful)' : ''}`;
  return { table, machine };
}
