import { IncomingMessage, type ServerResponse } from 'node:http';
import type { RequestRejection } from './request-checks.js';

/**
 * Fields a request trailer may not carry (RFC 9110 §6.5.1: no field needed before the content can be
 * processed): framing and connection control, routing, authentication, request modifiers and content
 * format. A framework that merges trailers into the headers would otherwise let a trailer override
 * what every earlier hop decided on (Host, Content-Length, Authorization…).
 */
const FORBIDDEN_TRAILERS = new Set([
  'content-length', 'transfer-encoding', 'trailer', 'te', 'connection', 'keep-alive', 'upgrade', 'proxy-connection',
  'host', 'authorization', 'proxy-authorization', 'cookie',
  'expect', 'max-forwards', 'range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'if-range', 'cache-control',
  'content-type', 'content-encoding', 'content-range',
]);

/** The first forbidden trailer field in `raw` (name/value pairs), as a rejection; null when all are allowed. */
export function checkTrailers(raw: readonly string[]): RequestRejection | null {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (FORBIDDEN_TRAILERS.has(name)) return { status: 400, reason: `Forbidden trailer field ${name}` };
  }
  return null;
}

const TRAILERS = Symbol('pre.rawTrailers');
const REFUSED = Symbol('pre.refused');

type Flagged = { [REFUSED]?: true };

/** Marks a connection whose current request was refused: later requests pipelined on it never reach the app. */
export function markRefused(socket: object): void {
  (socket as Flagged)[REFUSED] = true;
}

export function isRefused(socket: object): boolean {
  return (socket as Flagged)[REFUSED] === true;
}

/** Instead of IncomingMessage#push on a refused request: the end of the body never comes. */
function pushWithoutEnd(this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding): boolean {
  return chunk === null ? false : IncomingMessage.prototype.push.call(this, chunk, encoding);
}

/**
 * node:http's IncomingMessage (the `IncomingMessage` server option) that refuses forbidden trailer
 * fields before the app can see them. Trailers arrive after the app has started: node sets
 * `rawTrailers` and then ends the body stream, in one go. Here setting them runs the check, and a
 * refused request's stream never ends (no 'end' for the app, which sees an aborted request instead):
 * the client gets `400` and the connection closes if the response has not started, else the connection
 * is cut. Refusing beats dropping the fields silently: the client learns its message was not taken.
 */
export class CheckedIncomingMessage extends IncomingMessage {
  /** The response to this request, set by the request listener (where a refused trailer is answered). */
  response: ServerResponse | null = null;
  declare [TRAILERS]: string[];

  /**
   * Refuses the request after the app has started (a forbidden trailer, a body over limit_request_body):
   * `rejection` and a close if the response has not started, else the connection is cut. Its stream never ends.
   */
  refuse(rejection: RequestRejection): void {
    this.push = pushWithoutEnd;
    markRefused(this.socket);
    const res = this.response;
    if (!res || res.headersSent || res.writableEnded) {
      this.destroy();
      return;
    }
    const body = `${rejection.reason}\n`;
    res.writeHead(rejection.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  }

  static {
    // An accessor, so the check runs when node's parser sets the trailers, before it ends the stream.
    // (Defined here rather than as a class accessor: node's constructor assigns rawTrailers itself.)
    Object.defineProperty(CheckedIncomingMessage.prototype, 'rawTrailers', {
      configurable: true,
      get(this: CheckedIncomingMessage): string[] {
        return this[TRAILERS];
      },
      set(this: CheckedIncomingMessage, lines: string[]) {
        this[TRAILERS] = lines;
        if (lines.length === 0) return;
        const rejection = checkTrailers(lines);
        if (rejection) this.refuse(rejection);
      },
    });
  }
}
