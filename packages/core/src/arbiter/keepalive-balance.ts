import type { Settings } from '../settings/registry.js';
import type { WorkerCapabilities } from '../worker/capabilities.js';

/** The requests of the last WINDOW_MS decide. */
export const WINDOW_MS = 2000;
/** Fewer requests than this in the window say nothing about balance. */
export const MIN_REQUESTS = 200;
/** The busiest worker's share may exceed 1/n by this much before anything moves. */
export const SHARE_MARGIN = 0.05;
/**
 * The busiest worker must hold at least this many connections more than the least loaded one: moving one
 * connection between workers 1 apart only swaps them (3 connections over 2 workers would churn forever).
 */
export const MIN_CONNECTION_GAP = 2;
/** After a shed, the shed worker reports this many times (and a whole new window passes) before the next judgement. */
export const SETTLE_REPORTS = 2;

/** A worker as the arbiter's pool holds it (PoolWorker), as far as balance goes. */
export interface BalanceCandidate {
  readonly age: number;
  readonly generation: number;
  readonly booted: boolean;
  readonly retiringSince: number | null;
  readonly awaitingReplacement: boolean;
  /** Requests served since it started, as last reported. */
  readonly requests: number;
}

/** Ask worker `age` to close `count` keep-alive connections; the rest says why (for the debug log). */
export interface ShedOrder {
  readonly age: number;
  readonly count: number;
  /** Its share of the window's requests (0–1). */
  readonly share: number;
  readonly requests: number;
  readonly connections: number;
  readonly totalConnections: number;
  readonly workers: number;
}

/** The pool as the loop sees it on one turn. */
export interface PoolView {
  readonly workers: readonly BalanceCandidate[];
  /** The current generation (a HUP starts a new one). */
  readonly generation: number;
  /** How many workers there should be (`workers`, TTIN/TTOU). */
  readonly numWorkers: number;
}

export interface KeepaliveBalanceOptions {
  /** A clock (ms): tests pass a fake one. */
  readonly now?: () => number;
}

interface Snapshot {
  readonly at: number;
  readonly requests: ReadonlyMap<number, number>;
}

/**
 * keepalive_rebalance's decisions, in the arbiter: a keep-alive connection stays on the worker that
 * accepted it, so a few long-lived ones can keep one worker busy while another idles. Told each worker's
 * open connections as it reports them (`report`), and asked on each turn of the arbiter's loop (`judge`),
 * it returns an order to shed when, over the last WINDOW_MS of a steady pool (the current generation
 * only, all booted, none leaving, as many as wanted), at least MIN_REQUESTS were served, the busiest
 * worker served more than 1/n + SHARE_MARGIN of them, and it holds at least MIN_CONNECTION_GAP
 * connections more than the least loaded worker. It asks for ceil(C_busiest − C_total/n) connections
 * (at least 1), then waits for SETTLE_REPORTS reports of that worker and a whole new window.
 */
export class KeepaliveBalance {
  readonly #now: () => number;
  readonly #connections = new Map<number, number>();
  #snapshots: Snapshot[] = [];
  /** The ages judged last turn, sorted and joined: a change (a worker came or went) starts over. */
  #judged = '';
  /** After a shed: the worker shed and its reports since. */
  #settling: { age: number; reports: number } | null = null;

  constructor(options: KeepaliveBalanceOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** A worker's stats report: its open connections (undefined from a class that does not count them). */
  report(age: number, connections: number | undefined): void {
    if (connections !== undefined) this.#connections.set(age, connections);
    if (this.#settling?.age === age) this.#settling.reports++;
  }

  /** A worker exited. */
  forget(age: number): void {
    this.#connections.delete(age);
  }

  /** One turn of the loop: the order to send, or null. */
  judge(pool: PoolView): ShedOrder | null {
    const now = this.#now();
    const workers = steadyWorkers(pool);
    const judged = workers ? workers.map((w) => w.age).sort((a, b) => a - b).join(',') : '';
    if (judged !== this.#judged) this.#startOver(judged);
    if (!workers || workers.length < 2) return null;
    this.#snapshots.push({ at: now, requests: new Map(workers.map((w) => [w.age, w.requests])) });
    // The newest snapshot at least a window old is the baseline; older ones are no longer needed.
    let base = -1;
    for (let i = 0; i < this.#snapshots.length; i++) if (this.#snapshots[i]!.at <= now - WINDOW_MS) base = i;
    if (base < 0) return null;
    this.#snapshots = this.#snapshots.slice(base);
    if (this.#settling && this.#settling.reports < SETTLE_REPORTS) return null;
    const baseline = this.#snapshots[0]!.requests;
    return this.#decide(workers.map((w) => ({
      age: w.age,
      served: Math.max(0, w.requests - (baseline.get(w.age) ?? 0)),
      connections: this.#connections.get(w.age) ?? 0,
    })));
  }

  #decide(loads: readonly { age: number; served: number; connections: number }[]): ShedOrder | null {
    const n = loads.length;
    const total = loads.reduce((sum, load) => sum + load.served, 0);
    if (total < MIN_REQUESTS) return null;
    const busiest = loads.reduce((a, b) => (b.served > a.served ? b : a));
    const share = busiest.served / total;
    if (share <= 1 / n + SHARE_MARGIN) return null;
    const fewest = Math.min(...loads.map((load) => load.connections));
    if (busiest.connections - fewest < MIN_CONNECTION_GAP) return null;
    const totalConnections = loads.reduce((sum, load) => sum + load.connections, 0);
    const count = Math.max(1, Math.ceil(busiest.connections - totalConnections / n));
    this.#snapshots = [];
    this.#settling = { age: busiest.age, reports: 0 };
    return { age: busiest.age, count, share, requests: total, connections: busiest.connections, totalConnections, workers: n };
  }

  #startOver(judged: string): void {
    this.#judged = judged;
    this.#snapshots = [];
    this.#settling = null;
  }
}

/** The debug line of an order. */
export function describeShed(order: ShedOrder, pid: number): string {
  return `Worker (pid: ${pid}) served ${Math.round(order.share * 100)}% of ${order.requests} requests over the last ${WINDOW_MS / 1000} s ` +
    `with ${order.connections} of ${order.totalConnections} connections (${order.workers} workers); asking it to close ${order.count} after their next response`;
}

/**
 * The workers to balance, or null while the pool is not steady: a reload (HUP) or a replacement under
 * way, a worker booting or leaving. Those change the placement anyway; judging them would move
 * connections for nothing.
 */
export function steadyWorkers(pool: PoolView): readonly BalanceCandidate[] | null {
  const { workers, generation, numWorkers } = pool;
  const steady = workers.every((w) => w.generation === generation && w.booted && w.retiringSince === null && !w.awaitingReplacement);
  return steady && workers.length === numWorkers ? workers : null;
}

/** keepalive_rebalance is active: `on`, or `auto` with a class that can shed connections, and keep-alive on. */
export function rebalancesKeepalive(settings: Pick<Settings, 'keepalive_rebalance' | 'keepalive'>, capabilities: WorkerCapabilities): boolean {
  return settings.keepalive_rebalance !== 'off' && settings.keepalive > 0 && capabilities.shedConnections;
}
