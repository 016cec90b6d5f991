import { describe, expect, it } from 'vitest';
import type { LoadedApp } from '../src/app/load.js';
import type { AccessLog, AccessLogEntry } from '../src/logging/access-log.js';
import type { Logger } from '../src/logging/error-log.js';
import type { RequestMetrics } from '../src/metrics/worker-metrics.js';
import type { Settings } from '../src/settings/registry.js';
import { STOP_BEGUN, Worker, type WorkerOptions } from '../src/worker/worker.js';

class IdleWorker extends Worker {
  async run(): Promise<void> {}
  async stop(): Promise<void> {}
}

const silent: Logger = { debug() {}, info() {}, warning() {}, error() {}, critical() {}, exception() {} };

function options(over: { settings?: Partial<Settings>; accessLogOn?: boolean; metrics?: RequestMetrics | null; retired?: string[]; logged?: AccessLogEntry[] } = {}): WorkerOptions {
  const logged = over.logged ?? [];
  const accessLog = { enabled: over.accessLogOn ?? false, log: (entry: AccessLogEntry) => logged.push(entry) } as unknown as AccessLog;
  return {
    // Only what the base class reads.
    settings: { max_requests: 0, max_requests_jitter: 0, pre_request: null, post_request: null, ...over.settings } as unknown as Settings,
    app: { shape: 'node', spec: 'app.js', listener: () => {} } as unknown as LoadedApp,
    listeners: [], log: silent, accessLog, age: 1, workerClass: 'idle',
    onRetire: (reason) => over.retired?.push(reason),
    requestListenerCopy: () => Promise.reject(new Error('none')),
    metrics: over.metrics ?? null,
  };
}

const entry = { status: 200, durationMs: 1 } as AccessLogEntry;

describe('Worker', () => {
  it('counts finished requests and retires once at max_requests; the count is read-only', () => {
    const retired: string[] = [];
    const worker = new IdleWorker(options({ settings: { max_requests: 3, max_requests_jitter: 0 }, retired }));
    for (let i = 0; i < 4; i++) worker.requestFinished(null);
    expect(worker.requestCount).toBe(4);
    expect(retired).toEqual(['max_requests (3 requests)']);
    expect(() => { (worker as { requestCount: number }).requestCount = 0; }).toThrow(TypeError);
  });

  it('is alive until the runtime begins a stop; alive cannot be set from outside', () => {
    const worker = new IdleWorker(options());
    expect(worker.alive).toBe(true);
    expect(() => { (worker as { alive: boolean }).alive = false; }).toThrow(TypeError);
    worker[STOP_BEGUN]();
    expect(worker.alive).toBe(false);
  });

  it('wants access log entries when the access log is on or metrics read them, not otherwise', () => {
    const metrics: RequestMetrics = { countsInFlight: false, started() {}, countInFlightWith() {}, finished() {} };
    expect(new IdleWorker(options()).wantsAccessEntries).toBe(false);
    expect(new IdleWorker(options({ accessLogOn: true })).wantsAccessEntries).toBe(true);
    expect(new IdleWorker(options({ metrics })).wantsAccessEntries).toBe(true);
  });

  it('hands entries to metrics and the access log', () => {
    const seen: (AccessLogEntry | null)[] = [];
    const logged: AccessLogEntry[] = [];
    const metrics: RequestMetrics = { countsInFlight: false, started() {}, countInFlightWith() {}, finished: (e) => seen.push(e) };
    const worker = new IdleWorker(options({ metrics, accessLogOn: true, logged }));
    worker.requestFinished(entry);
    expect(seen).toEqual([entry]);
    expect(logged).toEqual([entry]);
  });
});
