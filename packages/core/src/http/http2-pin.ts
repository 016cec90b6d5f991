import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

type Keyed = Record<string | symbol, unknown>;
type Constructor = new (...args: never[]) => Keyed;

/**
 * Subclasses whose objects keep working when an app swaps their prototypes, as Express does
 * (`Object.setPrototypeOf(req, app.request)`, whose chain is http.IncomingMessage's and
 * http.ServerResponse's, not the compatibility classes'): every method and accessor of the
 * compatibility classes is an own property of each object, so Express's methods on top find `headers`,
 * `setHeader`, `end` and the rest of the HTTP/2 versions. Methods (node's symbol-named ones too) are
 * class fields: one shape for every object, no definition call per member; so are the getters whose
 * value is fixed once the object exists (`stream`, `headers`, `rawHeaders`, the HTTP version). The
 * accessors of live state (`statusCode`, `headersSent`, `complete`, …) and any member a newer Node adds
 * are defined on each object (~300 ns each on Node 20: most of what HTTP/2 costs pre per stream, see
 * docs/architecture.md). `adapted` names the request properties the request class defines itself.
 */
export function pinnedClasses(Request: typeof Http2ServerRequest, Response: typeof Http2ServerResponse, adapted: ReadonlySet<string>): {
  Request: typeof Http2ServerRequest;
  Response: typeof Http2ServerResponse;
} {
  const request = Request.prototype as unknown as Keyed;
  const response = Response.prototype as unknown as Keyed;
  // node's symbol-named methods (called as `this[kSetHeader](…)` by the others), found by description.
  const kSetHeader = nodeSymbol(response, 'setHeader') as typeof SET_HEADER;
  const kAppendHeader = nodeSymbol(response, 'appendHeader') as typeof APPEND_HEADER;
  const kBeginSend = nodeSymbol(response, 'begin-send') as typeof BEGIN_SEND;
  // What the classes below hold as fields; every other member is defined on each object.
  const requestFields = new Set<string | symbol>(['_read', 'setTimeout', 'stream', 'headers', 'rawHeaders', 'httpVersionMajor', 'httpVersionMinor', 'httpVersion', ...adapted]);
  const responseFields = new Set<string | symbol>([kSetHeader, kAppendHeader, kBeginSend, 'setTrailer', 'addTrailers', 'getHeader', 'getHeaderNames',
    'getHeaders', 'hasHeader', 'removeHeader', 'setHeader', 'appendHeader', 'flushHeaders', 'writeHead', 'cork', 'uncork', 'write', 'end',
    'destroy', 'setTimeout', 'createPushResponse', 'writeContinue', 'writeEarlyHints', 'stream', 'writableHighWaterMark']);
  const requestRest = perObjectMembers(Object.getPrototypeOf(request) as object, requestFields);
  const responseRest = perObjectMembers(response, responseFields);

  // Read from the prototype at each construction, not copied once: a worker class may wrap one (threads wraps writeHead).
  class PinnedRequest extends (Request as unknown as Constructor) {
    _read = request._read;
    setTimeout = request.setTimeout;
    stream: unknown = (this as Keyed).stream;
    headers: unknown = (this as Keyed).headers;
    rawHeaders: unknown = (this as Keyed).rawHeaders;
    httpVersionMajor: unknown = (this as Keyed).httpVersionMajor;
    httpVersionMinor: unknown = (this as Keyed).httpVersionMinor;
    httpVersion: unknown = (this as Keyed).httpVersion;

    constructor(...args: never[]) {
      super(...args);
      defineEach(this, requestRest);
    }
  }
  class PinnedResponse extends (Response as unknown as Constructor) {
    [kSetHeader] = response[kSetHeader];
    [kAppendHeader] = response[kAppendHeader];
    [kBeginSend] = response[kBeginSend];
    setTrailer = response.setTrailer;
    addTrailers = response.addTrailers;
    getHeader = response.getHeader;
    getHeaderNames = response.getHeaderNames;
    getHeaders = response.getHeaders;
    hasHeader = response.hasHeader;
    removeHeader = response.removeHeader;
    setHeader = response.setHeader;
    appendHeader = response.appendHeader;
    flushHeaders = response.flushHeaders;
    writeHead = response.writeHead;
    cork = response.cork;
    uncork = response.uncork;
    write = response.write;
    end = response.end;
    destroy = response.destroy;
    setTimeout = response.setTimeout;
    createPushResponse = response.createPushResponse;
    writeContinue = response.writeContinue;
    writeEarlyHints = response.writeEarlyHints;
    stream: unknown = (this as Keyed).stream;
    writableHighWaterMark: unknown = (this as Keyed).writableHighWaterMark;

    constructor(...args: never[]) {
      super(...args);
      defineEach(this, responseRest);
    }
  }
  return { Request: PinnedRequest as unknown as typeof Http2ServerRequest, Response: PinnedResponse as unknown as typeof Http2ServerResponse };
}

/** `proto`'s members that are not `fields`, with their descriptors: what each object gets defined one by one. */
function perObjectMembers(proto: object, fields: ReadonlySet<string | symbol>): (readonly [string | symbol, PropertyDescriptor])[] {
  return Reflect.ownKeys(proto)
    .filter((key) => key !== 'constructor' && !fields.has(key))
    .map((key) => [key, Object.getOwnPropertyDescriptor(proto, key)!] as const);
}

/** Stand-ins that give TypeScript a unique symbol type for each of node's symbols (class field keys). */
declare const SET_HEADER: unique symbol;
declare const APPEND_HEADER: unique symbol;
declare const BEGIN_SEND: unique symbol;

/** The own symbol of `proto` described `description` (a placeholder no object has, if this Node has none: then the member is not pinned, there being none). */
function nodeSymbol(proto: object, description: string): symbol {
  return Object.getOwnPropertySymbols(proto).find((key) => key.description === description) ?? Symbol(`pre.absent.${description}`);
}

function defineEach(target: object, members: readonly (readonly [string | symbol, PropertyDescriptor])[]): void {
  for (let i = 0; i < members.length; i++) Object.defineProperty(target, members[i]![0], members[i]![1]);
}
