import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HELLO, PRE_BIN, ROOT, startPre, stopAll, waitFor } from '../helpers/pre.js';

// `pre ctl`'s interactive prompt (history) and `pre ctl top`, through pipes and through a real
// terminal (util-linux `script` gives the client a pty, so raw keys and ANSI redraws are exercised).

const dirs: string[] = [];
const children = new Set<ChildProcess>();

afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  await stopAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-ctl-'));
  dirs.push(dir);
  return dir;
}

/** A running client: `pre ctl ARGS` directly, or inside `script` for a terminal. */
class Client {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], options: { home: string; tty?: boolean }) {
    const command = [process.execPath, PRE_BIN, 'ctl', ...args];
    this.child = options.tty
      ? spawn('script', ['-qfec', command.map((a) => `'${a}'`).join(' '), '/dev/null'], { cwd: ROOT, env: { ...process.env, HOME: options.home, TERM: 'xterm' } })
      : spawn(command[0]!, command.slice(1), { cwd: ROOT, env: { ...process.env, HOME: options.home } });
    children.add(this.child);
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    this.exited = new Promise((resolve) => this.child.once('close', (code) => (clearTimeout(timer), resolve(code))));
  }

  write(text: string): void {
    this.child.stdin!.write(text);
  }

  async waitForOutput(pattern: RegExp, what: string): Promise<void> {
    await waitFor(() => pattern.test(this.stdout) || (this.child.exitCode !== null && fail(`client exited before ${what}:\n${this.stdout}\n${this.stderr}`)), what);
  }
}

function fail(message: string): never {
  throw new Error(message);
}

async function startWithSocket(workers: number): Promise<{ pre: ReturnType<typeof startPre>; socket: string; home: string }> {
  const home = tempDir();
  const socket = path.join(home, 'pre.ctl');
  const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug', '-w', String(workers), '--control-socket', socket]);
  await pre.ready(workers);
  return { pre, socket, home };
}

describe('pre ctl interactive', () => {
  it('reads commands from a pipe, reports errors and keeps going, and saves them to ~/.pre_ctl_history', async () => {
    const { pre, socket, home } = await startWithSocket(1);
    const session = new Client(['--socket', socket], { home });
    session.write('show stats\nworker add\nbogus command\n\nshow listeners\nquit\nshow workers\n');
    expect(await session.exited).toBe(0);
    expect(session.stdout).toContain(`Connected to pre at ${socket} (master ${pre.pid})`);
    expect(session.stdout).toMatch(new RegExp(`^master\\s+${pre.pid} `, 'm'));
    expect(session.stdout).toContain('Target number of workers: 2');
    expect(session.stdout).toContain(await pre.url());
    expect(session.stdout).not.toMatch(/^PID\s+AGE/m); // nothing runs after quit
    expect(session.stderr).toContain("Unknown command 'bogus command'");
    await pre.waitForWorkers(2);
    expect(readFileSync(path.join(home, '.pre_ctl_history'), 'utf8')).toBe('show stats\nworker add\nbogus command\nshow listeners\nquit\n');
  });

  it('recalls the saved history with the up arrow on a terminal', async () => {
    const { pre, socket, home } = await startWithSocket(1);
    writeFileSync(path.join(home, '.pre_ctl_history'), 'show workers\nshow listeners\n');
    const session = new Client(['--socket', socket], { home, tty: true });
    await session.waitForOutput(/pre> /, 'the prompt');
    session.write('\x1b[A\r'); // up arrow: the newest entry, "show listeners"
    await session.waitForOutput(new RegExp((await pre.url()).replace(/\./g, '\\.')), 'the listener line');
    session.write('quit\r');
    expect(await session.exited).toBe(0);
  });
});

describe('pre ctl top', () => {
  it('prints --iterations frames of worker rows and exits 0; --json prints one object per frame', async () => {
    const { pre, socket, home } = await startWithSocket(2);
    const top = new Client(['--socket', socket, 'top', '--iterations', '3', '--interval', '0.2'], { home });
    expect(await top.exited).toBe(0);
    const frames = top.stdout.split(/\n(?=pre \S+ · master)/);
    expect(frames).toHaveLength(3);
    for (const frame of frames) {
      expect(frame).toContain(`master ${pre.pid} [hello]`);
      expect(frame).toMatch(/workers 2\/2 \(async\)/);
      for (const pid of pre.bootedWorkers()) expect(frame).toMatch(new RegExp(`^${pid}\\s+\\d+\\s+0\\s+booted\\s`, 'm'));
    }
    expect(frames[1]).toMatch(/\d+\.\d req\/s/); // a rate from the second frame on

    const json = new Client(['--socket', socket, '--json', 'top', '-n', '2', '--interval', '0.2'], { home });
    expect(await json.exited).toBe(0);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { stats: { pid: number }; workers: { pid: number }[] });
    expect(lines).toHaveLength(2);
    expect(lines[1]!.stats.pid).toBe(pre.pid);
    expect(lines[1]!.workers.map((w) => w.pid).sort()).toEqual(pre.bootedWorkers().sort());
  });

  it('redraws the screen on a terminal and quits on q', async () => {
    const { pre, socket, home } = await startWithSocket(1);
    const top = new Client(['--socket', socket, 'top', '--interval', '0.2'], { home, tty: true });
    // Two redraws: clear-screen sequences before each frame.
    await top.waitForOutput(/(\x1b\[H\x1b\[2Jpre [^]*){2}/, 'two redrawn frames');
    expect(top.stdout).toContain(`master ${pre.pid} [hello]`);
    expect(top.stdout).toContain('q: quit');
    top.write('q');
    expect(await top.exited).toBe(0);
    expect(top.stdout).toContain('\x1b[?25h'); // the cursor is shown again
  });

  it('exits 1 with a clear message when pre shuts down under it', async () => {
    const { pre, socket, home } = await startWithSocket(1);
    const top = new Client(['--socket', socket, 'top', '--interval', '0.2'], { home });
    await top.waitForOutput(/booted/, 'the first frame');
    pre.signal('SIGTERM');
    expect(await top.exited).toBe(1);
    expect(top.stderr).toMatch(/connection to pre was closed|Cannot connect|Control socket error/);
  });
});
