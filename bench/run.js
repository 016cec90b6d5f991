#!/usr/bin/env node
// pnpm bench: pre's worker classes side by side with bare node:http, node:cluster, PM2, uWebSockets.js and
// Gunicorn, in one run, passes interleaved (server A pass 1, server B pass 1, …, then pass 2), unpinned unless
// --pin. Per row: req/s, CPU µs per request over every server process, the busiest worker's share
// (keep-alive and a burst of new connections from idle), RSS of master and workers, time to first response.
//   node bench/run.js [--quick] [--all] [--pin] [--passes N] [--duration S] [--servers id,…] [--scenarios id,…] [--load wrk|undici]
//                     [--burst CONNECTIONS] [--bursts N]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { burstFromIdle, busiestShare } from './lib/burst.js';
import { loadGeneratorName, runLoad, webSocketEchoWorks } from './lib/load.js';
import { measure } from './lib/measure.js';
import { availableWorkerClasses } from './lib/pre-classes.js';
import { PRE_STATS_LAG_MS, preRequestsPerWorker, requestsBetween } from './lib/pre-ctl.js';
import { CORES, freePort, sleep, stopAllProcesses, usePinning } from './lib/processes.js';
import { markdownReport, summarize } from './lib/report.js';
import { SCENARIOS, scenariosFor } from './lib/scenarios.js';
import { benchServers } from './lib/servers.js';
import { benchChartSvg } from './lib/svg-chart.js';
import { rssSample } from './lib/tree-sample.js';
import { http2Section } from './lib/http2-row.js';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    all: { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
    passes: { type: 'string' },
    rounds: { type: 'string' }, // the old name of --passes
    duration: { type: 'string' },
    servers: { type: 'string' },
    scenarios: { type: 'string' },
    load: { type: 'string' },
    burst: { type: 'string', default: '64' },
    bursts: { type: 'string', default: '3' },
    out: { type: 'string', default: fileURLToPath(new URL('results/', import.meta.url)) },
  },
});
const list = (s) => s?.split(',').map((x) => x.trim()).filter(Boolean);
const passes = Number(opts.passes ?? opts.rounds ?? (opts.quick ? 1 : 3));
const durationS = Math.max(1, Math.round(Number(opts.duration ?? (opts.quick ? 1 : 3)))); // wrk takes whole seconds
const burstSize = Number(opts.burst);
const bursts = Number(opts.bursts);
const BURST_GAP_MS = 500; // idle time between two bursts of one pass
const generator = loadGeneratorName(opts.load);
const pinned = opts.pin && usePinning(true);
if (opts.pin && !pinned) console.log('--pin: not pinned (one core or no taskset)');
const loadavgAtStart = os.loadavg();

const { available: preClasses, skipped } = availableWorkerClasses();
for (const s of skipped) console.log(`skipping pre worker class ${s.name}: ${s.reason}`);
const named = list(opts.scenarios) ?? null;
let servers = benchServers(preClasses, { websocket: named?.includes('ws') ?? false });
if (opts.servers) servers = servers.filter((s) => list(opts.servers).some((f) => s.id.includes(f)));
else if (!opts.all) servers = servers.filter((s) => s.tier === 'quick' || (!opts.quick && s.tier === 'full'));
const plan = servers.map((def) => ({ def, scenarios: scenariosFor(def, named) }));
const scenarios = SCENARIOS.filter((s) => plan.some((p) => p.scenarios.includes(s)));

console.log(`pnpm bench: ${servers.length} servers, ${plan.reduce((n, p) => n + p.scenarios.length, 0)} server × scenario pairs, ${passes} interleaved pass(es) of ${durationS} s; load: ${generator}; ` +
  `${pinned ? `server on cores ${CORES.server}, load generator on core ${CORES.load} (--pin)` : 'unpinned'}; load average at the start: ${loadavgAtStart.map((l) => l.toFixed(2)).join(' ')}`);

const samples = []; // one per pass × server × scenario
const starts = []; // one per pass × server: first response, RSS, split of the burst
const started = Date.now();
const short = (err) => String(err?.message ?? err).split('\n')[0];

/** The busiest worker's share of a keep-alive pass: requests per worker for pre, CPU time share otherwise. */
async function keepAliveSplit(server, ctlBefore, result) {
  if (!ctlBefore) return { share: result.cpuBusiestShare, source: 'CPU share' };
  await sleep(PRE_STATS_LAG_MS);
  return { share: busiestShare(requestsBetween(ctlBefore, await preRequestsPerWorker(server.controlSocket)).values()), source: 'pre ctl' };
}

async function runPass(pass, { def, scenarios: mine }) {
  const port = await freePort();
  const start = { pass, server: def.id };
  starts.push(start);
  let server;
  try {
    server = await def.start(port);
    start.firstResponseMs = server.firstResponseMs;
    await runLoad(port, SCENARIOS[0], 1, generator); // warm-up
    await sleep(def.workers >= 2 ? PRE_STATS_LAG_MS : 300);
    start.rssIdle = rssSample(server);
    for (const scenario of mine) {
      if (scenario.websocket && !(def.websocket ?? (await webSocketEchoWorks(port)))) continue;
      try {
        const splitHere = scenario.id === 'hello' && def.workers >= 2;
        const ctlBefore = splitHere && server.controlSocket ? await preRequestsPerWorker(server.controlSocket) : null;
        const result = await measure(server, port, scenario, durationS, generator);
        const sample = { pass, server: def.id, scenario: scenario.id, ...result };
        samples.push(sample);
        let split = '';
        if (splitHere) {
          sample.split = await keepAliveSplit(server, ctlBefore, result);
          split = `  busiest ${(sample.split.share * 100).toFixed(0)}% (${sample.split.source})`;
          if (def.pidRoute && burstSize > 0 && bursts > 0) {
            if (!ctlBefore) await sleep(PRE_STATS_LAG_MS); // the same idle time before the first burst for every server
            const servedBy = new Map();
            let failed = 0;
            for (let i = 0; i < bursts; i++) {
              if (i > 0) await sleep(BURST_GAP_MS);
              const burst = await burstFromIdle(port, burstSize);
              for (const [pid, n] of burst.servedBy) servedBy.set(pid, (servedBy.get(pid) ?? 0) + n);
              failed += burst.failed;
            }
            start.burst = { share: busiestShare(servedBy.values()), failed, servedBy: Object.fromEntries(servedBy) };
            split += `; burst ${(start.burst.share * 100).toFixed(0)}%${failed ? ` (${failed} failed)` : ''}`;
          }
        }
        console.log(`  pass ${pass} ${def.label.padEnd(28)} ${scenario.label.padEnd(27)} ${result.rps.toFixed(0).padStart(7)} req/s ${result.cpuUsPerRequest.toFixed(1).padStart(7)} µs/req${split}${result.errors ? `  ${result.errors} errors` : ''}`);
      } catch (err) {
        samples.push({ pass, server: def.id, scenario: scenario.id, errors: 0, failure: short(err) });
        console.log(`  pass ${pass} ${def.label} ${scenario.label}: FAILED ${short(err)}`);
      }
    }
    start.rssEnd = rssSample(server);
    console.log(`  pass ${pass} ${def.label.padEnd(28)} first response ${server.firstResponseMs.toFixed(0)} ms, RSS idle ${fmtRss(start.rssIdle)}, end ${fmtRss(start.rssEnd)}`);
  } catch (err) {
    start.failure = `start: ${short(err)}`;
    console.log(`  pass ${pass} ${def.label}: could not start: ${short(err)}`);
  } finally {
    await server?.stop();
    await stopAllProcesses();
  }
}

function fmtRss({ masterMB, workerMB }) {
  const workers = workerMB.map((w) => w.toFixed(0)).join('+');
  return masterMB === null ? `${workers} MB` : `master ${masterMB.toFixed(0)} + workers ${workers} MB`;
}

// Passes are the outer loop so that a burst of load from elsewhere on the machine hits one pass of everyone.
for (let pass = 1; pass <= passes; pass++) for (const entry of plan) await runPass(pass, entry);

const rows = summarize(samples, starts, servers, scenarios);
const meta = {
  date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model,
  loadavgAtStart, loadavgAtEnd: os.loadavg(), pinned: pinned ? CORES : null, generator, passes, durationS, burstSize, bursts, quick: opts.quick,
  command: `node bench/run.js ${process.argv.slice(2).join(' ')}`.trim(), elapsedS: Math.round((Date.now() - started) / 1000), skippedPreClasses: skipped,
};
const report = markdownReport(rows, scenarios, meta);
const { title } = report;
// The HTTP/2 row (h2c prior knowledge, many streams on few connections) beside HTTP/1.1 on the same app.
const wantsH2 = !opts.quick && (opts.scenarios === undefined || String(opts.scenarios).split(',').includes('h2'));
const markdown = wantsH2 ? [report.markdown, '', ...(await http2Section({ rounds: passes, durationS, generator }))].join('\n') : report.markdown;
mkdirSync(opts.out, { recursive: true });
const base = `${opts.out.replace(/\/$/, '')}/bench${opts.quick ? '-quick' : ''}`;
writeFileSync(`${base}.md`, markdown);
writeFileSync(`${base}.json`, JSON.stringify({ meta, servers: servers.map(({ id, label, group, workers }) => ({ id, label, group, workers })), scenarios, samples, starts, rows }, null, 2));
writeFileSync(`${base}.svg`, benchChartSvg(rows, title));
console.log(`\n${markdown}\nWritten: ${base}.md, ${base}.json, ${base}.svg (${meta.elapsedS} s)`);
