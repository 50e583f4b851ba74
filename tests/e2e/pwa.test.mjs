// An installable app that opens without a network: the built page served from a sub-path
// (as on GitHub Pages), its manifest and service worker; with the network down, a reload is
// served from the cache, the dashboard from the link is shown, and the page says it is
// offline. Every part that arrives when first used (src/lazy.rs) opens from the sub-path, and
// again with the network cut after a first visit that opened none of them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Mosquitto, DIST, dashboardFragment, eventually, openDetails, startPlugs, serveDist, launchBrowser } from './harness.mjs';

/** The lazily loaded chunks of this build (`dist/snippets/split-<hash>/*.wasm`). */
function chunkFiles() {
  const dir = readdirSync(join(DIST, 'snippets')).find((d) => d.startsWith('split-'));
  return readdirSync(join(DIST, 'snippets', dir)).filter((f) => f.endsWith('.wasm')).map((f) => `snippets/${dir}/${f}`);
}

/**
 * Opens every part that arrives when first used and checks each shows its content, not the
 * "could not be loaded" line. `found`: also the found list (it needs the broker).
 */
async function openEveryLazyPart(page, { found }) {
  const shows = async (locator, what) => {
    await eventually(async () => assert.equal(await locator.first().isVisible(), true), 10_000, what);
  };
  await page.getByText('Broker connection', { exact: true }).click();
  await shows(page.getByLabel('Broker WebSocket address'), 'the broker form');
  await page.getByText('Add a device', { exact: true }).click();
  await shows(page.getByLabel('Label (optional)', { exact: true }), 'the add form');
  await page.getByText('Settings: export, import, share', { exact: true }).click();
  await shows(page.getByRole('heading', { name: 'Export', exact: true }), 'the settings');
  await page.getByText('Message log', { exact: true }).click();
  await shows(page.getByRole('heading', { name: 'Publish a message', exact: true }), 'the message log');
  await page.getByRole('button', { name: 'Edit devices', exact: true }).click();
  await page.getByRole('button', { name: 'Edit Porch light', exact: true }).click();
  await shows(page.getByLabel('Address (as in a link)'), 'the edit form');
  await openDetails(page, 'Porch light');
  await page.getByRole('button', { name: 'Schedules', exact: true }).click();
  await shows(page.getByRole('region', { name: 'Schedules kept by the device' }), 'the schedules');
  if (found) {
    await shows(page.getByRole('region', { name: 'Found on this broker' }).getByText('pwa_spare'), 'the found list');
  }
  assert.equal(await page.locator('.lazy-failed').count(), 0, 'a part could not be loaded');
}

describe('offline start and installability, served from a sub-path', () => {
  let broker, plugs, server, browser;
  const pageErrors = [];

  before(async () => {
    broker = new Mosquitto();
    await broker.start();
    plugs = await startPlugs(broker, ['pwa_plug=on', 'pwa_spare=off']);
    server = await serveDist({ subPath: 'home/switchboard', logRequests: true });
    browser = await launchBrowser();
  });

  after(async () => {
    assert.deepEqual(pageErrors, [], 'the page threw');
    await browser?.close();
    await server?.stop();
    await plugs?.stop();
    await broker?.stop();
  });

  test('the manifest names the app and its icons (PNG for Android and iOS), under the sub-path', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    const href = await page.locator('link[rel=manifest]').getAttribute('href');
    const manifest = await (await page.request.get(new URL(href, server.url).href)).json();
    assert.equal(manifest.name, 'Switchboard');
    assert.equal(manifest.display, 'standalone');
    assert.equal(manifest.start_url, './');
    // Every icon is served, PNGs at the size they claim (Android wants 192 and 512 px and a
    // maskable one; iOS a PNG apple-touch-icon).
    const base = new URL(href, server.url);
    const pngSize = (bytes) => [bytes.readUInt32BE(16), bytes.readUInt32BE(20)].join('x');
    for (const entry of manifest.icons) {
      const icon = await page.request.get(new URL(entry.src, base).href);
      assert.equal(icon.status(), 200, entry.src);
      assert.equal(icon.headers()['content-type']?.split(';')[0], entry.type, entry.src);
      if (entry.type === 'image/png') assert.equal(pngSize(await icon.body()), entry.sizes, entry.src);
    }
    const sizes = manifest.icons.filter((i) => i.type === 'image/png').map((i) => `${i.sizes} ${i.purpose}`);
    assert.deepEqual(sizes.sort(), ['192x192 any', '512x512 any', '512x512 maskable']);
    const touch = await page.locator('link[rel=apple-touch-icon]').getAttribute('href');
    const touchIcon = await page.request.get(new URL(touch, server.url).href);
    assert.equal(touchIcon.status(), 200);
    assert.equal(pngSize(await touchIcon.body()), '180x180');
    await page.close();
  });

  test('a first visit downloads the app once: the service worker keeps what the page already fetched', async () => {
    // Served with `Cache-Control: no-cache`, as many hosts do: the service worker's install
    // must take the files from the HTTP cache, not download the whole app a second time.
    // Its own server, so nothing another test's page still fetches is counted.
    const server = await serveDist({ subPath: 'home/switchboard', logRequests: true });
    const context = await browser.newContext();
    const page = await context.newPage();
    const before = { wasm: server.requests(/_bg\.wasm$/), js: server.requests(/switchboard-[0-9a-f]+\.js$/), chunks: server.requests(/split_\w+\.wasm$|chunk_\d+\.wasm$/) };
    // The found list (a lazily loaded part) opens meanwhile: the page's request for its chunk
    // and the service worker's are one download.
    await page.goto(server.url + dashboardFragment(broker.wsPort, ['tasmota:pwa_plug:Porch light']));
    await page.evaluate(() => navigator.serviceWorker.ready);
    await eventually(async () => {
      const cached = await page.evaluate(async () => (await caches.keys()).length > 0
        && (await (await caches.open((await caches.keys())[0])).keys()).some((r) => r.url.endsWith('.wasm')));
      assert.equal(cached, true);
    }, 10_000, 'the app shell cached');
    assert.equal(server.requests(/_bg\.wasm$/) - before.wasm, 1, 'the wasm was downloaded twice on a first visit');
    // The lazily loaded chunks: each kept for offline use, downloaded once.
    await eventually(async () => {
      const kept = await page.evaluate(async () => (await (await caches.open((await caches.keys())[0])).keys()).map((r) => r.url));
      for (const chunk of chunkFiles()) assert.ok(kept.some((url) => url.endsWith(chunk)), `${chunk} kept`);
    }, 10_000, 'every chunk kept');
    const perChunk = Object.fromEntries(chunkFiles().map((c) => [c.split('/').pop(), server.requests(new RegExp(`/${c.split('/').pop().replace('.', '\\.')}$`))]));
    assert.equal(server.requests(/split_\w+\.wasm$|chunk_\d+\.wasm$/) - before.chunks, chunkFiles().length, `a chunk was downloaded twice: ${JSON.stringify(perChunk)}`);
    assert.equal(server.requests(/switchboard-[0-9a-f]+\.js$/) - before.js, 1, 'the script was downloaded twice on a first visit');
    await context.close();
    await server.stop();
  });

  test('with the network down, the page opens from the service worker and says it is offline', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    const url = server.url + dashboardFragment(broker.wsPort, ['tasmota:pwa_plug:Porch light']);
    await page.goto(url);
    await eventually(async () => {
      assert.equal(await page.evaluate(() => navigator.serviceWorker.controller !== null
        || navigator.serviceWorker.ready.then(() => true)), true);
    }, 10_000, 'service worker ready');
    await page.evaluate(() => navigator.serviceWorker.ready);
    await eventually(async () => {
      assert.equal((await page.getByRole('switch', { name: 'Porch light', exact: true }).getAttribute('aria-checked')), 'true');
    }, 10_000, 'online first');
    await context.setOffline(true);
    await page.reload();
    await eventually(async () => {
      assert.equal(await page.getByRole('switch', { name: 'Porch light', exact: true }).count(), 1);
      assert.match(await page.getByRole('status').innerText(), /Offline[\s\S]*This device is offline/);
    }, 15_000, 'shell from the cache, offline said');
    assert.equal((await page.getByRole('switch', { name: 'Porch light', exact: true }).isDisabled()), true, 'a switch usable offline');
    await context.setOffline(false);
    await eventually(async () => {
      assert.equal((await page.getByRole('switch', { name: 'Porch light', exact: true }).isDisabled()), false);
    }, 20_000, 'back by itself when the network returns');
    await context.close();
  });

  test('every part that arrives when first used opens from the sub-path', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(server.url + dashboardFragment(broker.wsPort, ['tasmota:pwa_plug:Porch light']));
    await eventually(async () => {
      assert.equal(await page.getByRole('switch', { name: 'Porch light', exact: true }).getAttribute('aria-checked'), 'true');
    }, 10_000, 'the plug shown');
    await openEveryLazyPart(page, { found: true });
    await context.close();
  });

  test('with the network cut after a first visit that opened none of them, every part still opens', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(server.url + dashboardFragment(broker.wsPort, ['tasmota:pwa_plug:Porch light']));
    await page.evaluate(() => navigator.serviceWorker.ready);
    await eventually(async () => {
      const kept = await page.evaluate(async () => (await (await caches.open((await caches.keys())[0])).keys()).map((r) => r.url));
      for (const chunk of chunkFiles()) assert.ok(kept.some((url) => url.endsWith(chunk)), `${chunk} kept`);
    }, 10_000, 'every chunk kept after the first visit');
    await context.setOffline(true);
    await page.reload();
    await eventually(async () => {
      assert.equal(await page.getByRole('switch', { name: 'Porch light', exact: true }).count(), 1);
    }, 15_000, 'the shell from the cache');
    // The found list needs the broker: its chunk was checked kept above.
    await openEveryLazyPart(page, { found: false });
    await context.setOffline(false);
    await context.close();
  });
});
