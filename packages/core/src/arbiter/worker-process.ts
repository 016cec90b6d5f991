import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, fchownSync, fstatSync, futimesSync, openSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerProcessInfo } from '../hooks.js';
import { HEARTBEAT_FD, type WorkerInitMessage, type WorkerMessage } from '../worker/protocol.js';

const ENTRY = fileURLToPath(new URL('../worker/entry.js', import.meta.url));

export interface SpawnOptions {
  readonly age: number;
  readonly generation: number;
  readonly tmpDir: string | null;
  /** The worker's identity after it drops privileges: it must still be able to touch its heartbeat file. */
  readonly owner: { uid: number; gid: number } | null;
  /** Listener fds in the arbiter, in order; the worker sees them from FIRST_LISTENER_FD on. */
  readonly listenerFds: readonly number[];
  readonly env: NodeJS.ProcessEnv;
  readonly init: (heartbeatFd: number) => WorkerInitMessage;
  readonly onMessage: (worker: WorkerProcess, message: WorkerMessage) => void;
  readonly onExit: (worker: WorkerProcess) => void;
}

/** The arbiter's view of one worker process. */
export class WorkerProcess implements WorkerProcessInfo {
  readonly age: number;
  /** Workers of an older generation are replaced once the current one has booted (HUP). */
  generation: number;
  readonly child: ChildProcess;
  readonly spawnedAt = Date.now();
  booted = false;
  /** Set when the worker was told to stop (or said it is leaving); it no longer counts toward `workers`. */
  retiringSince: number | null = null;
  /** Asked to be replaced (max_requests) but serves until its replacement does; then it is retired. */
  awaitingReplacement = false;
  /** Set when the heartbeat timed out and SIGABRT was sent. */
  abortedAt: number | null = null;
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  /** Requests served, as last reported by the worker. */
  requests = 0;
  /** The last error message the worker reported before exiting. */
  failure: string | null = null;
  readonly #heartbeatFd: number;
  readonly exited: Promise<void>;

  constructor(options: SpawnOptions) {
    this.age = options.age;
    this.generation = options.generation;
    this.#heartbeatFd = createHeartbeatFile(options.tmpDir ?? defaultTmpDir(), options.age);
    if (options.owner) fchownSync(this.#heartbeatFd, options.owner.uid, options.owner.gid);
    const stdio: (number | 'inherit' | 'ipc')[] = ['inherit', 'inherit', 'inherit', 'ipc', this.#heartbeatFd, ...options.listenerFds];
    this.child = spawn(process.execPath, [...process.execArgv, ENTRY], { stdio, env: options.env });
    this.child.on('message', (message: WorkerMessage) => options.onMessage(this, message));
    this.child.on('error', () => {}); // a failed kill on an exited pid; 'exit' still reports
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes once the IPC channel is drained, so the worker's last messages
      // (its final request count and metrics) are handled before the arbiter reaps it.
      this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.exitCode = code;
        this.signal = signal;
        closeSync(this.#heartbeatFd);
        options.onExit(this);
        resolve();
      });
    });
    this.child.send(options.init(HEARTBEAT_FD));
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** When the worker last touched its heartbeat file (ms since the epoch). */
  lastHeartbeat(): number {
    return fstatSync(this.#heartbeatFd).ctimeMs;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }
}


function defaultTmpDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

/** An unlinked file only the arbiter and the worker hold open (Gunicorn's WorkerTmp). */
function createHeartbeatFile(dir: string, age: number): number {
  const file = path.join(dir, `pre-heartbeat-${process.pid}-${age}-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(file, 'wx', 0o600);
  unlinkSync(file);
  const now = Date.now() / 1000;
  futimesSync(fd, now, now);
  return fd;
}
