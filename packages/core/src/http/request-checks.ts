import type { IncomingMessage } from 'node:http';
import type { Settings } from '../settings/registry.js';

export interface RequestRejection {
  readonly status: number;
  readonly reason: string;
}

export type RequestLimits = Pick<Settings, 'limit_request_line' | 'limit_request_fields' | 'limit_request_field_size'>;

/** Headers a request may carry only once (Gunicorn rejects duplicate Host and Content-Type too), as bits. */
const HOST = 1;
const CONTENT_TYPE = 2;
const CONTENT_LENGTH = 4;
const TRANSFER_ENCODING = 8;

function singleHeaderBit(name: string): number {
  switch (name.length) {
    case 4: return name.toLowerCase() === 'host' ? HOST : 0;
    case 12: return name.toLowerCase() === 'content-type' ? CONTENT_TYPE : 0;
    case 14: return name.toLowerCase() === 'content-length' ? CONTENT_LENGTH : 0;
    case 17: return name.toLowerCase() === 'transfer-encoding' ? TRANSFER_ENCODING : 0;
    default: return 0;
  }
}

/**
 * What node:http's parser lets through but pre refuses: Gunicorn's request limits, duplicate Host or
 * Content-Type (node keeps the first one silently) and HTTP versions other than 1.x.
 */
export function checkRequest(req: IncomingMessage, limits: RequestLimits): RequestRejection | null {
  if (req.httpVersionMajor !== 1) return { status: 400, reason: 'Invalid HTTP version' };
  return checkRequestHead(req.method ?? '', req.url ?? '', req.rawHeaders, limits);
}

/**
 * Gunicorn's request limits and the single-occurrence headers, for any server: a request line over
 * `limit_request_line` is 414, too many or too large header fields are 431, a repeated Host,
 * Content-Type, Content-Length or Transfer-Encoding is 400. `rawHeaders` is flat: [name, value, ...].
 */
export function checkRequestHead(method: string, url: string, rawHeaders: readonly string[], limits: RequestLimits): RequestRejection | null {
  const lineLimit = limits.limit_request_line;
  if (lineLimit > 0 && method.length + url.length + 10 > lineLimit) return { status: 414, reason: 'Request line too long' };
  const fieldLimit = limits.limit_request_fields;
  if (fieldLimit > 0 && rawHeaders.length / 2 > fieldLimit) return { status: 431, reason: 'Too many header fields' };
  const sizeLimit = limits.limit_request_field_size;
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (sizeLimit > 0 && name.length + 2 + rawHeaders[i + 1]!.length > sizeLimit) return { status: 431, reason: 'Header field too large' };
    const bit = singleHeaderBit(name);
    if (bit === 0) continue;
    if (seen & bit) return { status: 400, reason: `Duplicate ${name.toLowerCase()} header` };
    seen |= bit;
  }
  return null;
}

/**
 * node:http's own limits, set from pre's so its parser never stops a request pre would accept:
 * the whole header block and the header count.
 */
export function parserLimits(limits: RequestLimits): { maxHeaderSize: number; maxHeadersCount: number } {
  const { limit_request_line: line, limit_request_fields: fields, limit_request_field_size: size } = limits;
  const total = line > 0 && fields > 0 && size > 0 ? line + fields * (size + 2) + 4 : 1024 * 1024;
  return {
    maxHeaderSize: Math.min(Math.max(total, 16 * 1024), 1024 * 1024),
    // No count limit in the parser: newer Node versions answer an excess themselves, with a different
    // reason; the header block is bounded by maxHeaderSize and checkRequest counts the fields.
    maxHeadersCount: 0,
  };
}
