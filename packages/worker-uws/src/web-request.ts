import type { HttpResponse } from './native.js';
import type { RequestHead } from './request-head.js';
import { forwardInternals } from './internals.js';
import { RequestBody, type BodyWatcher } from './request-body.js';

export type { BodyWatcher } from './request-body.js';

/** A Host header we are willing to put in a URL: reg-name or IP literal, optional port. */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[\w.~%!$&'()*+,;=-]+)(?::\d*)?$/;

/** A request target the URL parser leaves as it is: no dot segments, nothing it percent-encodes. */
const PLAIN_TARGET = /^\/[\w\-.~!$&()*+,;=:@/%?]*$/;
const DOT_SEGMENT = /\/\.|%2e/i;

/** `http://host` as the URL parser writes it (lower case, no default port, IPv4 normalised), per Host. */
const httpOrigins = new Map<string, string>();
const httpsOrigins = new Map<string, string>();
const MAX_ORIGINS = 256;

/** The last target found plain: clients repeat theirs, so most skip the two patterns. */
let lastPlainTarget: string | undefined;

/** The URL `new Request()` would report, without parsing in the common case. Throws a TypeError for a bad Host. */
export function requestUrl(head: RequestHead, secure = false): string {
  const origins = secure ? httpsOrigins : httpOrigins;
  let origin = origins.get(head.host);
  if (origin === undefined) {
    const host = head.host === '' ? 'localhost' : head.host;
    if (!VALID_HOST.test(host)) throw new TypeError(`Invalid Host header: ${JSON.stringify(host)}`);
    origin = new URL(`${secure ? 'https' : 'http'}://${host}/`).origin;
    if (origins.size >= MAX_ORIGINS) origins.clear(); // Host is the client's choice: bound the cache
    origins.set(head.host, origin);
  }
  const target = head.url;
  if (target === lastPlainTarget) return origin + target;
  if (PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target)) {
    lastPlainTarget = target;
    return origin + target;
  }
  return new URL(target, `${origin}/`).href;
}

/**
 * The Request a fetch app gets on uws: method and url are plain strings, headers are built on first
 * use, and the real undici Request (~6 µs, more with headers) only when something needs it (body,
 * signal, clone(), text(), ...). Its prototype is Request.prototype, and undici's internal slots are
 * forwarded to the real Request, so `instanceof Request`, `new Request(request)` and `fetch(request)`
 * work. Built only when `lazyRequests` holds (verified once, at load).
 */
class UwsRequest {
  readonly method: string;
  readonly url: string;
  readonly #head: RequestHead;
  readonly #body: RequestBody | undefined;
  /** The body was read whole, without undici (bodyUsed). */
  #read = false;
  #headers: Headers | undefined;
  #real: Request | undefined;

  constructor(head: RequestHead, url: string, body: RequestBody | undefined) {
    this.method = head.method;
    this.url = url;
    this.#head = head;
    this.#body = body;
  }

  get headers(): Headers {
    if (this.#headers === undefined) this.#headers = this.#real === undefined ? headersOf(this.#head) : this.#real.headers;
    return this.#headers;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#body === undefined && this.#real === undefined ? null : this.materialize().body;
  }

  get bodyUsed(): boolean {
    return this.#real === undefined ? this.#read : this.#real.bodyUsed;
  }

  // Reading the whole body skips undici's Request: one buffer filled from uWS's chunks (see RequestBody).
  arrayBuffer(): Promise<ArrayBuffer> {
    const whole = this.#whole();
    return whole === null ? this.materialize().arrayBuffer() : whole.then((bytes) => bytes.buffer as ArrayBuffer);
  }

  bytes(): Promise<Uint8Array> {
    const whole = this.#whole();
    return whole === null ? bytesOf(this.materialize()) : whole;
  }

  text(): Promise<string> {
    const whole = this.#whole();
    return whole === null ? this.materialize().text() : whole.then(decodeUtf8);
  }

  json(): Promise<unknown> {
    const whole = this.#whole();
    return whole === null ? this.materialize().json() : whole.then((bytes) => JSON.parse(decodeUtf8(bytes)) as unknown);
  }

  /** The whole body from RequestBody, or null when undici reads it (no body, or undici's Request already built). */
  #whole(): Promise<Uint8Array> | null {
    if (this.#real !== undefined || this.#body === undefined) return null;
    if (this.#read || this.#body.chosen) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#read = true;
    return this.#body.whole();
  }

  /** The undici Request behind this one, built on first use. */
  materialize(): Request {
    if (this.#real !== undefined) return this.#real;
    const method = this.method;
    const source = this.#body;
    let real: Request;
    if (source === undefined) real = method === 'GET' ? new Request(this.url) : new Request(this.url, { method });
    else {
      const body = this.#read ? new ReadableStream<Uint8Array>({ start: (c) => c.close() }) : source.stream();
      real = new Request(this.url, { method, body, duplex: 'half' } as RequestInit);
      if (this.#read) void real.body!.getReader().read(); // disturbed: undici sees the body as read, as it was
    }
    const target = real.headers;
    if (this.#headers !== undefined) for (const [name, value] of this.#headers) target.append(name, value);
    else appendHeaders(target, this.#head.headers);
    this.#real = real;
    return real;
  }
}

const utf8 = new TextDecoder(); // a leading BOM is dropped and bad sequences become U+FFFD, as undici's text()

function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** Request.prototype.bytes where the runtime has it, else from arrayBuffer(). */
function bytesOf(request: Request): Promise<Uint8Array> {
  const withBytes = request as Request & { bytes?: () => Promise<Uint8Array> };
  return typeof withBytes.bytes === 'function' ? withBytes.bytes() : request.arrayBuffer().then((buffer) => new Uint8Array(buffer));
}

Object.defineProperty(UwsRequest.prototype, Symbol.toStringTag, { value: 'Request' });
Object.setPrototypeOf(UwsRequest.prototype, Request.prototype);

/** True when a UwsRequest passes for a Request in undici (checked once with a probe). */
const lazyRequests: boolean = (() => {
  try {
    const probe = new Request('http://probe.invalid/');
    if (!forwardInternals(UwsRequest.prototype, probe, (r: UwsRequest) => r.materialize())) return false;
    const head: RequestHead = { method: 'POST', url: '/p?q=1', headers: ['x-a', '1', 'x-a', '2'], host: 'h', hasBody: false, contentLength: 0, forwarded: false, rejection: null, connection: 'keep-alive' };
    const lazy = new UwsRequest(head, 'http://h/p?q=1', undefined) as unknown as Request;
    const copy = new Request(lazy);
    return lazy instanceof Request && copy.url === 'http://h/p?q=1' && copy.method === 'POST' && copy.headers.get('x-a') === '1, 2';
  } catch {
    return false;
  }
})();

function headersOf(head: RequestHead): Headers {
  const headers = new Headers();
  appendHeaders(headers, head.headers);
  return headers;
}

// Request headers use the 'request' guard: appending after construction is allowed and cheaper.
function appendHeaders(target: Headers, flat: readonly string[]): void {
  for (let i = 0; i < flat.length; i += 2) target.append(flat[i]!, flat[i + 1]!);
}

/**
 * The web Request for a uWS request (lazy when the runtime allows it). The body, if any, is a stream
 * fed by `res.onData`, attached now: it must be before the route callback returns. Throws a TypeError
 * for a Host that cannot be a URL.
 */
export function toWebRequest(head: RequestHead, res: HttpResponse, secure: boolean, watcher: BodyWatcher): Request {
  const url = requestUrl(head, secure);
  const method = head.method;
  const source = head.hasBody && method !== 'GET' && method !== 'HEAD' ? new RequestBody(res, watcher, head.contentLength) : undefined;
  if (lazyRequests) return new UwsRequest(head, url, source) as unknown as Request;
  const body = source?.stream();
  const request = body === undefined
    ? new Request(url, { method })
    : new Request(url, { method, body, duplex: 'half' } as RequestInit);
  appendHeaders(request.headers, head.headers);
  return request;
}

/** The body as a ReadableStream only (the path when Requests are not lazy; kept for tests). */
export function bodyStream(res: HttpResponse, watcher: BodyWatcher, contentLength: number): ReadableStream<Uint8Array> {
  return new RequestBody(res, watcher, contentLength).stream();
}
