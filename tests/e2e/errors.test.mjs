// Errors a user can act on, against real sockets: nothing listening at the address, and a
// WebSocket server that is not an MQTT broker.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { eventually, freePort, launchBrowser, serveDist } from './harness.mjs';

describe('errors a user can act on', () => {
  let server, browser, silent;

  before(async () => {
    server = await serveDist();
    browser = await launchBrowser();
    const port = await freePort();
    // Accepts the WebSocket (even the mqtt subprotocol) but never speaks MQTT.
    silent = new WebSocketServer({ host: '127.0.0.1', port, handleProtocols: () => 'mqtt' });
    silent.port = port;
    await new Promise((done) => silent.on('listening', done));
  });

  after(async () => {
    silent?.close();
    await browser?.close();
    await server?.stop();
  });

  const open = async (brokerUrl) => {
    const page = await browser.newPage();
    await page.goto(`${server.url}#broker=${encodeURIComponent(brokerUrl)}&device=tasmota%3Ax`);
    return page;
  };

  test('nothing listening: says the address cannot be reached, offers retry now', async () => {
    const page = await open(`ws://127.0.0.1:${await freePort()}/mqtt`);
    await eventually(async () => {
      const status = await page.getByRole('status').innerText();
      assert.match(status, /Cannot reach the broker at this address\. Check the host, port and path/);
      assert.match(status, /Reconnecting in \d+ s/);
    }, 10_000, 'unreachable explained');
    assert.equal(await page.getByRole('button', { name: 'Retry now' }).isVisible(), true);
    await page.close();
  });

  test('a WebSocket server that is not MQTT: says it never answered CONNECT', async () => {
    const page = await open(`ws://127.0.0.1:${silent.port}/`);
    await eventually(async () => {
      assert.match(await page.getByRole('status').innerText(), /never answered the MQTT CONNECT/);
    }, 15_000, 'not-MQTT explained');
    await page.close();
  });
});
