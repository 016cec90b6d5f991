import type { LoadedApp } from '../app/load.js';
import { runHook, type RequestInfo, type ResponseInfo, type WorkerInfo } from '../hooks.js';
import type { ListenerInfo } from '../listeners/address.js';
import type { ServedApp } from '../http/request-reporter.js';
import type { AccessLog, AccessLogEntry } from '../logging/access-log.js';
import type { Logger } from '../logging/error-log.js';
import type { RequestMetrics } from '../metrics/worker-metrics.js';
import type { Settings } from '../settings/registry.js';
import { DEFAULT_CAPABILITIES, type WorkerCapabilities } from './capabilities.js';

/**
 * Marks pre's `Worker` base class. A registered symbol, so that a class extending another installed
 * copy of @pre/core (a third-party package with its own dependency) is still recognised.
 */
export const WORKER_BRAND: unique symbol = Symbol.for('pre.worker') as never;

/** The runtime calls `worker[STOP_BEGUN]()` when a stop begins (registered, for the same reason as WORKER_BRAND). */
export const STOP_BEGUN: unique symbol = Symbol.for('pre.worker.stopBegun') as never;

/** Everything the runtime hands a worker class. */
export interface WorkerOptions {
  readonly settings: Settings;
  readonly app: LoadedApp;
  /** The inherited listening sockets (fd >= 0), or, for classes that bind their own, the addresses to bind (fd -1). */
  readonly listeners: readonly ListenerInfo[];
  readonly log: Logger;
  readonly accessLog: AccessLog;
  readonly age: number;
  readonly workerClass: string;
  /** Called by `retire()`: the runtime stops this worker gracefully and the arbiter replaces it. */
  readonly onRetire: (reason: string) => void;
  /** Asks the arbiter for a new fd of listener `index` (see `Worker#duplicateListener`). */
  readonly requestListenerCopy: (index: number) => Promise<ListenerCopy>;
  /** Set by the runtime when `statsd_host` or `prometheus_bind` is set. */
  readonly metrics?: RequestMetrics | null;
}

/** A fresh fd for an inherited listening socket, sent by the arbiter. */
export interface ListenerCopy {
  /** The fd number in this process: `server.listen({ fd })`, also from a worker thread. */
  readonly fd: number;
  /** The socket as a handle: `server.listen(copy.handle)`. */
  readonly handle: object;
  /** Closes this copy only; the socket stays open in the arbiter and in the other workers. */
  close(): void;
}

/** A worker class: what `--worker-class` resolves to. */
export interface WorkerClass {
  new (options: WorkerOptions): Worker;
  /** True when the class binds its own listeners (e.g. with SO_REUSEPORT) instead of inheriting the arbiter's. */
  readonly bindsOwnListeners?: boolean;
  /** What the class honours; undeclared names take `Worker.capabilities` (see WorkerCapabilities). */
  readonly capabilities?: Partial<WorkerCapabilities>;
  /** True when the class runs the app's onWorkerStart/onWorkerStop itself (threads: in each thread); the runtime then does not. */
  readonly runsAppLifecycle?: boolean;
}

/**
 * The base of every worker class, built-in or third-party. The runtime owns the process lifecycle:
 * it loads the app, constructs the worker, calls `run()`, keeps the heartbeat, and calls `stop()` on
 * TERM (graceful) or INT/QUIT (fast). A class implements `run` and `stop`, and reports each request
 * through `requestStarted`/`requestFinished` so hooks, the access log and `max_requests` work alike everywhere.
 */
export abstract class Worker implements ServedApp {
  static readonly [WORKER_BRAND] = true;
  static readonly bindsOwnListeners: boolean = false;
  /**
   * What this class honours. The default is plain HTTP on the arbiter's sockets, both app shapes;
   * pre refuses any setting that needs more. Declare what you support, e.g.
   * `static capabilities = { ...Worker.capabilities, tls: true, keepalive: true }`.
   */
  static readonly capabilities: Partial<WorkerCapabilities> = DEFAULT_CAPABILITIES;

  readonly settings: Settings;
  readonly app: LoadedApp;
  readonly listeners: readonly ListenerInfo[];
  readonly log: Logger;
  readonly accessLog: AccessLog;
  readonly age: number;
  readonly pid: number = process.pid;
  readonly workerClass: string;
  /** This worker retires after this many requests: `max_requests` plus its jitter, or Infinity. */
  readonly maxRequests: number;
  /**
   * True when `requestFinished` wants an AccessLogEntry: the access log is on, or metrics take each
   * request's status and duration from it. Build none otherwise.
   */
  readonly wantsAccessEntries: boolean;
  /**
   * True when pre_request or post_request hooks are set, or Prometheus counts requests in flight: classes
   * may skip building RequestInfo and calling requestStarted otherwise.
   */
  readonly hasRequestHooks: boolean;

  readonly #onRetire: (reason: string) => void;
  readonly #requestListenerCopy: (index: number) => Promise<ListenerCopy>;
  #retired = false;
  #requestCount = 0;
  #alive = true;
  readonly #metrics: RequestMetrics | null;

  constructor(options: WorkerOptions) {
    this.settings = options.settings;
    this.app = options.app;
    this.listeners = options.listeners;
    this.log = options.log;
    this.accessLog = options.accessLog;
    this.age = options.age;
    this.workerClass = options.workerClass;
    this.#onRetire = options.onRetire;
    this.#requestListenerCopy = options.requestListenerCopy;
    const { max_requests: max, max_requests_jitter: jitter } = options.settings;
    this.maxRequests = max > 0 ? max + Math.floor(Math.random() * (jitter + 1)) : Infinity;
    this.#metrics = options.metrics ?? null;
    this.wantsAccessEntries = options.accessLog.enabled || this.#metrics !== null;
    this.hasRequestHooks = Boolean(options.settings.pre_request || options.settings.post_request || this.#metrics?.countsInFlight);
  }

  /** Start serving. Resolve once the worker accepts connections on every listener. */
  abstract run(): Promise<void>;

  /**
   * Stop serving. Graceful: stop accepting, let in-flight requests finish (answering them with
   * `Connection: close`), close idle connections, then resolve. Fast: drop everything now.
   * The arbiter kills the process if a graceful stop outlasts `graceful_timeout`.
   */
  abstract stop(graceful: boolean): Promise<void>;

  /**
   * Called from the event loop on every heartbeat tick; return false to withhold the beat (for instance
   * while a request has outlived `timeout`), so that the arbiter aborts this worker.
   */
  heartbeat(): boolean {
    return true;
  }

  /** Requests finished so far. */
  get requestCount(): number {
    return this.#requestCount;
  }

  /**
   * Open HTTP/1.1 connections, reported to the arbiter with the request count (keepalive_rebalance), or
   * null when the class does not count them. A class that declares `shedConnections` overrides it.
   */
  get openConnections(): number | null {
    return null;
  }

  /**
   * keepalive_rebalance: this worker serves more than its share; close `count` distinct keep-alive
   * connections gracefully so their clients reconnect (and may land on another worker). Each chosen
   * connection gets `Connection: close` on its next response; an idle one is never cut (its client may be
   * sending at that instant). A class sharing a listening socket should also stop accepting for a moment
   * (`AcceptSpread#leaveFor(REBALANCE_PAUSE_MS)`) so the clients reconnect elsewhere. Called only for a class
   * that declares `shedConnections`; returns (or resolves to) how many connections were chosen.
   */
  shedConnections(count: number): number | Promise<number> {
    void count;
    return 0;
  }

  /** False once a stop has begun. */
  get alive(): boolean {
    return this.#alive;
  }

  [STOP_BEGUN](): void {
    this.#alive = false;
  }

  /** What worker-side hooks receive. */
  get info(): WorkerInfo {
    return { pid: this.pid, age: this.age, workerClass: this.workerClass, log: this.log };
  }

  /** Runs `pre_request`; call it before the app sees the request. */
  async requestStarted(request: RequestInfo): Promise<void> {
    this.#metrics?.started();
    await runHook(this.settings, 'pre_request', this.log, this.info, request);
  }

  /**
   * Call it once per finished request (whatever its outcome): counts it for `max_requests` and metrics,
   * writes the access log line and runs `post_request`. Metrics take status and duration from `entry`
   * (built when `wantsAccessEntries`) or `response`.
   */
  requestFinished(entry: AccessLogEntry | null, request?: RequestInfo, response?: ResponseInfo): void {
    const count = ++this.#requestCount;
    this.#metrics?.finished(entry, response);
    if (entry) this.accessLog.log(entry);
    if (request && response && this.settings.post_request) {
      void runHook(this.settings, 'post_request', this.log, this.info, request, response);
    }
    if (count >= this.maxRequests) this.retire(`max_requests (${count} requests)`);
  }

  /**
   * A new fd for `this.listeners[index]`, received from the arbiter (each copy is a separate fd on the
   * same socket). For designs that close a listener and open it again (a worker that stops accepting
   * while busy) or give each thread its own listener. Works for every bind, inherited ones included.
   */
  duplicateListener(index: number): Promise<ListenerCopy> {
    return this.#requestListenerCopy(index);
  }

  /** Leave gracefully: the runtime stops this worker and the arbiter starts a replacement. Idempotent. */
  retire(reason: string): void {
    if (this.#retired) return;
    this.#retired = true;
    this.#onRetire(reason);
  }
}
