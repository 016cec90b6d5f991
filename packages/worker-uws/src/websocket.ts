import { CloseCode, type SendStatus, type ServerWebSocket, type WebSocketData, type WebSocketSessions } from '@pre/core';
import type { HttpRequest, HttpResponse, Uws, WebSocket, WebSocketBehavior } from './native.js';
import { statusLine } from './web-response.js';

/** What uWS keeps per socket: the data from `upgrade` and, once open, pre's wrapper. */
interface UserData {
  readonly data: unknown;
  readonly url: string;
  readonly remoteAddress: string | undefined;
  socket?: UwsSocket;
}

const decoder = new TextDecoder();

/** pre's ServerWebSocket over a native uWS socket. */
class UwsSocket implements ServerWebSocket<unknown> {
  isOpen = true;
  readonly data: unknown;
  readonly url: string;
  readonly remoteAddress: string | undefined;

  constructor(readonly raw: WebSocket<UserData>, user: UserData) {
    this.data = user.data;
    this.url = user.url;
    this.remoteAddress = user.remoteAddress;
  }

  get bufferedAmount(): number {
    return this.isOpen ? this.raw.getBufferedAmount() : 0;
  }

  send(message: WebSocketData, isBinary = typeof message !== 'string'): SendStatus {
    if (!this.isOpen) return 'dropped';
    const result = this.raw.send(message as string | ArrayBuffer | Uint8Array, isBinary);
    return result === 1 ? 'sent' : result === 0 ? 'buffered' : 'dropped';
  }

  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.raw.end(code, reason);
  }

  terminate(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.raw.close();
  }
}

/**
 * The uWS WebSocket behavior for the app's handlers. uWS does the protocol natively: message size
 * limit (closes with 1009... as uWS reports it), automatic pings every `idleTimeout`, backpressure
 * (`send` results, the drain event). pre adds the upgrade decision and the shared bookkeeping.
 */
export function webSocketBehavior(uws: Uws, sessions: WebSocketSessions): WebSocketBehavior<UserData> {
  const { maxPayloadLength, idleTimeout, maxBackpressure } = sessions.limits;
  return {
    maxPayloadLength,
    idleTimeout,
    maxBackpressure,
    sendPingsAutomatically: idleTimeout > 0,
    compression: uws.DISABLED,
    upgrade: (res: HttpResponse, req: HttpRequest, context) => {
      // Everything from req must be read now: it is only valid during this callback.
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const query = req.getQuery();
      const url = query ? `${req.getUrl()}?${query}` : req.getUrl();
      const headers: Record<string, string> = {};
      req.forEach((name, value) => (headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`));
      const remoteAddress = decoder.decode(res.getRemoteAddressAsText());
      let aborted = false;
      res.onAborted(() => (aborted = true));
      void sessions.decideUpgrade({ method: req.getCaseSensitiveMethod(), url, headers, remoteAddress }).then((decision) => {
        if (aborted) return;
        res.cork(() => {
          if (decision.accept) {
            const user: UserData = { data: decision.data, url, remoteAddress };
            res.upgrade(user, key, protocol, extensions, context);
          } else {
            res.writeStatus(statusLine(decision.status)).writeHeader('content-type', 'text/plain; charset=utf-8').end(`${decision.reason}\n`, true);
          }
        });
      });
    },
    open: (ws: WebSocket<UserData>) => {
      const user = ws.getUserData();
      const socket = new UwsSocket(ws, user);
      user.socket = socket;
      sessions.opened(socket);
    },
    message: (ws: WebSocket<UserData>, message: ArrayBuffer, isBinary: boolean) => {
      const socket = ws.getUserData().socket!;
      // uWS neuters the ArrayBuffer after the callback: copy binary messages.
      sessions.message(socket, isBinary ? new Uint8Array(message.slice(0)) : decoder.decode(message), isBinary);
    },
    drain: (ws: WebSocket<UserData>) => {
      const socket = ws.getUserData().socket!;
      sessions.drained(socket);
    },
    close: (ws: WebSocket<UserData>, code: number, message: ArrayBuffer) => {
      const socket = ws.getUserData().socket;
      if (!socket) return;
      socket.isOpen = false;
      sessions.closed(socket, code, decoder.decode(message));
    },
  };
}
