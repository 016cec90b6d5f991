import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { CORE_ALIAS_HOOK_URL, CORE_INDEX_URL } from '../paths.js';

let registered = false;

/**
 * Lets modules pre loads from anywhere (worker classes given by path, linked packages) import
 * `@pre/core` even when it is not installed beside them: the copy that runs pre answers, so a worker
 * class extends the very `Worker` the runtime drives. Resolution that works is left alone.
 */
export function resolveCoreFromAnywhere(): void {
  if (registered) return;
  registered = true;
  const hook = CORE_ALIAS_HOOK_URL;
  // Run from the TypeScript sources (core's unit tests) there is no compiled hook, and nothing to alias.
  if (!existsSync(fileURLToPath(hook))) return;
  const coreUrl = CORE_INDEX_URL.href;
  module.register(hook, { data: { coreUrl } });
}
