#!/usr/bin/env node
// Side-by-side benchmark of `--worker-class threads` (one run, interleaved rounds, medians):
//   1. one worker process, a ~5 ms CPU-bound handler (apps/cpu /hash): 1 thread vs 2 threads;
//   2. hello world: the threads worker against the async worker (1 process each);
//   3. RSS of the worker process with 1, 2 and 4 threads.
// Needs wrk. Usage, from the repo root after `pnpm build`:
//   node packages/worker-threads/bench/threads-bench.mjs [--seconds 5] [--rounds 3]
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PRE = path.join(ROOT, 'packages/core/bin/pre.js');
const CPU_APP = path.join(ROOT, 'apps/cpu');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 3);

function startPre(args) {
  const child = spawn(process.execPath, [PRE, CPU_APP, '-b', '127.0.0.1:0', '--log-level', 'debug', ...args], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, WEB_CONCURRENCY: '' },
  });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (log += d));
  const ready = new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const url = log.match(/Listening at: (http:\/\/\S+)/)?.[1];
      const pid = Number(log.match(/Worker booted \(pid: (\d+)\)/)?.[1]);
      if (url && pid) {
        clearInterval(timer);
        resolve({ url, pid });
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`pre exited:\n${log}`));
      }
    }, 20);
  });
  return { child, ready, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

function wrk(url, seconds, connections) {
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, url], { encoding: 'utf8' });
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
  const errors = out.match(/Non-2xx or 3xx responses: (\d+)|Socket errors: .*/)?.[0];
  if (errors) throw new Error(`wrk reported errors for ${url}: ${errors}`);
  return rps;
}

const rssKb = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(name, args, pathname, connections) {
  const pre = startPre(args);
  try {
    const { url, pid } = await pre.ready;
    wrk(`${url}${pathname}`, 1, connections); // warm-up
    const rps = wrk(`${url}${pathname}`, SECONDS, connections);
    return { name, rps, rssKb: rssKb(pid) };
  } finally {
    await pre.stop();
  }
}

const CONFIGS = [
  { name: 'cpu: threads, 1 thread', args: ['-k', 'threads', '--threads', '1'], path: '/hash', c: 16 },
  { name: 'cpu: threads, 2 threads', args: ['-k', 'threads', '--threads', '2'], path: '/hash', c: 16 },
  { name: 'hello: async, 1 process', args: ['-k', 'async'], path: '/', c: 32 },
  { name: 'hello: threads, 1 thread', args: ['-k', 'threads', '--threads', '1'], path: '/', c: 32 },
  { name: 'hello: async, 2 processes', args: ['-k', 'async', '-w', '2'], path: '/', c: 32 },
  { name: 'hello: threads, 2 threads', args: ['-k', 'threads', '--threads', '2'], path: '/', c: 32 },
];

const results = new Map(CONFIGS.map((c) => [c.name, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const config of CONFIGS) {
    const { rps } = await measure(config.name, config.args, config.path, config.c);
    results.get(config.name).push(rps);
    console.error(`round ${round}: ${config.name}: ${rps.toFixed(0)} req/s`);
  }
}
const med = (name) => median(results.get(name));
console.log(`\nMedians of ${ROUNDS} rounds, wrk -t1 -d${SECONDS}s, ${process.version}:`);
for (const { name } of CONFIGS) console.log(`  ${name.padEnd(28)} ${med(name).toFixed(0).padStart(7)} req/s`);
console.log(`  CPU-bound, 2 threads / 1 thread:        ${(med('cpu: threads, 2 threads') / med('cpu: threads, 1 thread')).toFixed(2)}x`);
console.log(`  hello, threads (1 thread) / async (1):  ${(med('hello: threads, 1 thread') / med('hello: async, 1 process')).toFixed(2)}x`);
console.log(`  hello, threads (2 threads) / async (2): ${(med('hello: threads, 2 threads') / med('hello: async, 2 processes')).toFixed(2)}x`);

// RSS after the same hello load, per thread count.
const rss = [];
for (const threads of [1, 2, 4]) {
  const { rssKb: kb } = await measure(`rss ${threads}`, ['-k', 'threads', '--threads', String(threads)], '/', 32);
  rss.push([threads, kb]);
}
const async1 = (await measure('rss async', ['-k', 'async'], '/', 32)).rssKb;
console.log(`\nWorker process RSS after ${SECONDS}s of hello load: async ${(async1 / 1024).toFixed(1)} MB; ` +
  rss.map(([t, kb]) => `${t} thread${t > 1 ? 's' : ''} ${(kb / 1024).toFixed(1)} MB`).join(', '));
console.log(`  per added thread: ${(((rss[2][1] - rss[0][1]) / 3) / 1024).toFixed(1)} MB`);
