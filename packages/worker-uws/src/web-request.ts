import type { HttpResponse } from './native.js';
import type { RequestHead } from './request-head.js';

/** Pause the socket while this many body bytes wait, unread, in the request stream. */
const BODY_HIGH_WATER_MARK = 64 * 1024;

/** A Host header we are willing to put in a URL: reg-name or IP literal, optional port. */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[\w.~%!$&'()*+,;=-]+)(?::\d*)?$/;

/**
 * Builds the web Request for a uWS request. The body (if any) is a stream fed by `res.onData`, which
 * must be attached before the route callback returns; chunks are copied (uWS reuses its buffer) and the
 * socket is paused while the app is not reading. Throws a TypeError for a Host that cannot be a URL.
 */
export function toWebRequest(head: RequestHead, res: HttpResponse, signal: AbortSignal | undefined): Request {
  let host = head.host;
  if (host === '') host = 'localhost';
  else if (!VALID_HOST.test(host)) throw new TypeError(`Invalid Host header: ${JSON.stringify(host)}`);
  const url = `http://${host}${head.url}`;
  const method = head.method;
  let request: Request;
  if (head.hasBody && method !== 'GET' && method !== 'HEAD') {
    request = new Request(url, { method, body: bodyStream(res), duplex: 'half', signal } as RequestInit);
  } else if (signal !== undefined) {
    request = new Request(url, { method, signal });
  } else {
    request = method === 'GET' ? new Request(url) : new Request(url, { method });
  }
  // Request headers use the 'request' guard: appending after construction is allowed and cheaper.
  const target = request.headers;
  const headers = head.headers;
  for (let i = 0; i < headers.length; i += 2) target.append(headers[i]!, headers[i + 1]!);
  return request;
}

function bodyStream(res: HttpResponse): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let paused = false;
  let done = false;
  res.onData((chunk, isLast) => {
    if (done) return;
    if (chunk.byteLength > 0) controller.enqueue(new Uint8Array(chunk.slice(0)));
    if (isLast) {
      done = true;
      controller.close();
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
