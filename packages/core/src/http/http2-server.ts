import type { Http2Server, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { PreError } from '../errors.js';
import type { HttpProtocol, Settings } from '../settings/registry.js';
import type { HttpDrain } from './drain.js';
import { http2CompatClasses } from './http2-adapter.js';
import { Http2Drain } from './http2-drain.js';
import { enforceHttp2Deadlines } from './http2-deadlines.js';
import { boundClientResets, http2ServerOptions } from './http2-limits.js';
import { acceptProxyProtocol } from './proxy-protocol.js';
import { createRequestListener } from './request-listener.js';
import type { ServedApp } from './request-reporter.js';
import { MAX_UPGRADE_HEAD, PREFACE, headEnd, parseUpgradeRequest, switchToHttp2 } from './http2-upgrade.js';

/** How a cleartext connection may become HTTP/2 (`http2_cleartext`). */
interface CleartextModes {
  readonly priorKnowledge: boolean;
  readonly upgrade: boolean;
}

/** The servers of one listener when HTTP/2 is on: the one that listens, and the two it hands connections to. */
export interface Http2Front {
  /** Listens on the socket: TLS with ALPN, or plain TCP reading the preface. */
  readonly listener: NetServer;
  /** node:http2's server (compatibility API) serving the HTTP/2 connections. */
  readonly http2: Http2Server;
}

/** True when the settings ask for HTTP/2. */
export function wantsHttp2(settings: Pick<Settings, 'http_protocols'>): boolean {
  return settings.http_protocols.includes('h2');
}

/** The ALPN names of `http_protocols`, in its order. */
export function alpnProtocols(protocols: readonly HttpProtocol[]): string[] {
  return protocols.map((protocol) => (protocol === 'h2' ? 'h2' : 'http/1.1'));
}

/**
 * HTTP/2 (and HTTP/1.1 when `h1` is listed) on one listener. With TLS, a TLS server offers
 * `http_protocols` over ALPN and hands each connection to node:http2 (`h2`) or to `http1` (anything
 * else); without TLS (`http2_cleartext`), the first bytes decide: the HTTP/2 preface goes to node:http2,
 * anything else to `http1` (with `upgrade`, a first request asking for `Upgrade: h2c` is switched to
 * HTTP/2: http2-upgrade.ts). `http1` is the node:http server createNodeServer built, so every HTTP/1.1
 * rule (limits, timeouts, 4xx, drain) holds unchanged. PROXY protocol and worker_connections apply
 * on the listener, before either.
 */
export function createHttp2Front(served: ServedApp, drain: HttpDrain, http1: HttpServer | null, tls: TlsOptions | null): Http2Front {
  const { settings, log } = served;
  if (!tls && settings.http2_cleartext === 'off') {
    throw new PreError('PRE_ERR_BAD_SETTING',
      `http_protocols = ${settings.http_protocols.join(',')} asks for HTTP/2, which needs TLS (set certfile and keyfile) or http2_cleartext = prior-knowledge, upgrade or both (h2c: only behind a proxy you trust).`);
  }
  if (!tls && settings.http2_cleartext === 'upgrade' && !http1) {
    throw new PreError('PRE_ERR_BAD_SETTING',
      `http2_cleartext = upgrade upgrades HTTP/1.1 requests, but http_protocols = ${settings.http_protocols.join(',')} does not list h1: add h1, or use http2_cleartext = prior-knowledge.`);
  }
  // The same listener as HTTP/1.1: node's compatibility objects stand in for IncomingMessage/ServerResponse (see request-listener.ts).
  const onRequest = createRequestListener(served, { scheme: tls ? 'https' : 'http' }) as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void;
  const node = http2Module();
  // Node listeners may swap the request's prototype (Express): pinned classes; fetch apps only read through the adapter.
  const classes = http2CompatClasses(node, { pin: served.app.shape === 'node' });
  const http2 = node.createServer({ ...http2ServerOptions(settings), ...classes }, onRequest);
  const headersTimeoutMs = settings.headers_timeout * 1000;
  enforceHttp2Deadlines(http2, {
    headersTimeoutMs,
    requestTimeoutMs: settings.request_timeout > 0 ? Math.max(settings.request_timeout * 1000, headersTimeoutMs) : 0,
    keepaliveMs: settings.keepalive * 1000,
  });
  boundClientResets(http2, log);
  http2.on('sessionError', (err: NodeJS.ErrnoException) => log.debug(`HTTP/2 session error: ${err.code ?? err.message}`));
  const sessions = new Http2Drain();
  sessions.trackSessions(http2);
  drain.add(sessions);

  const serve = (socket: Socket, isHttp2: boolean): void => {
    if (isHttp2) {
      http2.emit('connection', socket);
    } else if (http1) {
      http1.emit('connection', socket);
      // Bytes read while sniffing were put back: hand them to the HTTP/1.1 parser.
      if (socket.readableLength > 0) socket.resume();
    } else {
      socket.destroy();
    }
  };

  let listener: NetServer;
  if (tls) {
    const alpn = alpnProtocols(settings.http_protocols);
    // An ALPNProtocols set by the ssl_context hook wins.
    listener = tlsModule().createServer({ ALPNProtocols: alpn, ...tls });
    listener.on('secureConnection', (socket: TLSSocket) => serve(socket, socket.alpnProtocol === 'h2'));
    listener.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      log.debug(`TLS handshake failed with ${socket.remoteAddress ?? 'unknown'}: ${err.code ?? err.message}`);
    });
  } else {
    listener = createNetServer({ noDelay: true });
    const mode = settings.http2_cleartext;
    const modes: CleartextModes = { priorKnowledge: mode === 'prior-knowledge' || mode === 'both', upgrade: http1 !== null && (mode === 'upgrade' || mode === 'both') };
    listener.on('connection', (socket: Socket) => {
      if (!http1) return serve(socket, true);
      sniffCleartext(socket, modes, headersTimeoutMs, sessions, serve);
    });
  }
  listener.maxConnections = settings.worker_connections;
  if (settings.proxy_protocol) acceptProxyProtocol(listener, settings.proxy_allow_ips, log);
  sessions.trackListener(listener);
  return { listener, http2 };
}

/**
 * Reads a new cleartext connection until its first bytes show how to serve it, and serves it: the
 * HTTP/2 preface (prior knowledge) goes to node:http2; a first request head asking for `Upgrade: h2c`
 * that parseUpgradeRequest takes is switched to HTTP/2 (http2-upgrade.ts); anything else is put back
 * and goes to HTTP/1.1. A connection that sends too little for `timeoutMs` is closed.
 */
function sniffCleartext(socket: Socket, modes: CleartextModes, timeoutMs: number, sessions: Http2Drain, serve: (socket: Socket, isHttp2: boolean) => void): void {
  sessions.hold(socket);
  let buffered: Buffer = Buffer.alloc(0);
  const timer = timeoutMs > 0 ? setTimeout(() => socket.destroy(), timeoutMs) : null;
  const finish = (): void => {
    if (timer) clearTimeout(timer);
    socket.removeListener('readable', onReadable);
    socket.removeListener('close', onClose);
  };
  const onClose = (): void => {
    finish();
    sessions.release(socket);
  };
  const handOn = (isHttp2: boolean): void => {
    finish();
    sessions.release(socket);
    socket.unshift(buffered);
    serve(socket, isHttp2);
  };
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while ((chunk = socket.read() as Buffer | null) !== null) buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const length = Math.min(buffered.length, PREFACE.length);
    if (length === 0) return;
    if (modes.priorKnowledge && buffered.subarray(0, length).equals(PREFACE.subarray(0, length))) {
      if (length === PREFACE.length) handOn(true);
      return; // could still be the preface: read on
    }
    if (!modes.upgrade) return handOn(false);
    const end = headEnd(buffered);
    if (end < 0) {
      if (buffered.length > MAX_UPGRADE_HEAD) handOn(false);
      return;
    }
    // Bytes after the head (a body, a pipelined request) leave the connection on HTTP/1.1.
    const upgrade = end === buffered.length ? parseUpgradeRequest(buffered.toString('latin1', 0, end - 4)) : null;
    if (!upgrade) return handOn(false);
    finish();
    // Still held by the drain until node:http2 has the connection (or it closes).
    switchToHttp2(socket, upgrade, timeoutMs, (upgraded) => serve(upgraded, true), () => sessions.release(socket));
  };
  socket.on('readable', onReadable);
  socket.once('close', onClose);
}

/** node:http2 (which loads node:tls), loaded only with h2 in http_protocols. */
function http2Module(): typeof import('node:http2') {
  return createRequire(import.meta.url)('node:http2') as typeof import('node:http2');
}

/** node:tls, loaded only when TLS is on (a worker without it starts faster: see test/lazy-imports.test.ts). */
function tlsModule(): typeof import('node:tls') {
  return createRequire(import.meta.url)('node:tls') as typeof import('node:tls');
}
