// The baseline: one bare node:http process serving apps/hello's request listener on $PORT.
import { createServer } from 'node:http';
import hello from '../../apps/hello/app.js';

createServer(hello).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
