import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { isTlsServer } from './tls.js';

interface ConnectionState {
  active: number;
  /**
   * performance.now() when a drain tick first found the connection idle, -1 until then (and again once a
   * request arrives): stamped by the drain, not by every response.
   */
  idleSince: number;
  response: ServerResponse | null;
  /** The drain's request number of the last request on this connection (most recent first when shedding). */
  lastRequest: number;
  /** Chosen by `shed`: its next response (or the current one, headers unsent) says `Connection: close`. */
  shed: boolean;
  /** The drain's table of connections, which the socket leaves when it closes. */
  readonly table: Map<Socket, ConnectionState>;
}

const STATE = Symbol('pre.drainState');
type Tracked = { [STATE]?: ConnectionState };

/** Connections of another protocol (HTTP/2 sessions) that stop and drain with the HTTP/1.1 ones. */
export interface DrainPart {
  drain(): Promise<void>;
  closeAll(): void;
}

/**
 * What a request listener tells the drain (see HttpDrain#trackConnections): `requestStarted` when an
 * HTTP/1.1 request arrives, `requestEnded` once when its response closes. A worker class with its own
 * per-request accounting (a worker thread) wraps the drain's: no second 'request' or 'close' listener.
 */
export interface RequestTracker {
  requestStarted(req: IncomingMessage, res: ServerResponse): void;
  requestEnded(res: ServerResponse): void;
}

/** Shared 'close' listener of tracked sockets: no closure per connection. */
function onSocketClose(this: Socket & Tracked): void {
  this[STATE]?.table.delete(this);
}

/**
 * The response's connection is idle again. Call it once per response, when the response closes (a no-op
 * for a response HttpDrain#requestStarted did not see). Also a 'close' listener itself: no closure per request.
 */
export function requestEnded(this: unknown, res?: ServerResponse): void {
  const response = (res ?? this) as ServerResponse & Tracked;
  const state = response[STATE];
  if (!state) return;
  state.active--;
  if (state.response === response) state.response = null;
}

/**
 * How long a keep-alive connection must have been idle before a graceful stop closes it. A client whose
 * process stalls (GC, a busy machine) longer than this may be sending its next request as the connection
 * closes: 200 ms lost 3 requests of a 4-connection loop once on a loaded 2-core box; a second costs a
 * stop at most that much longer, and only while idle keep-alive connections remain.
 */
export const DRAIN_IDLE_MS = 1000;
const DRAIN_TICK_MS = 50;

/**
 * Tracks the connections of node:http servers so a graceful stop loses nothing.
 * `server.close()` would close idle keep-alive connections at once, racing clients that are sending
 * their next request (measured: 5–9 failures per reload). Instead: stop accepting, answer every
 * later request with `Connection: close`, and close only connections idle for DRAIN_IDLE_MS.
 */
export class HttpDrain implements RequestTracker {
  #draining = false;
  readonly #connections = new Map<Socket, ConnectionState>();
  readonly #servers: HttpServer[] = [];
  readonly #parts: DrainPart[] = [];
  /** Numbers the requests, so `shed` can pick the connections used last. */
  #requests = 0;

  get draining(): boolean {
    return this.#draining;
  }

  /** Number of open connections across the tracked servers (for worker classes' own accounting and tests). */
  get connections(): number {
    return this.#connections.size;
  }

  /** Tracks `server`'s connections and, with a 'request' listener of its own, its requests. */
  track(server: HttpServer): void {
    this.trackConnections(server);
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      this.requestStarted(req, res);
      res.on('close', requestEnded);
    });
  }

  /**
   * Tracks `server`'s connections only: its request listener calls `requestStarted` for each request
   * and `requestEnded` when the response closes (createNodeServer's does: one listener where `track` adds two).
   */
  trackConnections(server: HttpServer): void {
    this.#servers.push(server);
    const table = this.#connections;
    // Requests of an HTTPS server arrive on the TLS socket, not on the TCP one under it.
    server.on(isTlsServer(server) ? 'secureConnection' : 'connection', (socket: Socket & Tracked) => {
      const state: ConnectionState = { active: 0, idleSince: -1, response: null, lastRequest: 0, shed: false, table };
      socket[STATE] = state;
      table.set(socket, state);
      socket.on('close', onSocketClose);
    });
  }

  /** A request arrived on a tracked connection: the connection is busy until `requestEnded(res)`. */
  requestStarted(req: IncomingMessage, res: ServerResponse): void {
    if (this.#draining) res.shouldKeepAlive = false;
    const state = (req.socket as Socket & Tracked)[STATE];
    if (state === undefined) return;
    if (state.shed) res.shouldKeepAlive = false;
    state.lastRequest = ++this.#requests;
    state.active++;
    state.idleSince = -1;
    state.response = res;
    (res as ServerResponse & Tracked)[STATE] = state;
  }

  /** The response closed (see `requestEnded` above). */
  requestEnded(res: ServerResponse): void {
    requestEnded(res);
  }

  /**
   * keepalive_rebalance: closes up to `count` distinct HTTP/1.1 connections gracefully, the ones used
   * last first (an idle one carries no load): each one's next response, or its current one if its headers
   * are not sent yet, says `Connection: close`, and node closes the connection after it. Never cuts a
   * connection (its client may be sending on it at this instant). Returns how many were chosen.
   */
  shed(count: number): number {
    const candidates = [...this.#connections.values()].filter((state) => !state.shed);
    candidates.sort((a, b) => b.lastRequest - a.lastRequest);
    const chosen = candidates.slice(0, Math.max(0, count));
    for (const state of chosen) {
      state.shed = true;
      if (state.response && !state.response.headersSent) state.response.shouldKeepAlive = false;
    }
    return chosen.length;
  }

  /** Drains `part` with these connections (see http2-drain.ts). */
  add(part: DrainPart): void {
    this.#parts.push(part);
  }

  /**
   * An upgraded connection (WebSocket) belongs to its handler now: the drain must not cut it as idle.
   * Called by whoever handles 'upgrade' (a listener here would make node hand every Upgrade request
   * to 'upgrade' even on servers that take none, leaving it unanswered).
   */
  release(socket: object): void {
    this.#connections.delete(socket as Socket);
    delete (socket as Tracked)[STATE];
  }

  /** Graceful: stop accepting, let requests finish with `Connection: close`, close idle connections; resolves when none is left. */
  async drain(): Promise<void> {
    if (this.#parts.length > 0) {
      await Promise.all([this.#drainHttp1(), ...this.#parts.map((part) => part.drain())]);
      return;
    }
    await this.#drainHttp1();
  }

  async #drainHttp1(): Promise<void> {
    this.#draining = true;
    this.#stopAccepting();
    for (const state of this.#connections.values()) {
      if (state.response && !state.response.headersSent) state.response.shouldKeepAlive = false;
    }
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now();
        for (const [socket, state] of this.#connections) {
          if (state.active > 0) continue;
          // Idle for DRAIN_IDLE_MS of the drain's own clock: a response that just ended gets as long as any.
          if (state.idleSince < 0) state.idleSince = now;
          else if (now - state.idleSince >= DRAIN_IDLE_MS) socket.destroy();
        }
        if (this.#connections.size === 0) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, DRAIN_TICK_MS);
      tick();
    });
  }

  /** Fast: stop accepting and drop every connection now. */
  closeAll(): void {
    this.#draining = true;
    this.#stopAccepting();
    for (const socket of this.#connections.keys()) socket.destroy();
    for (const part of this.#parts) part.closeAll();
  }

  #stopAccepting(): void {
    for (const server of this.#servers) {
      // net.Server's close stops the listening handle only; http.Server's would also cut idle keep-alive connections.
      if (server.listening) NetServer.prototype.close.call(server);
    }
  }
}
