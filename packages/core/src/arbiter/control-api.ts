import type { ListenerInfo } from '../listeners/address.js';

/** One worker, as `pre ctl show workers` reports it. */
export interface WorkerStatus {
  readonly pid: number;
  readonly age: number;
  readonly generation: number;
  readonly booted: boolean;
  readonly retiring: boolean;
  /** ms since the epoch. */
  readonly startedAt: number;
  /** ms since the epoch, from the heartbeat file. */
  readonly lastHeartbeat: number;
  /** Requests served, as last reported by the worker (every second). */
  readonly requests: number;
}

export interface ArbiterStats {
  readonly pid: number;
  readonly procName: string;
  readonly version: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly workerClass: string;
  /** The target number of workers. */
  readonly numWorkers: number;
  /** Live worker processes (including ones being replaced). */
  readonly liveWorkers: number;
  /** Requests served since the arbiter started, by live and exited workers. */
  readonly requests: number;
  /** Booted workers that are not being retired: the ones serving. */
  readonly bootedWorkers: number;
  /** A stop (TERM, INT, QUIT, a halt) has begun: the readiness probe says 503 from then on. */
  readonly stopping: boolean;
  /** Workers that exited while the arbiter was not stopping (crashes, timeouts, max_requests, reloads). */
  readonly workerExits: number;
  readonly reloads: number;
  /** Times a worker was asked to close some keep-alive connections (keepalive_rebalance). */
  readonly keepaliveRebalanced: number;
}

/** What the control socket (and anything else that drives the arbiter) can ask of it. */
export interface ArbiterControl {
  workerStatuses(): WorkerStatus[];
  stats(): ArbiterStats;
  /** The effective settings, without hook functions. */
  settingsSnapshot(): Record<string, unknown>;
  listenerInfos(): ListenerInfo[];
  /** Changes the target worker count by `delta` (never below 1); returns the new target. */
  changeWorkers(delta: number): Promise<number>;
  /** Sends `signal` to one worker; false if no worker has that pid. */
  killWorker(pid: number, signal?: NodeJS.Signals): boolean;
  /** Queued like the matching signal: HUP, USR1, TERM (graceful) or QUIT (quick). */
  requestReload(): void;
  requestReopen(): void;
  requestShutdown(graceful: boolean): void;
}
