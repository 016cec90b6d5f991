/**
 * What a thread tells the main thread without sending a message: a heartbeat counter and the request it
 * started last, and how many requests it finished. Shared memory, because a thread stuck in a handler
 * cannot post anything, and because a few integer writes per request cost far less than messages (a
 * message per event-loop turn cost the main thread about as much CPU as the serving thread).
 */
const BEAT = 0;
/** Sequence number of the last request the thread started, while it runs; 0 once it finished; -1 once claimed by the main thread. */
const CURRENT = 1;
/** That request's socket fd (-1 unknown). */
const FD = 2;
/** 1 once that request's response headers may have been written. */
const HEADERS_SENT = 3;
const LABEL_LENGTH = 4;
/** Requests finished and not yet collected by the main thread (those without access log or hook details). */
const FINISHED = 5;
/** Requests started and not yet closed, for the requests-in-flight gauge. */
const IN_FLIGHT = 6;
/** That request's HTTP/2 stream id (0: HTTP/1.1); FD is then its connection's, -1 over TLS (the main thread cannot write on it). */
const STREAM = 7;
/** Open HTTP/1.1 connections of the thread (keepalive_rebalance), refreshed on every beat. */
const CONNECTIONS = 8;
const INTS = 9;
const LABEL_BYTES = 240;

export interface CurrentRequest {
  readonly seq: number;
  readonly fd: number;
  /** HTTP/2 stream id (0: HTTP/1.1). */
  readonly stream: number;
  readonly headersSent: boolean;
  readonly label: string;
}

export class SharedThreadState {
  readonly buffer: SharedArrayBuffer;
  readonly #ints: Int32Array;
  readonly #label: Uint8Array;
  /** What the label holds (written by the thread only). */
  #labelMethod = '';
  #labelUrl = '';

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(INTS * 4 + LABEL_BYTES)) {
    this.buffer = buffer;
    this.#ints = new Int32Array(buffer, 0, INTS);
    this.#label = new Uint8Array(buffer, INTS * 4, LABEL_BYTES);
  }

  // --- written by the thread ---

  beat(): void {
    Atomics.add(this.#ints, BEAT, 1);
  }

  requestStarted(seq: number, fd: number, method: string, url: string, stream = 0): void {
    // Clients repeat their requests: the label is written again only when it changes.
    if (method !== this.#labelMethod || url !== this.#labelUrl) {
      this.#labelMethod = method;
      this.#labelUrl = url;
      const { written } = encoder.encodeInto(`${method} ${url}`, this.#label);
      Atomics.store(this.#ints, LABEL_LENGTH, written);
    }
    Atomics.store(this.#ints, FD, fd);
    Atomics.store(this.#ints, STREAM, stream);
    Atomics.store(this.#ints, HEADERS_SENT, 0);
    Atomics.store(this.#ints, CURRENT, seq);
  }

  headersSent(): void {
    Atomics.store(this.#ints, HEADERS_SENT, 1);
  }

  /** Marks request `seq` finished unless the main thread has claimed it. */
  requestFinished(seq: number): void {
    Atomics.compareExchange(this.#ints, CURRENT, seq, 0);
  }

  /** A request started (+1) or its response closed (-1). */
  addInFlight(delta: 1 | -1): void {
    Atomics.add(this.#ints, IN_FLIGHT, delta);
  }

  countFinished(): void {
    Atomics.add(this.#ints, FINISHED, 1);
  }

  setConnections(count: number): void {
    Atomics.store(this.#ints, CONNECTIONS, count);
  }

  // --- read by the main thread ---

  /** Requests finished since the last call. */
  takeFinished(): number {
    return Atomics.exchange(this.#ints, FINISHED, 0);
  }

  get connections(): number {
    return Atomics.load(this.#ints, CONNECTIONS);
  }

  get inFlight(): number {
    return Atomics.load(this.#ints, IN_FLIGHT);
  }

  get beats(): number {
    return Atomics.load(this.#ints, BEAT);
  }

  /** The last request the thread started, or null; `running` says whether it had finished. */
  lastRequest(): (CurrentRequest & { running: boolean }) | null {
    const seq = Atomics.load(this.#ints, CURRENT);
    const length = Atomics.load(this.#ints, LABEL_LENGTH);
    if (length === 0) return null;
    const label = decoder.decode(this.#label.slice(0, length));
    return { seq, fd: Atomics.load(this.#ints, FD), stream: Atomics.load(this.#ints, STREAM), headersSent: Atomics.load(this.#ints, HEADERS_SENT) === 1, label, running: seq > 0 };
  }

  /**
   * Takes the running request over from a stuck thread, so that a thread that wakes up at this very
   * moment does not also finish it. True when the request `seq` was still running.
   */
  claim(seq: number): boolean {
    return seq > 0 && Atomics.compareExchange(this.#ints, CURRENT, seq, -1) === seq;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
