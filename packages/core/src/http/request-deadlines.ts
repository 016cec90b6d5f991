import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isTlsServer } from './tls.js';

interface Deadline {
  timer: NodeJS.Timeout | null;
  /** performance.now() when the current request's clock started (the connection, or the previous response's end). */
  since: number;
  /** The request whose head arrived last; its body is still coming unless `complete`. */
  req: IncomingMessage | null;
}

const DEADLINE = Symbol('pre.deadline');
type Tracked = Socket & { [DEADLINE]?: Deadline };

export interface DeadlineOptions {
  /** Time to the end of the request head; 0: none. */
  readonly headersTimeoutMs: number;
  /** Time to the end of the whole request, body included; 0: none. */
  readonly requestTimeoutMs: number;
}

/** The error node:http itself reports for an expired request (its code picks the 408 in client-error.ts). */
function timeoutError(): NodeJS.ErrnoException {
  return Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
}

/**
 * `headers_timeout` and `request_timeout` for connections a server is handed with
 * `server.emit('connection', socket)` without ever listening, as the sync worker does: node's own check
 * (`connectionsCheckingInterval`) only starts on 'listening', so such a server has none, and a client
 * that sends one header line now and then holds the connection forever. Here each such connection gets
 * a timer: the head must be complete `headersTimeoutMs` after the connection opens (or after the
 * previous response on it ends), the body `requestTimeoutMs` after the same start. An expired request
 * goes to the server's 'clientError' listeners with node's own error code, so it is answered like
 * node's own timeouts (408, then close). Servers that listen are left to node.
 */
export function enforceRequestDeadlines(server: Server, options: DeadlineOptions): void {
  const { headersTimeoutMs, requestTimeoutMs } = options;
  if (headersTimeoutMs <= 0 && requestTimeoutMs <= 0) return;
  let watchingRequests = false;

  const expire = (socket: Tracked): void => {
    const deadline = socket[DEADLINE];
    if (deadline) deadline.timer = null;
    // The parser has read the whole request (the app may not have read the body yet): nothing is late.
    if (deadline?.req?.complete) return;
    if (!socket.destroyed) server.emit('clientError', timeoutError(), socket);
  };

  const arm = (socket: Tracked, deadline: Deadline, ms: number): void => {
    if (deadline.timer) clearTimeout(deadline.timer);
    deadline.timer = ms > 0 ? setTimeout(expire, Math.max(0, ms - (performance.now() - deadline.since)), socket) : null;
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket as Tracked;
    const deadline = socket[DEADLINE];
    if (!deadline) return;
    deadline.req = req;
    arm(socket, deadline, requestTimeoutMs);
    res.once('finish', () => {
      deadline.req = null;
      // A kept-alive connection: the next request's head has the same time again.
      deadline.since = performance.now();
      if (!socket.destroyed) arm(socket, deadline, headersTimeoutMs || requestTimeoutMs);
    });
  };

  const event = isTlsServer(server) ? 'secureConnection' : 'connection';
  const onConnection = (socket: Tracked): void => {
    if (server.listening) return;
    if (!watchingRequests) {
      watchingRequests = true;
      server.prependListener('request', onRequest);
    }
    const deadline: Deadline = { timer: null, since: performance.now(), req: null };
    socket[DEADLINE] = deadline;
    arm(socket, deadline, headersTimeoutMs || requestTimeoutMs);
    socket.once('close', () => arm(socket, deadline, 0));
  };
  server.on(event, onConnection);
  // A server that listens has node's own check: no call per connection for nothing. (It listens for
  // good: a server that stops listening, in a drain or an AcceptSpread pause, accepts nothing meanwhile.)
  server.once('listening', () => server.off(event, onConnection));
}
