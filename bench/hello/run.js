// apps/hello with 2 workers: pre (async) next to node:cluster on the same handler, in one run.
// req/s, server CPU time per request (all processes of the server), and how pre's two workers split
// the requests (from `pre ctl show workers --json`). Keep-alive and a new connection per request.
//   node bench/hello/run.js [--rounds 3] [--duration 5]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, procStat, processTree, startProcess, stopAllProcesses, waitFor } from '../lib/processes.js';
import { runWrk } from '../lib/wrk.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRE = path.join(ROOT, 'packages/core/bin/pre.js');
const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '5' } } });
const SCENARIOS = [
  { name: 'keep-alive', path: '/', connections: 32, connectionClose: false },
  { name: 'connection per request', path: '/', connections: 32, connectionClose: true },
];

const cpuOf = (root) => processTree(root).reduce((sum, pid) => sum + (procStat(pid)?.cpu ?? 0), 0);
const ctl = (socket) => JSON.parse(execFileSync(process.execPath, [PRE, 'ctl', '-s', socket, '--json', 'show', 'workers'], { encoding: 'utf8' }));
const perWorker = (socket) => new Map(ctl(socket).map((w) => [w.pid, w.requests]));

async function startServer(kind) {
  const port = await freePort();
  if (kind === 'pre') {
    const socket = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-hello-')), 'ctl.sock');
    const proc = startProcess(process.execPath, [PRE, 'apps/hello', '-w', '2', '-b', `127.0.0.1:${port}`, '--control-socket', socket, '--log-level', 'debug'], { cwd: ROOT });
    await waitFor(() => (proc.output.match(/Worker booted/g)?.length ?? 0) >= 2, 'pre workers');
    return { proc, port, socket };
  }
  const proc = startProcess(process.execPath, [path.join(ROOT, 'bench/hello/cluster-hello.js')], { env: { PORT: String(port) }, cwd: ROOT });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false)), 'node:cluster');
  return { proc, port, socket: null };
}

const results = [];
try {
  for (let round = 0; round < Number(opts.rounds); round++) {
    for (const scenario of SCENARIOS) {
      for (const kind of ['node:cluster', 'pre']) {
        const server = await startServer(kind === 'pre' ? 'pre' : 'cluster');
        await runWrk(server.port, scenario, 1); // warm-up
        const before = { cpu: cpuOf(server.proc.pid), split: server.socket ? perWorker(server.socket) : null };
        const run = await runWrk(server.port, scenario, Number(opts.duration));
        const cpu = cpuOf(server.proc.pid) - before.cpu;
        // Worker request counts are reported every second.
        await new Promise((r) => setTimeout(r, 1200));
        const split = server.socket ? [...perWorker(server.socket)].map(([pid, n]) => n - (before.split.get(pid) ?? 0)) : null;
        results.push({ round, scenario: scenario.name, server: kind, rps: run.rps, cpuUsPerRequest: (cpu / run.requests) * 1e6, errors: run.errors, split });
        await server.proc.stop();
      }
    }
  }
} finally {
  await stopAllProcesses();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('| scenario | server | req/s (median) | CPU µs/request | errors | pre split (share of the busier worker, per round) |');
console.log('|---|---|---|---|---|---|');
for (const scenario of SCENARIOS) {
  for (const server of ['node:cluster', 'pre']) {
    const rows = results.filter((r) => r.scenario === scenario.name && r.server === server);
    const splits = rows.filter((r) => r.split).map((r) => `${Math.round((100 * Math.max(...r.split)) / r.split.reduce((a, b) => a + b, 0))}%`);
    console.log(`| ${scenario.name} | ${server} | ${Math.round(median(rows.map((r) => r.rps)))} | ${median(rows.map((r) => r.cpuUsPerRequest)).toFixed(1)} | ${rows.reduce((a, r) => a + r.errors, 0)} | ${splits.join(' ') || '—'} |`);
  }
}
