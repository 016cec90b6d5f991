import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, startPre, stopAll } from '../helpers/pre.js';

afterEach(stopAll);

const PID_APP = path.join(FIXTURES, 'node-pid.js');
const CONNECTIONS = 64;
const MAX_ROUNDS = 5;
const PAUSE_LOG = /Worker \(pid: (\d+)\) leaves a burst of new connections to the other workers/g;

/** One keep-alive connection: the pid that answered `GET /`, or null; the socket stays open until `release`. */
function askPid(port: number): Promise<{ pid: number | null; release: () => void }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const release = (): void => void socket.destroy();
    const timer = setTimeout(() => resolve({ pid: null, release }), 15_000);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    socket.on('data', (chunk: string) => {
      text += chunk;
      const match = /^HTTP\/1\.1 200[\s\S]*\r\n\r\n(\d+)$/.exec(text);
      if (!match) return;
      clearTimeout(timer);
      resolve({ pid: Number(match[1]), release });
    });
    socket.on('error', () => {
      clearTimeout(timer);
      resolve({ pid: null, release });
    });
  });
}

/** 64 keep-alive connections opened at once from idle, all held until every one has answered (placement is what counts). */
async function burst(port: number): Promise<(number | null)[]> {
  const answers = await Promise.all(Array.from({ length: CONNECTIONS }, () => askPid(port)));
  for (const answer of answers) answer.release();
  return answers.map((answer) => answer.pid);
}

describe.each([
  { workerClass: 'async', args: [] as string[] },
  { workerClass: 'threads', args: ['--threads', '1'] },
])('bursts of new connections on $workerClass -w 2', ({ workerClass, args }) => {
  it('a worker that takes part of a burst leaves the rest to the other, and every connection is answered', async () => {
    const pre = startPre([PID_APP, '-k', workerClass, ...args, '-w', '2', '-b', '127.0.0.1:0', '--log-level', 'debug']);
    const url = await pre.ready(2);
    const port = Number(new URL(url).port);
    const workers = pre.bootedWorkers();
    const servedBy = new Map<number, number>();
    let failed = 0;
    // Rounds until a worker has left part of a burst to the other (bounded): on a loaded machine one
    // burst may arrive slowly enough to need no pause, which is right.
    for (let round = 0; round < MAX_ROUNDS && !PAUSE_LOG.test(pre.stderr); round++) {
      PAUSE_LOG.lastIndex = 0;
      await new Promise((resolve) => setTimeout(resolve, 300)); // from idle
      for (const pid of await burst(port)) {
        if (pid === null) failed++;
        else servedBy.set(pid, (servedBy.get(pid) ?? 0) + 1);
      }
    }
    PAUSE_LOG.lastIndex = 0;
    const pausedWorkers = [...pre.stderr.matchAll(PAUSE_LOG)].map((match) => Number(match[1]));
    expect(failed).toBe(0);
    // The mechanism engaged: a worker closed its copy of the socket mid-burst and listened again.
    expect(pausedWorkers.length).toBeGreaterThan(0);
    for (const pid of pausedWorkers) expect(workers).toContain(pid);
    // Both workers served; generous bound (the 60% target is measured by the bench, not asserted here).
    expect([...servedBy.keys()].sort()).toEqual([...workers].sort());
    const total = [...servedBy.values()].reduce((a, b) => a + b, 0);
    expect(Math.max(...servedBy.values()) / total).toBeLessThanOrEqual(0.9);
    // The worker still serves after its pauses (it listens again on a spare copy).
    expect((await burst(port)).every((pid) => pid !== null && workers.includes(pid))).toBe(true);
  });
});

describe('one worker', () => {
  it('never pauses accepting (nobody to leave a burst to)', async () => {
    const pre = startPre([PID_APP, '-k', 'async', '-w', '1', '-b', '127.0.0.1:0', '--log-level', 'debug']);
    const url = await pre.ready(1);
    const [worker] = pre.bootedWorkers();
    const pids = await burst(Number(new URL(url).port));
    expect(pids.every((pid) => pid === worker)).toBe(true);
    PAUSE_LOG.lastIndex = 0;
    expect(PAUSE_LOG.test(pre.stderr)).toBe(false);
  });
});
