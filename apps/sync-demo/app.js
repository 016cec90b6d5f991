// A sample app for `--worker-class sync`: handlers that burn CPU or block, where one request per
// process gives each request a whole process and the next request goes to an idle one.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const number = (url, name, fallback) => Number(url.searchParams.get(name) ?? fallback);

/** Burns CPU for about `ms` milliseconds: what a password hash, a PDF or an image resize does. */
function burn(ms) {
  const until = performance.now() + ms;
  let rounds = 0;
  while (performance.now() < until) {
    pbkdf2Sync('correct horse battery staple', randomBytes(16), 1000, 32, 'sha256');
    rounds++;
  }
  return rounds;
}

const text = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
};

export default async function syncDemo(req, res) {
  const url = new URL(req.url, 'http://localhost');
  switch (url.pathname) {
    case '/':
      return text(res, 200, 'Hello from a sync worker!\n');
    case '/pid':
      return text(res, 200, String(process.pid));
    case '/hash': {
      // CPU-bound: with the async worker this stalls every other request of the process.
      const ms = number(url, 'ms', 100);
      const rounds = burn(ms);
      return text(res, 200, `${rounds} pbkdf2 rounds in ~${ms} ms by pid ${process.pid}\n`);
    }
    case '/sleep': {
      // An async wait: the sync worker still serves nothing else meanwhile (one request per process).
      const ms = number(url, 'ms', 200);
      await new Promise((resolve) => setTimeout(resolve, ms));
      return text(res, 200, `slept ${ms} ms in pid ${process.pid}\n`);
    }
    case '/report':
      // Blocking file I/O, fine when the process serves one request at a time.
      return text(res, 200, readFileSync(new URL('./README.md', import.meta.url), 'utf8'));
    case '/error':
      throw new Error('This route fails on purpose');
    default:
      return text(res, 404, 'Not Found\n');
  }
}
