import { Worker, type ListenerInfo } from '@pre/core';
import { installLightResponse } from './light-response.js';
import { loadUws } from './native.js';
import { maxHeaderBytes } from './request-head.js';
import { workerSink } from './request-sink.js';
import { UwsServer } from './server.js';
import { ThreadLink } from './thread-link.js';
import { plainSettings } from './thread-protocol.js';
import { checkUwsSettings } from './settings-check.js';

/**
 * `--worker-class uws`: fetch-style apps on uWebSockets.js. Each worker binds its own listeners with
 * SO_REUSEPORT (uWS cannot adopt the arbiter's fd), and with `--threads N` runs N uWS apps on the
 * same ports, one per thread. Hooks, the access log and max_requests live in the main thread.
 */
// capabilities: (until `static capabilities` exists in this branch; keep in step with docs/security.md)
//   works:   tls (SSLApp: certfile, keyfile, ciphers, ca_certs with cert_reqs 1), forwarded_allow_ips,
//            forwarder_headers, secure_scheme_headers, proxy_protocol (PROXY v2 only) with proxy_allow_ips,
//            request_timeout (bodies), headers_timeout (uWS's own 10 s), worker_connections (as requests
//            in flight, 503 beyond), limit_request_* (fields capped at 48), keepalive 0, rawHeaders and
//            httpVersion in the fetch context, websockets, threads.
//   refused at start-up: cert_reqs 2, cert_reqs 1 without ca_certs, tls_min_version TLSv1.3, ssl_context,
//            headers_timeout other than 10; non-TCP binds and port 0 (SO_REUSEPORT); Node request listeners.
//   not offered: HTTP/1.0, chunked request bodies (411), CONNECT (501), PROXY v1, keepalive other than 0
//            (uWS closes idle connections after ~10 s), answers to requests uWS's parser drops.
export default class UwsWorker extends Worker {
  static override readonly bindsOwnListeners = true;

  #server: UwsServer | null = null;
  readonly #threads: ThreadLink[] = [];

  async run(): Promise<void> {
    checkListeners(this.listeners);
    const app = this.app;
    if (app.shape !== 'fetch') {
      throw new Error(
        `the uws worker class serves fetch-style apps ({ fetch(request) }, Hono, ...), and ${app.spec} is a Node request listener (req, res). ` +
          'Run it with --worker-class async, or export a fetch handler.',
      );
    }
    checkUwsSettings(this.settings, this.log);
    const uws = loadUws(maxHeaderBytes(this.settings));
    installLightResponse();
    this.#server = new UwsServer({
      uws, fetch: app.fetch, websocket: app.websocket, settings: this.settings, listeners: this.listeners, log: this.log, sink: workerSink(this), apps: this.settings.threads,
    });
    this.#server.listen();
    const settings = plainSettings(this.settings);
    try {
      for (let index = 1; index < this.settings.threads; index++) {
        const link = new ThreadLink(this, {
          index, appSpec: app.spec, appShape: this.settings.app_shape, cwd: process.cwd(), settings, listeners: this.listeners,
          hooks: this.hasRequestHooks, accessLog: this.accessLog.enabled,
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
      throw new Error(`uws cannot serve '${listener.address}': it binds its own sockets with SO_REUSEPORT, which needs a TCP HOST:PORT. Use a TCP bind, or --worker-class async for unix sockets and fd:// binds.`);
    }
    if (listener.port === 0) {
      throw new Error(`uws cannot bind '${listener.address}': with port 0 every worker would get a different port. Give a fixed port.`);
    }
  }
}

export { UwsWorker };
