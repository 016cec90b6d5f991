/**
 * headers_timeout and request_timeout (short ones: 2 s and 4 s): a client that stalls or drips its
 * head or body is answered 408 (or simply closed), never served, within the timeout plus the 1 s
 * check interval and some slack.
 */
import { describeRead } from '../expect.js';
import { check, type KitCase, type KitGroup } from '../kit-case.js';
import { RawConnection } from '../raw-connection.js';

const HEADERS_TIMEOUT_S = 2;
const REQUEST_TIMEOUT_S = 4;
/** Allowed beyond the timeout: the 1 s check interval, start-up noise on a busy machine. */
const SLACK_MS = 3_000;

/**
 * Writes `first`, then `drip` every `everyMs` until the server closes or `limitMs` passes.
 * Returns what the server answered (if anything) and when it closed.
 */
async function stallOrDrip(port: number, first: string, drip: string | null, everyMs: number, limitMs: number) {
  const connection = await RawConnection.open(port);
  const started = Date.now();
  connection.write(first);
  const timer = drip === null ? undefined : setInterval(() => connection.write(drip), everyMs);
  try {
    const closed = await connection.waitClose(limitMs);
    const read = await connection.readResponse(10);
    return { closed, ms: Date.now() - started, read };
  } finally {
    clearInterval(timer);
    connection.destroy();
  }
}

function timeoutCase(id: string, title: string, first: string, drip: string | null, timeoutS: number): KitCase {
  return {
    id,
    title,
    async run(ctx) {
      const limitMs = timeoutS * 1000 + SLACK_MS;
      const { closed, ms, read } = await stallOrDrip(ctx.server.port, first, drip, 500, limitMs);
      const answer = read.response ? read.response.statusLine : 'no answer';
      check(closed, `a 408 or a close within ${limitMs / 1000} s`, `still open after ${ms} ms (${read.response ? answer : describeRead(read)})`);
      check(!read.response || read.response.status >= 400, 'a 408 or a close, never a 2xx', answer);
      ctx.note(`${answer} after ${ms} ms`);
    },
  };
}

export function timeoutCases(): KitCase[] {
  const head = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n';
  const post = 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n';
  return [
    timeoutCase('headers-stall', `a partial request line, then silence: cut at headers_timeout (${HEADERS_TIMEOUT_S} s)`, 'GET / HT', null, HEADERS_TIMEOUT_S),
    timeoutCase('headers-drip', 'a header line every 0.5 s, never the end of the head: cut at headers_timeout', head, 'X-Kit-Drip: 1\r\n', HEADERS_TIMEOUT_S),
    timeoutCase('body-stall', `a body that stops after 2 of 100 bytes: cut at request_timeout (${REQUEST_TIMEOUT_S} s)`, `${post}ab`, null, REQUEST_TIMEOUT_S),
    timeoutCase('body-drip', 'a body sent one byte every 0.5 s: cut at request_timeout', post, 'x', REQUEST_TIMEOUT_S),
  ];
}

export const timeoutsGroup: KitGroup = {
  id: 'timeouts',
  title: `headers_timeout ${HEADERS_TIMEOUT_S} s and request_timeout ${REQUEST_TIMEOUT_S} s`,
  server: (env) => ({
    app: env.echoApp, settings: ['headers_timeout', 'request_timeout'],
    args: ['--headers-timeout', String(HEADERS_TIMEOUT_S), '--request-timeout', String(REQUEST_TIMEOUT_S)],
    // Two workers: a class that serves one connection at a time still has one free for each case.
    workers: 2,
  }),
  cases: timeoutCases,
  concurrency: 4,
  workerLivesOn: true,
};
