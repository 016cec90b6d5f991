/**
 * HTTP/2 (`--http-protocols h2,h1 --http2-cleartext prior-knowledge`), for every class that declares
 * the `http2` capability (the others refuse at start-up, naming the setting): h2c by prior knowledge and
 * HTTP/1.1 on one port, the echo of a request with a body, pseudo-headers kept from the app, pre's
 * request limits per stream, a bounded rapid-reset burst after which a normal stream is served, and
 * (on a server of its own, `--http2-cleartext upgrade`) h2c by `Upgrade: h2c`.
 */
import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import net from 'node:net';
import { request } from 'undici';
/** How long an HTTP/2 session or answer may take before the case fails (a live server answers at once). */
const READ_TIMEOUT_MS = 5_000;
import { NotApplicable, check, type KitCase, type KitGroup } from '../kit-case.js';
import type { EchoView } from '../echo/view.js';

interface H2Answer {
  status: number;
  body: Buffer;
}

function connect(port: number): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => reject(new Error('no HTTP/2 session in time')), READ_TIMEOUT_MS);
    session.once('connect', () => {
      clearTimeout(timer);
      session.on('error', () => {});
      resolve(session);
    });
    session.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function send(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    const chunks: Buffer[] = [];
    let status = 0;
    const timer = setTimeout(() => stream.destroy(new Error('no answer in time')), READ_TIMEOUT_MS);
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve({ status, body: Buffer.concat(chunks) });
    });
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (body !== undefined) stream.end(body);
  });
}

async function withSession<T>(port: number, use: (session: ClientHttp2Session) => Promise<T>): Promise<T> {
  const session = await connect(port);
  try {
    return await use(session);
  } finally {
    session.close();
  }
}

/** One HEADERS frame (END_STREAM | END_HEADERS) of a GET, HPACK literals without indexing, and an RST_STREAM CANCEL for it. */
function headersThenReset(streamId: number): Buffer {
  const literal = (name: string, value: string): Buffer => Buffer.concat([Buffer.from([0, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
  const block = Buffer.concat([literal(':method', 'GET'), literal(':scheme', 'http'), literal(':path', '/reset'), literal(':authority', '127.0.0.1')]);
  const frame = (type: number, flags: number, payload: Buffer): Buffer => {
    const head = Buffer.alloc(9);
    head.writeUIntBE(payload.length, 0, 3);
    head[3] = type;
    head[4] = flags;
    head.writeUInt32BE(streamId, 5);
    return Buffer.concat([head, payload]);
  };
  return Buffer.concat([frame(0x1, 0x5, block), frame(0x3, 0, Buffer.from([0, 0, 0, 8]))]);
}

/** The whole frames at the start of `bytes` (RFC 9113 §4.1). */
function readFrames(bytes: Buffer): { type: number; flags: number; stream: number; payload: Buffer }[] {
  const frames = [];
  for (let at = 0; at + 9 <= bytes.length;) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    frames.push({ type: bytes[at + 3]!, flags: bytes[at + 4]!, stream: bytes.readUInt32BE(at + 5) & 0x7fffffff, payload: bytes.subarray(at + 9, at + 9 + length) });
    at += 9 + length;
  }
  return frames;
}

/**
 * An `Upgrade: h2c` GET on a raw connection; after a 101, the client preface and an empty SETTINGS
 * frame, the DATA of stream 1 (the upgraded request's response). A server that answers over HTTP/1.1
 * instead (RFC 9113 lets it ignore the upgrade) makes the case not applicable.
 */
async function upgradeExchange(port: number, target: string): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let answer = Buffer.alloc(0);
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no upgraded answer in time (got ${JSON.stringify(answer.toString('latin1').slice(0, 200))})`)), READ_TIMEOUT_MS);
      let switched = false;
      socket.on('data', (chunk: Buffer) => {
        answer = Buffer.concat([answer, chunk]);
        const headEnd = answer.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        if (!switched) {
          const status = answer.toString('latin1', 0, answer.indexOf('\r\n'));
          if (!status.startsWith('HTTP/1.1 101 ')) {
            clearTimeout(timer);
            return reject(new NotApplicable(`the class answers an Upgrade: h2c request with ${JSON.stringify(status)} (it may ignore the upgrade)`));
          }
          switched = true;
          socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
        }
        const frames = readFrames(answer.subarray(headEnd + 4));
        const stream1 = frames.filter((f) => f.stream === 1);
        if (stream1.some((f) => f.type === 0x3)) {
          clearTimeout(timer);
          return reject(new Error('stream 1 was reset'));
        }
        if (stream1.some((f) => (f.flags & 0x1) !== 0)) {
          clearTimeout(timer);
          resolve(Buffer.concat(stream1.filter((f) => f.type === 0x0).map((f) => f.payload)));
        }
      });
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nX-Kit: upgrade\r\n\r\n`);
    });
  } finally {
    socket.destroy();
  }
}

export const http2Group: KitGroup = {
  id: 'http2',
  title: 'HTTP/2: h2c by prior knowledge beside HTTP/1.1 (--http-protocols h2,h1 --http2-cleartext prior-knowledge)',
  server: (env) => ({
    app: env.echoApp,
    settings: ['http_protocols', 'http2_cleartext'],
    args: ['--http-protocols', 'h2,h1', '--http2-cleartext', 'prior-knowledge', '--limit-request-fields', '20'],
  }),
  workerLivesOn: true,
  cases: (): KitCase[] => [
    {
      id: 'h2c-prior-knowledge',
      title: 'a GET by prior knowledge is echoed: method, path, query, version 2.0, no pseudo-headers',
      run: (ctx) => withSession(ctx.server.port, async (session) => {
        const answer = await send(session, { ':method': 'GET', ':path': '/h2?x=1', 'x-kit': 'h2' });
        check(answer.status === 200, '200', String(answer.status));
        const echo = JSON.parse(answer.body.toString('utf8')) as EchoView;
        check(echo.method === 'GET' && echo.path === '/h2' && echo.query === 'x=1', 'the echo of GET /h2?x=1', answer.body.toString('utf8'));
        check(echo.version === '2.0', "version '2.0'", echo.version);
        const pseudo = echo.headers.filter(([name]) => name.startsWith(':'));
        check(pseudo.length === 0, 'no pseudo-headers in the headers the app sees', JSON.stringify(pseudo));
        check(echo.headers.some(([name, value]) => name.toLowerCase() === 'x-kit' && value === 'h2'), 'the x-kit header', JSON.stringify(echo.headers));
      }),
    },
    {
      id: 'h2c-body',
      title: 'a POST body sent in DATA frames reaches the app whole',
      run: (ctx) => withSession(ctx.server.port, async (session) => {
        const payload = 'h2 body '.repeat(1000);
        const answer = await send(session, { ':method': 'POST', ':path': '/body', 'content-type': 'text/plain' }, payload);
        check(answer.status === 200, '200', String(answer.status));
        const echo = JSON.parse(answer.body.toString('utf8')) as EchoView;
        check(Buffer.from(echo.body_b64, 'base64').toString('utf8') === payload, `the ${payload.length}-byte body`, `${Buffer.from(echo.body_b64, 'base64').length} bytes`);
      }),
    },
    {
      id: 'h1-same-port',
      title: 'HTTP/1.1 on the same port is served as HTTP/1.1',
      async run(ctx) {
        const res = await request(`http://127.0.0.1:${ctx.server.port}/h1`);
        const echo = (await res.body.json()) as EchoView;
        check(res.statusCode === 200 && echo.version === '1.1', '200 and version 1.1', `${res.statusCode} ${echo.version}`);
      },
    },
    {
      id: 'h2-too-many-fields',
      title: 'limit_request_fields per stream: 431 on that stream, the next stream on the connection is served',
      run: (ctx) => withSession(ctx.server.port, async (session) => {
        const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`x-f${i}`, 'v']));
        const refused = await send(session, { ':method': 'GET', ':path': '/many', ...many });
        check(refused.status === 431, '431', String(refused.status));
        const next = await send(session, { ':method': 'GET', ':path': '/next' });
        check(next.status === 200, '200 on the next stream', String(next.status));
      }),
    },
    {
      id: 'h2c-upgrade',
      title: 'h2c by Upgrade (--http2-cleartext upgrade): 101, then the response on stream 1, echoed as version 2.0 without the upgrade fields',
      async run(ctx) {
        const server = await ctx.startServer({
          app: ctx.env.echoApp,
          settings: ['http_protocols', 'http2_cleartext'],
          args: ['--http-protocols', 'h2,h1', '--http2-cleartext', 'upgrade'],
        });
        const body = (await upgradeExchange(server.port, '/up?x=1')).toString('utf8');
        const echo = JSON.parse(body) as EchoView;
        check(echo.method === 'GET' && echo.path === '/up' && echo.query === 'x=1', 'the echo of GET /up?x=1', body);
        check(echo.version === '2.0', "version '2.0'", echo.version);
        const names = echo.headers.map(([name]) => name.toLowerCase());
        check(names.includes('x-kit'), 'the x-kit header', JSON.stringify(echo.headers));
        check(!names.some((name) => ['upgrade', 'http2-settings', 'connection'].includes(name)), 'no Upgrade, HTTP2-Settings or Connection field', JSON.stringify(echo.headers));
      },
    },
    {
      id: 'h2-rapid-reset',
      title: 'rapid reset: 2000 streams opened and reset at once; a normal stream is served afterwards',
      async run(ctx) {
        const socket = net.connect(ctx.server.port, '127.0.0.1');
        await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
        socket.on('error', () => {});
        socket.on('data', () => {});
        const frames: Buffer[] = [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])];
        for (let i = 0, id = 1; i < 2000; i++, id += 2) frames.push(headersThenReset(id));
        socket.write(Buffer.concat(frames));
        await new Promise((resolve) => setTimeout(resolve, 300));
        socket.destroy();
        const answer = await withSession(ctx.server.port, (session) => send(session, { ':method': 'GET', ':path': '/after' }));
        check(answer.status === 200, '200 for a normal stream after the burst', String(answer.status));
      },
    },
  ],
};
