/**
 * The one module that knows where uWebSockets.js comes from. Swap the package name here for the
 * official `uWebSockets.js` build (same API) and nothing else changes.
 *
 * `@trufflesuite/uws-js-unofficial` falls back silently (with a console warning) to a slow JS shim
 * over `ws` when it has no native build for this Node ABI. pre never accepts that: it loads the
 * native binary itself and fails with a clear message when it cannot.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { PreError } from '@pre/core';
import type * as UwsModule from '@trufflesuite/uws-js-unofficial';

export type Uws = typeof UwsModule;
export type { AppOptions, HttpRequest, HttpResponse, TemplatedApp, WebSocket, WebSocketBehavior, us_listen_socket } from '@trufflesuite/uws-js-unofficial';

const PACKAGE = '@trufflesuite/uws-js-unofficial';
const require = createRequire(import.meta.url);

let loaded: Uws | null = null;

/** The binary this process needs, e.g. `uws_linux_x64_115.node`. */
export function nativeBinaryName(): string {
  return `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
}

/**
 * Loads the native uWebSockets.js. `maxHeaderBytes` sizes uWS's header buffer (read once, when the
 * binary loads, from UWS_HTTP_MAX_HEADERS_SIZE; its default of 4 KiB is below Gunicorn's limits).
 */
export function loadUws(maxHeaderBytes: number): Uws {
  if (loaded) return loaded;
  const binary = nativeBinaryName();
  let uws: Uws;
  try {
    const packageDir = path.dirname(require.resolve(`${PACKAGE}/package.json`));
    process.env.UWS_HTTP_MAX_HEADERS_SIZE ??= String(maxHeaderBytes);
    uws = require(path.join(packageDir, 'binaries', binary)) as Uws;
  } catch (err) {
    throw new PreError(
      'PRE_ERR_WORKER_CLASS',
      `The uws worker class needs the native uWebSockets.js binary ${binary} (${PACKAGE}), which cannot be loaded ` +
        `on Node ${process.versions.node} (${process.platform}-${process.arch}, ABI ${process.versions.modules}): ` +
        `${err instanceof Error ? err.message.split('\n')[0] : String(err)}. pre does not fall back to the slow JS shim: ` +
        `use a Node version with a native build (Node 20 for this package) or --worker-class async.`,
    );
  }
  // Only the native build has H3App: a guard against a package that swapped in its shim anyway.
  if (typeof (uws as { H3App?: unknown }).H3App !== 'function') {
    throw new PreError('PRE_ERR_WORKER_CLASS', `${PACKAGE} did not load its native binary (${binary}); pre refuses its JS fallback. Use --worker-class async.`);
  }
  loaded = uws;
  return uws;
}
