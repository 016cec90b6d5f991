import type { FetchContext, FetchHandler, Logger, Settings } from '@pre/core';
import type { HttpRequest, HttpResponse } from './native.js';
import { readRequestHead, type RequestHead } from './request-head.js';
import { headerRecord, type RequestSink } from './request-sink.js';
import type { UwsDrain } from './drain.js';
import { toWebRequest } from './web-request.js';
import { responseHeaderRecord, statusLine, writeWebResponse, type ResponseState, type Written } from './web-response.js';

export interface HttpHandlerOptions {
  readonly fetch: FetchHandler;
  readonly settings: Settings;
  readonly log: Logger;
  readonly sink: RequestSink;
  readonly drain: UwsDrain;
}

const textDecoder = new TextDecoder();

function remoteAddressOf(res: HttpResponse): string | undefined {
  try {
    return textDecoder.decode(res.getRemoteAddressAsText());
  } catch {
    return undefined; // the response is gone
  }
}

/** A plain-text answer that closes the connection (refusals and errors). */
function sendPlain(res: HttpResponse, status: number, text: string): number {
  const body = `${text}\n`;
  res.writeStatus(statusLine(status)).writeHeader('content-type', 'text/plain; charset=utf-8').end(body, true);
  return body.length;
}

/** The fetch handler's second argument; the peer address is read only when asked for. */
class UwsFetchContext implements FetchContext {
  readonly #exchange: Exchange;
  constructor(exchange: Exchange) {
    this.#exchange = exchange;
  }
  get remoteAddress(): string | undefined {
    return this.#exchange.remoteAddress ?? (this.#exchange.aborted ? undefined : remoteAddressOf(this.#exchange.res));
  }
}

/**
 * One request from the route callback to its report: one object instead of a closure per step, so
 * the synchronous path (the app returns a Response at once) allocates little.
 */
class Exchange implements ResponseState {
  aborted = false;
  ended = false;
  wake: (() => void) | undefined = undefined;
  readonly started = performance.now();
  readonly startTime: number;
  readonly remoteAddress: string | undefined;

  constructor(
    readonly res: HttpResponse,
    readonly head: RequestHead,
    readonly handler: Handler,
  ) {
    const details = handler.wantsDetails;
    this.startTime = details ? Date.now() : 0;
    this.remoteAddress = details ? remoteAddressOf(res) : undefined;
  }

  finish(status: number, bytes: number, response?: Response): void {
    if (this.ended) return;
    this.ended = true;
    const { sink, drain, wantsDetails } = this.handler;
    drain.end();
    const head = this.head;
    sink.finished({
      method: head.method,
      url: head.url,
      remoteAddress: this.remoteAddress,
      status,
      bytes,
      startTime: this.startTime,
      durationMs: performance.now() - this.started,
      requestHeaders: wantsDetails ? headerRecord(head.headers) : undefined,
      responseHeaders: sink.accessLog && response ? responseHeaderRecord(response) : undefined,
    });
  }

  fail(err: unknown, corked: boolean): void {
    this.handler.log.exception(`Error handling request ${this.head.method} ${this.head.url}`, err);
    if (this.aborted) return this.finish(500, 0);
    this.aborted = true; // nothing more may be written
    let bytes = 0;
    const send = (): void => void (bytes = sendPlain(this.res, 500, 'Internal Server Error'));
    if (corked) send();
    else this.res.cork(send);
    this.finish(500, bytes);
  }

  respond(response: unknown, corked: boolean): void {
    if (this.aborted) return this.finish(499, 0);
    if (!(response instanceof Response)) {
      return this.fail(new TypeError(`The fetch handler returned ${response === null ? 'null' : typeof response}, not a Response`), corked);
    }
    const closeConnection = this.handler.closeAlways || this.handler.drain.draining;
    let written: Written | Promise<Written>;
    try {
      written = writeWebResponse(this.res, response, this.head.method === 'HEAD', closeConnection, this, corked);
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
}

/**
 * The uWS route callback for a fetch-style app, with pre's duties around it: request limits, hooks,
 * a 500 (and a live worker) when the app throws, the access log and request accounting, and
 * `Connection: close` while draining or with keepalive 0.
 */
export function createHttpHandler(options: HttpHandlerOptions): (res: HttpResponse, req: HttpRequest) => void {
  const { settings, log, sink, drain } = options;
  const handler: Handler = {
    fetch: options.fetch, log, sink, drain, closeAlways: settings.keepalive === 0, wantsDetails: sink.accessLog || sink.hooks,
  };

  return function onRequest(res, req) {
    const head = readRequestHead(req, settings);
    const exchange = new Exchange(res, head, handler);
    drain.begin();
    if (head.rejection) {
      log.debug(`Rejected request from ${remoteAddressOf(res) ?? 'unknown'} with ${head.rejection.status}: ${head.rejection.reason}`);
      return exchange.finish(head.rejection.status, sendPlain(res, head.rejection.status, head.rejection.reason));
    }
    let request: Request;
    try {
      request = toWebRequest(head, res);
    } catch {
      return exchange.finish(400, sendPlain(res, 400, 'Bad Request'));
    }

    if (sink.hooks) {
      const info = { method: head.method, url: head.url, headers: headerRecord(head.headers), remoteAddress: exchange.remoteAddress };
      sink.started(info).then(() => exchange.invoke(request, false), (err: unknown) => exchange.fail(err, false));
    } else {
      exchange.invoke(request, true);
    }
    if (!exchange.ended && !exchange.aborted) exchange.watchAbort();
  };
}
