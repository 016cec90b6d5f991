import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AccessLog,
  accessLogHeaders,
  compileAccessLogFormat,
  DEFAULT_ACCESS_LOG_FORMAT,
  type AccessLogEntry,
} from '../src/logging/access-log.js';

const originalTZ = process.env.TZ;
// 2026-11-27 03:29:06.250 UTC
const START = Date.UTC(2026, 10, 27, 3, 29, 6, 250);

beforeAll(() => {
  process.env.TZ = 'UTC';
});

afterAll(() => {
  if (originalTZ === undefined) delete process.env.TZ;
  else process.env.TZ = originalTZ;
});

function entry(overrides: Partial<AccessLogEntry> = {}, requestHeaders: Record<string, string> = {}, responseHeaders: Record<string, string> = {}): AccessLogEntry {
  const req: Record<string, string> = {
    'user-agent': 'curl/8.5.0',
    referer: 'https://example.com/from',
    authorization: `Basic ${Buffer.from('alice:s3cr:et').toString('base64')}`,
    'x-request-id': 'req-42',
    ...requestHeaders,
  };
  const res: Record<string, string> = { 'content-type': 'text/plain', ...responseHeaders };
  return {
    remoteAddress: '203.0.113.7',
    method: 'GET',
    url: '/a/b?x=1&y=2',
    httpVersion: '1.1',
    status: 200,
    bytes: 1234,
    requestHeader: (name) => req[name],
    responseHeader: (name) => res[name],
    startTime: START,
    durationMs: 1234.5678,
    pid: 4242,
    ...overrides,
  };
}

function render(format: string, e: AccessLogEntry = entry()): string {
  return compileAccessLogFormat(format)(e);
}

describe('compileAccessLogFormat atoms', () => {
  it.each([
    ['h', '203.0.113.7'],
    ['l', '-'],
    ['u', 'alice'],
    ['t', '[27/Nov/2026:03:29:06 +0000]'],
    ['r', 'GET /a/b?x=1&y=2 HTTP/1.1'],
    ['m', 'GET'],
    ['U', '/a/b'],
    ['q', 'x=1&y=2'],
    ['H', 'HTTP/1.1'],
    ['s', '200'],
    ['B', '1234'],
    ['b', '1234'],
    ['f', 'https://example.com/from'],
    ['a', 'curl/8.5.0'],
    ['T', '1'],
    ['M', '1234'],
    ['D', '1234568'],
    ['L', '1.234568'],
    ['p', '<4242>'],
    ['{X-Request-Id}i', 'req-42'],
    ['{x-request-id}i', 'req-42'],
    ['{CONTENT-TYPE}o', 'text/plain'],
  ])('%%(%s)s', (atom, expected) => {
    expect(render(`%(${atom})s`)).toBe(expected);
  });

  it('renders missing values as -', () => {
    const bare = entry(
      { remoteAddress: undefined, bytes: undefined },
      { 'user-agent': undefined as never, referer: undefined as never, authorization: undefined as never },
    );
    expect(render('%(h)s|%(u)s|%(b)s|%(B)s|%(f)s|%(a)s|%({x-missing}i)s|%({x-missing}o)s', bare)).toBe('-|-|-|0|-|-|-|-');
  });

  it('renders a request without a query string like Gunicorn', () => {
    const e = entry({ url: '/plain', method: 'POST', httpVersion: '1.0', status: 404, bytes: 0 });
    expect(render('%(r)s|%(U)s|%(q)s|%(H)s|%(s)s|%(b)s|%(B)s', e)).toBe('POST /plain HTTP/1.0|/plain||HTTP/1.0|404|0|0');
  });

  it('u is the Basic user name only', () => {
    const user = (authorization: string): string => render('%(u)s', entry({}, { authorization }));
    expect(user(`basic ${Buffer.from('bob:pw').toString('base64')}`)).toBe('bob');
    expect(user(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBe('-');
    expect(user(`Basic ${Buffer.from(':pw').toString('base64')}`)).toBe('-');
    expect(user('Basic !!!not-base64')).toBe('-');
    expect(user(`Basic ${Buffer.from([0xff, 0xfe, 0x3a]).toString('base64')}`)).toBe('-');
    expect(user('Bearer abc.def')).toBe('-');
  });

  it('request times: T, M, D, L from float milliseconds', () => {
    const times = (durationMs: number): string => render('%(T)s %(M)s %(D)s %(L)s', entry({ durationMs }));
    expect(times(0)).toBe('0 0 0 0.000000');
    expect(times(0.0004)).toBe('0 0 0 0.000000');
    expect(times(0.5)).toBe('0 0 500 0.000500');
    expect(times(999.9996)).toBe('1 1000 1000000 1.000000');
    expect(times(61_002.003)).toBe('61 61002 61002003 61.002003');
    expect(times(-3)).toBe('0 0 0 0.000000');
  });

  it('t uses the local time of the request start with a numeric offset', () => {
    const t = (tz: string, startTime: number): string => {
      process.env.TZ = tz;
      return render('%(t)s', entry({ startTime }));
    };
    try {
      expect(t('Asia/Kolkata', Date.UTC(2026, 10, 27, 3, 29, 8))).toBe('[27/Nov/2026:08:59:08 +0530]');
      expect(t('America/New_York', Date.UTC(2026, 2, 5, 4, 5, 9))).toBe('[04/Mar/2026:23:05:09 -0500]');
      expect(t('UTC', Date.UTC(2026, 0, 1, 0, 0, 10))).toBe('[01/Jan/2026:00:00:10 +0000]');
    } finally {
      process.env.TZ = 'UTC';
    }
  });

  it('{NAME}e is an environment variable of the writing process', () => {
    process.env.PRE_TEST_ACCESS_ATOM = 'worker-7';
    try {
      const format = compileAccessLogFormat('%({PRE_TEST_ACCESS_ATOM}e)s %({PRE_TEST_ACCESS_UNSET}e)s');
      expect(format(entry())).toBe('worker-7 -');
      process.env.PRE_TEST_ACCESS_ATOM = 'changed';
      expect(format(entry())).toBe('changed -');
    } finally {
      delete process.env.PRE_TEST_ACCESS_ATOM;
    }
  });

  it('escapes quotes, backslashes and control characters', () => {
    const e = entry({ url: '/q?"x"' }, { 'user-agent': 'evil "agent"\\\n[INFO] forged\u0001' });
    expect(render('"%(a)s" "%(r)s"', e)).toBe('"evil \\"agent\\"\\\\\\n[INFO] forged\\x01" "GET /q?\\"x\\" HTTP/1.1"');
  });
});

describe('compileAccessLogFormat formats', () => {
  it('renders the default (combined) format', () => {
    expect(render(DEFAULT_ACCESS_LOG_FORMAT)).toBe(
      '203.0.113.7 - alice [27/Nov/2026:03:29:06 +0000] "GET /a/b?x=1&y=2 HTTP/1.1" 200 1234 "https://example.com/from" "curl/8.5.0"',
    );
  });

  it('keeps literal text, %% and lone %', () => {
    expect(render('[%(s)s] took %(M)sms (100%% of %(p)s) 5% done')).toBe('[200] took 1234ms (100% of <4242>) 5% done');
    expect(render('no atoms at all')).toBe('no atoms at all');
    expect(render('')).toBe('');
    expect(render('%(s)s%(m)s')).toBe('200GET');
  });

  it('throws on an unknown atom, naming it', () => {
    expect(() => compileAccessLogFormat('%(h)s %(z)s')).toThrow("unknown access log atom '%(z)s'");
    expect(() => compileAccessLogFormat('%({}i)s')).toThrow("unknown access log atom '%({}i)s'");
    expect(() => compileAccessLogFormat('%({x}z)s')).toThrow("unknown access log atom '%({x}z)s'");
    expect(() => compileAccessLogFormat('%(hh)s')).toThrow("unknown access log atom '%(hh)s'");
  });

  it('throws on a malformed atom', () => {
    expect(() => compileAccessLogFormat('%(h)d')).toThrow("malformed access log atom '%(h)d' at offset 0");
    expect(() => compileAccessLogFormat('x %(h')).toThrow("malformed access log atom '%(h' at offset 2");
  });

  it('reads each header once per atom, with a lower-case name', () => {
    const asked: string[] = [];
    const e = entry();
    e.requestHeader = (name) => {
      asked.push(name);
      return undefined;
    };
    compileAccessLogFormat('%({X-A}i)s %(a)s %(f)s %(u)s')(e);
    expect(asked).toEqual(['x-a', 'user-agent', 'referer', 'authorization']);
  });
});

describe('accessLogHeaders', () => {
  it('names the headers a format reads, lower-case, from the same parse as the compiler', () => {
    expect(accessLogHeaders(DEFAULT_ACCESS_LOG_FORMAT)).toEqual({ request: ['authorization', 'referer', 'user-agent'], response: [] });
    expect(accessLogHeaders('%(u)s %({X-Request-Id}i)s %({Content-Type}o)s %({HOME}e)s %%(a)s')).toEqual({
      request: ['authorization', 'x-request-id'], response: ['content-type'],
    });
    expect(accessLogHeaders('%(h)s %(s)s')).toEqual({ request: [], response: [] });
  });

  it('rejects what the compiler rejects, with the same code', () => {
    expect(() => accessLogHeaders('%(nope)s')).toThrow(expect.objectContaining({ code: 'PRE_ERR_BAD_SETTING' }));
    expect(() => compileAccessLogFormat('%(nope)s')).toThrow(expect.objectContaining({ code: 'PRE_ERR_BAD_SETTING' }));
    expect(() => accessLogHeaders('%(h')).toThrow(/malformed access log atom/);
  });
});

describe('AccessLog', () => {
  let dir: string;
  let logs: AccessLog[];

  const open = (path: string | null = join(dir, 'access.log'), format = '%(s)s %(U)s'): AccessLog => {
    const log = new AccessLog({ path, format });
    logs.push(log);
    return log;
  };
  const read = (file = join(dir, 'access.log')): string => readFileSync(file, 'utf8');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pre-access-log-'));
    logs = [];
  });

  afterEach(() => {
    for (const log of logs) log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one line per entry; flush() writes everything synchronously', () => {
    const log = open();
    expect(log.enabled).toBe(true);
    log.log(entry({ url: '/one' }));
    log.log(entry({ url: '/two?x', status: 201 }));
    log.log(entry({ url: '/three', status: 500 }));
    log.flush();
    expect(read()).toBe('200 /one\n201 /two\n500 /three\n');
  });

  it('writes asynchronously without flush, in order', async () => {
    const log = open();
    log.log(entry({ url: '/a' }));
    await new Promise<void>((resolve) => setImmediate(resolve)); // handed to SonicBoom
    log.log(entry({ url: '/b' }));
    log.log(entry({ url: '/c' }));
    await vi.waitFor(() => expect(read()).toBe('200 /a\n200 /b\n200 /c\n'), { timeout: 1000, interval: 2 });
    log.log(entry({ url: '/d' }));
    log.flush();
    expect(read()).toBe('200 /a\n200 /b\n200 /c\n200 /d\n');
  });

  it('flush() during an in-flight write loses nothing and the log keeps working', async () => {
    const log = open();
    log.log(entry({ url: '/in-flight' }));
    await new Promise<void>((resolve) => setImmediate(resolve)); // the async write has started
    log.log(entry({ url: '/flushed' }));
    log.flush(); // cannot wait for the in-flight write: it may land after this line
    const lines = (): string[] => read().split('\n').filter(Boolean).sort();
    await vi.waitFor(() => expect(lines()).toEqual(['200 /flushed', '200 /in-flight']), { timeout: 1000, interval: 2 });
    await new Promise<void>((resolve) => setImmediate(resolve));
    log.log(entry({ url: '/after' }));
    await vi.waitFor(() => expect(read()).toMatch(/200 \/after\n$/), { timeout: 1000, interval: 2 });
    expect(read().split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('appends to an existing file', () => {
    const first = open();
    first.log(entry({ url: '/first' }));
    first.close();
    const second = open();
    second.log(entry({ url: '/second' }));
    second.flush();
    expect(read()).toBe('200 /first\n200 /second\n');
  });

  it('reopen() after logrotate renamed the file writes to a new file at the original path', () => {
    const file = join(dir, 'access.log');
    const log = open(file);
    log.log(entry({ url: '/old' }));
    log.flush();
    renameSync(file, `${file}.1`);
    log.log(entry({ url: '/pending-at-rotation' }));
    log.reopen();
    log.log(entry({ url: '/new' }));
    log.flush();
    expect(read(`${file}.1`)).toBe('200 /old\n200 /pending-at-rotation\n');
    expect(read(file)).toBe('200 /new\n');
  });

  it('fails with a clear error when the directory does not exist', () => {
    const missing = join(dir, 'nope', 'access.log');
    expect(() => new AccessLog({ path: missing, format: DEFAULT_ACCESS_LOG_FORMAT })).toThrow(
      `cannot open the access log '${missing}': directory '${join(dir, 'nope')}' does not exist`,
    );
  });

  it('rejects a bad format before creating the file', () => {
    expect(() => new AccessLog({ path: join(dir, 'access.log'), format: '%(nope)s' })).toThrow(
      "unknown access log atom '%(nope)s'",
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a disabled log (path null) writes nothing', () => {
    const log = open(null, DEFAULT_ACCESS_LOG_FORMAT);
    expect(log.enabled).toBe(false);
    const e = entry();
    let touched = false;
    e.requestHeader = () => {
      touched = true;
      return undefined;
    };
    log.log(e);
    log.flush();
    log.reopen();
    log.close();
    expect(touched).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("'-' is stdout: enabled, reopen is a no-op, nothing is created", () => {
    const log = open('-');
    expect(log.enabled).toBe(true);
    log.reopen();
    log.flush();
    log.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('close() flushes and drops later entries', () => {
    const log = open();
    log.log(entry({ url: '/kept' }));
    log.close();
    log.log(entry({ url: '/dropped' }));
    log.flush();
    log.close();
    expect(read()).toBe('200 /kept\n');
  });
});
