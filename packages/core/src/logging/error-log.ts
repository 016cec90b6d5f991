import { writeSync } from 'node:fs';
import { LOG_LEVELS, type LogLevel } from './levels.js';
import { LogFile } from './log-file.js';
import { formatJsonLogLine, type JsonError, type LogFormat, type OutputStream } from './log-format.js';
import type { SyslogSink } from './syslog.js';

/** The logger handed to hooks, listeners and workers. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  critical(message: string): void;
  /** logs message at error level followed by the error's stack (or String(err)) */
  exception(message: string, err: unknown): void;
}

/** The lines StatsD counts as `gunicorn.log.<kind>`. */
export type LogCount = 'critical' | 'error' | 'warning' | 'exception';

export interface ErrorLogOptions {
  /** '-' or null: stderr; otherwise the file to append to (its directory must exist). */
  path: string | null;
  level: LogLevel;
  /** `text` (Gunicorn's lines, the default) or `json` (pino's fields). */
  format?: LogFormat;
  /** Where every written line also goes (Gunicorn's `syslog`: in addition to the file). */
  syslog?: SyslogSink | null;
}

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = Object.freeze({
  debug: 0,
  info: 1,
  warning: 2,
  error: 3,
  critical: 4,
});

const LEVEL_LABEL: Readonly<Record<LogLevel, string>> = Object.freeze({
  debug: 'DEBUG',
  info: 'INFO',
  warning: 'WARNING',
  error: 'ERROR',
  critical: 'CRITICAL',
});

/**
 * Gunicorn's error log: `[2026-11-27 03:29:06 +0000] [12345] [INFO] message` (or one JSON object per
 * line), written synchronously so that the last lines of a dying process are not lost. Several processes
 * may append to the same file. With a syslog sink, every written line is also sent there.
 */
export class ErrorLog implements Logger {
  readonly #out: LogFile;
  readonly #json: boolean;
  readonly #syslog: SyslogSink | null;
  #level: LogLevel = 'info';
  #threshold = LEVEL_RANK.info;
  #writeErrorReported = false;
  /** Told of every warning, error, critical and exception call, whatever the level (StatsD counts them as Gunicorn does). */
  onCount: ((kind: LogCount) => void) | null = null;

  constructor(options: ErrorLogOptions) {
    this.level = options.level;
    this.#json = options.format === 'json';
    this.#syslog = options.syslog ?? null;
    this.#out = new LogFile({
      path: options.path, stdFd: 2, what: 'error log', sync: true, onError: (err) => this.#writeFailed(err),
    });
    // Said in the file only: sending to the syslog that fails would be pointless.
    if (this.#syslog !== null) {
      this.#syslog.onProblem = (message) =>
        this.#out.write(this.#json ? formatJsonLogLine('warning', message) : formatLogLine('warning', message));
    }
  }

  get level(): LogLevel {
    return this.#level;
  }

  set level(level: LogLevel) {
    if (typeof level !== 'string' || !Object.hasOwn(LEVEL_RANK, level)) {
      throw new TypeError(`invalid log level ${JSON.stringify(level)}; expected one of ${LOG_LEVELS.join(', ')}`);
    }
    this.#level = level;
    this.#threshold = LEVEL_RANK[level];
  }

  isEnabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.#threshold;
  }

  debug(message: string): void {
    if (this.#threshold <= LEVEL_RANK.debug) this.#write('debug', message);
  }

  info(message: string): void {
    if (this.#threshold <= LEVEL_RANK.info) this.#write('info', message);
  }

  warning(message: string): void {
    this.onCount?.('warning');
    if (this.#threshold <= LEVEL_RANK.warning) this.#write('warning', message);
  }

  error(message: string): void {
    this.onCount?.('error');
    if (this.#threshold <= LEVEL_RANK.error) this.#write('error', message);
  }

  critical(message: string): void {
    this.onCount?.('critical');
    this.#write('critical', message);
  }

  exception(message: string, err: unknown): void {
    this.onCount?.('exception');
    if (this.#threshold <= LEVEL_RANK.error) this.#write('error', message, err);
  }

  /**
   * A line the process wrote to stdout (INFO) or stderr (ERROR), for `capture_output`: written whatever
   * the level, and not counted for StatsD (it is output, not a log call).
   */
  captured(stream: OutputStream, line: string): void {
    this.#write(stream === 'stdout' ? 'info' : 'error', line, undefined, stream);
  }

  /**
   * Reopens the file at its path (USR1 after logrotate moved it); a no-op for stderr. Never throws:
   * when the file cannot be opened, the log keeps writing to the old file and says so there.
   */
  reopen(): void {
    try {
      this.#out.reopen();
      this.#writeErrorReported = false;
    } catch (err) {
      this.error(`${errorText(err)}; still writing to the previous file`);
    }
  }

  /** Writes out anything buffered (after a failed write) and fsyncs; never blocks on a reader that left. */
  flush(): void {
    this.#out.flush();
  }

  /** Flushes and closes the file (never stderr); later messages are dropped. */
  close(): void {
    this.#out.close();
    this.#syslog?.close();
  }

  #write(level: LogLevel, message: string, err?: unknown, stream?: OutputStream): void {
    if (this.#json) {
      const line = formatJsonLogLine(level, message, err === undefined ? undefined : jsonError(err), stream);
      this.#out.write(line);
      this.#syslog?.send(level, line.slice(0, -1));
      return;
    }
    const text = err === undefined ? message : `${message}\n${describeError(err)}`;
    this.#out.write(formatLogLine(level, text));
    // Gunicorn's syslog format: `[pid] message` (the priority and tag come from the sink).
    this.#syslog?.send(level, `[${process.pid}] ${text}`);
  }

  /** A log that cannot write says so once on stderr (unless it is stderr), then keeps trying. */
  #writeFailed(err: unknown): void {
    if (this.#writeErrorReported) return;
    this.#writeErrorReported = true;
    if (this.#out.file === null) return;
    reportToStderr(`cannot write to the error log '${this.#out.file}': ${errorText(err)}`);
  }
}

// --- Shared with access-log.ts -------------------------------------------------------------------

/**
 * One error log line, newline included: `[2026-11-27 03:29:06 +0000] [12345] [INFO] message\n`.
 * @internal
 */
export function formatLogLine(level: LogLevel, message: string, now: number = Date.now(), pid: number = process.pid): string {
  return `${errorLogTimestamp(now)} [${pid}] [${LEVEL_LABEL[level]}] ${message}\n`;
}

/**
 * Writes an error line straight to fd 2, for a log that has nowhere else to complain; never throws.
 * @internal
 */
export function reportToStderr(message: string): void {
  try {
    writeSync(2, formatLogLine('error', message));
  } catch {
    // Nothing left to tell.
  }
}

/** `+0530`, `-0800`, `+0000`: the local offset from UTC at `date`. @internal */
export function utcOffset(date: Date): string {
  const east = -date.getTimezoneOffset();
  const abs = Math.abs(east);
  return `${east < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

/** @internal */
export function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The message of any thrown value. @internal */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return safeString(err);
}

let cachedSecond = Number.NaN;
let cachedTimestamp = '';

/** `[2026-11-27 03:29:06 +0000]`, local time; computed once per second. */
function errorLogTimestamp(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedTimestamp =
      `[${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${utcOffset(d)}]`;
    cachedSecond = second;
  }
  return cachedTimestamp;
}

/** pino's `err` object: the error's name (else its constructor's), the message, and the stack with its causes. */
function jsonError(err: unknown): JsonError {
  let type: string = typeof err;
  if (err instanceof Error && typeof err.name === 'string' && err.name !== '') {
    type = err.name; // TypeError, PreError; also right for an error rebuilt from a worker thread's message
  } else if (typeof err === 'object' && err !== null) {
    try {
      type = (err as { constructor?: { name?: unknown } }).constructor?.name as string;
      if (typeof type !== 'string' || type === '') type = 'Object';
    } catch {
      type = 'Object';
    }
  }
  return { type, message: errorText(err), stack: describeError(err) };
}

/** The stack (or String(err)), followed by the stacks of its causes. @internal */
export function describeError(err: unknown): string {
  let text = stackOf(err);
  let current = err;
  const seen = new Set<unknown>([err]);
  for (let depth = 0; depth < 8; depth++) {
    const cause = hasCause(current) ? current.cause : undefined;
    if (cause === undefined || seen.has(cause)) break;
    seen.add(cause);
    text += `\nCaused by: ${stackOf(cause)}`;
    current = cause;
  }
  return text;
}

function hasCause(value: unknown): value is { cause: unknown } {
  return typeof value === 'object' && value !== null && 'cause' in value;
}

function stackOf(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    try {
      const stack = (err as { stack?: unknown }).stack;
      if (typeof stack === 'string' && stack !== '') return stack;
    } catch {
      // A throwing getter: fall back to String().
    }
  }
  return safeString(err);
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
