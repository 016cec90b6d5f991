// A plain node:http request listener, the shape http.createServer() takes. Run it with:  pre apps/node-http
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPORT = fileURLToPath(new URL('./files/report.csv', import.meta.url));

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return JSON.parse(text);
}

export default async function app(req, res) {
  const { pathname } = new URL(req.url, 'http://localhost');
  const user = /^\/users\/(\d+)$/.exec(pathname);

  if (req.method === 'GET' && pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Hello from node:http\n');
  } else if (req.method === 'GET' && pathname === '/pid') {
    res.end(String(process.pid));
  } else if (req.method === 'GET' && user) {
    sendJson(res, 200, { id: Number(user[1]), name: `user ${user[1]}` });
  } else if (req.method === 'POST' && pathname === '/echo') {
    let body;
    try {
      body = await readJson(req);
    } catch {
      return sendJson(res, 400, { error: 'Invalid JSON' });
    }
    sendJson(res, 201, { received: body });
  } else if (req.method === 'GET' && pathname === '/stream') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    for (let i = 1; i <= 5; i++) {
      res.write(`chunk ${i}\n`);
      await sleep(20);
    }
    res.end();
  } else if (req.method === 'GET' && pathname === '/download') {
    res.writeHead(200, { 'content-type': 'text/csv', 'content-disposition': 'attachment; filename="report.csv"' });
    await pipeline(createReadStream(REPORT), res);
  } else if (req.method === 'GET' && pathname === '/error') {
    throw new Error('boom (on purpose)'); // pre answers 500 and logs it; the worker lives on
  } else {
    sendJson(res, 404, { error: 'Not Found' });
  }
}
