// aedes (npm) as a broker for interoperability tests: MQTT 3.1.1 over TCP and over WebSocket
// (subprotocol mqtt), on 127.0.0.1. Usage: node aedes-broker.mjs TCP_PORT WS_PORT
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';

const [tcpPort, wsPort] = process.argv.slice(2).map(Number);
const aedes = await Aedes.createBroker();
createServer(aedes.handle).listen(tcpPort, '127.0.0.1');
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: wsPort,
  handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
});
wss.on('connection', (socket) => aedes.handle(createWebSocketStream(socket)));
wss.on('listening', () => console.log(`aedes ready tcp=${tcpPort} ws=${wsPort}`));
