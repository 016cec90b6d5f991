import { describe, expect, it } from 'vitest';
import {
  KeepaliveBalance, MIN_REQUESTS, SETTLE_REPORTS, WINDOW_MS, rebalancesKeepalive, steadyWorkers, type BalanceCandidate, type PoolView,
} from '../src/arbiter/keepalive-balance.js';
import { DEFAULT_CAPABILITIES } from '../src/worker/capabilities.js';

/** Workers as the pool holds them: steady unless a test changes one. */
class FakeWorker implements BalanceCandidate {
  generation = 1;
  booted = true;
  retiringSince: number | null = null;
  awaitingReplacement = false;
  requests = 0;
  constructor(readonly age: number) {}
}

/** A balance on a fake clock, with `n` workers of generation 1, and a way to let time pass under load. */
function setup(n = 2) {
  let clock = 5_000_000;
  const balance = new KeepaliveBalance({ now: () => clock });
  const workers = Array.from({ length: n }, (_, i) => new FakeWorker(i + 1));
  const pool = (): PoolView => ({ workers, generation: 1, numWorkers: workers.length });
  /**
   * `ms` of load: each 500 ms (a turn of the arbiter's loop) each worker serves `perTurn[i]` requests and
   * reports `connections[i]`; returns every order judged meanwhile.
   */
  const run = (ms: number, perTurn: readonly number[], connections: readonly (number | undefined)[]) => {
    const orders = [];
    for (let t = 0; t < ms; t += 500) {
      clock += 500;
      workers.forEach((w, i) => {
        w.requests += perTurn[i]!;
        balance.report(w.age, connections[i]);
      });
      const order = balance.judge(pool());
      if (order) orders.push(order);
    }
    return orders;
  };
  return { balance, workers, pool, run, tick: (ms: number) => (clock += ms) };
}

describe('KeepaliveBalance', () => {
  it('asks the busiest worker for ceil(C_busiest - C_total/n) connections once a whole window shows the imbalance', () => {
    const { run } = setup();
    // 8 connections all on worker 1 (TTIN: worker 2 is new and gets none).
    const early = run(WINDOW_MS, [500, 0], [8, 0]);
    expect(early).toEqual([]); // less than a window of history: nothing judged yet
    const [order] = run(500, [500, 0], [8, 0]);
    expect(order).toMatchObject({ age: 1, count: 4, share: 1, connections: 8, totalConnections: 8, workers: 2 });
  });

  it('rounds the count up and asks for at least one', () => {
    const { run } = setup(3);
    // 3 workers, connections 5/1/1: 5 - 7/3 = 2.67 -> 3.
    const [order] = run(WINDOW_MS + 500, [300, 50, 50], [5, 1, 1]);
    expect(order).toMatchObject({ age: 1, count: 3 });
  });

  it('does nothing with too few requests in the window to judge', () => {
    const { run } = setup();
    const perTurn = Math.floor((MIN_REQUESTS - 1) / (WINDOW_MS / 500));
    expect(run(10_000, [perTurn, 0], [8, 0])).toEqual([]);
  });

  it('does nothing while the busiest share is within 1/n + 5 points', () => {
    const { run } = setup();
    // 55% exactly: at the limit, not over it.
    expect(run(10_000, [550, 450], [6, 2])).toEqual([]);
    // 56%: over it.
    expect(run(WINDOW_MS + 500, [560, 440], [6, 2]).length).toBe(1);
  });

  it('never churns when moving a connection cannot help: 3 connections over 2 workers (2/1)', () => {
    const { run } = setup();
    expect(run(20_000, [2000, 1000], [2, 1])).toEqual([]);
    // and connections 1 apart in general
    expect(run(20_000, [5000, 1000], [5, 4])).toEqual([]);
  });

  it('waits for SETTLE_REPORTS reports of the shed worker and a whole new window before judging again', () => {
    const { balance, run, workers, pool, tick } = setup();
    expect(run(WINDOW_MS + 500, [500, 0], [8, 0]).length).toBe(1);
    // The shed worker falls silent (no report) while the imbalance lasts: nothing more is asked.
    for (let i = 0; i < 20; i++) {
      tick(500);
      workers[0]!.requests += 500;
      expect(balance.judge(pool())).toBeNull();
    }
    // Reports from the other worker do not count.
    for (let i = 0; i < 5; i++) balance.report(2, 0);
    tick(500);
    expect(balance.judge(pool())).toBeNull();
    // The shed worker reports: one report is not enough, SETTLE_REPORTS are.
    for (let i = 1; i < SETTLE_REPORTS; i++) balance.report(1, 8);
    tick(500);
    workers[0]!.requests += 500;
    expect(balance.judge(pool())).toBeNull();
    balance.report(1, 8);
    tick(500);
    workers[0]!.requests += 500;
    expect(balance.judge(pool())).toMatchObject({ age: 1, count: 4 });
  });

  it('the window restarts after a shed: the requests before it do not count', () => {
    const { run } = setup();
    expect(run(WINDOW_MS + 500, [1000, 0], [8, 0]).length).toBe(1);
    // Balanced from now on (the shed worked): no second order, however many reports.
    expect(run(20_000, [500, 500], [4, 4])).toEqual([]);
  });

  it('judges only a steady pool: a worker booting, retiring, of an old generation, or fewer than wanted', () => {
    for (const change of [
      (w: FakeWorker) => (w.booted = false),
      (w: FakeWorker) => (w.retiringSince = 1),
      (w: FakeWorker) => (w.awaitingReplacement = true),
      (w: FakeWorker) => (w.generation = 0),
    ]) {
      const { run, workers } = setup();
      change(workers[1]!);
      expect(run(10_000, [1000, 0], [8, 0])).toEqual([]);
    }
    const { balance, workers } = setup();
    expect(steadyWorkers({ workers, generation: 1, numWorkers: 3 })).toBeNull(); // TTIN: the third is not spawned yet
    expect(balance.judge({ workers, generation: 1, numWorkers: 2 })).toBeNull();
  });

  it('starts over when the set of workers changes (TTIN): the new worker is judged after a whole window with it', () => {
    const { balance, run, workers, pool } = setup(1);
    expect(run(10_000, [1000], [8])).toEqual([]); // one worker: nobody to move to
    workers.push(new FakeWorker(2));
    expect(run(WINDOW_MS, [1000, 0], [8, 0])).toEqual([]);
    const [order] = run(500, [1000, 0], [8, 0]);
    expect(order).toMatchObject({ age: 1, count: 4 });
    expect(balance.judge(pool())).toBeNull();
  });

  it('counts a worker that never reported connections as holding none', () => {
    const { run } = setup();
    const [order] = run(WINDOW_MS + 500, [500, 0], [6, undefined]);
    expect(order).toMatchObject({ age: 1, count: 3, totalConnections: 6 });
  });
});

describe('rebalancesKeepalive', () => {
  const can = { ...DEFAULT_CAPABILITIES, shedConnections: true };
  it('auto and on are active with a class that can shed and keep-alive on; off never', () => {
    expect(rebalancesKeepalive({ keepalive_rebalance: 'auto', keepalive: 2 }, can)).toBe(true);
    expect(rebalancesKeepalive({ keepalive_rebalance: 'on', keepalive: 2 }, can)).toBe(true);
    expect(rebalancesKeepalive({ keepalive_rebalance: 'off', keepalive: 2 }, can)).toBe(false);
    expect(rebalancesKeepalive({ keepalive_rebalance: 'auto', keepalive: 0 }, can)).toBe(false);
    expect(rebalancesKeepalive({ keepalive_rebalance: 'auto', keepalive: 2 }, DEFAULT_CAPABILITIES)).toBe(false);
  });
});
