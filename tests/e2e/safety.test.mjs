// Safe to leave in charge of a relay: the built page in headless Chromium against Mosquitto,
// with simulated devices that log every command they receive (so commands are counted):
// rapid clicks are limited and then locked, a device that was offline when clicked gets
// nothing when it returns, a retained command is found and deleted, hostile names and
// payloads are only ever text, credentials over plain ws:// are warned about, and the page
// runs under its Content-Security-Policy without a single violation.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Mosquitto, ROOT, dashboardFragment, eventually, openDetails, publishMany, publishRaw, sleep, startStack, switchState, visibleText } from './harness.mjs';

const HEATER = 'safety_heater';
const LAMP = 'safety_lamp';
const GHOST = 'safety_ghost';

const card = (page, label) => page.locator('li.card', { has: page.locator('.card-label', { hasText: label }) });
const commandsTo = (plugs, topic) => plugs.count(new RegExp(`plug ${topic} received cmnd/${topic}/POWER "(ON|OFF|TOGGLE)"`));

describe('safety against Mosquitto', () => {
  let stack;
  const pageErrors = [];
  const dialogs = [];

  async function openPage(devices, extra = {}, viewport = { width: 390, height: 844 }) {
    const page = await stack.browser.newPage({ viewport });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    await page.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(stack.server.url + dashboardFragment(stack.broker.wsPort, devices, extra));
    return page;
  }

  before(async () => {
    stack = await startStack(new Mosquitto(), [HEATER, LAMP, GHOST]);
  });

  after(async () => {
    assert.deepEqual(pageErrors, [], 'the page threw');
    assert.deepEqual(dialogs, [], 'a dialog opened: markup from the broker ran as code');
    await stack?.stop();
  });

  test('100 rapid clicks send at most the limit (4 in 10 s), then the switch locks until unlocked', async () => {
    const page = await openPage([`tasmota:${HEATER}:Heater`]);
    await eventually(async () => assert.equal((await switchState(page, 'Heater')).disabled, false), 10_000, 'heater known');
    const before = commandsTo(stack.plugs, HEATER);
    const heater = page.getByRole('switch', { name: 'Heater', exact: true });
    for (let i = 0; i < 100; i += 1) {
      await heater.click({ force: true }); // a disabled (locked) switch ignores it
      await sleep(5);
    }
    await sleep(500);
    const sent = commandsTo(stack.plugs, HEATER) - before;
    assert.ok(sent >= 1 && sent <= 4, `${sent} commands reached the device`);
    await eventually(async () => assert.match(await visibleText(card(page, 'Heater')), /Locked: more than 4 commands in 10 s were attempted/), 5_000, 'lock shown');
    assert.equal((await switchState(page, 'Heater')).disabled, true, 'a locked switch looks usable');
    await heater.evaluate((button) => { button.disabled = false; button.click(); });
    await sleep(300);
    assert.equal(commandsTo(stack.plugs, HEATER) - before, sent, 'a locked switch sent a command');
    await card(page, 'Heater').getByRole('button', { name: 'Unlock' }).click();
    await heater.click();
    await eventually(async () => assert.equal(commandsTo(stack.plugs, HEATER) - before, sent + 1), 5_000, 'unlocked switch works');
    await page.close();
  });

  test('a device that was offline when clicked receives nothing when it comes back', async () => {
    const page = await openPage([`tasmota:${LAMP}:Lamp`]);
    await eventually(async () => assert.equal((await switchState(page, 'Lamp')).disabled, false), 10_000, 'lamp known');
    stack.plugs.send(`unplug ${LAMP}`);
    await eventually(async () => assert.equal((await switchState(page, 'Lamp')).disabled, true), 10_000, 'lamp offline');
    const before = commandsTo(stack.plugs, LAMP);
    const lampSwitch = page.getByRole('switch', { name: 'Lamp', exact: true });
    await openDetails(page, 'Lamp');
    for (let i = 0; i < 5; i += 1) {
      await lampSwitch.click({ force: true });
      await page.getByRole('button', { name: 'Send toggle to Lamp' }).click({ force: true });
    }
    // Also try past the disabled state, as a script on the page could.
    await lampSwitch.evaluate((button) => { button.disabled = false; button.click(); });
    stack.plugs.send(`plugin ${LAMP}`);
    await eventually(async () => assert.equal((await switchState(page, 'Lamp')).disabled, false), 15_000, 'lamp back');
    await sleep(1_000);
    assert.equal(commandsTo(stack.plugs, LAMP), before, 'a command clicked while offline reached the device');
    await page.close();
  });

  test('a retained command on a command topic is found, explained and deleted', async () => {
    await publishRaw(stack.broker.tcpPort, `cmnd/${GHOST}/POWER`, 'ON', { retain: true });
    const page = await openPage([`tasmota:${GHOST}:Porch`]);
    const porch = card(page, 'Porch');
    await eventually(async () => {
      const text = await porch.innerText();
      assert.match(text, new RegExp(`A retained command "ON" sits on cmnd/${GHOST}/POWER`));
      assert.match(text, /ghost switching/);
    }, 10_000, 'ghost shown');
    await porch.getByRole('button', { name: 'Delete the retained command' }).click();
    await eventually(async () => assert.match(await porch.innerText(), /was deleted from the broker/), 5_000, 'deleted');
    const again = await openPage([`tasmota:${GHOST}:Porch`]);
    await eventually(async () => assert.equal((await switchState(again, 'Porch')).disabled, false), 10_000, 'porch known');
    await sleep(500);
    assert.doesNotMatch(await visibleText(card(again, 'Porch')), /retained command/, 'the broker still holds it');
    await page.close();
    await again.close();
  });

  test('names and payloads with markup are shown as text, and huge or broken payloads change nothing', async () => {
    const hostileLabel = '<img src=x onerror=alert(1)>';
    await publishRaw(stack.broker.tcpPort, 'homeassistant/switch/evil/config',
      JSON.stringify({ name: '<script>alert(2)</script>', cmd_t: 'evil/set', stat_t: 'evil' }), { retain: true });
    const page = await openPage([`tasmota:${LAMP}:${hostileLabel}`, 'reading:evil/text:<b>bold</b>']);
    await eventually(async () => {
      assert.equal(await page.getByText(hostileLabel, { exact: true }).count(), 1);
      assert.equal(await page.getByText('<script>alert(2)</script>', { exact: true }).count(), 1);
      assert.equal(await page.getByText('<b>bold</b>', { exact: true }).count(), 1);
    }, 10_000, 'hostile names shown as text');
    await publishRaw(stack.broker.tcpPort, 'evil/text', '<img src=y onerror=alert(3)>');
    await eventually(async () => assert.equal(await page.getByText('<img src=y onerror=alert(3)>', { exact: true }).count(), 1), 5_000, 'payload as text');
    assert.equal(await page.locator('img, b, script:not([src])').count(), 0, 'markup became elements');
    await publishRaw(stack.broker.tcpPort, `stat/${LAMP}/RESULT`, Buffer.alloc(1024 * 1024, 0x7b));
    await publishRaw(stack.broker.tcpPort, `stat/${LAMP}/RESULT`, Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3]));
    await publishRaw(stack.broker.tcpPort, `stat/${LAMP}/POWER`, Buffer.from([0xc3, 0x28]));
    const before = commandsTo(stack.plugs, LAMP);
    await eventually(async () => assert.equal((await switchState(page, hostileLabel)).disabled, false), 10_000, 'still known');
    await page.getByRole('switch', { name: hostileLabel, exact: true }).click();
    await eventually(async () => assert.equal(commandsTo(stack.plugs, LAMP), before + 1), 5_000, 'still switching after the junk');
    assert.match(await page.getByRole('status').innerText(), /Connected to/);
    assert.deepEqual(await page.evaluate(() => window.cspViolations), [], 'Content-Security-Policy violations');
    await page.close();
  });

  test('10,000 retained discovery entries leave the page responsive and the list bounded', async () => {
    const flood = Array.from({ length: 10_000 }, (_, i) => ({
      topic: `homeassistant/switch/flood${i}/config`,
      payload: JSON.stringify({ name: `Flood ${i}`, cmd_t: `flood/${i}/set`, stat_t: `flood/${i}` }),
      retain: true,
    }));
    await publishMany(stack.broker.tcpPort, flood);
    const page = await openPage([`tasmota:${LAMP}:Lamp`]);
    await eventually(async () => {
      assert.match(await page.getByRole('region', { name: 'Found on this broker' }).innerText(), /Found on this broker\s+200\b/);
    }, 20_000, 'found list capped at 200');
    const before = commandsTo(stack.plugs, LAMP);
    await eventually(async () => assert.equal((await switchState(page, 'Lamp')).disabled, false), 10_000, 'lamp known');
    await page.getByRole('switch', { name: 'Lamp', exact: true }).click();
    await eventually(async () => assert.equal(commandsTo(stack.plugs, LAMP), before + 1), 5_000, 'still switching');
    const heapMb = await page.evaluate(() => performance.memory.usedJSHeapSize / 1e6);
    assert.ok(heapMb < 100, `JS heap ${heapMb.toFixed(1)} MB`);
    await publishMany(stack.broker.tcpPort, flood.map(({ topic }) => ({ topic, payload: '', retain: true })));
    await page.close();
  });

  test('credentials over plain ws:// to another host are warned about, never stored', async () => {
    const remote = await stack.browser.newPage();
    await remote.goto(`${stack.server.url}#broker=ws%3A%2F%2F192.0.2.1%3A9001&user=alice&pass=s3cret-pw`);
    await eventually(async () => {
      assert.match(await remote.locator('.security-warning').first().innerText(), /travel unencrypted \(ws:\/\/\) to 192\.0\.2\.1/);
    }, 5_000, 'warning shown');
    const stored = await remote.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.doesNotMatch(stored, /s3cret-pw/, 'the password was written to storage');
    await remote.close();
    const local = await openPage([], { user: 'alice', pass: 's3cret-pw' });
    await eventually(async () => assert.match(await local.getByRole('status').innerText(), /Connected to|Reconnecting|Connecting/), 5_000);
    assert.equal(await local.locator('.security-warning').count(), 0, 'warned about localhost');
    await local.close();
  });

  test('the built page carries a strict Content-Security-Policy and no inline script', () => {
    const html = readFileSync(join(ROOT, 'dist', 'index.html'), 'utf8');
    const policy = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1] ?? '';
    assert.match(policy, /script-src 'self' 'wasm-unsafe-eval';/);
    assert.match(policy, /connect-src 'self' ws: wss:;/);
    assert.doesNotMatch(policy, /'unsafe-inline'|'unsafe-eval'/);
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>/g)];
    assert.deepEqual(inline, [], 'an inline script would be blocked by the policy');
  });
});
