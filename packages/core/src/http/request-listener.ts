import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { fetchToNodeListener } from '../app/fetch-adapter.js';
import type { NodeListener } from '../app/load.js';
import type { RequestInfo } from '../hooks.js';
import { countResponseBytes, nodeAccessLogEntry } from './access-entry.js';
import { contentLengthRejection, declaredContentLength } from './body-limit.js';
import { ForwardedHeaders } from './forwarded.js';
import { limitHttp2Body } from './http2-body-limit.js';
import { checkHttp2Request } from './http2-limits.js';
import { requestEnded, type RequestTracker } from './drain.js';
import { checkRequest } from './request-checks.js';
import { isRefused, markRefused, type CheckedIncomingMessage } from './trailer-checks.js';
import type { ServedApp } from './request-reporter.js';

export interface RequestListenerOptions {
  /** The scheme fetch-style apps see in `request.url`. */
  readonly scheme?: 'http' | 'https';
  /**
   * Told of each HTTP/1.1 request and, from the response's 'close', of its end (the server's HttpDrain,
   * tracking with `trackConnections`, or a tracker that wraps it): here rather than in a second
   * 'request' listener and a second 'close' listener per response.
   */
  readonly tracker?: RequestTracker;
}

const AWAITS_CONTINUE = Symbol('pre.awaitsContinue');
type ContinueResponse = ServerResponse & { [AWAITS_CONTINUE]?: true };

/**
 * The server's 'checkContinue' listener (set when limit_request_body is above 0): the request goes
 * through `listener`'s checks first, which answer `100 Continue` only to a request they accept, so a
 * client announcing a body over the limit gets 413 without sending it.
 */
export function checkContinue(listener: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    (res as ContinueResponse)[AWAITS_CONTINUE] = true;
    listener(req, res);
  };
}

/**
 * The app as a node:http request listener, with pre's duties around it: hooks, a 500 (and a live
 * worker) when the app throws or rejects; each request is reported to `served` (access log, metrics,
 * post_request, max_requests), which is a Worker or a worker thread's reporter.
 */
export function createRequestListener(served: ServedApp, options: RequestListenerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const { app, settings, log } = served;
  const onAppError = (err: unknown): void => log.exception('Error handling request', err);
  const appListener: NodeListener = app.shape === 'node'
    ? app.listener
    : fetchToNodeListener(app.fetch, onAppError, { scheme: options.scheme ?? 'http' });
  const logAccess = served.wantsAccessEntries;
  const hooks = served.hasRequestHooks;
  const countBytes = logAccess || hooks;
  const closeAfterResponse = settings.keepalive === 0;
  const forwarded = new ForwardedHeaders(settings);
  const bodyLimit = settings.limit_request_body;
  const tracker = options.tracker ?? null;

  // Without an access log, metrics or hooks a finished request is only counted: one listener shared by
  // every response (no closure, timestamps or byte counter per request). 'close' comes once: `on`, not `once`.
  function countFinished(this: ServerResponse): void {
    if (tracker) tracker.requestEnded(this);
    else requestEnded(this);
    served.requestFinished(null);
  }

  /** The 'close' listener that reports what the access log, metrics and hooks need; the hooks' RequestInfo. */
  function reportFinished(req: IncomingMessage, res: ServerResponse): RequestInfo | undefined {
    const started = performance.now();
    const startTime = logAccess ? Date.now() : 0;
    const bytesWritten = countResponseBytes(res);
    const info: RequestInfo | undefined = hooks
      ? { method: req.method ?? '', url: req.url ?? '', headers: req.headers, remoteAddress: req.socket.remoteAddress }
      : undefined;
    res.on('close', () => {
      if (tracker) tracker.requestEnded(res);
      else requestEnded(res);
      const durationMs = performance.now() - started;
      const bytes = contentLength(res) ?? bytesWritten();
      const entry = logAccess ? nodeAccessLogEntry(req, res, startTime, durationMs, bytes) : null;
      served.requestFinished(entry, info, info && { status: res.statusCode, bytes, durationMs });
    });
    return info;
  }

  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown): void => {
    log.exception(`Error handling request ${req.method} ${req.url}`, err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = 500;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    // HTTP/2 has no Connection header (node throws on it): the stream ends, the connection stays.
    if ((req as { stream?: unknown }).stream === undefined) res.setHeader('connection', 'close');
    res.end('Internal Server Error');
  };

  const invoke = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      const result = appListener(req, res) as PromiseLike<unknown> | undefined;
      if (result && typeof result.then === 'function') result.then(undefined, (err: unknown) => fail(req, res, err));
    } catch (err) {
      fail(req, res, err);
    }
  };

  return function onRequest(req, res) {
    // Node's HTTP/2 compatibility API arrives here too, one stream each, already adapted (http2-adapter.ts).
    // (An HTTP/1 request line may say HTTP/2.0 too: checkRequest answers that one with 505; it has no stream.)
    const http2 = req.httpVersionMajor === 2 && (req as { stream?: unknown }).stream !== undefined;
    if (!http2) {
      tracker?.requestStarted(req, res);
      // A request pipelined behind a refused one: its connection closes after the refusal; the app never sees it.
      if (isRefused(req.socket)) {
        if (tracker) res.on('close', () => tracker.requestEnded(res));
        else res.on('close', requestEnded);
        return;
      }
    }
    (req as CheckedIncomingMessage).response = res;
    // First, so hooks, the access log and the app all see the client as the trusted proxy names it.
    const rejection = forwarded.apply(req) ?? (http2 ? checkHttp2Request(req as unknown as Http2ServerRequest, settings) : checkRequest(req, settings))
      ?? (bodyLimit > 0 ? contentLengthRejection(declaredContentLength(req.rawHeaders), bodyLimit) : null);
    if (closeAfterResponse) res.shouldKeepAlive = false;
    let info: RequestInfo | undefined;
    if (countBytes) info = reportFinished(req, res);
    else res.on('close', countFinished);

    if (rejection) {
      log.debug(`Rejected request from ${req.socket.remoteAddress ?? 'unknown'} with ${rejection.status}: ${rejection.reason}`);
      const body = `${rejection.reason}\n`;
      const headers = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) };
      // On HTTP/2 only the stream is refused; the connection and its other streams go on.
      if (!http2) markRefused(req.socket);
      res.writeHead(rejection.status, http2 ? headers : { ...headers, connection: 'close' });
      res.end(body);
      return;
    }
    if ((res as ContinueResponse)[AWAITS_CONTINUE]) res.writeContinue();
    // HTTP/1.1 counts body bytes in its IncomingMessage class (body-limit.ts); an HTTP/2 stream per request.
    if (http2 && bodyLimit > 0) limitHttp2Body(req as unknown as Http2ServerRequest, res as unknown as Http2ServerResponse, bodyLimit);
    if (info) served.requestStarted(info).then(() => invoke(req, res), (err: unknown) => fail(req, res, err));
    else invoke(req, res);
  };
}

function contentLength(res: ServerResponse): number | undefined {
  const value = res.getHeader('content-length');
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
