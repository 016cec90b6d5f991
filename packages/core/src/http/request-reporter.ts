import type { LoadedApp } from '../app/load.js';
import type { RequestInfo, ResponseInfo } from '../hooks.js';
import type { AccessLogEntry } from '../logging/access-log.js';
import type { Logger } from '../logging/error-log.js';
import type { Settings } from '../settings/registry.js';

/**
 * Where a served request is reported: the HTTP layer calls `requestStarted` before the app sees a
 * request (when `hasRequestHooks`) and `requestFinished` once per request, whatever its outcome.
 * `Worker` implements it; so does anything that serves requests on a worker's behalf (a worker thread
 * that forwards its reports to the main thread).
 */
export interface RequestReporter {
  readonly log: Logger;
  /** Build an AccessLogEntry for `requestFinished` only when true (the access log or metrics read it). */
  readonly wantsAccessEntries: boolean;
  /** Build RequestInfo and call `requestStarted` only when true (request hooks, or metrics of requests in flight). */
  readonly hasRequestHooks: boolean;
  /** Runs `pre_request`; the app sees the request once it resolves. */
  requestStarted(request: RequestInfo): Promise<void>;
  /** Counts the request, writes its access log line, runs `post_request`. */
  requestFinished(entry: AccessLogEntry | null, request?: RequestInfo, response?: ResponseInfo): void;
}

/**
 * What `createNodeServer` and `createRequestListener` serve: the settings, the app, and where each
 * request is reported. A `Worker` is one; a worker thread builds its own (see @pre/worker-threads).
 */
export interface ServedApp extends RequestReporter {
  readonly settings: Settings;
  readonly app: LoadedApp;
}
