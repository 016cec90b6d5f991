import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/nginx.js';
import { FIXTURES, HELLO, isAlive, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';

const daemons: number[] = [];
afterEach(async () => {
  for (const pid of daemons.splice(0)) {
    if (isAlive(pid)) process.kill(pid, 'SIGTERM');
    await waitFor(() => !isAlive(pid), `daemon ${pid} to exit`);
  }
  await stopAll();
});

describe('daemon', () => {
  it('detaches: the command exits 0, the arbiter runs on in its own session, WINCH stops its workers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-daemon-'));
    const [pidfile, errorlog] = [path.join(dir, 'pre.pid'), path.join(dir, 'error.log')];
    const port = await freePort();
    const { code } = await runPre([HELLO, '-D', '-b', `127.0.0.1:${port}`, '-p', pidfile, '--error-logfile', errorlog, '--log-level', 'debug']);
    expect(code).toBe(0);
    const pid = Number(readFileSync(pidfile, 'utf8'));
    daemons.push(pid);
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]).toBe(String(pid)); // session leader
    await waitFor(() => readFileSync(errorlog, 'utf8').includes('Worker booted'), 'a booted worker');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('Hello, World!\n');
    process.kill(pid, 'SIGWINCH');
    await waitFor(() => readFileSync(errorlog, 'utf8').includes('stopping the workers gracefully'), 'WINCH');
    await waitFor(() => readFileSync(errorlog, 'utf8').includes('Worker exiting'), 'the worker to stop');
    expect(isAlive(pid)).toBe(true);
  });

  it('reports a start-up error from the detached arbiter and exits non-zero', async () => {
    const port = await freePort();
    const blocker = startPre([HELLO, '-b', `127.0.0.1:${port}`, '--log-level', 'debug']);
    await blocker.ready();
    const { code, stderr } = await runPre([HELLO, '-D', '-b', `127.0.0.1:${port}`]);
    expect(code).toBe(1);
    expect(stderr).toContain(`Cannot bind 127.0.0.1:${port}: the address is already in use`);
  });
});

/** The fd by which worker `pid` holds its (unlinked) heartbeat file. */
function heartbeatFd(pid: number): string {
  const fds = readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).includes('/pre-heartbeat-');
    } catch {
      return false; // closed meanwhile
    }
  });
  expect(fds).toHaveLength(1);
  return fds[0]!;
}

const canSwitchUsers = process.getuid?.() === 0 && spawnSync('useradd', ['--help']).status === 0;
const TEST_USER = 'pre-e2e-user';

describe('privileges', () => {
  it.skipIf(!canSwitchUsers)('binds as root, runs the workers as the given user and group', async () => {
    if (spawnSync('id', [TEST_USER]).status !== 0) {
      expect(spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', TEST_USER]).status).toBe(0);
    }
    const uid = Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout);
    const gid = Number(spawnSync('id', ['-g', TEST_USER], { encoding: 'utf8' }).stdout);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'pre-priv-'));
    chmodSync(tmp, 0o755);
    const pre = startPre([path.join(FIXTURES, 'whoami.js'), '-b', '127.0.0.1:0', '-u', TEST_USER, '-g', TEST_USER, '--worker-tmp-dir', tmp, '--log-level', 'debug']);
    const url = await pre.ready();
    const [worker] = pre.bootedWorkers();
    expect(JSON.parse(await (await fetch(url)).text())).toEqual({ uid, gid, groups: [gid] });
    expect(readFileSync(`/proc/${worker}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}`, 'm'));
    expect(readFileSync(`/proc/${pre.pid}/status`, 'utf8')).toMatch(/^Uid:\s+0\s/m);
    // The unprivileged worker can still touch its heartbeat: it is not killed by a 2 s timeout.
    const timed = startPre([path.join(FIXTURES, 'whoami.js'), '-b', '127.0.0.1:0', '-u', TEST_USER, '-t', '2', '--log-level', 'debug']);
    await timed.ready();
    const first = timed.bootedWorkers()[0]!;
    // The heartbeat file (fd 4 of a spawned worker; a standby worker opened it later: arbiter/standby.ts)
    // keeps being touched after the worker dropped root.
    const heartbeat = `/proc/${first}/fd/${heartbeatFd(first)}`;
    const since = Date.now();
    await waitFor(() => statSync(heartbeat).mtimeMs > since + 1000, 'a heartbeat from the unprivileged worker');
    expect(timed.stderr).not.toContain('WORKER TIMEOUT');
    expect(timed.bootedWorkers()).toEqual([first]);
  });

  it('names the user when it does not exist', async () => {
    const { code, stderr } = await runPre([HELLO, '-u', 'no-such-user-here', '-b', '127.0.0.1:0']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/setting 'user'.*"no-such-user-here"\. No such user\.|needs pre to start as root/);
  });
});
