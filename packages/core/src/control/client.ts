import { connect, type Socket } from 'node:net';
import { PreError } from '../errors.js';
import type { ControlResponse } from './protocol.js';

/** A reply normally takes milliseconds; the arbiter's loop may be busy for a moment during a reload. */
const REPLY_TIMEOUT_MS = 10_000;

/** The client could not talk to the control socket (not a command error: those come back as replies). */
/** The control socket cannot be reached (PRE_ERR_CTL_CONNECT). */
export class ControlConnectionError extends PreError {
  constructor(message: string) {
    super('PRE_ERR_CTL_CONNECT', message);
    this.name = 'ControlConnectionError';
  }
}

interface Pending {
  resolve(response: ControlResponse): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** One connection to an arbiter's control socket; requests are answered in order. */
export class ControlClient {
  readonly #socket: Socket;
  readonly #pending: Pending[] = [];
  #buffer = '';
  #nextId = 1;
  #closedError: Error | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(new ControlConnectionError(`Control socket error: ${err.message}`)));
    socket.on('close', () => this.#fail(new ControlConnectionError('The connection to pre was closed (is it shutting down?).')));
  }

  static connect(path: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(new ControlClient(socket));
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        const hint = err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? ' Is pre running with --control-socket set to this path? (set it with --socket or $PRE_CONTROL_SOCKET)'
          : err.code === 'EACCES' ? ' The socket belongs to another user (see control_socket_mode).' : '';
        reject(new ControlConnectionError(`Cannot connect to control socket ${path}: ${err.code ?? err.message}.${hint}`));
      });
    });
  }

  request(command: readonly string[]): Promise<ControlResponse> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new ControlConnectionError(`No reply from pre within ${REPLY_TIMEOUT_MS / 1000} s.`)), REPLY_TIMEOUT_MS);
      this.#pending.push({ resolve, reject, timer });
      this.#socket.write(`${JSON.stringify({ id: this.#nextId++, command })}\n`);
    });
  }

  close(): void {
    this.#closedError ??= new ControlConnectionError('The control connection is closed.');
    this.#socket.destroy();
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let newline: number;
    while ((newline = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      const pending = this.#pending.shift();
      if (!pending) continue; // An unsolicited line (e.g. "request too long"): nobody waits for it.
      clearTimeout(pending.timer);
      try {
        pending.resolve(JSON.parse(line) as ControlResponse);
      } catch {
        pending.reject(new ControlConnectionError(`Unreadable reply from pre: ${line.slice(0, 200)}`));
      }
    }
  }

  #fail(err: Error): void {
    this.#closedError ??= err;
    this.#socket.destroy();
    for (const pending of this.#pending.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(err);
    }
  }
}
