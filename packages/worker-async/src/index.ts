import { once } from 'node:events';
import type { Server } from 'node:http';
import { HttpDrain, Worker, createNodeServer } from '@pre/core';

/**
 * `--worker-class async`: one node:http server per inherited listener, many concurrent connections
 * on the event loop, keep-alive for `keepalive` seconds, at most `worker_connections` connections.
 */
export default class AsyncWorker extends Worker {
  readonly #drain = new HttpDrain();
  readonly #servers: Server[] = [];

  async run(): Promise<void> {
    for (const listener of this.listeners) {
      const server = createNodeServer(this, this.#drain);
      server.listen({ fd: listener.fd, backlog: this.settings.backlog });
      await once(server, 'listening');
      this.#servers.push(server);
    }
  }

  async stop(graceful: boolean): Promise<void> {
    if (graceful) await this.#drain.drain();
    else this.#drain.closeAll();
  }
}

export { AsyncWorker };
