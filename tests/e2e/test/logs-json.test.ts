import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freePort, startPre, stopAll, waitFor } from '../helpers/pre.js';
import { rawRequest } from '../helpers/raw.js';
import { nativeUwsAvailable } from '../helpers/uws.js';

afterEach(stopAll);

const APP = path.join(FIXTURES, 'logs-app.js');

/** Every non-empty line of `text`, parsed; fails the test on a line that is not one JSON object. */
function jsonLines(text: string): Record<string, any>[] {
  return text.split('\n').filter((line) => line !== '').map((line) => {
    const value = JSON.parse(line);
    expect(typeof value === 'object' && value !== null && !Array.isArray(value), line).toBe(true);
    return value;
  });
}

describe('log_format json: the error log', () => {
  it.each(['async', 'threads'])('writes one pino-shaped object per line, with an err object for exceptions (%s)', async (workerClass) => {
    const port = await freePort();
    const pre = startPre([APP, '-k', workerClass, '-b', `127.0.0.1:${port}`, '--log-format', 'json', '--log-level', 'debug']);
    await pre.ready();
    expect((await fetch(`http://127.0.0.1:${port}/throw`)).status).toBe(500);
    await waitFor(() => pre.stderr.includes('kaboom'), 'the exception line');
    await pre.stop();
    const lines = jsonLines(pre.stderr);
    const starting = lines.find((l) => l.msg === `Starting pre ${lines[0]!.msg.split(' ').pop()}`);
    expect(starting).toMatchObject({ level: 30, pid: pre.pid, hostname: os.hostname() });
    expect(Object.keys(starting!)).toEqual(['level', 'time', 'pid', 'hostname', 'msg']);
    expect(Math.abs(starting!.time - Date.now())).toBeLessThan(60_000);
    expect(lines.some((l) => l.level === 20 && /^Worker booted \(pid: \d+\)$/.test(l.msg))).toBe(true);
    const failed = lines.find((l) => l.err !== undefined)!;
    expect(failed).toMatchObject({ level: 50, msg: expect.stringMatching(/^(\[thread 0\] )?Error handling request( GET \/throw)?$/), err: { type: 'TypeError', message: 'kaboom' } });
    expect(failed.pid).not.toBe(pre.pid); // written by the worker
    expect(failed.err.stack).toMatch(/^TypeError: kaboom\n\s+at /);
    expect(failed.err.stack).toContain('Caused by: Error: the cause');
    expect(lines.at(-1)).toMatchObject({ level: 30, msg: 'Shutting down: Master', pid: pre.pid });
  });

  it('keeps the text format byte for byte when log_format is text', async () => {
    const pre = startPre([APP, '-b', '127.0.0.1:0', '--log-format', 'text']);
    await pre.ready(0);
    await pre.waitForLog(/Booting worker/);
    for (const line of pre.stderr.split('\n').filter(Boolean)) {
      expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\] /);
    }
  });
});

const CLASSES = ['async', 'sync', 'threads', ...(nativeUwsAvailable ? ['uws'] : [])];

describe.each(CLASSES)('log_format json: the access log (%s)', (workerClass) => {
  it('writes pino-http fields and Gunicorn atoms; no request byte forges a field or a line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-logs-json-'));
    const access = path.join(dir, 'access.log');
    const port = await freePort();
    const pre = startPre([
      APP, '-k', workerClass, '-b', `127.0.0.1:${port}`, '--log-format', 'json', '--access-logfile', access,
      '--access-logformat', '%(h)s %({x-request-id}i)s %({x-trace}o)s', '--log-level', 'debug',
    ]);
    await pre.ready();
    const forged = 'a","level":60,"msg":"forged\\"\tz';
    const target = '/p?q="x","level":60,\\\\%0d%0a';
    const response = await rawRequest(port, [
      `GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `User-Agent: ${forged}`, `Referer: http://r/"}`,
      'X-Request-Id: id-1', `Authorization: Basic ${Buffer.from('alice:secret').toString('base64')}`, 'Connection: close', '', '',
    ].join('\r\n'));
    expect(response.status).toBe(200);
    const plain = await fetch(`http://127.0.0.1:${port}/`, { method: 'HEAD' });
    expect(plain.status).toBe(200);
    await waitFor(() => readFileSync(access, 'utf8').split('\n').filter(Boolean).length >= 2, 'two access lines');
    const lines = jsonLines(readFileSync(access, 'utf8'));
    expect(lines).toHaveLength(2);
    const [first, second] = lines as [Record<string, any>, Record<string, any>];
    expect(Object.keys(first)).toEqual(['level', 'time', 'pid', 'hostname', 'msg', 'req', 'res', 'responseTime']);
    expect(first).toMatchObject({
      level: 30, hostname: os.hostname(), msg: 'request completed',
      req: {
        method: 'GET', url: target, protocol: 'HTTP/1.1', remoteAddress: '127.0.0.1', user: 'alice',
        headers: { referer: 'http://r/"}', 'user-agent': forged, 'x-request-id': 'id-1' },
      },
      res: { statusCode: 200, bytes: 2 },
    });
    // res.headers holds the %({name}o)s atoms; node classes do not see a fetch app's response headers
    // (res.getHeader), for the text format alike: that is checked in the unit tests.
    expect(typeof first.res.headers).toBe('object');
    expect(first.req.headers['user-agent']).toContain('","level":60,"msg":"forged\\"');
    expect(first.req.headers.authorization).toBeUndefined(); // never logged, only the user name
    expect(first.pid).not.toBe(pre.pid);
    expect(typeof first.responseTime).toBe('number');
    expect(first.responseTime).toBeGreaterThanOrEqual(0);
    expect(Math.abs(first.time - Date.now())).toBeLessThan(60_000);
    expect(second).toMatchObject({ req: { method: 'HEAD', url: '/', headers: { 'user-agent': expect.any(String) } }, res: { statusCode: 200 } });
    expect(second.req.user).toBeUndefined();
  });
});
