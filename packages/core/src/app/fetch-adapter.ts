/**
 * Serve a fetch-style app (`(request: Request) => Response`) from node:http: the glue between
 * fetch-request.ts (node request → web Request) and fetch-response.ts (web Response → node response),
 * with the error answers (400 for a request that cannot be built, 500 for a failing handler).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toWebRequest } from './fetch-request.js';
import { sendPlain, writeWebResponse } from './fetch-response.js';
import type { FetchHandler, ToRequestOptions } from './fetch-types.js';

export type { FetchContext, FetchHandler, ToRequestOptions } from './fetch-types.js';
export { toWebRequest } from './fetch-request.js';
export { writeWebResponse } from './fetch-response.js';

const INTERNAL_ERROR_BODY = 'Internal Server Error';
const BAD_REQUEST_BODY = 'Bad Request';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value instanceof Promise ||
    (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function')
  );
}

function isResponse(value: unknown): value is Response {
  if (value instanceof Response) return true;
  // A Response from another realm or fetch implementation (e.g. the undici package).
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { status?: unknown; headers?: { [Symbol.iterator]?: unknown }; body?: unknown };
  return (
    typeof v.status === 'number' &&
    typeof v.headers?.[Symbol.iterator] === 'function' &&
    (v.body === null || (typeof v.body === 'object' && typeof (v.body as { getReader?: unknown }).getReader === 'function'))
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object';
}

/**
 * Adapt a fetch handler into a node request listener. If the handler throws/rejects, returns
 * something that is not a Response, or its Response cannot be written, onError(err) is called and
 * the client gets a 500 'Internal Server Error' (or, if the headers were already sent, the socket is
 * destroyed). A request that cannot be turned into a web Request (bad Host header, unsupported
 * method or request target) is answered 400 without calling onError: it is the client's fault.
 * The returned promise resolves when the response is done.
 */
export function fetchToNodeListener(
  handler: FetchHandler,
  onError: (err: unknown) => void,
  options?: ToRequestOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const fail = (res: ServerResponse, err: unknown): Promise<void> | undefined => {
    try {
      onError(err);
    } catch {
      // a failing error reporter must not take the response down with it
    }
    return sendPlain(res, 500, INTERNAL_ERROR_BODY);
  };

  return async (req, res) => {
    let request: Request;
    try {
      request = toWebRequest(req, res, options);
    } catch {
      return sendPlain(res, 400, BAD_REQUEST_BODY);
    }

    let response: unknown;
    try {
      const result: unknown = handler(request, { remoteAddress: req.socket.remoteAddress });
      response = isThenable(result) ? await result : result;
    } catch (err) {
      return fail(res, err);
    }
    if (!isResponse(response)) {
      return fail(res, new TypeError(`The fetch handler returned ${describe(response)} instead of a Response`));
    }

    try {
      await writeWebResponse(req, res, response);
    } catch (err) {
      return fail(res, err);
    }
  };
}
