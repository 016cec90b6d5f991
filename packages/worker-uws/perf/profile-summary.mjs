#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): the top functions by self time and by inclusive time,
// as a share of the profile's busy samples (idle, GC and "(program)" are listed on their own).
//   node perf/profile-summary.mjs FILE.cpuprofile [--top 12] [--requests N]
// With --requests, each row also gives µs per request (sampled time / N). Only the samples from the first
// to the last one under --window (default onRequest, the uWS route callback) count: not start-up nor exit.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '12' }, requests: { type: 'string' }, window: { type: 'string', default: 'onRequest' } } });
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const top = Number(opts.top);
const requests = opts.requests ? Number(opts.requests) : 0;

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Time per sample (µs): the deltas, attributed to the sample they end.
const selfUs = new Map();
const { samples, timeDeltas } = profile;
const under = (id, name) => {
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) if (nodes.get(cur).callFrame.functionName === name) return true;
  return false;
};
let first = 0;
let last = samples.length - 1;
while (first < samples.length && !under(samples[first], opts.window)) first++;
while (last > first && !under(samples[last], opts.window)) last--;
for (let i = first; i <= last; i++) {
  const dt = timeDeltas[i + 1] ?? 0;
  selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt);
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
const shortUrl = (url) => {
  if (!url) return '';
  const file = url.replace(/^file:\/\//, '');
  const m = /packages\/([^/]+)\/(?:dist|src)\/(.+)$/.exec(file);
  if (m) return `${m[1]}/${m[2]}`;
  if (file.startsWith('node:')) return file;
  return path.basename(file);
};
const keyOf = (n) => {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'}  ${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
};

let total = 0;
const special = new Map();
const self = new Map();
const inclusive = new Map();
for (const [id, us] of selfUs) {
  total += us;
  const n = nodes.get(id);
  const name = n.callFrame.functionName;
  if (SPECIAL.has(name)) {
    special.set(name, (special.get(name) ?? 0) + us);
    continue;
  }
  const key = keyOf(n);
  self.set(key, (self.get(key) ?? 0) + us);
  // Inclusive: once per distinct function on the stack (recursion counted once).
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = keyOf(nodes.get(cur));
    if (SPECIAL.has(nodes.get(cur).callFrame.functionName) || seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
}
const busy = total - (special.get('(idle)') ?? 0);
const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const perReq = (us) => (requests ? `${(us / requests).toFixed(2).padStart(7)} µs/req` : '');
console.log(`${path.basename(positionals[0])}: ${(total / 1e6).toFixed(2)} s sampled, busy ${(busy / 1e6).toFixed(2)} s${requests ? `, ${requests} requests: ${(busy / requests).toFixed(2)} µs/req busy` : ''}`);
for (const name of ['(idle)', '(program)', '(garbage collector)']) console.log(`  ${name.padEnd(22)} ${(100 * (special.get(name) ?? 0) / total).toFixed(1)}% of all samples ${perReq(special.get(name) ?? 0)}`);
const table = (title, map) => {
  console.log(`\n${title} (share of busy time)`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)} ${perReq(us)}  ${k}`);
};
table('self', self);
table('inclusive', inclusive);
