// A plain SVG chart of the bench's figures: one panel per figure (CPU µs per request, the busiest worker's
// share, first response), one bar per server, each panel on its own scale.
const COLORS = { pre: '#4e79a7', peer: '#bab0ac' };
const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v) => (v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const pct = (v) => `${(v * 100).toFixed(0)}%`;

/** The panels drawn: [title, value of a row (NaN: no bar), label of a value, optional reference line]. */
function panels(rows) {
  const us = (id) => (row) => row.scen[id]?.usPerRequest ?? NaN;
  const twoWorkers = (value) => (row) => (row.workers === 2 ? value(row) : NaN);
  return [
    { title: 'hello keep-alive: server CPU µs per request (all processes; shorter is better)', value: us('hello'), text: fmt },
    { title: 'new connection per request: server CPU µs per request', value: us('close'), text: fmt },
    { title: 'busiest of 2 workers, keep-alive (line: 60%)', value: twoWorkers((r) => r.keepAliveShare), text: pct, max: 1, line: 0.6 },
    { title: 'busiest of 2 workers, burst of new connections from idle (line: 60%)', value: twoWorkers((r) => r.burstShare), text: pct, max: 1, line: 0.6 },
    { title: 'time to first response, ms', value: (r) => r.firstResponseMs, text: fmt },
    ...['body64k', 'post1m', 'cpu5'].map((id) => ({ title: `${labelOf(id)}: req/s`, value: (r) => r.scen[id]?.rps ?? NaN, text: fmt })),
  ];
}
const labelOf = (id) => ({ body64k: '64 KiB response', post1m: '1 MiB POST', cpu5: '~5 ms CPU' })[id];

export function benchChartSvg(rows, title) {
  const bar = 14, gap = 3, groupGap = 24, labelW = 220, plotW = 480, width = labelW + plotW + 70;
  const parts = [];
  let y = 44;
  for (const panel of panels(rows)) {
    const group = rows.filter((r) => !r.failure).map((row) => ({ row, value: panel.value(row) })).filter((g) => Number.isFinite(g.value));
    if (group.length === 0) continue;
    const top = panel.max ?? Math.max(...group.map((g) => g.value));
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escape(panel.title)}</text>`);
    y += 8;
    const y0 = y;
    for (const { row, value } of group) {
      const w = top > 0 ? Math.max(1, (value / top) * plotW) : 1;
      parts.push(
        `<text x="${labelW - 6}" y="${y + bar - 3}" text-anchor="end">${escape(row.label)}</text>`,
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${COLORS[row.group] ?? COLORS.peer}"/>`,
        `<text x="${labelW + w + 4}" y="${y + bar - 3}">${escape(panel.text(value))}</text>`,
      );
      y += bar + gap;
    }
    if (panel.line !== undefined) {
      const lx = labelW + (panel.line / top) * plotW;
      parts.push(`<line x1="${lx.toFixed(1)}" y1="${y0 - 2}" x2="${lx.toFixed(1)}" y2="${y}" stroke="#e15759" stroke-dasharray="4 3"/>`);
    }
    y += groupGap;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="14" font-weight="bold">${escape(title)}</text>`,
    `<rect x="${width - 150}" y="30" width="10" height="10" fill="${COLORS.pre}"/><text x="${width - 136}" y="39">pre</text>`,
    `<rect x="${width - 100}" y="30" width="10" height="10" fill="${COLORS.peer}"/><text x="${width - 86}" y="39">peers</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
