// The scenario app's logic, shared by pre and the Node peers so every server runs the same code.
import { pbkdf2Sync } from 'node:crypto';

/** pbkdf2 iterations for a ~5 ms CPU-bound request on the dev machine (Python's hashlib uses the same OpenSSL). */
export const CPU_ITERATIONS = 13_000;
export const ASYNC_MS = 20;
const BODY_64K = Buffer.alloc(64 * 1024, 'x');
const HELLO = 'Hello, World!\n';

/** A plain node:http request listener with one route per scenario. */
export default function routes(req, res) {
  const path = req.url.split('?', 1)[0];
  switch (path) {
    case '/':
      res.setHeader('content-type', 'text/plain');
      return void res.end(HELLO);
    case '/pid':
      return void res.end(String(process.pid));
    case '/async':
      return void setTimeout(() => res.end(HELLO), ASYNC_MS);
    case '/cpu':
      return void res.end(pbkdf2Sync('pw', 'salt', CPU_ITERATIONS, 32, 'sha256').toString('hex'));
    case '/64k':
      res.setHeader('content-type', 'application/octet-stream');
      return void res.end(BODY_64K);
    case '/upload': {
      let size = 0;
      req.on('data', (chunk) => (size += chunk.length));
      req.on('end', () => res.end(String(size)));
      return;
    }
    case '/busy': {
      // Blocks the event loop for ?ms= (the chaos suite's hung worker).
      const ms = Number(new URL(req.url, 'http://x').searchParams.get('ms') ?? 60_000);
      const until = Date.now() + ms;
      while (Date.now() < until);
      return void res.end('done\n');
    }
    default:
      res.statusCode = 404;
      res.end('Not Found\n');
  }
}
