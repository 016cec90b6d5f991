import type { Counter, Histogram, MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

/** What the arbiter's `/metrics` aggregates from every worker (summed across workers). */
export const REQUESTS_TOTAL = 'pre_http_requests_total';
export const REQUEST_DURATION = 'pre_http_request_duration_seconds';
export const REQUESTS_IN_FLIGHT = 'pre_http_requests_in_flight';
export const MEMORY_RETIREMENTS = 'pre_worker_memory_retirements_total';

export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/**
 * One worker's Prometheus registry: requests by status, a latency histogram and requests in flight.
 * prom-client is imported only here, and only when `prometheus_bind` is set.
 */
export class WorkerRegistry {
  readonly #registry: Registry;
  readonly #requests: Counter<'status'>;
  readonly #duration: Histogram;
  readonly #memoryRetirements: Counter;
  /** Label lookups cost a hash per call: keep one child counter per status code. */
  readonly #byStatus = new Map<number, Counter.Internal>();

  private constructor(prom: typeof import('prom-client'), inFlight: () => number) {
    this.#registry = new prom.Registry();
    const registers = [this.#registry];
    this.#requests = new prom.Counter({ name: REQUESTS_TOTAL, help: 'Requests finished, by response status.', labelNames: ['status'], registers });
    this.#duration = new prom.Histogram({ name: REQUEST_DURATION, help: 'Request latency, from the request head to the end of the response.', registers });
    this.#memoryRetirements = new prom.Counter({ name: MEMORY_RETIREMENTS, help: 'Workers replaced because their RSS passed max_worker_memory.', registers });
    new prom.Gauge({
      name: REQUESTS_IN_FLIGHT, help: 'Requests started and not yet finished.', registers,
      collect() {
        this.set(inFlight());
      },
    });
  }

  static async create(inFlight: () => number): Promise<WorkerRegistry> {
    return new WorkerRegistry(await import('prom-client'), inFlight);
  }

  record(status: number, durationMs: number): void {
    let counter = this.#byStatus.get(status);
    if (!counter) this.#byStatus.set(status, (counter = this.#requests.labels(String(status))));
    counter.inc();
    this.#duration.observe(durationMs / 1000);
  }

  memoryRetired(): void {
    this.#memoryRetirements.inc();
  }

  snapshot(): Promise<MetricsSnapshot> {
    return this.#registry.getMetricsAsJSON();
  }
}
