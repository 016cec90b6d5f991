import type { Http2Server, SecureServerOptions, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { Http2ServerRequest } from 'node:http2';
import type { Socket } from 'node:net';
import type { Logger } from '../logging/error-log.js';
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
 * RFC 9113 §6.5.2's size of a header list: each field's name and value plus 32, pseudo-headers included
 * (`:method`, `:path`, and `:scheme`/`:authority` counted at their overhead). node:http2 holds incoming
 * blocks to SETTINGS_MAX_HEADER_LIST_SIZE only once the client has acknowledged it: pre covers the
 * streams before that (a client's first requests), with a 431.
 */
function headerListSize(method: string, url: string, rawHeaders: readonly string[]): number {
  let size = method.length + url.length + 4 * 32;
  for (let i = 0; i < rawHeaders.length; i++) size += rawHeaders[i]!.length + (i % 2 === 0 ? 32 : 0);
  return size;
}

/**
 * pre's request limits on one HTTP/2 stream, as on HTTP/1.1: a header list over
 * http2_max_header_list_size, too many or too large header fields are 431, a long `:path` 414, a repeated single header 400, an invalid `:authority`/Host 400. Run after
 * the request class's adaptation (http2-adapter.ts), so `rawHeaders` holds the regular fields only. Framing (Transfer-Encoding) does
 * not exist in HTTP/2: nghttp2 refuses connection-specific fields itself.
 */
export function checkHttp2Request(req: Pick<Http2ServerRequest, 'method' | 'url' | 'rawHeaders' | 'headers'>, limits: Http2Limits): RequestRejection | null {
  const method = req.method ?? '';
  const url = req.url ?? '';
  const listLimit = limits.http2_max_header_list_size;
  if (listLimit > 0 && headerListSize(method, url, req.rawHeaders) > listLimit) return { status: 431, reason: 'Header list too large' };
  const head = checkRequestHead(method, url, req.rawHeaders, limits);
  if (head) return head;
  if (method === 'CONNECT') return null;
  return checkTarget(method, url, req.headers.host, false);
}

/** Client resets a session may make before pre looks at their share of its streams. */
const RESET_ALLOWANCE = 200;

/**
 * Rapid reset (CVE-2023-44487) bound of pre's own, on top of nghttp2's: a session whose client has
 * reset more than RESET_ALLOWANCE streams, and more than half of all it opened, gets GOAWAY
 * ENHANCE_YOUR_CALM and is closed. Clients that cancel now and then (a browser navigating away)
 * stay far below both. Its connection stops being read at once: node reads up to 32 chunks of 64 KiB
 * from a socket in one go, ~900 opened-and-reset streams each, and every one of them reaches the app
 * (measured: stopping at once halves what one attacking connection costs; see docs/security.md, HTTP/2).
 */
export function boundClientResets(server: Http2Server, log: Logger): void {
  // node makes the session of a connection synchronously inside 'connection': pair them here (the
  // session's own `socket` is a proxy that refuses destroy()).
  let connecting: Socket | null = null;
  server.prependListener('connection', (socket: Socket) => (connecting = socket));
  server.on('session', (session: ServerHttp2Session) => {
    const socket = connecting;
    connecting = null;
    let opened = 0;
    let reset = 0;
    let ending = false;
    // One listener per session for all its streams; a stream emits 'close' once (`on`: no wrapper per stream).
    function streamClosed(this: ServerHttp2Stream): void {
      // Reset before pre answered: by the client (an answered stream closes with NO_ERROR, 0).
      if (this.rstCode === 0 || this.headersSent) return;
      if (++reset <= RESET_ALLOWANCE || reset * 2 <= opened || ending) return;
      ending = true;
      log.warning(`Closing an HTTP/2 connection from ${session.socket?.remoteAddress ?? 'unknown'}: the client reset ${reset} of ${opened} streams (rapid reset)`);
      // No more reading: the frames already read are all that this connection costs.
      socket?.destroy();
      // Not from inside nghttp2's frame processing: destroying a session there aborts Node 20 (node_http2.cc CheckAllocatedSize).
      setImmediate(() => {
        if (session.destroyed) return;
        session.goaway(0xb /* ENHANCE_YOUR_CALM */);
        session.destroy();
      });
    }
    session.on('stream', (stream: ServerHttp2Stream) => {
      opened++;
      stream.on('close', streamClosed);
    });
  });
}
