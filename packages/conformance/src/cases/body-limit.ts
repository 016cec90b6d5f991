/**
 * limit_request_body (set to 1024): a body at the limit is served; a declared Content-Length over it
 * gets 413 and a close before the body is read (also with Expect: 100-continue, where a 100 before
 * the 413 is noted, not failed: RFC 9110 §10.1.1 lets the server answer finally instead); a chunked
 * body crossing it gets 413 (411 from a class that takes no chunked bodies at all).
 */
import { CLOSE_TIMEOUT_MS, checkRefused, describeRead, expectRefused, expectServed, expectServedOrRefused } from '../expect.js';
import { check, type CaseContext, type KitCase, type KitGroup } from '../kit-case.js';
import { RawConnection } from '../raw-connection.js';
import { expectedEcho, serialize, type RequestSpec } from '../request.js';

const LIMIT = 1024;

/** The kit's "no response" wait (--response-timeout). */
const wait = (ctx: CaseContext): number => ctx.env.options.responseTimeoutMs;

function withLength(length: number, extra: [string, string][] = []): RequestSpec {
  return { method: 'POST', target: '/echo', headers: [['Host', '127.0.0.1'], ['Content-Length', String(length)], ...extra], body: 'b'.repeat(length) };
}

function chunked(sizes: number[]): RequestSpec {
  return {
    method: 'POST', target: '/echo', headers: [['Host', '127.0.0.1'], ['Transfer-Encoding', 'chunked']],
    chunks: sizes.map((size, i) => ({ data: String.fromCharCode(0x61 + i).repeat(size) })),
  };
}

/** The request head only: the client waits before sending a body. */
function headOnly(spec: RequestSpec): Buffer {
  return serialize({ ...spec, body: undefined });
}

export const bodyLimitGroup: KitGroup = {
  id: 'body-limit',
  title: `limit_request_body ${LIMIT}: at the limit served, over it 413 before the body is read`,
  server: (env) => ({ app: env.echoApp, settings: ['limit_request_body'], args: ['--limit-request-body', String(LIMIT)] }),
  cases: (): KitCase[] => [
    {
      id: 'length-at-limit',
      title: `a ${LIMIT}-byte body with Content-Length is served`,
      run: (ctx) => expectServed(ctx.server.port, serialize(withLength(LIMIT)), expectedEcho(withLength(LIMIT)), { timeoutMs: wait(ctx) }),
    },
    {
      id: 'length-over-limit',
      title: `a ${LIMIT + 1}-byte body with Content-Length gets 413 and a close`,
      run: (ctx) => expectRefused(ctx.server.port, serialize(withLength(LIMIT + 1)), { statuses: [413], timeoutMs: wait(ctx) }),
    },
    {
      id: 'length-over-limit-unsent',
      title: 'Content-Length: 1000000 gets 413 before the body is sent',
      run: (ctx) => expectRefused(ctx.server.port, headOnly(withLength(1_000_000)), { statuses: [413], timeoutMs: wait(ctx) }),
    },
    {
      id: 'expect-continue-over-limit',
      title: 'Expect: 100-continue with a Content-Length over the limit gets 413 without the body being sent',
      run: async (ctx) => {
        const connection = await RawConnection.open(ctx.server.port);
        connection.write(headOnly(withLength(LIMIT + 1, [['Expect', '100-continue']])));
        let read = await connection.readResponse(wait(ctx));
        if (read.response?.status === 100) {
          ctx.note('a 100 Continue came before the 413');
          read = await connection.readResponse(wait(ctx));
        }
        check(read.response, `413 within ${wait(ctx)} ms, without the body`, () => describeRead(read));
        await checkRefused(connection, read, { statuses: [413] });
      },
    },
    {
      id: 'chunked-at-limit',
      title: `a chunked body of ${LIMIT} bytes is served (or 411 from a class without chunked bodies)`,
      run: async (ctx) => {
        const spec = chunked([LIMIT - 24, 24]);
        const outcome = await expectServedOrRefused(ctx.server.port, serialize(spec), expectedEcho(spec), { statuses: [411], timeoutMs: wait(ctx) });
        if (outcome === 'refused') ctx.note('411: the class takes no chunked request bodies');
      },
    },
    {
      id: 'chunked-over-limit',
      title: `a chunked body crossing ${LIMIT} bytes gets 413 and a close (411 from a class without chunked bodies)`,
      timeoutMs: 10_000 + CLOSE_TIMEOUT_MS + 2_000,
      run: (ctx) => expectRefused(ctx.server.port, serialize(chunked([600, 600])), { statuses: [413, 411], timeoutMs: wait(ctx) }),
    },
  ],
  concurrency: 3,
  workerLivesOn: true,
};
