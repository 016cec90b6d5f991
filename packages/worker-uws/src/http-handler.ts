import type { FetchContext, FetchHandler, Logger, Settings } from '@pre/core';
import type { HttpRequest, HttpResponse } from './native.js';
import { readRequestHead, type RequestHead } from './request-head.js';
import { headerRecord, type RequestSink } from './request-sink.js';
import type { UwsDrain } from './drain.js';
import { toWebRequest } from './web-request.js';
import { statusLine, writeWebResponse, type ResponseState } from './web-response.js';

export interface HttpHandlerOptions {
  readonly fetch: FetchHandler;
  readonly settings: Settings;
  readonly log: Logger;
  readonly sink: RequestSink;
  readonly drain: UwsDrain;
}

interface Exchange extends ResponseState {
  ended: boolean;
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

/**
 * The uWS route callback for a fetch-style app, with pre's duties around it: request limits, hooks,
 * a 500 (and a live worker) when the app throws, the access log and request accounting, and
 * `Connection: close` while draining or with keepalive 0.
 */
export function createHttpHandler(options: HttpHandlerOptions): (res: HttpResponse, req: HttpRequest) => void {
  const { fetch, settings, log, sink, drain } = options;
  const closeAlways = settings.keepalive === 0;
  const wantsDetails = sink.accessLog || sink.hooks;

  return function onRequest(res, req) {
    const started = performance.now();
    const startTime = wantsDetails ? Date.now() : 0;
    const head: RequestHead = readRequestHead(req, settings);
    const remoteAddress = wantsDetails ? remoteAddressOf(res) : undefined;
    const exchange: Exchange = { aborted: false, ended: false };
    drain.begin();

    const finish = (status: number, bytes: number, response?: Response): void => {
      if (exchange.ended) return;
      exchange.ended = true;
      drain.end();
      sink.finished({
        method: head.method,
        url: head.url,
        remoteAddress,
        status,
        bytes,
        startTime,
        durationMs: performance.now() - started,
        ...(wantsDetails ? { requestHeaders: headerRecord(head.headers) } : {}),
        ...(sink.accessLog && response ? { responseHeaders: Object.fromEntries(response.headers) } : {}),
      });
    };

    const fail = (err: unknown, corked: boolean): void => {
      log.exception(`Error handling request ${head.method} ${head.url}`, err);
      if (exchange.aborted) return finish(500, 0);
      exchange.aborted = true; // nothing more may be written
      let bytes = 0;
      const send = (): void => void (bytes = sendPlain(res, 500, 'Internal Server Error'));
      if (corked) send();
      else res.cork(send);
      finish(500, bytes);
    };

    const respond = (response: unknown, corked: boolean): void => {
      if (exchange.aborted) return finish(499, 0);
      if (!(response instanceof Response)) {
        return fail(new TypeError(`The fetch handler returned ${response === null ? 'null' : typeof response}, not a Response`), corked);
      }
      const closeConnection = closeAlways || drain.draining;
      let written;
      try {
        written = writeWebResponse(res, response, head.method === 'HEAD', closeConnection, exchange, corked);
      } catch (err) {
        return fail(err, corked);
      }
      if (!(written instanceof Promise)) return finish(written.status, written.bytes, response);
      written.then(
        (w) => finish(w.status, w.bytes, response),
        (err: unknown) => {
          log.exception(`Error writing the response body of ${head.method} ${head.url}`, err);
          finish(500, 0);
        },
      );
    };

    const invoke = (corked: boolean): void => {
      let result: Response | Promise<Response>;
      try {
        const context: FetchContext = { get remoteAddress() { return remoteAddress ?? remoteAddressOf(res); } };
        result = fetch(request, context);
      } catch (err) {
        return fail(err, corked);
      }
      if (result instanceof Promise) result.then((r) => respond(r, false), (err: unknown) => fail(err, false));
      else respond(result, corked);
    };

    if (head.rejection) {
      log.debug(`Rejected request from ${remoteAddressOf(res) ?? 'unknown'} with ${head.rejection.status}: ${head.rejection.reason}`);
      return finish(head.rejection.status, sendPlain(res, head.rejection.status, head.rejection.reason));
    }
    let request: Request;
    try {
      request = toWebRequest(head, res, undefined);
    } catch {
      return finish(400, sendPlain(res, 400, 'Bad Request'));
    }

    if (sink.hooks) {
      const info = { method: head.method, url: head.url, headers: headerRecord(head.headers), remoteAddress };
      sink.started(info).then(() => invoke(false), (err: unknown) => fail(err, false));
    } else {
      invoke(true);
    }
    // Not answered within the callback: uWS requires an abort handler.
    if (!exchange.ended && !exchange.aborted) {
      res.onAborted(() => {
        exchange.aborted = true;
        exchange.wake?.();
        if (!exchange.ended) finish(499, 0);
      });
    }
  };
}
