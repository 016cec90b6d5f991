/**
 * Pipelined requests (RFC 9112 §9.3.2): answers in order, each one exact; Connection: close ends
 * the pipeline; a malformed request in the middle is refused after the good ones are answered.
 * A class may close after any response, but only after saying `Connection: close`.
 */
import { compareEcho } from '../echo-check.js';
import { CLOSE_TIMEOUT_MS, describeRead } from '../expect.js';
import { saysClose } from '../http-response.js';
import { check, type KitCase, type KitGroup } from '../kit-case.js';
import { RawConnection } from '../raw-connection.js';
import { expectedEcho, serialize, simpleGet, type RequestSpec } from '../request.js';

const PIPELINE: RequestSpec[] = [
  simpleGet('/p1'),
  { method: 'POST', target: '/p2', headers: [['Host', '127.0.0.1'], ['Content-Length', '5']], body: 'hello' },
  { method: 'POST', target: '/p3', headers: [['Host', '127.0.0.1'], ['Transfer-Encoding', 'chunked']], chunks: [{ data: 'chunk' }], trailers: [['X-Kit-T', '1']] },
  simpleGet('/p4?x'),
];

/** Reads the answers to `specs` in order; stops early (and checks the close) if a response says close. */
async function readInOrder(connection: RawConnection, specs: RequestSpec[], timeoutMs: number): Promise<number> {
  for (let i = 0; i < specs.length; i++) {
    const read = await connection.readResponse(timeoutMs);
    check(read.response, `the answer to request ${i + 1} (${specs[i]!.target})`, () => describeRead(read));
    const diff = compareEcho(read.response, expectedEcho(specs[i]!));
    check(diff === null, `answer ${i + 1} to echo ${specs[i]!.target}`, diff ?? '');
    if (saysClose(read.response)) {
      check(await connection.waitClose(CLOSE_TIMEOUT_MS), 'a close after Connection: close', 'the connection stayed open');
      return i + 1;
    }
  }
  return specs.length;
}

export function pipeliningCases(): KitCase[] {
  return [
    {
      id: 'four-in-one-write',
      title: 'four requests (GET, Content-Length, chunked with trailer, GET) in one write: answered in order',
      async run(ctx) {
        const connection = await RawConnection.open(ctx.server.port);
        try {
          connection.write(Buffer.concat(PIPELINE.map(serialize)));
          const answered = await readInOrder(connection, PIPELINE, ctx.env.options.responseTimeoutMs);
          if (answered < PIPELINE.length) ctx.note(`the class closed after ${answered} answer(s), with Connection: close`);
          check(connection.pending.length === 0, 'nothing after the last answer', `${connection.pending.length} stray bytes`);
        } finally {
          connection.destroy();
        }
      },
    },
    {
      id: 'split-writes',
      title: 'two requests written 7 bytes at a time: both answered',
      async run(ctx) {
        const specs = [PIPELINE[1]!, PIPELINE[2]!];
        const bytes = Buffer.concat(specs.map(serialize));
        const connection = await RawConnection.open(ctx.server.port);
        connection.socket.setNoDelay(true);
        try {
          for (let at = 0; at < bytes.length; at += 7) {
            connection.write(bytes.subarray(at, at + 7));
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
          await readInOrder(connection, specs, ctx.env.options.responseTimeoutMs);
        } finally {
          connection.destroy();
        }
      },
    },
    {
      id: 'close-ends-pipeline',
      title: 'Connection: close on the 2nd of 3 pipelined requests: two answers, then the close',
      async run(ctx) {
        const specs = [simpleGet('/c1'), simpleGet('/c2', [['Connection', 'close']]), simpleGet('/c3')];
        const connection = await RawConnection.open(ctx.server.port);
        try {
          connection.write(Buffer.concat(specs.map(serialize)));
          const answered = await readInOrder(connection, specs, ctx.env.options.responseTimeoutMs);
          check(answered <= 2, 'no answer to the request after Connection: close', `${answered} answers`);
          check(await connection.waitClose(CLOSE_TIMEOUT_MS), 'the close', 'the connection stayed open');
        } finally {
          connection.destroy();
        }
      },
    },
    {
      id: 'malformed-after-good',
      title: 'a good request then a malformed one (two Host fields): 200, then 400 and the close',
      async run(ctx) {
        const good = simpleGet('/g1');
        const connection = await RawConnection.open(ctx.server.port);
        try {
          connection.write(Buffer.concat([serialize(good), Buffer.from('GET /bad HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n')]));
          const answered = await readInOrder(connection, [good], ctx.env.options.responseTimeoutMs);
          if (answered === 1 && !connection.closed) {
            const read = await connection.readResponse(ctx.env.options.responseTimeoutMs);
            check(read.response && read.response.status === 400, '400 for the second request', () => describeRead(read));
            check(await connection.waitClose(CLOSE_TIMEOUT_MS), 'the close after the 400', 'the connection stayed open');
          }
        } finally {
          connection.destroy();
        }
      },
    },
  ];
}

export const pipeliningGroup: KitGroup = {
  id: 'pipelining',
  title: 'pipelined requests: answered in order, each exactly',
  server: (env) => ({ app: env.echoApp }),
  cases: pipeliningCases,
  concurrency: 2,
  workerLivesOn: true,
};
