import type { Settings } from '@pre/core';
import type { HttpRequest } from './native.js';

/** What is read from uWS's HttpRequest, which is only valid during the route callback. */
export interface RequestHead {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  /** Flat [name, value, ...], names lower-case (uWS lower-cases them). */
  readonly headers: string[];
  readonly host: string;
  readonly hasBody: boolean;
  /** Why pre refuses the request (Gunicorn's limits, duplicate headers), or null. */
  readonly rejection: { readonly status: number; readonly reason: string } | null;
}

type Limits = Pick<Settings, 'limit_request_line' | 'limit_request_fields' | 'limit_request_field_size'>;

/**
 * Reads the request head and applies pre's request checks, as the node:http classes do: a request
 * line over `limit_request_line` is 414, too many or too large header fields are 431, a repeated
 * Host, Content-Type, Content-Length or Transfer-Encoding is 400.
 */
export function readRequestHead(req: HttpRequest, limits: Limits): RequestHead {
  const method = req.getCaseSensitiveMethod();
  const query = req.getQuery();
  const url = query ? `${req.getUrl()}?${query}` : req.getUrl();
  const headers: string[] = [];
  let host = '';
  let hasBody = false;
  let rejection: RequestHead['rejection'] = null;
  let single = 0; // bit set of the single-occurrence headers seen
  const sizeLimit = limits.limit_request_field_size;
  req.forEach((name, value) => {
    headers.push(name, value);
    if (sizeLimit > 0 && name.length + value.length + 2 > sizeLimit) rejection ??= { status: 431, reason: 'Header field too large' };
    let bit = 0;
    switch (name.length) {
      case 4: if (name === 'host') { bit = 1; host = value; } break;
      case 12: if (name === 'content-type') bit = 2; break;
      case 14: if (name === 'content-length') { bit = 4; if (value !== '0') hasBody = true; } break;
      case 17: if (name === 'transfer-encoding') { bit = 8; hasBody = true; } break;
    }
    if (bit !== 0) {
      if (single & bit) rejection ??= { status: 400, reason: `Duplicate ${name} header` };
      single |= bit;
    }
  });
  const lineLimit = limits.limit_request_line;
  if (lineLimit > 0 && method.length + url.length + 10 > lineLimit) rejection = { status: 414, reason: 'Request line too long' };
  else if (limits.limit_request_fields > 0 && headers.length / 2 > limits.limit_request_fields) rejection = { status: 431, reason: 'Too many header fields' };
  return { method, url, headers, host, hasBody, rejection };
}

/** The size uWS's header buffer needs for requests pre's limits accept (capped at 1 MiB, as node:http). */
export function maxHeaderBytes(limits: Limits): number {
  const { limit_request_line: line, limit_request_fields: fields, limit_request_field_size: size } = limits;
  const total = line > 0 && fields > 0 && size > 0 ? line + fields * (size + 2) + 4 : 1024 * 1024;
  return Math.min(Math.max(total, 16 * 1024), 1024 * 1024);
}
