import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, isAlive, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

const APP = path.join(FIXTURES, 'threads-app.js');
const READY = ['-b', '127.0.0.1:0', '--log-level', 'debug', '-k', 'threads'];

interface Info {
  pid: number;
  thread: number;
}

async function getJson<T>(url: string, init: Parameters<typeof request>[1] = {}): Promise<{ status: number; body: T }> {
  const res = await request(url, init);
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

describe('threads worker: serving', () => {
  it('serves an unmodified Express app on its threads, with real http.IncomingMessage/ServerResponse objects', async () => {
    const pre = startPre([path.join(FIXTURES, 'threads-express.js'), ...READY, '--threads', '2']);
    const url = await pre.ready(1);
    const hello = await request(`${url}/hello/ada`);
    expect(hello.statusCode).toBe(200);
    expect(hello.headers['x-powered-by-test']).toBe('express');
    const body = (await hello.body.json()) as { hello: string; thread: number; realNodeObjects: boolean };
    expect(body).toMatchObject({ hello: 'ada', realNodeObjects: true });
    expect(body.thread).toBeGreaterThan(0); // a worker thread, not the main thread (0)
    const posted = await getJson<{ received: unknown }>(`${url}/json`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: [1, 2] }),
    });
    expect(posted).toMatchObject({ status: 201, body: { received: { a: [1, 2] } } });
    expect((await request(`${url}/boom`)).statusCode).toBe(500);
  });

  it('runs two CPU-bound requests at the same time on two threads of one process; a busy thread gets no new work', async () => {
    const pre = startPre([APP, ...READY, '--threads', '2']);
    const url = await pre.ready(1);
    const agent = new Agent({ connections: 2 });
    // The first request flushes its headers before it blocks its thread: once we have them, that thread is busy.
    const first = await request(`${url}/spin?ms=1500`, { dispatcher: agent });
    const second = await request(`${url}/spin?ms=1500`, { dispatcher: agent });
    const [a, b] = (await Promise.all([first.body.json(), second.body.json()])) as (Info & { start: number; end: number })[];
    await agent.close();
    expect(a!.pid).toBe(b!.pid);
    expect(a!.thread).not.toBe(b!.thread);
    // Two synchronous handlers overlapped in time: only two threads can do that.
    expect(b!.start).toBeLessThan(a!.end);
  });

  it('streams request and response bodies in both directions', async () => {
    const pre = startPre([APP, ...READY, '--threads', '2']);
    const url = await pre.ready(1);
    const chunk = Buffer.alloc(64 * 1024);
    const sent = createHash('sha256');
    let chunks = 0;
    const upload = new Readable({
      read() {
        if (chunks === 128) return this.push(null); // 8 MiB, produced as it is consumed
        chunk.fill(chunks++ % 251);
        sent.update(chunk);
        this.push(Buffer.from(chunk));
      },
    });
    const res = await request(`${url}/echo`, { method: 'POST', body: upload });
    const received = createHash('sha256');
    let bytes = 0;
    for await (const part of res.body) {
      received.update(part as Buffer);
      bytes += (part as Buffer).length;
    }
    expect(res.statusCode).toBe(200);
    expect(bytes).toBe(128 * chunk.length);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
  });

  it('applies backpressure to a response whose client does not read', async () => {
    // One thread, so /download-stats is answered by the thread that serves /download.
    const pre = startPre([APP, ...READY, '--threads', '1']);
    const url = await pre.ready(1);
    const total = 64 * 1024 * 1024;
    const agent = new Agent({ connections: 2 });
    const download = await request(`${url}/download?mb=64`, { dispatcher: agent });
    const stats = async () => (await getJson<{ written: number; waiting: boolean }>(`${url}/download-stats`, { dispatcher: agent })).body;
    // Wait until the route is parked on 'drain' with the same count three polls in a row.
    let last = -1;
    let same = 0;
    const parked = await waitFor(async () => {
      const s = await stats();
      same = s.waiting && s.written === last ? same + 1 : 0;
      last = s.written;
      return same >= 2 ? s : null;
    }, 'the download to wait for drain');
    expect(parked.written).toBeLessThan(total / 2);
    let bytes = 0;
    for await (const part of download.body) bytes += (part as Buffer).length;
    expect(bytes).toBe(total);
    await agent.close();
  });

  it('serves a fetch-shape app', async () => {
    const pre = startPre([path.join(FIXTURES, 'fetch-object.js'), ...READY, '--threads', '2']);
    const url = await pre.ready(1);
    const echo = await request(`${url}/echo`, { method: 'POST', body: 'ping' });
    expect(echo.statusCode).toBe(200);
    expect(await echo.body.text()).toBe('ping');
    expect((await request(`${url}/throw`)).statusCode).toBe(500);
  });

  it('writes the access log, runs request hooks in the worker process, and counts max_requests across threads', async () => {
    const hookLog = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-threads-hooks-')), 'hooks.log');
    const pre = startPre([
      APP, ...READY, '--threads', '2', '--access-logfile', '-', '--max-requests', '6',
      '-c', path.join(FIXTURES, 'hooks.config.mjs'),
    ], { env: { HOOK_LOG: hookLog } });
    const url = await pre.ready(1);
    const [first] = pre.bootedWorkers();
    for (let i = 0; i < 6; i++) {
      // A new connection each time, so both threads take some of them.
      const res = await getJson<Info>(`${url}/info?i=${i}`, { headers: { 'user-agent': 'threads-test', connection: 'close' } });
      expect(res).toMatchObject({ status: 200, body: { pid: first } });
    }
    await pre.waitForLog(/Autorestarting worker after current request: max_requests \(6 requests\)/);
    await waitFor(() => !isAlive(first!) && pre.bootedWorkers().length === 1, 'the replacement worker');

    const access = pre.stdout.trim().split('\n').filter((line) => line.includes('GET /info?i='));
    expect(access).toHaveLength(6);
    expect(access[0]).toMatch(/^127\.0\.0\.1 - - \[.+\] "GET \/info\?i=0 HTTP\/1\.1" 200 \d+ "-" "threads-test"$/);
    const hooks = readFileSync(hookLog, 'utf8').trim().split('\n').filter((line) => /^(pre|post)_request /.test(line));
    expect(hooks.filter((line) => line.startsWith(`pre_request ${first} GET /info?i=`))).toHaveLength(6);
    expect(hooks.filter((line) => new RegExp(`^post_request ${first} 200 [1-9]\\d*$`).test(line))).toHaveLength(6);
    expect(hooks[0]).toBe(`pre_request ${first} GET /info?i=0`);
  });
});
