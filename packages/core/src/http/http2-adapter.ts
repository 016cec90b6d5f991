import type { Http2ServerRequest } from 'node:http2';

/** Compatibility-API properties whose getters read a pseudo-header. */
const PSEUDO_PROPERTIES = [['method', ':method'], ['url', ':path'], ['scheme', ':scheme'], ['authority', ':authority']] as const;

/**
 * What an app sees of an HTTP/2 request through node's compatibility API, made to look like HTTP/1.1
 * where it matters to unmodified apps: the pseudo-headers (`:method`, `:path`, `:scheme`,
 * `:authority`) leave `headers` and `rawHeaders` (a fetch `Headers` refuses such names, and apps that
 * copy headers would forward them), and `:authority` becomes `host` when the client sent no Host.
 * What stays different: `req.httpVersion` is '2.0'; connection-specific headers (Connection,
 * Keep-Alive, Transfer-Encoding, Upgrade) do not exist; `req.socket` is a proxy of the connection
 * shared by every stream on it.
 */
export function adaptHttp2Request(req: Http2ServerRequest): void {
  const headers = req.headers as Record<string, string | string[] | undefined>;
  const raw = req.rawHeaders;
  const authority = headers[':authority'];
  // node's getters read these from `headers`: keep them as plain (writable: Express rewrites url) properties first.
  for (const [name, header] of PSEUDO_PROPERTIES) {
    Object.defineProperty(req, name, { value: headers[header], writable: true, configurable: true, enumerable: true });
  }
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
}

/** True when the request arrived over HTTP/2 (node's compatibility API). */
export function isHttp2Request(req: { readonly httpVersionMajor: number }): boolean {
  return req.httpVersionMajor === 2;
}
