import { describe, expect, it } from 'vitest';
import { DRAIN_MAX_IDLE, takeQueued, type QueuedConnections } from '../src/take-queued.js';

/**
 * An accept queue in memory: `lengths` are what successive reads of /proc say, `arrivals` whether each
 * wait gets a connection (false: another worker took it, or none came within the idle window).
 */
function queueOf(lengths: (number | null)[], arrivals: boolean[]): QueuedConnections & { reads: number; waits: number } {
  const queue = {
    reads: 0,
    waits: 0,
    length: () => lengths[Math.min(queue.reads++, lengths.length - 1)]!,
    nextArrival: async () => arrivals[queue.waits++] ?? false,
  };
  return queue;
}

const options = { idleMs: 1, limit: 100, cancelled: () => false };

describe('takeQueued', () => {
  it('takes connections until the queue reads empty', async () => {
    const queue = queueOf([3, 2, 1, 0], [true, true, true]);
    expect(await takeQueued(queue, options)).toBe(3);
    expect(queue.reads).toBe(4);
  });

  it('reads the queue again when another worker took the connection it listened for', async () => {
    const queue = queueOf([2, 1, 1, 0], [true, false, true]);
    expect(await takeQueued(queue, options)).toBe(2);
    expect(queue.waits).toBe(3);
  });

  it('leaves a queue that keeps reading non-empty while nothing arrives, after DRAIN_MAX_IDLE silences in a row', async () => {
    const queue = queueOf([1], [true, false, false, false, false, false, false, false, false, false, false, false, true]);
    expect(await takeQueued(queue, options)).toBe(1);
    expect(queue.waits).toBe(1 + DRAIN_MAX_IDLE);
  });

  it('does not wait when nothing is queued', async () => {
    const queue = queueOf([0], []);
    expect(await takeQueued(queue, options)).toBe(0);
    expect(queue.waits).toBe(0);
  });

  it('with an unknown length (unix socket), takes until an idle window passes with no connection', async () => {
    const queue = queueOf([null], [true, true, false, true]);
    expect(await takeQueued(queue, options)).toBe(2);
    expect(queue.waits).toBe(3);
  });

  it('stops at the limit and when the stop stops being graceful', async () => {
    expect(await takeQueued(queueOf([null], [true, true, true]), { ...options, limit: 2 })).toBe(2);
    let cut = false;
    const queue = queueOf([5], [true, true, true, true, true]);
    const cutting = { ...queue, nextArrival: async (ms: number) => { const got = await queue.nextArrival(ms); cut = queue.waits === 2; return got; } };
    expect(await takeQueued(cutting, { ...options, cancelled: () => cut })).toBe(2);
  });
});
