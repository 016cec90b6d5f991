import { createServer, type Server } from 'node:http';
import type { Logger } from '../logging/error-log.js';
import { listenEndpoint } from './http-endpoint.js';
import type { ReadinessProbe } from './readiness.js';

/** `health_bind`: an HTTP server in the arbiter that answers only `/ready` and `/live`, never the app. */
export class HealthServer {
  readonly #server: Server;
  #cancel: () => void = () => {};

  private constructor(probe: ReadinessProbe) {
    this.#server = createServer((req, res) => {
      if (!probe.answer(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: probes are at /ready and /live\n');
    });
  }

  static async start(bind: string, probe: ReadinessProbe, oldMasterHoldsIt: boolean, log: Logger): Promise<HealthServer> {
    const health = new HealthServer(probe);
    const { cancel } = await listenEndpoint(health.#server, bind, {
      setting: 'health_bind', flag: '--health-bind', path: '/ready', oldMasterHoldsIt, log,
      onListening: (url) => log.info(`Serving readiness probes at: ${url} (and /live)`),
    });
    health.#cancel = cancel;
    return health;
  }

  close(): Promise<void> {
    this.#cancel();
    if (!this.#server.listening) return Promise.resolve();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
