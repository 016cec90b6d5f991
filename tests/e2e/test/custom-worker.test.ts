import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { clientLoop } from '../helpers/client.js';
import { exchange } from '../helpers/raw.js';
import { FIXTURES, ROOT, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

/** The third-party worker class in apps/custom-worker, named as a user would. */
const H2C = './apps/custom-worker/worker.js:H2cWorker';
const H2_APP = path.join(FIXTURES, 'fw-h2-app.js');
const REPORT = readFileSync(path.join(ROOT, 'apps/node-http/files/report.csv'), 'utf8');

interface H2Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

/** One HTTP/2 request with prior knowledge (what `curl --http2-prior-knowledge` does), on its own connection. */
function h2(url: string, path: string, options: { method?: string; json?: unknown } = {}): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on('error', reject);
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const stream = session.request({
      ':path': path, ':method': options.method ?? 'GET', ...(body ? { 'content-type': 'application/json' } : {}),
    });
    stream.end(body);
    let text = '';
    let headers: http2.IncomingHttpHeaders = {};
    stream.setEncoding('utf8').on('data', (d: string) => (text += d));
    stream.on('response', (h) => (headers = h));
    stream.on('end', () => {
      session.close();
      if (headers[':status'] === undefined) reject(new Error(`the stream ended without a response (${text.length} bytes)`));
      else resolve({ status: Number(headers[':status']), headers, body: text });
    });
    stream.on('error', (err) => {
      session.destroy();
      reject(err);
    });
    stream.setTimeout(15_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
  });
}

interface H2LoopResult {
  ok: number;
  failed: number;
  /** Requests the server refused unprocessed (GOAWAY): RFC 9113 §8.7 lets a client retry them, and this one does. */
  retried: number;
  errors: string[];
  pids: Set<number>;
}

/** A stream the server is known not to have processed: sent after its GOAWAY, or never sent at all. */
function unprocessed(err: unknown): boolean {
  const { code, message } = err as { code?: string; message?: string };
  return code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_INVALID_SESSION' || /REFUSED_STREAM/.test(message ?? '');
}

/** GET `path` on an open session; rejects on a stream error or after 10 s. */
function h2Get(session: http2.ClientHttp2Session, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path });
    let text = '';
    let status = 0;
    stream.setEncoding('utf8').on('data', (d: string) => (text += d));
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('end', () => (status === 200 ? resolve(text) : reject(new Error(`status ${status}`))));
    stream.on('error', reject);
    stream.setTimeout(10_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
  });
}

/**
 * `concurrency` HTTP/2 clients, each on its own session, GET /pid until `stop` resolves (bounded by
 * `maxMs`); a session that got GOAWAY is replaced by a new one, as a browser or undici does.
 */
async function h2Loop(url: string, stop: Promise<unknown>, { concurrency = 2, maxMs = 30_000 } = {}): Promise<H2LoopResult> {
  const result: H2LoopResult = { ok: 0, failed: 0, retried: 0, errors: [], pids: new Set() };
  let stopped = false;
  void stop.finally(() => (stopped = true));
  const deadline = Date.now() + maxMs;
  const loop = async (): Promise<void> => {
    let session: http2.ClientHttp2Session | null = null;
    while (!stopped && Date.now() < deadline) {
      if (!session || session.closed || session.destroyed) {
        session = http2.connect(url);
        session.on('error', () => {}); // reported through the stream in flight
        session.once('goaway', function (this: http2.ClientHttp2Session) { this.close(); });
      }
      try {
        result.pids.add(Number(await h2Get(session, '/pid')));
        result.ok++;
      } catch (err) {
        if (unprocessed(err) && result.retried < 1000) result.retried++;
        else {
          result.failed++;
          result.errors.push(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);
        }
        session.destroy();
        session = null;
      }
    }
    session?.close();
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return result;
}

function startH2c(app: string, args: readonly string[] = []) {
  return startPre([app, '-k', H2C, '-b', '127.0.0.1:0', '--log-level', 'debug', ...args]);
}

describe('a third-party worker class: HTTP/2 cleartext on the inherited sockets', () => {
  it.each(['apps/node-http', 'apps/hono'])('serves %s over h2c: routing, JSON in and out, a stream, a download, a 500, an access log line', async (app) => {
    const pre = startH2c(app, ['--access-logfile', '-']);
    const url = await pre.ready(1);
    expect((await h2(url, '/')).body).toMatch(/^Hello from /);
    const user = await h2(url, '/users/5');
    expect(user.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(user.body)).toEqual({ id: 5, name: 'user 5' });
    const echo = await h2(url, '/echo', { method: 'POST', json: { a: [1, 2] } });
    expect(echo.status).toBe(201);
    expect(JSON.parse(echo.body)).toEqual({ received: { a: [1, 2] } });
    expect((await h2(url, '/stream')).body).toBe('chunk 1\nchunk 2\nchunk 3\nchunk 4\nchunk 5\n');
    const download = await h2(url, '/download');
    expect(download.headers['content-disposition']).toBe('attachment; filename="report.csv"');
    expect(download.body).toBe(REPORT);
    expect((await h2(url, '/error')).status).toBe(500);
    expect((await h2(url, '/users/6')).status).toBe(200);
    await waitFor(() => pre.stdout.includes('"GET /users/6 HTTP/2.0" 200'), 'the access log line');
  });

  it('refuses an Express app at boot with a message that names the way out', async () => {
    const { code, stderr } = await runPre(['apps/express', '-k', H2C, '-b', '127.0.0.1:0']);
    expect(code).toBe(3);
    expect(stderr).toContain("gives requests node:http's prototypes");
    expect(stderr).toContain('--worker-class async');
  });

  it('TERM: GOAWAY, the request in flight completes, the arbiter exits 0', async () => {
    const pre = startH2c(H2_APP);
    const url = await pre.ready(1);
    const session = http2.connect(url);
    const goaway = new Promise((resolve) => session.once('goaway', resolve));
    const stream = session.request({ ':path': '/hold', ':method': 'POST' });
    stream.write('first part;');
    let body = '';
    stream.setEncoding('utf8').on('data', (d: string) => (body += d));
    const ended = new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject));
    await waitFor(() => body.startsWith('started;'), 'the request to be in flight');
    pre.signal('SIGTERM');
    await goaway; // the worker is draining: nothing new on this connection, the open stream may finish
    stream.end('last part');
    await ended;
    expect(body).toBe('started;done after 20 bytes');
    session.close();
    expect((await pre.exited).code).toBe(0);
  });

  it('QUIT: the request in flight is cut short', async () => {
    const pre = startH2c(H2_APP);
    const url = await pre.ready(1);
    const session = http2.connect(url);
    session.on('error', () => {});
    const stream = session.request({ ':path': '/hold', ':method': 'POST' });
    stream.write('never finished');
    let body = '';
    stream.setEncoding('utf8').on('data', (d: string) => (body += d));
    stream.on('error', () => {});
    const closed = new Promise((resolve) => stream.on('close', resolve));
    await waitFor(() => body.startsWith('started;'), 'the request to be in flight');
    pre.signal('SIGQUIT');
    await closed;
    expect(body).toBe('started;'); // cut short: the app never got to answer
    expect((await pre.exited).code).toBe(0);
    session.destroy();
  });

  it('max_requests: the worker retires after 3 requests and a fresh one serves the next', async () => {
    const pre = startH2c(H2_APP, ['--max-requests', '3']);
    const url = await pre.ready(1);
    const [first] = pre.bootedWorkers();
    for (let i = 0; i < 3; i++) expect((await h2(url, '/pid')).body).toBe(String(first));
    await pre.waitForLog(/Autorestarting worker after current request: max_requests \(3 requests\)/);
    const second = await waitFor(() => pre.bootedWorkers().find((pid) => pid !== first), 'a replacement worker');
    expect((await h2(url, '/pid')).body).toBe(String(second));
  });

  it('timeout: a worker stuck in a handler is aborted by the heartbeat check and replaced', async () => {
    const pre = startH2c(H2_APP, ['--timeout', '2']);
    const url = await pre.ready(1);
    const [stuck] = pre.bootedWorkers();
    const blocked = h2(url, '/block').then(() => 'answered', () => 'failed');
    await pre.waitForLog(new RegExp(`WORKER TIMEOUT \\(pid:${stuck}\\)`), 30_000);
    expect(await blocked).toBe('failed');
    const fresh = await waitFor(() => pre.bootedWorkers().find((pid) => pid !== stuck), 'a replacement worker', 30_000);
    expect((await h2(url, '/pid')).body).toBe(String(fresh));
  });

  it('HUP: a new worker takes over and the old one exits', async () => {
    const pre = startH2c(H2_APP);
    const url = await pre.ready(1);
    const [old] = pre.bootedWorkers();
    pre.signal('SIGHUP');
    const [fresh] = await waitFor(() => {
      const pids = pre.bootedWorkers();
      return pids.length === 1 && pids[0] !== old ? pids : null;
    }, 'the old worker replaced');
    expect((await h2(url, '/pid')).body).toBe(String(fresh));
  });
});

describe('the same class on the same port: HTTP/1.1 through core, h2c beside it', () => {
  it.each(['apps/node-http', 'apps/hono'])('serves %s over HTTP/1.1 and h2c on one listener, each logged with its version', async (app) => {
    const pre = startH2c(app, ['--access-logfile', '-']);
    const url = await pre.ready(1);
    const user = await request(`${url}/users/5`);
    expect(user.statusCode).toBe(200);
    expect(user.headers['keep-alive']).toBe('timeout=5'); // node:http's keep-alive, from core's createNodeServer
    expect(await user.body.json()).toEqual({ id: 5, name: 'user 5' });
    const echo = await request(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: [1, 2] }) });
    expect(echo.statusCode).toBe(201);
    expect(await echo.body.json()).toEqual({ received: { a: [1, 2] } });
    const download = await request(`${url}/download`);
    expect(await download.body.text()).toBe(REPORT);
    expect((await h2(url, '/users/6')).status).toBe(200);
    const failing = await request(`${url}/error`);
    await failing.body.dump();
    expect(failing.statusCode).toBe(500);
    await waitFor(() => pre.stdout.includes('"GET /users/5 HTTP/1.1" 200'), 'the HTTP/1.1 access log line');
    await waitFor(() => /^127\.0\.0\.1 - - .*"GET \/users\/6 HTTP\/2\.0" 200/m.test(pre.stdout), 'the HTTP/2 access log line, with the client address');
  });

  it("HTTP/1.1 gets core's checks and limits: a bad request 400, an over-long request line 414, the PRI method without the full preface 4xx/505", async () => {
    const pre = startH2c('apps/node-http', ['--limit-request-line', '100']);
    const url = await pre.ready(1);
    const port = Number(new URL(url).port);
    const noHost = await exchange(port, 'GET / HTTP/1.1\r\n\r\n');
    expect(noHost.status).toBe(400);
    expect(noHost.closed).toBe(true);
    expect((await exchange(port, `GET /${'a'.repeat(200)} HTTP/1.1\r\nHost: x\r\n\r\n`)).status).toBe(414);
    // Starts like the preface but is not it: HTTP/1.1 gets it, and refuses it.
    const pri = await exchange(port, 'PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n');
    expect(pri.status === 505 || (pri.status >= 400 && pri.status < 500)).toBe(true);
    // A request that arrives one byte at a time, starting with "P" like the preface, is served.
    const dripped = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      const bytes = Buffer.from('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{"a":1}');
      let i = 0;
      const timer = setInterval(() => (i < bytes.length ? socket.write(bytes.subarray(i, ++i)) : clearInterval(timer)), 1);
      let text = '';
      socket.setEncoding('latin1').on('data', (d: string) => (text += d)).on('close', () => resolve(text)).on('error', reject);
    });
    expect(dripped).toMatch(/^HTTP\/1\.1 201 /);
    expect(dripped).toContain('{"received":{"a":1}}');
    expect((await h2(url, '/users/1')).status).toBe(200); // and h2c still served
  });

  it('headers_timeout on h2c: a session stuck in a header block is closed; request_timeout: a stalled body gets 408', async () => {
    const pre = startH2c('apps/node-http', ['--headers-timeout', '1', '--request-timeout', '2', '--keep-alive', '30']);
    const url = await pre.ready(1);
    const port = Number(new URL(url).port);
    // The preface, an empty SETTINGS frame, then a HEADERS frame without END_HEADERS (":method: GET") and silence.
    const stalled = net.connect(port, '127.0.0.1');
    stalled.on('error', () => {});
    const started = Date.now();
    stalled.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from('000000040000000000', 'hex'), Buffer.from('00000101000000000182', 'hex')]));
    stalled.resume();
    await new Promise((resolve) => stalled.once('close', resolve));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(900); // not refused on sight: cut by the deadline (1 s; keepalive is 30 s)
    expect(elapsed).toBeLessThan(6_000);

    const session = http2.connect(url);
    session.on('error', () => {});
    const stream = session.request({ ':path': '/echo', ':method': 'POST', 'content-type': 'application/json' });
    stream.write('{"a":'); // and never the rest
    const status = await new Promise<number>((resolve, reject) => {
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
    });
    expect(status).toBe(408);
    session.destroy();
    expect((await h2(url, '/users/2')).status).toBe(200); // the worker serves on
  });

  it('keepalive 0: HTTP/1.1 answers Connection: close, an HTTP/2 session gets GOAWAY after its request', async () => {
    const pre = startH2c(H2_APP, ['--keep-alive', '0']);
    const url = await pre.ready(1);
    const port = Number(new URL(url).port);
    const h1 = await exchange(port, 'GET /pid HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(h1.status).toBe(200);
    expect(h1.head).toMatch(/\r\nConnection: close\r\n/i);
    expect(h1.closed).toBe(true);
    const session = http2.connect(url);
    session.on('error', () => {});
    const goaway = new Promise((resolve) => session.once('goaway', resolve));
    expect(await h2Get(session, '/pid')).toBe(String(pre.bootedWorkers()[0]));
    await goaway;
    session.close();
  });

  it('HUP under HTTP/1.1 keep-alive loops and h2c loops on the same port: zero failed requests, both served by old and new workers', async () => {
    const pre = startH2c(H2_APP, ['-w', '2']);
    const url = await pre.ready(2);
    const old = pre.bootedWorkers();
    let stopLoops!: () => void;
    const stop = new Promise<void>((resolve) => (stopLoops = resolve));
    const h1Loop = clientLoop(url, stop, { concurrency: 3, maxMs: 45_000 });
    const h2Result = h2Loop(url, stop, { concurrency: 3, maxMs: 45_000 });
    await new Promise((resolve) => setTimeout(resolve, 500)); // let both loops run on the old generation
    pre.signal('SIGHUP');
    const fresh = await waitFor(() => {
      const pids = pre.bootedWorkers();
      return pids.length === 2 && pids.every((pid) => !old.includes(pid)) ? pids : null;
    }, 'the old workers replaced', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // and on the new one
    stopLoops();
    const [h1, h2r] = await Promise.all([h1Loop, h2Result]);
    expect(h1.errors).toEqual([]);
    expect(h2r.errors).toEqual([]);
    expect(h1.failed + h2r.failed).toBe(0);
    for (const result of [h1, h2r]) {
      expect([...result.pids].some((pid) => old.includes(pid))).toBe(true);
      expect([...result.pids].some((pid) => fresh.includes(pid))).toBe(true);
    }
    expect(h1.ok).toBeGreaterThan(20);
    expect(h2r.ok).toBeGreaterThan(20);
  }, 90_000);
});
