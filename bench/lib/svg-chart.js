// A plain SVG bar chart: req/s by server, one group per scenario, each group on its own scale.
const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac', '#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02'];
const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v) => (v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v >= 100 ? v.toFixed(0) : v.toFixed(1));

export function barChartSvg(rows, servers, scenarios, title) {
  const bar = 16, gap = 4, groupGap = 26, labelW = 190, plotW = 520, width = labelW + plotW + 90;
  const parts = [];
  let y = 40;
  for (const scenario of scenarios) {
    const group = servers.map((s, i) => ({ server: s, color: COLORS[i % COLORS.length], row: rows.find((r) => r.server === s.id && r.scenario === scenario.id) }))
      .filter((g) => g.row && !g.row.failure && Number.isFinite(g.row.rps));
    if (group.length === 0) continue;
    const max = Math.max(...group.map((g) => g.row.rps));
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escape(scenario.label)} (req/s, longest bar = ${fmt(max)})</text>`);
    y += 8;
    for (const { server, color, row } of group) {
      const w = max > 0 ? Math.max(1, (row.rps / max) * plotW) : 1;
      parts.push(
        `<text x="${labelW - 6}" y="${y + bar - 4}" text-anchor="end">${escape(server.label)}</text>`,
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${color}"/>`,
        `<text x="${labelW + w + 4}" y="${y + bar - 4}">${fmt(row.rps)}</text>`,
      );
      y += bar + gap;
    }
    y += groupGap;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${escape(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
