// The public API of @pre/core: what config files, worker packages and framework authors use.
export { defineConfig, type BuiltinWorkerClass, type PreConfig, type WorkerClassName } from './settings/define-config.js';
export { serializableSettings } from './settings/load.js';
export type { Settings, SettingName } from './settings/registry.js';
export { Worker, type ListenerCopy, type WorkerClass, type WorkerOptions } from './worker/worker.js';
export type { ShedConnectionsMessage } from './worker/protocol.js';
export { DEFAULT_CAPABILITIES, type WorkerCapabilities } from './worker/capabilities.js';
export type { ListenerInfo } from './listeners/address.js';
export { loadApp, runLifecycleHook, type AppLifecycle, type LoadedApp, type NodeListener } from './app/load.js';
export { fetchToNodeListener, toWebRequest, writeWebResponse, type FetchHandler, type FetchContext } from './app/fetch-adapter.js';
export { inMemoryResponseBody, probeResponseBodySlot, type InMemoryBody } from './app/response-body.js';
export { createNodeServer, createServedProtocols, type ServedProtocols } from './http/node-server.js';
export type { RequestReporter, ServedApp } from './http/request-reporter.js';
export { createRequestListener, type RequestListenerOptions } from './http/request-listener.js';
export { HttpDrain, DRAIN_IDLE_MS, requestEnded, type RequestTracker } from './http/drain.js';
export { heartbeatInterval } from './worker/heartbeat.js';
export { PreRequestAsker, answerPreRequest, type PreRequestMessage, type PreRequestDoneMessage } from './worker/thread-pre-request.js';
export type { MainToThread, ThreadToMain } from './worker/thread-messages.js';
export { countResponseBytes, nodeAccessLogEntry } from './http/access-entry.js';
export { ForwardedHeaders, type ForwardedView } from './http/forwarded.js';
export { checkRequestHead, parserLimits, type RequestLimits, type RequestRejection } from './http/request-checks.js';
export { BODY_TOO_LARGE, bodyTooLargeError, contentLengthRejection } from './http/body-limit.js';
export { IpAllowList } from './listeners/ip-allow-list.js';
export { AcceptSpread, REBALANCE_PAUSE_MS, type AcceptSpreadOptions, type SpreadCopy } from './listeners/accept-spread.js';
export type { AccessLog, AccessLogEntry } from './logging/access-log.js';
export { accessLogHeaders, type AccessLogHeaders } from './logging/access-format.js';
export type { Logger } from './logging/error-log.js';
export { ThreadLogger, writeThreadLog, type ThreadLogMessage } from './logging/thread-logger.js';
export type { LogLevel } from './logging/levels.js';
export type {
  Hooks, HookName, ArbiterInfo, WorkerInfo, WorkerProcessInfo, RequestInfo, ResponseInfo,
} from './hooks.js';
export { PreError, ExitCode, ERROR_CODES, isPreError, type PreErrorCode } from './errors.js';
export { VERSION } from './version.js';
export {
  defineWebSocket, CloseCode, type ServerWebSocket, type WebSocketHandlers, type WebSocketLimits, type WebSocketMessage,
  type WebSocketData, type SendStatus, type UpgradeRequest,
} from './websocket/types.js';
export { WebSocketSessions, DEFAULT_WEBSOCKET_LIMITS, type UpgradeDecision } from './websocket/sessions.js';
