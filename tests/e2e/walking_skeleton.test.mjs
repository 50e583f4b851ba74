// The walking skeleton end to end: the built page in headless Chromium, a real broker, and a
// simulated Tasmota plug speaking the real protocol. Run against Mosquitto, the dev kit's
// embedded rumqttd, and aedes from npm.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AedesBroker, EmbeddedBroker, Mosquitto, dashboardFragment, eventually, launchBrowser, serveDist, sleep,
  startStack, switchState, visibleText,
} from './harness.mjs';

const PLUG = 'e2e_plug';
const LABEL = 'Test plug';

for (const Broker of [Mosquitto, EmbeddedBroker, AedesBroker]) {
  describe(`walking skeleton against ${Broker.label}`, () => {
    let broker, plugs, server, browser, page;
    const consoleErrors = [];

    let stack;

    before(async () => {
      stack = await startStack(new Broker(), [`${PLUG}=on`]);
      ({ broker, plugs, server, browser } = stack);
    });

    after(async () => stack?.stop());

    test('the switch starts disabled, then shows the state the device reports', async () => {
      plugs.send(`latency ${PLUG} 1500`);
      await sleep(100);
      page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      page.on('pageerror', (error) => consoleErrors.push(String(error)));
      // The browser itself logs each refused WebSocket while the broker is down: expected.
      const browserNetworkNoise = /^WebSocket connection to .* failed/;
      page.on('console', (message) => {
        if (message.type() === 'error' && !browserNetworkNoise.test(message.text())) consoleErrors.push(message.text());
      });
      await page.goto(server.url + dashboardFragment(broker.wsPort, [`tasmota:${PLUG}:${LABEL}`]));
      const early = await eventually(() => switchState(page, LABEL), 10_000, 'switch rendered');
      assert.equal(early.disabled, true, 'the switch was usable before the device reported');
      await eventually(async () => {
        assert.deepEqual(await switchState(page, LABEL), { checked: 'true', busy: 'false', disabled: false });
      }, 10_000, 'switch showing the reported state');
      await eventually(async () => {
        assert.match(await page.getByRole('status').innerText(), /Connected to ws:\/\/127\.0\.0\.1/);
      });
      plugs.send(`latency ${PLUG} 0`);
    });

    test('a click switches the device, and the switch follows only when the device confirms', async () => {
      plugs.send(`latency ${PLUG} 800`);
      await sleep(100);
      const commandsBefore = plugs.count(new RegExp(`plug ${PLUG} received cmnd/${PLUG}/POWER "OFF"`));
      await page.getByRole('switch', { name: LABEL, exact: true }).click();
      // The page renders once per animation frame: the in-flight state shows on the next one.
      await eventually(async () => {
        const during = await switchState(page, LABEL);
        assert.equal(during.busy, 'true', 'no in-flight indication after the click');
        assert.equal(during.checked, 'true', 'the switch moved before the device confirmed');
      }, 500, 'in-flight indication');
      await plugs.waitForLine(new RegExp(`plug ${PLUG} power OFF`), 5_000);
      await eventually(async () => {
        assert.deepEqual(await switchState(page, LABEL), { checked: 'false', busy: 'false', disabled: false });
      }, 5_000, 'switch following the confirmation');
      const commandsAfter = plugs.count(new RegExp(`plug ${PLUG} received cmnd/${PLUG}/POWER "OFF"`));
      assert.equal(commandsAfter - commandsBefore, 1, 'exactly one OFF command per click');
      plugs.send(`latency ${PLUG} 0`);
    });

    test('a change made on the device appears in the page', async () => {
      plugs.send(`press ${PLUG}`);
      await eventually(async () => {
        assert.equal((await switchState(page, LABEL)).checked, 'true');
      }, 5_000, 'button press shown');
    });

    test('a command that is never confirmed gives up visibly', async () => {
      plugs.send(`latency ${PLUG} 8000`);
      await sleep(100);
      await page.getByRole('switch', { name: LABEL, exact: true }).click();
      await eventually(async () => {
        assert.match(await page.getByRole('alert').innerText(), /No confirmation from the device within 5 s/);
        assert.equal((await switchState(page, LABEL)).busy, 'false');
      }, 9_000, 'visible give-up');
      plugs.send(`latency ${PLUG} 0`);
      // The late answer still arrives and the switch then shows the device's real state.
      await eventually(async () => {
        assert.equal((await switchState(page, LABEL)).checked, 'false');
      }, 8_000, 'late confirmation applied');
    });

    test('the device dropping off (will Offline) disables the switch until it is back', async () => {
      plugs.send(`unplug ${PLUG}`);
      await eventually(async () => {
        assert.equal((await switchState(page, LABEL)).disabled, true);
        assert.match(await visibleText(page.locator('.card-state')), /Device offline/);
      }, 10_000, 'offline shown');
      plugs.send(`plugin ${PLUG}`);
      await eventually(async () => {
        assert.deepEqual(await switchState(page, LABEL), { checked: 'false', busy: 'false', disabled: false });
      }, 10_000, 'back online with its state');
    });

    test('a broker restart is survived and the switch recovers its state', async (t) => {
      await broker.stop();
      await eventually(async () => {
        assert.equal((await switchState(page, LABEL)).disabled, true);
        assert.match(await page.getByRole('status').innerText(), /Reconnecting in \d+ s/);
      }, 10_000, 'disconnection shown');
      const commandsBefore = plugs.count(/received cmnd\/[^ ]+\/POWER "(ON|OFF|TOGGLE)"/);
      await broker.start();
      const brokerBack = Date.now();
      await eventually(async () => {
        assert.deepEqual(await switchState(page, LABEL), { checked: 'false', busy: 'false', disabled: false });
      }, 20_000, 'recovered after the restart');
      t.diagnostic(`switch usable again ${Date.now() - brokerBack} ms after the broker was back`);
      const commandsAfter = plugs.count(/received cmnd\/[^ ]+\/POWER "(ON|OFF|TOGGLE)"/);
      assert.equal(commandsAfter, commandsBefore, 'a switch command was sent that the user did not make');
      assert.deepEqual(consoleErrors, [], 'the page threw or logged errors');
    });
  });
}

describe('configuration errors in the link, with the page hosted under a sub-path', () => {
  let server, browser;
  before(async () => {
    server = await serveDist({ subPath: 'apps/switchboard' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('invalid values get a specific message, never a blank page', async () => {
    const page = await browser.newPage();
    const failedRequests = [];
    page.on('requestfailed', (request) => failedRequests.push(request.url()));
    page.on('response', (response) => response.status() >= 400 && failedRequests.push(response.url()));
    assert.match(server.url, /\/apps\/switchboard\/$/);
    await page.goto(`${server.url}#broker=http%3A%2F%2Fhost%3A9001&device=zigbee%3Aabc&device=tasmota%3Agood`);
    const alert = await eventually(async () => {
      const text = await page.getByRole('alert').innerText();
      assert.match(text, /ws:\/\/host:9001/);
      return text;
    }, 10_000, 'problems listed');
    assert.match(alert, /kind "zigbee" is not known/);
    assert.equal((await switchState(page, 'good')).disabled, true);
    assert.match(await page.getByRole('status').innerText(), /Not connected/);
    assert.deepEqual(failedRequests, [], 'assets failed to load from the sub-path');
  });
});
