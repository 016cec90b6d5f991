import { PreError } from '../errors.js';
import type { RequestRejection } from './request-checks.js';
import { CheckedIncomingMessage, markRefused } from './trailer-checks.js';

/** The answer to a body over limit_request_body. */
export const BODY_TOO_LARGE: RequestRejection = Object.freeze({ status: 413, reason: 'Request body too large' });

/**
 * 413 when a declared Content-Length (the header's value as received) is over `limit` bytes; null
 * when it is not, or when `limit` is 0 (no limit). The parsers have checked the value's syntax already.
 */
export function contentLengthRejection(contentLength: string | undefined, limit: number): RequestRejection | null {
  if (limit <= 0 || contentLength === undefined) return null;
  return Number(contentLength) > limit ? BODY_TOO_LARGE : null;
}

/** The Content-Length in a flat [name, value, ...] list as node:http gives it, undefined when absent. */
export function declaredContentLength(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') return rawHeaders[i + 1]!;
  }
  return undefined;
}

/** The error the app's body stream gets when the body crosses the limit (its stream never ends). */
export function bodyTooLargeError(limit: number): PreError {
  return new PreError('PRE_ERR_BODY_TOO_LARGE', `The request body is over limit_request_body (${limit} bytes): the request was refused`);
}

const RECEIVED = Symbol('pre.bodyReceived');

/** Instead of IncomingMessage#push once the body crossed the limit: nothing more reaches the app. */
function dropBody(): boolean {
  return true; // node's parser goes on reading (and this drops) until the connection closes
}

/**
 * node:http's IncomingMessage for a server with limit_request_body above 0: counts body bytes as the
 * parser pushes them (one addition per chunk; a server without a limit uses CheckedIncomingMessage
 * and pays nothing). The chunk that crosses the limit is not pushed: the request is refused (413 and
 * close if the response has not started, else the connection is cut) and its stream errors with
 * PRE_ERR_BODY_TOO_LARGE once the connection is gone. A Content-Length over the limit never gets here:
 * the request listener answers 413 before the app runs (`contentLengthRejection`).
 */
export function bodyLimitedMessage(limit: number): typeof CheckedIncomingMessage {
  return class BodyLimitedMessage extends CheckedIncomingMessage {
    [RECEIVED] = 0;

    override push(chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk !== null && (this[RECEIVED] += (chunk as Uint8Array).length) > limit) {
        this.#overLimit();
        return true;
      }
      return super.push(chunk, encoding);
    }

    #overLimit(): void {
      const res = this.response;
      const error = bodyTooLargeError(limit);
      if (res !== null && !res.headersSent && !res.writableEnded) {
        this.refuse(BODY_TOO_LARGE); // 413 and close
        this.push = dropBody;
        // Once the 413 is out and the connection closed: destroying earlier would cut the 413 short.
        this.socket.once('close', () => {
          if (!this.destroyed) this.destroy(error);
        });
        return;
      }
      markRefused(this.socket);
      this.push = dropBody;
      this.destroy(error); // the response has started: the connection is cut
    }
  };
}
