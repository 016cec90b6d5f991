import type { IncomingHttpHeaders, Http2ServerRequest, Http2ServerResponse, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { connectionView } from './http2-connection-view.js';
import { pinnedClasses } from './http2-pin.js';

/** The classes node:http2's createServer builds each stream's request and response from (its options of the same names). */
export interface Http2CompatClasses {
  readonly Http2ServerRequest: typeof Http2ServerRequest;
  readonly Http2ServerResponse: typeof Http2ServerResponse;
}

/**
 * Subclasses of node's compatibility classes that make what an app sees of an HTTP/2 request look like
 * HTTP/1.1 where it matters to unmodified apps, done as node builds each object (no per-request work in
 * the request listener):
 * - the pseudo-headers (`:method`, `:path`, `:scheme`, `:authority`) leave `headers` and `rawHeaders`
 *   (a fetch `Headers` refuses such names, and apps that copy headers would forward them); `method`,
 *   `url`, `scheme` and `authority` become own writable properties (Express rewrites `url`);
 * - `:authority` becomes `host` when the client sent no Host, and a body sent without Content-Length
 *   carries `transfer-encoding: chunked` (the one synthetic header);
 * - `req.socket` and `req.connection` are a per-stream view of the shared connection (http2-connection-view.ts).
 * With `pin` (node listeners, which may swap prototypes as Express does), every member of the
 * compatibility classes is also an own property of each object (http2-pin.ts).
 * What stays different: `req.httpVersion` is '2.0'; connection-specific headers (Connection,
 * Keep-Alive, Transfer-Encoding, Upgrade) do not exist.
 */
export function http2CompatClasses(http2: typeof import('node:http2'), { pin }: { pin: boolean }): Http2CompatClasses {
  const readSocket = Object.getOwnPropertyDescriptor(http2.Http2ServerRequest.prototype, 'socket')!.get!;
  class AdaptedRequest extends http2.Http2ServerRequest {
    // Class fields are defined, not assigned (assigning `method` or `url` would call node's setters, which
    // write the pseudo-header), in one order: every request has one shape. Read before adaptHeaders.
    override method = this.headers[':method']!;
    override url = this.headers[':path']!;
    override scheme = this.headers[':scheme']!;
    override authority = this.headers[':authority']!;
    override socket = connectionView(this.stream, readSocket.call(this) as object) as Socket;
    override connection = this.socket;

    constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, options: object | undefined, rawHeaders: string[]) {
      super(stream, headers, options as ConstructorParameters<typeof http2.Http2ServerRequest>[2], rawHeaders);
      adaptHeaders(this);
    }
  }
  if (!pin) return { Http2ServerRequest: AdaptedRequest, Http2ServerResponse: http2.Http2ServerResponse };
  const pinned = pinnedClasses(AdaptedRequest, http2.Http2ServerResponse, ADAPTED);
  return { Http2ServerRequest: pinned.Request, Http2ServerResponse: pinned.Response };
}

/** The request properties AdaptedRequest defines itself. */
const ADAPTED: ReadonlySet<string> = new Set(['method', 'url', 'scheme', 'authority', 'socket', 'connection']);

/** Takes the pseudo-headers out of `headers` and `rawHeaders`; adds `host` and `transfer-encoding` where HTTP/1.1 would have them. */
function adaptHeaders(req: Http2ServerRequest): void {
  // node reads `:method` from these headers after building the request, to send a CONNECT to 'connect'
  // (405 without a listener) rather than to the app: left as they are.
  if (req.method === 'CONNECT') return;
  const headers = req.headers as Record<string, string | string[] | undefined>;
  const raw = req.rawHeaders;
  let pseudo = 0;
  while (pseudo < raw.length && raw[pseudo]!.charCodeAt(0) === 0x3a /* : */) pseudo += 2;
  if (pseudo > 0) raw.splice(0, pseudo);
  delete headers[':method'];
  delete headers[':path'];
  delete headers[':scheme'];
  delete headers[':authority'];
  delete headers[':protocol'];
  const authority = req.authority;
  if (headers.host === undefined && typeof authority === 'string') {
    headers.host = authority;
    raw.push('host', authority);
  }
  // A body of unknown length (DATA frames, no Content-Length) reads as HTTP/1.1's chunked body: body
  // parsers (type-is's hasBody, raw-body) look for one of the two headers before reading at all.
  if (!req.stream.endAfterHeaders && headers['content-length'] === undefined) {
    headers['transfer-encoding'] = 'chunked';
    raw.push('transfer-encoding', 'chunked');
  }
}
