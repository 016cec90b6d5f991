import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { PreError, errorMessage } from '../errors.js';
import type { AppShapeSetting } from '../settings/registry.js';
import type { FetchHandler } from './fetch-adapter.js';
import { resolveModuleFile } from './resolve-module.js';
import { parseAppSpec } from './spec.js';

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** A loaded app, in one of the two shapes every worker class understands. */
export type LoadedApp =
  | { readonly shape: 'node'; readonly listener: NodeListener; readonly spec: string }
  | { readonly shape: 'fetch'; readonly fetch: FetchHandler; readonly spec: string };

const DEFAULT_EXPORTS = ['default', 'app', 'handler'] as const;

/**
 * Imports the app named by `spec` (relative to `cwd`) and detects its shape.
 * Every failure is a PreError with code PRE_ERR_APP_LOAD or PRE_ERR_APP_SHAPE.
 */
export async function loadApp(spec: string, cwd: string, shape: AppShapeSetting = 'auto'): Promise<LoadedApp> {
  const parsed = parseAppSpec(spec);
  const file = resolveModuleFile(parsed.module, cwd);
  if (!file) {
    throw new PreError('PRE_ERR_APP_LOAD', `Cannot find the app module '${parsed.module}' (from ${cwd}). Give a file, a directory with a package.json, or an installed package.`);
  }
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
  return detectShape(value, shape, `'${exportName}' of ${file}`, spec);
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
