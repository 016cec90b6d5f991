import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freePort, HELLO, isAlive, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';
import { NO_NATIVE_UWS, nativeUwsAvailable } from '../helpers/uws.js';

afterEach(stopAll);

const APP = path.join(FIXTURES, 'uws-app.js');

const NO_NATIVE = NO_NATIVE_UWS;


async function startUws(args: readonly string[] = [], app = APP, workers = 1) {
  const port = await freePort();
  const pre = startPre([app, '-k', 'uws', '-b', `127.0.0.1:${port}`, '--log-level', 'debug', '-w', String(workers), ...args]);
  const url = await pre.ready(workers);
  return { pre, url };
}

/** One raw HTTP/1.1 exchange; resolves with everything the server sent before closing. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.setEncoding('utf8').on('data', (d: string) => (data += d));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw exchange timed out')));
  });
}

describe.skipIf(!nativeUwsAvailable)('worker class uws', () => {
  it('serves hello, JSON, POST bodies, streamed bodies and cookies from a fetch app', async () => {
    const { url } = await startUws();
    const hello = await request(`${url}/`);
    expect(hello.statusCode).toBe(200);
    expect(hello.headers['content-type']).toBe('text/plain');
    expect(await hello.body.text()).toBe('Hello, World!');

    const json = await request(`${url}/json?q=x`);
    expect(await json.body.json()).toEqual({ hello: 'world', query: 'x' });

    const payload = Buffer.alloc(300_000, 'p'); // several onData chunks
    const echo = await request(`${url}/echo`, { method: 'POST', body: payload });
    expect(echo.headers['x-length']).toBe(String(payload.length));
    expect((await echo.body.arrayBuffer()).byteLength).toBe(payload.length);

    const sum = await request(`${url}/sum`, { method: 'PUT', body: JSON.stringify({ numbers: [1, 2, 39] }), headers: { 'content-type': 'application/json' } });
    expect(await sum.body.json()).toEqual({ sum: 42 });

    const stream = await request(`${url}/stream`);
    expect(await stream.body.text()).toBe('chunk0;chunk1;chunk2;');

    const cookies = await request(`${url}/cookies`);
    expect(cookies.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    await cookies.body.dump();

    const head = await request(`${url}/`, { method: 'HEAD' });
    expect(head.headers['content-length']).toBe('13');
    expect(await head.body.text()).toBe('');
  });

  it('answers 500 when the app throws and keeps serving', async () => {
    const { pre, url } = await startUws();
    const res = await request(`${url}/throw`);
    expect(res.statusCode).toBe(500);
    expect(await res.body.text()).toContain('Internal Server Error');
    await pre.waitForLog(/Error handling request GET \/throw[\s\S]*boom from the app/);
    expect((await request(`${url}/`)).statusCode).toBe(200);
  });

  it('enforces the request limits with 414 and 431 and Connection: close', async () => {
    const { url } = await startUws(['--limit-request-line', '200', '--limit-request-field_size', '100', '--limit-request-fields', '10']);
    const port = Number(new URL(url).port);
    const long = await rawExchange(port, `GET /${'a'.repeat(300)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(long).toMatch(/^HTTP\/1\.1 414 /);
    expect(long).toMatch(/connection: close/i);
    const big = await rawExchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(200)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    const many = await rawExchange(port, `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 12 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`);
    expect(many).toMatch(/^HTTP\/1\.1 431 /);
    const dup = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n');
    expect(dup).toMatch(/^HTTP\/1\.1 400 /);
    // Within the limits, with a header larger than uWS's default 4 KiB buffer would allow.
    const { url: url2 } = await startUws();
    const ok = await request(`${url2}/`, { headers: { 'x-large': 'l'.repeat(6000) } });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
  });

  it('writes the access log and retires a worker after max_requests', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-uws-'));
    const logFile = path.join(dir, 'access.log');
    const { pre, url } = await startUws(['--access-logfile', logFile, '--max-requests', '3']);
    const [first] = pre.bootedWorkers();
    for (let i = 0; i < 3; i++) await (await request(`${url}/json?i=${i}`, { headers: { 'user-agent': 'uws-test' } })).body.dump();
    // uws keeps its SO_REUSEPORT listener open until the replacement serves, then stops gracefully.
    await pre.waitForLog(/Autorestarting worker once its replacement serves: max_requests/);
    await waitFor(() => !isAlive(first!), "the retired worker to exit");
    await waitFor(() => pre.bootedWorkers().some((pid) => pid !== first), 'a replacement worker');
    await waitFor(() => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('/json?i=2'), 'the access log lines');
    const lines = readFileSync(logFile, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^127\.0\.0\.1 - - \[.+\] "GET \/json\?i=0 HTTP\/1\.1" 200 \d+ "-" "uws-test"$/);
  });

  it('runs --threads 2 uWS apps in one process, on the same port', async () => {
    const { pre, url } = await startUws(['--threads', '2']);
    const [pid] = pre.bootedWorkers();
    const seen = new Set<string>();
    // New connections spread over both threads' SO_REUSEPORT listeners.
    await waitFor(async () => {
      const res = await request(`${url}/thread`, { reset: true });
      seen.add(await res.body.text());
      return seen.size === 2;
    }, 'answers from both threads', 20_000);
    expect([...seen].every((s) => s.startsWith(`${pid}/`))).toBe(true);
    pre.signal('SIGTERM');
    expect((await pre.exited).code).toBe(0);
    expect(pre.stderr).not.toMatch(/core dumped|Aborted/);
  });

  it('runs pre_request and post_request in the main thread for requests an extra thread serves', async () => {
    const hookLog = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-uws-hooks-')), 'hooks.log');
    const port = await freePort();
    const pre = startPre([APP, '-k', 'uws', '-b', `127.0.0.1:${port}`, '--log-level', 'debug', '--threads', '2', '-c', path.join(FIXTURES, 'hooks.config.mjs')], { env: { HOOK_LOG: hookLog } });
    const url = await pre.ready(1);
    const [pid] = pre.bootedWorkers();
    const seen = new Set<string>();
    let sent = 0;
    await waitFor(async () => {
      const res = await request(`${url}/thread?n=${++sent}`, { reset: true });
      seen.add(await res.body.text());
      return seen.size === 2 || sent >= 200;
    }, 'answers from both threads', 20_000);
    expect(seen.size).toBe(2); // the extra thread served some of them
    const hookLines = (name: string): string[] => readFileSync(hookLog, 'utf8').split('\n').filter((line) => line.startsWith(`${name} `));
    await waitFor(() => hookLines('post_request').length === sent, 'a post_request per request');
    // Hooks run in the worker's main thread (one pid), one per request whichever thread served it.
    expect(hookLines('pre_request').sort()).toEqual(Array.from({ length: sent }, (_, i) => `pre_request ${pid} GET /thread?n=${i + 1}`).sort());
    expect(hookLines('post_request').every((line) => new RegExp(`^post_request ${pid} 200 [1-9]\\d*$`).test(line))).toBe(true);
  });

  it('refuses a Node request-listener app, port 0 and unix sockets with clear messages', async () => {
    const port = await freePort();
    const node = await runPre([HELLO, '-k', 'uws', '-b', `127.0.0.1:${port}`]);
    expect(node.code).toBe(3);
    expect(node.stderr).toMatch(/uws worker class serves fetch-style apps.*Node request listener.*--worker-class async/);
    const zero = await runPre([APP, '-k', 'uws', '-b', '127.0.0.1:0']);
    expect(zero.code).toBe(3);
    expect(zero.stderr).toMatch(/with port 0 every worker would get a different port/);
    const unix = await runPre([APP, '-k', 'uws', '-b', `unix:${path.join(os.tmpdir(), `pre-uws-${process.pid}.sock`)}`]);
    expect(unix.code).toBe(3);
    expect(unix.stderr).toMatch(/SO_REUSEPORT, which needs a TCP HOST:PORT/);
  });

  it('loads the native binary even when the package is told to use its JS fallback', async () => {
    const port = await freePort();
    const pre = startPre([APP, '-k', 'uws', '-b', `127.0.0.1:${port}`, '--log-level', 'debug'], { env: { UWS_USE_FALLBACK: '1' } });
    const url = await pre.ready(1);
    const res = await request(`${url}/`);
    expect(res.headers.uwebsockets).toBeDefined(); // only the native server writes this header
    await res.body.dump();
    expect(pre.stdout + pre.stderr).not.toMatch(/fallback/i);
  });
});

describe('worker class uws without a native build', () => {
  it.skipIf(nativeUwsAvailable)(`refuses to start instead of falling back to the JS shim (${nativeUwsAvailable ? 'native build present' : NO_NATIVE})`, async () => {
    const port = await freePort();
    const result = await runPre([APP, '-k', 'uws', '-b', `127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/cannot load a native uWebSockets\.js \(uws_\w+_\w+_\d+\.node\).*does not fall back/);
  });
});
