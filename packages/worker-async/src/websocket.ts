import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, type SendStatus, type ServerWebSocket, type WebSocketData, type WebSocketSessions } from '@pre/core';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

const STATUS_TEXT: Readonly<Record<number, string>> = { 403: 'Forbidden', 500: 'Internal Server Error', 503: 'Service Unavailable' };

/** pre's ServerWebSocket over a `ws` socket. */
class WsSocket implements ServerWebSocket<unknown> {
  isOpen = true;
  /** Answered a ping or sent something since the last keep-alive check. */
  alive = true;
  #waitingForDrain = false;

  constructor(
    readonly raw: WebSocket,
    readonly data: unknown,
    readonly url: string,
    readonly remoteAddress: string | undefined,
    readonly sessions: WebSocketSessions,
  ) {}

  get bufferedAmount(): number {
    return this.raw.bufferedAmount;
  }

  send(message: WebSocketData, isBinary = typeof message !== 'string'): SendStatus {
    if (!this.isOpen || this.raw.bufferedAmount > this.sessions.limits.maxBackpressure) return 'dropped';
    this.raw.send(message, { binary: isBinary }, this.#written);
    if (this.raw.bufferedAmount === 0) return 'sent';
    this.#waitingForDrain = true;
    return 'buffered';
  }

  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.raw.close(code, reason);
  }

  terminate(): void {
    this.isOpen = false;
    this.raw.terminate();
  }

  readonly #written = (err?: Error): void => {
    if (err || !this.#waitingForDrain || this.raw.bufferedAmount > 0) return;
    this.#waitingForDrain = false;
    if (this.isOpen) this.sessions.drained(this);
  };
}

/** Answers a refused upgrade on the raw socket. */
function refuse(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * WebSockets for a node:http worker: the app's handlers on the server's 'upgrade' event, through the
 * `ws` package (no per-message compression: uWS does not negotiate it either). Keep-alive: every
 * `idleTimeout` seconds each socket is pinged, and one that did not answer the previous ping is dropped.
 */
export class NodeWebSockets {
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<WsSocket>();
  readonly #keepAlive: NodeJS.Timeout | null = null;

  constructor(readonly sessions: WebSocketSessions) {
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: sessions.limits.maxPayloadLength, perMessageDeflate: false, clientTracking: false });
    const idleMs = sessions.limits.idleTimeout * 1000;
    if (idleMs > 0) this.#keepAlive = setInterval(() => this.#checkAlive(), idleMs).unref();
  }

  /** Handles the server's 'upgrade' event; `release` hands each upgraded connection out of the HTTP drain. */
  attach(server: Server, release: (socket: object) => void): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      release(req.socket);
      void this.#upgrade(req, socket, head);
    });
  }

  /** Graceful: 1001 after running handlers; fast: drop every socket. */
  async closeAll(graceful: boolean): Promise<void> {
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    await this.sessions.closeAll(graceful);
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '/';
    const remoteAddress = req.socket.remoteAddress;
    const decision = await this.sessions.decideUpgrade({ method: req.method ?? 'GET', url, headers: headerRecord(req), remoteAddress });
    if (socket.destroyed) return;
    if (!decision.accept) {
      refuse(socket, decision.status, decision.reason);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (raw) => {
      const ws = new WsSocket(raw, decision.data, url, remoteAddress, this.sessions);
      this.#sockets.add(ws);
      raw.on('message', (data: RawData, isBinary: boolean) => {
        ws.alive = true;
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        this.sessions.message(ws, isBinary ? bytes : bytes.toString('utf8'), isBinary);
      });
      raw.on('pong', () => (ws.alive = true));
      raw.on('ping', () => (ws.alive = true));
      raw.on('error', () => {}); // 'close' follows, with the code (1009 for a too-big message)
      raw.on('close', (code: number, reason: Buffer) => {
        ws.isOpen = false;
        this.#sockets.delete(ws);
        this.sessions.closed(ws, code, reason.toString('utf8'));
      });
      this.sessions.opened(ws);
    });
  }

  #checkAlive(): void {
    for (const ws of this.#sockets) {
      if (!ws.alive) {
        ws.terminate();
        continue;
      }
      ws.alive = false;
      ws.raw.ping();
    }
  }
}
