import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HELLO, startPre, stopAll, waitFor } from '../helpers/pre.js';

interface Packet {
  readonly text: string;
  readonly bytes: number;
  /** The sender's UDP port: one socket per process (arbiter or worker). */
  readonly from: number;
}

/** A real StatsD listener on 127.0.0.1: every datagram received, as sent. */
class UdpListener {
  readonly packets: Packet[] = [];
  readonly #socket = dgram.createSocket('udp4');

  async start(): Promise<string> {
    this.#socket.on('message', (data, rinfo) => this.packets.push({ text: data.toString(), bytes: data.length, from: rinfo.port }));
    await new Promise<void>((resolve) => this.#socket.bind(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.#socket.address() as AddressInfo).port}`;
  }

  lines(): string[] {
    return this.packets.flatMap((p) => p.text.split('\n'));
  }

  /** The sum of a counter over every line (a sampled counter would be scaled; ours never are). */
  counter(name: string): number {
    return this.lines().filter((l) => l.startsWith(`${name}:`) && l.includes('|c')).reduce((sum, l) => sum + Number(l.slice(name.length + 1, l.indexOf('|'))), 0);
  }

  /** Timer lines of `name`: value and sample rate. */
  timings(name: string): { ms: number; rate: number }[] {
    return this.lines().filter((l) => l.startsWith(`${name}:`) && l.includes('|ms')).map((l) => ({
      ms: Number(l.slice(name.length + 1, l.indexOf('|'))),
      rate: Number(/\|@([0-9.]+)/.exec(l)?.[1] ?? 1),
    }));
  }

  close(): void {
    this.#socket.close();
  }
}

const listeners: UdpListener[] = [];
afterEach(async () => {
  await stopAll();
  for (const l of listeners.splice(0)) l.close();
});

async function startListener(): Promise<{ udp: UdpListener; address: string }> {
  const udp = new UdpListener();
  listeners.push(udp);
  return { udp, address: await udp.start() };
}

/** `count` requests to `path`, `concurrency` at a time; returns the statuses seen. */
async function requests(url: string, path: string, count: number, concurrency = 4): Promise<number[]> {
  const agent = new Agent({ connections: concurrency });
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      const res = await request(`${url}${path}`, { dispatcher: agent });
      await res.body.dump();
      statuses.push(res.statusCode);
    }
  }));
  await agent.close();
  return statuses;
}

describe('StatsD', () => {
  it("sends Gunicorn's metric names with the prefix and DogStatsD tags, in datagrams under 1400 bytes, at most one per 100 ms per process", async () => {
    const { udp, address } = await startListener();
    const started = Date.now();
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '-w', '2', '--log-level', 'debug',
      '--statsd-host', address, '--statsd-prefix', 'app', '--dogstatsd-tags', 'env:test,svc:e2e']);
    const url = await pre.ready(2);

    expect(await requests(url, '/', 60)).toEqual(Array(60).fill(200));
    expect(await requests(url, '/missing', 3, 1)).toEqual([404, 404, 404]);
    expect(await requests(url, '/error', 2, 1)).toEqual([500, 500]);

    await waitFor(() => udp.counter('app.gunicorn.requests') === 65, 'gunicorn.requests to reach 65');
    await waitFor(() => udp.counter('app.gunicorn.log.exception') >= 2, 'gunicorn.log.exception from the failing route');
    await waitFor(() => udp.lines().some((l) => l.startsWith('app.gunicorn.workers:2|g')), 'the gunicorn.workers gauge');
    expect(udp.counter('app.gunicorn.request.status.200')).toBe(60);
    expect(udp.counter('app.gunicorn.request.status.404')).toBe(3);
    expect(udp.counter('app.gunicorn.request.status.500')).toBe(2);
    // One sample per request, unless a busy tick was sampled (then each sample counts 1/rate).
    const durations = udp.timings('app.gunicorn.request.duration');
    expect(Math.abs(durations.reduce((sum, d) => sum + 1 / d.rate, 0) - 65)).toBeLessThan(1);
    expect(durations.every((d) => d.ms >= 0 && d.ms < 60_000)).toBe(true);

    for (const line of udp.lines()) expect(line).toMatch(/^app\.gunicorn\.[a-z0-9.]+:[0-9.]+\|(c|g|ms)(\|@[0-9.]+)?\|#env:test,svc:e2e$/);
    for (const packet of udp.packets) expect(packet.bytes).toBeLessThan(1400);
    // Batched per tick: a process never sends more than one datagram per 100 ms (+1 for its final flush).
    const elapsedTicks = Math.ceil((Date.now() - started) / 100);
    const senders = new Map<number, number>();
    for (const p of udp.packets) senders.set(p.from, (senders.get(p.from) ?? 0) + 1);
    expect(senders.size).toBe(3); // the arbiter and two workers
    for (const count of senders.values()) expect(count).toBeLessThanOrEqual(elapsedTicks + 1);
  });

  it('keeps counters exact and samples timers (with a sample rate) when a tick has more lines than a datagram holds', async () => {
    const { udp, address } = await startListener();
    // Long tags make each line ~250 bytes, so only a few timer samples fit next to the counters.
    const tags = `team:${'x'.repeat(200)}`;
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '-w', '1', '--log-level', 'debug', '--statsd-host', address, '--dogstatsd-tags', tags]);
    const url = await pre.ready(1);
    // 40 requests that finish together: their samples land in the same tick.
    expect(await requests(url, '/slow?ms=200', 40, 40)).toEqual(Array(40).fill(200));

    await waitFor(() => udp.counter('gunicorn.requests') === 40, 'gunicorn.requests to reach 40');
    expect(udp.counter('gunicorn.request.status.200')).toBe(40);
    for (const packet of udp.packets) expect(packet.bytes).toBeLessThan(1400);
    const durations = udp.timings('gunicorn.request.duration');
    expect(durations.length).toBeLessThan(40);
    expect(durations.some((d) => d.rate < 1)).toBe(true);
    // The server scales each sample by 1/rate: the estimate is the true count, up to the rate's rounding.
    const estimate = durations.reduce((sum, d) => sum + 1 / d.rate, 0);
    expect(Math.abs(estimate - 40)).toBeLessThan(1);
    expect(durations.every((d) => d.ms >= 150)).toBe(true);
  });
});
