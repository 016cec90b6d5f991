import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freePort, runPre, startPre, stopAll, waitFor, type PreProcess } from '../helpers/pre.js';

afterEach(stopAll);

const PID_APP = path.join(FIXTURES, 'node-pid.js'); // answers with process.pid (a thread's process too)
const FETCH_APP = path.join(FIXTURES, 'uws-app.js');
const PLAIN = `${path.join(FIXTURES, 'plain-worker.js')}:PlainWorker`;
const CONNECTIONS = 8;
/** The new worker's share is judged over the last this many requests. */
const RECENT = 1000;
const SHED_LOG = /\[DEBUG\] Worker \(pid: (\d+)\) served \d+% of \d+ requests over the last 2 s with \d+ of \d+ connections \(\d+ workers\); asking it to close (\d+)/g;
// Above undici's keep-alive threshold (it drops a connection whose server hint is 2 s or less after
// every response), and what a load balancer's long-lived connections look like.
const KEEPALIVE = ['--keep-alive', '10'];

/**
 * CONNECTIONS keep-alive connections (one undici Pool, pipelining 1), each asking `GET /` in a loop until
 * `stop()`, at most `maxRequests` requests or `maxMs` ms in all; `pids` in the order answered.
 */
function keepAliveLoad(url: string, { connections = CONNECTIONS, maxRequests = 2_000_000, maxMs = 45_000 } = {}) {
  const pool = new Pool(url, { connections, pipelining: 1 });
  const load = { pids: [] as number[], failed: 0, errors: [] as string[], connects: 0, stop: async () => {} };
  pool.on('connect', () => load.connects++);
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const loop = async (): Promise<void> => {
    while (!stopped && Date.now() < deadline && load.pids.length + load.failed < maxRequests) {
      try {
        const res = await pool.request({ path: '/', method: 'GET' });
        const body = await res.body.text();
        if (res.statusCode === 200) load.pids.push(Number(body));
        else {
          load.failed++;
          load.errors.push(`status ${res.statusCode}`);
        }
      } catch (err) {
        load.failed++;
        load.errors.push(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);
      }
    }
  };
  const loops = Array.from({ length: connections }, loop);
  load.stop = async () => {
    stopped = true;
    await Promise.all(loops);
    await pool.close();
  };
  return load;
}

/** The share of `pid` among the last RECENT answers (0 until there are that many). */
function recentShare(pids: readonly number[], pid: number): number {
  if (pids.length < RECENT) return 0;
  return pids.slice(-RECENT).filter((p) => p === pid).length / RECENT;
}

function sheds(pre: PreProcess): { pid: number; count: number }[] {
  return [...pre.stderr.matchAll(SHED_LOG)].map((m) => ({ pid: Number(m[1]), count: Number(m[2]) }));
}

/** `-w 1` under keep-alive load, then TTIN: the first worker, the new one, and the load still running. */
async function ttinUnderLoad(workerClass: string, extra: readonly string[]) {
  const pre = startPre([PID_APP, '-k', workerClass, '-w', '1', '-b', '127.0.0.1:0', '--log-level', 'debug', ...KEEPALIVE, ...extra]);
  const url = await pre.ready(1);
  const [first] = pre.bootedWorkers();
  const load = keepAliveLoad(url);
  await waitFor(() => load.connects === CONNECTIONS && load.pids.length >= RECENT, 'the load on all connections');
  pre.signal('SIGTTIN');
  const [second] = (await pre.waitForWorkers(2)).filter((pid) => pid !== first);
  return { pre, load, first: first!, second: second! };
}

describe.each([
  { workerClass: 'async', extra: ['--prometheus-bind', '127.0.0.1:0'] },
  { workerClass: 'threads', extra: ['--threads', '1'] },
])('keepalive_rebalance on $workerClass', ({ workerClass, extra }) => {
  it('after TTIN under keep-alive load, the new worker gets a real share of the requests, and no request fails', async () => {
    const { pre, load, first, second } = await ttinUnderLoad(workerClass, extra);
    try {
      // Every connection landed on the first worker before the second existed.
      expect(load.pids.every((pid) => pid === first)).toBe(true);
      await waitFor(() => recentShare(load.pids, second) >= 0.3, `worker ${second} serving >= 30% of the last ${RECENT} requests`, 15_000);
    } finally {
      await load.stop();
    }
    expect(load.errors).toEqual([]);
    expect(load.failed).toBe(0);
    // The arbiter asked the busy worker (only it) to let go of some connections; the client reconnected that many times.
    const asked = sheds(pre);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((shed) => shed.pid === first)).toBe(true);
    expect(asked[0]!.count).toBe(CONNECTIONS / 2); // 8 on one worker, 0 on the other: ceil(8 - 8/2)
    expect(load.connects).toBeGreaterThan(CONNECTIONS);
    expect(load.connects).toBeLessThanOrEqual(CONNECTIONS + asked.reduce((sum, shed) => sum + shed.count, 0));
    expect(pre.stderr).toMatch(new RegExp(`\\[${first}\\] \\[DEBUG\\] (\\[thread 0\\] )?(Worker \\(pid: ${first}\\) l|L)ets go of [1-4] keep-alive connection`));
    if (extra.includes('--prometheus-bind')) {
      // Each shed counts in Prometheus.
      const metrics = pre.stderr.match(/Serving Prometheus metrics at: (\S+)/)?.[1];
      expect(metrics).toBeDefined();
      const text = await (await request(metrics!)).body.text();
      expect(text).toMatch(new RegExp(`^pre_keepalive_rebalanced_total ${sheds(pre).length}$`, 'm'));
    }
  });
});

describe('keepalive_rebalance off', () => {
  it('after TTIN the new worker serves nothing while the 8 connections stay where they are', async () => {
    const { pre, load, second } = await ttinUnderLoad('async', ['--keepalive-rebalance', 'off']);
    const atBoot = load.pids.length;
    try {
      // Bounded observation: with auto, a shed came ~2-3 s after the boot (a whole window, then a judgement).
      const until = Date.now() + 6000;
      await waitFor(() => Date.now() >= until && load.pids.length - atBoot >= 2 * RECENT, 'six seconds of load');
    } finally {
      await load.stop();
    }
    expect(load.failed).toBe(0);
    expect(load.pids.includes(second)).toBe(false);
    expect(load.connects).toBe(CONNECTIONS);
    expect(sheds(pre)).toEqual([]);
  });
});

describe('no churn when there is nothing to balance', () => {
  it('-w 1 under keep-alive load: never a shed, the client keeps its 8 connections', async () => {
    const pre = startPre([PID_APP, '-w', '1', '-b', '127.0.0.1:0', '--log-level', 'debug', ...KEEPALIVE]);
    const url = await pre.ready(1);
    const load = keepAliveLoad(url);
    try {
      const until = Date.now() + 5000;
      await waitFor(() => Date.now() >= until && load.pids.length >= 2 * RECENT, 'five seconds of load');
    } finally {
      await load.stop();
    }
    expect(load.failed).toBe(0);
    expect(load.connects).toBe(CONNECTIONS);
    expect(sheds(pre)).toEqual([]);
    expect(pre.stderr).not.toMatch(/lets go of|Lets go of/);
  });

  it('-w 2 with 3 connections: at most one shed (3/0 becomes 1/2), never a stream of them: 2/1 is as even as 3 gets', async () => {
    const pre = startPre([PID_APP, '-w', '2', '-b', '127.0.0.1:0', '--log-level', 'debug', ...KEEPALIVE]);
    const url = await pre.ready(2);
    const load = keepAliveLoad(url, { connections: 3 });
    try {
      const until = Date.now() + 8000;
      await waitFor(() => Date.now() >= until && load.pids.length >= 2 * RECENT, 'eight seconds of load');
    } finally {
      await load.stop();
    }
    expect(load.failed).toBe(0);
    const asked = sheds(pre);
    expect(asked.length).toBeLessThanOrEqual(1);
    expect(load.connects).toBe(3 + asked.reduce((sum, shed) => sum + shed.count, 0));
    // Both workers serve in the end: 2/1 either way round.
    expect(new Set(load.pids.slice(-RECENT)).size).toBe(2);
  });
});

describe('keepalive_rebalance refusals and values', () => {
  it('on with uws: exit 3 before binding, one line naming the setting, the value and the class', async () => {
    const port = await freePort();
    const { code, stderr } = await runPre([FETCH_APP, '-k', 'uws', '-b', `127.0.0.1:${port}`, '--keepalive-rebalance', 'on']);
    expect(code).toBe(3);
    const lines = stderr.split('\n').filter((line) => line.includes('keepalive_rebalance'));
    expect(lines).toEqual([expect.stringContaining(
      "worker class 'uws' cannot honour keepalive_rebalance = on (moving keep-alive connections): use --worker-class async or threads, or leave keepalive_rebalance at its default (auto)",
    )]);
    expect(stderr).not.toContain('Listening at');
  });

  it('on with a third-party class that does not declare shedConnections: exit 3, and how to declare it', async () => {
    const { code, stderr } = await runPre([FETCH_APP, '-k', PLAIN, '-b', '127.0.0.1:0', '--keepalive-rebalance', 'on']);
    expect(code).toBe(3);
    expect(stderr).toContain(`worker class '${PLAIN}' cannot honour keepalive_rebalance = on (moving keep-alive connections)`);
    expect(stderr).toContain(`If the class '${PLAIN}' does support this, declare it: static capabilities = { ...Worker.capabilities, shedConnections: true }`);
    expect(stderr).not.toContain('Booting worker');
  });

  it('auto (the default) refuses nothing: sync and third-party classes simply do not rebalance', async () => {
    for (const args of [['-k', 'sync', '--keep-alive', '0'], ['-k', PLAIN], ['-k', 'sync', '--keep-alive', '0', '--keepalive-rebalance', 'auto']]) {
      const { code, stderr } = await runPre(['--check-config', FETCH_APP, ...args]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
    }
  });

  it('a bad value names the setting and the value, from the command line, PRE_CMD_ARGS and a config file', async () => {
    const cli = await runPre([PID_APP, '--keepalive-rebalance', 'sometimes']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`Invalid value for setting 'keepalive_rebalance' (--keepalive-rebalance) from the command line: "sometimes". Expected one of 'auto', 'on', 'off'.`);
    const env = await runPre([PID_APP], { env: { PRE_CMD_ARGS: '--keepalive-rebalance yes' } });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain(`Invalid value for setting 'keepalive_rebalance' (--keepalive-rebalance) from the PRE_CMD_ARGS environment variable: "yes".`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-rebalance-'));
    const config = path.join(dir, 'pre.config.mjs');
    writeFileSync(config, 'export default { keepalive_rebalance: true };\n');
    const file = await runPre(['-c', config, PID_APP]);
    expect(file.code).toBe(1);
    expect(file.stderr).toMatch(/Invalid value for setting 'keepalive_rebalance' .*config file .*pre\.config\.mjs: true\. Expected one of 'auto', 'on', 'off'\./);
  });
});
