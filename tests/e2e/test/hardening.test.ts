import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALFORMED, RESIDUAL, VALID } from '../helpers/framing-cases.js';
import { exchange, rawRequest } from '../helpers/raw.js';
import { FIXTURES, startPre, stopAll, waitFor, type PreProcess } from '../helpers/pre.js';

const ECHO = path.join(FIXTURES, 'raw-echo.js');
const CLASSES = ['async', 'sync', 'threads'] as const;
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** The pre a describe block started, its port, and its one worker (which must outlive every case). */
function serve(args: () => string[]): { pre: () => PreProcess; port: () => number; workerPid: () => number } {
  let pre: PreProcess;
  let port = 0;
  let workerPid = 0;
  beforeAll(async () => {
    pre = startPre([ECHO, '-b', '127.0.0.1:0', '--log-level', 'debug', ...args()]);
    port = Number(new URL(await pre.ready()).port);
    [workerPid] = pre.bootedWorkers() as [number];
  });
  afterAll(stopAll);
  return { pre: () => pre, port: () => port, workerPid: () => workerPid };
}

describe.each(CLASSES)('framing and limits (%s worker)', (workerClass) => {
  const server = serve(() => ['--worker-class', workerClass]);

  it.each(MALFORMED.map((c) => [c.name, c] as const))('refuses %s: its status, Connection: close, then the close', async (_, c) => {
    const res = await exchange(server.port(), c.raw, { closeWithinMs: 3000 });
    expect(res.status).toBe(c.status);
    expect(res.head.toLowerCase()).toContain('connection: close');
    expect(res.closed).toBe(true);
    expect(server.pre().bootedWorkers()).toEqual([server.workerPid()]);
  });

  it.each(VALID.map((c) => [c.name, c] as const))('passes %s to the app exactly as sent', async (_, c) => {
    const res = await exchange(server.port(), c.raw, { closeWithinMs: 0 });
    expect(res.status).toBe(200);
    if (c.method === 'HEAD') return;
    const seen = JSON.parse(Buffer.from(res.body, 'latin1').toString('utf8')) as Record<string, unknown>;
    expect(seen).toMatchObject({
      method: c.method,
      url: c.url,
      httpVersion: c.httpVersion,
      rawHeaders: c.headers.flat(),
      rawTrailers: c.trailers.flat(),
      body: Buffer.from(c.body, 'latin1').toString('base64'),
      pid: server.workerPid(),
    });
  });

  it.each(RESIDUAL.map((c) => [c.name, c] as const))('answers %s as node decides, never silently', async (_, c) => {
    const res = await exchange(server.port(), c.raw, { closeWithinMs: 0 });
    expect(res.status).toBe(NODE_MAJOR === 20 ? c.status.node20 : c.status.later);
  });

  it('cuts the connection when a forbidden trailer arrives after the response started; the app never sees the end', async () => {
    const raw = 'POST /early HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nHost: evil.example\r\n\r\n';
    const res = await rawRequest(server.port(), raw);
    expect(res.head).toMatch(/^HTTP\/1\.1 200/);
    expect(res.body).not.toContain('"method"'); // the echo is written on 'end' only
    expect(res.body.endsWith('0\r\n\r\n')).toBe(false); // no last chunk: the response is cut short
    expect(server.pre().bootedWorkers()).toEqual([server.workerPid()]);
  });

  it('lets the app see allowed trailers when the response started early', async () => {
    const raw = 'POST /early HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n';
    const res = await rawRequest(server.port(), raw);
    expect(res.body).toContain('"rawTrailers":["X-Sum","1"]');
  });

  const limits: [string, string, number, string][] = [
    ['an over-long request line', `GET /${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'Request line too long'],
    ['too many header fields', `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 101 }, (_, i) => `X-${i}: y\r\n`).join('')}\r\n`, 431, 'Too many header fields'],
    ['an over-long header field', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9000)}\r\n\r\n`, 431, 'Header field too large'],
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'Invalid Transfer-Encoding'],
    ['a duplicate Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc', 400, 'Conflicting Content-Length'],
    ['a duplicate Host', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'Duplicate host header'],
    ['a duplicate Content-Type', 'GET / HTTP/1.1\r\nHost: a\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n', 400, 'Duplicate content-type header'],
    ['Transfer-Encoding on HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'Transfer-Encoding on HTTP/1.0'],
    ['an unknown transfer coding', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501, 'Transfer coding not implemented'],
    ['an absolute-form target whose host differs from Host', 'GET http://b/ HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'Host does not match the request target'],
    ['a forbidden trailer field', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Type: x\r\n\r\n', 400, 'Forbidden trailer field content-type'],
    ['CONNECT', 'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n', 501, 'CONNECT not implemented'],
    ['an unknown method', 'FROB / HTTP/1.1\r\nHost: a\r\n\r\n', 501, 'Method not implemented'],
    ['HTTP/2.0 in an HTTP/1 request line', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505, 'HTTP version not supported'],
  ];

  it.each(limits)('answers %s with a short plain-text reason', async (_, raw, status, reason) => {
    const res = await rawRequest(server.port(), raw);
    expect(res.status).toBe(status);
    expect(res.body).toBe(`${reason}\n`);
  });

  it('logs one debug line per rejection, without the input', async () => {
    await rawRequest(server.port(), 'GET / HTTP/1.1\r\nHost: a\r\nX-Secret: s3cr3t\r\nX-Secret\0: y\r\n\r\n');
    await server.pre().waitForLog(/Rejected request from 127\.0\.0\.1 with 400: Invalid header/);
    expect(server.pre().stderr).not.toContain('s3cr3t');
    expect(server.pre().stderr).not.toMatch(/at .*\.js:\d+/); // no stack traces
  });

  it('closes a truncated chunked body without answering garbage', async () => {
    // The client sends part of a chunk, then closes its side: the body can never be complete.
    const socket = net.connect(server.port(), '127.0.0.1', () => socket.end('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'));
    let text = '';
    socket.setEncoding('latin1').on('data', (d: string) => (text += d));
    socket.on('error', () => {});
    await waitFor(() => socket.destroyed, 'the connection to be closed', 10_000);
    expect(text).not.toContain('"method"');
    expect(server.pre().bootedWorkers()).toEqual([server.workerPid()]);
  });

  it('accepts requests right at the limits', async () => {
    const line = `GET /${'a'.repeat(4094 - 'GET / HTTP/1.1'.length)} HTTP/1.1`;
    expect(line.length).toBe(4094);
    const res = await rawRequest(server.port(), `${line}\r\nHost: x\r\nConnection: close\r\n${Array.from({ length: 97 }, (_, i) => `X-${i}: y\r\n`).join('')}X-Big: ${'b'.repeat(8190 - 7)}\r\n\r\n`);
    expect(res.status).toBe(200);
  });
});

/** Opens `count` connections that send a partial head, then one more header line every `everyMs`. */
function slowloris(port: number, count: number, everyMs = 1000): { sockets: net.Socket[]; stop: () => void } {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.resume(); // read the 408 and the close
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    sockets.push(socket);
  }
  let n = 0;
  const timer = setInterval(() => {
    n++;
    for (const socket of sockets) if (!socket.destroyed && socket.writable) socket.write(`X-${n}: y\r\n`);
  }, everyMs);
  return { sockets, stop: () => { clearInterval(timer); for (const socket of sockets) socket.destroy(); } };
}

/** A normal request, retried until it gets a 200 or `withinMs` runs out; resolves with the time it took. */
async function servedWithin(url: string, withinMs: number): Promise<number> {
  const started = Date.now();
  await waitFor(async () => {
    try {
      const res = await request(`${url}/`, { headersTimeout: withinMs, bodyTimeout: withinMs, reset: true });
      await res.body.text();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }, 'a normal client to be served', withinMs);
  return Date.now() - started;
}

describe.each(CLASSES)('slow clients (%s worker)', (workerClass) => {
  afterAll(stopAll);

  it('answers a header dribbler with 408 at headers_timeout, closes it, and serves the next client', async () => {
    const pre = startPre([ECHO, '-b', '127.0.0.1:0', '--log-level', 'debug', '--worker-class', workerClass, '--headers-timeout', '2']);
    const url = await pre.ready();
    const [workerPid] = pre.bootedWorkers();
    const loris = slowloris(Number(new URL(url).port), 1);
    const socket = loris.sockets[0]!;
    let text = '';
    socket.setEncoding('latin1').on('data', (d: string) => (text += d));
    const started = Date.now();
    try {
      await waitFor(() => socket.destroyed || socket.readableEnded, 'the dribbling connection to be closed', 10_000);
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text.toLowerCase()).toContain('connection: close');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
      expect(Date.now() - started).toBeLessThan(6000);
    } finally {
      loris.stop();
    }
    await servedWithin(url, 5000);
    expect(pre.bootedWorkers()).toEqual([workerPid]);
  });

  it('answers a client that stops mid-body with 408 at request_timeout', async () => {
    const pre = startPre([ECHO, '-b', '127.0.0.1:0', '--log-level', 'debug', '--worker-class', workerClass, '--headers-timeout', '1', '--request-timeout', '2']);
    const port = Number(new URL(await pre.ready()).port);
    const started = Date.now();
    const res = await rawRequest(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part', 10_000);
    expect(res.status).toBe(408);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  // sync serves one connection at a time per worker: held connections queue in front of a normal client,
  // and each is cut at headers_timeout, so the wait is about (held ahead / workers) × headers_timeout.
  const held = workerClass === 'sync' ? 4 : 1000;
  it(`serves a normal client while ${held} connections dribble headers into 2 workers`, async () => {
    const pre = startPre([ECHO, '-b', '127.0.0.1:0', '--log-level', 'debug', '--worker-class', workerClass, '-w', '2', '--headers-timeout', '2']);
    const url = await pre.ready(2);
    const loris = slowloris(Number(new URL(url).port), held);
    try {
      await waitFor(() => loris.sockets.every((s) => !s.connecting), `${held} connections`);
      const waited = await servedWithin(url, workerClass === 'sync' ? 9000 : 5000);
      if (workerClass === 'sync') expect(waited).toBeGreaterThan(1500); // it did queue behind the held ones
      // Every dribbler is cut once the timeout bites, however many there are.
      await waitFor(() => loris.sockets.every((s) => s.destroyed || s.readableEnded), 'every dribbling connection to be closed', 10_000);
    } finally {
      loris.stop();
    }
  });
});
