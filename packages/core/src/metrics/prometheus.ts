import { createServer, type Server } from 'node:http';
import type { PrometheusContentType, Registry } from 'prom-client';
import type { ArbiterStats, WorkerStatus } from '../arbiter/control-api.js';
import { listenEndpoint } from '../health/http-endpoint.js';
import type { ReadinessProbe } from '../health/readiness.js';
import type { ListenerInfo } from '../listeners/address.js';
import type { Logger } from '../logging/error-log.js';
import { listenBacklogs } from './listen-backlog.js';
import { FINAL_SNAPSHOT_ID, type MetricsRequestMessage } from '../worker/protocol.js';
import type { MetricsSnapshot } from './worker-registry.js';

/** A worker that has not answered by then is counted with its previous snapshot. */
const SNAPSHOT_TIMEOUT_MS = 1000;

/** What the Prometheus endpoint needs from the arbiter. */
export interface MetricsHost {
  stats(): ArbiterStats;
  workerStatuses(): WorkerStatus[];
  listenerInfos(): ListenerInfo[];
  /** Sends a message to a live worker; false when it is gone. */
  sendToWorker(pid: number, message: MetricsRequestMessage): boolean;
}

type Prom = typeof import('prom-client');

/**
 * `prometheus_bind`: an HTTP server in the arbiter whose `/metrics` asks every booted worker for its
 * registry over IPC, sums them with prom-client's AggregatorRegistry, and adds the arbiter's own gauges
 * (workers, restarts, heartbeat age). Counters of exited workers are kept (from their last snapshot),
 * so totals do not drop when a worker is replaced.
 */
export class PrometheusServer {
  readonly #prom: Prom;
  readonly #server: Server;
  readonly #host: MetricsHost;
  readonly #log: Logger;
  /** The last snapshot of each live worker, by pid. */
  readonly #latest = new Map<number, MetricsSnapshot>();
  /** Counters and histograms of exited workers, summed into one snapshot. */
  #retired: MetricsSnapshot[] = [];
  readonly #pending = new Map<number, () => void>();
  /** Workers whose final snapshot (sent before exit) has arrived. */
  readonly #final = new Set<number>();
  #nextId = 1;
  #cancelListen: () => void = () => {};
  /** e.g. `http://127.0.0.1:9100/metrics`. */
  url = '';

  private constructor(prom: Prom, host: MetricsHost, probe: ReadinessProbe, log: Logger) {
    this.#prom = prom;
    this.#host = host;
    this.#log = log;
    this.#server = createServer((req, res) => {
      if (probe.answer(req, res)) return;
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at /metrics\n');
        return;
      }
      this.#render().then(
        ({ body, contentType }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: unknown) => {
          this.#log.exception('Cannot render Prometheus metrics', err);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('Cannot render metrics; see the error log\n');
        },
      );
    });
  }

  static async start(bind: string, host: MetricsHost, probe: ReadinessProbe, oldMasterHoldsIt: boolean, log: Logger): Promise<PrometheusServer> {
    const server = new PrometheusServer(await import('prom-client'), host, probe, log);
    const { cancel } = await listenEndpoint(server.#server, bind, {
      setting: 'prometheus_bind', flag: '--prometheus-bind', path: '/metrics', oldMasterHoldsIt, log,
      onListening: (url) => {
        server.url = url;
        log.info(`Serving Prometheus metrics at: ${url} (probes at /ready and /live)`);
      },
    });
    server.#cancelListen = cancel;
    return server;
  }

  /** Routes a worker's `metrics_snapshot` answer. */
  receive(pid: number, id: number, metrics: readonly unknown[]): void {
    // After a worker's final snapshot, a late answer to a scrape (taken earlier) must not replace it.
    if (id === FINAL_SNAPSHOT_ID) this.#final.add(pid);
    if (id === FINAL_SNAPSHOT_ID || !this.#final.has(pid)) this.#latest.set(pid, metrics as MetricsSnapshot);
    const done = this.#pending.get(id);
    this.#pending.delete(id);
    done?.();
  }

  /** A worker exited: its counters and histograms stay in the totals; its gauges go. */
  workerExited(pid: number): void {
    const last = this.#latest.get(pid);
    this.#latest.delete(pid);
    this.#final.delete(pid);
    // At run time `type` is a string ('counter', 'gauge', …), whatever prom-client's typings say.
    if (last) this.#retired.push(last.filter((metric) => String(metric.type) !== 'gauge'));
  }

  close(): Promise<void> {
    this.#cancelListen();
    if (!this.#server.listening) return Promise.resolve();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #render(): Promise<{ body: string; contentType: string }> {
    await this.#collect();
    if (this.#retired.length > 1) this.#retired = [await this.#prom.AggregatorRegistry.aggregate(this.#retired).getMetricsAsJSON()];
    const workers = this.#prom.AggregatorRegistry.aggregate<PrometheusContentType>([...this.#retired, ...this.#latest.values()]);
    const registry = this.#prom.Registry.merge([workers, this.#arbiterRegistry()]);
    return { body: await registry.metrics(), contentType: registry.contentType };
  }

  /** Asks every booted worker for a snapshot and waits for the answers (at most SNAPSHOT_TIMEOUT_MS). */
  async #collect(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const worker of this.#host.workerStatuses()) {
      if (!worker.booted) continue;
      const id = this.#nextId++;
      waits.push(new Promise<void>((resolve) => {
        this.#pending.set(id, resolve);
        if (!this.#host.sendToWorker(worker.pid, { type: 'metrics_request', id })) resolve();
      }));
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, SNAPSHOT_TIMEOUT_MS)));
    await Promise.race([Promise.all(waits), timeout]);
    clearTimeout(timer);
    this.#pending.clear();
  }

  /** The arbiter's own metrics, built fresh for each scrape (so a gone worker's series disappear). */
  #arbiterRegistry(): Registry {
    const { Registry, Gauge, Counter } = this.#prom;
    const registry = new Registry();
    const registers = [registry];
    const stats = this.#host.stats();
    new Gauge({ name: 'pre_workers', help: 'Live worker processes (including ones booting or being replaced).', registers }).set(stats.liveWorkers);
    new Gauge({ name: 'pre_workers_target', help: 'The number of workers the arbiter keeps (workers, TTIN/TTOU).', registers }).set(stats.numWorkers);
    new Counter({ name: 'pre_worker_restarts_total', help: 'Workers that exited while the arbiter was running (crashes, timeouts, max_requests, reloads).', registers }).inc(stats.workerExits);
    new Counter({ name: 'pre_keepalive_rebalanced_total', help: 'Times a worker serving more than its share was asked to close some keep-alive connections (keepalive_rebalance).', registers }).inc(stats.keepaliveRebalanced);
    const age = new Gauge({ name: 'pre_worker_heartbeat_age_seconds', help: 'Seconds since each worker last touched its heartbeat file.', labelNames: ['pid'], registers });
    const now = Date.now();
    for (const worker of this.#host.workerStatuses()) {
      if (worker.lastHeartbeat > 0) age.labels(String(worker.pid)).set(Math.max(0, now - worker.lastHeartbeat) / 1000);
    }
    const backlogs = listenBacklogs(this.#host.listenerInfos());
    if (backlogs) {
      const backlog = new Gauge({ name: 'pre_listen_backlog', help: 'Connections waiting in each listener\'s accept queue (Linux: /proc/net/tcp).', labelNames: ['listener'], registers });
      for (const { url, queued } of backlogs) backlog.labels(url).set(queued);
    }
    return registry;
  }
}
