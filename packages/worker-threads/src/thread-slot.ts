import { Worker as NodeWorker } from 'node:worker_threads';
import type { ListenerCopy } from '@pre/core';
import type { MainMessage, ThreadData, ThreadMessage } from './protocol.js';
import { SharedThreadState } from './shared-state.js';

const THREAD_ENTRY = new URL('./thread.js', import.meta.url);

export interface SlotEvents {
  message(slot: ThreadSlot, message: ThreadMessage): void;
  /** The thread ended while it was expected to serve (crash, hung-thread kill, or a stop that was not asked for). */
  lost(slot: ThreadSlot, reason: string): void;
}

/** The main thread's side of one worker thread: its listener copies, its shared state, its lifecycle. */
export class ThreadSlot {
  readonly index: number;
  readonly state = new SharedThreadState();
  /**
   * This thread's listener copies. Never closed: the thread's server owns the fd and closes it when
   * the thread ends; closing the copy too would close an fd number the process may have reused.
   */
  readonly copies: readonly ListenerCopy[];
  readonly thread: NodeWorker;
  /** Resolves once the thread accepts on every listener; rejects if it fails to start. */
  readonly listening: Promise<void>;
  readonly exited: Promise<number>;
  booted = false;
  /** True once the thread has exited. */
  ended = false;
  /** Set when the main thread ends the thread on purpose (stop, hung-thread kill). */
  ending: string | null = null;
  #beats = 0;
  #lastBeatAt = Date.now();
  #crash: unknown = null;

  constructor(index: number, copies: readonly ListenerCopy[], data: Omit<ThreadData, 'index' | 'state' | 'fds'> & { fds: readonly number[] }, events: SlotEvents) {
    this.index = index;
    this.copies = copies;
    const threadData: ThreadData = { ...data, index, state: this.state.buffer };
    this.thread = new NodeWorker(THREAD_ENTRY, { workerData: threadData, name: `pre thread ${index}` });
    let failBoot: (err: unknown) => void = () => {};
    this.exited = new Promise((resolveExit) => {
      this.thread.once('exit', (code) => {
        this.ended = true;
        failBoot(new Error(`thread ${index} exited with code ${code} before it was listening`));
        resolveExit(code);
        if (this.booted && this.ending === null) {
          events.lost(this, this.#crash ? `crashed: ${errorText(this.#crash)}` : `exited with code ${code}`);
        }
      });
    });
    this.listening = new Promise((resolve, reject) => {
      failBoot = reject;
      this.thread.on('message', (message: ThreadMessage) => {
        if (message.type === 'listening') {
          this.booted = true;
          this.#lastBeatAt = Date.now();
          resolve();
        } else if (message.type === 'boot_error') {
          reject(new Error(message.message));
          void this.thread.terminate();
        } else events.message(this, message);
      });
      this.thread.on('error', (err) => {
        this.#crash = err;
        if (!this.booted) reject(err);
      });
    });
    this.listening.catch(() => {});
  }

  /** Milliseconds since the thread's event loop last ticked its heartbeat. */
  silentFor(now: number): number {
    const beats = this.state.beats;
    if (beats !== this.#beats) {
      this.#beats = beats;
      this.#lastBeatAt = now;
    }
    return now - this.#lastBeatAt;
  }

  send(message: MainMessage): void {
    this.thread.postMessage(message);
  }

  /** Graceful: the thread drains its connections and reports back; fast: it ends now. */
  async stop(graceful: boolean): Promise<void> {
    this.ending ??= 'stop';
    if (graceful && this.booted) {
      this.send({ type: 'stop', graceful: true });
      await new Promise<void>((resolve) => {
        const onMessage = (message: ThreadMessage): void => {
          if (message.type === 'stopped') resolve();
        };
        this.thread.on('message', onMessage);
        void this.exited.then(() => resolve());
      });
    }
    await this.thread.terminate();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
