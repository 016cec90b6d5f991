import type { ResponseInfo } from '../hooks.js';
import type { AccessLogEntry } from '../logging/access-log.js';
import type { LogCount, Logger } from '../logging/error-log.js';
import type { Settings } from '../settings/registry.js';
import { StatsdClient, parseStatsdHost } from './statsd.js';
import { WorkerRegistry, type MetricsSnapshot } from './worker-registry.js';

/** What `Worker#requestStarted`/`requestFinished` report to; null on the Worker when metrics are off. */
export interface RequestMetrics {
  /** True when requests in flight are counted: worker classes must then call requestStarted for every request. */
  readonly countsInFlight: boolean;
  started(): void;
  /**
   * For a worker class whose requests run where `started` cannot be called (threads): it counts its
   * requests in flight itself and the gauge reads `source` instead.
   */
  countInFlightWith(source: () => number): void;
  finished(entry: AccessLogEntry | null, response: ResponseInfo | undefined): void;
}

/**
 * What a worker records per request: StatsD lines with Gunicorn's names (`statsd_host`) and a
 * Prometheus registry the arbiter collects over IPC (`prometheus_bind`).
 */
export class WorkerMetrics implements RequestMetrics {
  readonly countsInFlight: boolean;
  readonly #statsd: StatsdClient | null;
  #registry: WorkerRegistry | null = null;
  /**
   * Started minus finished. Not paired by object: some classes report a copy of the request at the end.
   * A request refused before the app (no `started`) still finishes: the floor at 0 absorbs it.
   */
  #inFlight = 0;
  #inFlightSource: (() => number) | null = null;

  private constructor(statsd: StatsdClient | null, prometheus: boolean) {
    this.#statsd = statsd;
    this.countsInFlight = prometheus;
  }

  /** Null when neither `statsd_host` nor `prometheus_bind` is set. Never throws: a bad setting is logged. */
  static async create(settings: Settings, log: Logger): Promise<WorkerMetrics | null> {
    if (!settings.statsd_host && !settings.prometheus_bind) return null;
    let statsd: StatsdClient | null = null;
    try {
      if (settings.statsd_host) {
        statsd = new StatsdClient({ address: parseStatsdHost(settings.statsd_host), prefix: settings.statsd_prefix, tags: settings.dogstatsd_tags });
      }
    } catch (err) {
      log.error(`StatsD is off in this worker: ${err instanceof Error ? err.message : String(err)}`);
    }
    const metrics = new WorkerMetrics(statsd, Boolean(settings.prometheus_bind));
    if (settings.prometheus_bind) metrics.#registry = await WorkerRegistry.create(() => metrics.#inFlightSource?.() ?? metrics.#inFlight);
    return metrics;
  }

  started(): void {
    if (this.countsInFlight) this.#inFlight++;
  }

  countInFlightWith(source: () => number): void {
    this.#inFlightSource = source;
  }

  finished(entry: AccessLogEntry | null, response: ResponseInfo | undefined): void {
    if (this.#inFlight > 0) this.#inFlight--;
    const status = entry?.status ?? response?.status;
    const durationMs = entry?.durationMs ?? response?.durationMs;
    const statsd = this.#statsd;
    if (statsd) {
      statsd.increment('gunicorn.requests');
      if (durationMs !== undefined) statsd.timing('gunicorn.request.duration', durationMs);
      if (status !== undefined) statsd.increment(statusMetric(status));
    }
    if (status !== undefined && durationMs !== undefined) this.#registry?.record(status, durationMs);
  }

  /** This worker is being replaced for max_worker_memory. */
  memoryRetired(): void {
    this.#statsd?.increment('gunicorn.worker.memory_retirements');
    this.#registry?.memoryRetired();
  }

  /** Counts error log lines as `gunicorn.log.<kind>` (ErrorLog's observer). */
  logged(kind: LogCount): void {
    this.#statsd?.increment(`gunicorn.log.${kind}`);
  }

  get hasPrometheus(): boolean {
    return this.#registry !== null;
  }

  get hasStatsd(): boolean {
    return this.#statsd !== null;
  }

  /** This worker's Prometheus metrics, for the arbiter's aggregate; empty without `prometheus_bind`. */
  snapshot(): Promise<MetricsSnapshot> {
    return this.#registry?.snapshot() ?? Promise.resolve([]);
  }

  /** Sends queued StatsD lines now (before exit). */
  flush(): void {
    this.#statsd?.flush();
  }
}

const STATUS_METRICS = new Map<number, string>();

/** `gunicorn.request.status.<code>`, built once per code. */
function statusMetric(status: number): string {
  let name = STATUS_METRICS.get(status);
  if (name === undefined) STATUS_METRICS.set(status, (name = `gunicorn.request.status.${status}`));
  return name;
}
