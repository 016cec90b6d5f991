// Peer: one bare node:http process with the shared routes on $PORT (no WebSocket): the A/B baseline for
// pre's async worker, which serves the same request listener.
import { createServer } from 'node:http';
import routes from '../apps/routes.js';

createServer(routes).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`node listening on ${process.env.PORT}`));
process.on('SIGTERM', () => process.exit(0));
