import type { MessagePort } from 'node:worker_threads';
import { describeError, type Logger } from './error-log.js';
import type { LogLevel } from './levels.js';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warning: 2, error: 3, critical: 4 };

/** A log line from a worker thread to its process's main thread. */
export interface ThreadLogMessage {
  readonly type: 'log';
  readonly level: LogLevel;
  readonly message: string;
  readonly stack?: string;
  /** The error's name and message (`err.type`, `err.message` of a JSON line). */
  readonly errorName?: string;
  readonly errorMessage?: string;
}

/**
 * A worker thread's Logger: lines at or above the configured level go to the main thread, which writes
 * them with `writeThreadLog` to the error log of the process (the log files and their reopening belong
 * to the main thread).
 */
export class ThreadLogger implements Logger {
  readonly #port: MessagePort;
  readonly #threshold: number;

  constructor(port: MessagePort, level: LogLevel) {
    this.#port = port;
    this.#threshold = RANK[level] ?? RANK.info;
  }

  debug(message: string): void {
    this.#send('debug', message);
  }

  info(message: string): void {
    this.#send('info', message);
  }

  warning(message: string): void {
    this.#send('warning', message);
  }

  error(message: string): void {
    this.#send('error', message);
  }

  critical(message: string): void {
    this.#send('critical', message);
  }

  exception(message: string, err: unknown): void {
    if (RANK.error < this.#threshold) return;
    const isError = err instanceof Error;
    const stack = describeError(err); // with its causes: the main thread cannot walk them
    this.#port.postMessage({
      type: 'log', level: 'error', message, stack, errorName: isError ? err.name : typeof err, errorMessage: isError ? err.message : String(err),
    } satisfies ThreadLogMessage);
  }

  #send(level: LogLevel, message: string): void {
    if (RANK[level] < this.#threshold) return;
    this.#port.postMessage({ type: 'log', level, message } satisfies ThreadLogMessage);
  }
}

/** The main thread's side: writes a thread's line to `log`, prefixed with the thread's name. */
export function writeThreadLog(log: Logger, message: ThreadLogMessage, prefix: string): void {
  const text = `${prefix} ${message.message}`;
  if (message.stack === undefined) log[message.level](text);
  else {
    const err = Object.assign(new Error(message.errorMessage ?? message.message), { stack: message.stack });
    if (message.errorName !== undefined) err.name = message.errorName;
    log.exception(text, err);
  }
}
