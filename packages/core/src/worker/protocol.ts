import type { ListenerInfo } from '../listeners/address.js';

/** Arbiter → worker, once, right after spawn. */
export interface WorkerInitMessage {
  readonly type: 'init';
  readonly settings: Record<string, unknown>;
  readonly configFile: string | null;
  readonly age: number;
  /** HEARTBEAT_FD, or -1 for a standby worker (arbiter/standby.ts): it opens `standby.heartbeatPath`. */
  readonly heartbeatFd: number;
  readonly listeners: readonly ListenerInfo[];
  readonly procName: string;
  /** The identity to drop to before loading the app (`user`/`group`), when set. */
  readonly identity: WorkerIdentity | null;
  /**
   * Set for a standby worker, started before the arbiter bound its sockets: it opens (and unlinks) its
   * heartbeat file by path and sets the `umask` a spawned worker inherits; each listener with an fd comes
   * next, in a ListenerHandleMessage.
   */
  readonly standby?: { readonly heartbeatPath: string };
}

/** Arbiter → standby worker, after its init: listener `index`'s socket, attached. */
export interface ListenerHandleMessage {
  readonly type: 'listener_handle';
  readonly index: number;
}

export interface WorkerIdentity {
  readonly uid: number;
  readonly gid: number;
  /** The user name, for initgroups; null when supplementary groups are not wanted. */
  readonly initgroupsUser: string | null;
}

/** Arbiter → worker, with a copy of a listening socket attached (or an error). */
export interface ListenerCopyMessage {
  readonly type: 'listener_copy';
  readonly id: number;
  readonly error?: string;
}

/** Arbiter → worker: send your Prometheus metrics (`prometheus_bind`). */
export interface MetricsRequestMessage {
  readonly type: 'metrics_request';
  readonly id: number;
}

/**
 * Arbiter → worker (keepalive_rebalance): close `count` of your keep-alive connections gracefully
 * (`Worker#shedConnections`), so their clients reconnect and may land on another worker.
 */
export interface ShedConnectionsMessage {
  readonly type: 'shed_connections';
  readonly count: number;
}

/** The id of the snapshot a worker sends unasked just before it exits. */
export const FINAL_SNAPSHOT_ID = 0;

/** Worker → arbiter. */
export type WorkerMessage =
  | { readonly type: 'booted' }
  | { readonly type: 'listener_copy_request'; readonly id: number; readonly index: number }
  | { readonly type: 'app_error'; readonly message: string }
  | { readonly type: 'boot_error'; readonly message: string }
  /** `handover`: the worker keeps serving until the arbiter, once a replacement serves, sends TERM. */
  | { readonly type: 'retiring'; readonly reason: string; readonly handover: boolean }
  /** Sent when either changed; `connections` (open HTTP/1.1 connections) only from a class that counts them. */
  | { readonly type: 'stats'; readonly requests: number; readonly connections?: number }
  /** The answer to a metrics_request (or, with id FINAL_SNAPSHOT_ID, sent unasked before exit): prom-client's `getMetricsAsJSON()`. */
  | { readonly type: 'metrics_snapshot'; readonly id: number; readonly metrics: readonly unknown[] };

/** The fd layout of a worker process: stdio 0-2, the IPC channel (3), the heartbeat file, then the listeners. */
export const HEARTBEAT_FD = 4;
export const FIRST_LISTENER_FD = 5;
