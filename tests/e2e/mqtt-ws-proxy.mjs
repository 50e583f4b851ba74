// An MQTT-over-WebSocket proxy between the page and a real broker, written for the tests: it
// forwards every WebSocket message both ways untouched, reads the MQTT packets in each
// direction (reassembled across messages) to account for what the page sent (packet sizes,
// QoS 1 publishes awaiting PUBACK, PINGREQs, CONNECTs), and can play a hostile broker by
// sending the page a packet of its own after the broker's SUBACK.

import { WebSocket, WebSocketServer } from 'ws';
import { freePort, mqttPacket, mqttString } from './harness.mjs';

/** Splits an MQTT byte stream into whole packets, keeping what is left for the next chunk. */
class PacketStream {
  constructor(onPacket) {
    this.buffer = Buffer.alloc(0);
    this.onPacket = onPacket;
  }

  push(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let index = 1;
      let complete = false;
      while (index < this.buffer.length && index <= 4) {
        const byte = this.buffer[index];
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        index += 1;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || this.buffer.length < index + length) return;
      const packet = this.buffer.subarray(0, index + length);
      this.buffer = this.buffer.subarray(index + length);
      this.onPacket(packet, index);
    }
  }
}

/** A QoS 0 PUBLISH in MQTT 3.1.1 (level 4) or 5 (level 5: with an empty property list). */
export function publishPacket(topic, payload, level = 4) {
  const properties = level === 5 ? Buffer.from([0]) : Buffer.alloc(0);
  return mqttPacket(0x30, Buffer.concat([mqttString(topic), properties, payload]));
}

/**
 * Starts the proxy in front of `upstreamPort` (a broker's WebSocket listener). Options:
 * `inject`: a Buffer sent to the page right after the broker's first SUBACK on a connection;
 * `injectConnections`: how many connections get it (default: every one); `splitBytes`: the
 * broker's messages are passed on in WebSocket messages of at most this many bytes.
 */
export async function startMqttProxy(upstreamPort, { inject, injectConnections = Infinity, splitBytes = 0 } = {}) {
  const port = await freePort();
  const stats = {
    connections: 0,
    largestFromPage: 0,
    largestFromPageType: 0,
    inFlight: 0,
    maxInFlight: 0,
    pingReqs: [],
    injected: 0,
    connectedAt: [],
  };
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  const pages = new Set();
  server.on('connection', (page) => {
    pages.add(page);
    page.on('close', () => pages.delete(page));
    stats.connections += 1;
    stats.connectedAt.push(Date.now());
    const connection = stats.connections;
    const upstream = new WebSocket(`ws://127.0.0.1:${upstreamPort}`, 'mqtt');
    const waiting = [];
    const inFlight = new Set();
    let injectedHere = false;
    const fromPage = new PacketStream((packet, headerLength) => {
      const type = packet[0] >> 4;
      // CONNECT: protocol name (2 + 4 bytes "MQTT"), then the level.
      if (type === 1) page.mqttLevel = packet[headerLength + 6];
      if (packet.length > stats.largestFromPage) {
        stats.largestFromPage = packet.length;
        stats.largestFromPageType = type;
      }
      if (type === 3 && ((packet[0] >> 1) & 3) === 1) {
        const topicLength = packet.readUInt16BE(headerLength);
        const id = packet.readUInt16BE(headerLength + 2 + topicLength);
        inFlight.add(id);
        stats.maxInFlight = Math.max(stats.maxInFlight, inFlight.size);
      }
      if (type === 12) stats.pingReqs.push(Date.now());
    });
    const fromBroker = new PacketStream((packet, headerLength) => {
      const type = packet[0] >> 4;
      if (type === 4) inFlight.delete(packet.readUInt16BE(headerLength));
      if (type === 9 && inject && !injectedHere && connection <= injectConnections) {
        injectedHere = true;
        setTimeout(() => {
          if (page.readyState === WebSocket.OPEN) {
            page.send(inject);
            stats.injected += 1;
          }
        }, 20);
      }
    });
    page.on('message', (data) => {
      fromPage.push(data);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data);
      else waiting.push(data);
    });
    upstream.on('open', () => waiting.splice(0).forEach((data) => upstream.send(data)));
    upstream.on('message', (data) => {
      fromBroker.push(data);
      if (page.readyState !== WebSocket.OPEN) return;
      // As brokers that stream a large packet do: one WebSocket message per piece.
      if (splitBytes > 0) {
        for (let at = 0; at < data.length; at += splitBytes) page.send(data.subarray(at, at + splitBytes));
      } else {
        page.send(data);
      }
    });
    const closeBoth = () => {
      stats.inFlight = 0;
      page.terminate();
      upstream.terminate();
    };
    page.on('close', closeBoth);
    page.on('error', closeBoth);
    upstream.on('close', closeBoth);
    upstream.on('error', closeBoth);
  });
  await new Promise((done) => server.on('listening', done));
  return {
    port,
    stats,
    /**
     * Sends every connected page a PUBLISH of its protocol version straight from the proxy, as
     * a broker that streams a large message would: in WebSocket messages of `splitBytes`.
     */
    publishToPages(topic, payload, splitBytes = 16 * 1024) {
      for (const page of pages) {
        const packet = publishPacket(topic, payload, page.mqttLevel ?? 4);
        for (let at = 0; at < packet.length; at += splitBytes) page.send(packet.subarray(at, at + splitBytes));
      }
    },
    stop: () => new Promise((done) => {
      for (const client of server.clients) client.terminate();
      server.close(() => done());
    }),
  };
}
