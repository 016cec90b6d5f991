import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { clientLoop } from '../helpers/client.js';
import { FIXTURES, HELLO, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

const SLOW_START = path.join(FIXTURES, 'slow-start.js');

async function probe(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.text() };
}

describe('readiness and liveness probes', () => {
  it('/ready is 503 until the first generation has booted, 200 while it serves, and 503 from the moment TERM arrives while requests drain', async () => {
    const pre = startPre([SLOW_START, '-b', '127.0.0.1:0', '-w', '2', '--log-level', 'debug', '--health-bind', '127.0.0.1:0', '--graceful-timeout', '10'],
      { env: { SLOW_START_MS: '1500' } });
    const readyUrl = (await pre.waitForLog(/Serving readiness probes at: (\S+)/))[1]!;
    const liveUrl = readyUrl.replace(/\/ready$/, '/live');
    // The workers spend 1.5 s in onWorkerStart: not ready yet, but alive.
    const early = await probe(readyUrl);
    expect(early.status).toBe(503);
    expect(early.body).toMatch(/^not ready: booting: [01] of 2 workers up/);
    expect((await probe(liveUrl)).status).toBe(200);

    const url = await pre.ready(2);
    await waitFor(async () => (await probe(readyUrl)).status === 200, '/ready to say 200');
    expect((await probe(readyUrl)).body).toBe('ok: 2 of 2 workers serving\n');

    // Load before the stop, and requests in flight when TERM arrives.
    let stopLoop!: () => void;
    const loop = clientLoop(url, new Promise<void>((resolve) => (stopLoop = resolve)), { concurrency: 2, maxMs: 30_000 });
    await waitFor(() => pre.stderr.match(/Worker booted/g)?.length === 2, 'both workers booted');
    const agent = new Agent({ connections: 4 });
    const slow = Array.from({ length: 4 }, () => request(`${url}/slow?ms=2500`, { dispatcher: agent }).then(async (res) => ({ status: res.statusCode, body: await res.body.text() })));
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the slow requests reach the workers
    stopLoop();
    const loaded = await loop;
    pre.signal('SIGTERM');
    let drainingSeen = false;
    await waitFor(async () => {
      const answer = await probe(readyUrl).catch(() => null);
      if (answer?.status === 503 && answer.body.includes('stopping')) drainingSeen = true;
      return drainingSeen;
    }, '/ready to say 503 after TERM', 5000);
    // Still draining: the probe flipped before the in-flight requests finished, and /live still answers.
    expect(await Promise.race([Promise.all(slow).then(() => 'finished'), new Promise((resolve) => setTimeout(() => resolve('pending'), 0))])).toBe('pending');
    expect((await probe(liveUrl)).status).toBe(200);
    expect(await Promise.all(slow)).toEqual(Array(4).fill({ status: 200, body: 'slow done' }));
    await agent.close();
    expect(loaded.failed).toBe(0);
    expect(loaded.ok).toBeGreaterThan(0);
    expect((await pre.exited).code).toBe(0);
  });

  it('are also served on prometheus_bind, beside /metrics', async () => {
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug', '--prometheus-bind', '127.0.0.1:0']);
    await pre.ready(1);
    const metricsUrl = (await pre.waitForLog(/Serving Prometheus metrics at: (\S+)/))[1]!;
    await waitFor(async () => (await probe(metricsUrl.replace(/\/metrics$/, '/ready'))).status === 200, '/ready on the metrics address');
    expect((await probe(metricsUrl.replace(/\/metrics$/, '/live'))).body).toBe('ok: alive\n');
    expect((await probe(metricsUrl)).status).toBe(200);
  });

  it('refuses a bad health_bind at start, naming the setting', async () => {
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--health-bind', 'nonsense']);
    expect((await pre.exited).code).not.toBe(0);
    expect(pre.stderr).toMatch(/Invalid value for setting 'health_bind' \(--health-bind\): "nonsense"/);
  });
});
