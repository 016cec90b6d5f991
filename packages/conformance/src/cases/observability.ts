/**
 * What every class shares through the runtime: the hooks in their documented order
 * (docs/hooks.md), one access log line per request in Gunicorn's format, and the heartbeat
 * that aborts a worker stuck in a busy loop.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describeRead } from '../expect.js';
import { check, type KitCase, type KitGroup } from '../kit-case.js';
import { normalRequestAnswered } from '../probe.js';
import { RawConnection } from '../raw-connection.js';

const HOOK_ORDER = ['on_starting', 'when_ready', 'pre_fork', 'post_fork', 'post_worker_init', 'pre_request', 'post_request', 'worker_exit', 'on_exit'];

async function get(port: number, request: string, timeoutMs: number): Promise<{ status: number; body: Buffer } | string> {
  const connection = await RawConnection.open(port);
  try {
    connection.write(request);
    const read = await connection.readResponse(timeoutMs);
    return read.response ? { status: read.response.status, body: read.response.body } : describeRead(read);
  } finally {
    connection.destroy();
  }
}

export const hooksGroup: KitGroup = {
  id: 'hooks',
  title: 'server hooks run in the documented order',
  server: null,
  cases: (): KitCase[] => [{
    id: 'order',
    title: HOOK_ORDER.join(' → '),
    async run(ctx) {
      const file = path.join(ctx.env.tmpDir, `hooks-${process.pid}.txt`);
      const server = await ctx.startServer({
        app: ctx.env.kitApp, args: ['--config', path.join(ctx.env.fixtures, 'hooks.config.mjs')], env: { PRE_CONFORMANCE_HOOKS_FILE: file },
      });
      const answer = await get(server.port, 'GET /hooks HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', ctx.env.options.responseTimeoutMs);
      check(typeof answer !== 'string' && answer.status === 200, 'a 200 for the request', typeof answer === 'string' ? answer : String(answer.status));
      await server.stop();
      const seen = existsSync(file) ? readFileSync(file, 'utf8').split('\n').map((l) => l.split(' ')[0]!).filter((n) => HOOK_ORDER.includes(n)) : [];
      check(seen.join(' ') === HOOK_ORDER.join(' '), HOOK_ORDER.join(' → '), seen.join(' → ') || 'no hook ran');
    },
  }],
};

export const accessLogGroup: KitGroup = {
  id: 'access-log',
  title: "one access log line per request, Gunicorn's default format",
  server: null,
  cases: (): KitCase[] => [{
    id: 'default-format',
    title: '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" with the right values',
    async run(ctx) {
      const file = path.join(ctx.env.tmpDir, `access-${process.pid}.log`);
      const server = await ctx.startServer({ app: ctx.env.kitApp, args: ['--access-logfile', file], settings: ['accesslog'] });
      const answer = await get(server.port, 'GET /__kit/pid?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nReferer: http://ref.example/\r\nUser-Agent: pre-conformance\r\nConnection: close\r\n\r\n', ctx.env.options.responseTimeoutMs);
      check(typeof answer !== 'string' && answer.status === 200, 'a 200', typeof answer === 'string' ? answer : String(answer.status));
      const lines = (): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
      await server.waitUntil(() => lines().length > 0, 5_000);
      const all = lines();
      check(all.length === 1, 'one access log line', `${all.length} lines: ${all.join(' | ')}`);
      const m = /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/__kit\/pid\?x=1 HTTP\/1\.1" 200 (\d+) "http:\/\/ref\.example\/" "pre-conformance"$/.exec(all[0]!);
      check(m, '127.0.0.1 - - [date] "GET /__kit/pid?x=1 HTTP/1.1" 200 <bytes> "http://ref.example/" "pre-conformance"', all[0]!);
      check(Number(m[1]) === answer.body.length, `%(b)s = ${answer.body.length} (the body sent)`, m[1]!);
    },
  }],
};

const HEARTBEAT_TIMEOUT_S = 2;

export const heartbeatGroup: KitGroup = {
  id: 'heartbeat',
  title: `a busy loop is aborted by the heartbeat (timeout ${HEARTBEAT_TIMEOUT_S} s) and the worker replaced`,
  server: null,
  cases: (): KitCase[] => [{
    id: 'busy-loop-aborted',
    title: 'a request that spins forever: its connection ends without a 2xx, the next request is served',
    timeoutMs: 40_000,
    async run(ctx) {
      const server = await ctx.startServer({ app: ctx.env.kitApp, args: ['--timeout', String(HEARTBEAT_TIMEOUT_S)], settings: ['timeout'] });
      const connection = await RawConnection.open(server.port);
      try {
        connection.write('GET /__kit/busy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
        const limit = HEARTBEAT_TIMEOUT_S * 1000 + 10_000;
        const ended = await connection.waitClose(limit);
        const read = await connection.readResponse(10);
        check(ended || read.response, `the busy request ended within ${limit / 1000} s`, 'it is still hanging');
        check(!read.response || read.response.status >= 500, 'a close or a 5xx for the busy request', describeRead(read));
      } finally {
        connection.destroy();
      }
      let answered: true | string = 'not tried';
      await server.waitUntil(() => false, 0);
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && (answered = await normalRequestAnswered(server.port)) !== true) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      check(answered === true, 'the next request served by a replacement', String(answered));
      ctx.note(`${server.startedPids().length - 1} worker(s) started after the abort; log: ${server.crashLines().slice(0, 2).join(' | ') || 'no crash line'}`);
    },
  }],
};
