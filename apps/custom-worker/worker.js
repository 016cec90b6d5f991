// @ts-check
// A third-party worker class for pre: HTTP/2 over cleartext TCP (h2c, "prior knowledge") with
// node:http2, on the listening sockets the arbiter hands every worker. Written only against
// @pre/core's public API — see docs/writing-a-worker.md. Use it with:
//
//   pre apps/node-http --worker-class ./apps/custom-worker/worker.js:H2cWorker
//   curl --http2-prior-knowledge http://127.0.0.1:8000/
//
// Apps: fetch handlers (Hono, { fetch }) and node listeners that stick to the request/response API
// that node:http2's compatibility layer shares with node:http. Frameworks that swap the prototypes
// of req/res for node:http's (Express) need an HTTP/1.1 worker class such as `async`.
import { once } from 'node:events';
import { IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import { Worker } from '@pre/core';
import { accessEntry, requestInfo } from './access.js';
import { fetchHandler } from './fetch-handler.js';

/**
 * @typedef {import('node:http2').Http2Server} Http2Server
 * @typedef {import('node:http2').ServerHttp2Session} ServerHttp2Session
 * @typedef {import('node:http2').Http2ServerRequest} Http2ServerRequest
 * @typedef {import('node:http2').Http2ServerResponse} Http2ServerResponse
 * @typedef {(req: Http2ServerRequest, res: Http2ServerResponse) => unknown} Handler
 */

export class H2cWorker extends Worker {
  /**
   * What this class honours (see docs/writing-a-worker.md, "Capabilities"); pre refuses the other
   * settings (TLS, PROXY protocol, forwarded headers, header/request timeouts, keepalive 0, threads).
   * @type {Partial<import('@pre/core').WorkerCapabilities>}
   */
  static capabilities = { ...Worker.capabilities, keepalive: true, workerConnections: true, backlog: true };

  /** @type {Http2Server[]} */
  #servers = [];
  /** @type {Set<ServerHttp2Session>} */
  #sessions = new Set();
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
    for (const listener of this.listeners) {
      const server = http2.createServer({
        // At most worker_connections streams in flight per connection (the setting's meaning for h2).
        settings: { maxConcurrentStreams: this.settings.worker_connections },
      });
      server.on('request', (req, res) => void this.#onRequest(req, res));
      server.on('session', (session) => this.#track(session));
      server.maxConnections = this.settings.worker_connections;
      server.listen({ fd: listener.fd, backlog: this.settings.backlog });
      await once(server, 'listening');
      this.#servers.push(server);
    }
  }

  /** @param {ServerHttp2Session} session */
  #track(session) {
    this.#sessions.add(session);
    session.once('close', () => this.#sessions.delete(session));
    session.on('error', (err) => this.log.debug(`HTTP/2 session error: ${err.message}`));
    // An idle connection is closed (with GOAWAY) after `keepalive` seconds, as HTTP/1.1 workers do.
    session.setTimeout(Math.max(1, this.settings.keepalive) * 1000, () => session.close());
    if (!this.alive) session.close(); // accepted during a graceful stop: serve nothing new on it
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
    const info = this.hasRequestHooks ? requestInfo(req) : undefined;
    res.once('close', () => {
      const durationMs = performance.now() - started;
      const entry = this.accessLog.enabled ? accessEntry(req, res, startTime, durationMs) : null;
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
   * Graceful: stop accepting, send GOAWAY on every connection (HTTP/2's own "finish what you have,
   * open nothing new"), and resolve when the last connection has closed. Fast: drop them all now.
   * The runtime cuts a graceful stop short at graceful_timeout.
   * @param {boolean} graceful
   */
  async stop(graceful) {
    for (const server of this.#servers) if (server.listening) server.close();
    const closed = [...this.#sessions].map((session) => new Promise((resolve) => session.once('close', resolve)));
    for (const session of this.#sessions) {
      if (graceful) session.close();
      else session.destroy();
    }
    await Promise.all(closed);
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
