// Embedding: the built page in an iframe of another site (another origin), against Mosquitto
// with a simulated plug. With embed=1 only the cards show; the page posts state messages to
// the parent listed in parent=, takes commands from it, and refuses a page at any other
// origin (which also never hears the state).

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Mosquitto, dashboardFragment, eventually, sleep, startStack } from './harness.mjs';

const PLUG = 'emb_lamp';

/** A page at its own origin that embeds `appUrl` and records every message it receives. */
async function startHost(appUrl) {
  const html = `<!doctype html><html><body style="background:#cde">
<iframe id="app" src="${appUrl}" width="420" height="320" style="border:0"></iframe>
<script>
window.received = [];
addEventListener('message', (event) => window.received.push({ origin: event.origin, data: event.data }));
window.send = (command) => document.getElementById('app').contentWindow.postMessage(command, '*');
</script></body></html>`;
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(html);
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const origin = `http://localhost:${server.address().port}`;
  return { origin, url: `${origin}/host`, stop: () => new Promise((done) => server.close(done)) };
}

describe('embedding in another page', () => {
  let stack, host, foreign;
  const pageErrors = [];
  const commands = () => stack.plugs.count(new RegExp(`plug ${PLUG} received cmnd/${PLUG}/POWER "(ON|OFF)"`));

  before(async () => {
    stack = await startStack(new Mosquitto(), [PLUG]);
    // The app's origin is 127.0.0.1:<port>; the hosts are localhost:<other ports>.
    const appUrl = (parent) => stack.server.url
      + dashboardFragment(stack.broker.wsPort, [`tasmota:${PLUG}:Lamp`], { embed: '1', bg: 'transparent', parent });
    host = await startHostAt(appUrl);
    foreign = await startHost(appUrl(host.origin));
  });

  /** Starts a host whose iframe names the host's own origin as parent. */
  async function startHostAt(appUrl) {
    let origin;
    const server = createServer((request, response) => {
      const html = `<!doctype html><html><body style="background:#cde">
<iframe id="app" src="${appUrl(origin)}" width="420" height="320" style="border:0"></iframe>
<script>
window.received = [];
addEventListener('message', (event) => window.received.push({ origin: event.origin, data: event.data }));
window.send = (command) => document.getElementById('app').contentWindow.postMessage(command, '*');
</script></body></html>`;
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(html);
    });
    await new Promise((done) => server.listen(0, '127.0.0.1', done));
    origin = `http://localhost:${server.address().port}`;
    return { origin, url: `${origin}/host`, stop: () => new Promise((done) => server.close(done)) };
  }

  after(async () => {
    assert.deepEqual(pageErrors, [], 'the page threw');
    await host?.stop();
    await foreign?.stop();
    await stack?.stop();
  });

  test('only the cards show, on a transparent background, and the parent hears the state', async () => {
    const page = await stack.browser.newPage({ viewport: { width: 500, height: 400 } });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(host.url);
    const app = page.frameLocator('#app');
    await eventually(async () => assert.equal(await app.getByRole('switch', { name: 'Lamp', exact: true }).isDisabled(), false), 10_000, 'switch known');
    assert.equal(await app.locator('.topbar, .panel, .footer, .found').count(), 0, 'chrome shown in embed mode');
    assert.equal(await app.getByRole('button', { name: 'Schedules' }).count(), 0, 'schedules offered in embed mode');
    assert.equal(await app.getByRole('button', { name: 'Edit devices' }).isVisible(), false, 'the edit row shown in embed mode');
    const background = await app.locator('body').evaluate((body) => getComputedStyle(body).backgroundColor);
    assert.equal(background, 'rgba(0, 0, 0, 0)');
    await eventually(async () => {
      const states = await page.evaluate(() => window.received.filter((m) => m.data?.type === 'switchboard:state'));
      const last = states.at(-1);
      assert.deepEqual(last?.data, { type: 'switchboard:state', device: 'Lamp', address: `tasmota:${PLUG}`, id: 0, on: false, online: true });
      assert.equal(new URL(last.origin).port, new URL(stack.server.url).port, 'sent from the app');
    }, 10_000, 'state posted to the parent');

    const before = commands();
    // By address, as in the link (stable when the label changes).
    await page.evaluate((address) => window.send({ type: 'switchboard:command', device: address, on: true }), `tasmota:${PLUG}`);
    await eventually(async () => {
      assert.equal(commands(), before + 1);
      const messages = await page.evaluate(() => window.received.map((m) => m.data));
      assert.ok(messages.some((m) => m.type === 'switchboard:result' && m.ok === true && m.device === `tasmota:${PLUG}`), 'no ok result');
      assert.ok(messages.some((m) => m.type === 'switchboard:state' && m.on === true), 'no on state');
    }, 10_000, 'command from the parent carried out and confirmed');
    await page.evaluate(() => window.send({ type: 'switchboard:command', device: 'Nope', on: true }));
    await eventually(async () => {
      const results = await page.evaluate(() => window.received.filter((m) => m.data?.type === 'switchboard:result').map((m) => m.data));
      assert.match(results.at(-1).error, /No device has the address "Nope"/);
    }, 5_000, 'unknown device explained');
    await page.close();
  });

  test('a page at an origin not listed in parent= is refused and never hears the state', async () => {
    const page = await stack.browser.newPage({ viewport: { width: 500, height: 400 } });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(foreign.url);
    const app = page.frameLocator('#app');
    await eventually(async () => assert.equal(await app.getByRole('switch', { name: 'Lamp', exact: true }).isDisabled(), false), 10_000, 'switch known');
    const before = commands();
    await page.evaluate(() => window.send({ type: 'switchboard:command', device: 'Lamp', on: false }));
    await eventually(async () => {
      const results = await page.evaluate(() => window.received.filter((m) => m.data?.type === 'switchboard:result').map((m) => m.data));
      assert.equal(results.length, 1);
      assert.equal(results[0].ok, false);
      assert.match(results[0].error, new RegExp(`add parent=${foreign.origin.replace(/[.:/]/g, '\\$&')}`));
    }, 5_000, 'refusal answered');
    await sleep(500);
    assert.equal(commands(), before, 'a foreign page switched the device');
    const states = await page.evaluate(() => window.received.filter((m) => m.data?.type === 'switchboard:state'));
    assert.deepEqual(states, [], 'state leaked to a foreign page');
    await page.close();
  });
});
