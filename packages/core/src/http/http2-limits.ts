import type { SecureServerOptions } from 'node:http2';
import type { Http2ServerRequest } from 'node:http2';
import type { Settings } from '../settings/registry.js';
import { checkRequestHead, checkTarget, type RequestRejection } from './request-checks.js';

type Http2Limits = Pick<Settings,
  'http2_max_concurrent_streams' | 'http2_initial_window_size' | 'http2_max_frame_size' | 'http2_max_header_list_size' |
  'limit_request_line' | 'limit_request_fields' | 'limit_request_field_size'>;

/** A session's buffered frames, HPACK tables and stream state may take this many MB before node refuses new streams. */
const MAX_SESSION_MEMORY_MB = 10;
/** SETTINGS frames and unanswered PINGs a client may have outstanding: beyond these the session ends (flood bound). */
const MAX_SETTINGS = 32;
const MAX_OUTSTANDING_PINGS = 10;
/** Invalid frames, and streams refused because the client is over its limit (rapid reset), before the session ends. */
const MAX_INVALID_FRAMES = 100;
const MAX_REJECTED_STREAMS = 100;

/**
 * node:http2 server options from the settings: the four Gunicorn settings go out in SETTINGS, and
 * node's own bounds (session memory, header pairs, SETTINGS/PING floods, invalid frames, rejected
 * streams: the rapid-reset bound) are set explicitly so they do not drift between Node versions.
 */
export function http2ServerOptions(limits: Http2Limits): SecureServerOptions {
  const fields = limits.limit_request_fields;
  return {
    maxSessionMemory: MAX_SESSION_MEMORY_MB,
    // Pseudo-headers count as pairs; a few over limit_request_fields still reach pre's check (431).
    maxHeaderListPairs: fields > 0 ? fields + 16 : 4096,
    maxSettings: MAX_SETTINGS,
    maxOutstandingPings: MAX_OUTSTANDING_PINGS,
    maxSessionInvalidFrames: MAX_INVALID_FRAMES,
    maxSessionRejectedStreams: MAX_REJECTED_STREAMS,
    settings: {
      enablePush: false,
      maxConcurrentStreams: limits.http2_max_concurrent_streams,
      initialWindowSize: limits.http2_initial_window_size,
      maxFrameSize: limits.http2_max_frame_size,
      ...(limits.http2_max_header_list_size > 0 ? { maxHeaderListSize: limits.http2_max_header_list_size } : {}),
    },
  };
}

/**
 * pre's request limits on one HTTP/2 stream, as on HTTP/1.1: too many or too large header fields are
 * 431, a long `:path` 414, a repeated single header 400, an invalid `:authority`/Host 400. Run after
 * `adaptHttp2Request`, so `rawHeaders` holds the regular fields only. Framing (Transfer-Encoding) does
 * not exist in HTTP/2: nghttp2 refuses connection-specific fields itself.
 */
export function checkHttp2Request(req: Pick<Http2ServerRequest, 'method' | 'url' | 'rawHeaders' | 'headers'>, limits: Http2Limits): RequestRejection | null {
  const method = req.method ?? '';
  const url = req.url ?? '';
  const head = checkRequestHead(method, url, req.rawHeaders, limits);
  if (head) return head;
  if (method === 'CONNECT') return null;
  return checkTarget(method, url, req.headers.host, false);
}
