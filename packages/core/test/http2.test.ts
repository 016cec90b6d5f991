import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { http2CompatClasses } from '../src/http/http2-adapter.js';
import { checkHttp2Request, http2ServerOptions } from '../src/http/http2-limits.js';
import { alpnProtocols, wantsHttp2 } from '../src/http/http2-server.js';
import { resolveSettings } from '../src/settings/load.js';
import { DEFAULT_CAPABILITIES, settingRefusals } from '../src/worker/capabilities.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const settingsFrom = async (argv: string[]) => (await resolveSettings({ argv: [...argv, 'app.js'], env: {}, cwd: HERE })).settings;

describe('HTTP/2 settings (Gunicorn 26 names and defaults)', () => {
  it('defaults: h1 only, cleartext off, 100 streams, 65535 window, 16384 frame, 65536 header list', async () => {
    const s = await settingsFrom([]);
    expect([s.http_protocols, s.http2_cleartext, s.http2_max_concurrent_streams, s.http2_initial_window_size, s.http2_max_frame_size, s.http2_max_header_list_size])
      .toEqual([['h1'], 'off', 100, 65535, 16384, 65536]);
    expect(wantsHttp2(s)).toBe(false);
  });

  it('http_protocols takes "h2, h1" in ALPN order and refuses unknown or repeated names, naming the setting', async () => {
    const s = await settingsFrom(['--http-protocols', 'h2, h1', '--http2-cleartext', 'prior-knowledge']);
    expect(s.http_protocols).toEqual(['h2', 'h1']);
    expect(alpnProtocols(s.http_protocols)).toEqual(['h2', 'http/1.1']);
    await expect(settingsFrom(['--http-protocols', 'h3'])).rejects.toThrow(/http_protocols/);
    await expect(settingsFrom(['--http-protocols', 'h1,h1'])).rejects.toThrow(/http_protocols/);
    await expect(settingsFrom(['--http2-max-frame-size', '100'])).rejects.toThrow(/http2_max_frame_size/);
  });

  it('h2 needs the http2 capability; the default class capabilities do not have it', async () => {
    const s = await settingsFrom(['--http-protocols', 'h2,h1', '--http2-cleartext', 'prior-knowledge']);
    expect(settingRefusals(DEFAULT_CAPABILITIES, s).map((r) => `${r.setting}:${r.capability}`)).toEqual(['http_protocols:http2', 'http2_cleartext:http2']);
    expect(settingRefusals({ ...DEFAULT_CAPABILITIES, http2: true }, s)).toEqual([]);
  });

  it('the node:http2 options carry the settings and explicit flood bounds', async () => {
    const s = await settingsFrom(['--http2-max-concurrent-streams', '7', '--limit-request-fields', '10']);
    const options = http2ServerOptions(s);
    expect(options.settings).toMatchObject({ maxConcurrentStreams: 7, initialWindowSize: 65535, maxFrameSize: 16384, maxHeaderListSize: 65536, enablePush: false });
    expect(options).toMatchObject({ maxHeaderListPairs: 26, maxSessionRejectedStreams: 100, maxOutstandingPings: 10, maxSettings: 32 });
  });
});

describe('checkHttp2Request', () => {
  const limits = { limit_request_line: 4094, limit_request_fields: 3, limit_request_field_size: 50 };
  const req = (rawHeaders: string[], url = '/') => ({ method: 'GET', url, rawHeaders, headers: Object.fromEntries(Array.from({ length: rawHeaders.length / 2 }, (_, i) => [rawHeaders[2 * i]!, rawHeaders[2 * i + 1]!])) });
  it('applies the HTTP/1.1 limits per stream', () => {
    expect(checkHttp2Request(req(['host', 'a']), limits as never)).toBeNull();
    expect(checkHttp2Request(req(['a', '1', 'b', '2', 'c', '3', 'd', '4']), limits as never)?.status).toBe(431);
    expect(checkHttp2Request(req(['x', 'y'.repeat(60)]), limits as never)?.status).toBe(431);
    expect(checkHttp2Request(req(['host', 'a b']), limits as never)?.status).toBe(400);
    expect(checkHttp2Request(req([], '/' + 'p'.repeat(5000)), limits as never)?.status).toBe(414);
    const listLimited = { ...limits, limit_request_field_size: 0, http2_max_header_list_size: 300 };
    expect(checkHttp2Request(req(['x', 'y'.repeat(100)]), listLimited as never)).toBeNull();
    expect(checkHttp2Request(req(['x', 'y'.repeat(200)]), listLimited as never)).toEqual({ status: 431, reason: 'Header list too large' });
  });
});

describe('http2CompatClasses (over a real node:http2 connection)', () => {
  let server: http2.Http2Server | null = null;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A server built with pre's classes; `listener` answers each stream. */
  async function serve(pin: boolean, listener: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void): Promise<http2.ClientHttp2Session> {
    server = http2.createServer({ ...http2CompatClasses(http2, { pin }) }, listener);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server!.address() as { port: number };
    return http2.connect(`http://127.0.0.1:${port}`);
  }

  function request(client: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const stream = client.request(headers, { endStream: body === undefined });
      if (body !== undefined) stream.end(body);
      let text = '';
      let head: http2.IncomingHttpHeaders = {};
      stream.on('response', (h) => (head = h));
      stream.on('data', (d: Buffer) => (text += d));
      stream.on('end', () => resolve({ status: Number(head[':status']), headers: head, body: text }));
      stream.on('error', reject);
    });
  }

  it.each([true, false])('pin %s: hides pseudo-headers, keeps method and url, adds host from :authority and chunked for a body without length', async (pin) => {
    let seen: Record<string, unknown> = {};
    const client = await serve(pin, (req, res) => {
      seen = { method: req.method, url: req.url, scheme: req.scheme, headers: Object.fromEntries(Object.entries(req.headers)), raw: [...req.rawHeaders], httpVersion: req.httpVersion };
      req.url = '/rewritten'; // as Express's router does: a plain property, not the :path pseudo-header
      res.end(req.url);
    });
    const res = await request(client, { ':method': 'POST', ':path': '/p?q=1', 'x-a': 'b' }, 'body');
    client.close();
    const { port } = server!.address() as { port: number };
    expect(res.body).toBe('/rewritten');
    expect(seen).toEqual({ method: 'POST', url: '/p?q=1', scheme: 'http', httpVersion: '2.0',
      headers: { 'x-a': 'b', host: `127.0.0.1:${port}`, 'transfer-encoding': 'chunked' },
      raw: ['x-a', 'b', 'host', `127.0.0.1:${port}`, 'transfer-encoding', 'chunked'] });
  });

  it('pinned: request and response keep working after an Express-style prototype swap (live state: statusCode, headersSent, complete)', async () => {
    let seen: Record<string, unknown> = {};
    const client = await serve(true, (req, res) => {
      // As Express does: its request and response prototypes inherit from node:http's, not the compatibility classes.
      Object.setPrototypeOf(req, Object.create(http.IncomingMessage.prototype));
      Object.setPrototypeOf(res, Object.create(http.ServerResponse.prototype));
      res.statusCode = 201;
      res.setHeader('x-b', 'c');
      const before = res.headersSent;
      req.resume();
      req.on('end', () => {
        seen = { before, complete: req.complete, header: res.getHeader('x-b'), stream: req.stream === res.stream, host: req.headers.host };
        res.end('done');
        seen.after = res.headersSent;
        seen.finished = res.writableEnded;
      });
    });
    const res = await request(client, { ':method': 'POST', ':path': '/' }, 'x');
    client.close();
    expect(res.status).toBe(201);
    expect(res.headers['x-b']).toBe('c');
    expect(res.body).toBe('done');
    expect(seen).toMatchObject({ before: false, complete: true, header: 'c', stream: true, after: true, finished: true });
    expect(typeof seen.host).toBe('string');
  });

  it('a CONNECT still goes to node (405 without a connect listener), not to the app', async () => {
    let called = 0;
    const client = await serve(true, (_req, res) => {
      called++;
      res.end();
    });
    const res = await request(client, { ':method': 'CONNECT', ':authority': 'example.com:443' });
    const after = await request(client, { ':path': '/' });
    client.close();
    expect([res.status, after.status, called]).toEqual([405, 200, 1]);
  });

  it("req.socket: a per-stream view (its own address facts, kept after close), the connection's socket for the rest", async () => {
    const views: { socket: net.Socket; remote: unknown; isSocket: boolean; on: unknown; has: boolean }[] = [];
    const client = await serve(true, (req, res) => {
      const socket = req.socket as net.Socket;
      views.push({ socket, remote: socket.remoteAddress, isSocket: socket instanceof net.Socket, on: typeof socket.on, has: 'remotePort' in socket && 'setNoDelay' in socket });
      // forwarded.ts sets a client's address on one stream's view: another stream of the connection keeps its own.
      if (views.length === 1) Object.defineProperty(socket, 'remoteAddress', { value: '203.0.113.7', configurable: true });
      res.end(String(socket.remoteAddress));
    });
    const first = await request(client, { ':path': '/' });
    const second = await request(client, { ':path': '/' });
    client.close();
    expect([first.body, second.body]).toEqual(['203.0.113.7', '127.0.0.1']);
    expect(views.map((v) => [v.remote, v.isSocket, v.on, v.has])).toEqual([['127.0.0.1', true, 'function', true], ['127.0.0.1', true, 'function', true]]);
    expect(views[0]!.socket).not.toBe(views[1]!.socket);
    // After the streams closed (the access log reads the address then).
    expect([views[0]!.socket.remoteAddress, views[1]!.socket.remoteAddress, typeof views[1]!.socket.remotePort]).toEqual(['203.0.113.7', '127.0.0.1', 'number']);
  });
});
