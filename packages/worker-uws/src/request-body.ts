import { bodyTooLargeError } from '@pre/core';
import type { HttpResponse } from './native.js';

/** Pause the socket while this many body bytes wait, unread, for the app. */
export const BODY_HIGH_WATER_MARK = 64 * 1024;

/** The most a whole-body read allocates before the bytes arrive (a client may declare a length it never sends). */
const MAX_UPFRONT_BYTES = 16 * 1024 * 1024;

/** Told about the request body: its end, and how to fail it (request_timeout). */
export interface BodyWatcher {
  bodyEnded(): void;
  failBody: ((err: Error) => void) | undefined;
  /** limit_request_body (0: none). */
  readonly bodyLimit: number;
  /** The body crossed `bodyLimit`: its reader has failed with `err`; the request is to be cut off. */
  bodyOverLimit(err: Error): void;
}

/**
 * A request body fed by uWS's `onData`, attached when the request arrives (it must be, before the route
 * callback returns), and read one of two ways, chosen by the app's first use:
 * - whole (`whole()`, for arrayBuffer(), text(), json(), bytes()): each chunk is copied once into one
 *   buffer sized from the Content-Length, which is handed to the app as it is: no copy per chunk, no
 *   stream, no concatenation.
 * - streamed (`stream()`, for request.body and everything that builds undici's Request): a ReadableStream
 *   of private copies of the chunks (uWS reuses its buffer), the socket paused while the app is not reading.
 * Until the app chooses, up to BODY_HIGH_WATER_MARK bytes are buffered, then the socket is paused.
 * Bytes are counted against limit_request_body: uWS holds a body to its Content-Length (checked against
 * the limit before the app ran), so this is the second line, should a body ever come otherwise.
 */
export class RequestBody {
  readonly #res: HttpResponse;
  readonly #watcher: BodyWatcher;
  /** The declared Content-Length. */
  readonly #expected: number;
  /** Bytes still allowed by limit_request_body. */
  #left: number;
  /** Received bytes (not streamed mode): `#buffer[0, #length)`. */
  #buffer: Uint8Array | null = null;
  #length = 0;
  #ended = false;
  #error: Error | null = null;
  #paused = false;
  /** The app has chosen how it reads (whole or streamed). */
  #chosen = false;
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #stream: ReadableStream<Uint8Array> | null = null;
  #resolve: ((bytes: Uint8Array) => void) | null = null;
  #reject: ((err: Error) => void) | null = null;

  constructor(res: HttpResponse, watcher: BodyWatcher, contentLength: number) {
    this.#res = res;
    this.#watcher = watcher;
    this.#expected = contentLength;
    this.#left = watcher.bodyLimit > 0 ? watcher.bodyLimit : Infinity;
    watcher.failBody = (err) => this.#fail(err);
    res.onData((chunk, isLast) => this.#onData(chunk, isLast));
  }

  /** The app asked for the body as a whole (it was not read before). */
  get chosen(): boolean {
    return this.#chosen;
  }

  /** The whole body, in a buffer of its own (`byteOffset` 0, exactly its length). Once. */
  whole(): Promise<Uint8Array> {
    this.#chosen = true;
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(this.#exact());
    if (this.#expected > (this.#buffer?.byteLength ?? 0)) this.#grow(Math.min(this.#expected, MAX_UPFRONT_BYTES));
    if (this.#paused) {
      this.#paused = false;
      this.#res.resume();
    }
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The body as a stream (the bytes buffered so far first). Once. */
  stream(): ReadableStream<Uint8Array> {
    this.#chosen = true;
    this.#stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
          // Views of the buffer are safe: once streamed, chunks are copied on their own.
          if (this.#length > 0) controller.enqueue(this.#buffer!.subarray(0, this.#length));
          this.#buffer = null;
          if (this.#error !== null) controller.error(this.#error);
          else if (this.#ended) controller.close();
        },
        pull: () => {
          if (this.#paused && !this.#done) {
            this.#paused = false;
            this.#res.resume();
          }
        },
        cancel: () => {
          this.#controller = null;
          this.#ended = true;
        },
      },
      { highWaterMark: BODY_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
    );
    return this.#stream;
  }

  get #done(): boolean {
    return this.#ended || this.#error !== null;
  }

  #onData(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.#done) return;
    const size = chunk.byteLength;
    this.#left -= size;
    if (this.#left < 0) {
      const err = bodyTooLargeError(this.#watcher.bodyLimit);
      this.#fail(err);
      this.#watcher.bodyOverLimit(err);
      return;
    }
    const controller = this.#controller;
    if (controller !== null) {
      if (size > 0) controller.enqueue(new Uint8Array(chunk.slice(0)));
    } else if (size > 0) {
      const end = this.#length + size;
      if (end > (this.#buffer?.byteLength ?? 0)) this.#grow(end);
      this.#buffer!.set(new Uint8Array(chunk), this.#length);
      this.#length = end;
    }
    if (isLast) return this.#end();
    if (this.#paused) return;
    // Streamed: pause while the app is not reading. Not chosen yet: pause once a window is buffered.
    const full = controller !== null ? (controller.desiredSize ?? 1) <= 0 : !this.#chosen && this.#length >= BODY_HIGH_WATER_MARK;
    if (full) {
      this.#paused = true;
      this.#res.pause();
    }
  }

  #end(): void {
    this.#ended = true;
    this.#watcher.bodyEnded();
    if (this.#controller !== null) this.#controller.close();
    else if (this.#resolve !== null) this.#resolve(this.#exact());
    this.#resolve = this.#reject = null;
  }

  #fail(err: Error): void {
    if (this.#done) return;
    this.#error = err;
    this.#buffer = null;
    if (this.#controller !== null) this.#controller.error(err);
    else if (this.#reject !== null) this.#reject(err);
    this.#resolve = this.#reject = null;
  }

  /** Room for at least `bytes` (a body longer than declared still fits: the limit, not the buffer, bounds it). */
  #grow(bytes: number): void {
    const old = this.#buffer;
    const capacity = Math.max(bytes, this.#length, Math.min(this.#expected, 2 * (old?.byteLength ?? 0)));
    const buffer = Buffer.allocUnsafeSlow(capacity); // its own ArrayBuffer: handed to the app as is
    if (old !== null && this.#length > 0) buffer.set(old.subarray(0, this.#length));
    this.#buffer = buffer;
  }

  /** The received bytes as a plain Uint8Array over an ArrayBuffer of their own, exactly as long. */
  #exact(): Uint8Array {
    const buffer = this.#buffer;
    this.#buffer = null;
    if (buffer === null) return new Uint8Array(0);
    if (buffer.byteLength === this.#length) return new Uint8Array(buffer.buffer, 0, this.#length);
    const exact = new Uint8Array(this.#length);
    exact.set(buffer.subarray(0, this.#length));
    return exact;
  }
}
