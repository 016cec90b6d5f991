/**
 * A raw TCP (or TLS) connection to the server under test, for the cases that send exact bytes:
 * write, read responses one at a time, wait for the server to close. Every wait is bounded.
 */
import net from 'node:net';
import tls from 'node:tls';
import { parseResponse, type ParsedResponse } from './http-response.js';

export interface ReadResult {
  response?: ParsedResponse;
  /** Why no response: 'closed' (EOF/reset with nothing), 'timeout', or a parse problem. */
  problem?: string;
  /** Bytes received before the problem. */
  bytes?: Buffer;
}

export interface ConnectOptions {
  tls?: tls.ConnectionOptions;
  /** Connect from this local address (127.0.0.2: a peer that is not 127.0.0.1). */
  localAddress?: string;
}

export class RawConnection {
  readonly socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #closed = false;
  #error: string | null = null;
  #waiters = new Set<() => void>();
  readonly #ready: Promise<void>;

  constructor(port: number, options: ConnectOptions = {}) {
    const local = options.localAddress ? { localAddress: options.localAddress } : {};
    this.socket = options.tls ? tls.connect({ host: '127.0.0.1', port, ...local, ...options.tls }) : net.connect({ host: '127.0.0.1', port, ...local });
    this.#ready = new Promise((resolve, reject) => {
      this.socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#error = err.code ?? err.message;
      this.#wake();
    });
    this.socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
  }

  static async open(port: number, options: ConnectOptions = {}): Promise<RawConnection> {
    const connection = new RawConnection(port, options);
    await connection.#ready;
    return connection;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get pending(): Buffer {
    return this.#buffer;
  }

  write(data: string | Buffer): void {
    if (!this.#closed && !this.socket.destroyed) this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Half-closes: the server sees EOF after what was written. */
  end(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
  }

  /** Resolves when `check` holds or `timeoutMs` passed; returns whether it held. */
  #waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(value);
      };
      const waiter = (): void => {
        if (check()) done(true);
      };
      const timer = setTimeout(() => done(check()), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Reads the next response (`head`: it answers HEAD, so it has no body). */
  async readResponse(timeoutMs: number, head = false): Promise<ReadResult> {
    let outcome = parseResponse(this.#buffer, head, this.#closed);
    await this.#waitUntil(() => {
      outcome = parseResponse(this.#buffer, head, this.#closed);
      return outcome.kind !== 'incomplete' || this.#closed;
    }, timeoutMs);
    if (outcome.kind === 'response') {
      this.#buffer = this.#buffer.subarray(outcome.consumed);
      return { response: outcome.response };
    }
    const bytes = this.#buffer;
    if (outcome.kind === 'invalid') return { problem: outcome.reason, bytes };
    if (this.#closed) return { problem: bytes.length === 0 ? `closed with no response${this.#error ? ` (${this.#error})` : ''}` : 'closed mid-response', bytes };
    return { problem: bytes.length === 0 ? `no response within ${timeoutMs} ms` : `incomplete response after ${timeoutMs} ms`, bytes };
  }

  /** Waits for the server to close (EOF or reset); true if it did within `timeoutMs`. */
  async waitClose(timeoutMs: number): Promise<boolean> {
    return this.#waitUntil(() => this.#closed, timeoutMs);
  }

  /** Waits for any bytes, or close. */
  async waitData(timeoutMs: number): Promise<boolean> {
    return this.#waitUntil(() => this.#buffer.length > 0 || this.#closed, timeoutMs);
  }
}
