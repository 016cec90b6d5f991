import net from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw.js';
import { HELLO, startPre, stopAll, waitFor, type PreProcess } from '../helpers/pre.js';

describe('request limits and framing (async worker)', () => {
  let pre: PreProcess;
  let port: number;
  let workerPid: number;

  beforeAll(async () => {
    pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug']);
    port = Number(new URL(await pre.ready()).port);
    [workerPid] = pre.bootedWorkers() as [number];
  });
  afterAll(stopAll);

  const cases: [string, string, number, string][] = [
    ['an over-long request line', `GET /${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'Request line too long'],
    ['too many header fields', `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 101 }, (_, i) => `X-${i}: y\r\n`).join('')}\r\n`, 431, 'Too many header fields'],
    ['an over-long header field', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9000)}\r\n\r\n`, 431, 'Header field too large'],
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'Invalid Transfer-Encoding'],
    ['a duplicate Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc', 400, 'Conflicting Content-Length'],
    ['an invalid Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3x\r\n\r\nabc', 400, 'Invalid Content-Length'],
    ['a duplicate Host', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'Duplicate host header'],
    ['a duplicate Content-Type', 'GET / HTTP/1.1\r\nHost: a\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n', 400, 'Duplicate content-type header'],
    ['obsolete line folding', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n', 400, 'Invalid header'],
    ['an invalid header name', 'GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n', 400, 'Invalid header'],
    ['a NUL in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n', 400, 'Invalid header'],
    ['a bare CR', 'GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n', 400, 'Invalid line ending'],
    ['an invalid method', 'GE@T / HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'Invalid method'],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', 400, 'Invalid HTTP version'],
    ['HTTP/2.0 in an HTTP/1 request line', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 400, 'Invalid HTTP version'],
    ['an invalid chunk size', 'POST /slow?ms=50 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', 400, 'Invalid chunk size'],
  ];

  it.each(cases)('rejects %s: the right 4xx, a short reason, Connection: close, and the worker lives on', async (_, raw, status, reason) => {
    const res = await rawRequest(port, raw);
    expect(res.status).toBe(status);
    expect(res.head.toLowerCase()).toContain('connection: close');
    expect(res.body).toBe(`${reason}\n`);
    expect(pre.bootedWorkers()).toEqual([workerPid]);
  });

  it('logs one debug line per rejection, without the input', async () => {
    await rawRequest(port, 'GET / HTTP/1.1\r\nHost: a\r\nX-Secret: s3cr3t\r\nX-Secret\0: y\r\n\r\n');
    await pre.waitForLog(/Rejected request from 127\.0\.0\.1 with 400: Invalid header/);
    expect(pre.stderr).not.toContain('s3cr3t');
    expect(pre.stderr).not.toMatch(/at .*\.js:\d+/); // no stack traces
  });

  it('closes a truncated chunked body without answering garbage, and the worker lives on', async () => {
    const res = await rawRequest(port, 'POST /json HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab');
    expect(res.closed).toBe(true);
    expect(res.body).not.toContain('Error');
    expect(pre.bootedWorkers()).toEqual([workerPid]);
  });

  it('accepts requests right at the limits', async () => {
    const line = `GET /${'a'.repeat(4094 - 'GET / HTTP/1.1'.length)} HTTP/1.1`;
    expect(line.length).toBe(4094);
    const res = await rawRequest(port, `${line}\r\nHost: x\r\nConnection: close\r\n${Array.from({ length: 97 }, (_, i) => `X-${i}: y\r\n`).join('')}X-Big: ${'b'.repeat(8190 - 7)}\r\n\r\n`);
    expect(res.status).toBe(404);
  });
});

describe('slow clients', () => {
  afterAll(stopAll);

  it('cuts off a client that sends its headers slowly, and one that stops mid-body, with 408', async () => {
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug', '--headers-timeout', '1', '--request-timeout', '2']);
    const port = Number(new URL(await pre.ready()).port);
    const started = Date.now();
    const slowHeaders = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(slowHeaders.status).toBe(408);
    expect(Date.now() - started).toBeLessThan(8000);
    const midBody = await rawRequest(port, 'POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part');
    expect(midBody.closed).toBe(true);
  });

  it('1,000 slowloris connections on one worker do not stop a normal client', async () => {
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug', '-w', '1', '--worker-connections', '2000', '--headers-timeout', '30']);
    const url = await pre.ready();
    const port = Number(new URL(url).port);
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 1000; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
        sockets.push(socket);
      }
      await waitFor(() => sockets.every((s) => !s.connecting), '1,000 connections');
      for (let i = 0; i < 5; i++) {
        const res = await request(`${url}/json`, { headersTimeout: 5000 });
        expect(res.statusCode).toBe(200);
        await res.body.text();
      }
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});
