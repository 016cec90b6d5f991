import { PreError } from '../errors.js';
import { pad2, utcOffset } from './error-log.js';

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

type Part = (entry: AccessLogEntry) => string;

/** A format, parsed once: literal text and atom names (`h`, `{x-request-id}i`, …). */
type Token = { readonly text: string } | { readonly atom: string };

/** Splits a format into literal text and `%(atom)s` atoms; `%%` is a literal `%`, a lone `%` is kept. */
function parseAccessLogFormat(format: string): Token[] {
  const tokens: Token[] = [];
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
      throw new PreError('PRE_ERR_BAD_SETTING', `access_log_format: malformed access log atom '${shown}' at offset ${percent}: write atoms as %(name)s`);
    }
    if (literal !== '') {
      tokens.push({ text: literal });
      literal = '';
    }
    tokens.push({ atom: format.slice(percent + 2, close) });
    i = close + 2;
  }
  if (literal !== '') tokens.push({ text: literal });
  return tokens;
}

/**
 * Compiles a Gunicorn access log format (`%(atom)s` atoms, `%%` for a literal `%`) once into a function.
 * Throws a PreError (PRE_ERR_BAD_SETTING) naming an unknown or malformed atom.
 *
 * Values are escaped as Gunicorn does (`"` → `\"`), and additionally `\` → `\\` and control characters
 * as `\n`, `\t`, `\r`, `\xhh`, so one request is always one parseable line.
 */
export function compileAccessLogFormat(format: string): AccessLogFormatter {
  const parts: Part[] = parseAccessLogFormat(format).map((t) => ('text' in t ? constant(t.text) : compileAtom(t.atom)));
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

/** The headers a format reads (lower-case), for a worker that must copy them out of a request. */
export interface AccessLogHeaders {
  readonly request: readonly string[];
  readonly response: readonly string[];
}

/** Fixed atoms that read a request header. */
const ATOM_REQUEST_HEADER: Readonly<Record<string, string>> = { u: 'authorization', f: 'referer', a: 'user-agent' };

/** The request headers a JSON access line always reads (`req.user`, `req.headers.referer`, `req.headers["user-agent"]`). */
export const JSON_ACCESS_REQUEST_HEADERS: readonly string[] = ['authorization', 'referer', 'user-agent'];

/**
 * Which request and response headers `format` reads (with `log_format` json: also those of
 * JSON_ACCESS_REQUEST_HEADERS); throws as `compileAccessLogFormat` does.
 */
export function accessLogHeaders(format: string, logFormat: string = 'text'): AccessLogHeaders {
  const request = new Set<string>(logFormat === 'json' ? JSON_ACCESS_REQUEST_HEADERS : []);
  const response = new Set<string>();
  for (const token of parseAccessLogFormat(format)) {
    if (!('atom' in token)) continue;
    compileAtom(token.atom); // the same errors as compiling
    const fixed = ATOM_REQUEST_HEADER[token.atom];
    if (fixed !== undefined) request.add(fixed);
    const variable = VARIABLE_ATOM.exec(token.atom);
    if (variable?.[2] === 'i') request.add(variable[1]!.toLowerCase());
    if (variable?.[2] === 'o') response.add(variable[1]!.toLowerCase());
  }
  return { request: [...request], response: [...response] };
}

/**
 * The `%({name}i)s` and `%({name}o)s` atoms of `format`, lower-cased (the JSON access line's `req.headers`
 * and `res.headers`); every atom is checked as `compileAccessLogFormat` does.
 */
export function accessLogHeaderAtoms(format: string): AccessLogHeaders {
  const request: string[] = [];
  const response: string[] = [];
  for (const token of parseAccessLogFormat(format)) {
    if (!('atom' in token)) continue;
    compileAtom(token.atom);
    const variable = VARIABLE_ATOM.exec(token.atom);
    const name = variable?.[1]?.toLowerCase();
    if (name === undefined) continue;
    if (variable?.[2] === 'i' && !request.includes(name)) request.push(name);
    if (variable?.[2] === 'o' && !response.includes(name)) response.push(name);
  }
  return { request, response };
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
  if (match === null || name === undefined) throw new PreError('PRE_ERR_BAD_SETTING', `access_log_format: unknown access log atom '%(${key})s'`);
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

/** The user name of a `Basic` Authorization header (as Gunicorn: undefined when absent, empty or undecodable). @internal */
export function basicAuthUser(header: string | undefined): string | undefined {
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
