import type { Socket } from 'node:net';

/** Bumped (and notified) by every thread on every accept, so that a yielding thread wakes up at once. */
const EPOCH = 0;
/** How long a thread that just accepted a connection lets an idle sibling take the next queued one. */
const YIELD_MS = 0.2;
const FRESH = Symbol('pre.freshConnection');

type TrackedSocket = Socket & { [FRESH]?: boolean };

/**
 * Load-aware accepting for threads that share one listening socket. libuv accepts every queued
 * connection in one go, so when two connections arrive together, the thread that wakes first takes
 * both and serves them one after the other while its sibling idles (measured: 24 times out of 30).
 * Each thread publishes its load (requests in flight plus connections that have not sent a request
 * yet); a thread that accepts a connection while a sibling is idle waits up to YIELD_MS, or until
 * any thread accepts, before its event loop accepts again. A thread under load never waits.
 */
export class AcceptBalance {
  readonly #shared: Int32Array;
  readonly #me: number;
  readonly #threads: number;

  /** `buffer` holds 1 + threads Int32 slots; `index` is this thread's slot. */
  constructor(buffer: SharedArrayBuffer, index: number) {
    this.#shared = new Int32Array(buffer);
    this.#threads = this.#shared.length - 1;
    this.#me = 1 + index;
    Atomics.store(this.#shared, this.#me, 0); // a replaced thread's predecessor may have left its load
  }

  static buffer(threads: number): SharedArrayBuffer {
    return new SharedArrayBuffer(4 * (1 + threads));
  }

  onConnection(socket: Socket): void {
    const tracked = socket as TrackedSocket;
    tracked[FRESH] = true;
    Atomics.add(this.#shared, this.#me, 1);
    socket.once('close', () => {
      if (this.#settle(tracked)) Atomics.sub(this.#shared, this.#me, 1);
    });
    const epoch = Atomics.add(this.#shared, EPOCH, 1) + 1;
    Atomics.notify(this.#shared, EPOCH);
    if (this.#siblingIdle()) Atomics.wait(this.#shared, EPOCH, epoch, YIELD_MS);
  }

  /** A request starts: its connection is no longer fresh, the request counts until it finishes. */
  onRequest(socket: Socket): void {
    if (!this.#settle(socket as TrackedSocket)) Atomics.add(this.#shared, this.#me, 1);
  }

  onResponseClosed(): void {
    Atomics.sub(this.#shared, this.#me, 1);
  }

  /** Turns a fresh connection's count into its first request's; true if it was fresh. */
  #settle(socket: TrackedSocket): boolean {
    if (!socket[FRESH]) return false;
    socket[FRESH] = false;
    return true;
  }

  #siblingIdle(): boolean {
    for (let i = 1; i <= this.#threads; i++) {
      if (i !== this.#me && Atomics.load(this.#shared, i) <= 0) return true;
    }
    return false;
  }
}
