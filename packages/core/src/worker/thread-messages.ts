import type { ThreadLogMessage } from '../logging/thread-logger.js';
import type { ShedConnectionsMessage } from './protocol.js';
import type { PreRequestDoneMessage, PreRequestMessage } from './thread-pre-request.js';

/**
 * The messages every worker class that runs the app in worker threads exchanges with its threads
 * (`threads`, `uws --threads`): the lifecycle, the thread's log lines and the pre_request round trip.
 * A class adds only what is its own (how finished requests are reported, liveness), e.g.
 * `type FromThread = ThreadToMain | { type: 'finished'; … }`.
 */
export type ThreadToMain =
  | { readonly type: 'listening' }
  | { readonly type: 'boot_error'; readonly message: string }
  | { readonly type: 'stopped' }
  | ThreadLogMessage
  | PreRequestMessage;

export type MainToThread =
  | { readonly type: 'stop'; readonly graceful: boolean }
  /** keepalive_rebalance: this thread's part of the count the arbiter asked the process for. */
  | ShedConnectionsMessage
  | PreRequestDoneMessage;
