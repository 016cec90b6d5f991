import { PreError } from '../errors.js';
import type { WebSocketHandlers } from './types.js';

const HANDLER_NAMES = ['upgrade', 'open', 'message', 'drain', 'close'] as const;
const LIMIT_NAMES = ['maxPayloadLength', 'idleTimeout', 'maxBackpressure'] as const;

/** Checks an app's `websocket` export; `what` names it in the error. */
export function validateWebSocketHandlers(value: unknown, what: string): WebSocketHandlers<unknown> {
  if (typeof value !== 'object' || value === null) {
    throw new PreError('PRE_ERR_APP_SHAPE', `${what} must be an object of WebSocket handlers ({ upgrade?, open?, message?, drain?, close? }), not ${value === null ? 'null' : typeof value}.`);
  }
  const record = value as Record<string, unknown>;
  for (const name of HANDLER_NAMES) {
    if (record[name] !== undefined && typeof record[name] !== 'function') {
      throw new PreError('PRE_ERR_APP_SHAPE', `${what}.${name} must be a function.`);
    }
  }
  for (const name of LIMIT_NAMES) {
    const limit = record[name];
    if (limit !== undefined && (typeof limit !== 'number' || !Number.isFinite(limit) || limit < 0)) {
      throw new PreError('PRE_ERR_APP_SHAPE', `${what}.${name} must be a number >= 0 (got ${JSON.stringify(limit)}).`);
    }
  }
  if (typeof record.message !== 'function' && typeof record.open !== 'function') {
    throw new PreError('PRE_ERR_APP_SHAPE', `${what} has neither an open nor a message handler: nothing would use the sockets.`);
  }
  return value as WebSocketHandlers<unknown>;
}
