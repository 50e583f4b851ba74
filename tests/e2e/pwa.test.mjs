// An installable app that opens without a network: the built page served from a sub-path
// (as on GitHub Pages), its manifest and service worker; with the network down, a reload is
// served from the cache, the dashboard from the link is shown, and the page says it is
// offline.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Mosquitto, dashboardFragment, eventually, startPlugs, serveDist, launchBrowser } from './harness.mjs';

describe('offline start and installability, served from a sub-path', () => {
  let broker, plugs, server, browser;
  const pageErrors = [];

  before(async () => {
    broker = new Mosquitto();
    await broker.start();
    plugs = await startPlugs(broker, ['pwa_plug=on']);
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
    const context = await browser.newContext();
    const page = await context.newPage();
    const before = { wasm: server.requests(/\.wasm$/), js: server.requests(/switchboard-[0-9a-f]+\.js$/) };
    await page.goto(server.url + dashboardFragment(broker.wsPort, ['tasmota:pwa_plug:Porch light']));
    await page.evaluate(() => navigator.serviceWorker.ready);
    await eventually(async () => {
      const cached = await page.evaluate(async () => (await caches.keys()).length > 0
        && (await (await caches.open((await caches.keys())[0])).keys()).some((r) => r.url.endsWith('.wasm')));
      assert.equal(cached, true);
    }, 10_000, 'the app shell cached');
    assert.equal(server.requests(/\.wasm$/) - before.wasm, 1, 'the wasm was downloaded twice on a first visit');
    assert.equal(server.requests(/switchboard-[0-9a-f]+\.js$/) - before.js, 1, 'the script was downloaded twice on a first visit');
    await context.close();
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
});
