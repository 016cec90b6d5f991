import type { MessagePort } from 'node:worker_threads';
import type { Logger, LogLevel } from '@pre/core';
import type { ThreadMessage } from './protocol.js';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warning: 2, error: 3, critical: 4 };

/**
 * A thread's Logger: lines at or above the configured level go to the main thread, which writes them to
 * the error log of the process (the log files and their reopening belong to the main thread).
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
    const msg: ThreadMessage = stack === undefined ? { type: 'log', level, message } : { type: 'log', level, message, stack };
    this.#port.postMessage(msg);
  }
}
