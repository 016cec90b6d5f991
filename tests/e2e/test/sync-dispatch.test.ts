import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, startPre, stopAll, waitFor, type PreProcess } from '../helpers/pre.js';

afterEach(stopAll);

const PROBE = path.join(FIXTURES, 'sync-probe.js');

interface ProbeReply {
  pid: number;
  /** requests running in that process when this one started, itself included */
  concurrent: number;
}

// The two ways a sync worker stops and restarts accepting: on fd 0 (the default), or on a new copy
// of the listener from the arbiter per connection (the fallback, forced with PRE_SYNC_ACCEPT=copies).
const MODES = [
  { mode: 'fd 0', env: {}, log: /accepts on fd 0 for the first listener/ },
  { mode: 'listener copies', env: { PRE_SYNC_ACCEPT: 'copies' }, log: /accepts on a new listener copy per connection/ },
];

async function startProbe(workers: number, env: NodeJS.ProcessEnv = {}, log?: RegExp): Promise<{ pre: PreProcess; url: string; dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-sync-'));
  const pre = startPre([PROBE, '-k', 'sync', '-w', String(workers), '-b', '127.0.0.1:0', '--log-level', 'debug'], { env: { ...env, SYNC_PROBE_DIR: dir } });
  const url = await pre.ready(workers);
  if (log) expect(pre.stderr.match(new RegExp(log.source, 'g'))).toHaveLength(workers);
  return { pre, url, dir };
}

/** A connection-per-request GET (the sync worker closes every connection anyway). */
async function get(url: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  const res = await request(url, { reset: true });
  return { status: res.statusCode, connection: res.headers.connection as string | undefined, body: await res.body.text() };
}

/** Sends `/hold?id=ID`; resolves with the pid it started in, once the app has it in hand. */
function hold(url: string, dir: string, id: string): { started: Promise<number>; reply: Promise<ProbeReply> } {
  const reply = get(`${url}/hold?id=${id}`).then((r) => JSON.parse(r.body) as ProbeReply);
  const file = path.join(dir, `started-${id}`);
  const started = waitFor(() => (existsSync(file) ? Number(readFileSync(file, 'utf8')) : null), `request ${id} to start`);
  return { started, reply };
}

const release = (dir: string, id: string): void => writeFileSync(path.join(dir, `release-${id}`), '');

describe.each(MODES)('sync worker: idle-aware dispatch, accepting on $mode', ({ env, log }) => {
  it('never parks a connection in a busy worker while another worker is idle', async () => {
    const { url, dir } = await startProbe(2, env, log);
    // Round after round, one worker is busy with a held request and the other is idle: the next
    // connection must start in the idle one while the busy one still holds its request. With workers
    // that keep accepting while busy, about half of these connections would wait behind the held one.
    let busy = hold(url, dir, 'r0');
    let busyPid = await busy.started;
    for (let round = 1; round <= 8; round++) {
      const next = hold(url, dir, `r${round}`);
      const nextPid = await next.started;
      expect(nextPid).not.toBe(busyPid);
      release(dir, `r${round - 1}`);
      expect(await busy.reply).toEqual({ pid: busyPid, concurrent: 1 });
      busy = next;
      busyPid = nextPid;
    }
    release(dir, 'r8');
    expect((await busy.reply).pid).toBe(busyPid);
  });

  it('queues connections while every worker is busy and gives each to the first worker that frees up', async () => {
    const { url, dir } = await startProbe(2, env, log);
    const a = hold(url, dir, 'a');
    const b = hold(url, dir, 'b');
    const [pidA, pidB] = await Promise.all([a.started, b.started]);
    expect(pidA).not.toBe(pidB);
    const c = hold(url, dir, 'c'); // waits in the kernel's accept queue: both workers are busy
    release(dir, 'a');
    expect(await c.started).toBe(pidA); // the only idle worker takes it, while b is still held
    release(dir, 'b');
    release(dir, 'c');
    expect(await Promise.all([a.reply, b.reply, c.reply])).toEqual([
      { pid: pidA, concurrent: 1 },
      { pid: pidB, concurrent: 1 },
      { pid: pidA, concurrent: 1 },
    ]);
  });

  it('never runs two requests at once in a process, even with an async handler', async () => {
    const { url } = await startProbe(2, env, log);
    const replies: ProbeReply[] = [];
    for (let round = 0; round < 3; round++) {
      const batch = await Promise.all(Array.from({ length: 8 }, () => get(`${url}/sleep?ms=50`)));
      for (const r of batch) {
        expect(r.status).toBe(200);
        expect(r.connection).toBe('close');
        replies.push(JSON.parse(r.body) as ProbeReply);
      }
    }
    expect(replies).toHaveLength(24);
    expect(replies.every((r) => r.concurrent === 1)).toBe(true);
    expect(new Set(replies.map((r) => r.pid)).size).toBe(2);
  });
});

describe('sync worker: one request per connection', () => {
  it('runs only the first of two pipelined requests, then closes the connection (as Gunicorn does)', async () => {
    const { url } = await startProbe(1);
    const { port } = new URL(url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /sleep?ms=100 HTTP/1.1\r\nHost: x\r\n\r\nGET /pid HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      let data = '';
      socket.setEncoding('utf8').on('data', (d: string) => (data += d));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      socket.setTimeout(15_000, () => socket.destroy(new Error('no close within 15 s')));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw).toMatch(/\r\nConnection: close\r\n/i);
    expect(raw).toContain('"concurrent":1');
    expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(raw.match(/"pid":/g)).toHaveLength(1); // the app never saw the second request
  });
});
