import type { Logger } from './logging/error-log.js';

/** What master-side hooks see of the arbiter. */
export interface ArbiterInfo {
  readonly pid: number;
  readonly procName: string;
  /** The target worker count (TTIN/TTOU change it). */
  readonly numWorkers: number;
  readonly log: Logger;
}

/** What master-side hooks see of one worker process. */
export interface WorkerProcessInfo {
  /** 0 before the process is spawned (in pre_fork). */
  readonly pid: number;
  /** Increasing spawn counter, as Gunicorn's `worker.age`. */
  readonly age: number;
  /** Exit code and signal, in child_exit. */
  readonly exitCode?: number | null;
  readonly signal?: NodeJS.Signals | null;
}

/** What worker-side hooks see: the worker process they run in. */
export interface WorkerInfo {
  readonly pid: number;
  readonly age: number;
  readonly workerClass: string;
  readonly log: Logger;
}

/** A request as hooks see it, whatever the worker class. */
export interface RequestInfo {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly remoteAddress: string | undefined;
}

export interface ResponseInfo {
  readonly status: number;
  readonly bytes: number | undefined;
  readonly durationMs: number;
}

type MaybePromise = void | Promise<void>;

/** Server hooks, by Gunicorn's names. Master hooks run in the arbiter; worker hooks in the worker process. */
export interface Hooks {
  on_starting: (arbiter: ArbiterInfo) => MaybePromise;
  on_reload: (arbiter: ArbiterInfo) => MaybePromise;
  when_ready: (arbiter: ArbiterInfo) => MaybePromise;
  pre_fork: (arbiter: ArbiterInfo, worker: WorkerProcessInfo) => MaybePromise;
  post_fork: (worker: WorkerInfo) => MaybePromise;
  post_worker_init: (worker: WorkerInfo) => MaybePromise;
  worker_int: (worker: WorkerInfo) => MaybePromise;
  worker_abort: (worker: WorkerInfo) => MaybePromise;
  pre_request: (worker: WorkerInfo, request: RequestInfo) => MaybePromise;
  post_request: (worker: WorkerInfo, request: RequestInfo, response: ResponseInfo) => MaybePromise;
  child_exit: (arbiter: ArbiterInfo, worker: WorkerProcessInfo) => MaybePromise;
  worker_exit: (worker: WorkerInfo) => MaybePromise;
  nworkers_changed: (arbiter: ArbiterInfo, newValue: number, oldValue: number | null) => MaybePromise;
  on_exit: (arbiter: ArbiterInfo) => MaybePromise;
}

export type HookName = keyof Hooks;

/**
 * Runs a hook if it is set; a hook that throws is logged and does not stop the server,
 * as in Gunicorn (except where the caller decides otherwise).
 */
export async function runHook<K extends HookName>(
  hooks: { readonly [H in HookName]?: Hooks[H] | null },
  name: K,
  log: Logger,
  ...args: Parameters<Hooks[K]>
): Promise<void> {
  const fn = hooks[name] as ((...a: Parameters<Hooks[K]>) => MaybePromise) | null | undefined;
  if (!fn) return;
  try {
    await fn(...args);
  } catch (err) {
    log.exception(`Exception in ${name} hook`, err);
  }
}
