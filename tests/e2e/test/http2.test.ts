import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../helpers/certs.js';
import { h2ClientLoop, h2Connect, h2Get, h2Request } from '../helpers/h2-client.js';
import { FIXTURES, ROOT, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

const APP = path.join(FIXTURES, 'h2-app.js');
const H2C = ['--http-protocols', 'h2,h1', '--http2-cleartext', 'prior-knowledge'];

function servePre(args: string[], workerClass = 'async') {
  return startPre([APP, '-k', workerClass, '-b', '127.0.0.1:0', '--log-level', 'debug', ...args]);
}

describe.each(['async', 'threads'])('HTTP/2 on worker class %s', (workerClass) => {
  it('h2c by prior knowledge and HTTP/1.1 on one port; the access log says HTTP/2.0', async () => {
    const pre = servePre([...H2C, '--access-logfile', '-', '--access-logformat', 'proto=%(H)s %(r)s %(s)s'], workerClass);
    const url = await pre.ready(1);
    const session = await h2Connect(url);
    const answers = await Promise.all([h2Request(session, '/pid'), h2Request(session, '/pid'), h2Request(session, '/nope')]);
    session.close();
    expect(answers.map((a) => a.status)).toEqual([200, 200, 404]);
    const h1 = await request(`${url}/pid`);
    expect(h1.statusCode).toBe(200);
    expect(await h1.body.text()).toBe(answers[0]!.body);
    await waitFor(() => pre.stdout.includes('proto=HTTP/1.1 GET /pid HTTP/1.1 200'), 'the HTTP/1.1 access line');
    expect(pre.stdout).toContain('proto=HTTP/2.0 GET /pid HTTP/2.0 200');
    expect(pre.stdout).toContain('proto=HTTP/2.0 GET /nope HTTP/2.0 404');
  });

  it('a node listener sees no pseudo-headers, a Host from :authority, httpVersion 2.0, and its body', async () => {
    const url = await servePre(H2C, workerClass).ready(1);
    const session = await h2Connect(url);
    const res = await h2Request(session, '/echo?x=1', { method: 'POST', headers: { 'x-one': 'a' }, body: 'hello h2' });
    session.close();
    const seen = JSON.parse(res.body) as { method: string; url: string; httpVersion: string; headers: Record<string, string>; rawHeaders: string[]; body: string };
    expect(seen).toMatchObject({ method: 'POST', url: '/echo?x=1', httpVersion: '2.0', body: 'hello h2' });
    expect(seen.headers.host).toBe(new URL(url).host);
    expect(seen.headers['x-one']).toBe('a');
    expect(Object.keys(seen.headers).filter((name) => name.startsWith(':'))).toEqual([]);
    expect(seen.rawHeaders.filter((name, i) => i % 2 === 0 && name.startsWith(':'))).toEqual([]);
  });

  it('per stream: too many header fields and a too large field get 431, the connection goes on; an app error is a 500', async () => {
    const url = await servePre([...H2C, '--limit-request-fields', '20', '--limit-request-field-size', '200'], workerClass).ready(1);
    const session = await h2Connect(url);
    const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`x-h${i}`, 'v']));
    const tooMany = await h2Request(session, '/pid', { headers: many });
    expect(tooMany.status).toBe(431);
    const tooLarge = await h2Request(session, '/pid', { headers: { 'x-big': 'b'.repeat(300) } });
    expect(tooLarge.status).toBe(431);
    const thrown = await h2Request(session, '/throw');
    expect(thrown.status).toBe(500);
    const after = await h2Request(session, '/pid');
    expect(after.status).toBe(200);
    session.close();
  });

  it('http2_max_header_list_size: a larger header list is refused on its stream (431 or RST_STREAM); the next stream is served', async () => {
    const url = await servePre([...H2C, '--limit-request-field-size', '0', '--http2-max-header-list-size', '4096'], workerClass).ready(1);
    const refusal = (r: Promise<{ status: number }>) => r.then((a) => String(a.status), (err: Error) => err.message);
    // A first stream usually arrives before the client acknowledged the server's SETTINGS: pre's own check answers 431.
    const first = await h2Connect(url);
    expect(await refusal(h2Request(first, '/echo', { headers: { 'x-big': 'b'.repeat(6000) } }))).toMatch(/^431$|ENHANCE_YOUR_CALM/);
    first.close();
    // Later ones: node:http2 resets the stream itself (ENHANCE_YOUR_CALM) once the limit is acknowledged.
    const session = await h2Connect(url);
    expect((await h2Request(session, '/echo', { headers: { 'x-big': 'b'.repeat(3000) } })).status).toBe(200);
    expect(await refusal(h2Request(session, '/echo', { headers: { 'x-big': 'b'.repeat(6000) } }))).toMatch(/^431$|ENHANCE_YOUR_CALM/);
    expect((await h2Request(session, '/pid')).status).toBe(200);
    session.close();
  });

  it('graceful HUP under an HTTP/2 client loop: GOAWAY, open streams finish, no request lost', async () => {
    const pre = servePre([...H2C, '-w', '2'], workerClass);
    const url = await pre.ready(2);
    const before = pre.bootedWorkers();
    let reloaded!: () => void;
    const stop = new Promise<void>((resolve) => (reloaded = resolve));
    const loop = h2ClientLoop(url, stop, { connections: 3, streams: 4, path: '/slow?ms=20', maxMs: 30_000 });
    await new Promise((r) => setTimeout(r, 300));
    pre.signal('SIGHUP');
    await waitFor(() => {
      const now = pre.bootedWorkers();
      return now.length === 2 && now.every((pid) => !before.includes(pid));
    }, 'two new workers', 20_000);
    await new Promise((r) => setTimeout(r, 300));
    reloaded();
    const result = await loop;
    console.log(`HUP under HTTP/2 (${workerClass}): ok ${result.ok}, failed ${result.failed}, retried (never processed): not sent ${result.retried.notSent}, refused by the server ${result.retried.refused}, sessions ${result.sessions}`);
    expect(result.errors).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.ok).toBeGreaterThan(50);
    expect(result.sessions).toBeGreaterThan(3); // the old workers' connections ended with GOAWAY and were replaced
    expect([...result.pids].some((pid) => before.includes(pid))).toBe(true);
  });

  it('max_requests counts streams: a worker retires after that many, without losing one', async () => {
    const pre = servePre([...H2C, '--max-requests', '30'], workerClass);
    const url = await pre.ready(1);
    const [first] = pre.bootedWorkers();
    let done!: () => void;
    const stop = new Promise<void>((resolve) => (done = resolve));
    const loop = h2ClientLoop(url, stop, { connections: 1, streams: 3, maxMs: 30_000 });
    await waitFor(() => pre.bootedWorkers().some((pid) => pid !== first), 'a replacement worker', 20_000);
    await new Promise((r) => setTimeout(r, 200));
    done();
    const result = await loop;
    expect(result.failed).toBe(0);
    expect(result.pids.size).toBeGreaterThanOrEqual(2);
  });
});

/** The samples in apps/, unmodified, served over h2c. */
const SAMPLES = { express: 'apps/express', koa: 'apps/koa', fastify: 'apps/fastify:create()', hono: 'apps/hono', 'node-http': 'apps/node-http' } as const;

describe('unmodified framework samples over HTTP/2 (async)', () => {
  it.each(Object.keys(SAMPLES) as (keyof typeof SAMPLES)[])('%s: routing, JSON in and out, a stream, a 500', async (app) => {
    const url = await startPre([SAMPLES[app], '-k', 'async', '-b', '127.0.0.1:0', '--log-level', 'debug', ...H2C], { cwd: ROOT }).ready(1);
    const session = await h2Connect(url);
    const home = await h2Request(session, '/');
    expect(home.status).toBe(200);
    expect(home.body).toMatch(/^Hello from /);
    const user = await h2Request(session, '/users/42');
    expect(user.status).toBe(200);
    expect(user.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(user.body)).toEqual({ id: 42, name: 'user 42' });
    const payload = { name: 'Ada', tags: ['x', 'y'] };
    const echo = await h2Request(session, '/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    expect(echo.status).toBe(201);
    expect(JSON.parse(echo.body)).toEqual({ received: payload });
    const stream = await h2Request(session, '/stream');
    expect(stream.body).toBe('chunk 1\nchunk 2\nchunk 3\nchunk 4\nchunk 5\n');
    const error = await h2Request(session, '/error');
    expect(error.status).toBe(500);
    expect((await h2Request(session, '/users/7')).status).toBe(200);
    session.close();
  });
});

describe('HTTP/2 with TLS (ALPN h2,http/1.1)', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });

  it.each(['async', 'threads'])('%s: serves h2 and HTTP/1.1 on one port, chosen by ALPN', async (workerClass) => {
    const pre = startPre([APP, '-k', workerClass, '-b', '127.0.0.1:0', '--log-level', 'debug', '--certfile', pki.serverCert, '--keyfile', pki.serverKey,
      '--http-protocols', 'h2,h1', '--access-logfile', '-', '--access-logformat', 'proto=%(H)s']);
    const url = await pre.ready(1);
    const ca = pki.read(pki.caCert);
    const h2 = await h2Get(url, '/echo', { ca });
    expect(h2.status).toBe(200);
    expect((JSON.parse(h2.body) as { httpVersion: string }).httpVersion).toBe('2.0');
    const h1 = await new Promise<{ alpn: string | false; body: string }>((resolve, reject) => {
      https.get(`${url}/echo`, { ca, ALPNProtocols: ['http/1.1'] } as https.RequestOptions & import('node:tls').ConnectionOptions, (res) => {
        let body = '';
        const alpn = (res.socket as import('node:tls').TLSSocket).alpnProtocol ?? false;
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve({ alpn, body }));
      }).on('error', reject);
    });
    expect(h1.alpn).toBe('http/1.1');
    expect((JSON.parse(h1.body) as { httpVersion: string }).httpVersion).toBe('1.1');
    await waitFor(() => pre.stdout.includes('proto=HTTP/1.1'), 'the HTTP/1.1 access line');
    expect(pre.stdout).toContain('proto=HTTP/2.0');
  });
});

describe('HTTP/2 fetch apps, timeouts, limits and refusals', () => {
  it('a fetch app gets a proper Request: method, absolute URL, headers without pseudo-headers, body', async () => {
    const url = await startPre([path.join(FIXTURES, 'h2-fetch.js'), '-k', 'async', '-b', '127.0.0.1:0', '--log-level', 'debug', ...H2C]).ready(1);
    const session = await h2Connect(url);
    const res = await h2Request(session, '/a?b=c', { method: 'PUT', headers: { 'x-t': '1' }, body: 'payload' });
    session.close();
    const seen = JSON.parse(res.body) as { method: string; url: string; headers: [string, string][]; body: string };
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe(`${url}/a?b=c`);
    expect(seen.body).toBe('payload');
    expect(seen.headers).toContainEqual(['x-t', '1']);
    expect(seen.headers.filter(([name]) => name.startsWith(':'))).toEqual([]);
  });

  it('a client that opens a stream and sends nothing more gets 408; one that sends only the preface is cut off', async () => {
    const url = await servePre([...H2C, '--headers-timeout', '1', '--request-timeout', '1']).ready(1);
    const session = await h2Connect(url);
    const started = Date.now();
    const held = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/echo' }, { endStream: false });
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
    });
    expect(held).toBe(408);
    expect(Date.now() - started).toBeLessThan(5000);
    session.close();
    // The preface and SETTINGS, then silence: the connection ends (GOAWAY, then close).
    const { port } = new URL(url);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    socket.on('data', () => {});
    socket.on('error', () => {});
    const closedAfter = await new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
    expect(closedAfter).toBeLessThan(8000);
  });

  it('worker_connections bounds HTTP/2 connections too', async () => {
    const url = await servePre([...H2C, '--worker-connections', '2']).ready(1);
    const sessions = await Promise.all([h2Connect(url), h2Connect(url)]);
    for (const s of sessions) expect((await h2Request(s, '/pid')).status).toBe(200);
    // The third is closed as soon as it is accepted: no answer, whichever way the client notices.
    const third = await h2Connect(url).then((s) => h2Request(s, '/pid'), (err: Error) => err).catch((err: Error) => err);
    expect(third instanceof Error || !Number.isFinite(third.status)).toBe(true);
    expect((await h2Request(sessions[0]!, '/pid')).status).toBe(200);
    for (const s of sessions) s.close();
  });

  it('hooks, Prometheus metrics and forwarded headers work per stream', async () => {
    const hookLog = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-h2-hooks-')), 'hooks.log');
    const pre = startPre([APP, '-k', 'async', '-b', '127.0.0.1:0', '--log-level', 'debug', ...H2C, '-c', path.join(FIXTURES, 'hooks.config.mjs'),
      '--prometheus-bind', '127.0.0.1:0', '--forwarded-allow-ips', '127.0.0.1', '--access-logfile', '-', '--access-logformat', 'client=%(h)s %(U)s'], { env: { HOOK_LOG: hookLog } });
    const url = await pre.ready(1);
    const metricsUrl = (await pre.waitForLog(/Serving Prometheus metrics at: (\S+)/))[1]!;
    const session = await h2Connect(url);
    const answers = await Promise.all([
      h2Request(session, '/pid', { headers: { 'x-forwarded-for': '203.0.113.7' } }),
      h2Request(session, '/nope', { headers: { 'x-forwarded-for': '198.51.100.9' } }),
      h2Request(session, '/pid'),
    ]);
    session.close();
    expect(answers.map((a) => a.status)).toEqual([200, 404, 200]);
    await waitFor(() => readFileSync(hookLog, 'utf8').match(/^post_request /gm)?.length === 3, 'three post_request hooks');
    const hooks = readFileSync(hookLog, 'utf8');
    expect(hooks).toContain('pre_request');
    expect(hooks).toMatch(/pre_request \d+ GET \/nope/);
    expect(hooks).toMatch(/post_request \d+ 404/);
    // Two streams of one connection, two clients named by the trusted proxy, and the connection's own address.
    await waitFor(() => (pre.stdout.match(/^client=/gm)?.length ?? 0) === 3, 'three access lines');
    expect(pre.stdout).toContain('client=203.0.113.7 /pid');
    expect(pre.stdout).toContain('client=198.51.100.9 /nope');
    expect(pre.stdout).toContain('client=127.0.0.1 /pid');
    const metrics = await waitFor(async () => {
      const text = await (await request(metricsUrl)).body.text();
      return /status="404"[^\n]* 1\b/.test(text) ? text : null;
    }, 'the 404 in the metrics');
    expect(metrics).toMatch(/status="200"[^\n]* 2\b/);
  });

  it('http2_cleartext = both: prior knowledge is served as HTTP/2, and an Upgrade: h2c request gets 101 (details: http2-upgrade.test.ts)', async () => {
    const url = await servePre(['--http-protocols', 'h2,h1', '--http2-cleartext', 'both']).ready(1);
    expect((await h2Get(url, '/pid')).status).toBe(200);
    const { port } = new URL(url);
    const socket = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1').on('data', (d: string) => (answer += d));
    socket.write('GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n');
    await waitFor(() => answer.includes('\r\n\r\n'), 'the 101');
    expect(answer).toMatch(/^HTTP\/1\.1 101 /);
    expect(answer).toMatch(/\r\nupgrade: h2c\r\n/i);
    socket.destroy();
  });

  it('h2 without TLS or http2_cleartext is a clear start-up error', async () => {
    const { code, stderr } = await runPre([APP, '-k', 'async', '-b', '127.0.0.1:0', '--http-protocols', 'h2,h1']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('http2_cleartext = prior-knowledge');
  });

  it.each(['sync', 'uws'])('worker class %s refuses HTTP/2 at start-up, naming the setting and the classes that serve it', async (workerClass) => {
    const { code, stderr } = await runPre([APP, '-k', workerClass, '-b', '127.0.0.1:0', ...H2C]);
    expect(code).toBe(3);
    expect(stderr).toContain(`worker class '${workerClass}' cannot serve HTTP/2 (http_protocols = ["h2","h1"])`);
    expect(stderr).toMatch(/use --worker-class async or threads/);
  });
});

