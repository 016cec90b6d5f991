import type { IncomingMessage } from 'node:http';
import type { Settings } from '../settings/registry.js';

export interface RequestRejection {
  readonly status: number;
  readonly reason: string;
}

export type RequestLimits = Pick<Settings, 'limit_request_line' | 'limit_request_fields' | 'limit_request_field_size'>;

/** What checkRequest reads of a parsed request (an IncomingMessage, or a plain object in tests). */
export type ParsedRequest = Pick<IncomingMessage, 'method' | 'url' | 'httpVersionMajor' | 'httpVersionMinor' | 'rawHeaders'>;

/** Headers a request may carry only once (Gunicorn rejects duplicate Host and Content-Type too), as bits. */
const HOST_BIT = 1;
const CONTENT_TYPE_BIT = 2;
const CONTENT_LENGTH_BIT = 4;
const TRANSFER_ENCODING_BIT = 8;

function singleHeaderBit(name: string): number {
  switch (name.length) {
    case 4: return name.toLowerCase() === 'host' ? HOST_BIT : 0;
    case 12: return name.toLowerCase() === 'content-type' ? CONTENT_TYPE_BIT : 0;
    case 14: return name.toLowerCase() === 'content-length' ? CONTENT_LENGTH_BIT : 0;
    case 17: return name.toLowerCase() === 'transfer-encoding' ? TRANSFER_ENCODING_BIT : 0;
    default: return 0;
  }
}

/**
 * What the last `checkRequestHead` scan found, for `checkRequest` to go on with: module state instead
 * of a result object, because this runs on every request and the scan is synchronous.
 */
let scannedHost: string | undefined;
let scannedTransferEncoding: string | undefined;

/** RFC 9110 §7.2: Host = uri-host [ ":" port ]; uri-host is an IP literal in brackets or a reg-name. */
const HOST = /^(?:\[[\w:.~!$&'()*+,;=-]+\]|(?:[\w.~!$&'()*+,;=-]|%[\da-fA-F]{2})*)(?::\d*)?$/;
/** RFC 9112 §3.2.2: absolute-form, scheme "://" authority; the authority is what Host must repeat. */
const ABSOLUTE_FORM = /^[a-zA-Z][a-zA-Z\d+.-]*:\/\/([^/?#]*)/;

/**
 * What node:http's parser lets through but pre refuses (RFC 9112 and RFC 9110 MUSTs, Gunicorn's
 * limits): versions other than 1.0/1.1; request targets in a form the method does not allow; a missing,
 * repeated or invalid Host, or one that differs from an absolute-form target; duplicate single headers
 * (node keeps the first one silently); a Transfer-Encoding on HTTP/1.0, an empty one, or a coding other
 * than chunked. One scan of `rawHeaders`, no `req.headers` built: this runs on every request.
 */
export function checkRequest(req: ParsedRequest, limits: RequestLimits): RequestRejection | null {
  // HTTP/0.9's request line has no version at all: not an HTTP/1 request line. Others are well-formed but unsupported.
  if (req.httpVersionMajor === 0) return { status: 400, reason: 'Invalid HTTP version' };
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) return { status: 505, reason: 'HTTP version not supported' };
  const method = req.method ?? '';
  const url = req.url ?? '';
  const headRejection = checkRequestHead(method, url, req.rawHeaders, limits);
  if (headRejection) return headRejection;
  const host = scannedHost;
  const transferEncoding = scannedTransferEncoding;
  const targetRejection = checkTarget(method, url, host, req.httpVersionMinor === 1);
  if (targetRejection) return targetRejection;
  if (transferEncoding !== undefined) return checkTransferEncoding(transferEncoding, req.httpVersionMinor);
  return null;
}

/**
 * Gunicorn's request limits and the single-occurrence headers, for any server: a request line over
 * `limit_request_line` is 414, too many or too large header fields are 431, a repeated Host,
 * Content-Type, Content-Length or Transfer-Encoding is 400. `rawHeaders` is flat: [name, value, ...].
 */
export function checkRequestHead(method: string, url: string, rawHeaders: readonly string[], limits: RequestLimits): RequestRejection | null {
  scannedHost = undefined;
  scannedTransferEncoding = undefined;
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
    if (bit === HOST_BIT) scannedHost = rawHeaders[i + 1]!;
    else if (bit === TRANSFER_ENCODING_BIT) scannedTransferEncoding = rawHeaders[i + 1]!;
  }
  return null;
}

/** The last Host value HOST accepted: clients repeat theirs on every request, so most skip the pattern. */
let lastValidHost: string | undefined;

/**
 * RFC 9112 §3.2: the request-target form must suit the method (asterisk-form for OPTIONS only,
 * authority-form for CONNECT only, no fragment), and Host must be there on HTTP/1.1, valid, and equal
 * to the authority of an absolute-form target (userinfo in it is an error, RFC 9110 §4.2.4).
 */
export function checkTarget(method: string, url: string, host: string | undefined, http11: boolean): RequestRejection | null {
  if (http11 && host === undefined) return { status: 400, reason: 'Missing Host header' };
  if (host !== undefined && host !== lastValidHost) {
    if (!HOST.test(host)) return { status: 400, reason: 'Invalid Host header' };
    lastValidHost = host;
  }
  const first = url.charCodeAt(0);
  if (first === 0x2f /* / */) {
    return url.includes('#') ? { status: 400, reason: 'Invalid request target' } : null;
  }
  if (url === '*') return method === 'OPTIONS' ? null : { status: 400, reason: 'Invalid request target' };
  const absolute = ABSOLUTE_FORM.exec(url);
  if (!absolute || url.includes('#')) return { status: 400, reason: 'Invalid request target' };
  const authority = absolute[1]!;
  if (authority.includes('@')) return { status: 400, reason: 'Invalid request target' };
  if (host !== undefined && host.toLowerCase() !== authority.toLowerCase()) return { status: 400, reason: 'Host does not match the request target' };
  return null;
}

/**
 * RFC 9112 §6.1 and §6.3: a Transfer-Encoding on HTTP/1.0 means faulty framing; the codings must be a
 * non-empty list ending in chunked, with chunked once; a coding pre does not decode before it is 501
 * (node would hand the app the still-encoded bytes as the body).
 */
export function checkTransferEncoding(value: string, httpVersionMinor: number): RequestRejection | null {
  if (httpVersionMinor === 0) return { status: 400, reason: 'Transfer-Encoding on HTTP/1.0' };
  if (value.length === 7 && value.toLowerCase() === 'chunked') return null;
  const codings = value.split(',');
  for (let i = 0; i < codings.length; i++) {
    const coding = codings[i]!.trim().toLowerCase();
    if (coding === '') return { status: 400, reason: 'Invalid Transfer-Encoding' };
    const last = i === codings.length - 1;
    if ((coding === 'chunked') !== last) return { status: 400, reason: 'Invalid Transfer-Encoding' };
  }
  return codings.length === 1 ? null : { status: 501, reason: 'Transfer coding not implemented' };
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
