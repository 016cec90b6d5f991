import { once } from 'node:events';
import type { Server } from 'node:net';
import { HttpDrain, WebSocketSessions, Worker, createServedProtocols, type WorkerCapabilities } from '@pre/core';
import type { NodeWebSockets } from './websocket.js';

/**
 * `--worker-class async`: one node:http server per inherited listener, many concurrent connections
 * on the event loop, keep-alive for `keepalive` seconds, at most `worker_connections` connections.
 */
export default class AsyncWorker extends Worker {
  /** Everything createNodeServer does, and WebSockets; one thread per process. */
  static override readonly capabilities: WorkerCapabilities = {
    tls: true, proxyProtocol: true, forwardedHeaders: true, headersTimeout: true, requestTimeout: true,
    keepalive: true, keepaliveOff: true, workerConnections: true, backlog: true, unixSockets: true, inheritedSockets: true,
    threads: false, nodeApps: true, fetchApps: true, websockets: true, limitRequestBody: true, http2: true,
  };

  readonly #drain = new HttpDrain();
  readonly #servers: Server[] = [];
  #websockets: NodeWebSockets | null = null;

  async run(): Promise<void> {
    if (this.app.websocket) {
      // `ws` is loaded only for an app with WebSocket handlers: the others start faster without it.
      const { NodeWebSockets } = await import('./websocket.js');
      this.#websockets = new NodeWebSockets(new WebSocketSessions(this.app.websocket, this.log));
    }
    for (const listener of this.listeners) {
      // HTTP/1.1 only by default; with h2 in http_protocols, pre's HTTP/2 front listens (WebSockets stay on HTTP/1.1).
      const { listener: server, http1 } = createServedProtocols(this, this.#drain);
      if (http1) this.#websockets?.attach(http1, (socket) => this.#drain.release(socket));
      // Node ignores `backlog` inside the options object when given an fd: pass it as an argument.
      server.listen({ fd: listener.fd }, this.settings.backlog);
      await once(server, 'listening');
      this.#servers.push(server);
    }
  }

  async stop(graceful: boolean): Promise<void> {
    // HTTP requests and WebSockets drain at the same time (HttpDrain leaves upgraded connections alone).
    if (graceful) {
      await Promise.all([this.#websockets?.closeAll(true), this.#drain.drain()]);
    } else {
      void this.#websockets?.closeAll(false);
      this.#drain.closeAll();
    }
  }
}

export { AsyncWorker };
