import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { Http2Server } from 'node:http2';
import type { Server as NetServer } from 'node:net';
import { createClientErrorHandler, createConnectHandler } from './client-error.js';
import type { HttpDrain } from './drain.js';
import { acceptProxyProtocol } from './proxy-protocol.js';
import { parserLimits } from './request-checks.js';
import { createHttp2Front, wantsHttp2 } from './http2-server.js';
import { enforceRequestDeadlines } from './request-deadlines.js';
import { bodyLimitedMessage } from './body-limit.js';
import { checkContinue, createRequestListener, type RequestListenerOptions } from './request-listener.js';
import { CheckedIncomingMessage } from './trailer-checks.js';
import type { ServedApp } from './request-reporter.js';
import { tlsOptions } from './tls.js';

export interface NodeServerOptions extends RequestListenerOptions {
  /**
   * The server is handed its connections by pre's HTTP/2 front (which did TLS, if 'tls', and the
   * PROXY protocol) instead of listening.
   */
  readonly handed?: 'tls' | 'plain';
}

/** The servers of one listener: the one to `listen` on its fd, and the HTTP/1.1 and HTTP/2 servers behind it (null when off). */
export interface ServedProtocols {
  readonly listener: NetServer;
  readonly http1: Server | null;
  readonly http2: Http2Server | null;
}

/**
 * The servers `http_protocols` asks for on one listener. HTTP/1.1 only (the default): createNodeServer,
 * which listens itself (nothing in between). With `h2`: pre's HTTP/2 front (http2-server.ts) listens
 * and hands HTTP/1.1 connections to a createNodeServer that does not.
 */
export function createServedProtocols(served: ServedApp, drain: HttpDrain, options: RequestListenerOptions = {}): ServedProtocols {
  const { settings } = served;
  if (!wantsHttp2(settings)) {
    const server = createNodeServer(served, drain, options);
    return { listener: server, http1: server, http2: null };
  }
  const tls = tlsOptions(settings);
  const http1 = settings.http_protocols.includes('h1') ? createNodeServer(served, drain, { ...options, handed: tls ? 'tls' : 'plain' }) : null;
  const front = createHttp2Front(served, drain, http1, tls);
  return { listener: front.listener, http1, http2: front.http2 };
}

/**
 * A node:http server configured from the settings (keep-alive, connection limit, request limits and
 * timeouts, clean 4xx for malformed requests) serving `served.app` and reporting each request to
 * `served` (a Worker, or a worker thread's reporter), tracked by `drain` for graceful stops. Worker
 * classes built on node:http share it.
 */
export function createNodeServer(served: ServedApp, drain: HttpDrain, options: NodeServerOptions = {}): Server {
  const { settings, log } = served;
  const handed = options.handed ?? null;
  const headersTimeout = settings.headers_timeout * 1000;
  const requestTimeout = settings.request_timeout > 0 ? Math.max(settings.request_timeout * 1000, headersTimeout) : 0;
  const tls = handed ? null : tlsOptions(settings);
  const serverOptions = {
    // 0 would mean "no timeout" to node; keepalive 0 is handled per response instead.
    keepAliveTimeout: Math.max(1, settings.keepalive * 1000),
    headersTimeout: headersTimeout > 0 ? headersTimeout : requestTimeout,
    requestTimeout,
    connectionsCheckingInterval: 1000,
    noDelay: true,
    insecureHTTPParser: false,
    requireHostHeader: true,
    // Checks forbidden trailer fields before the app sees the end of the body (trailer-checks.ts), and
    // counts body bytes against limit_request_body when it is set (body-limit.ts).
    IncomingMessage: settings.limit_request_body > 0 ? bodyLimitedMessage(settings.limit_request_body) : CheckedIncomingMessage,
    ...parserLimits(settings),
  };
  // The listener tells the drain (or a tracker wrapping it) of each request itself: one 'request'
  // listener and one 'close' listener per request.
  const listener = createRequestListener(served, { scheme: tls || handed === 'tls' ? 'https' : 'http', ...options, tracker: options.tracker ?? drain });
  const server: Server = tls ? httpsModule().createServer({ ...serverOptions, ...tls }, listener) : createServer(serverOptions, listener);
  if (tls) {
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
      log.debug(`TLS handshake failed with ${socket.remoteAddress ?? 'unknown'}: ${err.code ?? err.message}`);
    });
  }
  server.maxHeadersCount = parserLimits(settings).maxHeadersCount;
  server.maxConnections = settings.worker_connections;
  // Expect: 100-continue goes through pre's checks before the 100: a body over the limit is never sent.
  if (settings.limit_request_body > 0) server.on('checkContinue', checkContinue(listener));
  server.on('clientError', createClientErrorHandler(log));
  server.on('connect', createConnectHandler(log));
  // A server that is handed connections without listening (sync) gets no timeouts from node itself.
  enforceRequestDeadlines(server, { headersTimeoutMs: serverOptions.headersTimeout, requestTimeoutMs: requestTimeout });
  if (settings.proxy_protocol && !handed) acceptProxyProtocol(server, settings.proxy_allow_ips, log);
  drain.trackConnections(server);
  return server;
}

/** node:https (and with it node:tls, ~15 ms of start-up), loaded only by a worker that serves TLS. */
function httpsModule(): typeof import('node:https') {
  return createRequire(import.meta.url)('node:https') as typeof import('node:https');
}
