import { PreError, Worker, serializableSettings, type ListenerInfo, type Settings, type WorkerCapabilities } from '@pre/core';
import { installLightResponse } from './light-response.js';
import { loadUws } from './native.js';
import { maxHeaderBytes } from './request-head.js';
import { reporterSink } from './request-sink.js';
import { UwsServer } from './server.js';
import { ThreadLink } from './thread-link.js';
import { checkUwsSettings } from './settings-check.js';

/**
 * `--worker-class uws`: fetch-style apps on uWebSockets.js. Each worker binds its own listeners with
 * SO_REUSEPORT (uWS cannot adopt the arbiter's fd), and with `--threads N` runs N uWS apps on the
 * same ports, one per thread. Hooks, the access log and max_requests live in the main thread.
 */
export default class UwsWorker extends Worker {
  static override readonly bindsOwnListeners = true;
  /**
   * What uws honours; pre refuses the rest at start-up. Finer refusals happen in run(): cert_reqs 2,
   * cert_reqs 1 without ca_certs, tls_min_version TLSv1.3, the ssl_context hook (uWS takes file names),
   * non-TCP binds and port 0. TLS is uWS's SSLApp; PROXY v2 only; worker_connections bounds requests in
   * flight (uWS has no per-connection hook); headers_timeout is uWS's own 10 s (no other value); limit
   * request fields is capped at 48 (uWS's compiled maximum). Not offered: HTTP/1.0 (uWS holds and closes),
   * chunked request bodies (411: uWS decodes chunks where pre cannot check them), CONNECT (501). See
   * docs/security.md.
   */
  static override readonly capabilities: WorkerCapabilities = {
    tls: true,
    proxyProtocol: true,
    forwardedHeaders: true,
    headersTimeout: false,
    requestTimeout: true,
    keepalive: false, // uWS's own idle timeout (10 s) applies
    keepaliveOff: true,
    workerConnections: true,
    backlog: false,
    unixSockets: false,
    inheritedSockets: false,
    threads: true,
    nodeApps: false,
    fetchApps: true,
    websockets: true,
    limitRequestBody: true,
    http2: false, // uWebSockets.js has no HTTP/2
    shedConnections: false, // uWS reports no connection events: open connections cannot be counted
  };

  #server: UwsServer | null = null;
  readonly #threads: ThreadLink[] = [];

  async run(): Promise<void> {
    checkListeners(this.listeners);
    const app = this.app;
    if (app.shape !== 'fetch') {
      throw new PreError(
        'PRE_ERR_APP_SHAPE',
        `the uws worker class serves fetch-style apps ({ fetch(request) }, Hono, ...), and ${app.spec} is a Node request listener (req, res). ` +
          'Run it with --worker-class async, or export a fetch handler.',
      );
    }
    checkUwsSettings(this.settings, this.log);
    const uws = loadUws(maxHeaderBytes(this.settings));
    installLightResponse();
    this.#server = new UwsServer({
      uws, fetch: app.fetch, websocket: app.websocket, settings: this.settings, listeners: this.listeners, log: this.log, sink: reporterSink(this), apps: this.settings.threads,
    });
    this.#server.listen();
    const settings = serializableSettings(this.settings) as unknown as Settings;
    try {
      for (let index = 1; index < this.settings.threads; index++) {
        const link = new ThreadLink(this, {
          index, appSpec: app.spec, appShape: this.settings.app_shape, cwd: process.cwd(), settings, listeners: this.listeners,
          hooks: this.hasRequestHooks, accessLog: this.wantsAccessEntries,
        });
        this.#threads.push(link);
        await link.started();
      }
    } catch (err) {
      await this.stop(false); // a live uWS app aborts the process at exit
      throw err;
    }
  }

  async stop(graceful: boolean): Promise<void> {
    await Promise.all([this.#server?.stop(graceful), ...this.#threads.map((t) => t.stop(graceful))]);
  }

  override heartbeat(): boolean {
    return this.#threads.every((t) => t.isAlive(this.settings.timeout));
  }
}

/** uws binds its own sockets with SO_REUSEPORT: only TCP addresses with a fixed port make sense. */
function checkListeners(listeners: readonly ListenerInfo[]): void {
  for (const listener of listeners) {
    if (listener.kind !== 'tcp') {
      throw new PreError('PRE_ERR_BIND', `uws cannot serve '${listener.address}': it binds its own sockets with SO_REUSEPORT, which needs a TCP HOST:PORT. Use a TCP bind, or --worker-class async for unix sockets and fd:// binds.`);
    }
    if (listener.port === 0) {
      throw new PreError('PRE_ERR_BIND', `uws cannot bind '${listener.address}': with port 0 every worker would get a different port. Give a fixed port.`);
    }
  }
}

export { UwsWorker };
