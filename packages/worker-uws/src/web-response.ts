import { STATUS_CODES } from 'node:http';
import { inMemoryResponseBody } from '@pre/core';
import { responseParts, type ResponseParts } from './light-response.js';
import type { HttpResponse } from './native.js';
import { headerRecord } from './request-sink.js';

/** What the response writer tells the caller once the response is out (or the client left). */
export interface Written {
  readonly status: number;
  readonly bytes: number;
}

/** Set by the caller's onAborted handler: `aborted`, then `wake()` to end a wait for `onWritable`. */
export interface ResponseState {
  aborted: boolean;
  wake?: (() => void) | undefined;
}

/**
 * How the connection ends after the response. 'close': pre asks uWS to close, and uWS writes
 * `Connection: close`. 'uws-closes': uWS closes by itself (the client said close) and writes no
 * Connection header, so pre writes it.
 */
export type Closing = 'keep-alive' | 'close' | 'uws-closes';

/** Statuses that never carry a body nor Content-Length (RFC 9110 §8.6, §15.4.5); 1xx never reach the writer. */
function bodyless(status: number): boolean {
  return status === 204 || status === 304;
}

/** Headers uWS writes itself (Content-Length, chunked encoding, Connection). */
const OWN_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

const statusLines = new Map<number, string>();

/** '200 OK', cached per status. */
export function statusLine(status: number, statusText = ''): string {
  if (statusText !== '') return `${status} ${statusText}`;
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
    statusLines.set(status, line);
  }
  return line;
}

/** The status line and headers of an untouched light Response (its parts), or of a native Response. */
function writeHeadOf(res: HttpResponse, source: ResponseParts | Response, closing: Closing): void {
  const headers = source.headers;
  if (!Array.isArray(headers)) return writeHead(res, source as Response, closing); // parts keep a flat array, a Response a Headers
  res.writeStatus(statusLine(source.status));
  for (let i = 0; i < headers.length; i += 2) if (!OWN_HEADERS.has(headers[i]!)) res.writeHeader(headers[i]!, headers[i + 1]!);
  if (closing === 'uws-closes') res.writeHeader('connection', 'close');
}

function writeHead(res: HttpResponse, response: Response, closing: Closing): void {
  res.writeStatus(statusLine(response.status, response.statusText));
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie' || OWN_HEADERS.has(name)) continue;
    res.writeHeader(name, value);
  }
  if (response.headers.has('set-cookie')) for (const cookie of response.headers.getSetCookie()) res.writeHeader('set-cookie', cookie);
  if (closing === 'uws-closes') res.writeHeader('connection', 'close');
}

/**
 * Writes `response` on `res`: in-memory bodies in one `end()`; other bodies chunked, with backpressure
 * (`onWritable`). `state.aborted` is set by the caller's onAborted handler; after it, nothing is
 * touched and the body stream is cancelled. `corked` says whether we are inside the route callback
 * (uWS corks it) or must cork ourselves.
 */
export function writeWebResponse(
  res: HttpResponse,
  response: Response,
  head: boolean,
  closing: Closing,
  state: ResponseState,
  corked: boolean,
): Written | Promise<Written> {
  const parts = responseParts(response);
  if (parts !== undefined) return endInMemory(res, parts, parts.status, parts.body, head, closing, state, corked);
  const source = inMemoryResponseBody(response)?.source;
  if (source !== undefined || response.body === null || head) {
    if (head || source === undefined) response.body?.cancel().catch(() => {});
    return endInMemory(res, response, response.status, source ?? null, head, closing, state, corked);
  }
  return streamBody(res, response, response.body.getReader(), closing, state);
}

/**
 * In-memory bodies up to this size go out with one `end()`: uWS copies what the socket cannot take at
 * once into its own buffer (at most this much). Measured on 64 KiB responses, ~1 µs of CPU less per
 * request than `tryEnd`, whose partial writes come back through `onWritable` callbacks. Larger bodies go
 * through `tryEnd`, so that a big body is never held twice.
 */
export const END_COPY_LIMIT = 256 * 1024;

/**
 * Sends the head (of `headOf`) and an in-memory body in one corked call: `end()` up to END_COPY_LIMIT,
 * else `tryEnd`, with what the socket cannot take now sent from `onWritable`, straight from `body`.
 * With `closeConnection`, always `end()` (tryEnd cannot close).
 * A 204 or 304 goes out without Content-Length (`endWithoutBody()` with no argument writes none).
 */
function endInMemory(
  res: HttpResponse,
  headOf: ResponseParts | Response,
  status: number,
  body: string | Uint8Array | null,
  head: boolean,
  closing: Closing,
  state: ResponseState,
  corked: boolean,
): Written | Promise<Written> {
  const closeConnection = closing !== 'keep-alive';
  const noBody = bodyless(status);
  const total = body === null || noBody ? 0 : byteLength(body);
  let done = true;
  let base = 0;
  const send = (): void => {
    writeHeadOf(res, headOf, closing);
    if (noBody) {
      // Without an argument uWS writes no Content-Length, but it cannot be told to close then: when
      // pre itself closes (draining, keepalive 0) it sends `Content-Length: 0` and closes.
      if (closing === 'close') res.endWithoutBody(0, true);
      else res.endWithoutBody();
    }
    else if (head) {
      // This uWS build's endWithoutBody(length > 0) leaves the response unfinished (a synchronous
      // route then aborts the process), and any argument counts as a length: write the headers ourselves.
      if (total === 0) res.endWithoutBody(0, closeConnection);
      else {
        res.writeHeader('content-length', String(total));
        if (closing === 'close') res.writeHeader('connection', 'close'); // 'uws-closes': writeHeadOf did
        res.endWithoutBody();
      }
    }
    else if (typeof body !== 'object' || body === null || closeConnection || total <= END_COPY_LIMIT) res.end(body ?? '', closeConnection);
    else {
      base = res.getWriteOffset();
      done = res.tryEnd(body, total)[1];
    }
  };
  if (corked) send();
  else res.cork(send);
  const written = { status, bytes: head ? 0 : total };
  if (done) return written;
  const bytes = body as Uint8Array;
  return new Promise<Written>((resolve) => {
    state.wake = () => resolve(written); // aborted: the caller has already reported it
    res.onWritable((offset) => {
      if (state.aborted) return true;
      let ok = false;
      res.cork(() => {
        [ok, done] = res.tryEnd(bytes.subarray(offset - base), total);
      });
      if (done) {
        state.wake = undefined;
        resolve(written);
      }
      return ok;
    });
  });
}

/** Sends a body that is not in memory, chunk by chunk, waiting for `onWritable` under backpressure. */
async function streamBody(
  res: HttpResponse,
  response: Response,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  closing: Closing,
  state: ResponseState,
): Promise<Written> {
  const status = response.status;
  let bytes = 0;
  let started = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (state.aborted) {
        void reader.cancel().catch(() => {});
        return { status, bytes };
      }
      if (done) break;
      const chunk = typeof value === 'string' ? Buffer.from(value) : (value as Uint8Array);
      if (chunk.byteLength === 0) continue;
      bytes += chunk.byteLength;
      let ok = true;
      res.cork(() => {
        if (!started) writeHead(res, response, closing);
        started = true;
        ok = res.write(chunk);
      });
      if (!ok) {
        await new Promise<void>((resolve) => {
          state.wake = resolve;
          res.onWritable(() => (resolve(), true));
        });
        state.wake = undefined;
      }
    }
  } catch (err) {
    if (!state.aborted) {
      state.aborted = true;
      if (started) res.close();
      else res.cork(() => res.writeStatus('500 Internal Server Error').end('Internal Server Error', true));
    }
    throw err;
  }
  if (!state.aborted) {
    res.cork(() => {
      if (!started) writeHead(res, response, closing);
      res.end(undefined, closing !== 'keep-alive');
    });
  }
  return { status, bytes };
}

/** The response headers for the access log, without building a native Response for a light one. */
export function responseHeaderRecord(response: Response): Record<string, string> {
  const parts = responseParts(response);
  return parts === undefined ? Object.fromEntries(response.headers) : headerRecord(parts.headers);
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
