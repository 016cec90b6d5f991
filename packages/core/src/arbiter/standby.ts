import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WORKER_ENTRY_URL } from '../paths.js';

/**
 * A worker process started as `pre` starts, before the arbiter has loaded its own modules and read the
 * settings: node's start and the worker runtime's modules then run beside the arbiter's instead of after
 * them (bench/startup: the first answer comes ~that much sooner). The arbiter's first spawn adopts it when
 * it is what that spawn would have started (same environment and working directory); the worker then gets
 * its listeners and heartbeat file over the IPC channel (worker/standby.ts). Otherwise, and when no worker
 * is spawned at all (`--version`, `--check-config`, an error), it is let go: it leaves when its IPC
 * channel closes.
 */
interface Standby {
  readonly child: ChildProcess;
  readonly cwd: string;
  readonly env: Readonly<NodeJS.ProcessEnv>;
}

let standby: Standby | null = null;

/** Invocations that never spawn a worker. */
const NO_WORKER_FLAGS = new Set(['-h', '--help', '-v', '--version', '--check-config', '--print-config', '-D', '--daemon']);

/** Called by bin/pre.js first thing; the arbiter's modules load after. */
export function startStandbyWorker(argv: readonly string[]): void {
  if (argv.some((arg) => NO_WORKER_FLAGS.has(arg))) return;
  const env = { ...process.env };
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(WORKER_ENTRY_URL)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env,
  });
  child.on('error', () => {}); // a failed spawn: the arbiter spawns its workers as usual
  standby = { child, cwd: process.cwd(), env };
}

/**
 * The standby worker, for the arbiter's first spawn, when it was started with `env` in `cwd` and is
 * still alive; null otherwise (and it is let go). Only ever returned once.
 */
export function takeStandbyWorker(env: Readonly<NodeJS.ProcessEnv>, cwd: string): ChildProcess | null {
  const taken = standby;
  standby = null;
  if (!taken) return null;
  const { child } = taken;
  const usable = child.connected && child.exitCode === null && child.signalCode === null && taken.cwd === cwd && sameEnv(taken.env, env);
  if (usable) return child;
  letGo(child);
  return null;
}

/** Lets the standby worker go if no spawn took it: called once the first workers are spawned. */
export function releaseStandbyWorker(): void {
  if (standby) letGo(standby.child);
  standby = null;
}

function letGo(child: ChildProcess): void {
  if (child.connected) child.disconnect(); // it exits when its channel closes
}

function sameEnv(a: Readonly<NodeJS.ProcessEnv>, b: Readonly<NodeJS.ProcessEnv>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
