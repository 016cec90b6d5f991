import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { h2Get } from '../helpers/h2-client.js';
import { FIXTURES, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

const APP = path.join(FIXTURES, 'h2-app.js');
const UPGRADE = ['--http-protocols', 'h2,h1', '--http2-cleartext', 'upgrade'];
const ACCESS = ['--access-logfile', '-', '--access-logformat', 'proto=%(H)s %(r)s %(s)s'];
const CURL = '/usr/bin/curl';
const NGHTTP = '/usr/bin/nghttp';
/** A valid HTTP2-Settings: SETTINGS_MAX_CONCURRENT_STREAMS 100, SETTINGS_INITIAL_WINDOW_SIZE 65535. */
const SETTINGS = 'AAMAAABkAAQAAP__';

function servePre(args: string[], workerClass: string, app = APP) {
  return startPre([app, '-k', workerClass, '-b', '127.0.0.1:0', '--log-level', 'debug', ...args]);
}

function run(binary: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Sends `bytes` on a new connection and collects what comes back until `done` says it is enough. */
async function rawExchange(url: string, bytes: string | Buffer, done: (answer: Buffer) => boolean, what: string): Promise<Buffer> {
  const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
  let answer = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (answer = Buffer.concat([answer, d])));
  socket.on('error', () => {});
  socket.write(bytes);
  try {
    await waitFor(() => done(answer), what);
    return answer;
  } finally {
    socket.destroy();
  }
}

function upgradeRequest(target: string, fields: string[]): string {
  return [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...fields, '', ''].join('\r\n');
}

const asksForH2c = ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c'];

describe.each(['async', 'threads'])('h2c by Upgrade on worker class %s', (workerClass) => {
  it.skipIf(!existsSync(CURL))('curl --http2: 101, the response over HTTP/2, the next request a stream on the same connection; the access log says HTTP/2.0', async () => {
    const pre = servePre([...UPGRADE, ...ACCESS], workerClass);
    const url = await pre.ready(1);
    const { code, stdout, stderr } = await run(CURL, ['-sv', '--http2', '-H', 'X-One: a', `${url}/echo?q=1`, `${url}/pid`]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/< HTTP\/1\.1 101 Switching Protocols/);
    expect(stderr).toMatch(/< Upgrade: h2c/i);
    expect(stderr.match(/< HTTP\/2 200/g)).toHaveLength(2);
    expect(stderr).toContain('Re-using existing connection');
    expect(stderr).toContain('Using Stream ID: 3');
    const seen = JSON.parse(stdout.slice(0, stdout.lastIndexOf('}') + 1)) as { url: string; httpVersion: string; headers: Record<string, string> };
    expect(seen).toMatchObject({ url: '/echo?q=1', httpVersion: '2.0' });
    expect(seen.headers).toMatchObject({ 'x-one': 'a', host: new URL(url).host });
    // The HTTP/1.1 connection's own fields stay behind.
    expect(Object.keys(seen.headers).filter((name) => ['connection', 'upgrade', 'http2-settings'].includes(name))).toEqual([]);
    await waitFor(() => pre.stdout.includes('proto=HTTP/2.0 GET /pid HTTP/2.0 200'), 'the access line of the second stream');
    expect(pre.stdout).toContain('proto=HTTP/2.0 GET /echo?q=1 HTTP/2.0 200');
    expect(pre.stdout).not.toContain('HTTP/1.1');
  });

  it.skipIf(!existsSync(NGHTTP))('nghttp -u: the upgrade succeeds and stream 1 carries the response', async () => {
    const pre = servePre([...UPGRADE, ...ACCESS], workerClass);
    const url = await pre.ready(1);
    const { code, stdout } = await run(NGHTTP, ['-uv', `${url}/pid`]);
    expect(code).toBe(0);
    expect(stdout).toContain('HTTP Upgrade response\nHTTP/1.1 101 Switching Protocols');
    expect(stdout).toContain('HTTP Upgrade success');
    expect(stdout).toMatch(/recv \(stream_id=1\) :status: 200/);
    expect(stdout).not.toContain('INVALID');
    const pid = /recv HEADERS frame[^\n]*stream_id=1>[\s\S]*?\n(\d+)\[/.exec(stdout)?.[1];
    expect(Number(pid)).toBeGreaterThan(0);
    await waitFor(() => pre.stdout.includes('proto=HTTP/2.0 GET /pid HTTP/2.0 200'), 'the HTTP/2.0 access line');
  });

  it('raw socket: 101, then after the client preface and SETTINGS the response arrives as HEADERS on stream 1', async () => {
    const url = await servePre(UPGRADE, workerClass).ready(1);
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    let answer = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (answer = Buffer.concat([answer, d])));
    socket.write(upgradeRequest('/pid', [...asksForH2c, `HTTP2-Settings: ${SETTINGS}`]));
    await waitFor(() => answer.includes('\r\n\r\n'), 'the 101');
    expect(answer.toString('latin1')).toBe('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    const emptySettings = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), emptySettings]));
    const frames = await waitFor(() => {
      const list = parseFrames(answer.subarray(answer.indexOf('\r\n\r\n') + 4));
      return list.some((f) => f.type === 0x0 && f.stream === 1 && (f.flags & 0x1) !== 0) ? list : null;
    }, 'the end of stream 1');
    socket.destroy();
    expect(frames[0]).toMatchObject({ type: 0x4, stream: 0 }); // the server's SETTINGS come first
    expect(frames.some((f) => f.type === 0x1 && f.stream === 1)).toBe(true);
    const body = Buffer.concat(frames.filter((f) => f.type === 0x0 && f.stream === 1).map((f) => f.payload)).toString();
    expect(Number(body)).toBeGreaterThan(0);
  });

  it('raw socket: an upgrade with a body or a bad HTTP2-Settings is served over HTTP/1.1 as if it had not asked', async () => {
    const pre = servePre([...UPGRADE, ...ACCESS], workerClass);
    const url = await pre.ready(1);
    const cases: [string, string][] = [
      ['content-length body', upgradeRequest('/echo?case=cl', [...asksForH2c, `HTTP2-Settings: ${SETTINGS}`, 'Content-Length: 5']).replace('GET', 'POST') + 'hello'],
      ['chunked body', upgradeRequest('/echo?case=te', [...asksForH2c, `HTTP2-Settings: ${SETTINGS}`, 'Transfer-Encoding: chunked']).replace('GET', 'POST') + '5\r\nhello\r\n0\r\n\r\n'],
      ['missing settings', upgradeRequest('/echo?case=missing', asksForH2c)],
      ['two settings', upgradeRequest('/echo?case=two', [...asksForH2c, `HTTP2-Settings: ${SETTINGS}`, `HTTP2-Settings: ${SETTINGS}`])],
      ['not base64url', upgradeRequest('/echo?case=chars', [...asksForH2c, 'HTTP2-Settings: AAMA+AB/AAQAAP__'])],
      ['not whole settings', upgradeRequest('/echo?case=length', [...asksForH2c, 'HTTP2-Settings: AAMAAABkAA'])],
      ['bad setting value', upgradeRequest('/echo?case=value', [...asksForH2c, 'HTTP2-Settings: AAIAAAAC'])], // ENABLE_PUSH 2
      ['no HTTP2-Settings in Connection', upgradeRequest('/echo?case=conn', ['Connection: Upgrade', 'Upgrade: h2c', `HTTP2-Settings: ${SETTINGS}`])],
    ];
    for (const [what, bytes] of cases) {
      const answer = (await rawExchange(url, bytes, (a) => a.includes('}'), `the HTTP/1.1 answer (${what})`)).toString('latin1');
      expect(answer, what).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer, what).toContain('"httpVersion":"1.1"');
      if (what.endsWith('body')) expect(answer, what).toContain('"body":"hello"');
    }
    await waitFor(() => pre.stdout.includes('proto=HTTP/1.1 GET /echo?case=conn HTTP/1.1 200'), 'the last HTTP/1.1 access line');
    expect(pre.stdout).not.toContain('HTTP/2.0');
  });

  it('http2_cleartext = prior-knowledge never upgrades; upgrade alone does not take prior knowledge; both takes either', async () => {
    const valid = upgradeRequest('/echo', [...asksForH2c, `HTTP2-Settings: ${SETTINGS}`]);
    const prior = servePre(['--http-protocols', 'h2,h1', '--http2-cleartext', 'prior-knowledge'], workerClass);
    const priorUrl = await prior.ready(1);
    expect((await rawExchange(priorUrl, valid, (a) => a.includes('}'), 'the HTTP/1.1 answer')).toString('latin1')).toMatch(/^HTTP\/1\.1 200 [\s\S]*"httpVersion":"1\.1"/);

    const upgradeOnly = await servePre(UPGRADE, workerClass).ready(1);
    await expect(h2Get(upgradeOnly, '/pid')).rejects.toThrow();

    const both = await servePre(['--http-protocols', 'h2,h1', '--http2-cleartext', 'both'], workerClass).ready(1);
    expect((await h2Get(both, '/pid')).status).toBe(200);
    expect((await rawExchange(both, valid, (a) => a.includes('\r\n\r\n'), 'the 101')).toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
  });
});

describe('h2c by Upgrade: the rest', () => {
  it('http2_cleartext = off (HTTP/1.1 only) answers an Upgrade: h2c request over HTTP/1.1', async () => {
    const url = await servePre([], 'async').ready(1);
    const answer = await rawExchange(url, upgradeRequest('/echo', [...asksForH2c, `HTTP2-Settings: ${SETTINGS}`]), (a) => a.includes('}'), 'the HTTP/1.1 answer');
    expect(answer.toString('latin1')).toMatch(/^HTTP\/1\.1 200 [\s\S]*"httpVersion":"1\.1"/);
  });

  it('http2_cleartext = upgrade without h1 in http_protocols is a start-up error naming both settings', async () => {
    const { code, stderr } = await runPre([APP, '-k', 'async', '-b', '127.0.0.1:0', '--http-protocols', 'h2', '--http2-cleartext', 'upgrade']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('http2_cleartext = upgrade');
    expect(stderr).toContain('does not list h1');
  });

  it('WebSocket upgrades keep working beside h2c upgrades', async () => {
    const url = await servePre(UPGRADE, 'async', path.join(FIXTURES, 'ws-echo.js')).ready(1);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/chat`);
    const welcome = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data: Buffer) => resolve(data.toString()));
      ws.once('error', reject);
    });
    expect(welcome).toBe('welcome sync - /chat addr');
    ws.close();
    expect((await h2Get(url, '/pid').catch(() => null))).toBeNull(); // upgrade alone: no prior knowledge
    const http1 = await request(`${url}/pid`);
    expect(http1.statusCode).toBe(200);
    await http1.body.text();
  });
});

interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/** The whole HTTP/2 frames at the start of `bytes` (RFC 9113 §4.1). */
function parseFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  while (at + 9 <= bytes.length) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    frames.push({ type: bytes[at + 3]!, flags: bytes[at + 4]!, stream: bytes.readUInt32BE(at + 5) & 0x7fffffff, payload: bytes.subarray(at + 9, at + 9 + length) });
    at += 9 + length;
  }
  return frames;
}
