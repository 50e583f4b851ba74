// The page in Spanish and German: the built page in headless Chromium against Mosquitto with
// simulated devices. The language follows the browser, `lang=` in the link wins, and the menu
// in the footer switches it (and back to the browser's). With every panel open, a device
// offline, a form error, a link problem, a two-tap step and the schedules with their form on
// screen, no English is left:
// neither a sentence from the catalog nor a common English word.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Mosquitto, ROOT, dashboardFragment, eventually, openAllDetails, publishRaw, startStack, visibleText } from './harness.mjs';

const LAMP = 'lang_lamp';
const GONE = 'lang_gone';
// Labels chosen so that no user-given text is an English word.
const DEVICES = [`tasmota:${LAMP}:Lampara`, `tasmota:${GONE}:Steckdose`, 'shelly:lang-shelly:Heizung'];

// Common English words of the interface; none of them is a Spanish or German word.
const ENGLISH = /\b(the|and|device|devices|settings|connect|connected|connection|remove|edit|save|cancel|waiting|unlock|press|add|found|messages?|profile|language|share|import|retry|sent|send|toggle|switch|file|password|user|kind|label|room|commands|allowed|ago|heard|today|voltage|relay|is|with|from|this|your|name|not|no longer|asking|ready|off|on|page)\b/i;

describe('languages', () => {
  let stack;
  const pageErrors = [];

  before(async () => {
    stack = await startStack(new Mosquitto(), [`${LAMP}=on`, 'shelly:lang-shelly']);
    // A plug whose last will says it is gone: its card shows it offline.
    await publishRaw(stack.broker.tcpPort, `tele/${GONE}/LWT`, 'Offline', { retain: true });
  });

  after(async () => {
    assert.deepEqual(pageErrors, [], 'the page threw');
    await stack?.stop();
  });

  async function open(locale, extra = {}) {
    const context = await stack.browser.newContext({ viewport: { width: 390, height: 844 }, locale });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    // `zzz=1` is an unknown parameter: the link problem box shows a core sentence.
    await page.goto(stack.server.url + dashboardFragment(stack.broker.wsPort, DEVICES, { zzz: '1', ...extra }));
    return { context, page };
  }

  /** What a user reads (and a screen reader hears), user-given texts (labels, topics, payloads) left out. */
  const readable = (page) => page.evaluate(() => {
    const body = document.body.cloneNode(true);
    // Cards off screen are not rendered (content-visibility), and so would hide their text.
    for (const card of body.querySelectorAll('li.card')) card.style.contentVisibility = 'visible';
    for (const own of body.querySelectorAll('.card-label, .card-topic, .found-label, .log-topic, .log-payload, input, textarea')) own.remove();
    document.body.append(body);
    body.style.position = 'absolute';
    const parts = [body.innerText];
    body.remove();
    // The publish form's payload example is MQTT syntax, not a sentence.
    for (const element of document.querySelectorAll('[aria-label], [placeholder]:not([name="publish_payload"]), [title]')) {
      for (const name of ['aria-label', 'placeholder', 'title']) {
        const value = element.getAttribute(name);
        if (value) parts.push(value);
      }
    }
    for (const option of document.querySelectorAll('option')) parts.push(option.textContent);
    return parts.join('\n');
  });

  /** Everything the test can bring on screen at once. */
  async function showEverything(page, words) {
    await eventually(async () => {
      assert.equal(await page.locator('li.card').count(), 3);
      assert.equal(await page.getByRole('switch').first().getAttribute('aria-checked'), 'true');
    }, 15_000, 'the dashboard is up');
    await openAllDetails(page);
    for (const summary of await page.locator('details > summary').all()) await summary.click();
    // A form error from the core: a JSON board without a pin.
    await page.locator('select[name="kind"]').selectOption('jsonrelay');
    await page.locator('input[name="topic"]').first().fill('board/x');
    await page.getByRole('button', { name: words.addDevice, exact: true }).click();
    await eventually(async () => assert.ok(await page.locator('.form-error').count() > 0), 5_000, 'the add form explains');
    // The device list in editing mode, with one device's edit form open.
    await page.getByRole('button', { name: words.editDevices }).click();
    await page.locator('li.card .card-edit button').nth(3).click();
    // Every card's schedules (a Tasmota's list and clock, a Shelly's, an offline device's),
    // with the form for a new one open.
    for (const toggle of await page.locator('.schedules-toggle').all()) await toggle.click();
    const add = page.locator('li.card').first().locator('.schedule-actions button.chip');
    await eventually(async () => assert.equal(await add.isDisabled(), false), 10_000, 'the lamp\'s schedules loaded');
    await add.click();
    await page.locator('select[name="schedule_when"]').selectOption('sunset');
    // The two-tap step of the Tasmota group off.
    await page.locator('.group-bar button').first().click();
  }

  function leftovers(text, catalog) {
    // Not words of any language: what the user types in a link or a device spec (URL parameter
    // names, `kind:topic:pin`), quoted user input, and the menu label kept in English on purpose.
    text = text
      .replaceAll('· Language', '')
      .replaceAll('broker, user, pass, keepalive, mqtt, device, embed, bg, parent, lang', '')
      .replace(/"[^"\n]*"/g, '""')
      .replace(/\S*[:=/]\S*/g, '');
    const found = [];
    for (const [english, translated] of Object.entries(catalog)) {
      if (english === translated) continue;
      for (const fragment of english.split('{}').map((f) => f.trim())) {
        if (fragment.length >= 8 && /[a-z]{3}/i.test(fragment) && !translated.includes(fragment) && text.includes(fragment)) {
          found.push(fragment);
        }
      }
    }
    for (const line of text.split('\n')) {
      const word = line.match(ENGLISH);
      if (word) found.push(`"${word[0]}" in: ${line.trim()}`);
    }
    return found;
  }

  const catalog = (code) => JSON.parse(readFileSync(join(ROOT, 'locales', `${code}.json`), 'utf8'));

  for (const [code, locale, words] of [
    ['es', 'es-ES', { addDevice: 'Añadir dispositivo', editDevices: 'Editar dispositivos', offline: 'Dispositivo desconectado' }],
    ['de', 'de-AT', { addDevice: 'Gerät hinzufügen', editDevices: 'Geräte bearbeiten', offline: 'Gerät offline' }],
  ]) {
    test(`a ${locale} browser gets the ${code} page, with no English left on it`, async () => {
      const { context, page } = await open(locale);
      await eventually(async () => assert.equal(await page.evaluate(() => document.documentElement.lang), code), 10_000, 'lang attribute');
      await showEverything(page, words);
      await eventually(async () => assert.match(await visibleText(page.locator('li.card', { hasText: 'Steckdose' })), new RegExp(words.offline)), 10_000, 'the gone plug shown offline');
      const text = await readable(page);
      assert.match(text, new RegExp(words.addDevice));
      assert.deepEqual(leftovers(text, catalog(code)), [], `English left on the ${code} page`);
      await context.close();
    });
  }

  test('lang= in the link wins over the browser, and the menu switches the language and back', async () => {
    const { context, page } = await open('de-DE', { lang: 'es' });
    await eventually(async () => assert.match(await page.locator('footer').innerText(), /Idioma/), 10_000, 'Spanish from the link');
    // The menu saves the choice and takes lang= out of the address, so the choice holds.
    await page.locator('select[name="language"]').selectOption('de');
    await eventually(async () => assert.match(await page.locator('footer').innerText(), /Sprache/), 10_000, 'German chosen');
    assert.doesNotMatch(page.url(), /lang=/);
    assert.equal(await page.evaluate(() => localStorage.getItem('switchboard.language')), 'de');
    await page.reload();
    await eventually(async () => assert.match(await page.locator('footer').innerText(), /Sprache/), 10_000, 'kept after a reload');
    await page.locator('select[name="language"]').selectOption('en');
    await eventually(async () => {
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
      assert.match(await page.locator('body').innerText(), /Add a device/);
      assert.doesNotMatch(await page.locator('footer').innerText(), /Sprache|Idioma/);
    }, 10_000, 'English chosen');
    await page.locator('select[name="language"]').selectOption('auto');
    await eventually(async () => assert.match(await page.locator('footer').innerText(), /Sprache des Browsers/), 10_000, 'back to the browser language');
    assert.equal(await page.evaluate(() => localStorage.getItem('switchboard.language')), null);
    await context.close();
  });
});
