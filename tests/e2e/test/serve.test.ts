import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { FIXTURES, HELLO, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

/** A random loopback port, and the debug log that says when workers have booted. */
const READY = ['-b', '127.0.0.1:0', '--log-level', 'debug'];

async function get(url: string, init: Parameters<typeof request>[1] = {}) {
  const res = await request(url, init);
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

describe('serving', () => {
  it('serves apps/hello and answers a 500 for a throwing or rejecting handler, with the worker alive', async () => {
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug']);
    const url = await pre.url();
    const [pid] = await pre.waitForWorkers(1);
    expect(await get(`${url}/`)).toMatchObject({ status: 200, body: 'Hello, World!\n' });
    expect(JSON.parse((await get(`${url}/json`)).body)).toEqual({ hello: 'world', pid });
    expect(await get(`${url}/error`)).toMatchObject({ status: 500, body: 'Internal Server Error' });
    expect(await get(`${url}/reject`)).toMatchObject({ status: 500 });
    expect((await get(`${url}/pid`)).body).toBe(String(pid));
    expect(pre.stderr).toContain('This route fails on purpose');
    expect(pre.stderr).toMatch(/\[\d+\] \[INFO\] Starting pre \d+\.\d+\.\d+/);
  });

  it("Node's own fetch keeps its connection to pre with the default keepalive (5 s: undici keeps 2 s off the server's hint)", async () => {
    const pre = startPre([path.join(FIXTURES, 'remote-port.js'), ...READY]);
    const url = await pre.ready();
    const ports = new Set<string>();
    let hint: string | null = null;
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${url}/`);
      hint = res.headers.get('keep-alive');
      ports.add(await res.text());
    }
    expect(hint).toBe('timeout=5');
    expect(ports.size).toBeLessThanOrEqual(2); // at 2 s (Gunicorn's default) it was 20: one connection per request
  });

  it('serves a fetch-shape object app (Hono style), including a request body and a 500 on throw', async () => {
    const pre = startPre([path.join(FIXTURES, 'fetch-object.js'), ...READY]);
    const url = await pre.ready();
    expect(JSON.parse((await get(`${url}/a/b`)).body)).toMatchObject({ path: '/a/b' });
    const echo = await get(`${url}/echo`, { method: 'POST', body: 'ping' });
    expect(echo).toMatchObject({ status: 200, body: 'ping' });
    expect(echo.headers['x-method']).toBe('POST');
    expect((await get(`${url}/throw`)).status).toBe(500);
    expect((await get(`${url}/again`)).status).toBe(200);
  });

  it('serves a named fetch function export and a factory()', async () => {
    const fn = startPre([`${path.join(FIXTURES, 'fetch-function.js')}:handler`, ...READY]);
    expect((await get(`${await fn.ready()}/x`)).body).toBe('fetch fn /x');
    const factory = startPre([`${path.join(FIXTURES, 'factory.js')}:create()`, ...READY]);
    expect((await get(`${await factory.ready()}/`)).body).toBe('from factory');
  });

  it('writes a Gunicorn-format access log to stdout', async () => {
    const pre = startPre([HELLO, ...READY, '--access-logfile', '-']);
    const url = await pre.ready();
    await get(`${url}/json?x=1`, { headers: { 'user-agent': 'pre-test', referer: 'http://ref.example/' } });
    const line = await waitFor(() => pre.stdout.split('\n').find((l) => /GET \/json\?x=1/.test(l)), 'the access log line');
    expect(line).toMatch(/^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET \/json\?x=1 HTTP\/1\.1" 200 \d+ "http:\/\/ref\.example\/" "pre-test"$/);
  });

  it('serves on a unix socket', async () => {
    const socketPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-unix-')), 'pre.sock');
    const pre = startPre([HELLO, '-b', `unix:${socketPath}`, '--log-level', 'debug']);
    await pre.waitForLog(/Listening at: unix:/);
    await pre.waitForWorkers(1);
    const agent = new Agent({ connect: { socketPath } });
    const res = await get('http://localhost/', { dispatcher: agent });
    expect(res.body).toBe('Hello, World!\n');
    await agent.close();
  });
});
