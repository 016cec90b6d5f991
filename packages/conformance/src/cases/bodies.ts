/**
 * Responses without a body (RFC 9110 §6.4.1, §8.6; RFC 9112 §6.1): HEAD, 204 and 304 carry no body
 * bytes even when the app writes one; 204 has no Content-Length or Transfer-Encoding. Each answer is
 * followed by a pipelined GET on the same connection, so a stray body byte shows up as a broken
 * status line.
 */
import { compareEcho } from '../echo-check.js';
import { describeRead } from '../expect.js';
import { headerValue, saysClose, type ParsedResponse } from '../http-response.js';
import { check, type KitCase, type KitGroup } from '../kit-case.js';
import { RawConnection } from '../raw-connection.js';
import { expectedEcho, serialize, simpleGet } from '../request.js';

/** Sends `first` then a GET on one connection; returns the first answer after checking the GET's. */
async function thenGet(port: number, timeoutMs: number, first: string, head: boolean, check204: (r: ParsedResponse) => void): Promise<void> {
  const follow = simpleGet('/after');
  const connection = await RawConnection.open(port);
  try {
    connection.write(Buffer.concat([Buffer.from(first, 'latin1'), serialize(follow)]));
    const read = await connection.readResponse(timeoutMs, head);
    check(read.response, 'an answer', () => describeRead(read));
    check204(read.response);
    if (saysClose(read.response)) return;
    const next = await connection.readResponse(timeoutMs);
    check(next.response, 'the next answer right after the bodiless one (no stray body bytes)', () => describeRead(next));
    const diff = compareEcho(next.response, expectedEcho(follow));
    check(diff === null, 'the echo of the GET that followed', diff ?? '');
  } finally {
    connection.destroy();
  }
}

export function bodiesCases(): KitCase[] {
  return [
    {
      id: 'head',
      title: 'HEAD: the headers of a GET, no body',
      run: (ctx) => thenGet(ctx.server.port, ctx.env.options.responseTimeoutMs, 'HEAD /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', true, (r) => {
        check(r.status === 200, '200', r.statusLine);
      }),
    },
    {
      id: 'status-204',
      title: '204 (the app writes a body): no body, no Content-Length, no Transfer-Encoding',
      run: (ctx) => thenGet(ctx.server.port, ctx.env.options.responseTimeoutMs, 'GET /__kit/204 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', false, (r) => {
        check(r.status === 204, '204', r.statusLine);
        const framing = ['content-length', 'transfer-encoding'].filter((n) => headerValue(r, n) !== undefined);
        check(framing.length === 0, 'no Content-Length or Transfer-Encoding on a 204', `${framing.join(', ')}: ${framing.map((n) => headerValue(r, n)).join(', ')}`);
      }),
    },
    {
      id: 'status-304',
      title: '304 (the app writes a body): no body',
      run: (ctx) => thenGet(ctx.server.port, ctx.env.options.responseTimeoutMs, 'GET /__kit/304 HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: "kit"\r\n\r\n', false, (r) => {
        check(r.status === 304, '304', r.statusLine);
        check(headerValue(r, 'transfer-encoding') === undefined, 'no Transfer-Encoding on a 304', `Transfer-Encoding: ${headerValue(r, 'transfer-encoding')}`);
      }),
    },
  ];
}

export const bodiesGroup: KitGroup = {
  id: 'bodies',
  title: 'HEAD, 204 and 304 answers carry no body',
  server: (env) => ({ app: env.kitApp }),
  cases: bodiesCases,
  concurrency: 3,
  workerLivesOn: true,
};
