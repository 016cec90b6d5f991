import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http';
import type { AccessLogEntry } from '../logging/access-log.js';

function headerText(value: OutgoingHttpHeader | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/** The access log entry of a node:http exchange. */
export function nodeAccessLogEntry(
  req: IncomingMessage,
  res: ServerResponse,
  startTime: number,
  durationMs: number,
  bytes: number | undefined,
): AccessLogEntry {
  return {
    remoteAddress: req.socket.remoteAddress,
    method: req.method ?? '',
    url: req.url ?? '',
    httpVersion: req.httpVersion,
    status: res.statusCode,
    bytes,
    requestHeader: (name) => headerText(req.headers[name]),
    responseHeader: (name) => headerText(res.getHeader(name)),
    startTime,
    durationMs,
    pid: process.pid,
  };
}

/** Counts the body bytes an app writes (only done when the access log, metrics or post_request need them). */
export function countResponseBytes(res: ServerResponse): () => number {
  let bytes = 0;
  const add = (chunk: unknown, encoding?: unknown): void => {
    if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk && typeof (chunk as ArrayBufferView).byteLength === 'number') bytes += (chunk as ArrayBufferView).byteLength;
  };
  const write = res.write;
  const end = res.end;
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    add(chunk, rest[0]);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk !== 'function') add(chunk, rest[0]);
    return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];
  return () => bytes;
}
