import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import type { Logger } from '../src/logging/error-log.js';
import { MAX_BOOT_FAILURES, WorkerPool, type HaltDecision, type PoolWorker, type WorkerHandle } from '../src/arbiter/worker-pool.js';

/** A worker process that only records the signals it is sent. */
class FakeProcess implements WorkerHandle {
  readonly signals: NodeJS.Signals[] = [];
  alive = true;
  heartbeat: number;
  readonly exited: Promise<void>;
  #resolveExited!: () => void;

  constructor(readonly pid: number, now: number) {
    this.heartbeat = now;
    this.exited = new Promise((resolve) => (this.#resolveExited = resolve));
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.signals.push(signal);
  }

  lastHeartbeat(): number {
    return this.heartbeat;
  }

  die(): void {
    this.alive = false;
    this.#resolveExited();
  }
}

/** A pool with a fake spawner, a fake clock and a log that keeps its lines. */
function setup(limits = { timeout: 30, graceful_timeout: 30 }, firstBootAloneMs = 0) {
  let clock = 1_000_000;
  let nextPid = 100;
  let wakes = 0;
  const spawned: { worker: PoolWorker; process: FakeProcess }[] = [];
  const lines: string[] = [];
  const record = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  const log: Logger = {
    debug: record('debug'), info: record('info'), warning: record('warning'), error: record('error'),
    critical: record('critical'), exception: record('exception'),
  };
  const pool = new WorkerPool({
    spawn: async (worker) => {
      const process = new FakeProcess(nextPid++, clock);
      spawned.push({ worker, process });
      return process;
    },
    log,
    limits: () => limits,
    wake: () => void wakes++,
    now: () => clock,
    firstBootAloneMs,
  });
  const processOf = (worker: PoolWorker): FakeProcess => spawned.find((s) => s.worker === worker)!.process;
  const t = {
    pool, spawned, lines,
    get wakes() { return wakes; },
    advance(ms: number) { clock += ms; },
    get now() { return clock; },
    processOf,
    /** The worker process exits (after a signal or by itself); the pool hears it, the loop reaps it. */
    exit(worker: PoolWorker, code: number | null, signal: NodeJS.Signals | null = null): HaltDecision | null {
      processOf(worker).die();
      pool.exited(worker, code, signal);
      return pool.reap(false, () => {});
    },
    /** Every worker sent a signal exits (code 0, as after a graceful TERM). */
    exitSignalled(): void {
      for (const { worker, process } of spawned) if (process.alive && process.signals.length > 0) t.exit(worker, 0);
    },
    live(): PoolWorker[] {
      return pool.workers.filter((w) => w.alive);
    },
  };
  return t;
}

describe('WorkerPool', () => {
  it('spawns the missing workers of the current generation and nothing more', async () => {
    const t = setup();
    await t.pool.manage(3);
    expect(t.spawned.map((s) => s.worker.age)).toEqual([1, 2, 3]);
    for (const { worker } of t.spawned) t.pool.booted(worker);
    await t.pool.manage(3);
    expect(t.spawned).toHaveLength(3);
    expect(t.spawned.every((s) => s.process.signals.length === 0)).toBe(true);
  });

  describe('at start, the first worker boots alone', () => {
    it('the others are spawned once it has booted; later spawns never wait', async () => {
      const t = setup(undefined, 500);
      await t.pool.manage(3);
      expect(t.spawned).toHaveLength(1);
      expect(t.pool.nextDecisionAt).toBe(t.spawned[0]!.worker.spawnedAt + 500);
      t.advance(100);
      await t.pool.manage(3);
      expect(t.spawned).toHaveLength(1);
      t.pool.booted(t.spawned[0]!.worker);
      await t.pool.manage(3);
      expect(t.spawned).toHaveLength(3);
      expect(t.pool.nextDecisionAt).toBe(0);
      // A worker that dies later is replaced at once; a reload's generation is spawned all at once.
      for (const { worker } of t.spawned) t.pool.booted(worker);
      t.exit(t.spawned[1]!.worker, 1, 'SIGKILL');
      await t.pool.manage(3);
      expect(t.spawned).toHaveLength(4);
      t.pool.newGeneration();
      await t.pool.manage(3);
      expect(t.spawned).toHaveLength(7);
    });

    it('the others are spawned when it has not booted within the time', async () => {
      const t = setup(undefined, 500);
      await t.pool.manage(2);
      t.advance(499);
      await t.pool.manage(2);
      expect(t.spawned).toHaveLength(1);
      t.advance(1);
      await t.pool.manage(2);
      expect(t.spawned).toHaveLength(2);
      expect(t.spawned[0]!.worker.booted).toBe(false);
    });

    it('a first worker that fails to boot is followed by one worker again, after the backoff', async () => {
      const t = setup(undefined, 500);
      await t.pool.manage(4);
      expect(t.exit(t.spawned[0]!.worker, 1)).toBeNull();
      t.advance(t.pool.nextDecisionAt - t.now);
      await t.pool.manage(4);
      expect(t.spawned).toHaveLength(2);
      t.pool.booted(t.spawned[1]!.worker);
      await t.pool.manage(4);
      expect(t.spawned).toHaveLength(5);
    });
  });

  it('worker events only record and wake the loop; the table changes when the loop reaps', async () => {
    const t = setup();
    await t.pool.manage(1);
    const { worker } = t.spawned[0]!;
    const before = t.wakes;
    t.pool.booted(worker);
    t.processOf(worker).die();
    t.pool.exited(worker, 1, null);
    expect(t.wakes).toBe(before + 2);
    expect(t.pool.size).toBe(1);
    expect(t.spawned).toHaveLength(1);
    const reaped: PoolWorker[] = [];
    t.pool.reap(false, (w) => reaped.push(w));
    expect(reaped).toEqual([worker]);
    expect(t.pool.size).toBe(0);
  });

  it('HUP: the new generation replaces the old one once it has booted', async () => {
    const t = setup();
    await t.pool.manage(2);
    const old = t.spawned.map((s) => s.worker);
    for (const w of old) t.pool.booted(w);
    t.pool.newGeneration();
    await t.pool.manage(2);
    const fresh = t.spawned.slice(2).map((s) => s.worker);
    expect(fresh.map((w) => w.generation)).toEqual([1, 1]);
    expect(old.every((w) => t.processOf(w).signals.length === 0)).toBe(true); // not before the new ones serve
    t.pool.booted(fresh[0]!);
    await t.pool.manage(2);
    expect(old.every((w) => t.processOf(w).signals.length === 0)).toBe(true);
    t.pool.booted(fresh[1]!);
    await t.pool.manage(2);
    expect(old.map((w) => t.processOf(w).signals)).toEqual([['SIGTERM'], ['SIGTERM']]);
  });

  it('a failed reload keeps the whole old generation and spawns nothing until the next HUP', async () => {
    const t = setup();
    await t.pool.manage(2);
    const old = t.spawned.map((s) => s.worker);
    for (const w of old) t.pool.booted(w);
    t.pool.newGeneration();
    await t.pool.manage(2);
    const [broken1, broken2] = t.spawned.slice(2).map((s) => s.worker);
    t.pool.failed(broken1!, 'SyntaxError: Unexpected token');
    expect(t.exit(broken1!, ExitCode.APP_LOAD_ERROR)).toBeNull();
    expect(t.pool.generation).toBe(0);
    expect(t.pool.spawnsHeld).toBe(true);
    await t.pool.manage(2);
    // The other broken worker is retired; both old ones stay, untouched.
    expect(t.processOf(broken2!).signals).toEqual(['SIGTERM']);
    expect(old.every((w) => t.processOf(w).signals.length === 0)).toBe(true);
    expect(t.exit(broken2!, ExitCode.APP_LOAD_ERROR)).toBeNull();
    // Time passes, the loop keeps managing: no new worker, no retirement, one log line.
    for (let i = 0; i < 20; i++) {
      t.advance(1000);
      await t.pool.manage(2);
    }
    expect(t.spawned).toHaveLength(4);
    expect(old.every((w) => t.processOf(w).signals.length === 0 && w.alive)).toBe(true);
    expect(t.lines.filter((l) => l.includes('Reload failed'))).toHaveLength(1);
    expect(t.lines.find((l) => l.includes('Reload failed'))).toContain('SyntaxError: Unexpected token');
    // The next HUP tries again.
    t.pool.newGeneration();
    expect(t.pool.spawnsHeld).toBe(false);
    await t.pool.manage(2);
    expect(t.spawned).toHaveLength(6);
    expect(t.spawned.slice(4).map((s) => s.worker.generation)).toEqual([2, 2]);
  });

  it('an old worker that exits after a failed reload is not replaced by the broken code', async () => {
    const t = setup();
    await t.pool.manage(2);
    const old = t.spawned.map((s) => s.worker);
    for (const w of old) t.pool.booted(w);
    t.pool.newGeneration();
    await t.pool.manage(2);
    for (const { worker } of t.spawned.slice(2)) t.exit(worker, ExitCode.APP_LOAD_ERROR);
    t.exit(old[0]!, 0, 'SIGKILL');
    t.advance(60_000);
    await t.pool.manage(2);
    expect(t.spawned).toHaveLength(4);
    // Once nothing serves, trying again decides: the new code does not load, so the arbiter exits 4.
    t.exit(old[1]!, 0, 'SIGKILL');
    await t.pool.manage(2);
    expect(t.spawned).toHaveLength(6);
    expect(t.exit(t.spawned[4]!.worker, ExitCode.APP_LOAD_ERROR)?.code).toBe(ExitCode.APP_LOAD_ERROR);
  });

  it('backoff after boot failures doubles and is capped at 10 s', async () => {
    const t = setup();
    await t.pool.manage(2);
    const [serving, failing] = t.spawned.map((s) => s.worker);
    t.pool.booted(serving!);
    const delays: number[] = [];
    let worker = failing!;
    for (let i = 0; i < 9; i++) {
      expect(t.exit(worker, 1)).toBeNull();
      const delay = t.pool.nextSpawnAt - t.now;
      delays.push(delay);
      t.advance(delay - 1);
      await t.pool.manage(2);
      expect(t.live()).toHaveLength(1); // still backing off
      t.advance(1);
      await t.pool.manage(2);
      expect(t.live()).toHaveLength(2);
      worker = t.spawned.at(-1)!.worker;
    }
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
    t.pool.booted(worker);
    expect(t.pool.nextSpawnAt).toBe(0);
    expect(t.lines.filter((l) => l.startsWith('error: Worker failed to boot'))).toHaveLength(9);
  });

  it('exit 4 when the app fails to load and no worker ever served', async () => {
    const t = setup();
    await t.pool.manage(2);
    t.pool.failed(t.spawned[0]!.worker, 'Error: Cannot find module ./app.js');
    const halt = t.exit(t.spawned[0]!.worker, ExitCode.APP_LOAD_ERROR);
    expect(halt).toEqual({ code: ExitCode.APP_LOAD_ERROR, reason: 'App failed to load:\nError: Cannot find module ./app.js' });
  });

  it('exit 3 when the worker class fails to boot and no worker ever served', async () => {
    const t = setup();
    await t.pool.manage(1);
    const halt = t.exit(t.spawned[0]!.worker, ExitCode.WORKER_BOOT_ERROR);
    expect(halt?.code).toBe(ExitCode.WORKER_BOOT_ERROR);
    expect(halt?.reason).toMatch(/^Worker failed to boot:\nexit code 3/);
  });

  it(`exit 3 after ${MAX_BOOT_FAILURES} crashes in a row with other codes, none serving`, async () => {
    const t = setup();
    const halts: (HaltDecision | null)[] = [];
    for (let i = 0; i < MAX_BOOT_FAILURES; i++) {
      t.advance(20_000);
      await t.pool.manage(1);
      halts.push(t.exit(t.spawned.at(-1)!.worker, 1));
    }
    expect(halts.slice(0, -1)).toEqual(Array(MAX_BOOT_FAILURES - 1).fill(null));
    expect(halts.at(-1)?.code).toBe(ExitCode.WORKER_BOOT_ERROR);
  });

  it('a boot failure while workers serve never halts, even with exit 4', async () => {
    const t = setup();
    await t.pool.manage(2);
    t.pool.booted(t.spawned[0]!.worker);
    expect(t.exit(t.spawned[1]!.worker, ExitCode.APP_LOAD_ERROR)).toBeNull();
    expect(t.pool.spawnsHeld).toBe(false);
  });

  it('exits while stopping decide nothing', async () => {
    const t = setup();
    await t.pool.manage(1);
    const { worker, process } = t.spawned[0]!;
    process.die();
    t.pool.exited(worker, ExitCode.APP_LOAD_ERROR, null);
    expect(t.pool.reap(true, () => {})).toBeNull();
    expect(t.pool.nextSpawnAt).toBe(0);
  });

  it('TTOU retires the oldest workers first', async () => {
    const t = setup();
    await t.pool.manage(4);
    for (const { worker } of t.spawned) t.pool.booted(worker);
    await t.pool.manage(3);
    expect(t.spawned.map((s) => s.process.signals)).toEqual([['SIGTERM'], [], [], []]);
    await t.pool.manage(1);
    expect(t.spawned.map((s) => s.process.signals)).toEqual([['SIGTERM'], ['SIGTERM'], ['SIGTERM'], []]);
  });

  it('max_requests: the replacement starts first; the old worker is retired once it serves', async () => {
    const t = setup();
    await t.pool.manage(2);
    const [tired, other] = t.spawned.map((s) => s.worker);
    t.pool.booted(tired!);
    t.pool.booted(other!);
    t.pool.retiring(tired!, true);
    await t.pool.manage(2);
    expect(t.spawned).toHaveLength(3);
    expect(t.processOf(tired!).signals).toEqual([]); // keeps serving meanwhile
    await t.pool.manage(2);
    expect(t.spawned).toHaveLength(3);
    t.pool.booted(t.spawned[2]!.worker);
    await t.pool.manage(2);
    expect(t.processOf(tired!).signals).toEqual(['SIGTERM']);
    expect(t.processOf(other!).signals).toEqual([]);
  });

  it('murder: SIGABRT on a heartbeat timeout, SIGKILL a second later; SIGKILL past graceful_timeout', async () => {
    const t = setup({ timeout: 2, graceful_timeout: 5 });
    await t.pool.manage(2);
    const [silent, retiring] = t.spawned;
    t.pool.retire(retiring!.worker);
    retiring!.process.heartbeat = Number.MAX_SAFE_INTEGER; // a retiring worker is judged by graceful_timeout only
    t.advance(2001);
    t.pool.murder();
    expect(silent!.process.signals).toEqual(['SIGABRT']);
    expect(t.lines).toContain(`critical: WORKER TIMEOUT (pid:${silent!.process.pid})`);
    t.advance(1000);
    t.pool.murder();
    expect(silent!.process.signals).toEqual(['SIGABRT', 'SIGKILL']);
    expect(retiring!.process.signals).toEqual(['SIGTERM']);
    t.advance(2500);
    t.pool.murder();
    expect(retiring!.process.signals).toEqual(['SIGTERM', 'SIGKILL']);
  });
});
