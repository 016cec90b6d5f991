import { ForwardedHeaders, IpAllowList, type FetchContext, type FetchHandler, type Logger, type Settings } from '@pre/core';
import type { HttpRequest, HttpResponse } from './native.js';
import { readRequestHead, type HeadRules, type Rejection, type RequestHead } from './request-head.js';
import { headerRecord, type RequestSink } from './request-sink.js';
import type { UwsDrain } from './drain.js';
import { toWebRequest, type BodyWatcher } from './web-request.js';
import { responseHeaderRecord, statusLine, writeWebResponse, type Closing, type ResponseState, type Written } from './web-response.js';

export interface HttpHandlerOptions {
  readonly fetch: FetchHandler;
  readonly settings: Settings;
  readonly log: Logger;
  readonly sink: RequestSink;
  readonly drain: UwsDrain;
  /** The app is an SSLApp: request URLs are https. */
  readonly tls: boolean;
  /** Requests this uWS app serves at once before answering 503 (its share of worker_connections). */
  readonly maxInFlight: number;
}

const textDecoder = new TextDecoder();

function remoteAddressOf(res: HttpResponse): string | undefined {
  try {
    return textDecoder.decode(res.getRemoteAddressAsText());
  } catch {
    return undefined; // the response is gone
  }
}

/** The source address of the connection's PROXY v2 header, '' when it had none (or LOCAL). */
function proxiedAddressOf(res: HttpResponse): string {
  const text = textDecoder.decode(res.getProxiedRemoteAddressAsText());
  // uWS writes IPv6 uncompressed; the URL parser gives the canonical form, as core's PROXY reader does.
  return text.includes(':') ? new URL(`http://[${text}]/`).hostname.slice(1, -1) : text;
}

/**
 * A plain-text answer that closes the connection (refusals and errors). uWS writes `Connection: close`
 * itself unless the client's Connection header already made it close (`uwsCloses`).
 */
function sendPlain(res: HttpResponse, status: number, text: string, uwsCloses: boolean): number {
  const body = `${text}\n`;
  res.writeStatus(statusLine(status)).writeHeader('content-type', 'text/plain; charset=utf-8');
  if (uwsCloses) res.writeHeader('connection', 'close');
  res.end(body, true);
  return body.length;
}

/** The value of a header in a flat list (lower-case name), repeated fields joined with ','. */
function headerValue(flat: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) value = value === undefined ? flat[i + 1]! : `${value},${flat[i + 1]!}`;
  return value;
}

/** Removes every field named in `names` from a flat header list. */
function removeHeaders(flat: string[], names: ReadonlySet<string>): void {
  let to = 0;
  for (let i = 0; i < flat.length; i += 2) {
    if (names.has(flat[i]!)) continue;
    flat[to++] = flat[i]!;
    flat[to++] = flat[i + 1]!;
  }
  flat.length = to;
}

/** The fetch handler's second argument; the peer address is read only when asked for. */
class UwsFetchContext implements FetchContext {
  readonly #exchange: Exchange;
  constructor(exchange: Exchange) {
    this.#exchange = exchange;
  }
  get remoteAddress(): string | undefined {
    return this.#exchange.peer();
  }
  /** As received, names lower-cased by uWS; without proxy headers from an untrusted peer. */
  get rawHeaders(): readonly string[] {
    return this.#exchange.head.headers;
  }
  /** uWS routes HTTP/1.1 requests only (it never calls the app for another version). */
  get httpVersion(): string {
    return '1.1';
  }
  /** Path and query as uWS received them. */
  get rawUrl(): string {
    return this.#exchange.head.url;
  }
  get headerNamesLowercased(): boolean {
    return true;
  }
}

/**
 * One request from the route callback to its report: one object instead of a closure per step, so
 * the synchronous path (the app returns a Response at once) allocates little.
 */
class Exchange implements ResponseState, BodyWatcher {
  aborted = false;
  ended = false;
  responding = false;
  wake: (() => void) | undefined = undefined;
  failBody: ((err: Error) => void) | undefined = undefined;
  /** performance.now() and Date.now() at the start, read only when the access log, metrics or a hook use them. */
  readonly started: number;
  readonly startTime: number;
  /** The client's address once known (null: not resolved yet). */
  #peer: string | undefined | null = null;
  #timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly res: HttpResponse,
    readonly head: RequestHead,
    readonly handler: Handler,
  ) {
    const details = handler.wantsDetails;
    this.started = details ? performance.now() : 0;
    this.startTime = details ? Date.now() : 0;
  }

  /** The client's address: the socket's peer, or what a PROXY header or a trusted proxy said. */
  peer(): string | undefined {
    if (this.#peer === null) this.#peer = this.aborted ? undefined : remoteAddressOf(this.res);
    return this.#peer;
  }

  setPeer(address: string | undefined): void {
    this.#peer = address;
  }

  get remoteAddress(): string | undefined {
    return this.handler.wantsDetails ? this.peer() : undefined;
  }

  finish(status: number, bytes: number, response?: Response): void {
    if (this.ended) return;
    this.ended = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const { sink, drain, wantsDetails } = this.handler;
    drain.end();
    const head = this.head;
    sink.finished({
      method: head.method,
      url: head.url,
      remoteAddress: this.#peer ?? undefined,
      status,
      bytes,
      startTime: this.startTime,
      durationMs: wantsDetails ? performance.now() - this.started : 0,
      requestHeaders: wantsDetails ? headerRecord(head.headers) : undefined,
      responseHeaders: sink.accessLog && response ? responseHeaderRecord(response) : undefined,
    });
  }

  fail(err: unknown, corked: boolean): void {
    this.handler.log.exception(`Error handling request ${this.head.method} ${this.head.url}`, err);
    if (this.aborted) return this.finish(500, 0);
    this.aborted = true; // nothing more may be written
    let bytes = 0;
    const send = (): void => void (bytes = sendPlain(this.res, 500, 'Internal Server Error', this.head.connection === 'uws-closes'));
    if (corked) send();
    else this.res.cork(send);
    this.finish(500, bytes);
  }

  /**
   * Answers a refused request with `status` and closes the connection, after the route callback has
   * returned: answered inside it, uWS would go on to parse and route a request pipelined behind this
   * one. Deferred, uWS drops the connection instead when one is there (nothing is smuggled).
   */
  refuse(status: number, reason: string): void {
    const res = this.res;
    this.handler.log.debug(`Rejected request from ${this.peer() ?? 'unknown'} with ${status}: ${reason}`);
    res.onAborted(() => {
      this.aborted = true;
      this.finish(status, 0);
    });
    if (this.head.hasBody) res.onData(() => {}); // read and drop the body until the close
    setImmediate(() => {
      if (this.aborted) return;
      this.aborted = true;
      let bytes = 0;
      res.cork(() => void (bytes = sendPlain(res, status, reason, this.head.connection === 'uws-closes')));
      this.finish(status, bytes);
    });
  }

  /** request_timeout: the body has not arrived in time. */
  startBodyTimer(ms: number): void {
    if (this.failBody !== undefined) this.#timer = setTimeout(() => this.#timeOut(), ms);
  }

  bodyEnded(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #timeOut(): void {
    this.#timer = undefined;
    if (this.ended || this.aborted) return;
    this.handler.log.debug(`Request timeout: the body of ${this.head.method} ${this.head.url} from ${this.peer() ?? 'unknown'} did not arrive in time`);
    this.failBody?.(new Error('request_timeout: the request body did not arrive in time'));
    this.#cutOff(408, 'Request Timeout');
  }

  get bodyLimit(): number {
    return this.handler.bodyLimit;
  }

  /** limit_request_body: the body crossed it (its stream has failed already). */
  bodyOverLimit(): void {
    if (this.ended || this.aborted) return;
    this.handler.log.debug(`Request body over limit_request_body: ${this.head.method} ${this.head.url} from ${this.peer() ?? 'unknown'}`);
    this.#cutOff(413, 'Request body too large');
  }

  /** Answers `status` and closes if the response has not started, else closes the connection. */
  #cutOff(status: number, text: string): void {
    if (this.aborted) return; // the app failed synchronously and answered already
    this.aborted = true;
    this.wake?.();
    if (this.responding) {
      this.finish(status, 0);
      this.res.close();
      return;
    }
    let bytes = 0;
    this.res.cork(() => void (bytes = sendPlain(this.res, status, text, this.head.connection === 'uws-closes')));
    this.finish(status, bytes);
  }

  respond(response: unknown, corked: boolean): void {
    if (this.aborted) return this.finish(499, 0);
    if (!(response instanceof Response)) {
      return this.fail(new TypeError(`The fetch handler returned ${response === null ? 'null' : typeof response}, not a Response`), corked);
    }
    this.responding = true;
    let written: Written | Promise<Written>;
    try {
      written = writeWebResponse(this.res, response, this.head.method === 'HEAD', this.#closing(), this, corked);
    } catch (err) {
      return this.fail(err, corked);
    }
    if (!(written instanceof Promise)) return this.finish(written.status, written.bytes, response);
    written.then(
      (w) => this.finish(w.status, w.bytes, response),
      (err: unknown) => {
        this.handler.log.exception(`Error writing the response body of ${this.head.method} ${this.head.url}`, err);
        this.finish(500, 0);
      },
    );
  }

  invoke(request: Request, corked: boolean): void {
    let result: Response | Promise<Response>;
    try {
      result = this.handler.fetch(request, new UwsFetchContext(this));
    } catch (err) {
      return this.fail(err, corked);
    }
    if (result instanceof Promise) result.then((r) => this.respond(r, false), (err: unknown) => this.fail(err, false));
    else this.respond(result, corked);
  }

  /** Whether the connection closes after this response, and who writes `Connection: close`. */
  #closing(): Closing {
    const asked = this.head.connection;
    if (asked !== 'keep-alive') return asked;
    return this.handler.closeAlways || this.handler.drain.draining ? 'close' : 'keep-alive';
  }

  /** uWS requires an abort handler on a response not sent within the route callback. */
  watchAbort(): void {
    this.res.onAborted(() => {
      this.aborted = true;
      this.wake?.();
      if (!this.ended) this.finish(499, 0);
    });
  }
}

interface Handler {
  readonly fetch: FetchHandler;
  readonly log: Logger;
  readonly sink: RequestSink;
  readonly drain: UwsDrain;
  readonly closeAlways: boolean;
  /** The access log or a hook needs the peer address, start time and request headers. */
  readonly wantsDetails: boolean;
  readonly tls: boolean;
  readonly forwarded: ForwardedHeaders;
  /** proxy_allow_ips when proxy_protocol is on, else null. */
  readonly proxyPeers: IpAllowList | null;
  readonly maxInFlight: number;
  readonly requestTimeoutMs: number;
  /** limit_request_body (0: none). */
  readonly bodyLimit: number;
}

/**
 * The client's address and scheme from a PROXY v2 header (uWS parses it on every connection; pre
 * believes it only from proxy_allow_ips) and from a trusted proxy's headers (core's ForwardedHeaders).
 * Returns the scheme (`secure`), or a rejection.
 */
function resolveClient(exchange: Exchange, handler: Handler): boolean | Rejection {
  const { res, head } = exchange;
  let secure = handler.tls;
  if (handler.proxyPeers !== null) {
    const direct = remoteAddressOf(res);
    const proxied = proxiedAddressOf(res);
    if (proxied !== '') {
      if (!handler.proxyPeers.allows(direct)) return { status: 400, reason: 'PROXY header from a peer not in proxy_allow_ips' };
      exchange.setPeer(proxied);
    }
  }
  if (!head.forwarded) return secure;
  const forwarded = handler.forwarded;
  if (!forwarded.trusts(exchange.peer())) {
    removeHeaders(head.headers, forwarded.headerNames); // the app cannot be fooled by a client that sets them
    return secure;
  }
  const view = forwarded.read((name) => headerValue(head.headers, name));
  if ('status' in view) return view;
  if (view.secure !== null) secure = view.secure;
  if (view.client !== null) exchange.setPeer(view.client);
  return secure;
}

/**
 * The uWS route callback for a fetch-style app, with pre's duties around it: request limits and
 * framing checks, PROXY protocol and trusted proxy headers, hooks, a 500 (and a live worker) when the
 * app throws, the access log and request accounting, request_timeout on bodies, and
 * `Connection: close` while draining or with keepalive 0.
 */
export function createHttpHandler(options: HttpHandlerOptions): (res: HttpResponse, req: HttpRequest) => void {
  const { settings, log, sink, drain } = options;
  const forwarded = new ForwardedHeaders(settings);
  const handler: Handler = {
    fetch: options.fetch, log, sink, drain, closeAlways: settings.keepalive === 0, wantsDetails: sink.accessLog || sink.hooks,
    tls: options.tls, forwarded, proxyPeers: settings.proxy_protocol ? new IpAllowList(settings.proxy_allow_ips) : null,
    maxInFlight: options.maxInFlight,
    requestTimeoutMs: settings.request_timeout > 0 ? Math.max(settings.request_timeout, settings.headers_timeout) * 1000 : 0,
    bodyLimit: settings.limit_request_body,
  };
  const rules: HeadRules = { ...settings, forwardedNames: forwarded.headerNames };

  return function onRequest(res, req) {
    const head = readRequestHead(req, rules);
    const exchange = new Exchange(res, head, handler);
    drain.begin();
    if (head.rejection) return exchange.refuse(head.rejection.status, head.rejection.reason);
    if (drain.inFlight > handler.maxInFlight) return exchange.refuse(503, 'Too many requests in flight (worker_connections)');
    let secure = handler.tls;
    if (head.forwarded || handler.proxyPeers !== null) {
      const client = resolveClient(exchange, handler);
      if (typeof client !== 'boolean') return exchange.refuse(client.status, client.reason);
      secure = client;
    }
    let request: Request;
    try {
      request = toWebRequest(head, res, secure, exchange);
    } catch {
      return exchange.refuse(400, 'Bad Request');
    }
    if (head.hasBody && handler.requestTimeoutMs > 0) exchange.startBodyTimer(handler.requestTimeoutMs);

    if (sink.hooks) {
      const info = { method: head.method, url: head.url, headers: headerRecord(head.headers), remoteAddress: exchange.remoteAddress };
      sink.started(info).then(() => exchange.invoke(request, false), (err: unknown) => exchange.fail(err, false));
    } else {
      if (handler.wantsDetails) exchange.peer(); // read while the response is valid, for the access log
      exchange.invoke(request, true);
    }
    if (!exchange.ended && !exchange.aborted) exchange.watchAbort();
  };
}
