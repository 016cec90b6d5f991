#!/usr/bin/env node
// CPU per HTTP/2 request: pre against bare node:http2, one process each, same hello listener.
//
//   node bench/http2/cost.js                          # 5 interleaved passes × 3 s, h2load -c 4 -m 16
//   node bench/http2/cost.js --passes 7 --duration 4 --pin
//   node bench/http2/cost.js --baseline /tmp/pre-main # also a row for another built checkout (before/after; repeatable)
//   node bench/http2/cost.js --cpu-prof /tmp/h2prof   # every server under --cpu-prof (profiles land in DIR)
//
// Rows: bare node:http2 (bare-h2.js: `http2.createServer(routes)`, h2c, node's defaults) and `pre -k async
// -w 1 --http-protocols h2,h1 --http2-cleartext prior-knowledge` on apps/pre-app.js (the same routes).
// Each server is started once and warmed up with one unmeasured pass; then passes are interleaved (every
// row's pass 1, then every row's pass 2, …) so load from elsewhere on the machine hits one pass of each.
// A pass is one h2load run (`-c 4 -m 16 -t 1 -D S` on 127.0.0.1, Debian's nghttp2-client); its figure is
// the utime+stime (/proc/PID/stat) the serving process used over the pass ÷ the requests h2load says
// succeeded (stime alone is shown too: the kernel's share). For pre the serving process is the one worker; the master is reported on its own. The ratio
// pre ÷ bare is taken pass by pass (the two ran back to back), then its median and range.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from '../lib/median.js';
import { freePort, procStat, processTree, startProcess, stopAllProcesses, usePinning, waitFor } from '../lib/processes.js';
import { runH2load } from './h2load.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const APP = path.join(ROOT, 'bench/apps/pre-app.js');

const { values: opts } = parseArgs({
  options: {
    passes: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '4' },
    streams: { type: 'string', default: '16' },
    path: { type: 'string', default: '/' },
    pin: { type: 'boolean', default: false },
    baseline: { type: 'string', multiple: true, default: [] },
    'cpu-prof': { type: 'string' },
  },
});
const passes = Number(opts.passes);
const load = { connections: Number(opts.connections), streams: Number(opts.streams), durationS: Number(opts.duration) };
if (spawnSync('h2load', ['--version']).error) throw new Error('h2load is not installed (apt-get install nghttp2-client)');
if (opts.pin && !usePinning(true)) throw new Error('--pin needs two cores and taskset');
const profArgs = opts['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', opts['cpu-prof']] : [];

/** A row: how to start its server on `port`, and which processes of it count. */
function bareRow() {
  return {
    label: 'bare node:http2',
    start: (port) => startProcess(process.execPath, [...profArgs, path.join(HERE, 'bare-h2.js')], { env: { PORT: String(port) } }),
    servingPid: async (proc) => proc.pid,
  };
}

function preRow(root, label) {
  return {
    label,
    start: (port) => startProcess(process.execPath, [...profArgs, path.join(root, 'packages/core/bin/pre.js'), '-k', 'async', '-w', '1',
      '-b', `127.0.0.1:${port}`, '--http-protocols', 'h2,h1', '--http2-cleartext', 'prior-knowledge', APP],
    { cwd: root, env: { PRE_CMD_ARGS: '', WEB_CONCURRENCY: '' } }),
    // The one worker: the master's child (a worker is pre's own process, not a shell).
    servingPid: (proc) => waitFor(() => processTree(proc.pid).find((pid) => pid !== proc.pid), `${label}'s worker`, 30_000),
    masterPid: (proc) => proc.pid,
  };
}

const rows = [bareRow(), preRow(ROOT, 'pre async -w 1')];
for (const dir of opts.baseline) rows.push(preRow(path.resolve(dir), `pre async -w 1 (${path.basename(path.resolve(dir))})`));

const accepts = (port) => new Promise((resolve) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});

const cpuOf = (pid) => procStat(pid)?.cpu ?? NaN;
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
/** stime alone (seconds): the kernel's share (socket reads and writes), which a JS profile does not show. */
const sysOf = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) / TICKS;
  } catch {
    return NaN;
  }
};

async function pass(server) {
  const before = { serving: cpuOf(server.pid), sys: sysOf(server.pid), master: server.masterPid ? cpuOf(server.masterPid) : NaN };
  const result = await runH2load(`http://127.0.0.1:${server.port}${opts.path}`, load);
  const after = { serving: cpuOf(server.pid), sys: sysOf(server.pid), master: server.masterPid ? cpuOf(server.masterPid) : NaN };
  if (result.requests === 0) throw new Error(`${server.row.label}: h2load completed no request`);
  return {
    ...result,
    usPerReq: ((after.serving - before.serving) * 1e6) / result.requests,
    sysUsPerReq: ((after.sys - before.sys) * 1e6) / result.requests,
    masterUsPerReq: ((after.master - before.master) * 1e6) / result.requests,
  };
}

const servers = [];
try {
  for (const row of rows) {
    const port = await freePort();
    const proc = row.start(port);
    await waitFor(() => accepts(port), `${row.label} on port ${port}`, 30_000);
    servers.push({ row, proc, port, pid: await row.servingPid(proc), masterPid: row.masterPid?.(proc), passes: [] });
  }
  for (const server of servers) await pass(server); // warm-up: JIT, pools, first sessions
  for (let i = 1; i <= passes; i++) {
    for (const server of servers) {
      const p = await pass(server);
      server.passes.push(p);
      console.log(`pass ${i}  ${server.row.label.padEnd(32)} ${p.usPerReq.toFixed(2).padStart(7)} µs/req  ${p.rps.toFixed(0).padStart(6)} req/s  ${p.errors} errors`);
    }
  }
} finally {
  // SIGTERM: both exit cleanly, so --cpu-prof writes its profiles.
  for (const server of servers) await server.proc.stop('SIGTERM', 10_000);
  await stopAllProcesses();
}

const fmt = (values, digits = 2) => {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '–';
  return `${median(finite).toFixed(digits)} (${Math.min(...finite).toFixed(digits)}–${Math.max(...finite).toFixed(digits)})`;
};
const bare = servers[0];
console.log(`\nh2load -c ${load.connections} -m ${load.streams} -t 1 -D ${load.durationS} http://127.0.0.1:PORT${opts.path}; ${passes} interleaved passes${opts.pin ? ', pinned' : ', unpinned'}; median (range)\n`);
console.log('| server | µs/req (serving process) | of which kernel (stime) | pre ÷ bare, pass by pass | master µs/req | req/s | errors |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const server of servers) {
  const ratios = server === bare ? [] : server.passes.map((p, i) => p.usPerReq / bare.passes[i].usPerReq);
  console.log(`| ${server.row.label} | ${fmt(server.passes.map((p) => p.usPerReq))} | ${fmt(server.passes.map((p) => p.sysUsPerReq))} | ${ratios.length ? fmt(ratios) : '–'} | ${server.masterPid ? fmt(server.passes.map((p) => p.masterUsPerReq)) : '–'} | ${fmt(server.passes.map((p) => p.rps), 0)} | ${server.passes.reduce((n, p) => n + p.errors, 0)} |`);
}
if (opts['cpu-prof']) {
  console.log(`\nProfiles in ${opts['cpu-prof']} (CPU.*.PID.*.cpuprofile): ${servers.map((s) => `${s.row.label} ${s.pid}, ${s.passes.reduce((n, p) => n + p.requests, 0)} requests measured + a warm-up pass`).join('; ')}`);
}
