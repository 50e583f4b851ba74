// Schedules that live on the device, end to end: the built page in headless Chromium against
// Mosquitto, with the dev kit's simulated Tasmota (16 timers, `Timer<n>`/`Timers`, `Status 7`)
// and Shelly Gen3 (`Schedule.*` RPC, `Sys.GetStatus`). For each: create, edit, disable and
// delete a schedule from the card, see the exact payload reach the device, and see the change
// shown only once the device reported it back; then shift the device's clock so the schedule is
// due and watch the device switch itself. Also: Tasmota's timers switched off as a whole, a
// clock that jumps (warned about with the panel left open, its line ticking), an invalid cron
// timespec refused in the form with nothing sent, Shelly's 20-job limit, a Shelly job made
// by another app appearing by itself, and a JSON board
// that says plainly it keeps none.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Mosquitto, dashboardFragment, eventually, publishMany, publishRaw, startStack, switchState, visibleText } from './harness.mjs';

const TASMOTA = 'sched_plug';
const SHELLY = 'shellyplugsg3-sched';
const BOARD = 'sched/board';

const PAGE_DEVICES = [
  `tasmota:${TASMOTA}:Heater plug`,
  `shelly:${SHELLY}:Boiler`,
  `jsonrelay:${BOARD}:GP16:relay:Porch light`,
];

const card = (page, label) => page.locator('li.card', { has: page.locator('.card-label', { hasText: label }) });

/** "HH:MM", `minutes` from now, in this machine's zone (the simulators' too). */
function localTimeIn(minutes) {
  const at = new Date(Date.now() + minutes * 60_000);
  return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
}

/** Seconds from now until 5 s into the local minute `hhmm` (today or tomorrow). */
function secondsUntil(hhmm) {
  const [h, m] = hhmm.split(':').map(Number);
  const now = new Date();
  const target = new Date(now);
  target.setHours(h, m, 5, 0);
  if (target < now) target.setDate(target.getDate() + 1);
  return Math.round((target - now) / 1000);
}

describe('schedules kept by the device, against Mosquitto and the simulators', () => {
  let stack, page;
  const pageErrors = [];

  before(async () => {
    stack = await startStack(new Mosquitto(), [`tasmota:${TASMOTA}`, `shelly:${SHELLY}`, `jsonboard:${BOARD}`]);
    page = await stack.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(stack.server.url + dashboardFragment(stack.broker.wsPort, PAGE_DEVICES));
    for (const name of ['Heater plug', 'Boiler', 'Porch light']) {
      await eventually(async () => assert.equal((await switchState(page, name)).disabled, false), 15_000, `${name} known`);
    }
  });

  after(async () => {
    assert.deepEqual(pageErrors, [], 'the page threw');
    await stack?.stop();
  });

  async function openSchedules(label) {
    const c = card(page, label);
    await c.getByRole('button', { name: 'Schedules', exact: true }).click();
    return c;
  }

  async function save(c) {
    await c.getByRole('button', { name: 'Save on the device' }).click();
  }

  test('Tasmota: a timer is created, edited, disabled and deleted, each shown once the device reports it', async () => {
    const c = await openSchedules('Heater plug');
    await stack.plugs.waitForLine(new RegExp(`plug ${TASMOTA} received cmnd/${TASMOTA}/Timers ""`));
    await stack.plugs.waitForLine(new RegExp(`plug ${TASMOTA} received cmnd/${TASMOTA}/STATUS "7"`));
    await eventually(async () => {
      const text = await visibleText(c);
      assert.match(text, /No schedules on the device yet\./);
      assert.match(text, /Device time: \d\d:\d\d:\d\d \(UTC[+-]\d\d:\d\d\); this browser: \d\d:\d\d:\d\d\./);
      assert.match(text, /Sunrise \d\d:\d\d, sunset \d\d:\d\d at the device's location\./);
      assert.doesNotMatch(text, /clock is|runs on UTC/, 'the simulated clock is right');
    }, 10_000, 'the empty list and the clock');

    // Create: on six hours from now (never due during the test) on workdays (the form's default
    // days), with the device slow to answer: until it reports the timer back, the page says it
    // is waiting and lists nothing.
    const far = localTimeIn(360);
    stack.plugs.send(`latency ${TASMOTA} 1500`);
    await c.getByRole('button', { name: 'Add a schedule' }).click();
    await c.getByLabel("Time (device's local time)").fill(far);
    await save(c);
    await eventually(async () => {
      const text = await visibleText(c);
      assert.match(text, /Sent; waiting for the device to report it back…/);
      assert.doesNotMatch(text, new RegExp(`On at ${far}`));
    }, 1_000, 'waiting, not saved');
    stack.plugs.send(`latency ${TASMOTA} 0`);
    const created = await stack.plugs.waitForLine(new RegExp(`plug ${TASMOTA} received cmnd/${TASMOTA}/Timer1 `));
    assert.ok(created.includes(`\\"Time\\":\\"${far}\\"`), created);
    assert.match(created, /\\"Days\\":\\"0111110\\"/);
    assert.match(created, /\\"Action\\":1/);
    assert.match(created, /\\"Enable\\":1/);
    await eventually(async () => {
      const text = await visibleText(c);
      assert.match(text, new RegExp(`On at ${far}, Mon–Fri`));
      assert.match(text, /Saved on the device\./);
      assert.match(text, /1 of 16 in use on the device/);
    }, 10_000, 'created and confirmed');

    // Edit: half an hour before sunset, every day.
    await c.getByRole('button', { name: 'Edit', exact: true }).click();
    await c.getByLabel('When').selectOption('sunset');
    await c.getByLabel('Offset (hours:minutes)').fill('0:30');
    await c.getByLabel('Before or after').selectOption('before');
    await c.getByRole('button', { name: 'Every day' }).click();
    await save(c);
    const edited = await stack.plugs.waitForLine(new RegExp(`cmnd/${TASMOTA}/Timer1 .*Mode\\\\":2`));
    assert.match(edited, /\\"Time\\":\\"-00:30\\"/);
    assert.match(edited, /\\"Days\\":\\"1111111\\"/);
    await eventually(async () => {
      const text = await visibleText(c);
      assert.match(text, /On 0:30 before sunset, every day/);
      assert.match(text, /Changed on the device\./);
    }, 10_000, 'edited');

    // Disable, then delete with a second tap.
    await c.getByRole('button', { name: 'Disable', exact: true }).click();
    await stack.plugs.waitForLine(new RegExp(`cmnd/${TASMOTA}/Timer1 "\\{\\\\"Enable\\\\":0\\}"`));
    await eventually(async () => {
      assert.match(await visibleText(c), /Disabled on the device\./);
      assert.equal(await c.locator('li.schedule.is-disabled').count(), 1);
    }, 10_000, 'disabled');
    await c.getByRole('button', { name: 'Delete', exact: true }).click();
    await c.getByRole('button', { name: 'Confirm: delete' }).click();
    await stack.plugs.waitForLine(new RegExp(`cmnd/${TASMOTA}/Timer1 "0"`));
    await eventually(async () => {
      const text = await visibleText(c);
      assert.match(text, /No schedules on the device yet\./);
      assert.match(text, /Deleted from the device\./);
    }, 10_000, 'deleted');
  });

  test('Tasmota: timers switched off as a whole are warned about and switched on', async () => {
    const c = card(page, 'Heater plug');
    await publishRaw(stack.broker.tcpPort, `cmnd/${TASMOTA}/Timers`, '0');
    await stack.plugs.waitForLine(new RegExp(`cmnd/${TASMOTA}/Timers "0"`));
    await c.getByRole('button', { name: 'Ask the device again' }).click();
    await eventually(async () => assert.match(await visibleText(c), /Timers are switched off on this device as a whole/), 10_000, 'warned');
    await c.getByRole('button', { name: 'Switch timers on' }).click();
    await stack.plugs.waitForLine(new RegExp(`cmnd/${TASMOTA}/Timers "1"`));
    await eventually(async () => {
      const text = await visibleText(c);
      assert.doesNotMatch(text, /switched off on this device/);
      assert.match(text, /Timers switched on\./);
    }, 10_000, 'armed');
  });

  /**
   * Adds "toggle at <three minutes from now>, every day" on the card `label`, moves the device
   * `sim`'s clock to 5 s into that minute, and sees the device switch itself (then puts the
   * clock back).
   */
  async function seeItFire(label, sim) {
    const c = card(page, label);
    const before = (await switchState(page, label)).checked;
    const at = localTimeIn(3);
    await c.getByRole('button', { name: 'Add a schedule' }).click();
    await c.getByLabel('Action').selectOption('toggle');
    await c.getByLabel("Time (device's local time)").fill(at);
    await c.getByRole('button', { name: 'Every day' }).click();
    await save(c);
    await eventually(async () => assert.match(await visibleText(c), new RegExp(`Toggle at ${at}, every day`)), 10_000, 'saved');
    const shift = secondsUntil(at);
    stack.plugs.send(`clock ${sim} ${shift}`);
    await stack.plugs.waitForLine(new RegExp(`plug ${sim} schedule fired`), 10_000);
    const toggled = before === 'true' ? 'false' : 'true';
    await eventually(async () => assert.equal((await switchState(page, label)).checked, toggled), 10_000, 'switched by its own schedule');
    stack.plugs.send(`clock ${sim} ${-shift}`);
  }

  test('Tasmota: the device fires its timer by itself when its clock reaches it', () => seeItFire('Heater plug', TASMOTA));

  test('Tasmota: the clock line keeps time with the panel open, and a clock that jumps is warned about by itself', async (t) => {
    const c = card(page, 'Heater plug');
    const times = async () => {
      const line = (await visibleText(c)).match(/Device time: (\d\d:\d\d:\d\d) \(UTC[+-]\d\d:\d\d\); this browser: (\d\d:\d\d:\d\d)\./);
      assert.ok(line, 'no clock line');
      return [line[1], line[2]];
    };
    const first = await times();
    await new Promise((done) => setTimeout(done, 2_500));
    const second = await times();
    t.diagnostic(`clock line ${first.join(' / ')} then ${second.join(' / ')} 2.5 s later`);
    assert.notEqual(second[0], first[0], 'the device time stood still');
    assert.notEqual(second[1], first[1], 'the browser time stood still');
    // The device's clock jumps a quarter of an hour: the panel, left open, asks the clock
    // again within a minute and warns, with nothing pressed.
    const asked = stack.plugs.count(new RegExp(`plug ${TASMOTA} received cmnd/${TASMOTA}/STATUS "7"`));
    stack.plugs.send(`clock ${TASMOTA} 900`);
    await stack.plugs.waitForLine(new RegExp(`plug ${TASMOTA} clock shifted by 900 s`));
    const jumpedAt = Date.now();
    await eventually(async () => assert.match(await visibleText(c), /The device's clock is 1[45] min ahead of this browser's: schedules will fire early\./), 70_000, 'skew warned by itself');
    t.diagnostic(`jump warned ${Date.now() - jumpedAt} ms after it happened`);
    assert.ok(stack.plugs.count(new RegExp(`plug ${TASMOTA} received cmnd/${TASMOTA}/STATUS "7"`)) > asked, 'the clock was not asked again');
    stack.plugs.send(`clock ${TASMOTA} -900`);
    await stack.plugs.waitForLine(new RegExp(`plug ${TASMOTA} clock shifted by -900 s`));
    await c.getByRole('button', { name: 'Ask the device again' }).click();
    await eventually(async () => assert.doesNotMatch(await visibleText(c), /clock is \d+ min/), 10_000, 'warning gone');
  });

  test('Shelly: a job is created, edited to a raw timespec, disabled, an invalid timespec refused in the form, and deleted', async () => {
    const c = await openSchedules('Boiler');
    await stack.plugs.waitForLine(new RegExp(`plug ${SHELLY} received ${SHELLY}/rpc ".*Schedule\\.List`));
    await eventually(async () => {
      const text = await visibleText(c);
      assert.match(text, /No schedules on the device yet\./);
      assert.match(text, /Device time: \d\d:\d\d(:\d\d)? \(UTC[+-]\d\d:\d\d\)/);
    }, 10_000, 'the empty list and the clock');

    const far = localTimeIn(360);
    await c.getByRole('button', { name: 'Add a schedule' }).click();
    await c.getByLabel("Time (device's local time)").fill(far);
    await c.getByRole('button', { name: 'Weekend' }).click();
    await save(c);
    const created = await stack.plugs.waitForLine(new RegExp(`${SHELLY}/rpc ".*Schedule\\.Create`));
    const [h, m] = far.split(':').map(Number);
    assert.ok(created.includes(`\\"timespec\\":\\"0 ${m} ${h} * * SUN,SAT\\"`), created);
    assert.match(created, /\\"calls\\":\[\{\\"method\\":\\"Switch\.Set\\",\\"params\\":\{\\"id\\":0,\\"on\\":true\}\}\]/);
    await eventually(async () => {
      const text = await visibleText(c);
      assert.match(text, new RegExp(`On at ${far}, Sat, Sun`));
      assert.match(text, /Saved on the device\./);
      assert.match(text, /1 of 20 in use on the device/);
    }, 10_000, 'created and confirmed by Schedule.List');

    await c.getByRole('button', { name: 'Edit', exact: true }).click();
    await c.getByLabel('Action').selectOption('toggle');
    await c.getByLabel('When').selectOption('cron');
    // 03:00 on the first of the month: a timespec the form cannot express, that will not fire
    // during the test.
    await c.getByLabel('Timespec (seconds minutes hours day month weekday)').fill('0 0 3 1 * *');
    await save(c);
    await stack.plugs.waitForLine(new RegExp(`${SHELLY}/rpc ".*Schedule\\.Update.*0 0 3 1 \\* \\*`));
    await eventually(async () => {
      const text = await visibleText(c);
      assert.match(text, /Toggle on "0 0 3 1 \* \*"/);
      assert.match(text, /Changed on the device\./);
    }, 10_000, 'edited');

    await c.getByRole('button', { name: 'Disable', exact: true }).click();
    await stack.plugs.waitForLine(new RegExp(`${SHELLY}/rpc ".*Schedule\\.Update.*\\\\"enable\\\\":false`));
    await eventually(async () => assert.match(await visibleText(c), /Disabled on the device\./), 10_000, 'disabled');

    // Minute 61: the device would refuse it ("value 61 out of range 0-59"); the form says so
    // next to the field as it is typed, and saving sends nothing.
    await c.getByRole('button', { name: 'Edit', exact: true }).click();
    const updates = stack.plugs.count(new RegExp(`${SHELLY}/rpc ".*Schedule\\.Update`));
    await c.getByLabel('Timespec (seconds minutes hours day month weekday)').fill('0 61 9 * * *');
    await eventually(async () => assert.match(await visibleText(c), /minutes: 61 is out of range 0-59\./), 5_000, 'the field says what is wrong');
    await save(c);
    await eventually(async () => assert.match(await visibleText(c), /Not saved: minutes: 61 is out of range 0-59\./), 5_000, 'not saved');
    await new Promise((done) => setTimeout(done, 500));
    assert.equal(stack.plugs.count(new RegExp(`${SHELLY}/rpc ".*Schedule\\.Update`)), updates, 'an invalid timespec reached the device');
    await c.getByRole('button', { name: 'Cancel' }).click();
    assert.match(await visibleText(c), /Toggle on "0 0 3 1 \* \*"/, 'the list still shows what the device holds');

    await c.getByRole('button', { name: 'Delete', exact: true }).click();
    await c.getByRole('button', { name: 'Confirm: delete' }).click();
    await stack.plugs.waitForLine(new RegExp(`${SHELLY}/rpc ".*Schedule\\.Delete`));
    await eventually(async () => assert.match(await visibleText(c), /Deleted from the device\./), 10_000, 'deleted');
  });

  test('Shelly: a job created by another app appears without asking', async () => {
    const c = card(page, 'Boiler');
    const lists = stack.plugs.count(/Schedule\.List/);
    await publishRaw(stack.broker.tcpPort, `${SHELLY}/rpc`, JSON.stringify({
      id: 77, src: 'another-app', method: 'Schedule.Create',
      params: { enable: true, timespec: '0 5 5 * * *', calls: [{ method: 'Switch.Set', params: { id: 0, on: false } }] },
    }));
    await eventually(async () => assert.match(await visibleText(c), /Off at 05:05, every day/), 10_000, 'listed from the device\'s notification');
    assert.ok(stack.plugs.count(/Schedule\.List/) > lists, 'the page read the list again by itself');
  });

  test('Shelly: the device runs its job when its clock reaches it', () => seeItFire('Boiler', SHELLY));

  test('Shelly: the 20-job limit is explained before anything is sent', async () => {
    const c = card(page, 'Boiler');
    const jobs = Array.from({ length: 19 }, (_, i) => ({
      topic: `${SHELLY}/rpc`,
      payload: JSON.stringify({ id: 900 + i, src: 'e2e-filler', method: 'Schedule.Create', params: { enable: false, timespec: `0 ${i} 3 * * *`, calls: [{ method: 'Switch.Set', params: { id: 0, on: false } }] } }),
    }));
    await publishMany(stack.broker.tcpPort, jobs);
    await eventually(() => assert.ok(stack.plugs.count(/e2e-filler/) >= 19), 10_000, 'fillers received');
    await c.getByRole('button', { name: 'Ask the device again' }).click();
    await eventually(async () => assert.match(await visibleText(c), /20 of 20 in use on the device/), 10_000, 'full');
    const creates = stack.plugs.count(/Schedule\.Create/);
    await c.getByRole('button', { name: 'Add a schedule' }).click();
    await save(c);
    await eventually(async () => assert.match(await visibleText(c), /This device already holds 20 schedules, the most a Shelly keeps\. Delete one to make room\./), 5_000, 'explained');
    assert.equal(stack.plugs.count(/Schedule\.Create/), creates, 'nothing was sent');
  });

  test('a JSON board says plainly that it keeps no schedules, and nothing is sent to it', async () => {
    const before = stack.plugs.count(new RegExp(`plug ${BOARD} received`));
    const c = await openSchedules('Porch light');
    const text = await visibleText(c);
    assert.match(text, /This device keeps no schedules of its own\. Switchboard does not fake one in the page/);
    assert.equal(await c.getByRole('button', { name: 'Add a schedule' }).count(), 0);
    await page.waitForTimeout(500);
    assert.equal(stack.plugs.count(new RegExp(`plug ${BOARD} received`)), before);
  });
});
