// The real parts the end-to-end tests drive: a broker (Debian's Mosquitto or the dev kit's
// embedded rumqttd), simulated Tasmota plugs from the dev kit, the built dist/ served over
// HTTP, and Debian's headless Chromium through playwright-core. Everything on 127.0.0.1.

import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const DEVKIT = process.env.SWITCHBOARD_DEVKIT ?? join(ROOT, 'target', 'debug', 'switchboard-devkit');
export const DIST = process.env.SWITCHBOARD_DIST ?? join(ROOT, 'dist');

/** A port nothing listens on right now. */
export async function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Resolves once something accepts TCP connections on `port`. */
export async function waitForPort(port, timeoutMs = 10_000) {
  await eventually(() => new Promise((done, fail) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      done();
    });
    socket.on('error', fail);
  }), timeoutMs, `port ${port} accepting connections`);
}

/** Retries `check` (which throws while not yet true) until it passes or `timeoutMs` runs out. */
export async function eventually(check, timeoutMs = 10_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
    }
    await sleep(50);
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms: ${lastError?.message ?? lastError}`);
}

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** A child process whose output lines are kept, so tests can wait for one. */
export class Child {
  constructor(name, command, args) {
    this.name = name;
    this.lines = [];
    this.process = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((done) => this.process.on('exit', done));
    for (const stream of [this.process.stdout, this.process.stderr]) {
      let partial = '';
      stream.on('data', (chunk) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop();
        this.lines.push(...parts);
        if (process.env.E2E_VERBOSE) parts.forEach((l) => console.log(`[${name}] ${l}`));
      });
    }
  }

  async waitForLine(pattern, timeoutMs = 10_000, from = 0) {
    return eventually(() => {
      const line = this.lines.slice(from).find((l) => pattern.test(l));
      if (!line) throw new Error(`${this.name} has not printed ${pattern}; last: ${this.lines.slice(-3).join(' | ')}`);
      return line;
    }, timeoutMs, `${this.name} line ${pattern}`);
  }

  count(pattern) {
    return this.lines.filter((l) => pattern.test(l)).length;
  }

  send(line) {
    this.process.stdin.write(`${line}\n`);
  }

  async stop() {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL');
      await this.exited;
    }
  }
}

/**
 * Mosquitto with a TCP and a WebSocket listener, restartable on the same ports. With `users`
 * (name -> password) and `acl` (an ACL file's text), the WebSocket listener requires a login
 * and applies the ACL, while the TCP listener (the simulated devices') stays open.
 */
export class Mosquitto {
  static label = 'mosquitto';

  /** `extra`: more configuration lines (e.g. `max_packet_size 256`). */
  constructor({ users, acl, extra = [] } = {}) {
    this.users = users;
    this.acl = acl;
    this.extra = extra;
  }

  async start() {
    this.tcpPort ??= await freePort();
    this.wsPort ??= await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-mosquitto-'));
    const conf = join(dir, 'mosquitto.conf');
    const lines = [];
    if (this.users) {
      const passwords = join(dir, 'passwords');
      writeFileSync(passwords, '');
      for (const [user, password] of Object.entries(this.users)) {
        execFileSync('mosquitto_passwd', ['-b', passwords, user, password]);
      }
      const aclFile = join(dir, 'acl');
      writeFileSync(aclFile, this.acl ?? '');
      // Started as root, Mosquitto drops to its own user: it must be able to read these.
      chmodSync(dir, 0o755);
      chmodSync(passwords, 0o644);
      chmodSync(aclFile, 0o644);
      lines.push(
        'per_listener_settings true',
        `listener ${this.tcpPort} 127.0.0.1`,
        'allow_anonymous true',
        `listener ${this.wsPort} 127.0.0.1`,
        'protocol websockets',
        'allow_anonymous false',
        `password_file ${passwords}`,
        `acl_file ${aclFile}`,
      );
    } else {
      lines.push(
        `listener ${this.tcpPort} 127.0.0.1`,
        `listener ${this.wsPort} 127.0.0.1`,
        'protocol websockets',
        'allow_anonymous true',
      );
    }
    lines.push(...this.extra);
    writeFileSync(conf, `${lines.join('\n')}\n`);
    this.child = new Child('mosquitto', process.env.MOSQUITTO ?? 'mosquitto', ['-c', conf]);
    await this.waitUntilListening();
  }

  async waitUntilListening() {
    await waitForPort(this.tcpPort);
    await waitForPort(this.wsPort);
  }

  async stop() {
    await this.child?.stop();
  }
}

/** A broker run as a child process, so it can be stopped and restarted on the same ports. */
class ProcessBroker {
  constructor(name, command, args, ready) {
    Object.assign(this, { name, command, args, ready });
  }

  async start() {
    this.tcpPort ??= await freePort();
    this.wsPort ??= await freePort();
    this.child = new Child(this.name, this.command, this.args(this.tcpPort, this.wsPort));
    await this.child.waitForLine(this.ready, 15_000);
  }

  async stop() {
    await this.child?.stop();
  }
}

/** The dev kit's embedded rumqttd. */
export class EmbeddedBroker extends ProcessBroker {
  static label = 'embedded rumqttd';

  constructor() {
    super('rumqttd', DEVKIT, (tcp, ws) => ['broker', '--tcp-port', `${tcp}`, '--ws-port', `${ws}`], /broker ready/);
  }
}

/** aedes from npm (MQTT 3.1.1). */
export class AedesBroker extends ProcessBroker {
  static label = 'aedes';

  constructor() {
    const script = join(ROOT, 'tests', 'e2e', 'aedes-broker.mjs');
    super('aedes', process.execPath, (tcp, ws) => [script, `${tcp}`, `${ws}`], /aedes ready/);
  }
}

/** Simulated Tasmota plugs connected to `broker`. `plugs` is a list of `topic` or `topic=on`. */
/** The name a simulated device goes by in the dev kit's log: `kind:name[:relays][=on]` -> name. */
export function simName(spec) {
  const bare = spec.split('=')[0];
  return bare.includes(':') ? bare.split(':')[1] : bare;
}

export const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function startPlugs(broker, plugs, { telePeriod = 300, discovery = true } = {}) {
  const flags = discovery ? [] : ['--no-discovery'];
  const child = new Child('plugs', DEVKIT, ['plugs', '--broker', `127.0.0.1:${broker.tcpPort}`, '--tele-period', String(telePeriod), ...flags, ...plugs]);
  for (const plug of plugs) {
    await child.waitForLine(new RegExp(`plug ${escapeRegExp(simName(plug))} connected`), 15_000);
  }
  return child;
}

/**
 * The built dist/ over HTTP; returns its base URL. With `subPath` (e.g. `apps/switchboard`)
 * the page is served below that path, as on GitHub Pages (`https://user.github.io/repo/`).
 */
export async function serveDist({ subPath, logRequests = false } = {}) {
  if (!existsSync(join(DIST, 'index.html'))) {
    throw new Error(`${DIST}/index.html is missing: build the page first (trunk build --release)`);
  }
  let root = DIST;
  if (subPath) {
    root = mkdtempSync(join(tmpdir(), 'switchboard-www-'));
    const parent = join(root, ...subPath.split('/').slice(0, -1));
    mkdirSync(parent, { recursive: true });
    symlinkSync(DIST, join(root, subPath));
  }
  const port = await freePort();
  const flags = logRequests ? ['--log-requests'] : [];
  const child = new Child('http', DEVKIT, ['serve', '--dist', root, '--http-port', `${port}`, ...flags]);
  await child.waitForLine(/serving/, 10_000);
  const base = subPath ? `${subPath}/` : '';
  return {
    url: `http://127.0.0.1:${port}/${base}`,
    stop: () => child.stop(),
    /** How many requests matched `pattern` (with `logRequests`). */
    requests: (pattern) => child.count(new RegExp(`^request GET .*${pattern.source}`)),
  };
}

/** Debian's Chromium, headless, with the flags this closed network needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A page fragment (`#...`) configuring a broker and Tasmota devices, plus extra parameters. */
export function dashboardFragment(wsPort, devices, extra = {}) {
  const params = [`broker=${encodeURIComponent(`ws://127.0.0.1:${wsPort}`)}`];
  for (const [key, value] of Object.entries(extra)) params.push(`${key}=${encodeURIComponent(value)}`);
  for (const device of devices) params.push(`device=${encodeURIComponent(device)}`);
  return `#${params.join('&')}`;
}

/**
 * The text of an element as a user reads it, scrolled into view first: cards off screen are not
 * rendered (content-visibility), so they have no innerText until seen.
 */
export async function visibleText(locator) {
  await locator.scrollIntoViewIfNeeded();
  return locator.innerText();
}

/**
 * Opens the details of a device shown as a compact row (readings, schedules, "send toggle",
 * "ask the board"); a card shows them all already.
 */
export async function openDetails(page, name) {
  const toggle = page.getByRole('button', { name: `Details: ${name}`, exact: true });
  if ((await toggle.count()) && (await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
}

/** Opens the details of every compact row on the page. */
export async function openAllDetails(page) {
  const closed = page.locator('.details-toggle[aria-expanded="false"]');
  while (await closed.count()) await closed.first().click();
}

/** The state of a `role=switch` button, as a user and a screen reader perceive it. */
export async function switchState(page, name) {
  const button = page.getByRole('switch', { name, exact: true });
  return {
    checked: await button.getAttribute('aria-checked'),
    busy: await button.getAttribute('aria-busy'),
    disabled: await button.isDisabled(),
  };
}

/** The dev kit's fault proxy in front of `upstreamPort`: `cut()`, `stall()`, `resume()`. */
export async function startProxy(upstreamPort) {
  const port = await freePort();
  const child = new Child('proxy', DEVKIT, ['proxy', '--listen', `${port}`, '--upstream', `127.0.0.1:${upstreamPort}`]);
  await child.waitForLine(/proxy ready/, 10_000);
  const command = async (word) => {
    const from = child.lines.length;
    child.send(word);
    await child.waitForLine(new RegExp(`^proxy ${word}$`), 5_000, from);
  };
  return {
    port,
    cut: () => command('cut'),
    stall: () => command('stall'),
    resume: () => command('resume'),
    stop: () => child.stop(),
  };
}

/** Median and maximum of a list of numbers. */
export function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1], count: sorted.length };
}

/** Publishes `rate` messages a second on `topic` for `seconds`; resolves to the count sent. */
export async function runFlood(broker, topic, rate, seconds) {
  const child = new Child('flood', DEVKIT, [
    'flood', '--broker', `127.0.0.1:${broker.tcpPort}`, '--topic', topic, '--rate', `${rate}`, '--seconds', `${seconds}`,
  ]);
  const line = await child.waitForLine(/flood sent \d+ messages/, (seconds + 15) * 1000);
  await child.stop();
  return Number(line.match(/sent (\d+)/)[1]);
}

/**
 * The usual stack for a suite: a started `broker`, simulated `plugs` on it, the page served,
 * and a browser. `stop()` tears it all down, in reverse order.
 */
export async function startStack(broker, plugTopics, plugOptions = {}) {
  await broker.start();
  const stack = { broker };
  stack.plugs = await startPlugs(broker, plugTopics, plugOptions);
  stack.server = await serveDist();
  stack.browser = await launchBrowser();
  stack.stop = async () => {
    await stack.browser?.close();
    await stack.server?.stop();
    await stack.plugs?.stop();
    await broker.stop();
  };
  return stack;
}

/**
 * Publishes messages (QoS 0) over one plain MQTT 3.1.1 TCP connection, as any other client on
 * the broker would: the tests' way to play a third party (retract a discovery entry, flood).
 * `messages`: [{ topic, payload (string or Buffer), retain }].
 */
/** An MQTT string: two length bytes, then UTF-8. */
export function mqttString(text) {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

/** A whole MQTT packet: the first byte, the remaining length (variable byte integer), `body`. */
export function mqttPacket(firstByte, body) {
  const length = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    length.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([firstByte, ...length]), body]);
}

export async function publishMany(tcpPort, messages) {
  const connect = mqttPacket(0x10, Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0x02, 0, 30]), mqttString(`e2e-pub-${process.pid}-${Date.now()}`)]));
  const publishes = messages.map(({ topic, payload, retain = false }) => {
    const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
    return mqttPacket(0x30 | (retain ? 1 : 0), Buffer.concat([mqttString(topic), body]));
  });
  const disconnect = Buffer.from([0xe0, 0]);
  await new Promise((done, fail) => {
    const socket = createConnection({ host: '127.0.0.1', port: tcpPort }, () => socket.write(connect));
    socket.once('data', (connack) => {
      if (connack[0] !== 0x20 || connack[3] !== 0) return fail(new Error(`CONNACK refused: ${connack.toString('hex')}`));
      socket.write(Buffer.concat([...publishes, disconnect]), () => socket.end());
    });
    socket.on('close', done);
    socket.on('error', fail);
  });
}

/** Publishes one message; see `publishMany`. */
export async function publishRaw(tcpPort, topic, payload, { retain = false } = {}) {
  await publishMany(tcpPort, [{ topic, payload, retain }]);
}
