import type { Http2Server, Http2ServerRequest, Http2ServerResponse, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';

export interface Http2DeadlineOptions {
  /** A new connection must complete its first request's headers within this (headers_timeout). */
  readonly headersTimeoutMs: number;
  /** Each stream must have sent its whole request within this of its headers (request_timeout). */
  readonly requestTimeoutMs: number;
  /** A connection with no open stream is closed (GOAWAY) after this (keepalive; 0: after its last stream). */
  readonly keepaliveMs: number;
}

/** After GOAWAY, a client gets this long to close; then the connection is destroyed. */
const CLOSE_GRACE_MS = 1000;

function closeSession(session: ServerHttp2Session): void {
  if (session.closed || session.destroyed) return;
  session.close();
  setTimeout(() => session.destroy(), CLOSE_GRACE_MS).unref();
}

/**
 * HTTP/1.1's timeouts per HTTP/2 connection and stream. A session with no open stream has
 * `headers_timeout` (before its first request) or `keepalive` (after one) before it gets GOAWAY: a
 * client that connects and sends nothing, or a header block that never ends (CONTINUATION frames),
 * is cut off. A stream whose request body is not complete `request_timeout` after its headers gets
 * 408 (or RST_STREAM when the response has started).
 */
export function enforceHttp2Deadlines(server: Http2Server, options: Http2DeadlineOptions): void {
  const { headersTimeoutMs, requestTimeoutMs, keepaliveMs } = options;
  server.on('session', (session: ServerHttp2Session) => {
    let open = 0;
    let timer: NodeJS.Timeout | null = null;
    const idleFor = (ms: number): void => {
      if (timer) clearTimeout(timer);
      timer = ms > 0 ? setTimeout(closeSession, ms, session) : null;
    };
    idleFor(headersTimeoutMs || keepaliveMs);
    // One listener per session for all its streams; a stream emits 'close' once (`on`: no wrapper per stream).
    const streamClosed = (): void => {
      if (--open > 0) return;
      if (keepaliveMs > 0) idleFor(keepaliveMs);
      else setImmediate(closeSession, session); // not from inside nghttp2's frame processing
    };
    session.on('stream', (stream: ServerHttp2Stream) => {
      open++;
      if (timer) idleFor(0);
      stream.on('close', streamClosed);
    });
    session.once('close', () => idleFor(0));
  });
  if (requestTimeoutMs <= 0) return;
  // Before the app: it may swap the request's prototype (Express), so the stream is read here, once.
  server.prependListener('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const stream = req.stream;
    if (requestReceived(stream)) return;
    const timer = setTimeout(expireRequest, requestTimeoutMs, stream, res);
    res.once('close', () => clearTimeout(timer));
  });
}

/**
 * The client has sent the whole request (END_STREAM), whether or not the app has read the body yet,
 * as node:http's `complete` on HTTP/1.1. `_readableState.ended` is the stream's own record of it;
 * without it (a future Node), `endAfterHeaders` and `readableEnded` are the public approximations.
 */
function requestReceived(stream: ServerHttp2Stream): boolean {
  const state = (stream as ServerHttp2Stream & { _readableState?: { ended?: boolean } })._readableState;
  if (stream.endAfterHeaders) return true;
  return state?.ended ?? stream.readableEnded;
}

function expireRequest(stream: ServerHttp2Stream, res: Http2ServerResponse): void {
  if (requestReceived(stream) || stream.destroyed) return;
  if (stream.headersSent) {
    stream.close(0x8 /* CANCEL */);
    return;
  }
  res.writeHead(408, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('Request Timeout\n', () => stream.close(0x8));
}
