// The HTTP/2 baseline: one bare node:http2 process (h2c, node's defaults) serving apps/routes.js through
// the compatibility API on $PORT, the same listener pre serves in bench/http2/cost.js.
import { createServer } from 'node:http2';
import routes from '../apps/routes.js';

createServer(routes).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
