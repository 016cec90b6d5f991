import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import sonicBoom from 'sonic-boom';
import type { SonicBoom } from 'sonic-boom';
import { errorText, openLogFile, pad2, reportToStderr, utcOffset } from './error-log.js';

/** Gunicorn's default access log format (Apache's "combined"). */
export const DEFAULT_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"';

/** What the access log knows of one request/response exchange. */
export interface AccessLogEntry {
  remoteAddress: string | undefined;
  method: string;
  /** request target as received, path + query, e.g. '/a/b?x=1' */
  url: string;
  /** '1.1' */
  httpVersion: string;
  status: number;
  /** response body bytes sent */
  bytes: number | undefined;
  /** name given lower-case */
  requestHeader(name: string): string | undefined;
  /** name given lower-case */
  responseHeader(name: string): string | undefined;
  /** epoch ms when the request started */
  startTime: number;
  /** float milliseconds */
  durationMs: number;
  pid: number;
}

/** Renders one entry as a line, without the trailing newline. */
export type AccessLogFormatter = (entry: AccessLogEntry) => string;

export interface AccessLogOptions {
  /** null: disabled; '-': stdout; otherwise the file to append to (its directory must exist). */
  path: string | null;
  format: string;
}

type Part = (entry: AccessLogEntry) => string;

/**
 * Compiles a Gunicorn access log format (`%(atom)s` atoms, `%%` for a literal `%`) once into a function.
 * Throws a plain Error naming an unknown or malformed atom.
 *
 * Values are escaped as Gunicorn does (`"` → `\"`), and additionally `\` → `\\` and control characters
 * as `\n`, `\t`, `\r`, `\xhh`, so one request is always one parseable line.
 */
export function compileAccessLogFormat(format: string): AccessLogFormatter {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent === -1) {
      literal += format.slice(i);
      break;
    }
    literal += format.slice(i, percent);
    const next = format[percent + 1];
    if (next === '%') {
      literal += '%';
      i = percent + 2;
      continue;
    }
    if (next !== '(') {
      literal += '%'; // a lone '%' is kept as text
      i = percent + 1;
      continue;
    }
    const close = format.indexOf(')', percent + 2);
    if (close === -1 || format[close + 1] !== 's') {
      const shown = close === -1 ? format.slice(percent) : format.slice(percent, close + 2);
      throw new Error(`malformed access log atom '${shown}' at offset ${percent}: write atoms as %(name)s`);
    }
    if (literal !== '') {
      parts.push(constant(literal));
      literal = '';
    }
    parts.push(compileAtom(format.slice(percent + 2, close)));
    i = close + 2;
  }
  if (literal !== '') parts.push(constant(literal));

  const [first, second, third] = parts;
  if (first === undefined) return () => '';
  if (second === undefined) return first;
  if (third === undefined) return (entry) => first(entry) + second(entry);
  return (entry) => {
    let line = '';
    for (const part of parts) line += part(entry);
    return line;
  };
}

function constant(text: string): Part {
  return () => text;
}

const FIXED_ATOMS: Readonly<Record<string, Part>> = {
  h: (e) => orDash(e.remoteAddress),
  l: () => '-',
  u: (e) => orDash(basicAuthUser(e.requestHeader('authorization'))),
  t: (e) => accessLogTimestamp(e.startTime),
  r: (e) => escape(`${e.method} ${e.url} HTTP/${e.httpVersion}`),
  m: (e) => escape(e.method),
  U: (e) => escape(urlPath(e.url)),
  q: (e) => escape(urlQuery(e.url)), // '' when there is none, as in Gunicorn
  H: (e) => escape(`HTTP/${e.httpVersion}`),
  s: (e) => String(e.status),
  B: (e) => String(e.bytes ?? 0),
  b: (e) => (e.bytes === undefined ? '-' : String(e.bytes)),
  f: (e) => orDash(e.requestHeader('referer')),
  a: (e) => orDash(e.requestHeader('user-agent')),
  T: (e) => String(Math.floor(micros(e) / 1_000_000)),
  M: (e) => String(Math.floor(micros(e) / 1000)),
  D: (e) => String(micros(e)),
  L: (e) => {
    const us = micros(e);
    return `${Math.floor(us / 1_000_000)}.${String(us % 1_000_000).padStart(6, '0')}`;
  },
  p: (e) => `<${e.pid}>`,
};

const VARIABLE_ATOM = /^\{([^{}]+)\}([ioe])$/;

function compileAtom(key: string): Part {
  if (Object.hasOwn(FIXED_ATOMS, key)) return FIXED_ATOMS[key] as Part;
  const match = VARIABLE_ATOM.exec(key);
  const name = match?.[1];
  if (match === null || name === undefined) throw new Error(`unknown access log atom '%(${key})s'`);
  switch (match[2]) {
    case 'i': {
      const header = name.toLowerCase();
      return (e) => orDash(e.requestHeader(header));
    }
    case 'o': {
      const header = name.toLowerCase();
      return (e) => orDash(e.responseHeader(header));
    }
    default:
      // The writing process's environment, read per line (workers may differ from the arbiter).
      return () => orDash(process.env[name]);
  }
}

// Quote, backslash, C0 controls and DEL.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\x00-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const ESCAPED_CHARS = /["\\\x00-\x1f\x7f]/g;

function escapeChar(ch: string): string {
  switch (ch) {
    case '"':
      return '\\"';
    case '\\':
      return '\\\\';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
}

function escape(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED_CHARS, escapeChar) : value;
}

function orDash(value: string | undefined): string {
  return value === undefined ? '-' : escape(value);
}

function urlPath(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function urlQuery(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? '' : url.slice(q + 1);
}

/** The request time in whole microseconds (never negative). */
function micros(entry: AccessLogEntry): number {
  const us = Math.round(entry.durationMs * 1000);
  return us > 0 ? us : 0;
}

const BASIC_AUTH = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The user name of a `Basic` Authorization header (as Gunicorn: undefined when absent, empty or undecodable). */
function basicAuthUser(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const encoded = BASIC_AUTH.exec(header)?.[1];
  if (encoded === undefined) return undefined;
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  return colon > 0 ? decoded.slice(0, colon) : undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

let cachedSecond = Number.NaN;
let cachedTimestamp = '';

/** `[27/Nov/2026:03:29:06 +0000]`, local time of the request start; computed once per second. */
function accessLogTimestamp(startTime: number): string {
  const second = Math.floor(Number.isFinite(startTime) ? startTime / 1000 : Date.now() / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedTimestamp =
      `[${pad2(d.getDate())}/${MONTHS[d.getMonth()] ?? '???'}/${d.getFullYear()}:` +
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${utcOffset(d)}]`;
    cachedSecond = second;
  }
  return cachedTimestamp;
}

// sonic-boom is CommonJS: see error-log.ts.
const SonicBoomClass = sonicBoom.SonicBoom;

/** Lines waiting beyond this (a stuck stdout pipe, a full disk) are dropped rather than grow the heap. */
const MAX_PENDING_CHARS = 16 * 1024 * 1024;

/**
 * The access log. `log()` only formats and appends to an in-memory batch; once per event loop turn the
 * batch goes to a SonicBoom (`sync: false`) as one asynchronous write, at most one write in flight.
 * `flush()` writes what is left synchronously (SonicBoom's flushSync), for graceful exits.
 */
export class AccessLog {
  readonly enabled: boolean;
  readonly #format: AccessLogFormatter | null;
  /** Absolute path of the file, or null for stdout / disabled. */
  readonly #file: string | null;
  #fd = -1;
  #boom: SonicBoom | null = null;
  /** Formatted lines not yet handed to #boom. */
  #pending = '';
  #immediate: NodeJS.Immediate | null = null;
  /** #boom has an asynchronous write in flight (until its 'drain' or 'error'). */
  #writing = false;
  #problemReported = false;

  constructor(options: AccessLogOptions) {
    if (options.path === null) {
      this.enabled = false;
      this.#format = null;
      this.#file = null;
      return;
    }
    this.enabled = true;
    this.#format = compileAccessLogFormat(options.format);
    if (options.path === '-') {
      this.#file = null;
      this.#fd = 1;
    } else {
      this.#file = resolve(options.path);
      this.#fd = openLogFile(this.#file, 'access log');
    }
    this.#boom = this.#createBoom(this.#fd);
  }

  log(entry: AccessLogEntry): void {
    const format = this.#format;
    if (format === null || this.#boom === null) return;
    let line: string;
    try {
      line = format(entry);
    } catch (err) {
      this.#problem(`cannot format an access log line: ${errorText(err)}`);
      return;
    }
    if (this.#pending.length > MAX_PENDING_CHARS) {
      this.#problem(`access log ${this.#where()} is not keeping up; dropping lines`);
      return;
    }
    this.#pending += `${line}\n`;
    if (this.#immediate === null && !this.#writing) this.#immediate = setImmediate(this.#handOver);
  }

  /**
   * Reopens the file at its path (USR1 after logrotate moved it); a no-op for stdout. Lines logged before
   * go to the old file. Never throws: when the file cannot be opened, logging goes on to the old one.
   */
  reopen(): void {
    const file = this.#file;
    const old = this.#boom;
    if (file === null || old === null) return;
    let fd: number;
    try {
      fd = openLogFile(file, 'access log');
    } catch (err) {
      reportToStderr(`${errorText(err)}; still writing to the previous file`);
      return;
    }
    this.flush();
    this.#fd = fd;
    this.#boom = this.#createBoom(fd);
    this.#writing = false;
    this.#problemReported = false;
    endQuietly(old); // finishes an in-flight write, then closes the old fd
  }

  /**
   * Writes every logged line out now, synchronously. Exact unless an asynchronous write handed over in an
   * earlier event loop turn is still in flight: that one cannot be waited for synchronously
   * (sonic-boom#101); it still lands, but possibly after the lines written here.
   */
  flush(): void {
    const boom = this.#boom;
    if (boom === null) return;
    if (this.#immediate !== null) {
      clearImmediate(this.#immediate);
      this.#immediate = null;
    }
    const data = this.#pending;
    this.#pending = '';
    try {
      if (this.#writing) {
        if (data !== '') boom.write(data); // queued behind the in-flight write, not started
        boom.flushSync();
      } else {
        boom.flushSync(); // whatever a failed write left behind
        if (data !== '') writeAllSync(this.#fd, data);
      }
    } catch (err) {
      this.#problem(`cannot write to the access log ${this.#where()}: ${errorText(err)}`);
    }
  }

  /** Flushes and closes the file (never stdout); later entries are dropped. */
  close(): void {
    const boom = this.#boom;
    if (boom === null) return;
    this.flush();
    this.#boom = null;
    endQuietly(boom);
  }

  readonly #handOver = (): void => {
    this.#immediate = null;
    const boom = this.#boom;
    if (boom === null || this.#writing || this.#pending === '') return;
    const data = this.#pending;
    this.#pending = '';
    this.#writing = true;
    try {
      boom.write(data);
    } catch (err) {
      this.#writing = false;
      this.#problem(`cannot write to the access log ${this.#where()}: ${errorText(err)}`);
    }
  };

  #createBoom(fd: number): SonicBoom {
    const boom = new SonicBoomClass({ fd, sync: false });
    boom.on('drain', () => {
      if (boom !== this.#boom) return;
      this.#writing = false;
      this.#problemReported = false;
      if (this.#pending !== '' && this.#immediate === null) this.#immediate = setImmediate(this.#handOver);
    });
    boom.on('error', (err: unknown) => {
      if (boom !== this.#boom) return;
      // SonicBoom keeps the failed bytes and retries them with the next write (the next request's
      // batch, or flush()); retrying here could spin on a full disk.
      this.#writing = false;
      this.#problem(`cannot write to the access log ${this.#where()}: ${errorText(err)}`);
    });
    return boom;
  }

  #where(): string {
    return this.#file === null ? '(stdout)' : `'${this.#file}'`;
  }

  /** Reported once on stderr until the log writes successfully again. */
  #problem(message: string): void {
    if (this.#problemReported) return;
    this.#problemReported = true;
    reportToStderr(message);
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `data` to `fd`, riding out EAGAIN on a non-blocking pipe for up to ~2 s. */
function writeAllSync(fd: number, data: string): void {
  let buf = Buffer.from(data, 'utf8');
  let retries = 0;
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if ((code !== 'EAGAIN' && code !== 'EBUSY') || ++retries > 200) throw err;
      Atomics.wait(sleepCell, 0, 0, 10);
    }
  }
}

function endQuietly(boom: SonicBoom): void {
  try {
    boom.end();
  } catch {
    // Already destroyed.
  }
}
