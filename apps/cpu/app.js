// A CPU-bound sample app: PBKDF2 password hashing, the kind of handler that blocks an event loop for
// milliseconds. Serve it with `pre apps/cpu --worker-class threads --threads 2` so one worker process
// hashes on two cores. Node built-ins only.
import { pbkdf2Sync } from 'node:crypto';
import { threadId } from 'node:worker_threads';

// ~5 ms of SHA-256 on the 2-core dev machine; ?rounds= changes it (capped so a request cannot hog a core).
const DEFAULT_ROUNDS = 12_000;
const MAX_ROUNDS = 5_000_000;

function rounds(url) {
  const n = Number(url.searchParams.get('rounds') ?? DEFAULT_ROUNDS);
  return Number.isInteger(n) && n > 0 ? Math.min(n, MAX_ROUNDS) : DEFAULT_ROUNDS;
}

function json(res, value) {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(value));
}

export default function cpu(req, res) {
  const url = new URL(req.url, 'http://localhost');
  switch (url.pathname) {
    case '/':
      res.setHeader('content-type', 'text/plain');
      res.end('Hello, World!\n');
      return;
    case '/hash': {
      // The password comes from the query for the demo only; a real app reads it from a POST body.
      const password = url.searchParams.get('password') ?? 'correct horse battery staple';
      const n = rounds(url);
      const started = performance.now();
      const hash = pbkdf2Sync(password, 'pre-sample-salt', n, 32, 'sha256').toString('hex');
      json(res, { hash, rounds: n, ms: Number((performance.now() - started).toFixed(2)), pid: process.pid, thread: threadId });
      return;
    }
    case '/thread':
      json(res, { pid: process.pid, thread: threadId });
      return;
    default:
      res.statusCode = 404;
      res.end('Not Found\n');
  }
}
