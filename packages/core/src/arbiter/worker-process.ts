import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, fchownSync, fstatSync, futimesSync, openSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerHandle } from './worker-pool.js';
import { WORKER_ENTRY_URL } from '../paths.js';
import { HEARTBEAT_FD, type WorkerInitMessage, type WorkerMessage } from '../worker/protocol.js';

const ENTRY = fileURLToPath(WORKER_ENTRY_URL);

export interface SpawnOptions {
  readonly age: number;
  readonly tmpDir: string | null;
  /** The worker's identity after it drops privileges: it must still be able to touch its heartbeat file. */
  readonly owner: { uid: number; gid: number } | null;
  /** Listener fds in the arbiter, in order; the worker sees them from FIRST_LISTENER_FD on. */
  readonly listenerFds: readonly number[];
  /** The same listeners' handles, for a standby worker (sent over IPC). */
  readonly listenerHandles: readonly object[];
  /** A worker process already started (arbiter/standby.ts) to adopt instead of spawning one. */
  readonly standby: ChildProcess | null;
  readonly env: NodeJS.ProcessEnv;
  readonly init: (heartbeatFd: number) => WorkerInitMessage;
  readonly onMessage: (message: WorkerMessage) => void;
  readonly onExit: (exitCode: number | null, signal: NodeJS.Signals | null) => void;
}

/** One worker process (`worker/entry.js`) and its heartbeat file; the supervision state is in WorkerPool. */
export class WorkerProcess implements WorkerHandle {
  readonly child: ChildProcess;
  readonly #heartbeatFd: number;
  readonly exited: Promise<void>;

  constructor(options: SpawnOptions) {
    const heartbeat = createHeartbeatFile(options.tmpDir ?? defaultTmpDir(), options.age, options.standby !== null);
    this.#heartbeatFd = heartbeat.fd;
    if (options.owner) fchownSync(this.#heartbeatFd, options.owner.uid, options.owner.gid);
    if (options.standby) {
      this.child = options.standby;
    } else {
      const stdio: (number | 'inherit' | 'ipc')[] = ['inherit', 'inherit', 'inherit', 'ipc', this.#heartbeatFd, ...options.listenerFds];
      this.child = spawn(process.execPath, [...process.execArgv, ENTRY], { stdio, env: options.env });
    }
    this.child.on('message', (message: WorkerMessage) => options.onMessage(message));
    this.child.on('error', () => {}); // a failed kill on an exited pid; 'exit' still reports
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes once the IPC channel is drained, so the worker's last messages
      // (its final request count and metrics) are handled before the arbiter reaps it.
      this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        closeSync(this.#heartbeatFd);
        if (heartbeat.path) unlinkQuietly(heartbeat.path); // the worker unlinks it once open: unless it died first
        options.onExit(code, signal);
        resolve();
      });
    });
    if (!heartbeat.path) {
      this.child.send(options.init(HEARTBEAT_FD));
      return;
    }
    this.child.send({ ...options.init(-1), standby: { heartbeatPath: heartbeat.path } });
    options.listenerHandles.forEach((handle, index) => this.child.send({ type: 'listener_handle', index }, handle as never));
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

  /** Sends an IPC message (with a handle, for listener copies); false when the worker is gone. */
  send(message: unknown, handle?: unknown): boolean {
    if (!this.alive || !this.child.connected) return false;
    if (handle === undefined) this.child.send(message as never);
    else this.child.send(message as never, handle as never);
    return true;
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

/**
 * An unlinked file only the arbiter and the worker hold open (Gunicorn's WorkerTmp). A standby worker
 * (`byPath`) gets no fd at spawn: it opens the file by its path, then unlinks it.
 */
function createHeartbeatFile(dir: string, age: number, byPath: boolean): { fd: number; path: string | null } {
  const file = path.join(dir, `pre-heartbeat-${process.pid}-${age}-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(file, 'wx', 0o600);
  if (!byPath) unlinkSync(file);
  const now = Date.now() / 1000;
  futimesSync(fd, now, now);
  return { fd, path: byPath ? file : null };
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already unlinked by the worker
  }
}
