import type { ListenerInfo, RequestInfo, Settings } from '@pre/core';
import type { FinishedRequest } from './request-sink.js';

/** What a uWS thread is started with (plain data: hooks stay in the main thread). */
export interface ThreadData {
  readonly index: number;
  readonly appSpec: string;
  readonly appShape: Settings['app_shape'];
  readonly cwd: string;
  readonly settings: Settings;
  readonly listeners: readonly ListenerInfo[];
  readonly hooks: boolean;
  readonly accessLog: boolean;
}

export type ToThread =
  | { readonly type: 'stop'; readonly graceful: boolean }
  | { readonly type: 'started'; readonly id: number; readonly error?: string };

export type LogLevelName = 'debug' | 'info' | 'warning' | 'error' | 'critical';

export type FromThread =
  | { readonly type: 'listening' }
  | { readonly type: 'boot_error'; readonly message: string }
  | { readonly type: 'log'; readonly level: LogLevelName; readonly message: string }
  | { readonly type: 'start'; readonly id: number; readonly info: RequestInfo }
  | { readonly type: 'finished'; readonly requests: readonly FinishedRequest[] }
  | { readonly type: 'alive' }
  | { readonly type: 'stopped' };

/** Settings without functions (hooks), so that they can be posted to a thread. */
export function plainSettings(settings: Settings): Settings {
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => typeof value !== 'function')) as unknown as Settings;
}
