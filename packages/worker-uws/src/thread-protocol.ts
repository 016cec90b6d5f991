import type { ListenerInfo, MainToThread, Settings, ThreadToMain } from '@pre/core';
import type { FinishedRequest } from './request-sink.js';

/** What a uWS thread is started with (plain data: hooks stay in the main thread). */
export interface ThreadData {
  readonly index: number;
  readonly appSpec: string;
  readonly appShape: Settings['app_shape'];
  readonly cwd: string;
  /** The settings without hooks (core's `serializableSettings`). */
  readonly settings: Settings;
  readonly listeners: readonly ListenerInfo[];
  readonly hooks: boolean;
  readonly accessLog: boolean;
}

export type ToThread = MainToThread;

/**
 * Core's thread lifecycle, plus uws's own: finished requests as plain records (the main thread builds
 * the access log entries: a uWS request object is gone once its callback returns), and liveness beats.
 */
export type FromThread =
  | ThreadToMain
  | { readonly type: 'finished'; readonly requests: readonly FinishedRequest[] }
  | { readonly type: 'alive' };
