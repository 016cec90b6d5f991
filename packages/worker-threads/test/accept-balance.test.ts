import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AcceptBalance } from '../src/accept-balance.js';

/** The slots are plain Int32s after the epoch: read them as the sibling threads would. */
function loads(buffer: SharedArrayBuffer): number[] {
  return [...new Int32Array(buffer)].slice(1);
}

/** AcceptBalance only listens for 'close' on a socket. */
const socket = (): Socket => new EventEmitter() as unknown as Socket;

describe('AcceptBalance', () => {
  it('counts a fresh connection, then its requests, and forgets a connection that closes', () => {
    const buffer = AcceptBalance.buffer(2);
    const balance = new AcceptBalance(buffer, 1);
    const s = socket();
    balance.onConnection(s); // sibling 0 is idle: this waits at most YIELD_MS
    expect(loads(buffer)).toEqual([0, 1]);
    balance.onRequest(s); // the fresh connection's count becomes its first request's
    expect(loads(buffer)).toEqual([0, 1]);
    balance.onResponseClosed();
    expect(loads(buffer)).toEqual([0, 0]);
    balance.onRequest(s); // a second request on the kept-alive connection
    expect(loads(buffer)).toEqual([0, 1]);
    balance.onResponseClosed();
    s.emit('close'); // not fresh any more: the close changes nothing
    expect(loads(buffer)).toEqual([0, 0]);
  });

  it('drops a connection that closes before sending a request', () => {
    const buffer = AcceptBalance.buffer(2);
    const balance = new AcceptBalance(buffer, 0);
    const s = socket();
    balance.onConnection(s);
    expect(loads(buffer)).toEqual([1, 0]);
    s.emit('close');
    expect(loads(buffer)).toEqual([0, 0]);
  });

  it('clears the load a replaced thread left in its slot', () => {
    const buffer = AcceptBalance.buffer(2);
    new Int32Array(buffer)[2] = 5;
    new AcceptBalance(buffer, 1);
    expect(loads(buffer)).toEqual([0, 0]);
  });
});
