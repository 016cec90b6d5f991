import type { Http2ServerRequest, Http2ServerResponse, ServerHttp2Stream } from 'node:http2';
import { BODY_TOO_LARGE, bodyTooLargeError } from './body-limit.js';

/** RST_STREAM codes (RFC 9113 §7). */
const NO_ERROR = 0x0;
const CANCEL = 0x8;

const RECEIVED = Symbol('pre.http2BodyReceived');

type CountedRequest = Http2ServerRequest & { [RECEIVED]: number };

/** Instead of Http2ServerRequest#push once the body crossed the limit: nothing more reaches the app. */
function dropBody(): boolean {
  return true; // keeps the stream flowing (and discarding) until it closes
}

/**
 * limit_request_body (above 0) on one HTTP/2 stream whose body has no Content-Length over the limit
 * (the request listener answers that one with 413 before the app runs): DATA bytes are counted as node's
 * compatibility API pushes them to the app (one addition per chunk). The chunk that crosses the limit
 * is not pushed. If the response has not started, the stream gets 413 and then RST_STREAM NO_ERROR
 * (the client stops sending, RFC 9113 §8.1), else RST_STREAM CANCEL; either way the app's body stream
 * errors with PRE_ERR_BODY_TOO_LARGE once the stream is closed. Only the stream is refused: the
 * connection and its other streams go on.
 */
export function limitHttp2Body(req: Http2ServerRequest, res: Http2ServerResponse, limit: number): void {
  const counted = req as CountedRequest;
  counted[RECEIVED] = 0;
  const push = req.push;
  counted.push = function pushCounted(this: CountedRequest, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null && (this[RECEIVED] += (chunk as Uint8Array).length) > limit) {
      this.push = dropBody;
      refuse(this, res, limit);
      return true;
    }
    return push.call(this, chunk, encoding);
  };
}

function refuse(req: Http2ServerRequest, res: Http2ServerResponse, limit: number): void {
  const stream = req.stream as ServerHttp2Stream;
  const error = bodyTooLargeError(limit);
  // The app's body stream errors once the stream is gone: earlier, an app that answers its 'error' would race the 413.
  if (stream.closed || stream.destroyed) {
    if (!req.destroyed) req.destroy(error);
  } else {
    stream.once('close', () => {
      if (!req.destroyed) req.destroy(error);
    });
  }
  if (!res.headersSent && !res.writableEnded && !stream.destroyed) {
    const body = `${BODY_TOO_LARGE.reason}\n`;
    res.writeHead(BODY_TOO_LARGE.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    // After the whole 413 went out: the client is still sending, RST_STREAM NO_ERROR tells it to stop.
    res.end(body, () => {
      if (!stream.closed && !stream.destroyed) stream.close(NO_ERROR);
    });
    return;
  }
  if (!stream.closed && !stream.destroyed) stream.close(CANCEL);
}
