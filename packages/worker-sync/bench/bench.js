// Benchmarks for @pre/worker-sync (plain node; run from the repo root after a build):
//   node packages/worker-sync/bench/bench.js [seconds per run, default 5] [sleep20|burst|hello ...]
// 1. A 20 ms handler, connection per request: 1 worker with 1 client gives the single-worker rate R1;
//    2 workers with 2 and 4 clients are compared with the ideal 2 × R1 measured in the same run.
// 2. N workers, a 200 ms handler: how long N and 2N simultaneous requests take (ideal 200 / 400 ms).
// 3. Hello world, connection per request (wrk): sync vs async vs Gunicorn's sync worker, 2 workers each,
//    with the master's CPU. Ratios matter, not absolute numbers: the machine is shared.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PRE = `${ROOT}packages/core/bin/pre.js`;
const DEMO = `${ROOT}apps/sync-demo`;
const HELLO = `${ROOT}apps/hello`;
const SECONDS = Number(process.argv[2] ?? 5);
const PARTS = process.argv.slice(3); // any of sleep20, burst, hello (default: all)
const wanted = (part) => PARTS.length === 0 || PARTS.includes(part);

function startPre(app, workerClass, workers, env = {}) {
  const child = spawn(process.execPath, [PRE, app, '-k', workerClass, '-w', String(workers), '-b', '127.0.0.1:0', '--log-level', 'debug'], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PRE_CMD_ARGS: '', WEB_CONCURRENCY: '', ...env },
  });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (log += d));
  const ready = new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const url = /Listening at: (\S+)/.exec(log)?.[1];
      if (url && (log.match(/Worker booted/g) ?? []).length >= workers) {
        clearInterval(timer);
        resolve(url);
      }
      if (child.exitCode !== null) reject(new Error(`pre exited:\n${log}`));
    }, 20);
  });
  const pids = () => [child.pid, ...[...log.matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]))];
  return { child, ready, pids, log: () => log, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

/** One request on a new connection; resolves with [latency ms, body]. */
function once(url) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve([performance.now() - started, body]));
    }).on('error', reject);
  });
}

/** `clients` loops of connection-per-request GETs for `seconds`. */
async function load(url, clients, seconds) {
  const latencies = [];
  const byPid = new Map();
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      try {
        const [ms, body] = await once(url);
        latencies.push(ms);
        const pid = /pid (\d+)/.exec(body)?.[1] ?? body;
        byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { rate: latencies.length / seconds, p50: pct(50), p99: pct(99), split: [...byPid.values()], errors };
}

const cpuTicks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100 per second)
};

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * wrk, connection per request: requests/s, the master's CPU (% of one core) and the CPU time of all
 * the server's processes per connection (µs), which the machine's other load disturbs less.
 */
function wrk(url, masterPid, allPids) {
  const before = cpuTicks(masterPid);
  const allBefore = allPids.map(cpuTicks);
  const out = execFileSync('wrk', ['-t1', '-c8', `-d${SECONDS}s`, '-H', 'Connection: close', url], { encoding: 'utf8' });
  const master = (cpuTicks(masterPid) - before) / SECONDS; // ticks per second = % of a core
  const cpuMs = allPids.reduce((sum, pid, i) => sum + (cpuTicks(pid) - allBefore[i]) * 10, 0);
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  const errors = /Socket errors: (.*)/.exec(out)?.[1] ?? 'none';
  return { rate: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]), master, cpuPerConn: (cpuMs * 1000) / requests, errors };
}

const fmt = (n) => n.toFixed(1);

async function sleep20() {
  console.log(`\n## 20 ms handler, connection per request (${SECONDS} s per run)`);
  const one = startPre(DEMO, 'sync', 1);
  const r1 = await load(`${await one.ready}/sleep?ms=20`, 1, SECONDS);
  await one.stop();
  console.log(`1 worker, 1 client: ${fmt(r1.rate)} req/s, p99 ${fmt(r1.p99)} ms  → ideal for 2 workers: ${fmt(2 * r1.rate)} req/s`);
  const two = startPre(DEMO, 'sync', 2);
  const url = `${await two.ready}/sleep?ms=20`;
  for (const clients of [2, 4]) {
    const r = await load(url, clients, SECONDS);
    const ideal = 2 * r1.rate;
    console.log(
      `2 workers, ${clients} clients: ${fmt(r.rate)} req/s = ${fmt((100 * r.rate) / ideal)}% of ideal; ` +
        `p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms (ideal p99 ${fmt((clients / 2) * r1.p99)} ms); split ${r.split.join('/')}; errors ${r.errors}`,
    );
  }
  const busyAccepts = (two.log().match(/Accepted a connection while busy/g) ?? []).length;
  await two.stop();
  console.log(`connections accepted by a busy worker: ${busyAccepts}`);
}

async function burst() {
  console.log('\n## 2 workers, 200 ms handler: time for all of N simultaneous requests (5 tries each)');
  const pre = startPre(DEMO, 'sync', 2);
  const url = `${await pre.ready}/sleep?ms=200`;
  for (const n of [2, 4]) {
    const totals = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await Promise.all(Array.from({ length: n }, () => once(url)));
      totals.push(performance.now() - started);
    }
    console.log(`${n} requests: ${totals.map(fmt).join(', ')} ms (ideal ${n === 2 ? 200 : 400} ms)`);
  }
  await pre.stop();
}

async function helloPre(workerClass, env) {
  const pre = startPre(HELLO, workerClass, 2, env);
  const url = await pre.ready;
  await new Promise((r) => setTimeout(r, 200)); // let the workers' boot settle
  const r = wrk(`${url}/`, pre.child.pid, pre.pids());
  const fd0 = (pre.log().match(/accepts on fd 0/g) ?? []).length;
  await pre.stop();
  return { ...r, note: workerClass === 'sync' ? `${fd0}/2 workers on fd 0` : '' };
}

async function helloGunicorn() {
  const port = await freePort();
  const gunicorn = spawn('gunicorn', ['-w', '2', '-k', 'sync', '-b', `127.0.0.1:${port}`, '--chdir', fileURLToPath(new URL('.', import.meta.url)), 'hello_wsgi:app'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  gunicorn.stderr.setEncoding('utf8').on('data', (d) => (log += d));
  while ((log.match(/Booting worker/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500)); // Gunicorn does not say when a worker accepts
  const pids = [gunicorn.pid, ...[...log.matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]))];
  const r = wrk(`http://127.0.0.1:${port}/`, gunicorn.pid, pids);
  await new Promise((r) => { gunicorn.once('exit', r); gunicorn.kill('SIGTERM'); });
  return { ...r, note: '' };
}

async function helloWorld() {
  const ROUNDS = Number(process.env.ROUNDS ?? 3);
  console.log(`\n## Hello world, 2 workers, wrk -t1 -c8 -H 'Connection: close', ${SECONDS} s, ${ROUNDS} interleaved rounds (median)`);
  const peers = {
    'pre -k sync': () => helloPre('sync', {}),
    'pre -k sync, PRE_SYNC_ACCEPT=copies': () => helloPre('sync', { PRE_SYNC_ACCEPT: 'copies' }),
    'pre -k async': () => helloPre('async', {}),
    'gunicorn -k sync': helloGunicorn,
  };
  const results = Object.fromEntries(Object.keys(peers).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) for (const [name, run] of Object.entries(peers)) results[name].push(await run());
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const [name, runs] of Object.entries(results)) {
    console.log(
      `${name}: ${fmt(median(runs.map((r) => r.rate)))} conn/s (${runs.map((r) => fmt(r.rate)).join(', ')}), ` +
        `${fmt(median(runs.map((r) => r.cpuPerConn)))} µs CPU per connection, master ${fmt(median(runs.map((r) => r.master)))}% of a core` +
        `${runs[0].note ? `, ${runs[0].note}` : ''}, socket errors: ${runs.map((r) => r.errors).join(' | ')}`,
    );
  }
}

console.log(`node ${process.version}, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
if (wanted('sleep20')) await sleep20();
if (wanted('burst')) await burst();
if (wanted('hello')) await helloWorld();
