import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ArbiterStats } from '../arbiter/control-api.js';

/** What the probes need from the arbiter. */
export interface ReadinessHost {
  stats(): ArbiterStats;
}

export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
}

/**
 * Readiness for an orchestrator (`GET /ready`): ready once the first generation of workers has booted
 * (all `workers` of them, once), as long as one booted worker serves; not ready from the moment a stop
 * (TERM, INT, QUIT) began, while requests drain. Liveness (`GET /live`): the arbiter answers.
 */
export class ReadinessProbe {
  readonly #host: ReadinessHost;
  #firstGenerationBooted = false;

  constructor(host: ReadinessHost) {
    this.#host = host;
  }

  check(): Readiness {
    const stats = this.#host.stats();
    if (stats.stopping) return { ready: false, reason: 'stopping: requests are draining' };
    if (stats.bootedWorkers >= stats.numWorkers && stats.numWorkers > 0) this.#firstGenerationBooted = true;
    if (!this.#firstGenerationBooted) return { ready: false, reason: `booting: ${stats.bootedWorkers} of ${stats.numWorkers} workers up` };
    if (stats.bootedWorkers === 0) return { ready: false, reason: 'no worker is serving' };
    return { ready: true, reason: `${stats.bootedWorkers} of ${stats.numWorkers} workers serving` };
  }

  /** Answers `GET /ready` and `GET /live` (HEAD too); false for any other request. */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (path !== '/ready' && path !== '/live')) return false;
    const { ready, reason } = path === '/live' ? { ready: true, reason: 'alive' } : this.check();
    res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(`${ready ? 'ok' : 'not ready'}: ${reason}\n`);
    return true;
  }
}
