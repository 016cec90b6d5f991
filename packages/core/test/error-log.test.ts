import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorLog } from '../src/logging/error-log.js';
import { LOG_LEVELS } from '../src/logging/levels.js';

const LINE = /^\[(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\] \[(\d+)\] \[([A-Z]+)\] (.*)$/;

let dir: string;
let logs: ErrorLog[];
const originalTZ = process.env.TZ;

function open(level: ErrorLog['level'] = 'debug', file = join(dir, 'error.log')): ErrorLog {
  const log = new ErrorLog({ path: file, level });
  logs.push(log);
  return log;
}

function read(file = join(dir, 'error.log')): string {
  return readFileSync(file, 'utf8');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pre-error-log-'));
  logs = [];
});

afterEach(() => {
  for (const log of logs) log.close();
  vi.useRealTimers();
  if (originalTZ === undefined) delete process.env.TZ;
  else process.env.TZ = originalTZ;
  rmSync(dir, { recursive: true, force: true });
});

describe('ErrorLog line format', () => {
  it('writes Gunicorn lines: local time with numeric offset, pid, upper-case level', () => {
    const log = open();
    const before = Date.now();
    log.info('hello world');
    const after = Date.now();
    const text = read();
    expect(text.endsWith('\n')).toBe(true);
    const match = LINE.exec(text.slice(0, -1));
    expect(match).not.toBeNull();
    const [, year, month, day, hour, minute, second, sign, offH, offM, pid, level, message] = match!;
    expect(pid).toBe(String(process.pid));
    expect(level).toBe('INFO');
    expect(message).toBe('hello world');
    // The local wall-clock fields and the offset must denote the same instant as the write.
    const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(offH) * 60 + Number(offM));
    const instant =
      Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)) -
      offsetMinutes * 60_000;
    expect(instant).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(instant).toBeLessThanOrEqual(after);
    expect(offsetMinutes === -new Date(instant).getTimezoneOffset()).toBe(true);
  });

  it('renders exact timestamps and offsets in several time zones', () => {
    const log = open();
    vi.useFakeTimers({ toFake: ['Date'] });
    const cases: Array<[string, number, string]> = [
      ['UTC', Date.UTC(2026, 10, 27, 3, 29, 6, 900), '[2026-11-27 03:29:06 +0000]'],
      ['Asia/Kolkata', Date.UTC(2026, 10, 27, 3, 29, 7), '[2026-11-27 08:59:07 +0530]'],
      ['America/Los_Angeles', Date.UTC(2026, 0, 5, 3, 4, 5), '[2026-01-04 19:04:05 -0800]'],
    ];
    for (const [tz, now, stamp] of cases) {
      process.env.TZ = tz;
      vi.setSystemTime(now);
      log.warning(tz);
    }
    expect(read()).toBe(
      cases.map(([tz, , stamp]) => `${stamp} [${process.pid}] [WARNING] ${tz}\n`).join(''),
    );
  });

  it('writes every level with its Gunicorn name', () => {
    const log = open('debug');
    log.debug('d');
    log.info('i');
    log.warning('w');
    log.error('e');
    log.critical('c');
    const levels = read()
      .trimEnd()
      .split('\n')
      .map((line) => LINE.exec(line)?.[11]);
    expect(levels).toEqual(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);
  });

  it('writes synchronously (the line is in the file before flush)', () => {
    const log = open();
    log.error('right now');
    expect(read()).toMatch(/\[ERROR\] right now\n$/);
  });
});

describe('ErrorLog levels', () => {
  it('drops messages below the level', () => {
    const log = open('warning');
    log.debug('d');
    log.info('i');
    log.warning('w');
    log.error('e');
    log.critical('c');
    log.exception('x', new Error('boom'));
    const messages = read()
      .split('\n')
      .filter((line) => LINE.test(line))
      .map((line) => LINE.exec(line)?.[12]);
    expect(messages).toEqual(['w', 'e', 'c', 'x']);
  });

  it('isEnabled follows the level, which can be changed at run time', () => {
    const log = open('error');
    expect(LOG_LEVELS.map((level) => log.isEnabled(level))).toEqual([false, false, false, true, true]);
    log.debug('before');
    log.level = 'debug';
    expect(log.level).toBe('debug');
    expect(LOG_LEVELS.every((level) => log.isEnabled(level))).toBe(true);
    log.debug('after');
    log.level = 'critical';
    log.error('hidden');
    log.exception('hidden too', new Error('x'));
    expect(read()).toMatch(/^\[[^\]]+\] \[\d+\] \[DEBUG\] after\n$/);
  });

  it('rejects an unknown level', () => {
    const log = open('info');
    expect(() => {
      log.level = 'verbose' as never;
    }).toThrow(/invalid log level "verbose"/);
    expect(() => new ErrorLog({ path: join(dir, 'x.log'), level: 'INFO' as never })).toThrow(/invalid log level/);
    expect(log.level).toBe('info');
  });
});

describe('ErrorLog.exception', () => {
  it('logs the message at error level followed by the stack', () => {
    const log = open();
    const err = new Error('kaput');
    log.exception('Worker failed', err);
    const text = read();
    expect(text).toMatch(/^\[[^\]]+\] \[\d+\] \[ERROR\] Worker failed\nError: kaput\n {4}at /);
    expect(text).toBe(`${text.slice(0, text.indexOf('\n') + 1)}${err.stack}\n`);
  });

  it('includes the causes', () => {
    const log = open();
    const root = new TypeError('root cause');
    log.exception('outer failed', new Error('outer', { cause: root }));
    const text = read();
    expect(text).toContain('Error: outer\n');
    expect(text).toContain(`\nCaused by: ${root.stack}\n`);
  });

  it('uses String(err) for values that are not errors', () => {
    const log = open();
    log.exception('thrown a string', 'just text');
    log.exception('thrown an object', { toString: () => 'custom' });
    log.exception('thrown a bad object', {
      toString() {
        throw new Error('nope');
      },
    });
    const text = read();
    expect(text).toContain('[ERROR] thrown a string\njust text\n');
    expect(text).toContain('[ERROR] thrown an object\ncustom\n');
    expect(text).toContain('[ERROR] thrown a bad object\n[object Object]\n');
  });
});

describe('ErrorLog files', () => {
  it('appends to an existing file', () => {
    const file = join(dir, 'error.log');
    const first = open('info', file);
    first.info('one');
    first.close();
    const second = open('info', file);
    second.info('two');
    expect(read(file)).toMatch(/\] one\n.*\] two\n$/s);
  });

  it('fails with a clear error when the directory does not exist', () => {
    const missing = join(dir, 'nope', 'error.log');
    expect(() => new ErrorLog({ path: missing, level: 'info' })).toThrow(
      `cannot open the error log '${missing}': directory '${join(dir, 'nope')}' does not exist`,
    );
  });

  it('reopen() after logrotate renamed the file writes to a new file at the original path', () => {
    const file = join(dir, 'error.log');
    const log = open('info', file);
    log.info('old line');
    renameSync(file, `${file}.1`);
    log.info('still old');
    log.reopen();
    log.info('new line');
    log.flush();
    expect(read(`${file}.1`)).toMatch(/^\[[^\]]+\] \[\d+\] \[INFO\] old line\n\[[^\]]+\] \[\d+\] \[INFO\] still old\n$/);
    expect(read(file)).toMatch(/^\[[^\]]+\] \[\d+\] \[INFO\] new line\n$/);
  });

  it('reopen() that cannot open the file keeps writing to the old one and says so', () => {
    const sub = join(dir, 'logs');
    mkdirSync(sub);
    const log = open('info', join(sub, 'error.log'));
    log.info('before');
    renameSync(sub, `${sub}.moved`);
    expect(() => log.reopen()).not.toThrow();
    log.info('after');
    const text = read(join(`${sub}.moved`, 'error.log'));
    expect(text).toContain('] before\n');
    expect(text).toMatch(/\[ERROR\] cannot open the error log '.*' does not exist; still writing to the previous file\n/);
    expect(text).toMatch(/\] after\n$/);
  });

  it('close() drops later messages; flush/close are idempotent', () => {
    const log = open('info');
    log.info('kept');
    log.close();
    log.info('dropped');
    log.flush();
    log.close();
    expect(read()).toMatch(/\] kept\n$/);
  });

  it("'-' and null mean stderr: reopen is a no-op and nothing is created", () => {
    for (const path of ['-', null]) {
      const log = new ErrorLog({ path, level: 'critical' });
      log.info('filtered, so nothing reaches the real stderr');
      log.reopen();
      log.flush();
      log.close();
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});
