/**
 * Builds a web Request from a node:http request (the request half of the fetch adapter; hot path):
 * - no body stream for GET/HEAD, or for requests that carry no body (no Content-Length/Transfer-Encoding);
 * - the request body stream is lazy: nothing is read from the socket until the app reads the body;
 * - the client-disconnect AbortSignal is installed without `init.signal` when the runtime allows it
 *   (passing `init.signal` costs ~15 µs per request in Node 20's undici; see `signalSlot`);
 * - headers are copied from `rawHeaders` (node's lazy `req.headers` object is never built).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UnderlyingSource } from 'node:stream/web';
import type { ToRequestOptions } from './fetch-types.js';

/** Stop reading the request socket while this many body bytes wait, unread, in the web stream. */
const MAX_BUFFERED_BODY_BYTES = 64 * 1024;

/** A Host header we are willing to put in a URL: reg-name or IP literal, optional port. */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[\w.~%!$&'()*+,;=-]+)(?::\d*)?$/;

const ABSOLUTE_FORM = /^https?:\/\//i;

type RequestWithSlots = Request & Record<symbol, unknown>;

/** What toWebRequest builds with; made on the first request, so that importing this module does not load Node's undici (~100 ms of start-up). */
interface RequestKit {
  readonly NodeRequest: typeof Request;
  readonly signalSlot: symbol | undefined;
}

let kit: RequestKit | undefined;

function makeRequestKit(): RequestKit {
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

  return { NodeRequest, signalSlot };
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

  // HTTP/2 frames its body with DATA frames, not Content-Length: a body is there unless END_STREAM came with the headers.
  const stream = (req as { stream?: { endAfterHeaders: boolean } }).stream;
  if (stream) hasBody = !stream.endAfterHeaders;

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

  const { NodeRequest, signalSlot } = (kit ??= makeRequestKit());
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
