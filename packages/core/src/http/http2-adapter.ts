import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/** What the access log, hooks and fetch apps read of a stream's connection. */
const CONNECTION_FACTS = ['remoteAddress', 'remotePort', 'remoteFamily', 'localAddress', 'localPort', 'encrypted'] as const;

/** Compatibility-API properties whose getters read a pseudo-header. */
const PSEUDO_PROPERTIES = [['method', ':method'], ['url', ':path'], ['scheme', ':scheme'], ['authority', ':authority']] as const;

/**
 * What an app sees of an HTTP/2 request through node's compatibility API, made to look like HTTP/1.1
 * where it matters to unmodified apps: the pseudo-headers (`:method`, `:path`, `:scheme`,
 * `:authority`) leave `headers` and `rawHeaders` (a fetch `Headers` refuses such names, and apps that
 * copy headers would forward them), `:authority` becomes `host` when the client sent no Host, and a
 * body sent without Content-Length carries `transfer-encoding: chunked` (the one synthetic header).
 * What stays different: `req.httpVersion` is '2.0'; connection-specific headers (Connection,
 * Keep-Alive, Transfer-Encoding, Upgrade) do not exist; `req.socket` is a per-stream view of the
 * connection shared by every stream on it (reads go to the connection; addresses set on it stay with the stream).
 */
export function adaptHttp2Request(req: Http2ServerRequest): void {
  const headers = req.headers as Record<string, string | string[] | undefined>;
  const raw = req.rawHeaders;
  const authority = headers[':authority'];
  // node's getters read these from `headers`: keep them as plain (writable: Express rewrites url) properties first.
  for (const [name, header] of PSEUDO_PROPERTIES) {
    Object.defineProperty(req, name, { value: headers[header], writable: true, configurable: true, enumerable: true });
  }
  // Each stream its own view of the shared connection: forwarded headers (forwarded.ts) set the client's
  // address and scheme per request, and streams of one proxy connection may come from different clients.
  const connection = req.socket as unknown as Record<(typeof CONNECTION_FACTS)[number], unknown>;
  const view = Object.create(connection) as object;
  // Kept from now: node's proxy reads the stream's connection, which is gone once the stream closes (access log time).
  for (const name of CONNECTION_FACTS) Object.defineProperty(view, name, { value: connection[name], writable: true, configurable: true });
  Object.defineProperty(req, 'socket', { value: view, writable: true, configurable: true });
  Object.defineProperty(req, 'connection', { value: view, writable: true, configurable: true });
  let pseudo = 0;
  while (pseudo < raw.length && raw[pseudo]!.charCodeAt(0) === 0x3a /* : */) pseudo += 2;
  if (pseudo > 0) raw.splice(0, pseudo);
  delete headers[':method'];
  delete headers[':path'];
  delete headers[':scheme'];
  delete headers[':authority'];
  delete headers[':protocol'];
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

/** Every method and accessor of a compatibility class, from its prototype up to (not including) the stream base. */
function ownDescriptors(proto: object): [string | symbol, PropertyDescriptor][] {
  return Reflect.ownKeys(proto)
    .filter((key) => key !== 'constructor')
    .map((key) => [key, Object.getOwnPropertyDescriptor(proto, key)!]);
}

/**
 * The compatibility classes' descriptors, read from the first stream's own objects (their classes are
 * not exported under a stable path, and importing node:http2 would load TLS into every worker).
 */
let descriptors: { request: [string | symbol, PropertyDescriptor][]; response: [string | symbol, PropertyDescriptor][] } | null = null;

/**
 * Makes a compatibility request and response keep working when an app swaps their prototypes, as
 * Express does (`Object.setPrototypeOf(req, app.request)`, whose chain is http.IncomingMessage's and
 * http.ServerResponse's, not the compatibility classes'): their own methods and accessors are copied
 * onto the objects, so Express's methods on top find `headers`, `setHeader`, `end` and the rest of the
 * HTTP/2 versions. This is pre's adapter for node listeners on HTTP/2; it costs a few dozen property
 * definitions per stream, only on HTTP/2.
 */
export function pinHttp2Prototypes(req: Http2ServerRequest, res: Http2ServerResponse): void {
  descriptors ??= { request: ownDescriptors(Object.getPrototypeOf(req) as object), response: ownDescriptors(Object.getPrototypeOf(res) as object) };
  for (const [key, descriptor] of descriptors.request) if (!Object.prototype.hasOwnProperty.call(req, key)) Object.defineProperty(req, key, descriptor);
  for (const [key, descriptor] of descriptors.response) if (!Object.prototype.hasOwnProperty.call(res, key)) Object.defineProperty(res, key, descriptor);
}
