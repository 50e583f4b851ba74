// One store for the devices: editing the device list of a running dashboard never reconnects
// and never resets a device's relay protection. A device locked by a click storm stays locked
// through renaming another, adding one, removing one and moving one; the broker sees no new
// connection (CONNECTs counted by an MQTT-reading proxy); no switch of an untouched device
// goes grey even for a moment; a command pending on one device while another is edited is
// confirmed normally.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Mosquitto, eventually, sleep, startStack, switchState, visibleText } from './harness.mjs';
import { startMqttProxy } from './mqtt-ws-proxy.mjs';

const HEATER = 'store_heater';
const LAMP = 'store_lamp';
const FAN = 'store_fan';
const KETTLE = 'store_kettle';

describe('edits of the device list on a running dashboard', () => {
  let stack, proxy, page;
  const pageErrors = [];
  const card = (label) => page.locator('li.card', { has: page.locator('.card-label', { hasText: label }) });
  const received = (topic) => stack.plugs.count(new RegExp(`plug ${topic} received cmnd/${topic}/POWER "(ON|OFF|TOGGLE)"`));

  before(async () => {
    stack = await startStack(new Mosquitto(), [`${HEATER}=off`, `${LAMP}=off`, `${FAN}=on`, `${KETTLE}=off`]);
    proxy = await startMqttProxy(stack.broker.wsPort);
    page = await stack.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    const devices = [[HEATER, 'Heater'], [LAMP, 'Lamp'], [FAN, 'Fan']]
      .map(([topic, label]) => `&device=${encodeURIComponent(`tasmota:${topic}:${label}`)}`).join('');
    await page.goto(`${stack.server.url}#broker=${encodeURIComponent(`ws://127.0.0.1:${proxy.port}`)}${devices}`);
    for (const label of ['Heater', 'Lamp', 'Fan']) {
      await eventually(async () => assert.equal((await switchState(page, label)).disabled, false), 15_000, `${label} known`);
    }
  });

  after(async () => {
    assert.deepEqual(pageErrors, [], 'the page threw');
    await proxy?.stop();
    await stack?.stop();
  });

  test('a locked device stays locked, nothing reconnects and no switch greys out through rename, add, remove, move', async () => {
    // Lock the heater with a click storm.
    const heater = page.getByRole('switch', { name: 'Heater', exact: true });
    for (let i = 0; i < 60; i += 1) {
      await heater.click({ force: true });
      await sleep(5);
    }
    await eventually(async () => assert.match(await visibleText(card('Heater')), /Locked/), 5_000, 'locked');
    const heaterCommands = received(HEATER);
    const connections = proxy.stats.connections;
    // From here on, any moment an untouched switch (Lamp, then Reading lamp) is disabled is
    // recorded by the page itself.
    await page.evaluate(() => {
      window.__greyed = [];
      const watch = () => {
        for (const button of document.querySelectorAll('button[role=switch]')) {
          const name = button.getAttribute('aria-label') ?? button.textContent;
          if (button.disabled && /lamp/i.test(name)) window.__greyed.push(name);
        }
      };
      new MutationObserver(watch).observe(document.body, { subtree: true, childList: true, attributes: true });
    });

    await page.getByRole('button', { name: 'Edit devices' }).click();
    await page.getByRole('button', { name: 'Edit Lamp' }).click();
    await page.getByLabel('Label', { exact: true }).fill('Reading lamp');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await eventually(async () => assert.equal((await switchState(page, 'Reading lamp')).disabled, false), 5_000, 'renamed');

    const form = page.locator('details.panel', { hasText: 'Add a device' });
    if ((await form.getAttribute('open')) === null) await form.locator('summary').click();
    await form.getByLabel('Topic', { exact: true }).fill(KETTLE);
    await form.getByLabel('Label (optional)').fill('Kettle');
    await form.getByRole('button', { name: 'Add device' }).click();
    await eventually(async () => assert.equal((await switchState(page, 'Kettle')).disabled, false), 10_000, 'added and known');

    await page.getByRole('button', { name: 'Remove Fan' }).click();
    await eventually(async () => assert.equal(await page.getByRole('switch', { name: 'Fan', exact: true }).count(), 0), 5_000, 'removed');

    await page.getByRole('button', { name: 'Move Heater down' }).click();
    await eventually(async () => {
      const labels = await page.locator('li.card .card-label').allInnerTexts();
      assert.deepEqual(labels.slice(0, 2), ['Reading lamp', 'Heater']);
    }, 5_000, 'moved');
    await page.getByRole('button', { name: 'Done editing' }).click();

    // Still locked: forced clicks reach nothing.
    assert.equal((await switchState(page, 'Heater')).disabled, true, 'the lock was lifted by an edit');
    assert.match(await visibleText(card('Heater')), /Locked/);
    for (let i = 0; i < 3; i += 1) {
      await heater.evaluate((button) => { button.disabled = false; button.click(); });
      await sleep(100);
    }
    await sleep(500);
    assert.equal(received(HEATER), heaterCommands, 'a locked relay received a command after the edits');
    assert.equal(proxy.stats.connections, connections, 'an edit made a new MQTT connection');
    assert.deepEqual(await page.evaluate(() => window.__greyed), [], 'an untouched switch greyed out');
  });

  test('a command pending on one device is confirmed normally while another is edited', async () => {
    stack.plugs.send(`latency ${KETTLE} 1500`);
    const before = (await switchState(page, 'Kettle')).checked;
    await page.getByRole('switch', { name: 'Kettle', exact: true }).click();
    await eventually(async () => assert.equal((await switchState(page, 'Kettle')).busy, 'true'), 2_000, 'pending');
    await page.getByRole('button', { name: 'Edit devices' }).click();
    await page.getByRole('button', { name: 'Edit Reading lamp' }).click();
    await page.getByLabel('Room (optional)').first().fill('Study');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('button', { name: 'Done editing' }).click();
    await eventually(async () => {
      const state = await switchState(page, 'Kettle');
      assert.notEqual(state.checked, before);
      assert.equal(state.busy, 'false');
    }, 10_000, 'confirmed by the device');
    assert.doesNotMatch(await visibleText(card('Kettle')), /Asking the device for its state|did not confirm/);
    stack.plugs.send(`latency ${KETTLE} 0`);
  });
});
