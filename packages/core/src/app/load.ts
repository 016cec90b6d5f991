import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { PreError, errorMessage } from '../errors.js';
import type { WorkerInfo } from '../hooks.js';
import type { AppShapeSetting } from '../settings/registry.js';
import type { WebSocketHandlers } from '../websocket/types.js';
import { validateWebSocketHandlers } from '../websocket/validate.js';
import type { FetchHandler } from './fetch-adapter.js';
import { resolveModuleFile } from './resolve-module.js';
import { parseAppSpec } from './spec.js';
import { checkTypeScriptSupport, prepareTypeScript } from './typescript.js';

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Code an app runs in each worker process: `onWorkerStart` after the app is imported and before the
 * worker serves (open a database pool), `onWorkerStop` after the worker stopped serving (close it).
 * The runtime bounds them by `timeout` and by what is left of `graceful_timeout`.
 */
export interface AppLifecycle {
  readonly onWorkerStart?: (worker: WorkerInfo) => unknown;
  readonly onWorkerStop?: (worker: WorkerInfo) => unknown;
}

/** What both app shapes may carry: WebSocket handlers (see `WebSocketHandlers`) and lifecycle hooks. */
interface AppExtras {
  readonly websocket?: WebSocketHandlers<unknown>;
  readonly lifecycle?: AppLifecycle;
}

/** A loaded app, in one of the two shapes every worker class understands. */
export type LoadedApp =
  | ({ readonly shape: 'node'; readonly listener: NodeListener; readonly spec: string } & AppExtras)
  | ({ readonly shape: 'fetch'; readonly fetch: FetchHandler; readonly spec: string } & AppExtras);

const DEFAULT_EXPORTS = ['default', 'app', 'handler'] as const;

/**
 * Imports the app named by `spec` (relative to `cwd`) and detects its shape.
 * Every failure is a PreError with code PRE_ERR_APP_LOAD or PRE_ERR_APP_SHAPE.
 */
export async function loadApp(spec: string, cwd: string, shape: AppShapeSetting = 'auto'): Promise<LoadedApp> {
  const parsed = parseAppSpec(spec);
  const file = findAppModule(spec, cwd);
  await prepareTypeScript(file, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const detail = err instanceof Error && err.stack ? err.stack : errorMessage(err);
    throw new PreError('PRE_ERR_APP_LOAD', `Failed to import the app ${file}:\n${detail}`, { cause: err });
  }

  let exportName: string;
  let value: unknown;
  if (parsed.exportName) {
    exportName = parsed.exportName;
    if (!(exportName in mod)) {
      throw new PreError('PRE_ERR_APP_LOAD', `The app module ${file} has no export '${exportName}'. Its exports: ${Object.keys(mod).join(', ') || 'none'}.`);
    }
    value = mod[exportName];
  } else {
    const found = DEFAULT_EXPORTS.find((name) => mod[name] !== undefined);
    if (!found) {
      throw new PreError('PRE_ERR_APP_LOAD', `The app module ${file} exports no app: expected a default export, or an export named 'app' or 'handler' (its exports: ${Object.keys(mod).join(', ') || 'none'}). Name one with ${parsed.module}:exportName.`);
    }
    exportName = found;
    value = mod[found];
  }

  if (parsed.callFactory) {
    if (typeof value !== 'function') {
      throw new PreError('PRE_ERR_APP_LOAD', `'${exportName}()' in ${file} is not a function, so it cannot be called as a factory.`);
    }
    try {
      value = await (value as () => unknown)();
    } catch (err) {
      const detail = err instanceof Error && err.stack ? err.stack : errorMessage(err);
      throw new PreError('PRE_ERR_APP_LOAD', `The app factory '${exportName}()' in ${file} threw:\n${detail}`, { cause: err });
    }
  }
  const app = detectShape(value, shape, `'${exportName}' of ${file}`, spec);
  return withLifecycle(withWebSocket(app, value, mod, file), value, mod, file);
}

/**
 * The app's module file, or PRE_ERR_APP_LOAD when there is none or it is TypeScript this Node cannot
 * run: the arbiter calls it before it binds and forks, so the mistake is reported once, at once.
 */
export function findAppModule(spec: string, cwd: string): string {
  const { module } = parseAppSpec(spec);
  const file = resolveModuleFile(module, cwd);
  if (!file) {
    throw new PreError('PRE_ERR_APP_LOAD', `Cannot find the app module '${module}' (from ${cwd}). Give a file, a directory with a package.json, or an installed package.`);
  }
  checkTypeScriptSupport(file, cwd);
  return file;
}

const LIFECYCLE_HOOKS = ['onWorkerStart', 'onWorkerStop'] as const;

/** Lifecycle hooks: properties of the app object (`export default { fetch, onWorkerStart }`), else exports of the module. */
function withLifecycle(app: LoadedApp, value: unknown, mod: Record<string, unknown>, file: string): LoadedApp {
  const lifecycle: Record<string, unknown> = {};
  for (const name of LIFECYCLE_HOOKS) {
    const own = isObjectLike(value) ? (value as Record<string, unknown>)[name] : undefined;
    const hook = own ?? mod[name];
    if (hook === undefined) continue;
    if (typeof hook !== 'function') {
      throw new PreError('PRE_ERR_APP_LOAD', `'${name}' in ${file} must be a function (worker) => void | Promise<void>, not ${typeof hook}.`);
    }
    lifecycle[name] = hook;
  }
  return Object.keys(lifecycle).length > 0 ? { ...app, lifecycle: lifecycle as AppLifecycle } : app;
}

/**
 * Runs the app's onWorkerStart/onWorkerStop (if it has it), bounded by `timeoutMs` (0: no bound);
 * rejects with a message naming the hook and `setting`, the setting that bounds it. The runtime calls
 * it in each worker process; a worker class that loads the app again elsewhere (in threads) calls it there.
 */
export async function runLifecycleHook(app: LoadedApp, name: keyof AppLifecycle, info: WorkerInfo, timeoutMs: number, setting: string): Promise<void> {
  const hook = app.lifecycle?.[name];
  if (!hook) return;
  let timer: NodeJS.Timeout | undefined;
  const finished = Promise.resolve()
    .then(() => hook(info))
    .then(
      () => 'done' as const,
      (err: unknown) => {
        throw new PreError('PRE_ERR_APP_HOOK', `The app's ${name}() failed in worker ${info.pid}: ${err instanceof Error && err.stack ? err.stack : errorMessage(err)}`, { cause: err });
      },
    );
  const timedOut = new Promise<'timeout'>((resolve) => {
    if (timeoutMs > 0) timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([finished, timedOut]).finally(() => clearTimeout(timer));
  if (outcome === 'timeout') {
    throw new PreError('PRE_ERR_APP_HOOK', `The app's ${name}() did not finish within ${Math.round(timeoutMs) / 1000} s (${setting}) in worker ${info.pid}.`);
  }
}

/**
 * WebSocket handlers: a `websocket` property of the app (as in `export default { fetch, websocket }`)
 * or, for apps that cannot carry one (an Express or Hono instance), a `websocket` export of the module.
 */
function withWebSocket(app: LoadedApp, value: unknown, mod: Record<string, unknown>, file: string): LoadedApp {
  const own = isObjectLike(value) ? (value as { websocket?: unknown }).websocket : undefined;
  if (own !== undefined) return { ...app, websocket: validateWebSocketHandlers(own, `The app's 'websocket' property in ${file}`) };
  if (mod.websocket !== undefined) return { ...app, websocket: validateWebSocketHandlers(mod.websocket, `The 'websocket' export of ${file}`) };
  return app;
}

/** Decides whether `value` is a node request listener or a fetch handler. */
export function detectShape(value: unknown, forced: AppShapeSetting, what: string, spec: string): LoadedApp {
  if (value instanceof Server) {
    throw new PreError('PRE_ERR_APP_SHAPE', `${what} is an http.Server: export its request handler instead (pre owns the sockets).`);
  }
  const fetchMethod = isObjectLike(value) && typeof (value as { fetch?: unknown }).fetch === 'function'
    ? ((value as { fetch: FetchHandler }).fetch.bind(value) as FetchHandler)
    : null;
  // A Koa application instance: its callback() is the node listener.
  const koaCallback = isObjectLike(value) && typeof (value as { callback?: unknown }).callback === 'function' && typeof (value as { use?: unknown }).use === 'function'
    ? (value as { callback: () => NodeListener })
    : null;

  if (forced === 'fetch' || (forced === 'auto' && fetchMethod)) {
    if (fetchMethod) return { shape: 'fetch', fetch: fetchMethod, spec };
    if (typeof value === 'function') return { shape: 'fetch', fetch: value as FetchHandler, spec };
  } else if (forced === 'node' || forced === 'auto') {
    if (typeof value === 'function' && (forced === 'node' || value.length >= 2)) {
      return { shape: 'node', listener: value as NodeListener, spec };
    }
    if (koaCallback) return { shape: 'node', listener: koaCallback.callback(), spec };
    if (forced === 'auto' && typeof value === 'function') return { shape: 'fetch', fetch: value as FetchHandler, spec };
  }
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  const expected = forced === 'fetch'
    ? 'a fetch handler: { fetch(request) } or (request) => Response'
    : forced === 'node'
      ? 'a request listener (req, res)'
      : 'a request listener (req, res) or a fetch handler ({ fetch(request) } or (request) => Response)';
  throw new PreError('PRE_ERR_APP_SHAPE', `${what} is ${kind}; expected ${expected}.`);
}

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}
