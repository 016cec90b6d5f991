import { createServer, type Server } from 'node:http';
import type { Worker } from '../worker/worker.js';
import type { HttpDrain } from './drain.js';
import { createRequestListener, type RequestListenerOptions } from './request-listener.js';

/**
 * A node:http server configured from the settings (keep-alive, connection limit) serving the worker's
 * app, tracked by `drain` for graceful stops. Worker classes built on node:http share it.
 */
export function createNodeServer(worker: Worker, drain: HttpDrain, options: RequestListenerOptions = {}): Server {
  const { settings } = worker;
  const server = createServer(
    {
      // 0 would mean "no timeout" to node; keepalive 0 is handled per response instead.
      keepAliveTimeout: Math.max(1, settings.keepalive * 1000),
      noDelay: true,
    },
    createRequestListener(worker, options),
  );
  server.maxConnections = settings.worker_connections;
  drain.track(server);
  return server;
}
