import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clientLoop } from '../helpers/client.js';
import { HELLO, isAlive, startPre, stopAll, waitFor } from '../helpers/pre.js';

const started: number[] = [];
afterEach(async () => {
  for (const pid of started.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
  await stopAll();
});

const readPid = (file: string): number | null => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : null);

describe('USR2 binary upgrade', () => {
  it('USR2 → WINCH → TERM to the old master under a client loop: zero failed requests, pidfile handed over', async () => {
    const pidfile = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-upgrade-')), 'pre.pid');
    const old = startPre([HELLO, '-b', '127.0.0.1:0', '-w', '2', '-p', pidfile, '--log-level', 'debug']);
    const url = await old.ready(2);
    const oldWorkers = old.bootedWorkers();
    let finish!: () => void;
    const loop = clientLoop(url, new Promise<void>((r) => (finish = r)), { concurrency: 4 });

    old.signal('SIGUSR2');
    const newPid = Number((await old.waitForLog(/Started new master with pid: (\d+)/))[1]);
    started.push(newPid);
    await waitFor(() => readPid(`${pidfile}.2`) === newPid, 'the new master to write PIDFILE.2');
    expect(readPid(`${pidfile}.oldbin`)).toBe(old.pid);
    // The new master's workers log through the same stderr; wait until two of them booted.
    await waitFor(() => old.bootedWorkers().filter((pid) => !oldWorkers.includes(pid)).length >= 2, 'the new workers');

    old.signal('SIGWINCH');
    await waitFor(() => oldWorkers.every((pid) => !isAlive(pid)), 'the old workers to stop');
    old.signal('SIGTERM');
    expect((await old.exited).code).toBe(0);
    await waitFor(() => readPid(pidfile) === newPid, 'the promoted master to own the pidfile');
    expect(existsSync(`${pidfile}.2`)).toBe(false);

    finish();
    const result = await loop;
    expect(result.errors).toEqual([]);
    expect(result.ok).toBeGreaterThan(50);
    expect([...result.pids].some((pid) => !oldWorkers.includes(pid))).toBe(true);
    process.kill(newPid, 'SIGTERM');
    await waitFor(() => !isAlive(newPid), 'the new master to exit');
  });

  it('rolls back: TERM to the new master, HUP to the old one restarts its workers', async () => {
    const old = startPre([HELLO, '-b', '127.0.0.1:0', '-w', '1', '--log-level', 'debug']);
    const url = await old.ready(1);
    old.signal('SIGUSR2');
    const newPid = Number((await old.waitForLog(/Started new master with pid: (\d+)/))[1]);
    started.push(newPid);
    await waitFor(() => old.bootedWorkers().length >= 2, 'the new master\'s worker');
    old.signal('SIGWINCH');
    await waitFor(() => old.bootedWorkers().length === 1, 'the old worker to stop');
    process.kill(newPid, 'SIGTERM');
    await old.waitForLog(new RegExp(`New master \\(pid:${newPid}\\) exited`));
    old.signal('SIGHUP');
    await waitFor(() => old.bootedWorkers().length === 1 && isAlive(old.pid), 'a worker of the old master');
    const res = await fetch(`${url}/`);
    expect(await res.text()).toBe('Hello, World!\n');
  });
});
