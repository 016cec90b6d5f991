#!/usr/bin/env node
// pnpm bench: pre's worker classes side by side with node:cluster, PM2, uWebSockets.js, @hono/node-server
// and Gunicorn, in one run, server and load generator pinned to separate cores, medians of several rounds.
//   node bench/run.js [--quick] [--rounds N] [--duration S] [--servers id,…] [--scenarios id,…] [--load wrk|undici]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadGeneratorName, runLoad, webSocketEchoWorks } from './lib/load.js';
import { measure } from './lib/measure.js';
import { availableWorkerClasses } from './lib/pre-classes.js';
import { CORES, freePort, stopAllProcesses } from './lib/processes.js';
import { BASELINE, detailTable, rpsTable, summarize } from './lib/report.js';
import { QUICK_SCENARIOS, SCENARIOS } from './lib/scenarios.js';
import { benchServers } from './lib/servers.js';
import { barChartSvg } from './lib/svg-chart.js';
import { http2Section } from './lib/http2-row.js';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    servers: { type: 'string' },
    scenarios: { type: 'string' },
    load: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('results/', import.meta.url)) },
  },
});
const list = (s) => s?.split(',').map((x) => x.trim()).filter(Boolean);
const rounds = Number(opts.rounds ?? (opts.quick ? 1 : 3));
const durationS = Number(opts.duration ?? (opts.quick ? 1 : 4));
const generator = loadGeneratorName(opts.load);

const { available: preClasses, skipped } = availableWorkerClasses();
for (const s of skipped) console.log(`skipping pre worker class ${s.name}: ${s.reason}`);
let servers = benchServers(preClasses);
// --quick: node:cluster and each pre class with 2 workers.
if (opts.quick) servers = servers.filter((s) => s.id === BASELINE || (s.group === 'pre' && s.id.endsWith('-w2')));
if (opts.servers) servers = servers.filter((s) => s.id === BASELINE || list(opts.servers).some((f) => s.id.includes(f)));
let scenarios = SCENARIOS;
if (opts.quick) scenarios = scenarios.filter((s) => QUICK_SCENARIOS.includes(s.id));
if (opts.scenarios) scenarios = scenarios.filter((s) => list(opts.scenarios).includes(s.id));

console.log(`pnpm bench: ${servers.length} servers × ${scenarios.length} scenarios × ${rounds} round(s) of ${durationS} s; load: ${generator}; ` +
  (CORES ? `server on cores ${CORES.server}, load on core ${CORES.load}` : 'not pinned (one core or no taskset)'));

const samples = [];
const started = Date.now();
for (let round = 1; round <= rounds; round++) {
  // Rounds are the outer loop so that a burst of load from elsewhere on the machine hits one round of everyone.
  for (const def of servers) {
    const port = await freePort();
    let server;
    try {
      server = await def.start(port);
      await runLoad(port, SCENARIOS[0], Math.min(1, durationS), generator); // warm-up
      for (const scenario of scenarios) {
        if (scenario.websocket && !(def.websocket ?? (await webSocketEchoWorks(port)))) continue;
        try {
          const result = await measure(server, port, scenario, durationS, generator);
          samples.push({ round, server: def.id, scenario: scenario.id, ...result });
          console.log(`  round ${round} ${def.label.padEnd(24)} ${scenario.label.padEnd(18)} ${result.rps.toFixed(0).padStart(7)} req/s  p99 ${result.p99Ms.toFixed(2)} ms${result.errors ? `  ${result.errors} errors` : ''}`);
        } catch (err) {
          samples.push({ round, server: def.id, scenario: scenario.id, errors: 0, failure: err.message });
          console.log(`  round ${round} ${def.label} ${scenario.label}: FAILED ${err.message.split('\n')[0]}`);
        }
      }
    } catch (err) {
      console.log(`  round ${round} ${def.label}: could not start: ${err.message.split('\n')[0]}`);
      for (const scenario of scenarios) samples.push({ round, server: def.id, scenario: scenario.id, errors: 0, failure: `start: ${err.message.split('\n')[0]}` });
    } finally {
      await server?.stop();
      await stopAllProcesses();
    }
  }
}

const rows = summarize(samples, servers, scenarios);
const meta = {
  date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadavg: os.loadavg(),
  pinned: CORES, generator, rounds, durationS, quick: opts.quick, elapsedS: Math.round((Date.now() - started) / 1000),
  skippedPreClasses: skipped,
};
const title = `pnpm bench${opts.quick ? ' --quick' : ''}: req/s (median of ${rounds}), ${meta.date.slice(0, 16)}, node ${process.version}, load: ${generator}`;
const markdown = [
  `# ${title}`, '',
  `Server on cores ${CORES?.server ?? 'any'}, load generator on core ${CORES?.load ?? 'any'}; ${rounds} round(s) of ${durationS} s; medians; (×) = ratio to node:cluster ×2. Load average at the end: ${meta.loadavg.map((l) => l.toFixed(2)).join(' ')}.`, '',
  '## req/s', '', rpsTable(rows, servers, scenarios), '',
  '## Every figure', '', 'RSS = peak of the server\'s whole process tree; master CPU = the master\'s share of the server\'s CPU time (— where one process serves).', '',
  detailTable(rows, scenarios), '',
  ...(list(opts.scenarios)?.includes('h2') === false ? [] : await http2Section({ rounds, durationS, generator })),
].join('\n');
mkdirSync(opts.out, { recursive: true });
const base = `${opts.out.replace(/\/$/, '')}/bench${opts.quick ? '-quick' : ''}`;
writeFileSync(`${base}.md`, markdown);
writeFileSync(`${base}.json`, JSON.stringify({ meta, servers: servers.map(({ id, label, group }) => ({ id, label, group })), scenarios, samples, rows }, null, 2));
writeFileSync(`${base}.svg`, barChartSvg(rows, servers, scenarios, title));
console.log(`\n${markdown}\nWritten: ${base}.md, ${base}.json, ${base}.svg (${meta.elapsedS} s)`);
