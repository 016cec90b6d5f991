#!/usr/bin/env node
// pnpm test:chaos: each pre worker class under a client loop through kill -9, TERM, HUP, TTIN/TTOU,
// max_requests churn, USR2 upgrade, a hung handler and a soak; counts failed and refused requests.
//   node bench/chaos/run.js [--ci] [--classes async,…] [--events hup,…] [--parallel N]
// Exits 1 when a graceful event loses a request, kill -9 fails more than the victim's in-flight
// requests, or a recovery does not happen in time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { availableWorkerClasses } from '../lib/pre-classes.js';
import { stopAllProcesses } from '../lib/processes.js';
import { EVENTS } from './events.js';
import { startPre } from './pre-instance.js';

const { values: opts } = parseArgs({
  options: {
    ci: { type: 'boolean', default: process.env.CI === 'true' && !process.env.PRE_CHAOS_FULL },
    classes: { type: 'string' },
    events: { type: 'string' },
    parallel: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('../results/', import.meta.url)) },
  },
});
const list = (s) => s?.split(',').map((x) => x.trim()).filter(Boolean) ?? null;
opts.parallel ??= opts.ci ? '2' : '1';
const events = EVENTS.filter((e) => !opts.events || list(opts.events).includes(e.id));
const { available, skipped } = availableWorkerClasses(list(opts.classes));
for (const s of skipped) console.log(`skipping worker class ${s.name}: ${s.reason}`);
if (available.length === 0) {
  console.error('No worker class loads: build first (pnpm build).');
  process.exit(1);
}
console.log(`chaos${opts.ci ? ' --ci' : ''}: ${available.map((c) => c.name).join(', ')} × ${events.length} events`);

const started = Date.now();

/** Every event for one worker class, in order; events marked 'shared' reuse one `-w 2` pre. */
async function runClass(workerClass) {
  const rows = [];
  let shared = null;
  for (const event of events) {
    let pre = null;
    let result;
    const eventStart = Date.now();
    try {
      if (event.instance === 'shared') {
        if (!shared || !shared.proc.running || shared.workers().length !== 2) {
          await shared?.stop();
          shared = await startPre(workerClass, [], 2);
        }
        pre = shared;
      } else {
        pre = await startPre(workerClass, event.instance.args, event.instance.workers);
      }
      result = await event.run(pre, { ci: opts.ci });
    } catch (err) {
      result = { sent: 0, failed: 0, refused: 0, recoveryMs: null, error: err.message.split('\n')[0] };
    } finally {
      if (pre && pre !== shared) await pre.stop();
    }
    const verdict = result.notApplicable ? 'n/a' : !result.error && event.pass(result, { ci: opts.ci }) ? 'ok' : 'FAIL';
    const row = { elapsedS: (Date.now() - eventStart) / 1000, event: event.id, label: event.label, workerClass: workerClass.name, verdict, graceful: Boolean(event.graceful), limitMs: event.limitMs?.(opts.ci) ?? null, ...result };
    rows.push(row);
    console.log(`  ${workerClass.name.padEnd(8)} ${event.label.padEnd(34)} ${verdict.padEnd(4)} ${summaryOf(row)} [${row.elapsedS.toFixed(1)} s]`);
  }
  await shared?.stop();
  return rows;
}

// Classes run in `parallel` lanes (2 in CI, to stay within ~90 s; recovery limits allow for the extra load).
const queue = [...available];
const byClass = new Map();
await Promise.all(Array.from({ length: Math.max(1, Number(opts.parallel)) }, async () => {
  for (let next = queue.shift(); next; next = queue.shift()) byClass.set(next.name, await runClass(next));
}));
const rows = available.flatMap((c) => byClass.get(c.name) ?? []);
await stopAllProcesses();

function summaryOf(row) {
  if (row.verdict === 'n/a') return 'not supported by this version of pre';
  const errors = Object.entries(row.errors ?? {}).map(([k, n]) => `${k}×${n}`).join(', ');
  return [`sent ${row.sent}, failed ${row.failed}, refused ${row.refused}`, recovery(row), row.note, errors && `errors: ${errors}`, row.error].filter(Boolean).join('; ');
}

function recovery(row) {
  if (row.recoveryMs === null || row.recoveryMs === undefined) return '';
  const event = EVENTS.find((e) => e.id === row.event);
  return `${event.recoveryIsDuration ? 'ran' : 'recovered in'} ${Math.round(row.recoveryMs)} ms${row.limitMs ? ` (limit ${row.limitMs})` : ''}`;
}

const table = [
  '| event | class | sent | failed | refused | recovery | verdict | notes |',
  '|---|---|---:|---:|---:|---:|---|---|',
  ...rows.map((r) => {
    if (r.verdict === 'n/a') return `| ${r.label} | ${r.workerClass} | n/a | n/a | n/a | n/a | n/a | the arbiter ignores USR2 (no upgrade yet) |`;
    const event = EVENTS.find((e) => e.id === r.event);
    const rec = r.recoveryMs === null || event.recoveryIsDuration ? '—' : `${Math.round(r.recoveryMs)} ms`;
    const notes = [event.note, r.note, Object.keys(r.errors ?? {}).length ? Object.entries(r.errors).map(([k, n]) => `${k}×${n}`).join(' ') : '', r.error].filter(Boolean).join('; ');
    return `| ${r.label} | ${r.workerClass} | ${r.sent} | ${r.failed} | ${r.refused} | ${rec} | ${r.verdict} | ${notes.replace(/\|/g, '/')} |`;
  }),
].join('\n');
const elapsedS = Math.round((Date.now() - started) / 1000);
const markdown = `# pnpm test:chaos${opts.ci ? ' --ci' : ''} (${new Date().toISOString().slice(0, 16)}, node ${process.version}, ${elapsedS} s)\n\n${table}\n`;
mkdirSync(opts.out, { recursive: true });
const base = `${opts.out.replace(/\/$/, '')}/chaos${opts.ci ? '-ci' : ''}`;
writeFileSync(`${base}.md`, markdown);
writeFileSync(`${base}.json`, JSON.stringify({ ci: opts.ci, elapsedS, rows }, null, 2));
console.log(`\n${markdown}\nWritten: ${base}.md, ${base}.json`);
const failures = rows.filter((r) => r.verdict === 'FAIL');
if (failures.length) {
  console.error(`chaos: ${failures.length} event(s) failed: ${failures.map((r) => `${r.workerClass}/${r.event}`).join(', ')}`);
  process.exit(1);
}
