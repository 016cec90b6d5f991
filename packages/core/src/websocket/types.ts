/**
 * The WebSocket API of pre: what an app exports, and what every worker class gives it. The same
 * handlers run on `async` (the `ws` package on node:http's 'upgrade') and on `uws` (uWebSockets.js).
 *
 * ```js
 * export const websocket = {
 *   upgrade: (req) => req.url.startsWith('/chat') ? { user: req.query.get('name') } : false,
 *   open(ws) { ws.send(`hello ${ws.data.user}`); },
 *   message(ws, data, isBinary) { ws.send(data, isBinary); },
 *   close(ws, code, reason) {},
 * };
 * ```
 */

/** A message as received: text frames as a string, binary frames as bytes (valid after the handler returns). */
export type WebSocketMessage = string | Uint8Array;

/** What `send` accepts. */
export type WebSocketData = string | ArrayBuffer | ArrayBufferView;

/**
 * The outcome of `send`: `'sent'` went out now; `'buffered'` is queued behind backpressure (wait for the
 * `drain` handler before sending more); `'dropped'` was not queued because more than `maxBackpressure`
 * bytes were already waiting (or the socket is closed).
 */
export type SendStatus = 'sent' | 'buffered' | 'dropped';

/** An open WebSocket, valid from `open` until `close`. */
export interface ServerWebSocket<Data = unknown> {
  /** What `upgrade` returned (undefined when there is no upgrade handler). */
  readonly data: Data;
  /** The request target of the upgrade request, e.g. '/chat?room=1'. */
  readonly url: string;
  readonly remoteAddress: string | undefined;
  /** Bytes queued for sending, not yet written to the socket. */
  readonly bufferedAmount: number;
  /** True until `close` or `terminate` is called or the peer goes away. */
  readonly isOpen: boolean;
  /** Sends a text frame for a string (unless `isBinary`), a binary frame for bytes. */
  send(message: WebSocketData, isBinary?: boolean): SendStatus;
  /** Starts the closing handshake with `code` (default 1000) after the messages already queued. */
  close(code?: number, reason?: string): void;
  /** Drops the connection now, without a close frame. */
  terminate(): void;
}

/** The upgrade request, as the `upgrade` handler sees it (read it synchronously or keep copies). */
export interface UpgradeRequest {
  readonly method: string;
  /** Request target: path and query, e.g. '/chat?room=1'. */
  readonly url: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly remoteAddress: string | undefined;
}

/** Per-message and keep-alive limits; every field is optional. */
export interface WebSocketLimits {
  /** Largest message accepted, in bytes; a bigger one closes the connection with 1009. Default 1 MiB. */
  readonly maxPayloadLength?: number;
  /**
   * Seconds without any traffic before the server sends a ping; a peer that does not answer within the
   * same time is dropped. 0 disables keep-alive pings. Default 120 (uWS rounds to multiples of 4).
   */
  readonly idleTimeout?: number;
  /** Bytes a socket may have queued before `send` returns 'dropped'. Default 1 MiB. */
  readonly maxBackpressure?: number;
}

/**
 * The handlers an app exports as `websocket` (a named export of the app module, or a property of the
 * exported app object). `Data` is what `upgrade` attaches to each socket.
 */
export interface WebSocketHandlers<Data = unknown> extends WebSocketLimits {
  /**
   * Decides whether to accept an upgrade request: return the socket's `data` (anything but `false`) to
   * accept, `false` to refuse with 403. May be async. Without it, every upgrade request is accepted.
   */
  upgrade?(request: UpgradeRequest): Data | false | Promise<Data | false>;
  open?(ws: ServerWebSocket<Data>): void | Promise<void>;
  /** A complete message. A graceful stop waits for a returned promise before it closes the socket with 1001. */
  message?(ws: ServerWebSocket<Data>, message: WebSocketMessage, isBinary: boolean): void | Promise<void>;
  /** The socket can take more after `send` returned 'buffered'. */
  drain?(ws: ServerWebSocket<Data>): void;
  /** The connection closed (either side, or a timeout: code 1006). Do not send from here. */
  close?(ws: ServerWebSocket<Data>, code: number, reason: string): void;
}

/** Defines typed WebSocket handlers (an identity function, for inference of `Data`). */
export function defineWebSocket<Data>(handlers: WebSocketHandlers<Data>): WebSocketHandlers<Data> {
  return handlers;
}

/** Close codes pre uses. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  MESSAGE_TOO_BIG: 1009,
  ABNORMAL: 1006,
} as const;
