// Keeping and moving a setup: the built page in headless Chromium against Mosquitto with
// simulated plugs. Settings survive a reload; the password is kept only when asked and
// forgotten on request; export then import (in a fresh browser profile) gives the same setup;
// a bad file changes nothing; a share link opens the same dashboard in a fresh profile,
// with the credentials only when ticked; devices are reordered and removed.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import jsQR from 'jsqr';
import { Mosquitto, dashboardFragment, eventually, startStack, switchState, visibleText } from './harness.mjs';

const PLUGS = ['set_one', 'set_two'];
// A plug no test adds by itself: the one an edited address moves to.
const SPARE = 'set_spare';

describe('settings against Mosquitto', () => {
  let stack;
  const pageErrors = [];

  const fresh = async () => {
    const page = await stack.browser.newPage({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    return page;
  };
  const stored = (page) => page.evaluate(() => localStorage.getItem('switchboard.settings') ?? '');
  // textContent: a card off screen is not rendered (content-visibility), so it has no innerText.
  const labels = (page) => page.locator('li.card .card-label').allTextContents();

  /** The text of the share QR code, read back the way a phone camera would: from its pixels. */
  async function readQr(page) {
    const svg = page.getByRole('img', { name: 'QR code of the link to this dashboard' });
    const { side, rgba } = await svg.evaluate(async (element) => {
      const side = 240;
      const image = new Image();
      image.src = `data:image/svg+xml;base64,${btoa(new XMLSerializer().serializeToString(element))}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = side;
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0, side, side);
      // As base64: a plain array of this many numbers is slow to pass out of the page.
      const bytes = context.getImageData(0, 0, side, side).data;
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { side, rgba: btoa(binary) };
    });
    return jsQR(new Uint8ClampedArray(Buffer.from(rgba, 'base64')), side, side, { inversionAttempts: 'dontInvert' })?.data;
  }

  async function addTasmota(page, topic, label) {
    const form = page.locator('details.panel', { hasText: 'Add a device' });
    if ((await form.getAttribute('open')) === null) await form.locator('summary').click();
    await form.getByLabel('Topic', { exact: true }).fill(topic);
    await form.getByLabel('Label (optional)').fill(label);
    await form.getByRole('button', { name: 'Add device' }).click();
  }

  before(async () => {
    stack = await startStack(new Mosquitto(), [...PLUGS.map((p) => `${p}=on`), `${SPARE}=off`]);
  });

  after(async () => {
    assert.deepEqual(pageErrors, [], 'the page threw');
    await stack?.stop();
  });

  test('a setup made in the forms survives a reload; the password only when remembered, and forgotten on request', async () => {
    const page = await fresh();
    await page.goto(stack.server.url);
    await page.getByLabel('Broker WebSocket address').fill(`ws://127.0.0.1:${stack.broker.wsPort}`);
    await page.getByLabel('User (optional)').fill('alice');
    await page.getByLabel('Password (optional)').fill('pw-not-kept');
    await page.getByRole('button', { name: 'Connect' }).click();
    await addTasmota(page, PLUGS[0], 'One');
    await addTasmota(page, PLUGS[1], 'Two');
    await eventually(async () => assert.equal((await switchState(page, 'Two')).checked, 'true'), 10_000, 'devices known');
    const saved = await stored(page);
    assert.match(saved, /"devices"/);
    assert.doesNotMatch(saved, /pw-not-kept/, 'the password was saved without being asked');
    await page.reload();
    await eventually(async () => {
      assert.deepEqual(await labels(page), ['One', 'Two']);
      assert.equal((await switchState(page, 'One')).checked, 'true');
    }, 10_000, 'the setup back after a reload, connected');
    await page.getByText('Broker connection').click();
    assert.equal(await page.getByLabel('Password (optional)').inputValue(), '', 'a password came back that was never remembered');
    await page.getByLabel('Password (optional)').fill('pw-kept');
    await page.getByLabel('Remember the password in this browser').check();
    await page.getByRole('button', { name: 'Connect' }).click();
    await eventually(async () => assert.match(await stored(page), /pw-kept/), 5_000, 'remembered');
    await page.getByRole('button', { name: 'Forget the saved password' }).click();
    await eventually(async () => assert.doesNotMatch(await stored(page), /pw-kept/), 5_000, 'forgotten');
    await page.close();
  });

  test('an address is edited in place: a mistake is explained, a taken one refused, a new one takes over the card', async () => {
    const page = await fresh();
    await page.goto(stack.server.url + dashboardFragment(stack.broker.wsPort, [`tasmota:${PLUGS[0]}:Lamp`, `tasmota:${PLUGS[1]}:Other`]));
    await eventually(async () => assert.equal((await switchState(page, 'Lamp')).checked, 'true'), 10_000, 'the first plug is on');
    await page.getByRole('button', { name: 'Edit devices' }).click();
    await page.getByRole('button', { name: 'Edit Lamp' }).click();
    const field = page.getByLabel('Address (as in a link)');
    assert.equal(await field.inputValue(), `tasmota:${PLUGS[0]}`);
    const save = page.getByRole('button', { name: 'Save', exact: true });
    const problem = () => page.locator('.card-edit-form .form-error').innerText();
    await field.fill('tasmota:');
    await save.click();
    await eventually(async () => assert.match(await problem(), /Not saved: .*the topic is missing/), 5_000, 'empty topic explained');
    await field.fill(`tasmota:${PLUGS[1]}`);
    await save.click();
    await eventually(async () => assert.match(await problem(), new RegExp(`Not saved: "tasmota:${PLUGS[1]}" is already on the dashboard`)), 5_000, 'a taken address refused');
    assert.match(await visibleText(page.locator('li.card').first()), new RegExp(PLUGS[0]), 'nothing changed yet');
    await field.fill(`tasmota:${SPARE}`);
    await save.click();
    await eventually(async () => {
      assert.match(await visibleText(page.locator('li.card').first().locator('.card-topic')), new RegExp(SPARE));
      assert.deepEqual(await switchState(page, 'Lamp'), { checked: 'false', busy: 'false', disabled: false });
    }, 10_000, 'the card follows the new plug, in its place and with its label');
    await page.getByRole('button', { name: 'Done editing' }).click();
    await page.getByRole('switch', { name: 'Lamp', exact: true }).click();
    await stack.plugs.waitForLine(new RegExp(`plug ${SPARE} power ON`), 10_000);
    await page.close();
  });

  test('devices are reordered, edited and removed, and it is kept', async () => {
    const page = await fresh();
    await page.goto(stack.server.url);
    await page.getByLabel('Broker WebSocket address').fill(`ws://127.0.0.1:${stack.broker.wsPort}`);
    await page.getByRole('button', { name: 'Connect' }).click();
    await addTasmota(page, PLUGS[0], 'One');
    await addTasmota(page, PLUGS[1], 'Two');
    await page.getByRole('button', { name: 'Edit devices' }).click();
    await page.getByRole('button', { name: 'Move Two up' }).click();
    await eventually(async () => assert.deepEqual(await labels(page), ['Two', 'One']), 5_000, 'moved');
    await eventually(async () => assert.equal((await switchState(page, 'One')).disabled, false), 10_000, 'still known in the new order');
    await page.getByRole('button', { name: 'Edit One' }).click();
    await page.getByLabel('Commands allowed (count/seconds)').fill('0/10');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await eventually(async () => assert.match(await page.locator('.card-edit-form').innerText(), /Not saved: limit "0\/10"/), 5_000, 'bad limit explained');
    await page.getByLabel('Commands allowed (count/seconds)').fill('2/30');
    await page.getByLabel('Label', { exact: true }).fill('First');
    await page.getByLabel('Room (optional)').first().fill('Hall');
    await page.getByLabel('Ask for a second tap before switching.', { exact: true }).check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await eventually(async () => {
      assert.deepEqual(await page.getByRole('list', { name: 'Hall' }).locator('.card-label').allTextContents(), ['First']);
    }, 5_000, 'edited device under its room');
    assert.match(await stored(page), /tasmota:set_one:First:limit=2\/30:confirm=1:room=Hall/);
    await page.getByRole('button', { name: 'Remove Two' }).click();
    await page.reload();
    await eventually(async () => assert.deepEqual(await labels(page), ['First']), 10_000, 'kept after a reload');
    await page.close();
  });

  test('export then import in a fresh profile gives the same setup; a bad file changes nothing', async () => {
    const source = await fresh();
    await source.goto(stack.server.url);
    await source.getByLabel('Broker WebSocket address').fill(`ws://127.0.0.1:${stack.broker.wsPort}`);
    await source.getByLabel('User (optional)').fill('bob');
    await source.getByLabel('Password (optional)').fill('pw-export');
    await source.getByRole('button', { name: 'Connect' }).click();
    await addTasmota(source, PLUGS[1], 'Exported two');
    await source.getByText('Settings: export, import, share').click();
    const [download] = await Promise.all([
      source.waitForEvent('download'),
      source.getByRole('button', { name: 'Download settings file' }).click(),
    ]);
    const file = join(tmpdir(), `switchboard-export-${process.pid}.json`);
    await download.saveAs(file);
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /pw-export|"user"/, 'credentials exported without the box ticked');
    assert.match(text, /"switchboard": 2/);

    const target = await fresh();
    await target.goto(stack.server.url);
    await target.getByLabel('Broker WebSocket address').fill(`ws://127.0.0.1:${stack.broker.wsPort}`);
    await target.getByRole('button', { name: 'Connect' }).click();
    await addTasmota(target, PLUGS[0], 'Target one');
    await target.getByText('Settings: export, import, share').click();
    const bad = join(tmpdir(), `switchboard-bad-${process.pid}.json`);
    writeFileSync(bad, JSON.stringify({ switchboard: 1, devices: ['tasmota:ok', 'zigbee:nope'] }));
    await target.getByLabel('Settings file (.json)').setInputFiles(bad);
    await eventually(async () => {
      const text = await target.locator('.form-error[role=alert]').innerText();
      assert.match(text, /not imported; nothing changed/);
      assert.match(text, /Device 2: .*"zigbee" is not known/);
    }, 5_000, 'bad file explained');
    assert.deepEqual(await labels(target), ['Target one'], 'a bad file changed the setup');
    await target.getByLabel('Settings file (.json)').setInputFiles(file);
    await eventually(async () => assert.match(await target.locator('.import-confirm').innerText(), /Replace all your profiles \(Home; this profile: .*1 device\) with the file's \(Home: .*1 device\)/), 5_000, 'asked first');
    assert.deepEqual(await labels(target), ['Target one'], 'replaced before confirmation');
    await target.getByRole('button', { name: 'Replace' }).click();
    await eventually(async () => {
      assert.deepEqual(await labels(target), ['Exported two']);
      assert.equal((await switchState(target, 'Exported two')).checked, 'true');
    }, 10_000, 'imported setup running');
    await target.reload();
    await eventually(async () => assert.deepEqual(await labels(target), ['Exported two']), 10_000, 'import kept');
    await source.close();
    await target.close();
  });

  test('a share link opens the same dashboard in a fresh profile, credentials only when ticked', async () => {
    const page = await fresh();
    await page.goto(stack.server.url);
    await page.getByLabel('Broker WebSocket address').fill(`ws://127.0.0.1:${stack.broker.wsPort}`);
    await page.getByLabel('User (optional)').fill('carol');
    await page.getByLabel('Password (optional)').fill('pw-share');
    await page.getByRole('button', { name: 'Connect' }).click();
    await addTasmota(page, PLUGS[0], 'Shared one');
    await page.getByText('Settings: export, import, share').click();
    const linkField = page.getByLabel('Link to this dashboard', { exact: true });
    const plain = await linkField.inputValue();
    assert.doesNotMatch(plain, /pw-share|carol/);
    await page.getByRole('button', { name: 'Show QR code' }).click();
    assert.equal(await readQr(page), plain, 'the QR code carries the link');
    await page.getByLabel('Include the user name and password in the link').check();
    assert.match(await linkField.inputValue(), /user=carol&pass=pw-share/);
    assert.equal(await readQr(page), await linkField.inputValue(), 'the QR code follows the box');

    const other = await fresh();
    await other.goto(plain);
    await eventually(async () => {
      assert.deepEqual(await labels(other), ['Shared one']);
      assert.equal((await switchState(other, 'Shared one')).checked, 'true');
    }, 10_000, 'shared dashboard running');
    assert.match(await other.locator('.setup-banner').innerText(), /comes from a link and is not saved/);
    assert.equal(await stored(other), '', 'a link was saved without being kept');
    await other.getByRole('button', { name: 'Keep it as my setup' }).click();
    await eventually(async () => assert.match(await stored(other), /Shared one/), 5_000, 'kept');
    // The same link opened again: recognised as kept, no "not saved" banner, nothing added.
    const kept = await stored(other);
    await other.reload();
    await eventually(async () => assert.equal((await switchState(other, 'Shared one')).checked, 'true'), 10_000, 'kept dashboard running');
    assert.equal(await other.locator('.setup-banner').count(), 0, 'a kept dashboard is said to be unsaved');
    assert.equal(await stored(other), kept, 'reopening a kept link changed the saved profiles');
    await page.close();
    await other.close();
  });

  test('rooms group the cards, each with an "all off" that takes a second tap', async () => {
    const page = await fresh();
    await page.goto(stack.server.url + '#' + [
      `broker=${encodeURIComponent(`ws://127.0.0.1:${stack.broker.wsPort}`)}`,
      `device=${encodeURIComponent(`tasmota:${PLUGS[0]}:One:room=Kitchen`)}`,
      `device=${encodeURIComponent(`tasmota:${PLUGS[1]}:Two:room=Kitchen`)}`,
      `device=${encodeURIComponent('tasmota:set_nowhere:Elsewhere')}`,
    ].join('&'));
    const kitchen = page.getByRole('list', { name: 'Kitchen' });
    await eventually(async () => {
      assert.deepEqual(await kitchen.locator('.card-label').allTextContents(), ['One', 'Two']);
      assert.deepEqual(await page.getByRole('list', { name: 'Other devices' }).locator('.card-label').allTextContents(), ['Elsewhere']);
      assert.equal((await switchState(page, 'One')).checked, 'true');
      assert.equal((await switchState(page, 'Two')).checked, 'true');
    }, 10_000, 'rooms shown with their devices on');
    const allOff = page.locator('.room', { has: page.getByRole('heading', { name: 'Kitchen' }) }).getByRole('button', { name: 'All off' });
    await allOff.click();
    await new Promise((done) => setTimeout(done, 300));
    assert.equal((await switchState(page, 'One')).checked, 'true', 'one tap switched the room off');
    await page.getByRole('button', { name: 'Tap again: all off in Kitchen' }).click();
    await eventually(async () => {
      assert.equal((await switchState(page, 'One')).checked, 'false');
      assert.equal((await switchState(page, 'Two')).checked, 'false');
      assert.match(await page.locator('.room').first().innerText(), /Sent "off" to 2 switches/);
    }, 10_000, 'the room switched off, confirmed by the devices');
    await page.close();
  });

  test('several broker profiles: each keeps its own devices, across a reload', async () => {
    const page = await fresh();
    await page.goto(stack.server.url);
    await page.getByLabel('Broker WebSocket address').fill(`ws://127.0.0.1:${stack.broker.wsPort}`);
    await page.getByRole('button', { name: 'Connect' }).click();
    await addTasmota(page, PLUGS[0], 'Home plug');
    await page.getByRole('button', { name: 'New profile' }).click();
    await eventually(async () => assert.deepEqual(await labels(page), []), 5_000, 'a new profile starts empty');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Profile name').fill('Cabin');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByLabel('Broker WebSocket address').fill(`ws://127.0.0.1:${stack.broker.wsPort}`);
    await page.getByRole('button', { name: 'Connect' }).click();
    await addTasmota(page, PLUGS[1], 'Cabin plug');
    await eventually(async () => assert.equal((await switchState(page, 'Cabin plug')).disabled, false), 10_000, 'cabin device running');
    await page.locator('select[name=profile]').selectOption({ label: 'Home' });
    await eventually(async () => {
      assert.deepEqual(await labels(page), ['Home plug']);
      assert.equal((await switchState(page, 'Home plug')).disabled, false);
    }, 10_000, 'back to Home');
    await page.reload();
    await eventually(async () => assert.deepEqual(await labels(page), ['Home plug']), 10_000, 'Home still chosen after a reload');
    await page.getByText('Broker connection', { exact: true }).click();
    await page.locator('select[name=profile]').selectOption({ label: 'Cabin' });
    await eventually(async () => assert.deepEqual(await labels(page), ['Cabin plug']), 10_000, 'Cabin kept its device');
    await page.getByRole('button', { name: 'Delete' }).click();
    assert.deepEqual(await labels(page), ['Cabin plug'], 'deleted on one tap');
    await page.getByRole('button', { name: 'Tap again: delete Cabin' }).click();
    await eventually(async () => {
      assert.deepEqual(await labels(page), ['Home plug']);
      assert.doesNotMatch(await stored(page), /Cabin/);
    }, 10_000, 'Cabin deleted');
    await page.close();
  });
});
