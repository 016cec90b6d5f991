import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ctlJson } from '../helpers/ctl.js';
import { HELLO, startPre, stopAll, waitFor } from '../helpers/pre.js';

// Counters that never lose a request: workers leave (max_requests, HUP) and their last counts stay.

const dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `pre_http_requests_total` by status. */
async function requestsByStatus(metricsUrl: string): Promise<Map<number, number>> {
  const res = await request(metricsUrl);
  expect(res.statusCode).toBe(200);
  const counts = new Map<number, number>();
  for (const m of (await res.body.text()).matchAll(/^pre_http_requests_total\{status="(\d+)"\} (\d+)$/gm)) counts.set(Number(m[1]), Number(m[2]));
  return counts;
}

/** Sends `total` requests over `concurrency` connections: every 20th to /missing (404), every 50th (+1) to /error (500). */
async function load(url: string, total: number, concurrency: number, onRequest: (i: number) => void = () => {}): Promise<Map<number | 'failed', number>> {
  const agent = new Agent({ connections: concurrency });
  const seen = new Map<number | 'failed', number>();
  const add = (key: number | 'failed'): void => void seen.set(key, (seen.get(key) ?? 0) + 1);
  let next = 0;
  const deadline = Date.now() + 120_000;
  const loop = async (): Promise<void> => {
    while (next < total && Date.now() < deadline) {
      const i = next++;
      onRequest(i);
      const target = i % 20 === 0 ? '/missing' : i % 50 === 1 ? '/error' : '/';
      try {
        const res = await request(`${url}${target}`, { dispatcher: agent });
        await res.body.dump();
        add(res.statusCode);
      } catch {
        add('failed');
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  await agent.close();
  return seen;
}

const CLASSES = [
  { workerClass: 'async', args: [] },
  { workerClass: 'sync', args: [] },
  { workerClass: 'threads', args: ['--threads', '2'] },
];

describe('metrics across worker exits', () => {
  it.each(CLASSES)('$workerClass: pre_http_requests_total and `pre ctl show stats` count every request across max_requests restarts and a HUP, 404s and 500s included', async ({ workerClass, args }) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-counts-'));
    dirs.push(dir);
    const socket = path.join(dir, 'pre.ctl');
    const pre = startPre([HELLO, '-k', workerClass, ...args, '-b', '127.0.0.1:0', '-w', '2', '--max-requests', '300', '--log-level', 'debug',
      '--prometheus-bind', '127.0.0.1:0', '--control-socket', socket]);
    const url = await pre.ready(2);
    const metricsUrl = (await pre.waitForLog(/Serving Prometheus metrics at: (\S+)/))[1]!;

    const total = 3000;
    const sent = await load(url, total, 6, (i) => i === total / 2 && pre.signal('SIGHUP'));
    expect(sent.get('failed') ?? 0).toBe(0);
    expect(sent.get(200)).toBe(total - 150 - 60);
    expect(sent.get(404)).toBe(150);
    expect(sent.get(500)).toBe(60);
    // ~10 workers retired after 300 requests each (and 2 by the HUP): each one's last requests must be there.
    expect(pre.stderr.match(/Autorestarting worker/g)?.length).toBeGreaterThanOrEqual(8);

    // Live workers report every second and on request: wait for the figures to settle, then they must match exactly.
    const counted = await waitFor(async () => {
      const byStatus = await requestsByStatus(metricsUrl);
      return [...byStatus.values()].reduce((a, b) => a + b, 0) === total ? byStatus : null;
    }, `pre_http_requests_total to reach ${total}`);
    expect(counted.get(200)).toBe(sent.get(200));
    expect(counted.get(404)).toBe(150);
    expect(counted.get(500)).toBe(60);
    await waitFor(async () => (await ctlJson<{ requests: number }>(socket, ['show', 'stats'])).requests === total, '`show stats` to count every request');
    // Nothing counted twice: the figures stay put.
    expect([...(await requestsByStatus(metricsUrl)).values()].reduce((a, b) => a + b, 0)).toBe(total);
  });
});

describe('requests in flight on the threads worker', () => {
  it('counts the requests running in the threads, and 0 once they finish', async () => {
    const pre = startPre([HELLO, '-k', 'threads', '--threads', '2', '-b', '127.0.0.1:0', '--log-level', 'debug', '--prometheus-bind', '127.0.0.1:0']);
    const url = await pre.ready(1);
    const metricsUrl = (await pre.waitForLog(/Serving Prometheus metrics at: (\S+)/))[1]!;
    const inFlight = async (): Promise<number | undefined> => {
      const text = await (await request(metricsUrl)).body.text();
      const match = /^pre_http_requests_in_flight (\d+)$/m.exec(text);
      return match ? Number(match[1]) : undefined;
    };
    const agent = new Agent({ connections: 3 });
    const slow = Array.from({ length: 3 }, () => request(`${url}/slow?ms=1500`, { dispatcher: agent }).then((res) => res.body.text()));
    await waitFor(async () => (await inFlight()) === 3, '3 requests in flight');
    expect(await Promise.all(slow)).toEqual(Array(3).fill('slept 1500 ms\n'));
    await agent.close();
    await waitFor(async () => (await inFlight()) === 0, 'no request in flight');
  });
});
