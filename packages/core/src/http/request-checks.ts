import type { IncomingMessage } from 'node:http';
import type { Settings } from '../settings/registry.js';

export interface RequestRejection {
  readonly status: number;
  readonly reason: string;
}

type Limits = Pick<Settings, 'limit_request_line' | 'limit_request_fields' | 'limit_request_field_size'>;

/** Headers a request may carry only once (Gunicorn rejects duplicate Host and Content-Type too). */
const SINGLE_HEADERS = new Set(['host', 'content-type', 'content-length', 'transfer-encoding']);
const SINGLE_LENGTHS = new Set([...SINGLE_HEADERS].map((n) => n.length));

/**
 * What node:http's parser lets through but pre refuses: Gunicorn's request limits, duplicate Host or
 * Content-Type (node keeps the first one silently) and HTTP versions other than 1.x.
 */
export function checkRequest(req: IncomingMessage, limits: Limits): RequestRejection | null {
  if (req.httpVersionMajor !== 1) return { status: 400, reason: 'Invalid HTTP version' };
  const lineLimit = limits.limit_request_line;
  if (lineLimit > 0 && (req.method ?? '').length + (req.url ?? '').length + 10 > lineLimit) {
    return { status: 414, reason: 'Request line too long' };
  }
  const raw = req.rawHeaders;
  const fieldLimit = limits.limit_request_fields;
  if (fieldLimit > 0 && raw.length / 2 > fieldLimit) return { status: 431, reason: 'Too many header fields' };
  const sizeLimit = limits.limit_request_field_size;
  let seen: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (sizeLimit > 0 && name.length + 2 + raw[i + 1]!.length > sizeLimit) return { status: 431, reason: 'Header field too large' };
    const lower = SINGLE_LENGTHS.has(name.length) ? name.toLowerCase() : '';
    if (SINGLE_HEADERS.has(lower)) {
      seen ??= new Set();
      if (seen.has(lower)) return { status: 400, reason: `Duplicate ${lower} header` };
      seen.add(lower);
    }
  }
  return null;
}

/**
 * node:http's own limits, set from pre's so its parser never stops a request pre would accept:
 * the whole header block and the header count.
 */
export function parserLimits(limits: Limits): { maxHeaderSize: number; maxHeadersCount: number } {
  const { limit_request_line: line, limit_request_fields: fields, limit_request_field_size: size } = limits;
  const total = line > 0 && fields > 0 && size > 0 ? line + fields * (size + 2) + 4 : 1024 * 1024;
  return {
    maxHeaderSize: Math.min(Math.max(total, 16 * 1024), 1024 * 1024),
    // No count limit in the parser: newer Node versions answer an excess themselves, with a different
    // reason; the header block is bounded by maxHeaderSize and checkRequest counts the fields.
    maxHeadersCount: 0,
  };
}
