/**
 * TypeScript apps and config files, the same way in every worker class: Node's own type stripping
 * where the running Node has it on (22.18+, 23.6+), else tsx's loader when the project has `tsx`,
 * else one message saying what to install. Worker threads do not inherit a loader registered in
 * their process (nor NODE_OPTIONS="--import tsx" on Node 20), so `loadApp` registers it again in each
 * thread that loads a TypeScript app.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PreError } from '../errors.js';

const TYPESCRIPT_FILE = /\.[mc]?ts$/;

export function isTypeScriptFile(file: string): boolean {
  return TYPESCRIPT_FILE.test(file);
}

/** Node 22.18+ and 23.6+ import `.ts` files natively (type stripping); `process.features.typescript` says so. */
export function nodeStripsTypes(): boolean {
  return Boolean((process.features as { typescript?: unknown }).typescript);
}

/** tsx's ESM API (`tsx/esm/api`): `register` for apps, `tsImport` for config files. */
export interface TsxApi {
  register: () => unknown;
  tsImport: (specifier: string, parentURL: string) => Promise<unknown>;
}

/** Where tsx's ESM API is, from the project of `file`, else from `cwd`; null when neither has tsx. */
export function findTsx(file: string, cwd: string): string | null {
  for (const from of [file, path.join(cwd, 'package.json')]) {
    try {
      const dir = path.dirname(createRequire(from).resolve('tsx/package.json'));
      // The ESM build: tsx's CommonJS build of this API cannot find its own ESM half (tsx 4.23).
      return path.join(dir, 'dist/esm/api/index.mjs');
    } catch {
      // not installed there
    }
  }
  return null;
}

export async function importTsx(apiFile: string): Promise<TsxApi> {
  return (await import(pathToFileURL(apiFile).href)) as TsxApi;
}

/** What to do about TypeScript for `file` (`what`: "the app", "config file"), in one sentence. */
export function cannotRunTypeScript(what: string, file: string): string {
  return `Cannot load ${what} ${file}: Node ${process.version} cannot run TypeScript. Install tsx in the project ` +
    '(npm i -D tsx), use Node 22.18 or newer (it strips types), or compile it to JavaScript.';
}

/**
 * Throws PRE_ERR_APP_LOAD when `file` is TypeScript that this Node cannot run and no tsx is found:
 * the arbiter calls it before it binds or forks.
 */
export function checkTypeScriptSupport(file: string, cwd: string): void {
  if (isTypeScriptFile(file) && !nodeStripsTypes() && !findTsx(file, cwd)) {
    throw new PreError('PRE_ERR_APP_LOAD', cannotRunTypeScript('the app', file));
  }
}

let registered = false;

/** Makes `import(file)` work for a TypeScript app in this thread: nothing to do, tsx's loader, or a PreError. */
export async function prepareTypeScript(file: string, cwd: string): Promise<void> {
  if (!isTypeScriptFile(file) || nodeStripsTypes() || registered) return;
  const api = findTsx(file, cwd);
  if (!api) throw new PreError('PRE_ERR_APP_LOAD', cannotRunTypeScript('the app', file));
  (await importTsx(api)).register(); // module.register: this thread's imports from now on
  registered = true;
}
