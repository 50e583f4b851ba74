import { Mosquitto, eventually, launchBrowser, publishRaw, serveDist, startPlugs, switchState } from './tests/e2e/harness.mjs';
import { startMqttProxy } from './tests/e2e/mqtt-ws-proxy.mjs';
const PLUG='big_plug', LABEL='Big plug';
const broker = new Mosquitto(); await broker.start();
const plugs = await startPlugs(broker, [`${PLUG}=on`]);
const server = await serveDist();
const browser = await launchBrowser();
for (const split of [16384, 1024]) {
  const proxy = await startMqttProxy(broker.wsPort, { splitBytes: split });
  const page = await browser.newPage();
  await page.goto(`${process.env.BASE ?? server.url}#broker=${encodeURIComponent(`ws://127.0.0.1:${proxy.port}`)}&device=tasmota%3A${PLUG}%3A${encodeURIComponent(LABEL)}`);
  await eventually(async () => { if ((await switchState(page, LABEL)).disabled) throw new Error('x'); }, 15000);
  // A client that nudges so Mosquitto streams fast to the proxy.
  const before = (await switchState(page, LABEL)).checked;
  const start = Date.now();
  await publishRaw(broker.tcpPort, `stat/${PLUG}/RESULT`, Buffer.alloc(256*1024, 0x61));
  plugs.send(`press ${PLUG}`);
  await eventually(async () => { if ((await switchState(page, LABEL)).checked === before) throw new Error('x'); }, 30000);
  console.log('split', split, 'shown after', Date.now() - start);
  await page.close(); await proxy.stop();
}
await browser.close(); await server.stop(); await plugs.stop(); await broker.stop();
