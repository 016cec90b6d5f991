// limit_request_body on every built-in class: a Content-Length over it gets 413 and a close before the
// app runs (and instead of 100 Continue), a chunked body is cut off when it crosses it (413, or the
// connection closed once the response has started), the worker lives on, 0 means no limit, and an
// app that buffers bodies stays small. Raw sockets for the exact bytes, undici for the big uploads.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, HELLO, freePort, runPre, startPre, stopAll, waitFor, type PreProcess } from '../helpers/pre.js';
import { nativeUwsAvailable } from '../helpers/uws.js';

afterAll(stopAll);

const NODE_APP = path.join(FIXTURES, 'body-node.js');
const FETCH_APP = path.join(FIXTURES, 'body-fetch.js');
const LIMIT = 1024;
const MB = 1024 * 1024;

interface Class {
  readonly name: string;
  readonly app: string;
  readonly args: readonly string[];
  /** Takes chunked request bodies (uws refuses them with 411). */
  readonly chunked: boolean;
  /** Answers Expect: 100-continue itself, before pre sees the request (uWS). */
  readonly continuesFirst: boolean;
}

const CLASSES: Class[] = [
  { name: 'async', app: NODE_APP, args: ['-k', 'async'], chunked: true, continuesFirst: false },
  { name: 'sync', app: NODE_APP, args: ['-k', 'sync'], chunked: true, continuesFirst: false },
  { name: 'threads', app: NODE_APP, args: ['-k', 'threads', '--threads', '2'], chunked: true, continuesFirst: false },
  { name: 'uws', app: FETCH_APP, args: ['-k', 'uws'], chunked: false, continuesFirst: true },
];

interface Server {
  pre: PreProcess;
  port: number;
}

async function start(cls: Class, args: readonly string[]): Promise<Server> {
  const port = await freePort();
  const pre = startPre([cls.app, ...cls.args, '-b', `127.0.0.1:${port}`, '--log-level', 'debug', '--access-logfile', '-', ...args]);
  await pre.ready(1);
  return { pre, port };
}

interface Talk {
  text: string;
  /** The server closed the connection (false: the client gave up after `timeoutMs`). */
  closed: boolean;
}

/**
 * Sends `first`, then each later part once `when(textSoFar)` holds for it, and reads until the server
 * closes or `timeoutMs`.
 */
function talk(port: number, first: string, later: { when: (text: string) => boolean; send: string }[] = [], timeoutMs = 8000): Promise<Talk> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(first, 'latin1'));
    let text = '';
    const pending = [...later];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, timeoutMs);
    socket.setEncoding('latin1').on('data', (d: string) => {
      text += d;
      while (pending.length > 0 && pending[0]!.when(text) && socket.writable) socket.write(pending.shift()!.send, 'latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

const statusOf = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const post = (target: string, headers: string): string => `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`;
const chunk = (data: string): string => `${data.length.toString(16)}\r\n${data}\r\n`;

/** The data of a chunked body, possibly cut short, and whether its last chunk came. */
function dechunk(body: string): { data: string; ended: boolean } {
  let data = '';
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) return { data, ended: false };
    const size = parseInt(body.slice(at, eol), 16);
    if (size === 0) return { data, ended: true };
    data += body.slice(eol + 2, eol + 2 + size);
    if (body.length < eol + 2 + size + 2) return { data, ended: false };
    at = eol + 2 + size + 2;
  }
}

async function workerPid(port: number): Promise<number> {
  const res = await request(`http://127.0.0.1:${port}/pid`, { reset: true });
  return Number(await res.body.text());
}

/** A field of /proc/PID/status in bytes (VmRSS, VmHWM: the peak). */
function procBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

/** `total` bytes in 1 MB chunks, as a chunked (no Content-Length) undici body. */
async function* chunkedBody(total: number): AsyncGenerator<Buffer> {
  const piece = Buffer.alloc(MB, 0x61);
  for (let sent = 0; sent < total; sent += MB) yield piece;
}

/** Uploads `total` bytes to `/buffer`; the status, or the client's error code when the server cut it off. */
async function upload(port: number, total: number, chunked: boolean, id: string): Promise<{ status: number | string; json?: { bytes: number } }> {
  try {
    const res = await request(`http://127.0.0.1:${port}/buffer?id=${id}`, {
      method: 'POST',
      body: chunked ? Readable.from(chunkedBody(total)) : Buffer.alloc(total, 0x61),
      reset: true,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    return res.statusCode === 200 ? { status: 200, json: JSON.parse(text) as { bytes: number } } : { status: res.statusCode };
  } catch (err) {
    return { status: (err as { code?: string }).code ?? String(err) };
  }
}

const CUT_OFF = [413, 'UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'];

describe.each(CLASSES)('limit_request_body on $name', (cls) => {
  const runs = cls.name !== 'uws' || nativeUwsAvailable;

  describe.runIf(runs)(`--limit-request-body ${LIMIT}`, () => {
    let server: Server;
    beforeAll(async () => {
      server = await start(cls, ['--limit-request-body', String(LIMIT)]);
    });
    afterAll(() => server?.pre.stop());

    it('a Content-Length at the limit is served; one byte over gets 413 and a close before the app runs, and is logged', async () => {
      const at = await talk(server.port, post('/buffer?id=cl-at', `Content-Length: ${LIMIT}\r\nConnection: close\r\n`) + 'a'.repeat(LIMIT));
      expect(statusOf(at.text)).toBe(200);
      expect(at.text).toContain(`"bytes":${LIMIT}`);

      const over = await talk(server.port, post('/buffer?id=cl-over', `Content-Length: ${LIMIT + 1}\r\n`) + 'a'.repeat(LIMIT + 1));
      expect(statusOf(over.text)).toBe(413);
      expect(over.text.toLowerCase()).toContain('connection: close');
      expect(over.closed).toBe(true);
      await server.pre.waitForLog(/body-app saw cl-at/);
      await waitFor(() => /"POST \/buffer\?id=cl-over HTTP\/1\.1" 413/.test(server.pre.stdout), 'the 413 in the access log');
      expect(server.pre.stderr).not.toContain('body-app saw cl-over');
    });

    if (!cls.continuesFirst) {
      it('Expect: 100-continue with a Content-Length over the limit gets 413 instead of 100; at the limit, 100 then 200', async () => {
        const over = await talk(server.port, post('/buffer?id=continue-over', `Content-Length: ${LIMIT + 1}\r\nExpect: 100-continue\r\n`));
        expect(statusOf(over.text)).toBe(413);
        expect(over.text).not.toContain('100 Continue');
        expect(over.closed).toBe(true);

        const at = await talk(server.port, post('/buffer?id=continue-at', `Content-Length: ${LIMIT}\r\nExpect: 100-continue\r\nConnection: close\r\n`), [
          { when: (text) => text.includes('100 Continue\r\n\r\n'), send: 'a'.repeat(LIMIT) },
        ]);
        expect(at.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
        expect(at.text).toContain(`"bytes":${LIMIT}`);
        expect(server.pre.stderr).not.toContain('body-app saw continue-over');
      });
    } else {
      it('Expect: 100-continue with a Content-Length over the limit: uWS sends its own 100 before routing, then 413 before the app runs', async () => {
        const over = await talk(server.port, post('/buffer?id=continue-over', `Content-Length: ${LIMIT + 1}\r\nExpect: 100-continue\r\n`));
        expect(over.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 413 /);
        expect(over.closed).toBe(true);
        expect(server.pre.stderr).not.toContain('body-app saw continue-over');
      });
    }

    if (cls.chunked) {
      it('a chunked body crossing the limit gets 413 and a close; the app\'s body stream fails; the worker lives on', async () => {
        const before = await workerPid(server.port);
        const data = post('/buffer?id=chunked-over', 'Transfer-Encoding: chunked\r\n') + chunk('a'.repeat(600)) + chunk('b'.repeat(600));
        const over = await talk(server.port, data);
        expect(statusOf(over.text)).toBe(413);
        expect(over.text.toLowerCase()).toContain('connection: close');
        expect(over.closed).toBe(true);
        await server.pre.waitForLog(/body-app chunked-over body error PRE_ERR_BODY_TOO_LARGE/);
        await waitFor(() => /"POST \/buffer\?id=chunked-over HTTP\/1\.1" 413/.test(server.pre.stdout), 'the 413 in the access log');

        // At the limit exactly, in chunks: served.
        const at = await talk(server.port, post('/buffer?id=chunked-at', 'Transfer-Encoding: chunked\r\nConnection: close\r\n') + chunk('a'.repeat(LIMIT - 24)) + chunk('b'.repeat(24)) + '0\r\n\r\n');
        expect(statusOf(at.text)).toBe(200);
        expect(at.text).toContain(`"bytes":${LIMIT}`);
        expect(await workerPid(server.port)).toBe(before);
      });

      it('a body crossing the limit after the response started: the connection is closed, the app\'s stream fails', async () => {
        const before = await workerPid(server.port);
        const cut = await talk(server.port, post('/echo?id=started-over', 'Transfer-Encoding: chunked\r\n') + chunk('a'.repeat(600)), [
          { when: (text) => text.includes('a'.repeat(600)), send: chunk('b'.repeat(600)) },
        ]);
        expect(cut.closed).toBe(true);
        expect(statusOf(cut.text)).toBe(200); // the head went out before the body crossed the limit
        const { data, ended } = dechunk(cut.text.slice(cut.text.indexOf('\r\n\r\n') + 4));
        expect(ended).toBe(false); // the echo never ends
        expect(data.length).toBeGreaterThanOrEqual(600);
        expect(data.length, 'the app echoed no byte past the limit').toBeLessThanOrEqual(LIMIT);
        await server.pre.waitForLog(/body-app started-over body error PRE_ERR_BODY_TOO_LARGE/);
        expect(await workerPid(server.port)).toBe(before);
      });
    } else {
      it('a chunked body gets 411 (uws takes Content-Length bodies only)', async () => {
        const res = await talk(server.port, post('/buffer?id=chunked', 'Transfer-Encoding: chunked\r\n') + chunk('a'.repeat(600)) + chunk('b'.repeat(600)));
        expect(statusOf(res.text)).toBe(411);
        expect(server.pre.stderr).not.toContain('body-app saw chunked');
      });
    }
  });

  it.runIf(runs)('0 (the default) means no limit: a 50 MB body reaches the app whole (and the worker\'s peak grows by over 40 MB)', async () => {
    const { pre, port } = await start(cls, []);
    const pid = await workerPid(port);
    const before = procBytes(pid, 'VmHWM');
    const result = await upload(port, 50 * MB, cls.chunked, 'unlimited');
    expect(result.status).toBe(200);
    expect(result.json?.bytes).toBe(50 * MB);
    // The control for the test below: without a limit, the same upload grows the worker's peak by most of the body.
    expect(procBytes(pid, 'VmHWM') - before).toBeGreaterThan(40 * MB);
    await pre.stop();
  });

  it.runIf(runs)('an app that buffers bodies stays small: 50 MB sent with a 1 MB limit, the worker\'s peak grows by under 20 MB', async () => {
    const { pre, port } = await start(cls, ['--limit-request-body', String(MB)]);
    const pid = await workerPid(port);
    // Relative to the worker's own peak before the upload: a threads worker on Node 24 idles above 100 MB.
    const before = procBytes(pid, 'VmHWM');
    const result = await upload(port, 50 * MB, cls.chunked, 'big');
    expect(CUT_OFF).toContain(result.status);
    expect(await workerPid(port)).toBe(pid);
    const peak = procBytes(pid, 'VmHWM');
    expect(peak - before, `VmHWM ${Math.round(before / MB)} → ${Math.round(peak / MB)} MB`).toBeLessThan(20 * MB);
    await pre.stop();
  });
});

describe('limit_request_body and third-party classes', () => {
  it('a class that does not declare limitRequestBody refuses a value above 0 (exit 3), and starts with 0', async () => {
    const plain = `${path.join(FIXTURES, 'plain-worker.js')}:PlainWorker`;
    const refused = await runPre([HELLO, '-k', plain, '-b', '127.0.0.1:0', '--limit-request-body', '1024']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('cannot honour limit_request_body = 1024 (request body limit): use --worker-class async, sync, threads or uws');
    expect(refused.stderr).toContain('limitRequestBody: true');
    const checked = await runPre([HELLO, '-k', plain, '--limit-request-body', '0', '--check-config']);
    expect(checked.code, checked.stderr).toBe(0);
  });
});
