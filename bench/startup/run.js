#!/usr/bin/env node
// Start-up bench: how soon `pre apps/hello -w N` answers, and how heavy its processes are at idle.
//
//   node bench/startup/run.js                  # 7 interleaved starts each of pre -w 1, pre -w 2 and bare node:http
//   node bench/startup/run.js --starts 5 --trace
//   node bench/startup/run.js --cpu-prof /tmp/prof   # one start of pre -w 2 under --cpu-prof (master and workers)
//   node bench/startup/run.js --baseline /tmp/pre-main   # also rows for another built checkout of pre (before/after)
//   node bench/startup/run.js --no-extra-ca      # every row without NODE_EXTRA_CA_CERTS (see below)
//
// Each start: spawn → first 200 of a raw TCP `GET /` polled every 5 ms (bench/lib/first-response.js), then
// IDLE_MS of idle, then VmRSS of the master and of each worker. Starts are interleaved (pre -w 1, pre -w 2,
// bare, then again) so machine noise hits every row alike; the report gives medians and ranges.
// --trace adds one start per pre row with bench/startup/marks.config.js (hooks that write timestamps) and
// marked-app.js, and prints where the time went: arbiter start → bound → spawn → worker imported → app
// imported → listen → first 200.
// NODE_EXTRA_CA_CERTS: Node 20 reads and parses that file when the process starts (Node 22 and 24 only when
// TLS first needs it). With a full CA bundle (~220 KB) that is ~50 ms of CPU per process here, and pre
// starts two processes one after the other (master, then worker) where bare node:http starts one. The
// bench says when it is set; --no-extra-ca removes it from every row's environment alike.
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { timeToFirstResponse } from '../lib/first-response.js';
import { median } from '../lib/median.js';
import { freePort, procStat, processTree, startProcess, stopAllProcesses, vmRss } from '../lib/processes.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const IDLE_MS = 1500;

const { values: opts } = parseArgs({
  options: {
    starts: { type: 'string', default: '7' },
    trace: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    workers: { type: 'string', default: '1,2' },
    baseline: { type: 'string' },
    'no-extra-ca': { type: 'boolean', default: false },
  },
});

if (opts['no-extra-ca']) delete process.env.NODE_EXTRA_CA_CERTS; // startProcess passes process.env on
const now = () => performance.timeOrigin + performance.now();
const mb = (bytes) => (bytes ?? NaN) / 2 ** 20;

/** `pre apps/hello -w N` from the checkout at `root` (built), with its control socket in the temp dir. */
function preRow(workers, root = ROOT, name = 'pre') {
  return {
    label: `${name} async -w ${workers}`,
    start: (port, extra = {}) => startProcess(process.execPath, [...(extra.nodeArgs ?? []), path.join(root, 'packages/core/bin/pre.js'),
      extra.app ?? 'apps/hello', '-w', String(workers), '-b', `127.0.0.1:${port}`, '--control-socket', path.join(extra.tmp, `ctl-${port}`),
      ...(extra.preArgs ?? [])],
    { cwd: root, env: extra.env ?? {} }),
    master: true,
  };
}
const bareRow = {
  label: 'bare node:http',
  start: (port) => startProcess(process.execPath, [path.join(HERE, 'bare-hello.js')], { cwd: ROOT, env: { PORT: String(port) } }),
  master: false,
};

/** One start: first response (ms), then the RSS (MB) of the master and the workers after IDLE_MS. */
async function measure(row, tmp, extra = {}) {
  const port = await freePort();
  const spawnedAt = performance.now();
  const epochSpawn = now();
  const proc = row.start(port, { ...extra, tmp });
  try {
    const firstMs = await timeToFirstResponse(port, spawnedAt, () => proc.running);
    const firstAt = now();
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const tree = processTree(proc.pid);
    const workers = row.master ? tree.filter((pid) => pid !== proc.pid) : tree;
    // CPU time spent starting (utime+stime, ms): less sensitive than wall time to what else the machine runs.
    const cpuMs = (pid) => (procStat(pid)?.cpu ?? NaN) * 1000;
    return {
      firstMs, epochSpawn, firstAt,
      masterMB: row.master ? mb(vmRss(proc.pid)) : null, workerMB: workers.map((pid) => mb(vmRss(pid))),
      masterCpuMs: row.master ? cpuMs(proc.pid) : null, workerCpuMs: workers.map(cpuMs),
    };
  } catch (err) {
    throw new Error(`${row.label}: ${err.message}\n${proc.output}`);
  } finally {
    await proc.stop();
  }
}

const fmt = (v, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const range = (values, digits = 0) => `${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}`;

async function bench(rows, starts, tmp) {
  const results = new Map(rows.map((row) => [row, []]));
  for (let i = 1; i <= starts; i++) {
    for (const row of rows) {
      const r = await measure(row, tmp);
      results.get(row).push(r);
      console.log(`  start ${i} ${row.label.padEnd(16)} first 200 ${fmt(r.firstMs)} ms, master ${fmt(r.masterMB, 1)} MB ${fmt(r.masterCpuMs)} ms CPU, ` +
        `workers ${r.workerMB.map((w) => fmt(w, 1)).join(' / ')} MB ${r.workerCpuMs.map((c) => fmt(c)).join(' / ')} ms CPU`);
    }
  }
  console.log(`\n| row | first 200, median (range) | master RSS idle | worker RSS idle | master CPU to idle | worker CPU to idle |\n|---|---|---|---|---|---|`);
  for (const [row, runs] of results) {
    const first = runs.map((r) => r.firstMs);
    const master = runs.map((r) => r.masterMB);
    const workers = runs.flatMap((r) => r.workerMB);
    const masterCpu = runs.map((r) => r.masterCpuMs);
    const workerCpu = runs.flatMap((r) => r.workerCpuMs);
    console.log(`| ${row.label} ×${starts} | ${fmt(median(first))} ms (${range(first)}) | ${row.master ? `${fmt(median(master), 1)} MB (${range(master, 1)})` : '–'} ` +
      `| ${fmt(median(workers), 1)} MB (${range(workers, 1)}) | ${row.master ? `${fmt(median(masterCpu))} ms` : '–'} | ${fmt(median(workerCpu))} ms |`);
  }
}

/** One start with hooks that write timestamps; prints each mark relative to the spawn. */
async function trace(row, tmp) {
  const file = path.join(tmp, `marks-${Math.random().toString(36).slice(2)}.jsonl`);
  const r = await measure(row, tmp, {
    app: path.join(HERE, 'marked-app.js'),
    preArgs: ['-c', path.join(HERE, 'marks.config.js')],
    env: { PRE_STARTUP_MARKS: file },
  });
  const marks = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  const master = marks.find((m) => m.name === 'on_starting');
  const events = [{ name: 'spawn of pre', at: r.epochSpawn }, { name: 'master process start', at: master.processStart }];
  const workerPids = [...new Set(marks.filter((m) => m.pid !== master.pid).map((m) => m.pid))];
  for (const m of marks.filter((m) => m.pid === master.pid)) events.push({ name: m.name === 'pre_fork' ? `pre_fork (worker ${m.age})` : m.name, at: m.at, cpu: m.cpu });
  workerPids.forEach((pid, i) => {
    const own = marks.filter((m) => m.pid === pid);
    events.push({ name: `worker ${i + 1} process start`, at: own[0].processStart });
    for (const m of own) events.push({ name: `worker ${i + 1} ${m.name}`, at: m.at, cpu: m.cpu });
  });
  events.push({ name: 'first 200', at: r.firstAt });
  events.sort((a, b) => a.at - b.at);
  console.log(`\ntrace, ${row.label} (ms after the spawn; marks from marks.config.js hooks and marked-app.js; CPU = that process's CPU time so far):`);
  for (const e of events) console.log(`  ${fmt(e.at - r.epochSpawn).padStart(5)}  ${e.name}${e.cpu === undefined ? '' : ` (CPU ${fmt(e.cpu)} ms)`}`);
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pre-startup-'));
  try {
    const preRows = opts.workers.split(',').map((w) => preRow(Number(w)));
    if (opts['cpu-prof']) {
      const dir = path.resolve(opts['cpu-prof']);
      const r = await measure(preRows.at(-1), tmp, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100'] });
      console.log(`first 200 ${fmt(r.firstMs)} ms under --cpu-prof; profiles in ${dir} (one per process)`);
      return;
    }
    console.log(`Node ${process.version}, ${os.availableParallelism()} cores; ${opts.starts} interleaved starts per row; RSS after ${IDLE_MS} ms idle`);
    const extraCa = process.env.NODE_EXTRA_CA_CERTS;
    console.log(extraCa ? `NODE_EXTRA_CA_CERTS=${extraCa} is set: Node 20 loads it at every process start (--no-extra-ca to leave it out)` : 'NODE_EXTRA_CA_CERTS is not set');
    const baseRows = opts.baseline ? opts.workers.split(',').map((w) => preRow(Number(w), path.resolve(opts.baseline), 'base')) : [];
    await bench([...baseRows, ...preRows, bareRow], Number(opts.starts), tmp);
    if (opts.trace) for (const row of preRows) await trace(row, tmp);
  } finally {
    await stopAllProcesses();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
