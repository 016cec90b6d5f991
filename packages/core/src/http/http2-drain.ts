import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { Server as NetServer, Socket } from 'node:net';

const DRAIN_TICK_MS = 50;

/**
 * The HTTP/2 half of a graceful stop: stop the listener pre's protocol front accepts on, send each
 * session GOAWAY with the last stream it took (node's `session.close()`), let open streams finish,
 * and resolve when every session (and every connection still being sniffed) is gone. Sessions that
 * start after the stop began get their GOAWAY at once. Registered with an HttpDrain (`drain.add`),
 * which drains the HTTP/1.1 connections at the same time.
 */
export class Http2Drain {
  #draining = false;
  readonly #sessions = new Set<ServerHttp2Session>();
  /** Connections accepted but not yet handed to HTTP/1.1 or HTTP/2 (the preface is being read). */
  readonly #pending = new Set<Socket>();
  readonly #listeners: NetServer[] = [];

  get sessions(): number {
    return this.#sessions.size;
  }

  trackListener(server: NetServer): void {
    this.#listeners.push(server);
  }

  trackSessions(server: Http2Server): void {
    server.on('session', (session: ServerHttp2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      if (this.#draining) session.close();
    });
  }

  /** A connection whose protocol is not known yet: a drain waits for it (its read is bounded by headers_timeout). */
  hold(socket: Socket): void {
    this.#pending.add(socket);
  }

  release(socket: Socket): void {
    this.#pending.delete(socket);
  }

  async drain(): Promise<void> {
    this.#draining = true;
    this.#stopAccepting();
    for (const session of this.#sessions) session.close();
    if (this.#idle()) return;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (!this.#idle()) return;
        clearInterval(timer);
        resolve();
      }, DRAIN_TICK_MS);
    });
  }

  closeAll(): void {
    this.#draining = true;
    this.#stopAccepting();
    for (const session of this.#sessions) session.destroy();
    for (const socket of this.#pending) socket.destroy();
  }

  #idle(): boolean {
    return this.#sessions.size === 0 && this.#pending.size === 0;
  }

  #stopAccepting(): void {
    for (const server of this.#listeners) if (server.listening) server.close();
  }
}
