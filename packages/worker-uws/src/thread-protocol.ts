import type { ListenerInfo, PreRequestDoneMessage, PreRequestMessage, Settings, ThreadLogMessage } from '@pre/core';
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

export type ToThread =
  | { readonly type: 'stop'; readonly graceful: boolean }
  | PreRequestDoneMessage;

export type FromThread =
  | { readonly type: 'listening' }
  | { readonly type: 'boot_error'; readonly message: string }
  | ThreadLogMessage
  | PreRequestMessage
  | { readonly type: 'finished'; readonly requests: readonly FinishedRequest[] }
  | { readonly type: 'alive' }
  | { readonly type: 'stopped' };
