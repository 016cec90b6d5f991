import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../helpers/certs.js';
import { FIXTURES, freePort, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';
import { nativeUwsAvailable } from '../helpers/uws.js';

afterEach(stopAll);

const APP = path.join(FIXTURES, 'uws-raw-app.js');

async function startUws(args: readonly string[] = []) {
  const port = await freePort();
  const pre = startPre([APP, '-k', 'uws', '-b', `127.0.0.1:${port}`, '--log-level', 'debug', ...args]);
  const url = await pre.ready(1);
  return { pre, url, port };
}

interface Exchange {
  text: string;
  /** The server closed the connection (false: the client gave up after `timeoutMs`). */
  closed: boolean;
  ms: number;
}

/** Sends raw bytes (all at once, or in parts `gapMs` apart) and reads until the server closes or `timeoutMs`. */
function raw(port: number, data: string | Buffer | (string | Buffer)[], timeoutMs = 5000, gapMs = 50): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const parts = Array.isArray(data) ? data : [data];
    const socket = net.connect(port, '127.0.0.1', () => {
      parts.forEach((part, i) => setTimeout(() => socket.writable && socket.write(part), i * gapMs));
    });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false, ms: Date.now() - started });
    }, timeoutMs);
    socket.setEncoding('latin1').on('data', (d: string) => (text += d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true, ms: Date.now() - started });
    });
  });
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

function jsonBody(text: string): Record<string, unknown> {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

const H = 'Host: x\r\n';

/** A PROXY protocol v2 header: PROXY command, TCP over IPv4, from `source`:`port`. */
function proxyV2(source: string, port: number): Buffer {
  const block = Buffer.alloc(28);
  Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0, 12]).copy(block);
  source.split('.').forEach((octet, i) => (block[16 + i] = Number(octet)));
  Buffer.from([127, 0, 0, 1]).copy(block, 20);
  block.writeUInt16BE(port, 24);
  block.writeUInt16BE(80, 26);
  return block;
}

describe.skipIf(!nativeUwsAvailable)('uws: TLS', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  const tlsArgs = () => ['--certfile', pki.serverCert, '--keyfile', pki.serverKey];

  it('serves HTTPS with SSLApp (https request URLs) with --threads 2, and does not serve plain HTTP on that port', async () => {
    const { pre, url, port } = await startUws([...tlsArgs(), '--threads', '2']);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const agent = new Agent({ connect: { ca: pki.read(pki.caCert) } });
    const res = await request(`${url}/secure?x=1`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toMatchObject({ url: `https://127.0.0.1:${port}/secure?x=1`, remoteAddress: '127.0.0.1' });
    const untrusting = await request(`${url}/`).then(() => 'accepted', (err: Error) => err.message);
    expect(untrusting).not.toBe('accepted');
    const plain = await raw(port, `GET / HTTP/1.1\r\n${H}\r\n`);
    expect(plain.text).not.toMatch(/^HTTP\//);
    await agent.close();
    expect(pre.stderr).not.toMatch(/uws thread exited|worker failed to start/);
  });

  it('with cert_reqs 1 and ca_certs, verifies a client certificate when one is given', async () => {
    const { url } = await startUws([...tlsArgs(), '--cert-reqs', '1', '--ca-certs', pki.caCert]);
    const rogueKey = path.join(pki.dir, 'rogue.key');
    const rogueCert = path.join(pki.dir, 'rogue.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', rogueKey, '-out', rogueCert, '-days', '2', '-subj', '/CN=rogue'], { stdio: 'pipe' });
    const anonymous = new Agent({ connect: { ca: pki.read(pki.caCert) } });
    expect((await request(`${url}/`, { dispatcher: anonymous })).statusCode).toBe(200);
    const good = new Agent({ connect: { ca: pki.read(pki.caCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) } });
    expect((await request(`${url}/`, { dispatcher: good })).statusCode).toBe(200);
    const rogue = new Agent({ connect: { ca: pki.read(pki.caCert), cert: readFileSync(rogueCert), key: readFileSync(rogueKey) } });
    expect(await request(`${url}/`, { dispatcher: rogue }).then(() => 'accepted', () => 'refused')).toBe('refused');
    await Promise.all([anonymous.close(), good.close(), rogue.close()]);
  });

  it('refuses at start-up what uWS cannot do: cert_reqs 2, tls_min_version TLSv1.3, the ssl_context hook, cert_reqs 1 without ca_certs', async () => {
    const port = await freePort();
    const base = [APP, '-k', 'uws', '-b', `127.0.0.1:${port}`, ...tlsArgs()];
    const required = await runPre([...base, '--cert-reqs', '2', '--ca-certs', pki.caCert]);
    expect(required.code).toBe(3);
    expect(required.stderr).toMatch(/cert_reqs 2 is not supported by the uws worker class: uWS .* cannot require one/);
    const tls13 = await runPre([...base, '--tls-min-version', 'TLSv1.3']);
    expect(tls13.code).toBe(3);
    expect(tls13.stderr).toMatch(/tls_min_version "TLSv1\.3" is not supported by the uws worker class/);
    const hook = await runPre([...base, '-c', path.join(FIXTURES, 'tls-hook.config.mjs')]);
    expect(hook.code).toBe(3);
    expect(hook.stderr).toMatch(/ssl_context "hook" is not supported by the uws worker class/);
    const optional = await runPre([...base, '--cert-reqs', '1']);
    expect(optional.stderr).toMatch(/cert_reqs 1 is not supported by the uws worker class: .*set ca_certs/);
  });
});

describe.skipIf(!nativeUwsAvailable)('uws: trusted proxies and PROXY protocol', () => {
  it('follows X-Forwarded-For and X-Forwarded-Proto from a trusted peer, in the app and the access log', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-uws-fwd-'));
    const logFile = path.join(dir, 'access.log');
    const { port } = await startUws(['--access-logfile', logFile]);
    const res = await raw(port, `GET /fwd HTTP/1.1\r\n${H}X-Forwarded-For: 198.51.100.1, 203.0.113.7\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n`);
    expect(statusOf(res.text)).toBe(200);
    expect(jsonBody(res.text)).toMatchObject({ url: 'https://x/fwd', remoteAddress: '203.0.113.7' });
    await waitFor(() => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('/fwd'), 'the access log line');
    expect(readFileSync(logFile, 'utf8')).toMatch(/^203\.0\.113\.7 - - .*"GET \/fwd HTTP\/1\.1" 200/m);
    const contradictory = await raw(port, `GET / HTTP/1.1\r\n${H}X-Forwarded-Proto: https\r\nX-Forwarded-Ssl: off\r\n\r\n`);
    expect(statusOf(contradictory.text)).toBe(400);
    expect(contradictory.text).toMatch(/Contradictory scheme headers/);
  });

  it('removes the proxy headers of a peer not in forwarded_allow_ips', async () => {
    const { port } = await startUws(['--forwarded-allow-ips', '10.0.0.1']);
    const res = await raw(port, `GET /fwd HTTP/1.1\r\n${H}X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Other: kept\r\nConnection: close\r\n\r\n`);
    const body = jsonBody(res.text);
    expect(body).toMatchObject({ url: 'http://x/fwd', remoteAddress: '127.0.0.1', forwardedFor: null });
    expect(body.rawHeaders).toEqual(['host', 'x', 'x-other', 'kept', 'connection', 'close']);
  });

  it('takes the client address from a PROXY v2 header sent by a proxy_allow_ips peer', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-uws-proxy-'));
    const logFile = path.join(dir, 'access.log');
    const { pre, port } = await startUws(['--proxy-protocol', '--access-logfile', logFile]);
    await pre.waitForLog(/proxy_protocol accepts the binary PROXY v2 header only/);
    const res = await raw(port, Buffer.concat([proxyV2('198.51.100.9', 4242), Buffer.from(`GET /proxied HTTP/1.1\r\n${H}Connection: close\r\n\r\n`)]));
    expect(jsonBody(res.text)).toMatchObject({ remoteAddress: '198.51.100.9' });
    await waitFor(() => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('/proxied'), 'the access log line');
    expect(readFileSync(logFile, 'utf8')).toMatch(/^198\.51\.100\.9 - - /m);
  });

  it('refuses a PROXY v2 header from a peer not in proxy_allow_ips', async () => {
    const { port } = await startUws(['--proxy-protocol', '--proxy-allow-from', '10.0.0.1']);
    const res = await raw(port, Buffer.concat([proxyV2('198.51.100.9', 4242), Buffer.from(`GET / HTTP/1.1\r\n${H}\r\n`)]));
    expect(statusOf(res.text)).toBe(400);
    expect(res.closed).toBe(true);
    const plain = await raw(port, `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(jsonBody(plain.text)).toMatchObject({ remoteAddress: '127.0.0.1' });
  });
});

describe.skipIf(!nativeUwsAvailable)('uws: framing', () => {
  const refused: [string, number, string][] = [
    ['Transfer-Encoding: chunked, identity', 400, `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n`],
    ['Transfer-Encoding: gzip, chunked', 501, `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`],
    ['Transfer-Encoding: chunked, chunked', 400, `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`],
    ['a chunked body', 411, `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`],
    ['a chunked body with bare-LF lines', 411, `POST / HTTP/1.1\r\n${H}Transfer-Encoding: Chunked\r\n\r\n5\nhello\n0\n\n`],
    ['a chunked body with a Host trailer', 411, `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nHost: evil\r\n\r\n`],
    ['a chunked body without CRLF after the data', 411, `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n`],
    ['CONNECT', 501, `CONNECT / HTTP/1.1\r\n${H}\r\n`],
  ];
  it.each(refused)('answers %s with %i and closes', async (_name, status, text) => {
    const { port } = await startUws();
    const res = await raw(port, text);
    expect(statusOf(res.text)).toBe(status);
    expect(res.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(res.closed).toBe(true);
  });

  it('never routes a request pipelined behind a refused one (no smuggling through uWS chunk parsing)', async () => {
    const { pre, port } = await startUws();
    const chunked = await raw(port, `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`);
    const limited = await raw(port, `GET /a HTTP/1.1\r\n${H}Host: y\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`);
    for (const res of [chunked, limited]) {
      expect(res.closed).toBe(true);
      expect(res.text).not.toMatch(/smuggled|200 OK/);
    }
    // Sent in a later packet, after the refusal went out: the connection is already closed.
    const later = await raw(port, [`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhel`, `lo\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`]);
    expect(statusOf(later.text)).toBe(411);
    expect(later.text).not.toMatch(/smuggled|200 OK/);
    expect(pre.stderr).not.toMatch(/smuggled/);
  });

  it('never serves the malformed requests uWS closes itself (bad Content-Length, TE with CL, bare gzip)', async () => {
    const { port } = await startUws();
    const cases = [
      `POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello`,
      `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello`,
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\nhello`,
    ];
    for (const text of cases) {
      const res = await raw(port, text);
      expect(res.closed).toBe(true);
      expect(res.text).not.toMatch(/^HTTP\/1\.1 2/);
    }
  });

  it('keeps an empty query apart from none: GET /q? reaches the app as /q?', async () => {
    const { port } = await startUws();
    const empty = await raw(port, `GET /q? HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(jsonBody(empty.text)).toMatchObject({ rawUrl: '/q?', url: `http://x/q?` });
    const none = await raw(port, `GET /q HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(jsonBody(none.text)).toMatchObject({ rawUrl: '/q', url: 'http://x/q' });
  });

  const badTargets: [string, string][] = [
    ['a fragment', '/a#frag'],
    ['a fragment after the query', '/a?b#c'],
    ['a raw 0xFF byte', '/\xff'],
    ['UTF-8 bytes', '/caf\xc3\xa9'],
    ['DEL', '/a\x7fb'],
  ];
  it.each(badTargets)('refuses a target with %s with 400 and closes', async (_name, target) => {
    const { pre, port } = await startUws();
    const res = await raw(port, Buffer.from(`GET ${target} HTTP/1.1\r\n${H}\r\n`, 'latin1'));
    expect(statusOf(res.text)).toBe(400);
    expect(res.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(res.closed).toBe(true);
    await pre.waitForLog(/Rejected request from .* with 400: Invalid request target/);
    // The printable ASCII that node:http serves is served here too.
    const fine = await raw(port, `GET /a|b{c}"d"^\`~ HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(jsonBody(fine.text)).toMatchObject({ rawUrl: '/a|b{c}"d"^`~' });
  });

  it.each(['close', 'Close', 'keep-alive, close'])('answers Connection: %s with one Connection: close, then closes', async (value) => {
    const { port } = await startUws();
    const res = await raw(port, `GET /c HTTP/1.1\r\n${H}Connection: ${value}\r\n\r\n`);
    expect(statusOf(res.text)).toBe(200);
    const head = res.text.slice(0, res.text.indexOf('\r\n\r\n'));
    expect(head.match(/\r\nconnection: close(?=\r\n|$)/gi)).toHaveLength(1);
    expect(res.closed).toBe(true);
    expect(res.ms).toBeLessThan(4000); // closed by the server, not by the client giving up
    // A refusal after such a header says close once too.
    const refused = await raw(port, `GET /a#f HTTP/1.1\r\n${H}Connection: ${value}\r\n\r\n`);
    expect(statusOf(refused.text)).toBe(400);
    expect(refused.text.match(/\r\nconnection: close\r\n/gi)).toHaveLength(1);
  });

  it.each([204, 304])('answers %i without Content-Length or a body, and keeps the connection', async (status) => {
    const { port } = await startUws();
    const res = await raw(port, [
      `GET /status?code=${status} HTTP/1.1\r\n${H}\r\n`,
      `HEAD /status?code=${status} HTTP/1.1\r\n${H}\r\n`,
      `GET /after HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
    ]);
    const answers = res.text.split(/(?=HTTP\/1\.1 )/);
    expect(answers.map(statusOf)).toEqual([status, status, 200]);
    for (const answer of answers.slice(0, 2)) {
      expect(answer).toMatch(/\r\nx-status: yes\r\n/i);
      expect(answer).not.toMatch(/\r\n(content-length|transfer-encoding):/i);
      expect(answer.endsWith('\r\n\r\n')).toBe(true); // no body
    }
    expect(jsonBody(answers[2]!)).toMatchObject({ rawUrl: '/after' });
    expect(res.closed).toBe(true);
    // With the client's Connection: close: no Content-Length either, Connection: close, and the close.
    const closing = await raw(port, `GET /status?code=${status} HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(statusOf(closing.text)).toBe(status);
    expect(closing.text).not.toMatch(/\r\ncontent-length:/i);
    expect(closing.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(closing.closed).toBe(true);
    expect(closing.ms).toBeLessThan(4000);
  });

  it('gives the app the raw view: lower-cased header names in order, HTTP/1.1, and Content-Length bodies', async () => {
    const { port } = await startUws();
    const res = await raw(port, `POST /echo HTTP/1.1\r\nHost: x\r\nX-Custom: Some Value\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`);
    expect(jsonBody(res.text)).toMatchObject({
      rawHeaders: ['host', 'x', 'x-custom', 'Some Value', 'content-length', '5', 'connection', 'close'],
      httpVersion: '1.1',
      bodyLength: 5,
    });
    const fields48 = Array.from({ length: 46 }, (_, i) => `X-${i}: v\r\n`).join('');
    const many = await raw(port, `GET / HTTP/1.1\r\n${H}${fields48}Connection: close\r\n\r\n`);
    expect(statusOf(many.text)).toBe(200); // uWS's compiled maximum, 48 fields
  });
});

describe.skipIf(!nativeUwsAvailable)('uws: timeouts and worker_connections', () => {
  it('refuses a headers_timeout other than uWS own 10 s at start-up', async () => {
    const port = await freePort();
    const result = await runPre([APP, '-k', 'uws', '-b', `127.0.0.1:${port}`, '--headers-timeout', '30']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("worker class 'uws' cannot honour headers_timeout = 30");
  });

  it('answers 503 beyond worker_connections requests in flight', async () => {
    const { pre, url } = await startUws(['--worker-connections', '1']);
    const slow = request(`${url}/slow?ms=1500`);
    await pre.waitForLog(/slow request started/);
    const over = await request(`${url}/`);
    expect(over.statusCode).toBe(503);
    expect(over.headers.connection).toBe('close');
    await over.body.dump();
    expect(await (await slow).body.text()).toBe('slow done');
    expect((await request(`${url}/`)).statusCode).toBe(200);
  });

  it('answers 408 to a body still arriving after request_timeout', async () => {
    const { pre, port } = await startUws(['--request-timeout', '10']);
    // The body flows (uWS would close a stalled one itself), but too slowly to end within 10 s.
    const total = 4 * 1024 * 1024;
    const parts: (string | Buffer)[] = [`POST /echo HTTP/1.1\r\n${H}Content-Length: ${total}\r\n\r\n`];
    for (let i = 0; i < 300; i++) parts.push(Buffer.alloc(8192, 'x'));
    const res = await raw(port, parts, 20_000, 60);
    expect(statusOf(res.text)).toBe(408);
    expect(res.closed).toBe(true);
    expect(res.ms).toBeGreaterThanOrEqual(9_500);
    expect(res.ms).toBeLessThan(16_000);
    await pre.waitForLog(/Request timeout: the body of POST \/echo/);
  }, 30_000);

  it('keeps serving while 1,000 connections send a request head slowly; uWS closes them within ~10 s', async () => {
    const { url, port } = await startUws();
    const sockets: net.Socket[] = [];
    let closedByServer = 0;
    try {
      await Promise.all(Array.from({ length: 1000 }, () => new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(`GET / HTTP/1.1\r\n${H}X-Slow: `);
          resolve();
        });
        socket.on('error', () => resolve());
        socket.on('close', () => closedByServer++);
        sockets.push(socket);
      })));
      const trickle = setInterval(() => { for (const s of sockets) if (s.writable) s.write('a'); }, 2000);
      try {
        for (let i = 0; i < 5; i++) {
          const started = Date.now();
          const res = await request(`${url}/`, { reset: true });
          expect(res.statusCode).toBe(200);
          await res.body.dump();
          expect(Date.now() - started).toBeLessThan(2000);
        }
        await waitFor(() => closedByServer === 1000, 'uWS to close every slow connection', 20_000);
      } finally {
        clearInterval(trickle);
      }
    } finally {
      for (const s of sockets) s.destroy();
    }
  }, 40_000);
});
