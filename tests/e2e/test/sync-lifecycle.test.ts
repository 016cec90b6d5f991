import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
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

type Endpoint = { port: number; host: string } | { path: string };

/** A raw request sent as soon as the connection is established (i.e. sits in the accept queue). */
interface Queued {
  readonly connected: Promise<void>;
  /** The whole response, read until the server closes the connection. */
  readonly response: Promise<{ status: number; head: string; body: string }>;
}

function queueRequest(endpoint: Endpoint, target: string): Queued {
  const socket = net.connect(endpoint);
  let text = '';
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      resolve();
    });
    socket.once('error', reject);
  });
  const response = new Promise<{ status: number; head: string; body: string }>((resolve, reject) => {
    socket.setEncoding('latin1').on('data', (d: string) => (text += d));
    socket.on('error', (err) => reject(err));
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body });
    });
  });
  response.catch(() => {});
  return { connected, response };
}

/** How a new connection attempt ends within 2 s: its error code, or 'connected'. */
function tryConnect(endpoint: Endpoint): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(endpoint);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no outcome within 2 s');
    }, 2_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code ?? String(err));
    });
  });
}

/**
 * Both workers busy on a held request, `count` connections queued in the kernel behind them, then TERM:
 * every queued request is answered, and pre exits 0. Returns how a new connection attempt ended once
 * the workers had taken the queue (while the held requests still ran).
 */
async function termWithQueue(bind: string, endpoint: (url: string) => Endpoint, count: number, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-sync-'));
  const pre = startPre([PROBE, '-k', 'sync', '-b', bind, '--log-level', 'debug', '-w', '2'], { env: { SYNC_PROBE_DIR: dir, ...env } });
  await pre.waitForLog(/Listening at: /);
  const workers = await pre.waitForWorkers(2);
  const url = /Listening at: (\S+)/.exec(pre.stderr)![1]!;
  const target = endpoint(url);
  const held = ['a', 'b'].map((id) => queueRequest(target, `/hold?id=${id}`));
  await waitFor(() => existsSync(path.join(dir, 'started-a')) && existsSync(path.join(dir, 'started-b')), 'both workers to be busy');
  const busyPids = ['a', 'b'].map((id) => Number(readFileSync(path.join(dir, `started-${id}`), 'utf8')));
  expect(busyPids.sort()).toEqual([...workers].sort());

  const queued = Array.from({ length: count }, (_, i) => queueRequest(target, `/pid?n=${i}`));
  await Promise.all(queued.map((q) => q.connected));
  pre.signal('SIGTERM');
  const taken = await waitFor(() => {
    const lines = [...pre.stderr.matchAll(/Graceful stop \(pid: (\d+)\): (\d+) queued connection\(s\) taken/g)];
    return lines.length === 2 ? lines.map((m) => Number(m[2])) : null;
  }, 'both workers to take the queue');
  expect(taken.reduce((a, b) => a + b, 0)).toBe(count);
  // The held requests still run, yet no process listens any more: a new connection is refused, not queued.
  const late = await tryConnect(target);

  for (const id of ['a', 'b']) writeFileSync(path.join(dir, `release-${id}`), '');
  for (const { response } of held) expect((await response).status).toBe(200);
  const answers = await Promise.all(queued.map((q) => q.response));
  for (const answer of answers) {
    expect(answer.status).toBe(200);
    expect(answer.head).toMatch(/\r\nConnection: close(\r\n|$)/i);
    expect(workers).toContain((JSON.parse(answer.body) as { pid: number }).pid);
    // One request at a time per worker, even while it works through what it took.
    expect((JSON.parse(answer.body) as { concurrent: number }).concurrent).toBe(1);
  }
  expect((await pre.exited).code).toBe(0);
  expect(pre.stderr).not.toMatch(/cannot accept|SIGKILL/);
  return late;
}

describe('sync worker: a graceful stop answers the connections already queued (Linux)', () => {
  const linux = process.platform === 'linux';
  const tcp = (url: string): Endpoint => ({ host: '127.0.0.1', port: Number(new URL(url).port) });

  it.runIf(linux)('TCP: 2 busy workers, 6 queued connections, TERM: all 6 answered with Connection: close, new ones refused, exit 0', async () => {
    const late = await termWithQueue('127.0.0.1:0', tcp, 6);
    expect(late).toBe('ECONNREFUSED');
  });

  it.runIf(linux)('TCP with a listener copy per connection (PRE_SYNC_ACCEPT=copies): the same, with more queued than spare copies', async () => {
    const late = await termWithQueue('127.0.0.1:0', tcp, 8, { PRE_SYNC_ACCEPT: 'copies' });
    expect(late).toBe('ECONNREFUSED');
  });

  it.runIf(linux)('unix socket (queue length unknown: taken until 30 ms pass with none): all answered, new ones refused', async () => {
    const socketPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-sync-unix-')), 'pre.sock');
    const late = await termWithQueue(`unix:${socketPath}`, () => ({ path: socketPath }), 4);
    // The arbiter removes the socket file when it lets go, or the file stays and nothing listens.
    expect(['ECONNREFUSED', 'ENOENT']).toContain(late);
  });
});
