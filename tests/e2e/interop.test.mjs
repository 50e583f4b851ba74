// Interoperability: Mosquitto with a password file and an ACL, in MQTT 3.1.1 and MQTT 5, and
// the embedded rumqttd (3.1.1 only) asked for MQTT 5, which must fall back by itself.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  EmbeddedBroker, Mosquitto, dashboardFragment, eventually, startStack, switchState, visibleText,
} from './harness.mjs';

const PLUG = 'acl_plug';
const ACL = [
  'user alice',
  'topic readwrite #',
  '',
  'user viewer',
  `topic read stat/${PLUG}/#`,
  `topic read tele/${PLUG}/#`,
  '',
].join('\n');

describe('Mosquitto with a password file and an ACL', () => {
  let broker, plugs, server, browser;

  let stack;

  before(async () => {
    const mosquitto = new Mosquitto({ users: { alice: 'alice-secret', viewer: 'viewer-secret' }, acl: ACL });
    stack = await startStack(mosquitto, [`${PLUG}=off`]);
    ({ broker, plugs, server, browser } = stack);
  });

  after(async () => stack?.stop());

  for (const mqtt of ['3.1.1', '5']) {
    const open = async (extra) => {
      const page = await browser.newPage();
      await page.goto(server.url + dashboardFragment(broker.wsPort, [`tasmota:${PLUG}:Plug`, 'tasmota:forbidden:Forbidden'], { mqtt, ...extra }));
      return page;
    };

    test(`MQTT ${mqtt}: a wrong password is reported with what to check`, async () => {
      const page = await open({ user: 'alice', pass: 'wrong' });
      await eventually(async () => {
        // Mosquitto answers a wrong password with "not authorized" (5 / 0x87): the page must
        // name the password as the likely cause, not the access rules.
        const status = await page.getByRole('status').innerText();
        assert.match(status, /user name or password is probably wrong/);
        assert.doesNotMatch(status, /ACL|access rules/);
      }, 10_000, 'credentials problem shown');
      assert.equal((await switchState(page, 'Plug')).disabled, true);
      await page.close();
    });

    test(`MQTT ${mqtt}: the right password connects and switches`, async () => {
      const page = await open({ user: 'alice', pass: 'alice-secret' });
      await eventually(async () => {
        assert.match(await page.getByRole('status').innerText(), new RegExp(`Connected to .*\\(MQTT ${mqtt.replace('.', '\\.')}\\)`));
        assert.equal((await switchState(page, 'Plug')).disabled, false);
      }, 10_000, 'connected with the password');
      const before = (await switchState(page, 'Plug')).checked;
      await page.getByRole('switch', { name: 'Plug', exact: true }).click();
      await eventually(async () => {
        assert.notEqual((await switchState(page, 'Plug')).checked, before);
      }, 5_000, 'switched');
      await page.close();
    });

    test(`MQTT ${mqtt}: a command the ACL forbids is reported, and the switch does not move`, async () => {
      const page = await open({ user: 'viewer', pass: 'viewer-secret' });
      await eventually(async () => {
        assert.match(await page.getByRole('status').innerText(), /Connected to/);
      }, 10_000, 'viewer connected');
      // Mosquitto 2.0.11 grants subscriptions its ACL file forbids (SUBACK success) and just
      // never delivers: the forbidden device stays without a state, never with a made-up one.
      assert.equal((await switchState(page, 'Forbidden')).disabled, true);
      // The viewer may read but not command: its state query is dropped too, so the device's
      // button makes the state known.
      plugs.send(`press ${PLUG}`);
      await eventually(async () => assert.equal((await switchState(page, 'Plug')).disabled, false), 10_000, 'state known');
      const before = (await switchState(page, 'Plug')).checked;
      await page.getByRole('switch', { name: 'Plug', exact: true }).click();
      const expected = mqtt === '5'
        ? /refused the command: not authorized/ // MQTT 5 PUBACK reason code 0x87
        : /No confirmation from the device within 5 s/; // 3.1.1 brokers drop it silently
      await eventually(async () => {
        assert.match(await visibleText(page.locator('.card-notice').first()), expected);
      }, 9_000, 'refused command reported');
      assert.equal((await switchState(page, 'Plug')).checked, before, 'the switch moved without the device');
      await page.close();
    });
  }
});

describe('embedded rumqttd asked for MQTT 5', () => {
  let broker, server, browser;

  let stack;

  before(async () => {
    stack = await startStack(new EmbeddedBroker(), ['v5_plug=on']);
    ({ broker, server, browser } = stack);
  });

  after(async () => stack?.stop());

  test('falls back to MQTT 3.1.1 by itself and says so', async () => {
    const page = await browser.newPage();
    await page.goto(server.url + dashboardFragment(broker.wsPort, ['tasmota:v5_plug:Plug'], { mqtt: '5' }));
    await eventually(async () => {
      const status = await page.getByRole('status').innerText();
      assert.match(status, /Connected to .*\(MQTT 3\.1\.1\)/);
      assert.match(status, /MQTT 5 did not work with this broker/);
      assert.deepEqual(await switchState(page, 'Plug'), { checked: 'true', busy: 'false', disabled: false });
    }, 20_000, 'fallback to 3.1.1');
  });
});
