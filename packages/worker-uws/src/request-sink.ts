import type { AccessLogEntry, RequestInfo, ResponseInfo, Worker } from '@pre/core';

/** A finished request as plain data: it crosses from worker threads to the worker's main thread. */
export interface FinishedRequest {
  readonly method: string;
  readonly url: string;
  readonly remoteAddress: string | undefined;
  readonly status: number;
  readonly bytes: number;
  readonly startTime: number;
  readonly durationMs: number;
  /** Only when the access log or a request hook needs them. */
  readonly requestHeaders?: Readonly<Record<string, string>>;
  readonly responseHeaders?: Readonly<Record<string, string>>;
}

/** Where a uWS app reports its requests: the Worker itself, or a thread's link to it. */
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

/** Hands a finished request to the Worker: access log, post_request, max_requests. */
export function reportFinished(worker: Worker, request: FinishedRequest): void {
  const requestHeaders = request.requestHeaders ?? {};
  const responseHeaders = request.responseHeaders ?? {};
  const entry: AccessLogEntry | null = worker.wantsAccessEntries
    ? {
        remoteAddress: request.remoteAddress,
        method: request.method,
        url: request.url,
        httpVersion: '1.1', // uWS routes HTTP/1.1 requests only
        status: request.status,
        bytes: request.bytes,
        requestHeader: (name) => requestHeaders[name],
        responseHeader: (name) => responseHeaders[name],
        startTime: request.startTime,
        durationMs: request.durationMs,
        pid: process.pid,
      }
    : null;
  if (!worker.hasRequestHooks) {
    worker.requestFinished(entry, undefined, request); // a FinishedRequest is a ResponseInfo: StatsD gets status and duration
    return;
  }
  const info: RequestInfo = { method: request.method, url: request.url, headers: requestHeaders, remoteAddress: request.remoteAddress };
  const response: ResponseInfo = { status: request.status, bytes: request.bytes, durationMs: request.durationMs };
  worker.requestFinished(entry, info, response);
}

/** The sink of the worker's main thread. */
export function workerSink(worker: Worker): RequestSink {
  return {
    hooks: worker.hasRequestHooks,
    accessLog: worker.wantsAccessEntries,
    started: (info) => worker.requestStarted(info),
    finished: (request) => reportFinished(worker, request),
  };
}
