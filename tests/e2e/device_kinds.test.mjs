// Every device kind end to end: the built page in headless Chromium against Mosquitto, with
// the dev kit's simulators speaking each kind's real protocol (a 3-relay Tasmota strip with an
// energy meter, a Shelly Gen3 plug over RPC, a JSON relay board with a relay, a momentary relay
// and a contact, and a command/state pair with an availability topic). For each: the state is
// shown, a command is confirmed by the device, and going offline is shown. Then discovery: the
// simulators announce themselves (Tasmota natively, the Shelly by answering GetDeviceInfo, the
// lamp by Home Assistant discovery), a fresh page lists them and adds each with one click, and
// a withdrawn entry marks its card.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Mosquitto, dashboardFragment, eventually, publishRaw, startStack, switchState, visibleText } from './harness.mjs';

const STRIP = 'kinds_strip';
const SHELLY = 'shellyplugsg3-e2e';
const BOARD = 'e2e/board';
const FAN = 'e2e/fan';

const PAGE_DEVICES = [
  `tasmota:${STRIP}:Strip`,
  `shelly:${SHELLY}:Heater`,
  `jsonrelay:${BOARD}:GP16:relay:Lamp`,
  `jsonrelay:${BOARD}:GP18:momentary:Garage door`,
  `jsonrelay:${BOARD}:GP1:contact:Side door`,
  `generic:${FAN}/set:${FAN}:Fan:avty=${FAN}/status`,
  'generic:e2e/blind/set::Blind',
];

const card = (page, label) => page.locator('li.card', { has: page.locator('.card-label', { hasText: label }) });

describe('every device kind against Mosquitto', () => {
  let stack, page;
  const pageErrors = [];

  before(async () => {
    stack = await startStack(new Mosquitto(), [`tasmota:${STRIP}:3`, `shelly:${SHELLY}`, `jsonboard:${BOARD}`, `generic:${FAN}`], { telePeriod: 2 });
    page = await stack.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(stack.server.url + dashboardFragment(stack.broker.wsPort, PAGE_DEVICES));
  });

  after(async () => {
    assert.deepEqual(pageErrors, [], 'the page threw');
    await stack?.stop();
  });

  test('each kind shows the state its device reports, with names and readings', async () => {
    for (const name of ['Strip: Socket 1', 'Strip: Socket 2', 'Strip: Socket 3', 'Heater', 'Lamp', 'Fan']) {
      await eventually(async () => {
        assert.deepEqual(await switchState(page, name), { checked: 'false', busy: 'false', disabled: false });
      }, 15_000, `${name} showing its reported state`);
    }
    await eventually(async () => {
      assert.equal(await page.getByRole('img', { name: 'Side door: on' }).count(), 1);
      assert.equal(await page.getByRole('button', { name: 'Press Garage door' }).isDisabled(), false);
    }, 10_000, 'board pins known');
    const heater = await visibleText(card(page, 'Heater'));
    assert.match(heater, /Temp\.\s+41\.3 °C/i);
    assert.match(heater, /Voltage\s+231 V/i);
    await eventually(async () => assert.match(await visibleText(card(page, 'Strip')), /Today\s+0\.31 kWh/i), 10_000, 'strip energy');
    const blind = await visibleText(card(page, 'Blind'));
    assert.match(blind, /Unconfirmed: this device reports no state/);
  });

  test('a Tasmota relay, a Shelly, a board relay and a pair are switched and confirmed by the device', async () => {
    const cases = [
      { name: 'Strip: Socket 2', sim: STRIP, confirmed: 'OFF,ON,OFF', command: `received cmnd/${STRIP}/POWER2 "ON"` },
      { name: 'Heater', sim: SHELLY, confirmed: 'ON', command: `received ${SHELLY}/rpc ".*Switch.Set` },
      { name: 'Lamp', sim: BOARD, confirmed: 'GP1=1,GP16=1,GP17=0,GP18=0', command: `received ${BOARD} "\\{\\\\"GP16\\\\":1\\}"` },
      { name: 'Fan', sim: FAN, confirmed: 'ON', command: `received ${FAN}/set "ON"` },
    ];
    for (const { name, sim, confirmed, command } of cases) {
      await page.getByRole('switch', { name, exact: true }).click();
      await stack.plugs.waitForLine(new RegExp(command), 10_000);
      await stack.plugs.waitForLine(new RegExp(`plug ${sim} power ${confirmed}$`), 10_000);
      await eventually(async () => {
        assert.deepEqual(await switchState(page, name), { checked: 'true', busy: 'false', disabled: false });
      }, 10_000, `${name} confirmed`);
    }
    await eventually(async () => {
      assert.match(await visibleText(card(page, 'Strip')), /Power\s+42 W/i);
    }, 10_000, 'the meter following the relay at the next telemetry');
    await eventually(async () => {
      const strip = card(page, 'Strip');
      assert.match(await strip.getByRole('img', { name: /^Power over the last \d+ min: from 0 to 42 W$/ }).getAttribute('aria-label'), /42 W/);
      assert.match(await strip.innerText(), /Heard from \d+ s ago/);
    }, 10_000, 'power sparkline and last heard');
  });

  test('a momentary press takes a confirming second tap, shows the pulse and ends with the state the board reports', async () => {
    const press = page.getByRole('button', { name: 'Press Garage door' });
    const pressCommand = new RegExp(`plug ${BOARD} received ${BOARD} "\\{\\\\"GP18\\\\":1\\}"`);
    await press.click();
    await new Promise((done) => setTimeout(done, 300));
    assert.equal(stack.plugs.count(pressCommand), 0, 'one stray tap opened the garage door');
    await page.getByRole('button', { name: 'Confirm: press Garage door' }).click();
    await stack.plugs.waitForLine(pressCommand, 5_000);
    await eventually(async () => assert.equal(await press.getAttribute('aria-busy'), 'true'), 5_000, 'pulse shown');
    await stack.plugs.waitForLine(new RegExp(`plug ${BOARD} power GP1=1,GP16=1,GP17=0,GP18=1$`), 5_000);
    await stack.plugs.waitForLine(new RegExp(`plug ${BOARD} power GP1=1,GP16=1,GP17=0,GP18=0$`), 5_000);
    await eventually(async () => {
      assert.equal(await press.getAttribute('aria-busy'), 'false');
      assert.match(await visibleText(card(page, 'Garage door')), /Ready/);
    }, 5_000, 'release confirmed');
  });

  test('the contact follows the board, and the board answers stats in words', async () => {
    stack.plugs.send(`press ${BOARD}`);
    await eventually(async () => assert.equal(await page.getByRole('img', { name: 'Side door: off' }).count(), 1), 5_000, 'door opened');
    const lampCard = card(page, 'Lamp');
    await lampCard.getByRole('button', { name: 'stats' }).click();
    await eventually(async () => assert.match(await visibleText(lampCard), /Uptime=0 days 0 hrs, Outages=0/), 5_000, 'stats answer');
  });

  test('a pair without a state topic sends but says it cannot confirm', async () => {
    await page.getByRole('button', { name: 'Blind on', exact: true }).click();
    await eventually(async () => {
      assert.match(await visibleText(card(page, 'Blind')), /Sent "on"; this device reports no state, so it cannot be confirmed/);
    }, 5_000, 'unconfirmed send shown');
  });

  test('a device that goes offline is shown offline, and comes back when it returns', async () => {
    for (const [sim, name] of [[STRIP, 'Strip: Socket 1'], [SHELLY, 'Heater'], [FAN, 'Fan']]) {
      stack.plugs.send(`unplug ${sim}`);
      await eventually(async () => {
        assert.equal((await switchState(page, name)).disabled, true);
        assert.match(await page.locator('li.channel', { has: page.getByRole('switch', { name, exact: true }) }).innerText(), /Device offline/);
      }, 20_000, `${name} offline`);
      stack.plugs.send(`plugin ${sim}`);
      await eventually(async () => {
        assert.equal((await switchState(page, name)).disabled, false);
      }, 20_000, `${name} back`);
    }
  });

  test('devices announced on the broker are listed, added with one click, and marked when withdrawn', async () => {
    const fresh = await stack.browser.newPage({ viewport: { width: 390, height: 844 } });
    fresh.on('pageerror', (error) => pageErrors.push(String(error)));
    await fresh.goto(stack.server.url + dashboardFragment(stack.broker.wsPort, []));
    const found = fresh.getByRole('region', { name: 'Found on this broker' });
    await eventually(async () => {
      const text = await found.innerText();
      assert.match(text, /kinds_strip\s+Tasmota discovery · Simulated plug, 3 relays, Tasmota 13\.1\.0, energy meter/);
      assert.match(text, /Simulated plug\s+Shelly · PlugSG3, Gen 3 · shellyplugsg3-e2e/);
      assert.match(text, /Simulated lamp\s+Home Assistant discovery · switch · e2e\/fan\/set/);
    }, 15_000, 'the three announcing simulators listed');
    for (const label of ['kinds_strip', 'Simulated plug', 'Simulated lamp']) {
      await found.getByRole('button', { name: `Add ${label}`, exact: true }).click();
    }
    await eventually(async () => {
      assert.deepEqual(await switchState(fresh, 'kinds_strip: Socket 2'), { checked: 'true', busy: 'false', disabled: false });
      assert.deepEqual(await switchState(fresh, 'Simulated plug'), { checked: 'true', busy: 'false', disabled: false });
      assert.deepEqual(await switchState(fresh, 'Simulated lamp'), { checked: 'true', busy: 'false', disabled: false });
      assert.equal(await found.getByText('On the dashboard').count(), 3);
    }, 15_000, 'the added devices showing their real state');
    await fresh.getByRole('switch', { name: 'Simulated lamp', exact: true }).click();
    await stack.plugs.waitForLine(new RegExp(`plug ${FAN} power OFF$`), 10_000);
    await eventually(async () => {
      assert.equal((await switchState(fresh, 'Simulated lamp')).checked, 'false');
    }, 10_000, 'a discovered device switched and confirmed');
    await publishRaw(stack.broker.tcpPort, 'homeassistant/switch/e2e_fan/config', '', { retain: true });
    await eventually(async () => {
      assert.match(await visibleText(card(fresh, 'Simulated lamp')), /discovery no longer lists this device/);
    }, 10_000, 'withdrawn entry marked');
    await fresh.close();
  });

  test('the add form takes any kind, and a mistake gets a message that says what to write', async () => {
    const form = await stack.browser.newPage({ viewport: { width: 390, height: 844 } });
    form.on('pageerror', (error) => pageErrors.push(String(error)));
    await form.goto(stack.server.url + dashboardFragment(stack.broker.wsPort, []));
    await form.getByText('Add a device').click();
    await form.locator('select[name="kind"]').selectOption('jsonrelay');
    await form.getByLabel('Board topic').fill(BOARD);
    await form.getByRole('button', { name: 'Add device' }).click();
    await eventually(async () => assert.match(await form.locator('.form-error').innerText(), /the pin is missing/), 5_000, 'missing pin explained');
    await form.getByLabel('Pin', { exact: true }).fill('GP17');
    await form.getByLabel('Label (optional)').fill('Pump');
    await form.getByRole('button', { name: 'Add device' }).click();
    await eventually(async () => {
      assert.deepEqual(await switchState(form, 'Pump'), { checked: 'false', busy: 'false', disabled: false });
    }, 10_000, 'the board pin added from the form shows its state');
    await form.getByRole('switch', { name: 'Pump', exact: true }).click();
    await stack.plugs.waitForLine(new RegExp(`plug ${BOARD} power GP1=\\d,GP16=1,GP17=1,GP18=0$`), 10_000);
    await eventually(async () => assert.equal((await switchState(form, 'Pump')).checked, 'true'), 10_000, 'confirmed');
    await form.close();
  });
});
