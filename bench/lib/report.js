// Medians across rounds, ratios to node:cluster, and the markdown tables.
export const BASELINE = 'node-cluster';

const median = (values) => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** One row per server × scenario: the median of each figure over the rounds, and its ratio to node:cluster. */
export function summarize(samples, servers, scenarios) {
  const rows = [];
  for (const scenario of scenarios) {
    for (const server of servers) {
      const runs = samples.filter((s) => s.server === server.id && s.scenario === scenario.id);
      if (runs.length === 0) continue;
      const figure = (key) => median(runs.map((r) => r[key]));
      rows.push({
        server: server.id, label: server.label, scenario: scenario.id, rounds: runs.length,
        rps: figure('rps'), p50Ms: figure('p50Ms'), p99Ms: figure('p99Ms'), rssMB: figure('rssMB'),
        masterCpuShare: server.masterless ? null : figure('masterCpuShare'), errors: runs.reduce((n, r) => n + r.errors, 0),
        failure: runs.find((r) => r.failure)?.failure ?? null,
      });
    }
  }
  for (const row of rows) {
    const base = rows.find((r) => r.server === BASELINE && r.scenario === row.scenario);
    const ratio = (key) => (base && Number.isFinite(base[key]) && base[key] > 0 ? row[key] / base[key] : NaN);
    row.ratio = { rps: ratio('rps'), p50Ms: ratio('p50Ms'), p99Ms: ratio('p99Ms'), rssMB: ratio('rssMB') };
  }
  return rows;
}

const num = (v) => (!Number.isFinite(v) ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const times = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');
const pct = (v) => (v === null || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(1)}%`);

/** Servers × scenarios, req/s and the ratio to node:cluster in each cell. */
export function rpsTable(rows, servers, scenarios) {
  const lines = [
    `| server | ${scenarios.map((s) => s.label).join(' | ')} |`,
    `|---|${scenarios.map(() => '---:').join('|')}|`,
  ];
  for (const server of servers) {
    const cells = scenarios.map((scenario) => {
      const row = rows.find((r) => r.server === server.id && r.scenario === scenario.id);
      if (!row) return 'n/a';
      if (row.failure) return 'failed';
      return `${num(row.rps)} (${times(row.ratio.rps)})${row.errors ? ` ⚠${row.errors} err` : ''}`;
    });
    lines.push(`| ${server.label} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Every figure of every server × scenario, each with its ratio to node:cluster. */
export function detailTable(rows, scenarios) {
  const lines = [
    '| scenario | server | req/s | ×cluster | p50 ms | ×cluster | p99 ms | ×cluster | RSS MB | ×cluster | master CPU | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const scenario of scenarios) {
    for (const row of rows.filter((r) => r.scenario === scenario.id)) {
      if (row.failure) {
        lines.push(`| ${scenario.label} | ${row.label} | failed: ${row.failure.replace(/\|/g, '/').slice(0, 80)} |||||||||`);
        continue;
      }
      lines.push(`| ${scenario.label} | ${row.label} | ${num(row.rps)} | ${times(row.ratio.rps)} | ${num(row.p50Ms)} | ${times(row.ratio.p50Ms)} | ${num(row.p99Ms)} | ${times(row.ratio.p99Ms)} | ${num(row.rssMB)} | ${times(row.ratio.rssMB)} | ${pct(row.masterCpuShare)} | ${row.errors} |`);
    }
  }
  return lines.join('\n');
}
