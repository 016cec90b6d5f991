import { describe, expect, it } from 'vitest';
import { SharedThreadState } from '../src/shared-state.js';

describe('SharedThreadState', () => {
  it('is seen the same through two views of one buffer (thread and main thread)', () => {
    const thread = new SharedThreadState();
    const main = new SharedThreadState(thread.buffer);
    expect(main.lastRequest()).toBeNull();
    thread.beat();
    thread.beat();
    expect(main.beats).toBe(2);
    thread.requestStarted(7, 12, 'GET', '/slow');
    expect(main.lastRequest()).toEqual({ seq: 7, fd: 12, stream: 0, headersSent: false, label: 'GET /slow', running: true });
    thread.headersSent();
    expect(main.lastRequest()).toMatchObject({ headersSent: true });
    thread.requestFinished(7);
    expect(main.lastRequest()).toMatchObject({ running: false, label: 'GET /slow' });
    // An HTTP/2 stream: its id goes with the connection's fd; the next HTTP/1.1 request clears it.
    thread.requestStarted(8, 14, 'POST', '/h2', 5);
    expect(main.lastRequest()).toMatchObject({ seq: 8, fd: 14, stream: 5, headersSent: false, label: 'POST /h2' });
    thread.requestStarted(9, 15, 'GET', '/h1');
    expect(main.lastRequest()).toMatchObject({ seq: 9, stream: 0 });
  });

  it('publishes the thread\'s open connections to the main thread, apart from the other fields', () => {
    const thread = new SharedThreadState();
    const main = new SharedThreadState(thread.buffer);
    expect(main.connections).toBe(0);
    thread.setConnections(8);
    thread.requestStarted(1, 12, 'GET', '/');
    thread.addInFlight(1);
    expect(main.connections).toBe(8);
    expect(main.inFlight).toBe(1);
    thread.setConnections(4);
    expect(main.connections).toBe(4);
  });

  it('collects bare finished counts once', () => {
    const state = new SharedThreadState();
    state.countFinished();
    state.countFinished();
    state.countFinished();
    expect(state.takeFinished()).toBe(3);
    expect(state.takeFinished()).toBe(0);
  });

  it('lets the main thread claim a running request, after which the thread cannot finish it', () => {
    const state = new SharedThreadState();
    state.requestStarted(3, -1, 'POST', '/x');
    expect(state.claim(2)).toBe(false); // not the running one
    expect(state.claim(3)).toBe(true);
    expect(state.claim(3)).toBe(false); // once
    state.requestFinished(3);
    expect(state.lastRequest()).toMatchObject({ seq: -1, running: false });
  });

  it('keeps the label right when it is written only on change (same request again, then another, then the first)', () => {
    const thread = new SharedThreadState();
    const main = new SharedThreadState(thread.buffer);
    thread.requestStarted(1, 3, 'GET', '/a');
    thread.requestStarted(2, 4, 'GET', '/a');
    expect(main.lastRequest()).toMatchObject({ seq: 2, fd: 4, label: 'GET /a' });
    thread.requestStarted(3, 4, 'GET', '/longer/path');
    expect(main.lastRequest()).toMatchObject({ seq: 3, label: 'GET /longer/path' });
    thread.requestStarted(4, 4, 'GET', '/a');
    expect(main.lastRequest()).toMatchObject({ seq: 4, label: 'GET /a' });
    thread.requestStarted(5, 4, 'PUT', '/a');
    expect(main.lastRequest()).toMatchObject({ seq: 5, label: 'PUT /a' });
    // A thread that replaces another on the same buffer writes its first label whatever is there.
    const replacement = new SharedThreadState(thread.buffer);
    replacement.requestStarted(1, 5, 'GET', '/b');
    expect(main.lastRequest()).toMatchObject({ seq: 1, label: 'GET /b' });
  });

  it('cuts a long label to the shared buffer', () => {
    const state = new SharedThreadState();
    state.requestStarted(1, -1, 'GET', `/${'a'.repeat(1000)}`);
    const label = state.lastRequest()!.label;
    expect(label.startsWith('GET /aaa')).toBe(true);
    expect(label.length).toBeLessThan(300);
  });
});
