/**
 * The control socket's wire format: newline-delimited JSON, one request and one response per line.
 *
 *   → {"id": 1, "command": ["show", "workers"]}
 *   ← {"id": 1, "ok": true, "result": [...]}
 *   ← {"id": 1, "ok": false, "error": {"code": "PRE_ERR_CTL_UNKNOWN_COMMAND", "message": "..."}}
 *
 * A line that is not JSON is read as a plain command (`show workers`), so `socat` works by hand.
 */
import { PreError, type PreErrorCode } from '../errors.js';

/** Stable codes of error replies (declared with the others in errors.ts): match on these, not on messages. */
export type ControlErrorCode = Extract<PreErrorCode, `PRE_ERR_CTL_${string}`>;

export class ControlError extends PreError {
  declare readonly code: ControlErrorCode;

  constructor(code: ControlErrorCode, message: string) {
    super(code, message);
    this.name = 'ControlError';
  }
}

export interface ControlRequest {
  readonly id: number | string | null;
  readonly command: readonly string[];
}

export type ControlResponse =
  | { readonly id: number | string | null; readonly ok: true; readonly result: unknown }
  | { readonly id: number | string | null; readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** Longer lines are refused and the connection closed: nothing legitimate comes close. */
export const MAX_REQUEST_BYTES = 16 * 1024;

/** Parses one request line; throws ControlError(PRE_ERR_CTL_BAD_REQUEST) with a message that says what is expected. */
export function parseRequestLine(line: string): ControlRequest {
  const text = line.trim();
  if (!text.startsWith('{')) return { id: null, command: splitWords(text) };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ControlError('PRE_ERR_CTL_BAD_REQUEST', `Request is not valid JSON (${(err as Error).message}). Send {"command": ["show", "workers"]} or a plain line.`);
  }
  const { id = null, command } = value as { id?: unknown; command?: unknown };
  const validId = id === null || typeof id === 'number' || typeof id === 'string' ? id : null;
  if (typeof command === 'string') return { id: validId, command: splitWords(command) };
  if (Array.isArray(command) && command.every((w) => typeof w === 'string')) return { id: validId, command };
  throw new ControlError('PRE_ERR_CTL_BAD_REQUEST', 'Request needs "command": an array of strings such as ["worker", "add", "2"], or a string.');
}

export function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

export function encodeResponse(response: ControlResponse): string {
  return `${JSON.stringify(response)}\n`;
}
