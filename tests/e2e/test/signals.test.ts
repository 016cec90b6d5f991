import { mkdtempSync, readFileSync, renameSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { clientLoop } from '../helpers/client.js';
import { HELLO, freePort, isAlive, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

const BASE = [HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug'];

async function body(url: string): Promise<string> {
  const res = await request(url);
  return res.body.text();
}

describe('signals and supervision', () => {
  it('TTIN adds a worker and TTOU removes one', async () => {
    const pre = startPre([...BASE, '-w', '2']);
    await pre.waitForWorkers(2);
    pre.signal('SIGTTIN');
    await pre.waitForWorkers(3);
    pre.signal('SIGTTOU');
    await pre.waitForWorkers(2);
    pre.signal('SIGTTOU');
    await pre.waitForWorkers(1);
    pre.signal('SIGTTOU'); // never below one
    await pre.waitForLog(/(Handling signal: ttou[\s\S]*){3}/);
    expect(pre.bootedWorkers()).toHaveLength(1);
  });

  it('replaces a worker killed with SIGKILL', async () => {
    const pre = startPre([...BASE, '-w', '2']);
    const url = await pre.url();
    const [victim] = await pre.waitForWorkers(2);
    process.kill(victim!, 'SIGKILL');
    await pre.waitForLog(new RegExp(`Worker \\(pid:${victim}\\) was sent SIGKILL`));
    const pids = await pre.waitForWorkers(2);
    expect(pids).not.toContain(victim);
    expect(await body(`${url}/`)).toBe('Hello, World!\n');
  });

  it('aborts and replaces a worker whose handler busy-loops past the timeout', async () => {
    const pre = startPre([...BASE, '-w', '1', '--timeout', '2']);
    const url = await pre.url();
    const [stuck] = await pre.waitForWorkers(1);
    const hung = request(`${url}/busy?ms=60000`).then(() => 'answered', () => 'connection closed');
    await pre.waitForLog(new RegExp(`WORKER TIMEOUT \\(pid:${stuck}\\)`), 20_000);
    expect(await hung).toBe('connection closed');
    await waitFor(() => !isAlive(stuck!), 'the stuck worker to die');
    const [fresh] = await pre.waitForWorkers(1);
    expect(fresh).not.toBe(stuck);
    expect(await body(`${url}/pid`)).toBe(String(fresh));
  });

  it('TERM lets an in-flight request finish, then the arbiter exits 0', async () => {
    const pre = startPre([...BASE, '-w', '1']);
    const url = await pre.url();
    await pre.waitForWorkers(1);
    const slow = request(`${url}/slow?ms=1500`).then(async (r) => ({ status: r.statusCode, body: await r.body.text() }));
    // The request is in the worker once the worker has it open; then stop.
    await waitFor(async () => (await fetch(`${url}/`)).ok, 'the worker to answer');
    pre.signal('SIGTERM');
    expect(await slow).toEqual({ status: 200, body: 'slept 1500 ms\n' });
    expect((await pre.exited).code).toBe(0);
    expect(pre.stderr).toContain('Shutting down: Master');
  });

  it('HUP replaces every worker under a client loop with zero failed requests', async () => {
    const pre = startPre([...BASE, '-w', '2']);
    const url = await pre.url();
    const before = await pre.waitForWorkers(2);
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const loop = clientLoop(url, done, { concurrency: 4 });
    await waitFor(() => pre.stderr.includes('Worker booted'), 'traffic');
    pre.signal('SIGHUP');
    await waitFor(() => {
      const now = pre.bootedWorkers();
      return now.length === 2 && now.every((pid) => !before.includes(pid)) && before.every((pid) => !isAlive(pid));
    }, 'a new generation of workers', 30_000);
    finish();
    const result = await loop;
    expect(result.errors).toEqual([]);
    expect(result.ok).toBeGreaterThan(0);
    expect([...result.pids].some((pid) => !before.includes(pid))).toBe(true);
  });

  it('max_requests recycles workers with zero failed requests', async () => {
    const pre = startPre([...BASE, '-w', '2', '--max-requests', '20', '--max-requests-jitter', '5']);
    const url = await pre.url();
    await pre.waitForWorkers(2);
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const loop = clientLoop(url, done, { concurrency: 4 });
    await waitFor(() => (pre.stderr.match(/Autorestarting worker/g)?.length ?? 0) >= 4, 'four max_requests restarts', 30_000);
    finish();
    const result = await loop;
    expect(result.errors).toEqual([]);
    expect(result.pids.size).toBeGreaterThanOrEqual(4);
  });

  it('USR1 reopens the log files (logrotate)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-logs-'));
    const access = path.join(dir, 'access.log');
    const pre = startPre([...BASE, '--access-logfile', access]);
    const url = await pre.url();
    await pre.waitForWorkers(1);
    await body(`${url}/?before`);
    await waitFor(() => existsSync(access) && readFileSync(access, 'utf8').includes('/?before'), 'the first access line');
    renameSync(access, `${access}.1`);
    pre.signal('SIGUSR1');
    await pre.waitForLog(/Handling signal: usr1/);
    // The worker reopens on its own USR1, sent by the arbiter; wait until a request lands in the new file.
    await waitFor(async () => {
      await body(`${url}/?after`);
      return existsSync(access) && readFileSync(access, 'utf8').includes('/?after');
    }, 'a line in the reopened access log');
    expect(readFileSync(`${access}.1`, 'utf8')).toContain('/?before');
  });

  it('writes and removes the pidfile, and sets process titles', async () => {
    const pidfile = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-pid-')), 'pre.pid');
    const pre = startPre([...BASE, '-p', pidfile, '-n', 'titled']);
    const [worker] = await pre.waitForWorkers(1);
    expect(readFileSync(pidfile, 'utf8').trim()).toBe(String(pre.pid));
    expect(readFileSync(`/proc/${pre.pid}/cmdline`, 'utf8')).toContain('pre: master [titled]');
    expect(readFileSync(`/proc/${worker}/cmdline`, 'utf8')).toContain('pre: worker [titled]');
    await pre.stop();
    expect(existsSync(pidfile)).toBe(false);
  });

  it('stops within graceful_timeout when the log readers have gone away (EPIPE), and the port is free after', async () => {
    const port = await freePort();
    const pre = startPre([HELLO, '-b', `127.0.0.1:${port}`, '-w', '2', '--log-level', 'debug', '--access-logfile', '-', '--graceful-timeout', '3']);
    const url = await pre.ready(2);
    // The readers of stdout (access log) and stderr (error log) exit, as `pre … 2>&1 | head` would.
    pre.child.stdout!.destroy();
    pre.child.stderr!.destroy();
    for (let i = 0; i < 10; i++) expect((await request(url)).statusCode).toBe(200);
    pre.signal('SIGTTIN'); // the arbiter logs the signal and the new worker: both writes fail with EPIPE
    const children = (): number[] => readFileSync(`/proc/${pre.pid}/task/${pre.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    await waitFor(() => children().length === 3, 'a third worker');
    const workers = children();
    const started = Date.now();
    pre.signal('SIGTERM');
    const outcome = await Promise.race([pre.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
    expect(outcome).not.toBe('hung');
    expect(Date.now() - started).toBeLessThan(3000 + 1500);
    expect(workers.filter(isAlive)).toEqual([]);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
