import type { ErrorLog } from '../logging/error-log.js';
import type { Settings } from '../settings/registry.js';
import type { WorkerMessage } from '../worker/protocol.js';
import { OLD_MASTER_ENV } from '../arbiter/upgrade.js';
import { HealthServer } from '../health/health-server.js';
import { ReadinessProbe } from '../health/readiness.js';
import { PrometheusServer, type MetricsHost } from './prometheus.js';
import { StatsdClient, parseStatsdHost } from './statsd.js';

/** Gunicorn sends `gunicorn.workers` from its loop, about once a second. */
const WORKERS_GAUGE_MS = 1000;

/**
 * The arbiter's part of metrics and probes: the `gunicorn.workers` gauge and `gunicorn.log.*` counters
 * of its own log for StatsD, the Prometheus endpoint, and the readiness probes (on `health_bind`, and on
 * `prometheus_bind`). Settings are read once at start; a HUP keeps them.
 */
export class ArbiterMetrics {
  readonly #statsd: StatsdClient | null;
  readonly #prometheus: PrometheusServer | null;
  readonly #health: HealthServer | null;
  readonly #gaugeTimer: NodeJS.Timeout | null = null;
  readonly #log: ErrorLog;

  private constructor(statsd: StatsdClient | null, prometheus: PrometheusServer | null, health: HealthServer | null, host: MetricsHost, log: ErrorLog) {
    this.#statsd = statsd;
    this.#prometheus = prometheus;
    this.#health = health;
    this.#log = log;
    if (statsd) {
      log.onCount = (kind) => statsd.increment(`gunicorn.log.${kind}`);
      this.#gaugeTimer = setInterval(() => statsd.gauge('gunicorn.workers', host.stats().liveWorkers), WORKERS_GAUGE_MS).unref();
    }
  }

  /** Null when none of `statsd_host`, `prometheus_bind`, `health_bind` is set. Throws a PreError for a bad address. */
  static async start(settings: Settings, host: MetricsHost, log: ErrorLog): Promise<ArbiterMetrics | null> {
    if (!settings.statsd_host && !settings.prometheus_bind && !settings.health_bind) return null;
    const statsd = settings.statsd_host
      ? new StatsdClient({ address: parseStatsdHost(settings.statsd_host), prefix: settings.statsd_prefix, tags: settings.dogstatsd_tags })
      : null;
    if (statsd) log.info(`Sending StatsD metrics to ${settings.statsd_host}`);
    // A new master started by USR2 waits for the old one to let go of these addresses (see http-endpoint.ts).
    const oldMasterHoldsIt = process.env[OLD_MASTER_ENV] !== undefined;
    const probe = new ReadinessProbe(host);
    let prometheus: PrometheusServer | null = null;
    try {
      prometheus = settings.prometheus_bind ? await PrometheusServer.start(settings.prometheus_bind, host, probe, oldMasterHoldsIt, log) : null;
      const health = settings.health_bind ? await HealthServer.start(settings.health_bind, probe, oldMasterHoldsIt, log) : null;
      return new ArbiterMetrics(statsd, prometheus, health, host, log);
    } catch (err) {
      statsd?.close();
      await prometheus?.close();
      throw err;
    }
  }

  /** Takes the worker messages that belong to metrics; false for any other message. */
  onWorkerMessage(pid: number, message: WorkerMessage): boolean {
    if (message.type !== 'metrics_snapshot') return false;
    this.#prometheus?.receive(pid, message.id, message.metrics);
    return true;
  }

  /** A worker was asked to close some keep-alive connections (keepalive_rebalance); Prometheus reads the count from stats. */
  keepaliveRebalanced(): void {
    this.#statsd?.increment('gunicorn.keepalive_rebalanced');
  }

  workerExited(pid: number): void {
    this.#prometheus?.workerExited(pid);
  }

  async close(): Promise<void> {
    if (this.#gaugeTimer) clearInterval(this.#gaugeTimer);
    this.#log.onCount = null;
    this.#statsd?.close();
    await Promise.all([this.#prometheus?.close(), this.#health?.close()]);
  }
}
