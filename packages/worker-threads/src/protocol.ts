import type { AccessLogEntry, MainToThread, RequestInfo, ResponseInfo, ThreadToMain } from '@pre/core';

/** What the main thread gives each thread (structured-cloned: no functions). */
export interface ThreadData {
  readonly index: number;
  /** The worker process's age, for hooks and logs. */
  readonly age: number;
  /** One fd per listener: this thread's own copy of each listening socket. */
  readonly fds: readonly number[];
  /** The settings without their hook functions. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly hooks: { readonly preRequest: boolean; readonly postRequest: boolean };
  readonly accessLog: boolean;
  readonly beatMs: number;
  readonly state: SharedArrayBuffer;
  /** Shared by all threads of the process: see AcceptBalance. */
  readonly balance: SharedArrayBuffer;
  /** Whether the thread shares bursts of new connections with the other worker processes (AcceptSpread). */
  readonly spread: boolean;
}

/** One finished request whose details the access log or post_request needs. */
export interface FinishedRecord {
  readonly entry: WireAccessEntry | null;
  readonly request?: RequestInfo;
  readonly response?: ResponseInfo;
}

/** An AccessLogEntry as data: the headers the log format can ask for instead of lookup functions. */
export type WireAccessEntry = Omit<AccessLogEntry, 'requestHeader' | 'responseHeader'> & {
  readonly requestHeaders: Record<string, string | undefined>;
  readonly responseHeaders: Record<string, string | undefined>;
};

/** Core's thread lifecycle, plus requests finished with details (bare counts go through SharedThreadState). */
export type ThreadMessage =
  | ThreadToMain
  | { readonly type: 'finished'; readonly records: readonly FinishedRecord[] }
  /** A spare copy of listener `index` for AcceptSpread. */
  | { readonly type: 'copy_request'; readonly id: number; readonly index: number };

export type MainMessage =
  | MainToThread
  /** The fd of the copy asked for (the thread owns it from now on), or why there is none. */
  | { readonly type: 'copy'; readonly id: number; readonly fd: number; readonly error?: string };

export function toWireEntry(entry: AccessLogEntry, headers: { request: readonly string[]; response: readonly string[] }): WireAccessEntry {
  const { requestHeader, responseHeader, ...rest } = entry;
  const requestHeaders: Record<string, string | undefined> = {};
  const responseHeaders: Record<string, string | undefined> = {};
  for (const name of headers.request) requestHeaders[name] = requestHeader(name);
  for (const name of headers.response) responseHeaders[name] = responseHeader(name);
  return { ...rest, requestHeaders, responseHeaders };
}

export function fromWireEntry(wire: WireAccessEntry): AccessLogEntry {
  const { requestHeaders, responseHeaders, ...rest } = wire;
  return { ...rest, requestHeader: (name) => requestHeaders[name], responseHeader: (name) => responseHeaders[name] };
}
