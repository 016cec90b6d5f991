import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, isAlive, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

const PROBE = path.join(FIXTURES, 'sync-probe.js');
const SYNC = ['-k', 'sync', '-b', '127.0.0.1:0', '--log-level', 'debug'];

async function get(url: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  const res = await request(url, { reset: true });
  return { status: res.statusCode, connection: res.headers.connection as string | undefined, body: await res.body.text() };
}

const pidOf = async (url: string): Promise<number> => (JSON.parse((await get(`${url}/pid`)).body) as { pid: number }).pid;

describe('sync worker: timeout, errors, stop, max_requests', () => {
  it('aborts and replaces a worker whose async handler outlives the timeout; both logs say why', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-sync-'));
    const hookLog = path.join(dir, 'hooks.log');
    const pre = startPre([PROBE, ...SYNC, '-w', '1', '--timeout', '2', '--access-logfile', '-', '-c', path.join(FIXTURES, 'hooks.config.mjs')], {
      env: { SYNC_PROBE_DIR: dir, HOOK_LOG: hookLog },
    });
    const url = await pre.url();
    const [stuck] = await pre.waitForWorkers(1);
    // The event loop stays free (the handler polls for a file that never comes): only the sync
    // worker's withheld heartbeat can get it aborted.
    const outcome = get(`${url}/hold?id=never`).then(() => 'answered', () => 'connection closed');
    await pre.waitForLog(new RegExp(`WORKER TIMEOUT \\(pid:${stuck}\\)`), 20_000);
    expect(await outcome).toBe('connection closed');
    await waitFor(() => !isAlive(stuck!), 'the stuck worker to die');
    expect(pre.stderr).toMatch(new RegExp(`Request GET /hold\\?id=never still running after [\\d.]+s \\(timeout 2s\\)`));
    expect(pre.stderr).toMatch(new RegExp(`Worker aborted \\(pid: ${stuck}\\) with GET /hold\\?id=never in flight`));
    await waitFor(() => /"GET \/hold\?id=never HTTP\/1\.1" 504 /.test(pre.stdout), 'the access log line of the aborted request');
    // reported as finished like any request: post_request sees the 504 too
    expect(readFileSync(hookLog, 'utf8')).toContain(`post_request ${stuck} 504 0\n`);
    const [fresh] = await pre.waitForWorkers(1);
    expect(fresh).not.toBe(stuck);
    expect(await pidOf(url)).toBe(fresh);
  });

  it('answers 500 when the handler throws, and the worker lives on', async () => {
    const pre = startPre([PROBE, ...SYNC, '-w', '1']);
    const url = await pre.url();
    const [pid] = await pre.waitForWorkers(1);
    const failed = await get(`${url}/error`);
    expect(failed.status).toBe(500);
    expect(failed.connection).toBe('close');
    expect(await pidOf(url)).toBe(pid);
  });

  it('serves fetch-style apps, closing each connection', async () => {
    const pre = startPre([path.join(FIXTURES, 'sync-fetch.js'), ...SYNC, '-w', '1']);
    const url = await pre.url();
    const [pid] = await pre.waitForWorkers(1);
    const ok = await get(`${url}/hello`);
    expect(ok).toEqual({ status: 200, connection: 'close', body: JSON.stringify({ path: '/hello', pid }) });
    expect((await get(`${url}/throw`)).status).toBe(500);
    expect(JSON.parse((await get(`${url}/again`)).body)).toEqual({ path: '/again', pid });
  });

  it('TERM lets the request in flight finish, then the arbiter exits 0', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-sync-'));
    const pre = startPre([PROBE, ...SYNC, '-w', '1'], { env: { SYNC_PROBE_DIR: dir } });
    const url = await pre.url();
    const [pid] = await pre.waitForWorkers(1);
    const reply = get(`${url}/hold?id=inflight`);
    await waitFor(() => existsSync(path.join(dir, 'started-inflight')), 'the request to start');
    pre.signal('SIGTERM');
    await pre.waitForLog(/Handling signal: term/);
    writeFileSync(path.join(dir, 'release-inflight'), '');
    const answered = await reply;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body)).toEqual({ pid, concurrent: 1 });
    expect((await pre.exited).code).toBe(0);
    expect(readFileSync(path.join(dir, 'started-inflight'), 'utf8')).toBe(String(pid));
  });

  it('max_requests counts requests: the worker retires after that many and its replacement serves on', async () => {
    const pre = startPre([PROBE, ...SYNC, '-w', '1', '--max-requests', '3']);
    const url = await pre.url();
    const [first] = await pre.waitForWorkers(1);
    const pids: number[] = [];
    for (let i = 0; i < 6; i++) pids.push(await pidOf(url));
    expect(pids.slice(0, 3)).toEqual([first, first, first]);
    expect(pids[3]).not.toBe(first);
    expect(new Set(pids.slice(3)).size).toBe(1);
    await pre.waitForLog(/Autorestarting worker after current request: max_requests \(3 requests\)/);
  });
});
