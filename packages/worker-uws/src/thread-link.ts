import { Worker as Thread } from 'node:worker_threads';
import { answerPreRequest, writeThreadLog, type RequestReporter } from '@pre/core';
import { reportFinished } from './request-sink.js';
import type { FromThread, ThreadData, ToThread } from './thread-protocol.js';

const THREAD_ENTRY = new URL('./thread.js', import.meta.url);

/** The worker's main thread side of one extra uWS thread. */
export class ThreadLink {
  readonly #thread: Thread;
  readonly #reporter: RequestReporter;
  readonly #prefix: string;
  #lastSeen = performance.now();
  #stopped: Promise<void> | null = null;
  readonly #exited: Promise<void>;

  /** `reporter` (the Worker) receives the thread's requests and log lines. */
  constructor(reporter: RequestReporter, data: ThreadData) {
    this.#reporter = reporter;
    this.#prefix = `[thread ${data.index}]`;
    this.#thread = new Thread(THREAD_ENTRY, { workerData: data });
    this.#exited = new Promise((resolve) => this.#thread.once('exit', () => resolve()));
  }

  /** Resolves once the thread listens; rejects with its boot error. */
  started(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#thread.once('error', reject);
      this.#thread.once('exit', (code) => reject(new Error(`uws thread exited with code ${code} while starting`)));
      this.#thread.on('message', (message: FromThread) => {
        if (message.type === 'listening') resolve();
        else if (message.type === 'boot_error') reject(new Error(message.message));
        else this.#handle(message);
      });
    });
  }

  /** False when the thread has not reported for `seconds` (a blocked event loop). */
  isAlive(seconds: number): boolean {
    return this.#stopped !== null || performance.now() - this.#lastSeen < seconds * 1000;
  }

  /** Asks the thread to stop its app and waits for the thread to end. */
  stop(graceful: boolean): Promise<void> {
    this.#post({ type: 'stop', graceful });
    this.#stopped ??= this.#exited;
    return this.#stopped;
  }

  #handle(message: FromThread): void {
    this.#lastSeen = performance.now();
    const reporter = this.#reporter;
    switch (message.type) {
      case 'finished':
        for (const request of message.requests) reportFinished(reporter, request);
        break;
      case 'pre_request':
        answerPreRequest(reporter, message, (answer) => this.#post(answer));
        break;
      case 'log':
        writeThreadLog(reporter.log, message, this.#prefix);
        break;
      default:
        break;
    }
  }

  #post(message: ToThread): void {
    try {
      this.#thread.postMessage(message);
    } catch {
      // the thread is gone
    }
  }
}
