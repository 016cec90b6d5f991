import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import path from 'node:path';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const PRE_BIN = path.join(ROOT, 'packages/core/bin/pre.js');
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const HELLO = path.join(ROOT, 'apps/hello');

/** Polls `check` until it returns a truthy value; fails after `timeoutMs` with `what`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<Awaited<T>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<Awaited<T>>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The control socket is on by default at $XDG_RUNTIME_DIR/pre.ctl: each pre a test starts gets its own
 * runtime dir under one temporary folder (removed when the test process exits), never the real one.
 */
const RUNTIME_DIRS = mkdtempSync(path.join(os.tmpdir(), 'pre-e2e-run-'));
process.once('exit', () => rmSync(RUNTIME_DIRS, { recursive: true, force: true }));
let runtimeDirs = 0;

export function newRuntimeDir(): string {
  const dir = path.join(RUNTIME_DIRS, String(++runtimeDirs));
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** A running `pre` CLI: its output, its address, and its workers as its own log reports them. */
export class PreProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: readonly string[], options: RunOptions = {}) {
    this.child = spawn(process.execPath, [PRE_BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, PRE_CMD_ARGS: '', WEB_CONCURRENCY: '', PORT: '', XDG_RUNTIME_DIR: newRuntimeDir(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first listener's URL, from the "Listening at:" line. */
  async url(): Promise<string> {
    const match = await this.waitForLog(/Listening at: (https?:\/\/\S+)/);
    return match[1]!;
  }

  /**
   * The URL once `workers` workers have booted. The socket is bound at start but only listens once
   * the first worker calls listen(), so a connection before then is refused.
   */
  async ready(workers = 1): Promise<string> {
    const url = await this.url();
    await this.waitForWorkers(workers);
    return url;
  }

  async waitForLog(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    return waitFor(() => this.stderr.match(pattern) ?? this.#failIfExited(pattern), `log ${pattern}`, timeoutMs);
  }

  #failIfExited(pattern: RegExp): null {
    if (this.child.exitCode !== null) throw new Error(`pre exited (${this.child.exitCode}) before logging ${pattern}:\n${this.stderr}`);
    return null;
  }

  /** Worker pids that logged "Worker booted" (needs --log-level debug) and are still alive. */
  bootedWorkers(): number[] {
    const pids = [...this.stderr.matchAll(/Worker booted \(pid: (\d+)\)/g)].map((m) => Number(m[1]));
    return [...new Set(pids)].filter(isAlive);
  }

  async waitForWorkers(count: number, timeoutMs = 20_000): Promise<number[]> {
    return waitFor(() => {
      this.#failIfExited(/Worker booted/);
      const pids = this.bootedWorkers();
      return pids.length === count ? pids : null;
    }, `${count} booted workers`, timeoutMs);
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /** TERM, then KILL if it lingers; only this process and the workers it logged. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      for (const pid of [...this.stderr.matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]))) {
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
      this.child.kill('SIGKILL');
    }, 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

const running = new Set<PreProcess>();

export function startPre(args: readonly string[], options: RunOptions = {}): PreProcess {
  const pre = new PreProcess(args, options);
  running.add(pre);
  void pre.exited.then(() => running.delete(pre));
  return pre;
}

/** Stops every `pre` a test started (call from afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((pre) => pre.stop()));
}

/** Runs `pre` to completion (for --print-config, errors and the like). */
export async function runPre(args: readonly string[], options: RunOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const pre = startPre(args, options);
  const { code } = await pre.exited;
  return { code, stdout: pre.stdout, stderr: pre.stderr };
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for classes that refuse port 0, and for peers). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
