// The servers the bench measures: pre's worker classes and the peers users pick instead. Each start()
// also times the first response from the spawn (lib/first-response.js) and then waits until every
// worker has booted, so the passes see the whole server.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { timeToFirstResponse } from './first-response.js';
import { PRE_BIN, ROOT } from './pre-classes.js';
import { processTree, startProcess, waitFor } from './processes.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const BENCH = here('../');
const PM2_BIN = path.join(BENCH, 'node_modules/pm2/bin/pm2');
const node = process.execPath;

const count = (text, pattern) => text.match(pattern)?.length ?? 0;

/**
 * Times the first 200 from `spawnedAt` while waiting for `booted()` (every worker up), then for GET / to
 * answer. Resolves with the first-response time in ms.
 */
async function ready(proc, port, spawnedAt, booted, alive = () => proc.running) {
  const first = timeToFirstResponse(port, spawnedAt, alive);
  await waitFor(() => {
    if (!alive()) throw new Error(`exited before it was ready:\n${proc.output.slice(-2000)}`);
    return booted();
  }, 'every worker to boot', 30_000);
  return first;
}

const logged = (proc, pattern, times) => () => count(proc.output, pattern) >= times;

/** A started server: its master pid (null when one process serves), its process tree, stop(). */
function handle(proc, { masterPid, firstResponseMs, controlSocket = null, extraStop }) {
  return {
    proc,
    masterPid,
    firstResponseMs,
    controlSocket,
    tree: () => processTree(masterPid ?? proc.pid),
    async stop() {
      await extraStop?.();
      await proc.stop();
    },
  };
}

/** `--threads N` in place of the class's own thread count. */
function withThreads(args, threads) {
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--threads') i++;
    else rest.push(args[i]);
  }
  return threads ? [...rest, '--threads', String(threads)] : rest;
}

function preServer(workerClass, workers, { threads, tier, scenarios = [], websocket = false } = {}) {
  const app = websocket && workerClass.websocketApp ? workerClass.websocketApp : workerClass.app;
  const suffix = threads ? `-t${threads}` : '';
  return {
    id: `pre-${workerClass.name}-w${workers}${suffix}`,
    label: `pre ${workerClass.name} ×${workers}${threads ? ` (${threads} thread${threads > 1 ? 's' : ''})` : ''}`,
    group: 'pre', workers, tier, scenarios, pidRoute: true, splitSource: 'pre ctl',
    websocket: app === workerClass.websocketApp ? undefined : false, // probed when the app has the echo
    async start(port) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-bench-ctl-'));
      const controlSocket = path.join(dir, 'ctl.sock');
      const args = [PRE_BIN, '-k', workerClass.name, ...withThreads(workerClass.args, threads), '-w', String(workers), '-b', `127.0.0.1:${port}`,
        '--control-socket', controlSocket, '--log-level', 'debug', app];
      const spawnedAt = performance.now();
      const proc = startProcess(node, args, { cwd: ROOT, env: { PRE_CMD_ARGS: '', WEB_CONCURRENCY: '' } });
      const extraStop = () => rmSync(dir, { recursive: true, force: true });
      try {
        const firstResponseMs = await ready(proc, port, spawnedAt, logged(proc, /Worker booted/g, workers));
        return handle(proc, { masterPid: proc.pid, firstResponseMs, controlSocket, extraStop });
      } catch (err) {
        await proc.stop();
        extraStop();
        throw err;
      }
    },
  };
}

/** A peer started as one command (`args`: a list, or a function of the port) whose first process is the master (or the only one). */
function commandPeer({ id, label, cmd, args, env, workers, booted, masterless = false, ...rest }) {
  return {
    id, label, group: 'peer', workers, masterless, splitSource: 'CPU share', pidRoute: true, scenarios: [], ...rest,
    async start(port) {
      const spawnedAt = performance.now();
      const proc = startProcess(cmd, typeof args === 'function' ? args(port) : args, { env: { PORT: String(port), ...env } });
      try {
        const firstResponseMs = await ready(proc, port, spawnedAt, booted(proc));
        return handle(proc, { masterPid: masterless ? null : proc.pid, firstResponseMs });
      } catch (err) {
        await proc.stop();
        throw err;
      }
    },
  };
}

const nodeHttp = commandPeer({
  id: 'node-http', label: 'node:http ×1 (bare)', cmd: node, args: [path.join(BENCH, 'peers/node-http.js')], workers: 1, masterless: true,
  booted: (proc) => logged(proc, /node listening/g, 1), websocket: false, tier: 'quick', scenarios: ['body64k', 'post1m'],
});

const cluster = commandPeer({
  id: 'node-cluster', label: 'node:cluster ×2', cmd: node, args: [path.join(BENCH, 'peers/cluster.js')], env: { WORKERS: '2' }, workers: 2,
  booted: (proc) => logged(proc, /cluster listening/g, 1), websocket: true, tier: 'full',
});

const uws = commandPeer({
  id: 'uws', label: 'uWebSockets.js ×1 (raw)', cmd: node, args: [path.join(BENCH, 'peers/uws.js')], workers: 1, masterless: true,
  booted: (proc) => logged(proc, /uws listening/g, 1), websocket: true, pidRoute: false, tier: 'quick', scenarios: ['body64k', 'post1m'],
});

// The same fetch app as pre's uws rows, on raw uWS through a minimal adapter: what pre's duties add, like for like.
const uwsFetch = commandPeer({
  id: 'uws-fetch', label: 'uWebSockets.js ×1 + minimal fetch adapter', cmd: node, args: [path.join(BENCH, 'peers/uws-fetch.js')], workers: 1,
  masterless: true, booted: (proc) => logged(proc, /uws-fetch listening/g, 1), websocket: false, pidRoute: false, tier: 'full',
  scenarios: ['body64k', 'post1m'],
});

const hono = commandPeer({
  id: 'hono', label: '@hono/node-server ×1', cmd: node, args: [path.join(BENCH, 'peers/hono.js')], workers: 1, masterless: true,
  booted: (proc) => logged(proc, /hono listening/g, 1), websocket: true, pidRoute: false, tier: 'extra',
});

const pm2 = {
  id: 'pm2', label: 'PM2 cluster ×2', group: 'peer', workers: 2, websocket: true, pidRoute: true, splitSource: 'CPU share', tier: 'full', scenarios: [],
  async start(port) {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pre-bench-pm2-'));
    const env = { PM2_HOME: home, PORT: String(port) };
    const spawnedAt = performance.now();
    const proc = startProcess(node, [PM2_BIN, 'start', path.join(BENCH, 'apps/node-server.js'), '-i', '2', '--name', 'bench'], { env });
    let daemon = null;
    const kill = async () => {
      const stop = startProcess(node, [PM2_BIN, 'kill'], { env });
      await stop.exited;
      if (daemon) for (const pid of processTree(daemon)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      rmSync(home, { recursive: true, force: true });
    };
    try {
      // `pm2 start` returns once the daemon runs the app; the daemon (not the CLI) is the master.
      const firstResponseMs = await ready(proc, port, spawnedAt, () => {
        try {
          daemon ??= Number(readFileSync(path.join(home, 'pm2.pid'), 'utf8')) || null;
        } catch { /* not yet */ }
        return daemon !== null && processTree(daemon).length >= 3;
      }, () => proc.running || proc.child.exitCode === 0);
      return handle(proc, { masterPid: daemon, firstResponseMs, extraStop: kill });
    } catch (err) {
      await kill();
      throw err;
    }
  },
};

const GUNICORN_CLASSES = [
  { name: 'sync', args: [], tier: 'full' },
  { name: 'gthread', args: ['--threads', '4'], tier: 'extra' },
  { name: 'gevent', args: [], module: 'gevent', tier: 'extra' },
];

function gunicornServer(workerClass) {
  return commandPeer({
    id: `gunicorn-${workerClass.name}`, label: `Gunicorn ${workerClass.name} ×2`, workers: 2, websocket: false, tier: workerClass.tier,
    cmd: 'gunicorn', args: (port) => ['-w', '2', '-k', workerClass.name, ...workerClass.args, '-b', `127.0.0.1:${port}`, '--chdir', path.join(BENCH, 'apps'), 'wsgi_app:app'],
    booted: (proc) => logged(proc, /Booting worker with pid/g, 2),
  });
}

/** Gunicorn worker classes that run here (Debian's gunicorn, python3-gevent for gevent). */
function availableGunicorn() {
  const which = spawnSync('sh', ['-c', 'command -v gunicorn'], { encoding: 'utf8' });
  if (which.status !== 0) return [];
  const python = /^#!\s*(\S+)/.exec(readFileSync(which.stdout.trim(), 'utf8'))?.[1] ?? 'python3';
  return GUNICORN_CLASSES.filter((c) => !c.module || spawnSync(python, ['-c', `import ${c.module}`]).status === 0);
}

/** pre's rows per class: which worker and thread counts, in which tier, with which extra scenarios. */
const PRE_ROWS = {
  async: [{ workers: 1, tier: 'quick', scenarios: ['body64k', 'post1m', 'cpu5'] }, { workers: 2, tier: 'quick' }],
  sync: [{ workers: 1, tier: 'extra' }, { workers: 2, tier: 'full' }],
  // The ~5 ms CPU route with 1 and 2 threads in one process: the scaling pair.
  threads: [{ workers: 1, threads: 1, tier: 'quick', scenarios: ['cpu5'] }, { workers: 1, threads: 2, tier: 'quick', scenarios: ['cpu5'] }, { workers: 2, threads: 1, tier: 'full' }],
  uws: [{ workers: 1, tier: 'quick', scenarios: ['body64k', 'post1m'] }, { workers: 2, tier: 'full' }],
};

/**
 * Every server to measure, peers first; `preClasses` from availableWorkerClasses(). `websocket`: serve the
 * apps with a WebSocket echo (only when the ws scenario runs: the plain app is what bare node:http serves).
 */
export function benchServers(preClasses, { websocket = false } = {}) {
  const peers = [nodeHttp, cluster, pm2, uws, uwsFetch, hono, ...availableGunicorn().map(gunicornServer)];
  const pre = preClasses.flatMap((c) => (PRE_ROWS[c.name] ?? [{ workers: 1, tier: 'full' }, { workers: 2, tier: 'full' }])
    .map(({ workers, ...row }) => preServer(c, workers, { ...row, websocket })));
  const rank = (s) => (ORDER.includes(s.id) ? ORDER.indexOf(s.id) : ORDER.length);
  return [...peers, ...pre].sort((a, b) => rank(a) - rank(b)); // stable: the unlisted keep their order
}

/**
 * The order within a pass: the servers a target compares stand next to each other (bare node:http, pre async,
 * pre threads; raw uWS, uWS with a minimal fetch adapter, pre uws), so that their per-pass ratio compares seconds-apart measurements.
 */
const ORDER = [
  'node-http', 'pre-async-w1', 'pre-threads-w1-t1', 'pre-threads-w1-t2', 'uws', 'uws-fetch', 'pre-uws-w1',
  'node-cluster', 'pm2', 'gunicorn-sync', 'pre-async-w2', 'pre-sync-w2', 'pre-threads-w2-t1', 'pre-uws-w2',
];
