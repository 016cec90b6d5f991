/**
 * One `pre` under test: started with the class, an app and the case's settings on a free port of
 * 127.0.0.1, watched through its error log (debug level), stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { KitOptions } from './options.js';

export interface ServerSpec {
  app: string;
  /** pre settings for this server (before the user's extra arguments). */
  args?: string[];
  workers?: number;
  env?: Record<string, string>;
  /** The settings (names as in the registry) the cases need: a refusal naming one counts as honest. */
  settings?: string[];
}

/** pre exited at start-up and its message names the setting and the class: the class is honest. */
export class RefusedAtStartup extends Error {}
/** pre did not come up, for another reason. */
export class StartupFailure extends Error {}

const BOOT_TIMEOUT_MS = 20_000;

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class PreServer {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  stdout = '';
  #onOutput = new Set<() => void>();

  private constructor(child: ChildProcess, port: number) {
    this.child = child;
    this.port = port;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.#wake();
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.#wake();
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      resolve({ code, signal });
      this.#wake();
    }));
  }

  /** Starts pre and resolves once `workers` workers have booted; throws RefusedAtStartup or StartupFailure. */
  static async start(options: KitOptions, spec: ServerSpec): Promise<PreServer> {
    const workers = spec.workers ?? 1;
    const port = await freePort();
    const args = [
      options.preBinary, spec.app, '--worker-class', options.workerClass, '--bind', `127.0.0.1:${port}`,
      '--workers', String(workers), '--log-level', 'debug', ...(spec.args ?? []), ...options.preArgs,
    ];
    if (options.verbose) process.stderr.write(`  $ pre ${args.slice(1).join(' ')}\n`);
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { ...process.env, PRE_CMD_ARGS: '', WEB_CONCURRENCY: '', PORT: '', ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new PreServer(child, port);
    const booted = await server.waitUntil(() => server.exitedCode() !== null || server.bootedPids().length >= workers, BOOT_TIMEOUT_MS);
    if (server.exitedCode() !== null || !booted) {
      await server.stop();
      throw server.#startupError(options, spec, booted);
    }
    return server;
  }

  #startupError(options: KitOptions, spec: ServerSpec, booted: boolean): Error {
    const log = this.stderr.trim();
    if (!booted && this.exitedCode() === null) return new StartupFailure(`no worker booted within ${BOOT_TIMEOUT_MS / 1000} s: ${lastLines(log)}`);
    const message = lastLines(log);
    const settings = spec.settings ?? [];
    const namesSetting = settings.find((s) => log.includes(s) || log.includes(`--${s.replaceAll('_', '-')}`));
    const classNames = classNamesOf(options.workerClass);
    const namesClass = classNames.some((name) => log.includes(name));
    if (namesSetting && namesClass) return new RefusedAtStartup(message);
    return new StartupFailure(`pre exited with ${this.exitedCode()} at start-up: ${message}`);
  }

  exitedCode(): number | string | null {
    return this.child.exitCode ?? this.child.signalCode;
  }

  #wake(): void {
    for (const waiter of this.#onOutput) waiter();
  }

  /** Resolves true when `check` holds (checked on every output line and every 50 ms), false after `timeoutMs`. */
  waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.#onOutput.delete(waiter);
        resolve(value);
      };
      const waiter = (): void => {
        if (check()) done(true);
      };
      const poll = setInterval(waiter, 50);
      const timer = setTimeout(() => done(check()), timeoutMs);
      this.#onOutput.add(waiter);
    });
  }

  /** Every worker pid pre has started ("Booting worker with pid"). */
  startedPids(): number[] {
    return [...this.stderr.matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]));
  }

  /** Workers that logged "Worker booted" and are still alive. */
  bootedPids(): number[] {
    const pids = [...this.stderr.matchAll(/Worker booted \(pid: (\d+)\)/g)].map((m) => Number(m[1]));
    return [...new Set(pids)].filter(isAlive);
  }

  /** Log lines that say a worker died or was killed. */
  crashLines(): string[] {
    return this.stderr.split('\n').filter((line) => /Worker \(pid:\d+\) (exited with code|was sent)|WORKER TIMEOUT|Worker failed to boot/.test(line));
  }

  signal(signal: NodeJS.Signals): void {
    if (this.exitedCode() === null) process.kill(this.child.pid!, signal);
  }

  /** TERM, then KILL (this process and the workers it logged) if it lingers. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.exitedCode() !== null) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      for (const pid of this.startedPids()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      this.child.kill('SIGKILL');
    }, timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The ways a start-up message can name the class under test: as given, its export, its file. */
function classNamesOf(spec: string): string[] {
  const [file, exportName] = spec.split(':');
  const names = [spec, file!, file!.split('/').pop()!.replace(/\.[cm]?js$/, '')];
  if (exportName) names.push(exportName);
  if (!spec.includes('/') && !spec.includes(':')) names.push(`@pre/worker-${spec}`);
  return names.filter((n) => n.length > 1);
}

function lastLines(text: string, count = 6): string {
  return text.split('\n').filter(Boolean).slice(-count).join(' | ');
}
