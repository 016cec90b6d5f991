// The targets, each computed from rows of the same run (ratios against peers, not absolute numbers).
import { median } from './median.js';

const pct = (v) => `${(v * 100).toFixed(0)}%`;
const x = (v) => `${v.toFixed(2)}×`;
const ms = (v) => `${v.toFixed(0)} ms`;
const mb = (v) => `${v.toFixed(1)} MB`;

/** [{ item, what, value, target, ok }]; ok is null when a row the figure needs was not measured. */
export function targetChecks(rows) {
  const byId = new Map(rows.filter((r) => !r.failure).map((r) => [r.server, r]));
  const checks = [];
  // `value`: a number, or { median, spread } for a ratio pass by pass (the spread shows how steady it was).
  const check = (item, what, value, limit, atMost, format) => {
    const v = typeof value === 'number' ? value : value.median;
    const known = Number.isFinite(v);
    const spread = known && value.spread?.length > 1 ? ` (passes ${Math.min(...value.spread).toFixed(2)}–${Math.max(...value.spread).toFixed(2)})` : '';
    checks.push({ item, what, value: known ? `${format(v)}${spread}` : 'n/a', target: `${atMost ? '≤' : '≥'} ${format(limit)}`, ok: known ? (atMost ? v <= limit : v >= limit) : null });
  };
  const ratio = (a, b) => a / b;
  // Two servers' figures for one scenario: the median of their ratio pass by pass (the two ran minutes apart
  // at most, so load from elsewhere on the machine cancels out better than in a ratio of medians).
  const pairRatio = (a, b, scenario, key) => {
    const pa = byId.get(a)?.scen[scenario]?.byPass ?? {};
    const pb = byId.get(b)?.scen[scenario]?.byPass ?? {};
    const spread = Object.keys(pa).filter((pass) => pb[pass]).map((pass) => pa[pass][key] / pb[pass][key]).filter(Number.isFinite);
    return { median: median(spread), spread };
  };

  for (const row of rows.filter((r) => r.group === 'pre' && r.workers === 2 && !r.failure)) {
    check('1 balance', `${row.label}: busiest worker, keep-alive (${row.keepAliveSource ?? '—'})`, row.keepAliveShare, 0.6, true, pct);
    check('1 balance', `${row.label}: busiest worker, burst from idle`, row.burstShare, 0.6, true, pct);
  }
  check('2 uws', 'pre uws ×1 / raw uWS, hello µs/req', pairRatio('pre-uws-w1', 'uws', 'hello', 'usPerRequest'), 1.1, true, x);
  check('2 uws', 'pre uws ×1 / raw uWS, 64 KiB response req/s', pairRatio('pre-uws-w1', 'uws', 'body64k', 'rps'), 0.9, false, x);
  check('2 uws', 'pre uws ×1 / raw uWS, 1 MiB POST req/s', pairRatio('pre-uws-w1', 'uws', 'post1m', 'rps'), 0.9, false, x);
  // Not the figures: the same fetch app on raw uWS through a minimal adapter (bench/peers/uws-fetch.js),
  // so that only pre's duties differ. Raw uWS answers from C++ routes that build no Web objects.
  const sameApp = '2 uws, same app (not the issue\'s figure)';
  check(sameApp, 'pre uws ×1 / uWS + minimal fetch adapter, hello µs/req', pairRatio('pre-uws-w1', 'uws-fetch', 'hello', 'usPerRequest'), 1.1, true, x);
  check(sameApp, 'pre uws ×1 / uWS + minimal fetch adapter, 64 KiB response req/s', pairRatio('pre-uws-w1', 'uws-fetch', 'body64k', 'rps'), 0.9, false, x);
  check(sameApp, 'pre uws ×1 / uWS + minimal fetch adapter, 1 MiB POST req/s', pairRatio('pre-uws-w1', 'uws-fetch', 'post1m', 'rps'), 0.9, false, x);
  check('3 threads', 'pre threads ×1 (1 thread) / pre async ×1, hello µs/req', pairRatio('pre-threads-w1-t1', 'pre-async-w1', 'hello', 'usPerRequest'), 1.1, true, x);
  check('3 threads', '~5 ms CPU req/s, 2 threads / 1 thread', pairRatio('pre-threads-w1-t2', 'pre-threads-w1-t1', 'cpu5', 'rps'), 1.8, false, x);
  const async2 = byId.get('pre-async-w2');
  check('4 start-up', 'pre async ×2: first response', async2?.firstResponseMs ?? NaN, 250, true, ms);
  check('4 memory', 'pre async ×2: master RSS at the end', async2?.rss.masterEnd ?? NaN, 50, true, mb);
  // Like for like: one pre worker and one bare node:http process that ran the same passes on the same app.
  const async1 = byId.get('pre-async-w1')?.rss;
  const bare = byId.get('node-http')?.rss;
  check('4 memory', 'pre async ×1 worker RSS / bare node:http RSS, idle after warm-up', ratio(async1?.workerIdle ?? NaN, bare?.workerIdle ?? NaN), 1.05, true, x);
  check('4 memory', 'pre async ×1 worker RSS / bare node:http RSS, at the end', ratio(async1?.workerEnd ?? NaN, bare?.workerEnd ?? NaN), 1.05, true, x);
  for (const [scenario, label] of [['hello', 'hello'], ['body64k', '64 KiB response'], ['post1m', '1 MiB POST'], ['close', 'new connection per request']]) {
    check('5 async', `pre async ×1 / bare node:http, ${label} µs/req`, pairRatio('pre-async-w1', 'node-http', scenario, 'usPerRequest'), 1.05, true, x);
  }
  return checks;
}
