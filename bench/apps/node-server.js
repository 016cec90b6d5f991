// A standalone node:http server on $PORT with the shared routes and a `ws` echo on upgrade:
// each node:cluster worker and each PM2 cluster instance runs this file.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import routes from './routes.js';

const server = createServer({ keepAliveTimeout: 5000 }, routes);
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
server.listen(Number(process.env.PORT), '127.0.0.1');
