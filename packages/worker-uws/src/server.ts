import { PreError, WebSocketSessions, type FetchHandler, type ListenerInfo, type Logger, type Settings, type WebSocketHandlers } from '@pre/core';
import { UwsDrain } from './drain.js';
import { createHttpHandler } from './http-handler.js';
import type { AppOptions, TemplatedApp, Uws, us_listen_socket } from './native.js';
import type { RequestSink } from './request-sink.js';
import { sslAppOptions } from './settings-check.js';
import { webSocketBehavior } from './websocket.js';

export interface UwsServerOptions {
  readonly uws: Uws;
  readonly fetch: FetchHandler;
  readonly websocket: WebSocketHandlers<unknown> | undefined;
  readonly settings: Settings;
  readonly listeners: readonly ListenerInfo[];
  readonly log: Logger;
  readonly sink: RequestSink;
  /** How many uWS apps share this worker's worker_connections (1 + extra threads). */
  readonly apps: number;
}

/**
 * One uWS app serving the fetch app on every listener, bound with SO_REUSEPORT (uWS's default on
 * Linux), so several processes and threads share each port and the kernel spreads connections.
 * A worker process runs one in its main thread and one per extra thread.
 */
export class UwsServer {
  readonly #app: TemplatedApp;
  readonly #uws: Uws;
  readonly #listeners: readonly ListenerInfo[];
  readonly #drain = new UwsDrain();
  readonly #sessions: WebSocketSessions | null;
  #listenSockets: us_listen_socket[] = [];
  #closed = false;

  constructor(options: UwsServerOptions) {
    const { uws, settings, log } = options;
    this.#uws = uws;
    this.#listeners = options.listeners;
    const tls = sslAppOptions(settings);
    this.#app = tls ? sslApp(uws, tls) : uws.App();
    this.#sessions = options.websocket ? new WebSocketSessions(options.websocket, log) : null;
    if (this.#sessions) this.#app.ws('/*', webSocketBehavior(uws, this.#sessions));
    this.#app.any('/*', createHttpHandler({
      fetch: options.fetch, settings, log, sink: options.sink, drain: this.#drain, tls: tls !== null,
      maxInFlight: Math.ceil(settings.worker_connections / options.apps),
    }));
  }

  /** Binds every listener; throws with the address when one cannot be bound. */
  listen(): void {
    for (const listener of this.#listeners) {
      let socket: us_listen_socket | false = false;
      // uWS calls back synchronously.
      this.#app.listen(listener.host!, listener.port!, (s) => void (socket = s));
      if (socket === false) {
        this.#closeListeners();
        throw new PreError('PRE_ERR_BIND', `uws cannot listen on ${listener.address}: the address is not local, or the port is held by a socket without SO_REUSEPORT (another program, or a worker class other than uws).`);
      }
      this.#listenSockets.push(socket);
    }
  }

  /**
   * Graceful: stop listening, answer what still arrives with `Connection: close`, close WebSockets
   * with 1001 after their running handlers, and close the app once it has been quiet. Fast: now.
   */
  async stop(graceful: boolean): Promise<void> {
    // Closing one of several SO_REUSEPORT listeners resets the connections still in its accept queue
    // (unless net.ipv4.tcp_migrate_req is 1): let uWS accept what is queued by one turn of the loop first.
    if (graceful) await afterNextPoll();
    this.#closeListeners();
    if (graceful) await Promise.all([this.#drain.quiet(), this.#sessions?.closeAll(true)]);
    else await this.#sessions?.closeAll(false);
    this.#close();
  }

  #closeListeners(): void {
    for (const socket of this.#listenSockets) this.#uws.us_listen_socket_close(socket);
    this.#listenSockets = [];
  }

  /** Closes every connection; must happen before a thread or the process exits (uWS aborts otherwise). */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    (this.#app as TemplatedApp & { close(): void }).close();
  }
}

/** Resolves after the event loop's next poll phase (an immediate set from the check phase runs a turn later). */
function afterNextPoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** uWS reports a bad certificate, key, CA file or cipher list only as "App construction failed". */
function sslApp(uws: Uws, options: AppOptions): TemplatedApp {
  try {
    return uws.SSLApp(options);
  } catch (err) {
    const files = `certfile ${String(options.cert_file_name)}, keyfile ${String(options.key_file_name)}` +
      (options.ca_file_name ? `, ca_certs ${String(options.ca_file_name)}` : '') + (options.ssl_ciphers ? `, ciphers ${String(options.ssl_ciphers)}` : '');
    throw new PreError('PRE_ERR_BAD_SETTING', `uws cannot use the TLS settings (${files}): ${(err as Error).message}`);
  }
}
