import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { h2ClientLoop, h2Connect } from '../helpers/h2-client.js';
import { FIXTURES, isAlive, startPre, stopAll, waitFor } from '../helpers/pre.js';

const started: number[] = [];
afterEach(async () => {
  for (const pid of started.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
  await stopAll();
});

const APP = path.join(FIXTURES, 'h2-app.js');
const H2C = ['--http-protocols', 'h2,h1', '--http2-cleartext', 'prior-knowledge'];
const readPid = (file: string): number | null => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : null);

describe('HTTP/2 graceful stops', () => {
  it('TERM: the session gets GOAWAY with its last stream id, and a stream in flight finishes', async () => {
    const pre = startPre([APP, '-k', 'async', '-b', '127.0.0.1:0', '--log-level', 'debug', ...H2C]);
    const url = await pre.ready(1);
    const session = await h2Connect(url);
    const goaway = new Promise<{ code: number; lastStreamID: number }>((resolve) => session.once('goaway', (code, lastStreamID) => resolve({ code, lastStreamID })));
    const stream = session.request({ ':method': 'POST', ':path': '/hold' }, { endStream: false });
    let body = '';
    stream.setEncoding('utf8').on('data', (d: string) => (body += d));
    const answered = new Promise<number>((resolve, reject) => {
      stream.on('response', (h) => stream.once('end', () => resolve(Number(h[':status']))));
      stream.on('error', reject);
    });
    stream.write('first half;');
    await waitFor(() => body.startsWith('started;'), 'the app to start the request');
    pre.signal('SIGTERM');
    const away = await goaway;
    expect(away).toEqual({ code: 0, lastStreamID: 1 });
    stream.end('second half');
    expect(await answered).toBe(200);
    expect(body).toBe('started;done after 22 bytes');
    expect((await pre.exited).code).toBe(0);
  });

  it('USR2 → WINCH → TERM to the old master under an HTTP/2 client loop: zero failed requests', async () => {
    const pidfile = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-h2-upgrade-')), 'pre.pid');
    const old = startPre([APP, '-k', 'async', '-b', '127.0.0.1:0', '-w', '2', '-p', pidfile, '--log-level', 'debug', ...H2C]);
    const url = await old.ready(2);
    const oldWorkers = old.bootedWorkers();
    let finish!: () => void;
    const loop = h2ClientLoop(url, new Promise<void>((r) => (finish = r)), { connections: 3, streams: 4, path: '/slow?ms=10', maxMs: 40_000 });

    old.signal('SIGUSR2');
    const newPid = Number((await old.waitForLog(/Started new master with pid: (\d+)/))[1]);
    started.push(newPid);
    await waitFor(() => readPid(`${pidfile}.2`) === newPid, 'the new master to write PIDFILE.2');
    await waitFor(() => old.bootedWorkers().filter((pid) => !oldWorkers.includes(pid)).length >= 2, 'the new workers');
    old.signal('SIGWINCH');
    await waitFor(() => oldWorkers.every((pid) => !isAlive(pid)), 'the old workers to stop');
    old.signal('SIGTERM');
    expect((await old.exited).code).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    finish();
    const result = await loop;
    console.log(`USR2 under HTTP/2: ok ${result.ok}, failed ${result.failed}, retried (never processed): not sent ${result.retried.notSent}, refused by the server ${result.retried.refused}, sessions ${result.sessions}`);
    expect(result.errors).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.ok).toBeGreaterThan(50);
    expect([...result.pids].some((pid) => !oldWorkers.includes(pid))).toBe(true);
    expect([...result.pids].some((pid) => oldWorkers.includes(pid))).toBe(true);
    process.kill(newPid, 'SIGTERM');
    await waitFor(() => !isAlive(newPid), 'the new master to exit');
  });
});
