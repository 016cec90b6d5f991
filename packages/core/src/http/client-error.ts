import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logging/error-log.js';

interface Rejection {
  readonly status: number;
  readonly reason: string;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};

/** RFC 9110 §5.6.2 token: a method llhttp does not know but that is well-formed. */
const TOKEN_THEN_SPACE = /^[!#$%&'*+\-.^_`|~\dA-Za-z]+ /;
/** A well-formed HTTP-version at the end of the request line (RFC 9112 §2.3), other than 1.0 and 1.1. */
const OTHER_VERSION = /^[^\r\n]* HTTP\/(?!1\.[01]\r)\d\.\d\r\n/;

type ParserError = NodeJS.ErrnoException & { rawPacket?: Buffer };

/**
 * The start of the bytes llhttp refused (node gives the chunk being parsed), read just enough to tell a
 * well-formed but unsupported method or version (501, 505) from garbage (400).
 */
function requestLineOf(err: ParserError): string {
  return err.rawPacket ? err.rawPacket.toString('latin1', 0, Math.min(err.rawPacket.length, 8192)) : '';
}

/** node:http parser errors (llhttp codes) → the status and a short reason that echoes nothing of the input. */
export function rejectionFor(err: ParserError): Rejection {
  switch (err.code) {
    case 'HPE_INVALID_METHOD':
      return TOKEN_THEN_SPACE.test(requestLineOf(err)) ? { status: 501, reason: 'Method not implemented' } : { status: 400, reason: 'Invalid method' };
    case 'HPE_INVALID_VERSION':
      return OTHER_VERSION.test(requestLineOf(err)) ? { status: 505, reason: 'HTTP version not supported' } : { status: 400, reason: 'Invalid HTTP version' };
    case 'HPE_HEADER_OVERFLOW': return { status: 431, reason: 'Request header fields too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT': return { status: 408, reason: 'Request timeout' };
    case 'HPE_INVALID_URL': return { status: 400, reason: 'Invalid request target' };
    case 'HPE_INVALID_HEADER_TOKEN': return { status: 400, reason: 'Invalid header' };
    case 'HPE_INVALID_CONTENT_LENGTH': return { status: 400, reason: 'Invalid Content-Length' };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH': return { status: 400, reason: 'Conflicting Content-Length' };
    case 'HPE_INVALID_TRANSFER_ENCODING': return { status: 400, reason: 'Invalid Transfer-Encoding' };
    case 'HPE_INVALID_CHUNK_SIZE': return { status: 400, reason: 'Invalid chunk size' };
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
    case 'HPE_STRICT': return { status: 400, reason: 'Invalid line ending' };
    default: return { status: 400, reason: 'Bad request' };
  }
}

/** Writes a minimal error response on a raw socket and closes it. */
export function writeRejection(socket: Socket, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.destroySoon?.();
}

/**
 * node:http 'clientError' listener: a malformed or timed-out request gets the right 4xx with a short
 * plain-text reason and the connection is closed; the error log gets one debug line; the worker lives on.
 */
export function createClientErrorHandler(log: Logger): (err: ParserError, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      socket.destroy();
      return;
    }
    // Bytes after a request that said `Connection: close`: RFC 9112 §9.6 says process no further
    // request, but the answers to the requests before it are still owed. Leave the connection to them
    // (node closes it after the last one); with nothing in flight, close it now.
    if (err.code === 'HPE_CLOSED_CONNECTION') {
      log.debug(`Ignored bytes after Connection: close from ${socket.remoteAddress ?? 'unknown'}`);
      if (!(socket as Socket & { _httpMessage?: object | null })._httpMessage) socket.destroySoon?.();
      return;
    }
    const { status, reason } = rejectionFor(err);
    log.debug(`Rejected request from ${socket.remoteAddress ?? 'unknown'} with ${status}: ${reason} (${err.code ?? err.message})`);
    // A response already under way on this connection cannot be followed by another one.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !socket.writableEnded && !inFlight?.headersSent) writeRejection(socket, status, reason);
    else socket.destroy();
  };
}

export { STATUS_TEXT };

/** RFC 9112 §3.2.3: authority-form = uri-host ":" port, the only target a CONNECT may have. */
const AUTHORITY_FORM = /^(?:\[[\w:.~!$&'()*+,;=-]+\]|(?:[\w.~!$&'()*+,;=-]|%[\da-fA-F]{2})+):\d+$/;

/**
 * node:http 'connect' listener: pre serves origin apps, not a proxy, so a CONNECT (RFC 9110 §9.3.6)
 * gets `501 Not Implemented` (not 405: that would claim the target resource exists and name the methods
 * it allows, which only the app knows), or `400` when its target is not host:port; then the connection
 * closes. Without it node closes the connection silently. A worker class that handles CONNECT adds its
 * own 'connect' listener, and this one stands aside.
 */
export function createConnectHandler(log: Logger): (this: EventEmitter, req: IncomingMessage, socket: Duplex) => void {
  return function onConnect(req, socket) {
    if (this.listenerCount('connect') > 1) return;
    const rejection = AUTHORITY_FORM.test(req.url ?? '')
      ? { status: 501, reason: 'CONNECT not implemented' }
      : { status: 400, reason: 'Invalid request target' };
    log.debug(`Rejected request from ${req.socket.remoteAddress ?? 'unknown'} with ${rejection.status}: ${rejection.reason}`);
    socket.on('error', () => socket.destroy());
    writeRejection(socket as Socket, rejection.status, rejection.reason);
  };
}
