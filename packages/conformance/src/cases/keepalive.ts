/**
 * Persistent connections (RFC 9112 §9.3): HTTP/1.1 connections persist unless one side says
 * `Connection: close`; the server closes after answering a request that said close; HTTP/1.0
 * closes unless keep-alive was asked for; an idle connection is closed after `keepalive` seconds.
 */
import { compareEcho } from '../echo-check.js';
import { CLOSE_TIMEOUT_MS, describeRead } from '../expect.js';
import { headerValue, saysClose } from '../http-response.js';
import { check, type KitCase, type KitGroup } from '../kit-case.js';
import { RawConnection } from '../raw-connection.js';
import { expectedEcho, serialize, simpleGet, type RequestSpec } from '../request.js';

/** pre's default: a class that honours only the default still runs the group. */
const KEEPALIVE_S = 5;

async function ask(connection: RawConnection, spec: RequestSpec, timeoutMs: number) {
  connection.write(serialize(spec));
  const read = await connection.readResponse(timeoutMs);
  check(read.response, `an answer to ${spec.target}`, () => describeRead(read));
  const diff = compareEcho(read.response, expectedEcho(spec));
  check(diff === null, `the echo of ${spec.target}`, diff ?? '');
  return read.response;
}

export function keepaliveCases(): KitCase[] {
  return [
    {
      id: 'reuse',
      title: 'two requests on one HTTP/1.1 connection (or a Connection: close and a close after the first)',
      async run(ctx) {
        const connection = await RawConnection.open(ctx.server.port);
        try {
          const first = await ask(connection, simpleGet('/k1'), ctx.env.options.responseTimeoutMs);
          if (saysClose(first)) {
            check(await connection.waitClose(CLOSE_TIMEOUT_MS), 'a close after Connection: close', 'the connection stayed open');
            ctx.note('the class closes after every response');
            return;
          }
          await ask(connection, simpleGet('/k2'), ctx.env.options.responseTimeoutMs);
        } finally {
          connection.destroy();
        }
      },
    },
    {
      id: 'client-close',
      title: 'Connection: close from the client: answered with Connection: close, then closed',
      async run(ctx) {
        const connection = await RawConnection.open(ctx.server.port);
        try {
          const response = await ask(connection, simpleGet('/close', [['Connection', 'close']]), ctx.env.options.responseTimeoutMs);
          check(saysClose(response), 'Connection: close in the response', `Connection: ${headerValue(response, 'connection') ?? '(none)'}`);
          check(await connection.waitClose(CLOSE_TIMEOUT_MS), 'the server to close', 'the connection stayed open');
        } finally {
          connection.destroy();
        }
      },
    },
    {
      id: 'http10-keep-alive',
      title: 'HTTP/1.0 with Connection: keep-alive: kept open only if the answer says keep-alive',
      async run(ctx) {
        const connection = await RawConnection.open(ctx.server.port);
        try {
          const response = await ask(connection, { method: 'GET', target: '/k10', version: '1.0', headers: [['Connection', 'keep-alive']] }, ctx.env.options.responseTimeoutMs);
          const keeps = /keep-alive/i.test(headerValue(response, 'connection') ?? '');
          if (keeps) {
            await ask(connection, { method: 'GET', target: '/k10b', version: '1.0', headers: [['Connection', 'keep-alive']] }, ctx.env.options.responseTimeoutMs);
          } else {
            check(await connection.waitClose(CLOSE_TIMEOUT_MS), 'a close (the answer did not say keep-alive)', 'the connection stayed open');
          }
          ctx.note(keeps ? 'kept alive' : 'closed');
        } finally {
          connection.destroy();
        }
      },
    },
    {
      id: 'idle-timeout',
      title: `an idle connection is closed after keepalive (${KEEPALIVE_S} s)`,
      async run(ctx) {
        const connection = await RawConnection.open(ctx.server.port);
        try {
          const response = await ask(connection, simpleGet('/idle'), ctx.env.options.responseTimeoutMs);
          const started = Date.now();
          const closed = await connection.waitClose(KEEPALIVE_S * 1000 + CLOSE_TIMEOUT_MS);
          check(closed, `a close within ${KEEPALIVE_S + CLOSE_TIMEOUT_MS / 1000} s of idleness`, 'the connection stayed open');
          ctx.note(saysClose(response) ? 'closed at once (Connection: close)' : `closed after ${Date.now() - started} ms idle`);
        } finally {
          connection.destroy();
        }
      },
    },
  ];
}

export const keepaliveGroup: KitGroup = {
  id: 'keepalive',
  title: 'keep-alive and Connection: close',
  server: (env) => ({ app: env.echoApp, args: ['--keep-alive', String(KEEPALIVE_S)], settings: ['keepalive'] }),
  cases: keepaliveCases,
  concurrency: 4,
  workerLivesOn: true,
};
