/**
 * Writes a web Response to a node:http response (the response half of the fetch adapter; hot path):
 * - headers are written with one `writeHead()` call using the flat-array form;
 * - in-memory bodies (string, JSON, ArrayBuffer, Uint8Array) are sent straight from the Response's
 *   source when the runtime allows it (see `inMemoryResponseBody`), else read without waiting; either
 *   way, bodies whose bytes are all available at once go out with a Content-Length in one `res.end()`;
 *   other bodies are streamed with backpressure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadableStreamReadResult } from 'node:stream/web';
import { inMemoryResponseBody } from './response-body.js';

/** How many chunks of a response body we try to collect without waiting, to send them in one `end()`. */
const MAX_IMMEDIATE_CHUNKS = 8;

const noop = (): void => {};

/** Resolves to undefined if `promise` has not settled after a few microtask turns. */
function readWithoutWaiting<T>(promise: Promise<T>): Promise<T | undefined> {
  return Promise.race([promise, Promise.resolve().then(() => Promise.resolve(undefined))]);
}

function toChunk(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new TypeError('A Response body chunk must be a Uint8Array');
}

/** Resolves once `res` finished or closed (at once if it already has). */
function whenDone(res: ServerResponse): Promise<void> | undefined {
  if (res.writableFinished || res.destroyed) return undefined;
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('finish', done);
      res.off('close', done);
      resolve();
    };
    res.on('finish', done);
    res.on('close', done);
  });
}

/**
 * Write a web Response to res: status, statusText, headers (multiple Set-Cookie preserved), body
 * (null, or streamed with backpressure). Resolves when the response finished or the client went
 * away; rejects (after destroying res if the headers were already sent) if the body stream errors.
 * For HEAD requests no body is written (the body stream is cancelled).
 */
export async function writeWebResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const headers = response.headers;
  const useGetSetCookie = typeof headers.getSetCookie === 'function';
  const flat: string[] = [];
  let hasLength = false;
  for (const [name, value] of headers) {
    // Names come lower-cased from Headers.
    if (name === 'set-cookie' && useGetSetCookie) continue;
    if (name === 'content-length' || name === 'transfer-encoding') hasLength = true;
    flat.push(name, value);
  }
  if (useGetSetCookie) {
    for (const cookie of headers.getSetCookie()) flat.push('set-cookie', cookie);
  }
  const status = response.status;
  const statusText = response.statusText || undefined;

  const internal = inMemoryResponseBody(response);
  if (internal !== undefined) {
    const source = internal.source;
    if (!hasLength) flat.push('content-length', String(typeof source === 'string' ? internal.length : source.byteLength));
    res.writeHead(status, statusText, flat);
    if (req.method === 'HEAD') res.end();
    else res.end(source);
    return whenDone(res);
  }

  const body = response.body;
  if (body === null || req.method === 'HEAD') {
    res.writeHead(status, statusText, flat);
    res.end();
    if (body !== null) body.cancel().catch(noop);
    return whenDone(res);
  }

  const reader = body.getReader(); // throws (before anything is sent) if the body is locked
  // Collect what the body can give without waiting: for in-memory bodies that is all of it, and we
  // can send it with a Content-Length in one write instead of chunked encoding.
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  let first: Uint8Array | undefined;
  let more: Uint8Array[] | undefined;
  let total = 0;
  let complete = false;
  try {
    for (let i = 0; i < MAX_IMMEDIATE_CHUNKS; i++) {
      const read = reader.read();
      const result = await readWithoutWaiting(read);
      if (result === undefined) {
        pending = read;
        break;
      }
      if (result.done) {
        complete = true;
        break;
      }
      const chunk = toChunk(result.value);
      if (chunk.byteLength === 0) continue;
      total += chunk.byteLength;
      if (first === undefined) first = chunk;
      else (more ??= []).push(chunk);
    }
  } catch (err) {
    reader.cancel(err).catch(noop);
    throw err;
  }

  if (complete) {
    if (!hasLength) flat.push('content-length', String(total));
    res.writeHead(status, statusText, flat);
    if (more !== undefined) {
      res.write(first!);
      for (let i = 0; i < more.length - 1; i++) res.write(more[i]!);
      res.end(more[more.length - 1]);
    } else {
      res.end(first);
    }
    return whenDone(res);
  }

  res.writeHead(status, statusText, flat);
  if (first === undefined) {
    res.flushHeaders(); // a slow stream (e.g. server-sent events): let the client see the headers now
  } else {
    res.write(first);
    if (more !== undefined) for (const chunk of more) res.write(chunk);
  }
  return pump(reader, res, pending);
}

/** Stream the rest of a body to res, respecting backpressure; cancel the reader if the client goes away. */
async function pump(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  res: ServerResponse,
  pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined,
): Promise<void> {
  if (res.destroyed) {
    reader.cancel().catch(noop);
    return;
  }
  let gone = false;
  let wake: (() => void) | undefined;
  const onClose = (): void => {
    if (res.writableFinished) return;
    gone = true;
    reader.cancel(new Error('The client closed the connection')).catch(noop);
    wake?.();
  };
  res.on('close', onClose);
  try {
    let result = await (pending ?? reader.read());
    while (!result.done && !gone) {
      const chunk = toChunk(result.value);
      if (chunk.byteLength > 0 && !res.write(chunk)) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          res.once('drain', resolve);
        });
        res.off('drain', wake!);
        wake = undefined;
        if (gone) break;
      }
      result = await reader.read();
    }
  } catch (err) {
    reader.cancel(err).catch(noop);
    res.off('close', onClose);
    res.destroy();
    throw err;
  }
  res.off('close', onClose);
  if (gone) return;
  res.end();
  return whenDone(res);
}

/** Answers with a plain-text status (or destroys the socket when the headers are already out). */
export function sendPlain(res: ServerResponse, status: number, text: string): Promise<void> | undefined {
  if (res.destroyed) return undefined;
  if (res.headersSent) {
    res.destroy();
    return undefined;
  }
  res.writeHead(status, ['content-type', 'text/plain; charset=utf-8', 'content-length', String(text.length)]);
  res.end(text);
  return whenDone(res);
}
