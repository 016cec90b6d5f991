import type { Socket } from 'node:net';
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
  505: 'HTTP Version Not Supported',
};

/** node:http parser errors (llhttp codes) → the status and a short reason that echoes nothing of the input. */
function rejectionFor(err: NodeJS.ErrnoException): Rejection {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': return { status: 431, reason: 'Request header fields too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT': return { status: 408, reason: 'Request timeout' };
    case 'HPE_INVALID_METHOD': return { status: 400, reason: 'Invalid method' };
    case 'HPE_INVALID_VERSION': return { status: 400, reason: 'Invalid HTTP version' };
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
export function createClientErrorHandler(log: Logger): (err: NodeJS.ErrnoException, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      socket.destroy();
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
