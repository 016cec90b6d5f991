#!/usr/bin/env node
// Bundles the compiled modules (dist/) into dist/bundle/: what `pre` and `import '@pre/core'` run.
// Node 20's ESM loader costs ~0.5 ms of CPU and ~75 KB of RSS per module; ~80 modules per process made
// up most of pre's start-up time and of the master's and each worker's idle RSS over a bare node:http
// process (bench/startup). One file per entry, the code they share in common chunks (one instance of
// each module: a worker class extends the very Worker the runtime drives), and every dynamic import
// still a separate file loaded only when used (metrics, control client, reloader, TLS, WebSockets...).
// Packages stay external (sonic-boom, prom-client, chokidar, tinyglobby, ws, tsx).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CORE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(CORE, 'dist');
const OUT = path.join(DIST, 'bundle');

/** Every output sits in dist/bundle/: the files pre finds by path (src/paths.ts), in that layout. */
const BUNDLE_PATHS = `const here = (relative) => new URL(relative, import.meta.url);
export const WORKER_ENTRY_URL = here('./worker.js');
export const CORE_ALIAS_HOOK_URL = here('./core-alias-hook.js');
export const CORE_INDEX_URL = here('./index.js');
export const PACKAGE_JSON_URL = here('../../package.json');
`;

const bundlePaths = {
  name: 'bundle-paths',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]paths\.js$/ }, () => ({ contents: BUNDLE_PATHS, loader: 'js' }));
  },
};

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: {
    index: path.join(DIST, 'index.js'), // import '@pre/core'
    cli: path.join(DIST, 'cli.js'), // the master (bin/pre.js)
    ctl: path.join(DIST, 'control/cli.js'), // pre ctl
    worker: path.join(DIST, 'worker/entry.js'), // every worker process
    standby: path.join(DIST, 'arbiter/standby.js'), // bin/pre.js starts a worker with it before loading cli
    'compile-cache': path.join(DIST, 'compile-cache.js'),
    'core-alias-hook': path.join(DIST, 'app/core-alias-hook.js'), // module.register()
  },
  outdir: OUT,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  keepNames: true, // class and function names appear in messages (`candidate.name`, errors)
  sourcemap: true,
  logLevel: 'warning',
  plugins: [bundlePaths],
});
