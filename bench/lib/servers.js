// The servers the bench measures: pre's worker classes (1 and 2 workers) and the peers users pick instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRE_BIN, ROOT } from './pre-classes.js';
import { processTree, startProcess, waitFor } from './processes.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const BENCH = here('../');
const PM2_BIN = path.join(BENCH, 'node_modules/pm2/bin/pm2');
const node = process.execPath;

const count = (text, pattern) => text.match(pattern)?.length ?? 0;

/** Waits until `proc`'s output matched `pattern` `times` times and the server answers GET /. */
async function ready(proc, port, pattern, times) {
  await waitFor(() => {
    if (!proc.running) throw new Error(`exited before it was ready:\n${proc.output.slice(-2000)}`);
    return count(proc.output, pattern) >= times;
  }, `${times}× ${pattern}`, 30_000);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text().then(() => r.ok), () => false)), 'GET / to answer', 30_000);
}

/** A started server: its root pid (for RSS and CPU), its master pid (null when one process serves), stop(). */
function handle(proc, masterPid, extraStop) {
  return {
    proc,
    rootPid: masterPid ?? proc.pid,
    masterPid,
    tree: () => processTree(masterPid ?? proc.pid),
    async stop() {
      await extraStop?.();
      await proc.stop();
    },
  };
}

function preServer(workerClass, workers) {
  return {
    id: `pre-${workerClass.name}-w${workers}`,
    label: `pre ${workerClass.name} ×${workers}`,
    group: 'pre',
    websocket: undefined, // probed: WebSocket support differs by class
    async start(port) {
      const proc = startProcess(node, [PRE_BIN, '-k', workerClass.name, ...workerClass.args, '-w', String(workers), '-b', `127.0.0.1:${port}`, '--log-level', 'debug', workerClass.app], {
        cwd: ROOT, env: { PRE_CMD_ARGS: '', WEB_CONCURRENCY: '' },
      });
      await ready(proc, port, /Worker booted/g, workers);
      return handle(proc, proc.pid);
    },
  };
}

const cluster = {
  id: 'node-cluster', label: 'node:cluster ×2', group: 'peer', websocket: true,
  async start(port) {
    const proc = startProcess(node, [path.join(BENCH, 'peers/cluster.js')], { env: { PORT: String(port), WORKERS: '2' } });
    await ready(proc, port, /cluster listening/g, 1);
    return handle(proc, proc.pid);
  },
};

const pm2 = {
  id: 'pm2', label: 'PM2 cluster ×2', group: 'peer', websocket: true,
  async start(port) {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pre-bench-pm2-'));
    const env = { PM2_HOME: home, PORT: String(port) };
    const proc = startProcess(node, [PM2_BIN, 'start', path.join(BENCH, 'apps/node-server.js'), '-i', '2', '--name', 'bench'], { env });
    const { code } = await proc.exited;
    if (code !== 0) throw new Error(`pm2 start failed (${code}):\n${proc.output.slice(-2000)}`);
    const daemon = Number(readFileSync(path.join(home, 'pm2.pid'), 'utf8'));
    const kill = async () => {
      const stop = startProcess(node, [PM2_BIN, 'kill'], { env });
      await stop.exited;
      for (const pid of processTree(daemon)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      rmSync(home, { recursive: true, force: true });
    };
    try {
      await waitFor(() => processTree(daemon).length >= 3, 'two PM2 instances', 30_000);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false)), 'PM2 to answer', 30_000);
    } catch (err) {
      await kill();
      throw err;
    }
    return handle(proc, daemon, kill);
  },
};

function singleProcessPeer(id, label, file, pattern) {
  return {
    id, label, group: 'peer', websocket: true, masterless: true,
    async start(port) {
      const proc = startProcess(node, [path.join(BENCH, file)], { env: { PORT: String(port) } });
      await ready(proc, port, pattern, 1);
      return handle(proc, null);
    },
  };
}

const GUNICORN_CLASSES = [
  { name: 'sync', args: [] },
  { name: 'gthread', args: ['--threads', '4'] },
  { name: 'gevent', args: [], module: 'gevent' },
];

function gunicornServer(workerClass) {
  return {
    id: `gunicorn-${workerClass.name}`, label: `Gunicorn ${workerClass.name} ×2`, group: 'peer', websocket: false,
    async start(port) {
      const proc = startProcess('gunicorn', ['-w', '2', '-k', workerClass.name, ...workerClass.args, '-b', `127.0.0.1:${port}`, '--chdir', path.join(BENCH, 'apps'), 'wsgi_app:app']);
      await ready(proc, port, /Booting worker with pid/g, 2);
      return handle(proc, proc.pid);
    },
  };
}

/** Gunicorn worker classes that run here (Debian's gunicorn, python3-gevent for gevent). */
function availableGunicorn() {
  const which = spawnSync('sh', ['-c', 'command -v gunicorn'], { encoding: 'utf8' });
  if (which.status !== 0) return [];
  const python = /^#!\s*(\S+)/.exec(readFileSync(which.stdout.trim(), 'utf8'))?.[1] ?? 'python3';
  return GUNICORN_CLASSES.filter((c) => !c.module || spawnSync(python, ['-c', `import ${c.module}`]).status === 0);
}

/** Every server to measure, peers first; `preClasses` from availableWorkerClasses(). */
export function benchServers(preClasses) {
  const peers = [
    cluster,
    pm2,
    singleProcessPeer('uws', 'uWebSockets.js ×1', 'peers/uws.js', /uws listening/g),
    singleProcessPeer('hono', '@hono/node-server ×1', 'peers/hono.js', /hono listening/g),
    ...availableGunicorn().map(gunicornServer),
  ];
  const pre = preClasses.flatMap((c) => [preServer(c, 1), preServer(c, 2)]);
  return [...peers, ...pre];
}
