// The echo app under node:http, against raw requests: the JSON must carry exactly what was sent.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../src/echo/node.js';
import { echoFetch } from '../src/echo/fetch.js';

let server: http.Server;
let port: number;

beforeAll(async () => {
  server = http.createServer(echo);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function raw(bytes: string): Promise<{ head: string; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(Buffer.from(bytes, 'latin1')));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks);
      const at = text.indexOf('\r\n\r\n');
      resolve({ head: text.subarray(0, at).toString('latin1'), json: JSON.parse(text.subarray(at + 4).toString('utf8')) as Record<string, unknown> });
    });
  });
}

describe('echo app (node)', () => {
  it('echoes method, undecoded path and query, version, headers in order with case and repeats', async () => {
    const { head, json } = await raw('GET /a%20b/c?x=1?y=%2F HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nX-Latin: caf\xe9\r\nConnection: close\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).toMatch(/content-type: application\/json; charset=utf-8/i);
    expect(json).toEqual({
      method: 'GET', path: '/a%20b/c', query: 'x=1?y=%2F', version: '1.1',
      headers: [['Host', 'h'], ['X-A', '1'], ['x-a', '2'], ['X-Latin', 'caf\u00e9'], ['Connection', 'close']],
      trailers: [], body_b64: '', raw: true,
    });
  });

  it('echoes a chunked body with trailers, and HTTP/1.0 with no query as null', async () => {
    const chunked = await raw('POST /t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\n\x00\xff\x01\r\n0\r\nX-Sum: 9\r\n\r\n');
    expect(chunked.json).toMatchObject({ method: 'POST', path: '/t', query: null, trailers: [['X-Sum', '9']], body_b64: Buffer.from([0, 255, 1]).toString('base64') });
    const old = await raw('GET /old? HTTP/1.0\r\n\r\n');
    expect(old.json).toMatchObject({ version: '1.0', path: '/old', query: '', headers: [] });
  });
});

describe('echo app (fetch)', () => {
  it('uses the raw view from the context when the class gives one', async () => {
    const res = await echoFetch(new Request('http://h/p?q', { method: 'POST', body: 'hi' }), { rawHeaders: ['Host', 'h', 'X-A', '1', 'x-a', '2'], httpVersion: '1.0' });
    expect(await res.json()).toEqual({
      method: 'POST', path: '/p', query: 'q', version: '1.0', headers: [['Host', 'h'], ['X-A', '1'], ['x-a', '2']], trailers: [], body_b64: Buffer.from('hi').toString('base64'), raw: true,
    });
  });

  it('says raw: false without one', async () => {
    const res = await echoFetch(new Request('http://h/p', { headers: { 'X-A': '1' } }));
    expect(await res.json()).toMatchObject({ path: '/p', query: null, headers: [['x-a', '1']], raw: false });
  });
});
