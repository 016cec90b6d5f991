import type { AccessLogEntry, RequestInfo, RequestReporter, ResponseInfo } from '@pre/core';

/** A finished request as plain data: it crosses from worker threads to the worker's main thread. */
export interface FinishedRequest {
  readonly method: string;
  readonly url: string;
  readonly remoteAddress: string | undefined;
  readonly status: number;
  readonly bytes: number;
  /** startTime and durationMs are 0 unless the access log, metrics or a request hook is on (no clock read otherwise). */
  readonly startTime: number;
  readonly durationMs: number;
  /** Only when the access log or a request hook needs them. */
  readonly requestHeaders?: Readonly<Record<string, string>>;
  readonly responseHeaders?: Readonly<Record<string, string>>;
}

/**
 * Where a uWS app reports its requests, as plain data that crosses threads: in the main thread straight
 * to core's RequestReporter (the Worker, see `reporterSink`), in an extra thread batched to the main thread.
 */
export interface RequestSink {
  /** pre_request or post_request is set. */
  readonly hooks: boolean;
  readonly accessLog: boolean;
  /** Runs pre_request. */
  started(info: RequestInfo): Promise<void>;
  finished(request: FinishedRequest): void;
}

export function headerRecord(flat: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    const value = flat[i + 1]!;
    record[name] = record[name] === undefined ? value : `${record[name]}, ${value}`;
  }
  return record;
}

/** Hands a finished request to the reporter (the Worker): access log, metrics, post_request, max_requests. */
export function reportFinished(reporter: RequestReporter, request: FinishedRequest): void {
  const requestHeaders = request.requestHeaders ?? {};
  const responseHeaders = request.responseHeaders ?? {};
  const entry: AccessLogEntry | null = reporter.wantsAccessEntries
    ? {
        remoteAddress: request.remoteAddress,
        method: request.method,
        url: request.url,
        // uWS routes HTTP/1.1 requests only: it holds and closes HTTP/1.0 ones unanswered (see framingRejection
        // in request-head.ts and docs/security.md), so every request pre sees here is 1.1.
        httpVersion: '1.1',
        status: request.status,
        bytes: request.bytes,
        requestHeader: (name) => requestHeaders[name],
        responseHeader: (name) => responseHeaders[name],
        startTime: request.startTime,
        durationMs: request.durationMs,
        pid: process.pid,
      }
    : null;
  if (!reporter.hasRequestHooks) {
    reporter.requestFinished(entry, undefined, request); // a FinishedRequest is a ResponseInfo: StatsD gets status and duration
    return;
  }
  const info: RequestInfo = { method: request.method, url: request.url, headers: requestHeaders, remoteAddress: request.remoteAddress };
  const response: ResponseInfo = { status: request.status, bytes: request.bytes, durationMs: request.durationMs };
  reporter.requestFinished(entry, info, response);
}

/** The sink of the worker's main thread: reports go straight to `reporter` (the Worker). */
export function reporterSink(reporter: RequestReporter): RequestSink {
  return {
    hooks: reporter.hasRequestHooks,
    accessLog: reporter.wantsAccessEntries,
    started: (info) => reporter.requestStarted(info),
    finished: (request) => reportFinished(reporter, request),
  };
}
