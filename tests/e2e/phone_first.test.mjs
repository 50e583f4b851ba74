// Phone first: on a 390x844 phone a kept dashboard of 12 devices (14 switches) shows at least
// 8 switches wholly on its first screen, one row per switch, the rest of each device behind
// its details; embedded at 390x300, at least 3; at 200 % text nothing is wider than the screen
// and nothing focused hides under the top bar; axe-core finds no serious or critical violation
// with every panel open, light and dark; a kept dashboard reloaded says nothing about "not
// saved". With E2E_SHOTS=<dir>, the screens are saved there to be looked at.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Mosquitto, ROOT, dashboardFragment, eventually, startStack, switchState } from './harness.mjs';

const PLUGS = [
  'tasmota:pf_kettle=on', 'tasmota:pf_toaster', 'tasmota:pf_coffee', 'tasmota:pf_fridge=on',
  'tasmota:pf_desk', 'tasmota:pf_monitor', 'tasmota:pf_reading', 'tasmota:pf_tv=on',
  'tasmota:pf_heater', 'tasmota:pf_strip:3', 'shelly:shellyplugsg3-pf', 'generic:pf/fan',
];
const DEVICES = [
  'tasmota:pf_kettle:Kettle:room=Kitchen', 'tasmota:pf_toaster:Toaster:room=Kitchen',
  'tasmota:pf_coffee:Coffee machine:room=Kitchen', 'tasmota:pf_fridge:Fridge:room=Kitchen',
  'tasmota:pf_desk:Desk lamp:room=Office', 'tasmota:pf_monitor:Monitor:room=Office',
  'tasmota:pf_strip:Power strip:room=Office', 'tasmota:pf_reading:Reading lamp:room=Living room',
  'tasmota:pf_tv:TV:room=Living room', 'tasmota:pf_heater:Heater:room=Living room',
  'shelly:shellyplugsg3-pf:Aquarium:room=Living room', 'generic:pf/fan/set:pf/fan:Fan:avty=pf/fan/status:room=Living room',
];
const SWITCHES = 14;
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const SHOTS = process.env.E2E_SHOTS;
if (SHOTS) mkdirSync(SHOTS, { recursive: true });

/** The switches wholly on screen and below the top bar, as a user sees them without scrolling. */
async function switchesOnFirstScreen(page) {
  return page.evaluate(() => {
    const bar = document.querySelector('.topbar')?.getBoundingClientRect().bottom ?? 0;
    return [...document.querySelectorAll('[role=switch]')].filter((s) => {
      const box = s.getBoundingClientRect();
      return box.width > 0 && box.top >= bar && box.bottom <= innerHeight;
    }).length;
  });
}

async function allKnown(page) {
  await eventually(async () => {
    const states = await page.evaluate(() => [...document.querySelectorAll('[role=switch]')].map((s) => s.disabled));
    assert.equal(states.length, SWITCHES);
    assert.deepEqual(states.filter(Boolean), [], 'some switches are still unknown');
  }, 20_000, 'every switch known');
}

describe('phone first', () => {
  let stack, link;
  const pageErrors = [];

  before(async () => {
    stack = await startStack(new Mosquitto(), PLUGS, { discovery: true });
    link = `${stack.server.url}${dashboardFragment(stack.broker.wsPort, DEVICES)}`;
  });

  after(async () => {
    assert.deepEqual(pageErrors, [], 'the page threw');
    await stack?.stop();
  });

  async function phone(options = {}) {
    const context = await stack.browser.newContext({ viewport: { width: 390, height: 844 }, ...options });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    return { context, page };
  }

  test('a kept dashboard: no "not saved" banner on reload, 8+ switches on the first screen, details on demand, the layout kept per profile', async (t) => {
    const { context, page } = await phone();
    await page.goto(link);
    await allKnown(page);
    await page.getByRole('button', { name: 'Keep it as my setup' }).click();
    await page.reload();
    await allKnown(page);
    assert.doesNotMatch(await page.locator('main').innerText(), /not saved/, 'a kept dashboard said it was not saved');
    assert.equal(await page.getByRole('button', { name: 'Keep it as my setup' }).count(), 0);

    const onScreen = await switchesOnFirstScreen(page);
    assert.ok(onScreen >= 8, `only ${onScreen} switches wholly on the first screen`);
    t.diagnostic(`${onScreen} of ${SWITCHES} switches wholly on the first screen (390x844)`);
    const barHeight = await page.evaluate(() => document.querySelector('.topbar').getBoundingClientRect().height);
    assert.ok(barHeight <= 56, `the top bar is ${barHeight} px tall: more than one line`);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'phone-light.png') });

    // A row says the state in words and the main reading; everything else waits behind it.
    const row = page.locator('li.card', { has: page.getByRole('switch', { name: 'Kettle', exact: true }) });
    assert.match(await row.innerText(), /On · \d+(\.\d)? W/);
    assert.doesNotMatch(await row.innerText(), /Schedules|Heard from|Voltage/i);
    await page.getByRole('button', { name: 'Details: Kettle' }).click();
    assert.equal(await page.getByRole('button', { name: 'Details: Kettle' }).getAttribute('aria-expanded'), 'true');
    await eventually(async () => assert.match(await row.innerText(), /Voltage[\s\S]*Heard from[\s\S]*Schedules/i), 5_000, 'details shown');
    await page.getByRole('button', { name: 'Details: Kettle' }).click();
    assert.doesNotMatch(await row.innerText(), /Schedules/);

    // The switch in a row is the real one: it switches and is confirmed.
    await page.getByRole('switch', { name: 'Toaster', exact: true }).click();
    await eventually(async () => assert.equal((await switchState(page, 'Toaster')).checked, 'true'), 5_000, 'toaster on');

    // Cards for this profile, kept across a reload; then rows again.
    await page.getByRole('button', { name: 'Cards', exact: true }).click();
    await eventually(async () => assert.match(await row.innerText(), /Schedules/), 5_000, 'cards show everything');
    await page.reload();
    await allKnown(page);
    assert.equal(await page.getByRole('button', { name: 'Cards', exact: true }).getAttribute('aria-pressed'), 'true');
    assert.equal(await page.getByRole('button', { name: 'Details: Kettle' }).count(), 0, 'cards have no details button');
    await page.getByRole('button', { name: 'Rows', exact: true }).click();
    await page.reload();
    await allKnown(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    assert.ok(await switchesOnFirstScreen(page) >= 8, 'rows again after a reload');
    await context.close();
  });

  test('a link can ask for cards (view=cards), and a phone without a choice gets rows', async () => {
    const { context, page } = await phone();
    await page.goto(`${link}&view=cards`);
    await allKnown(page);
    assert.equal(await page.getByRole('button', { name: 'Details: Kettle' }).count(), 0);
    assert.ok(await switchesOnFirstScreen(page) < 8, 'cards are roomier than rows');
    await context.close();
  });

  test('embedded at 390x300: the switches and nothing else, at least 3 of them wholly visible', async (t) => {
    const { context, page } = await phone({ viewport: { width: 390, height: 300 } });
    await page.goto(`${stack.server.url}${dashboardFragment(stack.broker.wsPort, DEVICES, { embed: '1' })}`);
    await allKnown(page);
    const visible = await switchesOnFirstScreen(page);
    assert.ok(visible >= 3, `only ${visible} switches visible in the iframe-sized page`);
    t.diagnostic(`${visible} switches wholly visible embedded at 390x300`);
    for (const name of ['Edit devices', 'Rows', 'Cards', 'Keep it as my setup']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).filter({ visible: true }).count(), 0, `${name} shown embedded`);
    }
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'embedded.png') });
    await context.close();
  });

  test('a closed row offers "send toggle" once a device leaves its state questions unanswered, not before', async () => {
    const { context, page } = await phone();
    await page.goto(`${stack.server.url}${dashboardFragment(stack.broker.wsPort, ['tasmota:pf_nobody:Nobody', 'tasmota:pf_kettle:Kettle'])}`);
    await eventually(async () => assert.equal((await switchState(page, 'Kettle')).disabled, false), 15_000, 'kettle known');
    const blind = page.getByRole('button', { name: 'Send toggle to Nobody' });
    assert.equal(await blind.count(), 0, 'offered while the first question may still be answered');
    assert.equal(await page.getByRole('button', { name: 'Send toggle to Kettle' }).count(), 0, 'offered next to a working switch');
    await eventually(async () => assert.equal(await blind.count(), 1), 10_000, 'blind toggle offered');
    assert.equal((await switchState(page, 'Nobody')).disabled, true);
    await context.close();
  });

  test('at 200 % text: nothing wider than the screen, nothing focused under the top bar', async () => {
    const { context, page } = await phone();
    await page.goto(link);
    await allKnown(page);
    await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
    await openEverything(page);
    const widths = await page.evaluate(() => ({ page: document.scrollingElement.scrollWidth, screen: innerWidth }));
    assert.ok(widths.page <= widths.screen, `the page is ${widths.page} px wide on a ${widths.screen} px screen`);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'phone-200.png') });
    // Tab through the page: every focused element is visible below the sticky bar.
    await page.evaluate(() => window.scrollTo(0, 0));
    const covered = [];
    for (let i = 0; i < 80; i += 1) {
      await page.keyboard.press('Tab');
      const seen = await page.evaluate(() => {
        const focused = document.activeElement;
        if (!focused || focused === document.body || focused.closest('.topbar')) return null;
        const bar = document.querySelector('.topbar').getBoundingClientRect();
        const box = focused.getBoundingClientRect();
        const sticky = getComputedStyle(document.querySelector('.topbar')).position === 'sticky';
        return { name: focused.getAttribute('aria-label') ?? focused.textContent.trim().slice(0, 40), top: box.top, barBottom: sticky ? bar.bottom : 0 };
      });
      if (seen && seen.top < seen.barBottom - 1) covered.push(seen);
    }
    assert.deepEqual(covered, [], 'focused elements hidden under the top bar');
    await context.close();
  });

  for (const colorScheme of ['light', 'dark']) {
    test(`axe-core, every panel open, ${colorScheme}: no serious or critical violation`, async () => {
      const { context, page } = await phone({ colorScheme, bypassCSP: true });
      await page.goto(link);
      await allKnown(page);
      await openEverything(page);
      await page.addScriptTag({ path: AXE });
      for (const width of [390, 1280]) {
        await page.setViewportSize({ width, height: 844 });
        const violations = await page.evaluate(async () => {
          const result = await window.axe.run(document, { resultTypes: ['violations'] });
          return result.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
        });
        assert.deepEqual(violations, [], `${colorScheme} at ${width} px`);
      }
      if (SHOTS) {
        await page.setViewportSize({ width: 390, height: 844 });
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: join(SHOTS, `phone-${colorScheme}-open.png`) });
        await page.setViewportSize({ width: 1280, height: 800 });
        await page.screenshot({ path: join(SHOTS, `desktop-${colorScheme}.png`) });
      }
      await context.close();
    });
  }
});

/** Every panel open, the first device's details and its schedules, the message log on. */
async function openEverything(page) {
  const closed = page.locator('details.panel:not([open]) > summary');
  while (await closed.count()) await closed.first().click();
  const details = page.getByRole('button', { name: 'Details: Kettle' });
  if (await details.count() && (await details.getAttribute('aria-expanded')) !== 'true') await details.click();
  const schedules = page.locator('li.card', { has: page.getByRole('switch', { name: 'Kettle', exact: true }) }).getByRole('button', { name: 'Schedules' });
  if ((await schedules.getAttribute('aria-expanded')) !== 'true') await schedules.click();
  await page.locator('.schedules').first().waitFor();
}
