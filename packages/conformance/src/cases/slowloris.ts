/**
 * Slowloris: 1,000 connections each dripping an unfinished head, while a normal client (undici)
 * makes requests that must all be answered quickly; then every slow connection must be cut by
 * headers_timeout. Bounded: the connections open 100 at a time, the drip stops when the case ends.
 */
import { Client } from 'undici';
import { check, type KitCase, type KitGroup } from '../kit-case.js';
import { RawConnection } from '../raw-connection.js';

const SLOW_CONNECTIONS = 1_000;
const HEADERS_TIMEOUT_S = 3;
const NORMAL_REQUESTS = 20;
const NORMAL_TIMEOUT_MS = 2_000;

async function openSlow(port: number, count: number): Promise<{ connections: RawConnection[]; failed: number }> {
  const connections: RawConnection[] = [];
  let failed = 0;
  for (let at = 0; at < count; at += 100) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(100, count - at) }, () => RawConnection.open(port)));
    for (const r of batch) {
      if (r.status === 'fulfilled') {
        r.value.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        connections.push(r.value);
      } else failed++;
    }
  }
  return { connections, failed };
}

async function normalRequests(port: number): Promise<{ ok: number; worstMs: number; errors: string[] }> {
  let ok = 0;
  let worstMs = 0;
  const errors: string[] = [];
  for (let i = 0; i < NORMAL_REQUESTS; i++) {
    // A new connection per request: the slow ones must not starve accept either.
    const client = new Client(`http://127.0.0.1:${port}`, { headersTimeout: NORMAL_TIMEOUT_MS, bodyTimeout: NORMAL_TIMEOUT_MS, connectTimeout: NORMAL_TIMEOUT_MS });
    const started = Date.now();
    try {
      const res = await client.request({ method: 'GET', path: `/normal/${i}` });
      await res.body.text();
      if (res.statusCode === 200) ok++;
      else errors.push(`status ${res.statusCode}`);
    } catch (err) {
      errors.push((err as { code?: string }).code ?? String(err));
    } finally {
      worstMs = Math.max(worstMs, Date.now() - started);
      await client.destroy();
    }
  }
  return { ok, worstMs, errors };
}

export const slowlorisGroup: KitGroup = {
  id: 'slowloris',
  title: `${SLOW_CONNECTIONS} slowloris connections while a normal client is served`,
  server: (env) => ({
    app: env.echoApp, settings: ['headers_timeout', 'worker_connections'],
    // worker_connections above the slow ones: the case is about timeouts, not the connection cap.
    args: ['--headers-timeout', String(HEADERS_TIMEOUT_S), '--worker-connections', String(SLOW_CONNECTIONS * 2)],
  }),
  cases: () => [{
    id: 'normal-client-served',
    title: `${NORMAL_REQUESTS} normal requests answered (each within ${NORMAL_TIMEOUT_MS / 1000} s) while ${SLOW_CONNECTIONS} connections drip headers; all slow ones cut by headers_timeout (${HEADERS_TIMEOUT_S} s)`,
    timeoutMs: 40_000,
    async run(ctx) {
      const port = ctx.server.port;
      const started = Date.now();
      const { connections, failed } = await openSlow(port, SLOW_CONNECTIONS);
      const drip = setInterval(() => {
        for (const c of connections) if (!c.closed) c.write('X-Kit-Slow: 1\r\n');
      }, 1_000);
      try {
        const normal = await normalRequests(port);
        const deadline = HEADERS_TIMEOUT_S * 1000 + 5_000;
        await Promise.all(connections.map((c) => c.waitClose(Math.max(0, started + deadline - Date.now()))));
        const open = connections.filter((c) => !c.closed).length;
        const answered2xx = connections.filter((c) => /^HTTP\/1\.\d 2/.test(c.pending.toString('latin1'))).length;
        check(failed === 0, `${SLOW_CONNECTIONS} slow connections opened`, `${failed} failed to connect`);
        check(normal.ok === NORMAL_REQUESTS && normal.worstMs <= NORMAL_TIMEOUT_MS, `${NORMAL_REQUESTS} normal requests answered`,
          `${normal.ok} answered, slowest ${normal.worstMs} ms${normal.errors.length ? `, errors: ${[...new Set(normal.errors)].join(', ')}` : ''}`);
        check(answered2xx === 0, 'no slow connection served', `${answered2xx} got a 2xx`);
        check(open === 0, `every slow connection cut within ${deadline / 1000} s`, `${open} still open`);
        ctx.note(`normal requests: slowest ${normal.worstMs} ms`);
      } finally {
        clearInterval(drip);
        for (const c of connections) c.destroy();
      }
    },
  }],
  workerLivesOn: true,
};
