/**
 * The one module that knows where uWebSockets.js comes from: `$PRE_UWS_MODULE` when set (a package
 * name, resolved from the project first; or a path to a package directory, to a `uws_*.node` binary
 * or to a JS entry), else `@trufflesuite/uws-js-unofficial` (native builds up to Node 20).
 * Upstream uWebSockets.js and its npm repackaging `@btc-vision/uwebsockets.js` have the same API and
 * builds for Node 20–25, but need glibc ≥ 2.38.
 *
 * `@trufflesuite/uws-js-unofficial` falls back silently (with a console warning) to a slow JS shim
 * over `ws` when it has no native build for this Node ABI. pre never accepts that: it loads the
 * native binary itself and fails with a clear message when it cannot.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PreError } from '@pre/core';
import type * as UwsModule from '@trufflesuite/uws-js-unofficial';

export type Uws = typeof UwsModule;
export type { AppOptions, HttpRequest, HttpResponse, TemplatedApp, WebSocket, WebSocketBehavior, us_listen_socket } from '@trufflesuite/uws-js-unofficial';

/** Names the uWebSockets.js module to load instead of the default package. */
export const UWS_MODULE_ENV = 'PRE_UWS_MODULE';
export const DEFAULT_UWS_PACKAGE = '@trufflesuite/uws-js-unofficial';
const ownRequire = createRequire(import.meta.url);

let loaded: Uws | null = null;

/** The binary this process needs, e.g. `uws_linux_x64_115.node`. */
export function nativeBinaryName(): string {
  return `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
}

/** The file to `require`: the native binary of a package (in `binaries/` or at its root), or the file named. */
export function uwsModuleFile(choice: string, cwd: string): string {
  const binary = nativeBinaryName();
  const isPath = choice.startsWith('.') || path.isAbsolute(choice);
  let dir: string;
  if (isPath) {
    const target = path.resolve(cwd, choice);
    if (!existsSync(target)) throw new Error(`${target} does not exist`);
    if (!statSync(target).isDirectory()) return target;
    dir = target;
  } else {
    dir = path.dirname(resolvePackageJson(choice, cwd));
  }
  for (const candidate of [path.join(dir, 'binaries', binary), path.join(dir, binary)]) {
    if (existsSync(candidate)) return candidate;
  }
  const builds = [dir, path.join(dir, 'binaries')].flatMap((d) => (existsSync(d) ? readdirSync(d) : []))
    .filter((f) => f.startsWith(`uws_${process.platform}_${process.arch}_`));
  throw new Error(`${dir} has no ${binary}` + (builds.length ? ` (its builds for ${process.platform}-${process.arch}: ${builds.join(', ')})` : ''));
}

/** `name/package.json` from the project (`cwd`), else from where this package is installed. */
function resolvePackageJson(name: string, cwd: string): string {
  try {
    return createRequire(path.join(cwd, 'package.json')).resolve(`${name}/package.json`);
  } catch {
    return ownRequire.resolve(`${name}/package.json`);
  }
}

/** glibc's version on Linux ("2.36"), for the message when a binary needs a newer one. */
function glibcVersion(): string | null {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ?? null;
}

/**
 * Loads the native uWebSockets.js. `maxHeaderBytes` sizes uWS's header buffer (read once, when the
 * binary loads, from UWS_HTTP_MAX_HEADERS_SIZE; its default of 4 KiB is below Gunicorn's limits).
 */
export function loadUws(maxHeaderBytes: number, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Uws {
  if (loaded) return loaded;
  const choice = env[UWS_MODULE_ENV] || DEFAULT_UWS_PACKAGE;
  const source = env[UWS_MODULE_ENV] ? `${choice} (from ${UWS_MODULE_ENV})` : choice;
  const binary = nativeBinaryName();
  let uws: Uws;
  try {
    const file = uwsModuleFile(choice, cwd);
    process.env.UWS_HTTP_MAX_HEADERS_SIZE ??= String(maxHeaderBytes);
    uws = ownRequire(file) as Uws;
  } catch (err) {
    const glibc = glibcVersion();
    throw new PreError(
      'PRE_ERR_WORKER_CLASS',
      `The uws worker class cannot load a native uWebSockets.js (${binary}) from ${source} ` +
        `on Node ${process.versions.node} (${process.platform}-${process.arch}, ABI ${process.versions.modules}${glibc ? `, glibc ${glibc}` : ''}): ` +
        `${err instanceof Error ? err.message.split('\n')[0] : String(err)}. pre does not fall back to a JS shim. ` +
        `${DEFAULT_UWS_PACKAGE} has builds up to Node 20 (ABI 115); for Node 22, 24 or 25 on glibc ≥ 2.38, install ` +
        `@btc-vision/uwebsockets.js (or uWebSockets.js from GitHub) and set ${UWS_MODULE_ENV} to its name; ` +
        'or use --worker-class async.',
    );
  }
  // Only a native build has H3App: a guard against a module that swapped in its shim anyway.
  if (typeof (uws as { H3App?: unknown }).H3App !== 'function') {
    throw new PreError('PRE_ERR_WORKER_CLASS', `${source} did not load a native uWebSockets.js (${binary}: no H3App); pre refuses a JS fallback. Use --worker-class async.`);
  }
  loaded = uws;
  return uws;
}
