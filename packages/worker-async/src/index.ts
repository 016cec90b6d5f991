import { AcceptSpread, HttpDrain, REBALANCE_PAUSE_MS, WebSocketSessions, Worker, createServedProtocols, type WorkerCapabilities } from '@pre/core';
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
    shedConnections: true,
  };

  readonly #drain = new HttpDrain();
  readonly #spreads: AcceptSpread[] = [];
  #websockets: NodeWebSockets | null = null;

  async run(): Promise<void> {
    if (this.app.websocket) {
      // `ws` is loaded only for an app with WebSocket handlers: the others start faster without it.
      const { NodeWebSockets } = await import('./websocket.js');
      this.#websockets = new NodeWebSockets(new WebSocketSessions(this.app.websocket, this.log));
    }
    for (const [index, listener] of this.listeners.entries()) {
      // HTTP/1.1 only by default; with h2 in http_protocols, pre's HTTP/2 front listens (WebSockets stay on HTTP/1.1).
      const { listener: server, http1 } = createServedProtocols(this, this.#drain);
      if (http1) this.#websockets?.attach(http1, (socket) => this.#drain.release(socket));
      // Bursts of new connections are shared with the other workers (see AcceptSpread).
      const spread = new AcceptSpread(server, {
        backlog: this.settings.backlog,
        fetchCopy: () => this.duplicateListener(index),
        onError: (err, accepting) => this.#onSpreadError(listener.address, err, accepting),
        log: this.log,
        enabled: this.settings.workers > 1,
      });
      this.#spreads.push(spread);
      await spread.listen(listener.fd);
    }
  }

  #onSpreadError(address: string, err: Error, accepting: boolean): void {
    if (accepting) return this.log.warning(`Worker (pid: ${this.pid}) cannot share bursts of connections on ${address} with the other workers: ${err.message}`);
    this.log.error(`Worker (pid: ${this.pid}) cannot accept on ${address} any more: ${err.message}`);
    this.retire('cannot accept');
  }

  /** HTTP/1.1 connections (HTTP/2 sessions and WebSockets stay where they are). */
  override get openConnections(): number {
    return this.#drain.connections;
  }

  /**
   * keepalive_rebalance: stops accepting for a moment, so their clients reconnect to the other workers,
   * then `Connection: close` on the next response of the connections used last.
   */
  override async shedConnections(count: number): Promise<number> {
    await Promise.all(this.#spreads.map((spread) => spread.leaveFor(REBALANCE_PAUSE_MS)));
    return this.#drain.shed(count);
  }

  async stop(graceful: boolean): Promise<void> {
    for (const spread of this.#spreads) spread.stop();
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
