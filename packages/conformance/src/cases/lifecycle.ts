/**
 * Graceful stop, HUP and max_requests under a bounded client loop (4 keep-alive undici clients):
 * zero failed requests. Each case starts its own pre (two workers) with the kit app.
 */
import { Client } from 'undici';
import { clientLoop, loopText } from '../client-loop.js';
import { check, type KitCase, type KitGroup } from '../kit-case.js';
import { RawConnection } from '../raw-connection.js';
import type { PreServer } from '../server.js';

const LOOP_MS = 1_500;
const MAX_LOOP_MS = 10_000;

async function slowRequest(port: number, ms: number): Promise<string> {
  const client = new Client(`http://127.0.0.1:${port}`, { headersTimeout: 15_000, bodyTimeout: 15_000 });
  try {
    const res = await client.request({ method: 'GET', path: `/__kit/slow?ms=${ms}` });
    const text = await res.body.text();
    return res.statusCode === 200 ? 'ok' : `status ${res.statusCode} ${text}`;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.destroy();
  }
}

const twoWorkers = (app: string, args: string[] = [], settings: string[] = []) => ({ app, workers: 2, args: ['--graceful-timeout', '10', ...args], settings });

/** Waits until `count` workers in all have booted and the first ones are gone. */
function replacementsBooted(server: PreServer, first: number[], timeoutMs: number): Promise<boolean> {
  return server.waitUntil(() => {
    const alive = server.bootedPids();
    return alive.length >= 2 && alive.every((pid) => !first.includes(pid));
  }, timeoutMs);
}

export function lifecycleCases(): KitCase[] {
  return [
    {
      id: 'hup-under-load',
      title: `HUP while 4 keep-alive clients loop: 0 failed requests, new workers serve`,
      timeoutMs: 30_000,
      async run(ctx) {
        const server = await ctx.startServer(twoWorkers(ctx.env.kitApp));
        const first = server.bootedPids();
        let reloaded = false;
        const started = Date.now();
        const loop = clientLoop(server.port, { maxMs: MAX_LOOP_MS, until: () => reloaded && Date.now() - started > LOOP_MS });
        setTimeout(() => server.signal('SIGHUP'), 300);
        reloaded = await replacementsBooted(server, first, MAX_LOOP_MS - 1_000);
        const result = await loop;
        check(reloaded, 'the old workers replaced by new ones', `workers ${server.bootedPids().join(', ')} (first ${first.join(', ')})`);
        check(result.failed === 0 && result.ok > 0, '0 failed requests', loopText(result));
        ctx.note(loopText(result));
      },
    },
    {
      id: 'max-requests-under-load',
      title: 'max_requests 25 while 4 keep-alive clients loop: workers replaced, 0 failed requests',
      timeoutMs: 30_000,
      async run(ctx) {
        const server = await ctx.startServer(twoWorkers(ctx.env.kitApp, ['--max-requests', '25'], ['max_requests']));
        const result = await clientLoop(server.port, { maxMs: LOOP_MS, until: () => false });
        await server.waitUntil(() => server.startedPids().length > 2, 5_000);
        const replaced = server.startedPids().length - 2;
        check(replaced > 0, 'at least one worker replaced after 25 requests', `${replaced} replaced after ${result.ok} requests`);
        check(result.failed === 0 && result.ok > 0, '0 failed requests', loopText(result));
        ctx.note(`${loopText(result)}, ${replaced} worker(s) replaced`);
      },
    },
    {
      id: 'term-graceful',
      title: 'TERM with requests in flight and clients looping (each stops when told Connection: close): in-flight answered, 0 failed, exit 0',
      timeoutMs: 30_000,
      async run(ctx) {
        const server = await ctx.startServer(twoWorkers(ctx.env.kitApp));
        const slow = [slowRequest(server.port, 1_000), slowRequest(server.port, 1_000)];
        let termSent = false;
        const loop = clientLoop(server.port, { maxMs: MAX_LOOP_MS, until: () => server.exitedCode() !== null, stopping: () => termSent });
        await new Promise((resolve) => setTimeout(resolve, 300));
        termSent = true;
        server.signal('SIGTERM');
        const exited = await server.waitUntil(() => server.exitedCode() !== null, 15_000);
        const [result, slowResults] = await Promise.all([loop, Promise.all(slow)]);
        check(slowResults.every((r) => r === 'ok'), 'the in-flight slow requests answered 200', slowResults.join(', '));
        check(result.failed === 0, '0 failed requests on open connections', loopText(result));
        check(exited && server.exitedCode() === 0, 'pre exits 0', `exit ${server.exitedCode() ?? 'not yet'}`);
        ctx.note(`${loopText(result)}, ${result.refused} client(s) refused after the stop`);
        // A client still looping when pre exited was never told to close: its last requests count above.
      },
    },
    {
      id: 'term-new-connection',
      title: 'a new connection during a graceful stop is refused or answered at once, not held until pre exits',
      timeoutMs: 30_000,
      async run(ctx) {
        const server = await ctx.startServer(twoWorkers(ctx.env.kitApp));
        // A slow request keeps the stop going for ~3 s.
        const slow = slowRequest(server.port, 3_000);
        await new Promise((resolve) => setTimeout(resolve, 300));
        server.signal('SIGTERM');
        await new Promise((resolve) => setTimeout(resolve, 500));
        let outcome: string;
        try {
          const connection = await RawConnection.open(server.port);
          try {
            connection.write('GET /late HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
            const read = await connection.readResponse(2_000);
            outcome = read.response ? read.response.statusLine : `${read.problem}${server.exitedCode() === null ? '' : ' (pre had exited)'}`;
          } finally {
            connection.destroy();
          }
        } catch (err) {
          outcome = (err as { code?: string }).code ?? String(err);
        }
        const slowResult = await slow;
        check(slowResult === 'ok', 'the in-flight slow request answered', slowResult);
        check(outcome === 'ECONNREFUSED' || /^HTTP\/1\.\d [2-5]/.test(outcome), 'ECONNREFUSED or an answer within 2 s', outcome);
        ctx.note(outcome);
      },
    },
  ];
}

export const lifecycleGroup: KitGroup = {
  id: 'lifecycle',
  title: 'graceful stop, HUP and max_requests under a client loop',
  server: null,
  cases: lifecycleCases,
};
