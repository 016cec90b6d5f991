// @ts-check
// A third-party worker class for pre: HTTP/1.1 and HTTP/2 cleartext (h2c, "prior knowledge") on the
// same port, on the listening sockets the arbiter hands every worker. Written only against
// @pre/core's public API — see docs/writing-a-worker.md. Use it with:
//
//   pre apps/node-http --worker-class ./apps/custom-worker/worker.js:H2cWorker
//   curl --http2-prior-knowledge http://127.0.0.1:8000/     # HTTP/2
//   curl http://127.0.0.1:8000/                             # HTTP/1.1
//
// Each accepted connection is sniffed (sniff.js): the HTTP/2 preface goes to a node:http2 server,
// anything else to core's createNodeServer, so HTTP/1.1 gets every limit, timeout, check, hook and
// access-log line of the `async` class. Neither server listens: one plain net.Server per listener
// accepts and hands each connection over with `emit('connection', socket)`.
//
// Apps: fetch handlers (Hono, { fetch }) and node listeners that stick to the request/response API
// that node:http2's compatibility layer shares with node:http. Frameworks that swap the prototypes
// of req/res for node:http's (Express) would break on HTTP/2 requests, so they are refused.
import { once } from 'node:events';
import { IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { DRAIN_IDLE_MS, HttpDrain, Worker, createNodeServer } from '@pre/core';
import { accessEntry, requestInfo } from './access.js';
import { fetchHandler } from './fetch-handler.js';
import { headersDeadline, requestDeadline } from './h2-deadlines.js';
import { sniffProtocol } from './sniff.js';

/**
 * @typedef {import('node:http').Server} HttpServer
 * @typedef {import('node:http2').Http2Server} Http2Server
 * @typedef {import('node:http2').ServerHttp2Session} ServerHttp2Session
 * @typedef {import('node:http2').Http2ServerRequest} Http2ServerRequest
 * @typedef {import('node:http2').Http2ServerResponse} Http2ServerResponse
 * @typedef {(req: Http2ServerRequest, res: Http2ServerResponse) => unknown} Handler
 */

export class H2cWorker extends Worker {
  /**
   * What this class honours on both protocols (see docs/writing-a-worker.md, "Capabilities"). HTTP/1.1
   * alone could do more (createNodeServer has TLS, PROXY protocol and forwarded headers), but the h2c
   * side has none of them, so pre refuses those settings for the class.
   * @type {Partial<import('@pre/core').WorkerCapabilities>}
   */
  static capabilities = {
    ...Worker.capabilities, headersTimeout: true, requestTimeout: true,
    keepalive: true, keepaliveOff: true, workerConnections: true, backlog: true,
  };

  /** @type {net.Server[]} */
  #acceptors = [];
  /** HTTP/1.1: created once by core, handed connections; `#drain` tracks them for graceful stops. */
  #drain = new HttpDrain();
  /** @type {HttpServer | null} */
  #http1 = null;
  /** @type {Http2Server | null} */
  #http2 = null;
  /** @type {Set<ServerHttp2Session>} */
  #sessions = new Set();
  /** Connections still being sniffed: when they were accepted, and how to drop them.
   * @type {Map<net.Socket, { acceptedAt: number, drop: () => void }>} */
  #sniffing = new Map();
  /** @type {Handler | null} */
  #handler = null;

  async run() {
    const app = this.app;
    if (app.shape === 'node' && replacesNodeHttpPrototypes(app.listener)) {
      throw new Error(
        `the h2c worker class cannot serve ${app.spec}: it gives requests node:http's prototypes (as Express does), ` +
          'which HTTP/2 requests do not have. Serve it with an HTTP/1.1 worker class (--worker-class async).',
      );
    }
    this.#handler = app.shape === 'node' ? /** @type {Handler} */ (/** @type {unknown} */ (app.listener)) : fetchHandler(app.fetch);
    // The one place this class uses core's node:http helpers: everything HTTP/1.1 is theirs.
    this.#http1 = createNodeServer(this, this.#drain);
    this.#http2 = http2.createServer({
      // At most worker_connections streams in flight per connection (the setting's meaning for h2).
      settings: { maxConcurrentStreams: this.settings.worker_connections },
    });
    this.#http2.on('request', (req, res) => void this.#onRequest(req, res));
    this.#http2.on('session', (session) => this.#track(session));
    for (const listener of this.listeners) {
      const acceptor = net.createServer({ noDelay: true }, (socket) => this.#sniff(socket));
      // worker_connections bounds the connections of both protocols together, as on `async`.
      acceptor.maxConnections = this.settings.worker_connections;
      // With an fd, node reads the backlog only from listen's second argument.
      acceptor.listen({ fd: listener.fd }, this.settings.backlog);
      await once(acceptor, 'listening');
      this.#acceptors.push(acceptor);
    }
  }

  /** @param {net.Socket} socket */
  #sniff(socket) {
    // A head must begin within headers_timeout on HTTP/1.1; the same bound holds before we know which protocol.
    const { headers_timeout: headers, request_timeout: request, keepalive } = this.settings;
    const deadlineMs = Math.max(1, headers || request || keepalive) * 1000;
    const drop = sniffProtocol(socket, deadlineMs, (protocol) => {
      this.#sniffing.delete(socket);
      const server = protocol === 'h2' ? this.#http2 : this.#http1;
      /** @type {net.Server} */ (server).emit('connection', socket);
    });
    this.#sniffing.set(socket, { acceptedAt: performance.now(), drop });
    socket.once('close', () => this.#sniffing.delete(socket));
  }

  /** @param {ServerHttp2Session} session */
  #track(session) {
    this.#sessions.add(session);
    session.once('close', () => this.#sessions.delete(session));
    session.on('error', (err) => this.log.debug(`HTTP/2 session error: ${err.message}`));
    // An idle connection is closed (with GOAWAY) after `keepalive` seconds, as HTTP/1.1 workers do.
    session.setTimeout(Math.max(1, this.settings.keepalive) * 1000, () => session.close());
    // keepalive 0: one request per connection; GOAWAY as soon as it opens, the stream still completes.
    if (this.settings.keepalive === 0) session.once('stream', () => session.close());
    if (!this.alive) session.close(); // accepted during a graceful stop: serve nothing new on it
    headersDeadline(session, this.settings.headers_timeout * 1000);
  }

  /**
   * One request: pre_request, the app, a 500 if it throws, then (when the stream closes)
   * requestFinished, which writes the access log, runs post_request and counts for max_requests.
   * @param {Http2ServerRequest} req
   * @param {Http2ServerResponse} res
   */
  async #onRequest(req, res) {
    const started = performance.now();
    const startTime = Date.now();
    const remoteAddress = req.socket.remoteAddress;
    const info = this.hasRequestHooks ? requestInfo(req) : undefined;
    const { request_timeout: request, headers_timeout: headers } = this.settings;
    if (request > 0) requestDeadline(req, res, Math.max(request, headers) * 1000);
    res.once('close', () => {
      const durationMs = performance.now() - started;
      const entry = this.accessLog.enabled ? accessEntry(req, res, startTime, durationMs, remoteAddress) : null;
      this.requestFinished(entry, info, info && { status: res.statusCode, bytes: undefined, durationMs });
    });
    try {
      if (info) await this.requestStarted(info);
      await /** @type {Handler} */ (this.#handler)(req, res);
    } catch (err) {
      this.log.exception(`Error handling request ${req.method} ${req.url}`, err);
      if (res.headersSent) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Internal Server Error');
      }
    }
  }

  /**
   * Graceful: stop accepting; HTTP/1.1 drains as on `async` (HttpDrain: `Connection: close` on later
   * responses, idle connections closed after a moment); HTTP/2 gets GOAWAY on every session (its own
   * "finish what you have, open nothing new"). Connections still being sniffed get DRAIN_IDLE_MS from
   * their accept to say something, like an idle keep-alive connection, then whatever they turned
   * out to be drains too. Fast: drop everything now. The runtime cuts a graceful stop short at
   * graceful_timeout.
   * @param {boolean} graceful
   */
  async stop(graceful) {
    for (const acceptor of this.#acceptors) if (acceptor.listening) acceptor.close();
    if (!graceful) {
      for (const { drop } of this.#sniffing.values()) drop();
      this.#drain.closeAll();
      for (const session of this.#sessions) session.destroy();
      return;
    }
    const http1 = this.#drain.drain();
    for (const session of this.#sessions) session.close();
    await this.#sniffed();
    // Connections sniffed since the drain began: the second drain() and the GOAWAY in #track cover them.
    const sessions = [...this.#sessions].map((session) => once(session, 'close'));
    await Promise.all([http1, this.#drain.drain(), ...sessions]);
  }

  /** Resolves once no connection is being sniffed; drops those silent for DRAIN_IDLE_MS since their accept. */
  async #sniffed() {
    while (this.#sniffing.size > 0) {
      const now = performance.now();
      for (const { acceptedAt, drop } of this.#sniffing.values()) if (now - acceptedAt >= DRAIN_IDLE_MS) drop();
      if (this.#sniffing.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Express (and apps built like it) set `Object.setPrototypeOf(req, app.request)` where `app.request`
 * inherits from http.IncomingMessage: on an HTTP/2 request that loses the stream underneath.
 * @param {Function} listener
 */
function replacesNodeHttpPrototypes(listener) {
  const request = /** @type {{ request?: unknown }} */ (listener).request;
  return typeof request === 'object' && request !== null && IncomingMessage.prototype.isPrototypeOf(request);
}

export default H2cWorker;
