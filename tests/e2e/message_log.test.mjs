// The message log for when something is off: the built page in headless Chromium against
// Mosquitto with a simulated plug. Messages both ways are listed, the filter narrows them,
// the pause freezes the list, and a hand-written message reaches the device, not retained.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Mosquitto, dashboardFragment, eventually, sleep, startStack } from './harness.mjs';

const PLUG = 'log_plug';

describe('message log against Mosquitto', () => {
  let stack, page;
  const pageErrors = [];

  before(async () => {
    stack = await startStack(new Mosquitto(), [PLUG]);
    page = await stack.browser.newPage({ viewport: { width: 390, height: 844 } });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(stack.server.url + dashboardFragment(stack.broker.wsPort, [`tasmota:${PLUG}:Plug`]));
    await eventually(async () => assert.equal(await page.getByRole('switch', { name: 'Plug', exact: true }).isDisabled(), false), 10_000, 'plug known');
  });

  after(async () => {
    assert.deepEqual(pageErrors, [], 'the page threw');
    await stack?.stop();
  });

  const entries = () => page.getByRole('list', { name: 'Recent messages' }).locator('li').allInnerTexts();

  test('messages both ways are listed, filtered and paused', async () => {
    await page.getByText('Message log').click();
    stack.plugs.send(`press ${PLUG}`);
    await eventually(async () => {
      const text = (await entries()).join('\n');
      assert.match(text, new RegExp(`stat/${PLUG}/POWER\\s+received at \\d\\d:\\d\\d:\\d\\d · 2 bytes\\s+ON`));
    }, 10_000, 'a received message listed');
    await page.getByRole('switch', { name: 'Plug', exact: true }).click();
    await eventually(async () => assert.match((await entries()).join('\n'), new RegExp(`cmnd/${PLUG}/POWER\\s+sent`)), 5_000, 'a sent command listed');
    await page.getByLabel('Filter (topic text, or + and #)').fill('stat/+/RESULT');
    await eventually(async () => {
      const listed = await entries();
      assert.ok(listed.length > 0 && listed.every((e) => e.startsWith(`↓\nstat/${PLUG}/RESULT`) || e.includes(`stat/${PLUG}/RESULT`)), listed.join(' | '));
    }, 5_000, 'filtered');
    await page.getByLabel('Pause (new messages are still kept)').check();
    const frozen = await entries();
    stack.plugs.send(`press ${PLUG}`);
    await sleep(800);
    assert.deepEqual(await entries(), frozen, 'the list moved while paused');
    await page.getByLabel('Pause (new messages are still kept)').uncheck();
    await eventually(async () => assert.ok((await entries()).length > frozen.length), 5_000, 'resumed');
  });

  test('a hand-written message reaches the device and is not retained unless ticked', async () => {
    const before = stack.plugs.count(new RegExp(`plug ${PLUG} received cmnd/${PLUG}/POWER "TOGGLE"`));
    await page.getByLabel('Topic', { exact: true }).last().fill(`cmnd/${PLUG}/POWER`);
    await page.getByLabel('Payload').fill('TOGGLE');
    await page.getByRole('button', { name: 'Publish' }).click();
    await eventually(async () => assert.match(await page.locator('.form-inner').innerText(), new RegExp(`Published to cmnd/${PLUG}/POWER`)), 5_000, 'published');
    await stack.plugs.waitForLine(new RegExp(`plug ${PLUG} received cmnd/${PLUG}/POWER "TOGGLE"`), 5_000, 0);
    assert.equal(stack.plugs.count(new RegExp(`plug ${PLUG} received cmnd/${PLUG}/POWER "TOGGLE"`)), before + 1);
    await page.getByLabel('Filter (topic text, or + and #)').fill('');
    const sent = (await entries()).find((e) => e.includes(`cmnd/${PLUG}/POWER`) && e.includes('TOGGLE'));
    assert.ok(sent, 'the published message is not in the log');
    assert.doesNotMatch(sent, /retained/);
    await page.getByLabel('Topic', { exact: true }).last().fill('cmnd/+/POWER');
    await page.getByRole('button', { name: 'Publish' }).click();
    await eventually(async () => assert.match(await page.locator('.form-inner .form-error').innerText(), /wildcards/), 5_000, 'wildcard refused');
  });
});
