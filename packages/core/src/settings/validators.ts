import { SettingValueError } from './types.js';
import { LOG_LEVELS, type LogLevel } from '../logging/levels.js';

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
