import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { compileJsonAccessFormat } from '../src/logging/access-json.js';
import { compileAccessLogFormat, DEFAULT_ACCESS_LOG_FORMAT, accessLogHeaders, type AccessLogEntry } from '../src/logging/access-format.js';
import { formatJsonLogLine } from '../src/logging/log-format.js';

const START = Date.UTC(2026, 10, 27, 3, 29, 6, 250);

function entry(overrides: Partial<AccessLogEntry> = {}, req: Record<string, string> = {}, res: Record<string, string> = {}): AccessLogEntry {
  return {
    remoteAddress: '203.0.113.7', method: 'GET', url: '/a?x=1', httpVersion: '1.1', status: 200, bytes: 12,
    requestHeader: (name) => req[name], responseHeader: (name) => res[name],
    startTime: START, durationMs: 1.23456, pid: 4242, ...overrides,
  };
}

const HOST = JSON.stringify(hostname());

describe('JSON error log line', () => {
  it('has pino\'s fields in pino\'s order', () => {
    expect(formatJsonLogLine('warning', 'slow', undefined, undefined, START, 7)).toBe(`{"level":40,"time":${START},"pid":7,"hostname":${HOST},"msg":"slow"}\n`);
    expect(formatJsonLogLine('critical', 'x', { type: 'Error', message: 'm', stack: 's' }, 'stderr', START, 7)).toBe(
      `{"level":60,"time":${START},"pid":7,"hostname":${HOST},"stream":"stderr","msg":"x","err":{"type":"Error","message":"m","stack":"s"}}\n`,
    );
  });

  it('escapes every byte a message could use to end the line or add a field', () => {
    const message = 'a\r\nb","level":60,"x":"\u0000\u2028\\';
    const line = formatJsonLogLine('info', message, undefined, undefined, START, 7);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(line).not.toContain('\r');
    expect(JSON.parse(line)).toEqual({ level: 30, time: START, pid: 7, hostname: hostname(), msg: message });
  });
});

describe('JSON access log line', () => {
  it('has the documented fields', () => {
    const format = compileJsonAccessFormat('%(h)s %({x-request-id}i)s %({content-type}o)s');
    const line = format(entry({}, {
      referer: 'https://r/', 'user-agent': 'curl/8', 'x-request-id': 'id-1', authorization: `Basic ${Buffer.from('bob:pw').toString('base64')}`,
    }, { 'content-type': 'text/plain' }));
    expect(JSON.parse(line)).toEqual({
      level: 30, time: START + 1, pid: 4242, hostname: hostname(), msg: 'request completed',
      req: { method: 'GET', url: '/a?x=1', protocol: 'HTTP/1.1', remoteAddress: '203.0.113.7', user: 'bob', headers: { referer: 'https://r/', 'user-agent': 'curl/8', 'x-request-id': 'id-1' } },
      res: { statusCode: 200, bytes: 12, headers: { 'content-type': 'text/plain' } },
      responseTime: 1.235,
    });
  });

  it('leaves out what is unknown', () => {
    const line = compileJsonAccessFormat(DEFAULT_ACCESS_LOG_FORMAT)(entry({ remoteAddress: undefined, bytes: undefined }));
    expect(JSON.parse(line)).toEqual({
      level: 30, time: START + 1, pid: 4242, hostname: hostname(), msg: 'request completed',
      req: { method: 'GET', url: '/a?x=1', protocol: 'HTTP/1.1', headers: {} }, res: { statusCode: 200, headers: {} }, responseTime: 1.235,
    });
  });

  it('CR, LF, quotes and forged fields in a header or the URL stay inside their string', () => {
    const evil = 'x"\r\n{"level":60,"msg":"forged"}\n","level":60,"a":"\u0000\x7f\\';
    const line = compileJsonAccessFormat('%({x-evil}i)s')(entry({ url: `/p?${evil}`, method: evil }, { 'user-agent': evil, 'x-evil': evil }));
    expect(line).not.toMatch(/[\r\n]/);
    const object = JSON.parse(line);
    expect(object.level).toBe(30);
    expect(object.msg).toBe('request completed');
    expect(object.req).toMatchObject({ method: evil, url: `/p?${evil}`, headers: { 'user-agent': evil, 'x-evil': evil } });
    expect(Object.keys(object)).toEqual(['level', 'time', 'pid', 'hostname', 'msg', 'req', 'res', 'responseTime']);
  });

  it('refuses a malformed access_log_format as the text format does', () => {
    expect(() => compileJsonAccessFormat('%(nope)s')).toThrow(/unknown access log atom/);
  });

  it('makes the workers copy the headers it reads', () => {
    expect([...accessLogHeaders('%(h)s', 'json').request].sort()).toEqual(['authorization', 'referer', 'user-agent']);
    expect(accessLogHeaders('%(h)s').request).toEqual([]);
  });

  it('costs about what the text line costs (measured, printed; no timing assertion)', () => {
    const text = compileAccessLogFormat(DEFAULT_ACCESS_LOG_FORMAT);
    const json = compileJsonAccessFormat(DEFAULT_ACCESS_LOG_FORMAT);
    const e = entry({}, { referer: 'https://example.com/', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' });
    const time = (format: (e: AccessLogEntry) => string): number => {
      let chars = 0;
      const began = process.hrtime.bigint();
      for (let i = 0; i < 20_000; i++) chars += format(e).length;
      expect(chars).toBeGreaterThan(0);
      return Number(process.hrtime.bigint() - began) / 20_000;
    };
    time(text);
    time(json); // warm-up
    const [t, j] = [time(text), time(json)];
    console.log(`access line: text ${t.toFixed(0)} ns, json ${j.toFixed(0)} ns per line`);
  }, 30_000); // a loaded CI machine is slow; nothing here asserts a time
});
