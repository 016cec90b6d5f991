import net from 'node:net';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, nginxAvailable, startNginx, type Nginx } from '../helpers/nginx.js';
import { rawRequest } from '../helpers/raw.js';
import { FIXTURES, startPre, stopAll } from '../helpers/pre.js';

const PEER_APP = path.join(FIXTURES, 'peer-app.js');
let nginx: Nginx | undefined;

afterEach(async () => {
  await nginx?.stop();
  nginx = undefined;
  await stopAll();
});

/** A client on 127.0.0.2, so that the client and the proxy (127.0.0.1) have different addresses. */
const fromOtherAddress = new Agent({ localAddress: '127.0.0.2' });

async function peerView(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { dispatcher: fromOtherAddress, headers });
  return { status: res.statusCode, body: res.statusCode === 200 ? await res.body.json() : await res.body.text() };
}

async function startPeerApp(args: string[] = [], app = PEER_APP) {
  const port = await freePort();
  const pre = startPre([app, '-b', `127.0.0.1:${port}`, '--log-level', 'debug', ...args]);
  await pre.ready();
  return { pre, port };
}

describe('forwarded headers', () => {
  it('believes X-Forwarded-For/Proto only from a trusted peer, and strips them from others', async () => {
    const { port } = await startPeerApp(['--forwarded-allow-ips', '127.0.0.1']);
    const spoofed = await peerView(`http://127.0.0.1:${port}/`, { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' });
    expect(spoofed.body).toEqual({ remote: '127.0.0.2', https: false, xff: null, proto: null });
    const direct = await request(`http://127.0.0.1:${port}/`, { headers: { 'x-forwarded-for': '198.51.100.4, 203.0.113.9', 'x-forwarded-proto': 'https' } });
    expect(await direct.body.json()).toMatchObject({ remote: '203.0.113.9', https: true });
  });

  it('rejects contradictory scheme headers from a trusted proxy with 400', async () => {
    const { port } = await startPeerApp();
    const res = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Ssl: off\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.body).toBe('Contradictory scheme headers\n');
  });

  it('gives fetch apps an https URL and the client address behind a trusted proxy', async () => {
    const { port } = await startPeerApp([], path.join(FIXTURES, 'peer-fetch.js'));
    const res = await request(`http://127.0.0.1:${port}/p?q=1`, { headers: { host: 'example.test', 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.1' } });
    expect(await res.body.json()).toEqual({ url: 'https://example.test/p?q=1', remote: '192.0.2.1' });
  });

  it.skipIf(!nginxAvailable)('behind a real nginx: the app sees the client and https; an untrusted nginx is not believed', async () => {
    const { port, pre } = await startPeerApp(['--forwarded-allow-ips', '127.0.0.1']);
    nginx = await startNginx(port);
    expect((await peerView(`http://127.0.0.1:${nginx.httpPort}/`)).body).toMatchObject({ remote: '127.0.0.2', https: true });
    await pre.stop();
    await nginx.stop();
    const untrusting = await startPeerApp(['--forwarded-allow-ips', '10.0.0.1']);
    nginx = await startNginx(untrusting.port);
    expect((await peerView(`http://127.0.0.1:${nginx.httpPort}/`)).body).toEqual({ remote: '127.0.0.1', https: false, xff: null, proto: null });
  });
});

describe('PROXY protocol', () => {
  function send(port: number, data: Buffer | string, localAddress = '127.0.0.1'): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress }, () => socket.end(data));
      let text = '';
      socket.setEncoding('latin1').on('data', (d: string) => (text += d));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
  }
  const get = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  const body = (text: string) => JSON.parse(text.split('\r\n\r\n')[1] ?? 'null') as Record<string, unknown>;

  it('reads v1 and v2 headers from allowed proxies; serves others as plain HTTP; closes an allowed peer without one', async () => {
    const { port } = await startPeerApp(['--proxy-protocol', '--proxy-allow-from', '127.0.0.1']);
    expect(body(await send(port, `PROXY TCP4 192.0.2.10 127.0.0.1 4444 ${port}\r\n${get}`))).toMatchObject({ remote: '192.0.2.10' });
    expect(body(await send(port, `PROXY TCP6 2001:db8::7 ::1 4444 ${port}\r\n${get}`))).toMatchObject({ remote: '2001:db8::7' });
    const v2 = Buffer.concat([
      Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c]),
      Buffer.from([198, 51, 100, 77, 127, 0, 0, 1]), Buffer.from([0x11, 0x5c, 0x1f, 0x90]), Buffer.from(get),
    ]);
    expect(body(await send(port, v2))).toMatchObject({ remote: '198.51.100.77' });
    expect(body(await send(port, get, '127.0.0.2'))).toMatchObject({ remote: '127.0.0.2' });
    expect(await send(port, get)).toBe('');
    expect(await send(port, `PROXY TCP4 not-an-ip 127.0.0.1 1 2\r\n${get}`)).toBe('');
  });

  it.skipIf(!nginxAvailable)('behind a real nginx with proxy_protocol on, the app sees the client address', async () => {
    const { port } = await startPeerApp(['--proxy-protocol']);
    nginx = await startNginx(port);
    expect((await peerView(`http://127.0.0.1:${nginx.streamPort}/`)).body).toMatchObject({ remote: '127.0.0.2', https: false });
  });
});
