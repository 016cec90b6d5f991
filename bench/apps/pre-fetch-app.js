// The same routes as routes.js as a fetch app, for worker classes that serve fetch apps only (uws).
import { pbkdf2Sync } from 'node:crypto';
import { ASYNC_MS, CPU_ITERATIONS } from './routes.js';
import { websocket } from './pre-ws-app.js';

const HELLO = 'Hello, World!\n';
const BODY_64K = new Uint8Array(64 * 1024).fill(120);
const text = (body) => new Response(body, { headers: { 'content-type': 'text/plain' } });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/': return text(HELLO);
      case '/pid': return text(String(process.pid));
      case '/async': return new Promise((resolve) => setTimeout(() => resolve(text(HELLO)), ASYNC_MS));
      case '/cpu': return text(pbkdf2Sync('pw', 'salt', CPU_ITERATIONS, 32, 'sha256').toString('hex'));
      case '/64k': return new Response(BODY_64K, { headers: { 'content-type': 'application/octet-stream' } });
      case '/upload': return text(String((await request.arrayBuffer()).byteLength));
      case '/busy': {
        const until = Date.now() + Number(url.searchParams.get('ms') ?? 60_000);
        while (Date.now() < until);
        return text('done\n');
      }
      default: return new Response('Not Found\n', { status: 404 });
    }
  },
  websocket,
};
