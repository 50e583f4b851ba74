// The reference page for the benchmark: what a web developer builds with MQTT.js 5 for the job
// Switchboard does, reading the same link (`#broker=ws://...&device=tasmota:<topic>:<label>`).
// Same subscriptions per Tasmota device as Switchboard's adapter, the same state per device
// (known / on / pending / online), the same query at connect (`cmnd/<t>/POWER` empty) and the
// same DOM contract: one `button[role=switch]` per device, disabled until its state is known,
// `aria-checked` from the state the device reports, `aria-busy` while a command awaits it.
'use strict';

const params = new URLSearchParams(location.hash.slice(1));
const broker = params.get('broker');
const devices = params.getAll('device').map((spec) => {
  const [, topic, label] = spec.split(':');
  return { topic, label: label || topic, on: null, online: true, pending: null, element: null };
});
const byTopic = new Map();
const list = document.getElementById('devices');
const status = document.getElementById('status');

for (const device of devices) {
  const item = document.createElement('li');
  const name = document.createElement('span');
  name.textContent = device.label;
  const button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('role', 'switch');
  button.setAttribute('aria-label', device.label);
  button.setAttribute('aria-checked', 'false');
  button.setAttribute('aria-busy', 'false');
  button.disabled = true;
  button.addEventListener('click', () => toggle(device));
  item.append(name, button);
  list.append(item);
  device.element = button;
  for (const kind of ['stat/%/RESULT', 'stat/%/POWER', 'tele/%/STATE', 'tele/%/SENSOR', 'tele/%/LWT', 'stat/%/STATUS', 'stat/%/STATUS10']) {
    byTopic.set(kind.replace('%', device.topic), device);
  }
}

function render(device) {
  const button = device.element;
  button.setAttribute('aria-checked', device.on === true ? 'true' : 'false');
  button.setAttribute('aria-busy', device.pending === null ? 'false' : 'true');
  button.disabled = device.on === null || !device.online || !client.connected;
}

function report(device, on) {
  device.on = on;
  if (device.pending === on) device.pending = null;
  render(device);
}

function toggle(device) {
  if (device.on === null || device.pending !== null) return;
  device.pending = !device.on;
  client.publish(`cmnd/${device.topic}/POWER`, device.pending ? 'ON' : 'OFF', { qos: 1 });
  render(device);
}

const client = mqtt.connect(broker, { clean: true, reconnectPeriod: 1000, protocolVersion: 4 });

client.on('connect', () => {
  status.textContent = `Connected to ${broker}`;
  client.subscribe([...byTopic.keys()], { qos: 1 }, () => {
    for (const device of devices) client.publish(`cmnd/${device.topic}/POWER`, '', { qos: 1 });
  });
});
client.on('close', () => {
  status.textContent = 'Disconnected';
  for (const device of devices) { device.on = null; render(device); }
});

client.on('message', (topic, payload) => {
  const device = byTopic.get(topic);
  if (!device) return;
  const text = payload.toString();
  if (topic.endsWith('/POWER')) {
    if (text === 'ON' || text === 'OFF') report(device, text === 'ON');
  } else if (topic.endsWith('/LWT')) {
    device.online = text === 'Online';
    render(device);
  } else if (topic.endsWith('/RESULT') || topic.endsWith('/STATE')) {
    try {
      const power = JSON.parse(text).POWER;
      if (power === 'ON' || power === 'OFF') report(device, power === 'ON');
    } catch {
      // not JSON: ignored, as Switchboard does
    }
  }
});
