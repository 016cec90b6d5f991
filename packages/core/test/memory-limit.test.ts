import { describe, expect, it } from 'vitest';
import { MemoryLimit } from '../src/health/memory-limit.js';

const MIB = 1024 * 1024;

describe('MemoryLimit', () => {
  it('calls back once, with the figure, when RSS passes the limit', () => {
    const reasons: string[] = [];
    const limit = new MemoryLimit(100, (reason) => reasons.push(reason));
    limit.check(99 * MIB);
    limit.check(100 * MIB);
    expect(reasons).toEqual([]);
    limit.check(150.4 * MIB);
    limit.check(300 * MIB);
    expect(reasons).toEqual(['max_worker_memory (150 MiB > 100 MiB)']);
    expect(limit.tripped).toBe(true);
  });

  it('never trips with the limit at 0', () => {
    const limit = new MemoryLimit(0, () => expect.fail('should not trip'));
    limit.check(10_000 * MIB);
    expect(limit.tripped).toBe(false);
  });
});
