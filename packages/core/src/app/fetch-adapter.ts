/**
 * Serve a fetch-style app (`(request: Request) => Response`) from node:http.
 *
 * This is the hot path for fetch apps, so it avoids work the common case does not need:
 * - no body stream for GET/HEAD, or for requests that carry no body (no Content-Length/Transfer-Encoding);
 * - the request body stream is lazy: nothing is read from the socket until the app reads the body;
 * - the client-disconnect AbortSignal is installed without `init.signal` when the runtime allows it
 *   (passing `init.signal` costs ~15 µs per request in Node 20's undici; see `signalSlot`);
 * - headers are copied from `rawHeaders` (node's lazy `req.headers` object is never built) and written
 *   with one `writeHead()` call using the flat-array form;
 * - in-memory bodies (string, JSON, ArrayBuffer, Uint8Array) are sent straight from the Response's
 *   source when the runtime allows it (see `responseStateSlot`), else read without waiting; either
 *   way, bodies whose bytes are all available at once go out with a Content-Length in one `res.end()`;
 *   other bodies are streamed with backpressure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadableStreamReadResult, UnderlyingSource } from 'node:stream/web';

export type FetchHandler = (request: Request, context: FetchContext) => Response | Promise<Response>;

/** Given to the fetch handler as its second argument. */
export interface FetchContext {
  remoteAddress: string | undefined;
  /**
   * The header fields as received, flat `[name, value, ...]`, for apps that need the raw view (an echo
   * or conformance app). Optional: a worker class fills it when it can (uws lower-cases the names).
   */
  readonly rawHeaders?: readonly string[];
  /** `'1.1'` or `'1.0'`, when the worker class knows it. */
  readonly httpVersion?: string;
}

export interface ToRequestOptions {
  /** The scheme of the request URL; default 'http'. */
  scheme?: 'http' | 'https';
}

/** Stop reading the request socket while this many body bytes wait, unread, in the web stream. */
const MAX_BUFFERED_BODY_BYTES = 64 * 1024;

/** How many chunks of a response body we try to collect without waiting, to send them in one `end()`. */
const MAX_IMMEDIATE_CHUNKS = 8;

/** A Host header we are willing to put in a URL: reg-name or IP literal, optional port. */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[\w.~%!$&'()*+,;=-]+)(?::\d*)?$/;

const ABSOLUTE_FORM = /^https?:\/\//i;

const INTERNAL_ERROR_BODY = 'Internal Server Error';
const BAD_REQUEST_BODY = 'Bad Request';

const noop = (): void => {};

type RequestWithSlots = Request & Record<symbol, unknown>;

/**
 * The Requests we build. Node's undici makes `clone()` follow the original's signal only when undici
 * itself aborted that signal; ours is aborted by us (see `signalSlot`), so clones follow it here.
 */
class NodeRequest extends Request {}

const baseClone = Request.prototype.clone;
// (A method declared in the class body would clash with undici-types, which types `clone` as a property.)
Object.defineProperty(NodeRequest.prototype, 'clone', {
  configurable: true,
  writable: true,
  value: function clone(this: Request): Request {
    const copy = baseClone.call(this);
    const signal = this.signal;
    if (signalSlot !== undefined && !signal.aborted) {
      const controller = new AbortController();
      signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
      (copy as RequestWithSlots)[signalSlot] = controller.signal;
      Object.setPrototypeOf(copy, NodeRequest.prototype); // so that its own clones follow it in turn
    }
    return copy;
  },
});

/**
 * Node's undici (Node 20/22) keeps a Request's signal in an own symbol-keyed property, read by the
 * `signal` getter and by `new Request(request)` / `fetch(request)`. Storing our own signal there right
 * after construction gives the semantics of `init.signal` without the cost of undici's
 * signal-following machinery (getMaxListeners, an EventTarget listener, WeakRef and
 * FinalizationRegistry: ~15 µs per request, more than the rest of the Request). The behaviour is
 * verified once, here; where it does not hold (another runtime) we pass `init.signal` instead.
 */
const signalSlot: symbol | undefined = findSignalSlot();

function findSignalSlot(): symbol | undefined {
  try {
    const probe = new NodeRequest('http://localhost/') as RequestWithSlots;
    const key = Object.getOwnPropertySymbols(probe).find((k) => probe[k] === probe.signal);
    if (key === undefined) return undefined;
    const controller = new AbortController();
    probe[key] = controller.signal;
    if (probe.signal !== controller.signal) return undefined;
    const copy = new Request(probe);
    // A clone must have the same slot, for NodeRequest.prototype.clone to fill in.
    if (!Object.prototype.hasOwnProperty.call(baseClone.call(probe), key)) return undefined;
    controller.abort();
    return copy.signal.aborted ? key : undefined;
  } catch {
    return undefined;
  }
}

interface InternalBody {
  source: unknown;
  length: number | null;
  stream: unknown;
}

/**
 * Node's undici (Node 20/22) keeps a Response's body in an own symbol-keyed state, with the original
 * `source` (a string or a Uint8Array for string, JSON, ArrayBuffer and typed-array bodies) next to
 * the stream made from it. Sending the source directly skips the stream: no reader, no reads, no
 * promises (~10 µs per response). Found and verified once, here; undefined elsewhere (Node 24+),
 * where bodies go through the stream path.
 */
const responseStateSlot: symbol | undefined = findResponseStateSlot();

function findResponseStateSlot(): symbol | undefined {
  try {
    const text = 'probe \u2713';
    const probe = new Response(text) as Response & Record<symbol, { body?: InternalBody } | undefined>;
    for (const key of Object.getOwnPropertySymbols(probe)) {
      const body = probe[key]?.body;
      if (body?.source === text && body.length === Buffer.byteLength(text) && body.stream === probe.body) return key;
    }
  } catch {
    // not this runtime
  }
  return undefined;
}

/** The in-memory body of a native Response that nobody has started reading, if it has one. */
function inMemoryBody(response: Response): InternalBody | undefined {
  const body = (response as Response & Record<symbol, { body?: InternalBody } | undefined>)[responseStateSlot!]?.body;
  if (body === undefined || body === null) return undefined;
  const { source, stream } = body;
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) return undefined;
  if (typeof body.length !== 'number' || stream !== response.body || response.bodyUsed || (stream as ReadableStream).locked) {
    return undefined;
  }
  return body;
}

/**
 * Build a web Request: URL from scheme + Host header (fallback 'localhost') + req.url; headers copied
 * from req.rawHeaders (multi-value kept); body = the request stream for methods other than GET/HEAD;
 * an AbortSignal that aborts when the client connection closes before the response finished.
 *
 * Throws a TypeError for a request that cannot be represented (bad Host header, unsupported
 * request target or method): answer it with 400.
 */
export function toWebRequest(req: IncomingMessage, res: ServerResponse, options?: ToRequestOptions): Request {
  const raw = req.rawHeaders;
  const method = req.method ?? 'GET';
  let host: string | undefined;
  let hasBody = false;
  // One pass for the headers we need; comparing lengths first keeps this cheap.
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    switch (name.length) {
      case 4:
        if (host === undefined && name.toLowerCase() === 'host') host = raw[i + 1];
        break;
      case 14:
        if (raw[i + 1] !== '0' && name.toLowerCase() === 'content-length') hasBody = true;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') hasBody = true;
        break;
    }
  }

  const target = req.url ?? '/';
  let url: string;
  if (target.charCodeAt(0) === 47 /* '/' */) {
    if (host === undefined || host === '') host = 'localhost';
    else if (!VALID_HOST.test(host)) throw new TypeError(`Invalid Host header: ${JSON.stringify(host)}`);
    // TLS sockets, and sockets a trusted proxy vouched for (see http/forwarded.ts), are https.
    url = `${(req.socket as { encrypted?: boolean }).encrypted ? 'https' : options?.scheme ?? 'http'}://${host}${target}`;
  } else if (ABSOLUTE_FORM.test(target)) {
    url = target; // absolute-form (RFC 9112 §3.2.2): its authority wins over Host
  } else {
    throw new TypeError(`Unsupported request target: ${JSON.stringify(target)}`);
  }

  const controller = new AbortController();
  let body: ReadableStream<Uint8Array> | undefined;
  let bodySource: RequestBodySource | undefined;
  if (hasBody && method !== 'GET' && method !== 'HEAD') {
    bodySource = new RequestBodySource(req);
    body = new ReadableStream<Uint8Array>(bodySource, bodySource);
  }

  let request: Request;
  if (signalSlot !== undefined) {
    request =
      body === undefined
        ? method === 'GET'
          ? new NodeRequest(url)
          : new NodeRequest(url, { method })
        : new NodeRequest(url, { method, body, duplex: 'half' });
    (request as RequestWithSlots)[signalSlot] = controller.signal;
  } else {
    request =
      body === undefined
        ? new NodeRequest(url, { method, signal: controller.signal })
        : new NodeRequest(url, { method, body, duplex: 'half', signal: controller.signal });
  }

  // Request headers use the 'request' guard, so appending after construction is allowed; it saves
  // building an array of pairs for the constructor to convert.
  const headers = request.headers;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) !== 58 /* ':' HTTP/2 pseudo-header */) headers.append(name, raw[i + 1]!);
  }

  const onClose = (): void => {
    const finished = res.writableFinished;
    if (!finished) controller.abort();
    // A body nobody finished reading: stop it, and let node discard the rest of it (keep-alive).
    bodySource?.detach(finished ? new Error('The response was sent before the request body was read') : controller.signal.reason);
  };
  if (res.destroyed || req.socket.destroyed) onClose();
  else res.once('close', onClose);

  return request;
}

/**
 * Underlying source (and queuing strategy) of a request body stream. Lazy: it starts reading the
 * IncomingMessage on the first pull, so a body the app never reads is left for node to discard.
 * Buffers from the socket are enqueued as they are (no copy). Backpressure: highWaterMark 0 means
 * pull() runs only when a read waits on an empty queue; we pause the IncomingMessage when more than
 * MAX_BUFFERED_BODY_BYTES sit unread and resume it on the next pull.
 */
class RequestBodySource implements UnderlyingSource<Uint8Array>, QueuingStrategy<Uint8Array> {
  readonly highWaterMark = 0;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private attached = false;
  private done = false;

  constructor(private readonly req: IncomingMessage) {}

  size(chunk: Uint8Array): number {
    return chunk.byteLength;
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller;
  }

  pull(): void {
    if (this.done) return;
    if (this.attached) {
      this.req.resume();
      return;
    }
    this.attached = true;
    if (this.req.readableEnded) {
      this.finish();
      return;
    }
    this.req.on('data', this.onData);
    this.req.on('end', this.onEnd);
    this.req.on('error', this.onError);
    this.req.on('close', this.onReqClose);
  }

  cancel(): void {
    this.detach(undefined);
  }

  /** Stop feeding the stream (erroring it with `reason` if given) and discard the rest of the body. */
  detach(reason: unknown): void {
    if (this.done) return;
    this.removeListeners();
    if (reason !== undefined) this.controller?.error(reason);
    if (this.attached) this.req.resume(); // no 'data' listener left: node reads and drops the rest
  }

  private readonly onData = (chunk: Buffer): void => {
    const controller = this.controller!;
    controller.enqueue(chunk);
    if (controller.desiredSize! < -MAX_BUFFERED_BODY_BYTES) this.req.pause();
  };

  private readonly onEnd = (): void => {
    this.finish();
  };

  private readonly onError = (err: Error): void => {
    if (this.done) return;
    this.removeListeners();
    this.controller!.error(err);
  };

  private readonly onReqClose = (): void => {
    // 'close' without 'end' or 'error': the body was cut short.
    if (this.done) return;
    this.removeListeners();
    this.controller!.error(new Error('The request body was aborted'));
  };

  private finish(): void {
    if (this.done) return;
    this.removeListeners();
    this.controller!.close();
  }

  private removeListeners(): void {
    this.done = true;
    if (!this.attached) return;
    this.req.off('data', this.onData);
    this.req.off('end', this.onEnd);
    this.req.off('error', this.onError);
    this.req.off('close', this.onReqClose);
  }
}

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

  if (responseStateSlot !== undefined) {
    const internal = inMemoryBody(response);
    if (internal !== undefined) {
      const source = internal.source as string | Uint8Array;
      if (!hasLength) flat.push('content-length', String(typeof source === 'string' ? internal.length : source.byteLength));
      res.writeHead(status, statusText, flat);
      if (req.method === 'HEAD') res.end();
      else res.end(source);
      return whenDone(res);
    }
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value instanceof Promise ||
    (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function')
  );
}

function isResponse(value: unknown): value is Response {
  if (value instanceof Response) return true;
  // A Response from another realm or fetch implementation (e.g. the undici package).
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { status?: unknown; headers?: { [Symbol.iterator]?: unknown }; body?: unknown };
  return (
    typeof v.status === 'number' &&
    typeof v.headers?.[Symbol.iterator] === 'function' &&
    (v.body === null || (typeof v.body === 'object' && typeof (v.body as { getReader?: unknown }).getReader === 'function'))
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object';
}

function sendPlain(res: ServerResponse, status: number, text: string): Promise<void> | undefined {
  if (res.destroyed) return undefined;
  if (res.headersSent) {
    res.destroy();
    return undefined;
  }
  res.writeHead(status, ['content-type', 'text/plain; charset=utf-8', 'content-length', String(text.length)]);
  res.end(text);
  return whenDone(res);
}

/**
 * Adapt a fetch handler into a node request listener. If the handler throws/rejects, returns
 * something that is not a Response, or its Response cannot be written, onError(err) is called and
 * the client gets a 500 'Internal Server Error' (or, if the headers were already sent, the socket is
 * destroyed). A request that cannot be turned into a web Request (bad Host header, unsupported
 * method or request target) is answered 400 without calling onError: it is the client's fault.
 * The returned promise resolves when the response is done.
 */
export function fetchToNodeListener(
  handler: FetchHandler,
  onError: (err: unknown) => void,
  options?: ToRequestOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const fail = (res: ServerResponse, err: unknown): Promise<void> | undefined => {
    try {
      onError(err);
    } catch {
      // a failing error reporter must not take the response down with it
    }
    return sendPlain(res, 500, INTERNAL_ERROR_BODY);
  };

  return async (req, res) => {
    let request: Request;
    try {
      request = toWebRequest(req, res, options);
    } catch {
      return sendPlain(res, 400, BAD_REQUEST_BODY);
    }

    let response: unknown;
    try {
      const result: unknown = handler(request, { remoteAddress: req.socket.remoteAddress });
      response = isThenable(result) ? await result : result;
    } catch (err) {
      return fail(res, err);
    }
    if (!isResponse(response)) {
      return fail(res, new TypeError(`The fetch handler returned ${describe(response)} instead of a Response`));
    }

    try {
      await writeWebResponse(req, res, response);
    } catch (err) {
      return fail(res, err);
    }
  };
}
