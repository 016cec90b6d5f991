/** TLS with a test CA: HTTPS is served (certificate verified against the CA), plain HTTP is not. */
import path from 'node:path';
import { Agent, request } from 'undici';
import { compareEcho } from '../echo-check.js';
import { preview } from '../http-response.js';
import { check, type KitCase, type KitGroup } from '../kit-case.js';
import { makeTestPki, type TestPki } from '../pki.js';
import { RawConnection } from '../raw-connection.js';
import { expectedEcho, simpleGet } from '../request.js';

let pki: TestPki | null = null;

export const tlsGroup: KitGroup = {
  id: 'tls',
  title: 'TLS with a test CA (--certfile/--keyfile)',
  server: (env) => {
    pki ??= makeTestPki(path.join(env.tmpDir, 'pki'));
    return { app: env.echoApp, settings: ['certfile', 'keyfile'], args: ['--certfile', pki.serverCert, '--keyfile', pki.serverKey] };
  },
  cases: (): KitCase[] => [
    {
      id: 'https-served',
      title: 'an HTTPS request (verified against the test CA) is served',
      async run(ctx) {
        const agent = new Agent({ connect: { ca: pki!.ca, servername: 'localhost' } });
        try {
          const res = await request(`https://127.0.0.1:${ctx.server.port}/tls?x=1`, { dispatcher: agent, headers: { 'x-kit': 'tls' } });
          const body = Buffer.from(await res.body.arrayBuffer());
          check(res.statusCode === 200, '200 over HTTPS', `${res.statusCode} ${preview(body)}`);
          const echo = JSON.parse(body.toString('utf8')) as { path: string; query: string };
          check(echo.path === '/tls' && echo.query === 'x=1', 'the echo of /tls?x=1', preview(body));
        } finally {
          await agent.close();
        }
      },
    },
    {
      id: 'https-raw-exact',
      title: 'a raw request over TLS is echoed exactly',
      async run(ctx) {
        const spec = simpleGet('/raw-tls', [['X-Kit', 'a'], ['x-kit', 'b']]);
        const connection = await RawConnection.open(ctx.server.port, { tls: { ca: pki!.ca, servername: 'localhost' } });
        try {
          connection.write(`GET /raw-tls HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Kit: a\r\nx-kit: b\r\n\r\n`);
          const read = await connection.readResponse(ctx.env.options.responseTimeoutMs);
          check(read.response, 'an answer over TLS', read.problem ?? '');
          const diff = compareEcho(read.response, expectedEcho(spec));
          check(diff === null, 'the echo', diff ?? '');
        } finally {
          connection.destroy();
        }
      },
    },
    {
      id: 'plain-http-not-served',
      title: 'plain HTTP on the TLS port gets no HTTP answer',
      async run(ctx) {
        const connection = await RawConnection.open(ctx.server.port);
        try {
          connection.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
          await connection.waitData(ctx.env.options.responseTimeoutMs);
          await connection.waitClose(1_000);
          const text = connection.pending.toString('latin1');
          check(!/^HTTP\/1\.\d 2/.test(text), 'no HTTP 2xx answer to plain HTTP', preview(connection.pending));
        } finally {
          connection.destroy();
        }
      },
    },
  ],
  workerLivesOn: false,
};
