// Medians across passes, one row per server, and the markdown report.
import { median } from './median.js';
import { targetChecks } from './targets.js';

const max = (values) => (values.length ? Math.max(...values) : NaN);

/**
 * One row per server: per scenario the medians of req/s, CPU µs/request and latency; the busiest worker's share
 * (keep-alive pass and burst from idle); first response; RSS of the master and of the largest worker, at idle
 * after the warm-up and at the end of the pass.
 */
export function summarize(samples, starts, servers, scenarios) {
  return servers.map((server) => {
    const mine = starts.filter((s) => s.server === server.id);
    const ok = mine.filter((s) => !s.failure);
    const scen = {};
    for (const scenario of scenarios) {
      const runs = samples.filter((s) => s.server === server.id && s.scenario === scenario.id);
      if (runs.length === 0) continue;
      const good = runs.filter((r) => !r.failure);
      const figure = (key) => median(good.map((r) => r[key]));
      scen[scenario.id] = {
        rps: figure('rps'), usPerRequest: figure('cpuUsPerRequest'), p50Ms: figure('p50Ms'), p99Ms: figure('p99Ms'),
        masterCpuShare: figure('masterCpuShare'), errors: runs.reduce((n, r) => n + (r.errors ?? 0), 0), passes: good.length,
        // Per pass, for ratios between servers measured side by side in the same pass (lib/targets.js).
        byPass: Object.fromEntries(good.map((r) => [r.pass, { rps: r.rps, usPerRequest: r.cpuUsPerRequest }])),
        failure: good.length === 0 ? runs[0].failure : null,
      };
    }
    const splits = samples.filter((s) => s.server === server.id && s.split);
    const rss = (when, who) => median(ok.map((s) => (who === 'master' ? s[when]?.masterMB : max(s[when]?.workerMB ?? [])) ?? NaN));
    return {
      server: server.id, label: server.label, group: server.group, workers: server.workers, scen,
      keepAliveShare: median(splits.map((s) => s.split.share)), keepAliveSource: splits[0]?.split.source ?? null,
      burstShare: median(ok.map((s) => s.burst?.share ?? NaN)), burstFailed: ok.reduce((n, s) => n + (s.burst?.failed ?? 0), 0),
      firstResponseMs: median(ok.map((s) => s.firstResponseMs)), starts: ok.length,
      rss: { masterIdle: rss('rssIdle', 'master'), masterEnd: rss('rssEnd', 'master'), workerIdle: rss('rssIdle', 'worker'), workerEnd: rss('rssEnd', 'worker') },
      failure: ok.length === 0 ? mine[0]?.failure ?? 'not run' : null,
    };
  });
}

const num = (v) => (!Number.isFinite(v) ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : '—');
const pair = (a, b) => (Number.isFinite(a) || Number.isFinite(b) ? `${num(a)} / ${num(b)}` : '—');

function cell(row, id, key) {
  const s = row.scen[id];
  if (!s) return '—';
  if (s.failure) return 'failed';
  return `${num(s[key])}${s.errors ? ` ⚠${s.errors}` : ''}`;
}

/** The issue's columns plus RSS and first response, one line per server. */
export function mainTable(rows) {
  const lines = [
    '| server | hello req/s | hello µs/req | new conn µs/req | busiest worker, keep-alive | busiest worker, burst from idle | master RSS MB idle / end | worker RSS MB idle / end | first response ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    if (row.failure) {
      lines.push(`| ${row.label} | ${row.failure.replace(/\|/g, '/').slice(0, 90)} ||||||||`);
      continue;
    }
    const keepAlive = Number.isFinite(row.keepAliveShare) ? `${pct(row.keepAliveShare)} (${row.keepAliveSource})` : '—';
    const burst = Number.isFinite(row.burstShare) ? `${pct(row.burstShare)}${row.burstFailed ? ` ⚠${row.burstFailed} failed` : ''}` : '—';
    lines.push(`| ${row.label} | ${cell(row, 'hello', 'rps')} | ${cell(row, 'hello', 'usPerRequest')} | ${cell(row, 'close', 'usPerRequest')} | ${keepAlive} | ${burst} | ` +
      `${row.workers >= 1 && Number.isFinite(row.rss.masterIdle) ? pair(row.rss.masterIdle, row.rss.masterEnd) : '—'} | ${pair(row.rss.workerIdle, row.rss.workerEnd)} | ${num(row.firstResponseMs)} |`);
  }
  return lines.join('\n');
}

/** The other scenarios: req/s and CPU µs/request of each server that ran them. */
export function scenarioTable(rows, scenarios) {
  const extra = scenarios.filter((s) => !s.core);
  const ran = rows.filter((r) => extra.some((s) => r.scen[s.id]));
  if (extra.length === 0 || ran.length === 0) return '';
  const lines = [
    `| server | ${extra.map((s) => `${s.label} req/s | µs/req`).join(' | ')} |`,
    `|---|${extra.map(() => '---:|---:').join('|')}|`,
  ];
  for (const row of ran) lines.push(`| ${row.label} | ${extra.map((s) => `${cell(row, s.id, 'rps')} | ${cell(row, s.id, 'usPerRequest')}`).join(' | ')} |`);
  return lines.join('\n');
}

export function targetTable(checks) {
  const lines = ['| item | figure | measured | target | |', '|---|---|---:|---:|---|'];
  for (const c of checks) lines.push(`| ${c.item} | ${c.what} | ${c.value} | ${c.target} | ${c.ok === null ? 'n/a' : c.ok ? 'met' : 'MISSED'} |`);
  return lines.join('\n');
}

export function markdownReport(rows, scenarios, meta) {
  const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
  const title = `pnpm bench${meta.quick ? ' --quick' : ''}: ${meta.date.slice(0, 16)}, node ${meta.node}, ${meta.passes} pass(es) × ${meta.durationS} s, load: ${meta.generator}`;
  const markdown = [
    `# ${title}`, '',
    `\`${meta.command}\` — ${meta.cpus} cores, ${meta.pinned ? `server on cores ${meta.pinned.server}, load generator on core ${meta.pinned.load} (--pin)` : 'unpinned'}; passes interleaved (every server's pass 1, then pass 2, …); medians over the passes. ` +
      `Load average at the start ${load(meta.loadavgAtStart)}, at the end ${load(meta.loadavgAtEnd)}; ${meta.elapsedS} s.`, '',
    'µs/req = CPU time (utime+stime, /proc/PID/stat) of every process of the server, master included, over the pass, divided by the requests the load generator completed. ' +
      'Busiest worker, keep-alive: the largest share of one of the 2 worker processes during the hello pass — `pre ctl` = requests per worker from `pre ctl show workers --json`, `CPU share` = CPU time per worker process (a proxy). ' +
      `Burst from idle: ${meta.bursts} bursts of ${meta.burstSize} simultaneous new connections (the first after ≥1 s idle, then 0.5 s apart), each asking GET /pid (the pid that served it); the share over all of them. ` +
      'RSS = VmRSS (/proc/PID/status), the master and the largest worker (the only process for ×1 peers), after the warm-up at idle and at the end of the pass. ' +
      'First response: spawn to the first 200 of a raw TCP GET / polled every 5 ms.', '',
    mainTable(rows), '',
    ...(scenarioTable(rows, scenarios) ? ['## Other scenarios', '', scenarioTable(rows, scenarios), ''] : []),
    '## Targets (issue 13), ratios within this run', '',
    'A ratio of two servers is the median over the passes of their ratio in each pass (they ran side by side in it).', '', targetTable(targetChecks(rows)), '',
  ].join('\n');
  return { title, markdown };
}
