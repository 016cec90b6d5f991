import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HELLO, PRE_BIN, ROOT, isAlive, startPre, stopAll, waitFor } from '../helpers/pre.js';

// `pre ctl` against a real `pre`: the commands, their replies and errors, and the socket's safety rules.

const dirs: string[] = [];
const children = new Set<ChildProcess>();
/** New masters started by USR2 (not children of the test). */
const masters: number[] = [];

afterEach(async () => {
  for (const pid of masters.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
  await stopAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempSocket(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-ctl-'));
  dirs.push(dir);
  return path.join(dir, 'pre.ctl');
}

interface CtlResult { code: number | null; stdout: string; stderr: string }

/** Runs `pre ctl [--socket SOCKET] ARGS...` to completion (killed after 20 s). */
function ctl(socket: string | null, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CtlResult> {
  const socketArgs = socket === null ? [] : ['--socket', socket];
  const child = spawn(process.execPath, [PRE_BIN, 'ctl', ...socketArgs, ...args], { cwd: ROOT, env: { ...process.env, PRE_CONTROL_SOCKET: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => child.once('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
}

async function ctlJson<T>(socket: string, args: readonly string[]): Promise<T> {
  const result = await ctl(socket, ['--json', ...args]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

async function startWithSocket(workers: number, extra: readonly string[] = []): Promise<{ pre: ReturnType<typeof startPre>; socket: string; url: string }> {
  const socket = tempSocket();
  const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug', '-w', String(workers), '--control-socket', socket, ...extra]);
  const url = await pre.ready(workers);
  return { pre, socket, url };
}

interface WorkerRow { pid: number; age: number; booted: boolean; retiring: boolean; startedAt: number; lastHeartbeat: number; requests: number; rss: number | null; cpu: number | null }

/** Sends raw lines over the control socket and collects `count` reply lines. */
function rawExchange(socket: string, payload: string, count: number): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socket);
    let buffer = '';
    const timer = setTimeout(() => (conn.destroy(), reject(new Error(`no ${count} replies; got: ${buffer}`))), 10_000);
    conn.setEncoding('utf8');
    conn.on('data', (d: string) => {
      buffer += d;
      const lines = buffer.split('\n').filter(Boolean);
      if (lines.length >= count) {
        clearTimeout(timer);
        conn.destroy();
        resolve(lines.map((l) => JSON.parse(l) as Record<string, unknown>));
      }
    });
    conn.on('error', reject);
    conn.write(payload);
  });
}

describe('pre ctl show', () => {
  it('shows workers with heartbeat, requests, RSS and CPU; stats, listeners and config', async () => {
    const { pre, socket, url } = await startWithSocket(2);
    for (let i = 0; i < 6; i++) await (await request(`${url}/`)).body.text();

    // Workers report their request counts every second.
    const rows = await waitFor(async () => {
      const workers = await ctlJson<WorkerRow[]>(socket, ['show', 'workers']);
      return workers.reduce((sum, w) => sum + w.requests, 0) === 6 ? workers : null;
    }, 'the 6 requests to show up in show workers');
    expect(rows.map((w) => w.pid).sort()).toEqual(pre.bootedWorkers().sort());
    for (const w of rows) {
      expect(w.booted).toBe(true);
      expect(w.rss).toBeGreaterThan(1024 * 1024);
      expect(w.cpu).toBeGreaterThanOrEqual(0);
      expect(Date.now() - w.lastHeartbeat).toBeLessThan(30_000);
    }

    const human = await ctl(socket, ['show', 'workers']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^PID\s+AGE\s+GEN\s+STATE\s+UPTIME\s+HEARTBEAT\s+REQUESTS\s+RSS\s+CPU%/);
    for (const w of rows) expect(human.stdout).toMatch(new RegExp(`^${w.pid}\\s+${w.age}\\s+0\\s+booted\\s.*MiB`, 'm'));

    const stats = await ctlJson<Record<string, unknown>>(socket, ['show', 'stats']);
    expect(stats).toMatchObject({ pid: pre.pid, numWorkers: 2, liveWorkers: 2, requests: 6, workerClass: 'async', reloads: 0 });
    expect((await ctl(socket, ['show', 'stats'])).stdout).toMatch(new RegExp(`^master\\s+${pre.pid} \\(`, 'm'));

    const listeners = await ctlJson<{ url: string }[]>(socket, ['show', 'listeners']);
    expect(listeners.map((l) => l.url)).toEqual([url]);

    const config = await ctlJson<Record<string, unknown>>(socket, ['show', 'config']);
    expect(config).toMatchObject({ workers: 2, bind: ['127.0.0.1:0'], control_socket: socket });
    expect((await ctl(socket, ['show', 'config'])).stdout).toMatch(/^workers\s+= 2$/m);
  });
});

describe('pre ctl actions', () => {
  it('worker add, worker remove and worker kill change the workers', async () => {
    const { pre, socket } = await startWithSocket(1);
    expect((await ctl(socket, ['worker', 'add', '2'])).stdout).toContain('Target number of workers: 3');
    await pre.waitForWorkers(3);
    expect(await ctlJson(socket, ['worker', 'remove', '2'])).toEqual({ numWorkers: 1 });
    const [survivor] = await pre.waitForWorkers(1);
    expect(await ctlJson(socket, ['worker', 'remove'])).toEqual({ numWorkers: 1 }); // never below one

    expect(await ctlJson(socket, ['worker', 'kill', String(survivor), 'KILL'])).toEqual({ pid: survivor, signal: 'SIGKILL' });
    await pre.waitForLog(new RegExp(`Worker \\(pid:${survivor}\\) was sent SIGKILL`));
    const [replacement] = await pre.waitForWorkers(1);
    expect(replacement).not.toBe(survivor);

    const missing = await ctl(socket, ['worker', 'kill', '999999999']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No worker has pid 999999999');
    expect(missing.stderr).toContain('PRE_ERR_CTL_NO_SUCH_WORKER');
  });

  it('reload starts a new generation, reopen is USR1, shutdown stops pre and removes the socket', async () => {
    const { pre, socket } = await startWithSocket(1);
    const [old] = pre.bootedWorkers();
    expect((await ctl(socket, ['reload'])).stdout).toContain('Reload requested');
    await pre.waitForLog(/Handling signal: hup/);
    await waitFor(() => !isAlive(old!), 'the old worker to retire');
    await pre.waitForWorkers(1);
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ reloads: 1 });
    expect((await ctlJson<WorkerRow[]>(socket, ['show', 'workers']))[0]).toMatchObject({ generation: 1 });

    await ctl(socket, ['reopen']);
    await pre.waitForLog(/Handling signal: usr1/);

    expect((await ctl(socket, ['shutdown'])).stdout).toContain('Shutdown (graceful) requested');
    expect(await pre.exited).toEqual({ code: 0, signal: null });
    expect(pre.stderr).toMatch(/Handling signal: term/);
    expect(existsSync(socket)).toBe(false);
  });

  it('shutdown quick stops the workers at once (QUIT)', async () => {
    const { pre, socket } = await startWithSocket(1);
    expect(await ctlJson(socket, ['shutdown', 'quick'])).toEqual({ shutdown: 'quick' });
    expect(await pre.exited).toEqual({ code: 0, signal: null });
    expect(pre.stderr).toMatch(/Handling signal: quit/);
  });
});

describe('pre ctl errors', () => {
  it('answers bad commands and malformed requests with an error, and keeps serving', async () => {
    const { pre, socket, url } = await startWithSocket(1);
    const cases: [string[], RegExp][] = [
      [['bogus'], /Unknown command 'bogus'.*show workers/],
      [['worker', 'add', '0'], /N must be a whole number from 1 to 100/],
      [['worker', 'add', 'many'], /N must be a whole number/],
      [['worker', 'kill', 'abc'], /'abc' is not a pid/],
      [['worker', 'kill', '1', 'HUP'], /Signal must be one of TERM, QUIT, INT, KILL, ABRT/],
      [['shutdown', 'now'], /Usage: shutdown \[graceful\|quick\]/],
      [['show', 'stats', 'extra'], /takes no arguments/],
    ];
    for (const [args, message] of cases) {
      const result = await ctl(socket, args);
      expect(result.code, args.join(' ')).toBe(args[0] === 'bogus' ? 2 : 1); // an unknown command is bad usage: exit 2
      expect(result.stderr).toMatch(message);
    }
    const json = await ctl(socket, ['--json', 'bogus']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'PRE_ERR_CTL_UNKNOWN_COMMAND' } });

    const replies = await rawExchange(socket, '{not json\n{"command": 5}\n{"id": 7, "command": ["show", "stats"]}\nshow listeners\n', 4);
    expect(replies[0]).toMatchObject({ ok: false, error: { code: 'PRE_ERR_CTL_BAD_REQUEST' } });
    expect(replies[1]).toMatchObject({ ok: false, error: { code: 'PRE_ERR_CTL_BAD_REQUEST' } });
    expect(replies[2]).toMatchObject({ id: 7, ok: true, result: { pid: pre.pid } });
    expect(replies[3]).toMatchObject({ ok: true, result: [{ url }] });

    const [tooLong] = await rawExchange(socket, 'x'.repeat(64 * 1024), 1);
    expect(tooLong).toMatchObject({ ok: false, error: { code: 'PRE_ERR_CTL_BAD_REQUEST' } });

    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: pre.pid, liveWorkers: 1 });
    expect(await (await request(`${url}/`)).body.text()).toBe('Hello, World!\n');
  });

  it('reports a missing socket and bad usage with exit codes 1 and 2', async () => {
    const socket = tempSocket();
    const missing = await ctl(socket, ['show', 'workers']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`Cannot connect to control socket ${socket}: ENOENT`);
    // Without --socket: $PRE_CONTROL_SOCKET, else $XDG_RUNTIME_DIR/pre.ctl, else ~/.pre/pre.ctl.
    expect((await ctl(null, ['show', 'stats'], { PRE_CONTROL_SOCKET: socket })).stderr).toContain(`control socket ${socket}:`);
    const dir = path.dirname(socket);
    expect((await ctl(null, ['show', 'stats'], { XDG_RUNTIME_DIR: dir })).stderr).toContain(`control socket ${path.join(dir, 'pre.ctl')}:`);
    expect((await ctl(null, ['show', 'stats'], { XDG_RUNTIME_DIR: '', HOME: dir })).stderr).toContain(`control socket ${path.join(dir, '.pre', 'pre.ctl')}:`);
    const usage = await ctl(socket, ['--frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Unknown option --frobnicate');
    const help = await ctl(socket, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/worker kill PID \[SIGNAL\]/);
  });
});

describe('control socket file', () => {
  it('is created with mode 0600 by default, or control_socket_mode', async () => {
    const first = await startWithSocket(1);
    expect(statSync(first.socket).mode & 0o777).toBe(0o600);
    expect(statSync(first.socket).isSocket()).toBe(true);
    const second = await startWithSocket(1, ['--control-socket-mode', '660']);
    expect(statSync(second.socket).mode & 0o777).toBe(0o660);
  });

  it('refuses a path that is not a socket, and a socket another process listens on', async () => {
    const file = tempSocket();
    writeFileSync(file, 'precious');
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--control-socket', file]);
    expect((await pre.exited).code).not.toBe(0);
    expect(pre.stderr).toContain(`Control socket path ${file} exists and is not a socket; refusing to replace it`);
    expect(readFileSync(file, 'utf8')).toBe('precious');

    const busy = tempSocket();
    const other = net.createServer();
    await new Promise<void>((resolve) => other.listen(busy, resolve));
    try {
      const second = startPre([HELLO, '-b', '127.0.0.1:0', '--control-socket', busy]);
      expect((await second.exited).code).not.toBe(0);
      expect(second.stderr).toContain(`Control socket ${busy} is in use by another running process`);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('replaces a stale socket left by a killed process', async () => {
    const socket = tempSocket();
    // A process that dies by SIGKILL while listening leaves its socket file behind.
    const leaver = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await new Promise((resolve) => leaver.once('exit', resolve));
    expect(statSync(socket).isSocket()).toBe(true);
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug', '--control-socket', socket]);
    await pre.ready(1);
    expect(pre.stderr).toContain(`Removing stale control socket ${socket}`);
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: pre.pid });
  });

  it('a new master started by USR2 takes the socket over and keeps it after the old master exits', async () => {
    const { pre: old, socket } = await startWithSocket(1);
    old.signal('SIGUSR2');
    const newPid = Number((await old.waitForLog(/Started new master with pid: (\d+)/))[1]);
    masters.push(newPid);
    await old.waitForLog(new RegExp(`\\[${newPid}\\] \\[INFO\\] Control socket at: `));
    expect(old.stderr).toContain(`Taking over control socket ${socket} from the old master`);
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: newPid });

    old.signal('SIGTERM');
    expect((await old.exited).code).toBe(0);
    expect(statSync(socket).isSocket()).toBe(true);
    expect(await ctlJson(socket, ['show', 'stats'])).toMatchObject({ pid: newPid });
    await ctl(socket, ['shutdown']);
    await waitFor(() => !isAlive(newPid), 'the new master to exit');
    expect(existsSync(socket)).toBe(false);
  });
});
