// The chaos events, one per entry: what is done to a running pre, and what counts as passing.
// `instance`: 'shared' runs on the suite's `-w 2` pre (events leave it with 2 workers); otherwise its own pre.
import { isAlive } from './pre-instance.js';
import { treeRss, underLoad } from './under-load.js';
import { sleep, waitFor } from '../lib/processes.js';

/** The soak reads RSS every 250 ms; with fewer samples there is no warm-up to compare against. */
const MIN_SOAK_SAMPLES = 12;

const CONCURRENCY = 4;
const TIMEOUT_S = 2;

/** Graceful events must lose nothing: no failed and no refused request, and recover. */
const graceful = (r) => r.failed === 0 && r.refused === 0 && r.recoveryMs !== null;

/** Waits until every worker in `old` is gone and `count` other workers serve. */
const replaced = (pre, old, count, what) => pre.waitForWorkers(count, what).then(() =>
  waitFor(() => old.every((pid) => !isAlive(pid)) && pre.workers().length === count && pre.workers().every((pid) => !old.includes(pid)) && true, what, 30_000));

export const EVENTS = [
  {
    // The bar is 1 s; CI boxes run other jobs, so CI only fails a replacement slower than 3 s.
    id: 'kill9', label: 'kill -9 one worker', instance: 'shared', limitMs: (ci) => (ci ? 3000 : 1000),
    note: `only that worker's in-flight requests may fail (≤ ${CONCURRENCY}); target: serving again within 1 s`,
    run: (pre) => underLoad(pre, async () => {
      const [victim] = pre.workers();
      process.kill(victim, 'SIGKILL');
      await waitFor(() => !pre.workers().includes(victim) && pre.workers().length === 2, 'a replacement worker', 10_000);
    }, { concurrency: CONCURRENCY }),
    pass: (r, { ci }) => r.failed <= CONCURRENCY && r.refused === 0 && r.recoveryMs !== null && r.recoveryMs <= (ci ? 3000 : 1000),
  },
  {
    id: 'term-worker', label: 'TERM to a worker', instance: 'shared', graceful: true,
    run: (pre) => underLoad(pre, async () => {
      const [victim] = pre.workers();
      process.kill(victim, 'SIGTERM');
      await replaced(pre, [victim], 2, 'the TERMed worker replaced');
    }, { concurrency: CONCURRENCY }),
    pass: graceful,
  },
  {
    id: 'hup', label: 'HUP', instance: 'shared', graceful: true,
    run: (pre) => underLoad(pre, async () => {
      const old = pre.workers();
      pre.signal('SIGHUP');
      await replaced(pre, old, 2, 'a new generation of workers');
    }, { concurrency: CONCURRENCY }),
    pass: graceful,
  },
  {
    id: 'ttin-ttou', label: 'TTIN then TTOU', instance: 'shared', graceful: true,
    run: (pre) => underLoad(pre, async () => {
      pre.signal('SIGTTIN');
      await pre.waitForWorkers(3, 'a third worker after TTIN');
      pre.signal('SIGTTOU');
      await pre.waitForWorkers(2, 'two workers after TTOU');
    }, { concurrency: CONCURRENCY }),
    pass: graceful,
  },
  {
    id: 'max-requests', label: 'max_requests churn (~50)', instance: { args: ['--max-requests', '50', '--max-requests-jitter', '5'], workers: 2 }, graceful: true,
    run: (pre, { ci }) => underLoad(pre, async () => {
      const restarts = ci ? 4 : 20;
      await waitFor(() => pre.count(/Autorestarting worker/g) >= restarts, `${restarts} max_requests restarts`, 60_000);
    }, { concurrency: CONCURRENCY, warm: 10 }),
    recoveryIsDuration: true,
    pass: graceful,
  },
  {
    id: 'usr2', label: 'USR2 + WINCH + TERM old', instance: { args: [], workers: 2 }, graceful: true,
    run: async (pre) => {
      let newMaster = null;
      const result = await underLoad(pre, async () => {
        const old = pre.workers();
        pre.signal('SIGUSR2');
        const started = await waitFor(() => pre.log().match(/Started new master with pid: (\d+)/) ?? /USR2.*not supported/i.test(pre.log()), 'a new master', 10_000);
        if (started === true) return; // a pre without the upgrade
        newMaster = Number(started[1]);
        // The new master logs to the same stderr: its workers show up as booted pids that are not old ones.
        await waitFor(() => pre.workers().filter((pid) => !old.includes(pid)).length === 2, "the new master's workers", 20_000);
        pre.signal('SIGWINCH');
        await waitFor(() => old.every((pid) => !isAlive(pid)), 'the old workers to stop after WINCH', 30_000);
        pre.signal('SIGTERM');
        await pre.proc.exited;
      }, { concurrency: CONCURRENCY });
      if (newMaster === null) return result.error ? result : { notApplicable: true };
      // The new master is ours to stop: the old one, which the harness started, has exited.
      try { process.kill(newMaster, 'SIGTERM'); } catch { /* gone */ }
      await waitFor(() => !isAlive(newMaster), 'the new master to stop', 15_000).catch(() => process.kill(newMaster, 'SIGKILL'));
      return result;
    },
    pass: graceful,
  },
  {
    id: 'busy', label: `busy-loop handler (timeout ${TIMEOUT_S})`, instance: { args: ['--timeout', String(TIMEOUT_S)], workers: 2 }, limitMs: (ci) => (TIMEOUT_S + (ci ? 4 : 2)) * 1000,
    note: `the hung request fails; others use a connection each: only those the hung worker had already accepted may fail (≤ ${CONCURRENCY})`,
    run: (pre) => underLoad(pre, async (stats) => {
      // Each class may stop a hung request its own way (a killed process, a replaced thread):
      // what counts is that the hung request ends without an answer within timeout + 2 s.
      const sentAt = performance.now();
      const okBefore = stats.ok;
      const outcome = await fetch(`${pre.url}/busy?ms=60000`).then((r) => r.status, () => 'closed');
      const endedMs = performance.now() - sentAt;
      const servedMeanwhile = stats.ok - okBefore;
      if (outcome === 200) throw new Error('the busy request was answered');
      await pre.waitForWorkers(2, 'two serving workers after the hung one');
      return { recoveryMs: endedMs, note: `${servedMeanwhile} answered while it hung` };
    }, { concurrency: CONCURRENCY, connectionClose: true }),
    pass: (r, { ci }) => r.failed <= CONCURRENCY && r.refused === 0 && r.recoveryMs !== null && r.recoveryMs <= (TIMEOUT_S + (ci ? 4 : 2)) * 1000,
  },
  {
    id: 'soak', label: 'soak, RSS growth after warm-up', instance: 'shared',
    run: async (pre, { ci }) => {
      const total = ci ? 5_000 : 1_000_000;
      // Node's heap grows for the first ~15k requests, then stays flat: compare after the warm-up.
      const warmUp = ci ? 0.5 : 0.1;
      const samples = [];
      const result = await underLoad(pre, async (stats) => {
        // At least MIN_SOAK_SAMPLES samples: a fast class (uws) sends the CI's 5,000 requests in ~0.3 s.
        while (stats.sent < total || samples.length < MIN_SOAK_SAMPLES) {
          samples.push({ ok: stats.ok, rss: treeRss(pre.pid) });
          await sleep(250);
        }
      }, { concurrency: 8, path: '/', warm: 10, tail: 1, maxMs: 30 * 60_000 });
      const median = (xs) => xs.map((s) => s.rss).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const afterWarm = samples.filter((s) => s.ok >= total * warmUp);
      const warmRss = median(afterWarm.slice(0, 5));
      const endRss = median(samples.slice(-5));
      const growth = endRss / warmRss - 1;
      return { ...result, recoveryMs: null, note: `${ci ? 'CI limit 20%' : 'limit 5%'}: ` + `RSS ${(warmRss / 2 ** 20).toFixed(1)} → ${(endRss / 2 ** 20).toFixed(1)} MB (${(growth * 100).toFixed(1)}%)`, growth };
    },
    // 5% on the 1M-request soak; the CI soak is too short to tell 5% from heap sizing, so it only catches gross leaks.
    pass: (r, { ci }) => r.failed === 0 && r.refused === 0 && Number.isFinite(r.growth) && r.growth < (ci ? 0.2 : 0.05),
  },
];
