// The bench's figures from known inputs: shares, CPU deltas, medians per server, the targets, and the two
// raw-socket probes (first response, burst) against real servers on 127.0.0.1.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { burstFromIdle, busiestShare } from '../lib/burst.js';
import { timeToFirstResponse } from '../lib/first-response.js';
import { summarize } from '../lib/report.js';
import { SCENARIOS, scenariosFor } from '../lib/scenarios.js';
import { targetChecks } from '../lib/targets.js';
import { cpuDelta } from '../lib/tree-sample.js';

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

test('busiestShare: the largest value over the sum; NaN when nothing was served', () => {
  assert.equal(busiestShare([30, 10]), 0.75);
  assert.equal(busiestShare(new Map([[1, 5], [2, 5]]).values()), 0.5);
  assert.ok(Number.isNaN(busiestShare([0, 0])));
});

test('cpuDelta: the whole tree in the total, the master apart, a new process from 0', () => {
  const before = new Map([[10, 1.0], [11, 2.0]]);
  const after = new Map([[10, 1.5], [11, 3.0], [12, 0.5]]);
  const d = cpuDelta(before, after, 10);
  assert.ok(Math.abs(d.total - 2.0) < 1e-9);
  assert.ok(Math.abs(d.master - 0.5) < 1e-9);
  assert.deepEqual([...d.perProcess.keys()], [11, 12]);
});

test('scenariosFor: the core scenarios and a server\'s own, or exactly the named ones', () => {
  assert.deepEqual(scenariosFor({ scenarios: ['cpu5'] }).map((s) => s.id), ['hello', 'close', 'cpu5']);
  assert.deepEqual(scenariosFor({ scenarios: ['cpu5'] }, ['ws', 'hello']).map((s) => s.id), ['hello', 'ws']);
});

test('summarize + targetChecks: medians over passes and ratios between rows of one run', () => {
  const servers = [
    { id: 'node-http', label: 'bare', group: 'peer', workers: 1 },
    { id: 'pre-async-w1', label: 'a1', group: 'pre', workers: 1 },
    { id: 'pre-async-w2', label: 'a2', group: 'pre', workers: 2 },
  ];
  const samples = [];
  const starts = [];
  for (const [pass, bare, pre] of [[1, 10, 11], [2, 20, 19], [3, 12, 30]]) {
    samples.push({ pass, server: 'node-http', scenario: 'hello', rps: 1000, cpuUsPerRequest: bare, errors: 0 });
    samples.push({ pass, server: 'pre-async-w1', scenario: 'hello', rps: 900, cpuUsPerRequest: pre, errors: 0 });
    samples.push({ pass, server: 'pre-async-w2', scenario: 'hello', rps: 1800, cpuUsPerRequest: pre, errors: 0, split: { share: 0.5 + pass / 10, source: 'pre ctl' } });
    for (const s of servers) {
      starts.push({ pass, server: s.id, firstResponseMs: 100 * pass, burst: s.workers === 2 ? { share: 0.5, failed: 0 } : undefined,
        rssIdle: { masterMB: s.workers === 2 ? 40 : null, workerMB: [50, 45] }, rssEnd: { masterMB: 40 + pass, workerMB: [60] } });
    }
  }
  const rows = summarize(samples, starts, servers, SCENARIOS);
  const a2 = rows.find((r) => r.server === 'pre-async-w2');
  assert.equal(a2.scen.hello.usPerRequest, 19);
  assert.equal(a2.keepAliveShare, 0.7);
  assert.equal(a2.firstResponseMs, 200);
  assert.equal(a2.rss.workerIdle, 50);
  const checks = targetChecks(rows);
  const byWhat = (text) => checks.find((c) => c.what.includes(text));
  assert.equal(byWhat('busiest worker, keep-alive').ok, false); // 70% > 60%
  assert.equal(byWhat('burst from idle').ok, true);
  // Pass by pass: 11/10, 19/20, 30/12 → the median is 1.10 (a ratio of medians would say 19/12 = 1.58).
  assert.equal(byWhat('bare node:http, hello').value, '1.10× (passes 0.95–2.50)');
  assert.equal(byWhat('raw uWS, hello').ok, null); // not measured in this run
});

test('timeToFirstResponse: waits through refused connections until a 200', async () => {
  const port = await freePort();
  const spawnedAt = performance.now();
  const server = http.createServer((req, res) => res.end('ok'));
  setTimeout(() => server.listen(port, '127.0.0.1'), 150);
  try {
    const ms = await timeToFirstResponse(port, spawnedAt, () => true, 5000);
    assert.ok(ms >= 150 && ms < 5000, `${ms} ms`);
  } finally {
    server.close();
  }
});

test('burstFromIdle: counts which pid answered each new connection', async () => {
  const server = http.createServer((req, res) => res.end(req.url === '/pid' ? String(process.pid) : 'no'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { servedBy, failed } = await burstFromIdle(server.address().port, 16);
    assert.equal(failed, 0);
    assert.deepEqual([...servedBy], [[process.pid, 16]]);
  } finally {
    server.close();
  }
});
