import { loadApp, runLifecycleHook, type LoadedApp } from '../app/load.js';
import { dropPrivileges } from '../identity.js';
import { ExitCode, errorMessage } from '../errors.js';
import { runHook, type WorkerInfo } from '../hooks.js';
import type { AccessLog } from '../logging/access-log.js';
import { captureOutput } from '../logging/capture-output.js';
import { createAccessLog, createErrorLog } from '../logging/create-logs.js';
import type { ErrorLog } from '../logging/error-log.js';
import { importConfigFile } from '../settings/config-file.js';
import { SETTING_LIST, type Settings } from '../settings/registry.js';
import { Heartbeat, heartbeatInterval } from './heartbeat.js';
import { receiveInit } from './receive-init.js';
import type { WorkerInitMessage, WorkerMessage } from './protocol.js';
import { appRefusals } from './capabilities.js';
import { refuseUnsupportedBy, resolveWorkerClass, type ResolvedWorkerClass } from './resolve.js';
import { STOP_BEGUN, type ListenerCopy, type Worker } from './worker.js';
import type { ListenerCopyMessage } from './protocol.js';
import { FINAL_SNAPSHOT_ID, type MetricsRequestMessage, type ShedConnectionsMessage } from './protocol.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import { MemoryLimit } from '../health/memory-limit.js';

const STATS_INTERVAL_MS = 1000;
/** The final report waits at most this long for the IPC pipe (a stuck arbiter must not keep a worker alive). */
const FINAL_REPORT_MS = 1000;
/** Kept back from graceful_timeout for worker_exit and the exit itself, before the arbiter's SIGKILL. */
const EXIT_MARGIN_MS = 250;

/**
 * The life of a worker process: init → post_fork → load the worker class and the app → post_worker_init
 * → run → (signal or retire) → stop → worker_exit → exit. Signal handlers only start a stop; the
 * worker class does the serving.
 */
export class WorkerRuntime {
  readonly #init: WorkerInitMessage;
  readonly #settings: Settings;
  readonly #log: ErrorLog;
  readonly #accessLog: AccessLog;
  readonly #heartbeat: Heartbeat;
  /** capture_output: writes out an unfinished last line of stdout/stderr. */
  readonly #flushCapturedOutput: (() => void) | null;
  #worker: Worker | null = null;
  #bindsOwnListeners = false;
  /** The worker class runs onWorkerStart/onWorkerStop where the app serves (threads): not here too. */
  #runsAppLifecycle = false;
  /** StatsD and Prometheus (statsd_host, prometheus_bind); null when both are off. */
  #metrics: WorkerMetrics | null = null;
  readonly #listenerCopies = new ListenerCopies();
  #stopping: 'graceful' | 'fast' | null = null;
  /** When the first stop began: the graceful drain and the app's onWorkerStop share graceful_timeout from here. */
  #stopStartedAt = 0;
  /** The app, once its onWorkerStart has succeeded: only then does onWorkerStop run. */
  #startedApp: LoadedApp | null = null;
  #exiting: Promise<never> | null = null;

  private constructor(init: WorkerInitMessage, settings: Settings) {
    this.#init = init;
    this.#settings = settings;
    this.#log = createErrorLog(settings, init.procName);
    this.#accessLog = createAccessLog(settings);
    this.#flushCapturedOutput = settings.capture_output ? captureOutput(this.#log) : null;
    this.#heartbeat = new Heartbeat(init.heartbeatFd);
  }

  /** Entry point of a worker process. */
  static async main(): Promise<void> {
    const init = await receiveInit();
    const settings = await withHooks(init);
    await new WorkerRuntime(init, settings).run();
  }

  get #info(): WorkerInfo {
    return { pid: process.pid, age: this.#init.age, workerClass: this.#settings.worker_class, log: this.#log };
  }

  async run(): Promise<void> {
    process.title = `pre: worker [${this.#init.procName}]`;
    if (this.#init.identity) dropPrivileges(this.#init.identity);
    this.#installSignalHandlers();
    if (this.#settings.timeout > 0) {
      this.#heartbeat.start(heartbeatInterval(this.#settings.timeout), () => this.#worker?.heartbeat() ?? true);
    }
    await runHook(this.#settings, 'post_fork', this.#log, this.#info);

    let resolved: ResolvedWorkerClass;
    try {
      resolved = await resolveWorkerClass(this.#settings.worker_class, process.cwd());
      this.#bindsOwnListeners = resolved.WorkerClass.bindsOwnListeners === true;
      this.#runsAppLifecycle = resolved.WorkerClass.runsAppLifecycle === true;
    } catch (err) {
      return this.#failBoot('boot_error', ExitCode.WORKER_BOOT_ERROR, errorMessage(err));
    }
    let app: LoadedApp;
    try {
      app = await loadApp(this.#settings.app ?? '', process.cwd(), this.#settings.app_shape);
    } catch (err) {
      return this.#failBoot('app_error', ExitCode.APP_LOAD_ERROR, errorMessage(err));
    }
    try {
      // The arbiter checked the settings; the app's shape is known only here (the arbiter does not load the app).
      await refuseUnsupportedBy(resolved, appRefusals(resolved.capabilities, app), process.cwd());
    } catch (err) {
      return this.#failBoot('boot_error', ExitCode.WORKER_BOOT_ERROR, errorMessage(err));
    }
    if (!this.#runsAppLifecycle) {
      try {
        await runLifecycleHook(app, 'onWorkerStart', this.#info, this.#settings.timeout * 1000, 'timeout');
      } catch (err) {
        return this.#failBoot('app_error', ExitCode.APP_LOAD_ERROR, errorMessage(err));
      }
      this.#startedApp = app;
    }
    if (this.#stopping) return this.#exit();

    // Loaded only when asked for: most workers send no metrics.
    if (this.#settings.statsd_host || this.#settings.prometheus_bind) {
      this.#metrics = await (await import('../metrics/worker-metrics.js')).WorkerMetrics.create(this.#settings, this.#log);
    }
    if (this.#stopping) return this.#exit(); // a TERM while the metrics started: stop() found no worker yet
    if (this.#metrics) this.#serveMetrics(this.#metrics);
    try {
      this.#worker = new resolved.WorkerClass({
        settings: this.#settings,
        app,
        listeners: this.#init.listeners,
        log: this.#log,
        accessLog: this.#accessLog,
        metrics: this.#metrics,
        age: this.#init.age,
        workerClass: this.#settings.worker_class,
        onRetire: (reason) => this.#retire(reason),
        requestListenerCopy: (index) => this.#listenerCopies.request(index),
      });
      await runHook(this.#settings, 'post_worker_init', this.#log, this.#info);
      await this.#worker.run();
    } catch (err) {
      return this.#failBoot('boot_error', ExitCode.WORKER_BOOT_ERROR, `worker failed to start: ${err instanceof Error && err.stack ? err.stack : errorMessage(err)}`);
    }
    send({ type: 'booted' });
    this.#reportStats();
    this.#obeyShedRequests();
    this.#watchMemory();
  }

  /** `max_worker_memory`: RSS checked on each heartbeat tick; over it, the worker hands over to a replacement. */
  #watchMemory(): void {
    if (this.#settings.max_worker_memory <= 0) return;
    const limit = new MemoryLimit(this.#settings.max_worker_memory, (reason) => {
      clearInterval(timer);
      this.#metrics?.memoryRetired();
      this.#retire(reason, true);
    });
    const timer = setInterval(() => limit.check(), heartbeatInterval(this.#settings.timeout));
    timer.unref();
  }

  /**
   * Tells the arbiter how many requests this worker served (for `pre ctl show workers`) and, from a class
   * that counts them, its open connections (keepalive_rebalance), when either changed.
   */
  #reportStats(): void {
    let reportedRequests = 0;
    let reportedConnections: number | null = null;
    setInterval(() => {
      const requests = this.#worker?.requestCount ?? 0;
      const connections = this.#worker?.openConnections ?? null;
      if (requests === reportedRequests && connections === reportedConnections) return;
      reportedRequests = requests;
      reportedConnections = connections;
      send(connections === null ? { type: 'stats', requests } : { type: 'stats', requests, connections });
    }, STATS_INTERVAL_MS).unref();
  }

  /** keepalive_rebalance: the arbiter asks this worker to let go of some keep-alive connections. */
  #obeyShedRequests(): void {
    process.on('message', (message: ShedConnectionsMessage) => {
      if (message?.type !== 'shed_connections' || !this.#worker?.alive) return;
      const asked = message.count;
      Promise.resolve(this.#worker.shedConnections(asked)).then(
        (chosen) => this.#log.debug(`Worker (pid: ${process.pid}) lets go of ${chosen} keep-alive connection${chosen === 1 ? '' : 's'} (asked for ${asked}): Connection: close on their next response`),
        (err: unknown) => this.#log.exception('Cannot let go of keep-alive connections', err),
      );
    });
  }

  /**
   * The last word before exit: the requests served since the last report and the final Prometheus
   * snapshot, so the arbiter's totals lose nothing when a worker leaves (max_requests, HUP, TTOU).
   * Waits until both are written to the IPC pipe, never longer than FINAL_REPORT_MS.
   */
  async #reportFinalCounts(): Promise<void> {
    if (!process.connected) return;
    const messages: WorkerMessage[] = [{ type: 'stats', requests: this.#worker?.requestCount ?? 0 }];
    if (this.#metrics?.hasPrometheus) {
      try {
        messages.push({ type: 'metrics_snapshot', id: FINAL_SNAPSHOT_ID, metrics: await this.#metrics.snapshot() });
      } catch (err) {
        this.#log.exception('Cannot collect the final Prometheus metrics', err);
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(messages.map(sendAndWait)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, FINAL_REPORT_MS))),
    ]);
    clearTimeout(timer);
  }

  /** Counts log lines for StatsD and answers the arbiter's requests for Prometheus metrics. */
  #serveMetrics(metrics: WorkerMetrics): void {
    if (metrics.hasStatsd) this.#log.onCount = (kind) => metrics.logged(kind);
    process.on('message', (message: MetricsRequestMessage) => {
      if (message?.type !== 'metrics_request') return;
      metrics.snapshot().then(
        (snapshot) => send({ type: 'metrics_snapshot', id: message.id, metrics: snapshot }),
        (err: unknown) => this.#log.exception('Cannot collect Prometheus metrics', err),
      );
    });
  }

  #installSignalHandlers(): void {
    process.on('SIGTERM', () => void this.stop(true));
    process.on('SIGHUP', () => void this.stop(true));
    process.on('SIGINT', () => void this.#interrupt());
    process.on('SIGQUIT', () => void this.#interrupt());
    process.on('SIGUSR1', () => this.#reopenLogs());
    process.on('SIGABRT', () => void this.#abort());
    // Without handlers these would stop or kill the process; they mean nothing to a worker.
    for (const signal of ['SIGTTIN', 'SIGTTOU', 'SIGWINCH', 'SIGUSR2'] as const) process.on(signal, () => {});
    process.on('disconnect', () => {
      this.#log.info(`Arbiter went away, shutting down worker (pid: ${process.pid})`);
      void this.stop(true);
    });
    process.on('uncaughtException', (err) => {
      this.#log.exception(`Uncaught exception in worker (pid: ${process.pid}); exiting`, err);
      this.#flush();
      process.exit(ExitCode.ERROR);
    });
  }

  #reopenLogs(): void {
    this.#log.reopen();
    this.#accessLog.reopen();
  }

  async #interrupt(): Promise<void> {
    await runHook(this.#settings, 'worker_int', this.#log, this.#info);
    await this.stop(false);
  }

  async #abort(): Promise<void> {
    await runHook(this.#settings, 'worker_abort', this.#log, this.#info);
    this.#flush();
    process.exit(ExitCode.ERROR);
  }

  /**
   * `handover`: keep serving until the arbiter, once a replacement has booted, sends TERM. Always for a
   * class with its own SO_REUSEPORT listeners (closing them before a replacement listens would refuse
   * connections or reset those queued on the closed listener), and for max_worker_memory.
   */
  #retire(reason: string, handover = this.#bindsOwnListeners): void {
    if (this.#stopping) return;
    this.#log.info(`Autorestarting worker ${handover ? "once its replacement serves" : "after current request"}: ${reason}`);
    send({ type: 'retiring', reason, handover });
    if (!handover) void this.stop(true);
  }


  /** Graceful or fast stop; a fast stop during a graceful one cuts it short. */
  async stop(graceful: boolean): Promise<void> {
    const mode = graceful ? 'graceful' : 'fast';
    if (this.#stopping === 'fast' || this.#stopping === mode) return;
    const escalating = this.#stopping === 'graceful';
    this.#stopping = mode;
    this.#stopStartedAt ||= Date.now();
    const worker = this.#worker;
    if (!worker) return; // still booting: run() exits when it sees #stopping
    worker[STOP_BEGUN]();
    if (graceful) {
      // The arbiter kills at graceful_timeout anyway; stopping ourselves first lets worker_exit run.
      setTimeout(() => void this.stop(false), this.#settings.graceful_timeout * 1000).unref();
    }
    try {
      await worker.stop(graceful);
    } catch (err) {
      this.#log.exception('Error while stopping the worker', err);
    }
    if (escalating || this.#stopping === mode) await this.#exit();
  }

  /** Once, however many stops reach it: the app's onWorkerStop, worker_exit, exit. */
  #exit(): Promise<never> {
    return (this.#exiting ??= this.#runExit());
  }

  async #runExit(): Promise<never> {
    if (this.#startedApp) {
      const left = (this.#stopStartedAt || Date.now()) + this.#settings.graceful_timeout * 1000 - EXIT_MARGIN_MS - Date.now();
      try {
        await runLifecycleHook(this.#startedApp, 'onWorkerStop', this.#info, Math.max(left, 1), 'graceful_timeout');
      } catch (err) {
        this.#log.warning(errorMessage(err));
      }
    }
    await runHook(this.#settings, 'worker_exit', this.#log, this.#info);
    this.#log.info(`Worker exiting (pid: ${process.pid})`);
    this.#heartbeat.stop();
    await this.#reportFinalCounts();
    this.#flush();
    process.exit(ExitCode.OK);
  }

  #failBoot(type: 'boot_error' | 'app_error', code: number, message: string): never {
    // The arbiter reports it once; the worker's own line is for debugging.
    if (process.connected) this.#log.debug(message);
    else this.#log.error(message);
    send({ type, message });
    this.#flush();
    process.exit(code);
  }

  #flush(): void {
    this.#metrics?.flush();
    this.#accessLog.flush();
    this.#flushCapturedOutput?.();
    this.#log.flush();
  }
}

/** Pending requests for listener copies, answered by the arbiter with the socket attached. */
class ListenerCopies {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (copy: ListenerCopy) => void; reject: (err: Error) => void }>();

  constructor() {
    process.on('message', (message: ListenerCopyMessage, handle?: { fd: number; close(): void }) => {
      if (message?.type !== 'listener_copy') return;
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (!pending) return handle?.close();
      if (message.error || !handle) return pending.reject(new Error(message.error ?? 'no socket received'));
      pending.resolve({ fd: handle.fd, handle, close: () => handle.close() });
    });
  }

  request(index: number): Promise<ListenerCopy> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      send({ type: 'listener_copy_request', id, index });
    });
  }
}

function send(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

/** Resolves once `message` is written to the IPC pipe (or could not be). */
function sendAndWait(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Settings cross the process boundary as data; hooks are functions, so the worker imports them from the config file. */
async function withHooks(init: WorkerInitMessage): Promise<Settings> {
  const settings: Record<string, unknown> = { ...init.settings };
  const hookNames = SETTING_LIST.filter((spec) => spec.kind === 'hook').map((spec) => spec.name);
  for (const name of hookNames) settings[name] = null;
  if (init.configFile) {
    const config = await importConfigFile(init.configFile);
    for (const name of hookNames) if (typeof config[name] === 'function') settings[name] = config[name];
  }
  return Object.freeze(settings) as Settings;
}
