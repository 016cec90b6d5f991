import { describe, expect, it } from 'vitest';
import { splitShed } from '../src/shed-split.js';

describe('splitShed', () => {
  it('takes from the thread holding the most, one connection at a time, so the threads end even', () => {
    expect(splitShed([6, 2], 4)).toEqual([4, 0]);
    expect(splitShed([4, 4], 4)).toEqual([2, 2]);
    expect(splitShed([5, 3, 1], 4)).toEqual([3, 1, 0]);
  });

  it('never asks a thread for more than it holds, nor for more than asked', () => {
    expect(splitShed([1, 0], 4)).toEqual([1, 0]);
    expect(splitShed([0, 0], 3)).toEqual([0, 0]);
    expect(splitShed([3], 0)).toEqual([0]);
    expect(splitShed([], 2)).toEqual([]);
  });
});
