// Peer: one raw uWebSockets.js process on $PORT with the same routes and a native WebSocket echo.
import { pbkdf2Sync } from 'node:crypto';
import { createRequire } from 'node:module';
import { ASYNC_MS, CPU_ITERATIONS } from '../apps/routes.js';

const uWS = createRequire(import.meta.url)('@trufflesuite/uws-js-unofficial');
// The package silently falls back to a JS `ws` shim when its native build does not load.
if (typeof uWS.H3App !== 'function') {
  console.error('uWebSockets.js: the native build did not load (it exists up to Node 20)');
  process.exit(2);
}

const HELLO = 'Hello, World!\n';
const BODY_64K = Buffer.alloc(64 * 1024, 'x');
const app = uWS.App()
  .get('/', (res) => void res.end(HELLO))
  .get('/async', (res) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    setTimeout(() => aborted || res.cork(() => res.end(HELLO)), ASYNC_MS);
  })
  .get('/cpu', (res) => void res.end(pbkdf2Sync('pw', 'salt', CPU_ITERATIONS, 32, 'sha256').toString('hex')))
  .get('/64k', (res) => void res.end(BODY_64K))
  .post('/upload', (res) => {
    let size = 0;
    res.onAborted(() => {});
    res.onData((chunk, isLast) => {
      size += chunk.byteLength;
      if (isLast) res.end(String(size));
    });
  })
  .ws('/*', { message: (ws, message, isBinary) => void ws.send(message, isBinary) })
  .any('/*', (res) => void res.writeStatus('404 Not Found').end('Not Found\n'));

app.listen('127.0.0.1', Number(process.env.PORT), (socket) => {
  if (!socket) {
    console.error(`uWebSockets.js: cannot listen on ${process.env.PORT}`);
    process.exit(1);
  }
  console.log(`uws listening on ${process.env.PORT}`);
});
process.on('SIGTERM', () => process.exit(0));
