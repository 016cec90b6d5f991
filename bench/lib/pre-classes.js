// pre's worker classes, one line each; the bench and the chaos suite use those that load here.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PRE_BIN = fileURLToPath(new URL('../../packages/core/bin/pre.js', import.meta.url));
const NODE_APP = fileURLToPath(new URL('../apps/pre-app.js', import.meta.url));
const NODE_WS_APP = fileURLToPath(new URL('../apps/pre-ws-app.js', import.meta.url));
const FETCH_APP = fileURLToPath(new URL('../apps/pre-fetch-app.js', import.meta.url));

/**
 * Every worker class pre ships: the extra arguments it runs with in the bench and the chaos suite, the
 * app (the same routes as a node request listener, or as a fetch app for classes that serve only those) and,
 * for classes that serve WebSockets, the app with a WebSocket echo as well (bench --scenarios ws).
 */
export const PRE_WORKER_CLASSES = [
  { name: 'async', args: [], app: NODE_APP, websocketApp: NODE_WS_APP },
  { name: 'sync', args: [], app: NODE_APP },
  { name: 'threads', args: ['--threads', '2'], app: NODE_APP },
  { name: 'uws', args: [], app: FETCH_APP, websocketApp: FETCH_APP },
];

/** The classes `pre --check-config -k CLASS` accepts, and why the others were skipped. */
export function availableWorkerClasses(only = null) {
  const available = [];
  const skipped = [];
  for (const workerClass of PRE_WORKER_CLASSES) {
    if (only && !only.includes(workerClass.name)) continue;
    const check = spawnSync(process.execPath, [PRE_BIN, '--check-config', '-k', workerClass.name, ...workerClass.args, workerClass.app], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, PRE_CMD_ARGS: '', WEB_CONCURRENCY: '' }, timeout: 30_000,
    });
    if (check.status === 0) available.push(workerClass);
    else skipped.push({ name: workerClass.name, reason: (check.stderr || check.stdout).trim().split('\n')[0] });
  }
  return { available, skipped };
}
