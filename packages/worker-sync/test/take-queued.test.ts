import { describe, expect, it } from 'vitest';
import { takeQueued, type QueuedConnections } from '../src/take-queued.js';

/**
 * An accept queue in memory: `lengths` are what successive reads of /proc say, `arrivals` whether each
 * accept gets a connection (false: another worker took it, or none came within the idle window).
 */
function queueOf(lengths: (number | null)[], arrivals: boolean[]): QueuedConnections & { reads: number; accepts: number } {
  const queue = {
    reads: 0,
    accepts: 0,
    length: () => lengths[Math.min(queue.reads++, lengths.length - 1)]!,
    acceptOne: async () => arrivals[queue.accepts++] ?? false,
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
    expect(queue.accepts).toBe(3);
  });

  it('does not listen when nothing is queued', async () => {
    const queue = queueOf([0], []);
    expect(await takeQueued(queue, options)).toBe(0);
    expect(queue.accepts).toBe(0);
  });

  it('with an unknown length (unix socket), takes until an idle window passes with no connection', async () => {
    const queue = queueOf([null], [true, true, false, true]);
    expect(await takeQueued(queue, options)).toBe(2);
    expect(queue.accepts).toBe(3);
  });

  it('stops at the limit and when the stop stops being graceful', async () => {
    expect(await takeQueued(queueOf([null], [true, true, true]), { ...options, limit: 2 })).toBe(2);
    let cut = false;
    const queue = queueOf([5], [true, true, true, true, true]);
    const cutting = { ...queue, acceptOne: async (ms: number) => { const got = await queue.acceptOne(ms); cut = queue.accepts === 2; return got; } };
    expect(await takeQueued(cutting, { ...options, cancelled: () => cut })).toBe(2);
  });
});
