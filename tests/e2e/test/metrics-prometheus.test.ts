import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freePort, HELLO, isAlive, runPre, startPre, stopAll, type PreProcess, waitFor } from '../helpers/pre.js';
import { nativeUwsAvailable } from '../helpers/uws.js';

afterEach(stopAll);


/** Starts pre with `--prometheus-bind 127.0.0.1:0`; returns the app's URL and the scrape URL from the log. */
async function startWithPrometheus(app: string, workerClass: string, args: readonly string[] = []): Promise<{ pre: PreProcess; url: string; metricsUrl: string }> {
  const bind = workerClass === 'uws' ? `127.0.0.1:${await freePort()}` : '127.0.0.1:0';
  const pre = startPre([app, '-k', workerClass, '-b', bind, '-w', '2', '--log-level', 'debug', '--prometheus-bind', '127.0.0.1:0', ...args]);
  const url = await pre.ready(2);
  const metricsUrl = (await pre.waitForLog(/Serving Prometheus metrics at: (\S+)/))[1]!;
  return { pre, url, metricsUrl };
}

/** One scrape, as the samples it lists: `name{labels}` → value. */
async function scrape(metricsUrl: string): Promise<Map<string, number>> {
  const res = await request(metricsUrl);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await res.body.text()).split('\n')) {
    const match = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

async function get(url: string, count: number, agent: Agent): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await request(url, { dispatcher: agent });
    await res.body.dump();
    statuses.push(res.statusCode);
  }
  return statuses;
}

const CLASSES = [
  { workerClass: 'async', app: HELLO, args: [] },
  { workerClass: 'sync', app: HELLO, args: [] },
  { workerClass: 'threads', app: HELLO, args: ['--threads', '2'] },
  // uws has a native build only for Node 20 (see helpers/uws.ts).
  ...(nativeUwsAvailable ? [{ workerClass: 'uws', app: path.join(FIXTURES, 'uws-app.js'), args: [] }] : []),
];

describe('Prometheus endpoint', () => {
  it.each(CLASSES)('aggregates requests by status and the latency histogram of every $workerClass worker, with the arbiter\'s gauges', async ({ workerClass, app, args }) => {
    const { pre, url, metricsUrl } = await startWithPrometheus(app, workerClass, args);
    const agent = new Agent({ connections: 4 });
    const results = await Promise.all([get(`${url}/`, 15, agent), get(`${url}/`, 15, agent), get(`${url}/missing`, 2, agent)]);
    await agent.close();
    expect(results.flat().sort()).toEqual([...Array(30).fill(200), 404, 404]);

    // Threads hand their requests to the worker's main thread in batches: wait for the totals.
    const samples = await waitFor(async () => {
      const s = await scrape(metricsUrl);
      return s.get('pre_http_request_duration_seconds_count') === 32 ? s : null;
    }, 'all 32 requests in the scrape');
    expect(samples.get('pre_http_requests_total{status="200"}')).toBe(30);
    expect(samples.get('pre_http_requests_total{status="404"}')).toBe(2);
    expect(samples.get('pre_http_request_duration_seconds_bucket{le="+Inf"}')).toBe(32);
    expect(samples.get('pre_http_request_duration_seconds_sum')).toBeGreaterThan(0);
    expect(samples.get('pre_http_requests_in_flight')).toBe(0);
    expect(samples.get('pre_workers')).toBe(2);
    expect(samples.get('pre_workers_target')).toBe(2);
    expect(samples.get('pre_worker_restarts_total')).toBe(0);
    for (const pid of pre.bootedWorkers()) {
      const age = samples.get(`pre_worker_heartbeat_age_seconds{pid="${pid}"}`);
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(30); // timeout: an older heartbeat would have had the worker replaced
    }
  });

  it('counts requests in flight while they run', async () => {
    const { url, metricsUrl } = await startWithPrometheus(HELLO, 'async');
    const controller = new AbortController();
    const agent = new Agent({ connections: 3 });
    const slow = Array.from({ length: 3 }, () => request(`${url}/slow?ms=20000`, { dispatcher: agent, signal: controller.signal }).catch(() => null));
    await waitFor(async () => (await scrape(metricsUrl)).get('pre_http_requests_in_flight') === 3, '3 requests in flight');
    controller.abort();
    await Promise.all(slow);
    await agent.close();
    await waitFor(async () => (await scrape(metricsUrl)).get('pre_http_requests_in_flight') === 0, 'no request in flight');
  });

  it('keeps the totals of a replaced worker and counts the restart', async () => {
    const { pre, url, metricsUrl } = await startWithPrometheus(HELLO, 'async');
    const agent = new Agent({ connections: 2 });
    expect(await get(`${url}/`, 20, agent)).toEqual(Array(20).fill(200));
    await agent.close();
    expect((await scrape(metricsUrl)).get('pre_http_requests_total{status="200"}')).toBe(20);

    const [victim] = pre.bootedWorkers();
    process.kill(victim!, 'SIGTERM');
    await waitFor(() => !isAlive(victim!) && pre.bootedWorkers().length === 2, 'the worker to be replaced');
    const after = await waitFor(async () => {
      const s = await scrape(metricsUrl);
      return s.get('pre_worker_restarts_total') === 1 ? s : null;
    }, 'the restart in the scrape');
    expect(after.get('pre_http_requests_total{status="200"}')).toBe(20);
    expect(after.get('pre_http_request_duration_seconds_count')).toBe(20);
    expect(after.get('pre_workers')).toBe(2);
    expect(after.has(`pre_worker_heartbeat_age_seconds{pid="${victim}"}`)).toBe(false);
  });

  it('answers 404 off /metrics, and refuses a bad prometheus_bind at start with a clear message', async () => {
    const { metricsUrl } = await startWithPrometheus(HELLO, 'async');
    const res = await request(metricsUrl.replace(/\/metrics$/, '/'));
    expect(res.statusCode).toBe(404);
    await res.body.dump();

    const bad = await runPre([HELLO, '-b', '127.0.0.1:0', '--prometheus-bind', 'fd://3']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Invalid value for setting 'prometheus_bind' \(--prometheus-bind\): "fd:\/\/3"/);
  });
});
