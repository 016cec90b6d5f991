import type { HttpResponse } from './native.js';
import type { RequestHead } from './request-head.js';
import { bodyTooLargeError } from '@pre/core';
import { forwardInternals } from './internals.js';

/** Pause the socket while this many body bytes wait, unread, in the request stream. */
const BODY_HIGH_WATER_MARK = 64 * 1024;

/** A Host header we are willing to put in a URL: reg-name or IP literal, optional port. */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[\w.~%!$&'()*+,;=-]+)(?::\d*)?$/;

/** A request target the URL parser leaves as it is: no dot segments, nothing it percent-encodes. */
const PLAIN_TARGET = /^\/[\w\-.~!$&()*+,;=:@/%?]*$/;
const DOT_SEGMENT = /\/\.|%2e/i;

/** `http://host` as the URL parser writes it (lower case, no default port, IPv4 normalised), per Host. */
const httpOrigins = new Map<string, string>();
const httpsOrigins = new Map<string, string>();
const MAX_ORIGINS = 256;

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
  if (PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target)) return origin + target;
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
  readonly #body: ReadableStream<Uint8Array> | undefined;
  #headers: Headers | undefined;
  #real: Request | undefined;

  constructor(head: RequestHead, url: string, body: ReadableStream<Uint8Array> | undefined) {
    this.method = head.method;
    this.url = url;
    this.#head = head;
    this.#body = body;
  }

  get headers(): Headers {
    if (this.#headers === undefined) this.#headers = this.#real === undefined ? headersOf(this.#head) : this.#real.headers;
    return this.#headers;
  }

  /** The undici Request behind this one, built on first use. */
  materialize(): Request {
    if (this.#real !== undefined) return this.#real;
    const method = this.method;
    const body = this.#body;
    const real = body === undefined
      ? method === 'GET' ? new Request(this.url) : new Request(this.url, { method })
      : new Request(this.url, { method, body, duplex: 'half' } as RequestInit);
    const target = real.headers;
    if (this.#headers !== undefined) for (const [name, value] of this.#headers) target.append(name, value);
    else appendHeaders(target, this.#head.headers);
    this.#real = real;
    return real;
  }
}

Object.defineProperty(UwsRequest.prototype, Symbol.toStringTag, { value: 'Request' });
Object.setPrototypeOf(UwsRequest.prototype, Request.prototype);

/** True when a UwsRequest passes for a Request in undici (checked once with a probe). */
const lazyRequests: boolean = (() => {
  try {
    const probe = new Request('http://probe.invalid/');
    if (!forwardInternals(UwsRequest.prototype, probe, (r: UwsRequest) => r.materialize())) return false;
    const head: RequestHead = { method: 'POST', url: '/p?q=1', headers: ['x-a', '1', 'x-a', '2'], host: 'h', hasBody: false, forwarded: false, rejection: null, connection: 'keep-alive' };
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

/** Told about the request body: its end, and how to fail it (request_timeout). */
export interface BodyWatcher {
  bodyEnded(): void;
  failBody: ((err: Error) => void) | undefined;
  /** limit_request_body (0: none). */
  readonly bodyLimit: number;
  /** The body crossed `bodyLimit`: its stream has failed with `err`; the request is to be cut off. */
  bodyOverLimit(err: Error): void;
}

/**
 * The web Request for a uWS request (lazy when the runtime allows it). The body, if any, is a stream
 * fed by `res.onData`, attached now: it must be before the route callback returns. Throws a TypeError
 * for a Host that cannot be a URL.
 */
export function toWebRequest(head: RequestHead, res: HttpResponse, secure: boolean, watcher: BodyWatcher): Request {
  const url = requestUrl(head, secure);
  const method = head.method;
  const body = head.hasBody && method !== 'GET' && method !== 'HEAD' ? bodyStream(res, watcher) : undefined;
  if (lazyRequests) return new UwsRequest(head, url, body) as unknown as Request;
  const request = body === undefined
    ? new Request(url, { method })
    : new Request(url, { method, body, duplex: 'half' } as RequestInit);
  appendHeaders(request.headers, head.headers);
  return request;
}

/**
 * Chunks are copied (uWS reuses its buffer); the socket is paused while the app is not reading. Bytes
 * are counted against limit_request_body: uWS holds a body to its Content-Length (checked against the
 * limit before the app ran), so this is the second line, should a body ever come otherwise.
 */
export function bodyStream(res: HttpResponse, watcher: BodyWatcher): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let paused = false;
  let done = false;
  let left = watcher.bodyLimit > 0 ? watcher.bodyLimit : Infinity;
  watcher.failBody = (err) => {
    if (done) return;
    done = true;
    controller.error(err);
  };
  res.onData((chunk, isLast) => {
    if (done) return;
    left -= chunk.byteLength;
    if (left < 0) {
      done = true;
      const err = bodyTooLargeError(watcher.bodyLimit);
      controller.error(err);
      watcher.bodyOverLimit(err);
      return;
    }
    if (chunk.byteLength > 0) controller.enqueue(new Uint8Array(chunk.slice(0)));
    if (isLast) {
      done = true;
      controller.close();
      watcher.bodyEnded();
    } else if (!paused && (controller.desiredSize ?? 1) <= 0) {
      paused = true;
      res.pause();
    }
  });
  return new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: () => {
        if (paused && !done) {
          paused = false;
          res.resume();
        }
      },
      cancel: () => {
        done = true;
      },
    },
    { highWaterMark: BODY_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );
}
