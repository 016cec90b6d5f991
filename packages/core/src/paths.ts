/**
 * Files pre finds from its own location: the script of every worker process, the module hook that
 * aliases `@pre/core`, the package's entry and its manifest. These are the paths of the per-module build
 * (dist/); the bundle (dist/bundle/, what `pre` and `@pre/core` run, see scripts/bundle.js) puts every
 * file in one folder and replaces this module with its own layout.
 */
const here = (relative: string): URL => new URL(relative, import.meta.url);

export const WORKER_ENTRY_URL: URL = here('./worker/entry.js');
export const CORE_ALIAS_HOOK_URL: URL = here('./app/core-alias-hook.js');
export const CORE_INDEX_URL: URL = here('./index.js');
export const PACKAGE_JSON_URL: URL = here('../package.json');
