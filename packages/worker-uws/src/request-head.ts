import { checkRequestHead, contentLengthRejection, parserLimits, type RequestLimits, type RequestRejection } from '@pre/core';
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
  /** The Content-Length (0 without one: uws takes no chunked bodies). */
  readonly contentLength: number;
  /** A header that `forwarded` (core's ForwardedHeaders) reads is present. */
  readonly forwarded: boolean;
  /** Why pre refuses the request (limits, framing, duplicate headers), or null. */
  readonly rejection: Rejection | null;
  /** How the connection ends after the answer, as the client's Connection header decides it. */
  readonly connection: ClientConnection;
}

/**
 * 'keep-alive': the client did not ask to close. 'close': it did (a `close` token) and uWS does not
 * know: pre must ask uWS to close (uWS then writes `Connection: close`). 'uws-closes': uWS's own rule
 * matched (the first Connection value is 5 characters long): uWS closes after the answer by itself and
 * writes no `Connection: close`, so pre writes the header.
 */
export type ClientConnection = 'keep-alive' | 'close' | 'uws-closes';

export type Rejection = RequestRejection;

/** How requests are read: pre's limits, and the header names of trusted-proxy handling (null: none). */
export interface HeadRules extends RequestLimits {
  readonly forwardedNames?: ReadonlySet<string> | null;
  /** limit_request_body: a Content-Length over it is refused with 413 (0 or absent: no limit). */
  readonly limit_request_body?: number;
}

const HOST = 1;
const CONTENT_TYPE = 2;
const CONTENT_LENGTH = 4;
const TRANSFER_ENCODING = 8;

const DIGITS = /^\d+$/;
/** A `close` token in a Connection value (case-insensitive list). */
const CLOSE_TOKEN = /(?:^|,)[ \t]*close[ \t]*(?:,|$)/i;
/**
 * What a target may hold besides what uWS already refuses (space, controls): printable ASCII, the
 * same set node:http accepts, without `#` (a fragment is not part of a request target). uWS hands
 * non-ASCII bytes over decoded as UTF-8 (a raw 0xFF arrives as U+FFFD), so any code above 0x7E is refused.
 */
const TARGET_OUTSIDE = /[^\x21\x22\x24-\x7e]/;

/** The last target TARGET_OUTSIDE passed: clients repeat theirs, so most skip the pattern. */
let lastValidTarget: string | undefined;

/**
 * Reads the request head and applies pre's request checks, as the node:http classes do (core's
 * `checkRequestHead`: limits, repeated single headers), then the framing checks (see `framingRejection`).
 */
export function readRequestHead(req: HttpRequest, rules: HeadRules): RequestHead {
  const method = req.getCaseSensitiveMethod();
  // getQuery() is undefined without a '?' and '' for a target ending in '?': keep the two apart.
  const query = req.getQuery() as string | undefined;
  const url = query === undefined ? req.getUrl() : `${req.getUrl()}?${query}`;
  const headers: string[] = [];
  const watched = rules.forwardedNames ?? null;
  let host = '';
  let contentLength = '';
  let transferEncoding = '';
  let connection: ClientConnection = 'keep-alive';
  let connectionSeen = false;
  let forwarded = false;
  let single = 0; // bit set of the framing headers seen (repeats are refused by checkRequestHead)
  req.forEach((name, value) => {
    headers.push(name, value);
    let bit = 0;
    switch (name.length) {
      case 4: if (name === 'host') { bit = HOST; host = value; } break;
      case 10:
        if (name === 'connection') {
          // uWS reads the first Connection field only, and only its length (5: "close").
          if (!connectionSeen && value.length === 5) connection = 'uws-closes';
          else if (connection === 'keep-alive' && CLOSE_TOKEN.test(value)) connection = 'close';
          connectionSeen = true;
        }
        break;
      case 12: if (name === 'content-type') bit = CONTENT_TYPE; break;
      case 14: if (name === 'content-length') { bit = CONTENT_LENGTH; contentLength = value; } break;
      case 17: if (name === 'transfer-encoding') { bit = TRANSFER_ENCODING; transferEncoding = value; } break;
    }
    if (bit !== 0) single |= bit;
    else if (watched !== null && !forwarded && watched.has(name)) {
      forwarded = true;
    }
  });
  const rejection = checkRequestHead(method, url, headers, rules) ?? framingRejection(method, url, single, contentLength, transferEncoding)
    ?? ((single & CONTENT_LENGTH) !== 0 ? contentLengthRejection(contentLength, rules.limit_request_body ?? 0) : null);
  const hasBody = (single & TRANSFER_ENCODING) !== 0 || ((single & CONTENT_LENGTH) !== 0 && contentLength !== '0');
  return { method, url, headers, host, hasBody, contentLength: hasBody && rejection === null ? Number(contentLength) : 0, forwarded, rejection, connection };
}

/**
 * RFC 9112 framing, for what uWS lets through to the route (its parser already closes, unanswered, a
 * request with both Content-Length and Transfer-Encoding, a non-numeric Content-Length, a bare
 * `Transfer-Encoding: gzip`, and never routes HTTP/1.0, asterisk-, authority- or absolute-form targets).
 * Chunked request bodies are refused (411): uWS parses chunk framing itself and accepts bare-LF lines,
 * a missing CRLF after the chunk data and forbidden trailer fields, which pre cannot see or check.
 */
function framingRejection(method: string, url: string, single: number, contentLength: string, transferEncoding: string): Rejection | null {
  if (method === 'CONNECT') return { status: 501, reason: 'CONNECT is not supported' };
  if (url.charCodeAt(0) !== 0x2f) return { status: 400, reason: 'Invalid request target' }; // uWS routes origin-form only
  if (url !== lastValidTarget) {
    if (TARGET_OUTSIDE.test(url)) return { status: 400, reason: 'Invalid request target' };
    lastValidTarget = url;
  }
  if ((single & (CONTENT_LENGTH | TRANSFER_ENCODING)) === 0) return null;
  if (single & TRANSFER_ENCODING) {
    if (single & CONTENT_LENGTH) return { status: 400, reason: 'Both Content-Length and Transfer-Encoding' };
    const codings = transferEncoding.split(',').map((c) => c.trim().toLowerCase());
    if (codings.at(-1) !== 'chunked' || codings.indexOf('chunked') !== codings.length - 1) {
      return { status: 400, reason: 'Transfer-Encoding must end with chunked, once' };
    }
    if (codings.length > 1) return { status: 501, reason: `Unsupported transfer coding ${codings[0]}` };
    return { status: 411, reason: 'Chunked request bodies are not accepted on uws: send a Content-Length' };
  }
  if (!DIGITS.test(contentLength)) return { status: 400, reason: 'Invalid Content-Length' };
  return null;
}

/** The most header fields uWS (this build) routes: a request with more is held ~10 s and closed unanswered. */
export const UWS_MAX_HEADER_FIELDS = 48;

/** The size uWS's header buffer needs for requests pre's limits accept: node:http's maxHeaderSize (see parserLimits). */
export function maxHeaderBytes(limits: RequestLimits): number {
  return parserLimits(limits).maxHeaderSize;
}
