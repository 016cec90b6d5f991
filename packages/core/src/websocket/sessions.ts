import type { Logger } from '../logging/error-log.js';
import {
  CloseCode, type ServerWebSocket, type UpgradeRequest, type WebSocketHandlers, type WebSocketLimits, type WebSocketMessage,
} from './types.js';

export const DEFAULT_WEBSOCKET_LIMITS: Required<WebSocketLimits> = {
  maxPayloadLength: 1024 * 1024,
  idleTimeout: 120,
  maxBackpressure: 1024 * 1024,
};

/** The answer to an upgrade request. */
export type UpgradeDecision =
  | { readonly accept: true; readonly data: unknown }
  | { readonly accept: false; readonly status: number; readonly reason: string };

type AnySocket = ServerWebSocket<unknown>;

/**
 * The part of WebSocket support every worker class shares: it calls the app's handlers (logging what
 * they throw), keeps the set of open sockets, counts message handlers still running, and closes every
 * socket with 1001 on a graceful stop once its running handlers are done. A worker class turns its
 * library's events into calls of `opened`, `message`, `drained` and `closed`.
 */
export class WebSocketSessions {
  readonly limits: Required<WebSocketLimits>;
  readonly #handlers: WebSocketHandlers<unknown>;
  readonly #log: Logger;
  /** Open sockets → message handlers still running. */
  readonly #open = new Map<AnySocket, number>();
  #stopping = false;
  #allClosed: (() => void) | null = null;

  constructor(handlers: WebSocketHandlers<unknown>, log: Logger) {
    this.#handlers = handlers;
    this.#log = log;
    this.limits = {
      maxPayloadLength: handlers.maxPayloadLength ?? DEFAULT_WEBSOCKET_LIMITS.maxPayloadLength,
      idleTimeout: handlers.idleTimeout ?? DEFAULT_WEBSOCKET_LIMITS.idleTimeout,
      maxBackpressure: handlers.maxBackpressure ?? DEFAULT_WEBSOCKET_LIMITS.maxBackpressure,
    };
  }

  /** Open sockets. */
  get size(): number {
    return this.#open.size;
  }

  /** False once a stop has begun: refuse new upgrades (503). */
  get accepting(): boolean {
    return !this.#stopping;
  }

  /** Runs the app's `upgrade` handler; a refusal is 403, a throw is 500, a stopping worker is 503. */
  async decideUpgrade(request: UpgradeRequest): Promise<UpgradeDecision> {
    if (this.#stopping) return { accept: false, status: 503, reason: 'Server shutting down' };
    const upgrade = this.#handlers.upgrade;
    if (!upgrade) return { accept: true, data: undefined };
    try {
      const data = await upgrade.call(this.#handlers, request);
      if (data === false) return { accept: false, status: 403, reason: 'Forbidden' };
      if (this.#stopping) return { accept: false, status: 503, reason: 'Server shutting down' };
      return { accept: true, data };
    } catch (err) {
      this.#log.exception(`Error in the WebSocket upgrade handler for ${request.url}`, err);
      return { accept: false, status: 500, reason: 'Internal Server Error' };
    }
  }

  opened(ws: AnySocket): void {
    this.#open.set(ws, 0);
    if (this.#stopping) {
      ws.close(CloseCode.GOING_AWAY, 'Server shutting down');
      return;
    }
    this.#call(ws, 'open', () => this.#handlers.open?.(ws));
  }

  message(ws: AnySocket, message: WebSocketMessage, isBinary: boolean): void {
    const handler = this.#handlers.message;
    if (!handler) return;
    this.#call(ws, 'message', () => handler.call(this.#handlers, ws, message, isBinary));
  }

  drained(ws: AnySocket): void {
    this.#call(ws, 'drain', () => this.#handlers.drain?.(ws));
  }

  closed(ws: AnySocket, code: number, reason: string): void {
    if (!this.#open.delete(ws)) return;
    try {
      this.#handlers.close?.(ws, code, reason);
    } catch (err) {
      this.#log.exception('Error in the WebSocket close handler', err);
    }
    if (this.#open.size === 0) this.#allClosed?.();
  }

  /**
   * Graceful: refuse new upgrades, close each socket with 1001 once its running message handlers are
   * done (queued messages go out before the close frame), and resolve when all have closed. Fast:
   * drop them all now.
   */
  closeAll(graceful: boolean): Promise<void> {
    this.#stopping = true;
    for (const [ws, running] of this.#open) {
      if (!graceful) ws.terminate();
      else if (running === 0) ws.close(CloseCode.GOING_AWAY, 'Server shutting down');
    }
    if (this.#open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#allClosed;
      this.#allClosed = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Calls a handler; counts a returned promise as running; an error is logged and closes the socket with 1011. */
  #call(ws: AnySocket, name: string, fn: () => unknown): void {
    let result: unknown;
    try {
      result = fn();
    } catch (err) {
      this.#fail(ws, name, err);
      return;
    }
    if (!isThenable(result)) return;
    const running = this.#open.get(ws);
    // Not open any more (the handler closed it, and close handlers may run synchronously): nothing to wait for.
    if (running !== undefined) this.#open.set(ws, running + 1);
    const settle = (): void => {
      const running = this.#open.get(ws);
      if (running === undefined) return;
      this.#open.set(ws, running - 1);
      if (running === 1 && this.#stopping && ws.isOpen) ws.close(CloseCode.GOING_AWAY, 'Server shutting down');
    };
    result.then(settle, (err: unknown) => {
      settle();
      this.#fail(ws, name, err);
    });
  }

  #fail(ws: AnySocket, name: string, err: unknown): void {
    this.#log.exception(`Error in the WebSocket ${name} handler for ${ws.url}`, err);
    if (ws.isOpen) ws.close(1011, 'Internal error');
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
