import { isIP } from 'node:net';
import { SettingValueError } from './types.js';
import { LOG_LEVELS, type LogLevel } from '../logging/levels.js';
import { parseSyslogAddress, SYSLOG_FACILITIES } from '../logging/syslog-address.js';

export function int(min: number, max = Number.MAX_SAFE_INTEGER): (raw: unknown) => number {
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return (raw) => {
    const value = typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new SettingValueError(expected);
    }
    return value;
  };
}

export function number(min: number): (raw: unknown) => number {
  return (raw) => {
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      throw new SettingValueError(`a number >= ${min}`);
    }
    return value;
  };
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export function bool(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const lower = raw.toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
  }
  throw new SettingValueError('true or false');
}

export function string(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') throw new SettingValueError('a non-empty string');
  return raw;
}

export function optionalString(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  return string(raw);
}

export function oneOf<const T extends string>(choices: readonly T[]): (raw: unknown) => T {
  return (raw) => {
    if (typeof raw === 'string' && (choices as readonly string[]).includes(raw)) return raw as T;
    throw new SettingValueError(`one of ${choices.map((c) => `'${c}'`).join(', ')}`);
  };
}

export const logLevel: (raw: unknown) => LogLevel = (raw) =>
  oneOf(LOG_LEVELS)(typeof raw === 'string' ? raw.toLowerCase() : raw);

/** A list; a single string from the CLI or a config file becomes a one-item list. */
export function stringList(raw: unknown): string[] {
  const items = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string' && item !== '')) {
    throw new SettingValueError('a string or a list of non-empty strings');
  }
  return [...items];
}

export function keyValueList(raw: unknown): string[] {
  const items = stringList(raw);
  for (const item of items) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(item)) throw new SettingValueError('KEY=VALUE pairs');
  }
  return items;
}

/** An octal file mode such as 0o600, '600' or '0600'. */
export function octalMode(raw: unknown): number {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= 0o7777) return raw;
  if (typeof raw === 'string' && /^(0o?)?[0-7]{1,4}$/.test(raw)) return parseInt(raw.replace(/^0o?/, '') || '0', 8);
  throw new SettingValueError('an octal mode such as 0o22 or 022');
}

export function hook<F>(raw: unknown): F | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'function') throw new SettingValueError('a function');
  return raw as F;
}

/** A comma-separated list of IP addresses and CIDR networks, or '*'. Kept as text; see listeners/ip-allow-list.ts. */
export function ipList(raw: unknown): string {
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  if (typeof text !== 'string') throw new SettingValueError("a comma-separated list of IP addresses or CIDR networks, or '*'");
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (item === '*') continue;
    const [address = '', prefix] = item.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    if (!family || (prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= maxPrefix))) {
      throw new SettingValueError("a comma-separated list of IP addresses or CIDR networks, or '*'");
    }
  }
  return items.join(',');
}

/** Header names, comma-separated, upper-cased as Gunicorn writes them. */
export function headerNameList(raw: unknown): string {
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  const names = typeof text === 'string' ? text.split(',').map((s) => s.trim()).filter(Boolean) : [];
  if (names.length === 0 || !names.every((n) => /^[A-Za-z0-9-]+$/.test(n))) throw new SettingValueError('comma-separated header names');
  return names.map((n) => n.toUpperCase()).join(',');
}

/** An object of header name → value. */
export function headerMap(raw: unknown): Record<string, string> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SettingValueError('an object of header name to value');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9-]+$/.test(name) || typeof value !== 'string') throw new SettingValueError('an object of header name to value');
    out[name.toUpperCase()] = value;
  }
  return out;
}

/** `udp://HOST:PORT`, `tcp://HOST:PORT`, `unix:///PATH[#dgram|#stream]`. */
export function syslogAddress(raw: unknown): string {
  const text = string(raw);
  const parsed = parseSyslogAddress(text);
  if (typeof parsed === 'string') throw new SettingValueError(parsed);
  return text;
}

export function syslogFacility(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.toLowerCase() : raw;
  if (typeof name === 'string' && Object.hasOwn(SYSLOG_FACILITIES, name)) return name;
  throw new SettingValueError(`one of ${Object.keys(SYSLOG_FACILITIES).join(', ')}`);
}
