import { hostname } from 'node:os';
import type { LogLevel } from './levels.js';

/** `text`: Gunicorn's lines; `json`: one object per line with pino's field names. */
export const LOG_FORMATS = ['text', 'json'] as const;

export type LogFormat = (typeof LOG_FORMATS)[number];

/** pino's numeric levels (warn 40, fatal 60) for Gunicorn's level names. */
export const PINO_LEVEL: Readonly<Record<LogLevel, number>> = Object.freeze({
  debug: 20,
  info: 30,
  warning: 40,
  error: 50,
  critical: 60,
});

/** Which standard stream a captured line came from (capture_output). */
export type OutputStream = 'stdout' | 'stderr';

/** pino's `err` object: `{type, message, stack}`; the stack carries the causes. */
export interface JsonError {
  readonly type: string;
  readonly message: string;
  readonly stack: string;
}

let cachedPid = -1;
let cachedHead = '';

/**
 * `,"pid":123,"hostname":"web-1"`: the same for every line of a process, computed once (per pid, so a
 * test that passes another pid still gets it right).
 */
export function jsonProcessFields(pid: number = process.pid): string {
  if (pid !== cachedPid) {
    cachedHead = `,"pid":${pid},"hostname":${JSON.stringify(hostname())}`;
    cachedPid = pid;
  }
  return cachedHead;
}

/**
 * One JSON error log line, newline included:
 * `{"level":30,"time":1764213546123,"pid":123,"hostname":"web-1","msg":"Booting worker with pid: 124"}`.
 * Every value goes through JSON.stringify, so no message can end the line or add a field.
 */
export function formatJsonLogLine(
  level: LogLevel,
  message: string,
  err?: JsonError,
  stream?: OutputStream,
  now: number = Date.now(),
  pid: number = process.pid,
): string {
  let line = `{"level":${PINO_LEVEL[level]},"time":${now}${jsonProcessFields(pid)}`;
  if (stream !== undefined) line += `,"stream":"${stream}"`;
  line += `,"msg":${JSON.stringify(message)}`;
  if (err !== undefined) line += `,"err":${JSON.stringify(err)}`;
  return `${line}}\n`;
}
