import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

const LIFECYCLE = path.join(FIXTURES, 'fw-lifecycle.js');

/** Index of `text` in the log, failing clearly when it is missing. */
function position(log: string, text: string): number {
  const at = log.indexOf(text);
  expect(at, `log line containing ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(0);
  return at;
}

describe.each(['async', 'sync'])('app lifecycle hooks on worker class %s', (workerClass) => {
  it('the express sample opens its pool before the worker serves and closes it after, on TERM', async () => {
    const pre = startPre(['apps/express', '-k', workerClass, '-b', '127.0.0.1:0', '--log-level', 'debug']);
    const url = await pre.ready(1);
    const [pid] = pre.bootedWorkers();
    const res = await request(`${url}/db`);
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { pool: unknown }).pool).toEqual({ open: true, queries: 1 });

    pre.signal('SIGTERM');
    expect((await pre.exited).code).toBe(0);
    const log = pre.stderr;
    expect(position(log, `Database pool opened (pid: ${pid})`)).toBeLessThan(position(log, `Worker booted (pid: ${pid})`));
    expect(position(log, `Database pool closed (pid: ${pid}, 1 queries)`)).toBeLessThan(position(log, `Worker exiting (pid: ${pid})`));
  });
});

describe('app lifecycle hooks', () => {
  it('run again in the replacement when a worker retires after max_requests', async () => {
    const pre = startPre([LIFECYCLE, '-b', '127.0.0.1:0', '--log-level', 'debug', '--max-requests', '2']);
    const url = await pre.ready(1);
    const [first] = pre.bootedWorkers();
    for (let i = 0; i < 2; i++) expect(await (await request(`${url}/`)).body.text()).toBe('open');
    await pre.waitForLog(new RegExp(`fw-lifecycle: stopped \\(pid: ${first}\\)`));
    const second = await waitFor(() => pre.bootedWorkers().find((pid) => pid !== first), 'the replacement worker');
    expect(pre.stderr).toContain(`fw-lifecycle: started (pid: ${second}, class: async)`);
    expect(await (await request(`${url}/`)).body.text()).toBe('open');
  });

  it('a failing onWorkerStart is an app error: the arbiter exits 4 with the reason', async () => {
    const { code, stderr } = await runPre([LIFECYCLE, '-b', '127.0.0.1:0'], { env: { FW_START: 'throw' } });
    expect(code).toBe(4);
    expect(stderr).toContain("The app's onWorkerStart() failed");
    expect(stderr).toContain('cannot reach the database');
  });

  it('onWorkerStart is bounded by timeout', async () => {
    const { code, stderr } = await runPre([LIFECYCLE, '-b', '127.0.0.1:0', '--timeout', '1'], { env: { FW_START: 'hang' } });
    expect(code).toBe(4);
    expect(stderr).toContain("The app's onWorkerStart() did not finish within 1 s (timeout)");
  });

  it('onWorkerStop is bounded by graceful_timeout, and the worker still exits cleanly', async () => {
    const pre = startPre([LIFECYCLE, '-b', '127.0.0.1:0', '--log-level', 'debug', '--graceful-timeout', '2'], { env: { FW_STOP: 'hang' } });
    await pre.ready(1);
    const [pid] = pre.bootedWorkers();
    pre.signal('SIGTERM');
    expect((await pre.exited).code).toBe(0);
    const log = pre.stderr;
    expect(log).toMatch(/The app's onWorkerStop\(\) did not finish within [\d.]+ s \(graceful_timeout\)/);
    expect(position(log, "onWorkerStop() did not finish")).toBeLessThan(position(log, `Worker exiting (pid: ${pid})`));
    expect(log).not.toContain('did not stop within graceful_timeout');
  });
});

describe('app lifecycle hooks on worker class threads', () => {
  it('run in every thread, each with its own copy of the app: the express sample queries its pool from a thread', async () => {
    const pre = startPre(['apps/express', '-k', 'threads', '--threads', '2', '-b', '127.0.0.1:0', '--log-level', 'debug']);
    const url = await pre.ready(1);
    const res = await request(`${url}/db`);
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { pool: { open: boolean } }).pool.open).toBe(true);
    pre.signal('SIGTERM');
    expect((await pre.exited).code).toBe(0);
    // Each thread opened a pool and closed it before the worker exited; the main thread serves nothing and opened none.
    expect(pre.stderr.match(/Database pool opened/g)?.length).toBe(2);
    expect(pre.stderr.match(/Database pool closed/g)?.length).toBe(2);
  });
});
