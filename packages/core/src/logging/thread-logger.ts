import type { MessagePort } from 'node:worker_threads';
import type { Logger } from './error-log.js';
import type { LogLevel } from './levels.js';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warning: 2, error: 3, critical: 4 };

/** A log line from a worker thread to its process's main thread. */
export interface ThreadLogMessage {
  readonly type: 'log';
  readonly level: LogLevel;
  readonly message: string;
  readonly stack?: string;
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
    const stack = err instanceof Error ? (err.stack ?? String(err)) : String(err);
    this.#send('error', message, stack);
  }

  #send(level: LogLevel, message: string, stack?: string): void {
    if (RANK[level] < this.#threshold) return;
    const msg: ThreadLogMessage = stack === undefined ? { type: 'log', level, message } : { type: 'log', level, message, stack };
    this.#port.postMessage(msg);
  }
}

/** The main thread's side: writes a thread's line to `log`, prefixed with the thread's name. */
export function writeThreadLog(log: Logger, message: ThreadLogMessage, prefix: string): void {
  const text = `${prefix} ${message.message}`;
  if (message.stack === undefined) log[message.level](text);
  else log.exception(text, Object.assign(new Error(message.message), { stack: message.stack }));
}
