import { ExitCode } from '../errors.js';
import type { WorkerProcessInfo } from '../hooks.js';
import type { Logger } from '../logging/error-log.js';

/** Workers that fail to boot in a row, with none serving, before the arbiter gives up (exit 3). */
export const MAX_BOOT_FAILURES = 5;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 10_000;
/** A retiring worker gets `graceful_timeout` plus this much before SIGKILL. */
const GRACE_MARGIN_MS = 500;
/** A worker sent SIGABRT (heartbeat timeout) gets this long before SIGKILL. */
const ABORT_GRACE_MS = 1000;

/** One running worker process, as the pool needs it; the real one is `WorkerProcess`. */
export interface WorkerHandle {
  readonly pid: number;
  readonly alive: boolean;
  kill(signal: NodeJS.Signals): void;
  /** When the worker last touched its heartbeat (ms since the epoch). */
  lastHeartbeat(): number;
  /** Resolves once the process has exited (after the pool was told with `exited`). */
  readonly exited: Promise<void>;
}

/**
 * Starts one worker process. The real spawner runs `pre_fork` and forks `worker/entry.js`; unit tests pass a
 * fake. The spawner reports back through the pool: `booted`, `retiring`, `failed` and `exited`.
 */
export type SpawnWorker = (worker: PoolWorker) => Promise<WorkerHandle>;

/** What the pool reads of the settings at each decision (they change on HUP). */
export interface PoolLimits {
  /** Heartbeat timeout in seconds; 0 disables it. */
  readonly timeout: number;
  readonly graceful_timeout: number;
}

export interface WorkerPoolOptions {
  readonly spawn: SpawnWorker;
  readonly log: Logger;
  readonly limits: () => PoolLimits;
  /** Called when an event needs the loop (a boot, an exit); the arbiter's loop then acts. */
  readonly wake: () => void;
  readonly now?: () => number;
  /**
   * At start (before any worker has booted), the first worker boots alone for up to this long (ms), and the
   * others are spawned once it has booted or this time has passed. On a box with fewer cores than workers,
   * the others' process start would slow the first one down, and with it the first response. 0: all at once.
   */
  readonly firstBootAloneMs?: number;
}

/** Why supervision cannot go on: the arbiter halts with this exit code. */
export interface HaltDecision {
  readonly code: number;
  readonly reason: string;
}

/** The pool's record of one worker: its process plus the supervision state. */
export class PoolWorker implements WorkerProcessInfo {
  #handle: WorkerHandle | null = null;
  /** Workers of an older generation are replaced once the current one has booted (HUP). */
  generation: number;
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

  constructor(readonly age: number, generation: number, readonly spawnedAt: number) {
    this.generation = generation;
  }

  get handle(): WorkerHandle | null {
    return this.#handle;
  }

  set handle(handle: WorkerHandle) {
    this.#handle = handle;
  }

  get pid(): number {
    return this.#handle?.pid ?? 0;
  }

  get alive(): boolean {
    return this.#handle?.alive ?? false;
  }

  kill(signal: NodeJS.Signals): void {
    this.#handle?.kill(signal);
  }
}

/**
 * The table of workers and the supervision rules (Gunicorn's manage/murder/reap): how many to spawn, which
 * to retire, generations across reloads, backoff after boot failures, and when to give up. It never acts
 * on its own: worker events only update the table and wake the arbiter, whose loop calls `manage`,
 * `murder` and `reap`.
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #now: () => number;
  readonly #workers = new Map<number, PoolWorker>();
  /** Exited workers not yet reaped by the loop. */
  readonly #exited: PoolWorker[] = [];
  #age = 0;
  #lastGeneration = 0;
  #generation = 0;
  /** A reload failed: no new workers (the new code does not boot) until the next reload. */
  #holdSpawns = false;
  #bootFailures = 0;
  #nextSpawnAt = 0;
  /** A worker has booted since the pool started: later spawns (respawns, reloads, TTIN) never wait. */
  #everBooted = false;

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get generation(): number {
    return this.#generation;
  }

  get size(): number {
    return this.#workers.size;
  }

  /** Spawns are held after a failed reload, until the next one. */
  get spawnsHeld(): boolean {
    return this.#holdSpawns;
  }

  /** When spawning resumes after a boot failure (ms since the epoch; 0 when not backing off). */
  get nextSpawnAt(): number {
    return this.#nextSpawnAt;
  }

  get workers(): readonly PoolWorker[] {
    return [...this.#workers.values()];
  }

  byPid(pid: number): PoolWorker | undefined {
    return this.workers.find((w) => w.pid === pid);
  }

  /** A reload (HUP): the next workers are a new generation; the old one is retired once it has booted. */
  newGeneration(): void {
    this.#generation = ++this.#lastGeneration;
    this.#holdSpawns = false;
    this.#nextSpawnAt = 0;
  }

  // --- events (from the spawner's callbacks: record and wake, never act) ---------------------

  booted(worker: PoolWorker): void {
    worker.booted = true;
    this.#everBooted = true;
    this.#bootFailures = 0;
    this.#nextSpawnAt = 0;
    this.#options.wake();
  }

  /** The worker is leaving: at once (`handover` false) or once its replacement serves (max_requests). */
  retiring(worker: PoolWorker, handover: boolean): void {
    if (handover) worker.awaitingReplacement = true;
    else worker.retiringSince ??= this.#now();
    this.#options.wake();
  }

  failed(worker: PoolWorker, message: string): void {
    worker.failure = message;
  }

  exited(worker: PoolWorker, exitCode: number | null, signal: NodeJS.Signals | null): void {
    worker.exitCode = exitCode;
    worker.signal = signal;
    this.#exited.push(worker);
    this.#options.wake();
  }

  // --- decisions (called by the arbiter's loop) ----------------------------------------------

  /** Keeps `numWorkers` workers of the current generation; retires extras and, once it is up, the old generation. */
  async manage(numWorkers: number): Promise<void> {
    const active = this.workers.filter((w) => w.retiringSince === null && !w.awaitingReplacement);
    const current = active.filter((w) => w.generation === this.#generation);
    const missing = numWorkers - current.length;
    if (missing > 0 && this.#maySpawn()) {
      for (let i = this.#heldForFirstBoot(current, missing); i < missing; i++) await this.spawn();
    } else if (missing < 0) {
      // The oldest go first (TTOU), as in Gunicorn.
      for (const worker of current.sort((a, b) => a.age - b.age).slice(0, -missing)) this.retire(worker);
    }
    const replaced = current.filter((w) => w.booted).length >= numWorkers;
    if (!replaced) return;
    for (const worker of active) if (worker.generation !== this.#generation) this.retire(worker);
    for (const worker of this.#workers.values()) {
      if (worker.awaitingReplacement && worker.retiringSince === null) this.retire(worker);
    }
  }

  /** When the loop must look again even if nothing happens: the end of the first worker's boot alone (0: none). */
  get nextDecisionAt(): number {
    const first = this.#bootingAlone();
    return first === undefined ? this.#nextSpawnAt : first.spawnedAt + this.#options.firstBootAloneMs!;
  }

  /** How many of the `missing` workers to leave for later: all but one while the first worker boots alone. */
  #heldForFirstBoot(current: readonly PoolWorker[], missing: number): number {
    if (this.#everBooted || !(this.#options.firstBootAloneMs! > 0)) return 0;
    if (current.length === 0) return missing - 1;
    return this.#bootingAlone() === undefined ? 0 : missing;
  }

  /** The first worker, while it boots alone (see `firstBootAloneMs`). */
  #bootingAlone(): PoolWorker | undefined {
    if (this.#everBooted || !(this.#options.firstBootAloneMs! > 0)) return undefined;
    const booting = this.workers.filter((w) => w.generation === this.#generation && w.retiringSince === null);
    if (booting.length !== 1) return undefined;
    return this.#now() - booting[0]!.spawnedAt < this.#options.firstBootAloneMs! ? booting[0] : undefined;
  }

  #maySpawn(): boolean {
    if (this.#now() < this.#nextSpawnAt) return false;
    // After a failed reload the new code is known not to boot; once nothing serves, trying again decides the exit.
    return !this.#holdSpawns || !this.workers.some((w) => w.booted && w.retiringSince === null);
  }

  async spawn(): Promise<PoolWorker> {
    const worker = new PoolWorker(++this.#age, this.#generation, this.#now());
    worker.handle = await this.#options.spawn(worker);
    this.#workers.set(worker.age, worker);
    return worker;
  }

  /** Asks a worker to stop gracefully; it no longer counts toward `numWorkers`. */
  retire(worker: PoolWorker): void {
    worker.retiringSince ??= this.#now();
    worker.kill('SIGTERM');
  }

  /** Heartbeat timeouts (SIGABRT, then SIGKILL) and retiring workers past `graceful_timeout`. */
  murder(): void {
    const now = this.#now();
    const { timeout, graceful_timeout: graceful } = this.#options.limits();
    const { log } = this.#options;
    for (const worker of this.#workers.values()) {
      if (!worker.alive) continue;
      if (worker.retiringSince !== null && now - worker.retiringSince > graceful * 1000 + GRACE_MARGIN_MS) {
        log.warning(`Worker (pid:${worker.pid}) did not stop within graceful_timeout (${graceful}s); killing it`);
        worker.kill('SIGKILL');
      } else if (worker.abortedAt !== null) {
        if (now - worker.abortedAt >= ABORT_GRACE_MS) worker.kill('SIGKILL');
      } else if (timeout > 0 && now - worker.handle!.lastHeartbeat() > timeout * 1000) {
        log.critical(`WORKER TIMEOUT (pid:${worker.pid})`);
        worker.abortedAt = now;
        worker.kill('SIGABRT');
      }
    }
  }

  /**
   * Removes the exited workers from the table and decides what their exits mean; `onReaped` runs for each
   * (logging, hooks). Returns a halt decision when no worker can boot. While `stopping`, exits mean nothing.
   */
  reap(stopping: boolean, onReaped: (worker: PoolWorker) => void): HaltDecision | null {
    let halt: HaltDecision | null = null;
    for (const worker of this.#exited.splice(0)) {
      this.#workers.delete(worker.age);
      onReaped(worker);
      if (!stopping && !worker.booted && halt === null) halt = this.#onBootFailure(worker);
    }
    return halt;
  }

  /** A worker died before it booted: roll back a reload, back off, or halt when no worker can boot. */
  #onBootFailure(worker: PoolWorker): HaltDecision | null {
    const { log } = this.#options;
    const reason = worker.failure ?? `exit code ${worker.exitCode ?? worker.signal}`;
    if (worker.generation !== this.#generation) {
      // Of a generation already given up (a failed reload) or replaced: nothing to decide.
      return null;
    }
    const serving = this.workers.filter((w) => w.booted && w.retiringSince === null);
    const previous = serving.filter((w) => w.generation !== this.#generation);
    if (serving.length === 0) {
      if (worker.exitCode === ExitCode.APP_LOAD_ERROR) return { code: ExitCode.APP_LOAD_ERROR, reason: `App failed to load:\n${reason}` };
      if (worker.exitCode === ExitCode.WORKER_BOOT_ERROR || this.#bootFailures + 1 >= MAX_BOOT_FAILURES) {
        return { code: ExitCode.WORKER_BOOT_ERROR, reason: `Worker failed to boot:\n${reason}` };
      }
      log.error(`Worker failed to boot:\n${reason}`);
    } else if (previous.length > 0) {
      this.#rollBack(previous, reason);
      return null;
    } else {
      log.error(`Worker failed to boot:\n${reason}`);
    }
    this.#bootFailures++;
    this.#nextSpawnAt = this.#now() + Math.min(BACKOFF_BASE_MS * 2 ** this.#bootFailures, BACKOFF_CAP_MS);
    return null;
  }

  /**
   * A worker of the new generation failed while the previous one serves: that generation is current again
   * (all of it), the new one's other workers are retired by the next `manage`, and no worker is spawned
   * until the next reload.
   */
  #rollBack(previous: PoolWorker[], reason: string): void {
    this.#generation = Math.max(...previous.map((w) => w.generation));
    for (const worker of previous) worker.generation = this.#generation;
    this.#holdSpawns = true;
    this.#options.log.error(
      `Reload failed, the previous workers keep serving; no new worker will start until the next reload (HUP):\n${reason}`,
    );
  }
}
